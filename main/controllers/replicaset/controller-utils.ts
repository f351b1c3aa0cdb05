// Helpers shared by the workload controllers (kube pkg/controller/controller_utils.go and
// controller_ref_manager.go): controller expectations, pod readiness and availability, the
// ActivePods deletion ordering, and claiming (adopting/releasing) objects by ownerReference.
import { isPodReady } from '../../api/pod-conditions.ts';
import { StatusError } from '../../api/status.ts';
import type { KubeObject, OwnerReference } from '../../api/types.ts';
import { isPlainObject } from '../../api/types.ts';
import type { LocalClient, ResourceRef } from '../../client/local-client.ts';
import type { LabelSelector } from '../../apiserver/selectors/label-selector.ts';
import { labelSelectorFromJson, nothing } from '../../apiserver/selectors/label-selector.ts';
import { objectKey, type Informer } from '../../client/informer.ts';

/** Expectations expire like kube's ExpectationsTimeout, so a lost watch event cannot wedge a controller. */
const EXPECTATIONS_TIMEOUT_MS = 5 * 60_000;

interface Expectation {
  adds: number;
  deletes: Set<string>;
  timestamp: number;
}

/**
 * ControllerExpectations / UIDTrackingControllerExpectations: what a controller wrote and has not
 * yet seen in its informer, so a reconcile does not act twice on a stale cache.
 */
export class Expectations {
  private readonly byKey = new Map<string, Expectation>();

  satisfied(key: string): boolean {
    const e = this.byKey.get(key);
    if (!e) return true;
    if (e.adds <= 0 && e.deletes.size === 0) return true;
    return Date.now() - e.timestamp > EXPECTATIONS_TIMEOUT_MS;
  }

  expect(key: string, adds: number, deletes: string[]): void {
    this.byKey.set(key, { adds, deletes: new Set(deletes), timestamp: Date.now() });
  }

  creationObserved(key: string): void {
    const e = this.byKey.get(key);
    if (e) e.adds--;
  }

  deletionObserved(key: string, podKey: string): void {
    this.byKey.get(key)?.deletes.delete(podKey);
  }

  forget(key: string): void {
    this.byKey.delete(key);
  }
}

interface PodCondition {
  type?: string;
  status?: string;
  lastTransitionTime?: string;
}

interface PodStatusShape {
  phase?: string;
  conditions?: PodCondition[];
  containerStatuses?: { restartCount?: number }[];
}

function podStatus(pod: KubeObject): PodStatusShape {
  return isPlainObject(pod.status) ? pod.status : {};
}

export function podPhase(pod: KubeObject): string {
  return podStatus(pod).phase ?? '';
}

function readyCondition(pod: KubeObject): PodCondition | undefined {
  return podStatus(pod).conditions?.find((c) => c.type === 'Ready');
}

/** podutil.IsPodAvailable: ready for at least minReadySeconds. */
export function isPodAvailable(
  pod: KubeObject,
  minReadySeconds: number,
  now = Date.now(),
): boolean {
  if (!isPodReady(pod)) return false;
  if (minReadySeconds === 0) return true;
  const c = readyCondition(pod);
  if (!c?.lastTransitionTime) return false;
  return Date.parse(c.lastTransitionTime) + minReadySeconds * 1000 < now;
}

/** controller.IsPodActive: not finished and not being deleted. */
export function isPodActive(pod: KubeObject): boolean {
  const phase = podPhase(pod);
  return phase !== 'Succeeded' && phase !== 'Failed' && !pod.metadata.deletionTimestamp;
}

function nodeName(pod: KubeObject): string {
  const spec = isPlainObject(pod.spec) ? pod.spec : {};
  return typeof spec.nodeName === 'string' ? spec.nodeName : '';
}

function restarts(pod: KubeObject): number {
  return (podStatus(pod).containerStatuses ?? []).reduce((n, c) => n + (c.restartCount ?? 0), 0);
}

const PHASE_RANK: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

function time(value: string | undefined): number {
  return value ? Date.parse(value) : 0;
}

/**
 * Orders pods so the ones to delete first come first (controller.ActivePodsWithRanks): unassigned
 * before assigned, Pending < Unknown < Running, not ready before ready, pods sharing a node with
 * more siblings first, ready more recently first, more restarts first, newer before older.
 */
