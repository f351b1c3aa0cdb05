// The HPA controller against a real control plane: targets scaled through /scale, metrics read
// from a node metrics source (as the metrics API serves them), status, conditions and Events.
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../api/types.ts';
import type { ResourceRef } from '../../client/local-client.ts';
import { registerMetricsSource } from '../../apiserver/metrics/metrics-sources.ts';
import { eventually, startTestCluster, type TestCluster } from '../testing/cluster.ts';
import { HorizontalController, HPAS } from './horizontal-controller.ts';

const NS = 'default';
const NODE = 'hpa-test-node';
const RS: ResourceRef = { group: 'apps', version: 'v1', resource: 'replicasets' };
const PODS: ResourceRef = { group: '', version: 'v1', resource: 'pods' };
const EVENTS: ResourceRef = { group: '', version: 'v1', resource: 'events' };

/** Usage per pod name (millicores, MiB); pods not listed have no sample yet. */
const usage = new Map<string, { cpu: number; memoryMi: number }>();
const registration = registerMetricsSource(NODE, {
  podUsage(_namespace, name) {
    const u = usage.get(name);
    if (!u) return undefined;
    return {
      timestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      windowSeconds: 10,
      containers: [
        {
          name: 'app',
          cpuNanoCores: BigInt(u.cpu) * 1_000_000n,
          memoryBytes: BigInt(u.memoryMi) << 20n,
        },
      ],
    };
  },
  nodeUsage: () => undefined,
});
afterAll(() => registration.dispose());

function replicaSet(name: string, replicas: number): KubeObject {
  const labels = { app: name };
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: { containers: [{ name: 'app', image: 'busybox' }] },
      },
    },
  };
}

function hpa(name: string, spec: Record<string, unknown>): KubeObject {
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'ReplicaSet', name },
      minReplicas: 1,
      maxReplicas: 10,
      metrics: [
        {
          type: 'Resource',
          resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } },
        },
      ],
      ...spec,
    },
  };
}

interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
}

