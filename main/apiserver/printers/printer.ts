// The shape of one kind's server-side printer (a pkg/printers TableHandler): its column
// definitions and a function from object to row cells. Every row is built with Wide=true,
// as kube-apiserver does; kubectl hides priority>0 columns unless asked for -o wide.
import type { KubeObject } from '../../api/types.ts';
import { timestampSince } from './duration.ts';
import { column } from './table.ts';
import type { TableCell, TableColumnDefinition, TableRowCondition } from './table.ts';

export interface PrintContext {
  /** Epoch milliseconds that ages are measured against. */
  now: number;
}

export interface PrintedRow {
  cells: TableCell[];
  conditions?: TableRowCondition[];
}

export interface KindPrinter {
  columns: TableColumnDefinition[];
  row(object: KubeObject, ctx: PrintContext): PrintedRow;
}

// Column descriptions that upstream takes from API field documentation are given in Skiff's own
// words; kubectl does not display them. Descriptions upstream writes inline are kept as they are.
export const NAME_DESCRIPTION =
  'Name of the object, unique within its namespace (or cluster, for cluster-scoped kinds).';
/** Upstream uses the creationTimestamp field doc for both AGE and CREATED AT columns. */
export const AGE_DESCRIPTION =
  'When the object was created (metadata.creationTimestamp); age columns show the time since.';
export const CONTAINERS_DESCRIPTION = 'Names of each container in the template.';
export const IMAGES_DESCRIPTION = 'Images referenced by each container in the template.';

export function nameColumn(): TableColumnDefinition {
  return column('Name', 'string', NAME_DESCRIPTION, { format: 'name' });
}

export function ageColumn(): TableColumnDefinition {
  return column('Age', 'string', AGE_DESCRIPTION);
}

/** A priority-1 column, shown by kubectl only with -o wide. */
export function wide(name: string, type: string, description: string): TableColumnDefinition {
  return column(name, type, description, { priority: 1 });
}

/** The NAME cell every built-in printer starts with. */
export function nameCell(o: KubeObject): string {
  return o.metadata?.name ?? '';
}

/** The AGE cell: time since creationTimestamp (translateTimestampSince), `<unknown>` when unset. */
export function ageCell(o: KubeObject, ctx: PrintContext): string {
  return timestampSince(o.metadata?.creationTimestamp, ctx.now);
}
