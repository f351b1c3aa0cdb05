// kube-scheduler's filter plugins (pkg/scheduler/framework/plugins): NodeUnschedulable,
// TaintToleration, NodeAffinity, NodePorts, NodeResourcesFit, PodTopologySpread and
// InterPodAffinity, with their reason texts. Pure functions over a per-pod PreFilter state.
import type { KubeObject } from '../api/types.ts';
import {
  matchesNodeSelectorAndAffinity,
  podAffinityTerms,
  termMatchesPod,
  tolerationsTolerate,
  type AffinityTerm,
  type NamespaceLabels,
  type PodAffinityTerms,
} from './affinity.ts';
import {
  nodeTaints,
  podHostPorts,
  podRequests,
  podSpec,
  type HostPort,
  type NodeInfo,
  type Resources,
  type Taint,
} from './node-info.ts';
import { spreadConstraints, type SpreadConstraint } from './topology-spread.ts';

/** A failed filter: its reasons and whether preemption could help (Unschedulable) or not. */
export interface FilterStatus {
  reasons: string[];
  unresolvable: boolean;
}

export const REASON_UNSCHEDULABLE = 'node(s) were unschedulable';
export const REASON_UNTOLERATED_TAINT = 'node(s) had untolerated taint(s)';
export const REASON_NODE_AFFINITY = "node(s) didn't match Pod's node affinity/selector";
export const REASON_PORTS = "node(s) didn't have free ports for the requested pod ports";
export const REASON_TOO_MANY_PODS = 'Too many pods';
export const REASON_AFFINITY = "node(s) didn't match pod affinity rules";
export const REASON_ANTI_AFFINITY = "node(s) didn't match pod anti-affinity rules";
export const REASON_EXISTING_ANTI_AFFINITY =
  "node(s) didn't satisfy existing pods anti-affinity rules";
export const REASON_SPREAD = "node(s) didn't match pod topology spread constraints";
export const REASON_SPREAD_MISSING_LABEL = `${REASON_SPREAD} (missing required label)`;

const fail = (unresolvable: boolean, ...reasons: string[]): FilterStatus => ({
  reasons,
  unresolvable,
});

/** Taints the node lifecycle controller puts on a node whose Ready condition is not True. */
export function effectiveTaints(node: KubeObject): Taint[] {
  // Informer objects are replaced, never changed, on update: the result can be kept per object.
  let cached = effectiveTaintsMemo.get(node);
  if (!cached) {
    cached = computeEffectiveTaints(node);
    effectiveTaintsMemo.set(node, cached);
  }
  return cached;
}

const effectiveTaintsMemo = new WeakMap<KubeObject, Taint[]>();

function computeEffectiveTaints(node: KubeObject): Taint[] {
  const taints = nodeTaints(node);
  const conditions =
    (node.status as { conditions?: { type?: string; status?: string }[] } | undefined)
      ?.conditions ?? [];
  const ready = conditions.find((c) => c.type === 'Ready');
  if (ready?.status === 'True') return taints;
  const key =
    ready?.status === 'False' ? 'node.kubernetes.io/not-ready' : 'node.kubernetes.io/unreachable';
  if (taints.some((t) => t.key === key && t.effect === 'NoSchedule')) return taints;
  return [...taints, { key, effect: 'NoSchedule' }];
}

export function nodeUnschedulable(pod: KubeObject, node: KubeObject): FilterStatus | undefined {
  if (!(node.spec as { unschedulable?: boolean } | undefined)?.unschedulable) return undefined;
  const tolerated = tolerationsTolerate(podSpec(pod).tolerations, {
    key: 'node.kubernetes.io/unschedulable',
    effect: 'NoSchedule',
  });
  return tolerated ? undefined : fail(true, REASON_UNSCHEDULABLE);
}

