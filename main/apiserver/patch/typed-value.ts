// Operations on objects read through a PatchSchema, as structured-merge-diff's typed package
// does them for server-side apply: field sets (tofieldset.go), merging an applied configuration
// (merge.go), comparing two versions (compare.go), removing fields (remove.go), validation of
// list keys (validate.go), and EnsureNamedFieldsAreMembers (fieldpath/set.go).
import type { JsonObject, JsonValue } from '../../api/types.ts';
import type { PatchSchema } from './patch-schema.ts';
import { childSchema, elementSchema } from './patch-schema.ts';
import type { FieldPath, PathElement } from './field-set.ts';
import { FieldSet, keyElement, pathElementString, serializePathElement } from './field-set.ts';
import { goQuote } from '../../api/go-format.ts';
import { isJsonObject, jsonEqual } from './json-value.ts';

/** An object or list item that does not fit its schema (typed.ValidationErrors). */
export class TypedValueError extends Error {
  constructor(readonly errors: { path: string; message: string }[]) {
    const text = errors.map((e) => (e.path ? `${e.path}: ${e.message}` : e.message));
    super(text.length === 1 ? text[0] : ['errors:', ...text.map((t) => `  ${t}`)].join('\n'));
  }
}

class ItemError extends Error {}

/** The path element naming a list item: `k:{…}` for list maps, `v:…` for sets. */
export function listItemElement(item: JsonValue, list: PatchSchema): PathElement {
  const type = list.listType();
  if (type.type === 'map' && type.keys.length > 0) {
    if (item === null)
      throw new ItemError('associative list with keys may not have a null element');
    if (!isJsonObject(item))
      throw new ItemError('associative list with keys may not have non-map elements');
    const elem = elementSchema(list);
    const fields: [string, JsonValue][] = [];
    for (const key of type.keys) {
      if (Object.hasOwn(item, key)) {
        fields.push([key, item[key]]);
      } else {
        const def = elem.field(key)?.defaultValue();
        if (def !== undefined && def !== null) fields.push([key, def]);
      }
    }
    if (fields.length === 0) {
      throw new ItemError(
        `associative list with keys has an element that omits all key fields [${type.keys.map(goQuote).join(' ')}] (and doesn't have default values for any key fields)`,
      );
    }
    return keyElement(fields);
  }
  if (isJsonObject(item))
    throw new ItemError("associative list without keys has an element that's a map type");
  if (Array.isArray(item))
    throw new ItemError('not supported: associative list with lists as elements');
  if (item === null)
    throw new ItemError("associative list without keys has an element that's an explicit null");
  return { value: item };
}

interface Item {
  pe: PathElement;
  id: string;
}

// The same list items are named several times per request (validation, field sets, merge,
// compare); objects remember their element for the list schema that named them, checked
// against the item's current key values in case it was changed in place.
const itemCache = new WeakMap<object, { list: PatchSchema; keys: JsonValue[]; item: Item }>();

function keyValues(item: JsonObject, list: PatchSchema): JsonValue[] {
  const type = list.listType();
  if (type.type !== 'map') return [];
  return type.keys.map((k) => (Object.hasOwn(item, k) ? item[k] : '\u0000absent'));
}

/** listItemElement with its serialised form, cached for object items. */
function itemOf(item: JsonValue, list: PatchSchema): Item {
  if (isJsonObject(item)) {
    const hit = itemCache.get(item);
    const keys = keyValues(item, list);
    if (hit && hit.list === list && hit.keys.every((v, i) => v === keys[i])) return hit.item;
    const pe = listItemElement(item, list);
    const named = { pe, id: serializePathElement(pe) };
    if (keys.every((v) => v === null || typeof v !== 'object'))
      itemCache.set(item, { list, keys, item: named });
    return named;
  }
  const pe = listItemElement(item, list);
  return { pe, id: serializePathElement(pe) };
}

function isAtomicList(schema: PatchSchema): boolean {
  return schema.listType().type === 'atomic';
}

function isEmpty(v: JsonValue | undefined): boolean {
  if (Array.isArray(v)) return v.length === 0;
  if (isJsonObject(v)) return Object.keys(v).length === 0;
  return true;
}

