// The DaemonSet controller (kube pkg/controller/daemon): one pod per eligible node, pinned there by
// a required node affinity on metadata.name so the scheduler binds it; rolling updates bounded by
// maxUnavailable/maxSurge; ControllerRevisions for `kubectl rollout history|undo`.
import { isPodReady } from '../../api/pod-conditions.ts';
import type { KubeObject } from '../../api/types.ts';
import { isPlainObject } from '../../api/types.ts';
import { StatusError } from '../../api/status.ts';
import { objectKey, splitKey, type Informer } from '../../client/informer.ts';
import type { ResourceRef } from '../../client/local-client.ts';
import { labelSelectorFromJson, nothing } from '../../apiserver/selectors/label-selector.ts';
import { matchesNodeSelectorAndAffinity, tolerationsTolerate } from '../../scheduler/affinity.ts';
import type { Taint, Toleration } from '../../scheduler/node-info.ts';
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
import { scaledValue } from '../deployment/deployment-util.ts';
import { syncRevisions, truncateHistory } from '../history/controller-history.ts';

export const PODS: ResourceRef = { group: '', version: 'v1', resource: 'pods' };
export const NODES: ResourceRef = { group: '', version: 'v1', resource: 'nodes' };
export const DAEMON_SETS: ResourceRef = { group: 'apps', version: 'v1', resource: 'daemonsets' };

/** DefaultDaemonSetUniqueLabelKey: pods and revisions carry the template hash under it. */
export const REVISION_LABEL = 'controller-revision-hash';

const COMPONENT = 'daemonset-controller';

type Obj = Record<string, unknown>;

function specOf(object: KubeObject): Obj {
  return isPlainObject(object.spec) ? object.spec : {};
}

function statusOf(object: KubeObject): Obj {
  return isPlainObject(object.status) ? object.status : {};
}

function templateOf(ds: KubeObject): Obj {
  const t = specOf(ds).template;
  return isPlainObject(t) ? t : {};
}

/** util.AddOrUpdateDaemonPodTolerations: what every daemon pod tolerates. */
export function daemonTolerations(hostNetwork: boolean): Toleration[] {
  const tolerations: Toleration[] = [
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
  ];
  if (hostNetwork) {
    tolerations.push({
      key: 'node.kubernetes.io/network-unavailable',
      operator: 'Exists',
      effect: 'NoSchedule',
    });
  }
  return tolerations;
}

/** The template's pod spec with the daemon tolerations added where not already present. */
function podSpecWithTolerations(template: Obj): Obj {
  const spec = isPlainObject(template.spec) ? structuredClone(template.spec) : {};
  const existing = (Array.isArray(spec.tolerations) ? spec.tolerations : []) as Toleration[];
  const tolerations = [...existing];
  for (const t of daemonTolerations(spec.hostNetwork === true)) {
    const same = tolerations.findIndex(
      (e) => e.key === t.key && e.effect === t.effect && (e.operator ?? 'Equal') === t.operator,
    );
    if (same < 0) tolerations.push(t);
  }
  spec.tolerations = tolerations;
  return spec;
}

/**
 * util.ReplaceDaemonSetPodNodeNameNodeAffinity: the pod's required node affinity pins it to one
 * node by metadata.name, keeping any matchExpressions of the template's terms.
 */
function pinToNode(spec: Obj, nodeName: string): void {
  const field = { key: 'metadata.name', operator: 'In', values: [nodeName] };
  const affinity = isPlainObject(spec.affinity) ? spec.affinity : {};
  const nodeAffinity = isPlainObject(affinity.nodeAffinity) ? affinity.nodeAffinity : {};
  const required = isPlainObject(nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution)
    ? nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution
    : {};
  const terms = (
    Array.isArray(required.nodeSelectorTerms) ? required.nodeSelectorTerms : []
  ).filter(isPlainObject);
  const pinned = terms.length
    ? terms.map((t) => ({ ...t, matchFields: [field] }))
    : [{ matchFields: [field] }];
  spec.affinity = {
    ...affinity,
    nodeAffinity: {
      ...nodeAffinity,
      requiredDuringSchedulingIgnoredDuringExecution: { ...required, nodeSelectorTerms: pinned },
    },
  };
}

