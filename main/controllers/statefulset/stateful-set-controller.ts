// The StatefulSet controller (kube pkg/controller/statefulset): pods <set>-0..N-1 with stable
// identity and storage, created in order (OrderedReady) or all at once (Parallel), scaled down
// from the highest ordinal, rolled from the highest ordinal down to the partition.
import { isPodReady } from '../../api/pod-conditions.ts';
import type { KubeObject } from '../../api/types.ts';
import { isPlainObject } from '../../api/types.ts';
import { StatusError } from '../../api/status.ts';
import { splitKey, type Informer } from '../../client/informer.ts';
import type { ResourceRef } from '../../client/local-client.ts';
import { labelSelectorFromJson, nothing } from '../../apiserver/selectors/label-selector.ts';
import type { Controller, ControllerContext } from '../controller-manager.ts';
import { EventRecorder } from '../runtime/events.ts';
import { WorkQueue, type ReconcileResult } from '../runtime/work-queue.ts';
import {
  claimObjects,
  controllerRef,
  isPodAvailable,
  newControllerRef,
  podPhase,
  ownerKeysForPod,
} from '../replicaset/controller-utils.ts';
import { revisionTemplate, syncRevisions, truncateHistory } from '../history/controller-history.ts';

export const PODS: ResourceRef = { group: '', version: 'v1', resource: 'pods' };
export const PVCS: ResourceRef = { group: '', version: 'v1', resource: 'persistentvolumeclaims' };
export const STATEFUL_SETS: ResourceRef = {
  group: 'apps',
  version: 'v1',
  resource: 'statefulsets',
};

export const POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';
export const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index';
export const REVISION_LABEL = 'controller-revision-hash';

const COMPONENT = 'statefulset-controller';

type Obj = Record<string, unknown>;

function specOf(object: KubeObject): Obj {
  return isPlainObject(object.spec) ? object.spec : {};
}

function statusOf(object: KubeObject): Obj {
  return isPlainObject(object.status) ? object.status : {};
}

function num(value: unknown, fallback: number): number {
  return typeof value === 'number' ? value : fallback;
}

/** The ordinal of a pod named <set>-<n>, or -1 when it is not a member (getParentNameAndOrdinal). */
export function ordinalOf(set: KubeObject, pod: KubeObject): number {
  const prefix = `${set.metadata.name}-`;
  const name = pod.metadata.name ?? '';
  if (!name.startsWith(prefix)) return -1;
  const rest = name.slice(prefix.length);
  return /^(0|[1-9]\d*)$/.test(rest) ? Number(rest) : -1;
}

/** spec.ordinals.start: the first ordinal (getStartOrdinal). */
export function startOrdinal(set: KubeObject): number {
  const ordinals = specOf(set).ordinals;
  return isPlainObject(ordinals) ? num(ordinals.start, 0) : 0;
}

function claimTemplates(set: KubeObject): KubeObject[] {
  const t = specOf(set).volumeClaimTemplates;
  return Array.isArray(t) ? (t.filter(isPlainObject) as unknown as KubeObject[]) : [];
}

/** getPersistentVolumeClaimName. */
export function claimName(set: KubeObject, template: KubeObject, ordinal: number): string {
  return `${template.metadata?.name ?? ''}-${set.metadata.name}-${ordinal}`;
}

function isTerminating(pod: KubeObject): boolean {
  return Boolean(pod.metadata.deletionTimestamp);
}

function isRunningAndReady(pod: KubeObject): boolean {
  return podPhase(pod) === 'Running' && isPodReady(pod);
}

function isFailedOrSucceeded(pod: KubeObject): boolean {
  const phase = podPhase(pod);
  return phase === 'Failed' || phase === 'Succeeded';
}

function revisionOf(pod: KubeObject): string {
  return pod.metadata.labels?.[REVISION_LABEL] ?? '';
}

export class StatefulSetController implements Controller {
  readonly name = COMPONENT;
  private readonly queue: WorkQueue;
  private readonly recorder: EventRecorder;
  private readonly sets: Informer;
  private readonly pods: Informer;

