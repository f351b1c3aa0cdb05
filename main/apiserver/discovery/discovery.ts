// API discovery documents (apiserver pkg/endpoints/discovery): /api, /apis and the per
// group/version APIResourceLists kubectl reads to map kinds and short names to resources.
// Aggregated discovery is optional for clients (KUBE_API_NOTES §1), so plain JSON is served.
import type { ResourceCatalog } from '../registry/catalog.ts';
import { apiVersionOf, type ResourceInfo } from '../registry/resources.ts';

const SUBRESOURCE_VERBS: Record<string, string[]> = {
  status: ['get', 'patch', 'update'],
  scale: ['get', 'patch', 'update'],
  binding: ['create'],
  eviction: ['create'],
  log: ['get'],
  exec: ['create', 'get'],
  attach: ['create', 'get'],
  portforward: ['create', 'get'],
  proxy: ['create', 'delete', 'get', 'patch', 'update'],
  token: ['create'],
  finalize: ['update'],
  ephemeralcontainers: ['get', 'patch', 'update'],
};

const SUBRESOURCE_KINDS: Record<string, { group?: string; version?: string; kind: string }> = {
  scale: { group: 'autoscaling', version: 'v1', kind: 'Scale' },
  binding: { kind: 'Binding' },
  eviction: { group: 'policy', version: 'v1', kind: 'Eviction' },
  log: { kind: 'Pod' },
  exec: { kind: 'PodExecOptions' },
  attach: { kind: 'PodAttachOptions' },
  portforward: { kind: 'PodPortForwardOptions' },
  proxy: { kind: 'PodProxyOptions' },
  token: { group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest' },
};

export function apiVersions(serverAddress: string): unknown {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

export function apiGroup(group: string, versions: string[]): unknown {
  const list = versions.map((version) => ({ groupVersion: `${group}/${version}`, version }));
  return { name: group, versions: list, preferredVersion: list[0] };
}

export function apiGroupList(catalog: ResourceCatalog): unknown {
  const groups = [...catalog.groups()]
    .filter(([group]) => group !== '')
    .map(([group, versions]) => apiGroup(group, versions));
  return { kind: 'APIGroupList', apiVersion: 'v1', groups };
}

export function apiResourceList(
  catalog: ResourceCatalog,
  group: string,
  version: string,
): object | undefined {
  const resources = catalog.resourcesIn(group, version);
  if (!resources.length && !(catalog.groups().get(group) ?? []).includes(version)) return undefined;
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: apiVersionOf(group, version),
    resources: resources.flatMap((info) => resourceEntries(info)),
  };
}

function resourceEntries(info: ResourceInfo): unknown[] {
  const main: Record<string, unknown> = {
    name: info.plural,
    singularName: info.singular,
    namespaced: info.namespaced,
    kind: info.kind,
    verbs: info.verbs,
  };
  if (info.shortNames.length) main.shortNames = info.shortNames;
  if (info.categories.length) main.categories = info.categories;
  if (info.storageVersion === undefined) main.storageVersionHash = storageVersionHash(info);
  const subs = info.subresources.map((sub) => {
    const kind = SUBRESOURCE_KINDS[sub] ?? { kind: info.kind };
    const entry: Record<string, unknown> = {
      name: `${info.plural}/${sub}`,
      singularName: '',
      namespaced: info.namespaced,
      kind: kind.kind,
      verbs: SUBRESOURCE_VERBS[sub] ?? ['get'],
    };
    if (kind.group !== undefined) {
      entry.group = kind.group;
      entry.version = kind.version;
    }
    return entry;
  });
  return [main, ...subs];
}

/** A short stable hash per resource, as kube publishes (clients only compare it for changes). */
function storageVersionHash(info: ResourceInfo): string {
  let h = 2166136261;
  for (const ch of `${info.group}/${info.version}/${info.kind}`) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 16777619);
  }
  return (
    Buffer.from(Uint32Array.of(h >>> 0).buffer)
      .toString('base64')
      .replace(/=+$/, '') + 'AA='
  );
}
