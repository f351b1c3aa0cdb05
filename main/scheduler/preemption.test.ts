import { describe, expect, it } from 'vitest';
import { NO_PREEMPTION_VICTIMS, PREEMPTION_NOT_HELPFUL } from './fit-error.ts';
import { buildNodeInfo } from './node-info.ts';
import { preemptionStatuses } from './preemption.ts';
import { node, pod } from './test-fixtures.ts';

describe('preemption statuses', () => {
  const low = (name: string, at: string, cpu: string) => {
    const p = pod(name, { cpu }, {}, at);
    (p.spec as { priority: number }).priority = 0;
    return p;
  };
  const infos = [
    buildNodeInfo(node('a', { taints: [{ key: 'k', effect: 'NoSchedule' }] }), []),
    buildNodeInfo(node('b'), [low('x', 'b', '1500m')]),
    buildNodeInfo(node('c'), [low('y', 'c', '1'), low('z', 'c', '500m')]),
  ];
  const statuses = new Map([
    ['a', { reasons: ['node(s) had untolerated taint(s)'], unresolvable: true }],
    ['b', { reasons: ['Insufficient cpu'], unresolvable: false }],
    ['c', { reasons: ['Insufficient cpu'], unresolvable: false }],
  ]);

  it('finds no victims for a pod of the same priority', () => {
    expect(preemptionStatuses(pod('p', { cpu: '1' }), infos, statuses, () => undefined)).toEqual([
      { reasons: [PREEMPTION_NOT_HELPFUL], unresolvable: true },
      { reasons: [NO_PREEMPTION_VICTIMS], unresolvable: true },
      { reasons: [NO_PREEMPTION_VICTIMS], unresolvable: true },
    ]);
  });

  it('re-filters without lower-priority pods', () => {
    // Removing the victims frees enough cpu: kube would preempt; the node keeps its reasons.
    const important = pod('p', { cpu: '1800m', priority: 1000 });
    expect(preemptionStatuses(important, infos, statuses, () => undefined)).toEqual([
      { reasons: [PREEMPTION_NOT_HELPFUL], unresolvable: true },
      statuses.get('b'),
      statuses.get('c'),
    ]);
    // A port held by a pod of equal priority stays taken after the victims are gone.
    const holder = pod('h', { ports: [{ containerPort: 1, hostPort: 80 }] }, {}, 'b');
    (holder.spec as { priority: number }).priority = 1000;
    const withHolder = [infos[0], buildNodeInfo(node('b'), [low('x', 'b', '1500m'), holder])];
    const wantsPort = pod('p', {
      cpu: '1',
      priority: 1000,
      ports: [{ containerPort: 1, hostPort: 80 }],
    });
    expect(preemptionStatuses(wantsPort, withHolder, statuses, () => undefined)[1]).toEqual({
      reasons: ["node(s) didn't have free ports for the requested pod ports"],
      unresolvable: false,
    });
  });

  it('answers for a pod that may not preempt', () => {
    const never = pod('p', { preemptionPolicy: 'Never', priority: 1000 });
    expect(preemptionStatuses(never, infos, statuses, () => undefined)).toBe(
      'not eligible due to preemptionPolicy=Never.',
    );
  });
});
