// kube-controller-manager's pod garbage collector (pkg/controller/podgc): force-deletes pods no
// kubelet will ever finish — bound to a Node that no longer exists (after a quarantine, in case the
// node informer lags), terminating but never scheduled, terminating on an out-of-service node — and
// the oldest terminated pods beyond --terminated-pod-gc-threshold.
import { StatusError } from '../../api/status.ts';
import type { KubeObject } from '../../api/types.ts';
import type { Informer } from '../../client/informer.ts';
import type { Controller, ControllerContext, ControllerFactory } from '../controller-manager.ts';
import { WorkQueue, type ReconcileResult } from '../runtime/work-queue.ts';

const NODES = { group: '', version: 'v1', resource: 'nodes' };
const PODS = { group: '', version: 'v1', resource: 'pods' };
const TAINT_OUT_OF_SERVICE = 'node.kubernetes.io/out-of-service';
/** The one key of the work queue: a pass looks at every pod, as upstream's gc() does. */
const PASS = 'gc';

export interface PodGcOptions {
  /** How often the pass runs (gcCheckPeriod, 20 s). */
  periodMs?: number;
  /** How long a missing node must stay missing before its pods go (quarantineTime, 40 s). */
  quarantineMs?: number;
  /** Terminated pods kept before the oldest are deleted (--terminated-pod-gc-threshold, 12500; 0 = off). */
  terminatedPodThreshold?: number;
}

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  [field: string]: unknown;
}

function nodeNameOf(pod: KubeObject): string {
  const name = (pod.spec as { nodeName?: unknown } | undefined)?.nodeName;
  return typeof name === 'string' ? name : '';
}

function phaseOf(pod: KubeObject): unknown {
  return (pod.status as { phase?: unknown } | undefined)?.phase;
}

function isTerminated(pod: KubeObject): boolean {
  const phase = phaseOf(pod);
  return phase !== 'Pending' && phase !== 'Running' && phase !== 'Unknown';
}

function conditionsOf(object: KubeObject): Condition[] {
  const conditions = (object.status as { conditions?: unknown } | undefined)?.conditions;
  return Array.isArray(conditions) ? (conditions as Condition[]) : [];
}

function isReady(node: KubeObject): boolean {
  return conditionsOf(node).some((c) => c.type === 'Ready' && c.status === 'True');
}

