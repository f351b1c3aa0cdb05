import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { HOST_TUNNEL_GO, HOST_TUNNEL_PROTOCOL } from './daemon/config.ts';
import { hostTunnelModule, type HostTunnelModule } from './daemon/modules/host-tunnel.ts';
import { createControlServer } from './daemon/server.ts';
import { startHostTunnels } from './host-tunnel-client.ts';
import { eventually } from '../../test/support/helpers.ts';

const TOKEN = 'host-tunnel-client-token';
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Polls until check holds (3 s at most). */
const until = (check: () => boolean | Promise<boolean>) =>
  eventually('condition', check, 3_000, 10);

function listen(server: net.Server, port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

async function startNetd(port = 0): Promise<{ module: HostTunnelModule; port: number }> {
  const module = hostTunnelModule();
  const control = createControlServer(TOKEN, [module]);
  const bound = await listen(control.server, port);
  cleanups.push(async () => {
    await module.stop?.();
    await control.close();
  });
  return { module, port: bound };
}

/** Stands in for the API server: greets each connection, then echoes. */
async function apiServer(): Promise<{
  port: number;
  sockets: Set<net.Socket>;
  received: string[];
}> {
  const sockets = new Set<net.Socket>();
  const received: string[] = [];
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => received.push(chunk.toString()));
    socket.write('api:');
    socket.pipe(socket);
  });
  const port = await listen(server);
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  );
  return { port, sockets, received };
}

function collect(socket: Duplex): () => string {
  let text = '';
  socket.on('data', (c: Buffer) => (text += c.toString()));
  socket.resume();
  return () => text;
}

describe('startHostTunnels', () => {
  it('keeps the pool parked at netd, replaces a tunnel at once when it is used', async () => {
    const netd = await startNetd();
    const api = await apiServer();
    const tunnels = startHostTunnels({
      endpoint: () => Promise.resolve({ host: '127.0.0.1', port: netd.port, token: TOKEN }),
      target: () => ({ host: '127.0.0.1', port: api.port }),
      pool: 3,
    });
    cleanups.push(() => tunnels.stop());
    await until(() => netd.module.idle === 3);

    const taken = await Promise.all([netd.module.take(), netd.module.take()]);
    for (const t of taken) cleanups.push(() => void t.destroy());
    await until(() => netd.module.idle === 3);
    const texts = taken.map(collect);
    taken.forEach((t, i) => t.write(`ping${i}`));
    await until(() => texts[0]() === 'api:ping0' && texts[1]() === 'api:ping1');
    expect(api.sockets.size).toBe(2);

    // stop() closes the parked tunnels and the ones in use.
    tunnels.stop();
    await until(() => netd.module.idle === 0 && api.sockets.size === 0);
    await until(() => taken.every((t) => t.destroyed || t.readableEnded));
  });

  it('passes bytes that arrive with the go byte on to the target', async () => {
    const api = await apiServer();
    // A netd that answers the upgrade, the go byte and the pod's first bytes in one write.
    const sockets = new Set<Duplex>();
    const fake = http.createServer();
    let served = 0;
    fake.on('upgrade', (req, socket: Duplex) => {
      sockets.add(socket);
      if (served++ > 0) return; // the replacement stays parked
      expect(req.headers.authorization).toBe(`Bearer ${TOKEN}`);
      expect(String(req.headers.upgrade)).toBe(HOST_TUNNEL_PROTOCOL);
      socket.write(
        Buffer.concat([
          Buffer.from(
            `HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: ${HOST_TUNNEL_PROTOCOL}\r\n\r\n`,
          ),
          Buffer.from([HOST_TUNNEL_GO]),
          Buffer.from('GET /version'),
        ]),
      );
    });
    const port = await listen(fake);
    cleanups.push(() => {
      for (const s of sockets) s.destroy();
      fake.close();
    });
    const tunnels = startHostTunnels({
      endpoint: () => Promise.resolve({ host: '127.0.0.1', port, token: TOKEN }),
      target: () => ({ host: '127.0.0.1', port: api.port }),
      pool: 1,
    });
    cleanups.push(() => tunnels.stop());
    await until(() => api.received.join('') === 'GET /version');
    await until(() => served === 2); // replaced at once
  });

  it('retries with back-off while netd is unreachable, and fills the pool once it is up', async () => {
    const api = await apiServer();
    const probe = net.createServer();
    const port = await listen(probe);
    await new Promise((resolve) => probe.close(resolve));
    const lines: string[] = [];
    let asked = 0;
    const tunnels = startHostTunnels({
      endpoint: () => {
        // The first asks fail the way netd.whenReady() does while netd is being created.
        if (asked++ < 2) return Promise.reject(new Error('netd is not ready: starting'));
        return Promise.resolve({ host: '127.0.0.1', port, token: TOKEN });
      },
      target: () => ({ host: '127.0.0.1', port: api.port }),
      pool: 2,
      backoffMs: 20,
      maxBackoffMs: 50,
      log: (line) => lines.push(line),
    });
    cleanups.push(() => tunnels.stop());
    await until(() => lines.some((l) => l.includes('ECONNREFUSED')));
    const netd = await startNetd(port);
    await until(() => netd.module.idle === 2);
    expect(lines).toContain('host tunnel: netd is not ready: starting; retrying');
    expect(lines.at(-1)).toBe('host tunnel: connected to netd');
    // Each distinct failure is logged once, not at every retry.
    expect(lines.filter((l) => l.includes('ECONNREFUSED'))).toHaveLength(1);
  });

  it('closes a used tunnel when the target cannot be reached, and keeps the pool', async () => {
    const netd = await startNetd();
    const closedPort = await (async () => {
      const probe = net.createServer();
      const p = await listen(probe);
      await new Promise((resolve) => probe.close(resolve));
      return p;
    })();
    const lines: string[] = [];
    const tunnels = startHostTunnels({
      endpoint: () => Promise.resolve({ host: '127.0.0.1', port: netd.port, token: TOKEN }),
      target: () => ({ host: '127.0.0.1', port: closedPort }),
      pool: 1,
      log: (line) => lines.push(line),
    });
    cleanups.push(() => tunnels.stop());
    await until(() => netd.module.idle === 1);
    const taken = await netd.module.take();
    // netd's end is half-open capable: the agent's close shows as an end of the stream.
    const closed = new Promise((resolve) => {
      taken.on('end', resolve);
      taken.on('close', resolve);
    });
    cleanups.push(() => void taken.destroy());
    taken.resume();
    await closed;
    expect(lines.join('\n')).toContain(`dialing 127.0.0.1:${closedPort}`);
    await until(() => netd.module.idle === 1);
  });

  it('opens nothing after stop, even when the endpoint answers late', async () => {
    let release: (() => void) | undefined;
    const netd = await startNetd();
    const tunnels = startHostTunnels({
      endpoint: () =>
        new Promise((resolve) => {
          release = () => resolve({ host: '127.0.0.1', port: netd.port, token: TOKEN });
        }),
      target: () => ({ host: '127.0.0.1', port: 1 }),
      pool: 2,
    });
    await until(() => release !== undefined);
    tunnels.stop();
    release!();
    await new Promise((r) => setTimeout(r, 100));
    expect(netd.module.idle).toBe(0);
  });
});
