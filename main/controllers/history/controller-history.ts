// ControllerRevision history for StatefulSets and DaemonSets (kube pkg/controller/history and the
// revision helpers of pkg/controller/statefulset and daemon): snapshots of spec.template that
// `kubectl rollout history|undo` read and patch back.
import { StatusError } from '../../api/status.ts';
import type { KubeObject } from '../../api/types.ts';
import { isPlainObject } from '../../api/types.ts';
import type { LocalClient, ResourceRef } from '../../client/local-client.ts';
import { safeEncodeString } from '../deployment/deployment-util.ts';
import { controllerRef, newControllerRef } from '../replicaset/controller-utils.ts';

export const CONTROLLER_REVISIONS: ResourceRef = {
  group: 'apps',
  version: 'v1',
  resource: 'controllerrevisions',
};

/** history.ControllerRevisionHashLabel. */
export const CONTROLLER_REVISION_HASH_LABEL = 'controller.kubernetes.io/hash';

/**
 * The patch a revision stores (getPatch in both controllers): only spec.template, marked
 * `$patch: replace` so applying it as a strategic merge restores the template as a whole.
 */
export function templatePatch(owner: KubeObject): Record<string, unknown> {
  const spec = isPlainObject(owner.spec) ? owner.spec : {};
  const template = isPlainObject(spec.template) ? spec.template : {};
  return { spec: { template: { ...structuredClone(template), $patch: 'replace' } } };
}

/** The template a revision's data holds (ApplyRevision without the merge: data replaces it). */
export function revisionTemplate(revision: KubeObject): Record<string, unknown> {
  const data = isPlainObject(revision.data) ? revision.data : {};
  const spec = isPlainObject(data.spec) ? data.spec : {};
  const template = isPlainObject(spec.template) ? structuredClone(spec.template) : {};
  delete template.$patch;
  return template;
}

/** history.HashControllerRevision: FNV-32 (not 1a) of the data, then the collision count. */
export function hashRevisionData(data: unknown, collisionCount?: number): string {
  let text = JSON.stringify(data);
  if (collisionCount !== undefined && collisionCount !== 0) text += String(collisionCount);
  let hash = 0x811c9dc5;
  for (const b of new TextEncoder().encode(text)) {
    hash = Math.imul(hash, 0x01000193) >>> 0;
    hash = (hash ^ b) >>> 0;
  }
  return safeEncodeString(String(hash));
}

/** history.ControllerRevisionName: the prefix is cut so the name stays a valid DNS subdomain. */
export function revisionName(prefix: string, hash: string): string {
  return `${prefix.length > 223 ? prefix.slice(0, 223) : prefix}-${hash}`;
}

export function revisionNumber(revision: KubeObject): number {
  return typeof revision.revision === 'number' ? revision.revision : 0;
}

/** history.SortControllerRevisions: by revision, then creation time, then name. */
export function sortRevisions(revisions: KubeObject[]): KubeObject[] {
  return [...revisions].sort(
    (a, b) =>
      revisionNumber(a) - revisionNumber(b) ||
      (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') ||
      (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''),
  );
}

function sameData(a: KubeObject, b: KubeObject): boolean {
  return JSON.stringify(a.data) === JSON.stringify(b.data);
}

export interface RevisionsResult {
  /** Every revision the owner controls, oldest first. */
  revisions: KubeObject[];
  current: KubeObject;
  update: KubeObject;
  collisionCount: number;
}

export interface RevisionOptions {
  /** Labels the revision carries (the template's; the DaemonSet adds its hash label). */
  labels(hash: string): Record<string, string>;
  /** The owner's status.currentRevision / the hash its current pods carry, if known. */
  currentName?: string;
}

/**
 * The owner's revisions with the one matching its template created or renumbered to the newest
 * (getStatefulSetRevisions / constructHistory): an undo back to an old template reuses that
 * revision and moves it to the top, as kube does.
 */
export async function syncRevisions(
  client: LocalClient,
  owner: KubeObject,
  options: RevisionOptions,
): Promise<RevisionsResult> {
  const namespace = owner.metadata.namespace ?? '';
  const uid = owner.metadata.uid;
  let revisions = sortRevisions(
    client
      .list(CONTROLLER_REVISIONS, namespace)
      .items.filter((r) => controllerRef(r)?.uid === uid && !r.metadata.deletionTimestamp),
  );
  const status = isPlainObject(owner.status) ? owner.status : {};
  let collisionCount = typeof status.collisionCount === 'number' ? status.collisionCount : 0;
  const data = templatePatch(owner);
  const last = revisions.at(-1);
  const next = (last ? revisionNumber(last) : 0) + 1;
  const equal = revisions.filter((r) => JSON.stringify(r.data) === JSON.stringify(data));
  let update: KubeObject;
  const newest = equal.at(-1);
  if (newest && last && newest.metadata.name === last.metadata.name) {
    update = newest;
  } else if (newest) {
    update = await client.update(CONTROLLER_REVISIONS, namespace, { ...newest, revision: next });
    revisions = sortRevisions(
      revisions.map((r) => (r.metadata.name === update.metadata.name ? update : r)),
    );
  } else {
    for (;;) {
      const hash = hashRevisionData(data, collisionCount);
      const candidate: KubeObject = {
        apiVersion: 'apps/v1',
        kind: 'ControllerRevision',
        metadata: {
          name: revisionName(owner.metadata.name ?? '', hash),
          namespace,
          labels: { ...options.labels(hash), [CONTROLLER_REVISION_HASH_LABEL]: hash },
          ...(owner.metadata.annotations ? { annotations: { ...owner.metadata.annotations } } : {}),
          ownerReferences: [newControllerRef(owner)],
        },
        data,
        revision: next,
      };
      try {
        update = await client.create(CONTROLLER_REVISIONS, namespace, candidate);
        break;
      } catch (err) {
        if (!(err instanceof StatusError && err.code === 409)) throw err;
        const existing = client.tryGet(CONTROLLER_REVISIONS, namespace, candidate.metadata.name!);
        // Ours with the same data (a retried sync): use it. Anything else is a hash collision.
        if (existing && controllerRef(existing)?.uid === uid && sameData(existing, candidate)) {
          update = existing;
          break;
        }
        collisionCount++;
      }
    }
    revisions = sortRevisions([...revisions, update]);
  }
  const current =
    revisions.find((r) => options.currentName && r.metadata.name === options.currentName) ?? update;
  return { revisions, current, update, collisionCount };
}

/**
 * truncateHistory: deletes the oldest revisions beyond revisionHistoryLimit, never one that is
 * current, the update target, or still used by a live pod.
 */
export async function truncateHistory(
  client: LocalClient,
  owner: KubeObject,
  revisions: KubeObject[],
  live: Set<string>,
): Promise<void> {
  const spec = isPlainObject(owner.spec) ? owner.spec : {};
  const limit = typeof spec.revisionHistoryLimit === 'number' ? spec.revisionHistoryLimit : 10;
  const old = revisions.filter((r) => !live.has(r.metadata.name ?? ''));
  for (const r of old.slice(0, Math.max(0, old.length - limit))) {
    try {
      await client.delete(CONTROLLER_REVISIONS, r.metadata.namespace ?? '', r.metadata.name ?? '');
    } catch (err) {
      if (!(err instanceof StatusError && err.code === 404)) throw err;
    }
  }
}
