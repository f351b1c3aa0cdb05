// Resource usage of the Docker node's pods for metrics.k8s.io (kubelet's /metrics/resource as
// metrics-server scrapes it): one-shot Docker stats of this cluster's running containers on an
// interval, CPU as a rate between two samples of a container (cAdvisor's way), memory as the
// working set (usage less inactive file pages). Pods report their app containers; the node
// reports the sum of the cluster's containers (sandboxes left out: pause uses next to nothing),
// the part of the machine Docker lets us see on every platform.
import type Docker from 'dockerode';
import {
  registerMetricsSource,
  type NodeMetricsSource,
  type NodeUsageSample,
  type PodUsageSample,
} from '../../main/apiserver/metrics/metrics-sources.ts';
import {
  LABEL_CLUSTER,
  LABEL_CONTAINER,
  LABEL_CONTAINER_TYPE,
  LABEL_NAMESPACE,
  LABEL_POD_NAME,
  LABEL_POD_UID,
  LABEL_ROLE,
} from './labels.ts';

/** The part of Docker's /containers/{id}/stats answer we use. */
export interface DockerStatsJson {
  read?: string;
  cpu_stats?: { cpu_usage?: { total_usage?: number } };
  memory_stats?: { usage?: number; stats?: Record<string, number | undefined> };
}

/** One reading of one container: cumulative CPU and the memory working set at a time. */
export interface ContainerReading {
  atMs: number;
  cpuNs: bigint;
  workingSetBytes: bigint;
}

/** A reading from a stats answer, or undefined when Docker had none (container just stopped). */
export function readingOf(json: DockerStatsJson): ContainerReading | undefined {
  const atMs = json.read ? Date.parse(json.read) : NaN;
  const total = json.cpu_stats?.cpu_usage?.total_usage;
  if (!Number.isFinite(atMs) || atMs <= 0 || typeof total !== 'number') return undefined;
  const usage = json.memory_stats?.usage ?? 0;
  const stats = json.memory_stats?.stats ?? {};
  // cgroup v1 reports the hierarchy's figure as total_inactive_file; v2 only has inactive_file.
  const inactive = stats.total_inactive_file ?? stats.inactive_file ?? 0;
  return {
    atMs,
    cpuNs: BigInt(Math.round(total)),
    workingSetBytes: BigInt(Math.max(0, Math.round(usage - inactive))),
  };
}

/** CPU in nanocores between two readings of the same container (0 when the clock did not move). */
export function cpuRate(prev: ContainerReading, cur: ContainerReading): bigint {
  const dtMs = cur.atMs - prev.atMs;
  if (dtMs <= 0 || cur.cpuNs < prev.cpuNs) return 0n;
  // ns of CPU per second of wall time = nanocores.
  return ((cur.cpuNs - prev.cpuNs) * 1000n) / BigInt(Math.round(dtMs));
}

export interface ContainerUsage {
  id: string;
  labels: Record<string, string>;
  atMs: number;
  windowMs: number;
  cpuNanoCores: bigint;
  memoryBytes: bigint;
}

function stamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}

