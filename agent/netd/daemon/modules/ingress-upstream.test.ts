import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../../../../test/support/helpers.ts';
import {
  ResponseError,
  ResponseReader,
  UpstreamPool,
  type Exchange,
  type ResponseHead,
  type UpstreamConnection,
} from './ingress-upstream.ts';

interface Read {
  head?: ResponseHead;
  body: string;
  ended?: boolean;
  reusable?: boolean;
}

function reader(method = 'GET'): { r: ResponseReader; read: Read } {
  const r = new ResponseReader();
  const read: Read = { body: '' };
  r.expect(method, {
    head: (h) => (read.head = h),
    body: (c) => (read.body += c.toString('latin1')),
    end: (reusable) => {
      read.ended = true;
      read.reusable = reusable;
    },
  });
  return { r, read };
}

/** Feeds the text whole, then again split at every byte, and checks both readings agree. */
function readAll(text: string, method = 'GET', eof = false): Read {
  const whole = reader(method);
  whole.r.feed(Buffer.from(text, 'latin1'));
  if (eof) whole.r.eof();
  for (let cut = 1; cut < text.length; cut++) {
    const split = reader(method);
    split.r.feed(Buffer.from(text.slice(0, cut), 'latin1'));
    split.r.feed(Buffer.from(text.slice(cut), 'latin1'));
    if (eof) split.r.eof();
    expect(split.read, `split at ${cut}`).toEqual(whole.read);
  }
  return whole.read;
}

