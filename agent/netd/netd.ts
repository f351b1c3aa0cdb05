// Supervision of netd, the agent's helper inside the cluster network (DESIGN.md "Networking on
// Docker"): builds its image, runs one labelled container per cluster with NET_ADMIN at a fixed
// address, adopts a running one after a restart when its token still matches, recreates it when
// it dies (Docker events, plus a health check) and hands out the authenticated control endpoint.
//
// Address: the last address of the pod range (10.96.127.255 for 10.96.0.0/16). It is inside the
// Docker subnet, never handed out by the Service ClusterIP allocator (which owns the upper half),
// and reserved in Docker's IPAM while the container exists; Docker's IPAM hands pod addresses out
// from the bottom of the range, so it reaches this one last.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import { ipToString, parseCidr, type ClusterNetworkPlan } from '../../main/api/cluster-network.ts';
import { LABEL_CLUSTER, LABEL_ROLE } from '../docker/labels.ts';
import { ensureNetdImage, DEFAULT_NETD_BASE_IMAGE } from './image.ts';
import { INGRESS_HTTP_PORT, INGRESS_HTTPS_PORT } from './daemon/config.ts';
import { NetdClient, type NetdEndpoint } from './netd-client.ts';

/** The control port inside the container (published on the host's 127.0.0.1, Docker picks the port). */
export const NETD_CONTROL_PORT = 10257;
/** A hash of the token the container was started with: a restarted agent adopts it only if it matches. */
export const LABEL_NETD_TOKEN = 'skiff.dev/netd-token-sha256';
/** The Ingress host ports asked for (`http,https`): a restarted agent adopts netd only if they match. */
export const LABEL_INGRESS_PORTS = 'skiff.dev/ingress-ports';
export const NETD_ROLE = 'netd';

export function netdAddress(plan: ClusterNetworkPlan): string {
  const { base, size } = parseCidr(plan.podRange);
  return ipToString(base + size - 1);
}

export function netdContainerName(clusterId: string): string {
  return `skiff-netd-${clusterId.slice(0, 12)}`;
}

export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex').slice(0, 32);
}