  constructor(private readonly context: ControllerContext) {
    this.sets = context.informers.for(STATEFUL_SETS);
    this.pods = context.informers.for(PODS);
    this.recorder = new EventRecorder(context.client, COMPONENT, undefined, context.log);
    this.queue = WorkQueue.logged(COMPONENT, context.log, (key) => this.reconcile(key));
  }

  start(): void {
    this.queue.enqueueChanges(this.sets);
    const podChanged = (pod: KubeObject) => this.enqueueFor(pod);
    this.pods.addHandlers({
      add: podChanged,
      update: (old, pod) => {
        this.enqueueFor(old);
        this.enqueueFor(pod);
      },
      delete: podChanged,
    });
  }

  async stop(): Promise<void> {
    await this.queue.stop();
    await this.recorder.flush();
  }

  flushEvents(): Promise<void> {
    return this.recorder.flush();
  }

  private enqueueFor(pod: KubeObject): void {
    for (const key of ownerKeysForPod(pod, 'StatefulSet', this.sets)) this.queue.add(key);
  }

  private async reconcile(key: string): Promise<ReconcileResult> {
    const { namespace, name } = splitKey(key);
    const cached = this.sets.get(namespace, name);
    if (!cached || cached.metadata.deletionTimestamp) return;
    const set = structuredClone(cached);
    const client = this.context.client;
    const selector = labelSelectorFromJson(specOf(set).selector) ?? nothing();
    const candidates = this.pods
      .list(namespace)
      .filter((p) => ordinalOf(set, p) >= 0 || controllerRef(p)?.uid === set.metadata.uid);
    const pods = (
      await claimObjects(client, PODS, set, selector, candidates, STATEFUL_SETS)
    ).filter((p) => ordinalOf(set, p) >= 0);

    const templateLabels = (): Record<string, string> => {
      const t = specOf(set).template;
      const meta = isPlainObject(t) && isPlainObject(t.metadata) ? t.metadata : {};
      return isPlainObject(meta.labels) ? { ...(meta.labels as Record<string, string>) } : {};
    };
    const status = statusOf(set);
    const history = await syncRevisions(client, set, {
      labels: templateLabels,
      currentName: typeof status.currentRevision === 'string' ? status.currentRevision : undefined,
    });
    const currentRevision = history.current.metadata.name ?? '';
    const updateRevision = history.update.metadata.name ?? '';

    const requeue = await this.updateStatefulSet(
      set,
      pods,
      currentRevision,
      updateRevision,
      revisionTemplate(history.current),
    );

    // Status from what the pods look like now (the cache lags our own writes; a later pass fixes it).
    const latest = this.pods
      .list(namespace)
      .filter((p) => controllerRef(p)?.uid === set.metadata.uid && ordinalOf(set, p) >= 0);
    await this.updateStatus(set, latest, currentRevision, updateRevision, history.collisionCount);

    const live = new Set([currentRevision, updateRevision, ...latest.map(revisionOf)]);
    await truncateHistory(client, set, history.revisions, live);
    return requeue;
  }

