// Jobs on a simulated cluster (`skiff serve --simulated-nodes 3`) driven by real kubectl:
// completions/parallelism, backoffLimit, activeDeadlineSeconds, TTL-after-finished and Indexed
// completion — kube-controller-manager's job and ttl controllers (CronJobs: cronjobs.test.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSkiffWithNodes } from './support/skiff.ts';
import type { Skiff } from './support/skiff.ts';
import { createObjects, namespace } from './support/fixtures.ts';
import { eventually, ok, sleep } from './support/helpers.ts';

const image = 'registry.local/skiff/worker:1';
const RUN_SECONDS = 'skiff.dev/simulate-run-seconds';
const EXIT_CODE = 'skiff.dev/simulate-exit-code';

interface Condition {
  type: string;
  status: string;
  reason?: string;
}

interface Job {
  metadata: { name: string };
  status?: {
    active?: number;
    succeeded?: number;
    failed?: number;
    conditions?: Condition[];
  };
}

interface Pod {
  metadata: { name: string; annotations?: Record<string, string>; deletionTimestamp?: string };
  status?: { phase?: string };
}

let skiff: Skiff;

beforeAll(async () => {
  skiff = await startSkiffWithNodes(3);
});

afterAll(async () => {
  await skiff?.stop();
});

// ---- helpers (local to this suite) ----

async function run(args: string[], timeoutMs = 30_000, input?: string): Promise<string> {
  return ok(await skiff.kubectl(args, { timeoutMs, input }));
}

async function getJson<T>(path: string): Promise<T> {
  const response = await skiff.api(path);
  expect(response.status, `GET ${path}: ${response.text}`).toBe(200);
  return response.json<T>();
}

const jobPath = (ns: string, name: string): string =>
  `/apis/batch/v1/namespaces/${ns}/jobs/${name}`;

async function jobPods(ns: string, name: string): Promise<Pod[]> {
  const path = `/api/v1/namespaces/${ns}/pods?labelSelector=job-name%3D${name}`;
  return (await getJson<{ items: Pod[] }>(path)).items;
}

/** Creates the namespace and a Job in it whose pods carry `annotations`. */
async function createJob(
  ns: string,
  name: string,
  spec: Record<string, unknown>,
  annotations: Record<string, string> = {},
): Promise<void> {
  await createObjects(skiff, namespace(ns));
  const job = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: ns },
    spec: {
      ...spec,
      template: {
        metadata: { annotations },
        spec: { restartPolicy: 'Never', containers: [{ name: 'work', image }] },
      },
    },
  };
  await run(['create', '-f', '-'], 30_000, JSON.stringify(job));
}

/** Waits for a True condition of `type` on the Job and returns it. */
async function condition(ns: string, name: string, type: string, ms = 60_000): Promise<Condition> {
  return eventually(
    `job ${name} ${type}`,
    async () => {
      const job = await getJson<Job>(jobPath(ns, name));
      return job.status?.conditions?.find((c) => c.type === type && c.status === 'True') ?? false;
    },
    ms,
    200,
  );
}

// ---- Jobs ----

