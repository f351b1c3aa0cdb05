// The PodDisruptionBudget check of the pods/eviction subresource (kube
// pkg/registry/core/pod/storage/eviction.go): may this pod be evicted now, and if so which
// budget's status must record the disruption. Pure: the caller reads the budgets and writes.
import { isPodReady } from '../../api/pod-conditions.ts';
import type { KubeObject } from '../../api/types.ts';
import { isPlainObject } from '../../api/types.ts';
import { StatusError } from '../../api/status.ts';
import { labelSelectorFromJson } from '../selectors/label-selector.ts';

/** MaxDisruptedPodSize: evictions the controller has not confirmed yet, per budget. */
export const MAX_DISRUPTED_POD_SIZE = 2000;

const VIOLATION = "Cannot evict pod as it would violate the pod's disruption budget.";

export type EvictionDecision =
  | {
      allowed: true;
      /**
       * The budget with the eviction recorded (disruptionsAllowed - 1, disruptedPods[pod] = now):
       * write it with updateStatus before deleting the pod; on 409 Conflict re-read and ask again.
       * Absent when no budget is charged (no budget, a pod that is not running, an unhealthy pod).
       */
      charge?: KubeObject;
    }
  | { allowed: false; message: string; error: StatusError };

interface PdbStatus {
  observedGeneration?: number;
  disruptionsAllowed?: number;
  currentHealthy?: number;
  desiredHealthy?: number;
  disruptedPods?: Record<string, string>;
  conditions?: Record<string, unknown>[];
}

function statusOf(pdb: KubeObject): PdbStatus {
  return isPlainObject(pdb.status) ? pdb.status : {};
}

function specOf(pdb: KubeObject): Record<string, unknown> {
  return isPlainObject(pdb.spec) ? pdb.spec : {};
}

/** Whether a budget selects the pod (policy/v1: a missing selector selects none, {} selects all). */
export function budgetSelects(pdb: KubeObject, pod: KubeObject): boolean {
  if ((pdb.metadata.namespace ?? '') !== (pod.metadata.namespace ?? '')) return false;
  const selector = labelSelectorFromJson(specOf(pdb).selector);
  return selector?.matches(pod.metadata.labels ?? {}) ?? false;
}

function refuse(message: string, error: StatusError): EvictionDecision {
  return { allowed: false, message, error };
}

function tooManyRequests(cause: string, retryAfterSeconds: number): EvictionDecision {
  const details: { causes: { reason: string; message: string }[]; retryAfterSeconds?: number } = {
    causes: [{ reason: 'DisruptionBudget', message: cause }],
  };
  if (retryAfterSeconds) details.retryAfterSeconds = retryAfterSeconds;
  return refuse(VIOLATION, new StatusError(429, 'TooManyRequests', VIOLATION, details));
}

function forbiddenBudget(name: string, why: string): EvictionDecision {
  const message = `poddisruptionbudget.policy "${name}" is forbidden: ${why}`;
  return refuse(
    message,
    new StatusError(403, 'Forbidden', message, {
      name,
      group: 'policy',
      kind: 'poddisruptionbudget',
    }),
  );
}

