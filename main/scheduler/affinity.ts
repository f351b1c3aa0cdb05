// Matching rules the scheduler's plugins share (component-helpers scheduling/corev1 and
// framework.AffinityTerm): tolerations against taints, node selector terms against nodes, and
// pod (anti-)affinity terms against pods.
import type { KubeObject } from '../api/types.ts';
import { isPlainObject } from '../api/types.ts';
import {
  labelSelectorFromJson,
  type LabelSelector,
} from '../apiserver/selectors/label-selector.ts';
import type { Taint, Toleration } from './node-info.ts';

/** v1.Toleration.ToleratesTaint. */
export function toleratesTaint(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  const op = t.operator || 'Equal';
  if (op === 'Exists') return true;
  if (op === 'Equal') return (t.value ?? '') === (taint.value ?? '');
  return false;
}

export function tolerationsTolerate(tolerations: Toleration[] | undefined, taint: Taint): boolean {
  return (tolerations ?? []).some((t) => toleratesTaint(t, taint));
}

interface NodeSelectorRequirement {
  key?: string;
  operator?: string;
  values?: string[];
}

export interface NodeSelectorTerm {
  matchExpressions?: NodeSelectorRequirement[];
  matchFields?: NodeSelectorRequirement[];
}

function requirementMatches(r: NodeSelectorRequirement, value: string | undefined): boolean {
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In':
      return value !== undefined && values.includes(value);
    case 'NotIn':
      return value === undefined || !values.includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
    case 'Lt': {
      if (value === undefined || values.length !== 1) return false;
      const have = Number.parseInt(value, 10);
      const want = Number.parseInt(values[0], 10);
      if (!/^-?\d+$/.test(value) || !/^-?\d+$/.test(values[0])) return false;
      return r.operator === 'Gt' ? have > want : have < want;
    }
    default:
      return false;
  }
}

/** A node selector term: every expression and field requirement holds; an empty term matches nothing. */
export function nodeSelectorTermMatches(term: NodeSelectorTerm, node: KubeObject): boolean {
  const expressions = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (expressions.length === 0 && fields.length === 0) return false;
  const labels = node.metadata.labels ?? {};
  for (const r of expressions) if (!requirementMatches(r, labels[r.key ?? ''])) return false;
  for (const r of fields) {
    // metadata.name is the only field a node selector may use.
    const value = r.key === 'metadata.name' ? node.metadata.name : undefined;
    if (!requirementMatches(r, value)) return false;
  }
  return true;
}

interface PodAffinityTermJson {
  labelSelector?: unknown;
  namespaces?: string[];
  namespaceSelector?: unknown;
  topologyKey?: string;
  matchLabelKeys?: string[];
  mismatchLabelKeys?: string[];
}

/** framework.AffinityTerm: which pods a term selects, relative to the pod that declares it. */
export interface AffinityTerm {
  selector: LabelSelector;
  namespaces: Set<string>;
  namespaceSelector: LabelSelector;
  topologyKey: string;
  weight: number;
}

/** Adds `key In (value)` (or NotIn) requirements for matchLabelKeys/mismatchLabelKeys. */
function withLabelKeys(
  selector: unknown,
  labels: Record<string, string>,
  matchKeys: string[] | undefined,
  mismatchKeys: string[] | undefined,
): unknown {
  if (!isPlainObject(selector) || (!matchKeys?.length && !mismatchKeys?.length)) return selector;
  const expressions: unknown[] = Array.isArray(selector.matchExpressions)
    ? [...(selector.matchExpressions as unknown[])]
    : [];
  for (const key of matchKeys ?? [])
    if (key in labels) expressions.push({ key, operator: 'In', values: [labels[key]] });
  for (const key of mismatchKeys ?? [])
    if (key in labels) expressions.push({ key, operator: 'NotIn', values: [labels[key]] });
  return { ...selector, matchExpressions: expressions };
}

