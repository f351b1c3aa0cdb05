import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../api/types.ts';
import { eventually, startTestCluster, type TestCluster } from '../testing/cluster.ts';
import { PODS } from '../replicaset/replica-set-controller.ts';
import { controllerRef } from '../replicaset/controller-utils.ts';
import { JobController, JOBS } from './job-controller.ts';
import { GarbageCollector } from '../garbage-collector/garbage-collector.ts';
import { finishPod } from './testing.ts';
import {
  JOB_COMPLETION_INDEX,
  JOB_TRACKING_FINALIZER,
  formatIndexes,
  parseIndexes,
} from './job-util.ts';

const NS = 'default';

function jobManifest(name: string, spec: Record<string, unknown>): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name },
    spec: {
      template: {
        spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox' }] },
      },
      ...spec,
    },
  };
}

function status(job: KubeObject | undefined): Record<string, unknown> {
  return (job?.status ?? {}) as Record<string, unknown>;
}

function condition(job: KubeObject | undefined, type: string) {
  const list = (status(job).conditions ?? []) as {
    type: string;
    status: string;
    reason?: string;
    message?: string;
  }[];
  return list.find((c) => c.type === type && c.status === 'True');
}

describe('job-util', () => {
  it('formats and parses completed index intervals', () => {
    expect(formatIndexes([4, 0, 2, 3, 7])).toBe('0,2-4,7');
    expect([...parseIndexes('0,2-4,7', 5)]).toEqual([0, 2, 3, 4]);
  });
});

