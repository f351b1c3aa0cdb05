// LimitRanger admission (plugin/pkg/admission/limitranger): default requests and limits from the
// namespace's LimitRanges into pod containers, and min/max/ratio checks answered with 403.
import { forbidden } from '../../api/status.ts';
import type { KubeObject } from '../../api/types.ts';
import { parseQuantity } from '../../api/quantity.ts';
import type { AdmissionPlugin } from '../registry/rest.ts';

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

function checkContainer(container: Container, items: LimitItem[]): string[] {
  const problems: string[] = [];
  const requests = container.resources?.requests ?? {};
  const limits = container.resources?.limits ?? {};
  for (const item of items) {
    for (const [name, min] of Object.entries(item.min ?? {})) {
      const request = requests[name];
      if (request === undefined)
        problems.push(`minimum ${name} usage per Container is ${min}.  No request is specified`);
      else if ((parseQuantity(request) ?? 0) < (parseQuantity(min) ?? 0))
        problems.push(`minimum ${name} usage per Container is ${min}, but request is ${request}`);
    }
    for (const [name, max] of Object.entries(item.max ?? {})) {
      const limit = limits[name];
      if (limit === undefined)
        problems.push(`maximum ${name} usage per Container is ${max}.  No limit is specified`);
      else if ((parseQuantity(limit) ?? 0) > (parseQuantity(max) ?? 0))
        problems.push(`maximum ${name} usage per Container is ${max}, but limit is ${limit}`);
    }
    for (const [name, ratio] of Object.entries(item.maxLimitRequestRatio ?? {})) {
      const limit = parseQuantity(limits[name]);
      const request = parseQuantity(requests[name]);
      if (limit !== undefined && request) {
        const actual = limit / request;
        if (actual > (parseQuantity(ratio) ?? Infinity))
          problems.push(
            `${name} max limit to request ratio per Container is ${ratio}, but provided ratio is ${actual.toFixed(6)}`,
          );
      }
    }
  }
  return problems;
}

export function limitRanger(listLimitRanges: (namespace: string) => KubeObject[]): AdmissionPlugin {
  return {
    name: 'LimitRanger',
    mutate(request) {
      const { info, object } = request;
      if (
        request.operation !== 'CREATE' ||
        info.group !== '' ||
        info.kind !== 'Pod' ||
        !object ||
        request.subresource
      )
        return;
      const items = containerItems(listLimitRanges(request.namespace));
      if (!items.length) return;
      const spec = (object.spec ?? {}) as {
        containers?: Container[];
        initContainers?: Container[];
      };
      for (const container of [...(spec.containers ?? []), ...(spec.initContainers ?? [])])
        applyContainerDefaults(container, items);
    },
    validate(request) {
      const { info, object } = request;
      if (
        request.operation !== 'CREATE' ||
        info.group !== '' ||
        info.kind !== 'Pod' ||
        !object ||
        request.subresource
      )
        return;
      const items = containerItems(listLimitRanges(request.namespace));
      if (!items.length) return;
      const spec = (object.spec ?? {}) as {
        containers?: Container[];
        initContainers?: Container[];
      };
      const problems = [...(spec.containers ?? []), ...(spec.initContainers ?? [])].flatMap((c) =>
        checkContainer(c, items),
      );
      if (problems.length)
        throw forbidden(`pods "${request.name}" is forbidden: [${problems.join(', ')}]`);
    },
  };
}
