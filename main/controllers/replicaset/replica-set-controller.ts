// The ReplicaSet and ReplicationController controllers (kube pkg/controller/replicaset): keep
// spec.replicas pods from the template, adopt matching orphans, release pods that stop matching,
// and report replicas/ready/available counts. One implementation serves both kinds.
import { isPodReady } from '../../api/pod-conditions.ts';
import type { KubeObject } from '../../api/types.ts';
import { isPlainObject } from '../../api/types.ts';
import { StatusError } from '../../api/status.ts';
import { objectKey, splitKey, type Informer } from '../../client/informer.ts';
import type { ResourceRef } from '../../client/local-client.ts';
import {
  labelSelectorFromJson,
  selectorFromSet,
  nothing,
  type LabelSelector,
} from '../../apiserver/selectors/label-selector.ts';
import type { Controller, ControllerContext } from '../controller-manager.ts';
import { EventRecorder } from '../runtime/events.ts';
import { WorkQueue, type ReconcileResult } from '../runtime/work-queue.ts';
import {
  Expectations,
  claimObjects,
  controllerRef,
  isPodActive,
  isPodAvailable,
  newControllerRef,
  podPhase,
  nowTime,
  canonicalJson,
  sortPodsForDeletion,
} from './controller-utils.ts';

export const PODS: ResourceRef = { group: '', version: 'v1', resource: 'pods' };
export const REPLICA_SETS: ResourceRef = { group: 'apps', version: 'v1', resource: 'replicasets' };
export const REPLICATION_CONTROLLERS: ResourceRef = {
  group: '',
  version: 'v1',
  resource: 'replicationcontrollers',
};

/** kube's BurstReplicas: at most this many creates or deletes per sync. */
const BURST_REPLICAS = 500;
/** controller.SlowStartInitialBatchSize. */
const SLOW_START_INITIAL_BATCH = 1;

/** What differs between ReplicaSets and ReplicationControllers. */
export interface Kind {
  ref: ResourceRef;
  apiVersion: string;
  kind: string;
  component: string;
  /** ReplicaSetStatus has terminatingReplicas (1.35); ReplicationControllerStatus does not. */
  reportsTerminating: boolean;
  selector(rs: KubeObject): LabelSelector;
}

const REPLICA_SET_KIND: Kind = {
  ref: REPLICA_SETS,
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  component: 'replicaset-controller',
  reportsTerminating: true,
  selector: (rs) => labelSelectorFromJson(spec(rs).selector) ?? nothing(),
};

const REPLICATION_CONTROLLER_KIND: Kind = {
  ref: REPLICATION_CONTROLLERS,
  apiVersion: 'v1',
  kind: 'ReplicationController',
  component: 'replication-controller',
  reportsTerminating: false,
  selector: (rc) => {
    const sel = spec(rc).selector;
    if (!isPlainObject(sel) || Object.keys(sel).length === 0) return nothing();
    return selectorFromSet(sel as Record<string, string>);
  },
};

function spec(object: KubeObject): Record<string, unknown> {
  return isPlainObject(object.spec) ? object.spec : {};
}

function statusOf(object: KubeObject): Record<string, unknown> {
  return isPlainObject(object.status) ? object.status : {};
}

function templateOf(rs: KubeObject): Record<string, unknown> {
  const t = spec(rs).template;
  return isPlainObject(t) ? t : {};
}

function replicasOf(rs: KubeObject): number {
  const r = spec(rs).replicas;
  return typeof r === 'number' ? r : 1;
}

function minReadySecondsOf(rs: KubeObject): number {
  const m = spec(rs).minReadySeconds;
  return typeof m === 'number' ? m : 0;
}

