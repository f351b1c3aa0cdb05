// netd's Service proxy (kube-proxy's role, done in user space as its old userspace mode did): each
// ClusterIP is hosted on netd's interface, each VIP:port proxies TCP connections and UDP flows to
// the ready endpoints round-robin with ClientIP session affinity, and `toHost` ports ride the host
// tunnel to the API server. PUT /v1/services applies a whole ServicesConfig as a diff.
import dgram from 'node:dgram';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import type { Endpoint, ServicePortConfig, ServicesConfig } from '../config.ts';
import { readJson, sendJson, type NetdModule } from '../server.ts';
import type { VipAddresses } from '../vip-addresses.ts';

export interface ServicesModuleOptions {
  addresses: VipAddresses;
  hostTunnel: { take(): Promise<Duplex> };
  log?(line: string): void;
  /** A UDP flow with no packet either way for this long is forgotten (conntrack's UDP timeout). */
  udpIdleTimeoutMs?: number;
  /** Connect timeout of each successive attempt at a TCP endpoint; the last one repeats. */
  dialTimeoutsMs?: number[];
  /** Listeners that failed to bind (or VIPs that failed to be added) are tried again after this. */
  retryMs?: number;
  /** The clock of session affinity. */
  now?(): number;
}

export interface ServicesApplyResult {
  /** Listeners (VIP:port/protocol) serving after the apply. */
  applied: number;
  /** What could not be done, one line each; the rest of the document was applied. */
  errors: string[];
}

export type ServicesModule = NetdModule & {
  apply(config: ServicesConfig): Promise<ServicesApplyResult>;
};

/** conntrack's nf_conntrack_udp_timeout, which is what ages a kube-proxied UDP flow. */
const UDP_IDLE_TIMEOUT_MS = 30_000;
/** kube-proxy userspace mode's endpointDialTimeouts. */
const DIAL_TIMEOUTS_MS = [250, 500, 1_000, 2_000];
const RETRY_MS = 5_000;
const MAX_RETRY_MS = 60_000;
/** Datagrams kept for a UDP flow whose upstream socket is still connecting. */
const MAX_PENDING_DATAGRAMS = 64;
/** Apiserver validation: sessionAffinityConfig.clientIP.timeoutSeconds is in (0, 86400]. */
const MAX_AFFINITY_SECONDS = 86_400;

// ---------------------------------------------------------------------------------------------
// Validation: the agent is trusted but a bad document must be refused whole, naming the field.

class ConfigError extends Error {}

type Obj = Record<string, unknown>;
const isObj = (value: unknown): value is Obj =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function portNumber(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 65535)
    throw new ConfigError(`${field}: must be an integer between 1 and 65535`);
  return value;
}

function ipv4(value: unknown, field: string): string {
  if (typeof value !== 'string' || !net.isIPv4(value))
    throw new ConfigError(`${field}: must be an IPv4 address`);
  return value;
}

function list(value: unknown, field: string): unknown[] {
  if (!Array.isArray(value)) throw new ConfigError(`${field}: must be an array`);
  return value;
}

function record(value: unknown, field: string): Obj {
  if (!isObj(value)) throw new ConfigError(`${field}: must be an object`);
  return value;
}

