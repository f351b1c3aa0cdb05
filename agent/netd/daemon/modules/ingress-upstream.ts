// The Ingress controller's side towards backends (nginx's upstream keepalive pool): kept-alive TCP
// connections to endpoints and an HTTP/1.1 response reader that frames each response (RFC 9112
// §6.3) and hands its head and body on. Written for the data path instead of http.request: the
// client machinery (ClientRequest, Agent, IncomingMessage, pipe) was half of the Ingress's CPU per
// request, more than the whole HTTP server side (bench/net.ts). Client requests are still parsed
// by node:http.
import net from 'node:net';
import type { Endpoint } from '../config.ts';

/** A response head larger than this is refused (nginx's proxy_buffer_size is far smaller). */
const MAX_HEAD_BYTES = 64 * 1024;
/** A chunk-size or trailer line longer than this is refused. */
const MAX_LINE_BYTES = 8 * 1024;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const STATUS_LINE = /^HTTP\/1\.([01]) (\d{3})(?: ([^\r\n]*))?$/;
const CRLF = Buffer.from('\r\n');

export interface ResponseHead {
  status: number;
  reason: string;
  /** Flat [name, value, …] as received (names keep their case), like IncomingMessage.rawHeaders. */
  rawHeaders: string[];
}

export interface ResponseHandler {
  head(head: ResponseHead): void;
  body(chunk: Buffer): void;
  /** The response is complete; `reusable`: the connection may carry another request. */
  end(reusable: boolean): void;
}

/** A backend's response broke HTTP/1.1: the exchange fails with 502 and the connection is closed. */
export class ResponseError extends Error {
  readonly code = 'EPROTO';
}

type State =
  | 'idle'
  | 'head'
  | 'length'
  | 'chunk-size'
  | 'chunk-data'
  | 'chunk-crlf'
  | 'trailers'
  | 'close'
  | 'done';

/**
 * Reads one response at a time from a connection's bytes: `expect()` before each request, then
 * `feed()` every chunk read and `eof()` when the backend closed. Throws ResponseError on a
 * malformed response; bytes after a complete response make the connection unusable.
 */
export class ResponseReader {
  private state: State = 'idle';
  private handler: ResponseHandler | undefined;
  private headRequest = false;
  private keepAlive = true;
  /** Bytes of an unfinished head or line. */
  private pending: Buffer | undefined;
  private remaining = 0;
  /** Whether any byte of the current response arrived (a reused connection's stale close comes before any). */
  started = false;

  /** Starts reading the response to the next request; HEAD responses have no body. */
  expect(method: string, handler: ResponseHandler): void {
    if (this.busy) throw new Error('a response is still being read');
    this.state = 'head';
    this.handler = handler;
    this.headRequest = method === 'HEAD';
    this.keepAlive = true;
    this.pending = undefined;
    this.started = false;
  }

  /** Whether a response is being read. */
  get busy(): boolean {
    return this.state !== 'idle' && this.state !== 'done';
  }

  feed(chunk: Buffer): void {
    if (!this.busy) throw new ResponseError('data from the backend when no response was due');
    this.started = true;
    let data = chunk;
    while (data.length > 0) {
      if (!this.busy) throw new ResponseError('data from the backend after the response ended');
      data = this.step(data);
    }
  }

  /** The backend closed its side: completes a response delimited by the close, else throws. */
  eof(): void {
    if (this.state === 'close') {
      this.finish(false);
      return;
    }
    if (this.busy)
      throw new ResponseError('the backend closed the connection before the response ended');
  }

