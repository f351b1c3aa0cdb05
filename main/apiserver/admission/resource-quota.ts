// ResourceQuota admission (plugin/pkg/admission/resourcequota with the evaluators of
// pkg/quota/v1/evaluator/core): a create that would take a namespace past a quota's hard limits is
// refused with 403 `exceeded quota: …`, and a pod missing a cpu/memory value a quota tracks with
// `failed quota: …: must specify …`.
import { forbidden } from '../../api/status.ts';
import type { KubeObject } from '../../api/types.ts';
import { isPlainObject } from '../../api/types.ts';
import { compareStrings } from '../../api/go-format.ts';
import {
  addQuantities,
  compareQuantities,
  formatQuantity,
  quantityOrZero,
  quantityString,
  ZERO_QUANTITY,
  type Quantity,
} from '../../api/quantity.ts';
import type { ResourceInfo } from '../registry/resources.ts';
import type { AdmissionPlugin, AdmissionRequest } from '../registry/rest.ts';

export type Usage = Map<string, Quantity>;
type ResourceList = Record<string, unknown>;

const LEGACY_COUNTS: Record<string, string> = {
  '/pods': 'pods',
  '/services': 'services',
  '/configmaps': 'configmaps',
  '/secrets': 'secrets',
  '/persistentvolumeclaims': 'persistentvolumeclaims',
  '/replicationcontrollers': 'replicationcontrollers',
  '/resourcequotas': 'resourcequotas',
};

/**
 * Quota names that force every container to state the value (the evaluator's validationSet: a
 * historical mistake kube keeps for compatibility, limited to these six).
 */
const MUST_SPECIFY = new Set([
  'cpu',
  'memory',
  'requests.cpu',
  'requests.memory',
  'limits.cpu',
  'limits.memory',
]);

interface Container {
  name?: string;
  restartPolicy?: string;
  resources?: { requests?: ResourceList; limits?: ResourceList };
}

interface PodSpecShape {
  activeDeadlineSeconds?: number | null;
  priorityClassName?: string;
  containers?: Container[];
  initContainers?: Container[];
  overhead?: ResourceList;
  resources?: { requests?: ResourceList; limits?: ResourceList };
}

function podSpec(pod: KubeObject): PodSpecShape {
  const spec: PodSpecShape = isPlainObject(pod.spec) ? pod.spec : {};
  return spec;
}

/**
 * QuotaV1Pod false: a terminal pod, or one whose deletion grace period has run out (its
 * deletionTimestamp plus the grace period again, as kube's evaluator counts it), no longer uses
 * compute quota.
 */
function isPastLife(pod: KubeObject, nowMs: number): boolean {
  const phase = (pod.status as { phase?: string } | undefined)?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return true;
  const deletion = pod.metadata.deletionTimestamp;
  const grace = pod.metadata.deletionGracePeriodSeconds;
  if (typeof deletion !== 'string' || typeof grace !== 'number') return false;
  return nowMs > Date.parse(deletion) + grace * 1000;
}

function add(usage: Usage, key: string, q: Quantity): void {
  const sum = usage.get(key);
  usage.set(key, sum ? addQuantities(sum, q) : q);
}

function asUsage(list: ResourceList | undefined): Usage {
  const usage: Usage = new Map();
  for (const [name, value] of Object.entries(list ?? {})) usage.set(name, quantityOrZero(value));
  return usage;
}

function addAll(into: Usage, from: Usage): void {
  for (const [name, q] of from) add(into, name, q);
}

function maxInto(into: Usage, from: Usage): void {
  for (const [name, q] of from) {
    const current = into.get(name);
    if (!current || compareQuantities(q, current) > 0) into.set(name, q);
  }
}

/**
 * resourcehelper.PodRequests / PodLimits: the sum over app containers and sidecars, at least the
 * largest init container (with the sidecars started before it), plus the pod overhead; pod-level
 * resources, when set, stand for the containers' for the resources they name.
 */
