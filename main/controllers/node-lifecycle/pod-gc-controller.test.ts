import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../api/types.ts';
import { eventually, startTestCluster, type TestCluster } from '../testing/cluster.ts';
import { PodGcController } from './pod-gc-controller.ts';

const NODES = { group: '', version: 'v1', resource: 'nodes' };
const PODS = { group: '', version: 'v1', resource: 'pods' };

type Obj = Record<string, unknown>;

describe('PodGcController', () => {
  let cluster: TestCluster;
  let controller: PodGcController;
  const deletions: string[] = [];

  beforeEach(async () => {
    cluster = await startTestCluster();
    deletions.length = 0;
    controller = new PodGcController(
      {
        ...cluster.context('pod-garbage-collector'),
        log: (line) => deletions.push(line),
      },
      { periodMs: 50, quarantineMs: 1000, terminatedPodThreshold: 2 },
    );
    controller.start();
    cluster.informers.start();
  });

  afterEach(async () => {
    await controller.stop();
    await cluster.stop();
  });

  const pod = (name: string) => cluster.client.tryGet(PODS, 'default', name);

  async function createPod(name: string, spec: Obj = {}, status?: Obj): Promise<KubeObject> {
    const created = await cluster.client.create(PODS, 'default', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name },
      spec: { containers: [{ name: 'app', image: 'busybox' }], ...spec },
    });
    if (!status) return created;
    return cluster.client.updateStatus(PODS, 'default', { ...created, status });
  }

  it('deletes pods of a node that is gone after the quarantine, marked Failed by PodGC', async () => {
    await cluster.client.create(NODES, '', {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'here' },
    });
    await createPod('orphan', { nodeName: 'gone' }, { phase: 'Running' });
    await createPod('kept', { nodeName: 'here' }, { phase: 'Running' });
    const seen: KubeObject[] = [];
    const watch = cluster.client.watch(PODS, 'default', '0', (type, object) => {
      if (type === 'MODIFIED' && object.metadata.name === 'orphan') seen.push(object);
    });
    try {
      // Not before the quarantine has passed.
      await new Promise((r) => setTimeout(r, 150));
      expect(pod('orphan')).toBeDefined();
      await eventually(() => pod('orphan') === undefined, 5000, 'orphan deleted');
    } finally {
      watch.dispose();
    }
    const failed = seen.find((p) => (p.status as Obj).phase === 'Failed');
    expect(failed).toBeDefined();
    expect(
      ((failed!.status as Obj).conditions as Obj[]).find((c) => c.type === 'DisruptionTarget'),
    ).toMatchObject({
      status: 'True',
      reason: 'DeletionByPodGC',
      message: 'PodGC: node no longer exists',
    });
    expect(pod('kept')).toBeDefined();
  });

  it('keeps the pods of a node that comes back within the quarantine', async () => {
    await createPod('early', { nodeName: 'late-node' }, { phase: 'Running' });
    await new Promise((r) => setTimeout(r, 100));
    await cluster.client.create(NODES, '', {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'late-node' },
    });
    // Past the quarantine: the node is there, so nothing goes.
    await new Promise((r) => setTimeout(r, 1300));
    expect(pod('early')).toBeDefined();
  });

  it('force-deletes an unscheduled terminating pod, marked Failed', async () => {
    const created = await createPod('stuck');
    await cluster.client.update(PODS, 'default', {
      ...created,
      metadata: { ...created.metadata, finalizers: ['example.com/hold'] },
    });
    await cluster.client.delete(PODS, 'default', 'stuck');
    // The finalizer holds it, so the pass's grace-0 delete and Failed phase can be seen.
    const failed = await eventually(
      () => {
        const p = pod('stuck');
        return (p?.status as Obj | undefined)?.phase === 'Failed' && p;
      },
      5000,
      'marked Failed',
    );
    expect(failed.metadata.deletionTimestamp).toBeTypeOf('string');
    expect(failed.metadata.deletionGracePeriodSeconds).toBe(0);
    expect(deletions.join('\n')).toContain('force deleting pod default/stuck');
  });

  it('deletes the oldest terminated pods beyond the threshold', async () => {
    await cluster.client.create(NODES, '', {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'n' },
    });
    // Created within the same second, the names break the tie.
    for (const name of ['done-1', 'done-2', 'done-3'])
      await createPod(name, { nodeName: 'n' }, { phase: 'Succeeded' });
    await eventually(() => pod('done-1') === undefined, 5000, 'oldest terminated pod deleted');
    await new Promise((r) => setTimeout(r, 200));
    expect(pod('done-2')).toBeDefined();
    expect(pod('done-3')).toBeDefined();
  });
});
