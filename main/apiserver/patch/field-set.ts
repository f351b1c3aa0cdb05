// Sets of field paths and their `fieldsV1` encoding in metadata.managedFields: a port of
// sigs.k8s.io/structured-merge-diff's fieldpath package (PathElement, Set, serialize.go).
import type { JsonObject, JsonValue } from '../../api/types.ts';
import { compareStrings, goJSON, goJSONString, goNumber, goQuote } from '../../api/go-format.ts';
import { isJsonObject } from './json-value.ts';

/** One step of a field path: a field name, an associative list key, a set value or an index. */
export type PathElement =
  | { readonly field: string }
  | { readonly key: readonly (readonly [string, JsonValue])[] }
  | { readonly value: JsonValue }
  | { readonly index: number };

export type FieldPath = readonly PathElement[];

/** structured-merge-diff's value.Compare: numbers < strings < bools < lists < maps < null. */
export function compareValues(a: JsonValue, b: JsonValue): number {
  const rank = (v: JsonValue): number =>
    typeof v === 'number'
      ? 0
      : typeof v === 'string'
        ? 1
        : typeof v === 'boolean'
          ? 2
          : Array.isArray(v)
            ? 3
            : v === null
              ? 5
              : 4;
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra < rb ? -1 : 1;
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'string' && typeof b === 'string') return compareStrings(a, b);
  if (typeof a === 'boolean' && typeof b === 'boolean') return a === b ? 0 : a ? 1 : -1;
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      const c = compareValues(a[i], b[i]);
      if (c !== 0) return c;
    }
    return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
  }
  if (isJsonObject(a) && isJsonObject(b)) {
    const ka = Object.keys(a).sort(compareStrings);
    const kb = Object.keys(b).sort(compareStrings);
    for (let i = 0; i < Math.min(ka.length, kb.length); i++) {
      const c = compareStrings(ka[i], kb[i]) || compareValues(a[ka[i]], b[kb[i]]);
      if (c !== 0) return c;
    }
    return ka.length === kb.length ? 0 : ka.length < kb.length ? -1 : 1;
  }
  return 0;
}

function peRank(pe: PathElement): number {
  if ('field' in pe) return 0;
  if ('key' in pe) return 1;
  if ('value' in pe) return 2;
  return 3;
}

/** PathElement.Compare: field names < keys < values < indices, then by content. */
export function comparePathElements(a: PathElement, b: PathElement): number {
  const ra = peRank(a);
  const rb = peRank(b);
  if (ra !== rb) return ra < rb ? -1 : 1;
  if ('field' in a && 'field' in b) return compareStrings(a.field, b.field);
  if ('key' in a && 'key' in b) {
    for (let i = 0; ; i++) {
      if (i >= a.key.length && i >= b.key.length) return 0;
      if (i >= a.key.length) return -1;
      if (i >= b.key.length) return 1;
      const c = compareStrings(a.key[i][0], b.key[i][0]) || compareValues(a.key[i][1], b.key[i][1]);
      if (c !== 0) return c;
    }
  }
  if ('value' in a && 'value' in b) return compareValues(a.value, b.value);
  if ('index' in a && 'index' in b) return a.index - b.index;
  return 0;
}

// Field ids are looked up constantly; keeping them avoids rebuilding (and rehashing) strings.
const fieldIds = new Map<string, string>();

/** The fieldsV1 key of a path element: `f:name`, `k:{"name":"app"}`, `v:"x"`, `i:0`. */
export function serializePathElement(pe: PathElement): string {
  if ('field' in pe) {
    let id = fieldIds.get(pe.field);
    if (id === undefined) {
      if (fieldIds.size > 50_000) fieldIds.clear();
      id = `f:${pe.field}`;
      fieldIds.set(pe.field, id);
    }
    return id;
  }
  // Values inside `k:` / `v:` are JSON as encoding/json writes it (structured-merge-diff's
  // jsoniter configuration is std-compatible).
  if ('key' in pe)
    return `k:{${pe.key.map(([k, v]) => `${goJSONString(k)}:${goJSON(v)}`).join(',')}}`;
  if ('value' in pe) return `v:${goJSON(pe.value)}`;
  return `i:${pe.index}`;
}