export function podResources(spec: PodSpecShape, kind: 'requests' | 'limits'): Usage {
  const total: Usage = new Map();
  for (const c of spec.containers ?? []) addAll(total, asUsage(c.resources?.[kind]));
  const sidecars: Usage = new Map();
  const initMax: Usage = new Map();
  for (const c of spec.initContainers ?? []) {
    const own = asUsage(c.resources?.[kind]);
    if (c.restartPolicy === 'Always') {
      addAll(total, own);
      addAll(sidecars, own);
      maxInto(initMax, new Map(sidecars));
    } else {
      const during = new Map(own);
      addAll(during, sidecars);
      maxInto(initMax, during);
    }
  }
  maxInto(total, initMax);
  for (const [name, q] of asUsage(spec.resources?.[kind])) total.set(name, q);
  const overhead = asUsage(spec.overhead);
  for (const [name, q] of overhead) if (kind === 'requests' || total.has(name)) add(total, name, q);
  return total;
}

function isHugePages(name: string): boolean {
  return name.startsWith('hugepages-');
}

/** An extended resource (`example.com/gpu`): quota tracks it only as `requests.<name>`. */
function isExtended(name: string): boolean {
  return (
    name.includes('/') &&
    !name.startsWith('kubernetes.io/') &&
    !name.includes('.kubernetes.io/') &&
    !name.startsWith('requests.')
  );
}

/** podComputeUsageHelper: the quota names a pod's (or a container's) requests and limits fill. */
export function computeUsage(requests: Usage, limits: Usage): Usage {
  const usage: Usage = new Map([['pods', quantityOrZero(1)]]);
  for (const name of ['cpu', 'memory', 'ephemeral-storage']) {
    const request = requests.get(name);
    if (request) {
      usage.set(name, request);
      usage.set(`requests.${name}`, request);
    }
    const limit = limits.get(name);
    if (limit) usage.set(`limits.${name}`, limit);
  }
  for (const [name, request] of requests) {
    if (isHugePages(name)) {
      usage.set(name, request);
      usage.set(`requests.${name}`, request);
    } else if (isExtended(name)) usage.set(`requests.${name}`, request);
  }
  return usage;
}

/** What one object contributes to a namespace's usage (quota evaluators in pkg/quota/v1/evaluator/core). */
export function usageOf(info: ResourceInfo, object: KubeObject, nowMs = Date.now()): Usage {
  const usage: Usage = new Map();
  const countKey = `count/${info.plural}${info.group ? `.${info.group}` : ''}`;
  usage.set(countKey, count(1));
  const legacy = LEGACY_COUNTS[`${info.group}/${info.plural}`];
  if (legacy) usage.set(legacy, count(1));
  if (info.group === '' && info.kind === 'Pod') {
    // Object counts track every stored pod; compute resources (and `pods`) only live ones.
    if (isPastLife(object, nowMs)) {
      usage.delete('pods');
      return usage;
    }
    const spec = podSpec(object);
    addAll(usage, computeUsage(podResources(spec, 'requests'), podResources(spec, 'limits')));
    usage.set('pods', count(1));
  }
  if (info.group === '' && info.kind === 'Service') {
    const spec = (object.spec ?? {}) as { type?: string; ports?: unknown[] };
    if (spec.type === 'NodePort' || spec.type === 'LoadBalancer')
      usage.set('services.nodeports', count(spec.ports?.length ?? 0));
    if (spec.type === 'LoadBalancer') usage.set('services.loadbalancers', count(1));
  }
  if (info.group === '' && info.kind === 'PersistentVolumeClaim') {
    const storage = (
      object.spec as { resources?: { requests?: { storage?: unknown } } } | undefined
    )?.resources?.requests?.storage;
    add(usage, 'requests.storage', quantityOrZero(storage));
  }
  return usage;
}

/** resource.NewQuantity(n, DecimalSI), as the evaluators count objects. */
function count(n: number): Quantity {
  return quantityOrZero(n);
}

function isPositive(q: Quantity | undefined): boolean {
  return q !== undefined && q.sign > 0;
}

// ---- scopes (podMatchesScopeFunc) ----

interface ScopeRequirement {
  scopeName: string;
  operator: string;
  values: string[];
}

