// How the HPA turns a metric proposal into the next replica count (kube pkg/controller/
// podautoscaler horizontal.go): the per-HPA history of recommendations and scale events, the
// stabilization windows, the scale-up limit without spec.behavior, the behavior policies with
// it, and the AbleToScale / ScalingLimited reasons each step reports.

export type SelectPolicy = 'Max' | 'Min' | 'Disabled';

export interface ScalingPolicy {
  type: 'Pods' | 'Percent';
  value: number;
  periodSeconds: number;
}

/** autoscaling/v2 HPAScalingRules after defaulting (the API server fills policies and selectPolicy). */
export interface ScalingRules {
  stabilizationWindowSeconds?: number;
  selectPolicy?: SelectPolicy;
  policies?: ScalingPolicy[];
}

export interface Behavior {
  scaleUp?: ScalingRules;
  scaleDown?: ScalingRules;
}

/** A decision with the condition reason and message it is reported under. */
export interface Limited {
  replicas: number;
  reason: string;
  message: string;
}

interface Recommendation {
  replicas: number;
  at: number;
}

interface ScaleEvent {
  change: number;
  at: number;
  outdated: boolean;
}

const MAX_INT32 = 2 ** 31 - 1;
const MIN_INT32 = -(2 ** 31);
const SCALE_UP_LIMIT_FACTOR = 2;
const SCALE_UP_LIMIT_MINIMUM = 4;

const WITHIN_RANGE = {
  reason: 'DesiredWithinRange',
  message: 'the desired count is within the acceptable range',
};

/** calculateScaleUpLimit: without behavior, at most double (and at least 4) per step. */
export function scaleUpLimit(currentReplicas: number): number {
  return Math.trunc(Math.max(SCALE_UP_LIMIT_FACTOR * currentReplicas, SCALE_UP_LIMIT_MINIMUM));
}

/** convertDesiredReplicasWithRules: min/max and the scale-up limit, without behavior. */
export function convertDesiredReplicasWithRules(
  currentReplicas: number,
  desiredReplicas: number,
  minReplicas: number,
  maxReplicas: number,
): Limited {
  const limit = scaleUpLimit(currentReplicas);
  const [maximum, reason, message] =
    maxReplicas > limit
      ? [
          limit,
          'ScaleUpLimit',
          'the desired replica count is increasing faster than the maximum scale rate',
        ]
      : [
          maxReplicas,
          'TooManyReplicas',
          'the desired replica count is more than the maximum replica count',
        ];
  if (desiredReplicas < minReplicas)
    return {
      replicas: minReplicas,
      reason: 'TooFewReplicas',
      message: 'the desired replica count is less than the minimum replica count',
    };
  if (desiredReplicas > maximum) return { replicas: maximum, reason, message };
  return { replicas: desiredReplicas, ...WITHIN_RANGE };
}

function changeInPeriod(periodSeconds: number, events: readonly ScaleEvent[], now: number): number {
  const cutoff = now - periodSeconds * 1000;
  let replicas = 0;
  for (const event of events) if (event.at > cutoff) replicas += event.change;
  return replicas;
}

/** calculateScaleUpLimitWithScalingRules: the most replicas the scale-up policies allow now. */
export function scaleUpLimitWithRules(
  currentReplicas: number,
  upEvents: readonly ScaleEvent[],
  downEvents: readonly ScaleEvent[],
  rules: ScalingRules,
  now: number,
): number {
  const select = rules.selectPolicy ?? 'Max';
  if (select === 'Disabled') return currentReplicas;
  let result = select === 'Min' ? MAX_INT32 : MIN_INT32;
  const pick = select === 'Min' ? Math.min : Math.max;
  for (const policy of rules.policies ?? []) {
    const start =
      currentReplicas -
      changeInPeriod(policy.periodSeconds, upEvents, now) +
      changeInPeriod(policy.periodSeconds, downEvents, now);
    const proposed =
      policy.type === 'Pods' ? start + policy.value : Math.ceil(start * (1 + policy.value / 100));
    result = pick(result, proposed);
  }
  return result;
}

/** calculateScaleDownLimitWithBehaviors: the fewest replicas the scale-down policies allow now. */
export function scaleDownLimitWithRules(
  currentReplicas: number,
  upEvents: readonly ScaleEvent[],
  downEvents: readonly ScaleEvent[],
  rules: ScalingRules,
  now: number,
): number {
  const select = rules.selectPolicy ?? 'Max';
  if (select === 'Disabled') return currentReplicas;
  // For scaling down the smallest change ("Min") is the highest count.
  let result = select === 'Min' ? MIN_INT32 : MAX_INT32;
  const pick = select === 'Min' ? Math.max : Math.min;
  for (const policy of rules.policies ?? []) {
    const start =
      currentReplicas -
      changeInPeriod(policy.periodSeconds, upEvents, now) +
      changeInPeriod(policy.periodSeconds, downEvents, now);
    const proposed =
      policy.type === 'Pods' ? start - policy.value : Math.trunc(start * (1 - policy.value / 100));
    result = pick(result, proposed);
  }
  return result;
}

/**
 * The controller's memory of each HPA (keyed namespace/name): recent unstabilized
 * recommendations and recent scale events. It lives in the controller only, as in kube, so a
 * restart starts afresh.
 */
export class ScalingHistory {
  private readonly recommendations = new Map<string, Recommendation[]>();
  private readonly upEvents = new Map<string, ScaleEvent[]>();
  private readonly downEvents = new Map<string, ScaleEvent[]>();

