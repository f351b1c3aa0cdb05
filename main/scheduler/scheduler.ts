// kube-scheduler for pods with schedulerName default-scheduler: a queue of unbound pods, one
// scheduling cycle at a time (filter every node, score the feasible ones, bind the best), the
// PodScheduled=False/Unschedulable condition and FailedScheduling event when nothing fits, and a
// retry whenever nodes or bound pods change (and every 5 minutes, podMaxInUnschedulablePodsDuration).
import { StatusError } from '../api/status.ts';
import type { KubeObject } from '../api/types.ts';
import { isPlainObject, type JsonValue } from '../api/types.ts';
import { jsonEqual } from '../apiserver/patch/json-value.ts';
import {
  labelSelectorFromJson,
  type LabelSelector,
} from '../apiserver/selectors/label-selector.ts';
import type { Informer } from '../client/informer.ts';
import { objectKey } from '../client/informer.ts';
import type { LocalClient, ResourceRef } from '../client/local-client.ts';
import type { Controller, ControllerContext } from '../controllers/controller-manager.ts';
import { EventRecorder } from '../controllers/runtime/events.ts';
import { WorkQueue, type ReconcileResult } from '../controllers/runtime/work-queue.ts';
import type { BindFunction } from './binder.ts';
import { NO_NODES_AVAILABLE, fitErrorMessage } from './fit-error.ts';
import { preemptionStatuses } from './preemption.ts';
import { preparePod, runFilters, type FilterStatus } from './filters.ts';
import { SchedulerCache } from './cache.ts';
import { isActiveAssignedPod, podSpec, type NodeInfo } from './node-info.ts';
import { scoreNodes, selectHost } from './scores.ts';

export const SCHEDULER_NAME = 'default-scheduler';
/** podMaxInUnschedulablePodsDuration: an unschedulable pod is retried at least this often. */
export const UNSCHEDULABLE_RETRY_MS = 5 * 60_000;

const ref = (group: string, resource: string, version = 'v1'): ResourceRef => ({
  group,
  version,
  resource,
});
const PODS = ref('', 'pods');
const NODES = ref('', 'nodes');
const NAMESPACES = ref('', 'namespaces');
const SERVICES = ref('', 'services');
const REPLICATION_CONTROLLERS = ref('', 'replicationcontrollers');
const REPLICA_SETS = ref('apps', 'replicasets');
const STATEFUL_SETS = ref('apps', 'statefulsets');

export interface SchedulerOptions extends ControllerContext {
  /** Writes the binding (spec.nodeName + PodScheduled=True); see registryBinder. */
  bind: BindFunction;
  /** Tie-breaking among equally scored nodes; Math.random unless a test pins it. */
  random?: () => number;
  retryIntervalMs?: number;
}

interface PodCondition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

/** True for a pod this scheduler must place. */
export function needsScheduling(pod: KubeObject): boolean {
  const spec = podSpec(pod);
  const phase = (pod.status as { phase?: string } | undefined)?.phase;
  return (
    !spec.nodeName &&
    (spec.schedulerName ?? SCHEDULER_NAME) === SCHEDULER_NAME &&
    !pod.metadata.deletionTimestamp &&
    !(spec.schedulingGates ?? []).length &&
    phase !== 'Succeeded' &&
    phase !== 'Failed'
  );
}

/** Equal decoded JSON, a missing value counting as {} (a structural walk: no strings built). */
function sameJson(a: unknown, b: unknown): boolean {
  return jsonEqual((a ?? {}) as JsonValue, (b ?? {}) as JsonValue);
}

/** Node changes that can make a pod fit (kube's node update events the queue reacts to). */
function nodeChangedForScheduling(a: KubeObject, b: KubeObject): boolean {
  const ready = (n: KubeObject) =>
    ((n.status as { conditions?: PodCondition[] } | undefined)?.conditions ?? []).find(
      (c) => c.type === 'Ready',
    )?.status;
  return (
    !sameJson(a.metadata.labels, b.metadata.labels) ||
    !sameJson(a.spec, b.spec) ||
    !sameJson(
      (a.status as { allocatable?: unknown } | undefined)?.allocatable,
      (b.status as { allocatable?: unknown } | undefined)?.allocatable,
    ) ||
    ready(a) !== ready(b)
  );
}

interface OwnerSelector {
  raw: { matchLabels?: unknown; matchExpressions?: unknown };
  selector: LabelSelector;
}

// Cached objects are replaced, never changed, on update: their parsed selectors can be kept.
const ownerSelectors = new WeakMap<KubeObject, OwnerSelector | null>();