/** The quota's scopes (spec.scopes, spec.scopeSelector) as requirements. */
function scopesOf(quota: KubeObject): ScopeRequirement[] {
  const spec = isPlainObject(quota.spec) ? quota.spec : {};
  const out: ScopeRequirement[] = [];
  if (Array.isArray(spec.scopes))
    for (const scope of spec.scopes)
      if (typeof scope === 'string') out.push({ scopeName: scope, operator: 'Exists', values: [] });
  const selector = isPlainObject(spec.scopeSelector) ? spec.scopeSelector : {};
  if (Array.isArray(selector.matchExpressions))
    for (const e of selector.matchExpressions) {
      if (!isPlainObject(e) || typeof e.scopeName !== 'string') continue;
      out.push({
        scopeName: e.scopeName,
        operator: typeof e.operator === 'string' ? e.operator : 'Exists',
        values: Array.isArray(e.values)
          ? e.values.filter((v): v is string => typeof v === 'string')
          : [],
      });
    }
  return out;
}

/** qos.GetPodQOS == BestEffort: no container requests or limits cpu or memory. */
function isBestEffort(spec: PodSpecShape): boolean {
  for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
    for (const list of [c.resources?.requests, c.resources?.limits])
      if (list && ('cpu' in list || 'memory' in list)) return false;
  }
  return true;
}

/** Whether a pod is in a scope (pkg/quota/v1/evaluator/core podMatchesScopeFunc). */
function podMatchesScope(pod: KubeObject, scope: ScopeRequirement): boolean {
  const spec = podSpec(pod);
  const terminating =
    typeof spec.activeDeadlineSeconds === 'number' && spec.activeDeadlineSeconds >= 0;
  switch (scope.scopeName) {
    case 'Terminating':
      return terminating;
    case 'NotTerminating':
      return !terminating;
    case 'BestEffort':
      return isBestEffort(spec);
    case 'NotBestEffort':
      return !isBestEffort(spec);
    case 'PriorityClass': {
      const name = spec.priorityClassName ?? '';
      if (scope.operator === 'Exists') return name !== '';
      if (scope.operator === 'DoesNotExist') return name === '';
      if (scope.operator === 'In') return scope.values.includes(name);
      if (scope.operator === 'NotIn') return !scope.values.includes(name);
      return false;
    }
    default:
      return false;
  }
}

/** Whether an object is within the quota's scopes; only pods have scopes (others never match a scoped quota). */
export function inScope(quota: KubeObject, info: ResourceInfo, object: KubeObject): boolean {
  const scopes = scopesOf(quota);
  if (!scopes.length) return true;
  if (!(info.group === '' && info.kind === 'Pod')) return false;
  return scopes.every((scope) => podMatchesScope(object, scope));
}

// ---- constraints (podEvaluator.Constraints) ----

/**
 * The `must specify …` message when a container lacks a cpu/memory value the quota tracks, or
 * undefined. Pod-level resources make per-container values optional (PodLevelResources, on in 1.35).
 */
export function missingResources(
  pod: KubeObject,
  hard: Record<string, unknown>,
): string | undefined {
  const spec = podSpec(pod);
  const podLevel = spec.resources;
  if (
    podLevel &&
    (Object.keys(podLevel.requests ?? {}).length || Object.keys(podLevel.limits ?? {}).length)
  )
    return undefined;
  const required = Object.keys(hard).filter((name) => MUST_SPECIFY.has(name));
  if (!required.length) return undefined;
  const missing = new Map<string, Set<string>>();
  for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
    const has = computeUsage(asUsage(c.resources?.requests), asUsage(c.resources?.limits));
    for (const name of required) {
      if (has.has(name)) continue;
      const names = missing.get(name) ?? new Set<string>();
      names.add(c.name ?? '');
      missing.set(name, names);
    }
  }
  if (!missing.size) return undefined;
  const parts = [...missing.keys()]
    .sort(compareStrings)
    .map((name) => `${name} for: ${[...(missing.get(name) ?? [])].sort(compareStrings).join(',')}`);
  return `must specify ${parts.join('; ')}`;
}

