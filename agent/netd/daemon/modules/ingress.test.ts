import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import tls from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import {
  createDefaultCertificate,
  createSelfSignedCertificate,
  type PemPair,
} from '../../../ingress/default-certificate.ts';
import type { IngressBackend, IngressConfig, IngressHost } from '../config.ts';
import { createControlServer } from '../server.ts';
import {
  compileRoutes,
  ingressModule,
  requestHostName,
  requestPath,
  route,
  type IngressModule,
} from './ingress.ts';

// --- fake backends -------------------------------------------------------------------------------

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

interface Backend {
  name: string;
  port: number;
  seen: Seen[];
  server: http.Server;
}

const backends: Backend[] = [];

/** An HTTP server answering `<name> <url>` and recording what it received. */
async function startBackend(
  name: string,
  handler?: (req: http.IncomingMessage, res: http.ServerResponse) => void,
): Promise<Backend> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    if (handler) return handler(req, res);
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      });
      res.end(`${name} ${req.url ?? ''}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const backend = { name, port: (server.address() as AddressInfo).port, seen, server };
  backends.push(backend);
  return backend;
}

/** A port nothing listens on (connect is refused). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const rawServers: { server: net.Server; sockets: Set<net.Socket> }[] = [];

/** A backend speaking raw TCP, for answers node:http would not give; stopped after each test. */
async function rawBackend(
  service: string,
  onConnection: (socket: net.Socket) => void,
): Promise<IngressBackend> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  rawServers.push({ server, sockets });
  return {
    service,
    endpoints: [{ ip: '127.0.0.1', port: (server.address() as AddressInfo).port }],
  };
}

const to = (b: Backend, service = b.name): IngressBackend => ({
  service,
  endpoints: [{ ip: '127.0.0.1', port: b.port }],
});

// --- the module ----------------------------------------------------------------------------------

let defaultCert: PemPair;
let certA: PemPair;
let certWild: PemPair;
const modules: IngressModule[] = [];
const logs: string[] = [];

beforeAll(async () => {
  [defaultCert, certA, certWild] = await Promise.all([
    createDefaultCertificate(),
    createSelfSignedCertificate([['CN', 'a.test']], ['a.test']),
    createSelfSignedCertificate([['CN', 'wild']], ['*.w.test']),
  ]);
});

afterEach(async () => {
  for (const m of modules.splice(0)) await m.stop?.();
  for (const b of backends.splice(0)) {
    b.server.closeAllConnections();
    await new Promise<void>((resolve) => b.server.close(() => resolve()));
  }
  for (const { server, sockets } of rawServers.splice(0)) {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
  logs.length = 0;
});

function config(hosts: IngressHost[], extra: Partial<IngressConfig> = {}): IngressConfig {
  return { hosts, tls: [], defaultCertificate: defaultCert, ...extra };
}

async function startModule(initial?: IngressConfig): Promise<IngressModule> {
  const m = ingressModule({
    host: '127.0.0.1',
    httpPort: 0,
    httpsPort: 0,
    log: (line) => logs.push(line),
  });
  modules.push(m);
  await m.start?.();
  if (initial) m.apply(initial);
  return m;
}

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  localPort: number;
}

function request(
  m: IngressModule,
  host: string,
  path: string,
  options: {
    method?: string;
    body?: string;
    agent?: http.Agent;
    headers?: Record<string, string>;
  } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: m.ports().http,
        path,
        method: options.method ?? 'GET',
        headers: { host, ...options.headers },
        agent: options.agent ?? false,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body,
            localPort: res.socket?.localPort ?? 0,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

// --- pure routing ----------------------------------------------------------------------------------

describe('routing rules', () => {
  const b = (service: string): IngressBackend => ({ service, endpoints: [] });
  const table = compileRoutes(
    config(
      [
        {
          host: 'a.test',
          paths: [
            { path: '/', pathType: 'Prefix', backend: b('root') },
            { path: '/foo', pathType: 'Prefix', backend: b('foo-prefix') },
            { path: '/foo', pathType: 'Exact', backend: b('foo-exact') },
            { path: '/foo/bar/', pathType: 'Prefix', backend: b('foobar') },
            { path: '/app', pathType: 'ImplementationSpecific', backend: b('app') },
            { path: '/exact/', pathType: 'Exact', backend: b('exact-slash') },
          ],
        },
        { host: '*.w.test', paths: [{ path: '/', pathType: 'Prefix', backend: b('wild') }] },
        {
          host: 'b.test',
          paths: [{ path: '/only', pathType: 'Exact', backend: b('b-only') }],
        },
        {
          host: '',
          paths: [
            { path: '/any', pathType: 'Prefix', backend: b('any') },
            { path: '/foo', pathType: 'Prefix', backend: b('any-foo') },
          ],
        },
        // A later duplicate path of the same host does not replace the first one.
        { host: 'a.test', paths: [{ path: '/foo', pathType: 'Prefix', backend: b('late') }] },
      ],
      { defaultBackend: b('default') },
    ),
  );
  const at = (host: string, path: string) => route(table, host, path)?.service;

  it('prefers an Exact path, then the longest Prefix', () => {
    expect(at('a.test', '/foo')).toBe('foo-exact');
    expect(at('a.test', '/foo/')).toBe('foo-prefix');
    expect(at('a.test', '/foo/x')).toBe('foo-prefix');
    expect(at('a.test', '/foo/bar')).toBe('foobar');
    expect(at('a.test', '/foo/bar/baz')).toBe('foobar');
    expect(at('a.test', '/other')).toBe('root');
    expect(at('a.test', '/')).toBe('root');
  });

  it('matches prefixes element by element, ImplementationSpecific as Prefix', () => {
    expect(at('a.test', '/foobar')).toBe('root');
    expect(at('a.test', '/foo/barbaz')).toBe('foo-prefix');
    expect(at('a.test', '/app/x')).toBe('app');
    expect(at('a.test', '/apps')).toBe('root');
  });

  it('matches Exact paths literally, trailing slash included', () => {
    expect(at('a.test', '/exact/')).toBe('exact-slash');
    expect(at('a.test', '/exact')).toBe('root');
  });

  it('matches a wildcard host on exactly one label', () => {
    expect(at('x.w.test', '/anything')).toBe('wild');
    expect(at('y.x.w.test', '/any')).toBe('any');
    expect(at('w.test', '/nothing')).toBe('default');
  });

  it('falls back to the host-less rules, then the default backend', () => {
    expect(at('b.test', '/only')).toBe('b-only');
    expect(at('b.test', '/any/thing')).toBe('any');
    expect(at('b.test', '/foo')).toBe('any-foo');
    expect(at('unknown.test', '/any')).toBe('any');
    expect(at('unknown.test', '/zzz')).toBe('default');
    const bare = compileRoutes(config([]));
    expect(route(bare, 'a.test', '/')).toBeUndefined();
  });

  it('normalises the request target like nginx before matching', () => {
    expect(requestPath('/foo?x=/bar')).toBe('/foo');
    expect(requestPath('/foo/./bar//baz/')).toBe('/foo/bar/baz/');
    expect(requestPath('/foo/../bar')).toBe('/bar');
    expect(requestPath('/%66oo')).toBe('/foo');
    expect(requestPath('/%zz')).toBe('/%zz');
    expect(requestPath('http://a.test/x/y?z')).toBe('/x/y');
    expect(at('a.test', requestPath('/foo/../exact/'))).toBe('exact-slash');
  });

  it('takes the host name from the Host header', () => {
    expect(requestHostName('A.Test:8080')).toBe('a.test');
    expect(requestHostName('a.test.')).toBe('a.test');
    expect(requestHostName('[::1]:80')).toBe('[::1]');
    expect(requestHostName(undefined)).toBe('');
  });
});

// --- over HTTP ---------------------------------------------------------------------------------

describe('ingressModule over HTTP', () => {
  it('routes by host and path to the right Service', async () => {
    const [a, b, c] = await Promise.all([startBackend('a'), startBackend('b'), startBackend('c')]);
    const m = await startModule(
      config([
        {
          host: 'a.localhost',
          paths: [
            { path: '/', pathType: 'Prefix', backend: to(a) },
            { path: '/api', pathType: 'Exact', backend: to(c) },
          ],
        },
        { host: 'b.localhost', paths: [{ path: '/', pathType: 'Prefix', backend: to(b) }] },
        { host: '*.wild.localhost', paths: [{ path: '/w', pathType: 'Prefix', backend: to(c) }] },
      ]),
    );
    expect((await request(m, 'a.localhost', '/x?q=1')).body).toBe('a /x?q=1');
    expect((await request(m, 'A.LOCALHOST:8080', '/api')).body).toBe('c /api');
    expect((await request(m, 'a.localhost', '/api/v1')).body).toBe('a /api/v1');
    expect((await request(m, 'b.localhost', '/api')).body).toBe('b /api');
    expect((await request(m, 'x.wild.localhost', '/w/1')).body).toBe('c /w/1');
    const miss = await request(m, 'x.wild.localhost', '/other');
    expect(miss.status).toBe(404);
  });

  it('answers 404 for unknown hosts with an nginx-like page, or the default backend when set', async () => {
    const d = await startBackend('default');
    const m = await startModule(config([]));
    const notFound = await request(m, 'nobody.test', '/');
    expect(notFound.status).toBe(404);
    expect(notFound.headers['content-type']).toBe('text/html');
    expect(notFound.body).toContain('<title>404 Not Found</title>');
    m.apply(config([], { defaultBackend: to(d) }));
    const served = await request(m, 'nobody.test', '/some/where');
    expect(served.status).toBe(200);
    expect(served.body).toBe('default /some/where');
  });

  it('answers 503 when the backend has no ready endpoint', async () => {
    const m = await startModule(
      config([
        {
          host: 'a.test',
          paths: [
            { path: '/', pathType: 'Prefix', backend: { service: 'ns/s:80', endpoints: [] } },
          ],
        },
      ]),
    );
    const reply = await request(m, 'a.test', '/');
    expect(reply.status).toBe(503);
    expect(reply.body).toContain('503 Service Temporarily Unavailable');
  });

  it('answers 502 when no endpoint can be reached, or the backend fails mid-way', async () => {
    const dead = await closedPort();
    const broken = await startBackend('broken', (req) => req.socket.destroy());
    const m = await startModule(
      config([
        {
          host: 'a.test',
          paths: [
            {
              path: '/refused',
              pathType: 'Prefix',
              backend: { service: 'ns/dead:80', endpoints: [{ ip: '127.0.0.1', port: dead }] },
            },
            { path: '/broken', pathType: 'Prefix', backend: to(broken) },
          ],
        },
      ]),
    );
    const refused = await request(m, 'a.test', '/refused');
    expect(refused.status).toBe(502);
    expect(refused.body).toContain('502 Bad Gateway');
    expect(logs.some((l) => l.includes(`127.0.0.1:${dead}: connect: connection refused`))).toBe(
      true,
    );
    expect((await request(m, 'a.test', '/broken')).status).toBe(502);
  });

  it('spreads requests round-robin and skips an endpoint that refuses connections', async () => {
    const [one, two] = await Promise.all([startBackend('one'), startBackend('two')]);
    const dead = await closedPort();
    const backend: IngressBackend = {
      service: 'ns/s:80',
      endpoints: [
        { ip: '127.0.0.1', port: one.port },
        { ip: '127.0.0.1', port: dead },
        { ip: '127.0.0.1', port: two.port },
      ],
    };
    const m = await startModule(
      config([{ host: '', paths: [{ path: '/', pathType: 'Prefix', backend }] }]),
    );
    const names: string[] = [];
    for (let i = 0; i < 6; i++) names.push((await request(m, 'x', '/')).body.split(' ')[0]);
    // one, (dead → two), two, one, (dead → two), two
    expect(names).toEqual(['one', 'two', 'two', 'one', 'two', 'two']);
    expect(one.seen.length + two.seen.length).toBe(6);
  });

  it('sets X-Forwarded-* and X-Real-IP, replacing what the client sent', async () => {
    const a = await startBackend('a');
    const m = await startModule(
      config([{ host: 'a.test', paths: [{ path: '/', pathType: 'Prefix', backend: to(a) }] }]),
    );
    await request(m, 'a.test:8080', '/p', {
      headers: { 'X-Forwarded-For': '6.6.6.6', 'X-Real-IP': '6.6.6.6', 'X-Custom': 'kept' },
    });
    const h = a.seen[0].headers;
    expect(h['x-forwarded-for']).toBe('127.0.0.1');
    expect(h['x-real-ip']).toBe('127.0.0.1');
    expect(h['x-forwarded-host']).toBe('a.test:8080');
    expect(h['x-forwarded-port']).toBe('8080');
    expect(h['x-forwarded-proto']).toBe('http');
    expect(h['x-request-id']).toMatch(/^[0-9a-f]{32}$/);
    expect(h.host).toBe('a.test:8080');
    expect(h['x-custom']).toBe('kept');
    await request(m, 'a.test', '/p', { headers: { 'X-Request-ID': 'abc' } });
    expect(a.seen[1].headers['x-forwarded-port']).toBe('80');
    expect(a.seen[1].headers['x-request-id']).toBe('abc');
    // Each request gets its own ID, across refills of the random pool (256 IDs each).
    for (let i = 0; i < 300; i++) await request(m, 'a.test', '/p');
    const ids = a.seen.slice(2).map((r) => r.headers['x-request-id']);
    expect(new Set(ids).size).toBe(300);
    expect(ids.every((id) => /^[0-9a-f]{32}$/.test(String(id)))).toBe(true);
  });

  it('streams request and response bodies both ways', async () => {
    const a = await startBackend('stream', (req, res) => {
      let total = 0;
      req.on('data', (chunk: Buffer) => {
        if (total === 0) {
          res.writeHead(200, { 'Content-Type': 'text/plain' });
          res.write('got-first;');
        }
        total += chunk.length;
      });
      req.on('end', () => res.end(`total=${total}`));
    });
    const m = await startModule(
      config([{ host: 'a.test', paths: [{ path: '/', pathType: 'Prefix', backend: to(a) }] }]),
    );
    const body = await new Promise<string>((resolve, reject) => {
      const req = http.request({
        host: '127.0.0.1',
        port: m.ports().http,
        method: 'POST',
        path: '/up',
        headers: { host: 'a.test' },
        agent: false,
      });
      req.on('error', reject);
      req.on('response', (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          // Only possible if the first chunk went through before the request finished.
          if (!text) req.end('second-chunk');
          text += c;
        });
        res.on('end', () => resolve(text));
      });
      req.write('first');
      req.flushHeaders();
    });
    expect(body).toBe('got-first;total=17');
  });

  it('keeps client connections alive, and applies new rules to the next request at once', async () => {
    const [a, b] = await Promise.all([
      startBackend('a', (_req, res) => res.writeHead(200, { Connection: 'close' }).end('a')),
      startBackend('b'),
    ]);
    const m = await startModule(
      config([{ host: 'x.test', paths: [{ path: '/', pathType: 'Prefix', backend: to(a) }] }]),
    );
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const first = await request(m, 'x.test', '/', { agent });
      expect(first.body).toBe('a');
      expect(first.headers.connection).toBe('keep-alive');
      m.apply(
        config([{ host: 'x.test', paths: [{ path: '/', pathType: 'Prefix', backend: to(b) }] }]),
      );
      const second = await request(m, 'x.test', '/', { agent });
      expect(second.body).toBe('b /');
      expect(second.localPort).toBe(first.localPort); // same client connection
    } finally {
      agent.destroy();
    }
  });

  it('passes every response framing through, keeping backend connections alive', async () => {
    let connections = 0;
    const a = await startBackend('a', (req, res) => {
      switch (req.url) {
        case '/chunked':
          res.write('one,');
          res.end('two');
          return;
        case '/empty':
          res.writeHead(204).end();
          return;
        case '/not-modified':
          res.writeHead(304, { ETag: '"x"' }).end();
          return;
        default:
          res.writeHead(200, { 'Content-Length': '6', 'X-Backend': 'a' }).end('length');
      }
    });
    a.server.on('connection', () => connections++);
    const m = await startModule(
      config([{ host: 'a.test', paths: [{ path: '/', pathType: 'Prefix', backend: to(a) }] }]),
    );
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const chunked = await request(m, 'a.test', '/chunked', { agent });
      expect(chunked).toMatchObject({ status: 200, body: 'one,two' });
      expect(chunked.headers['transfer-encoding']).toBe('chunked');
      const plain = await request(m, 'a.test', '/length', { agent });
      expect(plain).toMatchObject({ status: 200, body: 'length' });
      expect(plain.headers).toMatchObject({ 'content-length': '6', 'x-backend': 'a' });
      const head = await request(m, 'a.test', '/length', { agent, method: 'HEAD' });
      expect(head).toMatchObject({ status: 200, body: '' });
      expect(head.headers['content-length']).toBe('6');
      expect(await request(m, 'a.test', '/empty', { agent })).toMatchObject({ status: 204 });
      const cached = await request(m, 'a.test', '/not-modified', { agent });
      expect(cached).toMatchObject({ status: 304, body: '' });
      expect(cached.headers.etag).toBe('"x"');
      const posted = await request(m, 'a.test', '/length', { agent, method: 'POST', body: 'xyz' });
      expect(posted.body).toBe('length');
      expect(connections).toBe(1);
    } finally {
      agent.destroy();
    }
  });

  it('passes a body the backend ends by closing the connection', async () => {
    // An HTTP/1.0-style answer: no length, no chunks, the end of the body is the close.
    const raw = await rawBackend('raw', (socket) =>
      socket.once('data', () => socket.end('HTTP/1.1 200 OK\r\nX-Raw: 1\r\n\r\nuntil the close')),
    );
    const m = await startModule(
      config([{ host: 'a.test', paths: [{ path: '/', pathType: 'Prefix', backend: raw }] }]),
    );
    for (let i = 0; i < 2; i++)
      expect(await request(m, 'a.test', '/')).toMatchObject({
        status: 200,
        body: 'until the close',
      });
  });

  it('retries on a new connection when a kept-alive one turns out closed, and answers 502 to a broken response', async () => {
    // Answers once per connection, then drops the connection when it is used again (a backend
    // whose keep-alive timeout ran out just as the Ingress reused it).
    let connections = 0;
    const flaky = await rawBackend('flaky', (socket) => {
      connections++;
      let served = 0;
      socket.on('data', () => {
        if (served++ === 0) socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
        else socket.destroy();
      });
    });
    const broken = await rawBackend('broken', (socket) =>
      socket.once('data', () =>
        socket.end('HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxx'),
      ),
    );
    const m = await startModule(
      config([
        {
          host: 'a.test',
          paths: [
            { path: '/flaky', pathType: 'Prefix', backend: flaky },
            { path: '/broken', pathType: 'Prefix', backend: broken },
          ],
        },
      ]),
    );
    for (let i = 0; i < 3; i++)
      expect(await request(m, 'a.test', '/flaky')).toMatchObject({ status: 200, body: 'ok' });
    expect(connections).toBe(3);
    expect((await request(m, 'a.test', '/broken')).status).toBe(502);
    expect(logs.some((l) => l.includes('bad Content-Length'))).toBe(true);
  });

  it('passes WebSocket upgrades through', async () => {
    const a = await startBackend('ws');
    const wss = new WebSocketServer({ server: a.server });
    let upgradeHeaders: http.IncomingHttpHeaders = {};
    wss.on('connection', (socket, req) => {
      upgradeHeaders = req.headers;
      socket.on('message', (data: Buffer) => socket.send(`echo:${data.toString()}`));
    });
    const m = await startModule(
      config([{ host: 'ws.test', paths: [{ path: '/ws', pathType: 'Prefix', backend: to(a) }] }]),
    );
    const client = new WebSocket(`ws://127.0.0.1:${m.ports().http}/ws/chat`, {
      headers: { Host: 'ws.test' },
    });
    const reply = await new Promise<string>((resolve, reject) => {
      client.on('open', () => client.send('hello'));
      client.on('message', (data: Buffer) => resolve(data.toString()));
      client.on('error', reject);
    });
    expect(reply).toBe('echo:hello');
    expect(upgradeHeaders['x-forwarded-for']).toBe('127.0.0.1');
    expect(upgradeHeaders['x-forwarded-proto']).toBe('http');
    client.close();
    wss.close();

    // No rule for the path: the upgrade is answered 404 like a plain request.
    const refused = new WebSocket(`ws://127.0.0.1:${m.ports().http}/nope`, {
      headers: { Host: 'ws.test' },
    });
    const status = await new Promise<number>((resolve) => {
      refused.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      refused.on('error', () => resolve(-1));
    });
    expect(status).toBe(404);
  });
});

