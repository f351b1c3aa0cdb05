// The node lifecycle controller of kube-controller-manager (pkg/controller/nodelifecycle) with its
// taint eviction controller (pkg/controller/tainteviction): a node whose kubelet stops renewing
// its Lease and posting status turns Ready=Unknown, nodes get the condition taints
// (not-ready/unreachable NoSchedule and NoExecute, pressure, unschedulable for cordon), and pods
// on a NoExecute-tainted node are deleted once their tolerations run out.
import { StatusError } from '../../api/status.ts';
import type { KubeObject } from '../../api/types.ts';
import { objectKey, type Informer } from '../../client/informer.ts';
import type { Controller, ControllerContext, ControllerFactory } from '../controller-manager.ts';
import { EventRecorder } from '../runtime/events.ts';
import { WorkQueue, type ReconcileResult } from '../runtime/work-queue.ts';
import { PodGcController, type PodGcOptions } from './pod-gc-controller.ts';

const NODES = { group: '', version: 'v1', resource: 'nodes' };
const PODS = { group: '', version: 'v1', resource: 'pods' };
const LEASES = { group: 'coordination.k8s.io', version: 'v1', resource: 'leases' };
const LEASE_NAMESPACE = 'kube-node-lease';

export const TAINT_NOT_READY = 'node.kubernetes.io/not-ready';
export const TAINT_UNREACHABLE = 'node.kubernetes.io/unreachable';
export const TAINT_UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';
const EXCLUDE_DISRUPTION_LABEL = 'node.kubernetes.io/exclude-disruption';

/** Which condition status gives which NoSchedule taint (nodeConditionToTaintKeyStatusMap). */
const CONDITION_TAINTS: Record<string, Record<string, string>> = {
  Ready: { False: TAINT_NOT_READY, Unknown: TAINT_UNREACHABLE },
  MemoryPressure: { True: 'node.kubernetes.io/memory-pressure' },
  DiskPressure: { True: 'node.kubernetes.io/disk-pressure' },
  NetworkUnavailable: { True: 'node.kubernetes.io/network-unavailable' },
  PIDPressure: { True: 'node.kubernetes.io/pid-pressure' },
};
const CONDITION_TAINT_KEYS = new Set(
  Object.values(CONDITION_TAINTS).flatMap((byStatus) => Object.values(byStatus)),
);
/** Conditions turned Unknown when the kubelet goes silent (NetworkUnavailable is not the kubelet's). */
const KUBELET_CONDITIONS = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'];

export interface NodeLifecycleOptions {
  /** How long a node may stay silent before it turns Unknown (--node-monitor-grace-period: 50 s since kube 1.32). */
  nodeMonitorGracePeriodMs?: number;
  /** The same for a node that never posted Ready (--node-startup-grace-period, 60 s). */
  nodeStartupGracePeriodMs?: number;
  /** How often every node is checked (--node-monitor-period, 5 s). */
  nodeMonitorPeriodMs?: number;
}

interface Taint {
  key: string;
  value?: string;
  effect: string;
  timeAdded?: string;
}

interface Toleration {
  key?: string;
  operator?: string;
  value?: string;
  effect?: string;
  tolerationSeconds?: number;
}

interface Condition {
  type: string;
  status: string;
  [field: string]: unknown;
}

interface NodeHealth {
  /** Local time the kubelet was last heard from (status heartbeat or lease renewal). */
  probeTimestamp: number;
  readyHeartbeat?: unknown;
  leaseRenewTime?: number;
  /** The Ready status seen on the previous pass, to notice transitions. */
  lastReady?: string;
}

function now(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}

/** MicroTime (`…:05.123456Z`) in milliseconds; Date.parse wants at most three fraction digits. */
function microTimeMs(value: string): number {
  return Date.parse(value.replace(/(\.\d{3})\d+/, '$1'));
}

function conditionsOf(object: KubeObject): Condition[] {
  const conditions = (object.status as { conditions?: unknown } | undefined)?.conditions;
  return Array.isArray(conditions) ? (conditions as Condition[]) : [];
}

function taintsOf(node: KubeObject): Taint[] {
  const taints = (node.spec as { taints?: unknown } | undefined)?.taints;
  return Array.isArray(taints) ? (taints as Taint[]) : [];
}

function noExecuteTaints(node: KubeObject): Taint[] {
  return taintsOf(node).filter((t) => t.effect === 'NoExecute');
}

function nodeNameOf(pod: KubeObject): string {
  const name = (pod.spec as { nodeName?: unknown } | undefined)?.nodeName;
  return typeof name === 'string' ? name : '';
}