/** Evicted pods first, then the oldest, names breaking ties (byEvictionAndCreationTimestamp). */
function gcOrder(a: KubeObject, b: KubeObject): number {
  const evicted = (p: KubeObject) =>
    phaseOf(p) === 'Failed' && (p.status as { reason?: unknown } | undefined)?.reason === 'Evicted';
  if (evicted(a) !== evicted(b)) return evicted(a) ? -1 : 1;
  const ta = a.metadata.creationTimestamp ?? '';
  const tb = b.metadata.creationTimestamp ?? '';
  if (ta !== tb) return ta < tb ? -1 : 1;
  return (a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1;
}

export class PodGcController implements Controller {
  readonly name = 'pod-garbage-collector';
  private readonly pods: Informer;
  private readonly nodes: Informer;
  private readonly queue: WorkQueue;
  private readonly period: number;
  private readonly quarantine: number;
  private readonly threshold: number;
  /** Node names pods are bound to that the informer does not know, and since when. */
  private readonly missingSince = new Map<string, number>();

  constructor(
    private readonly context: ControllerContext,
    options: PodGcOptions = {},
  ) {
    this.period = options.periodMs ?? 20_000;
    this.quarantine = options.quarantineMs ?? 40_000;
    this.threshold = options.terminatedPodThreshold ?? 12_500;
    this.pods = context.informers.for(PODS);
    this.nodes = context.informers.for(NODES);
    this.queue = new WorkQueue(
      () => this.gc(),
      (_key, err) => context.log(`pod garbage collector: ${(err as Error).message}`),
    );
  }

  start(): void {
    // Periodic, like upstream; the first pass waits one period so the informers have synced.
    this.queue.addAfter(PASS, this.period);
  }

  async stop(): Promise<void> {
    await this.queue.stop();
  }

  /** One pass over every pod; safe to repeat, and it always schedules the next one. */
  async gc(): Promise<ReconcileResult> {
    if (!this.pods.hasSynced || !this.nodes.hasSynced) return { requeueAfterMs: this.period };
    const pods = this.pods.list();
    if (this.threshold > 0) await this.gcTerminated(pods);
    for (const pod of pods) {
      if (!pod.metadata.deletionTimestamp) continue;
      const nodeName = nodeNameOf(pod);
      if (!nodeName) {
        await this.forceDelete(pod);
        continue;
      }
      const node = this.nodes.get('', nodeName);
      const outOfService = (
        ((node?.spec as { taints?: unknown } | undefined)?.taints ?? []) as { key?: string }[]
      ).some((t) => t.key === TAINT_OUT_OF_SERVICE);
      if (node && !isReady(node) && outOfService) await this.forceDelete(pod);
    }
    await this.gcOrphaned(pods);
    return { requeueAfterMs: this.period };
  }

  private async gcTerminated(pods: KubeObject[]): Promise<void> {
    const terminated = pods.filter(isTerminated);
    const excess = terminated.length - this.threshold;
    if (excess <= 0) return;
    terminated.sort(gcOrder);
    for (const pod of terminated.slice(0, excess)) await this.forceDelete(pod);
  }

  /** Pods bound to a node that stayed missing for the quarantine and that a GET confirms is gone. */
  private async gcOrphaned(pods: KubeObject[]): Promise<void> {
    const now = Date.now();
    const missing = new Set<string>();
    for (const pod of pods) {
      const nodeName = nodeNameOf(pod);
      if (nodeName && !this.nodes.get('', nodeName)) missing.add(nodeName);
    }
    for (const name of this.missingSince.keys())
      if (!missing.has(name)) this.missingSince.delete(name);
    const deleted = new Set<string>();
    for (const name of missing) {
      const since = this.missingSince.get(name);
      if (since === undefined) this.missingSince.set(name, now);
      else if (now - since >= this.quarantine && !this.context.client.tryGet(NODES, '', name))
        deleted.add(name);
    }
    for (const pod of pods) {
      if (!deleted.has(nodeNameOf(pod))) continue;
      await this.forceDelete(pod, {
        type: 'DisruptionTarget',
        status: 'True',
        reason: 'DeletionByPodGC',
        message: 'PodGC: node no longer exists',
      });
    }
  }

  /** markFailedAndDeletePodWithCondition: phase Failed (plus the condition), then delete with grace 0. */
  private async forceDelete(pod: KubeObject, condition?: Condition): Promise<void> {
    const namespace = pod.metadata.namespace ?? '';
    const name = pod.metadata.name ?? '';
    try {
      if (phaseOf(pod) !== 'Succeeded' && phaseOf(pod) !== 'Failed') {
        const next = structuredClone(pod);
        const status = (next.status ?? {}) as { phase?: string; conditions?: Condition[] };
        next.status = status;
        status.phase = 'Failed';
        if (condition) {
          const stamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
          const old = conditionsOf(next).find((c) => c.type === condition.type);
          status.conditions = [
            ...conditionsOf(next).filter((c) => c.type !== condition.type),
            {
              ...condition,
              lastProbeTime: null,
              lastTransitionTime:
                old?.status === condition.status && old.lastTransitionTime
                  ? old.lastTransitionTime
                  : stamp,
            },
          ];
        }
        await this.context.client.updateStatus(PODS, namespace, next);
      }
      this.context.log(`pod garbage collector: force deleting pod ${namespace}/${name}`);
      await this.context.client.delete(PODS, namespace, name, {
        gracePeriodSeconds: 0,
        preconditions: { uid: pod.metadata.uid },
      });
    } catch (err) {
      // Gone already, or changed under us: the next pass looks again. Nor may one pod stop the pass.
      if (err instanceof StatusError && (err.code === 404 || err.code === 409)) return;
      this.context.log(`pod garbage collector: ${namespace}/${name}: ${(err as Error).message}`);
    }
  }
}

/** For the controller manager's list: `{ name: 'pod-garbage-collector', create: podGcController() }`. */
export function podGcController(options: PodGcOptions = {}): ControllerFactory {
  return (context) => new PodGcController(context, options);
}
