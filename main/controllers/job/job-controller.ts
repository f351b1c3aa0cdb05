// The Job controller (kube pkg/controller/job): runs pods from a Job's template until enough
// succeed (NonIndexed or Indexed completions, up to parallelism at a time), fails the Job on its
// backoffLimit, activeDeadlineSeconds or a podFailurePolicy FailJob rule, honours suspend, and
// tracks finished pods with the batch.kubernetes.io/job-tracking finalizer and
// status.uncountedTerminatedPods so no pod is counted twice or lost.
import { isPodReady } from '../../api/pod-conditions.ts';
import type { KubeObject } from '../../api/types.ts';
import { StatusError } from '../../api/status.ts';
import { objectKey, splitKey, type Informer } from '../../client/informer.ts';
import type { LocalClient, ResourceRef } from '../../client/local-client.ts';
import { labelSelectorFromJson, nothing } from '../../apiserver/selectors/label-selector.ts';
import type { Controller, ControllerContext } from '../controller-manager.ts';
import { EventRecorder } from '../runtime/events.ts';
import { WorkQueue, type ReconcileResult } from '../runtime/work-queue.ts';
import { PODS } from '../replicaset/replica-set-controller.ts';
import {
  Expectations,
  canonicalJson,
  claimObjects,
  controllerRef,
  newControllerRef,
  podPhase,
  sortPodsForDeletion,
} from '../replicaset/controller-utils.ts';
import {
  JOB_COMPLETION_INDEX,
  JOB_INDEX_ENV,
  JOB_TRACKING_FINALIZER,
  finishedCondition,
  formatIndexes,
  hasCondition,
  jobConditions,
  matchPodFailurePolicy,
  parseIndexes,
  podIndex,
  record,
  type JobCondition,
} from './job-util.ts';

export const JOBS: ResourceRef = { group: 'batch', version: 'v1', resource: 'jobs' };

const COMPONENT = 'job-controller';
/** kube's DefaultJobPodFailureBackOff and MaxJobPodFailureBackOff. */
const DEFAULT_BACKOFF_MS = 10_000;
const MAX_BACKOFF_MS = 360_000;
/** kube's maxPodCreateDeletePerSync. */
const MAX_CREATE_DELETE = 500;
const ORPHAN_PREFIX = 'orphan-pod:';

export interface JobControllerOptions {
  /** The base delay before replacing a failed pod (doubling per consecutive failure). */
  podFailureBackoffMs?: number;
  now?: () => number;
}

interface BackoffRecord {
  failuresAfterLastSuccess: number;
  lastFailureMs: number;
}

function spec(job: KubeObject): Record<string, unknown> {
  return record(job.spec);
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' ? value : undefined;
}

function hasFinalizer(pod: KubeObject): boolean {
  return pod.metadata.finalizers?.includes(JOB_TRACKING_FINALIZER) ?? false;
}

function isFinished(pod: KubeObject): boolean {
  const phase = podPhase(pod);
  return phase === 'Succeeded' || phase === 'Failed';
}

function isIgnorable(err: unknown): boolean {
  return err instanceof StatusError && err.code === 404;
}

/** RFC 3339 with seconds precision from a clock value. */
function timeOf(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}

export class JobController implements Controller {
  readonly name = COMPONENT;
  private readonly queue: WorkQueue;
  private readonly expectations = new Expectations();
  private readonly backoff = new Map<string, BackoffRecord>();
  private readonly recorder: EventRecorder;
  private readonly jobs: Informer;
  private readonly pods: Informer;
  private readonly client: LocalClient;
  private readonly baseBackoffMs: number;
  private readonly now: () => number;

  constructor(context: ControllerContext, options: JobControllerOptions = {}) {
    this.client = context.client;
    this.jobs = context.informers.for(JOBS);
    this.pods = context.informers.for(PODS);
    this.baseBackoffMs = options.podFailureBackoffMs ?? DEFAULT_BACKOFF_MS;
    this.now = options.now ?? Date.now;
    this.recorder = new EventRecorder(context.client, COMPONENT, undefined, context.log);
    this.queue = WorkQueue.logged(COMPONENT, context.log, (key) => this.reconcile(key));
  }

