// The Docker node's pod streams (kubelet's server.go on a Docker runtime, as dockershim's streaming
// did): container logs with Docker's timestamps, exec and attach on hijacked Docker connections
// with resize, and port-forward through an injected dial into the pod network.
import { PassThrough, Readable, Transform, type Duplex, type TransformCallback } from 'node:stream';
import type Docker from 'dockerode';
import type { KubeObject } from '../../main/api/types.ts';
import { nodeStreamServers } from '../../main/apiserver/subresources/register.ts';
import {
  PodStreamServer,
  type ProcessOptions,
  type StreamRuntime,
} from '../streams/pod-stream-server.ts';
import { sinceEpochSeconds, type LogOptions } from '../streams/log-options.ts';
import type { PortForwardTarget } from '../streams/port-forward.ts';
import type { RemoteProcess, TerminalSize } from '../streams/remote-command.ts';
import { LABEL_CLUSTER, LABEL_CONTAINER, LABEL_POD_UID, LABEL_ROLE } from './labels.ts';

/** Opens a TCP connection to ip:port inside the cluster network (netd's dial tunnel). */
export type PodNetworkDial = (ip: string, port: number) => Promise<Duplex>;

export interface DockerStreamsOptions {
  docker: Docker;
  clusterId: string;
  dial: PodNetworkDial;
}

/**
 * Splits Docker's multiplexed stream (8-byte headers: stream type, 3 zero bytes, big-endian
 * length) and hands each payload on; used for containers without a TTY.
 */
export class DockerDemux extends Transform {
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly onFrame?: (type: number, payload: Buffer) => void) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    while (this.pending.length >= 8) {
      const size = this.pending.readUInt32BE(4);
      if (this.pending.length < 8 + size) break;
      const type = this.pending[0];
      const payload = this.pending.subarray(8, 8 + size);
      this.pending = this.pending.subarray(8 + size);
      if (this.onFrame) this.onFrame(type, payload);
      else this.push(payload);
    }
    done();
  }
}

function statusCode(err: unknown): number | undefined {
  return (err as { statusCode?: number }).statusCode;
}

/** Docker's `since` parameter: seconds.nanoseconds. */
export function dockerSince(seconds: number): string {
  const whole = Math.floor(seconds);
  const nanos = Math.round((seconds - whole) * 1e9);
  return `${whole}.${String(Math.min(nanos, 999_999_999)).padStart(9, '0')}`;
}

export class DockerStreams implements StreamRuntime {
  constructor(private readonly options: DockerStreamsOptions) {}

  /** Serves this node's pod streams through the API server until the returned dispose is called. */
  register(nodeName: string): { dispose(): void } {
    const server = new PodStreamServer(this);
    nodeStreamServers.set(nodeName, server);
    return {
      dispose: () => {
        if (nodeStreamServers.get(nodeName) === server) nodeStreamServers.delete(nodeName);
      },
    };
  }

  private get docker(): Docker {
    return this.options.docker;
  }

  async logs(_pod: KubeObject, containerId: string, options: LogOptions): Promise<Readable> {
    const container = this.docker.getContainer(containerId);
    let tty: boolean;
    try {
      tty = (await container.inspect()).Config.Tty;
    } catch (err) {
      if (statusCode(err) === 404)
        throw new Error(`container ${containerId} not found`, { cause: err });
      throw err;
    }
    const since = sinceEpochSeconds(options);
    const query = {
      stdout: true,
      stderr: true,
      timestamps: options.timestamps,
      tail: options.tailLines !== undefined ? String(options.tailLines) : 'all',
      ...(since !== undefined ? { since: dockerSince(since) } : {}),
    };
    // dockerode answers a Buffer without follow and a stream with it.
    const logs = container.logs.bind(container) as (opts: object) => Promise<unknown>;
    const raw: Readable = options.follow
      ? ((await logs({ ...query, follow: true })) as Readable)
      : Readable.from([(await logs({ ...query, follow: false })) as Buffer]);
    if (tty) return raw;
    const demux = new DockerDemux();
    raw.on('error', (err) => demux.destroy(err));
    demux.on('close', () => raw.destroy());
    return raw.pipe(demux);
  }

