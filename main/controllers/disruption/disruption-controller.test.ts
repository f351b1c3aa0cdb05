import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../api/types.ts';
import { eventually, startTestCluster, type TestCluster } from '../testing/cluster.ts';
import { markPodReady } from '../replicaset/pod-emulation.ts';
import {
  DisruptionController,
  POD_DISRUPTION_BUDGETS,
  expectedCounts,
  scaledValue,
} from './disruption-controller.ts';
import { StatusError } from '../../api/status.ts';
import { admitEviction, evictionAllowed } from '../../apiserver/subresources/eviction.ts';

const PODS = { group: '', version: 'v1', resource: 'pods' };
const REPLICA_SETS = { group: 'apps', version: 'v1', resource: 'replicasets' };

function pod(name: string, labels: Record<string, string>, ready = true): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels },
    spec: { containers: [{ name: 'c', image: 'nginx' }] },
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
    },
  };
}

function pdb(name: string, spec: Record<string, unknown>, status?: Record<string, unknown>) {
  const object: KubeObject = {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name, namespace: 'default', generation: 1 },
    spec: { selector: { matchLabels: { app: 'web' } }, ...spec },
  };
  if (status) object.status = { observedGeneration: 1, ...status };
  return object;
}

describe('budget arithmetic', () => {
  it('scales percentages rounding up', () => {
    expect(scaledValue('50%', 3)).toBe(2);
    expect(scaledValue(2, 10)).toBe(2);
    expect(() => scaledValue('x', 1)).toThrow();
  });

  it('counts pods for integer minAvailable and owners’ scale otherwise', () => {
    const pods = [pod('a', {}), pod('b', {})];
    const scale = () => ({ key: 'rs', replicas: 5 });
    expect(expectedCounts(pdb('p', { minAvailable: 1 }), pods, scale)).toEqual({
      expectedPods: 2,
      desiredHealthy: 1,
    });
    expect(expectedCounts(pdb('p', { minAvailable: '50%' }), pods, scale)).toEqual({
      expectedPods: 5,
      desiredHealthy: 3,
    });
    expect(expectedCounts(pdb('p', { maxUnavailable: 1 }), pods, scale)).toEqual({
      expectedPods: 5,
      desiredHealthy: 4,
    });
    // Pods without a controller count as one each.
    expect(expectedCounts(pdb('p', { maxUnavailable: '100%' }), pods, () => undefined)).toEqual({
      expectedPods: 2,
      desiredHealthy: 0,
    });
  });
});

describe('evictionAllowed', () => {
  const web = pod('w1', { app: 'web' });

  it('allows pods no budget covers, and pods that are not running', () => {
    expect(evictionAllowed([], web)).toEqual({ allowed: true });
    const pending = { ...web, status: { phase: 'Pending' } };
    expect(evictionAllowed([pdb('p', {}, { disruptionsAllowed: 0 })], pending)).toEqual({
      allowed: true,
    });
  });

  it('refuses with 429 and a DisruptionBudget cause when no disruption is allowed', () => {
    const decision = evictionAllowed(
      [
        pdb(
          'web-pdb',
          { minAvailable: 2 },
          { disruptionsAllowed: 0, desiredHealthy: 2, currentHealthy: 2 },
        ),
      ],
      web,
    );
    expect(decision.allowed).toBe(false);
    if (decision.allowed) return;
    expect(decision.message).toBe(
      "Cannot evict pod as it would violate the pod's disruption budget.",
    );
    const status = decision.error.toStatus();
    expect(status).toMatchObject({
      code: 429,
      reason: 'TooManyRequests',
      details: {
        causes: [
          {
            reason: 'DisruptionBudget',
            message: 'The disruption budget web-pdb needs 2 healthy pods and has 2 currently',
          },
        ],
      },
    });
  });

  it('refuses while the budget is not yet processed, and with two budgets', () => {
    const stale = pdb('p', {}, { disruptionsAllowed: 1 });
    stale.metadata.generation = 2;
    const d = evictionAllowed([stale], web);
    expect(d.allowed || d.error.toStatus().details?.causes?.[0]?.message).toBe(
      'The disruption budget p is still being processed by the server.',
    );
    const two = evictionAllowed([pdb('a', {}, {}), pdb('b', {}, {})], web);
    expect(two.allowed || two.error.code).toBe(500);
  });

  it('charges the budget when a disruption is allowed', () => {
    const d = evictionAllowed(
      [
        pdb(
          'p',
          { minAvailable: 1 },
          { disruptionsAllowed: 1, currentHealthy: 2, desiredHealthy: 1 },
        ),
      ],
      web,
      new Date('2026-01-01T00:00:00Z'),
    );
    expect(d.allowed).toBe(true);
    if (!d.allowed) return;
    expect(d.charge?.status).toMatchObject({
      disruptionsAllowed: 0,
      disruptedPods: { w1: '2026-01-01T00:00:00Z' },
      conditions: [{ type: 'DisruptionAllowed', status: 'False', reason: 'InsufficientPods' }],
    });
  });

  it('lets unhealthy pods go when the budget is met or the policy is AlwaysAllow', () => {
    const sick = pod('s', { app: 'web' }, false);
    const met = pdb('p', {}, { disruptionsAllowed: 0, currentHealthy: 2, desiredHealthy: 2 });
    expect(evictionAllowed([met], sick)).toEqual({ allowed: true });
    const short = pdb('p', {}, { disruptionsAllowed: 0, currentHealthy: 1, desiredHealthy: 2 });
    expect(evictionAllowed([short], sick).allowed).toBe(false);
    const always = pdb(
      'p',
      { unhealthyPodEvictionPolicy: 'AlwaysAllow' },
      { disruptionsAllowed: 0, currentHealthy: 1, desiredHealthy: 2 },
    );
    expect(evictionAllowed([always], sick)).toEqual({ allowed: true });
  });
});