/** util.GetTargetNodeName: the bound node, or the node the pin names for a pod not yet bound. */
export function targetNode(pod: KubeObject): string | undefined {
  const spec = specOf(pod);
  if (typeof spec.nodeName === 'string' && spec.nodeName) return spec.nodeName;
  const terms = (
    spec.affinity as
      | {
          nodeAffinity?: {
            requiredDuringSchedulingIgnoredDuringExecution?: {
              nodeSelectorTerms?: { matchFields?: { key?: string; values?: string[] }[] }[];
            };
          };
        }
      | undefined
  )?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  for (const term of terms ?? []) {
    const f = term.matchFields?.find((m) => m.key === 'metadata.name');
    if (f?.values?.length === 1) return f.values[0];
  }
  return undefined;
}

function nodeTaints(node: KubeObject): Taint[] {
  const taints = specOf(node).taints;
  return Array.isArray(taints) ? (taints as Taint[]) : [];
}

/**
 * NodeShouldRunDaemonPod: whether a daemon pod should be placed on the node, and whether one
 * already there may keep running (only an untolerated NoExecute taint evicts it).
 */
export function nodeShouldRunDaemonPod(
  node: KubeObject,
  ds: KubeObject,
): { shouldRun: boolean; shouldContinueRunning: boolean } {
  const template = templateOf(ds);
  const spec = podSpecWithTolerations(template);
  if (typeof spec.nodeName === 'string' && spec.nodeName && spec.nodeName !== node.metadata.name)
    return { shouldRun: false, shouldContinueRunning: false };
  const pod: KubeObject = { apiVersion: 'v1', kind: 'Pod', metadata: {}, spec };
  if (!matchesNodeSelectorAndAffinity(pod, node))
    return { shouldRun: false, shouldContinueRunning: false };
  const tolerations = spec.tolerations as Toleration[];
  let shouldRun = true;
  let shouldContinueRunning = true;
  for (const taint of nodeTaints(node)) {
    if (taint.effect !== 'NoSchedule' && taint.effect !== 'NoExecute') continue;
    if (tolerationsTolerate(tolerations, taint)) continue;
    shouldRun = false;
    if (taint.effect === 'NoExecute') shouldContinueRunning = false;
  }
  return { shouldRun, shouldContinueRunning };
}

function isTerminating(pod: KubeObject): boolean {
  return Boolean(pod.metadata.deletionTimestamp);
}

