// Where the resource metrics API gets its figures: each node agent registers the source that
// measures its nodes (what kubelet's /metrics/resource is to metrics-server), by node name, as
// pod streams are registered in nodeStreamServers. A node without a source reports no metrics.

export interface ContainerUsageSample {
  name: string;
  /** CPU in nanocores (metrics.k8s.io reports `123456n`). */
  cpuNanoCores: bigint;
  memoryBytes: bigint;
}

export interface UsageWindow {
  /** When the sample was taken (RFC 3339, second precision). */
  timestamp: string;
  /** The interval the CPU rate was measured over (PodMetrics `window`). */
  windowSeconds: number;
}

export interface PodUsageSample extends UsageWindow {
  containers: ContainerUsageSample[];
}

export interface NodeUsageSample extends UsageWindow {
  cpuNanoCores: bigint;
  memoryBytes: bigint;
}

export interface NodeMetricsSource {
  /** The latest sample of a pod running on a node of this source; undefined until one exists. */
  podUsage(namespace: string, name: string, uid: string | undefined): PodUsageSample | undefined;
  /** The latest sample of the whole node; undefined when the node is not measured. */
  nodeUsage(nodeName: string): NodeUsageSample | undefined;
}

const sources = new Map<string, NodeMetricsSource>();

/**
 * Makes `source` answer for these nodes (replacing an earlier source, as a restarted agent
 * does). dispose() removes it again unless another source has taken the node since.
 */
export function registerMetricsSource(
  nodeNames: string | readonly string[],
  source: NodeMetricsSource,
): { dispose(): void } {
  const names = typeof nodeNames === 'string' ? [nodeNames] : [...nodeNames];
  for (const name of names) sources.set(name, source);
  return {
    dispose: () => {
      for (const name of names) if (sources.get(name) === source) sources.delete(name);
    },
  };
}

export function metricsSourceFor(nodeName: string): NodeMetricsSource | undefined {
  return sources.get(nodeName);
}
