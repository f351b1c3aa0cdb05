// The HPA's replica arithmetic (kube pkg/controller/podautoscaler replica_calculator.go and
// metrics/utilization.go): which pods count, how missing and not-ready pods are treated, the
// usage ratio against the target, the tolerance, and the replica count it proposes.
import type { KubeObject } from '../../api/types.ts';
import { isPlainObject } from '../../api/types.ts';
import { parseQuantity, quantityMilliValue } from '../../api/quantity.ts';

/** One pod's usage of a resource, in milli-units, and the sample it came from. */
export interface PodMetric {
  timestampMs: number;
  windowMs: number;
  value: bigint;
}

export type PodMetricsInfo = Map<string, PodMetric>;

/** How far the usage ratio may stray from 1 before the HPA acts, each way. */
export interface Tolerances {
  scaleDown: number;
  scaleUp: number;
}

export function isWithin(tolerances: Tolerances, usageRatio: number): boolean {
  return 1 - tolerances.scaleDown <= usageRatio && usageRatio <= 1 + tolerances.scaleUp;
}

/** --horizontal-pod-autoscaler-cpu-initialization-period and -initial-readiness-delay. */
export interface ReadinessTiming {
  cpuInitializationPeriodMs: number;
  delayOfInitialReadinessStatusMs: number;
  now: number;
}

interface PodStatusView {
  phase?: string;
  startTime?: string;
  conditions?: { type?: string; status?: string; lastTransitionTime?: string }[];
}

function statusOf(pod: KubeObject): PodStatusView {
  const status: PodStatusView = isPlainObject(pod.status) ? pod.status : {};
  return status;
}

function name(pod: KubeObject): string {
  return pod.metadata.name ?? '';
}

export interface PodGroups {
  readyPodCount: number;
  unready: Set<string>;
  missing: Set<string>;
  ignored: Set<string>;
}

/**
 * groupPods: deleted and failed pods are ignored; pending pods are unready; pods without a
 * metric are missing; for CPU, a pod is unready while not Ready or, early in its life, until a
 * full metric window has passed since it became Ready (its first samples include start-up).
 */
export function groupPods(
  pods: readonly KubeObject[],
  metrics: PodMetricsInfo,
  resource: string,
  timing: ReadinessTiming,
): PodGroups {
  const groups: PodGroups = {
    readyPodCount: 0,
    unready: new Set(),
    missing: new Set(),
    ignored: new Set(),
  };
  for (const pod of pods) {
    const status = statusOf(pod);
    if (pod.metadata.deletionTimestamp || status.phase === 'Failed') {
      groups.ignored.add(name(pod));
      continue;
    }
    if (status.phase === 'Pending') {
      groups.unready.add(name(pod));
      continue;
    }
    const metric = metrics.get(name(pod));
    if (!metric) {
      groups.missing.add(name(pod));
      continue;
    }
    if (resource === 'cpu') {
      const ready = status.conditions?.find((c) => c.type === 'Ready');
      const started = status.startTime ? Date.parse(status.startTime) : NaN;
      let unready: boolean;
      if (!ready || Number.isNaN(started)) unready = true;
      else {
        const transition = Date.parse(ready.lastTransitionTime ?? '') || 0;
        if (started + timing.cpuInitializationPeriodMs > timing.now) {
          unready = ready.status === 'False' || metric.timestampMs < transition + metric.windowMs;
        } else {
          unready =
            ready.status === 'False' &&
            started + timing.delayOfInitialReadinessStatusMs > transition;
        }
      }
      if (unready) {
        groups.unready.add(name(pod));
        continue;
      }
    }
    groups.readyPodCount++;
  }
  return groups;
}

interface ContainerView {
  name?: string;
  restartPolicy?: string;
  resources?: { requests?: Record<string, unknown> };
}

function milli(value: unknown): bigint | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const q = parseQuantity(value);
  return typeof q === 'string' ? undefined : quantityMilliValue(q);
}

