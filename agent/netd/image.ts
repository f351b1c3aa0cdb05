// netd's image: the daemon (agent/netd/daemon) bundled by esbuild into one file and built by
// Docker FROM the --netd-base-image, tagged by a hash of the base image's id and the bundle so it
// is rebuilt only when either changes.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type Docker from 'dockerode';
import { build } from 'esbuild';
import { LABEL_CLUSTER, LABEL_ROLE } from '../docker/labels.ts';
import { tarArchive } from './tar.ts';

/** Used when no --netd-base-image is given: any image with `node` on its PATH works. */
export const DEFAULT_NETD_BASE_IMAGE = 'node:20-alpine';
export const NETD_IMAGE_REPO = 'skiff-netd';

/** The prebuilt daemon's file name beside the compiled `skiff` (scripts/build-cli.ts writes it). */
export const NETD_BUNDLE_NAME = 'netd.cjs';

const entry = fileURLToPath(new URL('./daemon/main.ts', import.meta.url));

let bundled: Promise<Buffer> | undefined;

/**
 * The daemon as one CommonJS file (made once per process): the prebuilt one beside the compiled
 * `skiff` when there is one (a release ships no TypeScript sources), else built from the sources.
 */
export function netdBundle(): Promise<Buffer> {
  const prebuilt = fileURLToPath(new URL(`./${NETD_BUNDLE_NAME}`, import.meta.url));
  if (!bundled && fs.existsSync(prebuilt)) bundled = fs.promises.readFile(prebuilt);
  bundled ??= build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    target: 'node18',
    format: 'cjs',
    write: false,
    logLevel: 'silent',
  }).then((result) => Buffer.from(result.outputFiles[0].contents));
  return bundled;
}

function dockerfile(baseImage: string): string {
  return [
    `FROM ${baseImage}`,
    'COPY netd.cjs /skiff/netd.cjs',
    'ENTRYPOINT ["node", "/skiff/netd.cjs"]',
    '',
  ].join('\n');
}

async function followBuild(docker: Docker, stream: NodeJS.ReadableStream): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (err: Error | null, output: { error?: string; errorDetail?: { message?: string } }[]) => {
        if (err) return reject(err);
        const failed = output.find((o) => o.error ?? o.errorDetail);
        if (failed) reject(new Error(failed.errorDetail?.message ?? failed.error));
        else resolve();
      },
    );
  });
}

/** The base image's id, pulling it first when Docker does not have it. */
async function baseImageId(docker: Docker, baseImage: string): Promise<string> {
  try {
    return (await docker.getImage(baseImage).inspect()).Id;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode !== 404) throw err;
  }
  const stream = await docker.pull(baseImage);
  await followBuild(docker, stream);
  return (await docker.getImage(baseImage).inspect()).Id;
}

/** Builds netd's image when missing; returns its tag. */
export async function ensureNetdImage(
  docker: Docker,
  baseImage: string,
  clusterId: string,
  log: (line: string) => void,
): Promise<string> {
  const bundle = await netdBundle();
  const baseId = await baseImageId(docker, baseImage);
  const hash = createHash('sha256').update(baseId).update('\0').update(bundle).digest('hex');
  const tag = `${NETD_IMAGE_REPO}:${hash.slice(0, 16)}`;
  try {
    await docker.getImage(tag).inspect();
    return tag;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode !== 404) throw err;
  }
  log(`netd: building image ${tag} from ${baseImage}`);
  const context = tarArchive([
    { name: 'Dockerfile', data: Buffer.from(dockerfile(baseImage)) },
    { name: 'netd.cjs', data: bundle },
  ]);
  const { Readable } = await import('node:stream');
  const stream = await docker.buildImage(Readable.from([context]), {
    t: tag,
    labels: { [LABEL_CLUSTER]: clusterId, [LABEL_ROLE]: 'netd-image' },
    pull: false,
    rm: true,
    forcerm: true,
  } as Docker.ImageBuildOptions);
  await followBuild(docker, stream);
  return tag;
}
