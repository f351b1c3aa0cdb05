// NodePort and LoadBalancer Services on the host's loopback, as Docker Desktop exposes them: a TCP
// listener per nodePort (and per Service port for LoadBalancer) whose connections are tunnelled
// to the Service's ClusterIP through netd (kube-proxy's nodePort rules + the cloud load balancer).
import net from 'node:net';
import type { Duplex } from 'node:stream';
import type { KubeObject } from '../../main/api/types.ts';
import { serviceKey } from './endpoints.ts';

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
  /** Where the ports are opened (default 127.0.0.1). */
  host?: string;
  log?(line: string): void;
}

interface Target {
  ip: string;
  port: number;
}

interface Listener {
  port: number;
  owner: string;
  target: Target;
  server: net.Server;
  /** Accepted connections with their tunnel, to end them when the listener goes. */
  connections: Set<{ client: net.Socket; upstream?: Duplex }>;
}

/** A Service's wish for one host port. */
interface Claim {
  owner: string;
  target: Target;
  bindings: HostPortBinding[];
}

type Obj = Record<string, unknown>;
const obj = (value: unknown): Obj =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Obj) : {};
const arr = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

/** Why a host port could not be opened, as the Service's event and the logs say it. */
export function bindError(host: string, port: number, err: NodeJS.ErrnoException): string {
  const where = `${host}:${port}`;
  if (err.code === 'EADDRINUSE') return `${where} is already in use`;
  if (err.code === 'EACCES')
    return `${where} is not permitted (ports below 1024 need root or CAP_NET_BIND_SERVICE)`;
  if (err.code === 'EADDRNOTAVAIL') return `${where} is not an address of this machine`;
  return `${where}: ${err.message}`;
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
  private readonly listeners = new Map<number, Listener>();
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  /** The last bind failure per host port, so a port that stays taken is logged once. */
  private failures = new Map<number, string>();

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
    const claims = new Map<number, Claim[]>();
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
        if (spec.type === 'LoadBalancer') wanted.push([port.port, 'LoadBalancer']);
        if (protocol !== 'TCP') {
          // The tunnel through netd is a TCP stream; forwarding datagrams needs another transport.
          for (const [hostPort] of wanted)
            entry.errors.push(
              `${this.host}:${hostPort}/${protocol} is not exposed: only TCP ports are forwarded to the host`,
            );
          continue;
        }
        const target = { ip, port: port.port };
        for (const [hostPort, kind] of wanted) {
          const list = claims.get(hostPort) ?? [];
          claims.set(hostPort, list);
          const mine = list.find((c) => c.owner === key);
          if (mine && mine.target.port === target.port) {
            // nodePort equal to the LoadBalancer port of the same Service port: one listener.
            mine.bindings.push({ port: hostPort, protocol, kind });
            continue;
          }
          list.push({ owner: key, target, bindings: [{ port: hostPort, protocol, kind }] });
        }
      }
    }

    // One owner per port: the Service already listening keeps it, else the oldest asking.
    const winners = new Map<number, Claim>();
    for (const [hostPort, list] of claims) {
      const current = this.listeners.get(hostPort)?.owner;
      const winner = list.find((c) => c.owner === current) ?? list[0];
      winners.set(hostPort, winner);
      for (const claim of list) {
        if (claim === winner) continue;
        const by =
          claim.owner === winner.owner ? 'another port of this Service' : `Service ${winner.owner}`;
        result(claim.owner).errors.push(`${this.host}:${hostPort} is already in use by ${by}`);
      }
    }

    const failures = new Map<number, string>();
    // Close what nobody wants any more, or what changes hands, before binding anew.
    const removing: Promise<void>[] = [];
    for (const [hostPort, listener] of this.listeners) {
      if (winners.get(hostPort)?.owner !== listener.owner) removing.push(this.remove(listener));
    }
    await Promise.all(removing);

    await Promise.all(
      [...winners].map(async ([hostPort, claim]) => {
        const entry = result(claim.owner);
        const existing = this.listeners.get(hostPort);
        if (existing) {
          existing.target = claim.target;
          entry.ports.push(...claim.bindings);
          return;
        }
        try {
          await this.add(hostPort, claim);
          entry.ports.push(...claim.bindings);
        } catch (err) {
          const message = bindError(this.host, hostPort, err as NodeJS.ErrnoException);
          entry.errors.push(message);
          // Retried on every apply: log a failure once, not on each Service change.
          if (this.failures.get(hostPort) !== message) this.log(`${claim.owner}: ${message}`);
          failures.set(hostPort, message);
        }
      }),
    );
    this.failures = failures;
    for (const entry of results.values()) entry.ports.sort((a, b) => a.port - b.port);
    return results;
  }

  private async add(hostPort: number, claim: Claim): Promise<void> {
    // Half-open connections stay usable: a client that shuts down its side still gets the reply.
    const server = net.createServer({ allowHalfOpen: true });
    const listener: Listener = {
      port: hostPort,
      owner: claim.owner,
      target: claim.target,
      server,
      connections: new Set(),
    };
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: this.host, port: hostPort }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => this.log(`${this.host}:${hostPort}: ${err.message}`));
    server.on('connection', (client) => this.accept(listener, client));
    this.listeners.set(hostPort, listener);
    this.log(`${this.host}:${hostPort} → ${claim.owner} (${claim.target.ip}:${claim.target.port})`);
  }

  private remove(listener: Listener): Promise<void> {
    if (this.listeners.get(listener.port) === listener) this.listeners.delete(listener.port);
    for (const { client, upstream } of listener.connections) {
      client.destroy();
      upstream?.destroy();
    }
    listener.connections.clear();
    this.log(`${this.host}:${listener.port} closed (${listener.owner})`);
    return new Promise((resolve) => listener.server.close(() => resolve()));
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
          `${this.host}:${listener.port} → ${ip}:${port} (${listener.owner}): ${(err as Error).message}`,
        );
        // A reset, not a clean end: the client must not take it for an empty answer.
        client.resetAndDestroy();
      },
    );
  }
}
