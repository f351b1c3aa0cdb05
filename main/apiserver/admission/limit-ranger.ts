// LimitRanger admission (plugin/pkg/admission/limitranger): default requests and limits from the
// namespace's LimitRanges into pod containers, and min/max/ratio checks answered with 403.
import { forbidden } from '../../api/status.ts';
import type { KubeObject } from '../../api/types.ts';
import { quantityMilliValue, quantityOrZero } from '../../api/quantity.ts';
import { podBeingCreated } from '../registry/rest.ts';
import type { AdmissionPlugin, AdmissionRequest } from '../registry/rest.ts';

interface LimitItem {
  type?: string;
  default?: Record<string, string>;
  defaultRequest?: Record<string, string>;
  min?: Record<string, string>;
  max?: Record<string, string>;
  maxLimitRequestRatio?: Record<string, string>;
}

interface Container {
  name?: string;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
}

function containerItems(limitRanges: KubeObject[]): LimitItem[] {
  return limitRanges.flatMap((lr) =>
    ((lr.spec as { limits?: LimitItem[] } | undefined)?.limits ?? []).filter(
      (item) => item.type === 'Container',
    ),
  );
}

function applyContainerDefaults(container: Container, items: LimitItem[]): void {
  for (const item of items) {
    const resources = (container.resources ??= {});
    for (const [name, value] of Object.entries(item.default ?? {})) {
      resources.limits ??= {};
      if (resources.limits[name] === undefined) resources.limits[name] = value;
    }
    for (const [name, value] of Object.entries(item.defaultRequest ?? item.default ?? {})) {
      resources.requests ??= {};
      if (resources.requests[name] === undefined)
        resources.requests[name] =
          resources.limits?.[name] !== undefined && item.defaultRequest?.[name] === undefined
            ? resources.limits[name]
            : value;
    }
  }
}

/** requestLimitEnforcedValues: Go compares milli-values (rounded up), absent or bad ones as 0. */
function milli(value: unknown): bigint {
  return quantityMilliValue(quantityOrZero(value));
}

function checkContainer(container: Container, items: LimitItem[]): string[] {
  const problems: string[] = [];
  const requests = container.resources?.requests ?? {};
  const limits = container.resources?.limits ?? {};
  for (const item of items) {
    for (const [name, min] of Object.entries(item.min ?? {})) {
      const request = requests[name];
      if (request === undefined)
        problems.push(`minimum ${name} usage per Container is ${min}.  No request is specified`);
      else if (milli(request) < milli(min))
        problems.push(`minimum ${name} usage per Container is ${min}, but request is ${request}`);
    }
    for (const [name, max] of Object.entries(item.max ?? {})) {
      const limit = limits[name];
      if (limit === undefined)
        problems.push(`maximum ${name} usage per Container is ${max}.  No limit is specified`);
      else if (milli(limit) > milli(max))
        problems.push(`maximum ${name} usage per Container is ${max}, but limit is ${limit}`);
    }
    for (const [name, ratio] of Object.entries(item.maxLimitRequestRatio ?? {})) {
      const limit = milli(limits[name]);
      const request = milli(requests[name]);
      if (limits[name] !== undefined && request !== 0n) {
        // limitRequestRatioConstraint: the ratio of milli-values as float64, against milli-ratio.
        const actual = Number(limit) / Number(request);
        if (actual * 1000 > Number(milli(ratio)))
          problems.push(
            `${name} max limit to request ratio per Container is ${ratio}, but provided ratio is ${actual.toFixed(6)}`,
          );
      }
    }
  }
  return problems;
}

export function limitRanger(listLimitRanges: (namespace: string) => KubeObject[]): AdmissionPlugin {
  /** A pod being created in a namespace with Container limits: its containers and those limits. */
  const limitedPod = (
    request: AdmissionRequest,
  ): { containers: Container[]; items: LimitItem[] } | undefined => {
    const object = podBeingCreated(request);
    if (!object) return undefined;
    const items = containerItems(listLimitRanges(request.namespace));
    if (!items.length) return undefined;
    const spec = (object.spec ?? {}) as {
      containers?: Container[];
      initContainers?: Container[];
    };
    return { containers: [...(spec.containers ?? []), ...(spec.initContainers ?? [])], items };
  };
  return {
    name: 'LimitRanger',
    mutate(request) {
      const pod = limitedPod(request);
      if (!pod) return;
      for (const container of pod.containers) applyContainerDefaults(container, pod.items);
    },
    validate(request) {
      const pod = limitedPod(request);
      if (!pod) return;
      const problems = pod.containers.flatMap((c) => checkContainer(c, pod.items));
      if (problems.length)
        throw forbidden(`pods "${request.name}" is forbidden: [${problems.join(', ')}]`);
    },
  };
}