/** The selector of a Service, ReplicationController, ReplicaSet or StatefulSet; null for none. */
function ownerSelector(owner: KubeObject, kind: string): OwnerSelector | null {
  let parsed = ownerSelectors.get(owner);
  if (parsed !== undefined) return parsed;
  const spec = (owner.spec ?? {}) as { selector?: unknown };
  const raw =
    kind === 'Service' || kind === 'ReplicationController'
      ? isPlainObject(spec.selector) && Object.keys(spec.selector).length
        ? { matchLabels: spec.selector }
        : undefined
      : spec.selector;
  const selector = isPlainObject(raw) ? labelSelectorFromJson(raw) : undefined;
  parsed = isPlainObject(raw) && selector && !selector.empty() ? { raw, selector } : null;
  ownerSelectors.set(owner, parsed);
  return parsed;
}

export class Scheduler implements Controller {
  readonly name = 'scheduler';
  private readonly queue: WorkQueue;
  private readonly pods: Informer;
  private readonly nodes: Informer;
  private readonly namespaces: Informer;
  private readonly spreadOwners: { informer: Informer; kind: string }[];
  private readonly recorder: EventRecorder;
  /** Each node's pods, from the informer and the pods this scheduler assumed (kube's cache). */
  private readonly cache = new SchedulerCache();
  /** Keys of pods that fit nowhere in their last attempt. */
  private readonly unschedulable = new Set<string>();
  private readonly bindings = new Set<Promise<void>>();
  private readonly bind: BindFunction;
  private readonly random: () => number;
  private readonly retryMs: number;
  private readonly log: (line: string) => void;
  private readonly client: LocalClient;

  constructor(options: SchedulerOptions) {
    const { informers } = options;
    this.pods = informers.for(PODS);
    this.nodes = informers.for(NODES);
    this.namespaces = informers.for(NAMESPACES);
    this.spreadOwners = [
      { informer: informers.for(SERVICES), kind: 'Service' },
      { informer: informers.for(REPLICATION_CONTROLLERS), kind: 'ReplicationController' },
      { informer: informers.for(REPLICA_SETS), kind: 'ReplicaSet' },
      { informer: informers.for(STATEFUL_SETS), kind: 'StatefulSet' },
    ];
    this.recorder = new EventRecorder(options.client, SCHEDULER_NAME, undefined, options.log);
    this.client = options.client;
    this.bind = options.bind;
    this.random = options.random ?? Math.random;
    this.retryMs = options.retryIntervalMs ?? UNSCHEDULABLE_RETRY_MS;
    this.log = options.log;
    this.queue = WorkQueue.logged('scheduler', this.log, (key) => this.scheduleOne(key));
  }

  start(): void {
    this.pods.addHandlers({
      add: (pod) => {
        const key = objectKey(pod);
        this.cache.setPod(key, pod);
        if (needsScheduling(pod)) this.queue.add(key);
      },
      update: (old, pod) => {
        const key = objectKey(pod);
        this.cache.setPod(key, pod);
        if (needsScheduling(pod)) {
          // A status write (ours included) is no reason to try again; a spec or label change is.
          if (
            !this.unschedulable.has(key) ||
            !sameJson(old.spec, pod.spec) ||
            !sameJson(old.metadata.labels, pod.metadata.labels)
          )
            this.queue.add(key);
          return;
        }
        this.unschedulable.delete(key);
        // Nothing waits for room: no need to work out whether this change makes any.
        if (this.unschedulable.size === 0) return;
        // A pod bound or finished changes what nodes hold; a bound pod's new labels or requests
        // may change affinity and spreading. Its status updates change nothing for scheduling.
        const wasActive = isActiveAssignedPod(old);
        const isActive = isActiveAssignedPod(pod);
        if (
          wasActive !== isActive ||
          (isActive &&
            (!sameJson(old.metadata.labels, pod.metadata.labels) || !sameJson(old.spec, pod.spec)))
        )
          this.retryUnschedulable();
      },
      delete: (pod) => {
        const key = objectKey(pod);
        this.cache.deletePod(key);
        this.unschedulable.delete(key);
        if (isActiveAssignedPod(pod)) this.retryUnschedulable();
      },
    });
    this.nodes.addHandlers({
      add: () => this.retryUnschedulable(),
      update: (old, node) => {
        if (this.unschedulable.size > 0 && nodeChangedForScheduling(old, node))
          this.retryUnschedulable();
      },
      delete: () => this.retryUnschedulable(),
    });
  }

  async stop(): Promise<void> {
    await this.queue.stop();
    await Promise.all(this.bindings);
    await this.recorder.flush();
  }

  private retryUnschedulable(): void {
    for (const key of this.unschedulable) this.queue.add(key);
  }

  /** The nodes with the pods bound (or being bound) to each. */
  private snapshot(): NodeInfo[] {
    return this.cache.snapshot(this.nodes.list());
  }

  private namespaceLabels = (namespace: string) =>
    this.namespaces.get('', namespace)?.metadata.labels;

