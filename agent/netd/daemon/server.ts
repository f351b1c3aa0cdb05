// netd's core: one HTTP control server on the cluster network, bearer-token authenticated, that
// routes requests and upgrades to feature modules (probes, dial tunnels; Service VIPs, DNS and
// Ingress later). Only node:* modules: this file is bundled into netd's image.
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { bearerMatches } from './auth.ts';

export interface Route {
  method: string;
  path: string;
  handle(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> | void;
}

export interface UpgradeRoute {
  path: string;
  /** The Upgrade header's protocol this route accepts. */
  protocol: string;
  handle(req: http.IncomingMessage, socket: Duplex, head: Buffer, url: URL): void;
}

/** A feature of netd: its routes, and what it needs started and stopped with the daemon. */
export interface NetdModule {
  name: string;
  routes?: Route[];
  upgrades?: UpgradeRoute[];
  start?(): Promise<void> | void;
  stop?(): Promise<void> | void;
}

export function sendJson(res: http.ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** Reads a JSON request body (at most 32 MiB: an Ingress document carries every certificate). */
export async function readJson(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > 32 << 20) throw new Error('request body too large');
    chunks.push(chunk);
  }
  const value: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
  if (!value || typeof value !== 'object' || Array.isArray(value))
    throw new Error('request body must be a JSON object');
  return value as Record<string, unknown>;
}

export interface ControlServer {
  server: http.Server;
  close(): Promise<void>;
}

/** Creates the control server (not listening yet): /healthz plus every module's routes. */
export function createControlServer(token: string, modules: NetdModule[]): ControlServer {
  const routes = new Map<string, Route>();
  const upgrades = new Map<string, UpgradeRoute>();
  const health: Route = {
    method: 'GET',
    path: '/healthz',
    handle: (_req, res) => sendJson(res, 200, { ok: true, modules: modules.map((m) => m.name) }),
  };
  for (const route of [health, ...modules.flatMap((m) => m.routes ?? [])])
    routes.set(`${route.method} ${route.path}`, route);
  for (const route of modules.flatMap((m) => m.upgrades ?? [])) upgrades.set(route.path, route);

  const server = http.createServer((req, res) => {
    if (!bearerMatches(req.headers.authorization, token)) {
      sendJson(res, 401, { error: 'Unauthorized' });
      return;
    }
    const url = new URL(req.url ?? '/', 'http://netd');
    const route = routes.get(`${req.method ?? ''} ${url.pathname}`);
    if (!route) {
      sendJson(res, 404, { error: `no route for ${req.method ?? ''} ${url.pathname}` });
      return;
    }
    Promise.resolve(route.handle(req, res, url)).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 400, { error: (err as Error).message ?? String(err) });
      else res.destroy();
    });
  });
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    const refuse = (code: number, text: string) => {
      socket.end(`HTTP/1.1 ${code} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (!bearerMatches(req.headers.authorization, token)) return refuse(401, 'Unauthorized');
    const url = new URL(req.url ?? '/', 'http://netd');
    const route = upgrades.get(url.pathname);
    if (!route || String(req.headers.upgrade).toLowerCase() !== route.protocol)
      return refuse(404, 'Not Found');
    route.handle(req, socket, head, url);
  });
  return {
    server,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
