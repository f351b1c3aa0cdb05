import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { HOST_TUNNEL_GO, HOST_TUNNEL_PROTOCOL } from '../config.ts';
import { createControlServer } from '../server.ts';
import { HOST_TUNNEL_PATH, hostTunnelModule, type HostTunnelModule } from './host-tunnel.ts';
import { eventually } from '../../../../test/support/helpers.ts';

const TOKEN = 'host-tunnel-test-token';
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Polls until check holds (3 s at most). */
const until = (check: () => boolean | Promise<boolean>) =>
  eventually('condition', check, 3_000, 10);

async function start(): Promise<{ module: HostTunnelModule; port: number }> {
  const module = hostTunnelModule();
  const control = createControlServer(TOKEN, [module]);
  await new Promise<void>((resolve) => control.server.listen(0, '127.0.0.1', resolve));
  cleanups.push(async () => {
    await module.stop?.();
    await control.close();
  });
  return { module, port: (control.server.address() as AddressInfo).port };
}

/** Opens a tunnel the way the agent does; resolves with the socket, or with the refusal status. */
function openTunnel(
  port: number,
  headers: Record<string, string> = {},
): Promise<{ socket?: Duplex; status?: number }> {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1',
      port,
      path: HOST_TUNNEL_PATH,
      agent: false,
      headers: {
        Authorization: `Bearer ${TOKEN}`,
        Connection: 'Upgrade',
        Upgrade: HOST_TUNNEL_PROTOCOL,
        ...headers,
      },
    });
    req.on('upgrade', (_res, socket, head) => {
      if (head.length) socket.unshift(head);
      cleanups.push(() => void socket.destroy());
      resolve({ socket });
    });
    req.on('response', (res) => {
      res.resume();
      resolve({ status: res.statusCode });
    });
    req.on('error', reject);
    req.end();
  });
}

function collect(socket: Duplex): () => Buffer {
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  socket.resume(); // a taken tunnel comes paused, for its taker to pipe
  return () => Buffer.concat(chunks);
}

describe('host tunnel module', () => {
  it('parks tunnels, and take() sends the go byte on one and hands it over', async () => {
    const { module, port } = await start();
    const { socket: agentSide } = await openTunnel(port);
    await until(() => module.idle === 1);
    const received = collect(agentSide!);

    const netdSide = await module.take(1_000);
    cleanups.push(() => void netdSide.destroy());
    expect(module.idle).toBe(0);
    await until(() => received().length === 1);
    expect(received()[0]).toBe(HOST_TUNNEL_GO);

    // From here on the bytes belong to the two ends.
    const back = collect(netdSide);
    netdSide.write('to the host');
    agentSide!.write('to the pod');
    await until(() => received().length === 12 && back().length === 10);
    expect(received().subarray(1).toString()).toBe('to the host');
    expect(back().toString()).toBe('to the pod');
  });

  it('makes take() wait for a tunnel, and reject when none comes in time', async () => {
    const { module, port } = await start();
    await expect(module.take(100)).rejects.toThrow('no host tunnel from the agent within 100 ms');

    const waiting = module.take(2_000);
    const { socket } = await openTunnel(port);
    const received = collect(socket!);
    cleanups.push(async () => void (await waiting).destroy());
    await waiting;
    await until(() => received().length === 1);
    expect(module.idle).toBe(0);
  });

  it('drops parked tunnels that close, and refuses other protocols and bad tokens', async () => {
    const { module, port } = await start();
    const { socket } = await openTunnel(port);
    await until(() => module.idle === 1);
    socket!.destroy();
    await until(() => module.idle === 0);
    await expect(module.take(100)).rejects.toThrow('no host tunnel');

    expect((await openTunnel(port, { Upgrade: 'skiff-tcp' })).status).toBe(404);
    expect((await openTunnel(port, { Authorization: 'Bearer wrong' })).status).toBe(401);
    expect(module.idle).toBe(0);
  });

  it('closes parked tunnels and fails waiters on stop', async () => {
    const { module, port } = await start();
    const { socket } = await openTunnel(port);
    await until(() => module.idle === 1);
    const closed = new Promise((resolve) => socket!.on('close', resolve));
    socket!.resume();
    await module.stop?.();
    await closed;
    expect(module.idle).toBe(0);
    await expect(module.take(1_000)).rejects.toThrow('netd is stopping');

    const other = await start();
    const waiting = other.module.take(5_000);
    await other.module.stop?.();
    await expect(waiting).rejects.toThrow('netd is stopping');
  });
});
