// Resource names and quantities (core validation: validateResourceName, ValidateResourceQuantityValue,
// validateResourceRequirements) and the helper predicates of pkg/apis/core/helper.

import {
  forbidden,
  invalid,
  notFound,
  notSupported,
  type Path,
  required,
  duplicate,
} from './field.ts';
import { obj, objs, str } from './json.ts';
import { isDNS1123Label, isQualifiedName } from './names.ts';
import {
  compareQuantities,
  formatQuantity,
  parseQuantity,
  quantityMilliValue,
  readQuantity,
  type Quantity,
} from '../../api/quantity.ts';
import type { FieldError } from '../../api/status.ts';

const standardResources = new Set([
  'cpu',
  'memory',
  'ephemeral-storage',
  'requests.cpu',
  'requests.memory',
  'requests.ephemeral-storage',
  'limits.cpu',
  'limits.memory',
  'limits.ephemeral-storage',
  'pods',
  'services',
  'replicationcontrollers',
  'resourcequotas',
  'secrets',
  'persistentvolumeclaims',
  'requests.storage',
  'configmaps',
  'services.nodeports',
  'services.loadbalancers',
]);
const standardContainerResources = new Set(['cpu', 'memory', 'ephemeral-storage']);
const integerResources = new Set([
  'pods',
  'services',
  'replicationcontrollers',
  'resourcequotas',
  'secrets',
  'configmaps',
  'persistentvolumeclaims',
  'services.nodeports',
  'services.loadbalancers',
]);
const standardQuotaResources = new Set([...standardResources, 'count/*']);

export const isHugePageResourceName = (n: string): boolean => n.startsWith('hugepages-');
export const isNativeResource = (n: string): boolean =>
  !n.includes('/') || n.includes('kubernetes.io/');
export const isOvercommitAllowed = (n: string): boolean =>
  isNativeResource(n) && !isHugePageResourceName(n);

export function isExtendedResourceName(n: string): boolean {
  if (isNativeResource(n) || n.startsWith('requests.')) return false;
  return isQualifiedName(`requests.${n}`).length === 0;
}

function isStandardResourceName(n: string): boolean {
  return (
    standardResources.has(n) || isHugePageResourceName(n) || n.startsWith('requests.hugepages-')
  );
}

function isIntegerResourceName(n: string): boolean {
  return integerResources.has(n) || isExtendedResourceName(n);
}

/** validateResourceName. */
export function validateResourceName(name: string, path: Path): FieldError[] {
  const errs = isQualifiedName(name).map((m) => invalid(path, name, m));
  if (errs.length) return errs;
  if (!name.includes('/') && !isStandardResourceName(name)) {
    return [invalid(path, name, 'must be a standard resource type or fully qualified')];
  }
  return [];
}

/** validateContainerResourceName. */
export function validateContainerResourceName(name: string, path: Path): FieldError[] {
  const errs = validateResourceName(name, path);
  if (!name.includes('/')) {
    if (!standardContainerResources.has(name) && !isHugePageResourceName(name)) {
      errs.push(invalid(path, name, 'must be a standard resource for containers'));
    }
  } else if (!isNativeResource(name) && !isExtendedResourceName(name)) {
    errs.push(invalid(path, name, "doesn't follow extended resource name standard"));
  }
  return errs;
}

/** ValidateResourceQuotaResourceName. */
export function validateQuotaResourceName(name: string, path: Path): FieldError[] {
  const errs = validateResourceName(name, path);
  if (!name.includes('/') && !standardQuotaResources.has(name) && !isHugePageResourceName(name)) {
    if (!name.startsWith('requests.hugepages-')) {
      errs.push(invalid(path, name, 'must be a standard resource for quota'));
    }
  }
  return errs;
}

/**
 * A quantity at `path`: undefined when absent; a FieldError list entry when it does not parse
 * (kube-apiserver's decoder would answer 400 with this message).
 */
export function quantityAt(value: unknown, path: Path, errs: FieldError[]): Quantity | undefined {
  const q = readQuantity(value);
  if (typeof q === 'string') {
    errs.push(invalid(path, value, q));
    return undefined;
  }
  return q;
}

/** ValidateResourceQuantityValue. */
export function validateResourceQuantityValue(
  resource: string,
  q: Quantity,
  path: Path,
): FieldError[] {
  const errs: FieldError[] = [];
  if (q.sign < 0) errs.push(invalid(path, formatQuantity(q), 'must be greater than or equal to 0'));
  if (isIntegerResourceName(resource) && quantityMilliValue(q) % 1000n !== 0n) {
    errs.push(invalid(path, formatQuantity(q), 'must be an integer'));
  }
  return errs;
}

/** ValidatePositiveQuantityValue. */
export function validatePositiveQuantity(q: Quantity, path: Path): FieldError[] {
  return q.sign <= 0 ? [invalid(path, formatQuantity(q), 'must be greater than zero')] : [];
}

