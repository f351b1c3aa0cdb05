import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../api/types.ts';
import {
  REASON_AFFINITY,
  REASON_ANTI_AFFINITY,
  REASON_EXISTING_ANTI_AFFINITY,
  REASON_NODE_AFFINITY,
  REASON_PORTS,
  REASON_SPREAD,
  REASON_SPREAD_MISSING_LABEL,
  REASON_UNSCHEDULABLE,
  REASON_UNTOLERATED_TAINT,
  effectiveTaints,
  preparePod,
  runFilters,
} from './filters.ts';
import { buildNodeInfo, podRequests, type NodeInfo } from './node-info.ts';
import { node, pod } from './test-fixtures.ts';

function run(p: KubeObject, infos: NodeInfo[], target = infos[0]) {
  return runFilters(
    preparePod(p, infos, () => undefined),
    target,
  );
}

describe('pod requests', () => {
  it('adds sidecars, takes the larger init phase and adds overhead', () => {
    const p: KubeObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: {
        containers: [{ resources: { requests: { cpu: '500m', memory: '1Gi' } } }],
        initContainers: [
          { resources: { requests: { cpu: '2' } } },
          { restartPolicy: 'Always', resources: { requests: { cpu: '100m' } } },
        ],
        overhead: { cpu: '10m' },
      },
    };
    // max(500m + 100m sidecar, 2 init) + 10m overhead
    expect(podRequests(p).milliCPU).toBe(2010);
    expect(podRequests(p).memory).toBe(1024 ** 3);
    // Scoring counts 100m / 200Mi for a container that asks for nothing.
    expect(podRequests(pod('empty'), true)).toMatchObject({
      milliCPU: 100,
      memory: 200 * 1024 ** 2,
    });
  });
});

