// Keeps the /openapi/v3 documents in step with what is served: the built-in resources, plus each
// CRD version's schema as CRDs come and go.
import { OpenAPIV3Service } from '../openapi/document.ts';
import { loadDefinitions } from '../openapi/definitions.ts';
import type { ResourceCatalog } from '../registry/catalog.ts';
import type { CrdRegistry } from '../crd/crd-registry.ts';
import { BUILTIN_RESOURCES, type ResourceInfo } from '../registry/resources.ts';

function served(info: ResourceInfo) {
  return {
    group: info.group,
    version: info.version,
    kind: info.kind,
    plural: info.plural,
    namespaced: info.namespaced,
    subresources: info.subresources,
    verbs: info.verbs,
  };
}

export function createOpenApiService(
  catalog: ResourceCatalog,
  crds: CrdRegistry,
): OpenAPIV3Service {
  const service = new OpenAPIV3Service(loadDefinitions());
  service.setResources(BUILTIN_RESOURCES.map(served));
  let current = new Map<string, ResourceInfo>();
  const sync = () => {
    const next = new Map<string, ResourceInfo>();
    for (const info of catalog.all())
      if (info.custom) next.set(`${info.group}/${info.version}/${info.plural}`, info);
    for (const [key, info] of current)
      if (!next.has(key)) service.removeCustomResource(info.group, info.version, info.plural);
    for (const info of next.values())
      service.setCustomResource(served(info), crds.lookup(info)?.schema);
    current = next;
  };
  sync();
  catalog.onChange(sync);
  return service;
}
