// netd's Ingress module: the data plane of the Ingress controller (ingress-nginx's role for the
// `skiff` IngressClass): HTTP and HTTPS servers routing by host and path to Service endpoints, with
// certificates from TLS Secrets chosen by SNI. The agent PUTs the merged rules to /v1/ingress.
import { randomFillSync } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import {
  INGRESS_HTTP_PORT,
  INGRESS_HTTPS_PORT,
  type Endpoint,
  type IngressBackend,
  type IngressConfig,
  type IngressHost,
  type IngressPath,
  type IngressTls,
} from '../config.ts';
import { readJson, sendJson, type NetdModule } from '../server.ts';
import {
  timeoutError,
  UpstreamPool,
  type Exchange,
  type UpstreamConnection,
} from './ingress-upstream.ts';
import { dialError } from './probes.ts';

export interface IngressModuleOptions {
  /** Default INGRESS_HTTP_PORT; 0 picks a free port (see ports()). */
  httpPort?: number;
  /** Default INGRESS_HTTPS_PORT; 0 picks a free port. */
  httpsPort?: number;
  /** Address to listen on (default 0.0.0.0). */
  host?: string;
  log?(line: string): void;
  /** How long a backend connect may take before the next endpoint is tried (default 5 s, nginx's proxy_connect_timeout). */
  connectTimeoutMs?: number;
}

export interface IngressModule extends NetdModule {
  /**
   * Replaces the routes and certificates for the next request and handshake; returns per-item
   * errors (a TLS entry whose PEM does not load is skipped). Throws if the default certificate
   * does not load.
   */
  apply(config: IngressConfig): string[];
  /** The ports the servers are bound to (after start). */
  ports(): { http: number; https: number };
}

/** Endpoints tried for one request before giving up (nginx's proxy_next_upstream_tries is 3). */
const MAX_TRIES = 3;
/** How long a kept-alive backend connection may sit idle (nginx's keepalive_timeout is 60 s). */
const UPSTREAM_IDLE_TIMEOUT_MS = 60_000;
/** Idle backend connections kept per endpoint (nginx's keepalive default is 320 per upstream). */
const UPSTREAM_MAX_IDLE = 64;

// --- validation ----------------------------------------------------------------------------------

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function field(ok: boolean, path: string, what: string): void {
  if (!ok) throw new Error(`${path}: ${what}`);
}

function array(value: unknown, path: string): unknown[] {
  field(Array.isArray(value), path, 'must be an array');
  return value as unknown[];
}

function object(value: unknown, path: string): Obj {
  field(isObj(value), path, 'must be an object');
  return value as Obj;
}

function string(value: unknown, path: string): string {
  field(typeof value === 'string', path, 'must be a string');
  return value as string;
}

const HOST_RE = /^(\*\.)?[a-z0-9]([a-z0-9_-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9_-]*[a-z0-9])?)*$/;
const PATH_TYPES = ['Exact', 'Prefix', 'ImplementationSpecific'];

function hostName(value: unknown, path: string, allowEmpty: boolean): string {
  const host = string(value, path).toLowerCase();
  if (host === '' && allowEmpty) return host;
  field(HOST_RE.test(host), path, `invalid host ${JSON.stringify(value)}`);
  return host;
}

function backend(value: unknown, path: string): IngressBackend {
  const b = object(value, path);
  const service = string(b.service, `${path}.service`);
  const endpoints = array(b.endpoints, `${path}.endpoints`).map((e, i): Endpoint => {
    const where = `${path}.endpoints[${i}]`;
    const ep = object(e, where);
    field(
      typeof ep.ip === 'string' && net.isIP(ep.ip) !== 0,
      `${where}.ip`,
      'must be an IP address',
    );
    field(
      typeof ep.port === 'number' && Number.isInteger(ep.port) && ep.port > 0 && ep.port < 65536,
      `${where}.port`,
      'must be a port number (1-65535)',
    );
    return { ip: ep.ip as string, port: ep.port as number };
  });
  return { service, endpoints };
}

