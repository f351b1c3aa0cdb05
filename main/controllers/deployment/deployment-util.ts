// Deployment helpers (kube pkg/controller/deployment/util/deployment_util.go and
// controller.ComputeHash): the pod-template hash, maxSurge/maxUnavailable arithmetic,
// revision and replica annotations, and the Deployment condition rules.
import type { KubeObject } from '../../api/types.ts';
import { isPlainObject } from '../../api/types.ts';
import { canonicalJson, nowTime } from '../replicaset/controller-utils.ts';

export const POD_TEMPLATE_HASH = 'pod-template-hash';
export const REVISION = 'deployment.kubernetes.io/revision';
export const REVISION_HISTORY = 'deployment.kubernetes.io/revision-history';
export const DESIRED_REPLICAS = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS = 'deployment.kubernetes.io/max-replicas';
/** Annotations never copied from a Deployment to its ReplicaSets (skipCopyAnnotation). */
const SKIP_COPY = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  REVISION,
  REVISION_HISTORY,
  DESIRED_REPLICAS,
  MAX_REPLICAS,
  'deprecated.deployment.rollback.to',
]);
/** maxRevHistoryLengthInChars in the deployment controller. */
const MAX_REVISION_HISTORY_CHARS = 2000;
const MAX_INT32 = 2 ** 31 - 1;

// Condition reasons (deployment_util.go).
export const REASONS = {
  newRSCreated: 'NewReplicaSetCreated',
  foundNewRS: 'FoundNewReplicaSet',
  rsUpdated: 'ReplicaSetUpdated',
  newRSAvailable: 'NewReplicaSetAvailable',
  timedOut: 'ProgressDeadlineExceeded',
  paused: 'DeploymentPaused',
  resumed: 'DeploymentResumed',
  minimumAvailable: 'MinimumReplicasAvailable',
  minimumUnavailable: 'MinimumReplicasUnavailable',
} as const;

export interface DeploymentCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  lastUpdateTime: string;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

export interface DeploymentStatus {
  observedGeneration?: number;
  replicas?: number;
  updatedReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  unavailableReplicas?: number;
  terminatingReplicas?: number;
  conditions?: DeploymentCondition[];
  collisionCount?: number;
}

export function specOf(object: KubeObject | undefined): Record<string, unknown> {
  return object && isPlainObject(object.spec) ? object.spec : {};
}

function statusNumber(object: KubeObject | undefined, field: string): number {
  const s = object && isPlainObject(object.status) ? object.status : {};
  return typeof s[field] === 'number' ? s[field] : 0;
}

/** spec.replicas (defaulted to 1 by the API server). */
export function replicas(object: KubeObject | undefined): number {
  const r = specOf(object).replicas;
  return typeof r === 'number' ? r : object ? 1 : 0;
}

/** controller.ComputeHash: FNV-32a of the template (plus collisionCount), rendered with SafeEncodeString. */
export function computeHash(template: unknown, collisionCount?: number): string {
  const bytes = [...new TextEncoder().encode(canonicalJson(template))];
  if (collisionCount !== undefined) {
    // binary.LittleEndian.PutUint32 into an 8-byte buffer, as kube writes it.
    const n = collisionCount >>> 0;
    bytes.push(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff, 0, 0, 0, 0);
  }
  let hash = 0x811c9dc5;
  for (const b of bytes) {
    hash ^= b;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return safeEncodeString(String(hash >>> 0));
}

/** apimachinery rand.SafeEncodeString: maps each byte onto consonants and digits (no vowels). */
export function safeEncodeString(s: string): string {
  const alphanums = 'bcdfghjklmnpqrstvwxz2456789';
  let out = '';
  for (let i = 0; i < s.length; i++) out += alphanums[s.charCodeAt(i) % alphanums.length];
  return out;
}

function withoutHash(template: unknown): unknown {
  if (!isPlainObject(template)) return template;
  const copy = structuredClone(template);
  if (isPlainObject(copy.metadata) && isPlainObject(copy.metadata.labels)) {
    delete copy.metadata.labels[POD_TEMPLATE_HASH];
    if (Object.keys(copy.metadata.labels).length === 0) delete copy.metadata.labels;
  }
  return copy;
}

/** EqualIgnoreHash: two pod templates equal apart from the pod-template-hash label. */
export function equalIgnoreHash(a: unknown, b: unknown): boolean {
  return canonicalJson(withoutHash(a)) === canonicalJson(withoutHash(b));
}

/** intstr.GetScaledValueFromIntOrPercent. */
export function scaledValue(value: unknown, total: number, roundUp: boolean): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') {
    const m = /^(\d+)%$/.exec(value);
    if (m) {
      const v = (Number(m[1]) * total) / 100;
      return roundUp ? Math.ceil(v) : Math.floor(v);
    }
    const n = Number(value);
    if (Number.isInteger(n)) return n;
  }
  return 0;
}