describe('ResponseReader', () => {
  it('reads a Content-Length body and keeps the connection', () => {
    const read = readAll('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: b\r\n\r\nhello');
    expect(read.head).toEqual({
      status: 200,
      reason: 'OK',
      rawHeaders: ['Content-Length', '5', 'X-A', 'b'],
    });
    expect(read).toMatchObject({ body: 'hello', ended: true, reusable: true });
  });

  it('reads a chunked body, skipping extensions and trailers', () => {
    const read = readAll(
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\nA\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\n',
    );
    expect(read).toMatchObject({ body: 'hello0123456789', ended: true, reusable: true });
  });

  it('reads until the close when nothing frames the body, and does not keep the connection', () => {
    const read = readAll('HTTP/1.1 200 OK\r\nX: y\r\n\r\nuntil the end', 'GET', true);
    expect(read).toMatchObject({ body: 'until the end', ended: true, reusable: false });
  });

  it('expects no body after HEAD, 204 and 304, whatever Content-Length says', () => {
    expect(readAll('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n', 'HEAD')).toMatchObject({
      body: '',
      ended: true,
      reusable: true,
    });
    expect(readAll('HTTP/1.1 204 No Content\r\n\r\n')).toMatchObject({ ended: true });
    expect(readAll('HTTP/1.1 304 Not Modified\r\nContent-Length: 3\r\n\r\n')).toMatchObject({
      ended: true,
      reusable: true,
    });
  });

  it('skips interim 1xx responses', () => {
    const read = readAll(
      'HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok',
    );
    expect(read.head?.status).toBe(200);
    expect(read.body).toBe('ok');
  });

  it('follows Connection: close and HTTP/1.0 keep-alive rules', () => {
    expect(
      readAll('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n'),
    ).toMatchObject({ reusable: false });
    expect(readAll('HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n')).toMatchObject({
      reusable: false,
    });
    expect(
      readAll('HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n'),
    ).toMatchObject({ reusable: true });
    // Both framings: Transfer-Encoding wins and the connection is closed afterwards (RFC 9112 §6.3).
    expect(
      readAll(
        'HTTP/1.1 200 OK\r\nContent-Length: 99\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n',
      ),
    ).toMatchObject({ body: 'x', reusable: false });
  });

  it('rejects malformed responses, naming what is wrong', () => {
    const fails = (text: string, method = 'GET') => {
      const { r } = reader(method);
      return () => r.feed(Buffer.from(text, 'latin1'));
    };
    expect(fails('HTTP/2 200 OK\r\n\r\n')).toThrow(/bad status line/);
    expect(fails('HTTP/1.1 200 OK\r\nno colon\r\n\r\n')).toThrow(/bad header line/);
    expect(fails('HTTP/1.1 200 OK\r\n folded\r\n\r\n')).toThrow(/bad header line/);
    expect(fails('HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n')).toThrow(
      /bad Content-Length/,
    );
    expect(fails('HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n')).toThrow(/bad Content-Length/);
    expect(fails('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n')).toThrow(
      /bad chunk size/,
    );
    expect(fails('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nxy\r\n')).toThrow(
      /longer than its size/,
    );
    expect(fails('HTTP/1.1 101 Switching Protocols\r\n\r\n')).toThrow(ResponseError);
    expect(fails(`HTTP/1.1 200 OK\r\nX: ${'a'.repeat(70_000)}`)).toThrow(/too large/);
    expect(fails('HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nab')).toThrow(
      /after the response ended/,
    );
  });

  it('fails a response cut short by the close, and refuses data nobody asked for', () => {
    const { r } = reader();
    r.feed(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc'));
    expect(() => r.eof()).toThrow(/before the response ended/);
    expect(() => new ResponseReader().feed(Buffer.from('x'))).toThrow(/no response was due/);
  });
});

describe('UpstreamPool', () => {
  const servers: net.Server[] = [];
  const pools: UpstreamPool[] = [];
  afterEach(async () => {
    for (const p of pools.splice(0)) p.destroy();
    for (const s of servers.splice(0)) await new Promise((resolve) => s.close(resolve));
  });

  /** A backend answering each request line with a fixed response; counts its connections. */
  async function backend(answer: string): Promise<{ port: number; connections: () => number }> {
    let connections = 0;
    const server = net.createServer((socket) => {
      connections++;
      socket.on('data', () => socket.write(answer));
      socket.on('error', () => undefined);
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { port: (server.address() as AddressInfo).port, connections: () => connections };
  }

  function newPool(idleTimeoutMs = 60_000): UpstreamPool {
    const pool = new UpstreamPool({
      connectTimeoutMs: 1_000,
      idleTimeoutMs,
      maxIdlePerEndpoint: 4,
    });
    pools.push(pool);
    return pool;
  }

  /** One GET on a connection from the pool: what was read, and the connection it went on. */
  function exchange(
    pool: UpstreamPool,
    port: number,
    fresh = false,
  ): Promise<Read & { conn: UpstreamConnection }> {
    return new Promise((resolve, reject) => {
      const read: Read = { body: '' };
      const conn = pool.acquire({ ip: '127.0.0.1', port }, fresh);
      const ex: Exchange = {
        head: (h) => (read.head = h),
        body: (c) => (read.body += c.toString()),
        end: (reusable) => resolve({ ...read, ended: true, reusable, conn }),
        error: reject,
      };
      conn.send('GET', 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', ex);
    });
  }

  it('reuses an idle connection, newest first, and opens another when asked for a fresh one', async () => {
    const b = await backend('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
    const pool = newPool();
    for (let i = 0; i < 3; i++) expect((await exchange(pool, b.port)).body).toBe('ok');
    expect(b.connections()).toBe(1);
    await exchange(pool, b.port, true);
    expect(b.connections()).toBe(2);
  });

  it('drops a connection the backend closed, or one that may not be kept', async () => {
    const b = await backend('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok');
    const pool = newPool();
    expect(await exchange(pool, b.port)).toMatchObject({ body: 'ok', reusable: false });
    await exchange(pool, b.port);
    expect(b.connections()).toBe(2);
  });

  it('closes connections idle longer than the idle timeout', async () => {
    const b = await backend('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
    const pool = newPool(100);
    const { conn } = await exchange(pool, b.port);
    await eventually('the idle connection closed', () => conn.socket.destroyed, 3_000);
  });

  it('reports a refused connect as not connected', async () => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const pool = newPool();
    const failure = (ip: string, p: number) =>
      new Promise<{ code?: string; connected: boolean }>((resolve) =>
        pool.acquire({ ip, port: p }).send('GET', 'GET / HTTP/1.1\r\n\r\n', {
          head: () => undefined,
          body: () => undefined,
          end: () => undefined,
          error: (err, connected) => resolve({ code: err.code, connected }),
        }),
      );
    expect(await failure('127.0.0.1', port)).toEqual({ code: 'ECONNREFUSED', connected: false });
  });
});
