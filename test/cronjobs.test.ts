// CronJobs on a simulated cluster (`skiff serve --simulated-nodes 3`) driven by real kubectl:
// the schedule, concurrencyPolicy Forbid and Replace, suspend, the jobs history limits and
// `kubectl create job --from=cronjob/…` — kube-controller-manager's cronjob controller.
// Schedules run on the real clock, so every CronJob is created at once in beforeAll and the cases
// watch the same two minute boundaries (about two and a half minutes for the whole suite).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSkiffWithNodes } from './support/skiff.ts';
import type { Skiff } from './support/skiff.ts';
import { createObjects, namespace } from './support/fixtures.ts';
import { eventually, getJson, ok, sleep, tableOf } from './support/helpers.ts';

const image = 'registry.local/skiff/worker:1';
const RUN_SECONDS = 'skiff.dev/simulate-run-seconds';
const EXIT_CODE = 'skiff.dev/simulate-exit-code';
const ns = 'cronjobs';
/** Long enough to span both minute boundaries the suite watches. */
const LONG_RUN = '240';
/** Time for two minute boundaries to pass after the CronJobs exist, plus slack for a slow machine. */
const TWO_MINUTES_MS = 150_000;

interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
}

interface Job {
  metadata: {
    name: string;
    uid: string;
    annotations?: Record<string, string>;
    ownerReferences?: OwnerReference[];
    deletionTimestamp?: string;
  };
  status?: { conditions?: { type: string; status: string }[] };
}

interface Event {
  reason: string;
  message: string;
  type: string;
  involvedObject: { kind: string; name: string };
}

interface CronJob {
  metadata: { uid: string };
  status?: { active?: { name: string }[]; lastScheduleTime?: string };
}

let skiff: Skiff;

beforeAll(async () => {
  skiff = await startSkiffWithNodes(3);
  await createObjects(skiff, namespace(ns));
  // Every CronJob at once, so the cases share the real-time wait.
  ok(
    await skiff.kubectl([
      'create',
      'cronjob',
      'tick',
      `--image=${image}`,
      '--schedule=* * * * *',
      '-n',
      ns,
    ]),
  );
  const cronJobs = [
    cronJob('forbid', { concurrencyPolicy: 'Forbid' }, { [RUN_SECONDS]: LONG_RUN }),
    cronJob('replace', { concurrencyPolicy: 'Replace' }, { [RUN_SECONDS]: LONG_RUN }),
    cronJob('paused', { suspend: true }),
    cronJob('template', { suspend: true }, { [RUN_SECONDS]: '1' }),
    cronJob(
      'keep',
      { successfulJobsHistoryLimit: 1, failedJobsHistoryLimit: 1 },
      { [RUN_SECONDS]: '1' },
    ),
    cronJob(
      'fail',
      { successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 1 },
      { [RUN_SECONDS]: '1', [EXIT_CODE]: '1' },
      { backoffLimit: 0 },
    ),
  ];
  ok(
    await skiff.kubectl(['create', '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: cronJobs }),
    }),
  );
}, 90_000);

afterAll(async () => {
  await skiff?.stop();
});

// ---- helpers (local to this suite) ----

async function run(args: string[], timeoutMs = 30_000): Promise<string> {
  return ok(await skiff.kubectl(args, { timeoutMs }));
}

function cronJob(
  name: string,
  spec: Record<string, unknown>,
  podAnnotations: Record<string, string> = {},
  jobSpec: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name, namespace: ns },
    spec: {
      schedule: '* * * * *',
      ...spec,
      jobTemplate: {
        spec: {
          ...jobSpec,
          template: {
            metadata: { annotations: podAnnotations },
            spec: { restartPolicy: 'Never', containers: [{ name: 'work', image }] },
          },
        },
      },
    },
  };
}

/** The CronJob's Jobs that are not being deleted, oldest schedule first. */
async function jobsOf(name: string): Promise<Job[]> {
  const list = await getJson<{ items: Job[] }>(skiff, ['jobs', '-n', ns]);
  return list.items
    .filter(
      (j) =>
        !j.metadata.deletionTimestamp &&
        j.metadata.ownerReferences?.some((o) => o.kind === 'CronJob' && o.name === name),
    )
    .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
}

async function eventsOf(name: string): Promise<Event[]> {
  const list = await getJson<{ items: Event[] }>(skiff, [
    'events',
    '-n',
    ns,
    '--field-selector',
    `involvedObject.kind=CronJob,involvedObject.name=${name}`,
  ]);
  return list.items;
}