interface ReplicaFailureCondition {
  type: string;
  status: string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export class ReplicaSetController implements Controller {
  readonly name: string;
  private readonly queue: WorkQueue;
  private readonly expectations = new Expectations();
  private readonly recorder: EventRecorder;
  private readonly owners: Informer;
  private readonly pods: Informer;

  constructor(
    private readonly context: ControllerContext,
    private readonly kind: Kind = REPLICA_SET_KIND,
  ) {
    this.name = kind.component;
    this.owners = context.informers.for(kind.ref);
    this.pods = context.informers.for(PODS);
    this.recorder = new EventRecorder(context.client, kind.component, undefined, context.log);
    this.queue = WorkQueue.logged(kind.component, context.log, (key) => this.reconcile(key));
  }

  start(): void {
    this.owners.addHandlers({
      add: (rs) => this.queue.add(objectKey(rs)),
      update: (_old, rs) => this.queue.add(objectKey(rs)),
      delete: (rs) => {
        this.expectations.forget(objectKey(rs));
        this.queue.add(objectKey(rs));
      },
    });
    this.pods.addHandlers({
      add: (pod) => this.podAdded(pod),
      update: (old, pod) => this.podUpdated(old, pod),
      delete: (pod) => this.podDeleted(pod),
    });
  }

  async stop(): Promise<void> {
    await this.queue.stop();
    await this.recorder.flush();
  }

  /** Resolves once events recorded so far are written. */
  flushEvents(): Promise<void> {
    return this.recorder.flush();
  }

  /** The owner this pod's controllerRef points at, if it is one of ours and still the same object. */
  private ownerOf(pod: KubeObject): KubeObject | undefined {
    const ref = controllerRef(pod);
    if (!ref || ref.kind !== this.kind.kind) return undefined;
    const owner = this.owners.get(pod.metadata.namespace ?? '', ref.name);
    return owner?.metadata.uid === ref.uid ? owner : undefined;
  }

  /** Owners whose selector matches an orphan pod (getPodReplicaSets). */
  private selectingOwners(pod: KubeObject): KubeObject[] {
    return this.owners
      .list(pod.metadata.namespace ?? '')
      .filter((rs) => this.kind.selector(rs).matches(pod.metadata.labels));
  }

  private podAdded(pod: KubeObject): void {
    if (pod.metadata.deletionTimestamp) {
      this.podDeleted(pod);
      return;
    }
    if (controllerRef(pod)) {
      const owner = this.ownerOf(pod);
      if (!owner) return;
      const key = objectKey(owner);
      this.expectations.creationObserved(key);
      this.queue.add(key);
      return;
    }
    for (const rs of this.selectingOwners(pod)) this.queue.add(objectKey(rs));
  }

  private podUpdated(old: KubeObject, pod: KubeObject): void {
    if (old.metadata.resourceVersion === pod.metadata.resourceVersion) return;
    if (pod.metadata.deletionTimestamp && !old.metadata.deletionTimestamp) {
      // A graceful delete: the pod is going away, which counts as its deletion for expectations.
      this.podDeleted(pod);
      return;
    }
    const labelsChanged =
      canonicalJson(old.metadata.labels ?? {}) !== canonicalJson(pod.metadata.labels ?? {});
    const oldRef = controllerRef(old);
    const newRef = controllerRef(pod);
    if (oldRef && oldRef.uid !== newRef?.uid) {
      const previous = this.ownerOf(old);
      if (previous) this.queue.add(objectKey(previous));
    }
    if (newRef) {
      const owner = this.ownerOf(pod);
      if (!owner) return;
      const key = objectKey(owner);
      this.queue.add(key);
      const minReady = minReadySecondsOf(owner);
      // Becoming ready starts the minReadySeconds clock; look again when it runs out.
      if (minReady > 0 && !isPodReady(old) && isPodReady(pod))
        this.queue.addAfter(key, minReady * 1000 + 1000);
      return;
    }
    if (labelsChanged || oldRef)
      for (const rs of this.selectingOwners(pod)) this.queue.add(objectKey(rs));
  }

  private podDeleted(pod: KubeObject): void {
    const owner = this.ownerOf(pod);
    if (!owner) return;
    const key = objectKey(owner);
    this.expectations.deletionObserved(key, objectKey(pod));
    this.queue.add(key);
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const { namespace, name } = splitKey(key);
    const cached = this.owners.get(namespace, name);
    if (!cached) {
      this.expectations.forget(key);
      return;
    }
    const rs = cached;
    const selector = this.kind.selector(rs);
    const needsSync = this.expectations.satisfied(key);
    const candidates = this.pods.list(namespace).filter(isPodActive);
    const owned = await claimObjects(
      this.context.client,
      PODS,
      rs,
      selector,
      candidates,
      this.kind.ref,
    );
    let manageError: { error: unknown; reason: string } | undefined;
    if (needsSync && !rs.metadata.deletionTimestamp) {
      try {
        await this.manageReplicas(key, owned, rs, candidates);
      } catch (error) {
        manageError = {
          error,
          reason: owned.length < replicasOf(rs) ? 'FailedCreate' : 'FailedDelete',
        };
      }
    }
    const minReady = minReadySecondsOf(rs);
    // status.terminatingReplicas (DeploymentReplicaSetTerminatingReplicas, on by default in 1.35).
    const terminating = this.pods
      .list(namespace)
      .filter(
        (p) =>
          p.metadata.deletionTimestamp &&
          !['Succeeded', 'Failed'].includes(podPhase(p)) &&
          controllerRef(p)?.uid === rs.metadata.uid &&
          selector.matches(p.metadata.labels),
      ).length;
    const status = await this.updateStatus(rs, owned, terminating, manageError);
    if (manageError) throw manageError.error;
    if (minReady > 0 && status.readyReplicas !== status.availableReplicas)
      return { requeueAfterMs: minReady * 1000 };
  }

  private async manageReplicas(
    key: string,
    owned: KubeObject[],
    rs: KubeObject,
    related: KubeObject[],
  ): Promise<void> {
    const diff = owned.length - replicasOf(rs);
    if (diff < 0) {
      const count = Math.min(-diff, BURST_REPLICAS);
      this.expectations.expect(key, count, []);
      let created = 0;
      let failure: Error | undefined;
      // slowStartBatch: 1, 2, 4, … creates in parallel; stop at the first failing batch.
      for (let batch = Math.min(count, SLOW_START_INITIAL_BATCH); created < count;) {
        const results = await Promise.allSettled(
          Array.from({ length: batch }, () => this.createPod(rs)),
        );
        const failed = results.filter((r) => r.status === 'rejected');
        created += batch;
        if (failed.length) {
          failure = failed[0].reason as Error;
          for (let i = 0; i < failed.length; i++) this.expectations.creationObserved(key);
          break;
        }
        batch = Math.min(2 * batch, count - created);
      }
      // The creates we never attempted will not be observed either.
      for (let i = created; i < count; i++) this.expectations.creationObserved(key);
      if (failure !== undefined) throw failure;
      return;
    }
    if (diff > 0) {
      const count = Math.min(diff, BURST_REPLICAS);
      const victims = sortPodsForDeletion(owned, related).slice(0, count);
      this.expectations.expect(
        key,
        0,
        victims.map((p) => objectKey(p)),
      );
      const results = await Promise.allSettled(victims.map((pod) => this.deletePod(key, rs, pod)));
      const failed = results.find((r) => r.status === 'rejected');
      if (failed) throw failed.reason;
    }
  }

  private async createPod(rs: KubeObject): Promise<void> {
    const template = templateOf(rs);
    const tmeta = isPlainObject(template.metadata) ? template.metadata : {};
    const namespace = rs.metadata.namespace ?? '';
    const metadata: KubeObject['metadata'] = {
      generateName: `${rs.metadata.name}-`,
      namespace,
      ownerReferences: [newControllerRef(rs)],
    };
    if (isPlainObject(tmeta.labels))
      metadata.labels = { ...(tmeta.labels as Record<string, string>) };
    if (isPlainObject(tmeta.annotations))
      metadata.annotations = { ...(tmeta.annotations as Record<string, string>) };
    if (Array.isArray(tmeta.finalizers)) metadata.finalizers = [...(tmeta.finalizers as string[])];
    const pod: KubeObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata,
      spec: structuredClone(isPlainObject(template.spec) ? template.spec : {}),
    };
    try {
      const created = await this.context.client.create(PODS, namespace, pod);
      this.recorder.event(
        rs,
        'Normal',
        'SuccessfulCreate',
        `Created pod: ${created.metadata.name}`,
      );
    } catch (err) {
      this.recorder.event(
        rs,
        'Warning',
        'FailedCreate',
        `Error creating: ${(err as Error).message}`,
      );
      throw err;
    }
  }

