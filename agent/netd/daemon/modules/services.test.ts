import dgram from 'node:dgram';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { ServiceConfig, ServicesConfig } from '../config.ts';
import { startHostTunnels } from '../../host-tunnel-client.ts';
import { createControlServer, type ControlServer, type NetdModule } from '../server.ts';
import { loopbackVipAddresses, type VipAddresses } from '../vip-addresses.ts';
import { hostTunnelModule } from './host-tunnel.ts';
import { parseServicesConfig, servicesModule, type ServicesModule } from './services.ts';
import { eventually } from '../../../../test/support/helpers.ts';

const TOKEN = 'services-test-token';
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function listen(server: net.Server, host = '127.0.0.1', port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
}

/** A port free on `host` right now. */
async function freePort(host: string): Promise<number> {
  const probe = net.createServer();
  const port = await listen(probe, host);
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** Polls until check holds (3 s at most). */
const until = (check: () => boolean | Promise<boolean>) =>
  eventually('condition', check, 3_000, 20);

/** A TCP backend that says its name on connect, then echoes; closed after the test. */
async function tcpBackend(name: string): Promise<{ port: number; connections: () => number }> {
  let count = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    count++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    socket.write(`${name}\n`);
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
  return { port, connections: () => count };
}

/** A UDP backend answering `name:message`. */
async function udpBackend(name: string): Promise<number> {
  const socket = dgram.createSocket('udp4');
  socket.on('message', (msg, rinfo) =>
    socket.send(`${name}:${String(msg)}`, rinfo.port, rinfo.address),
  );
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  return socket.address().port;
}

async function freeUdpPort(): Promise<number> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

interface Conn {
  socket: net.Socket;
  /** Everything received so far. */
  text(): string;
  closed: Promise<{ error?: string }>;
}

function connect(host: string, port: number, localAddress?: string): Promise<Conn> {
  return new Promise((resolve, reject) => {
    let received = '';
    const socket = net.connect({ host, port, ...(localAddress && { localAddress }) });
    let error: string | undefined;
    socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
    socket.on('error', (err: NodeJS.ErrnoException) => (error = err.code ?? err.message));
    const closed = new Promise<{ error?: string }>((r) => socket.on('close', () => r({ error })));
    socket.once('connect', () => resolve({ socket, text: () => received, closed }));
    socket.once('error', reject);
    cleanups.push(() => void socket.destroy());
  });
}

/** How a connection ended that was reset before or after the client saw it established. */
function resetOutcome(host: string, port: number): Promise<{ error?: string; data: string }> {
  return new Promise((resolve) => {
    let data = '';
    let error: string | undefined;
    const socket = net.connect({ host, port });
    socket.on('data', (chunk: Buffer) => (data += chunk.toString()));
    socket.on('error', (err: NodeJS.ErrnoException) => (error = err.code));
    socket.on('close', () => resolve({ error, data }));
  });
}

/** Connects and returns the first line the backend sends (its name). */
async function whoAnswers(host: string, port: number, localAddress?: string): Promise<string> {
  const conn = await connect(host, port, localAddress);
  await Promise.race([until(() => conn.text().includes('\n')), conn.closed]);
  conn.socket.destroy();
  return conn.text().split('\n')[0];
}

async function echo(conn: Conn, message: string): Promise<void> {
  const before = conn.text().length;
  conn.socket.write(message);
  await until(() => conn.text().length >= before + message.length);
  expect(conn.text().slice(before)).toBe(message);
}

function recordingAddresses(): VipAddresses & { hosted: Set<string>; log: string[] } {
  const hosted = new Set<string>();
  const log: string[] = [];
  const inner = loopbackVipAddresses();
  return {
    hosted,
    log,
    async add(ip) {
      await inner.add(ip);
      hosted.add(ip);
      log.push(`add ${ip}`);
    },
    async remove(ip) {
      await inner.remove(ip);
      hosted.delete(ip);
      log.push(`remove ${ip}`);
    },
  };
}

const noTunnel = { take: () => Promise.reject(new Error('no host tunnel in this test')) };

async function startNetd(modules: NetdModule[]): Promise<{ control: ControlServer; port: number }> {
  const control = createControlServer(TOKEN, modules);
  const port = await listen(control.server);
  cleanups.push(async () => {
    await control.close();
    for (const m of modules) await m.stop?.();
  });
  return { control, port };
}

function put(
  port: number,
  body: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: '/v1/services',
        method: 'PUT',
        agent: false,
        headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            json: JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(text);
  });
}