export function affinityTerm(owner: KubeObject, raw: unknown, weight = 1): AffinityTerm {
  const t = (isPlainObject(raw) ? raw : {}) as PodAffinityTermJson;
  const labels = owner.metadata.labels ?? {};
  const selectorJson = withLabelKeys(
    t.labelSelector,
    labels,
    t.matchLabelKeys,
    t.mismatchLabelKeys,
  );
  const nothing = labelSelectorFromJson(null)!;
  const namespaces = new Set<string>(t.namespaces ?? []);
  if (namespaces.size === 0 && (t.namespaceSelector === undefined || t.namespaceSelector === null))
    namespaces.add(owner.metadata.namespace ?? '');
  return {
    selector: labelSelectorFromJson(selectorJson) ?? nothing,
    namespaces,
    namespaceSelector: labelSelectorFromJson(t.namespaceSelector) ?? nothing,
    topologyKey: t.topologyKey ?? '',
    weight,
  };
}

export type NamespaceLabels = (namespace: string) => Record<string, string> | undefined;

export function termMatchesPod(
  term: AffinityTerm,
  pod: KubeObject,
  namespaceLabels: NamespaceLabels,
): boolean {
  const ns = pod.metadata.namespace ?? '';
  if (!term.namespaces.has(ns) && !term.namespaceSelector.matches(namespaceLabels(ns) ?? {}))
    return false;
  return term.selector.matches(pod.metadata.labels ?? {});
}

interface AffinityJson {
  nodeAffinity?: {
    requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms?: NodeSelectorTerm[] };
    preferredDuringSchedulingIgnoredDuringExecution?: {
      weight?: number;
      preference?: NodeSelectorTerm;
    }[];
  };
  podAffinity?: PodAffinityJson;
  podAntiAffinity?: PodAffinityJson;
}

interface PodAffinityJson {
  requiredDuringSchedulingIgnoredDuringExecution?: unknown[];
  preferredDuringSchedulingIgnoredDuringExecution?: {
    weight?: number;
    podAffinityTerm?: unknown;
  }[];
}

export function podAffinity(pod: KubeObject): AffinityJson {
  const affinity = (pod.spec as { affinity?: unknown } | undefined)?.affinity;
  return isPlainObject(affinity) ? affinity : {};
}

export interface PodAffinityTerms {
  requiredAffinity: AffinityTerm[];
  requiredAntiAffinity: AffinityTerm[];
  preferredAffinity: AffinityTerm[];
  preferredAntiAffinity: AffinityTerm[];
}

/** framework.PodInfo's parsed (anti-)affinity terms. */
export function podAffinityTerms(pod: KubeObject): PodAffinityTerms {
  // Informer objects are replaced, never changed, on update: parsed terms can be kept per object.
  let cached = termsMemo.get(pod);
  if (!cached) {
    cached = parseAffinityTerms(pod);
    termsMemo.set(pod, cached);
  }
  return cached;
}

const termsMemo = new WeakMap<KubeObject, PodAffinityTerms>();

function parseAffinityTerms(pod: KubeObject): PodAffinityTerms {
  const a = podAffinity(pod);
  const required = (x: PodAffinityJson | undefined) =>
    (x?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((t) => affinityTerm(pod, t));
  const preferred = (x: PodAffinityJson | undefined) =>
    (x?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((t) =>
      affinityTerm(pod, t.podAffinityTerm, t.weight ?? 0),
    );
  return {
    requiredAffinity: required(a.podAffinity),
    requiredAntiAffinity: required(a.podAntiAffinity),
    preferredAffinity: preferred(a.podAffinity),
    preferredAntiAffinity: preferred(a.podAntiAffinity),
  };
}

/** nodeSelector and required node affinity (NodeAffinity's filter, also used by PodTopologySpread). */
export function matchesNodeSelectorAndAffinity(pod: KubeObject, node: KubeObject): boolean {
  const spec = (pod.spec ?? {}) as { nodeSelector?: Record<string, string> };
  const labels = node.metadata.labels ?? {};
  for (const [k, v] of Object.entries(spec.nodeSelector ?? {})) if (labels[k] !== v) return false;
  const required = podAffinity(pod).nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (required) {
    const terms = required.nodeSelectorTerms ?? [];
    if (!terms.some((term) => nodeSelectorTermMatches(term, node))) return false;
  }
  return true;
}