// ---- the admission plugin ----

export interface QuotaSource {
  quotas(namespace: string): KubeObject[];
  /** Objects of a resource in a namespace (storage form). */
  objects(info: ResourceInfo, namespace: string): KubeObject[];
}

interface Reservation {
  namespace: string;
  info: ResourceInfo;
  usage: Usage;
}

function hardOf(quota: KubeObject): Record<string, unknown> {
  const spec = isPlainObject(quota.spec) ? quota.spec : {};
  return isPlainObject(spec.hard) ? spec.hard : {};
}

export function resourceQuota(source: QuotaSource): AdmissionPlugin {
  // Usage admitted but not yet stored: kube charges status.used at admission (with a
  // compare-and-swap), so concurrent creates cannot all fit in the same room; these
  // reservations play that part until the write ends.
  const reserved = new Map<AdmissionRequest, Reservation>();
  const prefix = (request: AdmissionRequest): string =>
    `${request.info.plural}${request.info.group ? `.${request.info.group}` : ''} "${request.name}" is forbidden: `;

  return {
    name: 'ResourceQuota',
    validate(request) {
      if (
        request.operation !== 'CREATE' ||
        !request.object ||
        request.subresource ||
        !request.info.namespaced
      )
        return;
      const quotas = source
        .quotas(request.namespace)
        .filter((quota) => inScope(quota, request.info, request.object as KubeObject));
      if (!quotas.length) return;
      const requested = usageOf(request.info, request.object);
      const isPod = request.info.group === '' && request.info.kind === 'Pod';
      if (isPod) {
        for (const quota of quotas) {
          const missing = missingResources(request.object, hardOf(quota));
          if (missing)
            throw forbidden(`${prefix(request)}failed quota: ${quota.metadata.name}: ${missing}`);
        }
      }
      const charged = new Set<string>();
      for (const quota of quotas) {
        const hard = hardOf(quota);
        const relevant = [...requested.keys()].filter(
          (key) => hard[key] !== undefined && isPositive(requested.get(key)),
        );
        if (!relevant.length) continue;
        for (const key of relevant) charged.add(key);
        const used: Usage = new Map();
        for (const object of source.objects(request.info, request.namespace)) {
          if (!inScope(quota, request.info, object)) continue;
          for (const [key, n] of usageOf(request.info, object))
            if (relevant.includes(key)) add(used, key, n);
        }
        for (const pending of reserved.values()) {
          if (
            pending.namespace !== request.namespace ||
            pending.info.group !== request.info.group ||
            pending.info.plural !== request.info.plural
          )
            continue;
          for (const [key, n] of pending.usage) if (relevant.includes(key)) add(used, key, n);
        }
        const total = (key: string): Quantity =>
          addQuantities(used.get(key) ?? ZERO_QUANTITY, requested.get(key) ?? ZERO_QUANTITY);
        const exceeded = relevant
          .filter((key) => compareQuantities(total(key), quantityOrZero(hard[key])) > 0)
          .sort(compareStrings);
        if (exceeded.length) {
          // prettyPrint: `name=Quantity.String()` pairs sorted by resource name.
          const list = (values: (key: string) => string) =>
            exceeded.map((key) => `${key}=${values(key)}`).join(',');
          throw forbidden(
            `${prefix(request)}exceeded quota: ${quota.metadata.name}, requested: ${list((k) => formatQuantity(requested.get(k) ?? ZERO_QUANTITY))}, used: ${list((k) => formatQuantity(used.get(k) ?? ZERO_QUANTITY))}, limited: ${list((k) => quantityString(hard[k]))}`,
          );
        }
      }
      if (charged.size && !request.dryRun) {
        const usage: Usage = new Map();
        for (const key of charged) usage.set(key, requested.get(key) ?? ZERO_QUANTITY);
        reserved.set(request, { namespace: request.namespace, info: request.info, usage });
      }
    },
    finished(request) {
      // Stored (now counted from the store) or failed (nothing to count).
      reserved.delete(request);
    },
  };
}