  /** statefulSetControl.updateStatefulSet: one step towards the desired pods. */
  private async updateStatefulSet(
    set: KubeObject,
    pods: KubeObject[],
    currentRevision: string,
    updateRevision: string,
    currentTemplate: Obj,
  ): Promise<ReconcileResult> {
    const spec = specOf(set);
    const replicaCount = num(spec.replicas, 1);
    const monotonic = spec.podManagementPolicy !== 'Parallel';
    const minReadySeconds = num(spec.minReadySeconds, 0);
    const strategy = isPlainObject(spec.updateStrategy) ? spec.updateStrategy : {};
    const rolling = strategy.type !== 'OnDelete';
    const ru = isPlainObject(strategy.rollingUpdate) ? strategy.rollingUpdate : undefined;
    const partition = rolling && ru ? num(ru.partition, 0) : 0;
    const status = statusOf(set);
    const start = startOrdinal(set);

    const replicas: (KubeObject | undefined)[] = new Array<KubeObject | undefined>(replicaCount);
    const condemned: KubeObject[] = [];
    for (const pod of pods) {
      const index = ordinalOf(set, pod) - start;
      if (index >= 0 && index < replicaCount) replicas[index] = pod;
      else condemned.push(pod);
    }
    condemned.sort((a, b) => ordinalOf(set, a) - ordinalOf(set, b));

    // newVersionedStatefulSetPod: ordinals below the partition keep the current revision.
    // (OnDelete has no rollingUpdate, so a replaced pod always gets the update revision.)
    const useCurrent = (index: number) => {
      if (ru) return index < num(ru.partition, 0);
      return rolling && index < num(status.currentReplicas, 0);
    };

    const isHealthy = (p: KubeObject) =>
      isRunningAndReady(p) && !isTerminating(p) && isPodAvailable(p, minReadySeconds);
    const unhealthy = [...replicas, ...condemned].find((p) => p && !isHealthy(p));
    let requeueAfterMs: number | undefined;
    const waitForAvailability = (p: KubeObject) => {
      if (minReadySeconds > 0 && isRunningAndReady(p) && !isPodAvailable(p, minReadySeconds))
        requeueAfterMs = minReadySeconds * 1000;
    };

    for (let index = 0; index < replicaCount; index++) {
      const ord = start + index;
      const pod = replicas[index];
      if (pod && isFailedOrSucceeded(pod) && !isTerminating(pod)) {
        // Recreated under the same name once the deletion completes.
        await this.deletePod(set, pod);
        if (monotonic) return;
        continue;
      }
      if (!pod) {
        const current = useCurrent(index);
        await this.createPod(
          set,
          ord,
          current ? currentTemplate : (specOf(set).template as Obj),
          current ? currentRevision : updateRevision,
        );
        if (monotonic) return;
        continue;
      }
      if (isTerminating(pod) && monotonic) return;
      if (!isRunningAndReady(pod) && monotonic) return;
      if (!isPodAvailable(pod, minReadySeconds) && monotonic) {
        waitForAvailability(pod);
        return requeueAfterMs ? { requeueAfterMs } : undefined;
      }
      // Recreate claims that went missing under a live pod (storage identity).
      await this.ensureClaims(set, ord, pod);
    }

    for (let i = condemned.length - 1; i >= 0; i--) {
      const pod = condemned[i];
      if (isTerminating(pod)) {
        if (monotonic) return;
        continue;
      }
      if (!isRunningAndReady(pod) && pod !== unhealthy && monotonic) return;
      await this.releaseClaimsToPod(set, pod);
      await this.deletePod(set, pod);
      if (monotonic) return;
    }

    if (!rolling) return requeueAfterMs ? { requeueAfterMs } : undefined;
    // Roll from the highest ordinal down to the partition, one pod at a time.
    for (let index = replicaCount - 1; index >= partition; index--) {
      const pod = replicas[index];
      if (!pod) continue;
      if (revisionOf(pod) !== updateRevision && !isTerminating(pod)) {
        await this.deletePod(set, pod);
        return;
      }
      if (!isHealthy(pod)) {
        waitForAvailability(pod);
        return requeueAfterMs ? { requeueAfterMs } : undefined;
      }
    }
    return requeueAfterMs ? { requeueAfterMs } : undefined;
  }

  /** The claims a pod of this ordinal mounts (getPersistentVolumeClaims). */
  private claimsFor(set: KubeObject, ord: number): KubeObject[] {
    const namespace = set.metadata.namespace ?? '';
    const selector = specOf(set).selector;
    const matchLabels =
      isPlainObject(selector) && isPlainObject(selector.matchLabels)
        ? (selector.matchLabels as Record<string, string>)
        : {};
    const retention = isPlainObject(specOf(set).persistentVolumeClaimRetentionPolicy)
      ? (specOf(set).persistentVolumeClaimRetentionPolicy as Obj)
      : {};
    return claimTemplates(set).map((template) => {
      const claim = structuredClone(template) as KubeObject & { spec?: unknown };
      claim.apiVersion = 'v1';
      claim.kind = 'PersistentVolumeClaim';
      claim.metadata = {
        ...(template.metadata ?? {}),
        name: claimName(set, template, ord),
        namespace,
        labels: { ...(template.metadata?.labels ?? {}), ...matchLabels },
      };
      delete claim.status;
      // whenDeleted: Delete makes the set own its claims so the garbage collector removes them.
      if (retention.whenDeleted === 'Delete') {
        claim.metadata.ownerReferences = [{ ...newControllerRef(set), controller: true }];
      }
      return claim;
    });
  }

