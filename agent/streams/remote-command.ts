// exec and attach over WebSocket, as kube-apiserver's stream translator serves kubectl
// (apimachinery pkg/util/remotecommand, client-go tools/remotecommand websocket.go, KEP-4006):
// one binary message per frame, first byte the channel; status on channel 3; resize on 4;
// v5 adds channel 255 to close a stream (stdin EOF). The session ends with close code 1000.
import type { Readable, Writable } from 'node:stream';
import type { WebSocket } from 'ws';

export const STREAM_PROTOCOL_V5 = 'v5.channel.k8s.io';
export const STREAM_PROTOCOL_V4 = 'v4.channel.k8s.io';
/** Protocols this server speaks, most preferred first. */
export const REMOTE_COMMAND_PROTOCOLS = [STREAM_PROTOCOL_V5, STREAM_PROTOCOL_V4];

export const CHANNEL = {
  stdin: 0,
  stdout: 1,
  stderr: 2,
  error: 3,
  resize: 4,
  close: 255,
} as const;

export interface TerminalSize {
  width: number;
  height: number;
}

/** The first protocol of `preferred` that the client offered in Sec-WebSocket-Protocol. */
export function negotiateProtocol(
  offered: string | string[] | undefined,
  preferred: readonly string[],
): string | undefined {
  const list = (Array.isArray(offered) ? offered.join(',') : (offered ?? ''))
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  return preferred.find((p) => list.includes(p));
}

export function encodeFrame(channel: number, data: Buffer | string): Buffer {
  const body = typeof data === 'string' ? Buffer.from(data) : data;
  const frame = Buffer.allocUnsafe(body.length + 1);
  frame[0] = channel;
  body.copy(frame, 1);
  return frame;
}

export function decodeFrame(frame: Buffer): { channel: number; data: Buffer } | undefined {
  if (frame.length < 1) return undefined;
  return { channel: frame[0], data: frame.subarray(1) };
}

/** `{"Width":80,"Height":24}` (remotecommand.TerminalSize, capitalised keys); undefined if malformed. */
export function parseResize(data: Buffer): TerminalSize | undefined {
  try {
    const value = JSON.parse(data.toString('utf8')) as { Width?: unknown; Height?: unknown };
    const width = Number(value.Width);
    const height = Number(value.Height);
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 0 || height < 0)
      return undefined;
    return { width, height };
  } catch {
    return undefined;
  }
}

/** The status frame's body: Success, or NonZeroExitCode carrying the code kubectl exits with. */
export function exitStatus(
  exitCode: number | undefined,
  command: string[] = [],
): Record<string, unknown> {
  if (!exitCode) return { metadata: {}, status: 'Success' };
  // The CRI streaming server's wording around the runtime's exit error.
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: command '${command.join(' ')}' exited with ${exitCode}: `,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(exitCode) }] },
  };
}

/** A failure reported on the status channel (the translator's InternalError for kubelet-side errors). */
export function failureStatus(message: string, reason = 'InternalError', code = 500) {
  return { metadata: {}, status: 'Failure', message, reason, code };
}

/** A process in a container, as the runtime hands it to a session. */
export interface RemoteProcess {
  stdin?: Writable;
  stdout?: Readable;
  stderr?: Readable;
  resize(size: TerminalSize): void;
  /** Settles after the output streams ended: the exit code (undefined when there is none, as for attach). */
  done: Promise<number | undefined>;
  /** The client went away: release the process's streams. */
  close(): void;
}

/** Sends a Failure status and closes, for errors found after the upgrade. */
export function failSession(ws: WebSocket, status: Record<string, unknown>): void {
  ws.send(encodeFrame(CHANNEL.error, JSON.stringify(status)), () => ws.close(1000));
}

/**
 * Runs a session: client frames to stdin and resize, output to channels 1 and 2 with back-pressure,
 * then the status frame and a normal close.
 */
export function runSession(
  ws: WebSocket,
  protocol: string,
  start: (initialSize: Promise<TerminalSize | undefined>) => Promise<RemoteProcess>,
  command: string[] = [],
): Promise<void> {
  let process: RemoteProcess | undefined;
  const early: Buffer[] = [];
  let clientGone = false;
  let firstSize: (size: TerminalSize | undefined) => void = () => undefined;
  const initialSize = new Promise<TerminalSize | undefined>((resolve) => (firstSize = resolve));
  // A TTY client sends its size at once; do not hold the start for one that does not.
  setTimeout(() => firstSize(undefined), 100).unref();

  const onFrame = (frame: Buffer) => {
    const decoded = decodeFrame(frame);
    if (!decoded || !process) return;
    const { channel, data } = decoded;
    if (channel === CHANNEL.stdin) {
      if (data.length) process.stdin?.write(data);
    } else if (channel === CHANNEL.resize) {
      const size = parseResize(data);
      if (size) process.resize(size);
    } else if (channel === CHANNEL.close && protocol === STREAM_PROTOCOL_V5) {
      if (data[0] === CHANNEL.stdin) process.stdin?.end();
    }
  };
  ws.on('message', (data: Buffer) => {
    if (!process) {
      const decoded = decodeFrame(data);
      if (decoded?.channel === CHANNEL.resize) firstSize(parseResize(decoded.data));
      early.push(data);
      return;
    }
    onFrame(data);
  });
  ws.on('close', () => {
    clientGone = true;
    process?.close();
  });
  ws.on('error', () => undefined);

  const pump = (source: Readable | undefined, channel: number) =>
    new Promise<void>((resolve) => {
      if (!source) return resolve();
      source.on('data', (chunk: Buffer) => {
        if (clientGone) return;
        ws.send(encodeFrame(channel, chunk));
        if (ws.bufferedAmount > 1 << 20) {
          source.pause();
          const wait = setInterval(() => {
            if (clientGone || ws.bufferedAmount < 1 << 18) {
              clearInterval(wait);
              source.resume();
            }
          }, 10);
        }
      });
      source.on('end', resolve);
      source.on('close', resolve);
      source.on('error', () => resolve());
    });

  return (async () => {
    try {
      process = await start(initialSize);
    } catch (err) {
      if (!clientGone) failSession(ws, failureStatus((err as Error).message));
      return;
    }
    if (clientGone) return process.close();
    for (const frame of early.splice(0)) onFrame(frame);
    const outputs = Promise.all([
      pump(process.stdout, CHANNEL.stdout),
      pump(process.stderr, CHANNEL.stderr),
    ]);
    let exitCode: number | undefined;
    let failure: string | undefined;
    try {
      exitCode = await process.done;
    } catch (err) {
      failure = (err as Error).message;
    }
    await outputs;
    if (clientGone) return;
    const status = failure ? failureStatus(failure) : exitStatus(exitCode, command);
    ws.send(encodeFrame(CHANNEL.error, JSON.stringify(status)), () => ws.close(1000));
  })();
}
