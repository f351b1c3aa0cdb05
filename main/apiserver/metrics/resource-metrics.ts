// metrics.k8s.io/v1beta1 PodMetrics and NodeMetrics built from the node sources, as metrics-server
// (pkg/api pod.go, node.go; pkg/storage) serves them: one object per pod or node that has a sample,
// labels copied from the pod or node, CPU as a nanocore quantity and memory in bytes. The HTTP API
// and the HPA controller read the same objects through these functions.
import type { KubeObject } from '../../api/types.ts';
import { isPlainObject } from '../../api/types.ts';
import { formatQuantity, type Quantity } from '../../api/quantity.ts';
import { compareStrings as compare } from '../../api/go-format.ts';
import { metricsSourceFor, type UsageWindow } from './metrics-sources.ts';

export const METRICS_GROUP = 'metrics.k8s.io';
export const METRICS_VERSION = 'v1beta1';
export const METRICS_API_VERSION = `${METRICS_GROUP}/${METRICS_VERSION}`;

export type ResourceUsage = Record<'cpu' | 'memory', string>;

export interface ContainerMetrics {
  name: string;
  usage: ResourceUsage;
}

export interface PodMetrics extends KubeObject {
  timestamp: string;
  window: string;
  containers: ContainerMetrics[];
}

export interface NodeMetrics extends KubeObject {
  timestamp: string;
  window: string;
  usage: ResourceUsage;
}

/** resource.NewScaledQuantity(n, -9) with DecimalSI, as metrics-server reports CPU. */
export function cpuQuantity(nanoCores: bigint): Quantity {
  return { sign: nanoCores === 0n ? 0 : 1, mant: nanoCores, scale: -9, format: 'DecimalSI' };
}

/** A BinarySI byte count, as metrics-server reports memory. */
export function memoryQuantity(bytes: bigint): Quantity {
  return { sign: bytes === 0n ? 0 : 1, mant: bytes, scale: 0, format: 'BinarySI' };
}

function usage(cpuNanoCores: bigint, memoryBytes: bigint): ResourceUsage {
  return {
    cpu: formatQuantity(cpuQuantity(cpuNanoCores)),
    memory: formatQuantity(memoryQuantity(memoryBytes)),
  };
}

/** time.Duration.String() for a whole or fractional number of seconds (`10s`, `1m30s`, `2.5s`). */
export function goDuration(seconds: number): string {
  if (seconds === 0) return '0s';
  const ms = Math.round(seconds * 1000);
  if (ms < 1000) return `${ms}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = (ms % 60_000) / 1000;
  const secs = `${Number.isInteger(s) ? s : s.toFixed(3).replace(/0+$/, '')}s`;
  if (h > 0) return `${h}h${m}m${secs}`;
  if (m > 0) return `${m}m${secs}`;
  return secs;
}

/** metav1.Now(), second precision. */
function now(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}

function windowFields(sample: UsageWindow): { timestamp: string; window: string } {
  return { timestamp: sample.timestamp, window: goDuration(sample.windowSeconds) };
}

function nodeNameOf(pod: KubeObject): string {
  const name = isPlainObject(pod.spec) ? pod.spec.nodeName : undefined;
  return typeof name === 'string' ? name : '';
}

/** The pod's PodMetrics, or undefined while its node has no sample of it (not scraped yet). */
export function podMetricsFor(pod: KubeObject): PodMetrics | undefined {
  const nodeName = nodeNameOf(pod);
  if (!nodeName) return undefined;
  const { namespace = '', name = '', uid, labels } = pod.metadata;
  const sample = metricsSourceFor(nodeName)?.podUsage(namespace, name, uid);
  if (!sample) return undefined;
  const metadata: KubeObject['metadata'] = { name, namespace, creationTimestamp: now() };
  if (labels && Object.keys(labels).length) metadata.labels = { ...labels };
  return {
    kind: 'PodMetrics',
    apiVersion: METRICS_API_VERSION,
    metadata,
    ...windowFields(sample),
    containers: sample.containers.map((c) => ({
      name: c.name,
      usage: usage(c.cpuNanoCores, c.memoryBytes),
    })),
  };
}

/** The node's NodeMetrics, or undefined when no source measures it. */
export function nodeMetricsFor(node: KubeObject): NodeMetrics | undefined {
  const name = node.metadata.name ?? '';
  const sample = metricsSourceFor(name)?.nodeUsage(name);
  if (!sample) return undefined;
  const metadata: KubeObject['metadata'] = { name, creationTimestamp: now() };
  const labels = node.metadata.labels;
  if (labels && Object.keys(labels).length) metadata.labels = { ...labels };
  return {
    kind: 'NodeMetrics',
    apiVersion: METRICS_API_VERSION,
    metadata,
    ...windowFields(sample),
    usage: usage(sample.cpuNanoCores, sample.memoryBytes),
  };
}

/** PodMetrics of the pods that have a sample, ordered by namespace then name as metrics-server does. */
export function listPodMetrics(pods: readonly KubeObject[]): PodMetrics[] {
  const items: PodMetrics[] = [];
  for (const pod of pods) {
    const metrics = podMetricsFor(pod);
    if (metrics) items.push(metrics);
  }
  return items.sort(
    (a, b) =>
      compare(a.metadata.namespace ?? '', b.metadata.namespace ?? '') ||
      compare(a.metadata.name ?? '', b.metadata.name ?? ''),
  );
}

/** NodeMetrics of the nodes that have a sample, ordered by name. */
export function listNodeMetrics(nodes: readonly KubeObject[]): NodeMetrics[] {
  const items: NodeMetrics[] = [];
  for (const node of nodes) {
    const metrics = nodeMetricsFor(node);
    if (metrics) items.push(metrics);
  }
  return items.sort((a, b) => compare(a.metadata.name ?? '', b.metadata.name ?? ''));
}
