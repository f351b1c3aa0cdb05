// netd's probe module: kubelet's tcpSocket and httpGet probers (pkg/probe/tcp, pkg/probe/http) run
// from inside the cluster network, with kubelet's results and failure messages, plus a plain GET
// for httpGet lifecycle hooks.
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { HttpGetRequest } from '../../../kubelet/lifecycle-hooks.ts';
import { readJson, sendJson, type NetdModule } from '../server.ts';

export type ProbeOutcome = 'success' | 'failure';

export interface ProbeReply {
  result: ProbeOutcome;
  output: string;
}

/** kubelet's probe User-Agent (kube-probe/<major>.<minor>). */
const USER_AGENT = 'kube-probe/1.35';
/** kubelet reads at most this much of a probe's response body. */
const MAX_BODY = 10 * 1024;

function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Go's net error text for a failed dial, as kubelet's messages carry it. */
export function dialError(host: string, port: number, err: NodeJS.ErrnoException): string {
  const where = `dial tcp ${hostPort(host, port)}`;
  switch (err.code) {
    case 'ECONNREFUSED':
      return `${where}: connect: connection refused`;
    case 'EHOSTUNREACH':
      return `${where}: connect: no route to host`;
    case 'ENETUNREACH':
      return `${where}: connect: network is unreachable`;
    case 'ETIMEDOUT':
      return `${where}: i/o timeout`;
    default:
      return `${where}: ${err.message}`;
  }
}

export function tcpProbe(host: string, port: number, timeoutMs: number): Promise<ProbeReply> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ result: 'failure', output: `dial tcp ${hostPort(host, port)}: i/o timeout` });
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ result: 'success', output: '' });
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ result: 'failure', output: dialError(host, port, err) });
    });
  });
}

function requestUrl(spec: HttpGetRequest): string {
  const scheme = spec.scheme === 'HTTPS' ? 'https' : 'http';
  const path = spec.path.startsWith('/') ? spec.path : `/${spec.path}`;
  return `${scheme}://${hostPort(spec.host, spec.port)}${path}`;
}

/** One GET; resolves with the status and up to 10 KiB of body, rejects with Go's client error text. */
export function httpGet(
  spec: HttpGetRequest,
): Promise<{ statusCode: number; body: string; location?: string }> {
  const url = requestUrl(spec);
  const headers: Record<string, string> = { 'User-Agent': USER_AGENT, Accept: '*/*' };
  for (const h of spec.headers) {
    // kubelet lets probe headers override its defaults, Host included.
    const known = Object.keys(headers).find((k) => k.toLowerCase() === h.name.toLowerCase());
    if (known) delete headers[known];
    headers[h.name] = h.value;
  }
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (message: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      reject(new Error(`Get "${url}": ${message}`));
    };
    const mod = spec.scheme === 'HTTPS' ? https : http;
    // kubelet does not verify probe targets' certificates.
    const req = mod.get(url, { headers, rejectUnauthorized: false, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        if (size < MAX_BODY) chunks.push(chunk);
        size += chunk.length;
      });
      res.on('end', () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({
          statusCode: res.statusCode ?? 0,
          location: res.headers.location,
          body: Buffer.concat(chunks).subarray(0, MAX_BODY).toString('utf8'),
        });
      });
      res.on('error', (err) => fail(err.message));
    });
    const timer = setTimeout(
      () => fail('context deadline exceeded (Client.Timeout exceeded while awaiting headers)'),
      spec.timeoutMs,
    );
    req.on('error', (err: NodeJS.ErrnoException) =>
      fail(
        err.code && err.code.startsWith('E') && 'syscall' in err && err.syscall === 'connect'
          ? dialError(spec.host, spec.port, err)
          : err.message,
      ),
    );
  });
}

/** kubelet's http prober: 200–399 succeed, anything else fails with its status code. */
/**
 * kubelet's http prober: 200–399 succeed, anything else fails with its status code. Redirects to
 * the same host are followed (at most 10); one to another host ends the probe as a success.
 */
export async function httpProbe(spec: HttpGetRequest): Promise<ProbeReply> {
  let current = spec;
  try {
    for (let redirects = 0; ; redirects++) {
      const { statusCode, body, location } = await httpGet(current);
      if (statusCode >= 300 && statusCode < 400 && location) {
        const from = new URL(requestUrl(current));
        const to = new URL(location, from);
        if (to.hostname !== from.hostname)
          return {
            result: 'success',
            output: `Probe terminated redirects, Response body: ${body}`,
          };
        if (redirects >= 10)
          return { result: 'failure', output: `Get "${to.href}": stopped after 10 redirects` };
        current = {
          ...current,
          scheme: to.protocol === 'https:' ? 'HTTPS' : 'HTTP',
          port: Number(to.port) || (to.protocol === 'https:' ? 443 : 80),
          path: `${to.pathname}${to.search}`,
        };
        continue;
      }
      if (statusCode >= 200 && statusCode < 400) return { result: 'success', output: body };
      return { result: 'failure', output: `HTTP probe failed with statuscode: ${statusCode}` };
    }
  } catch (err) {
    return { result: 'failure', output: (err as Error).message };
  }
}

export function requestSpec(body: Record<string, unknown>): HttpGetRequest {
  const host = typeof body.host === 'string' ? body.host : '';
  const port = Number(body.port);
  if (!host || !(port > 0 && port < 65536)) throw new Error('host and port are required');
  const headers = Array.isArray(body.headers)
    ? (body.headers as { name?: unknown; value?: unknown }[]).map((h) => ({
        name: typeof h.name === 'string' ? h.name : '',
        value: typeof h.value === 'string' ? h.value : '',
      }))
    : [];
  return {
    host,
    port,
    path: typeof body.path === 'string' && body.path ? body.path : '/',
    scheme: body.scheme === 'HTTPS' ? 'HTTPS' : 'HTTP',
    headers,
    timeoutMs: Number(body.timeoutMs) > 0 ? Number(body.timeoutMs) : 1000,
  };
}

export function probesModule(): NetdModule {
  return {
    name: 'probes',
    routes: [
      {
        method: 'POST',
        path: '/v1/probe/tcp',
        handle: async (req, res) => {
          const body = await readJson(req);
          const port = Number(body.port);
          if (typeof body.host !== 'string' || !(port > 0 && port < 65536))
            throw new Error('host and port are required');
          const timeoutMs = Number(body.timeoutMs) > 0 ? Number(body.timeoutMs) : 1000;
          sendJson(res, 200, await tcpProbe(body.host, port, timeoutMs));
        },
      },
      {
        method: 'POST',
        path: '/v1/probe/http',
        handle: async (req, res) => {
          sendJson(res, 200, await httpProbe(requestSpec(await readJson(req))));
        },
      },
      {
        method: 'POST',
        path: '/v1/http-get',
        handle: async (req, res) => {
          const spec = requestSpec(await readJson(req));
          try {
            sendJson(res, 200, await httpGet(spec));
          } catch (err) {
            sendJson(res, 200, { error: (err as Error).message });
          }
        },
      },
    ],
  };
}