  private step(data: Buffer): Buffer {
    switch (this.state) {
      case 'head':
        return this.readHead(data);
      case 'length':
        return this.readBody(data, () => this.finish(this.keepAlive));
      case 'close':
        this.handler?.body(data);
        return data.subarray(data.length);
      case 'chunk-size':
        return this.readLine(data, (line) => {
          const size = /^([0-9a-fA-F]{1,12})[ \t]*(;.*)?$/.exec(line);
          if (!size)
            throw new ResponseError(`bad chunk size line ${JSON.stringify(line.slice(0, 40))}`);
          this.remaining = parseInt(size[1], 16);
          this.state = this.remaining === 0 ? 'trailers' : 'chunk-data';
        });
      case 'chunk-data':
        return this.readBody(data, () => (this.state = 'chunk-crlf'));
      case 'chunk-crlf':
        return this.readLine(data, (line) => {
          if (line !== '') throw new ResponseError('chunk data longer than its size');
          this.state = 'chunk-size';
        });
      case 'trailers':
        // Trailer fields are not passed on (nginx drops them too).
        return this.readLine(data, (line) => {
          if (line === '') this.finish(this.keepAlive);
        });
      default:
        throw new ResponseError(`unexpected state ${this.state}`);
    }
  }

  /** Hands on up to `remaining` bytes of body; `done` once they are all through. */
  private readBody(data: Buffer, done: () => void): Buffer {
    const n = Math.min(this.remaining, data.length);
    this.remaining -= n;
    this.handler?.body(data.subarray(0, n));
    if (this.remaining === 0) done();
    return data.subarray(n);
  }

  /** Collects one CRLF-terminated line (across chunks) and hands it over without its CRLF. */
  private readLine(data: Buffer, line: (text: string) => void): Buffer {
    const joined = this.pending ? Buffer.concat([this.pending, data]) : data;
    const end = joined.indexOf(CRLF);
    if (end < 0) {
      if (joined.length > MAX_LINE_BYTES) throw new ResponseError('a chunk line is too long');
      this.pending = joined;
      return data.subarray(data.length);
    }
    this.pending = undefined;
    line(joined.toString('latin1', 0, end));
    return joined.subarray(end + 2);
  }

  private readHead(data: Buffer): Buffer {
    const joined = this.pending ? Buffer.concat([this.pending, data]) : data;
    // Search from where the previous chunk could have started the blank line.
    const from = this.pending ? Math.max(0, this.pending.length - 3) : 0;
    const end = joined.indexOf('\r\n\r\n', from, 'latin1');
    if (end < 0) {
      if (joined.length > MAX_HEAD_BYTES) throw new ResponseError('the response head is too large');
      this.pending = joined;
      return data.subarray(data.length);
    }
    this.pending = undefined;
    const lines = joined.toString('latin1', 0, end).split('\r\n');
    const statusLine = STATUS_LINE.exec(lines[0]);
    if (!statusLine)
      throw new ResponseError(`bad status line ${JSON.stringify(lines[0].slice(0, 40))}`);
    const minor = Number(statusLine[1]);
    const status = Number(statusLine[2]);
    const rawHeaders: string[] = [];
    let contentLength: string | undefined;
    let transferEncoding: string | undefined;
    let connection = '';
    for (let i = 1; i < lines.length; i++) {
      const text = lines[i];
      const colon = text.indexOf(':');
      const name = colon > 0 ? text.slice(0, colon) : '';
      if (!TOKEN.test(name))
        throw new ResponseError(`bad header line ${JSON.stringify(text.slice(0, 40))}`);
      const value = text.slice(colon + 1).trim();
      switch (name.toLowerCase()) {
        case 'content-length':
          if (!/^\d{1,15}$/.test(value) || (contentLength !== undefined && contentLength !== value))
            throw new ResponseError(`bad Content-Length ${JSON.stringify(value)}`);
          contentLength = value;
          break;
        case 'transfer-encoding':
          transferEncoding =
            transferEncoding === undefined ? value : `${transferEncoding}, ${value}`;
          break;
        case 'connection':
          connection += `,${value.toLowerCase()}`;
          break;
      }
      rawHeaders.push(name, value);
    }
    const rest = joined.subarray(end + 4);
    if (status >= 100 && status < 200) {
      // Interim responses (103 Early Hints and the like) are not passed on; the final one follows.
      // 101 only answers an upgrade, which does not come this way.
      if (status === 101)
        throw new ResponseError('101 Switching Protocols to a request without Upgrade');
      return rest;
    }
    const tokens = connection.split(',').map((t) => t.trim());
    this.keepAlive = minor === 1 ? !tokens.includes('close') : tokens.includes('keep-alive');
    this.handler?.head({ status, reason: statusLine[3] ?? '', rawHeaders });
    if (this.headRequest || status === 204 || status === 304) {
      this.finish(this.keepAlive);
    } else if (transferEncoding !== undefined) {
      // Chunked must be the final coding; anything else runs until the backend closes (RFC 9112 §6.3).
      const chunked = /(^|,)\s*chunked\s*$/i.test(transferEncoding);
      if (contentLength !== undefined) this.keepAlive = false;
      this.state = chunked ? 'chunk-size' : 'close';
    } else if (contentLength !== undefined) {
      this.remaining = Number(contentLength);
      this.state = 'length';
      if (this.remaining === 0) this.finish(this.keepAlive);
    } else {
      this.state = 'close';
    }
    return rest;
  }