/** Checks a PUT /v1/services body; throws an Error naming the first bad field. */
export function parseServicesConfig(body: unknown): ServicesConfig {
  const root = record(body, 'body');
  const keys = new Set<string>();
  const listeners = new Map<string, string>();
  const services = list(root.services, 'services').map((raw, i) => {
    const at = `services[${i}]`;
    const service = record(raw, at);
    if (typeof service.key !== 'string' || !/^[^/\s]+\/[^/\s]+$/.test(service.key))
      throw new ConfigError(`${at}.key: must be "namespace/name"`);
    if (keys.has(service.key)) throw new ConfigError(`${at}.key: duplicate "${service.key}"`);
    keys.add(service.key);
    const vips = list(service.vips, `${at}.vips`).map((ip, j) => ipv4(ip, `${at}.vips[${j}]`));
    let affinityTimeoutSeconds: number | undefined;
    if (service.affinityTimeoutSeconds !== undefined) {
      const seconds = service.affinityTimeoutSeconds;
      if (
        typeof seconds !== 'number' ||
        !Number.isInteger(seconds) ||
        seconds < 1 ||
        seconds > MAX_AFFINITY_SECONDS
      )
        throw new ConfigError(
          `${at}.affinityTimeoutSeconds: must be an integer between 1 and ${MAX_AFFINITY_SECONDS}`,
        );
      affinityTimeoutSeconds = seconds;
    }
    const names = new Set<string>();
    const ports = list(service.ports, `${at}.ports`).map((rawPort, j): ServicePortConfig => {
      const pat = `${at}.ports[${j}]`;
      const port = record(rawPort, pat);
      if (typeof port.name !== 'string') throw new ConfigError(`${pat}.name: must be a string`);
      if (port.protocol !== 'TCP' && port.protocol !== 'UDP')
        throw new ConfigError(`${pat}.protocol: must be "TCP" or "UDP"`);
      const number = portNumber(port.port, `${pat}.port`);
      if (names.has(`${port.name}/${port.protocol}`))
        throw new ConfigError(`${pat}.name: duplicate "${port.name}" for ${port.protocol}`);
      names.add(`${port.name}/${port.protocol}`);
      if (port.toHost !== undefined && typeof port.toHost !== 'boolean')
        throw new ConfigError(`${pat}.toHost: must be a boolean`);
      if (port.toHost && port.protocol !== 'TCP')
        throw new ConfigError(`${pat}.toHost: only TCP ports lead to the host`);
      const endpoints = list(port.endpoints, `${pat}.endpoints`).map((rawEp, k): Endpoint => {
        const eat = `${pat}.endpoints[${k}]`;
        const ep = record(rawEp, eat);
        return { ip: ipv4(ep.ip, `${eat}.ip`), port: portNumber(ep.port, `${eat}.port`) };
      });
      for (const vip of vips) {
        const id = listenerId(vip, number, port.protocol);
        const owner = listeners.get(id);
        if (owner !== undefined)
          throw new ConfigError(`${pat}.port: ${id} is already served by ${owner}`);
        listeners.set(id, pat);
      }
      return {
        name: port.name,
        protocol: port.protocol,
        port: number,
        endpoints,
        ...(port.toHost && { toHost: true }),
      };
    });
    return {
      key: service.key,
      vips,
      ports,
      ...(affinityTimeoutSeconds !== undefined && { affinityTimeoutSeconds }),
    };
  });
  return { services };
}

// ---------------------------------------------------------------------------------------------
// Load balancing: kube-proxy's LoadBalancerRR, one per Service port (ServicePortName), shared by
// every VIP of the Service.

const endpointKey = (ep: Endpoint): string => `${ep.ip}:${ep.port}`;

function listenerId(vip: string, port: number, protocol: string): string {
  return `${vip}:${port}/${protocol}`;
}

class Balancer {
  endpoints: Endpoint[] = [];
  toHost = false;
  private affinityMs: number | undefined;
  private next = 0;
  private readonly pinned = new Map<string, { endpoint: string; lastUsed: number }>();
  private lastSweep = 0;

  constructor(private readonly now: () => number) {}

  /** Returns the endpoints that left. */
  update(port: ServicePortConfig, affinitySeconds: number | undefined): Set<string> {
    const left = new Set(this.endpoints.map(endpointKey));
    for (const ep of port.endpoints) left.delete(endpointKey(ep));
    this.endpoints = port.endpoints;
    this.toHost = port.toHost === true;
    // Keeping the position (rather than restarting at the first endpoint, as the userspace
    // proxier did) spreads load evenly while endpoints come and go.
    this.next = this.endpoints.length ? this.next % this.endpoints.length : 0;
    this.affinityMs = affinitySeconds === undefined ? undefined : affinitySeconds * 1000;
    if (this.affinityMs === undefined) this.pinned.clear();
    for (const [client, pin] of this.pinned) if (left.has(pin.endpoint)) this.pinned.delete(client);
    return left;
  }

