// The HPA's view of the resource metrics API (kube pkg/controller/podautoscaler/metrics
// client.go, resource metrics part): the PodMetrics of the selected pods — the same objects
// GET /apis/metrics.k8s.io/v1beta1/namespaces/NS/pods?labelSelector=… returns — as
// per-pod milli-values of one resource, for the whole pod or one container.
import type { KubeObject } from '../../api/types.ts';
import { parseQuantity, quantityMilliValue } from '../../api/quantity.ts';
import { listPodMetrics } from '../../apiserver/metrics/resource-metrics.ts';
import type { PodMetricsInfo } from './replica-calculator.ts';

function windowMs(window: string): number {
  // Go durations as metrics-server writes them: "10s", "1m30s", "1.5s", "500ms".
  let ms = 0;
  for (const [, n, unit] of window.matchAll(/([\d.]+)(h|ms|m|s)/g)) {
    const value = Number(n);
    ms +=
      unit === 'h'
        ? value * 3_600_000
        : unit === 'm'
          ? value * 60_000
          : unit === 's'
            ? value * 1000
            : value;
  }
  return ms;
}

function milli(value: string | undefined): bigint | undefined {
  if (value === undefined) return undefined;
  const q = parseQuantity(value);
  return typeof q === 'string' ? undefined : quantityMilliValue(q);
}

/**
 * GetResourceMetric for pods already selected by the target's selector: their metrics and
 * the first sample's time. Throws the metrics client's errors.
 */
export function resourceMetricsOf(
  pods: readonly KubeObject[],
  resource: string,
  container: string,
): { metrics: PodMetricsInfo; timestampMs: number } {
  const items = listPodMetrics(pods);
  if (items.length === 0) throw new Error('no metrics returned from resource metrics API');
  const metrics: PodMetricsInfo = new Map();
  for (const item of items) {
    const name = item.metadata.name ?? '';
    const sample = { timestampMs: Date.parse(item.timestamp), windowMs: windowMs(item.window) };
    if (container !== '') {
      const c = item.containers.find((x) => x.name === container);
      if (!c)
        throw new Error(
          `failed to get container metrics: container ${container} not present in metrics for pod ${item.metadata.namespace ?? ''}/${name}`,
        );
      const value = milli((c.usage as Record<string, string>)[resource]);
      if (value !== undefined) metrics.set(name, { ...sample, value });
      continue;
    }
    // A pod with a container that lacks the resource has no usable sum.
    let sum = 0n;
    let missing = item.containers.length === 0;
    for (const c of item.containers) {
      const value = milli((c.usage as Record<string, string>)[resource]);
      if (value === undefined) {
        missing = true;
        break;
      }
      sum += value;
    }
    if (!missing) metrics.set(name, { ...sample, value: sum });
  }
  return { metrics, timestampMs: Date.parse(items[0].timestamp) };
}
