// The node side of pods/log, exec, attach and portforward, independent of the container runtime:
// kubelet's server.go handlers plus the protocol choice kube-apiserver makes for kubectl 1.35
// (WebSocket v5/v4 for exec and attach; SPDY tunneled in a WebSocket, plain SPDY, or the legacy
// channel WebSocket for port-forward). A runtime supplies the processes, logs and pod dialling.
import type { Readable } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { StatusError, badRequest } from '../../main/api/status.ts';
import type { KubeObject } from '../../main/api/types.ts';
import type {
  NodeStreamServer,
  StreamRequest,
} from '../../main/apiserver/subresources/register.ts';
import type { UpgradedConnection } from '../../main/apiserver/subresources/upgrade-requests.ts';
import {
  ByteLimit,
  logContainerId,
  parseLogOptions,
  runtimeId,
  type ContainerStatusView,
  type LogOptions,
} from './log-options.ts';
import {
  PORT_FORWARD_PROTOCOL,
  TUNNELED_PORT_FORWARD_PROTOCOL,
  serveSpdyPortForward,
  serveTunneledPortForward,
  serveWebSocketPortForward,
  type PortForwardTarget,
} from './port-forward.ts';
import {
  REMOTE_COMMAND_PROTOCOLS,
  negotiateProtocol,
  runSession,
  type RemoteProcess,
  type TerminalSize,
} from './remote-command.ts';

export interface ProcessOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

/** What a container runtime provides to serve a pod's streams. */
export interface StreamRuntime {
  /** The log of one container instance (runtime id), stdout and stderr merged, as raw bytes. */
  logs(pod: KubeObject, containerId: string, options: LogOptions): Promise<Readable>;
  /** Rejects with kubelet's message (e.g. `container not found ("x")`) when it cannot run. */
  exec(
    pod: KubeObject,
    container: string,
    command: string[],
    options: ProcessOptions,
    initialSize: Promise<TerminalSize | undefined>,
  ): Promise<RemoteProcess>;
  attach(
    pod: KubeObject,
    container: string,
    options: ProcessOptions,
    initialSize: Promise<TerminalSize | undefined>,
  ): Promise<RemoteProcess>;
  /** Where connections to the pod's ports go; rejects when the pod does not run here. */
  portForward(pod: KubeObject): Promise<PortForwardTarget>;
}

const TRUE = new Set(['1', 'true', 'True', 'TRUE', 't', 'T']);

function flag(params: URLSearchParams, ...names: string[]): boolean {
  return names.some((name) => TRUE.has(params.get(name) ?? ''));
}

function isWebSocket(req: StreamRequest['req']): boolean {
  return (req.headers.upgrade ?? '').toLowerCase() === 'websocket';
}

function acceptWebSocket(
  request: StreamRequest,
  upgrade: UpgradedConnection,
  protocol: string,
): Promise<WebSocket> {
  const server = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    perMessageDeflate: false,
  });
  // `ws` refuses subprotocols that are not RFC 7230 tokens, and `SPDY/3.1+portforward.k8s.io` is
  // not one: hide the offer from it and answer the chosen protocol ourselves.
  const { req } = request;
  delete req.headers['sec-websocket-protocol'];
  if (protocol)
    server.on('headers', (headers: string[]) =>
      headers.push(`Sec-WebSocket-Protocol: ${protocol}`),
    );
  return new Promise((resolve) =>
    server.handleUpgrade(req, upgrade.socket, upgrade.head, (ws) => resolve(ws)),
  );
}

function statuses(pod: KubeObject): ContainerStatusView[] {
  const status = (pod.status ?? {}) as Record<string, ContainerStatusView[] | undefined>;
  return [
    ...(status.containerStatuses ?? []),
    ...(status.initContainerStatuses ?? []),
    ...(status.ephemeralContainerStatuses ?? []),
  ];
}

export class PodStreamServer implements NodeStreamServer {
  constructor(private readonly runtime: StreamRuntime) {}

  async serve(request: StreamRequest): Promise<void> {
    switch (request.kind) {
      case 'log':
        return this.log(request);
      case 'exec':
      case 'attach':
        return this.remoteCommand(request);
      case 'portforward':
        return this.portForward(request);
    }
  }