/** The list-key checks kube-apiserver makes when it reads an object for server-side apply. */
export function validateListKeys(
  value: JsonValue,
  schema: PatchSchema,
  allowDuplicates: boolean,
): void {
  const errors: { path: string; message: string }[] = [];
  const path: PathElement[] = [];
  const here = (): string => path.map(pathElementString).join('');
  const walk = (v: JsonValue, s: PatchSchema): void => {
    if (isJsonObject(v)) {
      for (const k of Object.keys(v)) {
        const cv = v[k];
        if (cv === null || typeof cv !== 'object') continue;
        path.push({ field: k });
        walk(cv, childSchema(s, k).schema);
        path.pop();
      }
    } else if (Array.isArray(v)) {
      const elem = elementSchema(s);
      if (isAtomicList(s)) {
        v.forEach((item, i) => {
          if (item === null || typeof item !== 'object') return;
          path.push({ index: i });
          walk(item, elem);
          path.pop();
        });
        return;
      }
      const seen = new Set<string>();
      for (let i = 0; i < v.length; i++) {
        let pe: PathElement;
        let id: string;
        try {
          ({ pe, id } = itemOf(v[i], s));
        } catch (err) {
          if (!(err instanceof ItemError)) throw err;
          errors.push({ path: here(), message: `element ${i}: ${err.message}` });
          return;
        }
        if (seen.has(id) && !allowDuplicates) {
          errors.push({
            path: here(),
            message: `duplicate entries for key ${pathElementString(pe)}`,
          });
        }
        seen.add(id);
        path.push(pe);
        walk(v[i], elem);
        path.pop();
      }
    }
  };
  walk(value, schema);
  if (errors.length > 0) throw new TypedValueError(errors);
}

/** Every field and list item the value sets (TypedValue.ToFieldSet). */
export function toFieldSet(value: JsonValue, schema: PatchSchema): FieldSet {
  const root = new FieldSet();
  // `set` holds the paths below the value's parent; `pe` names the value in it.
  const walk = (v: JsonValue, s: PatchSchema, set: FieldSet, pe: PathElement | undefined): void => {
    if (isJsonObject(v)) {
      if (s.mapType() === 'atomic') {
        if (pe) set.insertMember(pe);
        return;
      }
      const keys = Object.keys(v);
      if (keys.length === 0) return;
      const below = pe ? set.descend(pe) : set;
      for (const k of keys) {
        const child = childSchema(s, k);
        const cv = v[k];
        const cpe: PathElement = { field: k };
        walk(cv, child.schema, below, cpe);
        if (cv === null || (isJsonObject(cv) && Object.keys(cv).length === 0) || !child.declared) {
          below.insertMember(cpe);
        }
      }
    } else if (Array.isArray(v)) {
      if (isAtomicList(s)) {
        if (pe) set.insertMember(pe);
        return;
      }
      if (v.length === 0) return;
      const below = pe ? set.descend(pe) : set;
      const elem = elementSchema(s);
      const ids: (string | undefined)[] = [];
      const pes: (PathElement | undefined)[] = [];
      const seen = new Set<string>();
      const dups = new Set<string>();
      for (const item of v) {
        let ipe: PathElement | undefined;
        let id: string | undefined;
        try {
          ({ pe: ipe, id } = itemOf(item, s));
        } catch {
          ipe = undefined;
        }
        pes.push(ipe);
        ids.push(id);
        if (!ipe || id === undefined) continue;
        if (seen.has(id)) {
          if (!dups.has(id)) below.insertMember(ipe);
          dups.add(id);
        } else seen.add(id);
      }
      v.forEach((item, i) => {
        const ipe = pes[i];
        const id = ids[i];
        if (!ipe || id === undefined || dups.has(id)) return;
        walk(item, elem, below, ipe);
        below.insertMember(ipe);
      });
    } else if (pe) {
      set.insertMember(pe);
    }
  };
  walk(value, schema, root, undefined);
  return root;
}

type Shape = 'map' | 'list' | 'scalar';

function shapeOf(v: JsonValue | undefined): Shape {
  if (Array.isArray(v)) return 'list';
  if (isJsonObject(v)) return 'map';
  return 'scalar';
}

