// The disruption controller (kube pkg/controller/disruption): keeps each PodDisruptionBudget's
// status — expected, healthy and desired-healthy pods, disruptions allowed, the DisruptionAllowed
// condition — current, and forgets evictions (disruptedPods) once seen or timed out.
import { isPodReady } from '../../api/pod-conditions.ts';
import type { KubeObject } from '../../api/types.ts';
import { isPlainObject } from '../../api/types.ts';
import { objectKey, splitKey, type Informer } from '../../client/informer.ts';
import type { ResourceRef } from '../../client/local-client.ts';
import type { Controller, ControllerContext } from '../controller-manager.ts';
import { EventRecorder } from '../runtime/events.ts';
import { WorkQueue, type ReconcileResult } from '../runtime/work-queue.ts';
import { canonicalJson, controllerRef } from '../replicaset/controller-utils.ts';
import { budgetSelects, setAllowedCondition } from '../../apiserver/subresources/eviction.ts';

export const POD_DISRUPTION_BUDGETS: ResourceRef = {
  group: 'policy',
  version: 'v1',
  resource: 'poddisruptionbudgets',
};
const PODS: ResourceRef = { group: '', version: 'v1', resource: 'pods' };

/** DeletionTimeout: an eviction not followed by the pod's deletion within this is forgotten. */
export const DELETION_TIMEOUT_MS = 2 * 60_000;

const SCALED: Record<string, ResourceRef> = {
  'v1/ReplicationController': { group: '', version: 'v1', resource: 'replicationcontrollers' },
  'apps/v1/ReplicaSet': { group: 'apps', version: 'v1', resource: 'replicasets' },
  'apps/v1/Deployment': { group: 'apps', version: 'v1', resource: 'deployments' },
  'apps/v1/StatefulSet': { group: 'apps', version: 'v1', resource: 'statefulsets' },
};

function replicasOf(object: KubeObject): number {
  const r = isPlainObject(object.spec) ? object.spec.replicas : undefined;
  return typeof r === 'number' ? r : 1;
}

/** intstr.GetScaledValueFromIntOrPercent with rounding up. */
export function scaledValue(value: unknown, total: number): number {
  if (typeof value === 'number') return value;
  const match = typeof value === 'string' ? /^(\d+)%$/.exec(value) : null;
  if (!match) throw new Error(`invalid value for IntOrString: invalid value "${String(value)}"`);
  return Math.ceil((Number(match[1]) * total) / 100);
}

export interface BudgetCounts {
  expectedPods: number;
  desiredHealthy: number;
}

/** getExpectedPodCount: an integer minAvailable counts pods; anything else needs the owners' scale. */
export function expectedCounts(
  pdb: KubeObject,
  pods: readonly KubeObject[],
  scaleOf: (pod: KubeObject) => { key: string; replicas: number } | undefined,
): BudgetCounts {
  const spec = isPlainObject(pdb.spec) ? pdb.spec : {};
  const ownersScale = (): number => {
    const owners = new Map<string, number>();
    for (const pod of pods) {
      // A pod without a scalable controller counts as itself (kube logs it as unmanaged).
      const scale = scaleOf(pod) ?? { key: `pod/${pod.metadata.name}`, replicas: 1 };
      owners.set(scale.key, scale.replicas);
    }
    let sum = 0;
    for (const n of owners.values()) sum += n;
    return sum;
  };
  if (spec.maxUnavailable !== undefined && spec.maxUnavailable !== null) {
    const expected = ownersScale();
    const desired = expected - scaledValue(spec.maxUnavailable, expected);
    return { expectedPods: expected, desiredHealthy: Math.max(0, desired) };
  }
  if (typeof spec.minAvailable === 'number')
    return { expectedPods: pods.length, desiredHealthy: spec.minAvailable };
  if (typeof spec.minAvailable === 'string') {
    const expected = ownersScale();
    return { expectedPods: expected, desiredHealthy: scaledValue(spec.minAvailable, expected) };
  }
  return { expectedPods: pods.length, desiredHealthy: 0 };
}

export class DisruptionController implements Controller {
  readonly name = 'disruption-controller';
  private readonly queue: WorkQueue;
  private readonly recorder: EventRecorder;
  private readonly budgets: Informer;
  private readonly pods: Informer;

  constructor(private readonly context: ControllerContext) {
    this.budgets = context.informers.for(POD_DISRUPTION_BUDGETS);
    this.pods = context.informers.for(PODS);
    this.recorder = new EventRecorder(context.client, 'controllermanager', undefined, context.log);
    this.queue = WorkQueue.logged(this.name, context.log, (key) => this.reconcile(key));
  }