describe('Job', () => {
  it('completions=5 parallelism=2 completes with never more than 2 active', async () => {
    const ns = 'job-parallel';
    await createJob(ns, 'x', { completions: 5, parallelism: 2 }, { [RUN_SECONDS]: '1' });
    const violations: string[] = [];
    let maxActive = 0;
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const [job, pods] = await Promise.all([getJson<Job>(jobPath(ns, 'x')), jobPods(ns, 'x')]);
        const active = job.status?.active ?? 0;
        maxActive = Math.max(maxActive, active);
        if (active > 2) violations.push(`status.active = ${active}`);
        const running = pods.filter(
          (p) =>
            !p.metadata.deletionTimestamp &&
            (p.status?.phase === 'Running' || p.status?.phase === 'Pending'),
        );
        if (running.length > 2) violations.push(`${running.length} pods running or pending`);
        await sleep(50);
      }
    })();
    try {
      const out = await run(
        ['wait', '--for=condition=complete', 'job/x', '-n', ns, '--timeout=60s'],
        65_000,
      );
      expect(out).toContain('job.batch/x condition met');
    } finally {
      watching = false;
      await watcher;
    }
    expect(violations).toEqual([]);
    expect(maxActive).toBe(2);
    const job = await getJson<Job>(jobPath(ns, 'x'));
    expect(job.status?.succeeded).toBe(5);
    expect(job.status?.active ?? 0).toBe(0);
    const succeeded = (await jobPods(ns, 'x')).filter((p) => p.status?.phase === 'Succeeded');
    expect(succeeded).toHaveLength(5);
    expect(await run(['get', 'job', 'x', '-n', ns])).toMatch(/^x\s+Complete\s+5\/5\s+/m);
  });

  it('a Job whose pods fail ends Failed with BackoffLimitExceeded', async () => {
    const ns = 'job-backoff';
    await createJob(ns, 'fails', { backoffLimit: 1 }, { [RUN_SECONDS]: '1', [EXIT_CODE]: '1' });
    const failed = await condition(ns, 'fails', 'Failed', 90_000);
    expect(failed.reason).toBe('BackoffLimitExceeded');
    const job = await getJson<Job>(jobPath(ns, 'fails'));
    expect(job.status?.failed).toBe(2);
    expect(job.status?.conditions?.some((c) => c.type === 'Complete')).toBe(false);
    const events = await run(['get', 'events', '-n', ns]);
    expect(events).toMatch(
      /BackoffLimitExceeded\s+job\/fails\s+Job has reached the specified backoff limit/,
    );
  }, 120_000);

  it('activeDeadlineSeconds ends a long-running Job Failed with DeadlineExceeded', async () => {
    const ns = 'job-deadline';
    await createJob(ns, 'slow', { activeDeadlineSeconds: 2, parallelism: 2, completions: 2 });
    await eventually(
      'two running pods',
      async () =>
        (await jobPods(ns, 'slow')).filter((p) => p.status?.phase === 'Running').length === 2,
      20_000,
    );
    const failed = await condition(ns, 'slow', 'Failed', 20_000);
    expect(failed.reason).toBe('DeadlineExceeded');
    await eventually(
      'the running pods removed',
      async () =>
        (await jobPods(ns, 'slow')).every(
          (p) => p.metadata.deletionTimestamp !== undefined || p.status?.phase !== 'Running',
        ),
      20_000,
    );
    const job = await getJson<Job>(jobPath(ns, 'slow'));
    expect(job.status?.active ?? 0).toBe(0);
  });

  it('ttlSecondsAfterFinished 1 deletes the completed Job', async () => {
    const ns = 'job-ttl';
    await createJob(ns, 'brief', { ttlSecondsAfterFinished: 1 }, { [RUN_SECONDS]: '1' });
    // The Job may be gone within a second of completing, so its Complete state is seen by a watch.
    const watch = skiff.kubectlStream(['get', 'jobs', '-n', ns, '-w', '-o', 'json']);
    try {
      await watch.waitForOutput(/"name": "brief"/, 10_000);
      await watch.waitForOutput(/"type": "Complete"/, 30_000);
      await eventually(
        'the Job deleted',
        async () => (await skiff.api(jobPath(ns, 'brief'))).status === 404,
        20_000,
        50,
      );
    } finally {
      await watch.stop('SIGKILL');
    }
    // Its pods go with it (foreground/background deletion by the garbage collector).
    await eventually(
      'the pods deleted',
      async () => (await jobPods(ns, 'brief')).length === 0,
      20_000,
    );
  });

  it('an Indexed Job annotates its pods with completion indexes 0..2', async () => {
    const ns = 'job-indexed';
    await createJob(
      ns,
      'idx',
      { completions: 3, parallelism: 3, completionMode: 'Indexed' },
      { [RUN_SECONDS]: '1' },
    );
    const out = await run(
      ['wait', '--for=condition=complete', 'job/idx', '-n', ns, '--timeout=60s'],
      65_000,
    );
    expect(out).toContain('job.batch/idx condition met');
    const pods = await jobPods(ns, 'idx');
    const indexes = pods
      .map((p) => p.metadata.annotations?.['batch.kubernetes.io/job-completion-index'])
      .sort();
    expect(indexes).toEqual(['0', '1', '2']);
    const job = await getJson<{ status?: { completedIndexes?: string } }>(jobPath(ns, 'idx'));
    expect(job.status?.completedIndexes).toBe('0-2');
  });
});