/** The shape both sides are handled as, or undefined when they disagree (then rhs wins whole). */
function commonShape(lhs: JsonValue | undefined, rhs: JsonValue | undefined): Shape | undefined {
  const l = lhs === undefined || lhs === null ? undefined : shapeOf(lhs);
  const r = rhs === undefined || rhs === null ? undefined : shapeOf(rhs);
  if (l && r && l !== r) return undefined;
  return l ?? r ?? 'scalar';
}

/** Index list items by path element; duplicates keep their first position (merge.go). */
function indexItems(
  list: JsonValue[],
  schema: PatchSchema,
  allowDuplicates: boolean,
): { pes: PathElement[]; ids: string[]; observed: Map<string, JsonValue | undefined> } {
  const pes: PathElement[] = [];
  const ids: string[] = [];
  const observed = new Map<string, JsonValue | undefined>();
  list.forEach((item, i) => {
    let pe: PathElement;
    let id: string;
    try {
      ({ pe, id } = itemOf(item, schema));
    } catch (err) {
      throw new TypedValueError([{ path: '', message: `element ${i}: ${(err as Error).message}` }]);
    }
    if (observed.has(id)) {
      if (!allowDuplicates) {
        throw new TypedValueError([
          { path: '', message: `duplicate entries for key ${pathElementString(pe)}` },
        ]);
      }
      observed.set(id, undefined); // a duplicated live item is replaced by the applied one
    } else {
      observed.set(id, item);
    }
    pes.push(pe);
    ids.push(id);
  });
  return { pes, ids, observed };
}

/**
 * Merges an applied configuration (rhs) into the live object (lhs): applied values win, objects
 * merge key by key, list maps and sets item by item (in the order merge.go produces), atomic
 * values are replaced. Applied nulls stay (dropNulls removes them once ownership is settled).
 * The result shares unchanged parts with its inputs. Returns undefined when nothing is left.
 */
export function mergeValues(
  lhs: JsonValue | undefined,
  rhs: JsonValue | undefined,
  schema: PatchSchema,
): JsonValue | undefined {
  // One side alone is taken as it is (structure is shared, not copied).
  if (rhs === undefined) return lhs;
  if (lhs === undefined) return rhs;
  const shape = commonShape(lhs, rhs);
  if (shape === undefined || shape === 'scalar') return rhs;
  if (shape === 'map') {
    const lm = isJsonObject(lhs) ? lhs : undefined;
    const rm = isJsonObject(rhs) ? rhs : undefined;
    if (schema.mapType() === 'atomic' || (isEmpty(lm) && isEmpty(rm))) return rhs;
    const out: JsonObject = {};
    let size = 0;
    const visit = (k: string): void => {
      const v = mergeValues(lm?.[k], rm?.[k], childSchema(schema, k).schema);
      if (v !== undefined) {
        out[k] = v;
        size++;
      }
    };
    if (lm) for (const k of Object.keys(lm)) visit(k);
    if (rm) for (const k of Object.keys(rm)) if (!lm || !Object.hasOwn(lm, k)) visit(k);
    return size > 0 ? out : undefined;
  }
  const ll = Array.isArray(lhs) ? lhs : undefined;
  const rl = Array.isArray(rhs) ? rhs : undefined;
  if (isAtomicList(schema) || (isEmpty(ll) && isEmpty(rl))) return rhs;
  return mergeListItems(ll ?? [], rl ?? [], schema);
}

