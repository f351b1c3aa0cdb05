import { describe, expect, it } from 'vitest';
import {
  ScalingHistory,
  convertDesiredReplicasWithRules,
  scaleDownLimitWithRules,
  scaleUpLimitWithRules,
  type ScalingRules,
} from './scaling-behavior.ts';

const T0 = 1_000_000;
const UP: ScalingRules = {
  stabilizationWindowSeconds: 0,
  selectPolicy: 'Max',
  policies: [
    { type: 'Pods', value: 4, periodSeconds: 15 },
    { type: 'Percent', value: 100, periodSeconds: 15 },
  ],
};
const DOWN: ScalingRules = {
  stabilizationWindowSeconds: 300,
  selectPolicy: 'Max',
  policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
};

describe('without spec.behavior', () => {
  it('limits a scale up to double (at least 4) and clamps to min and max', () => {
    expect(convertDesiredReplicasWithRules(1, 10, 1, 20)).toEqual({
      replicas: 4,
      reason: 'ScaleUpLimit',
      message: 'the desired replica count is increasing faster than the maximum scale rate',
    });
    expect(convertDesiredReplicasWithRules(3, 10, 1, 5)).toMatchObject({
      replicas: 5,
      reason: 'TooManyReplicas',
    });
    expect(convertDesiredReplicasWithRules(3, 1, 2, 5)).toMatchObject({
      replicas: 2,
      reason: 'TooFewReplicas',
    });
    expect(convertDesiredReplicasWithRules(3, 4, 1, 5)).toMatchObject({
      replicas: 4,
      reason: 'DesiredWithinRange',
    });
  });

  it('keeps the highest recommendation of the downscale window', () => {
    const history = new ScalingHistory();
    history.recordInitial('k', 5, T0);
    expect(history.stabilize('k', 2, 300_000, T0 + 15_000)).toBe(5);
    expect(history.stabilize('k', 2, 300_000, T0 + 200_000)).toBe(5);
    // Once the initial 5 is older than the window, the later 2s rule.
    expect(history.stabilize('k', 2, 300_000, T0 + 301_000)).toBe(2);
  });
});

describe('with spec.behavior', () => {
  it('stabilizes scale downs over the window and scale ups over theirs', () => {
    const history = new ScalingHistory();
    history.recordInitial('k', 6, T0);
    const down = history.stabilizeWithBehavior('k', 6, 2, UP, DOWN, T0 + 15_000);
    expect(down).toMatchObject({ replicas: 6, reason: 'ScaleDownStabilized' });
    const immediate = history.stabilizeWithBehavior(
      'k',
      6,
      2,
      UP,
      { ...DOWN, stabilizationWindowSeconds: 0 },
      T0 + 30_000,
    );
    expect(immediate.replicas).toBe(2);
    const slowUp = new ScalingHistory();
    slowUp.recordInitial('k', 2, T0);
    const up = slowUp.stabilizeWithBehavior(
      'k',
      2,
      8,
      { ...UP, stabilizationWindowSeconds: 60 },
      DOWN,
      T0 + 15_000,
    );
    expect(up).toMatchObject({ replicas: 2, reason: 'ScaleUpStabilized' });
  });

  it('applies the policies, counting changes made within their periods', () => {
    expect(scaleUpLimitWithRules(1, [], [], UP, T0)).toBe(5);
    expect(scaleUpLimitWithRules(10, [], [], UP, T0)).toBe(20);
    expect(scaleUpLimitWithRules(10, [], [], { ...UP, selectPolicy: 'Min' }, T0)).toBe(14);
    expect(scaleUpLimitWithRules(10, [], [], { ...UP, selectPolicy: 'Disabled' }, T0)).toBe(10);
    // 4 added 5 s ago: the period started at 6.
    const recent = [{ change: 4, at: T0 - 5000, outdated: false }];
    expect(scaleUpLimitWithRules(10, recent, [], UP, T0)).toBe(12);
    const downBy = { ...DOWN, policies: [{ type: 'Pods' as const, value: 2, periodSeconds: 60 }] };
    expect(scaleDownLimitWithRules(10, [], [], downBy, T0)).toBe(8);
    expect(scaleDownLimitWithRules(10, [], [], DOWN, T0)).toBe(0);
  });

  it('reports which limit held the count back', () => {
    const history = new ScalingHistory();
    const behavior = { scaleUp: UP, scaleDown: DOWN };
    expect(history.limitWithBehavior('k', 2, 20, 1, 10, UP, DOWN, T0)).toEqual({
      replicas: 6,
      reason: 'ScaleUpLimit',
      message: 'the desired replica count is increasing faster than the maximum scale rate',
    });
    history.storeScaleEvent(behavior, 'k', 2, 6, T0);
    // Within the same 15 s period the four new pods count against the Pods policy.
    expect(history.limitWithBehavior('k', 6, 20, 1, 10, UP, DOWN, T0 + 5000).replicas).toBe(6);
    expect(history.limitWithBehavior('k', 6, 20, 1, 10, UP, DOWN, T0 + 16_000)).toMatchObject({
      replicas: 10,
      reason: 'TooManyReplicas',
    });
    const onePerMinute = {
      ...DOWN,
      policies: [{ type: 'Pods' as const, value: 1, periodSeconds: 60 }],
    };
    // The four pods added within the minute count as well: the period started at 2.
    expect(history.limitWithBehavior('k', 6, 1, 1, 10, UP, onePerMinute, T0).replicas).toBe(1);
    const fresh = new ScalingHistory();
    expect(fresh.limitWithBehavior('k', 6, 1, 1, 10, UP, onePerMinute, T0)).toMatchObject({
      replicas: 5,
      reason: 'ScaleDownLimit',
    });
    expect(history.limitWithBehavior('k', 6, 0, 2, 10, UP, DOWN, T0)).toMatchObject({
      replicas: 2,
      reason: 'TooFewReplicas',
    });
  });
});
