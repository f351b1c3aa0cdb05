// Compiles the `skiff` command to JavaScript, as a release ships it: main/cli/skiff.ts bundled by
// esbuild into out/cli/skiff.mjs (dependencies stay in node_modules), the generated OpenAPI
// definitions beside it, and netd's daemon prebuilt as out/cli/netd.cjs (agent/netd/image.ts
// takes it from there instead of building it from the TypeScript sources). `npm run serve` runs
// the result with plain node: no tsx loader thread, no esbuild service, no source maps in memory.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { NETD_BUNDLE_NAME, netdBundle } from '../agent/netd/image.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Builds into outDir (default out/cli); returns the file to run with node. */
export async function buildCli(outDir = path.join(root, 'out', 'cli')): Promise<string> {
  const outfile = path.join(outDir, 'skiff.mjs');
  await build({
    entryPoints: [path.join(root, 'main/cli/skiff.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    outfile,
    logLevel: 'error',
  });
  fs.mkdirSync(path.join(outDir, 'generated'), { recursive: true });
  fs.copyFileSync(
    path.join(root, 'main/apiserver/openapi/generated/definitions.json'),
    path.join(outDir, 'generated', 'definitions.json'),
  );
  fs.writeFileSync(path.join(outDir, NETD_BUNDLE_NAME), await netdBundle());
  return outfile;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  buildCli().then(
    (file) => process.stdout.write(`built ${path.relative(process.cwd(), file)}\n`),
    (err: unknown) => {
      process.stderr.write(`build-cli: ${(err as Error).message}\n`);
      process.exit(1);
    },
  );
}
