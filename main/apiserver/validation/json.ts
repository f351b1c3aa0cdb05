// Typed reads of free-form object JSON for validation and defaulting. Values of the wrong JSON
// type read as absent: rejecting them is the decoder's job (kube-apiserver fails to unmarshal).

export type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function obj(v: unknown): Obj | undefined {
  return isObj(v) ? v : undefined;
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

export function bool(v: unknown): boolean | undefined {
  return typeof v === 'boolean' ? v : undefined;
}

/** Array elements (objects only when `objects`), or [] when absent. */
export function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

export function objs(v: unknown): Obj[] {
  return arr(v).map((e) => (isObj(e) ? e : {}));
}

export function strs(v: unknown): string[] {
  return arr(v).map((e) => (typeof e === 'string' ? e : String(e)));
}

/** A map[string]string (other value types are stringified, as the decoder would reject them). */
export function strMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isObj(v)) return out;
  for (const [k, val] of Object.entries(v)) out[k] = typeof val === 'string' ? val : String(val);
  return out;
}

/** Get or create a child object, for defaulting. */
export function ensureObj(parent: Obj, key: string): Obj {
  const cur = parent[key];
  if (isObj(cur)) return cur;
  const created: Obj = {};
  parent[key] = created;
  return created;
}

export function isSet(v: unknown): boolean {
  return v !== undefined && v !== null;
}

/** Go's len() of a string: UTF-8 bytes. */
export function byteLength(s: string): number {
  return new TextEncoder().encode(s).length;
}

/** JSON string length of a possibly-absent value ("" when absent), as Go's zero value. */
export function strOr(v: unknown, fallback = ''): string {
  return typeof v === 'string' ? v : fallback;
}

/** An int-or-string value (intstr.IntOrString). */
export type IntOrString = { kind: 'int'; value: number } | { kind: 'string'; value: string };

export function intOrString(v: unknown): IntOrString | undefined {
  if (typeof v === 'number') return { kind: 'int', value: Math.trunc(v) };
  if (typeof v === 'string') return { kind: 'string', value: v };
  return undefined;
}

/**
 * Semantic equality in the spirit of apimachinery's equality.Semantic: nil and empty slices and
 * maps compare equal, and absent fields equal null.
 */
export function semanticEqual(a: unknown, b: unknown): boolean {
  if (isEmpty(a) && isEmpty(b)) return true;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x, i) => semanticEqual(x, b[i]));
  }
  if (isObj(a) && isObj(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) if (!semanticEqual(a[k], b[k])) return false;
    return true;
  }
  return a === b;
}

function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (isObj(v))
    return Object.keys(v).length === 0 || Object.values(v).every((x) => x === undefined);
  return false;
}

export function clone<T>(v: T): T {
  return structuredClone(v);
}
