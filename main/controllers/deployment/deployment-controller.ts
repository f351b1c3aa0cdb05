// The Deployment controller (kube pkg/controller/deployment): one ReplicaSet per pod template,
// rolled out by RollingUpdate (within maxSurge/maxUnavailable) or Recreate, with revisions,
// rollback by template, pause/resume, proportional scaling, history cleanup and the
// Progressing/Available conditions that `kubectl rollout status` and helm's kstatus read.
import type { KubeObject } from '../../api/types.ts';
import { isPlainObject } from '../../api/types.ts';
import { StatusError } from '../../api/status.ts';
import { objectKey, splitKey, type Informer } from '../../client/informer.ts';
import type { ResourceRef } from '../../client/local-client.ts';
import {
  labelSelectorFromJson,
  nothing,
  type LabelSelector,
} from '../../apiserver/selectors/label-selector.ts';
import type { Controller, ControllerContext } from '../controller-manager.ts';
import { EventRecorder } from '../runtime/events.ts';
import { WorkQueue, type ReconcileResult } from '../runtime/work-queue.ts';
import { claimObjects, controllerRef, canonicalJson } from '../replicaset/controller-utils.ts';
import { PODS, REPLICA_SETS } from '../replicaset/replica-set-controller.ts';
import {
  POD_TEMPLATE_HASH,
  REASONS,
  REVISION,
  computeHash,
  deploymentComplete,
  deploymentProgressing,
  deploymentTimedOut,
  desiredReplicasAnnotation,
  equalIgnoreHash,
  getCondition,
  isRollingUpdate,
  maxReplicasAnnotation,
  maxRevision,
  maxSurge,
  maxUnavailable,
  newCondition,
  progressDeadlineSeconds,
  removeCondition,
  replicas,
  replicasAnnotationsNeedUpdate,
  revisionOf,
  setCondition,
  setNewReplicaSetAnnotations,
  setReplicasAnnotations,
  specOf,
  statusNumber,
  type DeploymentCondition,
  type DeploymentStatus,
} from './deployment-util.ts';

export const DEPLOYMENTS: ResourceRef = { group: 'apps', version: 'v1', resource: 'deployments' };

const MERGE_PATCH = 'application/merge-patch+json';

function selectorOf(d: KubeObject): LabelSelector {
  return labelSelectorFromJson(specOf(d).selector) ?? nothing();
}

function created(o: KubeObject): number {
  return o.metadata.creationTimestamp ? Date.parse(o.metadata.creationTimestamp) : 0;
}

/** controller.ReplicaSetsByCreationTimestamp: oldest first, then by name. */
function byCreation(a: KubeObject, b: KubeObject): number {
  return created(a) - created(b) || (a.metadata.name ?? '').localeCompare(b.metadata.name ?? '');
}

const active = (rs: KubeObject | undefined): rs is KubeObject => !!rs && replicas(rs) > 0;
const sum = (rss: (KubeObject | undefined)[], f: (rs: KubeObject) => number) =>
  rss.reduce((n, rs) => n + (rs ? f(rs) : 0), 0);
const specReplicas = (rss: (KubeObject | undefined)[]) => sum(rss, replicas);
const actualReplicas = (rss: (KubeObject | undefined)[]) =>
  sum(rss, (rs) => statusNumber(rs, 'replicas'));
const availableReplicas = (rss: (KubeObject | undefined)[]) =>
  sum(rss, (rs) => statusNumber(rs, 'availableReplicas'));
/**
 * Available pods a set will still have once it reaches its size: a set just scaled down reports
 * the pods it is about to delete as available until its controller catches up, and counting them
 * would let a rolling update go below maxUnavailable.
 */
const availableAfterScale = (rss: (KubeObject | undefined)[]) =>
  sum(rss, (rs) => Math.min(statusNumber(rs, 'availableReplicas'), replicas(rs)));
const readyReplicas = (rss: (KubeObject | undefined)[]) =>
  sum(rss, (rs) => statusNumber(rs, 'readyReplicas'));

function statusOf(d: KubeObject): DeploymentStatus {
  return isPlainObject(d.status) ? d.status : {};
}