export function taintToleration(pod: KubeObject, node: KubeObject): FilterStatus | undefined {
  const tolerations = podSpec(pod).tolerations;
  const untolerated = effectiveTaints(node).find(
    (t) =>
      (t.effect === 'NoSchedule' || t.effect === 'NoExecute') &&
      !tolerationsTolerate(tolerations, t),
  );
  return untolerated ? fail(true, REASON_UNTOLERATED_TAINT) : undefined;
}

export function nodeAffinity(pod: KubeObject, node: KubeObject): FilterStatus | undefined {
  return matchesNodeSelectorAndAffinity(pod, node) ? undefined : fail(true, REASON_NODE_AFFINITY);
}

function portsConflict(a: HostPort, b: HostPort): boolean {
  if (a.port !== b.port || a.protocol !== b.protocol) return false;
  return a.ip === '0.0.0.0' || b.ip === '0.0.0.0' || a.ip === b.ip;
}

export function nodePorts(pod: KubeObject, info: NodeInfo): FilterStatus | undefined {
  const wanted = podHostPorts(pod);
  const clash = wanted.some((w) => info.usedPorts.some((u) => portsConflict(w, u)));
  return clash ? fail(false, REASON_PORTS) : undefined;
}

/** NodeResourcesFit: pod count, then cpu, memory, ephemeral storage and extended resources. */
export function resourcesFit(request: Resources, info: NodeInfo): FilterStatus | undefined {
  const status: FilterStatus = { reasons: [], unresolvable: false };
  if (info.pods.length + 1 > info.allowedPodNumber) status.reasons.push('Too many pods');
  const { allocatable, requested } = info;
  checkResource(status, 'cpu', request.milliCPU, allocatable.milliCPU, requested.milliCPU);
  checkResource(status, 'memory', request.memory, allocatable.memory, requested.memory);
  checkResource(
    status,
    'ephemeral-storage',
    request.ephemeralStorage,
    allocatable.ephemeralStorage,
    requested.ephemeralStorage,
  );
  for (const name in request.scalar)
    checkResource(
      status,
      name,
      request.scalar[name],
      allocatable.scalar[name] ?? 0,
      requested.scalar[name] ?? 0,
    );
  return status.reasons.length ? status : undefined;
}

// A module-level function, not a closure per call: this runs for every node in every cycle.
function checkResource(
  status: FilterStatus,
  name: string,
  want: number,
  allocatable: number,
  used: number,
): void {
  if (want > 0 && want > allocatable - used) {
    status.reasons.push(`Insufficient ${name}`);
    // No preemption can help a pod that asks for more than the whole node has.
    if (want > allocatable) status.unresolvable = true;
  }
}

type PairCounts = Map<string, number>;
const pairKey = (key: string, value: string) => `${key}\u0000${value}`;
const bump = (m: PairCounts, key: string, value: string) =>
  m.set(pairKey(key, value), (m.get(pairKey(key, value)) ?? 0) + 1);

/** Everything computed once per pod and scheduling cycle (the PreFilter state). */
export interface PodContext {
  pod: KubeObject;
  request: Resources;
  terms: PodAffinityTerms;
  namespaceLabels: NamespaceLabels;
  /** Pairs where an existing pod matches all of the pod's required affinity terms. */
  affinityCounts: PairCounts;
  /** Pairs where an existing pod matches one of the pod's required anti-affinity terms. */
  antiAffinityCounts: PairCounts;
  /** Pairs where an existing pod's required anti-affinity term matches this pod. */
  existingAntiAffinityCounts: PairCounts;
  spread: SpreadConstraint[];
}

function matchesAll(terms: AffinityTerm[], pod: KubeObject, ns: NamespaceLabels): boolean {
  return terms.length > 0 && terms.every((t) => termMatchesPod(t, pod, ns));
}

