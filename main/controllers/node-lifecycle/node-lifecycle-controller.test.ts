import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../api/types.ts';
import { SimulatedNodes } from '../../../agent/simulated/simulated-nodes.ts';
import { SimulatedUsage } from '../../../agent/simulated/simulated-usage.ts';
import { eventually, startTestCluster, type TestCluster } from '../testing/cluster.ts';
import {
  NodeLifecycleController,
  tolerationTimeMs,
  toleratesTaint,
} from './node-lifecycle-controller.ts';

const NODES = { group: '', version: 'v1', resource: 'nodes' };
const PODS = { group: '', version: 'v1', resource: 'pods' };
const EVENTS = { group: '', version: 'v1', resource: 'events' };

type Obj = Record<string, unknown>;

function conditions(object: KubeObject | undefined): Obj[] {
  return ((object?.status as Obj | undefined)?.conditions ?? []) as Obj[];
}

function condition(object: KubeObject | undefined, type: string): Obj | undefined {
  return conditions(object).find((c) => c.type === type);
}

function taints(node: KubeObject | undefined): Obj[] {
  return ((node?.spec as Obj | undefined)?.taints ?? []) as Obj[];
}

function taintKeys(node: KubeObject | undefined): string[] {
  return taints(node)
    .map((t) => `${String(t.key)}:${String(t.effect)}`)
    .sort();
}