/** Checks a PUT body field by field; throws naming the first bad field. */
export function validateIngressConfig(body: unknown): IngressConfig {
  const doc = object(body, 'body');
  const hosts = array(doc.hosts, 'hosts').map((h, i): IngressHost => {
    const where = `hosts[${i}]`;
    const entry = object(h, where);
    return {
      host: hostName(entry.host, `${where}.host`, true),
      paths: array(entry.paths, `${where}.paths`).map((p, j): IngressPath => {
        const at = `${where}.paths[${j}]`;
        const item = object(p, at);
        const path = string(item.path, `${at}.path`);
        field(path.startsWith('/'), `${at}.path`, 'must start with "/"');
        field(
          typeof item.pathType === 'string' && PATH_TYPES.includes(item.pathType),
          `${at}.pathType`,
          `must be one of ${PATH_TYPES.join(', ')}`,
        );
        return {
          path,
          pathType: item.pathType as IngressPath['pathType'],
          backend: backend(item.backend, `${at}.backend`),
        };
      }),
    };
  });
  const tlsEntries = array(doc.tls, 'tls').map((t, i): IngressTls => {
    const where = `tls[${i}]`;
    const entry = object(t, where);
    return {
      hosts: array(entry.hosts, `${where}.hosts`).map((h, j) =>
        hostName(h, `${where}.hosts[${j}]`, false),
      ),
      cert: string(entry.cert, `${where}.cert`),
      key: string(entry.key, `${where}.key`),
    };
  });
  const def = object(doc.defaultCertificate, 'defaultCertificate');
  const config: IngressConfig = {
    hosts,
    tls: tlsEntries,
    defaultCertificate: {
      cert: string(def.cert, 'defaultCertificate.cert'),
      key: string(def.key, 'defaultCertificate.key'),
    },
  };
  if (doc.defaultBackend !== undefined)
    config.defaultBackend = backend(doc.defaultBackend, 'defaultBackend');
  return config;
}

// --- routing -------------------------------------------------------------------------------------

interface HostRoutes {
  exact: Map<string, IngressBackend>;
  /** Prefixes without their trailing '/' ('' for '/'), longest first. */
  prefixes: { prefix: string; backend: IngressBackend }[];
}

export interface RouteTable {
  hosts: Map<string, HostRoutes>;
  /** Keyed by the suffix after '*' (e.g. `.example.com`). */
  wildcards: Map<string, HostRoutes>;
  /** Rules without a host. */
  any: HostRoutes | undefined;
  defaultBackend: IngressBackend | undefined;
}

export function compileRoutes(config: IngressConfig): RouteTable {
  const table: RouteTable = {
    hosts: new Map(),
    wildcards: new Map(),
    any: undefined,
    defaultBackend: config.defaultBackend,
  };
  for (const entry of config.hosts) {
    let routes: HostRoutes | undefined;
    const host = entry.host.toLowerCase();
    const map = host.startsWith('*.') ? table.wildcards : table.hosts;
    const key = host.startsWith('*.') ? host.slice(1) : host;
    routes = host === '' ? table.any : map.get(key);
    if (!routes) {
      routes = { exact: new Map(), prefixes: [] };
      if (host === '') table.any = routes;
      else map.set(key, routes);
    }
    // The agent sends the oldest Ingress first: for the same path the first one wins.
    for (const p of entry.paths) {
      if (p.pathType === 'Exact') {
        if (!routes.exact.has(p.path)) routes.exact.set(p.path, p.backend);
        continue;
      }
      const prefix = p.path.replace(/\/+$/, '');
      if (!routes.prefixes.some((r) => r.prefix === prefix))
        routes.prefixes.push({ prefix, backend: p.backend });
    }
  }
  // Stable sort: equal lengths keep their order.
  const sortRoutes = (r: HostRoutes) =>
    r.prefixes.sort((a, b) => b.prefix.length - a.prefix.length);
  for (const r of table.hosts.values()) sortRoutes(r);
  for (const r of table.wildcards.values()) sortRoutes(r);
  if (table.any) sortRoutes(table.any);
  return table;
}

function matchPath(routes: HostRoutes, path: string): IngressBackend | undefined {
  const exact = routes.exact.get(path);
  if (exact) return exact;
  for (const { prefix, backend } of routes.prefixes) {
    // Element-wise: /foo matches /foo and /foo/bar, not /foobar.
    if (
      prefix === '' ||
      (path.startsWith(prefix) && (path.length === prefix.length || path[prefix.length] === '/'))
    )
      return backend;
  }
  return undefined;
}

/** The Host header's name: port stripped, lower-case, no trailing dot. */
export function requestHostName(header: string | undefined): string {
  if (!header) return '';
  let host = header.trim().toLowerCase();
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    return end > 0 ? host.slice(0, end + 1) : host;
  }
  const colon = host.indexOf(':');
  if (colon >= 0) host = host.slice(0, colon);
  return host.endsWith('.') ? host.slice(0, -1) : host;
}

