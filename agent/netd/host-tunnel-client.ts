// The agent's end of the host tunnel (netd's modules/host-tunnel.ts): a pool of idle upgraded
// connections parked at netd; when netd sends the go byte on one, a pod wants the API server, so
// the agent dials it on the host and pipes both ways. This is how `kubernetes.default.svc` works.
import http from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { HOST_TUNNEL_GO, HOST_TUNNEL_PROTOCOL } from './daemon/config.ts';
import { HOST_TUNNEL_PATH } from './daemon/modules/host-tunnel.ts';
import type { NetdEndpoint } from './netd-client.ts';

export interface HostTunnelOptions {
  /** netd's control port; asked before each connection because a recreated netd moves. */
  endpoint: () => Promise<NetdEndpoint>;
  /** Where a tunnel leads (the API server on 127.0.0.1); asked for each tunnel. */
  target: () => { host: string; port: number };
  /** Idle tunnels kept parked at netd (default 4). */
  pool?: number;
  log?(line: string): void;
  /** First wait before reconnecting after a failure; doubles up to maxBackoffMs. */
  backoffMs?: number;
  maxBackoffMs?: number;
}

const DEFAULT_POOL = 4;
const BACKOFF_MS = 200;
const MAX_BACKOFF_MS = 5_000;

export function startHostTunnels(options: HostTunnelOptions): { stop(): void } {
  const pool = Math.max(1, options.pool ?? DEFAULT_POOL);
  const log = (line: string) => options.log?.(line);
  const baseBackoff = options.backoffMs ?? BACKOFF_MS;
  const maxBackoff = options.maxBackoffMs ?? MAX_BACKOFF_MS;
  /** Tunnels connecting or parked: the pool. */
  let idle = 0;
  /** Every socket open, parked or in use, for stop(). */
  const sockets = new Set<Duplex>();
  const requests = new Set<http.ClientRequest>();
  let backoff = baseBackoff;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let lastError = '';

  const fill = () => {
    while (!stopped && !timer && idle < pool) {
      idle++;
      void open();
    }
  };

  const failed = (message: string) => {
    if (stopped) return;
    if (message !== lastError) log(`host tunnel: ${message}; retrying`);
    lastError = message;
    if (!timer) {
      timer = setTimeout(() => {
        timer = undefined;
        fill();
      }, backoff);
      timer.unref();
      backoff = Math.min(backoff * 2, maxBackoff);
    }
  };

  const succeeded = () => {
    if (lastError) log('host tunnel: connected to netd');
    lastError = '';
    backoff = baseBackoff;
  };

  async function open(): Promise<void> {
    let ep: NetdEndpoint;
    try {
      ep = await options.endpoint();
    } catch (err) {
      idle--;
      failed((err as Error).message);
      return;
    }
    if (stopped) {
      idle--;
      return;
    }
    const req = http.request({
      host: ep.host,
      port: ep.port,
      path: HOST_TUNNEL_PATH,
      agent: false,
      headers: {
        Authorization: `Bearer ${ep.token}`,
        Connection: 'Upgrade',
        Upgrade: HOST_TUNNEL_PROTOCOL,
      },
    });
    requests.add(req);
    let settled = false;
    const settle = (error?: string) => {
      if (settled) return;
      settled = true;
      requests.delete(req);
      idle--;
      if (error !== undefined) failed(error);
      else fill();
    };
    req.on('upgrade', (_res, socket, head) => {
      requests.delete(req);
      if (stopped) {
        socket.destroy();
        return;
      }
      succeeded();
      // Notices a netd that vanished without closing (a killed container behind a NAT).
      if (socket instanceof net.Socket) socket.setKeepAlive(true, 10_000);
      park(socket, head, settle);
    });
    req.on('response', (res) => {
      res.resume();
      settle(`netd refused the tunnel: HTTP ${res.statusCode ?? 0}`);
    });
    req.on('error', (err) => settle(`netd: ${err.message}`));
    req.end();
  }

  /** Waits on a parked tunnel for the go byte; `settle` leaves the pool (error: closed early). */
  function park(socket: Duplex, head: Buffer, settle: (error?: string) => void): void {
    sockets.add(socket);
    const onData = (chunk: Buffer) => {
      if (chunk[0] !== HOST_TUNNEL_GO) {
        drop();
        settle('netd sent something else than the go byte');
        return;
      }
      release();
      settle(); // a new idle tunnel replaces this one at once
      dial(socket, chunk.subarray(1));
    };
    const onClose = () => {
      drop();
      // netd closing a parked tunnel (it stopped or restarted) is worth a pause before refilling.
      settle('netd closed an idle tunnel');
    };
    const drop = () => {
      release();
      sockets.delete(socket);
      socket.destroy();
    };
    const release = () => {
      socket.off('data', onData);
      socket.off('end', onClose);
      socket.off('close', onClose);
      socket.off('error', onClose);
    };
    socket.on('data', onData);
    socket.on('end', onClose);
    socket.on('close', onClose);
    socket.on('error', onClose);
    if (head.length) onData(head);
  }

  /** The tunnel is in use: connect it to the target; `rest` came after the go byte. */
  function dial(tunnel: Duplex, rest: Buffer): void {
    tunnel.pause();
    const { host, port } = options.target();
    const upstream = net.connect({ host, port, allowHalfOpen: true });
    upstream.setNoDelay(true);
    sockets.add(upstream);
    if (rest.length) upstream.write(rest);
    const close = () => {
      tunnel.destroy();
      upstream.destroy();
    };
    tunnel.on('error', close);
    upstream.on('error', (err) => {
      log(`host tunnel: dialing ${host}:${port}: ${err.message}`);
      close();
    });
    tunnel.on('close', () => {
      sockets.delete(tunnel);
      if (!upstream.writableEnded) upstream.destroy();
    });
    upstream.on('close', () => {
      sockets.delete(upstream);
      if (!tunnel.writableEnded) tunnel.destroy();
    });
    upstream.once('connect', () => {
      tunnel.pipe(upstream);
      upstream.pipe(tunnel);
    });
  }

  fill();
  return {
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      for (const req of requests) req.destroy();
      requests.clear();
      for (const socket of sockets) socket.destroy();
      sockets.clear();
    },
  };
}