  private async log(request: StreamRequest): Promise<void> {
    const { pod, res, container } = request;
    const podName = pod.metadata.name ?? '';
    const options = parseLogOptions(request.url.searchParams, podName);
    let id: string;
    try {
      id = logContainerId(podName, statuses(pod), container, options.previous);
    } catch (err) {
      throw badRequest((err as Error).message);
    }
    const source = await this.runtime.logs(pod, runtimeId(id), options);
    const out =
      options.limitBytes !== undefined
        ? source.pipe(new ByteLimit(options.limitBytes, () => source.destroy()))
        : source;
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-cache, private' });
    res.flushHeaders();
    res.on('close', () => source.destroy());
    source.on('error', () => res.end());
    out.pipe(res);
  }

  private async remoteCommand(request: StreamRequest): Promise<void> {
    const { pod, container, url, upgrade, req } = request;
    const params = url.searchParams;
    const command = params.getAll('command');
    const options: ProcessOptions = {
      stdin: flag(params, 'stdin', 'input'),
      stdout: flag(params, 'stdout', 'output'),
      stderr: flag(params, 'stderr', 'error'),
      tty: flag(params, 'tty'),
    };
    if (options.tty) options.stderr = false;
    if (request.kind === 'exec' && command.length === 0)
      throw badRequest('you must specify at least 1 command');
    if (!options.stdin && !options.stdout && !options.stderr)
      throw badRequest('you must specify at least one of stdin, stdout, stderr');
    if (!upgrade) throw badRequest('Upgrade request required');
    if (!isWebSocket(req))
      throw badRequest(
        `Skiff serves ${request.kind} over WebSocket (${REMOTE_COMMAND_PROTOCOLS.join(', ')}) only, not SPDY`,
      );
    const protocol = negotiateProtocol(
      req.headers['sec-websocket-protocol'],
      REMOTE_COMMAND_PROTOCOLS,
    );
    if (!protocol)
      throw badRequest(
        `unsupported WebSocket subprotocol; supported: ${REMOTE_COMMAND_PROTOCOLS.join(', ')}`,
      );
    const ws = await acceptWebSocket(request, upgrade, protocol);
    // After the upgrade kube-apiserver's translator reports the kubelet's refusal on the status channel.
    const start = async (size: Promise<TerminalSize | undefined>) => {
      try {
        return request.kind === 'exec'
          ? await this.runtime.exec(pod, container, command, options, size)
          : await this.runtime.attach(pod, container, options, size);
      } catch (err) {
        throw new Error(
          `Internal error occurred: unable to upgrade connection: ${(err as Error).message}`,
          { cause: err },
        );
      }
    };
    void runSession(ws, protocol, start, command);
  }

  private async portForward(request: StreamRequest): Promise<void> {
    const { req, upgrade, pod, url } = request;
    if (!upgrade) throw badRequest('Upgrade request required');
    let target: PortForwardTarget;
    try {
      target = await this.runtime.portForward(pod);
    } catch (err) {
      throw new StatusError(500, 'InternalError', (err as Error).message);
    }
    if (isWebSocket(req)) {
      const offered = req.headers['sec-websocket-protocol'];
      const tunneled = negotiateProtocol(offered, [TUNNELED_PORT_FORWARD_PROTOCOL]);
      if (tunneled) {
        serveTunneledPortForward(await acceptWebSocket(request, upgrade, tunneled), target);
        return;
      }
      const legacy = negotiateProtocol(offered, REMOTE_COMMAND_PROTOCOLS);
      const ports = url.searchParams.getAll('ports').map(Number);
      if (!ports.length || ports.some((p) => !Number.isInteger(p) || p < 1 || p > 65535))
        throw badRequest('query parameter "port" is required');
      const ws = await acceptWebSocket(request, upgrade, legacy ?? '');
      serveWebSocketPortForward(ws, ports, target);
      return;
    }
    const upgradeTo = (req.headers.upgrade ?? '').toLowerCase();
    const versions = String(req.headers['x-stream-protocol-version'] ?? '')
      .split(',')
      .map((v) => v.trim());
    if (!upgradeTo.startsWith('spdy/3.1'))
      throw badRequest(`unsupported connection upgrade: ${req.headers.upgrade ?? ''}`);
    if (!versions.includes(PORT_FORWARD_PROTOCOL))
      throw new StatusError(
        403,
        'Forbidden',
        `unable to upgrade: unable to negotiate protocol: client supports ${JSON.stringify(versions)}, server supports ["${PORT_FORWARD_PROTOCOL}"]`,
      );
    const { socket, head } = upgrade;
    socket.write(
      'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n' +
        `X-Stream-Protocol-Version: ${PORT_FORWARD_PROTOCOL}\r\n\r\n`,
    );
    if (head.length) socket.unshift(head);
    serveSpdyPortForward(socket, target);
  }
}
