// The garbage collector (kube-controller-manager pkg/controller/garbagecollector): follows
// ownerReferences across every resource, deletes dependents whose owners are gone (background),
// deletes dependents before their owner (foreground) and detaches dependents (orphan).
import { StatusError } from '../../api/status.ts';
import type { KubeObject, OwnerReference } from '../../api/types.ts';
import { BUILTIN_RESOURCES, parseApiVersion } from '../../apiserver/registry/resources.ts';
import type { Informer } from '../../client/informer.ts';
import { objectKey, splitKey } from '../../client/informer.ts';
import type { DeleteOptions, ResourceRef } from '../../client/local-client.ts';
import type { Controller, ControllerContext } from '../controller-manager.ts';
import { WorkQueue, type ReconcileResult } from '../runtime/work-queue.ts';
import { EventRecorder } from '../runtime/events.ts';

const ORPHAN = 'orphan';
const FOREGROUND = 'foregroundDeletion';
const MERGE_PATCH = 'application/merge-patch+json';

/** A resource the collector watches: its ref for the client plus its kind and scope. */
export interface MonitoredResource extends ResourceRef {
  kind: string;
  namespaced: boolean;
}

/**
 * Built-in resources that can own or depend on others: everything listable, watchable and
 * deletable, once per storage location (no create-only reviews, no alternate-version views).
 */
export function builtinMonitoredResources(): MonitoredResource[] {
  return BUILTIN_RESOURCES.filter(
    (info) =>
      !info.createOnly &&
      info.storageVersion === undefined &&
      info.storage === undefined &&
      ['list', 'watch', 'delete'].every((verb) => info.verbs.includes(verb)),
  ).map((info) => ({
    group: info.group,
    version: info.version,
    resource: info.plural,
    kind: info.kind,
    namespaced: info.namespaced,
  }));
}

const CRD_REF: ResourceRef = {
  group: 'apiextensions.k8s.io',
  version: 'v1',
  resource: 'customresourcedefinitions',
};

export interface GarbageCollectorOptions {
  /** Resources to follow; the built-in ones by default. */
  resources?: MonitoredResource[];
  /** Also follow custom resources as their CustomResourceDefinitions become established. */
  customResources?: boolean;
}

function hasFinalizer(object: KubeObject, finalizer: string): boolean {
  return (object.metadata.finalizers ?? []).includes(finalizer);
}

function ownerUids(object: KubeObject): string[] {
  return (object.metadata.ownerReferences ?? []).map((ref) => ref.uid);
}

export class GarbageCollector implements Controller {
  readonly name = 'garbage-collector';
  private readonly queue: WorkQueue;
  private readonly monitors: { resource: MonitoredResource; informer: Informer }[] = [];
  /** group/kind → index into monitors. */
  private readonly byKind = new Map<string, number>();
  /** owner uid → queue keys of objects naming it in ownerReferences. */
  private readonly dependents = new Map<string, Set<string>>();
  /** uid → queue key of every object seen, so a dependent's change can wake its owner. */
  private readonly keyOfUid = new Map<string, string>();
  private readonly ownersOfKey = new Map<string, string[]>();
  private started = false;
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private readonly events: EventRecorder;

  constructor(
    private readonly context: ControllerContext,
    private readonly options: GarbageCollectorOptions = {},
  ) {
    this.queue = WorkQueue.logged('garbage collector', context.log, (key) => this.reconcile(key));
    this.events = new EventRecorder(
      context.client,
      'garbage-collector-controller',
      undefined,
      context.log,
    );
  }

  start(): void {
    this.started = true;
    for (const resource of this.options.resources ?? builtinMonitoredResources())
      this.monitor(resource);
    if (this.options.customResources) {
      this.context.informers.for(CRD_REF).addHandlers({
        add: (crd) => this.monitorCrd(crd),
        update: (_old, crd) => this.monitorCrd(crd),
      });
    }
  }

  async stop(): Promise<void> {
    this.started = false;
    for (const timer of this.retryTimers) clearTimeout(timer);
    this.retryTimers.clear();
    await this.queue.stop();
    await this.events.flush();
  }

  /** Starts following one resource (idempotent per group/kind). */
  private monitor(resource: MonitoredResource): Informer {
    const kindKey = `${resource.group}/${resource.kind}`;
    const existing = this.byKind.get(kindKey);
    if (existing !== undefined) return this.monitors[existing].informer;
    const index = this.monitors.length;
    const informer = this.context.informers.for(resource);
    this.monitors.push({ resource, informer });
    this.byKind.set(kindKey, index);
    const keyOf = (object: KubeObject) => `${index}|${objectKey(object)}`;
    informer.addHandlers({
      add: (object) => this.observe(keyOf(object), undefined, object),
      update: (old, object) => this.observe(keyOf(object), old, object),
      delete: (object) => this.forget(keyOf(object), object),
    });
    return informer;
  }