function byCreation(a: KubeObject, b: KubeObject): number {
  return (
    (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') ||
    (a.metadata.name ?? '').localeCompare(b.metadata.name ?? '')
  );
}

export class DaemonSetController implements Controller {
  readonly name = COMPONENT;
  private readonly queue: WorkQueue;
  private readonly recorder: EventRecorder;
  private readonly sets: Informer;
  private readonly pods: Informer;
  private readonly nodes: Informer;

  constructor(private readonly context: ControllerContext) {
    this.sets = context.informers.for(DAEMON_SETS);
    this.pods = context.informers.for(PODS);
    this.nodes = context.informers.for(NODES);
    this.recorder = new EventRecorder(context.client, COMPONENT, undefined, context.log);
    this.queue = WorkQueue.logged(COMPONENT, context.log, (key) => this.reconcile(key));
  }

  start(): void {
    this.queue.enqueueChanges(this.sets);
    this.pods.addHandlers({
      add: (pod) => this.enqueueFor(pod),
      update: (old, pod) => {
        this.enqueueFor(old);
        this.enqueueFor(pod);
      },
      delete: (pod) => this.enqueueFor(pod),
    });
    // Any node change may change where daemons should run.
    const all = () => {
      for (const ds of this.sets.list()) this.queue.add(objectKey(ds));
    };
    this.nodes.addHandlers({ add: all, update: all, delete: all });
  }

  async stop(): Promise<void> {
    await this.queue.stop();
    await this.recorder.flush();
  }

  flushEvents(): Promise<void> {
    return this.recorder.flush();
  }

  private enqueueFor(pod: KubeObject): void {
    for (const key of ownerKeysForPod(pod, 'DaemonSet', this.sets)) this.queue.add(key);
  }

  private async reconcile(key: string): Promise<ReconcileResult> {
    const { namespace, name } = splitKey(key);
    const cached = this.sets.get(namespace, name);
    if (!cached || cached.metadata.deletionTimestamp) return;
    const ds = structuredClone(cached);
    const client = this.context.client;
    const spec = specOf(ds);
    const selector = labelSelectorFromJson(spec.selector) ?? nothing();
    const pods = await claimObjects(
      client,
      PODS,
      ds,
      selector,
      this.pods.list(namespace),
      DAEMON_SETS,
    );
    const templateLabels = () => {
      const meta = isPlainObject(templateOf(ds).metadata) ? (templateOf(ds).metadata as Obj) : {};
      return isPlainObject(meta.labels) ? { ...(meta.labels as Record<string, string>) } : {};
    };
    const history = await syncRevisions(client, ds, {
      labels: (hash) => ({ ...templateLabels(), [REVISION_LABEL]: hash }),
    });
    const hash = history.update.metadata.labels?.[REVISION_LABEL] ?? '';
    const minReadySeconds = typeof spec.minReadySeconds === 'number' ? spec.minReadySeconds : 0;

    const byNode = new Map<string, KubeObject[]>();
    for (const pod of pods) {
      const node = targetNode(pod);
      if (!node) continue;
      byNode.set(node, [...(byNode.get(node) ?? []), pod]);
    }
    for (const list of byNode.values()) list.sort(byCreation);
    const nodes = this.nodes.list();
    const eligibility = new Map(
      nodes.map((n) => [n.metadata.name ?? '', nodeShouldRunDaemonPod(n, ds)]),
    );

    const toCreate: string[] = [];
    const toDelete: KubeObject[] = [];
    // manage: pods where they should be, none where they should not.
    for (const node of nodes) {
      const nodeName = node.metadata.name ?? '';
      const { shouldRun, shouldContinueRunning } = eligibility.get(nodeName)!;
      const here = (byNode.get(nodeName) ?? []).filter((p) => !isTerminating(p));
      if (shouldRun && here.length === 0 && !(byNode.get(nodeName) ?? []).length) {
        toCreate.push(nodeName);
      } else if (shouldContinueRunning) {
        const failed = here.filter((p) => podPhase(p) === 'Failed');
        toDelete.push(...failed);
        const running = here.filter((p) => podPhase(p) !== 'Failed');
        // Surge may leave an old and a new pod side by side; otherwise keep only the oldest.
        if (running.length > 1 && !this.surging(ds)) toDelete.push(...running.slice(1));
        else if (running.length > 2) toDelete.push(...running.slice(2));
      } else {
        toDelete.push(...here);
      }
    }
    // Unbound pods pinned to nodes that no longer exist.
    for (const [nodeName, list] of byNode) {
      if (eligibility.has(nodeName)) continue;
      toDelete.push(...list.filter((p) => !isTerminating(p) && !specOf(p).nodeName));
    }

    let requeueAfterMs: number | undefined;
    if (toCreate.length === 0 && toDelete.length === 0 && specRollingUpdate(ds)) {
      const step = this.rollingUpdate(ds, byNode, eligibility, hash, minReadySeconds);
      toCreate.push(...step.create);
      toDelete.push(...step.remove);
      requeueAfterMs = step.requeueAfterMs;
    }
    for (const nodeName of toCreate) await this.createPod(ds, nodeName, hash);
    for (const pod of toDelete) await this.deletePod(ds, pod);

    const latest = this.pods
      .list(namespace)
      .filter((p) => controllerRef(p)?.uid === ds.metadata.uid);
    await this.updateStatus(ds, latest, eligibility, hash, minReadySeconds, history.collisionCount);
    const live = new Set([
      history.update.metadata.name ?? '',
      ...history.revisions
        .filter((r) =>
          latest.some(
            (p) => p.metadata.labels?.[REVISION_LABEL] === r.metadata.labels?.[REVISION_LABEL],
          ),
        )
        .map((r) => r.metadata.name ?? ''),
    ]);
    await truncateHistory(client, ds, history.revisions, live);
    if (!requeueAfterMs && minReadySeconds > 0) {
      const waiting = latest.some((p) => isPodReady(p) && !isPodAvailable(p, minReadySeconds));
      if (waiting) requeueAfterMs = minReadySeconds * 1000;
    }
    return requeueAfterMs ? { requeueAfterMs } : undefined;
  }

  private surging(ds: KubeObject): boolean {
    return specRollingUpdate(ds) !== undefined && maxSurgeOf(ds, 1) > 0;
  }

  /**
   * rollingUpdate: replace old pods node by node while at most maxUnavailable daemons are
   * unavailable; with maxSurge a new pod starts beside the old one, which goes once it is available.
   */
  private rollingUpdate(
    ds: KubeObject,
    byNode: Map<string, KubeObject[]>,
    eligibility: Map<string, { shouldRun: boolean }>,
    hash: string,
    minReadySeconds: number,
  ): { create: string[]; remove: KubeObject[]; requeueAfterMs?: number } {
    const desired = [...eligibility.values()].filter((e) => e.shouldRun).length;
    const maxSurge = maxSurgeOf(ds, desired);
    const maxUnavailable = maxUnavailableOf(ds, desired, maxSurge);
    const create: string[] = [];
    const remove: KubeObject[] = [];
    const available = (p: KubeObject) => isPodAvailable(p, minReadySeconds);
    let unavailable = 0;
    let surged = 0;
    const candidates: { node: string; old: KubeObject }[] = [];
    for (const [nodeName, e] of eligibility) {
      if (!e.shouldRun) continue;
      const pods = (byNode.get(nodeName) ?? []).filter((p) => !isTerminating(p));
      const fresh = pods.find((p) => p.metadata.labels?.[REVISION_LABEL] === hash);
      const old = pods.find((p) => p.metadata.labels?.[REVISION_LABEL] !== hash);
      if (!fresh && !old) {
        unavailable++;
        continue;
      }
      if (fresh && old) {
        // A surge in progress: the old pod goes once the new one is available.
        surged++;
        if (available(fresh)) remove.push(old);
        continue;
      }
      if (fresh) {
        if (!available(fresh)) unavailable++;
        continue;
      }
      if (old && !available(old)) {
        // Already unavailable: replacing it costs nothing.
        if (maxSurge > 0) create.push(nodeName);
        else remove.push(old);
        continue;
      }
      if (old) candidates.push({ node: nodeName, old });
    }
    for (const c of candidates) {
      if (maxSurge > 0) {
        if (surged >= maxSurge) break;
        surged++;
        create.push(c.node);
      } else {
        if (unavailable >= maxUnavailable) break;
        unavailable++;
        remove.push(c.old);
      }
    }
    const requeueAfterMs = minReadySeconds > 0 ? minReadySeconds * 1000 : undefined;
    return { create, remove, requeueAfterMs };
  }

  /** NewPod + the node pin: the daemon pod for one node. */
  newPod(ds: KubeObject, nodeName: string, hash: string): KubeObject {
    const template = templateOf(ds);
    const meta = isPlainObject(template.metadata) ? template.metadata : {};
    const spec = podSpecWithTolerations(template);
    pinToNode(spec, nodeName);
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        generateName: `${ds.metadata.name}-`,
        namespace: ds.metadata.namespace,
        labels: {
          ...(isPlainObject(meta.labels) ? (meta.labels as Record<string, string>) : {}),
          [REVISION_LABEL]: hash,
          'pod-template-generation': String(ds.metadata.generation ?? 1),
        },
        ...(isPlainObject(meta.annotations)
          ? { annotations: { ...(meta.annotations as Record<string, string>) } }
          : {}),
        ownerReferences: [newControllerRef(ds)],
      },
      spec,
    };
  }

  private async createPod(ds: KubeObject, nodeName: string, hash: string): Promise<void> {
    try {
      const pod = await this.context.client.create(
        PODS,
        ds.metadata.namespace ?? '',
        this.newPod(ds, nodeName, hash),
      );
      this.recorder.event(ds, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata.name}`);
    } catch (err) {
      this.recorder.event(
        ds,
        'Warning',
        'FailedCreate',
        `Error creating: ${(err as Error).message}`,
      );
      throw err;
    }
  }

  private async deletePod(ds: KubeObject, pod: KubeObject): Promise<void> {
    const podName = pod.metadata.name ?? '';
    try {
      await this.context.client.delete(PODS, pod.metadata.namespace ?? '', podName, {
        preconditions: { uid: pod.metadata.uid },
      });
    } catch (err) {
      if (err instanceof StatusError && (err.code === 404 || err.code === 409)) return;
      this.recorder.event(
        ds,
        'Warning',
        'FailedDelete',
        `Error deleting: ${(err as Error).message}`,
      );
      throw err;
    }
    this.recorder.event(ds, 'Normal', 'SuccessfulDelete', `Deleted pod: ${podName}`);
  }

  /** updateDaemonSetStatus. */
  private async updateStatus(
    ds: KubeObject,
    pods: KubeObject[],
    eligibility: Map<string, { shouldRun: boolean }>,
    hash: string,
    minReadySeconds: number,
    collisionCount: number,
  ): Promise<void> {
    const byNode = new Map<string, KubeObject[]>();
    for (const pod of pods) {
      if (isTerminating(pod)) continue;
      const node = targetNode(pod);
      if (node) byNode.set(node, [...(byNode.get(node) ?? []), pod]);
    }
    let desired = 0;
    let current = 0;
    let misscheduled = 0;
    let ready = 0;
    let available = 0;
    let updated = 0;
    for (const [nodeName, e] of eligibility) {
      const here = (byNode.get(nodeName) ?? []).sort(byCreation);
      if (e.shouldRun) {
        desired++;
        if (here.length === 0) continue;
        current++;
        // The pod that counts is the newest updated one if any, else the oldest.
        const pod = here.find((p) => p.metadata.labels?.[REVISION_LABEL] === hash) ?? here[0];
        if (isPodReady(pod)) {
          ready++;
          if (isPodAvailable(pod, minReadySeconds)) available++;
        }
        if (pod.metadata.labels?.[REVISION_LABEL] === hash) updated++;
      } else if (here.length > 0) {
        misscheduled++;
      }
    }
    const status: Obj = {
      ...statusOf(ds),
      currentNumberScheduled: current,
      numberMisscheduled: misscheduled,
      desiredNumberScheduled: desired,
      numberReady: ready,
      observedGeneration: ds.metadata.generation,
      updatedNumberScheduled: updated,
      numberAvailable: available,
      collisionCount,
    };
    if (desired - available > 0) status.numberUnavailable = desired - available;
    else delete status.numberUnavailable;
    if (JSON.stringify(status) === JSON.stringify(statusOf(ds))) return;
    try {
      await this.context.client.updateStatus(DAEMON_SETS, ds.metadata.namespace ?? '', {
        ...ds,
        status,
      });
    } catch (err) {
      if (!(err instanceof StatusError && (err.code === 404 || err.code === 409))) throw err;
    }
  }
}

function specRollingUpdate(ds: KubeObject): Obj | undefined {
  const strategy = isPlainObject(specOf(ds).updateStrategy)
    ? (specOf(ds).updateStrategy as Obj)
    : {};
  if (strategy.type === 'OnDelete') return undefined;
  return isPlainObject(strategy.rollingUpdate) ? strategy.rollingUpdate : {};
}

/** util.UnavailableCount/SurgeCount: percentages of the desired count, surge rounded up. */
function maxSurgeOf(ds: KubeObject, desired: number): number {
  const ru = specRollingUpdate(ds);
  return ru ? scaledValue(ru.maxSurge ?? 0, desired, true) : 0;
}

function maxUnavailableOf(ds: KubeObject, desired: number, maxSurge: number): number {
  const ru = specRollingUpdate(ds);
  const value = ru ? scaledValue(ru.maxUnavailable ?? 1, desired, true) : 1;
  // Validation forbids both zero; guard so a rollout never stalls on 0/0.
  return value === 0 && maxSurge === 0 ? 1 : value;
}

export function newDaemonSetController(context: ControllerContext): DaemonSetController {
  return new DaemonSetController(context);
}
