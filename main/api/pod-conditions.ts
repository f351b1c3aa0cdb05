// Pod status conditions as kube's podutil reads them (k8s.io/kubernetes/pkg/api/v1/pod):
// shared by the API server (eviction), controllers and node agents. Runtime-free.
import type { KubeObject } from './types.ts';
import { isPlainObject } from './types.ts';

export interface PodCondition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
  lastProbeTime?: string | null;
  lastTransitionTime?: string;
}

/** podutil.GetPodCondition: the condition of this type, if the pod reports it. */
export function podCondition(pod: KubeObject, type: string): PodCondition | undefined {
  const status = isPlainObject(pod.status) ? (pod.status as { conditions?: unknown }) : {};
  const conditions = Array.isArray(status.conditions) ? (status.conditions as PodCondition[]) : [];
  return conditions.find((c) => c.type === type);
}

/** Answers for frozen pods (the store's objects never change), so controllers that scan every
 * pod of a 10,000-replica ReplicaSet on each sync pay a lookup, not a walk of the conditions. */
const readyOfFrozen = new WeakMap<KubeObject, boolean>();

/** podutil.IsPodReady: the Ready condition is True. */
export function isPodReady(pod: KubeObject): boolean {
  const known = readyOfFrozen.get(pod);
  if (known !== undefined) return known;
  const ready = podCondition(pod, 'Ready')?.status === 'True';
  if (Object.isFrozen(pod)) readyOfFrozen.set(pod, ready);
  return ready;
}