  /** The endpoint for a new connection from clientIp, skipping those already tried. */
  pick(clientIp: string, tried: ReadonlySet<string>): Endpoint | undefined {
    const count = this.endpoints.length;
    if (!count) return undefined;
    const now = this.now();
    if (this.affinityMs !== undefined) {
      this.sweep(now);
      const pin = this.pinned.get(clientIp);
      if (pin && now - pin.lastUsed < this.affinityMs && !tried.has(pin.endpoint)) {
        const ep = this.endpoints.find((e) => endpointKey(e) === pin.endpoint);
        if (ep) {
          pin.lastUsed = now;
          return ep;
        }
      }
    }
    for (let i = 0; i < count; i++) {
      const ep = this.endpoints[this.next];
      this.next = (this.next + 1) % count;
      if (tried.has(endpointKey(ep))) continue;
      if (this.affinityMs !== undefined)
        this.pinned.set(clientIp, { endpoint: endpointKey(ep), lastUsed: now });
      return ep;
    }
    return undefined;
  }

  private sweep(now: number): void {
    if (this.affinityMs === undefined || now - this.lastSweep < 60_000) return;
    this.lastSweep = now;
    for (const [client, pin] of this.pinned)
      if (now - pin.lastUsed >= this.affinityMs) this.pinned.delete(client);
  }
}

// ---------------------------------------------------------------------------------------------
// Listeners.

interface Listener {
  readonly id: string;
  readonly service: string;
  readonly vip: string;
  balancer: Balancer;
  bind(): Promise<void>;
  /** Endpoints removed from the Service: UDP flows to them end, as kube-proxy clears conntrack. */
  endpointsLeft(left: ReadonlySet<string>): void;
  close(): Promise<void>;
}

interface ListenerContext {
  hostTunnel: { take(): Promise<Duplex> };
  log(line: string): void;
  udpIdleTimeoutMs: number;
  dialTimeoutsMs: number[];
}

function reset(socket: net.Socket): void {
  if (socket.destroyed) return;
  // An RST, as the kernel would send for a refused or aborted connection; a socket still
  // connecting has nothing to reset.
  if (socket.readyState === 'opening') socket.destroy();
  else socket.resetAndDestroy();
}

function connectTcp(ep: Endpoint, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: ep.ip, port: ep.port, allowHalfOpen: true });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`dial tcp ${endpointKey(ep)}: i/o timeout`));
    }, timeoutMs);
    const onError = (err: Error) => {
      clearTimeout(timer);
      reject(err);
    };
    socket.once('error', onError);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.off('error', onError);
      resolve(socket);
    });
  });
}

/**
 * Pipes both ways with half-close, the way the userspace proxier copied bytes: an end in one
 * direction is passed on and the other keeps flowing; an abort on either side resets the other.
 */
function join(client: net.Socket, upstream: Duplex): void {
  if (upstream instanceof net.Socket) upstream.setNoDelay(true);
  upstream.on('error', () => reset(client));
  client.on('error', () => upstream.destroy());
  client.on('close', () => {
    if (!upstream.writableEnded) upstream.destroy();
  });
  upstream.on('close', () => {
    if (!client.writableEnded) reset(client);
  });
  client.pipe(upstream);
  upstream.pipe(client);
}

class TcpListener implements Listener {
  readonly id: string;
  private readonly server: net.Server;
  private readonly connections = new Set<{ client: net.Socket; upstream?: Duplex }>();
  private closed = false;