  private async deletePod(key: string, rs: KubeObject, pod: KubeObject): Promise<void> {
    const name = pod.metadata.name ?? '';
    try {
      await this.context.client.delete(PODS, pod.metadata.namespace ?? '', name, {
        preconditions: { uid: pod.metadata.uid },
      });
      this.recorder.event(rs, 'Normal', 'SuccessfulDelete', `Deleted pod: ${name}`);
    } catch (err) {
      // Already gone: nothing more will be observed for it.
      this.expectations.deletionObserved(key, objectKey(pod));
      if (err instanceof StatusError && (err.code === 404 || err.code === 409)) return;
      this.recorder.event(
        rs,
        'Warning',
        'FailedDelete',
        `Error deleting: ${(err as Error).message}`,
      );
      throw err;
    }
  }

  /** calculateStatus + updateReplicaSetStatus: writes status only when it changed. */
  private async updateStatus(
    rs: KubeObject,
    owned: KubeObject[],
    terminating: number,
    manageError: { error: unknown; reason: string } | undefined,
  ): Promise<{ readyReplicas: number; availableReplicas: number }> {
    const template = templateOf(rs);
    const tmeta = isPlainObject(template.metadata) ? template.metadata : {};
    const templateLabels = selectorFromSet(
      (isPlainObject(tmeta.labels) ? tmeta.labels : {}) as Record<string, string>,
    );
    const minReady = minReadySecondsOf(rs);
    const old = statusOf(rs);
    const status: Record<string, unknown> = {
      replicas: owned.length,
      fullyLabeledReplicas: owned.filter((p) => templateLabels.matches(p.metadata.labels)).length,
      readyReplicas: owned.filter(isPodReady).length,
      availableReplicas: owned.filter((p) => isPodAvailable(p, minReady)).length,
      observedGeneration: rs.metadata.generation ?? 0,
    };
    if (this.kind.reportsTerminating) status.terminatingReplicas = terminating;
    let conditions = (
      Array.isArray(old.conditions) ? old.conditions : []
    ) as ReplicaFailureCondition[];
    const failure = conditions.find((c) => c.type === 'ReplicaFailure');
    if (manageError && !failure) {
      conditions = [
        ...conditions,
        {
          type: 'ReplicaFailure',
          status: 'True',
          lastTransitionTime: nowTime(),
          reason: manageError.reason,
          message: (manageError.error as Error).message,
        },
      ];
    } else if (!manageError && failure) {
      conditions = conditions.filter((c) => c.type !== 'ReplicaFailure');
    }
    if (conditions.length) status.conditions = conditions;
    const result = {
      readyReplicas: status.readyReplicas as number,
      availableReplicas: status.availableReplicas as number,
    };
    const comparable = (s: Record<string, unknown>) =>
      canonicalJson({ ...s, conditions: Array.isArray(s.conditions) ? s.conditions : [] });
    if (comparable(old) === comparable(status)) return result;
    const namespace = rs.metadata.namespace ?? '';
    let base = rs;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.context.client.updateStatus(this.kind.ref, namespace, { ...base, status });
        return result;
      } catch (err) {
        if (err instanceof StatusError && err.code === 404) return result;
        if (!(err instanceof StatusError && err.code === 409) || attempt > 0) throw err;
        // One retry against the latest object, as kube's updateReplicaSetStatus does.
        const fresh = this.context.client.tryGet(this.kind.ref, namespace, rs.metadata.name ?? '');
        if (!fresh) return result;
        base = fresh;
      }
    }
  }
}

/** The ReplicaSet controller (apps/v1 ReplicaSets). */
export function newReplicaSetController(context: ControllerContext): ReplicaSetController {
  return new ReplicaSetController(context, REPLICA_SET_KIND);
}

/** The ReplicationController manager (core/v1 ReplicationControllers), same logic. */
export function newReplicationControllerManager(context: ControllerContext): ReplicaSetController {
  return new ReplicaSetController(context, REPLICATION_CONTROLLER_KIND);
}