export class DeploymentController implements Controller {
  readonly name = 'deployment-controller';
  private readonly queue: WorkQueue;
  private readonly recorder: EventRecorder;
  private readonly deployments: Informer;
  private readonly replicaSets: Informer;
  private readonly pods: Informer;

  constructor(private readonly context: ControllerContext) {
    this.deployments = context.informers.for(DEPLOYMENTS);
    this.replicaSets = context.informers.for(REPLICA_SETS);
    this.pods = context.informers.for(PODS);
    this.recorder = new EventRecorder(context.client, this.name, undefined, context.log);
    this.queue = WorkQueue.logged('deployment-controller', context.log, (key) =>
      this.reconcile(key),
    );
  }

  start(): void {
    this.queue.enqueueChanges(this.deployments);
    this.replicaSets.addHandlers({
      add: (rs) => this.enqueueFor(rs),
      update: (old, rs) => {
        const oldRef = controllerRef(old);
        if (oldRef && oldRef.uid !== controllerRef(rs)?.uid) this.enqueueFor(old);
        this.enqueueFor(rs);
      },
      delete: (rs) => this.enqueueFor(rs),
    });
    // Recreate waits for old pods to be gone, so their deletion matters.
    this.pods.addHandlers({
      delete: (pod) => {
        const ref = controllerRef(pod);
        if (ref?.kind !== 'ReplicaSet') return;
        const rs = this.replicaSets.get(pod.metadata.namespace ?? '', ref.name);
        if (!rs) return;
        const d = this.ownerOf(rs);
        if (d && !isRollingUpdate(d)) this.queue.add(objectKey(d));
      },
    });
  }

  async stop(): Promise<void> {
    await this.queue.stop();
    await this.recorder.flush();
  }

  flushEvents(): Promise<void> {
    return this.recorder.flush();
  }

  private ownerOf(rs: KubeObject): KubeObject | undefined {
    const ref = controllerRef(rs);
    if (!ref || ref.kind !== 'Deployment') return undefined;
    const d = this.deployments.get(rs.metadata.namespace ?? '', ref.name);
    return d?.metadata.uid === ref.uid ? d : undefined;
  }

  private enqueueFor(rs: KubeObject): void {
    if (controllerRef(rs)) {
      const d = this.ownerOf(rs);
      if (d) this.queue.add(objectKey(d));
      return;
    }
    for (const d of this.deployments.list(rs.metadata.namespace ?? ''))
      if (selectorOf(d).matches(rs.metadata.labels)) this.queue.add(objectKey(d));
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const { namespace, name } = splitKey(key);
    const cached = this.deployments.get(namespace, name);
    if (!cached) return;
    const run = new DeploymentSync(this, structuredClone(cached));
    return run.sync();
  }

  /** @internal */ get client() {
    return this.context.client;
  }
  /** @internal */ event(
    object: KubeObject,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
  ) {
    this.recorder.event(object, type, reason, message);
  }
  /** @internal */ cachedReplicaSets(namespace: string): KubeObject[] {
    return this.replicaSets.list(namespace);
  }
  /** @internal */ cachedPods(namespace: string): KubeObject[] {
    return this.pods.list(namespace);
  }
}

/** One pass of syncDeployment over a private copy of the Deployment. */
class DeploymentSync {
  private requeueAfterMs: number | undefined;
  private readonly namespace: string;

  constructor(
    private readonly controller: DeploymentController,
    private d: KubeObject,
  ) {
    this.namespace = d.metadata.namespace ?? '';
  }

  private get client() {
    return this.controller.client;
  }

  async sync(): Promise<ReconcileResult> {
    const d = this.d;
    const selector = selectorOf(d);
    if (selector.empty()) {
      this.controller.event(
        d,
        'Warning',
        'SelectingAll',
        'This deployment is selecting all pods. A non-empty selector is required.',
      );
      if ((statusOf(d).observedGeneration ?? 0) < (d.metadata.generation ?? 0))
        await this.writeStatus({ ...statusOf(d), observedGeneration: d.metadata.generation ?? 0 });
      return;
    }
    const rsList = await this.claimReplicaSets(selector);
    if (d.metadata.deletionTimestamp) {
      await this.syncStatusOnly(rsList);
      return;
    }
    await this.checkPausedConditions();
    if (specOf(this.d).paused === true) {
      await this.syncScaleOnly(rsList);
    } else if (await this.isScalingEvent(rsList)) {
      await this.syncScaleOnly(rsList);
    } else if (isRollingUpdate(this.d)) {
      await this.rolloutRolling(rsList);
    } else {
      await this.rolloutRecreate(rsList);
    }
    return this.requeueAfterMs === undefined ? undefined : { requeueAfterMs: this.requeueAfterMs };
  }

