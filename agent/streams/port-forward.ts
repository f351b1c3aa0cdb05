// Port-forward as kubelet serves it (pkg/kubelet/cri/streaming/portforward: httpstream.go and
// websocket.go): SPDY/3 streams paired by requestID (an error stream and a data stream per
// connection), carried over a plain SPDY upgrade or tunneled in a WebSocket (KEP-4006,
// `SPDY/3.1+portforward.k8s.io`), plus the legacy channel WebSocket the JavaScript client uses.
import { createWebSocketStream, type WebSocket } from 'ws';
import type { Duplex } from 'node:stream';
import transport, { type SpdyConnection, type SpdyStream } from 'spdy-transport';
import { encodeFrame } from './remote-command.ts';

/** Opens a TCP connection to a port of the pod (through netd's tunnel on the Docker node). */
export type PortDial = (port: number) => Promise<Duplex>;

export interface PortForwardTarget {
  dial: PortDial;
  /** kubelet's wording for a failed forward, written on the error stream. */
  describe(port: number, err: Error): string;
}

export const PORT_FORWARD_PROTOCOL = 'portforward.k8s.io';
export const TUNNELED_PORT_FORWARD_PROTOCOL = 'SPDY/3.1+portforward.k8s.io';
/** kubelet waits this long for the second stream of a pair (streamCreationTimeout's default). */
const PAIR_TIMEOUT_MS = 30_000;
const MAX_WINDOW = 2 ** 31 - 1;

interface Pair {
  port: number;
  error?: SpdyStream;
  data?: SpdyStream;
  timer: NodeJS.Timeout;
}

/**
 * Go's spdystream sends SYN_STREAM without the `:method`/`:path` pseudo-headers spdy-transport
 * insists on, and never sends WINDOW_UPDATE; accept the former and stop waiting for the latter.
 */
function adaptToGoPeer(conn: SpdyConnection): void {
  const state = conn._spdyState;
  const parser = state.parser;
  const parseKVs = parser.parseKVs.bind(parser);
  parser.parseKVs = (body, callback) =>
    parseKVs(body, (err, headers) => {
      if (!err && headers) {
        headers[':method'] ??= 'POST';
        headers[':path'] ??= '/';
      }
      callback(err, headers);
    });
  state.streamWindow.send.setMax(MAX_WINDOW);
  state.window.send.setMax(MAX_WINDOW);
  state.window.send.current = MAX_WINDOW;
}

/** The request a stream belongs to: its requestID header, or (older clients) derived from stream ids as kubelet does. */
export function requestIdOf(headers: Record<string, string>, streamId: number): string {
  if (headers.requestid) return headers.requestid;
  return String(headers.streamtype === 'data' ? streamId - 2 : streamId);
}

/** Serves port-forward SPDY on a connection (the upgraded socket, or a WebSocket tunnel). */
export function serveSpdyPortForward(socket: Duplex, target: PortForwardTarget): SpdyConnection {
  const conn = transport.connection.create(socket, { protocol: 'spdy', isServer: true });
  adaptToGoPeer(conn);
  conn.start(3);
  const pairs = new Map<string, Pair>();
  conn.on('error', () => socket.destroy());
  socket.on('error', () => undefined);
  socket.on('close', () => {
    for (const pair of pairs.values()) clearTimeout(pair.timer);
    pairs.clear();
    conn.destroyStreams();
  });
  conn.on('stream', (stream: SpdyStream) => {
    stream.on('error', () => undefined);
    const headers = stream.headers;
    const type = headers.streamtype;
    const port = Number(headers.port);
    if ((type !== 'error' && type !== 'data') || !Number.isInteger(port) || port < 1) {
      stream.abort();
      return;
    }
    stream.respond(200, {});
    const id = requestIdOf(headers, stream.id);
    let pair = pairs.get(id);
    if (!pair) {
      pair = {
        port,
        timer: setTimeout(() => {
          pairs.delete(id);
          pair?.error?.end();
          pair?.data?.end();
        }, PAIR_TIMEOUT_MS),
      };
      pair.timer.unref();
      pairs.set(id, pair);
    }
    pair[type] = stream;
    if (type === 'error') stream.resume(); // the client writes nothing on it
    if (pair.error && pair.data) {
      clearTimeout(pair.timer);
      pairs.delete(id);
      void forward(pair.port, pair.error, pair.data, target);
    }
  });
  return conn;
}

async function forward(
  port: number,
  errorStream: Duplex,
  dataStream: Duplex,
  target: PortForwardTarget,
): Promise<void> {
  let upstream: Duplex;
  try {
    upstream = await target.dial(port);
  } catch (err) {
    errorStream.end(target.describe(port, err as Error));
    dataStream.end();
    return;
  }
  let failed = false;
  upstream.on('error', (err) => {
    if (failed) return;
    failed = true;
    errorStream.end(target.describe(port, err));
    dataStream.end();
  });
  upstream.on('close', () => {
    if (!failed) errorStream.end();
    dataStream.end();
  });
  dataStream.on('close', () => upstream.end());
  dataStream.pipe(upstream);
  upstream.pipe(dataStream);
}

/** kubectl 1.35's default: SPDY tunneled in binary WebSocket messages. */
export function serveTunneledPortForward(ws: WebSocket, target: PortForwardTarget): void {
  const duplex = createWebSocketStream(ws);
  duplex.on('error', () => undefined);
  serveSpdyPortForward(duplex, target);
}

/**
 * The legacy channel protocol (`?ports=80&ports=443`): channel 2i carries data for the i-th port
 * and 2i+1 its errors; the server opens each channel with the port as two little-endian bytes.
 */
export function serveWebSocketPortForward(
  ws: WebSocket,
  ports: number[],
  target: PortForwardTarget,
): void {
  const upstreams: (Duplex | undefined)[] = [];
  // Data the client sends before the pod connection is up waits here.
  const early: Buffer[][] = ports.map(() => []);
  let open = ports.length;
  const portBytes = (port: number) => Buffer.from([port & 0xff, port >> 8]);
  const finish = () => {
    if (--open === 0 && ws.readyState === ws.OPEN) ws.close(1000);
  };
  ports.forEach((port, i) => {
    ws.send(encodeFrame(2 * i, portBytes(port)));
    ws.send(encodeFrame(2 * i + 1, portBytes(port)));
    target.dial(port).then(
      (upstream) => {
        upstreams[i] = upstream;
        for (const chunk of early[i].splice(0)) upstream.write(chunk);
        upstream.on('data', (chunk: Buffer) => ws.send(encodeFrame(2 * i, chunk)));
        upstream.on('error', (err) => ws.send(encodeFrame(2 * i + 1, target.describe(port, err))));
        upstream.on('close', finish);
      },
      (err: Error) => {
        ws.send(encodeFrame(2 * i + 1, target.describe(port, err)));
        finish();
      },
    );
  });
  ws.on('message', (data: Buffer) => {
    if (data.length < 1 || data[0] % 2 !== 0) return;
    const i = data[0] / 2;
    if (i >= ports.length) return;
    const upstream = upstreams[i];
    if (upstream) upstream.write(data.subarray(1));
    else early[i].push(Buffer.from(data.subarray(1)));
  });
  ws.on('close', () => {
    for (const upstream of upstreams) upstream?.destroy();
  });
}
