// The downward API's values (pkg/fieldpath, pkg/api/v1/resource ExtractContainerResourceValue,
// kubelet's containerResourceRuntimeValue): pod fields for env and downwardAPI volumes, and a
// container's requests/limits divided by the divisor, limits defaulting to node allocatable.
import type { KubeObject } from '../../main/api/types.ts';
import {
  parseQuantity,
  quantityMilliValue,
  quantityValue,
  type Quantity,
} from '../../main/api/quantity.ts';
import { containersOf, specOf, str, type Obj } from './common.ts';

/** A field or resource the downward API cannot give (the caller's config error). */
export class DownwardApiError extends Error {}

export interface PodAddresses {
  podIP?: string;
  hostIP: string;
}

/** kubelet's FormatMap: `key="value"` lines, sorted by key, values quoted like Go's %q. */
export function formatMap(map: Record<string, string> | undefined): string {
  return Object.keys(map ?? {})
    .sort()
    .map((k) => `${k}=${JSON.stringify(map![k])}`)
    .join('\n');
}

/**
 * A fieldRef's value. `addresses` is given for env (status.* and spec.* fields); downwardAPI
 * volumes only carry metadata fields, as the API validates.
 */
export function fieldRefValue(
  pod: KubeObject,
  fieldPath: string,
  addresses?: PodAddresses,
): string {
  const one = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath);
  if (one) {
    const map = one[1] === 'labels' ? pod.metadata.labels : pod.metadata.annotations;
    return map?.[one[2]] ?? '';
  }
  const spec = specOf(pod);
  switch (fieldPath) {
    case 'metadata.name':
      return pod.metadata.name ?? '';
    case 'metadata.namespace':
      return pod.metadata.namespace ?? '';
    case 'metadata.uid':
      return pod.metadata.uid ?? '';
    case 'metadata.labels':
      return formatMap(pod.metadata.labels);
    case 'metadata.annotations':
      return formatMap(pod.metadata.annotations);
  }
  if (addresses) {
    switch (fieldPath) {
      case 'spec.nodeName':
        return str(spec.nodeName);
      case 'spec.serviceAccountName':
        return str(spec.serviceAccountName);
      case 'status.hostIP':
      case 'status.hostIPs':
        return addresses.hostIP;
      case 'status.podIP':
      case 'status.podIPs':
        return addresses.podIP ?? '';
    }
  }
  throw new DownwardApiError(`unsupported fieldPath: ${fieldPath}`);
}

function quantity(value: unknown, what: string): Quantity | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const q = parseQuantity(str(value));
  if (typeof q === 'string') throw new DownwardApiError(`${what}: ${q}`);
  return q;
}

function ceilDiv(a: bigint, b: bigint): bigint {
  if (b <= 0n) throw new DownwardApiError('divisor must be positive');
  return (a + b - 1n) / b;
}

/**
 * A container's resource as the downward API gives it: ceil(value / divisor); an unset limit is
 * the node's allocatable (kubelet merges allocatable into the limits first).
 */
export function resourceFieldValue(
  container: Obj,
  resource: string,
  divisor: unknown,
  allocatable: Obj = {},
): string {
  const match = /^(limits|requests)\.(cpu|memory|ephemeral-storage|hugepages-.+)$/.exec(resource);
  if (!match) throw new DownwardApiError(`unsupported container resource : ${resource}`);
  const [, kind, name] = match;
  const resources = (container.resources ?? {}) as Obj;
  const given = ((resources[kind] ?? {}) as Obj)[name];
  let value = quantity(given, resource);
  if (!value && kind === 'limits' && !name.startsWith('hugepages-'))
    value = quantity(allocatable[name], `allocatable ${name}`);
  const div = quantity(divisor, 'divisor') ?? (parseQuantity('1') as Quantity);
  if (!value) return '0';
  if (name === 'cpu') return String(ceilDiv(quantityMilliValue(value), quantityMilliValue(div)));
  return String(ceilDiv(quantityValue(value), quantityValue(div)));
}

/** The spec of the named container (app or init), for resourceFieldRef.containerName. */
export function containerNamed(pod: KubeObject, name: string): Obj | undefined {
  const spec = specOf(pod);
  return [...containersOf(spec, 'containers'), ...containersOf(spec, 'initContainers')].find(
    (c) => c.name === name,
  );
}
