import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KubeObject } from '../api/types.ts';
import { eventually, startTestCluster, type TestCluster } from '../controllers/testing/cluster.ts';
import { registryBinder } from './binder.ts';
import { Scheduler } from './scheduler.ts';

const PODS = { group: '', version: 'v1', resource: 'pods' };
const NODES = { group: '', version: 'v1', resource: 'nodes' };
const EVENTS = { group: '', version: 'v1', resource: 'events' };

async function createNode(
  cluster: TestCluster,
  name: string,
  extra: { labels?: Record<string, string>; taints?: unknown[]; cpu?: string } = {},
): Promise<void> {
  const created = await cluster.client.create(NODES, '', {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...extra.labels } },
    spec: extra.taints ? { taints: extra.taints } : {},
  });
  const capacity = { cpu: extra.cpu ?? '2', memory: '4Gi', pods: '110' };
  await cluster.client.updateStatus(NODES, '', {
    ...created,
    status: {
      capacity,
      allocatable: capacity,
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'KubeletReady',
          message: 'kubelet is posting ready status',
          lastHeartbeatTime: '2026-01-01T00:00:00Z',
          lastTransitionTime: '2026-01-01T00:00:00Z',
        },
      ],
    },
  });
}

function pod(name: string, spec: Record<string, unknown> = {}, labels?: Record<string, string>) {
  const { cpu, ...rest } = spec as { cpu?: string };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, ...(labels ? { labels } : {}) },
    spec: {
      containers: [
        {
          name: 'c',
          image: 'busybox',
          ...(cpu ? { resources: { requests: { cpu } } } : {}),
        },
      ],
      ...rest,
    },
  } as KubeObject;
}

