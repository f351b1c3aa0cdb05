// Small readers and cell formatters shared by the kind printers (helpers from
// pkg/printers/internalversion/printers.go and pkg/apis/core/helper).
import { isPlainObject } from '../../api/types.ts';

export type Json = Record<string, unknown>;

/** Walks plain objects and arrays; anything missing is undefined. */
export function get(value: unknown, ...path: (string | number)[]): unknown {
  let cur = value;
  for (const key of path) {
    if (typeof key === 'number') cur = Array.isArray(cur) ? (cur as unknown[])[key] : undefined;
    else cur = isPlainObject(cur) ? cur[key] : undefined;
  }
  return cur;
}

/** A string field, "" when absent (Go's zero value). */
export function str(value: unknown, ...path: (string | number)[]): string {
  const v = get(value, ...path);
  return typeof v === 'string' ? v : '';
}

/** An optional string field (a Go *string). */
export function optStr(value: unknown, ...path: (string | number)[]): string | undefined {
  const v = get(value, ...path);
  return typeof v === 'string' ? v : undefined;
}

/** An integer field, 0 when absent. */
export function int(value: unknown, ...path: (string | number)[]): number {
  const v = get(value, ...path);
  return typeof v === 'number' && Number.isFinite(v) ? Math.trunc(v) : 0;
}

/** An optional integer field (a Go *int32). */
export function optInt(value: unknown, ...path: (string | number)[]): number | undefined {
  const v = get(value, ...path);
  return typeof v === 'number' && Number.isFinite(v) ? Math.trunc(v) : undefined;
}

export function bool(value: unknown, ...path: (string | number)[]): boolean {
  return get(value, ...path) === true;
}

export function optBool(value: unknown, ...path: (string | number)[]): boolean | undefined {
  const v = get(value, ...path);
  return typeof v === 'boolean' ? v : undefined;
}

export function arr(value: unknown, ...path: (string | number)[]): unknown[] {
  const v = get(value, ...path);
  return Array.isArray(v) ? (v as unknown[]) : [];
}

export function obj(value: unknown, ...path: (string | number)[]): Json | undefined {
  const v = get(value, ...path);
  return isPlainObject(v) ? v : undefined;
}

/** A map[string]string field (labels, selectors, data), {} when absent. */
export function stringMap(value: unknown, ...path: (string | number)[]): Record<string, string> {
  const v = obj(value, ...path);
  if (!v) return {};
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) out[k] = typeof x === 'string' ? x : String(x);
  return out;
}

/** layoutContainerCells: container names and images, comma-joined. */
export function containerCells(podSpec: unknown): [string, string] {
  const containers = arr(podSpec, 'containers');
  return [
    containers.map((c) => str(c, 'name')).join(','),
    containers.map((c) => str(c, 'image')).join(','),
  ];
}

/** helper.GetAccessModesAsString: de-duplicated, in RWO, ROX, RWX, RWOP order. */
export function accessModesString(modes: unknown[]): string {
  const set = new Set(modes.filter((m): m is string => typeof m === 'string'));
  const out: string[] = [];
  if (set.has('ReadWriteOnce')) out.push('RWO');
  if (set.has('ReadOnlyMany')) out.push('ROX');
  if (set.has('ReadWriteMany')) out.push('RWX');
  if (set.has('ReadWriteOncePod')) out.push('RWOP');
  return out.join(',');
}

/** net.JoinHostPort: IPv6 hosts get brackets. */
export function joinHostPort(host: string, port: number | string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** listWithMoreString: "a,b,c + 2 more...", "<unset>" when empty. */
export function listWithMore(list: string[], more: boolean, count: number, max: number): string {
  const joined = list.join(',');
  if (more) return `${joined} + ${count - max} more...`;
  return joined === '' ? '<unset>' : joined;
}

/** intstr.IntOrString.String(). */
export function intOrString(value: unknown): string {
  if (typeof value === 'number') return String(Math.trunc(value));
  if (typeof value === 'string') return value;
  return '0';
}

/** printBoolPtr: "True", "False" or "<unset>". */
export function boolPtr(value: boolean | undefined): string {
  if (value === undefined) return '<unset>';
  return value ? 'True' : 'False';
}

/** Sorted, de-duplicated strings (sets.String.List()). */
export function sortedSet(values: Iterable<string>): string[] {
  return [...new Set(values)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** A condition's status by type: the first entry of that type decides, as upstream loops do. */
export function conditionStatus(conditions: unknown[], type: string): string | undefined {
  for (const c of conditions) if (str(c, 'type') === type) return str(c, 'status');
  return undefined;
}
