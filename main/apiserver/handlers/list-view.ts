// How objects and lists leave the server: version conversion, selectors, and the meta.k8s.io
// Table and PartialObjectMetadata forms (apiserver pkg/endpoints/handlers/response.go).
import type { KubeObject } from '../../api/types.ts';
import { badRequest } from '../../api/status.ts';
import type { Rendering } from '../http/negotiate.ts';
import { RawJson, jsonText } from '../http/json-text.ts';
import { apiVersionOf, type ResourceInfo } from '../registry/resources.ts';

export interface TableColumn {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

export interface TableRow {
  cells: unknown[];
  object?: unknown;
}

export interface ViewDeps {
  /** Parses `labelSelector` (400 on bad syntax) into a predicate over labels. */
  labelMatcher(selector: string): (labels: Record<string, string>) => boolean;
  /** Parses `fieldSelector` for a resource (400 on unsupported fields). */
  fieldMatcher(selector: string, info: ResourceInfo): (object: KubeObject) => boolean;
  table(
    info: ResourceInfo,
    objects: KubeObject[],
    includeObject: 'None' | 'Metadata' | 'Object',
  ): { columnDefinitions: TableColumn[]; rows: TableRow[] };
  toVersion(info: ResourceInfo, object: KubeObject): KubeObject;
  applyPatch(current: KubeObject, patchType: string, patch: unknown): unknown;
}

/** Resources whose DELETE answers a Status instead of the deleted object (their registries' ReturnDeletedObject is false). */
const DELETE_RETURNS_STATUS = new Set([
  '/Event',
  'events.k8s.io/Event',
  '/Endpoints',
  'coordination.k8s.io/Lease',
  '/ConfigMap',
  '/Secret',
  '/ServiceAccount',
  'rbac.authorization.k8s.io/Role',
  'rbac.authorization.k8s.io/ClusterRole',
  'rbac.authorization.k8s.io/RoleBinding',
  'rbac.authorization.k8s.io/ClusterRoleBinding',
  '/LimitRange',
  'networking.k8s.io/NetworkPolicy',
  'storage.k8s.io/StorageClass',
  'networking.k8s.io/IngressClass',
  'discovery.k8s.io/EndpointSlice',
  'apps/ControllerRevision',
  '/PodTemplate',
]);

export class ListView {
  constructor(private readonly deps: ViewDeps) {}

  matcher(info: ResourceInfo, params: URLSearchParams): (object: KubeObject) => boolean {
    const labelSelector = params.get('labelSelector') ?? '';
    const fieldSelector = params.get('fieldSelector') ?? '';
    const labels = labelSelector ? this.deps.labelMatcher(labelSelector) : undefined;
    const fields = fieldSelector ? this.deps.fieldMatcher(fieldSelector, info) : undefined;
    if (!labels && !fields) return () => true;
    return (object) =>
      (!labels || labels(object.metadata.labels ?? {})) && (!fields || fields(object));
  }

  deleteReturnsStatus(info: ResourceInfo): boolean {
    return DELETE_RETURNS_STATUS.has(`${info.group}/${info.kind}`);
  }

  private includeObject(params: URLSearchParams): 'None' | 'Metadata' | 'Object' {
    const value = params.get('includeObject') ?? 'Metadata';
    if (value !== 'None' && value !== 'Metadata' && value !== 'Object') {
      throw badRequest(
        `includeObject: Unsupported value: "${value}": supported values: "Metadata", "None", "Object"`,
      );
    }
    return value;
  }

  renderOne(
    info: ResourceInfo,
    object: KubeObject,
    rendering: Rendering,
    params: URLSearchParams,
  ): unknown {
    return this.renderWatchObject(info, object, rendering, params, true);
  }

  /** One object as asked for; a watch sends the Table's column definitions only once. */
  renderWatchObject(
    info: ResourceInfo,
    object: KubeObject,
    rendering: Rendering,
    params: URLSearchParams,
    withColumns: boolean,
  ): unknown {
    const versioned = this.deps.toVersion(info, object);
    if (rendering.as === 'Table') {
      const table = this.deps.table(info, [versioned], this.includeObject(params));
      return {
        kind: 'Table',
        apiVersion: `meta.k8s.io/${rendering.version}`,
        metadata: { resourceVersion: object.metadata.resourceVersion },
        columnDefinitions: withColumns ? table.columnDefinitions : [],
        rows: table.rows,
      };
    }
    if (rendering.as === 'PartialObjectMetadata') return partial(versioned, rendering.version);
    return versioned;
  }

  renderList(
    info: ResourceInfo,
    objects: KubeObject[],
    resourceVersion: string,
    next: string,
    remaining: number | undefined,
    rendering: Rendering,
    params: URLSearchParams,
  ): unknown {
    const metadata: Record<string, unknown> = { resourceVersion };
    if (next) metadata.continue = next;
    if (remaining !== undefined && next) metadata.remainingItemCount = remaining;
    const items = objects.map((object) => this.deps.toVersion(info, object));
    if (rendering.as === 'Table') {
      const table = this.deps.table(info, items, this.includeObject(params));
      return { kind: 'Table', apiVersion: `meta.k8s.io/${rendering.version}`, metadata, ...table };
    }
    if (rendering.as === 'PartialObjectMetadata') {
      return {
        kind: 'PartialObjectMetadataList',
        apiVersion: `meta.k8s.io/${rendering.version}`,
        metadata,
        items: items.map((item) => partial(item, rendering.version)),
      };
    }
    // Items are the store's frozen objects (or conversions): their text is kept for the next list.
    const head = JSON.stringify({
      kind: info.listKind,
      apiVersion: apiVersionOf(info.group, info.version),
      metadata,
    });
    return new RawJson(
      `${head.slice(0, -1)},"items":[${items.map((item) => jsonText(item, true)).join(',')}]}`,
    );
  }

  patchScale(current: KubeObject, patchType: string, patch: unknown): unknown {
    return this.deps.applyPatch(current, patchType, patch);
  }
}

function partial(object: KubeObject, version: string): unknown {
  return {
    kind: 'PartialObjectMetadata',
    apiVersion: `meta.k8s.io/${version}`,
    metadata: object.metadata,
  };
}