/** The path a request's target matches by: no query, percent-decoded, dot segments and // resolved (as nginx normalises). */
export function requestPath(target: string | undefined): string {
  let path = target ?? '/';
  if (!path.startsWith('/')) {
    try {
      path = new URL(path).pathname; // absolute-form
    } catch {
      return path;
    }
  }
  const q = path.search(/[?#]/);
  if (q >= 0) path = path.slice(0, q);
  if (path.includes('%')) {
    try {
      path = decodeURIComponent(path);
    } catch {
      // A malformed escape: match on the raw text.
    }
  }
  if (!path.includes('//') && !path.includes('/.')) return path;
  const out: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') out.pop();
    else out.push(segment);
  }
  const trailing = /\/\.{0,2}$/.test(path) && out.length > 0;
  return `/${out.join('/')}${trailing ? '/' : ''}`;
}

function hostRoutes(table: RouteTable, host: string): HostRoutes | undefined {
  const exact = table.hosts.get(host);
  if (exact) return exact;
  const dot = host.indexOf('.');
  if (dot > 0) return table.wildcards.get(host.slice(dot));
  return undefined;
}

/** Host, then the host-less rules, then the default backend; undefined: 404. */
export function route(table: RouteTable, host: string, path: string): IngressBackend | undefined {
  const routes = hostRoutes(table, host);
  return (
    (routes && matchPath(routes, path)) ??
    (table.any && matchPath(table.any, path)) ??
    table.defaultBackend
  );
}

// --- certificates ----------------------------------------------------------------------------------

interface TlsTable {
  hosts: Map<string, tls.SecureContext>;
  wildcards: Map<string, tls.SecureContext>;
  fallback: tls.SecureContext;
}

// --- proxying --------------------------------------------------------------------------------------

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);
/**
 * Set by the proxy itself: a client's own values are not passed on (ingress-nginx's default), except
 * X-Request-ID, which is kept when the client sent one.
 */
const SET_BY_PROXY = new Set([
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-port',
  'x-forwarded-proto',
  'x-forwarded-scheme',
  'x-real-ip',
  'x-scheme',
  'x-request-id',
  'expect',
]);

function connectionTokens(raw: string[]): Set<string> {
  const tokens = new Set<string>();
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i].toLowerCase() !== 'connection') continue;
    for (const t of raw[i + 1].split(',')) tokens.add(t.trim().toLowerCase());
  }
  return tokens;
}

function clientIp(socket: net.Socket): string {
  const ip = socket.remoteAddress ?? '';
  return ip.startsWith('::ffff:') ? ip.slice(7) : ip;
}

const PHRASES: Record<number, string> = {
  404: 'Not Found',
  502: 'Bad Gateway',
  503: 'Service Temporarily Unavailable',
  504: 'Gateway Time-out',
};

function errorPage(code: number): string {
  const title = `${code} ${PHRASES[code] ?? ''}`;
  return `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>skiff ingress</center>\r\n</body>\r\n</html>\r\n`;
}

