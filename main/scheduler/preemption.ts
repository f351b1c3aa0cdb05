// What kube-scheduler's DefaultPreemption PostFilter finds for a pod that fits nowhere
// (pkg/scheduler/framework/preemption and plugins/defaultpreemption), per node, for the
// FailedScheduling message. Skiff does not evict victims yet; see preemptionStatuses.
import type { KubeObject } from '../api/types.ts';
import type { NamespaceLabels } from './affinity.ts';
import { NO_PREEMPTION_VICTIMS, PREEMPTION_NOT_HELPFUL } from './fit-error.ts';
import { preparePod, runFilters, type FilterStatus } from './filters.ts';
import { buildNodeInfo, podSpec, type NodeInfo } from './node-info.ts';

/**
 * Nothing helps on a node that failed for a reason preemption cannot fix; otherwise only pods of
 * lower priority could go, and the node is re-filtered without them. Where removing them would
 * make room, kube would evict them; Skiff keeps the node's filter reasons instead.
 * Returns kube's text instead when the pod may not preempt at all.
 */
export function preemptionStatuses(
  pod: KubeObject,
  infos: NodeInfo[],
  statuses: Map<string, FilterStatus>,
  namespaceLabels: NamespaceLabels,
): FilterStatus[] | string {
  const spec = podSpec(pod);
  if (spec.preemptionPolicy === 'Never') return 'not eligible due to preemptionPolicy=Never.';
  const priority = spec.priority ?? 0;
  const out: FilterStatus[] = [];
  for (const info of infos) {
    const status = statuses.get(info.name);
    if (!status) continue;
    if (status.unresolvable) {
      out.push({ reasons: [PREEMPTION_NOT_HELPFUL], unresolvable: true });
      continue;
    }
    const remaining = info.pods.filter((p) => (podSpec(p).priority ?? 0) >= priority);
    if (remaining.length === info.pods.length) {
      out.push({ reasons: [NO_PREEMPTION_VICTIMS], unresolvable: true });
      continue;
    }
    const reduced = buildNodeInfo(info.node, remaining);
    const all = infos.map((i) => (i.name === info.name ? reduced : i));
    out.push(runFilters(preparePod(pod, all, namespaceLabels), reduced) ?? status);
  }
  return out;
}