  start(): void {
    this.budgets.addHandlers({
      add: (b) => this.queue.add(objectKey(b)),
      update: (_o, b) => this.queue.add(objectKey(b)),
    });
    const podChanged = (pod: KubeObject, old?: KubeObject) => {
      for (const pdb of this.budgets.list(pod.metadata.namespace ?? ''))
        if (budgetSelects(pdb, pod) || (old && budgetSelects(pdb, old)))
          this.queue.add(objectKey(pdb));
    };
    this.pods.addHandlers({
      add: (p) => podChanged(p),
      update: (o, p) => podChanged(p, o),
      delete: (p) => podChanged(p),
    });
  }

  async stop(): Promise<void> {
    await this.queue.stop();
    await this.recorder.flush();
  }

  /** The controller owning the pod and its replicas (a Deployment's for its ReplicaSets). */
  private scaleOf(pod: KubeObject): { key: string; replicas: number } | undefined {
    const ref = controllerRef(pod);
    if (!ref) return undefined;
    const namespace = pod.metadata.namespace ?? '';
    const resource = SCALED[`${ref.apiVersion}/${ref.kind}`];
    if (!resource) return undefined;
    const owner = this.context.client.tryGet(resource, namespace, ref.name);
    if (!owner || owner.metadata.uid !== ref.uid) return undefined;
    if (ref.kind === 'ReplicaSet') {
      const deploymentRef = controllerRef(owner);
      if (deploymentRef?.kind === 'Deployment' && deploymentRef.apiVersion === 'apps/v1') {
        const deployment = this.context.client.tryGet(
          SCALED['apps/v1/Deployment'],
          namespace,
          deploymentRef.name,
        );
        if (deployment && deployment.metadata.uid === deploymentRef.uid)
          return { key: `Deployment/${deployment.metadata.uid}`, replicas: replicasOf(deployment) };
      }
    }
    return { key: `${ref.kind}/${ref.uid}`, replicas: replicasOf(owner) };
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const { namespace, name } = splitKey(key);
    const pdb = this.budgets.get(namespace, name);
    if (!pdb || pdb.metadata.deletionTimestamp) return;
    const pods = this.pods.list(namespace).filter((pod) => budgetSelects(pdb, pod));
    if (pods.length === 0) this.recorder.event(pdb, 'Normal', 'NoPods', 'No matching pods found');
    const { expectedPods, desiredHealthy } = expectedCounts(pdb, pods, (pod) => this.scaleOf(pod));

    // buildDisruptedPodMap: keep evictions whose pod still runs and has not timed out.
    const now = Date.now();
    const status = isPlainObject(pdb.status) ? pdb.status : {};
    const recorded = isPlainObject(status.disruptedPods) ? status.disruptedPods : {};
    const disrupted: Record<string, string> = {};
    let recheckAt: number | undefined;
    for (const pod of pods) {
      const at = recorded[pod.metadata.name ?? ''];
      if (typeof at !== 'string' || pod.metadata.deletionTimestamp) continue;
      const expires = Date.parse(at) + DELETION_TIMEOUT_MS;
      if (expires <= now) continue;
      disrupted[pod.metadata.name ?? ''] = at;
      recheckAt = Math.min(recheckAt ?? expires, expires);
    }
    const currentHealthy = pods.filter(
      (pod) =>
        !pod.metadata.deletionTimestamp && !(pod.metadata.name! in disrupted) && isPodReady(pod),
    ).length;
    let disruptionsAllowed = currentHealthy - desiredHealthy;
    if (expectedPods <= 0 || disruptionsAllowed <= 0) disruptionsAllowed = 0;
    const observedGeneration = pdb.metadata.generation ?? 0;
    const next: Record<string, unknown> = {
      ...status,
      observedGeneration,
      disruptionsAllowed,
      currentHealthy,
      desiredHealthy,
      expectedPods,
      conditions: setAllowedCondition(
        Array.isArray(status.conditions)
          ? status.conditions.filter((c): c is Record<string, unknown> => isPlainObject(c))
          : [],
        disruptionsAllowed > 0,
        observedGeneration,
      ),
    };
    if (Object.keys(disrupted).length) next.disruptedPods = disrupted;
    else delete next.disruptedPods;
    if (canonicalJson(next) !== canonicalJson(status)) {
      const updated = structuredClone(pdb);
      updated.status = next;
      await this.context.client.updateStatus(POD_DISRUPTION_BUDGETS, namespace, updated);
    }
    return recheckAt === undefined ? undefined : { requeueAfterMs: recheckAt - now + 10 };
  }
}

export function newDisruptionController(context: ControllerContext): Controller {
  return new DisruptionController(context);
}