function rollingUpdate(d: KubeObject): Record<string, unknown> | undefined {
  const strategy = specOf(d).strategy;
  if (!isPlainObject(strategy) || strategy.type === 'Recreate') return undefined;
  return isPlainObject(strategy.rollingUpdate) ? strategy.rollingUpdate : {};
}

export function isRollingUpdate(d: KubeObject): boolean {
  return rollingUpdate(d) !== undefined;
}

/** ResolveFenceposts: surge rounds up, unavailable down; both zero means one may be unavailable. */
export function resolveFenceposts(
  maxSurge: unknown,
  maxUnavailable: unknown,
  desired: number,
): { surge: number; unavailable: number } {
  const surge = scaledValue(maxSurge ?? '25%', desired, true);
  let unavailable = scaledValue(maxUnavailable ?? '25%', desired, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable };
}

export function maxSurge(d: KubeObject): number {
  const ru = rollingUpdate(d);
  if (!ru) return 0;
  return resolveFenceposts(ru.maxSurge, ru.maxUnavailable, replicas(d)).surge;
}

export function maxUnavailable(d: KubeObject): number {
  const ru = rollingUpdate(d);
  if (!ru || replicas(d) === 0) return 0;
  const { unavailable } = resolveFenceposts(ru.maxSurge, ru.maxUnavailable, replicas(d));
  return Math.min(unavailable, replicas(d));
}

export function revisionOf(rs: KubeObject | undefined): number {
  const r = Number(rs?.metadata.annotations?.[REVISION] ?? '0');
  return Number.isFinite(r) ? r : 0;
}

export function maxRevision(rss: KubeObject[]): number {
  return rss.reduce((max, rs) => Math.max(max, revisionOf(rs)), 0);
}

function intAnnotation(rs: KubeObject, key: string): number | undefined {
  const v = rs.metadata.annotations?.[key];
  if (v === undefined || !/^-?\d+$/.test(v)) return undefined;
  return Number(v);
}

export const desiredReplicasAnnotation = (rs: KubeObject) => intAnnotation(rs, DESIRED_REPLICAS);
export const maxReplicasAnnotation = (rs: KubeObject) => intAnnotation(rs, MAX_REPLICAS);

/** ReplicasAnnotationsNeedUpdate. */
export function replicasAnnotationsNeedUpdate(
  rs: KubeObject,
  desired: number,
  max: number,
): boolean {
  const a = rs.metadata.annotations ?? {};
  return a[DESIRED_REPLICAS] !== String(desired) || a[MAX_REPLICAS] !== String(max);
}

/** SetReplicasAnnotations, on a copy the caller owns. */
export function setReplicasAnnotations(rs: KubeObject, desired: number, max: number): boolean {
  const changed = replicasAnnotationsNeedUpdate(rs, desired, max);
  rs.metadata.annotations = {
    ...rs.metadata.annotations,
    [DESIRED_REPLICAS]: String(desired),
    [MAX_REPLICAS]: String(max),
  };
  return changed;
}

/**
 * SetNewReplicaSetAnnotations, on a copy the caller owns: copies the Deployment's annotations
 * (change-cause among them), raises the revision, and remembers earlier revisions when a
 * ReplicaSet is brought back by a rollback.
 */