describe('DisruptionController', () => {
  let cluster: TestCluster;
  let controller: DisruptionController;

  beforeEach(async () => {
    cluster = await startTestCluster();
    controller = new DisruptionController(cluster.context('disruption-controller'));
    controller.start();
    cluster.informers.start();
  });

  afterEach(async () => {
    await controller.stop();
    await cluster.stop();
  });

  const status = (name: string) =>
    cluster.client.tryGet(POD_DISRUPTION_BUDGETS, 'default', name)?.status as
      Record<string, unknown> | undefined;

  async function createPod(name: string, labels: Record<string, string>, owner?: KubeObject) {
    const created = await cluster.client.create(PODS, 'default', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        labels,
        ...(owner && {
          ownerReferences: [
            {
              apiVersion: 'apps/v1',
              kind: 'ReplicaSet',
              name: owner.metadata.name ?? '',
              uid: owner.metadata.uid ?? '',
              controller: true,
            },
          ],
        }),
      },
      spec: { containers: [{ name: 'c', image: 'nginx' }] },
    });
    return created;
  }

  it('reports healthy pods and disruptions for minAvailable, following readiness', async () => {
    const a = await createPod('a', { app: 'web' });
    await createPod('b', { app: 'web' });
    await createPod('other', { app: 'db' });
    await markPodReady(cluster.client, a);
    await cluster.client.create(POD_DISRUPTION_BUDGETS, 'default', pdb('web', { minAvailable: 1 }));
    const first = await eventually(() => {
      const s = status('web');
      return s?.observedGeneration === 1 ? s : undefined;
    });
    expect(first).toMatchObject({
      expectedPods: 2,
      currentHealthy: 1,
      desiredHealthy: 1,
      disruptionsAllowed: 0,
      conditions: [{ type: 'DisruptionAllowed', status: 'False', reason: 'InsufficientPods' }],
    });
    await markPodReady(cluster.client, cluster.client.get(PODS, 'default', 'b'));
    const second = await eventually(() => {
      const s = status('web');
      return s?.currentHealthy === 2 ? s : undefined;
    });
    expect(second).toMatchObject({
      disruptionsAllowed: 1,
      conditions: [{ type: 'DisruptionAllowed', status: 'True', reason: 'SufficientPods' }],
    });
    // The eviction answer from the controller's status.
    const budget = cluster.client.get(POD_DISRUPTION_BUDGETS, 'default', 'web');
    expect(evictionAllowed([budget], cluster.client.get(PODS, 'default', 'a')).allowed).toBe(true);
  });

  it('uses the owner’s scale for maxUnavailable', async () => {
    const rs = await cluster.client.create(REPLICA_SETS, 'default', {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'web-rs' },
      spec: {
        replicas: 4,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'c', image: 'nginx' }] },
        },
      },
    });
    for (const name of ['r1', 'r2', 'r3'])
      await markPodReady(cluster.client, await createPod(name, { app: 'web' }, rs));
    await cluster.client.create(
      POD_DISRUPTION_BUDGETS,
      'default',
      pdb('web', { maxUnavailable: 1 }),
    );
    const s = await eventually(() => {
      const st = status('web');
      return st?.currentHealthy === 3 ? st : undefined;
    });
    expect(s).toMatchObject({ expectedPods: 4, desiredHealthy: 3, disruptionsAllowed: 0 });
  });
});

describe('admitEviction', () => {
  it('charges the budget once and refuses the next eviction', async () => {
    let stored = pdb('p', {}, { disruptionsAllowed: 1, currentHealthy: 2, desiredHealthy: 1 });
    const write = (next: KubeObject) => {
      stored = next;
      return Promise.resolve();
    };
    await admitEviction(pod('a', { app: 'web' }), () => [stored], write);
    expect(stored.status).toMatchObject({ disruptionsAllowed: 0 });
    await expect(
      admitEviction(pod('b', { app: 'web' }), () => [stored], write),
    ).rejects.toMatchObject({ code: 429 });
  });

  it('retries when the budget write conflicts, and does not write on dry run', async () => {
    const budget = pdb('p', {}, { disruptionsAllowed: 1 });
    let writes = 0;
    await admitEviction(
      pod('a', { app: 'web' }),
      () => [budget],
      () => {
        writes++;
        return writes === 1
          ? Promise.reject(new StatusError(409, 'Conflict', 'modified'))
          : Promise.resolve();
      },
    );
    expect(writes).toBe(2);
    await admitEviction(
      pod('a', { app: 'web' }),
      () => [budget],
      () => {
        writes++;
        return Promise.resolve();
      },
      true,
    );
    expect(writes).toBe(2);
  });
});