function tcpService(
  key: string,
  vip: string,
  port: number,
  backendPorts: number[],
  extra: Partial<ServiceConfig> = {},
): ServiceConfig {
  return {
    key,
    vips: [vip],
    ports: [
      {
        name: 'web',
        protocol: 'TCP',
        port,
        endpoints: backendPorts.map((p) => ({ ip: '127.0.0.1', port: p })),
      },
    ],
    ...extra,
  };
}

async function setup(options: Partial<Parameters<typeof servicesModule>[0]> = {}): Promise<{
  services: ServicesModule;
  port: number;
  addresses: ReturnType<typeof recordingAddresses>;
}> {
  const addresses = recordingAddresses();
  const services = servicesModule({ addresses, hostTunnel: noTunnel, ...options });
  const { port } = await startNetd([services]);
  return { services, port, addresses };
}

describe('services module: TCP', () => {
  it('spreads 30 connections round-robin over 3 endpoints', async () => {
    const { port } = await setup();
    const backends = await Promise.all(['a', 'b', 'c'].map((n) => tcpBackend(n)));
    const vip = '127.0.0.2';
    const svcPort = await freePort(vip);
    const reply = await put(port, {
      services: [
        tcpService(
          'default/web',
          vip,
          svcPort,
          backends.map((b) => b.port),
        ),
      ],
    });
    expect(reply).toEqual({ status: 200, json: { applied: 1, errors: [] } });

    const counts: Record<string, number> = {};
    for (let i = 0; i < 30; i++) {
      const name = await whoAnswers(vip, svcPort);
      counts[name] = (counts[name] ?? 0) + 1;
    }
    expect(counts).toEqual({ a: 10, b: 10, c: 10 });
  });

  it('pins a client IP to one endpoint with ClientIP affinity, until the timeout', async () => {
    let clock = 1_000_000;
    const { port } = await setup({ now: () => clock });
    const backends = await Promise.all(['a', 'b', 'c'].map((n) => tcpBackend(n)));
    const vip = '127.0.0.4';
    const svcPort = await freePort(vip);
    const config = (ports: number[]) => ({
      services: [tcpService('default/sticky', vip, svcPort, ports, { affinityTimeoutSeconds: 60 })],
    });
    await put(port, config(backends.map((b) => b.port)));

    const first: string[] = [];
    const second: string[] = [];
    for (let i = 0; i < 6; i++) {
      first.push(await whoAnswers(vip, svcPort, '127.0.0.1'));
      second.push(await whoAnswers(vip, svcPort, '127.0.0.9'));
      clock += 30_000; // under the timeout since the last connection: the pin is refreshed
    }
    expect(new Set(first).size).toBe(1);
    expect(new Set(second).size).toBe(1);
    expect(first[0]).not.toBe(second[0]);

    clock += 61_000; // the pin expired: round-robin picks the endpoint nobody has
    const third = await whoAnswers(vip, svcPort, '127.0.0.1');
    expect([first[0], second[0]]).not.toContain(third);

    // The pinned endpoint leaves: the client moves, and stays on its new endpoint.
    const remaining = backends.filter((_, i) => ['a', 'b', 'c'][i] !== third);
    await put(port, config(remaining.map((b) => b.port)));
    const moved = await whoAnswers(vip, svcPort, '127.0.0.1');
    expect(moved).not.toBe(third);
    expect(await whoAnswers(vip, svcPort, '127.0.0.1')).toBe(moved);
  });

  it('resets connections at once when the Service has no endpoints', async () => {
    const { port } = await setup();
    const vip = '127.0.0.5';
    const svcPort = await freePort(vip);
    await put(port, { services: [tcpService('default/empty', vip, svcPort, [])] });
    expect(await resetOutcome(vip, svcPort)).toEqual({ error: 'ECONNRESET', data: '' });
  });

  it('fails over to the next endpoint when one refuses, and keeps the spread even', async () => {
    const { port } = await setup();
    const a = await tcpBackend('a');
    const b = await tcpBackend('b');
    const dead = await freePort('127.0.0.1');
    const vip = '127.0.0.6';
    const svcPort = await freePort(vip);
    await put(port, {
      services: [tcpService('default/flaky', vip, svcPort, [dead, a.port, b.port])],
    });
    const names: string[] = [];
    for (let i = 0; i < 9; i++) names.push(await whoAnswers(vip, svcPort));
    expect(names.every((n) => n === 'a' || n === 'b')).toBe(true);
    expect(a.connections() + b.connections()).toBe(9);
    expect(Math.abs(a.connections() - b.connections())).toBeLessThanOrEqual(3);
  });

  it('resets the client when every endpoint refuses', async () => {
    const { port } = await setup();
    const vip = '127.0.0.6';
    const svcPort = await freePort(vip);
    const dead = [await freePort('127.0.0.1'), await freePort('127.0.0.1')];
    await put(port, { services: [tcpService('default/down', vip, svcPort, dead)] });
    expect(await resetOutcome(vip, svcPort)).toEqual({ error: 'ECONNRESET', data: '' });
  });

  it('applies changes live: other Services and established connections are untouched', async () => {
    const { port, addresses } = await setup();
    const one = await tcpBackend('one');
    const two = await tcpBackend('two');
    const [vipA, vipB] = ['127.0.0.7', '127.0.0.8'];
    const portA = await freePort(vipA);
    const portB = await freePort(vipB);
    const serviceA = (backend: number) => tcpService('default/a', vipA, portA, [backend]);
    const serviceB = tcpService('default/b', vipB, portB, [two.port]);

    await put(port, { services: [serviceA(one.port)] });
    const connA = await connect(vipA, portA);
    await until(() => connA.text() === 'one\n');
    await echo(connA, 'before');

    // Service B is added: A's connection goes on.
    expect((await put(port, { services: [serviceA(one.port), serviceB] })).json).toEqual({
      applied: 2,
      errors: [],
    });
    expect(addresses.hosted).toEqual(new Set([vipA, vipB]));
    const connB = await connect(vipB, portB);
    await until(() => connB.text() === 'two\n');
    await echo(connA, 'after-add');

    // A's endpoints change and B is removed: A's established connection stays on its old
    // endpoint, new ones go to the new endpoint, B's connection and listener and VIP go away.
    await put(port, { services: [serviceA(two.port)] });
    await echo(connA, 'after-change');
    expect(await whoAnswers(vipA, portA)).toBe('two');
    await connB.closed;
    expect(connB.socket.destroyed).toBe(true);
    await expect(connect(vipB, portB)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(addresses.hosted).toEqual(new Set([vipA]));
    expect(addresses.log).toContain(`remove ${vipB}`);
    await echo(connA, 'still-there');
    expect(connA.socket.destroyed).toBe(false);
  });

  it('serves every port of a multi-port Service on every VIP', async () => {
    const { services } = await setup();
    const web = await tcpBackend('web');
    const admin = await tcpBackend('admin');
    const vips = ['127.0.0.10', '127.0.0.11'];
    const [p1, p2] = [await freePort(vips[0]), await freePort(vips[0])];
    const result = await services.apply({
      services: [
        {
          key: 'default/multi',
          vips,
          ports: [
            {
              name: 'web',
              protocol: 'TCP',
              port: p1,
              endpoints: [{ ip: '127.0.0.1', port: web.port }],
            },
            {
              name: 'admin',
              protocol: 'TCP',
              port: p2,
              endpoints: [{ ip: '127.0.0.1', port: admin.port }],
            },
          ],
        },
      ],
    });
    expect(result).toEqual({ applied: 4, errors: [] });
    for (const vip of vips) {
      expect(await whoAnswers(vip, p1)).toBe('web');
      expect(await whoAnswers(vip, p2)).toBe('admin');
    }
  });

  it('reports a port it cannot bind, serves the rest, and binds it once it is free', async () => {
    const lines: string[] = [];
    const { port } = await setup({ retryMs: 50, log: (l) => lines.push(l) });
    const backend = await tcpBackend('ok');
    const vip = '127.0.0.12';
    const [taken, free] = [await freePort(vip), await freePort(vip)];
    const squatter = net.createServer();
    await listen(squatter, vip, taken);
    const reply = await put(port, {
      services: [
        tcpService('default/blocked', vip, taken, [backend.port]),
        tcpService('default/fine', vip, free, [backend.port]),
      ],
    });
    expect(reply.status).toBe(200);
    expect(reply.json.applied).toBe(1);
    expect(reply.json.errors).toEqual([
      expect.stringMatching(new RegExp(`default/blocked ${vip}:${taken}/TCP: .*EADDRINUSE`)),
    ]);
    expect(lines.join('\n')).toContain('EADDRINUSE');
    expect(await whoAnswers(vip, free)).toBe('ok');

    await new Promise((resolve) => squatter.close(resolve));
    await until(async () => (await whoAnswers(vip, taken).catch(() => '')) === 'ok');
  });

  it('closes everything and removes its VIPs on stop', async () => {
    const addresses = recordingAddresses();
    const services = servicesModule({ addresses, hostTunnel: noTunnel });
    const backend = await tcpBackend('x');
    const vip = '127.0.0.13';
    const svcPort = await freePort(vip);
    await services.apply({ services: [tcpService('default/x', vip, svcPort, [backend.port])] });
    const conn = await connect(vip, svcPort);
    await until(() => conn.text() === 'x\n');
    await services.stop?.();
    await conn.closed;
    expect(addresses.hosted.size).toBe(0);
    await expect(connect(vip, svcPort)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});

describe('services module: UDP', () => {
  async function ask(
    socket: dgram.Socket,
    vip: string,
    port: number,
    message: string,
  ): Promise<{ text: string; from: string }> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no UDP answer to ${message}`)), 2_000);
      socket.once('message', (msg, rinfo) => {
        clearTimeout(timer);
        resolve({ text: String(msg), from: `${rinfo.address}:${rinfo.port}` });
      });
      socket.send(message, port, vip);
    });
  }

  async function client(): Promise<dgram.Socket> {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => socket.close(() => resolve())));
    return socket;
  }

  function udpService(vip: string, port: number, backends: number[]): ServicesConfig {
    return {
      services: [
        {
          key: 'default/dns',
          vips: [vip],
          ports: [
            {
              name: 'dns',
              protocol: 'UDP',
              port,
              endpoints: backends.map((p) => ({ ip: '127.0.0.1', port: p })),
            },
          ],
        },
      ],
    };
  }

  it('answers from the VIP, keeps a flow on one endpoint, and expires idle flows', async () => {
    const { port } = await setup({ udpIdleTimeoutMs: 300 });
    const backends = [await udpBackend('u1'), await udpBackend('u2'), await udpBackend('u3')];
    const vip = '127.0.0.14';
    const svcPort = await freePort(vip);
    expect((await put(port, udpService(vip, svcPort, backends))).json).toEqual({
      applied: 1,
      errors: [],
    });

    const c1 = await client();
    const c2 = await client();
    const replies = [];
    for (let i = 0; i < 3; i++) replies.push(await ask(c1, vip, svcPort, `q${i}`));
    expect(replies.map((r) => r.from)).toEqual(Array(3).fill(`${vip}:${svcPort}`));
    const first = replies[0].text.split(':')[0];
    expect(replies.map((r) => r.text)).toEqual([`${first}:q0`, `${first}:q1`, `${first}:q2`]);

    // Another client is another flow: the next endpoint.
    const other = (await ask(c2, vip, svcPort, 'hello')).text.split(':')[0];
    expect(other).not.toBe(first);

    // c1 idle past the timeout: its next datagram is a new flow, and round-robin moves on to the
    // endpoint neither flow had.
    await new Promise((r) => setTimeout(r, 500));
    const third = (await ask(c1, vip, svcPort, 'again')).text.split(':');
    expect(third[1]).toBe('again');
    expect(['u1', 'u2', 'u3'].filter((n) => n !== first && n !== other)).toEqual([third[0]]);
  });

  it('moves a flow whose endpoint left or refuses to another endpoint', async () => {
    const { port } = await setup();
    const live = await udpBackend('live');
    const gone = await udpBackend('gone');
    const vip = '127.0.0.15';
    const svcPort = await freePort(vip);
    await put(port, udpService(vip, svcPort, [gone]));
    const c = await client();
    expect((await ask(c, vip, svcPort, 'a')).text).toBe('gone:a');
    // The endpoint leaves: as kube-proxy clears its conntrack entries, the flow moves at once.
    await put(port, udpService(vip, svcPort, [live]));
    expect((await ask(c, vip, svcPort, 'b')).text).toBe('live:b');

    // An endpoint whose port is closed answers ICMP port unreachable: that flow ends, and the
    // client's next datagram starts a new one on the next endpoint.
    const deadPort = await freeUdpPort();
    await put(port, udpService(vip, svcPort, [deadPort, live]));
    const d = await client();
    d.send('lost', svcPort, vip);
    await new Promise((r) => setTimeout(r, 200));
    expect((await ask(d, vip, svcPort, 'c')).text).toBe('live:c');
  });
});

describe('services module: validation', () => {
  it('answers 400 naming the bad field, and leaves the applied state alone', async () => {
    const { port } = await setup();
    const backend = await tcpBackend('kept');
    const vip = '127.0.0.16';
    const svcPort = await freePort(vip);
    const good = tcpService('default/kept', vip, svcPort, [backend.port]);
    await put(port, { services: [good] });

    const bad: [unknown, string][] = [
      ['{not json', ''],
      [{}, 'services: must be an array'],
      [{ services: [{ ...good, key: 'nokey' }] }, 'services[0].key'],
      [{ services: [{ ...good, vips: ['10.0.0.300'] }] }, 'services[0].vips[0]: must be an IPv4'],
      [
        { services: [{ ...good, ports: [{ ...good.ports[0], port: 0 }] }] },
        'services[0].ports[0].port',
      ],
      [
        { services: [{ ...good, ports: [{ ...good.ports[0], protocol: 'SCTP' }] }] },
        'services[0].ports[0].protocol',
      ],
      [
        {
          services: [
            { ...good, ports: [{ ...good.ports[0], endpoints: [{ ip: 'pod', port: 1 }] }] },
          ],
        },
        'services[0].ports[0].endpoints[0].ip',
      ],
      [
        { services: [{ ...good, affinityTimeoutSeconds: 0 }] },
        'services[0].affinityTimeoutSeconds',
      ],
      [
        { services: [good, { ...good, key: 'default/twin' }] },
        `services[1].ports[0].port: ${vip}:${svcPort}/TCP is already served by services[0].ports[0]`,
      ],
      [
        { services: [{ ...good, ports: [{ ...good.ports[0], protocol: 'UDP', toHost: true }] }] },
        'services[0].ports[0].toHost',
      ],
    ];
    for (const [body, message] of bad) {
      const reply = await put(port, body);
      expect(reply.status, JSON.stringify(body)).toBe(400);
      expect(String(reply.json.error)).toContain(message);
    }
    expect(await whoAnswers(vip, svcPort)).toBe('kept');
  });

  it('parses a valid document to the same document', () => {
    const config: ServicesConfig = {
      services: [
        {
          key: 'ns/svc',
          vips: ['10.96.0.10'],
          affinityTimeoutSeconds: 10800,
          ports: [
            { name: 'https', protocol: 'TCP', port: 443, endpoints: [], toHost: true },
            { name: 'dns', protocol: 'UDP', port: 53, endpoints: [{ ip: '10.0.0.5', port: 5353 }] },
          ],
        },
      ],
    };
    expect(parseServicesConfig(JSON.parse(JSON.stringify(config)))).toEqual(config);
  });
});

describe('services module: toHost through the host tunnel', () => {
  it('carries a pod connection to the API server on the host, beyond the idle pool', async () => {
    const tunnel = hostTunnelModule();
    const services = servicesModule({ addresses: loopbackVipAddresses(), hostTunnel: tunnel });
    const { port } = await startNetd([tunnel, services]);

    // Stands in for the API server: greets, then echoes upper-cased.
    const apiSockets = new Set<net.Socket>();
    const api = net.createServer((socket) => {
      apiSockets.add(socket);
      socket.on('error', () => {});
      socket.write('api\n');
      socket.on('data', (chunk: Buffer) => socket.write(chunk.toString().toUpperCase()));
    });
    const apiPort = await listen(api);
    cleanups.push(() => {
      for (const s of apiSockets) s.destroy();
      api.close();
    });
    const tunnels = startHostTunnels({
      endpoint: () => Promise.resolve({ host: '127.0.0.1', port, token: TOKEN }),
      target: () => ({ host: '127.0.0.1', port: apiPort }),
      pool: 2,
    });
    cleanups.push(() => tunnels.stop());
    await until(() => tunnel.idle === 2);

    const vip = '127.0.0.17';
    const svcPort = await freePort(vip);
    await services.apply({
      services: [
        {
          key: 'default/kubernetes',
          vips: [vip],
          ports: [{ name: 'https', protocol: 'TCP', port: svcPort, endpoints: [], toHost: true }],
        },
      ],
    });
    const conns = await Promise.all(Array.from({ length: 5 }, () => connect(vip, svcPort)));
    await Promise.all(
      conns.map(async (conn, i) => {
        await until(() => conn.text() === 'api\n');
        conn.socket.write(`hello ${i}`);
        await until(() => conn.text() === `api\nHELLO ${i}`);
      }),
    );
    expect(apiSockets.size).toBe(5);
    await until(() => tunnel.idle === 2);
  });
});
