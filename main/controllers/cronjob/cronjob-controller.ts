// The CronJob controller (kube pkg/controller/cronjob, the v2 controller): creates a Job
// `<cronjob>-<scheduled minutes since epoch>` at each scheduled time, honouring suspend,
// concurrencyPolicy, startingDeadlineSeconds and the jobs history limits, and keeps
// status.active, lastScheduleTime and lastSuccessfulTime current.
import type { KubeObject } from '../../api/types.ts';
import { StatusError } from '../../api/status.ts';
import { objectKey, splitKey, type Informer } from '../../client/informer.ts';
import type { LocalClient, ResourceRef } from '../../client/local-client.ts';
import { parseCronSchedule } from '../../apiserver/validation/cron.ts';
import type { Controller, ControllerContext } from '../controller-manager.ts';
import { EventRecorder } from '../runtime/events.ts';
import { WorkQueue, type ReconcileResult } from '../runtime/work-queue.ts';
import { canonicalJson, controllerRef, newControllerRef } from '../replicaset/controller-utils.ts';
import { JOBS } from '../job/job-controller.ts';
import { finishedCondition, record } from '../job/job-util.ts';
import { formatInZone, nextActivation } from './schedule.ts';

export const CRON_JOBS: ResourceRef = { group: 'batch', version: 'v1', resource: 'cronjobs' };
export const SCHEDULED_TIMESTAMP_ANNOTATION = 'batch.kubernetes.io/cronjob-scheduled-timestamp';

const COMPONENT = 'cronjob-controller';
/** More missed schedules than this and kube warns instead of counting further. */
const MANY_MISSED = 100;
/** kube requeues a little after the next schedule time so the clock has passed it. */
const NEXT_SCHEDULE_DELTA_MS = 100;

export interface CronJobControllerOptions {
  /** The controller's clock (ms since epoch); tests inject a fake one. */
  now?: () => number;
}

interface ActiveRef {
  apiVersion?: string;
  kind?: string;
  name?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
}

function seconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
}

