// The text kube-scheduler 1.35 writes when a pod fits nowhere (framework.FitError.Error plus the
// PostFilter messages of DynamicResources and DefaultPreemption), as it appears in the pod's
// PodScheduled condition and the FailedScheduling event.
import type { FilterStatus } from './filters.ts';

export const NO_NODES_AVAILABLE = 'no nodes available to schedule pods';
export const PREEMPTION_NOT_HELPFUL = 'Preemption is not helpful for scheduling';
export const NO_PREEMPTION_VICTIMS = 'No preemption victims found for incoming pod';
/** DynamicResources' PostFilter answer for a pod without resource claims; it runs before preemption. */
const DRA_POST_FILTER = 'no new claims to deallocate';

/** "0/3 nodes are available: 1 node(s) were unschedulable, 2 Insufficient cpu." */
export function nodesAvailableMessage(numNodes: number, statuses: Iterable<FilterStatus>): string {
  const histogram = new Map<string, number>();
  for (const status of statuses)
    for (const reason of status.reasons) histogram.set(reason, (histogram.get(reason) ?? 0) + 1);
  const parts = [...histogram].map(([reason, n]) => `${n} ${reason}`).sort();
  let message = `0/${numNodes} nodes are available:`;
  if (parts.length) message += ` ${parts.join(', ')}.`;
  return message;
}

/**
 * The whole message: the filter histogram, then the PostFilter plugins' answers joined by ", ".
 * `preemption` is either the per-node preemption statuses or the reason the pod may not preempt.
 */
export function fitErrorMessage(
  numNodes: number,
  filterStatuses: Iterable<FilterStatus>,
  preemption: Iterable<FilterStatus> | string,
): string {
  const preemptionText =
    typeof preemption === 'string' ? preemption : nodesAvailableMessage(numNodes, preemption);
  return `${nodesAvailableMessage(numNodes, filterStatuses)} ${DRA_POST_FILTER}, preemption: ${preemptionText}`;
}
