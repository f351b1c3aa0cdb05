import { describe, expect, it } from 'vitest';
import { labelSelectorFromJson } from '../apiserver/selectors/label-selector.ts';
import { fitErrorMessage, nodesAvailableMessage } from './fit-error.ts';
import { preparePod } from './filters.ts';
import { node, pod } from './test-fixtures.ts';
import { buildNodeInfo, podRequests } from './node-info.ts';
import {
  balancedAllocationScore,
  interPodAffinityScores,
  intolerablePreferNoSchedule,
  leastAllocatedScore,
  normalize,
  preferredNodeAffinity,
  scoreNodes,
  selectHost,
} from './scores.ts';
import { spreadScores } from './topology-spread.ts';

describe('scores', () => {
  it('least allocated prefers emptier nodes', () => {
    const empty = buildNodeInfo(node('a'), []);
    const busy = buildNodeInfo(node('b'), [pod('e', { cpu: '1', memory: '2Gi' }, {}, 'b')]);
    const p = podRequests(pod('p', { cpu: '1', memory: '1Gi' }), true);
    // cpu (2000-1000)/2000 = 50, memory (4-1)/4 = 75 → 62
    expect(leastAllocatedScore(p, empty)).toBe(62);
    // cpu 0, memory (4-3)/4 = 25 → 12
    expect(leastAllocatedScore(p, busy)).toBe(12);
  });

  it('balanced allocation penalises lopsided use', () => {
    const n = buildNodeInfo(node('a'), []);
    expect(balancedAllocationScore(podRequests(pod('p', { cpu: '1', memory: '2Gi' })), n)).toBe(
      100,
    );
    expect(balancedAllocationScore(podRequests(pod('p', { cpu: '2' })), n)).toBe(50);
  });

  it('normalizes taint and node affinity scores', () => {
    const tainted = node('a', { taints: [{ key: 'k', effect: 'PreferNoSchedule' }] });
    expect(intolerablePreferNoSchedule(pod('p'), tainted)).toBe(1);
    expect(
      intolerablePreferNoSchedule(
        pod('p', { tolerations: [{ key: 'k', operator: 'Exists' }] }),
        tainted,
      ),
    ).toBe(0);
    expect(
      normalize(
        new Map([
          ['a', 1],
          ['b', 0],
        ]),
        true,
      ),
    ).toEqual(
      new Map([
        ['a', 0],
        ['b', 100],
      ]),
    );
    const preferring = pod('p', {
      affinity: {
        nodeAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            {
              weight: 30,
              preference: { matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] },
            },
          ],
        },
      },
    });
    expect(preferredNodeAffinity(preferring, node('a', { labels: { disk: 'ssd' } }))).toBe(30);
    expect(preferredNodeAffinity(preferring, node('b'))).toBe(0);
  });

  it('scores preferred pod affinity toward matching pods', () => {
    const infos = [
      buildNodeInfo(node('a'), [pod('cache', {}, { app: 'cache' }, 'a')]),
      buildNodeInfo(node('b'), []),
    ];
    const p = pod('web', {
      affinity: {
        podAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            {
              weight: 50,
              podAffinityTerm: {
                labelSelector: { matchLabels: { app: 'cache' } },
                topologyKey: 'kubernetes.io/hostname',
              },
            },
          ],
        },
      },
    });
    const ctx = preparePod(p, infos, () => undefined);
    expect(interPodAffinityScores(ctx, infos, infos)).toEqual(
      new Map([
        ['a', 100],
        ['b', 0],
      ]),
    );
    const totals = scoreNodes(ctx, infos, infos, undefined);
    expect(totals.get('a')!).toBeGreaterThan(totals.get('b')!);
  });

  it('spreads pods selected by a default selector across hostnames', () => {
    const w = (n: string, at: string) => pod(n, {}, { app: 'w' }, at);
    const infos = [
      buildNodeInfo(node('a'), [w('w1', 'a'), w('w2', 'a')]),
      buildNodeInfo(node('b'), [w('w3', 'b')]),
      buildNodeInfo(node('c'), []),
    ];
    const selector = labelSelectorFromJson({ matchLabels: { app: 'w' } });
    const scores = spreadScores(pod('new', {}, { app: 'w' }), infos, infos, selector);
    expect(scores.get('c')).toBe(100);
    expect(scores.get('a')!).toBeLessThan(scores.get('b')!);
    // Without a Service or owner selecting the pod there is no default spreading.
    expect(spreadScores(pod('new'), infos, infos, undefined)).toEqual(
      new Map([
        ['a', 0],
        ['b', 0],
        ['c', 0],
      ]),
    );
  });

  it('breaks ties at random among the best nodes only', () => {
    const scores = new Map([
      ['a', 10],
      ['b', 30],
      ['c', 30],
    ]);
    expect(selectHost(scores, () => 0)).toBe('c');
    expect(selectHost(scores, () => 0.99)).toBe('b');
    expect(selectHost(new Map([['a', 5]]))).toBe('a');
  });
});

describe('failure message', () => {
  it('sorts the reason histogram and appends the PostFilter answers', () => {
    const statuses = [
      { reasons: ['node(s) had untolerated taint(s)'], unresolvable: true },
      { reasons: ['Insufficient cpu'], unresolvable: false },
      { reasons: ['Insufficient cpu', 'Insufficient memory'], unresolvable: false },
    ];
    expect(nodesAvailableMessage(3, statuses)).toBe(
      '0/3 nodes are available: 1 Insufficient memory, 1 node(s) had untolerated taint(s), 2 Insufficient cpu.',
    );
    expect(
      fitErrorMessage(3, statuses, [
        { reasons: ['Preemption is not helpful for scheduling'], unresolvable: true },
        { reasons: ['No preemption victims found for incoming pod'], unresolvable: true },
        { reasons: ['No preemption victims found for incoming pod'], unresolvable: true },
      ]),
    ).toBe(
      '0/3 nodes are available: 1 Insufficient memory, 1 node(s) had untolerated taint(s), 2 Insufficient cpu. no new claims to deallocate, preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.',
    );
    expect(fitErrorMessage(1, [statuses[1]], 'not eligible due to preemptionPolicy=Never.')).toBe(
      '0/1 nodes are available: 1 Insufficient cpu. no new claims to deallocate, preemption: not eligible due to preemptionPolicy=Never.',
    );
  });
});
