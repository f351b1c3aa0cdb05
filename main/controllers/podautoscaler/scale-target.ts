// The HPA's scale client (client-go scale + the RESTMapper): finds the resources a
// scaleTargetRef's group and kind map to, reads their autoscaling/v1 Scale and writes the new
// replica count through the /scale subresource. Built-in kinds come from the API server's
// resource table, custom kinds from their CustomResourceDefinition's scale subresource.
import type { KubeObject } from '../../api/types.ts';
import { StatusError } from '../../api/status.ts';
import { isPlainObject } from '../../api/types.ts';
import type { LocalClient, ResourceRef } from '../../client/local-client.ts';
import { BUILTIN_RESOURCES, type ScaleSubresource } from '../../apiserver/registry/resources.ts';
import { sortVersions } from '../../apiserver/registry/catalog.ts';
import { toScale } from '../../apiserver/handlers/scale.ts';

const CRDS: ResourceRef = {
  group: 'apiextensions.k8s.io',
  version: 'v1',
  resource: 'customresourcedefinitions',
};

/** One RESTMapping of the target kind, with its scale subresource when it has one. */
export interface ScaleMapping {
  ref: ResourceRef;
  scale?: ScaleSubresource;
  builtin: boolean;
}

/** schema.ParseGroupVersion: "" and "v1" are the core group; more than one slash is an error. */
export function parseGroupVersion(apiVersion: string): { group: string; version: string } {
  if (apiVersion === '' || apiVersion === '/') return { group: '', version: '' };
  const parts = apiVersion.split('/');
  if (parts.length === 1) return { group: '', version: parts[0] };
  if (parts.length === 2) return { group: parts[0], version: parts[1] };
  throw new Error(`unexpected GroupVersion string: ${apiVersion}`);
}

/** RESTMappings(groupKind): every served version of the kind, preferred first. */
export function scaleMappings(client: LocalClient, group: string, kind: string): ScaleMapping[] {
  const builtin = BUILTIN_RESOURCES.filter(
    (r) => r.group === group && r.kind === kind && r.storageVersion === undefined,
  ).map((r): ScaleMapping => ({
    ref: { group: r.group, version: r.version, resource: r.plural },
    scale: r.scale,
    builtin: true,
  }));
  if (builtin.length) return builtin;
  for (const crd of client.list(CRDS).items) {
    const spec = isPlainObject(crd.spec) ? crd.spec : {};
    const names = isPlainObject(spec.names) ? spec.names : {};
    if (spec.group !== group || names.kind !== kind || typeof names.plural !== 'string') continue;
    const versions = (Array.isArray(spec.versions) ? spec.versions : []).filter(
      (v): v is Record<string, unknown> => isPlainObject(v) && v.served === true,
    );
    const order = sortVersions(versions.map((v) => String(v.name)));
    return order.map((version): ScaleMapping => {
      const entry = versions.find((v) => v.name === version) ?? {};
      const subresources = isPlainObject(entry.subresources) ? entry.subresources : {};
      const scale = isPlainObject(subresources.scale) ? subresources.scale : undefined;
      return {
        ref: { group, version, resource: names.plural as string },
        scale:
          scale && typeof scale.specReplicasPath === 'string'
            ? {
                specReplicasPath: scale.specReplicasPath,
                statusReplicasPath:
                  typeof scale.statusReplicasPath === 'string' ? scale.statusReplicasPath : '',
                labelSelectorPath:
                  typeof scale.labelSelectorPath === 'string' ? scale.labelSelectorPath : undefined,
              }
            : undefined,
        builtin: false,
      };
    });
  }
  throw new Error(`no matches for kind "${kind}" in group "${group}"`);
}

export interface TargetScale {
  mapping: ScaleMapping;
  /** The autoscaling/v1 Scale, as GET …/scale returns it. */
  scale: KubeObject & {
    spec: { replicas: number };
    status: { replicas: number; selector?: string };
  };
}

/** scaleForResourceMappings: the first mapping whose scale can be read; else the first error. */
export function getScale(
  client: LocalClient,
  mappings: readonly ScaleMapping[],
  namespace: string,
  name: string,
): TargetScale {
  let first: unknown;
  for (const mapping of mappings) {
    try {
      if (!mapping.scale)
        throw new StatusError(404, 'NotFound', 'the server could not find the requested resource');
      const object = client.get(mapping.ref, namespace, name);
      return {
        mapping,
        scale: toScale(object, mapping.scale, mapping.builtin) as TargetScale['scale'],
      };
    } catch (err) {
      first ??= err;
    }
  }
  if (first instanceof Error) throw first;
  throw new Error('unrecognized resource');
}

/** Updates spec.replicas through /scale, conditional on the resourceVersion the Scale was read at. */
export async function updateScale(
  client: LocalClient,
  target: TargetScale,
  namespace: string,
  replicas: number,
): Promise<void> {
  const scale = target.mapping.scale!;
  const patch: Record<string, unknown> = {
    metadata: { resourceVersion: target.scale.metadata.resourceVersion },
  };
  let at = patch;
  const parts = scale.specReplicasPath.replace(/^\./, '').split('.');
  parts.forEach((part, i) => {
    if (i === parts.length - 1) at[part] = replicas;
    else at = (at[part] ??= {}) as Record<string, unknown>;
  });
  await client.patch(
    target.mapping.ref,
    namespace,
    target.scale.metadata.name ?? '',
    'application/merge-patch+json',
    patch,
    { subresource: 'scale' },
  );
}