describe('ingressModule lifecycle', () => {
  it('stop() closes the listeners, keep-alive connections and open tunnels', async () => {
    const a = await startBackend('ws');
    const wss = new WebSocketServer({ server: a.server });
    const m = await startModule(
      config([{ host: 'ws.test', paths: [{ path: '/', pathType: 'Prefix', backend: to(a) }] }]),
    );
    const { http: httpPort, https: httpsPort } = m.ports();
    expect(httpPort).toBeGreaterThan(0);
    expect(httpsPort).toBeGreaterThan(0);
    const client = new WebSocket(`ws://127.0.0.1:${httpPort}/`, { headers: { Host: 'ws.test' } });
    await new Promise((resolve, reject) => {
      client.on('open', resolve);
      client.on('error', reject);
    });
    const closed = new Promise((resolve) => client.on('close', resolve));
    await m.stop?.();
    await closed;
    const refused = await new Promise<string>((resolve) => {
      const socket = net.connect(httpPort, '127.0.0.1');
      socket.on('connect', () => resolve('connected'));
      socket.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? ''));
    });
    expect(refused).toBe('ECONNREFUSED');
    wss.close();
  });

  it('fails to start when a port is taken', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as AddressInfo;
    const m = ingressModule({ host: '127.0.0.1', httpPort: 0, httpsPort: port });
    await expect(Promise.resolve(m.start?.())).rejects.toThrow(/EADDRINUSE/);
    await m.stop?.();
    await new Promise<void>((resolve) => blocker.close(() => resolve()));
  });
});

