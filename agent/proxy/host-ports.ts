// NodePort and LoadBalancer Services on the host's loopback, as Docker Desktop exposes them: a
// listener per nodePort (and per Service port for LoadBalancer) whose TCP connections and UDP
// datagrams are tunnelled to the Service's ClusterIP through netd (kube-proxy's nodePort rules +
// the cloud load balancer).
import net from 'node:net';
import type { Duplex } from 'node:stream';
import type { KubeObject } from '../../main/api/types.ts';
import { serviceKey } from './endpoints.ts';
import { UdpHostPort, type DialUdp } from './udp-host-port.ts';

export type HostPortKind = 'NodePort' | 'LoadBalancer';

export interface HostPortBinding {
  port: number;
  protocol: string;
  kind: HostPortKind;
}

/** Per Service (`namespace/name`): the host ports it listens on and why any others are not. */
export interface HostPortsResult {
  ports: HostPortBinding[];
  errors: string[];
}

export interface HostPortsOptions {
  /** A byte stream to ip:port inside the cluster network (netd's dial tunnel). */
  dial(ip: string, port: number): Promise<Duplex>;
  /** Datagrams to ip:port inside the cluster network; without it UDP ports are not exposed. */
  dialUdp?: DialUdp;
  /** Where the ports are opened (default 127.0.0.1). */
  host?: string;
  log?(line: string): void;
}

interface Target {
  ip: string;
  port: number;
}

interface Listener {
  /** `TCP/30080`: TCP and UDP ports of the same number are different ports. */
  key: string;
  label: string;
  owner: string;
  target: Target;
  server?: net.Server;
  udp?: UdpHostPort;
  /** Accepted connections with their tunnel, to end them when the listener goes. */
  connections: Set<{ client: net.Socket; upstream?: Duplex }>;
}

/** A Service's wish for one host port. */
interface Claim {
  port: number;
  protocol: 'TCP' | 'UDP';
  owner: string;
  target: Target;
  bindings: HostPortBinding[];
}

type Obj = Record<string, unknown>;
const obj = (value: unknown): Obj =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Obj) : {};
const arr = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

/** Why a host port could not be opened, as the Service's event and the logs say it. */
export function bindError(where: string, err: NodeJS.ErrnoException): string {
  if (err.code === 'EADDRINUSE') return `${where} is already in use`;
  if (err.code === 'EACCES')
    return `${where} is not permitted (ports below 1024 need root or CAP_NET_BIND_SERVICE)`;
  if (err.code === 'EADDRNOTAVAIL') return `${where} is not an address of this machine`;
  return `${where}: ${err.message}`;
}

/**
 * Whether a Service names a loadBalancerClass: that implementation, not the default one Skiff
 * plays, owns its load balancer and status (as for the cloud provider's service controller).
 */
export function otherLoadBalancerClass(service: KubeObject): boolean {
  const cls = obj(service.spec).loadBalancerClass;
  return typeof cls === 'string' && cls !== '';
}

/** Oldest Service first, so the one that had a port first keeps it when another asks for it. */
function byAge(a: KubeObject, b: KubeObject): number {
  const [x, y] = [a.metadata.creationTimestamp ?? '', b.metadata.creationTimestamp ?? ''];
  if (x !== y) return x < y ? -1 : 1;
  const [k, l] = [
    serviceKey(a.metadata.namespace, a.metadata.name),
    serviceKey(b.metadata.namespace, b.metadata.name),
  ];
  return k < l ? -1 : k > l ? 1 : 0;
}

export class HostPorts {
  private readonly host: string;
  /** By `protocol/port`. */
  private readonly listeners = new Map<string, Listener>();
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  /** The last bind failure per host port, so a port that stays taken is logged once. */
  private failures = new Map<string, string>();

  constructor(private readonly options: HostPortsOptions) {
    this.host = options.host ?? '127.0.0.1';
  }

