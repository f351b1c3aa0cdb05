// kube-scheduler's score plugins with their default weights (pkg/scheduler/framework/plugins and
// apis/config/v1 default_plugins.go): NodeResourcesFit (LeastAllocated), BalancedAllocation,
// TaintToleration (PreferNoSchedule), NodeAffinity (preferred), InterPodAffinity (preferred) and
// PodTopologySpread; then selectHost picks the best node, at random among equals.
import type { KubeObject } from '../api/types.ts';
import type { LabelSelector } from '../apiserver/selectors/label-selector.ts';
import {
  nodeSelectorTermMatches,
  podAffinity,
  podAffinityTerms,
  termMatchesPod,
  tolerationsTolerate,
  type AffinityTerm,
} from './affinity.ts';
import type { PodContext } from './filters.ts';
import { nodeTaints, podRequests, podSpec, type NodeInfo, type Resources } from './node-info.ts';
import { spreadScores } from './topology-spread.ts';

export const MAX_NODE_SCORE = 100;

export const WEIGHTS = {
  NodeResourcesFit: 1,
  NodeResourcesBalancedAllocation: 1,
  TaintToleration: 3,
  NodeAffinity: 2,
  InterPodAffinity: 2,
  PodTopologySpread: 2,
} as const;

/** LeastAllocated over cpu and memory (weight 1 each), using requests with kube's non-zero defaults. */
export function leastAllocatedScore(podNonZero: Resources, info: NodeInfo): number {
  const { allocatable, nonZeroRequested } = info;
  const cpu = leastAllocated(allocatable.milliCPU, nonZeroRequested.milliCPU + podNonZero.milliCPU);
  const memory = leastAllocated(allocatable.memory, nonZeroRequested.memory + podNonZero.memory);
  return Math.trunc((cpu + memory) / 2);
}

// Module-level helpers rather than closures: scoring runs for every node in every cycle.
function leastAllocated(allocatable: number, requested: number): number {
  return allocatable === 0 || requested > allocatable
    ? 0
    : Math.trunc(((allocatable - requested) * MAX_NODE_SCORE) / allocatable);
}

function usedFraction(allocatable: number, requested: number): number {
  return allocatable === 0 ? 0 : Math.min(1, requested / allocatable);
}

/** BalancedAllocation: nodes whose cpu and memory fractions stay close score higher. */
export function balancedAllocationScore(podRequest: Resources, info: NodeInfo): number {
  const cpu = usedFraction(
    info.allocatable.milliCPU,
    info.requested.milliCPU + podRequest.milliCPU,
  );
  const memory = usedFraction(info.allocatable.memory, info.requested.memory + podRequest.memory);
  const std = Math.abs(cpu - memory) / 2;
  return Math.trunc((1 - std) * MAX_NODE_SCORE);
}

/** DefaultNormalizeScore: scale to 0–100 by the maximum; reversed, fewer is better. */
export function normalize(scores: Map<string, number>, reverse: boolean): Map<string, number> {
  const max = Math.max(0, ...scores.values());
  const out = new Map<string, number>();
  for (const [name, s] of scores) {
    if (max === 0) out.set(name, reverse ? MAX_NODE_SCORE : 0);
    else {
      const v = Math.trunc((MAX_NODE_SCORE * s) / max);
      out.set(name, reverse ? MAX_NODE_SCORE - v : v);
    }
  }
  return out;
}

/** Untolerated PreferNoSchedule taints on the node (before normalizing, fewer is better). */
export function intolerablePreferNoSchedule(pod: KubeObject, node: KubeObject): number {
  const taints = nodeTaints(node);
  if (taints.length === 0) return 0;
  const tolerations = (podSpec(pod).tolerations ?? []).filter(
    (t) => !t.effect || t.effect === 'PreferNoSchedule',
  );
  return taints.filter(
    (t) => t.effect === 'PreferNoSchedule' && !tolerationsTolerate(tolerations, t),
  ).length;
}

/** Sum of the weights of the preferred node affinity terms the node matches. */
export function preferredNodeAffinity(pod: KubeObject, node: KubeObject): number {
  let score = 0;
  for (const t of podAffinity(pod).nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ??
    []) {
    if (t.preference && nodeSelectorTermMatches(t.preference, node)) score += t.weight ?? 0;
  }
  return score;
}