function containersOf(pod: KubeObject): ContainerView[] {
  const spec = (isPlainObject(pod.spec) ? pod.spec : {}) as {
    containers?: ContainerView[];
    initContainers?: ContainerView[];
  };
  // Sidecars (restartable init containers) run alongside the app and count too.
  return [
    ...(spec.containers ?? []),
    ...(spec.initContainers ?? []).filter((c) => c.restartPolicy === 'Always'),
  ];
}

function podLevelRequests(pod: KubeObject): Record<string, unknown> | undefined {
  const spec = isPlainObject(pod.spec) ? pod.spec : {};
  const resources = isPlainObject(spec.resources) ? spec.resources : undefined;
  const requests = resources && isPlainObject(resources.requests) ? resources.requests : undefined;
  if (!requests || !('cpu' in requests || 'memory' in requests)) return undefined;
  return requests;
}

/**
 * calculateRequests: each pod's request in milli-units — the pod-level request when the pod
 * sets one (and no container is named), else the sum over its containers, every one of which
 * must request the resource.
 */
export function calculateRequests(
  pods: readonly KubeObject[],
  container: string,
  resource: string,
): Map<string, bigint> {
  const requests = new Map<string, bigint>();
  for (const pod of pods) {
    const podLevel = container === '' ? podLevelRequests(pod) : undefined;
    if (podLevel) {
      let value = milli(podLevel[resource]);
      if (value === undefined) {
        // A pod-level request for another resource: the containers' sum stands in, as PodRequests does.
        const sums = containersOf(pod)
          .map((c) => milli(c.resources?.requests?.[resource]))
          .filter((v): v is bigint => v !== undefined);
        if (!sums.length)
          throw new Error(`missing pod-level request for ${resource} in Pod ${name(pod)}`);
        value = sums.reduce((a, b) => a + b, 0n);
      }
      requests.set(name(pod), value);
      continue;
    }
    let sum = 0n;
    let found = false;
    for (const c of containersOf(pod)) {
      if (container !== '' && container !== c.name) continue;
      const value = milli(c.resources?.requests?.[resource]);
      if (value === undefined)
        throw new Error(
          `missing request for ${resource} in container ${c.name ?? ''} of Pod ${name(pod)}`,
        );
      sum += value;
      if (container === c.name) {
        found = true;
        break;
      }
    }
    if (container !== '' && !found)
      throw new Error(`container ${container} not found in Pod ${name(pod)}`);
    requests.set(name(pod), sum);
  }
  return requests;
}

/** GetResourceUtilizationRatio: usage as a percentage of requests, against the target. */
export function resourceUtilizationRatio(
  metrics: PodMetricsInfo,
  requests: Map<string, bigint>,
  targetUtilization: number,
): { ratio: number; utilization: number; rawAverage: bigint } {
  let metricsTotal = 0n;
  let requestsTotal = 0n;
  let entries = 0n;
  for (const [pod, metric] of metrics) {
    const request = requests.get(pod);
    // Metrics of pods without a request are extraneous (missing requests are checked before).
    if (request === undefined) continue;
    metricsTotal += metric.value;
    requestsTotal += request;
    entries++;
  }
  if (requestsTotal === 0n) throw new Error('no metrics returned matched known pods');
  const utilization = Number((metricsTotal * 100n) / requestsTotal);
  return {
    ratio: utilization / targetUtilization,
    utilization,
    rawAverage: metricsTotal / entries,
  };
}

/** GetMetricUsageRatio: the average usage per pod against the target average. */
export function metricUsageRatio(
  metrics: PodMetricsInfo,
  targetUsage: bigint,
): { ratio: number; usage: bigint } {
  let total = 0n;
  for (const metric of metrics.values()) total += metric.value;
  const usage = total / BigInt(metrics.size);
  return { ratio: Number(usage) / Number(targetUsage), usage };
}

export interface CalculationInput {
  currentReplicas: number;
  resource: string;
  tolerances: Tolerances;
  /** The pods the scale target's selector picks (in the HPA's namespace). */
  pods: readonly KubeObject[];
  metrics: PodMetricsInfo;
  timing: ReadinessTiming;
}

