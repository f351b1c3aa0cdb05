import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../api/types.ts';
import { parseCronSchedule, type CronSchedule } from '../../apiserver/validation/cron.ts';
import { eventually, startTestCluster, type TestCluster } from '../testing/cluster.ts';
import { JobController, JOBS } from '../job/job-controller.ts';
import { finishPod } from '../job/testing.ts';
import { PODS } from '../replicaset/replica-set-controller.ts';
import { controllerRef } from '../replicaset/controller-utils.ts';
import {
  CronJobController,
  CRON_JOBS,
  SCHEDULED_TIMESTAMP_ANNOTATION,
} from './cronjob-controller.ts';
import { formatInZone, nextActivation } from './schedule.ts';

const NS = 'default';
const EVENTS = { group: '', version: 'v1', resource: 'events' };

function schedule(spec: string): CronSchedule {
  const s = parseCronSchedule(spec);
  if (typeof s === 'string') throw new Error(s);
  return s;
}

describe('nextActivation', () => {
  const base = Date.UTC(2026, 0, 1, 10, 7, 30); // Thu 2026-01-01 10:07:30 UTC

  it('follows robfig/cron field semantics', () => {
    expect(nextActivation(schedule('* * * * *'), base)).toBe(Date.UTC(2026, 0, 1, 10, 8));
    expect(nextActivation(schedule('@hourly'), base)).toBe(Date.UTC(2026, 0, 1, 11, 0));
    expect(nextActivation(schedule('*/15 * * * *'), base)).toBe(Date.UTC(2026, 0, 1, 10, 15));
    expect(nextActivation(schedule('30 2 * * *'), base)).toBe(Date.UTC(2026, 0, 2, 2, 30));
    // Day of month OR day of week when both are restricted: the 15th or a Monday.
    expect(nextActivation(schedule('0 0 15 * MON'), base)).toBe(Date.UTC(2026, 0, 5));
    expect(nextActivation(schedule('0 0 1 3 *'), base)).toBe(Date.UTC(2026, 2, 1));
  });

  it('evaluates in the schedule time zone', () => {
    // 09:00 in New York (EST, UTC-5) is 14:00 UTC.
    expect(nextActivation(schedule('CRON_TZ=America/New_York 0 9 * * *'), base)).toBe(
      Date.UTC(2026, 0, 1, 14, 0),
    );
    expect(nextActivation(schedule('0 9 * * *'), base, 'Europe/Berlin')).toBe(
      Date.UTC(2026, 0, 2, 8, 0),
    );
    expect(formatInZone(Date.UTC(2026, 0, 1, 14, 0), 'America/New_York')).toBe(
      '2026-01-01T09:00:00-05:00',
    );
    expect(formatInZone(Date.UTC(2026, 0, 1, 14, 0), undefined)).toBe('2026-01-01T14:00:00Z');
  });
});