describe('HorizontalController', () => {
  let cluster: TestCluster;
  let controller: HorizontalController;

  beforeEach(async () => {
    usage.clear();
    cluster = await startTestCluster();
    controller = new HorizontalController(cluster.context('horizontal-pod-autoscaler'), {
      syncPeriodMs: 50,
      cpuInitializationPeriodMs: 0,
    });
    controller.start();
    cluster.informers.start();
  });

  afterEach(async () => {
    await controller.stop();
    await cluster.stop();
  });

  /** A running, ready pod of the app on the test node. */
  async function runningPod(name: string, app: string): Promise<void> {
    const created = await cluster.client.create(PODS, NS, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, labels: { app } },
      spec: {
        nodeName: NODE,
        containers: [
          {
            name: 'app',
            image: 'busybox',
            resources: { requests: { cpu: '100m', memory: '100Mi' } },
          },
        ],
      },
    });
    const since = new Date(Date.now() - 600_000).toISOString().replace(/\.\d+Z$/, 'Z');
    await cluster.client.updateStatus(PODS, NS, {
      ...created,
      status: {
        phase: 'Running',
        startTime: since,
        conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: since }],
      },
    });
  }

  const status = (name: string) =>
    (cluster.client.tryGet(HPAS, NS, name)?.status ?? {}) as {
      currentReplicas?: number;
      desiredReplicas?: number;
      lastScaleTime?: string;
      currentMetrics?: Record<string, unknown>[];
      conditions?: Condition[];
    };
  const condition = (name: string, type: string) =>
    status(name).conditions?.find((c) => c.type === type);
  const replicasOf = (name: string) =>
    (cluster.client.get(RS, NS, name).spec as { replicas: number }).replicas;
  const events = (reason: string) =>
    cluster.client
      .list(EVENTS, NS)
      .items.filter((e) => e.reason === reason)
      .map((e) => e.message as string);
  /** Events are written in the background: wait for the first of a reason. */
  const recorded = (reason: string) =>
    eventually(() => events(reason).length > 0 && events(reason), 5000, `${reason} event`);

  it('scales up by CPU utilization, limited to double per step without behavior', async () => {
    await cluster.client.create(RS, NS, replicaSet('web', 2));
    await runningPod('web-a', 'web');
    await runningPod('web-b', 'web');
    usage.set('web-a', { cpu: 200, memoryMi: 10 });
    usage.set('web-b', { cpu: 200, memoryMi: 10 });
    await cluster.client.create(HPAS, NS, hpa('web', {}));

    await eventually(() => replicasOf('web') === 4, 5000, 'scale to 4');
    expect((await recorded('SuccessfulRescale'))[0]).toBe(
      'New size: 4; reason: cpu resource utilization (percentage of request) above target',
    );
    const limited = await eventually(() => condition('web', 'ScalingLimited'), 5000, 'status');
    expect(limited).toMatchObject({
      status: 'True',
      reason: 'ScaleUpLimit',
      message: 'the desired replica count is increasing faster than the maximum scale rate',
    });
    const st = status('web');
    expect(st.currentMetrics).toEqual([
      {
        type: 'Resource',
        resource: { name: 'cpu', current: { averageUtilization: 200, averageValue: '200m' } },
      },
    ]);
    expect(st.lastScaleTime).toBeTypeOf('string');
    expect(condition('web', 'ScalingActive')).toMatchObject({
      status: 'True',
      reason: 'ValidMetricFound',
      message:
        'the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)',
    });
    expect(condition('web', 'AbleToScale')?.status).toBe('True');
    // The next period proposes 4 × the two measured pods = 8, which doubling allows.
    await eventually(() => replicasOf('web') === 8, 5000, 'scale to 8');
    await eventually(() => condition('web', 'ScalingLimited')?.reason === 'DesiredWithinRange');
  }, 15_000);

  it('reports pods without metrics as kube does and does not scale', async () => {
    await cluster.client.create(RS, NS, replicaSet('quiet', 2));
    await runningPod('quiet-a', 'quiet');
    await cluster.client.create(HPAS, NS, hpa('quiet', {}));
    const active = await eventually(
      () => condition('quiet', 'ScalingActive'),
      5000,
      'ScalingActive',
    );
    expect(active).toMatchObject({
      status: 'False',
      reason: 'FailedGetResourceMetric',
      message:
        'the HPA was unable to compute the replica count: failed to get cpu utilization: unable to get metrics for resource cpu: no metrics returned from resource metrics API',
    });
    expect(status('quiet').currentMetrics).toEqual([{ type: '' }]);
    expect(status('quiet').currentReplicas).toBe(2);
    expect((await recorded('FailedComputeMetricsReplicas'))[0]).toBe(
      'invalid metrics (1 invalid out of 1), first error is: failed to get cpu resource metric value: failed to get cpu utilization: unable to get metrics for resource cpu: no metrics returned from resource metrics API',
    );
    expect((await recorded('FailedGetResourceMetric'))[0]).toBe(
      'failed to get cpu utilization: unable to get metrics for resource cpu: no metrics returned from resource metrics API',
    );
    expect(replicasOf('quiet')).toBe(2);
  });

  it('scales down at once with a zero stabilization window, down to minReplicas', async () => {
    await cluster.client.create(RS, NS, replicaSet('down', 4));
    for (const p of ['a', 'b', 'c', 'd']) {
      await runningPod(`down-${p}`, 'down');
      usage.set(`down-${p}`, { cpu: 10, memoryMi: 10 });
    }
    await cluster.client.create(
      HPAS,
      NS,
      hpa('down', { minReplicas: 2, behavior: { scaleDown: { stabilizationWindowSeconds: 0 } } }),
    );
    await eventually(() => replicasOf('down') === 2, 5000, 'scale down');
    expect(await recorded('SuccessfulRescale')).toEqual([
      'New size: 2; reason: All metrics below target',
    ]);
    await eventually(() => condition('down', 'ScalingLimited')?.reason === 'TooFewReplicas');
  });

  it('holds a scale down for the default stabilization window without behavior', async () => {
    await cluster.client.create(RS, NS, replicaSet('held', 3));
    for (const p of ['a', 'b', 'c']) {
      await runningPod(`held-${p}`, 'held');
      usage.set(`held-${p}`, { cpu: 5, memoryMi: 10 });
    }
    await cluster.client.create(HPAS, NS, hpa('held', {}));
    const able = await eventually(
      () => condition('held', 'AbleToScale')?.reason === 'ScaleDownStabilized' || undefined,
      5000,
      'ScaleDownStabilized',
    );
    expect(able).toBe(true);
    expect(condition('held', 'AbleToScale')?.message).toBe(
      'recent recommendations were higher than current one, applying the highest recent recommendation',
    );
    expect(replicasOf('held')).toBe(3);
  });

  it('scales on an average memory value', async () => {
    await cluster.client.create(RS, NS, replicaSet('mem', 2));
    await runningPod('mem-a', 'mem');
    await runningPod('mem-b', 'mem');
    usage.set('mem-a', { cpu: 1, memoryMi: 300 });
    usage.set('mem-b', { cpu: 1, memoryMi: 300 });
    await cluster.client.create(
      HPAS,
      NS,
      hpa('mem', {
        metrics: [
          {
            type: 'Resource',
            resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '100Mi' } },
          },
        ],
        behavior: {},
      }),
    );
    // 300Mi against 100Mi → 6; the default scale-up policies allow max(2+4, 2×2) = 6.
    await eventually(() => replicasOf('mem') === 6, 5000, 'scale to 6');
    expect(events('SuccessfulRescale')[0]).toBe(
      'New size: 6; reason: memory resource above target',
    );
    await eventually(() => status('mem').currentMetrics !== undefined);
    expect(status('mem').currentMetrics?.[0]).toEqual({
      type: 'Resource',
      resource: { name: 'memory', current: { averageValue: '314572800' } },
    });
  });

  it('honours a per-HPA scale-up tolerance', async () => {
    await cluster.client.create(RS, NS, replicaSet('tol', 2));
    await runningPod('tol-a', 'tol');
    await runningPod('tol-b', 'tol');
    usage.set('tol-a', { cpu: 65, memoryMi: 10 });
    usage.set('tol-b', { cpu: 65, memoryMi: 10 });
    // 65% against 50% is 30% over: beyond the default 10%, within this HPA's 50%.
    await cluster.client.create(
      HPAS,
      NS,
      hpa('tol', { behavior: { scaleUp: { tolerance: '0.5' } } }),
    );
    await eventually(() => condition('tol', 'ScalingActive')?.reason === 'ValidMetricFound');
    await eventually(() => status('tol').currentMetrics !== undefined);
    expect(status('tol').desiredReplicas).toBe(2);
    expect(replicasOf('tol')).toBe(2);
    await cluster.client.patch(HPAS, NS, 'tol', 'application/merge-patch+json', {
      spec: { behavior: { scaleUp: { tolerance: null } } },
    });
    await eventually(() => replicasOf('tol') === 3, 5000, 'scale to 3 with the default tolerance');
  });

  it('says why it cannot read the target scale', async () => {
    await cluster.client.create(HPAS, NS, hpa('missing', {}));
    await cluster.client.create(
      HPAS,
      NS,
      hpa('odd', { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Gadget', name: 'x' } }),
    );
    const missing = await eventually(() => condition('missing', 'AbleToScale'), 5000, 'missing');
    expect(missing).toMatchObject({
      status: 'False',
      reason: 'FailedGetScale',
      message:
        'the HPA controller was unable to get the target\'s current scale: replicasets.apps "missing" not found',
    });
    const odd = await eventually(() => condition('odd', 'AbleToScale'), 5000, 'odd');
    expect(odd.message).toBe(
      'the HPA controller was unable to get the target\'s current scale: no matches for kind "Gadget" in group "apps"',
    );
    await eventually(() => events('FailedGetScale').length >= 2);
  });

  it('leaves a target scaled to zero alone', async () => {
    await cluster.client.create(RS, NS, replicaSet('zero', 0));
    await cluster.client.create(HPAS, NS, hpa('zero', {}));
    const active = await eventually(() => condition('zero', 'ScalingActive'), 5000, 'condition');
    expect(active).toMatchObject({
      status: 'False',
      reason: 'ScalingDisabled',
      message: 'scaling is disabled since the replica count of the target is zero',
    });
    expect(replicasOf('zero')).toBe(0);
  });
});
