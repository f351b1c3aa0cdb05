// Resource usage that simulated pods report (what cAdvisor/Docker stats give a real kubelet), set
// with the `skiff.dev/simulate-cpu` / `skiff.dev/simulate-memory` annotations. The metrics API
// (metrics.k8s.io PodMetrics/NodeMetrics) reads it from here.
import { parseQuantity, quantityMilliValue, quantityValue } from '../../main/api/quantity.ts';

export const SIMULATE_CPU_ANNOTATION = 'skiff.dev/simulate-cpu';
export const SIMULATE_MEMORY_ANNOTATION = 'skiff.dev/simulate-memory';

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
  /** When the sample was taken (RFC 3339) and the window it covers, as in PodMetrics. */
  timestamp: string;
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

/**
 * Usage of every running simulated pod, keyed `namespace/name`. One store per process
 * (`simulatedUsage`) unless a SimulatedNodes instance is given its own.
 */
export class SimulatedUsage {
  private readonly pods = new Map<string, PodUsage>();

  /** Records the usage a pod's annotations ask for; a pod without either annotation is removed. */
  set(
    pod: { namespace: string; name: string; uid: string; nodeName: string },
    annotations: Record<string, string> | undefined,
    containerNames: string[],
  ): void {
    const cpu = annotationQuantity(annotations?.[SIMULATE_CPU_ANNOTATION], 'nano');
    const memory = annotationQuantity(annotations?.[SIMULATE_MEMORY_ANNOTATION], 'bytes');
    const key = `${pod.namespace}/${pod.name}`;
    if (cpu === undefined && memory === undefined) {
      this.delete(pod.namespace, pod.name, pod.uid);
      return;
    }
    const count = Math.max(containerNames.length, 1);
    this.pods.set(key, {
      ...pod,
      timestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      windowSeconds: 10,
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
}

/** The process-wide store simulated nodes write to by default. */
export const simulatedUsage = new SimulatedUsage();
