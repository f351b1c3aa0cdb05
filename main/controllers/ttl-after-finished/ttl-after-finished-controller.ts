// The TTL-after-finished controller (kube pkg/controller/ttlafterfinished): deletes a finished
// Job (Complete or Failed) spec.ttlSecondsAfterFinished seconds after that condition's
// lastTransitionTime, with Background propagation so the garbage collector removes its pods.
import type { KubeObject } from '../../api/types.ts';
import { StatusError } from '../../api/status.ts';
import { objectKey, splitKey, type Informer } from '../../client/informer.ts';
import type { LocalClient } from '../../client/local-client.ts';
import type { Controller, ControllerContext } from '../controller-manager.ts';
import { WorkQueue, type ReconcileResult } from '../runtime/work-queue.ts';
import { JOBS } from '../job/job-controller.ts';
import { finishedCondition, record } from '../job/job-util.ts';

const COMPONENT = 'ttl-after-finished-controller';

export interface TtlAfterFinishedOptions {
  now?: () => number;
}

/** When the job expires (ms since epoch), or undefined if it has no TTL or is not finished. */
export function expiresAt(job: KubeObject): number | undefined {
  const ttl = record(job.spec).ttlSecondsAfterFinished;
  if (typeof ttl !== 'number' || job.metadata.deletionTimestamp) return undefined;
  const finished = finishedCondition(job);
  if (!finished) return undefined;
  // Without a transition time kube cannot tell when it finished; it reports an error and retries.
  const at = finished.lastTransitionTime ? Date.parse(finished.lastTransitionTime) : NaN;
  return Number.isNaN(at) ? undefined : at + ttl * 1000;
}

export class TtlAfterFinishedController implements Controller {
  readonly name = COMPONENT;
  private readonly queue: WorkQueue;
  private readonly jobs: Informer;
  private readonly client: LocalClient;
  private readonly now: () => number;

  constructor(context: ControllerContext, options: TtlAfterFinishedOptions = {}) {
    this.client = context.client;
    this.jobs = context.informers.for(JOBS);
    this.now = options.now ?? Date.now;
    this.queue = WorkQueue.logged(COMPONENT, context.log, (key) => this.reconcile(key));
  }

  start(): void {
    const enqueue = (job: KubeObject) => {
      if (expiresAt(job) !== undefined) this.queue.add(objectKey(job));
    };
    this.jobs.addHandlers({ add: enqueue, update: (_old, job) => enqueue(job) });
  }

  async stop(): Promise<void> {
    await this.queue.stop();
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const cached = this.jobs.getByKey(key);
    if (!cached) return;
    const at = expiresAt(cached);
    if (at === undefined) return;
    if (at > this.now()) return { requeueAfterMs: at - this.now() };
    // The cache may be stale (TTL changed, job recreated): decide on the live object.
    const { namespace, name } = splitKey(key);
    const fresh = this.client.tryGet(JOBS, namespace, name);
    if (!fresh) return;
    const freshAt = expiresAt(fresh);
    if (freshAt === undefined) return;
    if (freshAt > this.now()) return { requeueAfterMs: freshAt - this.now() };
    try {
      await this.client.delete(JOBS, namespace, name, {
        propagationPolicy: 'Background',
        preconditions: { uid: fresh.metadata.uid, resourceVersion: fresh.metadata.resourceVersion },
      });
    } catch (err) {
      if (!(err instanceof StatusError && err.code === 404)) throw err;
    }
  }
}

export function newTtlAfterFinishedController(
  context: ControllerContext,
): TtlAfterFinishedController {
  return new TtlAfterFinishedController(context);
}