describe('CronJobController', () => {
  let cluster: TestCluster;
  let jobs: JobController;
  let cron: CronJobController;
  let clock = 0;

  beforeEach(async () => {
    cluster = await startTestCluster();
    clock = Date.now();
    jobs = new JobController(cluster.context('job-controller'));
    cron = new CronJobController(cluster.context('cronjob-controller'), { now: () => clock });
    jobs.start();
    cron.start();
    cluster.informers.start();
  });

  afterEach(async () => {
    await cron.stop();
    await jobs.stop();
    await cluster.stop();
  });

  function cronJob(name: string, spec: Record<string, unknown>): KubeObject {
    return {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name },
      spec: {
        schedule: '* * * * *',
        jobTemplate: {
          metadata: { labels: { team: 'a' } },
          spec: {
            template: {
              spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] },
            },
          },
        },
        ...spec,
      },
    };
  }

  const childJobs = (cj: KubeObject) =>
    cluster.client
      .list(JOBS, NS)
      .items.filter(
        (j) => controllerRef(j)?.uid === cj.metadata.uid && !j.metadata.deletionTimestamp,
      );
  const reasons = () => cluster.client.list(EVENTS, NS).items.map((e) => e.reason as string);
  const advance = (ms: number) => {
    clock += ms;
    cron.resync();
  };
  async function completeJob(job: KubeObject): Promise<void> {
    const pod = await eventually(
      () =>
        cluster.client.list(PODS, NS).items.find((p) => controllerRef(p)?.uid === job.metadata.uid),
      10_000,
      'job pod',
    );
    await finishPod(cluster.client, pod, 0);
    await eventually(
      () =>
        (
          (
            cluster.client.get(JOBS, NS, job.metadata.name ?? '').status as {
              conditions?: { type: string }[];
            }
          ).conditions ?? []
        ).some((c) => c.type === 'Complete'),
      10_000,
      'job Complete',
    );
  }

  it('creates a Job at the scheduled time, honours Forbid and the history limit', async () => {
    const cj = await cluster.client.create(
      CRON_JOBS,
      NS,
      cronJob('tick', { concurrencyPolicy: 'Forbid', successfulJobsHistoryLimit: 1 }),
    );
    await new Promise((r) => setTimeout(r, 150));
    expect(childJobs(cj)).toEqual([]);

    advance(60_000);
    const first = await eventually(() => childJobs(cj)[0], 10_000, 'first job');
    const scheduled = Math.floor(clock / 60_000) * 60_000;
    expect(first.metadata.name).toBe(`tick-${scheduled / 60_000}`);
    expect(first.metadata.annotations?.[SCHEDULED_TIMESTAMP_ANNOTATION]).toBe(
      formatInZone(scheduled, undefined),
    );
    expect(first.metadata.labels?.team).toBe('a');
    const st = await eventually(
      () => {
        const s = cluster.client.get(CRON_JOBS, NS, 'tick').status as {
          active?: { name: string }[];
          lastScheduleTime?: string;
        };
        return s.active?.length === 1 && s;
      },
      5000,
      'status.active',
    );
    expect(st.active?.[0].name).toBe(first.metadata.name);
    expect(st.lastScheduleTime).toBe(new Date(scheduled).toISOString().replace('.000Z', 'Z'));

    // Forbid: the next schedule passes while the first job still runs.
    advance(60_000);
    await eventually(() => reasons().includes('JobAlreadyActive'), 5000, 'JobAlreadyActive');
    expect(childJobs(cj).length).toBe(1);

    await completeJob(first);
    // The schedule Forbid held back runs as soon as the first job is done.
    const second = await eventually(
      () => childJobs(cj).find((j) => j.metadata.uid !== first.metadata.uid),
      10_000,
      'second job',
    );
    expect(second.metadata.name).toBe(`tick-${scheduled / 60_000 + 1}`);
    const done = await eventually(
      () => {
        const s = cluster.client.get(CRON_JOBS, NS, 'tick').status as {
          active?: { name: string }[];
          lastSuccessfulTime?: string;
        };
        return s.lastSuccessfulTime !== undefined && s;
      },
      5000,
      'lastSuccessfulTime',
    );
    expect(done.active?.map((r) => r.name)).toEqual([second.metadata.name]);
    await cron.flushEvents();
    expect(reasons()).toContain('SawCompletedJob');

    await completeJob(second);
    // History limit 1: the older completed job goes.
    await eventually(
      () => childJobs(cj).length === 1 && childJobs(cj)[0].metadata.uid === second.metadata.uid,
      10_000,
      'pruned',
    );
    await cron.flushEvents();
    expect(reasons()).toContain('SuccessfulDelete');
    await cron.flushEvents();
    expect(reasons()).toContain('SuccessfulCreate');
  }, 30_000);

  it('replaces the running job under concurrencyPolicy Replace', async () => {
    const cj = await cluster.client.create(
      CRON_JOBS,
      NS,
      cronJob('swap', { concurrencyPolicy: 'Replace' }),
    );
    advance(60_000);
    const first = await eventually(() => childJobs(cj)[0], 10_000, 'first job');
    advance(60_000);
    const second = await eventually(
      () => childJobs(cj).find((j) => j.metadata.uid !== first.metadata.uid),
      10_000,
      'second job',
    );
    expect(second.metadata.name).not.toBe(first.metadata.name);
    await eventually(() => childJobs(cj).length === 1, 10_000, 'first deleted');
  });

  it('reports a Job made from it by hand without counting it active (kubectl create job --from)', async () => {
    const cj = await cluster.client.create(
      CRON_JOBS,
      NS,
      cronJob('manual', { concurrencyPolicy: 'Forbid' }),
    );
    // What kubectl sends: the template, the instantiate annotation and a controller reference.
    const template = (cj.spec as { jobTemplate: { spec: Record<string, unknown> } }).jobTemplate;
    await cluster.client.create(JOBS, NS, {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {
        name: 'by-hand',
        annotations: { 'cronjob.kubernetes.io/instantiate': 'manual' },
        ownerReferences: [
          {
            apiVersion: 'batch/v1',
            kind: 'CronJob',
            name: 'manual',
            uid: cj.metadata.uid ?? '',
            controller: true,
          },
        ],
      },
      spec: template.spec,
    });
    await eventually(() => reasons().includes('UnexpectedJob'), 5000, 'UnexpectedJob');
    const warning = cluster.client.list(EVENTS, NS).items.find((e) => e.reason === 'UnexpectedJob');
    expect(warning?.message).toBe(
      'Saw a job that the controller did not create or forgot: by-hand',
    );
    // Forbid does not hold back the schedule for a Job the controller does not track.
    advance(60_000);
    const scheduled = await eventually(
      () => childJobs(cj).find((j) => j.metadata.name !== 'by-hand'),
      10_000,
      'scheduled job',
    );
    const status = await eventually(
      () => {
        const s = cluster.client.get(CRON_JOBS, NS, 'manual').status as {
          active?: { name: string }[];
        };
        return s.active?.length ? s : undefined;
      },
      5000,
      'status.active',
    );
    expect(status.active?.map((r) => r.name)).toEqual([scheduled.metadata.name]);
  });

  it('drops a Job deleted by someone else from status.active with a MissingJob event', async () => {
    const cj = await cluster.client.create(CRON_JOBS, NS, cronJob('lost', {}));
    advance(60_000);
    const job = await eventually(() => childJobs(cj)[0], 10_000, 'job');
    await eventually(
      () =>
        ((cluster.client.get(CRON_JOBS, NS, 'lost').status as { active?: unknown[] }).active ?? [])
          .length === 1,
      5000,
      'status.active',
    );
    await cluster.client.delete(JOBS, NS, job.metadata.name ?? '', {
      propagationPolicy: 'Background',
    });
    await eventually(
      () =>
        (cluster.client.get(CRON_JOBS, NS, 'lost').status as { active?: unknown[] }).active ===
        undefined,
      5000,
      'active emptied',
    );
    await cron.flushEvents();
    const missing = cluster.client.list(EVENTS, NS).items.find((e) => e.reason === 'MissingJob');
    expect(missing?.message).toBe(`Active job went missing: ${job.metadata.name}`);
  });

  it('does nothing while suspended', async () => {
    const cj = await cluster.client.create(CRON_JOBS, NS, cronJob('paused', { suspend: true }));
    advance(180_000);
    await new Promise((r) => setTimeout(r, 200));
    expect(childJobs(cj)).toEqual([]);
  });

  it('warns about too many missed start times and runs the most recent one', async () => {
    const cj = await cluster.client.create(CRON_JOBS, NS, cronJob('late', {}));
    advance(200 * 60_000);
    const job = await eventually(() => childJobs(cj)[0], 10_000, 'job');
    expect(job.metadata.name).toBe(`late-${Math.floor(clock / 60_000)}`);
    await cron.flushEvents();
    expect(reasons()).toContain('TooManyMissedTimes');
    expect(childJobs(cj).length).toBe(1);
  });

  it('skips start times older than startingDeadlineSeconds', async () => {
    const cj = await cluster.client.create(
      CRON_JOBS,
      NS,
      cronJob('strict', { startingDeadlineSeconds: 10 }),
    );
    // Half a minute past a schedule time, with a 10 s deadline: too late to start it.
    clock = Math.floor(clock / 60_000) * 60_000 + 5 * 60_000 + 30_000;
    cron.resync();
    await new Promise((r) => setTimeout(r, 200));
    expect(childJobs(cj)).toEqual([]);
    clock = Math.floor(clock / 60_000) * 60_000 + 60_000 + 5_000;
    cron.resync();
    await eventually(() => childJobs(cj).length === 1, 10_000, 'job within the deadline');
  });
});
