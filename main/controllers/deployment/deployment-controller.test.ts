import { isPodReady } from '../../api/pod-conditions.ts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../api/types.ts';
import { eventually, startTestCluster, type TestCluster } from '../testing/cluster.ts';
import {
  PODS,
  REPLICA_SETS,
  newReplicaSetController,
  type ReplicaSetController,
} from '../replicaset/replica-set-controller.ts';
import { controllerRef } from '../replicaset/controller-utils.ts';
import { emulateNode } from '../replicaset/pod-emulation.ts';
import {
  DEPLOYMENTS,
  newDeploymentController,
  type DeploymentController,
} from './deployment-controller.ts';

const EVENTS = { group: '', version: 'v1', resource: 'events' };
const MERGE = 'application/merge-patch+json';
const SMP = 'application/strategic-merge-patch+json';

interface Status {
  observedGeneration?: number;
  replicas?: number;
  updatedReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  unavailableReplicas?: number;
  conditions?: { type: string; status: string; reason: string; message: string }[];
}

function deployment(name: string, spec: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'c', image: 'nginx:1' }] },
      },
      ...spec,
    },
  };
}

describe('Deployment controller', () => {
  let cluster: TestCluster;
  let rsController: ReplicaSetController;
  let controller: DeploymentController;
  const disposers: { dispose(): void }[] = [];

  beforeEach(async () => {
    cluster = await startTestCluster();
    rsController = newReplicaSetController(cluster.context('replicaset-controller'));
    controller = newDeploymentController(cluster.context('deployment-controller'));
    rsController.start();
    controller.start();
    cluster.informers.start();
  });
  afterEach(async () => {
    for (const d of disposers.splice(0)) d.dispose();
    await controller.stop();
    await rsController.stop();
    await cluster.stop();
  });

  const get = (name: string) => cluster.client.get(DEPLOYMENTS, 'default', name);
  const statusOf = (name: string) => (get(name).status ?? {}) as Status;
  const condition = (name: string, type: string) =>
    statusOf(name).conditions?.find((c) => c.type === type);
  const replicaSetsOf = (d: KubeObject) =>
    cluster.client
      .list(REPLICA_SETS, 'default')
      .items.filter((rs) => controllerRef(rs)?.uid === d.metadata.uid);
  const specReplicas = (rs: KubeObject) => (rs.spec as { replicas: number }).replicas;

  /** What `kubectl rollout status` waits for (rollout_status.go), plus kstatus's conditions. */
  function rolloutComplete(name: string): boolean {
    const d = get(name);
    const s = (d.status ?? {}) as Status;
    const want = (d.spec as { replicas: number }).replicas;
    return (
      (d.metadata.generation ?? 0) <= (s.observedGeneration ?? 0) &&
      (s.updatedReplicas ?? 0) >= want &&
      (s.replicas ?? 0) <= (s.updatedReplicas ?? 0) &&
      (s.availableReplicas ?? 0) >= (s.updatedReplicas ?? 0) &&
      condition(name, 'Progressing')?.reason === 'NewReplicaSetAvailable' &&
      condition(name, 'Available')?.status === 'True'
    );
  }

  const setImage = (name: string, image: string) =>
    cluster.client.patch(DEPLOYMENTS, 'default', name, 'application/strategic-merge-patch+json', {
      spec: { template: { spec: { containers: [{ name: 'c', image }] } } },
    });

  it('creates a hashed ReplicaSet and reaches the status rollout status waits for', async () => {
    disposers.push(emulateNode(cluster.client, 'default'));
    const d = await cluster.client.create(DEPLOYMENTS, 'default', deployment('web'));
    await eventually(() => rolloutComplete('web'), 10_000, 'rollout complete');
    const [rs] = replicaSetsOf(d);
    const hash = rs.metadata.labels?.['pod-template-hash'];
    expect(hash).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]+$/);
    expect(rs.metadata.name).toBe(`web-${hash}`);
    expect((rs.spec as { selector: unknown }).selector).toEqual({
      matchLabels: { app: 'web', 'pod-template-hash': hash },
    });
    expect(rs.metadata.annotations).toMatchObject({
      'deployment.kubernetes.io/revision': '1',
      'deployment.kubernetes.io/desired-replicas': '3',
      'deployment.kubernetes.io/max-replicas': '4',
    });
    expect(controllerRef(rs)).toMatchObject({ kind: 'Deployment', uid: d.metadata.uid });
    expect(get('web').metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('1');
    expect(statusOf('web')).toMatchObject({
      replicas: 3,
      updatedReplicas: 3,
      readyReplicas: 3,
      availableReplicas: 3,
      unavailableReplicas: 0,
      terminatingReplicas: 0,
    });
    expect(condition('web', 'Available')?.reason).toBe('MinimumReplicasAvailable');
    const pods = cluster.client.list(PODS, 'default').items;
    expect(pods.every((p) => p.metadata.labels?.['pod-template-hash'] === hash)).toBe(true);

    await controller.flushEvents();
    const messages = cluster.client
      .list(EVENTS, 'default')
      .items.filter((e) => e.reason === 'ScalingReplicaSet')
      .map((e) => e.message);
    expect(messages).toContain(`Scaled up replica set web-${hash} from 0 to 3`);
  });

  it('rolls out a new template within maxSurge and maxUnavailable, then rolls back', async () => {
    disposers.push(emulateNode(cluster.client, 'default'));
    const d = await cluster.client.create(
      DEPLOYMENTS,
      'default',
      deployment('web', {
        replicas: 4,
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } },
      }),
    );
    await eventually(() => rolloutComplete('web'), 10_000, 'first rollout');
    const [first] = replicaSetsOf(d);

    // Record, at every write, the sum of ReplicaSet sizes and the pods that are ready and live.
    const sizes = new Map<string, number>();
    const readyPods = new Map<string, boolean>();
    for (const rs of replicaSetsOf(d)) sizes.set(rs.metadata.name!, specReplicas(rs));
    for (const pod of cluster.client.list(PODS, 'default').items)
      readyPods.set(pod.metadata.name!, isPodReady(pod));
    let maxTotal = 0;
    let minReady = Infinity;
    const rv = cluster.client.list(REPLICA_SETS, 'default').resourceVersion;
    disposers.push(
      cluster.client.watch(REPLICA_SETS, 'default', rv, (type, rs) => {
        if (type === 'DELETED') sizes.delete(rs.metadata.name!);
        else sizes.set(rs.metadata.name!, specReplicas(rs));
        maxTotal = Math.max(
          maxTotal,
          [...sizes.values()].reduce((a, b) => a + b, 0),
        );
      }),
      cluster.client.watch(PODS, 'default', rv, (type, pod) => {
        if (type === 'DELETED' || pod.metadata.deletionTimestamp)
          readyPods.delete(pod.metadata.name!);
        else readyPods.set(pod.metadata.name!, isPodReady(pod));
        minReady = Math.min(minReady, [...readyPods.values()].filter(Boolean).length);
      }),
    );

    await setImage('web', 'nginx:2');
    await eventually(
      () =>
        rolloutComplete('web') &&
        replicaSetsOf(d).length === 2 &&
        statusOf('web').updatedReplicas === 4,
      15_000,
      'second rollout',
    );
    expect(maxTotal).toBeGreaterThan(4);
    expect(maxTotal).toBeLessThanOrEqual(5);
    expect(minReady).toBeGreaterThanOrEqual(3);
    const second = replicaSetsOf(d).find((rs) => rs.metadata.name !== first.metadata.name)!;
    expect(second.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('2');
    expect(
      specReplicas(replicaSetsOf(d).find((rs) => rs.metadata.name === first.metadata.name)!),
    ).toBe(0);
    expect(get('web').metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('2');

    // kubectl rollout undo writes the old template back; the controller reuses the old set.
    await setImage('web', 'nginx:1');
    await eventually(
      () =>
        rolloutComplete('web') &&
        get('web').metadata.annotations?.['deployment.kubernetes.io/revision'] === '3',
      15_000,
      'rollback',
    );
    const sets = replicaSetsOf(d);
    expect(sets).toHaveLength(2);
    const back = sets.find((rs) => rs.metadata.name === first.metadata.name)!;
    expect(back.metadata.annotations).toMatchObject({
      'deployment.kubernetes.io/revision': '3',
      'deployment.kubernetes.io/revision-history': '1',
    });
    expect(specReplicas(back)).toBe(4);
  });

  it('copies change-cause and deletes idle sets beyond revisionHistoryLimit, oldest first', async () => {
    disposers.push(emulateNode(cluster.client, 'default'));
    const d = await cluster.client.create(
      DEPLOYMENTS,
      'default',
      deployment('web', { replicas: 1, revisionHistoryLimit: 1 }),
    );
    await eventually(() => rolloutComplete('web'));
    for (const version of [2, 3, 4]) {
      // One write, as `kubectl apply` of a manifest carrying both makes.
      await cluster.client.patch(DEPLOYMENTS, 'default', 'web', SMP, {
        metadata: { annotations: { 'kubernetes.io/change-cause': `image ${version}` } },
        spec: { template: { spec: { containers: [{ name: 'c', image: `nginx:${version}` }] } } },
      });
      await eventually(
        () =>
          rolloutComplete('web') &&
          get('web').metadata.annotations?.['deployment.kubernetes.io/revision'] ===
            String(version),
        10_000,
        `rollout ${version}`,
      );
    }
    const revisions = await eventually(() => {
      const sets = replicaSetsOf(d);
      return sets.length === 2 ? sets : undefined;
    });
    const byRevision: Record<string, KubeObject> = {};
    for (const rs of revisions)
      byRevision[rs.metadata.annotations?.['deployment.kubernetes.io/revision'] ?? ''] = rs;
    expect(Object.keys(byRevision).sort()).toEqual(['3', '4']);
    expect(byRevision['4'].metadata.annotations?.['kubernetes.io/change-cause']).toBe('image 4');
    expect(byRevision['3'].metadata.annotations?.['kubernetes.io/change-cause']).toBe('image 3');
  });

  it('Recreate removes every old pod before the new set has any', async () => {
    disposers.push(emulateNode(cluster.client, 'default'));
    const d = await cluster.client.create(
      DEPLOYMENTS,
      'default',
      deployment('web', { strategy: { type: 'Recreate' } }),
    );
    await eventually(() => rolloutComplete('web'));
    const [old] = replicaSetsOf(d);
    const live = new Map<string, string>();
    for (const pod of cluster.client.list(PODS, 'default').items)
      live.set(pod.metadata.name!, controllerRef(pod)?.uid ?? '');
    let overlap = false;
    const rv = cluster.client.list(PODS, 'default').resourceVersion;
    disposers.push(
      cluster.client.watch(PODS, 'default', rv, (type, pod) => {
        if (type === 'DELETED' || pod.metadata.deletionTimestamp) live.delete(pod.metadata.name!);
        else live.set(pod.metadata.name!, controllerRef(pod)?.uid ?? '');
        const owners = new Set(live.values());
        if (owners.size > 1) overlap = true;
      }),
    );
    await setImage('web', 'nginx:2');
    await eventually(
      () => rolloutComplete('web') && replicaSetsOf(d).length === 2,
      15_000,
      'recreate rollout',
    );
    expect(overlap).toBe(false);
    const sets = replicaSetsOf(d);
    expect(specReplicas(sets.find((rs) => rs.metadata.uid === old.metadata.uid)!)).toBe(0);
    expect(new Set(live.values()).has(old.metadata.uid!)).toBe(false);
  });

  it('a paused Deployment does not roll out but still scales; resume rolls out', async () => {
    disposers.push(emulateNode(cluster.client, 'default'));
    const d = await cluster.client.create(DEPLOYMENTS, 'default', deployment('web'));
    await eventually(() => rolloutComplete('web'));
    await cluster.client.patch(DEPLOYMENTS, 'default', 'web', MERGE, { spec: { paused: true } });
    await eventually(() => condition('web', 'Progressing')?.reason === 'DeploymentPaused');
    expect(condition('web', 'Progressing')).toMatchObject({
      status: 'Unknown',
      message: 'Deployment is paused',
    });
    await setImage('web', 'nginx:2');
    await cluster.client.patch(DEPLOYMENTS, 'default', 'web', MERGE, { spec: { replicas: 5 } });
    await eventually(
      () => replicaSetsOf(d).length === 1 && specReplicas(replicaSetsOf(d)[0]) === 5,
      10_000,
      'scaled while paused',
    );
    await eventually(() => statusOf('web').observedGeneration === get('web').metadata.generation);
    expect(replicaSetsOf(d)).toHaveLength(1);
    expect(
      replicaSetsOf(d)[0].metadata.annotations?.['deployment.kubernetes.io/desired-replicas'],
    ).toBe('5');

    await cluster.client.patch(DEPLOYMENTS, 'default', 'web', MERGE, { spec: { paused: false } });
    await eventually(
      () =>
        rolloutComplete('web') &&
        replicaSetsOf(d).length === 2 &&
        statusOf('web').updatedReplicas === 5,
      15_000,
      'rollout after resume',
    );
  });

  it('scales a stuck rollout proportionally across old and new sets', async () => {
    // Only the old template's pods ever become ready, so the rollout stalls at maxSurge.
    disposers.push(
      emulateNode(cluster.client, 'default', (pod) =>
        JSON.stringify(pod.spec).includes('"nginx:1"'),
      ),
    );
    const d = await cluster.client.create(
      DEPLOYMENTS,
      'default',
      deployment('web', {
        replicas: 10,
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 0 } },
      }),
    );
    await eventually(() => rolloutComplete('web'));
    const [old] = replicaSetsOf(d);
    await setImage('web', 'nginx:2');
    const sizes = () => {
      const sets = replicaSetsOf(d);
      const o = sets.find((rs) => rs.metadata.uid === old.metadata.uid);
      const n = sets.find((rs) => rs.metadata.uid !== old.metadata.uid);
      return o && n ? [specReplicas(o), specReplicas(n)] : undefined;
    };
    // 25% of 10 rounds up to a surge of 3; nothing old may go while nothing new is available.
    await eventually(() => sizes()?.join() === '10,3', 10_000, 'stalled at surge');
    await cluster.client.patch(DEPLOYMENTS, 'default', 'web', MERGE, { spec: { replicas: 20 } });
    // 20 + 5 surge = 25 shared in proportion to max-replicas 13: 10→19, 3→6.
    await eventually(() => sizes()?.join() === '19,6', 10_000, 'proportional scale');
    await new Promise((r) => setTimeout(r, 200));
    expect(sizes()).toEqual([19, 6]);
    for (const rs of replicaSetsOf(d)) {
      expect(rs.metadata.annotations).toMatchObject({
        'deployment.kubernetes.io/desired-replicas': '20',
        'deployment.kubernetes.io/max-replicas': '25',
      });
    }
  });

  it('reports ProgressDeadlineExceeded when pods never become ready', async () => {
    await cluster.client.create(
      DEPLOYMENTS,
      'default',
      deployment('stuck', { progressDeadlineSeconds: 1 }),
    );
    const progressing = await eventually(
      () => {
        const c = condition('stuck', 'Progressing');
        return c?.reason === 'ProgressDeadlineExceeded' ? c : undefined;
      },
      15_000,
      'deadline exceeded',
    );
    expect(progressing.status).toBe('False');
    expect(progressing.message).toMatch(
      /^ReplicaSet "stuck-[a-z0-9]+" has timed out progressing\.$/,
    );
    expect(condition('stuck', 'Available')).toMatchObject({
      status: 'False',
      reason: 'MinimumReplicasUnavailable',
    });
    expect(statusOf('stuck')).toMatchObject({
      replicas: 3,
      updatedReplicas: 3,
      unavailableReplicas: 3,
    });
  });
});