function mergeListItems(
  lhs: JsonValue[],
  rhs: JsonValue[],
  schema: PatchSchema,
): JsonValue[] | undefined {
  const elem = elementSchema(schema);
  const r = indexItems(rhs, schema, false);
  const l = indexItems(lhs, schema, true);
  const shared = r.ids.filter((id) => l.observed.has(id));
  let sharedIndex = 0;
  let nextShared: string | undefined = shared[sharedIndex++];
  const mergedRHS = new Set<string>();
  const out: JsonValue[] = [];
  const push = (v: JsonValue | undefined): void => {
    if (v !== undefined) out.push(v);
  };
  let li = 0;
  let ri = 0;
  while (li < lhs.length || ri < rhs.length) {
    if (li < lhs.length && ri < rhs.length) {
      const id = l.ids[li];
      if (id === r.ids[ri]) {
        mergedRHS.add(id);
        push(mergeValues(l.observed.get(id), r.observed.get(id), elem));
        li++;
        ri++;
        nextShared = shared[sharedIndex++];
        continue;
      }
      if (r.observed.has(id) && nextShared !== undefined && nextShared !== id) {
        li++;
        continue;
      }
    }
    if (li < lhs.length) {
      const id = l.ids[li];
      if (!r.observed.has(id)) {
        push(mergeValues(lhs[li], undefined, elem));
        li++;
        continue;
      } else if (mergedRHS.has(id)) {
        li++;
      }
    }
    if (ri < rhs.length) {
      const id = r.ids[ri];
      mergedRHS.add(id);
      push(mergeValues(l.observed.get(id), r.observed.get(id), elem));
      ri++;
      if (nextShared !== undefined && nextShared === id) nextShared = shared[sharedIndex++];
    }
  }
  return out.length > 0 ? out : undefined;
}

export interface Comparison {
  added: FieldSet;
  modified: FieldSet;
  removed: FieldSet;
}

/**
 * The fields added, modified and removed from lhs to rhs (TypedValue.Compare). A field the Go
 * types always serialise counts as present with its zero value, as in kube-apiserver.
 */
export function compareObjects(
  lhs: JsonValue | undefined,
  rhs: JsonValue | undefined,
  schema: PatchSchema,
): Comparison {
  const c: Comparison = {
    added: new FieldSet(),
    modified: new FieldSet(),
    removed: new FieldSet(),
  };
  const path: PathElement[] = [];
  const leaf = (l: JsonValue | undefined, r: JsonValue | undefined): void => {
    if (l === undefined) c.added.insert(path);
    else if (r === undefined) c.removed.insert(path);
    else if (!jsonEqual(l, r)) c.modified.insert(path);
  };
  const walk = (l: JsonValue | undefined, r: JsonValue | undefined, s: PatchSchema): void => {
    if (l === r) return; // a shared, unchanged part
    const shape = commonShape(l, r);
    if (shape === undefined || shape === 'scalar') return leaf(l, r);
    if (shape === 'map') {
      const lm = isJsonObject(l) ? l : undefined;
      const rm = isJsonObject(r) ? r : undefined;
      if (s.mapType() === 'atomic' || (isEmpty(lm) && isEmpty(rm))) return leaf(l, r);
      const keys = lm ? Object.keys(lm) : [];
      if (rm) for (const k of Object.keys(rm)) if (!lm || !Object.hasOwn(lm, k)) keys.push(k);
      for (const k of keys) {
        const child = childSchema(s, k).schema;
        let lv = lm?.[k];
        let rv = rm?.[k];
        // kube-apiserver's typed objects always hold some fields (zero values): absent ≠ added.
        // (Only inside an object that exists on that side.)
        const zero = child.zeroValue();
        if (zero !== undefined) {
          if (lv === undefined && lm && rv !== undefined) lv = zero;
          if (rv === undefined && rm && lv !== undefined) rv = zero;
        }
        path.push({ field: k });
        walk(lv, rv, child);
        path.pop();
      }
    } else {
      const ll = Array.isArray(l) ? l : undefined;
      const rl = Array.isArray(r) ? r : undefined;
      if (isAtomicList(s) || (isEmpty(ll) && isEmpty(rl))) return leaf(l, r);
      compareListItems(ll ?? [], rl ?? [], s);
    }
    if (l === undefined) c.added.insert(path);
    else if (r === undefined) c.removed.insert(path);
  };
  const compareListItems = (l: JsonValue[], r: JsonValue[], s: PatchSchema): void => {
    const elem = elementSchema(s);
    const order: string[] = [];
    const pes = new Map<string, PathElement>();
    const lValues = new Map<string, JsonValue[]>();
    const rValues = new Map<string, JsonValue[]>();
    const index = (
      list: JsonValue[],
      values: Map<string, JsonValue[]>,
      other?: Map<string, JsonValue[]>,
    ): void => {
      for (const item of list) {
        let pe: PathElement;
        let id: string;
        try {
          ({ pe, id } = itemOf(item, s));
        } catch {
          continue;
        }
        const seen = values.get(id);
        if (seen) {
          seen.push(item);
          continue;
        }
        values.set(id, [item]);
        if (!other?.has(id)) {
          order.push(id);
          pes.set(id, pe);
        }
      }
    };
    index(l, lValues);
    index(r, rValues, lValues);
    for (const id of order) {
      const pe = pes.get(id) as PathElement;
      const lList = lValues.get(id) ?? [];
      const rList = rValues.get(id) ?? [];
      path.push(pe);
      if (lList.length <= 1 && rList.length <= 1) {
        walk(lList[0], rList[0], elem);
      } else if (lList.length >= 2 && rList.length >= 2) {
        if (lList.length !== rList.length || lList.some((v, i) => !jsonEqual(v, rList[i]))) {
          c.modified.insert(path);
        }
      } else if (lList.length >= 2) {
        if (rList.length > 0) walk(undefined, rList[0], elem);
        c.removed.insert(path);
      } else {
        if (lList.length > 0) walk(lList[0], undefined, elem);
        c.added.insert(path);
      }
      path.pop();
    }
  };
  walk(lhs, rhs, schema);
  return c;
}