describe('toleration matching', () => {
  const unreachable = { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' };
  it('follows ToleratesTaint and the shortest tolerationSeconds', () => {
    expect(toleratesTaint({ operator: 'Exists' }, unreachable)).toBe(true);
    expect(toleratesTaint({ key: 'other', operator: 'Exists' }, unreachable)).toBe(false);
    expect(
      toleratesTaint(
        { key: unreachable.key, operator: 'Exists', effect: 'NoSchedule' },
        unreachable,
      ),
    ).toBe(false);
    expect(
      toleratesTaint({ key: 'k', value: 'v' }, { key: 'k', value: 'v', effect: 'NoExecute' }),
    ).toBe(true);
    expect(tolerationTimeMs([unreachable], [])).toBe(0);
    expect(tolerationTimeMs([unreachable], [{ operator: 'Exists' }])).toBe(Infinity);
    expect(
      tolerationTimeMs(
        [unreachable],
        [{ key: unreachable.key, operator: 'Exists', tolerationSeconds: 7 }],
      ),
    ).toBe(7000);
  });
});

describe('NodeLifecycleController', () => {
  let cluster: TestCluster;
  let nodes: SimulatedNodes;
  let controller: NodeLifecycleController;

  beforeEach(async () => {
    cluster = await startTestCluster();
    nodes = new SimulatedNodes({
      client: cluster.plane.client('simulated-kubelet'),
      count: 2,
      usage: new SimulatedUsage(),
      leaseRenewIntervalMs: 100,
      statusUpdateIntervalMs: 100,
    });
    await nodes.start();
    controller = new NodeLifecycleController(cluster.context('node-lifecycle-controller'), {
      nodeMonitorGracePeriodMs: 2000,
      nodeMonitorPeriodMs: 100,
    });
    controller.start();
    cluster.informers.start();
  });

  afterEach(async () => {
    await controller.stop();
    await nodes.stop();
    await cluster.stop();
  });

  const node = (name: string) => cluster.client.get(NODES, '', name);
  const pod = (name: string) => cluster.client.tryGet(PODS, 'default', name);

  async function createPod(name: string, nodeName: string, tolerations?: Obj[]): Promise<void> {
    const spec: Obj = { nodeName, containers: [{ name: 'app', image: 'busybox' }] };
    if (tolerations) spec.tolerations = tolerations;
    await cluster.client.create(PODS, 'default', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name },
      spec,
    });
  }

  it('leaves healthy nodes untainted and Ready', async () => {
    await new Promise((r) => setTimeout(r, 2500));
    expect(condition(node('skiff-sim-1'), 'Ready')?.status).toBe('True');
    expect(taints(node('skiff-sim-1'))).toEqual([]);
  });

  it('marks a silent node Unknown, taints it, evicts pods, and untaints it when it is back', async () => {
    // Pods default to tolerating unreachable for 300 s (DefaultTolerationSeconds); these say 1 s,
    // forever, and nothing at all (replaced by a toleration of something else).
    await createPod('short', 'skiff-sim-1', [
      {
        key: 'node.kubernetes.io/unreachable',
        operator: 'Exists',
        effect: 'NoExecute',
        tolerationSeconds: 1,
      },
      {
        key: 'node.kubernetes.io/not-ready',
        operator: 'Exists',
        effect: 'NoExecute',
        tolerationSeconds: 1,
      },
    ]);
    await createPod('forever', 'skiff-sim-1', [{ operator: 'Exists' }]);
    await createPod('default', 'skiff-sim-1');
    await createPod('other-node', 'skiff-sim-2', [
      {
        key: 'node.kubernetes.io/unreachable',
        operator: 'Exists',
        effect: 'NoExecute',
        tolerationSeconds: 1,
      },
    ]);
    await eventually(
      () =>
        ['short', 'forever', 'default'].every((n) => condition(pod(n), 'Ready')?.status === 'True'),
      5000,
      'pods ready',
    );

    await nodes.setHeartbeat('skiff-sim-1', false);
    const silentAt = Date.now();
    const down = await eventually(
      () => condition(node('skiff-sim-1'), 'Ready')?.status === 'Unknown' && node('skiff-sim-1'),
      6000,
      'Ready=Unknown',
    );
    expect(Date.now() - silentAt).toBeGreaterThanOrEqual(1500);
    expect(condition(down, 'Ready')).toMatchObject({
      reason: 'NodeStatusUnknown',
      message: 'Kubelet stopped posting node status.',
    });
    expect(condition(down, 'MemoryPressure')?.status).toBe('Unknown');
    await eventually(
      () =>
        taintKeys(node('skiff-sim-1')).join() ===
        'node.kubernetes.io/unreachable:NoExecute,node.kubernetes.io/unreachable:NoSchedule',
      3000,
      'unreachable taints',
    );
    expect(taints(node('skiff-sim-1')).every((t) => typeof t.timeAdded === 'string')).toBe(true);
    expect(taints(node('skiff-sim-2'))).toEqual([]);

    // Pods on the lost node are marked not ready right away.
    await eventually(
      () => condition(pod('forever'), 'Ready')?.status === 'False',
      3000,
      'pod NotReady',
    );

    // tolerationSeconds 1: evicted after about a second, with the DisruptionTarget condition.
    const evicted = await eventually(
      () => (pod('short')?.metadata.deletionTimestamp ? pod('short') : undefined),
      4000,
      'eviction',
    );
    expect(condition(evicted, 'DisruptionTarget')).toMatchObject({
      status: 'True',
      reason: 'DeletionByTaintManager',
      message: 'Taint manager: deleting due to NoExecute taint',
    });
    expect(pod('forever')?.metadata.deletionTimestamp).toBeUndefined();
    expect(pod('default')?.metadata.deletionTimestamp).toBeUndefined();
    expect(pod('other-node')?.metadata.deletionTimestamp).toBeUndefined();

    const events = cluster.client.list(EVENTS, 'default').items;
    expect(
      events.some(
        (e) =>
          e.reason === 'TaintManagerEviction' &&
          e.message === 'Marking for deletion Pod default/short' &&
          (e.source as Obj).component === 'taint-eviction-controller',
      ),
    ).toBe(true);
    expect(
      events.some((e) => e.reason === 'NodeNotReady' && (e.involvedObject as Obj).kind === 'Node'),
    ).toBe(true);

    // Back: Ready again, taints removed, and the kubelet finishes the eviction.
    await nodes.setHeartbeat('skiff-sim-1', true);
    await eventually(
      () =>
        condition(node('skiff-sim-1'), 'Ready')?.status === 'True' &&
        taints(node('skiff-sim-1')).length === 0,
      5000,
      'taints removed',
    );
    await eventually(() => pod('short') === undefined, 5000, 'evicted pod gone');
    await eventually(
      () => condition(pod('forever'), 'Ready')?.status === 'True',
      5000,
      'pod ready again',
    );
  }, 30_000);

  it('evicts pods without a matching toleration at once', async () => {
    await createPod('bare', 'skiff-sim-2', [{ key: 'unrelated', operator: 'Exists' }]);
    await eventually(() => condition(pod('bare'), 'Ready')?.status === 'True', 5000, 'pod ready');
    const current = node('skiff-sim-2');
    await cluster.client.update(NODES, '', {
      ...current,
      spec: { ...(current.spec as Obj), taints: [{ key: 'maintenance', effect: 'NoExecute' }] },
    });
    await eventually(
      () => pod('bare') === undefined || pod('bare')?.metadata.deletionTimestamp,
      3000,
      'eviction',
    );
  });

  it('taints cordoned nodes unschedulable and untaints them on uncordon', async () => {
    const current = node('skiff-sim-2');
    await cluster.client.update(NODES, '', {
      ...current,
      spec: { ...(current.spec as Obj), unschedulable: true },
    });
    await eventually(
      () => taintKeys(node('skiff-sim-2')).join() === 'node.kubernetes.io/unschedulable:NoSchedule',
      3000,
      'unschedulable taint',
    );
    const cordoned = node('skiff-sim-2');
    await cluster.client.update(NODES, '', {
      ...cordoned,
      spec: { ...(cordoned.spec as Obj), unschedulable: false },
    });
    await eventually(() => taints(node('skiff-sim-2')).length === 0, 3000, 'taint removed');
  });

  it('evicts nothing when every node is down (full disruption)', async () => {
    await createPod('only', 'skiff-sim-1', [
      {
        key: 'node.kubernetes.io/unreachable',
        operator: 'Exists',
        effect: 'NoExecute',
        tolerationSeconds: 1,
      },
    ]);
    await eventually(() => condition(pod('only'), 'Ready')?.status === 'True', 5000, 'pod ready');
    await nodes.setHeartbeat('skiff-sim-1', false);
    await nodes.setHeartbeat('skiff-sim-2', false);
    await eventually(
      () =>
        ['skiff-sim-1', 'skiff-sim-2'].every(
          (n) => condition(node(n), 'Ready')?.status === 'Unknown',
        ),
      6000,
      'both Unknown',
    );
    await new Promise((r) => setTimeout(r, 1500));
    expect(taintKeys(node('skiff-sim-1'))).toEqual(['node.kubernetes.io/unreachable:NoSchedule']);
    expect(pod('only')?.metadata.deletionTimestamp).toBeUndefined();
  }, 20_000);
});
