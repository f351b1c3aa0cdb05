import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../api/types.ts';
import { eventually, startTestCluster, type TestCluster } from '../testing/cluster.ts';
import { SimulatedNodes } from '../../../agent/simulated/simulated-nodes.ts';
import { Scheduler } from '../../scheduler/scheduler.ts';
import { registryBinder } from '../../scheduler/binder.ts';
import { CONTROLLER_REVISIONS } from '../history/controller-history.ts';
import {
  DAEMON_SETS,
  NODES,
  PODS,
  nodeShouldRunDaemonPod,
  newDaemonSetController,
  type DaemonSetController,
} from './daemon-set-controller.ts';

const EVENTS = { group: '', version: 'v1', resource: 'events' };

function daemonSet(name: string, extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name },
    spec: {
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'c', image: 'agent:1' }] },
      },
      ...extra,
    },
  };
}

function node(
  name: string,
  taints: unknown[] = [],
  labels: Record<string, string> = {},
): KubeObject {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name, labels }, spec: { taints } };
}

describe('nodeShouldRunDaemonPod', () => {
  it('honours taints, tolerations, the daemon tolerations and node selectors', () => {
    const ds = daemonSet('a');
    expect(nodeShouldRunDaemonPod(node('n'), ds)).toEqual({
      shouldRun: true,
      shouldContinueRunning: true,
    });
    const noSchedule = node('n', [{ key: 'dedicated', value: 'x', effect: 'NoSchedule' }]);
    expect(nodeShouldRunDaemonPod(noSchedule, ds)).toEqual({
      shouldRun: false,
      shouldContinueRunning: true,
    });
    const noExecute = node('n', [{ key: 'dedicated', value: 'x', effect: 'NoExecute' }]);
    expect(nodeShouldRunDaemonPod(noExecute, ds).shouldContinueRunning).toBe(false);
    const tolerant = daemonSet('a', {});
    (tolerant.spec as { template: { spec: Record<string, unknown> } }).template.spec.tolerations = [
      { key: 'dedicated', operator: 'Exists' },
    ];
    expect(nodeShouldRunDaemonPod(noExecute, tolerant).shouldRun).toBe(true);
    // Daemon pods tolerate cordoned and not-ready nodes.
    const cordoned = node('n', [
      { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' },
    ]);
    expect(nodeShouldRunDaemonPod(cordoned, ds).shouldRun).toBe(true);
    const network = node('n', [
      { key: 'node.kubernetes.io/network-unavailable', effect: 'NoSchedule' },
    ]);
    expect(nodeShouldRunDaemonPod(network, ds).shouldRun).toBe(false);
    const hostNet = daemonSet('a');
    (hostNet.spec as { template: { spec: Record<string, unknown> } }).template.spec.hostNetwork =
      true;
    expect(nodeShouldRunDaemonPod(network, hostNet).shouldRun).toBe(true);
    const selective = daemonSet('a');
    (selective.spec as { template: { spec: Record<string, unknown> } }).template.spec.nodeSelector =
      { role: 'edge' };
    expect(nodeShouldRunDaemonPod(node('n'), selective).shouldRun).toBe(false);
    expect(nodeShouldRunDaemonPod(node('n', [], { role: 'edge' }), selective).shouldRun).toBe(true);
  });
});

describe('DaemonSet controller', { timeout: 30_000 }, () => {
  let cluster: TestCluster;
  let controller: DaemonSetController;
  let scheduler: Scheduler;
  let nodes: SimulatedNodes;
  beforeEach(async () => {
    cluster = await startTestCluster();
    controller = newDaemonSetController(cluster.context('daemonset-controller'));
    scheduler = new Scheduler({
      ...cluster.context('kube-scheduler'),
      bind: registryBinder(cluster.plane.registry),
    });
    nodes = new SimulatedNodes({
      client: cluster.plane.client('simulated-kubelet'),
      count: 3,
      namePrefix: 'node-',
      leaseRenewIntervalMs: 100,
      statusUpdateIntervalMs: 100,
    });
    await nodes.start();
    controller.start();
    scheduler.start();
    cluster.informers.start();
  });
  afterEach(async () => {
    await controller.stop();
    await scheduler.stop();
    await nodes.stop();
    await cluster.stop();
  });

  const pods = () =>
    cluster.client.list(PODS, 'default').items.filter((p) => !p.metadata.deletionTimestamp);
  const placement = () =>
    pods()
      .map((p) => (p.spec as { nodeName?: string }).nodeName ?? '')
      .sort();
  const status = () =>
    (cluster.client.get(DAEMON_SETS, 'default', 'agent').status ?? {}) as Record<string, unknown>;

  it('runs one pod per eligible node, skips a tainted node and follows a new node', async () => {
    await cluster.client.patch(NODES, '', 'node-2', 'application/merge-patch+json', {
      spec: { taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] },
    });
    const ds = await cluster.client.create(DAEMON_SETS, 'default', daemonSet('agent'));
    await eventually(
      () => status().numberAvailable === 2 && placement().join() === 'node-1,node-3',
      10_000,
      'two daemons ready',
    );
    const pod = pods()[0];
    const spec = pod.spec as Record<string, unknown>;
    const target = spec.nodeName as string;
    expect(spec.affinity).toEqual({
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            { matchFields: [{ key: 'metadata.name', operator: 'In', values: [target] }] },
          ],
        },
      },
    });
    expect(spec.tolerations).toContainEqual({
      key: 'node.kubernetes.io/unreachable',
      operator: 'Exists',
      effect: 'NoExecute',
    });
    expect(spec.tolerations).toContainEqual({
      key: 'node.kubernetes.io/unschedulable',
      operator: 'Exists',
      effect: 'NoSchedule',
    });
    expect(pod.metadata.name).toMatch(/^agent-[a-z0-9]{5}$/);
    expect(pod.metadata.ownerReferences?.[0]).toMatchObject({
      kind: 'DaemonSet',
      uid: ds.metadata.uid,
    });
    expect(status()).toMatchObject({
      desiredNumberScheduled: 2,
      currentNumberScheduled: 2,
      numberReady: 2,
      numberAvailable: 2,
      updatedNumberScheduled: 2,
      numberMisscheduled: 0,
      observedGeneration: 1,
    });

    await nodes.addNode('node-4');
    await eventually(
      () => status().numberAvailable === 3 && placement().join() === 'node-1,node-3,node-4',
      10_000,
      'a daemon on node-4',
    );
    expect(status().desiredNumberScheduled).toBe(3);
    await controller.flushEvents();
    const reasons = cluster.client.list(EVENTS, 'default').items.map((e) => e.reason);
    expect(reasons.filter((r) => r === 'SuccessfulCreate')).toHaveLength(3);
  });

  it('rolls out a new template within maxUnavailable and records revisions', async () => {
    await cluster.client.create(DAEMON_SETS, 'default', daemonSet('agent'));
    await eventually(() => status().numberAvailable === 3, 10_000, 'three daemons ready');
    const hashes = () =>
      new Set(pods().map((p) => p.metadata.labels?.['controller-revision-hash']));
    const first = [...hashes()][0];

    let maxDown = 0;
    const informer = cluster.informers.for(PODS);
    informer.addHandlers({
      update: () => {
        const live = informer
          .list('default')
          .filter(
            (p) =>
              !p.metadata.deletionTimestamp &&
              (
                p.status as { conditions?: { type: string; status: string }[] } | undefined
              )?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
          ).length;
        maxDown = Math.max(maxDown, 3 - live);
      },
    });
    await cluster.client.patch(
      DAEMON_SETS,
      'default',
      'agent',
      'application/strategic-merge-patch+json',
      {
        spec: { template: { spec: { containers: [{ name: 'c', image: 'agent:2' }] } } },
      },
    );
    await eventually(
      () =>
        status().updatedNumberScheduled === 3 &&
        status().numberAvailable === 3 &&
        status().observedGeneration === 2 &&
        hashes().size === 1 &&
        pods().length === 3,
      20_000,
      'rollout complete',
    );
    const second = [...hashes()][0];
    expect(second).not.toBe(first);
    // maxUnavailable defaults to 1: never more than one daemon down at a time.
    expect(maxDown).toBeLessThanOrEqual(1);
    const revisions = cluster.client
      .list(CONTROLLER_REVISIONS, 'default')
      .items.map((r) => [r.metadata.labels?.['controller-revision-hash'], r.revision]);
    expect(revisions.sort((a, b) => Number(a[1]) - Number(b[1]))).toEqual([
      [first, 1],
      [second, 2],
    ]);
    const rev = cluster.client.get(CONTROLLER_REVISIONS, 'default', `agent-${second}`);
    expect(rev.metadata.ownerReferences?.[0]).toMatchObject({
      kind: 'DaemonSet',
      controller: true,
    });
    expect(rev.metadata.labels?.app).toBe('agent');
  });

  it('surges a new pod beside the old one with maxSurge and never drops below desired', async () => {
    await cluster.client.create(
      DAEMON_SETS,
      'default',
      daemonSet('agent', {
        updateStrategy: {
          type: 'RollingUpdate',
          rollingUpdate: { maxSurge: 1, maxUnavailable: 0 },
        },
      }),
    );
    await eventually(() => status().numberAvailable === 3, 10_000, 'three daemons ready');
    const informer = cluster.informers.for(PODS);
    let minReady = 3;
    let maxPods = 3;
    informer.addHandlers({
      update: () => {
        const live = informer.list('default').filter((p) => !p.metadata.deletionTimestamp);
        maxPods = Math.max(maxPods, live.length);
        const ready = live.filter((p) =>
          (
            p.status as { conditions?: { type: string; status: string }[] } | undefined
          )?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
        ).length;
        minReady = Math.min(minReady, ready);
      },
    });
    await cluster.client.patch(DAEMON_SETS, 'default', 'agent', 'application/merge-patch+json', {
      spec: { template: { metadata: { annotations: { rev: '2' } } } },
    });
    await eventually(
      () =>
        status().updatedNumberScheduled === 3 &&
        status().numberAvailable === 3 &&
        pods().length === 3 &&
        pods().every((p) => p.metadata.annotations?.rev === '2'),
      20_000,
      'surge rollout complete',
    );
    expect(minReady).toBeGreaterThanOrEqual(3);
    expect(maxPods).toBe(4);
  });
});
