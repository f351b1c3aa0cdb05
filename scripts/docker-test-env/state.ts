// What scripts/docker-test-env.ts leaves for test suites in .docker-test-env/state.json: the Docker
// engine, the two local registries (one with htpasswd auth) and the image references to use.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const defaultStateDir = join(repoRoot, '.docker-test-env');
export const stateFileName = 'state.json';

export interface RegistryState {
  /** HOST:PORT, plain HTTP on loopback (dockerd treats 127.0.0.0/8 as insecure). */
  address: string;
  /** pid of the docker-registry process this script started. */
  pid: number;
  config: string;
  log: string;
  storage: string;
}

export interface AuthRegistryState extends RegistryState {
  username: string;
  password: string;
  /** JSON file with { address, username, password }. */
  credentialsFile: string;
}

export interface ImageState {
  /** Reference to pull, e.g. 127.0.0.1:5000/skiff/busybox:1. */
  ref: string;
  /** Manifest digest in the registry (sha256:…), what a pull by digest or imageID shows. */
  digest: string;
}

export interface DockerTestEnvState {
  version: 1;
  updatedAt: string;
  docker: {
    /** Server version from `docker info`, e.g. 20.10.24+dfsg1. */
    serverVersion: string;
    /** How dockerd was found or started: already running, systemctl, or spawned by the script. */
    started: 'already-running' | 'systemd' | 'spawned';
    pid?: number;
    log?: string;
  };
  registries: { open: RegistryState; auth: AuthRegistryState };
  images: {
    /** Sandbox image: /pause exits 0 on SIGTERM/SIGINT, reaps children. */
    pause: ImageState;
    /** busybox-static with applet symlinks, /etc/passwd and /etc/group. */
    busybox: ImageState;
    /** The host's node binary and its shared libraries, plus busybox: netd's base image. */
    node: ImageState;
    /** The busybox image in the auth registry, for imagePullSecrets tests. */
    privateBusybox: ImageState;
  };
}

/**
 * Reads the state written by `npx tsx scripts/docker-test-env.ts`; throws with the command to
 * run when the environment has not been provisioned.
 */
export function readDockerTestEnv(stateDir = defaultStateDir): DockerTestEnvState {
  const file = join(stateDir, stateFileName);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new Error(`${file} is missing: run npx tsx scripts/docker-test-env.ts first`);
  }
  const state = JSON.parse(text) as DockerTestEnvState;
  if (state.version !== 1) throw new Error(`${file}: unknown version ${String(state.version)}`);
  return state;
}
