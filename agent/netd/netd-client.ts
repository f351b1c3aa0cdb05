// The agent's side of netd's control port: dial tunnels into the cluster network (port-forward),
// tcpSocket/httpGet probes with kubelet's results, and plain GETs for lifecycle hooks. Every call
// carries the cluster's bearer token; the endpoint is asked for each call because a recreated netd
// gets a new host port.
import http from 'node:http';
import type { HttpGetRequest } from '../kubelet/lifecycle-hooks.ts';
import type { Duplex } from 'node:stream';
import { DatagramChannel, DIAL_PROTOCOL, DIAL_UDP_PROTOCOL } from './daemon/modules/dial.ts';

export interface NetdEndpoint {
  /** Where the control port is published (127.0.0.1). */
  host: string;
  port: number;
  token: string;
}

/** Resolves with the endpoint once netd is ready; rejects when it cannot be reached. */
export type NetdEndpointSource = () => Promise<NetdEndpoint>;

/** kubelet's probe.Result for a probe that ran (errors of netd itself reject instead). */
export interface ProbeResult {
  result: 'success' | 'failure';
  output: string;
}

/** How long a control request may take beyond the probe's own timeout. */
const CONTROL_SLACK_MS = 5_000;

export class NetdClient {
  constructor(private readonly endpoint: NetdEndpointSource) {}

  /** A raw TCP byte stream to ip:port inside the cluster network (rejects with Go's dial error text). */
  dial(ip: string, port: number): Promise<Duplex> {
    return this.upgrade('/v1/dial', DIAL_PROTOCOL, ip, port);
  }

  /** Datagrams to and from ip:port (UDP) inside the cluster network. */
  async dialUdp(ip: string, port: number): Promise<DatagramChannel> {
    return new DatagramChannel(await this.upgrade('/v1/dial-udp', DIAL_UDP_PROTOCOL, ip, port));
  }

  private async upgrade(path: string, protocol: string, ip: string, port: number): Promise<Duplex> {
    const ep = await this.endpoint();
    return new Promise((resolve, reject) => {
      const req = http.request({
        host: ep.host,
        port: ep.port,
        path: `${path}?ip=${encodeURIComponent(ip)}&port=${port}`,
        agent: false,
        headers: {
          Authorization: `Bearer ${ep.token}`,
          Connection: 'Upgrade',
          Upgrade: protocol,
        },
      });
      req.on('upgrade', (_res, socket, head) => {
        if (head.length) socket.unshift(head);
        resolve(socket);
      });
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          reject(new Error(text || `netd refused the tunnel: HTTP ${res.statusCode ?? 0}`));
        });
      });
      req.on('error', (err) => reject(new Error(`netd: ${err.message}`)));
      req.end();
    });
  }

  tcpProbe(ip: string, port: number, timeoutMs: number): Promise<ProbeResult> {
    return this.call<ProbeResult>('/v1/probe/tcp', { host: ip, port, timeoutMs }, timeoutMs);
  }

  httpProbe(request: HttpGetRequest): Promise<ProbeResult> {
    return this.call<ProbeResult>('/v1/probe/http', request, request.timeoutMs);
  }

  /** A GET from inside the network: resolves with the status code, rejects with Go's client error. */
  async httpGet(request: HttpGetRequest): Promise<{ statusCode: number }> {
    const reply = await this.call<{ statusCode?: number; error?: string }>(
      '/v1/http-get',
      request,
      request.timeoutMs,
    );
    if (reply.error !== undefined) throw new Error(reply.error);
    return { statusCode: reply.statusCode ?? 0 };
  }

  /** netd answers its health check with this token. */
  async healthy(timeoutMs = 2_000): Promise<boolean> {
    try {
      await this.request('GET', '/healthz', undefined, timeoutMs);
      return true;
    } catch {
      return false;
    }
  }

  /** PUT of a document already serialized as JSON; resolves with netd's JSON answer. */
  put(path: string, json: string, timeoutMs = 10_000): Promise<unknown> {
    return this.request('PUT', path, json, timeoutMs);
  }

  private call<T>(path: string, body: unknown, timeoutMs: number): Promise<T> {
    return this.request(
      'POST',
      path,
      JSON.stringify(body),
      timeoutMs + CONTROL_SLACK_MS,
    ) as Promise<T>;
  }

  private async request(
    method: string,
    path: string,
    payload: string | undefined,
    timeoutMs: number,
  ): Promise<unknown> {
    const ep = await this.endpoint();
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: ep.host,
          port: ep.port,
          path,
          method,
          agent: false,
          headers: {
            Authorization: `Bearer ${ep.token}`,
            ...(payload !== undefined && {
              'Content-Type': 'application/json',
              'Content-Length': Buffer.byteLength(payload),
            }),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            clearTimeout(timer);
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown;
            try {
              parsed = JSON.parse(text);
            } catch {
              parsed = undefined;
            }
            if (res.statusCode !== 200) {
              const error = (parsed as { error?: string } | undefined)?.error ?? text;
              reject(new Error(`netd: HTTP ${res.statusCode ?? 0}: ${error}`));
            } else resolve(parsed);
          });
          res.on('error', (err) => reject(new Error(`netd: ${err.message}`)));
        },
      );
      const timer = setTimeout(() => {
        req.destroy(new Error(`no answer in ${timeoutMs} ms`));
      }, timeoutMs);
      req.on('error', (err) => {
        clearTimeout(timer);
        reject(new Error(`netd: ${err.message}`));
      });
      req.end(payload);
    });
  }
}