  /** getReplicaSetsForDeployment: adopt matching orphans, release what no longer matches. */
  private async claimReplicaSets(selector: LabelSelector): Promise<KubeObject[]> {
    const d = this.d;
    const candidates = this.controller.cachedReplicaSets(this.namespace);
    return claimObjects(this.client, REPLICA_SETS, d, selector, candidates, DEPLOYMENTS);
  }

  private async writeStatus(status: DeploymentStatus): Promise<void> {
    try {
      this.d = await this.client.updateStatus(DEPLOYMENTS, this.namespace, {
        ...this.d,
        status: status,
      });
    } catch (err) {
      if (err instanceof StatusError && err.code === 404) return;
      throw err;
    }
  }

  private async checkPausedConditions(): Promise<void> {
    const d = this.d;
    if (progressDeadlineSeconds(d) === undefined) return;
    const status = structuredClone(statusOf(d));
    const cond = getCondition(status, 'Progressing');
    if (cond?.reason === REASONS.timedOut) return;
    const pausedCond = cond?.reason === REASONS.paused;
    const paused = specOf(d).paused === true;
    if (paused && !pausedCond) {
      setCondition(
        status,
        newCondition('Progressing', 'Unknown', REASONS.paused, 'Deployment is paused'),
      );
    } else if (!paused && pausedCond) {
      setCondition(
        status,
        newCondition('Progressing', 'Unknown', REASONS.resumed, 'Deployment is resumed'),
      );
    } else return;
    await this.writeStatus(status);
  }

  private findNewReplicaSet(rsList: KubeObject[]): KubeObject | undefined {
    const template = specOf(this.d).template;
    // The oldest match wins, so a hash collision that created a twin does not flip-flop.
    return [...rsList]
      .sort(byCreation)
      .find((rs) => equalIgnoreHash(specOf(rs).template, template));
  }