function parseTime(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

function ignoreNotFound(err: unknown): void {
  if (!(err instanceof StatusError && err.code === 404)) throw err;
}

export class CronJobController implements Controller {
  readonly name = COMPONENT;
  private readonly queue: WorkQueue;
  private readonly recorder: EventRecorder;
  private readonly cronJobs: Informer;
  private readonly jobs: Informer;
  private readonly client: LocalClient;
  private readonly now: () => number;

  constructor(context: ControllerContext, options: CronJobControllerOptions = {}) {
    this.client = context.client;
    this.cronJobs = context.informers.for(CRON_JOBS);
    this.jobs = context.informers.for(JOBS);
    this.now = options.now ?? Date.now;
    this.recorder = new EventRecorder(context.client, COMPONENT, undefined, context.log);
    this.queue = WorkQueue.logged(COMPONENT, context.log, (key) => this.reconcile(key));
  }

  start(): void {
    this.cronJobs.addHandlers({
      add: (cj) => this.queue.add(objectKey(cj)),
      update: (_old, cj) => this.queue.add(objectKey(cj)),
    });
    const jobChanged = (job: KubeObject) => {
      const ref = controllerRef(job);
      if (ref?.kind !== 'CronJob') return;
      const ns = job.metadata.namespace ?? '';
      this.queue.add(`${ns}/${ref.name}`);
    };
    this.jobs.addHandlers({
      add: jobChanged,
      update: (_o, j) => jobChanged(j),
      delete: jobChanged,
    });
  }

  async stop(): Promise<void> {
    await this.queue.stop();
    await this.recorder.flush();
  }

  flushEvents(): Promise<void> {
    return this.recorder.flush();
  }

  /** Looks at every CronJob again now (for a clock that jumped, as in tests). */
  resync(): void {
    for (const cj of this.cronJobs.list()) this.queue.add(objectKey(cj));
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const cached = this.cronJobs.getByKey(key);
    if (!cached) return;
    const { namespace } = splitKey(key);
    const cj = cached;
    const uid = cj.metadata.uid;
    const spec = record(cj.spec);
    const oldStatus = record(cj.status);
    const status: Record<string, unknown> = structuredClone(oldStatus);
    const children = this.jobs.list(namespace).filter((j) => controllerRef(j)?.uid === uid);
    const nowMs = this.now();
    const tz = typeof spec.timeZone === 'string' ? spec.timeZone : undefined;

    // Reconcile status.active with the jobs that exist.
    let active = Array.isArray(status.active) ? (status.active as ActiveRef[]) : [];
    const byUid = new Map(children.map((j) => [j.metadata.uid, j]));
    for (const job of children) {
      const finished = finishedCondition(job);
      const listed = active.some((r) => r.uid === job.metadata.uid);
      if (!finished && !listed) {
        // The cache may predate our own status write: kube re-reads the CronJob before warning.
        // A running Job we did not list (`kubectl create job --from=cronjob/…`) is only reported,
        // never adopted into status.active, so concurrencyPolicy ignores it, as in kube.
        const fresh = this.client.tryGet(CRON_JOBS, namespace, cj.metadata.name ?? '');
        const freshActive = record(fresh?.status).active;
        const ref = Array.isArray(freshActive)
          ? (freshActive as ActiveRef[]).find((r) => r.uid === job.metadata.uid)
          : undefined;
        if (ref) active = [...active, ref];
        else
          this.recorder.event(
            cj,
            'Warning',
            'UnexpectedJob',
            `Saw a job that the controller did not create or forgot: ${job.metadata.name}`,
          );
      }
      if (finished && listed) {
        active = active.filter((r) => r.uid !== job.metadata.uid);
        this.recorder.event(
          cj,
          'Normal',
          'SawCompletedJob',
          `Saw completed job: ${job.metadata.name}, condition: ${finished.type}`,
        );
      }
      if (finished?.type === 'Complete') {
        const done = parseTime(record(job.status).completionTime);
        const last = parseTime(status.lastSuccessfulTime);
        if (done !== undefined && (last === undefined || done > last))
          status.lastSuccessfulTime = seconds(done);
      }
    }
    // Jobs that vanished (deleted by someone) leave the active list, as in kube.
    active = active.filter((r) => {
      if (byUid.has(r.uid) || this.client.tryGet(JOBS, namespace, r.name ?? '') !== undefined)
        return true;
      this.recorder.event(cj, 'Normal', 'MissingJob', `Active job went missing: ${r.name ?? ''}`);
      return false;
    });
    status.active = active.length ? active : undefined;

    let requeueAfterMs: number | undefined;
    if (!cj.metadata.deletionTimestamp) {
      await this.cleanupFinished(cj, children);
      if (spec.suspend !== true) requeueAfterMs = await this.schedule(cj, status, nowMs, tz);
    }

    if (status.active === undefined) delete status.active;
    if (canonicalJson(status) !== canonicalJson(oldStatus)) {
      try {
        await this.client.updateStatus(CRON_JOBS, namespace, { ...cj, status });
      } catch (err) {
        ignoreNotFound(err);
      }
    }
    return requeueAfterMs !== undefined ? { requeueAfterMs } : undefined;
  }

  /** Creates the Job for the most recent unmet schedule; returns when to look again. */
  private async schedule(
    cj: KubeObject,
    status: Record<string, unknown>,
    nowMs: number,
    tz: string | undefined,
  ): Promise<number | undefined> {
    const spec = record(cj.spec);
    const parsed = parseCronSchedule(typeof spec.schedule === 'string' ? spec.schedule : '');
    if (typeof parsed === 'string') {
      this.recorder.event(
        cj,
        'Warning',
        'UnparseableSchedule',
        `unparseable schedule: ${String(spec.schedule)} : ${parsed}`,
      );
      return undefined;
    }
    const deadline =
      typeof spec.startingDeadlineSeconds === 'number' ? spec.startingDeadlineSeconds : undefined;
    let earliest =
      parseTime(status.lastScheduleTime) ?? parseTime(cj.metadata.creationTimestamp) ?? nowMs;
    if (deadline !== undefined) earliest = Math.max(earliest, nowMs - deadline * 1000);
    const nextWake = (): number | undefined => {
      const next = nextActivation(parsed, nowMs, tz);
      return next === undefined ? undefined : next - nowMs + NEXT_SCHEDULE_DELTA_MS;
    };

    // The most recent schedule time in (earliest, now], counting the ones missed.
    let scheduled: number | undefined;
    let missed = 0;
    for (let t = nextActivation(parsed, earliest, tz); t !== undefined && t <= nowMs;) {
      scheduled = t;
      missed++;
      if (missed > MANY_MISSED) {
        // Too many to walk one by one: find the last window before now holding one.
        let last = t;
        for (let from = nowMs - 60_000; from > t; from -= 60_000) {
          let c = nextActivation(parsed, from, tz);
          if (c === undefined || c > nowMs) continue;
          for (let n = nextActivation(parsed, c, tz); n !== undefined && n <= nowMs;)
            [c, n] = [n, nextActivation(parsed, n, tz)];
          last = c;
          break;
        }
        scheduled = last;
        break;
      }
      t = nextActivation(parsed, t, tz);
    }
    if (scheduled === undefined) return nextWake();
    if (missed > MANY_MISSED) {
      this.recorder.event(
        cj,
        'Warning',
        'TooManyMissedTimes',
        'too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew',
      );
    }
    if (deadline !== undefined && scheduled + deadline * 1000 < nowMs) {
      this.recorder.event(
        cj,
        'Warning',
        'MissSchedule',
        `Missed scheduled time to start a job: ${new Date(scheduled).toUTCString().replace(/GMT$/, '+0000')}`,
      );
      return nextWake();
    }
    const jobName = `${cj.metadata.name}-${Math.floor(scheduled / 60_000)}`;
    const active = (status.active ?? []) as ActiveRef[];
    if (active.some((r) => r.name === jobName)) return nextWake();
    const policy = spec.concurrencyPolicy ?? 'Allow';
    if (policy === 'Forbid' && active.length > 0) {
      this.recorder.event(
        cj,
        'Normal',
        'JobAlreadyActive',
        'Not starting job because prior execution is running and concurrency policy is Forbid',
      );
      return nextWake();
    }
    if (policy === 'Replace') {
      for (const ref of active) {
        try {
          await this.client.delete(JOBS, cj.metadata.namespace ?? '', ref.name ?? '', {
            propagationPolicy: 'Background',
          });
          this.recorder.event(cj, 'Normal', 'SuccessfulDelete', `Deleted job ${ref.name}`);
        } catch (err) {
          ignoreNotFound(err);
        }
      }
      status.active = undefined;
    }

    let job: KubeObject;
    try {
      job = await this.client.create(
        JOBS,
        cj.metadata.namespace ?? '',
        this.jobFor(cj, jobName, scheduled, tz),
      );
      this.recorder.event(cj, 'Normal', 'SuccessfulCreate', `Created job ${jobName}`);
    } catch (err) {
      if (!(err instanceof StatusError && err.code === 409)) {
        this.recorder.event(
          cj,
          'Warning',
          'FailedCreate',
          `Error creating job: ${(err as Error).message}`,
        );
        throw err;
      }
      // Already there: ours if it is owned by this CronJob (created by an earlier pass).
      const existing = this.client.tryGet(JOBS, cj.metadata.namespace ?? '', jobName);
      if (!existing || controllerRef(existing)?.uid !== cj.metadata.uid) throw err;
      job = existing;
      if (finishedCondition(existing)) {
        status.lastScheduleTime = seconds(scheduled);
        return nextWake();
      }
    }
    const list = ((status.active ?? []) as ActiveRef[]).filter((r) => r.uid !== job.metadata.uid);
    status.active = [...list, this.refTo(job)];
    status.lastScheduleTime = seconds(scheduled);
    return nextWake();
  }

  private refTo(job: KubeObject): ActiveRef {
    return {
      kind: 'Job',
      namespace: job.metadata.namespace,
      name: job.metadata.name,
      uid: job.metadata.uid,
      apiVersion: 'batch/v1',
      resourceVersion: job.metadata.resourceVersion,
    };
  }

  /** getJobFromTemplate2: the template's labels/annotations, the scheduled time, the owner. */
  private jobFor(
    cj: KubeObject,
    name: string,
    scheduled: number,
    tz: string | undefined,
  ): KubeObject {
    const template = structuredClone(record(record(cj.spec).jobTemplate));
    const meta = record(template.metadata);
    const annotations: Record<string, string> = {
      ...(meta.annotations as Record<string, string> | undefined),
      [SCHEDULED_TIMESTAMP_ANNOTATION]: formatInZone(scheduled, tz),
    };
    const metadata: Record<string, unknown> = {
      name,
      annotations,
      ownerReferences: [newControllerRef(cj)],
    };
    if (meta.labels) metadata.labels = meta.labels;
    return {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata,
      spec: template.spec ?? {},
    };
  }

  /** Deletes the oldest finished jobs beyond successful/failedJobsHistoryLimit. */
  private async cleanupFinished(cj: KubeObject, children: KubeObject[]): Promise<void> {
    const spec = record(cj.spec);
    const limits: [string, unknown][] = [
      ['Complete', spec.successfulJobsHistoryLimit],
      ['Failed', spec.failedJobsHistoryLimit],
    ];
    for (const [type, limit] of limits) {
      if (typeof limit !== 'number') continue;
      const finished = children
        .filter((j) => finishedCondition(j)?.type === type && !j.metadata.deletionTimestamp)
        .sort((a, b) => startOf(a) - startOf(b));
      for (const job of finished.slice(0, Math.max(0, finished.length - limit))) {
        try {
          await this.client.delete(JOBS, job.metadata.namespace ?? '', job.metadata.name ?? '', {
            propagationPolicy: 'Background',
          });
          this.recorder.event(cj, 'Normal', 'SuccessfulDelete', `Deleted job ${job.metadata.name}`);
        } catch (err) {
          ignoreNotFound(err);
        }
      }
    }
  }
}

/** kube sorts finished jobs by status.startTime (then name) before pruning. */
function startOf(job: KubeObject): number {
  return parseTime(record(job.status).startTime) ?? parseTime(job.metadata.creationTimestamp) ?? 0;
}

export function newCronJobController(context: ControllerContext): CronJobController {
  return new CronJobController(context);
}