  start(): void {
    this.jobs.addHandlers({
      add: (job) => this.queue.add(objectKey(job)),
      update: (_old, job) => this.queue.add(objectKey(job)),
      delete: (job) => {
        this.expectations.forget(objectKey(job));
        this.backoff.delete(objectKey(job));
      },
    });
    this.pods.addHandlers({
      add: (pod) => this.podChanged(pod, true),
      update: (_old, pod) => this.podChanged(pod, false),
      delete: (pod) => this.podChanged(pod, false),
    });
  }

  async stop(): Promise<void> {
    await this.queue.stop();
    await this.recorder.flush();
  }

  flushEvents(): Promise<void> {
    return this.recorder.flush();
  }

  private podChanged(pod: KubeObject, added: boolean): void {
    const ref = controllerRef(pod);
    const ns = pod.metadata.namespace ?? '';
    if (ref?.kind === 'Job') {
      const job = this.jobs.get(ns, ref.name);
      if (job?.metadata.uid === ref.uid) {
        if (added) this.expectations.creationObserved(objectKey(job));
        this.queue.add(objectKey(job));
        return;
      }
    }
    // A pod whose Job is gone must not keep the tracking finalizer, or it never goes away.
    if (hasFinalizer(pod)) this.queue.add(`${ORPHAN_PREFIX}${objectKey(pod)}`);
    if (!ref) {
      for (const job of this.jobs.list(ns)) {
        const selector = labelSelectorFromJson(spec(job).selector);
        if (selector?.matches(pod.metadata.labels)) this.queue.add(objectKey(job));
      }
    }
  }

  private async removeFinalizer(pod: KubeObject): Promise<void> {
    try {
      await this.client.patch(
        PODS,
        pod.metadata.namespace ?? '',
        pod.metadata.name ?? '',
        'application/merge-patch+json',
        {
          metadata: {
            resourceVersion: pod.metadata.resourceVersion,
            finalizers: (pod.metadata.finalizers ?? []).filter((f) => f !== JOB_TRACKING_FINALIZER),
          },
        },
      );
    } catch (err) {
      if (!isIgnorable(err)) throw err;
    }
  }

  private async reconcileOrphan(podKey: string): Promise<void> {
    const pod = this.pods.getByKey(podKey);
    if (!pod || !hasFinalizer(pod)) return;
    const ref = controllerRef(pod);
    if (ref?.kind === 'Job') {
      // Confirm with the API, not the cache: a Job just created may not be cached yet.
      const job = this.client.tryGet(JOBS, pod.metadata.namespace ?? '', ref.name);
      if (job?.metadata.uid === ref.uid && !finishedCondition(job)) return;
    }
    await this.removeFinalizer(pod);
  }