export function preparePod(
  pod: KubeObject,
  nodes: NodeInfo[],
  namespaceLabels: NamespaceLabels,
): PodContext {
  const terms = podAffinityTerms(pod);
  const affinityCounts: PairCounts = new Map();
  const antiAffinityCounts: PairCounts = new Map();
  const existingAntiAffinityCounts: PairCounts = new Map();
  // Without required terms of its own, only pods with affinity terms can affect this pod.
  const needAll = terms.requiredAffinity.length > 0 || terms.requiredAntiAffinity.length > 0;
  for (const info of nodes) {
    for (const existing of needAll ? info.pods : info.podsWithAffinity) {
      if (matchesAll(terms.requiredAffinity, existing, namespaceLabels)) {
        for (const t of terms.requiredAffinity)
          if (t.topologyKey in info.labels)
            bump(affinityCounts, t.topologyKey, info.labels[t.topologyKey]);
      }
      for (const t of terms.requiredAntiAffinity)
        if (t.topologyKey in info.labels && termMatchesPod(t, existing, namespaceLabels))
          bump(antiAffinityCounts, t.topologyKey, info.labels[t.topologyKey]);
      for (const t of podAffinityTerms(existing).requiredAntiAffinity)
        if (t.topologyKey in info.labels && termMatchesPod(t, pod, namespaceLabels))
          bump(existingAntiAffinityCounts, t.topologyKey, info.labels[t.topologyKey]);
    }
  }
  return {
    pod,
    request: podRequests(pod),
    terms,
    namespaceLabels,
    affinityCounts,
    antiAffinityCounts,
    existingAntiAffinityCounts,
    spread: spreadConstraints(pod, nodes, 'DoNotSchedule'),
  };
}

export function interPodAffinity(ctx: PodContext, info: NodeInfo): FilterStatus | undefined {
  const labels = info.labels;
  let podsExist = true;
  for (const t of ctx.terms.requiredAffinity) {
    if (!(t.topologyKey in labels)) return fail(true, REASON_AFFINITY);
    if ((ctx.affinityCounts.get(pairKey(t.topologyKey, labels[t.topologyKey])) ?? 0) <= 0)
      podsExist = false;
  }
  // The first pod of a group with affinity to itself may go anywhere the topology exists.
  if (
    !podsExist &&
    !(
      ctx.affinityCounts.size === 0 &&
      matchesAll(ctx.terms.requiredAffinity, ctx.pod, ctx.namespaceLabels)
    )
  )
    return fail(true, REASON_AFFINITY);
  for (const t of ctx.terms.requiredAntiAffinity) {
    if (!(t.topologyKey in labels)) continue;
    if ((ctx.antiAffinityCounts.get(pairKey(t.topologyKey, labels[t.topologyKey])) ?? 0) > 0)
      return fail(false, REASON_ANTI_AFFINITY);
  }
  // Most pods meet no existing pod's anti-affinity: then no label of any node needs looking up.
  if (ctx.existingAntiAffinityCounts.size > 0)
    for (const key in labels)
      if ((ctx.existingAntiAffinityCounts.get(pairKey(key, labels[key])) ?? 0) > 0)
        return fail(false, REASON_EXISTING_ANTI_AFFINITY);
  return undefined;
}

export function topologySpread(ctx: PodContext, info: NodeInfo): FilterStatus | undefined {
  for (const c of ctx.spread) {
    if (!(c.topologyKey in info.labels)) return fail(true, REASON_SPREAD_MISSING_LABEL);
  }
  for (const c of ctx.spread) {
    const self = c.selector.matches(ctx.pod.metadata.labels ?? {}) ? 1 : 0;
    const count = c.counts.get(info.labels[c.topologyKey]) ?? 0;
    if (count + self - c.minMatch > c.maxSkew) return fail(false, REASON_SPREAD);
  }
  return undefined;
}

/** Runs the filters in kube-scheduler's order; the first failure decides the node's status. */
export function runFilters(ctx: PodContext, info: NodeInfo): FilterStatus | undefined {
  return (
    nodeUnschedulable(ctx.pod, info.node) ??
    taintToleration(ctx.pod, info.node) ??
    nodeAffinity(ctx.pod, info.node) ??
    nodePorts(ctx.pod, info) ??
    resourcesFit(ctx.request, info) ??
    topologySpread(ctx, info) ??
    interPodAffinity(ctx, info)
  );
}