// --- over HTTPS ----------------------------------------------------------------------------------

/** The certificate served for an SNI name (undefined: none sent). */
function peerCertificate(m: IngressModule, servername?: string): Promise<tls.PeerCertificate> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect(
      { host: '127.0.0.1', port: m.ports().https, servername, rejectUnauthorized: false },
      () => {
        const cert = socket.getPeerCertificate();
        socket.end();
        resolve(cert);
      },
    );
    socket.on('error', reject);
  });
}

describe('ingressModule over HTTPS', () => {
  it('chooses the certificate by SNI: exact, then wildcard, then the default one', async () => {
    const a = await startBackend('a');
    const m = await startModule(
      config([{ host: 'a.test', paths: [{ path: '/', pathType: 'Prefix', backend: to(a) }] }], {
        tls: [
          { hosts: ['a.test'], ...certA },
          { hosts: ['*.w.test'], ...certWild },
        ],
      }),
    );
    expect((await peerCertificate(m, 'a.test')).subject.CN).toBe('a.test');
    expect((await peerCertificate(m, 'A.Test')).subject.CN).toBe('a.test');
    expect((await peerCertificate(m, 'x.w.test')).subject.CN).toBe('wild');
    expect((await peerCertificate(m, 'y.x.w.test')).subject.CN).toBe(
      'Kubernetes Ingress Controller Fake Certificate',
    );
    expect((await peerCertificate(m, 'other.test')).subject.CN).toBe(
      'Kubernetes Ingress Controller Fake Certificate',
    );
    expect((await peerCertificate(m)).subject.CN).toBe(
      'Kubernetes Ingress Controller Fake Certificate',
    );

    // A client trusting the Secret's certificate gets a verified connection and the backend.
    const body = await new Promise<string>((resolve, reject) => {
      const req = https.request(
        {
          host: '127.0.0.1',
          port: m.ports().https,
          servername: 'a.test',
          path: '/secure',
          headers: { host: 'a.test' },
          ca: certA.cert,
          agent: false,
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => resolve(text));
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(body).toBe('a /secure');
    expect(a.seen[0].headers['x-forwarded-proto']).toBe('https');
    expect(a.seen[0].headers['x-forwarded-port']).toBe('443');
  });

  it("serves a Secret's certificate whatever its key type, to clients preferring ECDSA", async () => {
    // curl and browsers list ECDSA signature algorithms first; OpenSSL keeps the default
    // certificate's key type beside the SNI-chosen one, so the key types must not clash.
    const rsa = await createSelfSignedCertificate([['CN', 'rsa.test']], ['rsa.test'], {
      rsa: true,
    });
    const m = await startModule(config([], { tls: [{ hosts: ['rsa.test'], ...rsa }] }));
    const served = (servername: string, sigalgs: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = tls.connect(
          {
            host: '127.0.0.1',
            port: m.ports().https,
            servername,
            sigalgs,
            rejectUnauthorized: false,
          },
          () => {
            resolve(String(socket.getPeerCertificate().subject.CN));
            socket.end();
          },
        );
        socket.on('error', reject);
      });
    const ecdsaFirst = 'ecdsa_secp256r1_sha256:rsa_pss_rsae_sha256:rsa_pkcs1_sha256';
    expect(await served('rsa.test', ecdsaFirst)).toBe('rsa.test');
    expect(await served('a.test', ecdsaFirst)).toBe(
      'Kubernetes Ingress Controller Fake Certificate',
    );
    expect(await served('a.test', 'rsa_pss_rsae_sha256')).toBe(
      'Kubernetes Ingress Controller Fake Certificate',
    );
  });

  it('skips a TLS entry whose PEM is bad and keeps the others, and changes certificates live', async () => {
    const m = await startModule();
    const errors = m.apply(
      config([], {
        tls: [
          { hosts: ['bad.test'], cert: 'not a certificate', key: certA.key },
          { hosts: ['a.test'], ...certA },
        ],
      }),
    );
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('tls[0] (bad.test)');
    expect(logs.some((l) => l.includes('tls[0] (bad.test)'))).toBe(true);
    expect((await peerCertificate(m, 'a.test')).subject.CN).toBe('a.test');
    expect((await peerCertificate(m, 'bad.test')).subject.CN).toBe(
      'Kubernetes Ingress Controller Fake Certificate',
    );
    // Default certificate replaced without restarting the server.
    const newDefault = await createSelfSignedCertificate([['CN', 'new-default']], ['x.test']);
    m.apply({
      hosts: [],
      tls: [{ hosts: ['w.test'], ...certWild }],
      defaultCertificate: newDefault,
    });
    expect((await peerCertificate(m)).subject.CN).toBe('new-default');
    expect((await peerCertificate(m, 'a.test')).subject.CN).toBe('new-default');
    expect((await peerCertificate(m, 'w.test')).subject.CN).toBe('wild');
  });
});

// --- the control route ------------------------------------------------------------------------------

describe('PUT /v1/ingress', () => {
  let control: ReturnType<typeof createControlServer>;
  let m: IngressModule;
  let base: string;

  beforeAll(async () => {
    m = ingressModule({ host: '127.0.0.1', httpPort: 0, httpsPort: 0 });
    await m.start?.();
    control = createControlServer('t0ken', [m]);
    await new Promise<void>((resolve) => control.server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(control.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await control.close();
    await m.stop?.();
  });

  const put = async (body: unknown) => {
    const res = await fetch(`${base}/v1/ingress`, {
      method: 'PUT',
      headers: { Authorization: 'Bearer t0ken', 'Content-Type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return {
      status: res.status,
      body: (await res.json()) as { error?: string; errors?: string[] },
    };
  };

  it('applies a valid document and reports per-entry TLS errors', async () => {
    const a = await startBackend('a');
    const reply = await put(
      config([{ host: 'a.test', paths: [{ path: '/', pathType: 'Exact', backend: to(a) }] }], {
        tls: [{ hosts: ['a.test'], cert: certA.cert, key: 'garbage' }],
      }),
    );
    expect(reply.status).toBe(200);
    expect(reply.body.errors).toHaveLength(1);
    expect(reply.body.errors?.[0]).toContain('tls[0] (a.test)');
    expect((await request(m, 'a.test', '/')).body).toBe('a /');
  });

  it('rejects a bad document with 400 naming the field, leaving the rules as they were', async () => {
    const a = await startBackend('a');
    const good = config([
      { host: 'a.test', paths: [{ path: '/', pathType: 'Prefix', backend: to(a) }] },
    ]);
    expect((await put(good)).status).toBe(200);
    const bad = (mutate: (doc: Record<string, unknown>) => void) => {
      const doc = JSON.parse(JSON.stringify(good)) as Record<string, unknown>;
      mutate(doc);
      return put(doc);
    };
    type Doc = { hosts: { host: string; paths: Record<string, unknown>[] }[] };
    const cases: [(d: Record<string, unknown>) => void, string][] = [
      [
        (d) => ((d as unknown as Doc).hosts[0].paths[0].pathType = 'Regex'),
        'hosts[0].paths[0].pathType',
      ],
      [(d) => ((d as unknown as Doc).hosts[0].paths[0].path = 'x'), 'hosts[0].paths[0].path'],
      [(d) => ((d as unknown as Doc).hosts[0].host = 'bad host'), 'hosts[0].host'],
      [
        (d) =>
          ((d as unknown as Doc).hosts[0].paths[0].backend = {
            service: 's',
            endpoints: [{ ip: 'nope', port: 1 }],
          }),
        'hosts[0].paths[0].backend.endpoints[0].ip',
      ],
      [(d) => delete d.tls, 'tls'],
      [
        (d) => (d.defaultBackend = { service: 's', endpoints: [{ ip: '1.2.3.4', port: 0 }] }),
        'defaultBackend.endpoints[0].port',
      ],
      [(d) => (d.defaultCertificate = { cert: 'x', key: 'y' }), 'defaultCertificate'],
    ];
    for (const [mutate, name] of cases) {
      const reply = await bad(mutate);
      expect(reply.status, name).toBe(400);
      expect(reply.body.error?.startsWith(`${name}:`), reply.body.error).toBe(true);
    }
    expect((await put('{not json')).status).toBe(400);
    expect((await request(m, 'a.test', '/still')).body).toBe('a /still');
  });
});