export function sortPodsForDeletion(pods: KubeObject[], related: KubeObject[]): KubeObject[] {
  const perNode = new Map<string, number>();
  for (const p of related) {
    const node = nodeName(p);
    if (node && isPodActive(p)) perNode.set(node, (perNode.get(node) ?? 0) + 1);
  }
  const rank = (p: KubeObject) => (nodeName(p) ? (perNode.get(nodeName(p)) ?? 0) : 0);
  return [...pods].sort((a, b) => {
    const na = nodeName(a) !== '';
    const nb = nodeName(b) !== '';
    if (na !== nb) return na ? 1 : -1;
    const pa = PHASE_RANK[podPhase(a)] ?? 0;
    const pb = PHASE_RANK[podPhase(b)] ?? 0;
    if (pa !== pb) return pa - pb;
    const ra = isPodReady(a);
    const rb = isPodReady(b);
    if (ra !== rb) return ra ? 1 : -1;
    if (rank(a) !== rank(b)) return rank(b) - rank(a);
    if (ra && rb) {
      const ta = time(readyCondition(a)?.lastTransitionTime);
      const tb = time(readyCondition(b)?.lastTransitionTime);
      if (ta !== tb) return tb - ta;
    }
    if (restarts(a) !== restarts(b)) return restarts(b) - restarts(a);
    return time(b.metadata.creationTimestamp) - time(a.metadata.creationTimestamp);
  });
}

export function controllerRef(object: KubeObject): OwnerReference | undefined {
  return object.metadata.ownerReferences?.find((r) => r.controller === true);
}

/** metav1.NewControllerRef. */
export function newControllerRef(owner: KubeObject): OwnerReference {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name ?? '',
    uid: owner.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

function ignoreNotFound(err: unknown): void {
  if (!(err instanceof StatusError && err.code === 404)) throw err;
}

/**
 * ControllerRefManager.Claim: of the candidates, the ones the owner controls after adopting
 * matching orphans and releasing owned objects that no longer match. Writes use a merge patch
 * pinned to the cached resourceVersion, so a stale view fails with 409 and is retried.
 */
export async function claimObjects(
  client: LocalClient,
  ref: ResourceRef,
  owner: KubeObject,
  selector: LabelSelector,
  candidates: KubeObject[],
  /** The owner's resource: before adopting, the owner is read again (kube's RecheckDeletionTimestamp). */
  ownerRef: ResourceRef,
): Promise<KubeObject[]> {
  const claimed: KubeObject[] = [];
  const uid = owner.metadata.uid;
  let adoptable: boolean | undefined;
  for (const object of candidates) {
    const cref = controllerRef(object);
    const matches = selector.matches(object.metadata.labels);
    if (cref) {
      if (cref.uid !== uid) continue;
      if (matches) {
        claimed.push(object);
        continue;
      }
      if (owner.metadata.deletionTimestamp) continue;
      // Release: the owner no longer selects it.
      try {
        await client.patch(
          ref,
          object.metadata.namespace ?? '',
          object.metadata.name ?? '',
          'application/merge-patch+json',
          {
            metadata: {
              resourceVersion: object.metadata.resourceVersion,
              ownerReferences: (object.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid),
            },
          },
        );
      } catch (err) {
        ignoreNotFound(err);
      }
      continue;
    }
    if (!matches || owner.metadata.deletionTimestamp || object.metadata.deletionTimestamp) continue;
    adoptable ??= ownerStillAdopts(client, ownerRef, owner);
    if (!adoptable) continue;
    try {
      const adopted = await client.patch(
        ref,
        object.metadata.namespace ?? '',
        object.metadata.name ?? '',
        'application/merge-patch+json',
        {
          metadata: {
            resourceVersion: object.metadata.resourceVersion,
            ownerReferences: [...(object.metadata.ownerReferences ?? []), newControllerRef(owner)],
          },
        },
      );
      claimed.push(adopted);
    } catch (err) {
      ignoreNotFound(err);
    }
  }
  return claimed;
}

/** The owner as stored now is the same object (uid) and is not being deleted. */
function ownerStillAdopts(client: LocalClient, ref: ResourceRef, owner: KubeObject): boolean {
  const fresh = client.tryGet(ref, owner.metadata.namespace ?? '', owner.metadata.name ?? '');
  return !!fresh && fresh.metadata.uid === owner.metadata.uid && !fresh.metadata.deletionTimestamp;
}

/** Seconds-precision RFC 3339, as metav1.Time serializes. */
export function nowTime(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}

/** Stable JSON (sorted keys) for deep comparisons and hashing. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isPlainObject(value)) {
    const keys = Object.keys(value)
      .filter((k) => value[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/**
 * The keys of the `kind` owners a pod event concerns (kube's getPodStatefulSets/getPodDaemonSets):
 * its controller when it has one of that kind, else every owner in its namespace whose selector
 * matches the orphan.
 */
export function ownerKeysForPod(pod: KubeObject, kind: string, owners: Informer): string[] {
  const namespace = pod.metadata.namespace ?? '';
  const ref = controllerRef(pod);
  if (ref) return ref.kind === kind ? [`${namespace}/${ref.name}`] : [];
  return owners
    .list(namespace)
    .filter((owner) => {
      const spec = (owner.spec ?? {}) as { selector?: unknown };
      return (labelSelectorFromJson(spec.selector) ?? nothing()).matches(pod.metadata.labels);
    })
    .map((owner) => objectKey(owner));
}