  private monitorCrd(crd: KubeObject): void {
    if (!this.started) return;
    const spec = crd.spec as {
      group?: string;
      names?: { kind?: string; plural?: string };
      scope?: string;
      versions?: { name: string; served?: boolean; storage?: boolean }[];
    };
    const conditions = ((crd.status as { conditions?: { type: string; status: string }[] })
      ?.conditions ?? []) as { type: string; status: string }[];
    if (!conditions.some((c) => c.type === 'Established' && c.status === 'True')) return;
    const version =
      spec.versions?.find((v) => v.storage && v.served) ?? spec.versions?.find((v) => v.served);
    if (!spec.group || !spec.names?.kind || !spec.names.plural || !version) return;
    if (this.byKind.has(`${spec.group}/${spec.names.kind}`)) return;
    const informer = this.monitor({
      group: spec.group,
      version: version.name,
      resource: spec.names.plural,
      kind: spec.names.kind,
      namespaced: spec.scope !== 'Cluster',
    });
    this.startLate(informer);
  }

  /**
   * Informers added after the shared start are ours to start. The CRD's resource may not be
   * served yet when its Established condition is first seen, so a failed start is retried.
   */
  private startLate(informer: Informer): void {
    if (!this.started || informer.hasSynced) return;
    try {
      informer.start();
    } catch {
      const timer = setTimeout(() => {
        this.retryTimers.delete(timer);
        this.startLate(informer);
      }, 100);
      this.retryTimers.add(timer);
    }
  }

  // ---- graph upkeep (handlers only record edges and enqueue keys) ------------------------

  private observe(key: string, old: KubeObject | undefined, object: KubeObject): void {
    const uid = object.metadata.uid ?? '';
    this.keyOfUid.set(uid, key);
    const owners = ownerUids(object);
    this.setOwners(key, owners);
    const deleting = object.metadata.deletionTimestamp !== undefined;
    const changed =
      !old ||
      JSON.stringify(old.metadata.ownerReferences ?? []) !==
        JSON.stringify(object.metadata.ownerReferences ?? []) ||
      JSON.stringify(old.metadata.finalizers ?? []) !==
        JSON.stringify(object.metadata.finalizers ?? []) ||
      old.metadata.deletionTimestamp !== object.metadata.deletionTimestamp;
    if (!changed) return;
    if (
      owners.length ||
      (deleting && (hasFinalizer(object, ORPHAN) || hasFinalizer(object, FOREGROUND)))
    )
      this.queue.add(key);
    // An owner waiting for its dependents re-checks when one of them changes.
    for (const ownerUid of new Set([...ownerUids(old ?? object), ...owners]))
      this.wakeOwner(ownerUid);
  }

  private forget(key: string, object: KubeObject): void {
    const uid = object.metadata.uid ?? '';
    if (this.keyOfUid.get(uid) === key) this.keyOfUid.delete(uid);
    this.setOwners(key, []);
    // Dependents of a vanished owner may now be garbage.
    for (const dependent of this.dependents.get(uid) ?? []) this.queue.add(dependent);
    for (const ownerUid of ownerUids(object)) this.wakeOwner(ownerUid);
  }

  private setOwners(key: string, owners: string[]): void {
    for (const previous of this.ownersOfKey.get(key) ?? []) {
      const set = this.dependents.get(previous);
      set?.delete(key);
      if (set?.size === 0) this.dependents.delete(previous);
    }
    if (owners.length === 0) {
      this.ownersOfKey.delete(key);
      return;
    }
    this.ownersOfKey.set(key, owners);
    for (const owner of owners) {
      let set = this.dependents.get(owner);
      if (!set) this.dependents.set(owner, (set = new Set()));
      set.add(key);
    }
  }

  private wakeOwner(uid: string): void {
    const key = this.keyOfUid.get(uid);
    if (!key) return;
    const owner = this.cached(key);
    if (owner?.metadata.deletionTimestamp) this.queue.add(key);
  }

  // ---- reconcile ---------------------------------------------------------------------------

  private parseKey(key: string): { monitor: MonitoredResource; namespace: string; name: string } {
    const bar = key.indexOf('|');
    const monitor = this.monitors[Number(key.slice(0, bar))].resource;
    return { monitor, ...splitKey(key.slice(bar + 1)) };
  }

  private cached(key: string): KubeObject | undefined {
    const bar = key.indexOf('|');
    return this.monitors[Number(key.slice(0, bar))]?.informer.getByKey(key.slice(bar + 1));
  }