  forget(key: string): void {
    this.recommendations.delete(key);
    this.upEvents.delete(key);
    this.downEvents.delete(key);
  }

  /** recordInitialRecommendation: the current size is the first recommendation. */
  recordInitial(key: string, currentReplicas: number, now: number): void {
    if (!this.recommendations.has(key))
      this.recommendations.set(key, [{ replicas: currentReplicas, at: now }]);
  }

  /** stabilizeRecommendation: the highest recommendation within the downscale window. */
  stabilize(key: string, desired: number, windowMs: number, now: number): number {
    const list = this.recommendations.get(key) ?? [];
    const cutoff = now - windowMs;
    let max = desired;
    let oldIndex = -1;
    list.forEach((rec, i) => {
      if (rec.at < cutoff) oldIndex = i;
      else if (rec.replicas > max) max = rec.replicas;
    });
    if (oldIndex >= 0) list[oldIndex] = { replicas: desired, at: now };
    else list.push({ replicas: desired, at: now });
    this.recommendations.set(key, list);
    return max;
  }

  /**
   * stabilizeRecommendationWithBehaviors: never below the lowest recommendation of the
   * scale-up window, never above the highest of the scale-down window.
   */
  stabilizeWithBehavior(
    key: string,
    currentReplicas: number,
    desired: number,
    up: ScalingRules,
    down: ScalingRules,
    now: number,
  ): Limited {
    const upCutoff = now - (up.stabilizationWindowSeconds ?? 0) * 1000;
    const downCutoff = now - (down.stabilizationWindowSeconds ?? 0) * 1000;
    let upRecommendation = desired;
    let downRecommendation = desired;
    let oldIndex = -1;
    const list = this.recommendations.get(key) ?? [];
    list.forEach((rec, i) => {
      if (rec.at > upCutoff) upRecommendation = Math.min(rec.replicas, upRecommendation);
      if (rec.at > downCutoff) downRecommendation = Math.max(rec.replicas, downRecommendation);
      if (rec.at < upCutoff && rec.at < downCutoff) oldIndex = i;
    });
    let recommendation = currentReplicas;
    if (recommendation < upRecommendation) recommendation = upRecommendation;
    if (recommendation > downRecommendation) recommendation = downRecommendation;
    if (oldIndex >= 0) list[oldIndex] = { replicas: desired, at: now };
    else list.push({ replicas: desired, at: now });
    this.recommendations.set(key, list);
    return desired >= currentReplicas
      ? {
          replicas: recommendation,
          reason: 'ScaleUpStabilized',
          message:
            'recent recommendations were lower than current one, applying the lowest recent recommendation',
        }
      : {
          replicas: recommendation,
          reason: 'ScaleDownStabilized',
          message:
            'recent recommendations were higher than current one, applying the highest recent recommendation',
        };
  }

  /** convertDesiredReplicasWithBehaviorRate: min/max and the policies' rate limits. */
  limitWithBehavior(
    key: string,
    currentReplicas: number,
    desired: number,
    minReplicas: number,
    maxReplicas: number,
    up: ScalingRules,
    down: ScalingRules,
    now: number,
  ): Limited {
    const ups = this.upEvents.get(key) ?? [];
    const downs = this.downEvents.get(key) ?? [];
    if (desired > currentReplicas) {
      // Until older scale-ups leave their periods, no further scale-up.
      const limit = Math.max(
        scaleUpLimitWithRules(currentReplicas, ups, downs, up, now),
        currentReplicas,
      );
      const [maximum, reason, message] =
        maxReplicas > limit
          ? [
              limit,
              'ScaleUpLimit',
              'the desired replica count is increasing faster than the maximum scale rate',
            ]
          : [
              maxReplicas,
              'TooManyReplicas',
              'the desired replica count is more than the maximum replica count',
            ];
      if (desired > maximum) return { replicas: maximum, reason, message };
    } else if (desired < currentReplicas) {
      const limit = Math.min(
        scaleDownLimitWithRules(currentReplicas, ups, downs, down, now),
        currentReplicas,
      );
      const [minimum, reason, message] =
        minReplicas < limit
          ? [
              limit,
              'ScaleDownLimit',
              'the desired replica count is decreasing faster than the maximum scale rate',
            ]
          : [
              minReplicas,
              'TooFewReplicas',
              'the desired replica count is less than the minimum replica count',
            ];
      if (desired < minimum) return { replicas: minimum, reason, message };
    }
    return { replicas: desired, ...WITHIN_RANGE };
  }

  /** storeScaleEvent: remembered only with behavior, reusing a slot outside every policy period. */
  storeScaleEvent(
    behavior: Behavior | undefined,
    key: string,
    previous: number,
    next: number,
    now: number,
  ): void {
    if (!behavior) return;
    const scaleUp = next > previous;
    const rules = (scaleUp ? behavior.scaleUp : behavior.scaleDown) ?? {};
    const store = scaleUp ? this.upEvents : this.downEvents;
    const events = store.get(key) ?? [];
    const longest = Math.max(0, ...(rules.policies ?? []).map((p) => p.periodSeconds));
    const cutoff = now - longest * 1000;
    let oldIndex = -1;
    events.forEach((event, i) => {
      if (event.at < cutoff) event.outdated = true;
      if (event.outdated) oldIndex = i;
    });
    const event: ScaleEvent = { change: Math.abs(next - previous), at: now, outdated: false };
    if (oldIndex >= 0) events[oldIndex] = event;
    else events.push(event);
    store.set(key, events);
  }
}
