// Tables for custom resources (apiextensions-apiserver pkg/registry/customresource/tableconvertor):
// NAME first, then the CRD version's additionalPrinterColumns, or AGE when it declares none.
import { goJSON, goNumber } from '../../api/go-format.ts';
import type { KubeObject } from '../../api/types.ts';
import { humanDuration } from './duration.ts';
import { compileJsonPath, JsonPathError } from './jsonpath.ts';
import type { JsonPath } from './jsonpath.ts';
import { AGE_DESCRIPTION, NAME_DESCRIPTION } from './printer.ts';
import { column, rowObject } from './table.ts';
import type {
  TableCell,
  TableColumnDefinition,
  TableContent,
  TableOptions,
  TableRow,
} from './table.ts';

/** A CRD version's spec.versions[].additionalPrinterColumns[] entry. */
export interface CustomResourceColumnDefinition {
  name: string;
  type: string;
  format?: string;
  description?: string;
  priority?: number;
  jsonPath: string;
}

/** serveDefaultColumnsIfEmpty: a CRD without printer columns gets AGE. */
const DEFAULT_COLUMNS: CustomResourceColumnDefinition[] = [
  {
    name: 'Age',
    type: 'date',
    description: AGE_DESCRIPTION,
    jsonPath: '.metadata.creationTimestamp',
  },
];

/** jsonpath PrintResults of one value: scalars as text, maps and lists as JSON. */
function printText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return goNumber(value);
  if (typeof value === 'boolean') return String(value);
  return goJSON(value);
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** cellForJSONValue: typed cells for non-string columns; anything mismatched is null. */
function typedCell(type: string, value: unknown, now: number): TableCell {
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'integer':
      return typeof value === 'number' ? Math.trunc(value) : null;
    case 'number':
      return typeof value === 'number' ? value : null;
    case 'boolean':
      return typeof value === 'boolean' ? value : null;
    case 'date': {
      if (typeof value !== 'string') return null;
      if (value === '' || value === 'null') return '<unknown>';
      if (!RFC3339.test(value)) return '<invalid>';
      const ms = Date.parse(value);
      return Number.isNaN(ms) ? '<invalid>' : humanDuration(now - ms);
    }
    default:
      return null;
  }
}

/**
 * The Table for custom resources of one CRD version. `columns` are that version's
 * additionalPrinterColumns; types string, integer, number, boolean and date (shown as an age) are
 * rendered as apiextensions-apiserver does. A column whose JSONPath does not compile ends the
 * column list there, as upstream falls back to the columns parsed so far.
 */
export function tableForCustomResource(
  columns: readonly CustomResourceColumnDefinition[] | null | undefined,
  objects: readonly KubeObject[],
  options: TableOptions,
): TableContent {
  const definitions = columns && columns.length > 0 ? columns : DEFAULT_COLUMNS;
  const headers: TableColumnDefinition[] = [
    column('Name', 'string', NAME_DESCRIPTION, { format: 'name' }),
  ];
  const paths: JsonPath[] = [];
  for (const def of definitions) {
    let path: JsonPath;
    try {
      path = compileJsonPath(def.jsonPath);
    } catch (e) {
      if (e instanceof JsonPathError) break;
      throw e;
    }
    paths.push(path);
    headers.push(
      column(
        def.name,
        def.type,
        def.description ||
          `Custom resource definition column (in JSONPath format): ${def.jsonPath}`,
        { format: def.format ?? '', priority: def.priority ?? 0 },
      ),
    );
  }
  const now = options.now.getTime();
  const rows = objects.map((o): TableRow => {
    const cells: TableCell[] = [o.metadata?.name ?? ''];
    paths.forEach((path, i) => {
      const results = path.find(o);
      if (results.length === 0) {
        cells.push(null);
        return;
      }
      const header = headers[i + 1];
      cells.push(
        header.type === 'string' ? printText(results[0]) : typedCell(header.type, results[0], now),
      );
    });
    const row: TableRow = { cells };
    const object = rowObject(o, options.includeObject);
    if (object !== undefined) row.object = object;
    return row;
  });
  return { columnDefinitions: headers, rows };
}
