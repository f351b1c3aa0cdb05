// Resource usage that simulated pods report (what cAdvisor/Docker stats give a real kubelet), set
// with the `skiff.dev/simulate-cpu` / `skiff.dev/simulate-memory` annotations. It is the metrics
// source (main/apiserver/metrics) of simulated nodes: PodMetrics per pod, NodeMetrics = the sum.
import { parseQuantity, quantityMilliValue, quantityValue } from '../../main/api/quantity.ts';
import {
  registerMetricsSource,
  type NodeMetricsSource,
  type NodeUsageSample,
  type PodUsageSample,
} from '../../main/apiserver/metrics/metrics-sources.ts';

export const SIMULATE_CPU_ANNOTATION = 'skiff.dev/simulate-cpu';
export const SIMULATE_MEMORY_ANNOTATION = 'skiff.dev/simulate-memory';

/** How often a real metrics pipeline takes a sample; also the window a CPU rate covers. */
export const SAMPLE_PERIOD_SECONDS = 10;

export interface ContainerUsage {
  name: string;
  /** CPU in nanocores, as metrics.k8s.io reports it (`123456n`). */
  cpuNanoCores: bigint;
  memoryBytes: bigint;
}

export interface PodUsage {
  namespace: string;
  name: string;
  uid: string;
  nodeName: string;
  /** When this pod's usage was first recorded (RFC 3339). */
  timestamp: string;
  /** The window each sample covers, as in PodMetrics. */
  windowSeconds: number;
  containers: ContainerUsage[];
}

/** Parses a quantity annotation; undefined when absent or malformed. */
function annotationQuantity(value: string | undefined, unit: 'nano' | 'bytes'): bigint | undefined {
  if (value === undefined) return undefined;
  const q = parseQuantity(value);
  if (typeof q === 'string') return undefined;
  return unit === 'nano' ? quantityMilliValue(q) * 1_000_000n : quantityValue(q);
}

/** Splits a pod total over its containers; the first container takes the remainder. */
function split(total: bigint, parts: number, index: number): bigint {
  const share = total / BigInt(parts);
  return index === 0 ? total - share * BigInt(parts - 1) : share;
}

function seconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}

/**
 * Usage of every running simulated pod, keyed `namespace/name`. One store per process
 * (`simulatedUsage`) unless a SimulatedNodes instance is given its own.
 */
export class SimulatedUsage implements NodeMetricsSource {
  private readonly pods = new Map<string, PodUsage>();
  private readonly served = new Map<string, { dispose(): void }>();

  constructor(private readonly clock: () => number = Date.now) {}

  /**
   * Answers the metrics API for this node from now on (an empty node reports zero usage);
   * dispose() stops it. Nodes a pod is recorded on are served without being asked.
   */
  serveNode(nodeName: string): { dispose(): void } {
    this.served.get(nodeName)?.dispose();
    const registration = registerMetricsSource(nodeName, this);
    this.served.set(nodeName, registration);
    return {
      dispose: () => {
        if (this.served.get(nodeName) !== registration) return;
        this.served.delete(nodeName);
        registration.dispose();
      },
    };
  }

  /** Records the usage a pod's annotations ask for; a pod without either annotation is removed. */
  set(
    pod: { namespace: string; name: string; uid: string; nodeName: string },
    annotations: Record<string, string> | undefined,
    containerNames: string[],
  ): void {
    if (!this.served.has(pod.nodeName)) this.serveNode(pod.nodeName);
    const cpu = annotationQuantity(annotations?.[SIMULATE_CPU_ANNOTATION], 'nano');
    const memory = annotationQuantity(annotations?.[SIMULATE_MEMORY_ANNOTATION], 'bytes');
    const key = `${pod.namespace}/${pod.name}`;
    if (cpu === undefined && memory === undefined) {
      this.delete(pod.namespace, pod.name, pod.uid);
      return;
    }
    const count = Math.max(containerNames.length, 1);
    const previous = this.pods.get(key);
    this.pods.set(key, {
      ...pod,
      // Samples continue from the first one: a changed annotation is a new value, not a restart.
      timestamp:
        previous?.uid === pod.uid && previous.nodeName === pod.nodeName
          ? previous.timestamp
          : seconds(this.clock()),
      windowSeconds: SAMPLE_PERIOD_SECONDS,
      containers: containerNames.map((name, i) => ({
        name,
        cpuNanoCores: split(cpu ?? 0n, count, i),
        memoryBytes: split(memory ?? 0n, count, i),
      })),
    });
  }

  /** Forgets a pod's usage (only the incarnation with this uid, when given). */
  delete(namespace: string, name: string, uid?: string): void {
    const key = `${namespace}/${name}`;
    const current = this.pods.get(key);
    if (current && (uid === undefined || current.uid === uid)) this.pods.delete(key);
  }

  get(namespace: string, name: string): PodUsage | undefined {
    return this.pods.get(`${namespace}/${name}`);
  }

  list(namespace?: string): PodUsage[] {
    const all = [...this.pods.values()];
    return namespace === undefined ? all : all.filter((p) => p.namespace === namespace);
  }

  /** The sum over the pods running on one node (NodeMetrics for a simulated node). */
  node(nodeName: string): { cpuNanoCores: bigint; memoryBytes: bigint } {
    let cpuNanoCores = 0n;
    let memoryBytes = 0n;
    for (const pod of this.pods.values()) {
      if (pod.nodeName !== nodeName) continue;
      for (const c of pod.containers) {
        cpuNanoCores += c.cpuNanoCores;
        memoryBytes += c.memoryBytes;
      }
    }
    return { cpuNanoCores, memoryBytes };
  }

  /**
   * When the latest sample was taken: samples are taken every SAMPLE_PERIOD_SECONDS, as a
   * scraper would, and none before the usage was first recorded.
   */
  private sampleTime(since: string): string {
    const period = SAMPLE_PERIOD_SECONDS * 1000;
    const tick = Math.floor(this.clock() / period) * period;
    return seconds(Math.max(tick, Date.parse(since)));
  }

  // ---- NodeMetricsSource: what the metrics API reads ---------------------------------------

  podUsage(namespace: string, name: string, uid: string | undefined): PodUsageSample | undefined {
    const pod = this.get(namespace, name);
    if (!pod || (uid !== undefined && pod.uid !== uid)) return undefined;
    return {
      timestamp: this.sampleTime(pod.timestamp),
      windowSeconds: pod.windowSeconds,
      containers: pod.containers.map((c) => ({ ...c })),
    };
  }

  nodeUsage(nodeName: string): NodeUsageSample | undefined {
    if (!this.served.has(nodeName)) return undefined;
    const period = SAMPLE_PERIOD_SECONDS * 1000;
    return {
      timestamp: seconds(Math.floor(this.clock() / period) * period),
      windowSeconds: SAMPLE_PERIOD_SECONDS,
      ...this.node(nodeName),
    };
  }
}

/** The process-wide store simulated nodes write to by default. */
export const simulatedUsage = new SimulatedUsage();