  private async ensureClaims(set: KubeObject, ord: number, pod?: KubeObject): Promise<void> {
    const namespace = set.metadata.namespace ?? '';
    const client = this.context.client;
    for (const claim of this.claimsFor(set, ord)) {
      const claimNameValue = claim.metadata.name ?? '';
      if (client.tryGet(PVCS, namespace, claimNameValue)) continue;
      const podName = pod?.metadata.name ?? `${set.metadata.name}-${ord}`;
      try {
        await client.create(PVCS, namespace, claim);
        this.recorder.event(
          set,
          'Normal',
          'SuccessfulCreate',
          `create Claim ${claimNameValue} Pod ${podName} in StatefulSet ${set.metadata.name} success`,
        );
      } catch (err) {
        if (err instanceof StatusError && err.code === 409) continue;
        this.recorder.event(
          set,
          'Warning',
          'FailedCreate',
          `create Claim ${claimNameValue} for Pod ${podName} in StatefulSet ${set.metadata.name} failed error: ${(err as Error).message}`,
        );
        throw err;
      }
    }
  }

  /**
   * whenScaled: Delete (updateClaimOwnerRefForSetAndPod): a scaled-down pod becomes its claims'
   * controller, so the garbage collector deletes them once the pod is gone.
   */
  private async releaseClaimsToPod(set: KubeObject, pod: KubeObject): Promise<void> {
    const policy = specOf(set).persistentVolumeClaimRetentionPolicy;
    if (!isPlainObject(policy) || policy.whenScaled !== 'Delete') return;
    const namespace = set.metadata.namespace ?? '';
    const client = this.context.client;
    for (const template of claimTemplates(set)) {
      const claim = client.tryGet(PVCS, namespace, claimName(set, template, ordinalOf(set, pod)));
      if (!claim) continue;
      const refs = claim.metadata.ownerReferences ?? [];
      if (refs.some((r) => r.uid === pod.metadata.uid)) continue;
      const kept = refs.filter((r) => r.uid !== set.metadata.uid);
      // Another controller owns it: leave it alone, as kube does.
      if (kept.some((r) => r.controller)) continue;
      await client.patch(
        PVCS,
        namespace,
        claim.metadata.name ?? '',
        'application/merge-patch+json',
        {
          metadata: {
            resourceVersion: claim.metadata.resourceVersion,
            ownerReferences: [...kept, newControllerRef(pod)],
          },
        },
      );
    }
  }