function tolerationsOf(pod: KubeObject): Toleration[] {
  const tolerations = (pod.spec as { tolerations?: unknown } | undefined)?.tolerations;
  return Array.isArray(tolerations) ? (tolerations as Toleration[]) : [];
}

/** v1.Toleration.ToleratesTaint. */
export function toleratesTaint(toleration: Toleration, taint: Taint): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false;
  if (toleration.key && toleration.key !== taint.key) return false;
  switch (toleration.operator ?? 'Equal') {
    case 'Exists':
      return true;
    case 'Equal':
    case '':
      return (toleration.value ?? '') === (taint.value ?? '');
    default:
      return false;
  }
}

/**
 * How long a pod may stay on a node with these NoExecute taints: 0 = evict now, Infinity = never
 * (the first toleration matching each taint counts, and the shortest tolerationSeconds wins).
 */
export function tolerationTimeMs(taints: Taint[], tolerations: Toleration[]): number {
  let min = Infinity;
  for (const taint of taints) {
    const used = tolerations.find((t) => toleratesTaint(t, taint));
    if (!used) return 0;
    if (typeof used.tolerationSeconds === 'number') {
      if (used.tolerationSeconds <= 0) return 0;
      min = Math.min(min, used.tolerationSeconds * 1000);
    }
  }
  return min;
}

function sameTaint(a: Taint, b: Taint): boolean {
  return a.key === b.key && a.effect === b.effect;
}

