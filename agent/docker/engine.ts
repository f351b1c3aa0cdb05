// Finds the Docker engine the way the docker CLI does (cli/context/docker): DOCKER_HOST, then the
// current context (DOCKER_CONTEXT or ~/.docker/config.json currentContext and its meta.json), then
// the sockets Docker Desktop and dockerd use on each platform. Pure: files are read through `io`.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DockerOptions } from 'dockerode';

export interface EngineIo {
  env: Record<string, string | undefined>;
  platform: NodeJS.Platform;
  homedir: string;
  /** The file's text, or undefined when it does not exist or cannot be read. */
  readFile(file: string): string | undefined;
  exists(file: string): boolean;
}

export interface Engine {
  /** What dockerode is given. */
  options: DockerOptions;
  /** Where it came from and where it points, for logs and error messages. */
  source: string;
  endpoint: string;
}

export class EngineConfigError extends Error {}

const WINDOWS_PIPE = '//./pipe/docker_engine';

/** Turns a Docker host URL (unix://, npipe://, tcp://, http(s)://) into dockerode options. */
export function hostToOptions(
  host: string,
  env: Record<string, string | undefined> = {},
): DockerOptions {
  if (host.startsWith('unix://')) return { socketPath: host.slice('unix://'.length) };
  if (host.startsWith('npipe://')) return { socketPath: host.slice('npipe://'.length) };
  const match = /^(tcp|http|https):\/\/([^/:]+|\[[^\]]+\])(?::(\d+))?\/?$/.exec(host);
  if (!match) throw new EngineConfigError(`unsupported Docker host "${host}"`);
  const tls = match[1] === 'https' || (match[1] === 'tcp' && !!env.DOCKER_TLS_VERIFY);
  const options: DockerOptions = {
    host: match[2],
    port: match[3] ? Number(match[3]) : tls ? 2376 : 2375,
    protocol: tls ? 'https' : 'http',
  };
  return options;
}

function contextHost(io: EngineIo, name: string): string | undefined {
  const dir = path.posix.join(
    io.homedir.split(path.sep).join('/'),
    '.docker/contexts/meta',
    createHash('sha256').update(name).digest('hex'),
  );
  const text = io.readFile(`${dir}/meta.json`);
  if (text === undefined)
    throw new EngineConfigError(`docker context "${name}" not found (no ${dir}/meta.json)`);
  let meta: unknown;
  try {
    meta = JSON.parse(text);
  } catch {
    throw new EngineConfigError(`docker context "${name}": ${dir}/meta.json is not JSON`);
  }
  const host = (meta as { Endpoints?: { docker?: { Host?: unknown } } }).Endpoints?.docker?.Host;
  return typeof host === 'string' && host ? host : undefined;
}

/** The sockets to try, in order, when neither DOCKER_HOST nor a context says where Docker is. */
export function defaultSockets(io: Pick<EngineIo, 'env' | 'platform' | 'homedir'>): string[] {
  if (io.platform === 'win32') return [WINDOWS_PIPE];
  const home = io.homedir;
  const sockets = [
    '/var/run/docker.sock',
    path.posix.join(home, '.docker/run/docker.sock'),
    path.posix.join(home, '.docker/desktop/docker.sock'),
  ];
  if (io.env.XDG_RUNTIME_DIR) sockets.push(path.posix.join(io.env.XDG_RUNTIME_DIR, 'docker.sock'));
  return sockets;
}

/** Where the Docker engine is, as the docker CLI would decide. */
export function discoverEngine(io: EngineIo): Engine {
  const fromHost = (host: string, source: string): Engine => ({
    options: hostToOptions(host, io.env),
    source,
    endpoint: host,
  });
  if (io.env.DOCKER_HOST) return fromHost(io.env.DOCKER_HOST, 'DOCKER_HOST');
  let context = io.env.DOCKER_CONTEXT;
  let contextSource = 'DOCKER_CONTEXT';
  if (!context) {
    const configDir = io.env.DOCKER_CONFIG ?? path.posix.join(io.homedir, '.docker');
    const text = io.readFile(path.posix.join(configDir, 'config.json'));
    if (text !== undefined) {
      try {
        const current = (JSON.parse(text) as { currentContext?: unknown }).currentContext;
        if (typeof current === 'string') context = current;
        contextSource = `${configDir}/config.json currentContext`;
      } catch {
        // An unreadable CLI config does not stop us from finding the default socket.
      }
    }
  }
  if (context && context !== 'default') {
    const host = contextHost(io, context);
    if (host) return fromHost(host, `docker context "${context}" (${contextSource})`);
  }
  const sockets = defaultSockets(io);
  const found = sockets.find((s) => io.platform === 'win32' || io.exists(s)) ?? sockets[0];
  return {
    options: { socketPath: found },
    source: 'default socket',
    endpoint: io.platform === 'win32' ? `npipe://${found}` : `unix://${found}`,
  };
}

/** The real environment, files and platform of this process. */
export function localEngineIo(): EngineIo {
  return {
    env: process.env,
    platform: process.platform,
    homedir: os.homedir(),
    readFile: (file) => {
      try {
        return fs.readFileSync(file, 'utf8');
      } catch {
        return undefined;
      }
    },
    exists: (file) => fs.existsSync(file),
  };
}