  constructor(
    readonly service: string,
    readonly vip: string,
    private readonly port: number,
    public balancer: Balancer,
    private readonly ctx: ListenerContext,
  ) {
    this.id = listenerId(vip, port, 'TCP');
    // Paused: the client's first bytes wait in the kernel until an endpoint is connected.
    this.server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (client) =>
      this.accept(client),
    );
  }

  bind(): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.server.once('error', onError);
      this.server.listen({ host: this.vip, port: this.port }, () => {
        this.server.off('error', onError);
        this.server.on('error', (err) => this.ctx.log(`services: ${this.id}: ${err.message}`));
        resolve();
      });
    });
  }

  endpointsLeft(): void {
    // Established TCP connections to an endpoint that left finish on their own (conntrack keeps
    // them under kube-proxy too); only new connections see the new endpoints.
  }

  private accept(client: net.Socket): void {
    const conn: { client: net.Socket; upstream?: Duplex } = { client };
    this.connections.add(conn);
    client.setNoDelay(true);
    client.on('error', () => conn.upstream?.destroy());
    client.on('close', () => this.connections.delete(conn));
    void this.connect(conn);
  }

  private async connect(conn: { client: net.Socket; upstream?: Duplex }): Promise<void> {
    const { client } = conn;
    const balancer = this.balancer;
    let upstream: Duplex | undefined;
    if (balancer.toHost) {
      try {
        upstream = await this.ctx.hostTunnel.take();
      } catch (err) {
        this.ctx.log(
          `services: ${this.id} (${this.service}) to the host: ${(err as Error).message}`,
        );
      }
    } else {
      const clientIp = client.remoteAddress ?? '';
      const tried = new Set<string>();
      for (let attempt = 0; !client.destroyed && !this.closed; attempt++) {
        const ep = balancer.pick(clientIp, tried);
        if (!ep) break;
        tried.add(endpointKey(ep));
        const timeouts = this.ctx.dialTimeoutsMs;
        try {
          upstream = await connectTcp(ep, timeouts[Math.min(attempt, timeouts.length - 1)]);
          break;
        } catch (err) {
          this.ctx.log(`services: ${this.id} (${this.service}): ${(err as Error).message}`);
        }
      }
    }
    if (!upstream) return reset(client);
    if (client.destroyed || this.closed) {
      upstream.destroy();
      return;
    }
    conn.upstream = upstream;
    join(client, upstream);
  }

  async close(): Promise<void> {
    this.closed = true;
    const done = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const { client, upstream } of this.connections) {
      upstream?.destroy();
      client.destroy();
    }
    this.connections.clear();
    if (this.server.listening) await done;
  }
}

interface UdpFlow {
  key: string;
  address: string;
  port: number;
  endpoint: string;
  socket: dgram.Socket;
  connected: boolean;
  pending: Buffer[];
  lastActive: number;
  timer: NodeJS.Timeout;
}

class UdpListener implements Listener {
  readonly id: string;
  private readonly socket = dgram.createSocket({ type: 'udp4' });
  private readonly flows = new Map<string, UdpFlow>();

  constructor(
    readonly service: string,
    readonly vip: string,
    private readonly port: number,
    public balancer: Balancer,
    private readonly ctx: ListenerContext,
  ) {
    this.id = listenerId(vip, port, 'UDP');
    this.socket.on('message', (msg, rinfo) => this.receive(msg, rinfo));
  }