function dropPods(metrics: PodMetricsInfo, names: Set<string>): void {
  for (const pod of names) metrics.delete(pod);
}

/**
 * The shared tail of both calculations: with no missing or held-back pods the ratio decides;
 * otherwise missing pods count as at target (or at their request, for utilization) on a scale
 * down and as idle on a scale up, unready pods as idle on a scale up, and a move is made only
 * if it still goes the same way and leaves the tolerance.
 */
function proposal(
  input: CalculationInput,
  groups: PodGroups,
  metrics: PodMetricsInfo,
  usageRatio: number,
  fill: (pod: string) => bigint,
  ratioOf: (metrics: PodMetricsInfo) => number,
): number {
  const { currentReplicas, tolerances } = input;
  const scaleUpWithUnready = groups.unready.size > 0 && usageRatio > 1;
  if (!scaleUpWithUnready && groups.missing.size === 0) {
    if (isWithin(tolerances, usageRatio)) return currentReplicas;
    return Math.ceil(usageRatio * groups.readyPodCount);
  }
  if (groups.missing.size > 0) {
    if (usageRatio < 1) for (const pod of groups.missing) metrics.set(pod, filled(fill(pod)));
    else if (usageRatio > 1) for (const pod of groups.missing) metrics.set(pod, filled(0n));
  }
  if (scaleUpWithUnready) for (const pod of groups.unready) metrics.set(pod, filled(0n));
  const newRatio = ratioOf(metrics);
  if (
    isWithin(tolerances, newRatio) ||
    (usageRatio < 1 && newRatio > 1) ||
    (usageRatio > 1 && newRatio < 1)
  )
    return currentReplicas;
  const replicas = Math.ceil(newRatio * metrics.size);
  if ((newRatio < 1 && replicas > currentReplicas) || (newRatio > 1 && replicas < currentReplicas))
    return currentReplicas;
  return replicas;
}

function filled(value: bigint): PodMetric {
  return { timestampMs: 0, windowMs: 0, value };
}

function countedMetrics(input: CalculationInput): { groups: PodGroups; metrics: PodMetricsInfo } {
  if (input.pods.length === 0)
    throw new Error('no pods returned by selector while calculating replica count');
  const metrics: PodMetricsInfo = new Map(input.metrics);
  const groups = groupPods(input.pods, metrics, input.resource, input.timing);
  dropPods(metrics, groups.ignored);
  dropPods(metrics, groups.unready);
  if (metrics.size === 0)
    throw new Error('did not receive metrics for targeted pods (pods might be unready)');
  return { groups, metrics };
}

/** GetResourceReplicas: replicas for a target average utilization (percent of request). */
export function resourceReplicas(
  input: CalculationInput & { targetUtilization: number; container: string },
): { replicas: number; utilization: number; rawUtilization: bigint } {
  const { groups, metrics } = countedMetrics(input);
  const requests = calculateRequests(input.pods, input.container, input.resource);
  const { ratio, utilization, rawAverage } = resourceUtilizationRatio(
    metrics,
    requests,
    input.targetUtilization,
  );
  const fallback = BigInt(Math.max(100, input.targetUtilization));
  const replicas = proposal(
    input,
    groups,
    metrics,
    ratio,
    (pod) => ((requests.get(pod) ?? 0n) * fallback) / 100n,
    (m) => resourceUtilizationRatio(m, requests, input.targetUtilization).ratio,
  );
  return { replicas, utilization, rawUtilization: rawAverage };
}

/** GetRawResourceReplicas / calcPlainMetricReplicas: replicas for a target average value. */
export function rawResourceReplicas(input: CalculationInput & { targetUsage: bigint }): {
  replicas: number;
  usage: bigint;
} {
  const { groups, metrics } = countedMetrics(input);
  const { ratio, usage } = metricUsageRatio(metrics, input.targetUsage);
  const replicas = proposal(
    input,
    groups,
    metrics,
    ratio,
    () => input.targetUsage,
    (m) => metricUsageRatio(m, input.targetUsage).ratio,
  );
  return { replicas, usage };
}