/** A deep copy without null object members (what decoding into the Go types does to them). */
export function dropNulls(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map(dropNulls);
  if (!isJsonObject(value)) return value;
  const out: JsonObject = {};
  for (const k of Object.keys(value)) {
    const v = value[k];
    if (v !== null) out[k] = dropNulls(v);
  }
  return out;
}

/** The value without the fields and items in `set` (TypedValue.RemoveItems). Shares the rest. */
export function removeItems(
  value: JsonValue,
  set: FieldSet,
  schema: PatchSchema,
): JsonValue | undefined {
  if (isJsonObject(value)) {
    if (Object.keys(value).length === 0 || schema.mapType() === 'atomic') return undefined;
    const out: JsonObject = {};
    for (const k of Object.keys(value)) {
      const pe: PathElement = { field: k };
      if (set.hasMember(pe)) continue;
      const below = set.withPrefix(pe);
      // What was emptied becomes null, as in structured-merge-diff (dropNulls removes it later).
      out[k] = below.empty()
        ? value[k]
        : (removeItems(value[k], below, childSchema(schema, k).schema) ?? null);
    }
    return Object.keys(out).length > 0 ? out : undefined;
  }
  if (Array.isArray(value)) {
    if (value.length === 0 || isAtomicList(schema)) return undefined;
    const elem = elementSchema(schema);
    const out: JsonValue[] = [];
    for (const item of value) {
      let pe: PathElement;
      try {
        pe = itemOf(item, schema).pe;
      } catch {
        out.push(item);
        continue;
      }
      if (set.hasMember(pe)) continue;
      const below = set.withPrefix(pe);
      out.push(below.empty() ? item : (removeItems(item, below, elem) ?? null));
    }
    return out.length > 0 ? out : undefined;
  }
  return value;
}

/** Adds as members the named (declared) fields that have owned fields below them. */
export function ensureNamedFieldsAreMembers(
  set: FieldSet,
  schema: PatchSchema | undefined,
): FieldSet {
  const members = [...set.unorderedMembers()];
  const children: { pe: PathElement; set: FieldSet }[] = [];
  for (const c of set.unorderedChildren()) {
    let sub: PatchSchema | undefined;
    if (schema && 'field' in c.pe) {
      const child = childSchema(schema, c.pe.field);
      sub = child.schema;
      if (child.declared) members.push(c.pe);
    } else if (schema && 'key' in c.pe) {
      sub = elementSchema(schema);
    }
    children.push({ pe: c.pe, set: ensureNamedFieldsAreMembers(c.set, sub) });
  }
  return FieldSet.build(members, children);
}

/** Convenience for tests and callers holding plain paths. */
export function pathOf(...elements: (string | PathElement)[]): FieldPath {
  return elements.map((e) => (typeof e === 'string' ? { field: e } : e));
}
