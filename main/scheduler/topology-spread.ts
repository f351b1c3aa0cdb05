// PodTopologySpread (pkg/scheduler/framework/plugins/podtopologyspread): the pod's spread
// constraints with per-domain counts of matching pods for the filter (DoNotSchedule), and the
// scoring that prefers less crowded domains (ScheduleAnyway, and kube's system default spreading
// of pods of one Service/ReplicaSet/StatefulSet across hostnames and zones).
import type { KubeObject } from '../api/types.ts';
import { isPlainObject } from '../api/types.ts';
import {
  labelSelectorFromJson,
  type LabelSelector,
} from '../apiserver/selectors/label-selector.ts';
import { matchesNodeSelectorAndAffinity, tolerationsTolerate } from './affinity.ts';
import { nodeTaints, podSpec, type NodeInfo } from './node-info.ts';

export interface SpreadConstraint {
  maxSkew: number;
  topologyKey: string;
  selector: LabelSelector;
  /** Matching pods per topology value, over the nodes the constraint considers. */
  counts: Map<string, number>;
  /** The smallest count among the domains (0 when fewer domains than minDomains). */
  minMatch: number;
}

export const HOSTNAME_LABEL = 'kubernetes.io/hostname';
export const ZONE_LABEL = 'topology.kubernetes.io/zone';

interface RawConstraint {
  maxSkew?: number;
  topologyKey?: string;
  whenUnsatisfiable?: string;
  labelSelector?: unknown;
  minDomains?: number;
  nodeAffinityPolicy?: string;
  nodeTaintsPolicy?: string;
  matchLabelKeys?: string[];
}

/** kube-scheduler's system default constraints (applied only for scoring, only without explicit ones). */
export const SYSTEM_DEFAULT_CONSTRAINTS: RawConstraint[] = [
  { maxSkew: 3, topologyKey: HOSTNAME_LABEL, whenUnsatisfiable: 'ScheduleAnyway' },
  { maxSkew: 5, topologyKey: ZONE_LABEL, whenUnsatisfiable: 'ScheduleAnyway' },
];

/** Terminating pods do not count toward spreading. */
export function countMatching(
  pods: KubeObject[],
  selector: LabelSelector,
  namespace: string,
): number {
  let n = 0;
  for (const p of pods) {
    if (p.metadata.deletionTimestamp || (p.metadata.namespace ?? '') !== namespace) continue;
    if (selector.matches(p.metadata.labels ?? {})) n++;
  }
  return n;
}

/**
 * Counts matching pods per node once per pod list: a NodeInfo's list is rebuilt, never changed,
 * when its pods change, so the pods of one ReplicaSet are not recounted on every node every cycle.
 */
const countsMemo = new WeakMap<KubeObject[], Map<string, number>>();

/** A key equal for selectors that select the same pods in the same namespace. */
function countKey(selector: LabelSelector, namespace: string): string {
  return `${namespace}\u0000${selector.kind}\u0000${JSON.stringify(selector.requirements)}`;
}

function countMatchingMemo(
  pods: KubeObject[],
  selector: LabelSelector,
  key: string,
  namespace: string,
): number {
  let counts = countsMemo.get(pods);
  if (!counts) {
    counts = new Map();
    countsMemo.set(pods, counts);
  }
  let n = counts.get(key);
  if (n === undefined) {
    n = countMatching(pods, selector, namespace);
    counts.set(key, n);
  }
  return n;
}

function selectorFor(pod: KubeObject, c: RawConstraint): LabelSelector {
  let raw = c.labelSelector;
  const labels = pod.metadata.labels ?? {};
  if (c.matchLabelKeys?.length && isPlainObject(raw)) {
    const expressions: unknown[] = Array.isArray(raw.matchExpressions)
      ? [...(raw.matchExpressions as unknown[])]
      : [];
    for (const key of c.matchLabelKeys)
      if (key in labels) expressions.push({ key, operator: 'In', values: [labels[key]] });
    raw = { ...raw, matchExpressions: expressions };
  }
  return labelSelectorFromJson(raw) ?? labelSelectorFromJson(null)!;
}

function nodeEligible(pod: KubeObject, info: NodeInfo, c: RawConstraint): boolean {
  if (
    (c.nodeAffinityPolicy ?? 'Honor') === 'Honor' &&
    !matchesNodeSelectorAndAffinity(pod, info.node)
  )
    return false;
  if (c.nodeTaintsPolicy === 'Honor') {
    const tolerations = podSpec(pod).tolerations;
    const blocked = nodeTaints(info.node).some(
      (t) =>
        (t.effect === 'NoSchedule' || t.effect === 'NoExecute') &&
        !tolerationsTolerate(tolerations, t),
    );
    if (blocked) return false;
  }
  return true;
}

