import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../api/types.ts';
import {
  calculateRequests,
  groupPods,
  rawResourceReplicas,
  resourceReplicas,
  type PodMetricsInfo,
  type ReadinessTiming,
} from './replica-calculator.ts';

const NOW = Date.parse('2026-01-01T01:00:00Z');
const LONG_AGO = '2026-01-01T00:00:00Z';
const timing: ReadinessTiming = {
  cpuInitializationPeriodMs: 300_000,
  delayOfInitialReadinessStatusMs: 30_000,
  now: NOW,
};
const tolerances = { scaleUp: 0.1, scaleDown: 0.1 };

function pod(
  name: string,
  opts: {
    phase?: string;
    ready?: 'True' | 'False';
    readySince?: string;
    started?: string;
    cpu?: string | null;
    deleting?: boolean;
  } = {},
): KubeObject {
  const requests = opts.cpu === null ? {} : { cpu: opts.cpu ?? '100m', memory: '100Mi' };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'ns',
      ...(opts.deleting ? { deletionTimestamp: LONG_AGO } : {}),
    },
    spec: { containers: [{ name: 'app', resources: { requests } }] },
    status: {
      phase: opts.phase ?? 'Running',
      startTime: opts.started ?? LONG_AGO,
      conditions: [
        {
          type: 'Ready',
          status: opts.ready ?? 'True',
          lastTransitionTime: opts.readySince ?? LONG_AGO,
        },
      ],
    },
  };
}

function metrics(values: Record<string, number>, at = NOW - 5000): PodMetricsInfo {
  return new Map(
    Object.entries(values).map(([name, milli]) => [
      name,
      { timestampMs: at, windowMs: 10_000, value: BigInt(milli) },
    ]),
  );
}

function cpu(pods: KubeObject[], values: Record<string, number>, currentReplicas = pods.length) {
  return resourceReplicas({
    currentReplicas,
    resource: 'cpu',
    tolerances,
    pods,
    metrics: metrics(values),
    timing,
    targetUtilization: 50,
    container: '',
  });
}

describe('resource utilization replicas', () => {
  it('scales by the usage ratio and reports utilization and the raw average', () => {
    const result = cpu([pod('a'), pod('b')], { a: 200, b: 100 });
    // 300m of 200m requested = 150% against 50% → ratio 3 → 6 replicas.
    expect(result).toEqual({ replicas: 6, utilization: 150, rawUtilization: 150n });
  });

  it('keeps the count inside the tolerance', () => {
    expect(cpu([pod('a'), pod('b')], { a: 54, b: 54 }).replicas).toBe(2);
    expect(cpu([pod('a'), pod('b')], { a: 56, b: 56 }).replicas).toBe(3);
  });

  it('counts missing pods as at their request on a scale down and idle on a scale up', () => {
    // a at 10%: scaling down, missing b counts as 100% → (10+100)/2 = 55% → ratio 1.1 → stay.
    expect(cpu([pod('a'), pod('b')], { a: 10 }).replicas).toBe(2);
    // a at 300%: scaling up, b counts as 0% → 150% → ratio 3 → 6 over the two pods.
    expect(cpu([pod('a'), pod('b')], { a: 300 }).replicas).toBe(6);
  });

  it('treats pending and not-ready pods as idle only when scaling up', () => {
    const pods = [pod('a'), pod('b', { phase: 'Pending' })];
    expect(cpu(pods, { a: 200, b: 900 }).replicas).toBe(4);
    // On a scale down the unready pod is left out altogether: ceil(0.2 × 1 ready pod).
    expect(cpu([pod('a'), pod('b', { ready: 'False' })], { a: 10, b: 900 }).replicas).toBe(1);
  });

  it('ignores deleted pods and refuses when nothing is left to count', () => {
    expect(cpu([pod('a'), pod('gone', { deleting: true })], { a: 100, gone: 900 }).replicas).toBe(
      2,
    );
    expect(() => cpu([pod('a', { phase: 'Pending' })], { a: 100 })).toThrow(
      'did not receive metrics for targeted pods (pods might be unready)',
    );
    expect(() => cpu([], {})).toThrow(
      'no pods returned by selector while calculating replica count',
    );
  });

  it('needs a request on every container', () => {
    expect(() => cpu([pod('a', { cpu: null })], { a: 100 })).toThrow(
      'missing request for cpu in container app of Pod a',
    );
  });

  it('holds back a fresh pod until a full window after it became ready', () => {
    const fresh = pod('a', {
      started: new Date(NOW - 60_000).toISOString(),
      readySince: new Date(NOW - 8_000).toISOString(),
    });
    // The sample (5 s ago) started before readiness + window: the pod is not counted yet.
    const early = groupPods([fresh], metrics({ a: 100 }), 'cpu', timing);
    expect([...early.unready]).toEqual(['a']);
    const later = groupPods([fresh], metrics({ a: 100 }, NOW + 3000), 'cpu', timing);
    expect(later.readyPodCount).toBe(1);
    // Memory is never held back.
    expect(groupPods([fresh], metrics({ a: 100 }), 'memory', timing).readyPodCount).toBe(1);
  });
});

describe('average value replicas', () => {
  it('uses the average per pod against the target', () => {
    const result = rawResourceReplicas({
      currentReplicas: 2,
      resource: 'memory',
      tolerances,
      pods: [pod('a'), pod('b')],
      metrics: metrics({ a: 300_000, b: 100_000 }),
      timing,
      targetUsage: 100_000n,
    });
    expect(result).toEqual({ replicas: 4, usage: 200_000n });
  });

  it('counts missing pods as at target on a scale down', () => {
    const result = rawResourceReplicas({
      currentReplicas: 4,
      resource: 'memory',
      tolerances,
      pods: [pod('a'), pod('b'), pod('c'), pod('d')],
      metrics: metrics({ a: 10_000, b: 10_000 }),
      timing,
      targetUsage: 100_000n,
    });
    // (10+10+100+100)/4 = 55 → ratio 0.55 → ceil(0.55 × 4) = 3.
    expect(result.replicas).toBe(3);
  });
});

describe('requests', () => {
  it('prefers pod-level requests and counts sidecars', () => {
    const podLevel: KubeObject = {
      ...pod('p'),
      spec: {
        resources: { requests: { cpu: '1' } },
        containers: [{ name: 'app', resources: { requests: { cpu: '100m' } } }],
      },
    };
    const sidecar: KubeObject = {
      ...pod('s'),
      spec: {
        initContainers: [
          { name: 'log', restartPolicy: 'Always', resources: { requests: { cpu: '50m' } } },
          { name: 'init', resources: {} },
        ],
        containers: [{ name: 'app', resources: { requests: { cpu: '100m' } } }],
      },
    };
    const requests = calculateRequests([podLevel, sidecar], '', 'cpu');
    expect(requests.get('p')).toBe(1000n);
    expect(requests.get('s')).toBe(150n);
    expect(calculateRequests([sidecar], 'log', 'cpu').get('s')).toBe(50n);
    expect(() => calculateRequests([sidecar], 'nope', 'cpu')).toThrow(
      'container nope not found in Pod s',
    );
  });
});