  private async deletePod(job: KubeObject, pod: KubeObject): Promise<void> {
    try {
      await this.client.delete(PODS, pod.metadata.namespace ?? '', pod.metadata.name ?? '');
      this.recorder.event(job, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`);
    } catch (err) {
      if (!isIgnorable(err)) throw err;
    }
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    if (key.startsWith(ORPHAN_PREFIX)) {
      await this.reconcileOrphan(key.slice(ORPHAN_PREFIX.length));
      return;
    }
    const cached = this.jobs.getByKey(key);
    if (!cached) return;
    const { namespace } = splitKey(key);
    let job: KubeObject = cached;
    const uid = job.metadata.uid;
    const selector = labelSelectorFromJson(spec(job).selector) ?? nothing();
    const candidates = this.pods
      .list(namespace)
      .filter((p) => controllerRef(p)?.uid === uid || selector.matches(p.metadata.labels));

    if (finishedCondition(job)) {
      for (const pod of candidates)
        if (controllerRef(pod)?.uid === uid && hasFinalizer(pod)) await this.removeFinalizer(pod);
      return;
    }
    if (!this.expectations.satisfied(key)) return;
    const pods = job.metadata.deletionTimestamp
      ? candidates.filter((p) => controllerRef(p)?.uid === uid)
      : await claimObjects(this.client, PODS, job, selector, candidates, JOBS);

    const s = spec(job);
    const nowMs = this.now();
    const indexed = s.completionMode === 'Indexed';
    const completions = num(s.completions);
    const parallelism = num(s.parallelism) ?? 1;
    const backoffLimit = num(s.backoffLimit) ?? 6;
    const replaceOnlyFailed = s.podReplacementPolicy === 'Failed';
    const hasPolicy = Object.keys(record(s.podFailurePolicy)).length > 0;
    const oldStatus = record(job.status);
    const status: Record<string, unknown> = structuredClone(oldStatus);
    const uncountedOld = record(status.uncountedTerminatedPods);
    const uncountedSucceeded = new Set(
      Array.isArray(uncountedOld.succeeded) ? (uncountedOld.succeeded as string[]) : [],
    );
    const uncountedFailed = new Set(
      Array.isArray(uncountedOld.failed) ? (uncountedOld.failed as string[]) : [],
    );
    const completedIndexes = parseIndexes(status.completedIndexes, completions);
    let failJobMessage: string | undefined;

    /** isPodFailed: Failed, or being deleted before succeeding (unless only Failed is replaced). */
    const podFailed = (pod: KubeObject): boolean => {
      if (podPhase(pod) === 'Failed') return true;
      if (hasPolicy || replaceOnlyFailed) return false;
      return !!pod.metadata.deletionTimestamp && podPhase(pod) !== 'Succeeded';
    };

    // Once the job is finishing (or being deleted), every pod that did not succeed counts as
    // failed and is released: its pods are being stopped.
    const finishing =
      !!job.metadata.deletionTimestamp ||
      hasCondition(job, 'FailureTarget') ||
      hasCondition(job, 'SuccessCriteriaMet');

    // 1. Record newly finished pods as uncounted before releasing their finalizers.
    const toRelease: KubeObject[] = [];
    let newlyFailed = 0;
    let newlySucceeded = 0;
    for (const pod of pods) {
      if (!hasFinalizer(pod)) continue;
      const podUid = pod.metadata.uid ?? '';
      const succeeded = podPhase(pod) === 'Succeeded';
      const failed = !succeeded && (podFailed(pod) || finishing);
      if (!succeeded && !failed) continue;
      toRelease.push(pod);
      if (uncountedSucceeded.has(podUid) || uncountedFailed.has(podUid)) continue;
      if (succeeded) {
        const index = podIndex(pod);
        if (indexed) {
          if (index === undefined || index >= (completions ?? 0)) continue;
          completedIndexes.add(index);
        }
        uncountedSucceeded.add(podUid);
        newlySucceeded++;
        continue;
      }
      const match = hasPolicy ? matchPodFailurePolicy(job, pod) : undefined;
      if (match?.action === 'Ignore') continue;
      if (match?.action === 'FailJob') failJobMessage ??= match.message;
      uncountedFailed.add(podUid);
      newlyFailed++;
    }
    if (newlyFailed || newlySucceeded) {
      const record_ = this.backoff.get(key) ?? { failuresAfterLastSuccess: 0, lastFailureMs: 0 };
      if (newlySucceeded) record_.failuresAfterLastSuccess = 0;
      if (newlyFailed) {
        record_.failuresAfterLastSuccess += newlyFailed;
        record_.lastFailureMs = nowMs;
      }
      this.backoff.set(key, record_);
    }
    const setUncounted = () => {
      status.uncountedTerminatedPods = {
        ...(uncountedSucceeded.size ? { succeeded: [...uncountedSucceeded] } : {}),
        ...(uncountedFailed.size ? { failed: [...uncountedFailed] } : {}),
      };
      if (indexed) status.completedIndexes = formatIndexes(completedIndexes);
    };
    if (newlyFailed || newlySucceeded) {
      setUncounted();
      job = await this.client.updateStatus(JOBS, namespace, {
        ...job,
        status: structuredClone(status),
      });
    }

    // 2. Release the finalizers of finished pods; 3. move what is released into the counters.
    const released = new Set<string>();
    for (const pod of toRelease) {
      await this.removeFinalizer(pod);
      released.add(pod.metadata.uid ?? '');
    }
    const stillTracked = new Set(
      pods.filter((p) => hasFinalizer(p)).map((p) => p.metadata.uid ?? ''),
    );
    let succeededCount = num(status.succeeded) ?? 0;
    let failedCount = num(status.failed) ?? 0;
    for (const podUid of [...uncountedSucceeded]) {
      if (stillTracked.has(podUid) && !released.has(podUid)) continue;
      uncountedSucceeded.delete(podUid);
      if (!indexed) succeededCount++;
    }
    for (const podUid of [...uncountedFailed]) {
      if (stillTracked.has(podUid) && !released.has(podUid)) continue;
      uncountedFailed.delete(podUid);
      failedCount++;
    }
    if (indexed) succeededCount = completedIndexes.size;
    status.succeeded = succeededCount;
    status.failed = failedCount;
    setUncounted();

    // What runs now.
    const active = pods.filter((p) => !isFinished(p) && !p.metadata.deletionTimestamp);
    const terminating = pods.filter((p) => !isFinished(p) && p.metadata.deletionTimestamp);
    const totalSucceeded = succeededCount + (indexed ? 0 : uncountedSucceeded.size);
    const totalFailed = failedCount + uncountedFailed.size;
    const conditions: JobCondition[] = jobConditions(job).map((c) => ({ ...c }));
    const stamp = timeOf(nowMs);
    const setCondition = (type: string, st: string, reason: string, message: string) => {
      const existing = conditions.find((c) => c.type === type);
      if (existing) {
        if (existing.status === st && existing.reason === reason) return;
        if (existing.status !== st) existing.lastTransitionTime = stamp;
        Object.assign(existing, { status: st, reason, message, lastProbeTime: stamp });
        return;
      }
      conditions.push({
        type,
        status: st,
        lastProbeTime: stamp,
        lastTransitionTime: stamp,
        reason,
        message,
      });
    };

    let requeueAfterMs: number | undefined;
    const suspended = s.suspend === true;
    const wasSuspended = hasCondition(job, 'Suspended');
    let failureTarget = conditions.find((c) => c.type === 'FailureTarget' && c.status === 'True');
    let successTarget = conditions.find(
      (c) => c.type === 'SuccessCriteriaMet' && c.status === 'True',
    );

    if (!failureTarget && !successTarget) {
      const restarts =
        s.template && record(record(s.template).spec).restartPolicy === 'OnFailure'
          ? active.reduce((n, p) => {
              const cs = record(p.status).containerStatuses;
              return (
                n +
                (Array.isArray(cs)
                  ? (cs as { restartCount?: number }[]).reduce(
                      (m, c) => m + (c.restartCount ?? 0),
                      0,
                    )
                  : 0)
              );
            }, 0)
          : 0;
      const startMs = typeof status.startTime === 'string' ? Date.parse(status.startTime) : NaN;
      const deadline = num(s.activeDeadlineSeconds);
      let reason: string | undefined;
      let message = '';
      if (failJobMessage) {
        reason = 'PodFailurePolicy';
        message = failJobMessage;
      } else if (totalFailed > backoffLimit || (restarts > 0 && restarts >= backoffLimit)) {
        reason = 'BackoffLimitExceeded';
        message = 'Job has reached the specified backoff limit';
      } else if (!suspended && deadline !== undefined && !Number.isNaN(startMs)) {
        const left = startMs + deadline * 1000 - nowMs;
        if (left <= 0) {
          reason = 'DeadlineExceeded';
          message = 'Job was active longer than specified deadline';
        } else requeueAfterMs = left;
      }
      if (reason) {
        setCondition('FailureTarget', 'True', reason, message);
        failureTarget = conditions.find((c) => c.type === 'FailureTarget');
      } else {
        const done = indexed
          ? completedIndexes.size >= (completions ?? 0)
          : completions !== undefined
            ? totalSucceeded >= completions
            : totalSucceeded > 0 && active.length === 0;
        if (done) {
          setCondition(
            'SuccessCriteriaMet',
            'True',
            'CompletionsReached',
            'Reached expected number of succeeded pods',
          );
          successTarget = conditions.find((c) => c.type === 'SuccessCriteriaMet');
        }
      }
    }

    let activeCount: number;
    if (failureTarget || successTarget) {
      // Finishing: no pod of this job may keep running.
      for (const pod of active) await this.deletePod(job, pod);
      activeCount = 0;
      const settled =
        active.length === 0 &&
        terminating.length === 0 &&
        uncountedSucceeded.size === 0 &&
        uncountedFailed.size === 0 &&
        !pods.some((p) => hasFinalizer(p) && !released.has(p.metadata.uid ?? ''));
      if (settled && failureTarget) {
        setCondition('Failed', 'True', failureTarget.reason ?? '', failureTarget.message ?? '');
        this.recorder.event(
          job,
          'Warning',
          failureTarget.reason ?? 'Failed',
          failureTarget.message ?? '',
        );
      } else if (settled && successTarget) {
        setCondition('Complete', 'True', successTarget.reason ?? '', successTarget.message ?? '');
        status.completionTime = stamp;
        this.recorder.event(job, 'Normal', 'Completed', 'Job completed');
      } else if (!settled) requeueAfterMs = 1000;
    } else if (suspended) {
      for (const pod of active) await this.deletePod(job, pod);
      activeCount = 0;
      if (!wasSuspended) {
        setCondition('Suspended', 'True', 'JobSuspended', 'Job suspended');
        this.recorder.event(job, 'Normal', 'Suspended', 'Job suspended');
      }
    } else {
      if (wasSuspended) {
        setCondition('Suspended', 'False', 'JobResumed', 'Job resumed');
        this.recorder.event(job, 'Normal', 'Resumed', 'Job resumed');
        status.startTime = stamp;
      }
      if (typeof status.startTime !== 'string') {
        status.startTime = stamp;
        const deadline = num(s.activeDeadlineSeconds);
        if (deadline !== undefined) requeueAfterMs = deadline * 1000;
      }
      const managed = await this.managePods(job, key, {
        active,
        terminating: replaceOnlyFailed ? terminating : [],
        pods,
        indexed,
        completions,
        parallelism,
        totalSucceeded,
        completedIndexes,
        nowMs,
      });
      activeCount = managed.active;
      if (managed.requeueAfterMs !== undefined)
        requeueAfterMs = Math.min(requeueAfterMs ?? Infinity, managed.requeueAfterMs);
    }

    status.active = activeCount;
    status.ready = active.filter((p) => isPodReady(p)).length;
    status.terminating = terminating.length;
    if (conditions.length) status.conditions = conditions;
    if (canonicalJson(status) !== canonicalJson(record(job.status))) {
      await this.client.updateStatus(JOBS, namespace, { ...job, status });
    }
    return requeueAfterMs !== undefined ? { requeueAfterMs } : undefined;
  }

  /** manageJob: creates or deletes pods so `wanted` run; returns how many are active now. */
  private async managePods(
    job: KubeObject,
    key: string,
    m: {
      active: KubeObject[];
      terminating: KubeObject[];
      pods: KubeObject[];
      indexed: boolean;
      completions: number | undefined;
      parallelism: number;
      totalSucceeded: number;
      completedIndexes: Set<number>;
      nowMs: number;
    },
  ): Promise<{ active: number; requeueAfterMs?: number }> {
    let wanted: number;
    if (m.completions === undefined) {
      // Without completions the job is done once any pod succeeded: start nothing new then.
      wanted = m.totalSucceeded > 0 ? Math.min(m.active.length, m.parallelism) : m.parallelism;
    } else {
      const remaining = m.indexed
        ? m.completions - m.completedIndexes.size
        : m.completions - m.totalSucceeded;
      wanted = Math.max(0, Math.min(m.parallelism, remaining));
    }

    // Indexed: pods of completed or out-of-range indexes, and duplicates, go first.
    const excess: KubeObject[] = [];
    let keep = m.active;
    if (m.indexed) {
      const seen = new Set<number>();
      keep = [];
      for (const pod of m.active) {
        const index = podIndex(pod);
        if (
          index === undefined ||
          index >= (m.completions ?? 0) ||
          m.completedIndexes.has(index) ||
          seen.has(index)
        ) {
          excess.push(pod);
          continue;
        }
        seen.add(index);
        keep.push(pod);
      }
    }
    if (keep.length > wanted) {
      const ordered = sortPodsForDeletion(keep, m.pods);
      excess.push(...ordered.slice(0, keep.length - wanted));
    }
    for (const pod of excess.slice(0, MAX_CREATE_DELETE)) await this.deletePod(job, pod);
    const running = m.active.length - Math.min(excess.length, MAX_CREATE_DELETE);
    const occupying = running + m.terminating.length;
    if (occupying >= wanted) return { active: running };

    const rec = this.backoff.get(key);
    if (rec && rec.failuresAfterLastSuccess > 0) {
      const delay = Math.min(
        this.baseBackoffMs * 2 ** (rec.failuresAfterLastSuccess - 1),
        MAX_BACKOFF_MS,
      );
      const wait = rec.lastFailureMs + delay - m.nowMs;
      if (wait > 0) return { active: running, requeueAfterMs: wait };
    }

    let toCreate = Math.min(wanted - occupying, MAX_CREATE_DELETE);
    const indexes: (number | undefined)[] = [];
    if (m.indexed) {
      const busy = new Set<number>();
      for (const pod of [...m.active, ...m.terminating]) {
        const index = podIndex(pod);
        if (index !== undefined && !excess.includes(pod)) busy.add(index);
      }
      for (let i = 0; i < (m.completions ?? 0) && indexes.length < toCreate; i++) {
        if (!m.completedIndexes.has(i) && !busy.has(i)) indexes.push(i);
      }
      toCreate = indexes.length;
    } else {
      for (let i = 0; i < toCreate; i++) indexes.push(undefined);
    }
    this.expectations.expect(key, toCreate, []);
    let created = 0;
    for (const index of indexes) {
      try {
        const pod = await this.client.create(
          PODS,
          job.metadata.namespace ?? '',
          this.podFor(job, index),
        );
        created++;
        this.recorder.event(job, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata.name}`);
      } catch (err) {
        this.expectations.creationObserved(key);
        if (err instanceof StatusError && err.code === 409) continue;
        this.recorder.event(
          job,
          'Warning',
          'FailedCreate',
          `Error creating: ${(err as Error).message}`,
        );
        throw err;
      }
    }
    return { active: running + created };
  }

  /** The pod for one run of the template (getPodFromTemplate plus the Job's additions). */
  private podFor(job: KubeObject, index: number | undefined): KubeObject {
    const template = structuredClone(record(spec(job).template));
    const meta = record(template.metadata);
    const podSpec = record(template.spec);
    const name = job.metadata.name ?? '';
    const labels: Record<string, string> = { ...(meta.labels as Record<string, string>) };
    const annotations: Record<string, string> = {
      ...(meta.annotations as Record<string, string>),
    };
    if (index !== undefined) {
      labels[JOB_COMPLETION_INDEX] = String(index);
      annotations[JOB_COMPLETION_INDEX] = String(index);
      podSpec.hostname = `${name}-${index}`;
      // What the API server's defaulting would otherwise add: the index as an env variable.
      for (const field of ['initContainers', 'containers']) {
        const containers = podSpec[field];
        if (!Array.isArray(containers)) continue;
        for (const c of containers) {
          const container = record(c);
          const env: unknown[] = Array.isArray(container.env) ? container.env : [];
          if (env.some((e) => record(e).name === JOB_INDEX_ENV)) continue;
          container.env = [
            ...env,
            {
              name: JOB_INDEX_ENV,
              valueFrom: {
                fieldRef: {
                  apiVersion: 'v1',
                  fieldPath: `metadata.annotations['${JOB_COMPLETION_INDEX}']`,
                },
              },
            },
          ];
        }
      }
    }
    const metadata: Record<string, unknown> = {
      generateName: index === undefined ? `${name}-` : `${name}-${index}-`,
      labels,
      finalizers: [JOB_TRACKING_FINALIZER],
      ownerReferences: [newControllerRef(job)],
    };
    if (Object.keys(annotations).length) metadata.annotations = annotations;
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata,
      spec: podSpec,
    };
  }
}

export function newJobController(context: ControllerContext): JobController {
  return new JobController(context);
}