  /** The running Docker container of a pod's container (kubelet's findContainer: running ones only). */
  private async runningContainer(pod: KubeObject, name: string): Promise<Docker.Container> {
    const list = await this.docker.listContainers({
      filters: JSON.stringify({
        label: [
          `${LABEL_CLUSTER}=${this.options.clusterId}`,
          `${LABEL_POD_UID}=${pod.metadata.uid ?? ''}`,
          `${LABEL_ROLE}=container`,
          `${LABEL_CONTAINER}=${name}`,
        ],
        status: ['running'],
      }),
    });
    if (!list.length) throw new Error(`container not found (${JSON.stringify(name)})`);
    return this.docker.getContainer(list[0].Id);
  }

  async exec(
    pod: KubeObject,
    name: string,
    command: string[],
    options: ProcessOptions,
    initialSize: Promise<TerminalSize | undefined>,
  ): Promise<RemoteProcess> {
    const container = await this.runningContainer(pod, name);
    const exec = await container.exec({
      Cmd: command,
      AttachStdin: options.stdin,
      AttachStdout: options.stdout,
      AttachStderr: options.stderr,
      Tty: options.tty,
    });
    const socket: Duplex = await exec.start({ hijack: true, stdin: true, Tty: options.tty });
    const resize = (size: TerminalSize) =>
      void exec.resize({ h: size.height, w: size.width }).catch(() => undefined);
    if (options.tty) void initialSize.then((size) => size && resize(size));
    const io = this.wire(socket, options);
    const done = io.ended.then(async () => {
      const info = await exec.inspect();
      return info.ExitCode ?? undefined;
    });
    return { ...io.streams, resize, done, close: () => socket.destroy() };
  }

  async attach(
    pod: KubeObject,
    name: string,
    options: ProcessOptions,
    initialSize: Promise<TerminalSize | undefined>,
  ): Promise<RemoteProcess> {
    const container = await this.runningContainer(pod, name);
    const tty = (await container.inspect()).Config.Tty;
    const socket = (await container.attach({
      stream: true,
      hijack: true,
      stdin: options.stdin,
      stdout: options.stdout,
      stderr: options.stderr,
    })) as unknown as Duplex;
    const resize = (size: TerminalSize) =>
      void container.resize({ h: size.height, w: size.width }).catch(() => undefined);
    if (tty) void initialSize.then((size) => size && resize(size));
    const io = this.wire(socket, { ...options, tty });
    return {
      ...io.streams,
      resize,
      done: io.ended.then(() => undefined),
      close: () => socket.destroy(),
    };
  }

  /** The process's streams over a hijacked Docker connection (raw with a TTY, multiplexed without). */
  private wire(
    socket: Duplex,
    options: ProcessOptions,
  ): {
    streams: Pick<RemoteProcess, 'stdin' | 'stdout' | 'stderr'>;
    ended: Promise<void>;
  } {
    socket.on('error', () => undefined);
    const ended = new Promise<void>((resolve) => {
      socket.on('end', resolve);
      socket.on('close', resolve);
    });
    const stdin = options.stdin ? socket : undefined;
    if (!options.stdin) socket.end();
    if (options.tty) return { streams: { stdin, stdout: socket }, ended };
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const demux = new DockerDemux((type, payload) => (type === 2 ? stderr : stdout).write(payload));
    socket.pipe(demux);
    demux.resume();
    const finished = ended.then(() => {
      stdout.end();
      stderr.end();
    });
    return {
      streams: {
        stdin,
        stdout: options.stdout ? stdout : undefined,
        stderr: options.stderr ? stderr : undefined,
      },
      ended: finished,
    };
  }

  async portForward(pod: KubeObject): Promise<PortForwardTarget> {
    const list = await this.docker.listContainers({
      filters: JSON.stringify({
        label: [
          `${LABEL_CLUSTER}=${this.options.clusterId}`,
          `${LABEL_POD_UID}=${pod.metadata.uid ?? ''}`,
          `${LABEL_ROLE}=sandbox`,
        ],
        status: ['running'],
      }),
    });
    const ip = (pod.status as { podIP?: string } | undefined)?.podIP;
    if (!list.length || !ip)
      throw new Error(
        `pod not found (${JSON.stringify(`${pod.metadata.name}_${pod.metadata.namespace}`)})`,
      );
    const sandbox = list[0].Id;
    return {
      dial: (port) => this.options.dial(ip, port),
      describe: (port, err) =>
        `error forwarding port ${port} to pod ${sandbox}, uid : ${err.message}`,
    };
  }
}