function sendError(res: http.ServerResponse, code: number): void {
  const body = errorPage(code);
  res.writeHead(code, PHRASES[code], {
    'Content-Type': 'text/html',
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

function rawError(socket: Duplex, code: number): void {
  const body = errorPage(code);
  socket.end(
    `HTTP/1.1 ${code} ${PHRASES[code]}\r\nContent-Type: text/html\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** Random bytes for X-Request-ID, drawn 256 requests' worth at a time (one call into OpenSSL). */
const idPool = Buffer.alloc(4096);
let idOffset = idPool.length;

/** 16 random bytes as hex: ingress-nginx's $req_id. */
function newRequestId(): string {
  if (idOffset === idPool.length) {
    randomFillSync(idPool);
    idOffset = 0;
  }
  idOffset += 16;
  return idPool.toString('hex', idOffset - 16, idOffset);
}

/**
 * The request line and header section for the backend, in HTTP/1.1 whatever the client spoke;
 * a request without Host (HTTP/1.0) gets the endpoint's address, as http.request would send.
 */
function requestHead(req: http.IncomingMessage, headers: string[]): (ep: Endpoint) => string {
  let fields = '';
  for (let i = 0; i < headers.length; i += 2) fields += `${headers[i]}: ${headers[i + 1]}\r\n`;
  const line = `${req.method ?? 'GET'} ${req.url ?? '/'} HTTP/1.1\r\n`;
  if (req.headers.host !== undefined) {
    const text = `${line}${fields}\r\n`;
    return () => text;
  }
  return (ep) =>
    `${line}Host: ${ep.ip.includes(':') ? `[${ep.ip}]` : ep.ip}:${ep.port}\r\n${fields}\r\n`;
}

export function ingressModule(options: IngressModuleOptions = {}): IngressModule {
  const log = (line: string) => options.log?.(line);
  const connectTimeoutMs = options.connectTimeoutMs ?? 5_000;
  let routes: RouteTable = compileRoutes({
    hosts: [],
    tls: [],
    defaultCertificate: { cert: '', key: '' },
  });
  let certificates: TlsTable | undefined;
  /** Secure contexts by cert+key, so an unchanged certificate is not parsed again. */
  let contexts = new Map<string, tls.SecureContext>();
  /** Round-robin position per backend Service port. */
  let cursors = new Map<string, number>();
  const upgraded = new Set<Duplex>();
  const upstreams = new UpstreamPool({
    connectTimeoutMs,
    idleTimeoutMs: UPSTREAM_IDLE_TIMEOUT_MS,
    maxIdlePerEndpoint: UPSTREAM_MAX_IDLE,
  });

  const context = (cert: string, key: string): tls.SecureContext => {
    const id = `${cert}\0${key}`;
    return contexts.get(id) ?? tls.createSecureContext({ cert, key });
  };

  function apply(config: IngressConfig): string[] {
    const errors: string[] = [];
    const used = new Map<string, tls.SecureContext>();
    const fallback = context(config.defaultCertificate.cert, config.defaultCertificate.key);
    used.set(`${config.defaultCertificate.cert}\0${config.defaultCertificate.key}`, fallback);
    const table: TlsTable = { hosts: new Map(), wildcards: new Map(), fallback };
    config.tls.forEach((entry, i) => {
      let ctx: tls.SecureContext;
      try {
        ctx = context(entry.cert, entry.key);
      } catch (err) {
        errors.push(
          `tls[${i}] (${entry.hosts.join(', ')}): unusable certificate or key: ${(err as Error).message}`,
        );
        return;
      }
      used.set(`${entry.cert}\0${entry.key}`, ctx);
      for (const raw of entry.hosts) {
        const host = raw.toLowerCase();
        const [map, key] = host.startsWith('*.')
          ? [table.wildcards, host.slice(1)]
          : [table.hosts, host];
        if (!map.has(key)) map.set(key, ctx); // the oldest Ingress's certificate wins
      }
    });
    contexts = used;
    certificates = table;
    routes = compileRoutes(config);
    const services = new Set<string>();
    for (const h of config.hosts) for (const p of h.paths) services.add(p.backend.service);
    if (config.defaultBackend) services.add(config.defaultBackend.service);
    cursors = new Map([...cursors].filter(([service]) => services.has(service)));
    httpsServer.setSecureContext({
      cert: config.defaultCertificate.cert,
      key: config.defaultCertificate.key,
    });
    for (const e of errors) log(`ingress: ${e}`);
    return errors;
  }

  /** Endpoints in the order to try them: round-robin start, at most MAX_TRIES. */
  function pick(backend: IngressBackend): Endpoint[] {
    const n = backend.endpoints.length;
    const start = (cursors.get(backend.service) ?? 0) % n;
    cursors.set(backend.service, (start + 1) % n);
    const out: Endpoint[] = [];
    for (let i = 0; i < Math.min(n, MAX_TRIES); i++) out.push(backend.endpoints[(start + i) % n]);
    return out;
  }

  /** The request's headers for the backend (flat raw list), with the X-Forwarded-* set. */
  function forwardHeaders(
    req: http.IncomingMessage,
    scheme: 'http' | 'https',
    keepUpgrade: boolean,
  ): string[] {
    const raw = req.rawHeaders;
    const drop = connectionTokens(raw);
    const out: string[] = [];
    let requestId = '';
    let chunked = false;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i].toLowerCase();
      if (name === 'x-request-id') requestId = raw[i + 1];
      if (name === 'transfer-encoding' && /chunked/i.test(raw[i + 1])) chunked = true;
      if (SET_BY_PROXY.has(name)) continue;
      if (keepUpgrade && (name === 'connection' || name === 'upgrade')) {
        out.push(raw[i], raw[i + 1]);
        continue;
      }
      if (HOP_BY_HOP.has(name) || drop.has(name)) continue;
      out.push(raw[i], raw[i + 1]);
    }
    // Node re-frames the body itself; a chunked request body stays chunked.
    if (chunked) out.push('Transfer-Encoding', 'chunked');
    const ip = clientIp(req.socket);
    const hostHeader = req.headers.host ?? '';
    const portMatch = /:(\d+)$/.exec(hostHeader);
    const port = portMatch ? portMatch[1] : scheme === 'https' ? '443' : '80';
    out.push(
      'X-Request-ID',
      requestId || newRequestId(),
      'X-Real-IP',
      ip,
      'X-Forwarded-For',
      ip,
      'X-Forwarded-Host',
      hostHeader,
      'X-Forwarded-Port',
      port,
      'X-Forwarded-Proto',
      scheme,
      'X-Forwarded-Scheme',
      scheme,
      'X-Scheme',
      scheme,
    );
    return out;
  }

  function backendFor(req: http.IncomingMessage): IngressBackend | undefined {
    return route(routes, requestHostName(req.headers.host), requestPath(req.url));
  }

  function failure(backend: IngressBackend, ep: Endpoint, err: NodeJS.ErrnoException): void {
    log(`ingress: ${backend.service}: ${dialError(ep.ip, ep.port, err)}`);
  }

  function handle(scheme: 'http' | 'https') {
    return (req: http.IncomingMessage, res: http.ServerResponse): void => {
      const backend = backendFor(req);
      if (!backend) return sendError(res, 404);
      if (backend.endpoints.length === 0) return sendError(res, 503);
      const method = req.method ?? 'GET';
      const chunked = req.headers['transfer-encoding'] !== undefined;
      const hasBody = chunked || Number(req.headers['content-length'] ?? 0) > 0;
      const head = requestHead(req, forwardHeaders(req, scheme, false));
      const candidates = pick(backend);
      let done = false;
      let current: UpstreamConnection | undefined;
      res.on('close', () => {
        done = true;
        if (!res.writableFinished) current?.destroy();
      });
      req.on('error', () => current?.destroy());
      const resume = () => current?.resume();

      const attempt = (index: number, fresh: boolean): void => {
        const ep = candidates[index];
        const conn = upstreams.acquire(ep, fresh);
        current = conn;
        const exchange: Exchange = {
          head: ({ status, reason, rawHeaders }) => {
            const drop = connectionTokens(rawHeaders);
            const pass: string[] = [];
            let hasDate = false;
            for (let i = 0; i < rawHeaders.length; i += 2) {
              const name = rawHeaders[i].toLowerCase();
              if (HOP_BY_HOP.has(name) || drop.has(name)) continue;
              if (name === 'date') hasDate = true;
              pass.push(rawHeaders[i], rawHeaders[i + 1]);
            }
            res.sendDate = !hasDate;
            res.writeHead(status, reason, pass);
          },
          body: (chunk) => {
            if (!res.write(chunk)) {
              conn.pause();
              res.once('drain', resume);
            }
          },
          end: () => {
            current = undefined;
            res.end();
          },
          error: (err, connected) => {
            current = undefined;
            if (done) return;
            failure(backend, ep, err);
            // A kept-alive connection the backend closed just as it was reused: once more on a new one.
            if (conn.reused && connected && !conn.responseStarted && !hasBody && !fresh)
              return attempt(index, true);
            if (!connected && !res.headersSent && index + 1 < candidates.length)
              return attempt(index + 1, fresh);
            if (res.headersSent) res.destroy();
            else sendError(res, err.code === 'ETIMEDOUT' && !connected ? 504 : 502);
          },
        };
        // The body is read only once a backend took the connection, so a refused connect can
        // move on to the next endpoint with nothing lost.
        conn.send(
          method,
          head(ep),
          exchange,
          hasBody ? () => conn.sendBody(req, chunked) : undefined,
        );
      };
      attempt(0, false);
    };
  }

  /** Upgrade requests (WebSocket and the like) are tunnelled as raw bytes once a backend accepts the TCP connection. */
  function handleUpgrade(scheme: 'http' | 'https') {
    return (req: http.IncomingMessage, socket: Duplex, head: Buffer): void => {
      socket.on('error', () => socket.destroy());
      const backend = backendFor(req);
      if (!backend) return rawError(socket, 404);
      if (backend.endpoints.length === 0) return rawError(socket, 503);
      const requestText = requestHead(req, forwardHeaders(req, scheme, true));
      const candidates = pick(backend);
      upgraded.add(socket);
      socket.once('close', () => upgraded.delete(socket));
      const attempt = (index: number): void => {
        const ep = candidates[index];
        const upstream = net.connect({ host: ep.ip, port: ep.port });
        const timer = setTimeout(() => upstream.destroy(timeoutError()), connectTimeoutMs);
        const onError = (err: NodeJS.ErrnoException) => {
          clearTimeout(timer);
          failure(backend, ep, err);
          if (socket.destroyed) return;
          if (index + 1 < candidates.length) attempt(index + 1);
          else rawError(socket, err.code === 'ETIMEDOUT' ? 504 : 502);
        };
        upstream.once('error', onError);
        const closeEarly = () => upstream.destroy();
        socket.once('close', closeEarly);
        upstream.once('connect', () => {
          clearTimeout(timer);
          upstream.off('error', onError);
          socket.off('close', closeEarly);
          upstream.setNoDelay(true);
          upstream.write(requestText(ep), 'latin1');
          if (head.length) upstream.write(head);
          upstream.pipe(socket);
          socket.pipe(upstream);
          const close = () => {
            socket.destroy();
            upstream.destroy();
          };
          upstream.on('error', close);
          socket.on('error', close);
          upstream.on('close', () => socket.end());
          socket.on('close', () => upstream.destroy());
        });
      };
      attempt(0);
    };
  }

  const serverOptions: http.ServerOptions = {
    // nginx's keepalive_timeout; streams (uploads, long polls) are not cut by a request timeout.
    keepAliveTimeout: 75_000,
    requestTimeout: 0,
  };
  const httpServer = http.createServer(serverOptions, handle('http'));
  const httpsServer = https.createServer(
    {
      ...serverOptions,
      SNICallback: (servername, cb) => {
        if (!certificates) return cb(new Error('no certificates yet'));
        const name = servername.toLowerCase();
        const dot = name.indexOf('.');
        cb(
          null,
          certificates.hosts.get(name) ??
            (dot > 0 ? certificates.wildcards.get(name.slice(dot)) : undefined) ??
            certificates.fallback,
        );
      },
    },
    handle('https'),
  );
  httpServer.on('upgrade', handleUpgrade('http'));
  httpsServer.on('upgrade', handleUpgrade('https'));

  const listen = (server: net.Server, port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, options.host ?? '0.0.0.0', () => {
        server.off('error', reject);
        resolve();
      });
    });
  const close = (server: http.Server) =>
    new Promise<void>((resolve) => {
      if (!server.listening) return resolve();
      server.close(() => resolve());
      server.closeAllConnections();
    });
  const boundPort = (server: net.Server) => {
    const address = server.address();
    return typeof address === 'object' && address ? address.port : 0;
  };

  return {
    name: 'ingress',
    apply,
    ports: () => ({ http: boundPort(httpServer), https: boundPort(httpsServer) }),
    routes: [
      {
        method: 'PUT',
        path: '/v1/ingress',
        handle: async (req, res) => {
          let config: IngressConfig;
          try {
            config = validateIngressConfig(await readJson(req));
          } catch (err) {
            sendJson(res, 400, { error: (err as Error).message });
            return;
          }
          try {
            // The default certificate must work: without it no TLS client can be answered.
            tls.createSecureContext(config.defaultCertificate);
          } catch (err) {
            sendJson(res, 400, {
              error: `defaultCertificate: unusable certificate or key: ${(err as Error).message}`,
            });
            return;
          }
          const errors = apply(config);
          sendJson(res, 200, { ok: true, errors });
        },
      },
    ],
    async start() {
      await listen(httpServer, options.httpPort ?? INGRESS_HTTP_PORT);
      try {
        await listen(httpsServer, options.httpsPort ?? INGRESS_HTTPS_PORT);
      } catch (err) {
        await close(httpServer);
        throw err;
      }
    },
    async stop() {
      for (const socket of upgraded) socket.destroy();
      upgraded.clear();
      await Promise.all([close(httpServer), close(httpsServer)]);
      upstreams.destroy();
    },
  };
}
