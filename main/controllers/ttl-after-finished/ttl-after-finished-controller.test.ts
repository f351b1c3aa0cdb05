import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../api/types.ts';
import { eventually, startTestCluster, type TestCluster } from '../testing/cluster.ts';
import { JobController, JOBS } from '../job/job-controller.ts';
import { finishPod } from '../job/testing.ts';
import { PODS } from '../replicaset/replica-set-controller.ts';
import { TtlAfterFinishedController } from './ttl-after-finished-controller.ts';

const NS = 'default';

function job(name: string, ttl: number): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name },
    spec: {
      ttlSecondsAfterFinished: ttl,
      template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } },
    },
  };
}

describe('TtlAfterFinishedController', () => {
  let cluster: TestCluster;
  let jobs: JobController;
  let ttl: TtlAfterFinishedController;
  let offsetMs = 0;

  beforeEach(async () => {
    offsetMs = 0;
    cluster = await startTestCluster();
    jobs = new JobController(cluster.context('job-controller'));
    ttl = new TtlAfterFinishedController(cluster.context('ttl-after-finished-controller'), {
      now: () => Date.now() + offsetMs,
    });
    jobs.start();
    ttl.start();
    cluster.informers.start();
  });

  afterEach(async () => {
    await ttl.stop();
    await jobs.stop();
    await cluster.stop();
  });

  async function finishedJob(name: string, seconds: number, wait = true): Promise<void> {
    await cluster.client.create(JOBS, NS, job(name, seconds));
    const pod = await eventually(
      () =>
        cluster.client.list(PODS, NS).items.find((p) => p.metadata.name?.startsWith(`${name}-`)),
      10_000,
      'pod',
    );
    // Not finished yet: the TTL does not apply.
    expect(cluster.client.tryGet(JOBS, NS, name)).toBeDefined();
    await finishPod(cluster.client, pod, 0);
    if (!wait) return;
    await eventually(
      () =>
        (
          (cluster.client.tryGet(JOBS, NS, name)?.status as { conditions?: { type: string }[] })
            ?.conditions ?? []
        ).some((c) => c.type === 'Complete'),
      10_000,
      'Complete',
    );
  }

  it('deletes a finished job once its TTL has passed', async () => {
    await finishedJob('zero', 0, false);
    await eventually(() => !cluster.client.tryGet(JOBS, NS, 'zero'), 10_000, 'job deleted');
  });

  it('keeps a finished job until the TTL expires by the clock', async () => {
    await finishedJob('later', 3600);
    await new Promise((r) => setTimeout(r, 200));
    expect(cluster.client.tryGet(JOBS, NS, 'later')).toBeDefined();
    offsetMs = 3601_000;
    // Re-trigger a look (a real run would wake by its requeue timer).
    await ttl.reconcile(`${NS}/later`);
    expect(cluster.client.tryGet(JOBS, NS, 'later')).toBeUndefined();
  });
});