  bind(): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => {
        this.socket.close();
        reject(err);
      };
      this.socket.once('error', onError);
      this.socket.bind({ address: this.vip, port: this.port }, () => {
        this.socket.off('error', onError);
        this.socket.on('error', (err) => this.ctx.log(`services: ${this.id}: ${err.message}`));
        resolve();
      });
    });
  }

  private receive(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    const key = `${rinfo.address}:${rinfo.port}`;
    const flow = this.flows.get(key) ?? this.open(key, rinfo);
    // No endpoint: dropped (kube-proxy answers ICMP port unreachable, which user space cannot).
    if (!flow) return;
    flow.lastActive = Date.now();
    if (flow.connected) flow.socket.send(msg);
    else if (flow.pending.length < MAX_PENDING_DATAGRAMS) flow.pending.push(msg);
  }

  private open(key: string, rinfo: dgram.RemoteInfo): UdpFlow | undefined {
    const ep = this.balancer.pick(rinfo.address, new Set());
    if (!ep) return undefined;
    const socket = dgram.createSocket({ type: 'udp4' });
    const idleMs = this.ctx.udpIdleTimeoutMs;
    const close = () => this.closeFlow(flow);
    // Re-armed lazily rather than on every datagram: fires at most once per idle period.
    const expire = () => {
      const idle = Date.now() - flow.lastActive;
      if (idle >= idleMs) close();
      else flow.timer = setTimeout(expire, idleMs - idle);
    };
    const flow: UdpFlow = {
      key,
      address: rinfo.address,
      port: rinfo.port,
      endpoint: endpointKey(ep),
      socket,
      connected: false,
      pending: [],
      lastActive: Date.now(),
      timer: setTimeout(expire, idleMs),
    };
    this.flows.set(key, flow);
    socket.on('message', (reply) => {
      flow.lastActive = Date.now();
      this.socket.send(reply, flow.port, flow.address);
    });
    // An ICMP port unreachable from the endpoint ends the flow: the next datagram picks anew.
    socket.on('error', close);
    socket.connect(ep.port, ep.ip, (err?: Error) => {
      if (err) return close();
      flow.connected = true;
      for (const msg of flow.pending.splice(0)) socket.send(msg);
    });
    return flow;
  }

  private closeFlow(flow: UdpFlow): void {
    if (this.flows.get(flow.key) !== flow) return;
    this.flows.delete(flow.key);
    clearTimeout(flow.timer);
    try {
      flow.socket.close();
    } catch {
      // already closed
    }
  }

  endpointsLeft(left: ReadonlySet<string>): void {
    for (const flow of [...this.flows.values()]) if (left.has(flow.endpoint)) this.closeFlow(flow);
  }

  close(): Promise<void> {
    for (const flow of [...this.flows.values()]) this.closeFlow(flow);
    return new Promise((resolve) => {
      try {
        this.socket.close(() => resolve());
      } catch {
        resolve();
      }
    });
  }
}

// ---------------------------------------------------------------------------------------------
// The module.

interface DesiredListener {
  id: string;
  service: string;
  vip: string;
  port: number;
  protocol: 'TCP' | 'UDP';
  balancerKey: string;
}