  /** newStatefulSetPod + setPodRevision: the pod for one ordinal from a template. */
  newPod(set: KubeObject, ord: number, template: Obj, revision: string): KubeObject {
    const podName = `${set.metadata.name}-${ord}`;
    const meta = isPlainObject(template.metadata) ? template.metadata : {};
    const podSpec = isPlainObject(template.spec) ? structuredClone(template.spec) : {};
    const labels: Record<string, string> = {
      ...(isPlainObject(meta.labels) ? (meta.labels as Record<string, string>) : {}),
      [POD_NAME_LABEL]: podName,
      [POD_INDEX_LABEL]: String(ord),
      [REVISION_LABEL]: revision,
    };
    // Each claim template replaces any pod volume of the same name with the ordinal's claim.
    const templates = claimTemplates(set);
    const names = new Set(templates.map((t) => t.metadata?.name));
    const volumes: unknown[] = templates.map((t) => ({
      name: t.metadata?.name ?? '',
      persistentVolumeClaim: { claimName: claimName(set, t, ord) },
    }));
    for (const v of Array.isArray(podSpec.volumes) ? podSpec.volumes : []) {
      if (!(isPlainObject(v) && names.has(v.name as string))) volumes.push(v);
    }
    if (volumes.length) podSpec.volumes = volumes;
    podSpec.hostname = podName;
    const serviceName = specOf(set).serviceName;
    if (typeof serviceName === 'string' && serviceName) podSpec.subdomain = serviceName;
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: podName,
        namespace: set.metadata.namespace,
        labels,
        ...(isPlainObject(meta.annotations)
          ? { annotations: { ...(meta.annotations as Record<string, string>) } }
          : {}),
        ownerReferences: [newControllerRef(set)],
      },
      spec: podSpec,
    };
  }

  private async createPod(
    set: KubeObject,
    ord: number,
    template: Obj,
    revision: string,
  ): Promise<void> {
    await this.ensureClaims(set, ord);
    const pod = this.newPod(set, ord, template, revision);
    const podName = pod.metadata.name ?? '';
    try {
      await this.context.client.create(PODS, set.metadata.namespace ?? '', pod);
    } catch (err) {
      // The cache has not seen a pod we created on an earlier pass.
      if (err instanceof StatusError && err.code === 409) return;
      this.recorder.event(
        set,
        'Warning',
        'FailedCreate',
        `create Pod ${podName} in StatefulSet ${set.metadata.name} failed error: ${(err as Error).message}`,
      );
      throw err;
    }
    this.recorder.event(
      set,
      'Normal',
      'SuccessfulCreate',
      `create Pod ${podName} in StatefulSet ${set.metadata.name} successful`,
    );
  }

  private async deletePod(set: KubeObject, pod: KubeObject): Promise<void> {
    const podName = pod.metadata.name ?? '';
    try {
      await this.context.client.delete(PODS, pod.metadata.namespace ?? '', podName, {
        preconditions: { uid: pod.metadata.uid },
      });
    } catch (err) {
      if (err instanceof StatusError && (err.code === 404 || err.code === 409)) return;
      this.recorder.event(
        set,
        'Warning',
        'FailedDelete',
        `delete Pod ${podName} in StatefulSet ${set.metadata.name} failed error: ${(err as Error).message}`,
      );
      throw err;
    }
    this.recorder.event(
      set,
      'Normal',
      'SuccessfulDelete',
      `delete Pod ${podName} in StatefulSet ${set.metadata.name} successful`,
    );
  }

  private async updateStatus(
    set: KubeObject,
    pods: KubeObject[],
    currentRevision: string,
    updateRevision: string,
    collisionCount: number,
  ): Promise<void> {
    const spec = specOf(set);
    const minReadySeconds = num(spec.minReadySeconds, 0);
    const status: Obj = {
      ...statusOf(set),
      observedGeneration: set.metadata.generation,
      replicas: 0,
      readyReplicas: 0,
      availableReplicas: 0,
      currentReplicas: 0,
      updatedReplicas: 0,
      currentRevision,
      updateRevision,
      collisionCount,
    };
    let replicas = 0;
    let ready = 0;
    let available = 0;
    let current = 0;
    let updated = 0;
    for (const pod of pods) {
      const created = podPhase(pod) !== '';
      if (created) replicas++;
      if (isRunningAndReady(pod)) {
        ready++;
        if (isPodAvailable(pod, minReadySeconds)) available++;
      }
      if (created && !isTerminating(pod)) {
        if (revisionOf(pod) === currentRevision) current++;
        if (revisionOf(pod) === updateRevision) updated++;
      }
    }
    Object.assign(status, {
      replicas,
      readyReplicas: ready,
      availableReplicas: available,
      currentReplicas: current,
      updatedReplicas: updated,
    });
    // completeRollingUpdate: once every pod runs the update revision it becomes current.
    const strategy = isPlainObject(spec.updateStrategy) ? spec.updateStrategy : {};
    const wanted = num(spec.replicas, 1);
    if (
      strategy.type !== 'OnDelete' &&
      updated === wanted &&
      ready === wanted &&
      replicas === wanted
    ) {
      status.currentReplicas = updated;
      status.currentRevision = updateRevision;
    }
    if (JSON.stringify(status) === JSON.stringify(statusOf(set))) return;
    try {
      await this.context.client.updateStatus(STATEFUL_SETS, set.metadata.namespace ?? '', {
        ...set,
        status,
      });
    } catch (err) {
      // A newer StatefulSet is already queued; its pass writes the status.
      if (!(err instanceof StatusError && (err.code === 404 || err.code === 409))) throw err;
    }
  }
}

export function newStatefulSetController(context: ControllerContext): StatefulSetController {
  return new StatefulSetController(context);
}