describe('Scheduler', { timeout: 30_000 }, () => {
  let cluster: TestCluster;
  let scheduler: Scheduler;

  beforeEach(async () => {
    cluster = await startTestCluster();
    scheduler = new Scheduler({
      ...cluster.context('kube-scheduler'),
      bind: registryBinder(cluster.plane.registry),
    });
    scheduler.start();
    cluster.informers.start();
    for (const name of ['node-a', 'node-b', 'node-c']) await createNode(cluster, name);
  });
  afterEach(async () => {
    await scheduler.stop();
    await cluster.stop();
  });

  const get = (name: string) => cluster.client.get(PODS, 'default', name);
  const nodeOf = (name: string) => (get(name).spec as { nodeName?: string }).nodeName;
  const bound = (name: string) => eventually(() => nodeOf(name), 10_000, `${name} bound`);
  const scheduledCondition = (name: string) =>
    ((get(name).status as { conditions?: Record<string, unknown>[] }).conditions ?? []).find(
      (c) => c.type === 'PodScheduled',
    );
  const eventsFor = (name: string) =>
    cluster.client
      .list(EVENTS, 'default')
      .items.filter((e) => (e.involvedObject as { name?: string }).name === name);

  it('binds a pod, sets PodScheduled=True and records a Scheduled event', async () => {
    await cluster.client.create(PODS, 'default', pod('one'));
    const node = await bound('one');
    expect(['node-a', 'node-b', 'node-c']).toContain(node);
    expect(scheduledCondition('one')).toMatchObject({ status: 'True' });
    const event = await eventually(
      () => eventsFor('one').find((e) => e.reason === 'Scheduled'),
      5000,
      'Scheduled event',
    );
    expect(event).toMatchObject({
      type: 'Normal',
      message: `Successfully assigned default/one to ${node}`,
      source: { component: 'default-scheduler' },
    });
  });

  it('spreads the pods of one ReplicaSet-like group across nodes', async () => {
    await cluster.client.create({ group: '', version: 'v1', resource: 'services' }, 'default', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web' },
      spec: { selector: { app: 'web' }, ports: [{ port: 80 }] },
    });
    for (let i = 0; i < 6; i++) {
      await cluster.client.create(PODS, 'default', pod(`web-${i}`, {}, { app: 'web' }));
      await bound(`web-${i}`);
    }
    const perNode = new Map<string, number>();
    for (let i = 0; i < 6; i++) {
      const node = nodeOf(`web-${i}`)!;
      perNode.set(node, (perNode.get(node) ?? 0) + 1);
    }
    expect([...perNode.values()]).toEqual([2, 2, 2]);
  });

  it('honours nodeSelector and taints', async () => {
    await createNode(cluster, 'gpu', {
      labels: { accelerator: 'gpu' },
      taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }],
    });
    await cluster.client.create(
      PODS,
      'default',
      pod('trainer', {
        nodeSelector: { accelerator: 'gpu' },
        tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }],
      }),
    );
    expect(await bound('trainer')).toBe('gpu');
    // Without the toleration: the only matching node is tainted, the others do not match.
    await cluster.client.create(
      PODS,
      'default',
      pod('intruder', { nodeSelector: { accelerator: 'gpu' } }),
    );
    const condition = await eventually(() => {
      const c = scheduledCondition('intruder');
      return c?.status === 'False' ? c : undefined;
    });
    expect(condition).toMatchObject({
      reason: 'Unschedulable',
      message:
        "0/4 nodes are available: 1 node(s) had untolerated taint(s), 3 node(s) didn't match Pod's node affinity/selector. no new claims to deallocate, preemption: 0/4 nodes are available: 4 Preemption is not helpful for scheduling.",
    });
    // Pods without the toleration never land on the tainted node.
    for (let i = 0; i < 4; i++) {
      await cluster.client.create(PODS, 'default', pod(`plain-${i}`));
      expect(await bound(`plain-${i}`)).not.toBe('gpu');
    }
  });

  it('reports insufficient cpu in kube-scheduler form, then schedules once a node is added', async () => {
    await cluster.client.create(PODS, 'default', pod('big', { cpu: '3' }));
    const message =
      '0/3 nodes are available: 3 Insufficient cpu. no new claims to deallocate, preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.';
    await eventually(() => scheduledCondition('big')?.message === message, 10_000, 'condition');
    expect(scheduledCondition('big')).toMatchObject({ status: 'False', reason: 'Unschedulable' });
    const warning = await eventually(
      () => eventsFor('big').find((e) => e.reason === 'FailedScheduling'),
      5000,
      'FailedScheduling event',
    );
    expect(warning).toMatchObject({ type: 'Warning', message });
    expect(nodeOf('big')).toBeUndefined();

    await createNode(cluster, 'node-big', { cpu: '4' });
    expect(await bound('big')).toBe('node-big');
    expect(scheduledCondition('big')).toMatchObject({ status: 'True' });
  });

  it('counts requests of pods already bound (resolvable: no preemption victims)', async () => {
    for (let i = 0; i < 3; i++) {
      await cluster.client.create(PODS, 'default', pod(`half-${i}`, { cpu: '1500m' }));
      await bound(`half-${i}`);
    }
    expect(new Set([0, 1, 2].map((i) => nodeOf(`half-${i}`))).size).toBe(3);
    await cluster.client.create(PODS, 'default', pod('late', { cpu: '1' }));
    await eventually(
      () =>
        scheduledCondition('late')?.message ===
        '0/3 nodes are available: 3 Insufficient cpu. no new claims to deallocate, preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.',
      10_000,
      'Insufficient cpu condition',
    );
    // Deleting a bound pod frees its node: the waiting pod goes there.
    const freed = nodeOf('half-1');
    await cluster.client.delete(PODS, 'default', 'half-1', { gracePeriodSeconds: 0 });
    expect(await bound('late')).toBe(freed);
  });

  it('counts a pod that finished as gone, and places a waiting pod in its room', async () => {
    for (let i = 0; i < 3; i++) {
      await cluster.client.create(PODS, 'default', pod(`job-${i}`, { cpu: '1500m' }));
      await bound(`job-${i}`);
    }
    await cluster.client.create(PODS, 'default', pod('next', { cpu: '1' }));
    await eventually(() => scheduledCondition('next')?.status === 'False', 10_000, 'waiting');
    // A status write that changes nothing for scheduling leaves it waiting.
    const running = get('job-0');
    await cluster.client.updateStatus(PODS, 'default', {
      ...running,
      status: { ...(running.status as object), phase: 'Running' },
    });
    await new Promise((r) => setTimeout(r, 200));
    expect(nodeOf('next')).toBeUndefined();
    const finished = get('job-2');
    await cluster.client.updateStatus(PODS, 'default', {
      ...finished,
      status: { ...(finished.status as object), phase: 'Succeeded' },
    });
    expect(await bound('next')).toBe(nodeOf('job-2'));
  });

  it('keeps pods with required anti-affinity apart', async () => {
    const antiAffinity = {
      affinity: {
        podAntiAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: [
            {
              labelSelector: { matchLabels: { app: 'db' } },
              topologyKey: 'kubernetes.io/hostname',
            },
          ],
        },
      },
    };
    for (let i = 0; i < 3; i++) {
      await cluster.client.create(PODS, 'default', pod(`db-${i}`, antiAffinity, { app: 'db' }));
      await bound(`db-${i}`);
    }
    expect(new Set([0, 1, 2].map((i) => nodeOf(`db-${i}`))).size).toBe(3);
    await cluster.client.create(PODS, 'default', pod('db-3', antiAffinity, { app: 'db' }));
    await eventually(
      () =>
        scheduledCondition('db-3')?.message ===
        "0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules. no new claims to deallocate, preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.",
      10_000,
      'anti-affinity condition',
    );
  });

  it('leaves pods for other schedulers alone', async () => {
    await cluster.client.create(PODS, 'default', pod('other', { schedulerName: 'my-scheduler' }));
    await cluster.client.create(PODS, 'default', pod('mine'));
    await bound('mine');
    expect(nodeOf('other')).toBeUndefined();
    expect(scheduledCondition('other')?.status).not.toBe('False');
  });
});