/** The eviction API's answer for this pod given the budgets of its namespace. */
export function evictionAllowed(
  pdbs: readonly KubeObject[],
  pod: KubeObject,
  now: Date = new Date(),
): EvictionDecision {
  // canIgnorePDB: a pod that is not running, or already going, disrupts nothing.
  const phase = (pod.status as { phase?: string } | undefined)?.phase;
  if (
    phase === 'Succeeded' ||
    phase === 'Failed' ||
    phase === 'Pending' ||
    pod.metadata.deletionTimestamp
  )
    return { allowed: true };
  const matching = pdbs.filter((pdb) => budgetSelects(pdb, pod));
  if (matching.length === 0) return { allowed: true };
  if (matching.length > 1) {
    const message =
      'Internal error occurred: This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.';
    return refuse(
      message,
      new StatusError(500, 'InternalError', message, {
        causes: [
          {
            message:
              'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.',
          },
        ],
      }),
    );
  }
  const pdb = matching[0];
  const name = pdb.metadata.name ?? '';
  const status = statusOf(pdb);
  if (!isPodReady(pod)) {
    if (specOf(pdb).unhealthyPodEvictionPolicy === 'AlwaysAllow') return { allowed: true };
    const current = status.currentHealthy ?? 0;
    const desired = status.desiredHealthy ?? 0;
    if (current >= desired && desired > 0) return { allowed: true };
  }
  if ((status.observedGeneration ?? 0) < (pdb.metadata.generation ?? 0))
    return tooManyRequests(
      `The disruption budget ${name} is still being processed by the server.`,
      10,
    );
  const allowedCount = status.disruptionsAllowed ?? 0;
  if (allowedCount < 0) return forbiddenBudget(name, 'pdb disruptions allowed is negative');
  if (Object.keys(status.disruptedPods ?? {}).length > MAX_DISRUPTED_POD_SIZE)
    return forbiddenBudget(
      name,
      'DisruptedPods map too big - too many evictions not confirmed by PDB controller',
    );
  if (allowedCount === 0)
    return tooManyRequests(
      `The disruption budget ${name} needs ${status.desiredHealthy ?? 0} healthy pods and has ${status.currentHealthy ?? 0} currently`,
      0,
    );
  const charged = structuredClone(pdb);
  const next: PdbStatus = {
    ...statusOf(charged),
    disruptionsAllowed: allowedCount - 1,
    disruptedPods: {
      ...status.disruptedPods,
      [pod.metadata.name ?? '']: now.toISOString().replace(/\.\d+Z$/, 'Z'),
    },
  };
  if (next.disruptionsAllowed === 0)
    next.conditions = setAllowedCondition(
      next.conditions ?? [],
      false,
      status.observedGeneration,
      now,
    );
  charged.status = next;
  return { allowed: true, charge: charged };
}

/** The DisruptionAllowed condition (pdbhelper.UpdateDisruptionAllowedCondition). */
export function setAllowedCondition(
  conditions: readonly Record<string, unknown>[],
  allowed: boolean,
  observedGeneration: number | undefined,
  now: Date = new Date(),
): Record<string, unknown>[] {
  const status = allowed ? 'True' : 'False';
  const existing = conditions.find((c) => c.type === 'DisruptionAllowed');
  const condition: Record<string, unknown> = {
    type: 'DisruptionAllowed',
    status,
    observedGeneration: observedGeneration ?? 0,
    lastTransitionTime:
      existing && existing.status === status && typeof existing.lastTransitionTime === 'string'
        ? existing.lastTransitionTime
        : now.toISOString().replace(/\.\d+Z$/, 'Z'),
    reason: allowed ? 'SufficientPods' : 'InsufficientPods',
    message: '',
  };
  return [...conditions.filter((c) => c.type !== 'DisruptionAllowed'), condition];
}

/** EvictionsRetry's step count: re-read the budgets this many times when their status write conflicts. */
const EVICTION_RETRIES = 5;

/**
 * The whole budget step of pods/eviction: throws the StatusError kube-apiserver would answer, or
 * charges the budget (not on dry run) and returns, after which the caller deletes the pod.
 * `budgets` reads the pod's namespace's PodDisruptionBudgets fresh on each call.
 */
export async function admitEviction(
  pod: KubeObject,
  budgets: () => KubeObject[],
  writeStatus: (pdb: KubeObject) => Promise<unknown>,
  dryRun = false,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const decision = evictionAllowed(budgets(), pod);
    if (!decision.allowed) throw decision.error;
    if (!decision.charge || dryRun) return;
    try {
      await writeStatus(decision.charge);
      return;
    } catch (err) {
      if (!(err instanceof StatusError && err.code === 409) || attempt >= EVICTION_RETRIES)
        throw err;
    }
  }
}