  /**
   * Makes the open ports those the Services ask for, and resolves once every new port is bound
   * or has failed. Listeners that stay keep their connections (a changed Service port only
   * retargets new connections); removed ones close with theirs. Failed ports are tried again on
   * the next call. Calls are serialised. The map has an entry for every NodePort and
   * LoadBalancer Service.
   */
  apply(services: readonly KubeObject[]): Promise<Map<string, HostPortsResult>> {
    const run = this.queue.then(() => this.sync(services));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Closes every listener and connection; apply() does nothing afterwards. */
  async close(): Promise<void> {
    this.closed = true;
    await this.queue;
    await Promise.all([...this.listeners.values()].map((listener) => this.remove(listener)));
  }

  private log(line: string): void {
    this.options.log?.(`host ports: ${line}`);
  }

  private async sync(services: readonly KubeObject[]): Promise<Map<string, HostPortsResult>> {
    const results = new Map<string, HostPortsResult>();
    if (this.closed) return results;
    const claims = new Map<string, Claim[]>();
    const result = (key: string) => {
      let entry = results.get(key);
      if (!entry) results.set(key, (entry = { ports: [], errors: [] }));
      return entry;
    };

    for (const service of [...services].sort(byAge)) {
      const spec = obj(service.spec);
      if (spec.type !== 'NodePort' && spec.type !== 'LoadBalancer') continue;
      const key = serviceKey(service.metadata.namespace, service.metadata.name);
      const entry = result(key);
      const ip = typeof spec.clusterIP === 'string' ? spec.clusterIP : '';
      if (!net.isIP(ip)) {
        // Nothing to tunnel to until the API server allocates a ClusterIP.
        entry.errors.push('the Service has no cluster IP yet to forward its ports to');
        continue;
      }
      for (const port of arr(spec.ports).map(obj)) {
        if (typeof port.port !== 'number') continue;
        const protocol = typeof port.protocol === 'string' ? port.protocol : 'TCP';
        const wanted: [number, HostPortKind][] = [];
        if (typeof port.nodePort === 'number' && port.nodePort > 0)
          wanted.push([port.nodePort, 'NodePort']);
        // A loadBalancerClass names another implementation: its NodePorts are still kube-proxy's.
        if (spec.type === 'LoadBalancer' && !otherLoadBalancerClass(service))
          wanted.push([port.port, 'LoadBalancer']);
        if (protocol !== 'TCP' && !(protocol === 'UDP' && this.options.dialUdp)) {
          for (const [hostPort] of wanted)
            entry.errors.push(
              `${this.host}:${hostPort}/${protocol} is not exposed: only ${this.options.dialUdp ? 'TCP and UDP' : 'TCP'} ports are forwarded to the host`,
            );
          continue;
        }
        const target = { ip, port: port.port };
        for (const [hostPort, kind] of wanted) {
          const list = claims.get(`${protocol}/${hostPort}`) ?? [];
          claims.set(`${protocol}/${hostPort}`, list);
          const mine = list.find((c) => c.owner === key);
          if (mine && mine.target.port === target.port) {
            // nodePort equal to the LoadBalancer port of the same Service port: one listener.
            mine.bindings.push({ port: hostPort, protocol, kind });
            continue;
          }
          list.push({
            port: hostPort,
            protocol: protocol === 'UDP' ? 'UDP' : 'TCP',
            owner: key,
            target,
            bindings: [{ port: hostPort, protocol, kind }],
          });
        }
      }
    }

    // One owner per port: the Service already listening keeps it, else the oldest asking.
    const winners = new Map<string, Claim>();
    for (const [portKey, list] of claims) {
      const current = this.listeners.get(portKey)?.owner;
      const winner = list.find((c) => c.owner === current) ?? list[0];
      winners.set(portKey, winner);
      for (const claim of list) {
        if (claim === winner) continue;
        const by =
          claim.owner === winner.owner ? 'another port of this Service' : `Service ${winner.owner}`;
        result(claim.owner).errors.push(`${this.label(claim)} is already in use by ${by}`);
      }
    }

    const failures = new Map<string, string>();
    // Close what nobody wants any more, or what changes hands, before binding anew.
    const removing: Promise<void>[] = [];
    for (const [portKey, listener] of this.listeners) {
      if (winners.get(portKey)?.owner !== listener.owner) removing.push(this.remove(listener));
    }
    await Promise.all(removing);

    await Promise.all(
      [...winners].map(async ([portKey, claim]) => {
        const entry = result(claim.owner);
        const existing = this.listeners.get(portKey);
        if (existing) {
          existing.target = claim.target;
          entry.ports.push(...claim.bindings);
          return;
        }
        try {
          await this.add(portKey, claim);
          entry.ports.push(...claim.bindings);
        } catch (err) {
          const message = bindError(this.label(claim), err as NodeJS.ErrnoException);
          entry.errors.push(message);
          // Retried on every apply: log a failure once, not on each Service change.
          if (this.failures.get(portKey) !== message) this.log(`${claim.owner}: ${message}`);
          failures.set(portKey, message);
        }
      }),
    );
    this.failures = failures;
    for (const entry of results.values())
      entry.ports.sort((a, b) => a.port - b.port || a.protocol.localeCompare(b.protocol));
    return results;
  }

  /** `127.0.0.1:30080` for TCP, `127.0.0.1:30053/UDP` for UDP, as errors and logs name a port. */
  private label(claim: Claim): string {
    return `${this.host}:${claim.port}${claim.protocol === 'TCP' ? '' : `/${claim.protocol}`}`;
  }

  private async add(portKey: string, claim: Claim): Promise<void> {
    const label = this.label(claim);
    const listener: Listener = {
      key: portKey,
      label,
      owner: claim.owner,
      target: claim.target,
      connections: new Set(),
    };
    const log = (line: string) => this.log(`${label}: ${line}`);
    if (claim.protocol === 'UDP' && this.options.dialUdp) {
      listener.udp = await UdpHostPort.bind(
        this.host,
        claim.port,
        () => listener.target,
        this.options.dialUdp,
        log,
      );
    } else {
      // Half-open connections stay usable: a client that shuts down its side still gets the reply.
      const server = net.createServer({ allowHalfOpen: true });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host: this.host, port: claim.port }, () => {
          server.off('error', reject);
          resolve();
        });
      });
      server.on('error', (err) => log(err.message));
      server.on('connection', (client) => this.accept(listener, client));
      listener.server = server;
    }
    this.listeners.set(portKey, listener);
    this.log(`${label} → ${claim.owner} (${claim.target.ip}:${claim.target.port})`);
  }

  private remove(listener: Listener): Promise<void> {
    if (this.listeners.get(listener.key) === listener) this.listeners.delete(listener.key);
    for (const { client, upstream } of listener.connections) {
      client.destroy();
      upstream?.destroy();
    }
    listener.connections.clear();
    this.log(`${listener.label} closed (${listener.owner})`);
    if (listener.udp) return listener.udp.close();
    const server = listener.server;
    return new Promise((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }

  private accept(listener: Listener, client: net.Socket): void {
    const connection: { client: net.Socket; upstream?: Duplex } = { client };
    listener.connections.add(connection);
    client.setNoDelay(true);
    client.on('error', () => client.destroy());
    client.once('close', () => {
      listener.connections.delete(connection);
      connection.upstream?.destroy();
    });
    const { ip, port } = listener.target;
    // The client's bytes wait in its socket (paused) until the tunnel is up.
    this.options.dial(ip, port).then(
      (upstream) => {
        if (client.destroyed) {
          upstream.destroy();
          return;
        }
        connection.upstream = upstream;
        upstream.on('error', () => {
          upstream.destroy();
          client.resetAndDestroy();
        });
        upstream.once('close', () => {
          // A tunnel that ended cleanly has ended the client through pipe(); a broken one resets it.
          if (!upstream.readableEnded) client.resetAndDestroy();
        });
        client.pipe(upstream);
        upstream.pipe(client);
      },
      (err: unknown) => {
        this.log(
          `${listener.label} → ${ip}:${port} (${listener.owner}): ${(err as Error).message}`,
        );
        // A reset, not a clean end: the client must not take it for an empty answer.
        client.resetAndDestroy();
      },
    );
  }
}