  /**
   * helper.DefaultSelector: the Services, ReplicationControllers, ReplicaSets and StatefulSets
   * selecting the pod, merged; undefined when there are none (no default spreading).
   */
  private defaultSpreadSelector(pod: KubeObject): LabelSelector | undefined {
    const namespace = pod.metadata.namespace ?? '';
    const labels = pod.metadata.labels ?? {};
    const matchLabels: Record<string, string> = {};
    const matchExpressions: unknown[] = [];
    let found = false;
    for (const { informer, kind } of this.spreadOwners) {
      for (const owner of informer.list(namespace)) {
        const parsed = ownerSelector(owner, kind);
        if (!parsed || !parsed.selector.matches(labels)) continue;
        const { raw } = parsed;
        found = true;
        Object.assign(matchLabels, raw.matchLabels ?? {});
        if (Array.isArray(raw.matchExpressions))
          matchExpressions.push(...(raw.matchExpressions as unknown[]));
      }
    }
    return found ? labelSelectorFromJson({ matchLabels, matchExpressions }) : undefined;
  }

  /** One scheduling cycle for the pod under key. */
  async scheduleOne(key: string): Promise<ReconcileResult> {
    const pod = this.pods.getByKey(key);
    if (!pod || !needsScheduling(pod)) {
      this.unschedulable.delete(key);
      return;
    }
    if (this.cache.isAssumed(key)) return;
    const infos = this.snapshot();
    if (infos.length === 0) return this.unschedulableResult(pod, NO_NODES_AVAILABLE);
    const ctx = preparePod(pod, infos, this.namespaceLabels);
    const statuses = new Map<string, FilterStatus>();
    const feasible: NodeInfo[] = [];
    for (const info of infos) {
      const status = runFilters(ctx, info);
      if (status) statuses.set(info.name, status);
      else feasible.push(info);
    }
    if (feasible.length === 0) {
      const message = fitErrorMessage(
        infos.length,
        statuses.values(),
        preemptionStatuses(pod, infos, statuses, this.namespaceLabels),
      );
      return this.unschedulableResult(pod, message);
    }
    const scores = scoreNodes(ctx, infos, feasible, this.defaultSpreadSelector(pod));
    const nodeName = selectHost(scores, this.random)!;
    this.bindPod(pod, nodeName);
  }

  private async unschedulableResult(pod: KubeObject, message: string): Promise<ReconcileResult> {
    const key = objectKey(pod);
    this.unschedulable.add(key);
    await this.setUnschedulableCondition(pod, message);
    this.recorder.event(pod, 'Warning', 'FailedScheduling', message);
    return { requeueAfterMs: this.retryMs };
  }

  private async setUnschedulableCondition(pod: KubeObject, message: string): Promise<void> {
    const conditions =
      (pod.status as { conditions?: PodCondition[] } | undefined)?.conditions ?? [];
    const current = conditions.find((c) => c.type === 'PodScheduled');
    if (
      current?.status === 'False' &&
      current.reason === 'Unschedulable' &&
      current.message === message
    )
      return;
    const condition = {
      type: 'PodScheduled',
      status: 'False',
      reason: 'Unschedulable',
      message,
      lastProbeTime: null,
      lastTransitionTime:
        current?.status === 'False' && current.lastTransitionTime
          ? current.lastTransitionTime
          : new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    };
    try {
      await this.client.patch(
        PODS,
        pod.metadata.namespace ?? '',
        pod.metadata.name ?? '',
        'application/strategic-merge-patch+json',
        { status: { conditions: [condition] } },
        { subresource: 'status' },
      );
    } catch (err) {
      // The pod went away meanwhile: nothing to report.
      if (!(err instanceof StatusError && (err.code === 404 || err.code === 409))) throw err;
    }
  }

  /**
   * Assumes the pod on the node at once, so the next cycle counts it, and binds in the
   * background like kube-scheduler's binding cycle (durable writes then share a group commit).
   */
  private bindPod(pod: KubeObject, nodeName: string): void {
    const key = objectKey(pod);
    // Cached objects are never changed, so the copy may share everything but the spec's top level.
    const assumed: KubeObject = { ...pod, spec: { ...podSpec(pod), nodeName } };
    this.cache.assume(key, assumed);
    this.unschedulable.delete(key);
    const binding = this.bindAndReport(pod, key, nodeName).finally(() =>
      this.bindings.delete(binding),
    );
    this.bindings.add(binding);
  }

  private async bindAndReport(pod: KubeObject, key: string, nodeName: string): Promise<void> {
    try {
      await this.bind(pod, nodeName);
    } catch (err) {
      if (this.cache.assumed(key)?.metadata.uid === pod.metadata.uid) this.cache.forget(key);
      // Bound elsewhere, being deleted or replaced: the informer will tell us what to do next.
      if (err instanceof StatusError && (err.code === 409 || err.code === 404)) return;
      this.log(`scheduler: binding ${key} to ${nodeName}: ${(err as Error).message}`);
      this.queue.addAfter(key, 1000);
      return;
    }
    this.recorder.event(
      pod,
      'Normal',
      'Scheduled',
      `Successfully assigned ${pod.metadata.namespace}/${pod.metadata.name} to ${nodeName}`,
    );
  }
}