/** InterPodAffinity's raw scores: preferred terms both ways, and existing pods' required affinity (weight 1). */
export function interPodAffinityScores(
  ctx: PodContext,
  allNodes: NodeInfo[],
  feasible: NodeInfo[],
): Map<string, number> {
  const topologyScore = new Map<string, Map<string, number>>();
  const add = (key: string, labels: Record<string, string>, weight: number) => {
    if (!(key in labels) || weight === 0) return;
    const byValue = topologyScore.get(key) ?? new Map<string, number>();
    byValue.set(labels[key], (byValue.get(labels[key]) ?? 0) + weight);
    topologyScore.set(key, byValue);
  };
  const ns = ctx.namespaceLabels;
  const matches = (t: AffinityTerm, pod: KubeObject) => termMatchesPod(t, pod, ns);
  const needAll = ctx.terms.preferredAffinity.length + ctx.terms.preferredAntiAffinity.length > 0;
  for (const info of allNodes) {
    for (const existing of needAll ? info.pods : info.podsWithAffinity) {
      for (const t of ctx.terms.preferredAffinity)
        if (matches(t, existing)) add(t.topologyKey, info.labels, t.weight);
      for (const t of ctx.terms.preferredAntiAffinity)
        if (matches(t, existing)) add(t.topologyKey, info.labels, -t.weight);
      const theirs = podAffinityTerms(existing);
      for (const t of theirs.requiredAffinity)
        if (matches(t, ctx.pod)) add(t.topologyKey, info.labels, 1);
      for (const t of theirs.preferredAffinity)
        if (matches(t, ctx.pod)) add(t.topologyKey, info.labels, t.weight);
      for (const t of theirs.preferredAntiAffinity)
        if (matches(t, ctx.pod)) add(t.topologyKey, info.labels, -t.weight);
    }
  }
  const raw = new Map<string, number>();
  for (const info of feasible) {
    let s = 0;
    for (const [key, byValue] of topologyScore)
      if (key in info.labels) s += byValue.get(info.labels[key]) ?? 0;
    raw.set(info.name, s);
  }
  const values = [...raw.values()];
  const max = values.length ? Math.max(...values) : 0;
  const min = values.length ? Math.min(...values) : 0;
  const out = new Map<string, number>();
  for (const [name, s] of raw)
    out.set(name, max - min > 0 ? Math.trunc((MAX_NODE_SCORE * (s - min)) / (max - min)) : 0);
  return out;
}

/** The weighted total of every score plugin for each feasible node. */
export function scoreNodes(
  ctx: PodContext,
  allNodes: NodeInfo[],
  feasible: NodeInfo[],
  defaultSpreadSelector: LabelSelector | undefined,
): Map<string, number> {
  const nonZero = podRequests(ctx.pod, true);
  // Without taints on any node, or preferred terms on the pod, every node scores the same
  // (100 and 0 once normalized): no per-node maps are needed.
  const taints = feasible.some((i) => nodeTaints(i.node).length > 0)
    ? normalize(
        new Map(feasible.map((i) => [i.name, intolerablePreferNoSchedule(ctx.pod, i.node)])),
        true,
      )
    : undefined;
  const nodeAff = podAffinity(ctx.pod).nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution
    ?.length
    ? normalize(
        new Map(feasible.map((i) => [i.name, preferredNodeAffinity(ctx.pod, i.node)])),
        false,
      )
    : undefined;
  const podAff = interPodAffinityScores(ctx, allNodes, feasible);
  const spread = spreadScores(ctx.pod, allNodes, feasible, defaultSpreadSelector);
  const totals = new Map<string, number>();
  for (const info of feasible) {
    const n = info.name;
    totals.set(
      n,
      WEIGHTS.NodeResourcesFit * leastAllocatedScore(nonZero, info) +
        WEIGHTS.NodeResourcesBalancedAllocation * balancedAllocationScore(ctx.request, info) +
        WEIGHTS.TaintToleration * (taints ? (taints.get(n) ?? 0) : MAX_NODE_SCORE) +
        WEIGHTS.NodeAffinity * (nodeAff?.get(n) ?? 0) +
        WEIGHTS.InterPodAffinity * (podAff.get(n) ?? 0) +
        WEIGHTS.PodTopologySpread * (spread.get(n) ?? 0),
    );
  }
  return totals;
}

/** The highest-scoring node; ties broken uniformly at random (reservoir sampling, as kube does). */
export function selectHost(
  scores: Map<string, number>,
  random: () => number = Math.random,
): string | undefined {
  let best: string | undefined;
  let bestScore = -Infinity;
  let ties = 0;
  for (const [name, score] of scores) {
    if (score > bestScore) {
      best = name;
      bestScore = score;
      ties = 1;
    } else if (score === bestScore) {
      ties++;
      if (random() * ties < 1) best = name;
    }
  }
  return best;
}