  private finish(reusable: boolean): void {
    this.state = 'done';
    const handler = this.handler;
    this.handler = undefined;
    handler?.end(reusable);
  }
}

/** A connect that took longer than allowed, as Go's and nginx's logs call it. */
export function timeoutError(): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error('connect timed out');
  err.code = 'ETIMEDOUT';
  return err;
}

export interface Exchange extends ResponseHandler {
  /** The connection failed or broke; `connected`: the TCP connection had been made. */
  error(err: NodeJS.ErrnoException, connected: boolean): void;
}

/** One kept-alive connection to an endpoint, carrying one request at a time. */
export class UpstreamConnection {
  readonly socket: net.Socket;
  /** Whether a previous exchange completed on it (its close may be a stale keep-alive). */
  reused = false;
  connected = false;
  idleSince = 0;
  private readonly reader = new ResponseReader();
  private exchange: Exchange | undefined;
  /** Stops sending the request body, if it is still being sent. */
  private stopBody: (() => void) | undefined;
  private connectTimer: NodeJS.Timeout | undefined;
  /** Called once connected (at once if already): the request body may be sent from then on. */
  private onConnect: (() => void) | undefined;

  constructor(
    readonly key: string,
    endpoint: Endpoint,
    connectTimeoutMs: number,
    private readonly release: (conn: UpstreamConnection, reusable: boolean) => void,
  ) {
    this.socket = net.connect({ host: endpoint.ip, port: endpoint.port, noDelay: true });
    this.connectTimer = setTimeout(() => this.fail(timeoutError()), connectTimeoutMs);
    this.socket.once('connect', () => {
      clearTimeout(this.connectTimer);
      this.connected = true;
      this.onConnect?.();
    });
    this.socket.on('data', (chunk: Buffer) => {
      try {
        this.reader.feed(chunk);
      } catch (err) {
        this.fail(err as NodeJS.ErrnoException);
      }
    });
    this.socket.on('error', (err) => this.fail(err));
    this.socket.on('close', () => {
      clearTimeout(this.connectTimer);
      if (!this.exchange) return this.release(this, false);
      try {
        this.reader.eof();
      } catch (err) {
        this.fail(err as NodeJS.ErrnoException);
      }
    });
  }

  /** Whether the current response has begun to arrive. */
  get responseStarted(): boolean {
    return this.reader.started;
  }

  /** Sends a request head (the body, if any, follows by write()) and reads its response. */
  send(method: string, head: string, exchange: Exchange, onConnect?: () => void): void {
    this.exchange = exchange;
    this.reader.expect(method, {
      head: (h) => exchange.head(h),
      body: (chunk) => exchange.body(chunk),
      end: (reusable) => {
        this.exchange = undefined;
        this.onConnect = undefined;
        // A response that came before the whole request body leaves the connection mid-request.
        const bodyUnsent = this.stopBody !== undefined;
        this.stopBody?.();
        exchange.end(reusable);
        this.reused = true;
        this.release(this, reusable && !bodyUnsent && !this.socket.destroyed);
      },
    });
    this.socket.write(head, 'latin1');
    this.onConnect = onConnect;
    if (this.connected) onConnect?.();
  }

