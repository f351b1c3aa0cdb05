import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { execFile, execFileSync } from 'node:child_process';
import dgram from 'node:dgram';
import { EventEmitter, once } from 'node:events';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Duplex } from 'node:stream';
import type { KubeObject } from '../../main/api/types.ts';
import { HostPorts, bindError } from './host-ports.ts';
import type { DatagramTunnel } from './udp-host-port.ts';

const HOST = '127.0.0.1';
const execFileAsync = promisify(execFile);

const isRoot = process.getuid?.() === 0;
/** Whether some user here lacks the right to bind low ports: ourselves, or nobody via runuser. */
const canDropRoot = (() => {
  if (process.platform !== 'linux') return false;
  try {
    const start = Number(readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8'));
    if (!(start > 81)) return false;
    if (!isRoot) return true;
    execFileSync('runuser', ['-u', 'nobody', '--', 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** A port nothing listens on right now. */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen({ host: HOST, port: 0 }, resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The cluster side: one echo server per "ClusterIP:port", answering `<tag>:<bytes>`. */
class Backends {
  readonly servers = new Map<string, net.Server>();
  readonly dials: string[] = [];
  readonly sockets = new Set<net.Socket>();
  failing = false;

  async add(target: string): Promise<void> {
    const server = net.createServer({ allowHalfOpen: true }, (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => undefined);
      socket.on('data', (data) => socket.write(`${target}:${data.toString()}`));
      // Half-close: answer after the client has finished sending, then finish too.
      socket.on('end', () => socket.end(`${target}:bye`));
    });
    await new Promise<void>((resolve) => server.listen({ host: HOST, port: 0 }, resolve));
    this.servers.set(target, server);
  }

  dial = (ip: string, port: number): Promise<Duplex> => {
    const target = `${ip}:${port}`;
    this.dials.push(target);
    const server = this.servers.get(target);
    if (this.failing || !server) return Promise.reject(new Error(`dial tcp ${target}: refused`));
    const { port: local } = server.address() as net.AddressInfo;
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: HOST, port: local, allowHalfOpen: true });
      socket.once('connect', () => resolve(socket));
      socket.once('error', reject);
    });
  };

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await Promise.all(
      [...this.servers.values()].map((s) => new Promise((resolve) => s.close(resolve))),
    );
  }
}

/** A client connection on the host that collects what it receives. */
class Client {
  received = '';
  closed = false;
  readonly socket: net.Socket;
  private readonly waiters: (() => void)[] = [];

  constructor(port: number) {
    this.socket = net.connect({ host: HOST, port, allowHalfOpen: true });
    this.socket.on('data', (data) => {
      this.received += data.toString();
      this.wake();
    });
    this.socket.on('error', () => undefined);
    // The peer finishing (FIN) counts: this socket is half-open and would not close by itself.
    const finished = () => {
      this.closed = true;
      this.wake();
    };
    this.socket.on('end', finished);
    this.socket.on('close', finished);
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  async until(check: () => boolean, what: string): Promise<void> {
    const deadline = Date.now() + 5000;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${this.received}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  async send(text: string): Promise<string> {
    const before = this.received.length;
    this.socket.write(text);
    await this.until(() => this.received.slice(before).includes(text), `echo of ${text}`);
    return this.received.slice(before);
  }

  async waitClosed(): Promise<void> {
    await this.until(() => this.closed, 'close');
  }
}

async function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: HOST, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

function service(
  name: string,
  type: 'ClusterIP' | 'NodePort' | 'LoadBalancer',
  clusterIP: string,
  ports: Record<string, unknown>[],
  created = '2026-01-01T00:00:00Z',
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { namespace: 'ns', name, creationTimestamp: created },
    spec: { type, clusterIP, clusterIPs: [clusterIP], ports },
  };
}

describe('HostPorts', () => {
  let backends: Backends;
  let hostPorts: HostPorts;
  let lines: string[];
  const clients: Client[] = [];
  const connect = (port: number) => {
    const client = new Client(port);
    clients.push(client);
    return client;
  };

  beforeEach(async () => {
    backends = new Backends();
    await backends.add('10.96.0.10:80');
    await backends.add('10.96.0.10:8080');
    await backends.add('10.96.0.11:80');
    lines = [];
    hostPorts = new HostPorts({ dial: backends.dial, log: (line) => lines.push(line) });
  });

  afterEach(async () => {
    for (const client of clients.splice(0)) client.socket.destroy();
    await hostPorts.close();
    await backends.close();
  });

  it('forwards a NodePort to the ClusterIP and Service port, bytes both ways', async () => {
    const nodePort = await freePort();
    const result = await hostPorts.apply([
      service('web', 'NodePort', '10.96.0.10', [
        { port: 80, targetPort: 8080, nodePort, protocol: 'TCP' },
      ]),
      service('internal', 'ClusterIP', '10.96.0.11', [{ port: 80 }]),
    ]);
    expect([...result]).toEqual([
      ['ns/web', { ports: [{ port: nodePort, protocol: 'TCP', kind: 'NodePort' }], errors: [] }],
    ]);
    const client = connect(nodePort);
    expect(await client.send('hello')).toBe('10.96.0.10:80:hello');
    expect(await client.send('again')).toBe('10.96.0.10:80:again');
    expect(backends.dials).toEqual(['10.96.0.10:80']);
  });

  it('opens the nodePort and the Service port of a LoadBalancer', async () => {
    const [nodePort, lbPort] = [await freePort(), await freePort()];
    const result = await hostPorts.apply([
      service('lb', 'LoadBalancer', '10.96.0.10', [{ port: lbPort, nodePort, protocol: 'TCP' }]),
    ]);
    expect(result.get('ns/lb')?.errors).toEqual([]);
    expect(result.get('ns/lb')?.ports).toEqual(
      [
        { port: nodePort, protocol: 'TCP', kind: 'NodePort' },
        { port: lbPort, protocol: 'TCP', kind: 'LoadBalancer' },
      ].sort((a, b) => a.port - b.port),
    );
    await backends.add(`10.96.0.10:${lbPort}`);
    expect(await connect(nodePort).send('a')).toBe(`10.96.0.10:${lbPort}:a`);
    expect(await connect(lbPort).send('b')).toBe(`10.96.0.10:${lbPort}:b`);
  });

  it('opens only the Service port of a LoadBalancer without node ports', async () => {
    const lbPort = await freePort();
    await backends.add(`10.96.0.10:${lbPort}`);
    const result = await hostPorts.apply([
      service('lb', 'LoadBalancer', '10.96.0.10', [{ port: lbPort }]),
    ]);
    expect(result.get('ns/lb')).toEqual({
      ports: [{ port: lbPort, protocol: 'TCP', kind: 'LoadBalancer' }],
      errors: [],
    });
    expect(await connect(lbPort).send('x')).toBe(`10.96.0.10:${lbPort}:x`);
  });

  it('leaves the load balancer of a Service with a loadBalancerClass to that class, NodePort included', async () => {
    const [nodePort, lbPort] = [await freePort(), await freePort()];
    const classed = service('metallb', 'LoadBalancer', '10.96.0.10', [{ port: lbPort, nodePort }]);
    (classed.spec as Record<string, unknown>).loadBalancerClass = 'example.com/other';
    const result = await hostPorts.apply([classed]);
    expect(result.get('ns/metallb')).toEqual({
      ports: [{ port: nodePort, protocol: 'TCP', kind: 'NodePort' }],
      errors: [],
    });
    await backends.add(`10.96.0.10:${lbPort}`);
    expect(await connect(nodePort).send('n')).toBe(`10.96.0.10:${lbPort}:n`);
    const refused = connect(lbPort);
    await refused.waitClosed();
    expect(refused.received).toBe('');
  });

  it('keeps open connections across applies, retargets new ones, closes removed ports', async () => {
    const [webPort, otherPort] = [await freePort(), await freePort()];
    const web = (port: number) =>
      service('web', 'NodePort', '10.96.0.10', [{ port, nodePort: webPort }]);
    await hostPorts.apply([web(80)]);
    const first = connect(webPort);
    expect(await first.send('one')).toBe('10.96.0.10:80:one');

    // Another Service appears and this one changes its port: the listener and connection stay.
    const result = await hostPorts.apply([
      web(8080),
      service('other', 'NodePort', '10.96.0.11', [{ port: 80, nodePort: otherPort }]),
    ]);
    expect(result.get('ns/other')?.ports).toHaveLength(1);
    expect(await first.send('two')).toBe('10.96.0.10:80:two');
    expect(await connect(webPort).send('three')).toBe('10.96.0.10:8080:three');
    expect(await connect(otherPort).send('four')).toBe('10.96.0.11:80:four');

    // The Service goes back to ClusterIP: its port closes with its connections; the other stays.
    const other = connect(otherPort);
    expect(await other.send('five')).toBe('10.96.0.11:80:five');
    const after = await hostPorts.apply([
      service('web', 'ClusterIP', '10.96.0.10', [{ port: 8080 }]),
      service('other', 'NodePort', '10.96.0.11', [{ port: 80, nodePort: otherPort }]),
    ]);
    expect(after.has('ns/web')).toBe(false);
    await first.waitClosed();
    expect(await refused(webPort)).toBe(true);
    expect(other.closed).toBe(false);
    expect(await other.send('six')).toBe('10.96.0.11:80:six');
  });

  it('gives a port two Services ask for to the older one and reports it on the other', async () => {
    const lbPort = await freePort();
    await backends.add(`10.96.0.10:${lbPort}`);
    await backends.add(`10.96.0.11:${lbPort}`);
    const older = service(
      'a',
      'LoadBalancer',
      '10.96.0.10',
      [{ port: lbPort }],
      '2026-01-01T00:00:00Z',
    );
    const newer = service(
      'b',
      'LoadBalancer',
      '10.96.0.11',
      [{ port: lbPort }],
      '2026-01-02T00:00:00Z',
    );
    const result = await hostPorts.apply([newer, older]);
    expect(result.get('ns/a')).toEqual({
      ports: [{ port: lbPort, protocol: 'TCP', kind: 'LoadBalancer' }],
      errors: [],
    });
    expect(result.get('ns/b')).toEqual({
      ports: [],
      errors: [`127.0.0.1:${lbPort} is already in use by Service ns/a`],
    });
    expect(await connect(lbPort).send('x')).toBe(`10.96.0.10:${lbPort}:x`);

    // The older one goes: the newer one gets the port on the next apply.
    const next = await hostPorts.apply([newer]);
    expect(next.get('ns/b')?.errors).toEqual([]);
    expect(await connect(lbPort).send('y')).toBe(`10.96.0.11:${lbPort}:y`);
  });

  it('lets the Service holding a port keep it even when an older one asks later', async () => {
    const lbPort = await freePort();
    const newer = service(
      'b',
      'LoadBalancer',
      '10.96.0.11',
      [{ port: lbPort }],
      '2026-01-02T00:00:00Z',
    );
    await hostPorts.apply([newer]);
    const older = service(
      'a',
      'LoadBalancer',
      '10.96.0.10',
      [{ port: lbPort }],
      '2026-01-01T00:00:00Z',
    );
    const result = await hostPorts.apply([older, newer]);
    expect(result.get('ns/b')?.errors).toEqual([]);
    expect(result.get('ns/a')?.errors).toEqual([
      `127.0.0.1:${lbPort} is already in use by Service ns/b`,
    ]);
  });

  it('reports a port another program holds without affecting other Services', async () => {
    const [busyPort, okPort] = [await freePort(), await freePort()];
    const squatter = net.createServer();
    await new Promise<void>((resolve) => squatter.listen({ host: HOST, port: busyPort }, resolve));
    try {
      const result = await hostPorts.apply([
        service('web', 'NodePort', '10.96.0.10', [
          { name: 'a', port: 80, nodePort: busyPort },
          { name: 'b', port: 8080, nodePort: okPort },
        ]),
        service('other', 'LoadBalancer', '10.96.0.11', [{ port: 80, nodePort: await freePort() }]),
      ]);
      expect(result.get('ns/web')).toEqual({
        ports: [{ port: okPort, protocol: 'TCP', kind: 'NodePort' }],
        errors: [`127.0.0.1:${busyPort} is already in use`],
      });
      expect(result.get('ns/other')?.ports).toHaveLength(2);
      expect(lines.some((l) => l.includes(`127.0.0.1:${busyPort} is already in use`))).toBe(true);
      expect(await connect(okPort).send('ok')).toBe('10.96.0.10:8080:ok');
      // Still taken on the next apply: reported again, logged once.
      const again = await hostPorts.apply([
        service('web', 'NodePort', '10.96.0.10', [
          { name: 'a', port: 80, nodePort: busyPort },
          { name: 'b', port: 8080, nodePort: okPort },
        ]),
      ]);
      expect(again.get('ns/web')?.errors).toEqual([`127.0.0.1:${busyPort} is already in use`]);
      expect(lines.filter((l) => l.includes(`${busyPort} is already in use`))).toHaveLength(1);
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
    // Freed: the next apply binds it.
    const retry = await hostPorts.apply([
      service('web', 'NodePort', '10.96.0.10', [
        { name: 'a', port: 80, nodePort: busyPort },
        { name: 'b', port: 8080, nodePort: okPort },
      ]),
    ]);
    expect(retry.get('ns/web')?.errors).toEqual([]);
    expect(await connect(busyPort).send('now')).toBe('10.96.0.10:80:now');
  });

  it('reports two ports of one Service on the same host port', async () => {
    const nodePort = await freePort();
    const result = await hostPorts.apply([
      service('web', 'NodePort', '10.96.0.10', [
        { name: 'a', port: 80, nodePort },
        { name: 'b', port: 8080, nodePort },
      ]),
    ]);
    expect(result.get('ns/web')).toEqual({
      ports: [{ port: nodePort, protocol: 'TCP', kind: 'NodePort' }],
      errors: [`127.0.0.1:${nodePort} is already in use by another port of this Service`],
    });
  });

  it('says UDP ports are not exposed instead of pretending', async () => {
    const [tcpPort, udpPort] = [await freePort(), await freePort()];
    const result = await hostPorts.apply([
      service('dns', 'NodePort', '10.96.0.10', [
        { name: 'tcp', port: 80, nodePort: tcpPort, protocol: 'TCP' },
        { name: 'udp', port: 53, nodePort: udpPort, protocol: 'UDP' },
      ]),
    ]);
    expect(result.get('ns/dns')).toEqual({
      ports: [{ port: tcpPort, protocol: 'TCP', kind: 'NodePort' }],
      errors: [`127.0.0.1:${udpPort}/UDP is not exposed: only TCP ports are forwarded to the host`],
    });
  });

  it('forwards UDP ports through a datagram tunnel per client, beside a TCP port of the same number', async () => {
    const port = await freePort();
    const sctpPort = await freePort();
    const tunnels: string[] = [];
    const udpPorts = new HostPorts({
      dial: backends.dial,
      dialUdp: (ip, target) => {
        tunnels.push(`${ip}:${target}`);
        const tunnel = new EventEmitter() as EventEmitter & DatagramTunnel;
        tunnel.send = (payload) =>
          setImmediate(() =>
            tunnel.emit('message', Buffer.from(`${ip}:${target}:${payload.toString()}`)),
          );
        tunnel.close = () => undefined;
        return Promise.resolve(tunnel);
      },
    });
    try {
      const result = await udpPorts.apply([
        service('dns', 'NodePort', '10.96.0.10', [
          { name: 'dns', port: 53, nodePort: port, protocol: 'UDP' },
          { name: 'dns-tcp', port: 80, nodePort: port, protocol: 'TCP' },
          { name: 'sctp', port: 9, nodePort: sctpPort, protocol: 'SCTP' },
        ]),
      ]);
      expect(result.get('ns/dns')).toEqual({
        ports: [
          { port, protocol: 'TCP', kind: 'NodePort' },
          { port, protocol: 'UDP', kind: 'NodePort' },
        ],
        errors: [
          `127.0.0.1:${sctpPort}/SCTP is not exposed: only TCP and UDP ports are forwarded to the host`,
        ],
      });
      const ask = async (socket: dgram.Socket, text: string) => {
        const reply = once(socket, 'message') as Promise<[Buffer]>;
        socket.send(text, port, HOST);
        return (await reply)[0].toString();
      };
      const [one, two] = [dgram.createSocket('udp4'), dgram.createSocket('udp4')];
      try {
        expect(await ask(one, 'a')).toBe('10.96.0.10:53:a');
        expect(await ask(one, 'b')).toBe('10.96.0.10:53:b');
        expect(await ask(two, 'c')).toBe('10.96.0.10:53:c');
        expect(tunnels).toEqual(['10.96.0.10:53', '10.96.0.10:53']); // one per client address
      } finally {
        one.close();
        two.close();
      }
      const tcp = new Client(port);
      clients.push(tcp);
      expect(await tcp.send('x')).toBe('10.96.0.10:80:x');
    } finally {
      await udpPorts.close();
    }
  });

  it('resets the client when the tunnel cannot be dialled', async () => {
    const nodePort = await freePort();
    await hostPorts.apply([service('web', 'NodePort', '10.96.0.10', [{ port: 80, nodePort }])]);
    backends.failing = true;
    const client = connect(nodePort);
    await client.waitClosed();
    expect(client.received).toBe('');
    expect(lines.some((l) => l.includes('dial tcp 10.96.0.10:80: refused'))).toBe(true);
  });

  it('delivers the reply to a client that has finished sending (half-close)', async () => {
    const nodePort = await freePort();
    await hostPorts.apply([service('web', 'NodePort', '10.96.0.10', [{ port: 80, nodePort }])]);
    const client = connect(nodePort);
    expect(await client.send('req')).toBe('10.96.0.10:80:req');
    client.socket.end();
    await client.waitClosed();
    expect(client.received).toBe('10.96.0.10:80:req10.96.0.10:80:bye');
  });

  it('closes every port and connection on close()', async () => {
    const [a, b] = [await freePort(), await freePort()];
    await hostPorts.apply([
      service('web', 'NodePort', '10.96.0.10', [{ port: 80, nodePort: a }]),
      service('other', 'NodePort', '10.96.0.11', [{ port: 80, nodePort: b }]),
    ]);
    const client = connect(a);
    expect(await client.send('x')).toBe('10.96.0.10:80:x');
    await hostPorts.close();
    await client.waitClosed();
    expect(await refused(a)).toBe(true);
    expect(await refused(b)).toBe(true);
    await client.until(() => backends.sockets.size === 0, 'the tunnel to close');
    expect(
      (
        await hostPorts.apply([
          service('web', 'NodePort', '10.96.0.10', [{ port: 80, nodePort: a }]),
        ])
      ).size,
    ).toBe(0);
    expect(await refused(a)).toBe(true);
  });

  it('opens no port for a Service without a ClusterIP and says why', async () => {
    const nodePort = await freePort();
    const result = await hostPorts.apply([
      service('web', 'NodePort', '', [{ port: 80, nodePort }]),
    ]);
    expect(result.get('ns/web')?.ports).toEqual([]);
    expect(result.get('ns/web')?.errors).toHaveLength(1);
    expect(await refused(nodePort)).toBe(true);
  });

  it.skipIf(!canDropRoot)('reports a privileged port as not permitted to a user', async () => {
    // Binding below 1024 is refused only without privileges: as root, run the check as nobody.
    const script = `
      const { HostPorts } = await import(${JSON.stringify(fileURLToPath(new URL('./host-ports.ts', import.meta.url)))});
      const hostPorts = new HostPorts({ dial: () => Promise.reject(new Error('unused')) });
      const result = await hostPorts.apply([{ apiVersion: 'v1', kind: 'Service',
        metadata: { namespace: 'ns', name: 'lb' },
        spec: { type: 'LoadBalancer', clusterIP: '10.96.0.10', ports: [{ port: 81 }] } }]);
      console.log(JSON.stringify(result.get('ns/lb')));
      await hostPorts.close();`;
    const node = [process.execPath, '--import', 'tsx/esm', '--input-type=module', '-e', script];
    const [file, ...args] = isRoot ? ['runuser', '-u', 'nobody', '--', ...node] : node;
    const { stdout } = await execFileAsync(file, args, { cwd: process.cwd(), timeout: 30_000 });
    expect(JSON.parse(stdout)).toEqual({
      ports: [],
      errors: [
        '127.0.0.1:81 is not permitted (ports below 1024 need root or CAP_NET_BIND_SERVICE)',
      ],
    });
  });
});

describe('bindError', () => {
  const error = (code: string, message = code) => Object.assign(new Error(message), { code });

  it('names the address and the reason', () => {
    expect(bindError('127.0.0.1:80', error('EADDRINUSE'))).toBe('127.0.0.1:80 is already in use');
    expect(bindError('127.0.0.1:80', error('EACCES'))).toBe(
      '127.0.0.1:80 is not permitted (ports below 1024 need root or CAP_NET_BIND_SERVICE)',
    );
    expect(bindError('127.0.0.1:80', error('EOTHER', 'listen EOTHER: odd'))).toBe(
      '127.0.0.1:80: listen EOTHER: odd',
    );
  });
});