export function setNewReplicaSetAnnotations(
  d: KubeObject,
  rs: KubeObject,
  newRevision: number,
  exists: boolean,
): boolean {
  const annotations = { ...rs.metadata.annotations };
  let changed = false;
  for (const [k, v] of Object.entries(d.metadata.annotations ?? {})) {
    if (SKIP_COPY.has(k) || annotations[k] === v) continue;
    annotations[k] = v;
    changed = true;
  }
  const oldRevisionText = annotations[REVISION];
  const oldRevision = oldRevisionText === undefined ? 0 : Number(oldRevisionText);
  if (oldRevision < newRevision) {
    annotations[REVISION] = String(newRevision);
    changed = true;
    if (oldRevisionText !== undefined) {
      const history = annotations[REVISION_HISTORY] ?? '';
      const previous = history ? history.split(',') : [];
      let total = history.length + oldRevisionText.length + 1;
      let start = 0;
      while (total > MAX_REVISION_HISTORY_CHARS && start < previous.length) {
        total -= previous[start].length + 1;
        start++;
      }
      if (total <= MAX_REVISION_HISTORY_CHARS)
        annotations[REVISION_HISTORY] = [...previous.slice(start), oldRevisionText].join(',');
    }
  }
  rs.metadata.annotations = annotations;
  if (!exists && setReplicasAnnotations(rs, replicas(d), replicas(d) + maxSurge(d))) changed = true;
  return changed;
}

export function getCondition(
  status: DeploymentStatus,
  type: string,
): DeploymentCondition | undefined {
  return status.conditions?.find((c) => c.type === type);
}

export function newCondition(
  type: string,
  status: DeploymentCondition['status'],
  reason: string,
  message: string,
): DeploymentCondition {
  const now = nowTime();
  return { type, status, lastUpdateTime: now, lastTransitionTime: now, reason, message };
}

/** SetDeploymentCondition: no change for the same status and reason; keeps the transition time. */
export function setCondition(status: DeploymentStatus, condition: DeploymentCondition): void {
  const current = getCondition(status, condition.type);
  if (current && current.status === condition.status && current.reason === condition.reason) return;
  if (current && current.status === condition.status)
    condition.lastTransitionTime = current.lastTransitionTime;
  status.conditions = [
    ...(status.conditions ?? []).filter((c) => c.type !== condition.type),
    condition,
  ];
}

export function removeCondition(status: DeploymentStatus, type: string): void {
  if (status.conditions) status.conditions = status.conditions.filter((c) => c.type !== type);
}

export function progressDeadlineSeconds(d: KubeObject): number | undefined {
  const p = specOf(d).progressDeadlineSeconds;
  return typeof p === 'number' && p !== MAX_INT32 ? p : undefined;
}

/** DeploymentComplete: everything updated, available, and the latest spec observed. */
export function deploymentComplete(d: KubeObject, s: DeploymentStatus): boolean {
  const want = replicas(d);
  return (
    (s.updatedReplicas ?? 0) === want &&
    (s.replicas ?? 0) === want &&
    (s.availableReplicas ?? 0) === want &&
    (s.observedGeneration ?? 0) >= (d.metadata.generation ?? 0)
  );
}

/** DeploymentProgressing: more updated, fewer old, more ready or more available than before. */
export function deploymentProgressing(d: KubeObject, s: DeploymentStatus): boolean {
  const old = (isPlainObject(d.status) ? d.status : {}) as DeploymentStatus;
  const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
  const newOld = (s.replicas ?? 0) - (s.updatedReplicas ?? 0);
  return (
    (s.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) ||
    newOld < oldOld ||
    (s.readyReplicas ?? 0) > (old.readyReplicas ?? 0) ||
    (s.availableReplicas ?? 0) > (old.availableReplicas ?? 0)
  );
}

/** DeploymentTimedOut: the Progressing condition was last updated longer ago than the deadline. */
export function deploymentTimedOut(d: KubeObject, s: DeploymentStatus, now = Date.now()): boolean {
  const deadline = progressDeadlineSeconds(d);
  if (deadline === undefined) return false;
  const c = getCondition(s, 'Progressing');
  if (!c) return false;
  if (c.reason === REASONS.newRSAvailable) return false;
  if (c.reason === REASONS.timedOut) return true;
  return Date.parse(c.lastUpdateTime) + deadline * 1000 < now;
}

export { statusNumber };