describe('filters', () => {
  it('rejects unschedulable nodes unless tolerated', () => {
    const infos = [buildNodeInfo(node('a', { unschedulable: true }), [])];
    expect(run(pod('p'), infos)).toEqual({ reasons: [REASON_UNSCHEDULABLE], unresolvable: true });
    const tolerant = pod('p', {
      tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists' }],
    });
    expect(run(tolerant, infos)).toBeUndefined();
  });

  it('rejects untolerated NoSchedule taints and not-ready nodes', () => {
    const tainted = [
      buildNodeInfo(node('a', { taints: [{ key: 'k', value: 'v', effect: 'NoSchedule' }] }), []),
    ];
    expect(run(pod('p'), tainted)?.reasons).toEqual([REASON_UNTOLERATED_TAINT]);
    expect(
      run(pod('p', { tolerations: [{ key: 'k', value: 'v', effect: 'NoSchedule' }] }), tainted),
    ).toBeUndefined();
    expect(
      run(pod('p', { tolerations: [{ key: 'k', value: 'other' }] }), tainted)?.reasons,
    ).toEqual([REASON_UNTOLERATED_TAINT]);
    const preferOnly = [
      buildNodeInfo(node('a', { taints: [{ key: 'k', effect: 'PreferNoSchedule' }] }), []),
    ];
    expect(run(pod('p'), preferOnly)).toBeUndefined();
    const notReady = node('a', { ready: 'False' });
    expect(effectiveTaints(notReady)).toEqual([
      { key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' },
    ]);
    expect(run(pod('p'), [buildNodeInfo(notReady, [])])?.reasons).toEqual([
      REASON_UNTOLERATED_TAINT,
    ]);
  });

  it('matches nodeSelector and required node affinity', () => {
    const infos = [buildNodeInfo(node('a', { labels: { disk: 'ssd', gen: '5' } }), [])];
    expect(run(pod('p', { nodeSelector: { disk: 'hdd' } }), infos)?.reasons).toEqual([
      REASON_NODE_AFFINITY,
    ]);
    const affinity = (expressions: unknown[]) =>
      pod('p', {
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [{ matchExpressions: expressions }],
            },
          },
        },
      });
    expect(run(affinity([{ key: 'gen', operator: 'Gt', values: ['4'] }]), infos)).toBeUndefined();
    expect(run(affinity([{ key: 'gen', operator: 'Lt', values: ['4'] }]), infos)?.reasons).toEqual([
      REASON_NODE_AFFINITY,
    ]);
    expect(
      run(affinity([{ key: 'disk', operator: 'In', values: ['ssd', 'nvme'] }]), infos),
    ).toBeUndefined();
    expect(run(affinity([{ key: 'gpu', operator: 'Exists' }]), infos)?.reasons).toEqual([
      REASON_NODE_AFFINITY,
    ]);
  });

  it('checks host ports against pods already on the node', () => {
    const existing = pod('e', { ports: [{ containerPort: 80, hostPort: 8080 }] }, {}, 'a');
    const infos = [buildNodeInfo(node('a'), [existing])];
    const same = pod('p', { ports: [{ containerPort: 80, hostPort: 8080 }] });
    expect(run(same, infos)).toEqual({ reasons: [REASON_PORTS], unresolvable: false });
    const udp = pod('p', { ports: [{ containerPort: 80, hostPort: 8080, protocol: 'UDP' }] });
    expect(run(udp, infos)).toBeUndefined();
  });

  it('fits requests against allocatable minus what bound pods request', () => {
    const infos = [
      buildNodeInfo(node('a', { cpu: '2', pods: '2' }), [pod('e', { cpu: '1500m' }, {}, 'a')]),
    ];
    expect(run(pod('p', { cpu: '500m' }), infos)).toBeUndefined();
    expect(run(pod('p', { cpu: '600m', memory: '5Gi' }), infos)).toEqual({
      reasons: ['Insufficient cpu', 'Insufficient memory'],
      unresolvable: true,
    });
    const full = [buildNodeInfo(node('a', { pods: '1' }), [pod('e', { cpu: '1500m' }, {}, 'a')])];
    expect(run(pod('p', { cpu: '600m' }), full)).toEqual({
      reasons: ['Too many pods', 'Insufficient cpu'],
      unresolvable: false,
    });
  });

  it('applies required pod affinity and anti-affinity by topology', () => {
    const zone = (n: string, z: string) => node(n, { labels: { zone: z } });
    const infos = [
      buildNodeInfo(zone('a', 'z1'), [pod('cache', {}, { app: 'cache' }, 'a')]),
      buildNodeInfo(zone('b', 'z1'), []),
      buildNodeInfo(zone('c', 'z2'), []),
    ];
    const term = { labelSelector: { matchLabels: { app: 'cache' } }, topologyKey: 'zone' };
    const withCache = pod('web', {
      affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term] } },
    });
    expect(run(withCache, infos, infos[1])).toBeUndefined();
    expect(run(withCache, infos, infos[2])?.reasons).toEqual([REASON_AFFINITY]);
    const awayFromCache = pod('web', {
      affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term] } },
    });
    expect(run(awayFromCache, infos, infos[1])?.reasons).toEqual([REASON_ANTI_AFFINITY]);
    expect(run(awayFromCache, infos, infos[2])).toBeUndefined();
    // An existing pod's anti-affinity keeps matching pods out of its zone.
    const loner = pod(
      'loner',
      {
        affinity: {
          podAntiAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: [
              { labelSelector: { matchLabels: { app: 'web' } }, topologyKey: 'zone' },
            ],
          },
        },
      },
      {},
      'c',
    );
    const withLoner = [infos[0], infos[1], buildNodeInfo(zone('c', 'z2'), [loner])];
    expect(run(pod('w', {}, { app: 'web' }), withLoner, withLoner[2])?.reasons).toEqual([
      REASON_EXISTING_ANTI_AFFINITY,
    ]);
    // The first pod of a self-affine group may go anywhere.
    const selfAffine = pod(
      'first',
      {
        affinity: {
          podAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: [
              { labelSelector: { matchLabels: { app: 'grp' } }, topologyKey: 'zone' },
            ],
          },
        },
      },
      { app: 'grp' },
    );
    expect(run(selfAffine, infos, infos[2])).toBeUndefined();
  });

  it('enforces DoNotSchedule topology spread constraints', () => {
    const constraint = {
      maxSkew: 1,
      topologyKey: 'zone',
      whenUnsatisfiable: 'DoNotSchedule',
      labelSelector: { matchLabels: { app: 'w' } },
    };
    const w = (n: string, at: string) => pod(n, {}, { app: 'w' }, at);
    const infos = [
      buildNodeInfo(node('a', { labels: { zone: 'z1' } }), [w('w1', 'a'), w('w2', 'a')]),
      buildNodeInfo(node('b', { labels: { zone: 'z2' } }), [w('w3', 'b')]),
      buildNodeInfo(node('c'), []),
    ];
    const p = pod('new', { topologySpreadConstraints: [constraint] }, { app: 'w' });
    expect(run(p, infos, infos[0])).toEqual({ reasons: [REASON_SPREAD], unresolvable: false });
    expect(run(p, infos, infos[1])).toBeUndefined();
    expect(run(p, infos, infos[2])).toEqual({
      reasons: [REASON_SPREAD_MISSING_LABEL],
      unresolvable: true,
    });
  });
});
