// CustomResourceDefinitions (apiextensions-apiserver): turns each CRD into served resources the
// moment it is stored (discovery changes at once), computes its status — acceptedNames and the
// NamesAccepted/Established conditions clients such as helm wait for — and keeps each served
// version's schema for validation, pruning and defaulting.
import type { KubeObject } from '../../api/types.ts';
import { isPlainObject } from '../../api/types.ts';
import type { ResourceCatalog } from '../registry/catalog.ts';
import type { ResourceInfo } from '../registry/resources.ts';
import { nowTimestamp } from '../registry/meta.ts';

export const CRD_CLEANUP_FINALIZER = 'customresourcecleanup.apiextensions.k8s.io';

export interface CrdNames {
  plural: string;
  singular?: string;
  kind: string;
  listKind?: string;
  shortNames?: string[];
  categories?: string[];
}

export interface CrdVersion {
  name: string;
  served: boolean;
  storage: boolean;
  schema?: { openAPIV3Schema?: Record<string, unknown> };
  subresources?: {
    status?: object;
    scale?: { specReplicasPath: string; statusReplicasPath: string; labelSelectorPath?: string };
  };
  additionalPrinterColumns?: unknown[];
  selectableFields?: { jsonPath: string }[];
}

export interface CrdSpec {
  group: string;
  names: CrdNames;
  scope: 'Namespaced' | 'Cluster';
  versions: CrdVersion[];
}

export interface ServedVersion {
  info: ResourceInfo;
  schema: Record<string, unknown> | undefined;
  printerColumns: unknown[];
  selectableFields: string[];
  crdName: string;
}

export class CrdRegistry {
  private served = new Map<string, ServedVersion>(); // group/version/plural

  constructor(private readonly catalog: ResourceCatalog) {}

  /** Served version metadata for a custom resource, if it is one. */
  lookup(info: ResourceInfo): ServedVersion | undefined {
    return info.custom
      ? this.served.get(`${info.group}/${info.version}/${info.plural}`)
      : undefined;
  }

  storageVersionOf(group: string, plural: string): string | undefined {
    for (const served of this.served.values()) {
      if (
        served.info.group === group &&
        served.info.plural === plural &&
        served.info.storageVersion === undefined
      )
        return served.info.version;
    }
    return undefined;
  }

  /** (Re)registers a stored CRD's served versions; an object being deleted keeps serving until gone. */
  register(crd: KubeObject): void {
    const name = crd.metadata.name ?? '';
    const spec = crd.spec as CrdSpec | undefined;
    if (!spec || !isEstablished(crd)) {
      this.unregister(name);
      return;
    }
    for (const [key, served] of this.served) if (served.crdName === name) this.served.delete(key);
    const storage = spec.versions.find((v) => v.storage)?.name;
    const infos: ResourceInfo[] = [];
    for (const version of spec.versions) {
      if (!version.served) continue;
      const subresources: string[] = [];
      if (version.subresources?.status) subresources.push('status');
      if (version.subresources?.scale) subresources.push('scale');
      const info: ResourceInfo = {
        group: spec.group,
        version: version.name,
        kind: spec.names.kind,
        listKind: spec.names.listKind ?? `${spec.names.kind}List`,
        plural: spec.names.plural,
        singular: spec.names.singular ?? spec.names.kind.toLowerCase(),
        namespaced: spec.scope === 'Namespaced',
        shortNames: spec.names.shortNames ?? [],
        categories: spec.names.categories ?? [],
        verbs: ['delete', 'deletecollection', 'get', 'list', 'patch', 'create', 'update', 'watch'],
        subresources,
        scale: version.subresources?.scale,
        custom: true,
        storageVersion: version.name === storage ? undefined : storage,
      };
      infos.push(info);
      this.served.set(`${info.group}/${info.version}/${info.plural}`, {
        info,
        schema: version.schema?.openAPIV3Schema,
        printerColumns: version.additionalPrinterColumns ?? [],
        selectableFields: (version.selectableFields ?? []).map((field) => field.jsonPath),
        crdName: name,
      });
    }
    this.catalog.setCustom(name, infos);
  }

  unregister(crdName: string): void {
    for (const [key, served] of this.served)
      if (served.crdName === crdName) this.served.delete(key);
    this.catalog.removeCustom(crdName);
  }
}

function isEstablished(crd: KubeObject): boolean {
  const conditions =
    (crd.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ??
    [];
  return conditions.some((c) => c.type === 'Established' && c.status === 'True');
}

function condition(
  type: string,
  status: string,
  reason: string,
  message: string,
  previous: { type: string; status: string; lastTransitionTime?: string }[],
): Record<string, string> {
  const before = previous.find((c) => c.type === type);
  return {
    type,
    status,
    lastTransitionTime:
      before && before.status === status && before.lastTransitionTime
        ? before.lastTransitionTime
        : nowTimestamp(),
    reason,
    message,
  };
}

/**
 * The status apiextensions-apiserver's naming and establishing controllers converge to, computed
 * at write time so a CRD is usable as soon as the create returns. `conflicts` lists names already
 * taken by other CRDs in the group.
 */
export function computeCrdStatus(crd: KubeObject, conflicts: string[]): Record<string, unknown> {
  const spec = crd.spec as CrdSpec;
  const previous =
    (
      crd.status as
        { conditions?: { type: string; status: string; lastTransitionTime?: string }[] } | undefined
    )?.conditions ?? [];
  const accepted = conflicts.length === 0;
  const names = spec.names;
  const acceptedNames: Record<string, unknown> = {
    plural: names.plural,
    singular: names.singular ?? names.kind.toLowerCase(),
    kind: names.kind,
    listKind: names.listKind ?? `${names.kind}List`,
  };
  if (names.shortNames?.length) acceptedNames.shortNames = names.shortNames;
  if (names.categories?.length) acceptedNames.categories = names.categories;
  const conditions = [
    accepted
      ? condition('NamesAccepted', 'True', 'NoConflicts', 'no conflicts found', previous)
      : condition('NamesAccepted', 'False', 'NameConflict', conflicts.join(', '), previous),
    accepted
      ? condition(
          'Established',
          'True',
          'InitialNamesAccepted',
          'the initial names have been accepted',
          previous,
        )
      : condition('Established', 'False', 'NotAccepted', 'not all names are accepted', previous),
  ];
  if (crd.metadata.deletionTimestamp) {
    conditions.push(
      condition(
        'Terminating',
        'True',
        'InstanceDeletionInProgress',
        'CustomResource deletion is in progress',
        previous,
      ),
    );
  }
  return {
    conditions,
    acceptedNames: accepted ? acceptedNames : { plural: '', kind: '' },
    storedVersions: [
      ...new Set([
        ...((crd.status as { storedVersions?: string[] } | undefined)?.storedVersions ?? []),
        ...spec.versions.filter((v) => v.storage).map((v) => v.name),
      ]),
    ],
  };
}

export { isPlainObject };
