// Pure helpers of the Job controller (kube pkg/controller/job: indexed_job_utils.go,
// pod_failure_policy.go, job conditions): completion-index interval strings, finished-condition
// lookups and podFailurePolicy rule matching.
import type { KubeObject } from '../../api/types.ts';
import { isPlainObject } from '../../api/types.ts';

export const JOB_TRACKING_FINALIZER = 'batch.kubernetes.io/job-tracking';
export const JOB_COMPLETION_INDEX = 'batch.kubernetes.io/job-completion-index';
export const JOB_INDEX_ENV = 'JOB_COMPLETION_INDEX';

export interface JobCondition {
  type: string;
  status: string;
  lastProbeTime?: string | null;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export function record(value: unknown): Record<string, unknown> {
  return isPlainObject(value) ? value : {};
}

export function jobConditions(job: KubeObject): JobCondition[] {
  const c = record(job.status).conditions;
  return Array.isArray(c) ? (c as JobCondition[]) : [];
}

export function hasCondition(job: KubeObject, type: string): boolean {
  return jobConditions(job).some((c) => c.type === type && c.status === 'True');
}

/** Complete or Failed: the job is done (IsJobFinished). */
export function finishedCondition(job: KubeObject): JobCondition | undefined {
  return jobConditions(job).find(
    (c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
  );
}

/** Parses "1,3-5,7" into a sorted set of indexes (ignores malformed parts, as kube does). */
export function parseIndexes(text: unknown, completions = Number.MAX_SAFE_INTEGER): Set<number> {
  const out = new Set<number>();
  if (typeof text !== 'string' || text === '') return out;
  for (const part of text.split(',')) {
    const [a, b] = part.split('-');
    const from = Number(a);
    const to = b === undefined ? from : Number(b);
    if (!Number.isInteger(from) || !Number.isInteger(to)) continue;
    for (let i = from; i <= to && i < completions; i++) out.add(i);
  }
  return out;
}

/** Formats indexes as kube's compressed interval list: "0,2-4". */
export function formatIndexes(indexes: Iterable<number>): string {
  const sorted = [...new Set(indexes)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    parts.push(j === i ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** The completion index a pod carries (annotation, else label), or undefined. */
export function podIndex(pod: KubeObject): number | undefined {
  const raw =
    pod.metadata.annotations?.[JOB_COMPLETION_INDEX] ?? pod.metadata.labels?.[JOB_COMPLETION_INDEX];
  if (raw === undefined || !/^\d+$/.test(raw)) return undefined;
  return Number(raw);
}

interface ContainerStatus {
  name?: string;
  state?: { terminated?: { exitCode?: number } };
}

function terminatedContainers(pod: KubeObject): { name: string; exitCode: number }[] {
  const status = record(pod.status);
  const out: { name: string; exitCode: number }[] = [];
  for (const field of ['initContainerStatuses', 'containerStatuses']) {
    const list = status[field];
    if (!Array.isArray(list)) continue;
    for (const cs of list as ContainerStatus[]) {
      const code = cs.state?.terminated?.exitCode;
      if (typeof code === 'number') out.push({ name: cs.name ?? '', exitCode: code });
    }
  }
  return out;
}

export interface PolicyMatch {
  action: 'FailJob' | 'Ignore' | 'Count' | 'FailIndex';
  /** The message kube puts on the job's Failed condition for a FailJob match. */
  message: string;
}

/**
 * matchPodFailurePolicy: the first rule that matches a failed pod — by a non-zero container exit
 * code (In/NotIn, optionally one container) or by a pod condition — or undefined (then Count).
 */
export function matchPodFailurePolicy(job: KubeObject, pod: KubeObject): PolicyMatch | undefined {
  const policy = record(record(job.spec).podFailurePolicy);
  const rules = Array.isArray(policy.rules) ? policy.rules : [];
  const ns = pod.metadata.namespace ?? '';
  const name = pod.metadata.name ?? '';
  const conditions = record(pod.status).conditions;
  const podConditions = Array.isArray(conditions)
    ? (conditions as { type?: string; status?: string }[])
    : [];
  for (let i = 0; i < rules.length; i++) {
    const rule = record(rules[i]);
    const action = rule.action as PolicyMatch['action'];
    const onExit = record(rule.onExitCodes);
    if (Object.keys(onExit).length > 0) {
      const values = Array.isArray(onExit.values) ? (onExit.values as number[]) : [];
      const only = typeof onExit.containerName === 'string' ? onExit.containerName : undefined;
      for (const c of terminatedContainers(pod)) {
        // Exit code 0 never matches: a succeeded container is not a failure cause.
        if (c.exitCode === 0 || (only !== undefined && c.name !== only)) continue;
        const inValues = values.includes(c.exitCode);
        if (onExit.operator === 'In' ? inValues : !inValues) {
          return {
            action,
            message: `Container ${c.name} for pod ${ns}/${name} failed with exit code ${c.exitCode} matching ${action} rule at index ${i}`,
          };
        }
      }
      continue;
    }
    const patterns = Array.isArray(rule.onPodConditions) ? rule.onPodConditions : [];
    for (const p of patterns) {
      const pattern = record(p);
      const want = typeof pattern.status === 'string' ? pattern.status : 'True';
      if (podConditions.some((c) => c.type === pattern.type && c.status === want)) {
        return {
          action,
          message: `Pod ${ns}/${name} has condition ${String(pattern.type)} matching ${action} rule at index ${i}`,
        };
      }
    }
  }
  return undefined;
}