  /** Dependents as the caches see them now: those whose ownerReferences name uid. */
  private dependentsOf(uid: string): { key: string; object: KubeObject; ref: OwnerReference }[] {
    const out = [];
    for (const key of this.dependents.get(uid) ?? []) {
      const object = this.cached(key);
      const ref = object?.metadata.ownerReferences?.find((r) => r.uid === uid);
      if (object && ref) out.push({ key, object, ref });
    }
    return out;
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const { monitor, namespace, name } = this.parseKey(key);
    // Decisions are taken on the live object, as upstream does, not on a possibly stale cache.
    const object = this.context.client.tryGet(monitor, namespace, name);
    if (!object) return;
    if (object.metadata.deletionTimestamp) {
      if (hasFinalizer(object, ORPHAN)) return this.orphanDependents(monitor, object);
      if (hasFinalizer(object, FOREGROUND)) return this.deleteDependentsFirst(monitor, object);
      return; // being deleted by someone else; nothing to decide as a dependent
    }
    return this.collectIfOwnerless(monitor, object);
  }

  /** Orphan: every dependent loses its reference to the owner, then the finalizer goes. */
  private async orphanDependents(monitor: MonitoredResource, owner: KubeObject): Promise<void> {
    const uid = owner.metadata.uid ?? '';
    for (const { key } of this.dependentsOf(uid)) {
      const { monitor: depMonitor, namespace, name } = this.parseKey(key);
      const live = this.context.client.tryGet(depMonitor, namespace, name);
      if (live) await this.removeOwnerRefs(depMonitor, live, new Set([uid]));
    }
    await this.removeFinalizer(monitor, owner, ORPHAN);
  }

  /**
   * Foreground: dependents are deleted first; the owner's foregroundDeletion finalizer goes once
   * no dependent blocks it (blockOwnerDeletion), and the API server then completes the delete.
   */
  private async deleteDependentsFirst(
    monitor: MonitoredResource,
    owner: KubeObject,
  ): Promise<ReconcileResult> {
    const uid = owner.metadata.uid ?? '';
    const dependents = this.dependentsOf(uid);
    const blocking = dependents.filter(({ ref }) => ref.blockOwnerDeletion === true);
    if (blocking.length === 0) {
      await this.removeFinalizer(monitor, owner, FOREGROUND);
      return;
    }
    for (const { key, object } of dependents) {
      const deletingDependents =
        object.metadata.deletionTimestamp !== undefined && hasFinalizer(object, FOREGROUND);
      if (!deletingDependents) this.queue.add(key);
    }
    // Woken again as dependents change or go; the retry covers a missed edge.
    return { requeueAfterMs: 5000 };
  }

  private async collectIfOwnerless(
    monitor: MonitoredResource,
    object: KubeObject,
  ): Promise<ReconcileResult> {
    const refs = object.metadata.ownerReferences ?? [];
    if (refs.length === 0) return;
    const solid: OwnerReference[] = [];
    const dangling: OwnerReference[] = [];
    const waiting: OwnerReference[] = [];
    for (const ref of refs) {
      const state = this.ownerState(ref, monitor, object);
      if (state === 'invalid') return; // never resolves by retrying; reported as an event
      if (state === 'absent') dangling.push(ref);
      else if (state === 'waiting') waiting.push(ref);
      else solid.push(ref);
    }
    const uid = object.metadata.uid ?? '';
    if (solid.length > 0) {
      // Other owners keep it alive: only the references to gone or foreground-deleting owners go.
      if (dangling.length || waiting.length)
        await this.removeOwnerRefs(
          monitor,
          object,
          new Set([...dangling, ...waiting].map((r) => r.uid)),
        );
      return;
    }
    const ownDependents = this.dependentsOf(uid);
    if (waiting.length > 0 && ownDependents.length > 0) {
      // Its owner waits in foreground and it has dependents itself: delete it in foreground too.
      // If one of its dependents is also waiting on its own dependents, this could be a cycle:
      // make its own references non-blocking first, as upstream does.
      const cycle = ownDependents.some(
        ({ object: dep }) =>
          dep.metadata.deletionTimestamp !== undefined && hasFinalizer(dep, FOREGROUND),
      );
      if (cycle && refs.some((r) => r.blockOwnerDeletion)) {
        const unblocked = refs.map((r) =>
          r.blockOwnerDeletion ? { ...r, blockOwnerDeletion: false } : r,
        );
        object = await this.context.client.patch(
          monitor,
          object.metadata.namespace ?? '',
          object.metadata.name ?? '',
          MERGE_PATCH,
          {
            metadata: {
              resourceVersion: object.metadata.resourceVersion,
              ownerReferences: unblocked,
            },
          },
        );
      }
      await this.deleteObject(monitor, object, 'Foreground');
      return;
    }
    const policy = hasFinalizer(object, ORPHAN)
      ? 'Orphan'
      : hasFinalizer(object, FOREGROUND)
        ? 'Foreground'
        : 'Background';
    await this.deleteObject(monitor, object, policy);
  }

