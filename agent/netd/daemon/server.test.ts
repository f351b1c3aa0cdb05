import dgram from 'node:dgram';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NetdClient } from '../netd-client.ts';
import { bearerMatches } from './auth.ts';
import { dialModule } from './modules/dial.ts';
import { probesModule } from './modules/probes.ts';
import { createControlServer, type ControlServer } from './server.ts';

const TOKEN = 'secret-token-for-tests';

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
}

function rawRequest(
  port: number,
  headers: Record<string, string>,
  path = '/healthz',
): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('bearerMatches', () => {
  it('accepts only the exact bearer token', () => {
    expect(bearerMatches(`Bearer ${TOKEN}`, TOKEN)).toBe(true);
    expect(bearerMatches(undefined, TOKEN)).toBe(false);
    expect(bearerMatches(TOKEN, TOKEN)).toBe(false);
    expect(bearerMatches(`Bearer ${TOKEN}x`, TOKEN)).toBe(false);
    expect(bearerMatches(`Basic ${TOKEN}`, TOKEN)).toBe(false);
    expect(bearerMatches('Bearer ', '')).toBe(false);
  });
});

describe('netd control server', () => {
  let control: ControlServer;
  let port = 0;
  let target: http.Server;
  let targetPort = 0;
  let echo: net.Server;
  let echoPort = 0;
  let client: NetdClient;

  beforeAll(async () => {
    control = createControlServer(TOKEN, [probesModule(), dialModule()]);
    port = await listen(control.server);
    target = http.createServer((req, res) => {
      if (req.url === '/slow') return; // never answers
      if (req.url === '/moved' || req.url === '/away') {
        const to = req.url === '/moved' ? '/fail' : 'http://elsewhere.invalid/';
        res.writeHead(302, { Location: to });
        res.end('moved');
        return;
      }
      res.writeHead(req.url === '/fail' ? 500 : 200, { 'Content-Type': 'text/plain' });
      res.end(`ua=${req.headers['user-agent']} x=${String(req.headers['x-probe'])}`);
    });
    targetPort = await listen(target);
    echo = net.createServer((s) => s.pipe(s));
    echoPort = await listen(echo);
    client = new NetdClient(() => Promise.resolve({ host: '127.0.0.1', port, token: TOKEN }));
  });
  afterAll(async () => {
    await control.close();
    target.closeAllConnections();
    target.close();
    echo.close();
  });

  it('refuses requests without the right bearer token, HTTP and Upgrade alike', async () => {
    expect(await rawRequest(port, {})).toBe(401);
    expect(await rawRequest(port, { Authorization: 'Bearer wrong' })).toBe(401);
    expect(await rawRequest(port, { Authorization: `Bearer ${TOKEN}` })).toBe(200);
    const wrong = new NetdClient(() =>
      Promise.resolve({ host: '127.0.0.1', port, token: 'wrong' }),
    );
    await expect(wrong.tcpProbe('127.0.0.1', echoPort, 1000)).rejects.toThrow(/HTTP 401/);
    await expect(wrong.dial('127.0.0.1', echoPort)).rejects.toThrow(/401/);
    expect(await wrong.healthy()).toBe(false);
    expect(await client.healthy()).toBe(true);
  });

  it('runs tcp probes with kubelet results', async () => {
    expect(await client.tcpProbe('127.0.0.1', echoPort, 1000)).toEqual({
      result: 'success',
      output: '',
    });
    // A port nobody listens on: free one by closing a server right away.
    const probe = net.createServer();
    const free = await listen(probe);
    probe.close();
    expect(await client.tcpProbe('127.0.0.1', free, 1000)).toEqual({
      result: 'failure',
      output: `dial tcp 127.0.0.1:${free}: connect: connection refused`,
    });
  });

  it('runs http probes: 2xx/3xx succeed, other codes and errors fail with kubelet text', async () => {
    const base = { host: '127.0.0.1', port: targetPort, scheme: 'HTTP' as const, timeoutMs: 1000 };
    const ok = await client.httpProbe({
      ...base,
      path: '/ok',
      headers: [{ name: 'X-Probe', value: 'yes' }],
    });
    expect(ok).toEqual({ result: 'success', output: 'ua=kube-probe/1.35 x=yes' });
    expect(await client.httpProbe({ ...base, path: '/fail', headers: [] })).toEqual({
      result: 'failure',
      output: 'HTTP probe failed with statuscode: 500',
    });
    const slow = await client.httpProbe({ ...base, path: '/slow', headers: [], timeoutMs: 300 });
    expect(slow.result).toBe('failure');
    expect(slow.output).toBe(
      `Get "http://127.0.0.1:${targetPort}/slow": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`,
    );
    expect((await client.httpGet({ ...base, path: '/fail', headers: [] })).statusCode).toBe(500);
    // Same-host redirects are followed; one to another host ends the probe as a success.
    expect((await client.httpProbe({ ...base, path: '/moved', headers: [] })).output).toBe(
      'HTTP probe failed with statuscode: 500',
    );
    expect((await client.httpProbe({ ...base, path: '/away', headers: [] })).result).toBe(
      'success',
    );
  });

  it('dials a TCP tunnel that carries bytes both ways', async () => {
    const socket = await client.dial('127.0.0.1', echoPort);
    const reply = await new Promise<string>((resolve) => {
      socket.once('data', (d: Buffer) => resolve(d.toString()));
      socket.write('ping through netd');
    });
    socket.destroy();
    expect(reply).toBe('ping through netd');
  });

  it('carries datagrams both ways through a UDP tunnel, keeping their boundaries', async () => {
    const udp = dgram.createSocket('udp4');
    udp.on('message', (msg, from) =>
      udp.send(Buffer.concat([Buffer.from('echo:'), msg]), from.port, from.address),
    );
    await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
    const channel = await client.dialUdp('127.0.0.1', udp.address().port);
    try {
      const replies: string[] = [];
      const all = new Promise<void>((resolve) =>
        channel.on('message', (m: Buffer) => {
          replies.push(m.toString());
          if (replies.length === 3) resolve();
        }),
      );
      // Sent back to back: the stream may join them, the framing must not.
      for (const text of ['one', '', 'three']) channel.send(Buffer.from(text));
      await all;
      expect(replies.sort()).toEqual(['echo:', 'echo:one', 'echo:three']);
    } finally {
      channel.close();
      udp.close();
    }
    await expect(client.dialUdp('not-an-ip', 53)).rejects.toThrow(/400/);
  });
});
