// ResourceQuota admission (plugin/pkg/admission/resourcequota): a create that would take a
// namespace past a quota's hard limits is refused with 403 `exceeded quota: …`.
import { forbidden } from '../../api/status.ts';
import type { KubeObject } from '../../api/types.ts';
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
import type { AdmissionPlugin } from '../registry/rest.ts';

type Usage = Map<string, Quantity>;

const LEGACY_COUNTS: Record<string, string> = {
  '/pods': 'pods',
  '/services': 'services',
  '/configmaps': 'configmaps',
  '/secrets': 'secrets',
  '/persistentvolumeclaims': 'persistentvolumeclaims',
  '/replicationcontrollers': 'replicationcontrollers',
  '/resourcequotas': 'resourcequotas',
};

interface Container {
  resources?: { requests?: Record<string, unknown>; limits?: Record<string, unknown> };
}

function isTerminal(pod: KubeObject): boolean {
  const phase = (pod.status as { phase?: string } | undefined)?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

/** What one object contributes to a namespace's usage (quota evaluators in pkg/quota/v1/evaluator/core). */
export function usageOf(info: ResourceInfo, object: KubeObject): Usage {
  const usage: Usage = new Map();
  const countKey = `count/${info.plural}${info.group ? `.${info.group}` : ''}`;
  usage.set(countKey, count(1));
  const legacy = LEGACY_COUNTS[`${info.group}/${info.plural}`];
  if (legacy) usage.set(legacy, count(1));
  if (info.group === '' && info.kind === 'Pod') {
    if (isTerminal(object)) return new Map();
    const spec = (object.spec ?? {}) as { containers?: Container[] };
    for (const container of spec.containers ?? []) {
      for (const [name, value] of Object.entries(container.resources?.requests ?? {})) {
        const q = quantityOrZero(value);
        add(usage, `requests.${name}`, q);
        if (name === 'cpu' || name === 'memory' || name === 'ephemeral-storage')
          add(usage, name, q);
      }
      for (const [name, value] of Object.entries(container.resources?.limits ?? {}))
        add(usage, `limits.${name}`, quantityOrZero(value));
    }
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

function add(usage: Usage, key: string, q: Quantity): void {
  const sum = usage.get(key);
  usage.set(key, sum ? addQuantities(sum, q) : q);
}

function isPositive(q: Quantity | undefined): boolean {
  return q !== undefined && q.sign > 0;
}

export interface QuotaSource {
  quotas(namespace: string): KubeObject[];
  /** Objects of a resource in a namespace (storage form). */
  objects(info: ResourceInfo, namespace: string): KubeObject[];
}

export function resourceQuota(source: QuotaSource): AdmissionPlugin {
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
      const quotas = source.quotas(request.namespace);
      if (!quotas.length) return;
      const requested = usageOf(request.info, request.object);
      for (const quota of quotas) {
        const hard = (quota.spec as { hard?: Record<string, unknown> } | undefined)?.hard ?? {};
        const relevant = [...requested.keys()].filter(
          (key) => hard[key] !== undefined && isPositive(requested.get(key)),
        );
        if (!relevant.length) continue;
        const used: Usage = new Map();
        for (const object of source.objects(request.info, request.namespace)) {
          for (const [key, n] of usageOf(request.info, object))
            if (relevant.includes(key)) add(used, key, n);
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
            `${request.info.plural}${request.info.group ? `.${request.info.group}` : ''} "${request.name}" is forbidden: exceeded quota: ${quota.metadata.name}, requested: ${list((k) => formatQuantity(requested.get(k) ?? ZERO_QUANTITY))}, used: ${list((k) => formatQuantity(used.get(k) ?? ZERO_QUANTITY))}, limited: ${list((k) => quantityString(hard[k]))}`,
          );
        }
      }
    },
  };
}