export function servicesModule(options: ServicesModuleOptions): ServicesModule {
  const log = (line: string) => options.log?.(line);
  const ctx: ListenerContext = {
    hostTunnel: options.hostTunnel,
    log,
    udpIdleTimeoutMs: options.udpIdleTimeoutMs ?? UDP_IDLE_TIMEOUT_MS,
    dialTimeoutsMs: options.dialTimeoutsMs?.length ? options.dialTimeoutsMs : DIAL_TIMEOUTS_MS,
  };
  const now = () => (options.now ? options.now() : Date.now());
  const retryMs = options.retryMs ?? RETRY_MS;
  const listeners = new Map<string, Listener>();
  const balancers = new Map<string, Balancer>();
  /** VIPs added to the interface (and not removed since). */
  const hosted = new Set<string>();
  let queue: Promise<unknown> = Promise.resolve();
  let latest: ServicesConfig | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let retries = 0;
  let stopped = false;

  async function applyNow(config: ServicesConfig): Promise<ServicesApplyResult> {
    const errors: string[] = [];
    const fail = (line: string) => {
      errors.push(line);
      log(`services: ${line}`);
    };

    const desired = new Map<string, DesiredListener>();
    const wantedBalancers = new Map<string, { port: ServicePortConfig; affinity?: number }>();
    const wantedVips = new Set<string>();
    for (const service of config.services) {
      for (const vip of service.vips) wantedVips.add(vip);
      for (const port of service.ports) {
        const balancerKey = `${service.key}:${port.name}/${port.protocol}`;
        wantedBalancers.set(balancerKey, { port, affinity: service.affinityTimeoutSeconds });
        for (const vip of service.vips) {
          const id = listenerId(vip, port.port, port.protocol);
          desired.set(id, {
            id,
            service: service.key,
            vip,
            port: port.port,
            protocol: port.protocol,
            balancerKey,
          });
        }
      }
    }

    // Listeners of removed ports and Services close with their connections. A VIP:port that
    // now belongs to another Service is a new listener too: the old Service's connections end.
    const closing: Promise<void>[] = [];
    for (const [id, listener] of listeners) {
      const want = desired.get(id);
      if (want && want.service === listener.service) continue;
      listeners.delete(id);
      closing.push(listener.close());
    }
    await Promise.all(closing);

    for (const vip of [...hosted]) {
      if (wantedVips.has(vip)) continue;
      try {
        await options.addresses.remove(vip);
        hosted.delete(vip);
      } catch (err) {
        fail(`removing VIP ${vip}: ${(err as Error).message}`);
      }
    }
    for (const vip of wantedVips) {
      if (hosted.has(vip)) continue;
      try {
        await options.addresses.add(vip);
        hosted.add(vip);
      } catch (err) {
        fail(`adding VIP ${vip}: ${(err as Error).message}`);
      }
    }

    // Endpoint changes reach existing listeners at once, through their shared balancer.
    const left = new Map<string, Set<string>>();
    for (const [key, { port, affinity }] of wantedBalancers) {
      let balancer = balancers.get(key);
      if (!balancer) balancers.set(key, (balancer = new Balancer(now)));
      left.set(key, balancer.update(port, affinity));
    }
    for (const key of [...balancers.keys()]) if (!wantedBalancers.has(key)) balancers.delete(key);

    const binding: Promise<void>[] = [];
    for (const want of desired.values()) {
      const balancer = balancers.get(want.balancerKey) as Balancer;
      const existing = listeners.get(want.id);
      if (existing) {
        existing.balancer = balancer;
        const gone = left.get(want.balancerKey);
        if (gone?.size) existing.endpointsLeft(gone);
        continue;
      }
      if (!hosted.has(want.vip)) continue; // reported with the VIP
      const listener =
        want.protocol === 'TCP'
          ? new TcpListener(want.service, want.vip, want.port, balancer, ctx)
          : new UdpListener(want.service, want.vip, want.port, balancer, ctx);
      binding.push(
        listener.bind().then(
          () => {
            listeners.set(want.id, listener);
          },
          (err: Error) => fail(`${want.service} ${want.id}: ${err.message}`),
        ),
      );
    }
    await Promise.all(binding);
    return { applied: listeners.size, errors };
  }

  function scheduleRetry(result: ServicesApplyResult): void {
    if (retryTimer) clearTimeout(retryTimer);
    retryTimer = undefined;
    if (!result.errors.length || stopped) return;
    const config = latest;
    // Doubling, so a port that stays taken is not retried (and logged) every few seconds.
    const delay = Math.min(retryMs * 2 ** retries++, MAX_RETRY_MS);
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      if (config && config === latest) void apply(config, true);
    }, delay);
    retryTimer.unref();
  }

  function apply(config: ServicesConfig, retry = false): Promise<ServicesApplyResult> {
    if (!retry) {
      latest = config;
      retries = 0;
    }
    const run = queue.then(async () => {
      if (stopped) return { applied: 0, errors: ['netd is stopping'] };
      const result = await applyNow(config);
      if (config === latest) scheduleRetry(result);
      return result;
    });
    queue = run.catch(() => undefined);
    return run;
  }

  return {
    name: 'services',
    routes: [
      {
        method: 'PUT',
        path: '/v1/services',
        handle: async (req, res) => {
          let config: ServicesConfig;
          try {
            config = parseServicesConfig(await readJson(req));
          } catch (err) {
            sendJson(res, 400, { error: (err as Error).message });
            return;
          }
          sendJson(res, 200, await apply(config));
        },
      },
    ],
    apply: (config) => apply(config),
    async stop() {
      stopped = true;
      if (retryTimer) clearTimeout(retryTimer);
      await queue;
      await Promise.all([...listeners.values()].map((l) => l.close()));
      listeners.clear();
      balancers.clear();
      for (const vip of [...hosted]) {
        try {
          await options.addresses.remove(vip);
        } catch (err) {
          log(`services: removing VIP ${vip}: ${(err as Error).message}`);
        }
        hosted.delete(vip);
      }
    },
  };
}
