import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../api/types.ts';
import { eventually, startTestCluster, type TestCluster } from '../testing/cluster.ts';
import {
  PODS,
  REPLICA_SETS,
  REPLICATION_CONTROLLERS,
  newReplicaSetController,
  newReplicationControllerManager,
  type ReplicaSetController,
} from './replica-set-controller.ts';
import { controllerRef } from './controller-utils.ts';
import { markPodsReady } from './pod-emulation.ts';

const EVENTS = { group: '', version: 'v1', resource: 'events' };

function replicaSet(name: string, replicas: number): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name, tier: 'web' } },
        spec: { containers: [{ name: 'c', image: 'busybox' }] },
      },
    },
  };
}

describe('ReplicaSet controller', () => {
  let cluster: TestCluster;
  let controller: ReplicaSetController;
  beforeEach(async () => {
    cluster = await startTestCluster();
    controller = newReplicaSetController(cluster.context('replicaset-controller'));
    controller.start();
    cluster.informers.start();
  });
  afterEach(async () => {
    await controller.stop();
    await cluster.stop();
  });

  const owned = (rs: KubeObject) =>
    cluster.client
      .list(PODS, 'default')
      .items.filter(
        (p) => controllerRef(p)?.uid === rs.metadata.uid && !p.metadata.deletionTimestamp,
      );

  it('creates spec.replicas pods from the template and replaces a deleted one', async () => {
    const rs = await cluster.client.create(REPLICA_SETS, 'default', replicaSet('web', 3));
    await eventually(() => owned(rs).length === 3, 10_000, '3 pods');
    const pods = owned(rs);
    for (const pod of pods) {
      expect(pod.metadata.name).toMatch(/^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
      expect(pod.metadata.labels).toEqual({ app: 'web', tier: 'web' });
      expect(controllerRef(pod)).toMatchObject({
        kind: 'ReplicaSet',
        name: 'web',
        uid: rs.metadata.uid,
        blockOwnerDeletion: true,
      });
    }
    await cluster.client.delete(PODS, 'default', pods[0].metadata.name!);
    await eventually(
      () =>
        owned(rs).length === 3 && !owned(rs).some((p) => p.metadata.name === pods[0].metadata.name),
      10_000,
      'replacement pod',
    );
    // Never more than asked for.
    await new Promise((r) => setTimeout(r, 200));
    expect(owned(rs)).toHaveLength(3);

    await markPodsReady(cluster.client, 'default', rs.metadata.uid!);
    const status = await eventually(() => {
      const s = cluster.client.get(REPLICA_SETS, 'default', 'web').status as Record<string, number>;
      return s.readyReplicas === 3 && s.availableReplicas === 3 ? s : undefined;
    });
    expect(status).toMatchObject({
      replicas: 3,
      fullyLabeledReplicas: 3,
      observedGeneration: 1,
      terminatingReplicas: 0,
    });

    await controller.flushEvents();
    const reasons = cluster.client
      .list(EVENTS, 'default')
      .items.filter((e) => (e.involvedObject as { name: string }).name === 'web')
      .map((e) => `${e.reason as string}:${e.message as string}`);
    expect(reasons.some((r) => /^SuccessfulCreate:Created pod: web-/.test(r))).toBe(true);
  });

  it('counts pods available only after minReadySeconds', async () => {
    const spec = replicaSet('web', 2);
    (spec.spec as Record<string, unknown>).minReadySeconds = 2;
    const rs = await cluster.client.create(REPLICA_SETS, 'default', spec);
    await eventually(() => owned(rs).length === 2);
    await markPodsReady(cluster.client, 'default', rs.metadata.uid!);
    const read = () =>
      cluster.client.get(REPLICA_SETS, 'default', 'web').status as Record<string, number>;
    await eventually(() => read().readyReplicas === 2);
    expect(read().availableReplicas).toBe(0);
    await eventually(() => read().availableReplicas === 2, 5_000, 'available after 2s');
  });

  it('scales down preferring pods that are not ready', async () => {
    const rs = await cluster.client.create(REPLICA_SETS, 'default', replicaSet('web', 2));
    await eventually(() => owned(rs).length === 2);
    const [ready] = owned(rs);
    await markPodsReady(cluster.client, 'default', rs.metadata.uid!);
    await cluster.client.patch(REPLICA_SETS, 'default', 'web', 'application/merge-patch+json', {
      spec: { replicas: 3 },
    });
    await eventually(() => owned(rs).length === 3);
    await cluster.client.patch(REPLICA_SETS, 'default', 'web', 'application/merge-patch+json', {
      spec: { replicas: 2 },
    });
    await eventually(() => owned(rs).length === 2);
    expect(owned(rs).map((p) => p.metadata.name)).toContain(ready.metadata.name);
    expect(owned(rs).every((p) => (p.status as { phase?: string }).phase === 'Running')).toBe(true);
  });

  it('releases a pod whose labels stop matching and replaces it', async () => {
    const rs = await cluster.client.create(REPLICA_SETS, 'default', replicaSet('web', 2));
    await eventually(() => owned(rs).length === 2);
    const victim = owned(rs)[0];
    await cluster.client.patch(
      PODS,
      'default',
      victim.metadata.name!,
      'application/merge-patch+json',
      {
        metadata: { labels: { app: 'debug' } },
      },
    );
    await eventually(
      () => {
        const pod = cluster.client.get(PODS, 'default', victim.metadata.name!);
        return !controllerRef(pod) && owned(rs).length === 2;
      },
      10_000,
      'release and replacement',
    );
    expect(owned(rs).map((p) => p.metadata.name)).not.toContain(victim.metadata.name);
  });

  it('adopts a matching orphan instead of creating', async () => {
    await cluster.client.create(PODS, 'default', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'orphan', labels: { app: 'web' } },
      spec: { containers: [{ name: 'c', image: 'busybox' }] },
    });
    const rs = await cluster.client.create(REPLICA_SETS, 'default', replicaSet('web', 2));
    await eventually(() => owned(rs).length === 2);
    const orphan = cluster.client.get(PODS, 'default', 'orphan');
    expect(controllerRef(orphan)?.uid).toBe(rs.metadata.uid);
    // The adopted pod lacks the template's tier label.
    const status = await eventually(() => {
      const s = cluster.client.get(REPLICA_SETS, 'default', 'web').status as Record<string, number>;
      return s.replicas === 2 ? s : undefined;
    });
    expect(status.fullyLabeledReplicas).toBe(1);
  });

  it('reports ReplicaFailure and FailedCreate while creates fail, and clears it after', async () => {
    const QUOTAS = { group: '', version: 'v1', resource: 'resourcequotas' };
    await cluster.client.create(QUOTAS, 'default', {
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: { name: 'q' },
      spec: { hard: { pods: '0' } },
    });
    const rs = await cluster.client.create(REPLICA_SETS, 'default', replicaSet('web', 1));
    const condition = await eventually(() => {
      const s = cluster.client.get(REPLICA_SETS, 'default', 'web').status as {
        conditions?: { type: string; status: string; reason: string; message: string }[];
      };
      return s.conditions?.find((c) => c.type === 'ReplicaFailure');
    });
    expect(condition).toMatchObject({ status: 'True', reason: 'FailedCreate' });
    expect(condition.message).toMatch(/exceeded quota/);
    await controller.flushEvents();
    const failed = cluster.client
      .list(EVENTS, 'default')
      .items.find((e) => e.reason === 'FailedCreate');
    expect(failed).toMatchObject({
      type: 'Warning',
      source: { component: 'replicaset-controller' },
    });
    expect(failed?.message).toMatch(/^Error creating: /);

    await cluster.client.delete(QUOTAS, 'default', 'q');
    await eventually(() => owned(rs).length === 1, 15_000, 'pod after quota removal');
    await eventually(() => {
      const s = cluster.client.get(REPLICA_SETS, 'default', 'web').status as {
        conditions?: unknown[];
      };
      return !s.conditions?.length;
    });
  });
});

describe('ReplicationController manager', () => {
  it('manages pods for a ReplicationController with the same logic', async () => {
    const cluster = await startTestCluster();
    const controller = newReplicationControllerManager(cluster.context('replication-controller'));
    controller.start();
    cluster.informers.start();
    try {
      const rc = await cluster.client.create(REPLICATION_CONTROLLERS, 'default', {
        apiVersion: 'v1',
        kind: 'ReplicationController',
        metadata: { name: 'old' },
        spec: {
          replicas: 2,
          selector: { app: 'old' },
          template: {
            metadata: { labels: { app: 'old' } },
            spec: { containers: [{ name: 'c', image: 'busybox' }] },
          },
        },
      });
      await eventually(
        () =>
          cluster.client
            .list(PODS, 'default')
            .items.filter((p) => controllerRef(p)?.kind === 'ReplicationController').length === 2,
      );
      await markPodsReady(cluster.client, 'default', rc.metadata.uid!);
      await eventually(
        () =>
          (
            cluster.client.get(REPLICATION_CONTROLLERS, 'default', 'old').status as {
              readyReplicas?: number;
            }
          ).readyReplicas === 2,
      );
    } finally {
      await controller.stop();
      await cluster.stop();
    }
  });
});