/** value.ToString, as paths appear in conflict messages. */
function valueText(v: JsonValue): string {
  if (v === null) return 'null';
  if (typeof v === 'number') return goNumber(v);
  if (typeof v === 'string') return goQuote(v);
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(valueText).join(',')}]`;
  return Object.keys(v)
    .map((k) => `${k}=${valueText(v[k])}`)
    .join('');
}

/** PathElement.String: `.spec`, `[name="app"]`, `[="x"]`, `[0]`. */
export function pathElementString(pe: PathElement): string {
  if ('field' in pe) return `.${pe.field}`;
  if ('key' in pe) return `[${pe.key.map(([k, v]) => `${k}=${valueText(v)}`).join(',')}]`;
  if ('value' in pe) return `[=${valueText(pe.value)}]`;
  return `[${pe.index}]`;
}

/** Path.String: `.spec.containers[name="app"].image`. */
export function pathString(path: FieldPath): string {
  return path.map(pathElementString).join('');
}

/** A key path element with its fields sorted by name, as structured-merge-diff keeps them. */
export function keyElement(fields: (readonly [string, JsonValue])[]): PathElement {
  return { key: [...fields].sort((a, b) => compareStrings(a[0], b[0])) };
}

function parsePathElement(text: string): PathElement | undefined {
  if (text.length < 2 || text[1] !== ':') throw new Error(`invalid path element key: ${text}`);
  const body = text.slice(2);
  switch (text[0]) {
    case 'f':
      return { field: body };
    case 'v':
      return { value: JSON.parse(body) as JsonValue };
    case 'k': {
      const parsed = JSON.parse(body) as JsonValue;
      if (!isJsonObject(parsed)) throw new Error(`invalid key path element: ${text}`);
      return keyElement(Object.entries(parsed));
    }
    case 'i': {
      if (!/^[+-]?\d+$/.test(body)) throw new Error(`invalid index path element: ${text}`);
      return { index: Number(body) };
    }
    default:
      return undefined; // unknown element types are skipped, as structured-merge-diff does
  }
}

interface Child {
  pe: PathElement;
  set: FieldSet;
}

/** A set of field paths (fieldpath.Set): members are paths ending here, children go deeper. */
export class FieldSet {
  private readonly members = new Map<string, PathElement>();
  private readonly children = new Map<string, Child>();

  static fromPaths(paths: Iterable<FieldPath>): FieldSet {
    const set = new FieldSet();
    for (const p of paths) set.insert(p);
    return set;
  }

  /** Parses a managedFields entry's `fieldsV1`. Throws Error when it is malformed. */
  static fromFieldsV1(fields: JsonValue | undefined): FieldSet {
    if (fields === undefined || fields === null) return new FieldSet();
    if (!isJsonObject(fields)) throw new Error('fieldsV1 must be an object');
    // Sets are never changed once built, so a parsed fieldsV1 object can be reused.
    let set = parsed.get(fields);
    if (set) {
      // Most recently used last, so the oldest entry is the first to go.
      parsed.delete(fields);
      parsed.set(fields, set);
      return set;
    }
    set = new FieldSet();
    set.readFieldsV1(fields);
    parsed.set(fields, set);
    if (parsed.size > PARSED_CACHE_SIZE) parsed.delete(parsed.keys().next().value!);
    return set;
  }

  equals(other: FieldSet): boolean {
    if (this === other) return true;
    if (this.members.size !== other.members.size || this.children.size !== other.children.size)
      return false;
    for (const id of this.members.keys()) if (!other.members.has(id)) return false;
    for (const [id, c] of this.children) {
      const o = other.children.get(id);
      if (!o || !c.set.equals(o.set)) return false;
    }
    return true;
  }

  /** Reads one level of fieldsV1; answers whether it added anything. */
  private readFieldsV1(fields: JsonObject): boolean {
    let added = false;
    for (const k in fields) {
      if (k === '.') continue;
      const v = fields[k];
      let pe: PathElement | undefined;
      let id: string;
      if (k.startsWith('f:')) {
        pe = { field: k.slice(2) };
        id = k;
      } else {
        pe = parsePathElement(k);
        if (!pe) continue;
        id = serializePathElement(pe);
      }
      if (!isJsonObject(v)) throw new Error(`fieldsV1 value for ${k} must be an object`);
      let hasDot = false;
      let hasChildren = false;
      for (const ck in v) {
        if (ck === '.') hasDot = true;
        else hasChildren = true;
      }
      let below = false;
      if (hasChildren) {
        const existing = this.children.get(id);
        const set = existing?.set ?? new FieldSet();
        below = set.readFieldsV1(v);
        if (below && !existing) this.children.set(id, { pe, set });
      }
      // An element with nothing below it, or marked ".", is itself in the set.
      if (!below || hasDot) this.members.set(id, pe);
      added = true;
    }
    return added;
  }

  /** The set below `pe`, created when missing (for building a set level by level). */
  descend(pe: PathElement): FieldSet {
    return this.child(pe);
  }

  /** Adds `pe` itself at this level. */
  insertMember(pe: PathElement): void {
    this.members.set(serializePathElement(pe), pe);
  }

  /** This level's members, unordered. */
  unorderedMembers(): IterableIterator<PathElement> {
    return this.members.values();
  }

  /** This level's children, unordered. */
  unorderedChildren(): IterableIterator<{ pe: PathElement; set: FieldSet }> {
    return this.children.values();
  }

  private child(pe: PathElement): FieldSet {
    const id = serializePathElement(pe);
    let c = this.children.get(id);
    if (!c) {
      c = { pe, set: new FieldSet() };
      this.children.set(id, c);
    }
    return c.set;
  }

  insert(path: FieldPath, from = 0): void {
    if (path.length <= from) return; // the whole object is never owned
    const pe = path[from];
    if (from === path.length - 1) this.members.set(serializePathElement(pe), pe);
    else this.child(pe).insert(path, from + 1);
  }

  has(path: FieldPath, from = 0): boolean {
    if (path.length <= from) return false;
    const id = serializePathElement(path[from]);
    if (from === path.length - 1) return this.members.has(id);
    return this.children.get(id)?.set.has(path, from + 1) ?? false;
  }

  /** The paths below `pe`, without it. */
  withPrefix(pe: PathElement): FieldSet {
    return this.children.get(serializePathElement(pe))?.set ?? EMPTY;
  }

  /** Whether `pe` itself is in the set. */
  hasMember(pe: PathElement): boolean {
    return this.members.has(serializePathElement(pe));
  }

  empty(): boolean {
    if (this.members.size > 0) return false;
    for (const c of this.children.values()) if (!c.set.empty()) return false;
    return true;
  }

  union(other: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const s of [this, other]) {
      for (const [id, pe] of s.members) out.members.set(id, pe);
    }
    for (const [id, c] of this.children) {
      const o = other.children.get(id);
      out.children.set(id, { pe: c.pe, set: o ? c.set.union(o.set) : c.set });
    }
    for (const [id, c] of other.children) if (!this.children.has(id)) out.children.set(id, c);
    return out;
  }

  intersection(other: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const [id, pe] of this.members) if (other.members.has(id)) out.members.set(id, pe);
    for (const [id, c] of this.children) {
      const o = other.children.get(id);
      if (!o) continue;
      const i = c.set.intersection(o.set);
      if (!i.empty()) out.children.set(id, { pe: c.pe, set: i });
    }
    return out;
  }

  /** Set.Difference: removes exactly the paths of `other` (a parent leaves its children). */
  difference(other: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const [id, pe] of this.members) if (!other.members.has(id)) out.members.set(id, pe);
    for (const [id, c] of this.children) {
      const o = other.children.get(id);
      if (!o) {
        out.children.set(id, c);
        continue;
      }
      const d = c.set.difference(o.set);
      if (!d.empty()) out.children.set(id, { pe: c.pe, set: d });
    }
    return out;
  }

  /** Set.RecursiveDifference: a path of `other` also removes everything below it. */
  recursiveDifference(other: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const [id, pe] of this.members) if (!other.members.has(id)) out.members.set(id, pe);
    for (const [id, c] of this.children) {
      if (other.members.has(id)) continue;
      const o = other.children.get(id);
      if (!o) {
        out.children.set(id, c);
        continue;
      }
      const d = c.set.recursiveDifference(o.set);
      if (!d.empty()) out.children.set(id, { pe: c.pe, set: d });
    }
    return out;
  }

  /** Members of this level, in path element order. */
  memberElements(): PathElement[] {
    return [...this.members.values()].sort(comparePathElements);
  }

  /** Children of this level with their sets, in path element order. */
  childEntries(): { pe: PathElement; set: FieldSet }[] {
    return [...this.children.values()].sort((a, b) => comparePathElements(a.pe, b.pe));
  }

  /** Builds a set from this one's members and children (used to derive sets level by level). */
  static build(
    members: Iterable<PathElement>,
    children: Iterable<{ pe: PathElement; set: FieldSet }>,
  ): FieldSet {
    const out = new FieldSet();
    for (const pe of members) out.members.set(serializePathElement(pe), pe);
    for (const c of children) {
      if (!c.set.empty()) out.children.set(serializePathElement(c.pe), { pe: c.pe, set: c.set });
    }
    return out;
  }

  /** Every path, members before children at each level, in path element order (Set.Iterate). */
  paths(): FieldPath[] {
    const out: FieldPath[] = [];
    const walk = (set: FieldSet, prefix: PathElement[]): void => {
      for (const pe of set.memberElements()) out.push([...prefix, pe]);
      for (const c of set.childEntries()) walk(c.set, [...prefix, c.pe]);
    };
    walk(this, []);
    return out;
  }

  /** The `fieldsV1` encoding kube-apiserver writes. */
  toFieldsV1(): JsonObject {
    const out: JsonObject = {};
    this.emit(out, false);
    return out;
  }

  private emit(out: JsonObject, includeSelf: boolean): void {
    if (includeSelf && !this.empty()) out['.'] = {};
    type Entry = { id: string; pe: PathElement; member: boolean; set?: FieldSet };
    const entries: Entry[] = [];
    const byId = new Map<string, Entry>();
    for (const [id, pe] of this.members) {
      const e: Entry = { id, pe, member: true };
      entries.push(e);
      byId.set(id, e);
    }
    for (const [id, c] of this.children) {
      if (c.set.empty()) continue;
      const same = byId.get(id);
      if (same) same.set = c.set;
      else entries.push({ id, pe: c.pe, member: false, set: c.set });
    }
    entries.sort((a, b) =>
      a.id.startsWith('f:') && b.id.startsWith('f:')
        ? compareStrings(a.id, b.id)
        : comparePathElements(a.pe, b.pe),
    );
    for (const e of entries) {
      if (!e.set) {
        out[e.id] = {};
        continue;
      }
      const obj: JsonObject = {};
      e.set.emit(obj, e.member);
      out[e.id] = obj;
    }
  }

  toString(): string {
    return this.paths().map(pathString).join('\n');
  }
}

const EMPTY = new FieldSet();
/**
 * Recently parsed fieldsV1 objects. Bounded: a set per managedFields entry of every object in the
 * cluster (~5 KB for a pod) would otherwise live as long as the objects do.
 */
const PARSED_CACHE_SIZE = 2048;
const parsed = new Map<JsonObject, FieldSet>();
