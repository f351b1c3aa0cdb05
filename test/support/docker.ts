// Docker for the end-to-end suites: a check that fails (never skips) when the engine does not
// answer, cleanup of everything a test cluster labelled, `env` through Docker exec, and a unix-socket
// proxy to dockerd that a test can stop and start to make "Docker going away" real.
import { existsSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import Docker from 'dockerode';
import { PassThrough } from 'node:stream';
import type { Skiff } from './skiff.ts';

export const DOCKER_SOCKET = '/var/run/docker.sock';
export const LABEL_CLUSTER = 'skiff.dev/cluster';

/** A dockerode client on the local engine, once it answers; otherwise a failure saying how to start it. */
export async function requireDocker(): Promise<Docker> {
  const docker = new Docker({ socketPath: DOCKER_SOCKET, timeout: 5_000 });
  try {
    await docker.ping();
  } catch (error) {
    throw new Error(
      `Docker does not answer at unix://${DOCKER_SOCKET} (${error instanceof Error ? error.message : String(error)}). ` +
        'Start it first: `npm run setup:docker` (installs and starts dockerd and the local registries on a ' +
        'Linux machine without Docker Desktop), or `sudo systemctl start docker`, or start Docker Desktop.',
      { cause: error },
    );
  }
  return new Docker({ socketPath: DOCKER_SOCKET });
}

/** The cluster id Skiff labels its Docker objects with (the kube-system namespace's uid). */
export async function clusterIdOf(skiff: Skiff): Promise<string> {
  const res = await skiff.api('/api/v1/namespaces/kube-system');
  const uid = res.json<{ metadata: { uid: string } }>().metadata.uid;
  if (!uid) throw new Error('kube-system has no uid');
  return uid;
}

/** Removes every container, network and volume labelled with this cluster id. */
export async function removeClusterObjects(docker: Docker, clusterId: string): Promise<void> {
  const filters = JSON.stringify({ label: [`${LABEL_CLUSTER}=${clusterId}`] });
  const containers = await docker.listContainers({ all: true, filters });
  await Promise.all(
    containers.map((c) =>
      docker
        .getContainer(c.Id)
        .remove({ force: true, v: true })
        .catch(() => undefined),
    ),
  );
  for (const network of await docker.listNetworks({ filters }))
    await docker
      .getNetwork(network.Id)
      .remove()
      .catch(() => undefined);
  const { Volumes } = await docker.listVolumes({ filters });
  for (const volume of Volumes ?? [])
    await docker
      .getVolume(volume.Name)
      .remove()
      .catch(() => undefined);
}

/** Runs a command in a running container and returns its stdout. */
export async function execIn(docker: Docker, containerId: string, cmd: string[]): Promise<string> {
  const exec = await docker
    .getContainer(containerId)
    .exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  docker.modem.demuxStream(stream, stdout, stderr);
  let out = '';
  stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  await new Promise<void>((resolve, reject) => {
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', reject);
  });
  return out;
}

/** A unix socket that pipes every connection to dockerd; stop() makes Docker "go away". */
export class DockerProxy {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();

  constructor(readonly path: string) {}

  get dockerHost(): string {
    return `unix://${this.path}`;
  }

  async start(): Promise<void> {
    if (existsSync(this.path)) unlinkSync(this.path);
    const server = net.createServer((client) => {
      const upstream = net.connect(DOCKER_SOCKET);
      this.sockets.add(client).add(upstream);
      const drop = () => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.path, resolve);
    });
    this.server = server;
  }

  /** Closes the socket and cuts every open connection (event streams included). */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    if (existsSync(this.path)) unlinkSync(this.path);
  }
}
