import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../api/types.ts';
import { eventually, startTestCluster, type TestCluster } from '../testing/cluster.ts';
import { markPodReady, emulateNode } from '../replicaset/pod-emulation.ts';
import { CONTROLLER_REVISIONS } from '../history/controller-history.ts';
import {
  PODS,
  PVCS,
  STATEFUL_SETS,
  newStatefulSetController,
  type StatefulSetController,
} from './stateful-set-controller.ts';

const EVENTS = { group: '', version: 'v1', resource: 'events' };

function statefulSet(
  name: string,
  replicas: number,
  extra: Record<string, unknown> = {},
): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name },
    spec: {
      replicas,
      serviceName: 'nginx',
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [
            {
              name: 'c',
              image: 'nginx:1',
              volumeMounts: [{ name: 'data', mountPath: '/data' }],
            },
          ],
        },
      },
      volumeClaimTemplates: [
        {
          metadata: { name: 'data' },
          spec: {
            accessModes: ['ReadWriteOnce'],
            resources: { requests: { storage: '1Gi' } },
          },
        },
      ],
      ...extra,
    },
  };
}

describe('StatefulSet controller', () => {
  let cluster: TestCluster;
  let controller: StatefulSetController;
  const deleted: string[] = [];
  beforeEach(async () => {
    deleted.length = 0;
    cluster = await startTestCluster();
    controller = newStatefulSetController(cluster.context('statefulset-controller'));
    controller.start();
    cluster.informers.for(PODS).addHandlers({
      update: (old, pod) => {
        if (pod.metadata.deletionTimestamp && !old.metadata.deletionTimestamp)
          deleted.push(pod.metadata.name ?? '');
      },
      delete: (pod) => {
        if (!pod.metadata.deletionTimestamp) deleted.push(pod.metadata.name ?? '');
      },
    });
    cluster.informers.start();
  });
  afterEach(async () => {
    await controller.stop();
    await cluster.stop();
  });

  const pod = (name: string) => cluster.client.tryGet(PODS, 'default', name);
  const live = () =>
    cluster.client
      .list(PODS, 'default')
      .items.filter((p) => !p.metadata.deletionTimestamp)
      .map((p) => p.metadata.name)
      .sort();
  const status = () =>
    cluster.client.get(STATEFUL_SETS, 'default', 'web').status as Record<string, unknown>;
  const revisions = () =>
    cluster.client
      .list(CONTROLLER_REVISIONS, 'default')
      .items.map((r) => ({ name: r.metadata.name, revision: r.revision, data: r.data }))
      .sort((a, b) => (a.revision as number) - (b.revision as number));

  it('creates pods in order, each after the previous is ready, with claims first', async () => {
    const set = await cluster.client.create(STATEFUL_SETS, 'default', statefulSet('web', 3));
    const web0 = await eventually(() => pod('web-0'), 10_000, 'web-0');
    expect(cluster.client.tryGet(PVCS, 'default', 'data-web-0')).toBeDefined();
    // OrderedReady: web-1 waits until web-0 is Running and Ready.
    await new Promise((r) => setTimeout(r, 300));
    expect(pod('web-1')).toBeUndefined();
    expect(web0.metadata.labels).toMatchObject({
      app: 'web',
      'statefulset.kubernetes.io/pod-name': 'web-0',
      'apps.kubernetes.io/pod-index': '0',
    });
    expect(web0.metadata.labels?.['controller-revision-hash']).toMatch(/^web-[a-z0-9]+$/);
    expect(web0.metadata.ownerReferences?.[0]).toMatchObject({
      kind: 'StatefulSet',
      name: 'web',
      uid: set.metadata.uid,
      controller: true,
    });
    const spec = web0.spec as Record<string, unknown>;
    expect(spec.hostname).toBe('web-0');
    expect(spec.subdomain).toBe('nginx');
    expect(spec.volumes).toContainEqual({
      name: 'data',
      persistentVolumeClaim: { claimName: 'data-web-0' },
    });
    expect(cluster.client.get(PVCS, 'default', 'data-web-0').metadata.labels).toEqual({
      app: 'web',
    });

    await markPodReady(cluster.client, web0);
    await eventually(() => pod('web-1'), 10_000, 'web-1 after web-0 ready');
    expect(pod('web-2')).toBeUndefined();
    const node = emulateNode(cluster.client, 'default');
    try {
      await eventually(() => status().readyReplicas === 3, 10_000, '3 ready');
    } finally {
      node.dispose();
    }
    const s = status();
    expect(s).toMatchObject({
      replicas: 3,
      readyReplicas: 3,
      availableReplicas: 3,
      currentReplicas: 3,
      updatedReplicas: 3,
      observedGeneration: 1,
      collisionCount: 0,
    });
    expect(s.currentRevision).toBe(s.updateRevision);
    const revs = revisions();
    expect(revs).toHaveLength(1);
    expect(revs[0].name).toBe(s.updateRevision);
    expect(revs[0].revision).toBe(1);
    expect(revs[0].data).toMatchObject({
      spec: { template: { $patch: 'replace', metadata: { labels: { app: 'web' } } } },
    });
    await controller.flushEvents();
    const messages = cluster.client.list(EVENTS, 'default').items.map((e) => e.message);
    expect(messages).toContain('create Pod web-0 in StatefulSet web successful');
    expect(messages).toContain('create Claim data-web-0 Pod web-0 in StatefulSet web success');
  });

  it('scales down in reverse order and keeps the claims', async () => {
    const node = emulateNode(cluster.client, 'default');
    try {
      await cluster.client.create(STATEFUL_SETS, 'default', statefulSet('web', 3));
      await eventually(() => status()?.readyReplicas === 3, 10_000, '3 ready');
      await cluster.client.patch(STATEFUL_SETS, 'default', 'web', 'application/merge-patch+json', {
        spec: { replicas: 1 },
      });
      await eventually(() => live().join() === 'web-0', 10_000, 'scaled to 1');
      expect(deleted.slice(0, 2)).toEqual(['web-2', 'web-1']);
      for (const claim of ['data-web-0', 'data-web-1', 'data-web-2'])
        expect(cluster.client.tryGet(PVCS, 'default', claim)).toBeDefined();
      await eventually(() => status().replicas === 1, 10_000, 'status replicas 1');
      await controller.flushEvents();
      const messages = cluster.client.list(EVENTS, 'default').items.map((e) => e.message);
      expect(messages).toContain('delete Pod web-2 in StatefulSet web successful');
    } finally {
      node.dispose();
    }
  });

  it('hands a scaled-down claim to its pod with whenScaled: Delete', async () => {
    const node = emulateNode(cluster.client, 'default');
    try {
      await cluster.client.create(
        STATEFUL_SETS,
        'default',
        statefulSet('web', 2, {
          persistentVolumeClaimRetentionPolicy: { whenScaled: 'Delete', whenDeleted: 'Retain' },
        }),
      );
      await eventually(() => status()?.readyReplicas === 2, 10_000, '2 ready');
      const web1 = pod('web-1')!;
      expect(
        cluster.client.get(PVCS, 'default', 'data-web-1').metadata.ownerReferences,
      ).toBeUndefined();
      await cluster.client.patch(STATEFUL_SETS, 'default', 'web', 'application/merge-patch+json', {
        spec: { replicas: 1 },
      });
      await eventually(() => live().join() === 'web-0', 10_000, 'scaled to 1');
      expect(cluster.client.get(PVCS, 'default', 'data-web-1').metadata.ownerReferences).toEqual([
        expect.objectContaining({
          kind: 'Pod',
          name: 'web-1',
          uid: web1.metadata.uid,
          controller: true,
        }),
      ]);
      expect(
        cluster.client.get(PVCS, 'default', 'data-web-0').metadata.ownerReferences,
      ).toBeUndefined();
    } finally {
      node.dispose();
    }
  });

  it('creates all pods at once with Parallel', async () => {
    await cluster.client.create(
      STATEFUL_SETS,
      'default',
      statefulSet('web', 3, { podManagementPolicy: 'Parallel' }),
    );
    await eventually(() => live().length === 3, 10_000, '3 pods without readiness');
    expect(live()).toEqual(['web-0', 'web-1', 'web-2']);
  });

  it('replaces pods only when deleted with OnDelete', async () => {
    const node = emulateNode(cluster.client, 'default');
    try {
      await cluster.client.create(
        STATEFUL_SETS,
        'default',
        statefulSet('web', 2, { updateStrategy: { type: 'OnDelete' } }),
      );
      await eventually(() => status()?.readyReplicas === 2, 10_000, '2 ready');
      const first = status().currentRevision as string;
      await cluster.client.patch(STATEFUL_SETS, 'default', 'web', 'application/merge-patch+json', {
        spec: { template: { metadata: { annotations: { rev: '2' } } } },
      });
      await eventually(() => status().updateRevision !== first, 10_000, 'new update revision');
      await new Promise((r) => setTimeout(r, 300));
      expect(deleted).toEqual([]);
      const web1 = pod('web-1')!;
      await cluster.client.delete(PODS, 'default', 'web-1');
      await eventually(
        () => {
          const p = pod('web-1');
          return p && p.metadata.uid !== web1.metadata.uid && p.metadata.annotations?.rev === '2';
        },
        10_000,
        'web-1 recreated from the new template',
      );
      expect(pod('web-0')?.metadata.annotations?.rev).toBeUndefined();
      await eventually(() => status().updatedReplicas === 1, 10_000, 'one updated');
      expect(status().currentRevision).toBe(first);
    } finally {
      node.dispose();
    }
  });

  it('numbers pods from spec.ordinals.start', async () => {
    await cluster.client.create(
      STATEFUL_SETS,
      'default',
      statefulSet('web', 2, { podManagementPolicy: 'Parallel', ordinals: { start: 5 } }),
    );
    await eventually(() => live().length === 2, 10_000, '2 pods');
    expect(live()).toEqual(['web-5', 'web-6']);
    expect(pod('web-6')?.metadata.labels?.['apps.kubernetes.io/pod-index']).toBe('6');
    expect(cluster.client.tryGet(PVCS, 'default', 'data-web-5')).toBeDefined();
  });

  it('rolls from the highest ordinal honouring the partition, and undo reuses a revision', async () => {
    const node = emulateNode(cluster.client, 'default');
    try {
      await cluster.client.create(
        STATEFUL_SETS,
        'default',
        statefulSet('web', 3, {
          updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } },
        }),
      );
      await eventually(() => status()?.readyReplicas === 3, 10_000, '3 ready');
      const first = status().currentRevision as string;
      await cluster.client.patch(
        STATEFUL_SETS,
        'default',
        'web',
        'application/strategic-merge-patch+json',
        { spec: { template: { spec: { containers: [{ name: 'c', image: 'nginx:2' }] } } } },
      );
      await eventually(
        () => status().updatedReplicas === 1 && status().readyReplicas === 3,
        10_000,
        'partitioned update',
      );
      const second = status().updateRevision as string;
      expect(second).not.toBe(first);
      expect(status().currentRevision).toBe(first);
      const rev = (name: string) => pod(name)?.metadata.labels?.['controller-revision-hash'];
      expect([rev('web-0'), rev('web-1'), rev('web-2')]).toEqual([first, first, second]);
      expect(revisions().map((r) => [r.name, r.revision])).toEqual([
        [first, 1],
        [second, 2],
      ]);

      deleted.length = 0;
      await cluster.client.patch(STATEFUL_SETS, 'default', 'web', 'application/merge-patch+json', {
        spec: { updateStrategy: { rollingUpdate: { partition: 0 } } },
      });
      await eventually(
        () => status().currentRevision === second && status().readyReplicas === 3,
        10_000,
        'rollout complete',
      );
      expect(deleted).toEqual(['web-1', 'web-0']);
      expect(status().updatedReplicas).toBe(3);

      // kubectl rollout undo: strategic-merge the old revision's data onto the set.
      const old = cluster.client.get(CONTROLLER_REVISIONS, 'default', first);
      await cluster.client.patch(
        STATEFUL_SETS,
        'default',
        'web',
        'application/strategic-merge-patch+json',
        old.data,
      );
      await eventually(
        () => status().currentRevision === first && status().updatedReplicas === 3,
        10_000,
        'undo complete',
      );
      expect(revisions().map((r) => [r.name, r.revision])).toEqual([
        [second, 2],
        [first, 3],
      ]);
      const image = (pod('web-0')?.spec as { containers: { image: string }[] }).containers[0].image;
      expect(image).toBe('nginx:1');
    } finally {
      node.dispose();
    }
  });
});