function hugePageDivisible(name: string, q: Quantity): boolean {
  const size = parseQuantity(name.slice('hugepages-'.length));
  if (typeof size === 'string' || size.sign <= 0) return false;
  const s = Math.min(q.scale, size.scale);
  const a = q.mant * 10n ** BigInt(q.scale - s);
  const b = size.mant * 10n ** BigInt(size.scale - s);
  return a % b === 0n;
}

export type ResourceNameRule = (name: string, path: Path) => FieldError[];

/** validateResourceRequirements for containers (or pod-level resources with another name rule). */
export function validateResourceRequirements(
  requirements: unknown,
  podClaimNames: Set<string>,
  path: Path,
  nameRule: ResourceNameRule = validateContainerResourceName,
): FieldError[] {
  const r = obj(requirements) ?? {};
  const errs: FieldError[] = [];
  const limPath = path.child('limits');
  const reqPath = path.child('requests');
  const limits = new Map<string, Quantity>();
  let limCpuMem = false;
  let reqCpuMem = false;
  let limHuge = false;
  let reqHuge = false;
  for (const [name, raw] of Object.entries(obj(r.limits) ?? {})) {
    const p = limPath.key(name);
    errs.push(...nameRule(name, p));
    const q = quantityAt(raw, p, errs);
    if (!q) continue;
    limits.set(name, q);
    errs.push(...validateResourceQuantityValue(name, q, p));
    if (isHugePageResourceName(name)) {
      limHuge = true;
      if (!hugePageDivisible(name, q)) {
        errs.push(
          invalid(
            p,
            formatQuantity(q),
            `${formatQuantity(q)} is not positive integer multiple of ${name}`,
          ),
        );
      }
    }
    if (name === 'cpu' || name === 'memory') limCpuMem = true;
  }
  for (const [name, raw] of Object.entries(obj(r.requests) ?? {})) {
    const p = reqPath.key(name);
    errs.push(...nameRule(name, p));
    const q = quantityAt(raw, p, errs);
    if (!q) continue;
    errs.push(...validateResourceQuantityValue(name, q, p));
    const limit = limits.get(name);
    if (limit) {
      const c = compareQuantities(q, limit);
      if (c !== 0 && !isOvercommitAllowed(name)) {
        errs.push(
          invalid(
            reqPath,
            formatQuantity(q),
            `must be equal to ${name} limit of ${formatQuantity(limit)}`,
          ),
        );
      } else if (c > 0) {
        errs.push(
          invalid(
            reqPath,
            formatQuantity(q),
            `must be less than or equal to ${name} limit of ${formatQuantity(limit)}`,
          ),
        );
      }
    } else if (!isOvercommitAllowed(name)) {
      errs.push(required(limPath, 'Limit must be set for non overcommitable resources'));
    }
    if (isHugePageResourceName(name)) {
      reqHuge = true;
      if (!hugePageDivisible(name, q)) {
        errs.push(
          invalid(
            p,
            formatQuantity(q),
            `${formatQuantity(q)} is not positive integer multiple of ${name}`,
          ),
        );
      }
    }
    if (name === 'cpu' || name === 'memory') reqCpuMem = true;
  }
  if (!limCpuMem && !reqCpuMem && (reqHuge || limHuge)) {
    errs.push(forbidden(path, 'HugePages require cpu or memory'));
  }
  errs.push(...validateResourceClaimNames(r.claims, podClaimNames, path.child('claims')));
  return errs;
}

function validateResourceClaimNames(
  claims: unknown,
  podClaimNames: Set<string>,
  path: Path,
): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  objs(claims).forEach((claim, i) => {
    const name = str(claim.name) ?? '';
    if (!name) {
      errs.push(required(path.index(i)));
      return;
    }
    if (names.has(name)) errs.push(duplicate(path.index(i), name));
    else {
      const request = str(claim.request) ?? '';
      let key = name;
      if (request) {
        errs.push(
          ...isDNS1123Label(request).map((m) =>
            invalid(path.index(i).child('request'), request, m),
          ),
        );
        key += `/${request}`;
      }
      if (names.has(key)) errs.push(duplicate(path.index(i), key));
      names.add(key);
    }
    if (!podClaimNames.has(name)) {
      const list = [...podClaimNames].sort();
      const detail = list.length
        ? `must be one of the names in pod.spec.resourceClaims: ${list.join(', ')}`
        : 'must be one of the names in pod.spec.resourceClaims which is empty';
      errs.push(notFound(path.index(i), name, detail));
    }
  });
  return errs;
}

/** Pod-level resources (PodLevelResources): cpu, memory and hugepages only. */
export function validatePodResourceName(name: string, path: Path): FieldError[] {
  const errs = validateResourceName(name, path);
  if (errs.length) return errs;
  if (name !== 'cpu' && name !== 'memory' && !isHugePageResourceName(name)) {
    return [notSupported(path, name, ['cpu', 'memory'])];
  }
  return [];
}