/** The pod's own constraints with one whenUnsatisfiable, counted over every node. */
export function spreadConstraints(
  pod: KubeObject,
  nodes: NodeInfo[],
  when: 'DoNotSchedule' | 'ScheduleAnyway',
): SpreadConstraint[] {
  const raw = (podSpec(pod).topologySpreadConstraints ?? []) as RawConstraint[];
  const wanted = raw.filter((c) => (c.whenUnsatisfiable ?? 'DoNotSchedule') === when);
  if (wanted.length === 0) return [];
  const keys = wanted.map((c) => c.topologyKey ?? '');
  const namespace = pod.metadata.namespace ?? '';
  return wanted.map((c) => {
    const selector = selectorFor(pod, c);
    const key = countKey(selector, namespace);
    const counts = new Map<string, number>();
    for (const info of nodes) {
      // A node counts only when it carries every constraint's topology key.
      if (!keys.every((k) => k in info.labels) || !nodeEligible(pod, info, c)) continue;
      const value = info.labels[c.topologyKey ?? ''];
      counts.set(
        value,
        (counts.get(value) ?? 0) + countMatchingMemo(info.pods, selector, key, namespace),
      );
    }
    let minMatch = counts.size ? Math.min(...counts.values()) : 0;
    if (c.minDomains !== undefined && counts.size < c.minDomains) minMatch = 0;
    return {
      maxSkew: c.maxSkew ?? 1,
      topologyKey: c.topologyKey ?? '',
      selector,
      counts,
      minMatch,
    };
  });
}

/**
 * PodTopologySpread's Score and NormalizeScore over the feasible nodes: fewer matching pods in a
 * node's domains scores higher, 0–100. `defaultSelector` selects the pods of the same
 * Service/ReplicaSet/StatefulSet for system default spreading; undefined when there are none.
 */
export function spreadScores(
  pod: KubeObject,
  allNodes: NodeInfo[],
  feasible: NodeInfo[],
  defaultSelector: LabelSelector | undefined,
): Map<string, number> {
  const explicit = (podSpec(pod).topologySpreadConstraints ?? []) as RawConstraint[];
  let raw: RawConstraint[];
  const systemDefaulted = explicit.length === 0;
  if (systemDefaulted) {
    raw = defaultSelector
      ? SYSTEM_DEFAULT_CONSTRAINTS.map((c) => ({
          ...c,
          labelSelector: undefined,
        }))
      : [];
  } else raw = explicit.filter((c) => c.whenUnsatisfiable === 'ScheduleAnyway');
  const scores = new Map<string, number>();
  if (raw.length === 0) {
    for (const info of feasible) scores.set(info.name, 0);
    return scores;
  }
  const selectors = raw.map((c) => (systemDefaulted ? defaultSelector! : selectorFor(pod, c)));
  const keys = raw.map((c) => c.topologyKey ?? '');
  const hasAll = (info: NodeInfo) => keys.every((k) => k in info.labels);
  // By position in feasible: arrays rather than maps by name, as this runs in every cycle.
  const ignored = feasible.map((info) => !systemDefaulted && !hasAll(info));
  const ignoredCount = ignored.filter(Boolean).length;
  const namespace = pod.metadata.namespace ?? '';
  const countKeys = selectors.map((sel) => countKey(sel, namespace));
  const count = (info: NodeInfo, i: number) =>
    countMatchingMemo(info.pods, selectors[i], countKeys[i], namespace);
  // Domains come from the feasible nodes; pods are counted on every eligible node.
  const counts = raw.map(() => new Map<string, number>());
  const sizes = raw.map((c, i) => {
    if (c.topologyKey === HOSTNAME_LABEL) return feasible.length - ignoredCount;
    feasible.forEach((info, j) => {
      if (!ignored[j] && keys[i] in info.labels) counts[i].set(info.labels[keys[i]], 0);
    });
    return counts[i].size;
  });
  const isHostname = raw.map((c) => c.topologyKey === HOSTNAME_LABEL);
  // Only domains other than hostnames need counting over all nodes, and only if some node has one.
  if (counts.some((m, i) => !isHostname[i] && m.size > 0)) {
    for (const info of allNodes) {
      if (!matchesNodeSelectorAndAffinity(pod, info.node)) continue;
      if (!systemDefaulted && !hasAll(info)) continue;
      for (let i = 0; i < raw.length; i++) {
        if (isHostname[i]) continue;
        const value = info.labels[keys[i]];
        if (value === undefined || !counts[i].has(value)) continue;
        counts[i].set(value, counts[i].get(value)! + count(info, i));
      }
    }
  }
  const weights = sizes.map((size) => Math.log(size + 2));
  const rawScores: (number | undefined)[] = [];
  let max = -Infinity;
  let min = Infinity;
  for (let j = 0; j < feasible.length; j++) {
    if (ignored[j]) continue;
    const info = feasible[j];
    let score = 0;
    for (let i = 0; i < raw.length; i++) {
      const value = info.labels[keys[i]];
      if (value === undefined) continue;
      const matching = isHostname[i] ? count(info, i) : (counts[i].get(value) ?? 0);
      score += matching * weights[i] + ((raw[i].maxSkew ?? 1) - 1);
    }
    const rounded = Math.round(score);
    rawScores[j] = rounded;
    max = Math.max(max, rounded);
    min = Math.min(min, rounded);
  }
  feasible.forEach((info, j) => {
    const s = rawScores[j];
    if (s === undefined) scores.set(info.name, 0);
    else if (max === 0) scores.set(info.name, 100);
    else scores.set(info.name, Math.trunc((100 * (max + min - s)) / max));
  });
  return scores;
}
