// meta.k8s.io/v1 Table building blocks (apimachinery pkg/apis/meta/v1 Table types and
// apiserver pkg/endpoints/handlers/response.go asTable): columns, rows and the row object.
import { badRequest } from '../../api/status.ts';
import type { KubeObject, ObjectMeta } from '../../api/types.ts';

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export interface TableOptions {
  /** The time ages are measured against; pass a fixed date in tests. */
  now: Date;
  includeObject: IncludeObject;
}

export interface TableColumnDefinition {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

export type TableCell = string | number | boolean | null;

export interface TableRowCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
}

export interface PartialObjectMetadata {
  kind: 'PartialObjectMetadata';
  apiVersion: 'meta.k8s.io/v1';
  metadata: ObjectMeta;
}

export interface TableRow {
  cells: TableCell[];
  conditions?: TableRowCondition[];
  /** Absent for includeObject=None. */
  object?: PartialObjectMetadata | KubeObject;
}

/** The columns and rows of a Table; the HTTP layer adds kind, apiVersion and list metadata. */
export interface TableContent {
  columnDefinitions: TableColumnDefinition[];
  rows: TableRow[];
}

/** One column, with the defaults Go leaves zero-valued. */
export function column(
  name: string,
  type: string,
  description: string,
  extra: { format?: string; priority?: number } = {},
): TableColumnDefinition {
  return { name, type, format: extra.format ?? '', description, priority: extra.priority ?? 0 };
}

const INITIAL_EVENTS_END = 'k8s.io/initial-events-end';

/**
 * The object a row carries: metadata only by default, the object itself for
 * includeObject=Object (except the WatchList end-of-initial-events bookmark), none for None.
 */
export function rowObject(
  object: KubeObject,
  includeObject: IncludeObject,
): PartialObjectMetadata | KubeObject | undefined {
  const bookmarkEnd = object.metadata?.annotations?.[INITIAL_EVENTS_END] === 'true';
  if (includeObject === 'None') return undefined;
  if (includeObject === 'Object' && !bookmarkEnd) return object;
  return {
    kind: 'PartialObjectMetadata',
    apiVersion: 'meta.k8s.io/v1',
    metadata: object.metadata ?? {},
  };
}

/**
 * Reads the `includeObject` table option from a query string value: empty means Metadata;
 * anything unknown is the 400 kube-apiserver returns.
 */
export function parseIncludeObject(value: string | null | undefined): IncludeObject {
  if (value === undefined || value === null || value === '') return 'Metadata';
  if (value === 'None' || value === 'Metadata' || value === 'Object') return value;
  throw badRequest(`unrecognized includeObject value: ${JSON.stringify(value)}`);
}