/** PodUsage from the usages of the cluster's containers: the pod's app containers, by name. */
export function podUsageOf(
  usages: Iterable<ContainerUsage>,
  namespace: string,
  name: string,
  uid: string | undefined,
): PodUsageSample | undefined {
  const byName = new Map<string, ContainerUsage>();
  for (const u of usages) {
    const l = u.labels;
    if (l[LABEL_ROLE] !== 'container' || l[LABEL_CONTAINER_TYPE] !== 'regular') continue;
    if (l[LABEL_NAMESPACE] !== namespace || l[LABEL_POD_NAME] !== name) continue;
    if (uid !== undefined && l[LABEL_POD_UID] !== uid) continue;
    const c = l[LABEL_CONTAINER] ?? '';
    const seen = byName.get(c);
    if (!seen || seen.atMs < u.atMs) byName.set(c, u);
  }
  if (byName.size === 0) return undefined;
  const list = [...byName.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const atMs = Math.max(...list.map(([, u]) => u.atMs));
  const windowMs = Math.max(...list.map(([, u]) => u.windowMs));
  return {
    timestamp: stamp(atMs),
    windowSeconds: Math.round(windowMs) / 1000,
    containers: list.map(([c, u]) => ({
      name: c,
      cpuNanoCores: u.cpuNanoCores,
      memoryBytes: u.memoryBytes,
    })),
  };
}

/** NodeUsage: the sum over the measured containers of the cluster. */
export function nodeUsageOf(usages: Iterable<ContainerUsage>): NodeUsageSample | undefined {
  let cpu = 0n;
  let memory = 0n;
  let atMs = 0;
  let windowMs = 0;
  for (const u of usages) {
    cpu += u.cpuNanoCores;
    memory += u.memoryBytes;
    atMs = Math.max(atMs, u.atMs);
    windowMs = Math.max(windowMs, u.windowMs);
  }
  if (atMs === 0) return undefined;
  return {
    timestamp: stamp(atMs),
    windowSeconds: Math.round(windowMs) / 1000,
    cpuNanoCores: cpu,
    memoryBytes: memory,
  };
}

export interface DockerStatsOptions {
  docker: Docker;
  clusterId: string;
  nodeName: string;
  /** metrics-server's default resolution is 15 s; kubelet samples on its housekeeping interval. */
  intervalMs?: number;
  /** Stats requests in flight at once (each is one cheap HTTP round trip to dockerd). */
  concurrency?: number;
  /** A new container gets a second reading this soon, so its rate exists without a full interval. */
  firstRateAfterMs?: number;
  log?: (line: string) => void;
}

/** Samples the cluster's containers and answers the metrics API for one Docker node. */
export class DockerStats implements NodeMetricsSource {
  private readonly readings = new Map<string, ContainerReading>();
  private readonly usages = new Map<string, ContainerUsage>();
  private timer: NodeJS.Timeout | undefined;
  private followUp: NodeJS.Timeout | undefined;
  private registration: { dispose(): void } | undefined;
  private sampling: Promise<void> | undefined;
  private stopped = false;
  private failing = false;

  constructor(private readonly options: DockerStatsOptions) {}

  /** Registers as the node's metrics source and starts sampling. */
  start(): this {
    this.registration = registerMetricsSource(this.options.nodeName, this);
    this.tick();
    this.timer = setInterval(() => this.tick(), this.options.intervalMs ?? 15_000);
    this.timer.unref();
    return this;
  }

  dispose(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.followUp) clearTimeout(this.followUp);
    this.registration?.dispose();
  }

  podUsage(namespace: string, name: string, uid: string | undefined): PodUsageSample | undefined {
    return podUsageOf(this.usages.values(), namespace, name, uid);
  }

  nodeUsage(nodeName: string): NodeUsageSample | undefined {
    return nodeName === this.options.nodeName ? nodeUsageOf(this.usages.values()) : undefined;
  }

  /** One sampling round now (skipped while the previous one still runs). */
  tick(): void {
    if (this.stopped || this.sampling) return;
    this.sampling = this.sample()
      .then(() => {
        this.failing = false;
      })
      .catch((err: unknown) => {
        // Said once per outage: the node's Ready condition already reports Docker being down.
        if (!this.failing)
          this.options.log?.(
            `docker node: stats: ${err instanceof Error ? err.message : String(err)}`,
          );
        this.failing = true;
      })
      .finally(() => (this.sampling = undefined));
  }

  /** Waits for the round in flight (tests). */
  async settle(): Promise<void> {
    await this.sampling;
  }

  private async sample(): Promise<void> {
    const { docker, clusterId } = this.options;
    const list = await docker.listContainers({
      filters: { label: [`${LABEL_CLUSTER}=${clusterId}`], status: ['running'] },
    });
    const live = new Set(list.map((c) => c.Id));
    for (const id of [...this.readings.keys()])
      if (!live.has(id)) {
        this.readings.delete(id);
        this.usages.delete(id);
      }
    let fresh = false;
    // Sandboxes (pause) use next to nothing and are half the containers: not reading them halves
    // the cost of a round (about 1 ms of CPU per stats call through dockerode).
    const queue = list.filter((c) => c.Labels[LABEL_ROLE] !== 'sandbox');
    const worker = async () => {
      for (let c = queue.shift(); c; c = queue.shift()) {
        if (this.stopped) return;
        const reading = await this.read(c.Id);
        if (!reading) continue;
        const prev = this.readings.get(c.Id);
        this.readings.set(c.Id, reading);
        if (!prev) {
          fresh = true;
          continue;
        }
        this.usages.set(c.Id, {
          id: c.Id,
          labels: c.Labels,
          atMs: reading.atMs,
          windowMs: reading.atMs - prev.atMs,
          cpuNanoCores: cpuRate(prev, reading),
          memoryBytes: reading.workingSetBytes,
        });
      }
    };
    const n = Math.max(1, this.options.concurrency ?? 4);
    await Promise.all(Array.from({ length: n }, worker));
    if (fresh && !this.stopped && !this.followUp) {
      this.followUp = setTimeout(() => {
        this.followUp = undefined;
        this.tick();
      }, this.options.firstRateAfterMs ?? 2_000);
      this.followUp.unref();
    }
  }

  private async read(id: string): Promise<ContainerReading | undefined> {
    try {
      const json = (await this.options.docker
        .getContainer(id)
        .stats({ stream: false, 'one-shot': true } as { stream: false })) as DockerStatsJson;
      return readingOf(json);
    } catch {
      // The container went away between the list and the read.
      return undefined;
    }
  }
}
