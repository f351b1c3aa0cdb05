// End to end with the scheduler and simulated nodes: pods really run (for a simulated time),
// exit with the simulated code, and the Job controller reacts to what the node reports.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../api/types.ts';
import { eventually, startTestCluster, type TestCluster } from '../testing/cluster.ts';
import { Scheduler } from '../../scheduler/scheduler.ts';
import { registryBinder } from '../../scheduler/binder.ts';
import {
  SimulatedNodes,
  SIMULATE_EXIT_CODE,
  SIMULATE_RUN_SECONDS,
} from '../../../agent/simulated/simulated-nodes.ts';
import { JobController, JOBS } from './job-controller.ts';

const NS = 'default';

function job(name: string, annotations: Record<string, string>, spec: object): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name },
    spec: {
      template: {
        metadata: { annotations },
        spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox' }] },
      },
      ...spec,
    },
  };
}

function conditionOf(name: string, cluster: TestCluster, type: string) {
  const status = (cluster.client.tryGet(JOBS, NS, name)?.status ?? {}) as {
    conditions?: { type: string; status: string; reason?: string }[];
  };
  return status.conditions?.find((c) => c.type === type && c.status === 'True');
}

describe('JobController on simulated nodes', () => {
  let cluster: TestCluster;
  let controller: JobController;
  let scheduler: Scheduler;
  let nodes: SimulatedNodes;

  beforeEach(async () => {
    cluster = await startTestCluster();
    controller = new JobController(cluster.context('job-controller'), { podFailureBackoffMs: 20 });
    scheduler = new Scheduler({
      ...cluster.context('kube-scheduler'),
      bind: registryBinder(cluster.plane.registry),
    });
    nodes = new SimulatedNodes({
      client: cluster.plane.client('simulated-kubelet'),
      count: 2,
      leaseRenewIntervalMs: 100,
      statusUpdateIntervalMs: 100,
    });
    await nodes.start();
    controller.start();
    scheduler.start();
    cluster.informers.start();
  });

  afterEach(async () => {
    await scheduler.stop();
    await controller.stop();
    await nodes.stop();
    await cluster.stop();
  });

  it('completes a job whose pods exit 0', async () => {
    await cluster.client.create(
      JOBS,
      NS,
      job('ok', { [SIMULATE_RUN_SECONDS]: '0.2' }, { completions: 3, parallelism: 2 }),
    );
    const complete = await eventually(
      () => conditionOf('ok', cluster, 'Complete'),
      15_000,
      'Complete',
    );
    expect(complete.reason).toBe('CompletionsReached');
    const status = cluster.client.get(JOBS, NS, 'ok').status as Record<string, unknown>;
    expect(status.succeeded).toBe(3);
    expect(status.failed).toBe(0);
  }, 20_000);

  it('fails a job whose pods exit 1 with BackoffLimitExceeded', async () => {
    await cluster.client.create(
      JOBS,
      NS,
      job(
        'boom',
        { [SIMULATE_RUN_SECONDS]: '0.1', [SIMULATE_EXIT_CODE]: '1' },
        { backoffLimit: 1 },
      ),
    );
    const failed = await eventually(() => conditionOf('boom', cluster, 'Failed'), 15_000, 'Failed');
    expect(failed.reason).toBe('BackoffLimitExceeded');
    const status = cluster.client.get(JOBS, NS, 'boom').status as Record<string, unknown>;
    expect(status.failed).toBe(2);
  }, 20_000);
});