  /**
   * getAllReplicaSetsAndSyncRevision: the new ReplicaSet (created when asked) with its revision
   * brought up to date, the old ones, and the Deployment's revision annotation kept in step.
   */
  private async getAll(
    rsList: KubeObject[],
    create: boolean,
  ): Promise<{ newRS: KubeObject | undefined; oldRSs: KubeObject[] }> {
    const existing = this.findNewReplicaSet(rsList);
    const oldRSs = rsList.filter((rs) => rs !== existing);
    const newRevision = maxRevision(oldRSs) + 1;
    const d = this.d;
    if (existing) {
      const copy = structuredClone(existing);
      const annotationsChanged = setNewReplicaSetAnnotations(d, copy, newRevision, true);
      const minReady = specOf(d).minReadySeconds ?? 0;
      if (annotationsChanged || (specOf(copy).minReadySeconds ?? 0) !== minReady) {
        (copy.spec as Record<string, unknown>).minReadySeconds = minReady;
        const updated = await this.client.update(REPLICA_SETS, this.namespace, copy);
        return { newRS: updated, oldRSs };
      }
      await this.setDeploymentRevision(String(revisionOf(existing)));
      if (!getCondition(statusOf(this.d), 'Progressing')) {
        const status = structuredClone(statusOf(this.d));
        setCondition(
          status,
          newCondition(
            'Progressing',
            'True',
            REASONS.foundNewRS,
            `Found new replica set "${existing.metadata.name}"`,
          ),
        );
        await this.writeStatus(status);
      }
      return { newRS: existing, oldRSs };
    }
    if (!create) return { newRS: undefined, oldRSs };

    const collisionCount = statusOf(d).collisionCount;
    const hash = computeHash(specOf(d).template, collisionCount);
    const template = structuredClone(specOf(d).template) as Record<string, unknown>;
    const tmeta = isPlainObject(template.metadata) ? template.metadata : {};
    const labels = {
      ...(tmeta.labels as Record<string, string> | undefined),
      [POD_TEMPLATE_HASH]: hash,
    };
    template.metadata = { ...tmeta, labels };
    const selector = structuredClone(specOf(d).selector) as Record<string, unknown>;
    selector.matchLabels = {
      ...(selector.matchLabels as Record<string, string> | undefined),
      [POD_TEMPLATE_HASH]: hash,
    };
    const rsName = `${d.metadata.name}-${hash}`;
    const rs: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: rsName,
        namespace: this.namespace,
        labels,
        ownerReferences: [
          {
            apiVersion: 'apps/v1',
            kind: 'Deployment',
            name: d.metadata.name ?? '',
            uid: d.metadata.uid ?? '',
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      spec: {
        replicas: 0,
        minReadySeconds: specOf(d).minReadySeconds ?? 0,
        selector,
        template,
      },
    };
    const newReplicas = this.newRSNewReplicas([...oldRSs, rs], rs);
    (rs.spec as Record<string, unknown>).replicas = newReplicas;
    setNewReplicaSetAnnotations(d, rs, newRevision, false);
    let createdRS: KubeObject;
    try {
      createdRS = await this.client.create(REPLICA_SETS, this.namespace, rs);
    } catch (err) {
      if (!(err instanceof StatusError && err.code === 409)) throw err;
      const clash = this.client.tryGet(REPLICA_SETS, this.namespace, rsName);
      // Ours already (a stale cache): use it.
      if (
        clash &&
        controllerRef(clash)?.uid === d.metadata.uid &&
        equalIgnoreHash(specOf(clash).template, specOf(d).template)
      )
        return { newRS: clash, oldRSs };
      // A true hash collision: bump collisionCount so the next hash differs, and retry.
      const status = structuredClone(statusOf(this.d));
      status.collisionCount = (status.collisionCount ?? 0) + 1;
      await this.writeStatus(status);
      throw err;
    }
    if (newReplicas > 0)
      this.controller.event(
        d,
        'Normal',
        'ScalingReplicaSet',
        `Scaled up replica set ${rsName} from 0 to ${newReplicas}`,
      );
    await this.setDeploymentRevision(String(newRevision));
    const status = structuredClone(statusOf(this.d));
    setCondition(
      status,
      newCondition(
        'Progressing',
        'True',
        REASONS.newRSCreated,
        `Created new replica set "${rsName}"`,
      ),
    );
    await this.writeStatus(status);
    return { newRS: createdRS, oldRSs };
  }

  private async setDeploymentRevision(revision: string): Promise<void> {
    if (this.d.metadata.annotations?.[REVISION] === revision) return;
    this.d = await this.client.patch(
      DEPLOYMENTS,
      this.namespace,
      this.d.metadata.name ?? '',
      MERGE_PATCH,
      {
        metadata: {
          resourceVersion: this.d.metadata.resourceVersion,
          annotations: { [REVISION]: revision },
        },
      },
    );
  }

  /** NewRSNewReplicas. */
  private newRSNewReplicas(allRSs: KubeObject[], newRS: KubeObject): number {
    const d = this.d;
    if (!isRollingUpdate(d)) return replicas(d);
    const current = specReplicas(allRSs);
    const maxTotal = replicas(d) + maxSurge(d);
    if (current >= maxTotal) return replicas(newRS);
    const scaleUp = Math.min(maxTotal - current, replicas(d) - replicas(newRS));
    return replicas(newRS) + scaleUp;
  }

  /** scaleReplicaSetAndRecordEvent / scaleReplicaSet. */
  private async scaleReplicaSet(
    rs: KubeObject,
    newScale: number,
    operation?: 'up' | 'down',
  ): Promise<boolean> {
    const d = this.d;
    const old = replicas(rs);
    const sizeChanged = old !== newScale;
    const maxReplicas = replicas(d) + maxSurge(d);
    if (!sizeChanged && !replicasAnnotationsNeedUpdate(rs, replicas(d), maxReplicas)) return false;
    const copy = structuredClone(rs);
    (copy.spec as Record<string, unknown>).replicas = newScale;
    setReplicasAnnotations(copy, replicas(d), maxReplicas);
    await this.client.update(REPLICA_SETS, this.namespace, copy);
    if (sizeChanged) {
      const op = operation ?? (old < newScale ? 'up' : 'down');
      this.controller.event(
        d,
        'Normal',
        'ScalingReplicaSet',
        `Scaled ${op} replica set ${rs.metadata.name} from ${old} to ${newScale}`,
      );
    }
    return sizeChanged;
  }

  private async scaleAndRecord(rs: KubeObject, newScale: number): Promise<boolean> {
    if (replicas(rs) === newScale) return false;
    return this.scaleReplicaSet(rs, newScale);
  }

  private async isScalingEvent(rsList: KubeObject[]): Promise<boolean> {
    const { newRS, oldRSs } = await this.getAll(rsList, false);
    for (const rs of [...oldRSs, newRS].filter(active)) {
      const desired = desiredReplicasAnnotation(rs);
      if (desired !== undefined && desired !== replicas(this.d)) return true;
    }
    return false;
  }

  /** sync: scaling only (paused Deployments and scaling events), then cleanup and status. */
  private async syncScaleOnly(rsList: KubeObject[]): Promise<void> {
    const { newRS, oldRSs } = await this.getAll(rsList, false);
    await this.scale(newRS, oldRSs);
    if (specOf(this.d).paused === true) await this.cleanup(oldRSs);
    await this.syncDeploymentStatus([...oldRSs, newRS], newRS);
  }

  private async syncStatusOnly(rsList: KubeObject[]): Promise<void> {
    const { newRS, oldRSs } = await this.getAll(rsList, false);
    await this.syncDeploymentStatus([...oldRSs, newRS], newRS);
  }

  /** scale: full size to the only active set, or proportional across all during a rollout. */
  private async scale(newRS: KubeObject | undefined, oldRSs: KubeObject[]): Promise<void> {
    const d = this.d;
    const want = replicas(d);
    const latestFirst = [...oldRSs].sort(byCreation).reverse();
    const activeRSs = [...latestFirst, newRS].filter(active);
    let only: KubeObject | undefined;
    if (activeRSs.length === 0) only = newRS ?? latestFirst[0];
    else if (activeRSs.length === 1) only = activeRSs[0];
    if (activeRSs.length <= 1) {
      if (only && replicas(only) !== want) await this.scaleAndRecord(only, want);
      return;
    }
    if (newRS && this.isSaturated(newRS)) {
      for (const old of oldRSs.filter(active)) await this.scaleAndRecord(old, 0);
      return;
    }
    if (!isRollingUpdate(d)) return;
    const all = [...oldRSs, newRS].filter(active);
    const allowed = want > 0 ? want + maxSurge(d) : 0;
    const toAdd = allowed - specReplicas(all);
    let operation: 'up' | 'down' | undefined;
    if (toAdd > 0) {
      // ReplicaSetsBySizeNewer: larger first, newer first among equals.
      all.sort((a, b) => replicas(b) - replicas(a) || created(b) - created(a));
      operation = 'up';
    } else if (toAdd < 0) {
      // ReplicaSetsBySizeOlder: larger first, older first among equals.
      all.sort((a, b) => replicas(b) - replicas(a) || created(a) - created(b));
      operation = 'down';
    }
    let added = 0;
    const sizes = new Map<KubeObject, number>();
    for (const rs of all) {
      if (toAdd !== 0) {
        const proportion = this.proportion(rs, toAdd, added);
        sizes.set(rs, replicas(rs) + proportion);
        added += proportion;
      } else sizes.set(rs, replicas(rs));
    }
    for (let i = 0; i < all.length; i++) {
      const rs = all[i];
      if (i === 0 && toAdd !== 0) sizes.set(rs, Math.max(0, sizes.get(rs)! + toAdd - added));
      await this.scaleReplicaSet(rs, sizes.get(rs)!, operation);
    }
  }

  /** GetReplicaSetProportion / getReplicaSetFraction. */
  private proportion(rs: KubeObject, toAdd: number, added: number): number {
    if (replicas(rs) === 0 || toAdd === 0 || toAdd === added) return 0;
    const d = this.d;
    let fraction: number;
    if (replicas(d) === 0) fraction = -replicas(rs);
    else {
      const deploymentReplicas = replicas(d) + maxSurge(d);
      const annotated = maxReplicasAnnotation(rs) ?? statusOf(d).replicas ?? 0;
      const size = annotated === 0 ? 0 : (replicas(rs) * deploymentReplicas) / annotated;
      // integer.RoundToInt32 rounds half away from zero.
      fraction = Math.sign(size) * Math.round(Math.abs(size)) - replicas(rs);
    }
    const allowed = toAdd - added;
    return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
  }

  /** IsSaturated: the new set has all replicas, all available. */
  private isSaturated(rs: KubeObject): boolean {
    const want = replicas(this.d);
    return (
      replicas(rs) === want &&
      desiredReplicasAnnotation(rs) === want &&
      statusNumber(rs, 'availableReplicas') === want
    );
  }

  private async rolloutRolling(rsList: KubeObject[]): Promise<void> {
    const { newRS, oldRSs } = await this.getAll(rsList, true);
    const all = [...oldRSs, newRS];
    if (newRS && (await this.reconcileNewReplicaSet(all, newRS))) {
      await this.syncRolloutStatus(all, newRS);
      return;
    }
    if (await this.reconcileOldReplicaSets(all, oldRSs.filter(active), newRS)) {
      await this.syncRolloutStatus(all, newRS);
      return;
    }
    if (deploymentComplete(this.d, statusOf(this.d))) await this.cleanup(oldRSs);
    await this.syncRolloutStatus(all, newRS);
  }

  private async reconcileNewReplicaSet(
    all: (KubeObject | undefined)[],
    newRS: KubeObject,
  ): Promise<boolean> {
    const want = replicas(this.d);
    if (replicas(newRS) === want) return false;
    if (replicas(newRS) > want) return this.scaleAndRecord(newRS, want);
    return this.scaleAndRecord(
      newRS,
      this.newRSNewReplicas(
        all.filter((x) => !!x),
        newRS,
      ),
    );
  }

  private async reconcileOldReplicaSets(
    all: (KubeObject | undefined)[],
    oldRSs: KubeObject[],
    newRS: KubeObject | undefined,
  ): Promise<boolean> {
    const d = this.d;
    if (specReplicas(oldRSs) === 0) return false;
    const minAvailable = replicas(d) - maxUnavailable(d);
    const newUnavailable = newRS ? replicas(newRS) - availableAfterScale([newRS]) : 0;
    const maxScaledDown = specReplicas(all) - minAvailable - newUnavailable;
    if (maxScaledDown <= 0) return false;
    // cleanupUnhealthyReplicas: old pods that are not available go first, they cost nothing.
    let cleaned = 0;
    const olds = oldRSs.map((rs) => rs).sort(byCreation);
    for (let i = 0; i < olds.length; i++) {
      if (cleaned >= maxScaledDown) break;
      const rs = olds[i];
      const unhealthy = replicas(rs) - statusNumber(rs, 'availableReplicas');
      if (replicas(rs) === 0 || unhealthy <= 0) continue;
      const down = Math.min(maxScaledDown - cleaned, unhealthy);
      await this.scaleAndRecord(rs, replicas(rs) - down);
      olds[i] = structuredClone(rs);
      (olds[i].spec as Record<string, unknown>).replicas = replicas(rs) - down;
      cleaned += down;
    }
    // scaleDownOldReplicaSetsForRollingUpdate: then only as far as availability allows.
    const available = availableAfterScale([...olds, newRS]);
    let scaled = 0;
    if (available > minAvailable) {
      const total = available - minAvailable;
      for (const rs of olds) {
        if (scaled >= total) break;
        if (replicas(rs) === 0) continue;
        const down = Math.min(replicas(rs), total - scaled);
        await this.scaleAndRecord(rs, replicas(rs) - down);
        scaled += down;
      }
    }
    return cleaned + scaled > 0;
  }

  private async rolloutRecreate(rsList: KubeObject[]): Promise<void> {
    let { newRS, oldRSs } = await this.getAll(rsList, false);
    let all = [...oldRSs, newRS];
    let scaledDown = false;
    for (const rs of oldRSs.filter(active)) if (await this.scaleAndRecord(rs, 0)) scaledDown = true;
    if (scaledDown || this.oldPodsRunning(newRS, oldRSs)) {
      await this.syncRolloutStatus(all, newRS);
      return;
    }
    if (!newRS) {
      ({ newRS, oldRSs } = await this.getAll(rsList, true));
      all = [...oldRSs, newRS];
    }
    if (newRS) await this.scaleAndRecord(newRS, replicas(this.d));
    if (deploymentComplete(this.d, statusOf(this.d))) await this.cleanup(oldRSs);
    await this.syncRolloutStatus(all, newRS);
  }

  /** oldPodsRunning: old sets still report pods, or pods of theirs are not finished. */
  private oldPodsRunning(newRS: KubeObject | undefined, oldRSs: KubeObject[]): boolean {
    if (actualReplicas(oldRSs) > 0) return true;
    const oldUids = new Set(oldRSs.map((rs) => rs.metadata.uid));
    return this.controller.cachedPods(this.namespace).some((pod) => {
      const ref = controllerRef(pod);
      if (!ref || ref.uid === newRS?.metadata.uid || !oldUids.has(ref.uid)) return false;
      const phase = (isPlainObject(pod.status) ? pod.status.phase : undefined) as
        string | undefined;
      return phase !== 'Succeeded' && phase !== 'Failed';
    });
  }

  /** cleanupDeployment: delete the oldest idle ReplicaSets beyond revisionHistoryLimit. */
  private async cleanup(oldRSs: KubeObject[]): Promise<void> {
    const limit = specOf(this.d).revisionHistoryLimit;
    if (typeof limit !== 'number') return;
    const cleanable = oldRSs.filter((rs) => !rs.metadata.deletionTimestamp);
    const diff = cleanable.length - limit;
    if (diff <= 0) return;
    cleanable.sort((a, b) => revisionOf(a) - revisionOf(b) || byCreation(a, b));
    for (const rs of cleanable.slice(0, diff)) {
      const observed = isPlainObject(rs.status) ? rs.status.observedGeneration : undefined;
      if (
        statusNumber(rs, 'replicas') !== 0 ||
        replicas(rs) !== 0 ||
        (rs.metadata.generation ?? 0) > (typeof observed === 'number' ? observed : 0)
      )
        continue;
      try {
        await this.client.delete(REPLICA_SETS, this.namespace, rs.metadata.name ?? '', {
          preconditions: { uid: rs.metadata.uid },
        });
      } catch (err) {
        if (!(err instanceof StatusError && (err.code === 404 || err.code === 409))) throw err;
      }
    }
  }

  /** calculateStatus. */
  private calculateStatus(
    all: (KubeObject | undefined)[],
    newRS: KubeObject | undefined,
  ): DeploymentStatus {
    const d = this.d;
    const available = availableReplicas(all);
    const old = statusOf(d);
    const status: DeploymentStatus = {
      observedGeneration: d.metadata.generation ?? 0,
      replicas: actualReplicas(all),
      updatedReplicas: actualReplicas([newRS]),
      readyReplicas: readyReplicas(all),
      availableReplicas: available,
      unavailableReplicas: Math.max(0, specReplicas(all) - available),
    };
    // Known only when every set reports it (GetTerminatingReplicaCountForReplicaSets).
    const sets = all.filter((rs) => rs !== undefined);
    if (
      sets.every(
        (rs) => isPlainObject(rs.status) && typeof rs.status.terminatingReplicas === 'number',
      )
    )
      status.terminatingReplicas = sum(sets, (rs) => statusNumber(rs, 'terminatingReplicas'));
    if (old.collisionCount !== undefined) status.collisionCount = old.collisionCount;
    status.conditions = (old.conditions ?? []).map((c) => ({ ...c }));
    if (available >= replicas(d) - maxUnavailable(d))
      setCondition(
        status,
        newCondition(
          'Available',
          'True',
          REASONS.minimumAvailable,
          'Deployment has minimum availability.',
        ),
      );
    else
      setCondition(
        status,
        newCondition(
          'Available',
          'False',
          REASONS.minimumUnavailable,
          'Deployment does not have minimum availability.',
        ),
      );
    return status;
  }

  private async syncDeploymentStatus(
    all: (KubeObject | undefined)[],
    newRS: KubeObject | undefined,
  ): Promise<void> {
    const status = this.calculateStatus(all, newRS);
    if (canonicalJson(statusOf(this.d)) === canonicalJson(status)) return;
    await this.writeStatus(status);
  }

  /** syncRolloutStatus: status plus the Progressing condition and the progress deadline. */
  private async syncRolloutStatus(
    all: (KubeObject | undefined)[],
    newRS: KubeObject | undefined,
  ): Promise<void> {
    const d = this.d;
    const status = this.calculateStatus(all, newRS);
    const deadline = progressDeadlineSeconds(d);
    if (deadline === undefined) removeCondition(status, 'Progressing');
    const current = getCondition(status, 'Progressing');
    const complete =
      status.replicas === status.updatedReplicas && current?.reason === REASONS.newRSAvailable;
    if (deadline !== undefined && !complete) {
      if (deploymentComplete(d, status)) {
        setCondition(
          status,
          newCondition(
            'Progressing',
            'True',
            REASONS.newRSAvailable,
            `ReplicaSet "${newRS?.metadata.name}" has successfully progressed.`,
          ),
        );
      } else if (deploymentProgressing(d, status)) {
        const message = newRS
          ? `ReplicaSet "${newRS.metadata.name}" is progressing.`
          : `Deployment "${d.metadata.name}" is progressing.`;
        const condition = newCondition('Progressing', 'True', REASONS.rsUpdated, message);
        // Progress refreshes lastUpdateTime even with the same reason; that resets the deadline.
        if (current) {
          if (current.status === 'True') condition.lastTransitionTime = current.lastTransitionTime;
          removeCondition(status, 'Progressing');
        }
        setCondition(status, condition);
      } else if (deploymentTimedOut(d, status)) {
        const message = newRS
          ? `ReplicaSet "${newRS.metadata.name}" has timed out progressing.`
          : `Deployment "${d.metadata.name}" has timed out progressing.`;
        setCondition(status, newCondition('Progressing', 'False', REASONS.timedOut, message));
      }
    }
    const failure = this.replicaFailure(all, newRS);
    if (failure) setCondition(status, failure);
    else removeCondition(status, 'ReplicaFailure');
    if (canonicalJson(statusOf(d)) === canonicalJson(status)) {
      this.requeueStuck(status);
      return;
    }
    await this.writeStatus(status);
  }

  /** getReplicaFailures: the new set's ReplicaFailure first, else any old set's. */
  private replicaFailure(
    all: (KubeObject | undefined)[],
    newRS: KubeObject | undefined,
  ): DeploymentCondition | undefined {
    const failureOf = (rs: KubeObject | undefined) => {
      const conditions = rs && isPlainObject(rs.status) ? rs.status.conditions : undefined;
      if (!Array.isArray(conditions)) return undefined;
      const c = (conditions as Record<string, string>[]).find((x) => x.type === 'ReplicaFailure');
      if (!c) return undefined;
      return {
        type: 'ReplicaFailure',
        status: c.status as DeploymentCondition['status'],
        lastUpdateTime: c.lastTransitionTime,
        lastTransitionTime: c.lastTransitionTime,
        reason: c.reason,
        message: c.message,
      };
    };
    return failureOf(newRS) ?? all.map(failureOf).find((c) => c !== undefined);
  }

  /** requeueStuckDeployment: look again when the progress deadline would run out. */
  private requeueStuck(status: DeploymentStatus): void {
    const deadline = progressDeadlineSeconds(this.d);
    const c = getCondition(status, 'Progressing');
    if (deadline === undefined || !c || deploymentComplete(this.d, status)) return;
    if (c.reason === REASONS.timedOut) return;
    const after = Date.parse(c.lastUpdateTime) + deadline * 1000 - Date.now();
    this.requeueAfterMs = Math.max(after + 1000, 100);
  }
}

/** The Deployment controller, built from the controller manager's context. */
export function newDeploymentController(context: ControllerContext): DeploymentController {
  return new DeploymentController(context);
}