/** The cluster's netd token from `<dir>/token` (mode 0600), created on first use. */
export function loadOrCreateToken(dir: string): string {
  const file = path.join(dir, 'token');
  try {
    const text = fs.readFileSync(file, 'utf8').trim();
    if (text) return text;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const token = randomBytes(32).toString('hex');
  fs.writeFileSync(file, `${token}\n`, { mode: 0o600 });
  fs.chmodSync(file, 0o600);
  return token;
}

export interface NetdOptions {
  docker: Docker;
  clusterId: string;
  /** The cluster network's Docker name. */
  network: string;
  plan: ClusterNetworkPlan;
  baseImage?: string;
  /** Where the token lives (`<dataDir>/netd/token`); default a per-cluster temporary directory. */
  dataDir?: string;
  log: (line: string) => void;
  /** How often netd's health is checked besides Docker's die events (default 5 s). */
  checkIntervalMs?: number;
  /** Host ports (127.0.0.1) for the Ingress controller's HTTP and HTTPS; 0 = any free port. */
  ingressPorts?: IngressPorts;
}

export interface IngressPorts {
  http: number;
  https: number;
}

export class Netd {
  readonly client: NetdClient;
  readonly address: string;
  private readonly token: string;
  private endpoint: NetdEndpoint | undefined;
  private lastError = 'netd has not started yet';
  private waiters: (() => void)[] = [];
  private running: Promise<void> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private events: NodeJS.ReadableStream | undefined;
  private stopped = false;
  private image: string | undefined;
  private containerId: string | undefined;
  private published: IngressPorts | undefined;
  private readonly readyListeners: (() => void)[] = [];

  constructor(private readonly options: NetdOptions) {
    this.address = netdAddress(options.plan);
    const dir = options.dataDir
      ? path.join(options.dataDir, 'netd')
      : path.join(os.tmpdir(), `skiff-netd-${options.clusterId.slice(0, 8)}`);
    this.token = loadOrCreateToken(dir);
    this.client = new NetdClient(() => this.whenReady(10_000));
  }

  get ready(): boolean {
    return this.endpoint !== undefined;
  }

  /** The host ports the Ingress controller answers on, once netd runs. */
  get ingressPorts(): IngressPorts | undefined {
    return this.published;
  }

  /** Called each time a netd container becomes ready (first start, recreation, adoption). */
  onReady(listener: () => void): void {
    this.readyListeners.push(listener);
  }

  /** The current container's id (for tests and diagnostics). */
  get id(): string | undefined {
    return this.containerId;
  }

  /** Starts supervising; resolves once the first attempt has finished (ready or not). */
  async start(): Promise<void> {
    this.watchEvents();
    this.timer = setInterval(() => void this.check(), this.options.checkIntervalMs ?? 5_000);
    this.timer.unref();
    await this.reconcile();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    (this.events as { destroy?: () => void } | undefined)?.destroy?.();
    this.wake();
  }

  /** The control endpoint once netd answers; rejects after timeoutMs with why it is not ready. */
  whenReady(timeoutMs: number): Promise<NetdEndpoint> {
    if (this.endpoint) return Promise.resolve(this.endpoint);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== wake);
        reject(new Error(`netd is not ready: ${this.lastError}`));
      }, timeoutMs);
      const wake = () => {
        clearTimeout(timer);
        if (this.endpoint) resolve(this.endpoint);
        else reject(new Error(`netd is not ready: ${this.lastError}`));
      };
      this.waiters.push(wake);
    });
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  private async check(): Promise<void> {
    if (this.stopped || this.running) return;
    if (this.endpoint && (await this.client.healthy())) return;
    await this.reconcile();
  }

  /** Runs ensure() once at a time; a request meanwhile runs it once more afterwards. */
  private reconcile(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        try {
          await this.ensure();
        } catch (err) {
          this.endpoint = undefined;
          const message = (err as { json?: { message?: string } }).json?.message ?? String(err);
          // Retried every check: say it once until it changes.
          if (message !== this.lastError) this.options.log(`netd: ${message}`);
          this.lastError = message;
        }
      } while (this.again && !this.stopped);
    })().finally(() => {
      this.running = undefined;
      this.wake();
    });
    return this.running;
  }

  private async ensure(): Promise<void> {
    if (this.stopped) return;
    const { docker, clusterId } = this.options;
    this.image ??= await ensureNetdImage(
      docker,
      this.options.baseImage ?? DEFAULT_NETD_BASE_IMAGE,
      clusterId,
      this.options.log,
    );
    const list = await docker.listContainers({
      all: true,
      filters: JSON.stringify({
        label: [`${LABEL_CLUSTER}=${clusterId}`, `${LABEL_ROLE}=${NETD_ROLE}`],
      }),
    });
    const hash = tokenHash(this.token);
    const wanted = this.wantedIngressPorts();
    const keep = list.find(
      (c) =>
        c.State === 'running' &&
        c.Labels[LABEL_NETD_TOKEN] === hash &&
        c.Labels[LABEL_INGRESS_PORTS] === `${wanted.http},${wanted.https}` &&
        c.Image === this.image,
    );
    for (const c of list)
      if (c !== keep)
        await docker
          .getContainer(c.Id)
          .remove({ force: true })
          .catch((err: { statusCode?: number }) => {
            if (err.statusCode !== 404 && err.statusCode !== 409) throw err;
          });
    const id = keep ? keep.Id : await this.create(this.image);
    const info = await docker.getContainer(id).inspect();
    const hostPort = (port: number) =>
      Number(info.NetworkSettings.Ports?.[`${port}/tcp`]?.[0]?.HostPort ?? 0);
    const binding = info.NetworkSettings.Ports?.[`${NETD_CONTROL_PORT}/tcp`]?.[0];
    if (!binding?.HostPort) throw new Error('netd: its control port is not published');
    const published = {
      http: hostPort(INGRESS_HTTP_PORT),
      https: hostPort(INGRESS_HTTPS_PORT),
    };
    const endpoint: NetdEndpoint = {
      host: '127.0.0.1',
      port: Number(binding.HostPort),
      token: this.token,
    };
    const probe = new NetdClient(() => Promise.resolve(endpoint));
    const deadline = Date.now() + 20_000;
    while (!(await probe.healthy())) {
      if (Date.now() > deadline || this.stopped)
        throw new Error(`netd container ${id.slice(0, 12)} does not answer on its control port`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const first = this.containerId !== id;
    this.containerId = id;
    this.endpoint = endpoint;
    this.published = published;
    if (first) {
      this.options.log(
        `netd: ready at ${this.address} (${keep ? 'adopted' : 'started'} ${id.slice(0, 12)}, control 127.0.0.1:${endpoint.port})`,
      );
      const moved = (name: string, want: number, got: number) =>
        want && want !== got
          ? `; 127.0.0.1:${want} is taken, so Ingress ${name} is on 127.0.0.1:${got}`
          : '';
      this.options.log(
        `ingress: http://127.0.0.1:${published.http} and https://127.0.0.1:${published.https}` +
          moved('HTTP', wanted.http, published.http) +
          moved('HTTPS', wanted.https, published.https),
      );
      for (const listener of this.readyListeners) listener();
    }
  }

  private wantedIngressPorts(): IngressPorts {
    return this.options.ingressPorts ?? { http: 0, https: 0 };
  }

  /**
   * Creates and starts netd. The Ingress ports asked for may be taken on the host: Docker then
   * fails the start, and netd is made again with Docker choosing that port (said in the log).
   */
  private async create(image: string): Promise<string> {
    const wanted = this.wantedIngressPorts();
    let ports = { ...wanted };
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.createWith(image, ports, wanted);
      } catch (err) {
        const message = (err as { json?: { message?: string } }).json?.message ?? String(err);
        const taken = (port: number) =>
          port !== 0 && (message.includes(`:${port} `) || message.includes(`:${port}:`));
        const isBind = /already (allocated|in use)|address in use|bind/i.test(message);
        if (!isBind || attempt >= 2 || (ports.http === 0 && ports.https === 0)) throw err;
        const next = {
          http: taken(ports.http) ? 0 : ports.http,
          https: taken(ports.https) ? 0 : ports.https,
        };
        // Docker did not say which one: let it choose both.
        ports =
          next.http === ports.http && next.https === ports.https ? { http: 0, https: 0 } : next;
      }
    }
  }

  private async createWith(
    image: string,
    ports: IngressPorts,
    wanted: IngressPorts,
  ): Promise<string> {
    // ensure() removed every other netd, and a failed start removes its own container.
    const { docker, clusterId, network } = this.options;
    const bind = (port: number) => [{ HostIp: '127.0.0.1', HostPort: port ? String(port) : '' }];
    const container = await docker.createContainer({
      name: netdContainerName(clusterId),
      Image: image,
      Env: [
        `SKIFF_NETD_TOKEN=${this.token}`,
        `SKIFF_NETD_PORT=${NETD_CONTROL_PORT}`,
        `SKIFF_NETD_ADDRESS=${this.address}`,
      ],
      Labels: {
        [LABEL_CLUSTER]: clusterId,
        [LABEL_ROLE]: NETD_ROLE,
        [LABEL_NETD_TOKEN]: tokenHash(this.token),
        [LABEL_INGRESS_PORTS]: `${wanted.http},${wanted.https}`,
      },
      ExposedPorts: {
        [`${NETD_CONTROL_PORT}/tcp`]: {},
        [`${INGRESS_HTTP_PORT}/tcp`]: {},
        [`${INGRESS_HTTPS_PORT}/tcp`]: {},
      },
      HostConfig: {
        NetworkMode: network,
        CapAdd: ['NET_ADMIN'],
        PortBindings: {
          [`${NETD_CONTROL_PORT}/tcp`]: bind(0),
          [`${INGRESS_HTTP_PORT}/tcp`]: bind(ports.http),
          [`${INGRESS_HTTPS_PORT}/tcp`]: bind(ports.https),
        },
        // The agent recreates it (with a fresh look at image and token) rather than Docker.
        RestartPolicy: { Name: 'no' },
        LogConfig: { Type: 'json-file', Config: { 'max-size': '1m', 'max-file': '2' } },
      },
      NetworkingConfig: {
        EndpointsConfig: { [network]: { IPAMConfig: { IPv4Address: this.address } } },
      },
    });
    try {
      await container.start();
    } catch (err) {
      await container.remove({ force: true }).catch(() => undefined);
      throw err;
    }
    return container.id;
  }

  /** Docker's die/destroy events for netd trigger a recreate at once. */
  private watchEvents(): void {
    const { docker, clusterId } = this.options;
    docker
      .getEvents({
        filters: JSON.stringify({
          type: ['container'],
          event: ['die', 'destroy'],
          label: [`${LABEL_CLUSTER}=${clusterId}`, `${LABEL_ROLE}=${NETD_ROLE}`],
        }),
      })
      .then((stream) => {
        if (this.stopped) {
          (stream as { destroy?: () => void }).destroy?.();
          return;
        }
        this.events = stream;
        stream.on('data', (chunk: Buffer) => {
          const text = chunk.toString('utf8');
          if (!this.containerId || !text.includes(this.containerId)) return;
          this.endpoint = undefined;
          this.lastError = 'netd exited; recreating it';
          this.options.log('netd: container exited; recreating it');
          void this.reconcile();
        });
        stream.on('error', () => undefined);
        // Docker restarted or the stream broke: follow again (the health check covers the gap).
        stream.on('end', () => {
          if (!this.stopped) setTimeout(() => this.watchEvents(), 2_000).unref();
        });
      })
      .catch(() => {
        if (!this.stopped) setTimeout(() => this.watchEvents(), 5_000).unref();
      });
  }
}