export class NodeLifecycleController implements Controller {
  readonly name = 'node-lifecycle-controller';
  private readonly nodes: Informer;
  private readonly pods: Informer;
  private readonly leases: Informer;
  private readonly nodeQueue: WorkQueue;
  private readonly podQueue: WorkQueue;
  private readonly nodeEvents: EventRecorder;
  private readonly evictionEvents: EventRecorder;
  private readonly health = new Map<string, NodeHealth>();
  private readonly podsByNode = new Map<string, Set<string>>();
  /** Pods waiting out their tolerationSeconds: when the wait started, for which pod uid. */
  private readonly evictions = new Map<string, { uid: string; since: number }>();
  /** Pods already marked Ready=False during the current outage of their node. */
  private readonly markedNotReady = new Map<string, Set<string>>();
  private readonly grace: number;
  private readonly startupGrace: number;
  private readonly period: number;
  private fullDisruption = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly context: ControllerContext,
    options: NodeLifecycleOptions = {},
  ) {
    this.grace = options.nodeMonitorGracePeriodMs ?? 50_000;
    this.startupGrace = options.nodeStartupGracePeriodMs ?? 60_000;
    this.period = options.nodeMonitorPeriodMs ?? Math.min(5_000, Math.max(this.grace / 4, 50));
    this.nodes = context.informers.for(NODES);
    this.pods = context.informers.for(PODS);
    this.leases = context.informers.for(LEASES, LEASE_NAMESPACE);
    const onError = (what: string) => (key: string, err: unknown) =>
      context.log(`node lifecycle controller: ${what} ${key}: ${(err as Error).message}`);
    this.nodeQueue = new WorkQueue((name) => this.reconcileNode(name), onError('node'));
    this.podQueue = new WorkQueue((key) => this.reconcilePod(key), onError('pod'));
    this.nodeEvents = new EventRecorder(context.client, 'node-controller', undefined, context.log);
    this.evictionEvents = new EventRecorder(
      context.client,
      'taint-eviction-controller',
      undefined,
      context.log,
    );
  }

  start(): void {
    this.nodes.addHandlers({
      add: (node) => {
        this.nodeQueue.add(node.metadata.name ?? '');
        this.enqueuePodsOn(node.metadata.name ?? '');
      },
      update: (old, node) => {
        this.nodeQueue.add(node.metadata.name ?? '');
        if (JSON.stringify(noExecuteTaints(old)) !== JSON.stringify(noExecuteTaints(node)))
          this.enqueuePodsOn(node.metadata.name ?? '');
      },
      delete: (node) => {
        this.nodeQueue.add(node.metadata.name ?? '');
        this.enqueuePodsOn(node.metadata.name ?? '');
      },
    });
    this.leases.addHandlers({
      add: (lease) => this.nodeQueue.add(lease.metadata.name ?? ''),
      update: (_old, lease) => this.nodeQueue.add(lease.metadata.name ?? ''),
    });
    this.pods.addHandlers({
      add: (pod) => this.podChanged(undefined, pod),
      update: (old, pod) => this.podChanged(old, pod),
      delete: (pod) => this.podChanged(pod, undefined),
    });
    this.timer = setInterval(() => this.monitorPass(), this.period);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await Promise.all([this.nodeQueue.stop(), this.podQueue.stop()]);
    await Promise.all([this.nodeEvents.flush(), this.evictionEvents.flush()]);
  }

  // ---- handlers (they only keep the node → pods index and enqueue keys) ----------------------

  private podChanged(old: KubeObject | undefined, pod: KubeObject | undefined): void {
    const key = objectKey((pod ?? old)!);
    const oldNode = old ? nodeNameOf(old) : '';
    const newNode = pod ? nodeNameOf(pod) : '';
    if (oldNode && oldNode !== newNode) this.podsByNode.get(oldNode)?.delete(key);
    if (newNode) {
      let set = this.podsByNode.get(newNode);
      if (!set) this.podsByNode.set(newNode, (set = new Set()));
      set.add(key);
    }
    if (
      !old ||
      !pod ||
      oldNode !== newNode ||
      old.metadata.deletionTimestamp !== pod.metadata.deletionTimestamp ||
      JSON.stringify(tolerationsOf(old)) !== JSON.stringify(tolerationsOf(pod))
    )
      this.podQueue.add(key);
  }

  private enqueuePodsOn(nodeName: string): void {
    for (const key of this.podsByNode.get(nodeName) ?? []) this.podQueue.add(key);
  }

  private podsOn(nodeName: string): KubeObject[] {
    const out: KubeObject[] = [];
    for (const key of this.podsByNode.get(nodeName) ?? []) {
      const pod = this.pods.getByKey(key);
      if (pod && nodeNameOf(pod) === nodeName) out.push(pod);
    }
    return out;
  }

  /**
   * Every monitor period: check each node, and whether every node is down at once. Then, as
   * upstream's "full disruption" mode, the controller assumes its own view is at fault (the
   * laptop slept, the control plane was paused) and evicts nothing.
   */
  private monitorPass(): void {
    const nodes = this.nodes
      .list()
      .filter((n) => n.metadata.labels?.[EXCLUDE_DISRUPTION_LABEL] === undefined);
    const allDown =
      nodes.length > 0 &&
      nodes.every((n) => conditionsOf(n).find((c) => c.type === 'Ready')?.status !== 'True');
    if (allDown !== this.fullDisruption) {
      this.fullDisruption = allDown;
      if (!allDown) {
        // Leaving full disruption: every node gets a fresh grace period.
        const t = Date.now();
        for (const h of this.health.values()) h.probeTimestamp = t;
      }
      this.context.log(
        allDown
          ? 'node lifecycle controller: all nodes are not ready; evictions stop'
          : 'node lifecycle controller: some nodes are ready again; evictions resume',
      );
    }
    for (const node of this.nodes.list()) this.nodeQueue.add(node.metadata.name ?? '');
  }

  // ---- nodes -------------------------------------------------------------------------------

  async reconcileNode(name: string): Promise<ReconcileResult> {
    const cached = this.nodes.get('', name);
    if (!cached) {
      if (this.health.delete(name))
        this.nodeEvents.event(
          { apiVersion: 'v1', kind: 'Node', name },
          'Normal',
          'RemovingNode',
          `Node ${name} event: Removing Node ${name} from Controller`,
        );
      this.markedNotReady.delete(name);
      return;
    }
    let node = cached;
    const t = Date.now();
    const { health, gracePeriod } = this.observeHealth(node, t);
    const observedReady = conditionsOf(node).find((c) => c.type === 'Ready')?.status ?? 'Unknown';

    if (t > health.probeTimestamp + gracePeriod) node = await this.markUnknown(node);
    const ready = conditionsOf(node).find((c) => c.type === 'Ready')?.status ?? 'Unknown';

    if (ready !== 'True' && (health.lastReady === 'True' || observedReady === 'True'))
      this.nodeEvents.event(
        node,
        'Normal',
        'NodeNotReady',
        `Node ${name} status is now: NodeNotReady`,
      );
    health.lastReady = ready;
    if (ready === 'True') this.markedNotReady.delete(name);
    else await this.markPodsNotReady(name);

    await this.reconcileTaints(node, ready);
    if (ready === 'True') {
      // Look again just after the grace period would run out.
      return { requeueAfterMs: Math.max(health.probeTimestamp + gracePeriod - t, 0) + 1 };
    }
  }

  /** Notes whether the kubelet was heard from since the last look (tryUpdateNodeHealth). */
  private observeHealth(node: KubeObject, t: number): { health: NodeHealth; gracePeriod: number } {
    const name = node.metadata.name ?? '';
    const ready = conditionsOf(node).find((c) => c.type === 'Ready');
    const gracePeriod = ready ? this.grace : this.startupGrace;
    let health = this.health.get(name);
    if (!health) {
      health = {
        probeTimestamp: ready ? t : Date.parse(node.metadata.creationTimestamp ?? '') || t,
        readyHeartbeat: ready?.lastHeartbeatTime,
      };
      this.health.set(name, health);
      this.nodeEvents.event(
        node,
        'Normal',
        'RegisteredNode',
        `Node ${name} event: Registered Node ${name} in Controller`,
      );
    } else if (ready && ready.lastHeartbeatTime !== health.readyHeartbeat) {
      health.readyHeartbeat = ready.lastHeartbeatTime;
      health.probeTimestamp = t;
    }
    const renewTime = (this.leases.get(LEASE_NAMESPACE, name)?.spec as { renewTime?: unknown })
      ?.renewTime;
    const renewed = typeof renewTime === 'string' ? microTimeMs(renewTime) : NaN;
    if (
      !Number.isNaN(renewed) &&
      (health.leaseRenewTime === undefined || renewed > health.leaseRenewTime)
    ) {
      // A renewed lease counts even from a kubelet that never posted status, as upstream.
      health.leaseRenewTime = renewed;
      health.probeTimestamp = t;
    }
    return { health, gracePeriod };
  }

  /** The kubelet went silent: its conditions become Unknown (NodeStatusUnknown). */
  private async markUnknown(node: KubeObject): Promise<KubeObject> {
    const next = structuredClone(node);
    const status = (next.status ?? {}) as { conditions?: Condition[] };
    next.status = status;
    status.conditions = conditionsOf(next);
    const timestamp = now();
    let changed = false;
    for (const type of KUBELET_CONDITIONS) {
      const current = status.conditions.find((c) => c.type === type);
      if (!current) {
        status.conditions.push({
          type,
          status: 'Unknown',
          lastHeartbeatTime: node.metadata.creationTimestamp,
          lastTransitionTime: timestamp,
          reason: 'NodeStatusNeverUpdated',
          message: 'Kubelet never posted node status.',
        });
        changed = true;
      } else if (current.status !== 'Unknown') {
        current.status = 'Unknown';
        current.reason = 'NodeStatusUnknown';
        current.message = 'Kubelet stopped posting node status.';
        current.lastTransitionTime = timestamp;
        changed = true;
      }
    }
    if (!changed) return node;
    return this.context.client.updateStatus(NODES, '', next);
  }

  /** MarkPodsNotReady: once per outage, every pod on the node gets Ready=False. */
  private async markPodsNotReady(nodeName: string): Promise<void> {
    let marked = this.markedNotReady.get(nodeName);
    if (!marked) this.markedNotReady.set(nodeName, (marked = new Set()));
    for (const pod of this.podsOn(nodeName)) {
      const uid = pod.metadata.uid ?? '';
      if (marked.has(uid)) continue;
      const ready = conditionsOf(pod).find((c) => c.type === 'Ready');
      if (ready && ready.status !== 'False') {
        const next = structuredClone(pod);
        for (const c of conditionsOf(next)) {
          if (c.type !== 'Ready') continue;
          c.status = 'False';
          c.lastTransitionTime = now();
        }
        try {
          await this.context.client.updateStatus(PODS, pod.metadata.namespace ?? '', next);
        } catch (err) {
          if (err instanceof StatusError && err.code === 404) continue;
          throw err;
        }
        this.nodeEvents.event(pod, 'Warning', 'NodeNotReady', 'Node is not ready');
      }
      marked.add(uid);
    }
  }

  /** doNoScheduleTaintingPass and the NoExecute tainting, without rate limits. */
  private async reconcileTaints(node: KubeObject, ready: string): Promise<void> {
    const desired: Taint[] = [];
    for (const condition of conditionsOf(node)) {
      const key = CONDITION_TAINTS[condition.type]?.[condition.status];
      if (key) desired.push({ key, effect: 'NoSchedule' });
    }
    if ((node.spec as { unschedulable?: unknown } | undefined)?.unschedulable === true)
      desired.push({ key: TAINT_UNSCHEDULABLE, effect: 'NoSchedule' });
    if (!this.fullDisruption) {
      if (ready === 'False') desired.push({ key: TAINT_NOT_READY, effect: 'NoExecute' });
      if (ready === 'Unknown') desired.push({ key: TAINT_UNREACHABLE, effect: 'NoExecute' });
    }
    const managed = (t: Taint) =>
      (t.effect === 'NoSchedule' &&
        (t.key === TAINT_UNSCHEDULABLE || CONDITION_TAINT_KEYS.has(t.key))) ||
      (t.effect === 'NoExecute' && (t.key === TAINT_NOT_READY || t.key === TAINT_UNREACHABLE));
    const current = taintsOf(node);
    const kept = current.filter((t) => !managed(t) || desired.some((d) => sameTaint(d, t)));
    const added = desired
      .filter((d) => !current.some((t) => sameTaint(d, t)))
      .map((d) => ({ ...d, timeAdded: now() }));
    if (added.length === 0 && kept.length === current.length) return;
    const next = structuredClone(node);
    const taints = [...kept, ...added];
    next.spec = { ...(next.spec as object), taints: taints.length ? taints : undefined };
    if (!taints.length) delete (next.spec as { taints?: unknown }).taints;
    await this.context.client.update(NODES, '', next);
  }

  // ---- taint eviction ----------------------------------------------------------------------

  async reconcilePod(key: string): Promise<ReconcileResult> {
    const pod = this.pods.getByKey(key);
    const scheduled = this.evictions.get(key);
    const cancel = () => {
      if (!this.evictions.delete(key) || !pod) return;
      this.evictionEvents.event(
        pod,
        'Normal',
        'TaintManagerEviction',
        `Cancelling deletion of Pod ${key}`,
      );
    };
    if (!pod) {
      this.evictions.delete(key);
      return;
    }
    if (scheduled && scheduled.uid !== pod.metadata.uid) this.evictions.delete(key);
    if (pod.metadata.deletionTimestamp) {
      this.evictions.delete(key);
      return;
    }
    const node = this.nodes.get('', nodeNameOf(pod));
    const taints = node ? noExecuteTaints(node) : [];
    if (!taints.length) return cancel();
    const allowed = tolerationTimeMs(taints, tolerationsOf(pod));
    if (allowed === Infinity) return cancel();
    const t = Date.now();
    const since = this.evictions.get(key)?.since ?? t;
    this.evictions.set(key, { uid: pod.metadata.uid ?? '', since });
    if (t < since + allowed) return { requeueAfterMs: since + allowed - t };
    await this.evict(pod);
    this.evictions.delete(key);
  }

  /** addConditionAndDeletePod: DisruptionTarget=True, then an ordinary (graceful) delete. */
  private async evict(pod: KubeObject): Promise<void> {
    const namespace = pod.metadata.namespace ?? '';
    const name = pod.metadata.name ?? '';
    this.evictionEvents.event(
      pod,
      'Normal',
      'TaintManagerEviction',
      `Marking for deletion Pod ${namespace}/${name}`,
    );
    try {
      const existing = conditionsOf(pod).find((c) => c.type === 'DisruptionTarget');
      if (existing?.status !== 'True') {
        const next = structuredClone(pod);
        const status = (next.status ?? {}) as { conditions?: Condition[] };
        next.status = status;
        status.conditions = conditionsOf(next).filter((c) => c.type !== 'DisruptionTarget');
        status.conditions.push({
          type: 'DisruptionTarget',
          status: 'True',
          lastProbeTime: null,
          lastTransitionTime: now(),
          reason: 'DeletionByTaintManager',
          message: 'Taint manager: deleting due to NoExecute taint',
        });
        await this.context.client.updateStatus(PODS, namespace, next);
      }
      await this.context.client.delete(PODS, namespace, name, {
        preconditions: { uid: pod.metadata.uid },
      });
    } catch (err) {
      if (err instanceof StatusError && err.code === 404) return;
      throw err;
    }
  }
}

/**
 * For the controller manager's list: `{ name: 'node-lifecycle-controller', create:
 * nodeLifecycleController() }`. It also runs the pod garbage collector (kube runs it as its own
 * controller), which removes the pods of deleted nodes so their owners replace them.
 */
export function nodeLifecycleController(
  options: NodeLifecycleOptions & { podGc?: PodGcOptions | false } = {},
): ControllerFactory {
  return (context) => {
    const lifecycle = new NodeLifecycleController(context, options);
    if (options.podGc === false) return lifecycle;
    const podGc = new PodGcController(context, options.podGc);
    return {
      name: lifecycle.name,
      start: () => {
        lifecycle.start();
        podGc.start();
      },
      stop: async () => {
        await Promise.all([lifecycle.stop(), podGc.stop()]);
      },
    };
  };
}