/** Minutes since the epoch that a scheduled Job's name ends with. */
function minuteOf(job: Job): number {
  return Number(job.metadata.name.slice(job.metadata.name.lastIndexOf('-') + 1));
}

function finished(job: Job): string | undefined {
  return job.status?.conditions?.find(
    (c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
  )?.type;
}

/** Waits until the wall clock is `ms` past the start of `minute` (minutes since the epoch). */
async function waitPast(minute: number, ms: number): Promise<void> {
  const wait = minute * 60_000 + ms - Date.now();
  if (wait > 0) await sleep(wait);
}

// ---- the cases ----

describe('CronJob (slow: waits for two minute boundaries)', () => {
  it('kubectl create cronjob with schedule "* * * * *" creates a Job named after the scheduled minute', async () => {
    const name = await eventually(
      'a Job of the CronJob',
      async () => (await jobsOf('tick'))[0]?.metadata.name ?? false,
      TWO_MINUTES_MS,
      500,
    );
    // The Job name is the CronJob's name and the scheduled time in minutes since the epoch.
    expect(name).toMatch(/^tick-\d{8}$/);
    // lastScheduleTime is the scheduled time of the newest Job.
    await eventually(
      'status.lastScheduleTime of the newest Job',
      async () => {
        const newest = (await jobsOf('tick')).at(-1);
        const cj = await getJson<CronJob>(skiff, ['cronjob', 'tick', '-n', ns]);
        const last = cj.status?.lastScheduleTime;
        return (
          newest !== undefined &&
          last !== undefined &&
          minuteOf(newest) * 60_000 === Date.parse(last)
        );
      },
      10_000,
    );
    const events = await eventsOf('tick');
    expect(events.map((e) => `${e.reason}: ${e.message}`)).toContain(
      `SuccessfulCreate: Created job ${name}`,
    );
  }, 180_000);

  it('concurrencyPolicy Forbid starts no second Job while the first still runs', async () => {
    const first = await eventually(
      'the first Job',
      async () => (await jobsOf('forbid'))[0] ?? false,
      TWO_MINUTES_MS,
      500,
    );
    // The next schedule passes with the first Job running.
    await waitPast(minuteOf(first) + 1, 5_000);
    await eventually(
      'a JobAlreadyActive event',
      async () =>
        (await eventsOf('forbid')).find(
          (e) =>
            e.reason === 'JobAlreadyActive' &&
            e.message ===
              'Not starting job because prior execution is running and concurrency policy is Forbid',
        ) ?? false,
      20_000,
      500,
    );
    const jobs = await jobsOf('forbid');
    expect(jobs.map((j) => j.metadata.name)).toEqual([first.metadata.name]);
    expect(finished(jobs[0])).toBeUndefined();
    const cj = await getJson<CronJob>(skiff, ['cronjob', 'forbid', '-n', ns]);
    expect(cj.status?.active?.map((a) => a.name)).toEqual([first.metadata.name]);
    const [row] = tableOf(await run(['get', 'cronjob', 'forbid', '-n', ns]));
    expect(row).toMatchObject({ NAME: 'forbid', SUSPEND: 'False', ACTIVE: '1' });
  }, 180_000);

  it('concurrencyPolicy Replace deletes the running Job and starts the next one', async () => {
    // The replacement may have happened before this case looks, so it reads the events.
    const { replaced, next } = await eventually(
      'a Job replaced by the next one',
      async () => {
        const jobs = await jobsOf('replace');
        for (const event of await eventsOf('replace')) {
          const deleted = /^Deleted job (replace-\d+)$/.exec(event.message)?.[1];
          if (event.reason !== 'SuccessfulDelete' || !deleted) continue;
          const minute = Number(deleted.slice('replace-'.length));
          const following = jobs.find((j) => minuteOf(j) === minute + 1);
          if (following) return { replaced: deleted, next: following.metadata.name };
        }
        return false;
      },
      TWO_MINUTES_MS,
      500,
    );
    await eventually(
      'the replaced Job gone',
      async () => {
        const result = await skiff.kubectl(['get', 'job', replaced, '-n', ns]);
        return result.code !== 0 && /NotFound/.test(result.stderr);
      },
      30_000,
      500,
    );
    const jobs = await jobsOf('replace');
    expect(jobs.map((j) => j.metadata.name)).toContain(next);
    expect(jobs.every((j) => finished(j) === undefined)).toBe(true);
    const messages = (await eventsOf('replace')).map((e) => `${e.reason}: ${e.message}`);
    expect(messages).toContain(`SuccessfulCreate: Created job ${next}`);
  }, 180_000);

  it('successfulJobsHistoryLimit and failedJobsHistoryLimit 1 keep only the newest finished Job', async () => {
    for (const [name, outcome] of [
      ['keep', 'Complete'],
      ['fail', 'Failed'],
    ] as const) {
      // The pruning may have happened before this case looks, so it reads the events.
      const { pruned, kept } = await eventually(
        `an older ${outcome} Job of ${name} pruned`,
        async () => {
          const jobs = await jobsOf(name);
          if (jobs.length !== 1 || finished(jobs[0]) !== outcome) return false;
          for (const event of await eventsOf(name)) {
            const deleted = new RegExp(`^Deleted job (${name}-\\d+)$`).exec(event.message)?.[1];
            if (event.reason !== 'SuccessfulDelete' || !deleted) continue;
            if (Number(deleted.slice(name.length + 1)) < minuteOf(jobs[0]))
              return { pruned: deleted, kept: jobs[0] };
          }
          return false;
        },
        TWO_MINUTES_MS,
        500,
      );
      expect(kept.metadata.name).not.toBe(pruned);
      const messages = (await eventsOf(name)).map((e) => `${e.reason}: ${e.message}`);
      expect(messages).toContain(
        `SawCompletedJob: Saw completed job: ${pruned}, condition: ${outcome}`,
      );
    }
  }, 200_000);

  it('suspend: true creates no Jobs', async () => {
    const created = Date.parse(
      await run([
        'get',
        'cronjob',
        'paused',
        '-n',
        ns,
        '-o',
        'jsonpath={.metadata.creationTimestamp}',
      ]),
    );
    // Two boundaries after its creation (the other cases have usually waited for them already).
    await waitPast(Math.floor(created / 60_000) + 2, 3_000);
    expect(await jobsOf('paused')).toEqual([]);
    const cj = await getJson<CronJob>(skiff, ['cronjob', 'paused', '-n', ns]);
    expect(cj.status?.lastScheduleTime).toBeUndefined();
    const [row] = tableOf(await run(['get', 'cronjob', 'paused', '-n', ns]));
    expect(row).toMatchObject({ SUSPEND: 'True', ACTIVE: '0', 'LAST SCHEDULE': '<none>' });
  }, 180_000);

  it('kubectl create job --from=cronjob makes a Job owned by the CronJob, which runs it and warns', async () => {
    expect(await run(['create', 'job', 'manual', '--from=cronjob/template', '-n', ns])).toContain(
      'job.batch/manual created',
    );
    const cj = await getJson<CronJob>(skiff, ['cronjob', 'template', '-n', ns]);
    const job = await getJson<Job>(skiff, ['job', 'manual', '-n', ns]);
    expect(job.metadata.annotations?.['cronjob.kubernetes.io/instantiate']).toBe('manual');
    expect(job.metadata.ownerReferences).toEqual([
      {
        apiVersion: 'batch/v1',
        kind: 'CronJob',
        name: 'template',
        uid: cj.metadata.uid,
        controller: true,
      },
    ]);
    // The Job runs even though its CronJob is suspended, and is not counted active by it.
    expect(
      await run(
        ['wait', '--for=condition=complete', 'job/manual', '-n', ns, '--timeout=60s'],
        65_000,
      ),
    ).toContain('job.batch/manual condition met');
    const after = await getJson<CronJob>(skiff, ['cronjob', 'template', '-n', ns]);
    expect(after.status?.active ?? []).toEqual([]);
    const warning = (await eventsOf('template')).find((e) => e.reason === 'UnexpectedJob');
    expect(warning).toMatchObject({
      type: 'Warning',
      message: 'Saw a job that the controller did not create or forgot: manual',
    });
    // Deleting the CronJob takes the Job with it (the garbage collector follows the reference).
    ok(await skiff.kubectl(['delete', 'cronjob', 'template', '-n', ns]));
    await eventually(
      'the manual Job deleted',
      async () => (await skiff.kubectl(['get', 'job', 'manual', '-n', ns])).code !== 0,
      30_000,
      500,
    );
  }, 90_000);
});