  /**
   * absent: gone or replaced (uid differs); waiting: being deleted in foreground; invalid: a
   * cluster-scoped object naming a namespaced owner, which upstream reports and never collects;
   * else solid.
   */
  private ownerState(
    ref: OwnerReference,
    dependentMonitor: MonitoredResource,
    dependent: KubeObject,
  ): 'absent' | 'waiting' | 'solid' | 'invalid' {
    const { group } = parseApiVersion(ref.apiVersion);
    const index = this.byKind.get(`${group}/${ref.kind}`);
    // A kind we cannot resolve cannot be proven gone; upstream keeps retrying, never deletes.
    if (index === undefined) return 'solid';
    const ownerMonitor = this.monitors[index].resource;
    const namespace = dependent.metadata.namespace ?? '';
    if (ownerMonitor.namespaced && !dependentMonitor.namespaced) {
      this.reportInvalidNamespace(dependent, ref);
      return 'invalid';
    }
    const owner = this.context.client.tryGet(
      ownerMonitor,
      ownerMonitor.namespaced ? namespace : '',
      ref.name,
    );
    if (!owner || owner.metadata.uid !== ref.uid) {
      // The uid lives in another namespace: a cross-namespace reference, which is invalid.
      const seenAt = this.keyOfUid.get(ref.uid);
      const seen = seenAt ? this.cached(seenAt) : undefined;
      if (ownerMonitor.namespaced && seen && (seen.metadata.namespace ?? '') !== namespace)
        this.reportInvalidNamespace(dependent, ref);
      return 'absent';
    }
    if (owner.metadata.deletionTimestamp && hasFinalizer(owner, FOREGROUND)) return 'waiting';
    return 'solid';
  }

  private reportInvalidNamespace(dependent: KubeObject, ref: OwnerReference): void {
    const namespace = dependent.metadata.namespace ?? '';
    // The owner as upstream prints an objectReference.
    const owner = `[${ref.apiVersion}/${ref.kind}, namespace: ${namespace}, name: ${ref.name}, uid: ${ref.uid}]`;
    this.events.event(
      dependent,
      'Warning',
      'OwnerRefInvalidNamespace',
      `ownerRef ${owner} does not exist in namespace ${JSON.stringify(namespace)}`,
    );
  }

  private async deleteObject(
    monitor: MonitoredResource,
    object: KubeObject,
    propagationPolicy: NonNullable<DeleteOptions['propagationPolicy']>,
  ): Promise<void> {
    try {
      await this.context.client.delete(
        monitor,
        object.metadata.namespace ?? '',
        object.metadata.name ?? '',
        {
          propagationPolicy,
          // Never delete a replacement, nor an object whose owners changed since we looked.
          preconditions: {
            uid: object.metadata.uid,
            resourceVersion: object.metadata.resourceVersion,
          },
        },
      );
    } catch (err) {
      if (!(err instanceof StatusError && err.code === 404)) throw err;
    }
  }

  private async removeOwnerRefs(
    monitor: MonitoredResource,
    object: KubeObject,
    uids: Set<string>,
  ): Promise<void> {
    const refs = object.metadata.ownerReferences ?? [];
    const kept = refs.filter((r) => !uids.has(r.uid));
    if (kept.length === refs.length) return;
    try {
      await this.context.client.patch(
        monitor,
        object.metadata.namespace ?? '',
        object.metadata.name ?? '',
        MERGE_PATCH,
        // resourceVersion makes it a compare-and-swap: a concurrent change means retry.
        // An emptied list is removed (null), as Go's omitempty would leave no field.
        {
          metadata: {
            resourceVersion: object.metadata.resourceVersion,
            ownerReferences: kept.length ? kept : null,
          },
        },
      );
    } catch (err) {
      if (!(err instanceof StatusError && err.code === 404)) throw err;
    }
  }

  private async removeFinalizer(
    monitor: MonitoredResource,
    object: KubeObject,
    finalizer: string,
  ): Promise<void> {
    const finalizers = object.metadata.finalizers ?? [];
    if (!finalizers.includes(finalizer)) return;
    try {
      await this.context.client.patch(
        monitor,
        object.metadata.namespace ?? '',
        object.metadata.name ?? '',
        MERGE_PATCH,
        {
          metadata: {
            resourceVersion: object.metadata.resourceVersion,
            finalizers: finalizers.length > 1 ? finalizers.filter((f) => f !== finalizer) : null,
          },
        },
      );
    } catch (err) {
      if (!(err instanceof StatusError && err.code === 404)) throw err;
    }
  }
}