describe('JobController', () => {
  let cluster: TestCluster;
  let controller: JobController;

  beforeEach(async () => {
    cluster = await startTestCluster();
    controller = new JobController(cluster.context('job-controller'), { podFailureBackoffMs: 20 });
    controller.start();
    cluster.informers.start();
  });

  afterEach(async () => {
    await controller.stop();
    await cluster.stop();
  });

  const pods = (job: KubeObject) =>
    cluster.client.list(PODS, NS).items.filter((p) => controllerRef(p)?.uid === job.metadata.uid);
  const running = (job: KubeObject) =>
    pods(job).filter(
      (p) =>
        !p.metadata.deletionTimestamp &&
        !['Succeeded', 'Failed'].includes(
          (p.status as { phase?: string } | undefined)?.phase ?? '',
        ),
    );
  const getJob = (name: string) => cluster.client.tryGet(JOBS, NS, name);

  it('runs completions=5 with parallelism=2, never more than 2 at a time, then Completes', async () => {
    const job = await cluster.client.create(
      JOBS,
      NS,
      jobManifest('five', { completions: 5, parallelism: 2 }),
    );
    let maxActive = 0;
    for (let done = 0; done < 5;) {
      const now = await eventually(
        () => {
          const r = running(job);
          return r.length > 0 && r;
        },
        10_000,
        'running pods',
      );
      maxActive = Math.max(maxActive, now.length);
      const pod = now[0];
      expect(pod.metadata.finalizers).toContain(JOB_TRACKING_FINALIZER);
      expect(pod.metadata.labels?.['batch.kubernetes.io/job-name']).toBe('five');
      expect(pod.metadata.labels?.['batch.kubernetes.io/controller-uid']).toBe(job.metadata.uid);
      await finishPod(cluster.client, pod, 0);
      done++;
      await eventually(
        () => (status(getJob('five')).succeeded ?? 0) === done,
        10_000,
        `${done} succeeded`,
      );
    }
    const final = await eventually(
      () => {
        const j = getJob('five');
        return condition(j, 'Complete') && j;
      },
      10_000,
      'Complete',
    );
    expect(maxActive).toBeLessThanOrEqual(2);
    expect(maxActive).toBe(2);
    expect(condition(final, 'SuccessCriteriaMet')?.reason).toBe('CompletionsReached');
    expect(status(final).completionTime).toBeTypeOf('string');
    expect(status(final).succeeded).toBe(5);
    expect(status(final).active).toBe(0);
    expect(pods(job).length).toBe(5);
    // Every finished pod lost its tracking finalizer.
    await eventually(
      () => pods(job).every((p) => !p.metadata.finalizers?.length),
      5000,
      'finalizers',
    );
    await controller.flushEvents();
    const reasons = cluster.client
      .list({ group: '', version: 'v1', resource: 'events' }, NS)
      .items.map((e) => e.reason);
    expect(reasons).toContain('SuccessfulCreate');
    expect(reasons).toContain('Completed');
  });

  it('fails with BackoffLimitExceeded once more pods failed than backoffLimit', async () => {
    const job = await cluster.client.create(JOBS, NS, jobManifest('bad', { backoffLimit: 1 }));
    for (let i = 1; i <= 2; i++) {
      const pod = await eventually(() => running(job)[0], 10_000, `pod ${i}`);
      await finishPod(cluster.client, pod, 1);
      await eventually(() => (status(getJob('bad')).failed ?? 0) === i, 10_000, `${i} failed`);
    }
    const final = await eventually(
      () => {
        const j = getJob('bad');
        return condition(j, 'Failed') && j;
      },
      10_000,
      'Failed',
    );
    expect(condition(final, 'Failed')?.reason).toBe('BackoffLimitExceeded');
    expect(condition(final, 'Failed')?.message).toBe('Job has reached the specified backoff limit');
    expect(condition(final, 'FailureTarget')?.reason).toBe('BackoffLimitExceeded');
    expect(pods(job).length).toBe(2);
    await controller.flushEvents();
    const events = cluster.client.list({ group: '', version: 'v1', resource: 'events' }, NS).items;
    expect(events.some((e) => e.reason === 'BackoffLimitExceeded' && e.type === 'Warning')).toBe(
      true,
    );
  });

  it('fails with DeadlineExceeded after activeDeadlineSeconds and removes active pods', async () => {
    const job = await cluster.client.create(
      JOBS,
      NS,
      jobManifest('slow', { activeDeadlineSeconds: 1, parallelism: 2, completions: 4 }),
    );
    await eventually(() => running(job).length === 2, 10_000, 'two pods');
    const final = await eventually(
      () => {
        const j = getJob('slow');
        return condition(j, 'Failed') && j;
      },
      10_000,
      'Failed',
    );
    expect(condition(final, 'Failed')?.reason).toBe('DeadlineExceeded');
    expect(condition(final, 'Failed')?.message).toBe(
      'Job was active longer than specified deadline',
    );
    expect(running(job)).toEqual([]);
    expect(status(final).active).toBe(0);
  });

  it('gives Indexed pods their completion index and records completedIndexes', async () => {
    const job = await cluster.client.create(
      JOBS,
      NS,
      jobManifest('idx', { completions: 3, parallelism: 3, completionMode: 'Indexed' }),
    );
    const three = await eventually(
      () => running(job).length === 3 && running(job),
      10_000,
      'three pods',
    );
    const indexes = three.map((p) => p.metadata.annotations?.[JOB_COMPLETION_INDEX]).sort();
    expect(indexes).toEqual(['0', '1', '2']);
    for (const pod of three) {
      const index = pod.metadata.annotations?.[JOB_COMPLETION_INDEX];
      expect(pod.metadata.labels?.[JOB_COMPLETION_INDEX]).toBe(index);
      expect(pod.metadata.name?.startsWith(`idx-${index}-`)).toBe(true);
      const env = (pod.spec as { containers: { env?: { name: string }[] }[] }).containers[0].env;
      expect(env?.some((e) => e.name === 'JOB_COMPLETION_INDEX')).toBe(true);
    }
    const one = three.find((p) => p.metadata.annotations?.[JOB_COMPLETION_INDEX] === '1')!;
    await finishPod(cluster.client, one, 0);
    await eventually(() => status(getJob('idx')).completedIndexes === '1', 10_000, 'index 1 done');
    for (const pod of running(job)) await finishPod(cluster.client, pod, 0);
    const final = await eventually(
      () => {
        const j = getJob('idx');
        return condition(j, 'Complete') && j;
      },
      10_000,
      'Complete',
    );
    expect(status(final).completedIndexes).toBe('0-2');
    expect(status(final).succeeded).toBe(3);
  });

  it('fails the job at once on a podFailurePolicy FailJob rule, ignores Ignore matches', async () => {
    const job = await cluster.client.create(
      JOBS,
      NS,
      jobManifest('policy', {
        backoffLimit: 5,
        podFailurePolicy: {
          rules: [
            { action: 'Ignore', onExitCodes: { operator: 'In', values: [7] } },
            {
              action: 'FailJob',
              onExitCodes: { containerName: 'main', operator: 'In', values: [42] },
            },
          ],
        },
      }),
    );
    const first = await eventually(() => running(job)[0], 10_000, 'pod');
    await finishPod(cluster.client, first, 7);
    const second = await eventually(
      () => running(job).find((p) => p.metadata.uid !== first.metadata.uid),
      10_000,
      'replacement',
    );
    expect(status(getJob('policy')).failed ?? 0).toBe(0);
    await finishPod(cluster.client, second, 42);
    const final = await eventually(
      () => {
        const j = getJob('policy');
        return condition(j, 'Failed') && j;
      },
      10_000,
      'Failed',
    );
    expect(condition(final, 'Failed')?.reason).toBe('PodFailurePolicy');
    expect(condition(final, 'Failed')?.message).toBe(
      `Container main for pod ${NS}/${second.metadata.name} failed with exit code 42 matching FailJob rule at index 1`,
    );
    expect(status(final).failed).toBe(1);
  });

  it('deletes active pods while suspended and recreates them on resume', async () => {
    const job = await cluster.client.create(
      JOBS,
      NS,
      jobManifest('sus', { parallelism: 1, completions: 1 }),
    );
    await eventually(() => running(job).length === 1, 10_000, 'pod');
    const suspend = (value: boolean) =>
      cluster.client.patch(JOBS, NS, 'sus', 'application/merge-patch+json', {
        spec: { suspend: value },
      });
    await suspend(true);
    await eventually(
      () => running(job).length === 0 && condition(getJob('sus'), 'Suspended'),
      10_000,
      'suspended',
    );
    expect(status(getJob('sus')).active).toBe(0);
    await suspend(false);
    await eventually(() => running(job).length === 1, 10_000, 'resumed pod');
    await eventually(
      () =>
        (status(getJob('sus')).conditions as { type: string; reason?: string }[]).some(
          (c) => c.type === 'Suspended' && c.reason === 'JobResumed',
        ),
      10_000,
      'resumed condition',
    );
  });

  it('releases the tracking finalizer when the Job is deleted, so its pods can go', async () => {
    const gc = new GarbageCollector(cluster.context('garbage-collector'));
    gc.start();
    cluster.informers.start();
    try {
      const job = await cluster.client.create(
        JOBS,
        NS,
        jobManifest('gone', { parallelism: 2, completions: 2 }),
      );
      await eventually(() => running(job).length === 2, 10_000, 'two pods');
      await cluster.client.delete(JOBS, NS, 'gone', { propagationPolicy: 'Background' });
      await eventually(() => pods(job).length === 0, 10_000, 'pods deleted');
    } finally {
      await gc.stop();
    }
  });
});