  /** Streams the client's request body, chunk-encoded when `chunked`, with back-pressure both ways. */
  sendBody(body: NodeJS.ReadableStream, chunked: boolean): void {
    const socket = this.socket;
    const resume = () => body.resume();
    const onData = (chunk: Buffer) => {
      if (chunk.length === 0) return; // an empty chunk would read as the last one
      let ok: boolean;
      if (chunked) {
        socket.cork();
        socket.write(`${chunk.length.toString(16)}\r\n`, 'latin1');
        socket.write(chunk);
        ok = socket.write('\r\n', 'latin1');
        socket.uncork();
      } else ok = socket.write(chunk);
      if (!ok) {
        body.pause();
        socket.once('drain', resume);
      }
    };
    const onEnd = () => {
      this.stopBody?.();
      if (chunked) socket.write('0\r\n\r\n', 'latin1');
    };
    this.stopBody = () => {
      this.stopBody = undefined;
      body.off('data', onData);
      body.off('end', onEnd);
      socket.off('drain', resume);
    };
    body.on('data', onData);
    body.once('end', onEnd);
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  /** Abandons the connection (the client went away mid-exchange). */
  destroy(): void {
    this.exchange = undefined;
    this.stopBody?.();
    this.socket.destroy();
  }

  private fail(err: NodeJS.ErrnoException): void {
    clearTimeout(this.connectTimer);
    this.stopBody?.();
    const exchange = this.exchange;
    this.exchange = undefined;
    this.onConnect = undefined;
    this.socket.destroy();
    exchange?.error(err, this.connected);
  }
}

/** Idle connections per endpoint, newest first out (nginx's keepalive with a cap per upstream). */
export class UpstreamPool {
  private readonly idle = new Map<string, UpstreamConnection[]>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly options: {
      connectTimeoutMs: number;
      idleTimeoutMs: number;
      maxIdlePerEndpoint: number;
    },
  ) {
    this.sweeper = setInterval(() => this.sweep(), Math.max(1_000, options.idleTimeoutMs / 4));
    this.sweeper.unref();
  }

  /** An idle connection to the endpoint (unless `fresh`), or a new one. */
  acquire(endpoint: Endpoint, fresh = false): UpstreamConnection {
    const key = `${endpoint.ip}:${endpoint.port}`;
    const stack = fresh ? undefined : this.idle.get(key);
    while (stack && stack.length > 0) {
      const conn = stack.pop() as UpstreamConnection;
      if (stack.length === 0) this.idle.delete(key);
      if (!conn.socket.destroyed) return conn;
    }
    return new UpstreamConnection(key, endpoint, this.options.connectTimeoutMs, (c, reusable) =>
      this.release(c, reusable),
    );
  }

  /** Closes every idle connection and stops the sweeper. */
  destroy(): void {
    clearInterval(this.sweeper);
    for (const stack of this.idle.values()) for (const conn of stack) conn.socket.destroy();
    this.idle.clear();
  }

  private release(conn: UpstreamConnection, reusable: boolean): void {
    const stack = this.idle.get(conn.key) ?? [];
    const at = stack.indexOf(conn);
    if (at >= 0) stack.splice(at, 1); // it closed while idle
    if (reusable && stack.length < this.options.maxIdlePerEndpoint) {
      conn.idleSince = Date.now();
      stack.push(conn);
    } else conn.socket.destroy();
    if (stack.length > 0) this.idle.set(conn.key, stack);
    else this.idle.delete(conn.key);
  }

  private sweep(): void {
    const before = Date.now() - this.options.idleTimeoutMs;
    for (const [key, stack] of this.idle) {
      const keep = stack.filter((conn) => conn.idleSince > before);
      for (const conn of stack) if (conn.idleSince <= before) conn.socket.destroy();
      if (keep.length > 0) this.idle.set(key, keep);
      else this.idle.delete(key);
    }
  }
}
