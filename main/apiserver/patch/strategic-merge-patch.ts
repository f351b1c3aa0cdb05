// Strategic merge patch (`application/strategic-merge-patch+json`) for built-in kinds: the
// server side of apimachinery's pkg/util/strategicpatch (StrategicMergeMapPatch, with
// MergeParallelList and IgnoreUnmatchedNulls), with the errors kube-apiserver's handlers/patch.go
// derives from it (interpretStrategicMergePatchError).
import type { JsonObject, JsonValue } from '../../api/types.ts';
import { badRequest } from '../../api/status.ts';
import type { StatusError } from '../../api/status.ts';
import type { PatchSchema } from './patch-schema.ts';
import { UNTYPED_SCHEMA, childSchema, elementSchema } from './patch-schema.ts';
import { cloneJson, isJsonObject, jsonKind } from './json-value.ts';
import { goString, goTypeName, goValue } from '../../api/go-format.ts';
import { rejectedPatch, unknownError } from './patch-errors.ts';

const DIRECTIVE = '$patch';
const RETAIN_KEYS = '$retainKeys';
const DELETE_FROM_PRIMITIVE_LIST = '$deleteFromPrimitiveList';
const SET_ELEMENT_ORDER = '$setElementOrder';

// mergepatch's sentinel errors, with the HTTP status kube-apiserver gives each.
const BAD_REQUEST = {
  primitiveList: 'invalid patch format of primitive list',
  retainKeys: 'invalid patch format of retainKeys',
  setElementOrder: 'invalid patch format of setElementOrder list',
} as const;
const NO_LIST_OF_LISTS = 'lists of lists are not supported';

class SmpError extends Error {
  constructor(readonly status: () => StatusError) {
    super('strategic merge patch failed');
  }
}

function badFormat(message: string): SmpError {
  return new SmpError(() => badRequest(message));
}

function rejected(message: string): SmpError {
  return new SmpError(() => rejectedPatch(message));
}

/** Any other strategicpatch error: a plain Go error, which kube-apiserver answers with 500. */
function failure(message: string): SmpError {
  return new SmpError(() => unknownError(message));
}

function errBadPatchType(directive: JsonValue, patch: JsonObject): SmpError {
  return failure(`unknown patch type: ${goString(directive)} in map: ${goValue(patch)}`);
}

function errNoMergeKey(m: JsonObject, key: string): SmpError {
  return failure(`map: ${goValue(m)} does not contain declared merge key: ${key}`);
}

function errBadArgType(expected: string, actual: JsonValue | undefined): SmpError {
  const actualType = actual === null || actual === undefined ? '%!s(<nil>)' : goTypeName(actual);
  return failure(`expected a ${expected}, but received a ${actualType}`);
}

/**
 * Applies a decoded strategic merge patch to `original` (neither is modified) using the field
 * facts of `schema` (builtinPatchSchema). Throws StatusError like kube-apiserver: 400 for a
 * malformed directive, 422 for lists of lists, 500 (empty reason) for the other failures.
 */
export function strategicMergePatch(
  original: JsonObject,
  patch: JsonValue,
  schema: PatchSchema,
): JsonObject {
  if (patch === null) return cloneJson(original);
  if (!isJsonObject(patch)) {
    throw badRequest(
      `json: cannot unmarshal ${jsonKind(patch)} into Go value of type map[string]interface {}`,
    );
  }
  try {
    return mergeMap(cloneJson(original), cloneJson(patch), schema);
  } catch (err) {
    if (err instanceof SmpError) throw err.status();
    throw err;
  }
}

type Kind = 'map' | 'slice' | 'string' | 'int' | 'float' | 'bool' | 'nil';

function kindOf(v: JsonValue | undefined): Kind {
  if (v === null || v === undefined) return 'nil';
  if (Array.isArray(v)) return 'slice';
  if (typeof v === 'object') return 'map';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  return typeof v === 'string' ? 'string' : 'bool';
}

function mergeMap(
  original: JsonObject | undefined,
  patch: JsonObject,
  schema: PatchSchema,
): JsonObject {
  if (Object.hasOwn(patch, DIRECTIVE)) {
    const directive = patch[DIRECTIVE];
    if (directive === 'replace') {
      delete patch[DIRECTIVE];
      return cleanTyped(patch, schema) as JsonObject;
    }
    if (directive === 'delete') return {};
    throw errBadPatchType(directive, patch);
  }
  const out = original ?? {};
  applyRetainKeys(out, patch);
  mergeOrderedLists(out, patch, schema);

  for (const patchKey of Object.keys(patch)) {
    let key = patchKey;
    let isDeleteList = false;
    if (patchKey.startsWith(DELETE_FROM_PRIMITIVE_LIST)) {
      key = extractKey(patchKey, DELETE_FROM_PRIMITIVE_LIST);
      isDeleteList = true;
    }
    const patchV = patch[patchKey];
    if (patchV === null) {
      delete out[key];
      continue;
    }
    const { schema: sub } = childSchema(schema, key);
    const current = out[key];
    if (!Object.hasOwn(out, key) || kindOf(current) !== kindOf(patchV)) {
      if (!isDeleteList) insertFromPatch(out, key, patchV, sub);
      continue;
    }
    if (isJsonObject(current) && isJsonObject(patchV)) {
      const strategy = patchStrategyOf(sub);
      out[key] = strategy === 'replace' ? cleanTyped(patchV, sub) : mergeMap(current, patchV, sub);
    } else if (Array.isArray(current) && Array.isArray(patchV)) {
      out[key] = mergeSliceHandler(current, patchV, sub, isDeleteList);
    } else {
      out[key] = patchV;
    }
  }
  return out;
}

/** A patch value for a key the original lacks (or holds with another type): nulls and directives go. */
function insertFromPatch(
  out: JsonObject,
  key: string,
  value: JsonValue,
  schema: PatchSchema,
): void {
  discardNulls(value);
  const [v, keep] = removeDirectives(value);
  if (keep) out[key] = cleanTyped(v, schema);
  else delete out[key];
}

function discardNulls(value: JsonValue): void {
  if (Array.isArray(value)) {
    for (const v of value) discardNulls(v);
  } else if (isJsonObject(value)) {
    for (const k of Object.keys(value)) {
      if (value[k] === null) delete value[k];
      else discardNulls(value[k]);
    }
  }
}

/** strategicpatch's removeDirectives: maps carrying `$patch` vanish, elsewhere recursively. */
function removeDirectives(value: JsonValue): [JsonValue, boolean] {
  if (Array.isArray(value)) {
    const out: JsonValue[] = [];
    for (const v of value) {
      const [nv, keep] = removeDirectives(v);
      if (keep) out.push(nv);
    }
    return [out, true];
  }
  if (isJsonObject(value)) {
    if (Object.hasOwn(value, DIRECTIVE)) return [null, false];
    for (const k of Object.keys(value)) {
      const [nv, keep] = removeDirectives(value[k]);
      if (keep) value[k] = nv;
      else delete value[k];
    }
  }
  return [value, true];
}

function isDirectiveKey(key: string): boolean {
  return (
    key === DIRECTIVE ||
    key === RETAIN_KEYS ||
    key.startsWith(`${SET_ELEMENT_ORDER}/`) ||
    key.startsWith(`${DELETE_FROM_PRIMITIVE_LIST}/`)
  );
}

/**
 * Patch content kube-apiserver copies as it is, then decodes into the Go type: that decoding
 * drops nulls and leftover directive keys (unknown fields). Free-form fields keep everything.
 */
function cleanTyped(value: JsonValue, schema: PatchSchema): JsonValue {
  if (schema === UNTYPED_SCHEMA) return value;
  if (Array.isArray(value)) {
    const elem = elementSchema(schema);
    return value.map((v) => cleanTyped(v, elem));
  }
  if (isJsonObject(value)) {
    for (const k of Object.keys(value)) {
      if (value[k] === null || isDirectiveKey(k)) delete value[k];
      else value[k] = cleanTyped(value[k], childSchema(schema, k).schema);
    }
  }
  return value;
}

function extractKey(key: string, prefix: string): string {
  const slash = key.indexOf('/');
  if (slash < 0 || key.slice(0, slash) !== prefix) {
    if (prefix === DELETE_FROM_PRIMITIVE_LIST) throw badFormat(BAD_REQUEST.primitiveList);
    throw badFormat(BAD_REQUEST.setElementOrder);
  }
  return key.slice(slash + 1);
}

/** The field's patch strategy apart from retainKeys (extractRetainKeysPatchStrategy). */
function patchStrategyOf(schema: PatchSchema): string {
  const strategies = schema.patchStrategy();
  if (strategies.length === 0) return '';
  if (strategies.length === 1) return strategies[0] === 'retainKeys' ? '' : strategies[0];
  if (strategies.length === 2) {
    if (strategies[0] === 'retainKeys') return strategies[1];
    if (strategies[1] === 'retainKeys') return strategies[0];
  }
  throw failure(`unexpected patch strategy: [${strategies.join(' ')}]`);
}

function applyRetainKeys(original: JsonObject, patch: JsonObject): void {
  if (!Object.hasOwn(patch, RETAIN_KEYS)) return;
  const retain = patch[RETAIN_KEYS];
  delete patch[RETAIN_KEYS];
  if (!Array.isArray(retain)) throw badFormat(BAD_REQUEST.retainKeys);
  const keep = new Set(retain.filter((k): k is string => typeof k === 'string'));
  for (const [k, v] of Object.entries(patch)) {
    if (v === null || k.startsWith(DELETE_FROM_PRIMITIVE_LIST) || k.startsWith(SET_ELEMENT_ORDER)) {
      continue;
    }
    if (!keep.has(k)) throw badFormat(BAD_REQUEST.retainKeys);
  }
  for (const k of Object.keys(original)) if (!keep.has(k)) delete original[k];
}

/** `$setElementOrder/<list>`: merges the list it names and orders the result (mergePatchIntoOriginal). */
function mergeOrderedLists(original: JsonObject, patch: JsonObject, schema: PatchSchema): void {
  for (const key of Object.keys(patch)) {
    if (!key.startsWith(SET_ELEMENT_ORDER)) continue;
    const order = patch[key];
    delete patch[key];
    if (!Array.isArray(order)) throw errBadArgType('[]interface {}', order);
    const listKey = extractKey(key, SET_ELEMENT_ORDER);
    const foundOriginal = Object.hasOwn(original, listKey);
    const foundPatch = Object.hasOwn(patch, listKey);
    const originalList = original[listKey];
    const patchList = patch[listKey];
    if (foundOriginal && !Array.isArray(originalList))
      throw errBadArgType('[]interface {}', originalList);
    if (foundPatch && !Array.isArray(patchList)) throw errBadArgType('[]interface {}', patchList);
    const originalItems = (foundOriginal ? originalList : []) as JsonValue[];
    const patchItems = (foundPatch ? patchList : []) as JsonValue[];
    const { schema: sub } = childSchema(schema, listKey);
    patchStrategyOf(sub);
    const mergeKey = sub.patchMergeKey() ?? '';
    validatePatchWithSetOrderList(patchItems, order, mergeKey);

    let merged: JsonValue[];
    if (foundOriginal && !foundPatch) merged = originalItems;
    else if (!foundOriginal && foundPatch)
      merged = cleanTyped(removeDirectives(patchItems)[0], sub) as JsonValue[];
    else if (foundOriginal && foundPatch)
      merged = mergeSliceHandler(originalItems, patchItems, sub, false);
    else continue;

    const [inOrder, serverOnly] = mergeKey
      ? partitionMaps(merged, order, mergeKey)
      : partitionPrimitives(merged, order);
    const kind = sliceElementKind(originalItems, patchItems);
    original[listKey] = normalizeElementOrder(
      inOrder,
      serverOnly,
      order,
      originalItems,
      mergeKey,
      kind,
    );
    delete patch[listKey];
  }
}

function validatePatchWithSetOrderList(
  patchList: JsonValue[],
  order: JsonValue[],
  mergeKey: string,
): void {
  if (order.length === 0 || patchList.length === 0) return;
  const nonDelete = mergeKey ? splitDeleteItems(patchList)[0] : patchList;
  let p = 0;
  let o = 0;
  while (p < nonDelete.length && o < order.length) {
    const item = nonDelete[p];
    if (isJsonObject(item) && Object.hasOwn(item, DIRECTIVE)) {
      p++;
      continue;
    }
    if (mergeKeyValueEqual(item, order[o], mergeKey)) p++;
    o++;
  }
  if (p < nonDelete.length && o >= order.length) {
    throw failure(
      `The order in patch list:\n${goValue(patchList)}\n doesn't match ${SET_ELEMENT_ORDER} list:\n${goValue(order)}\n`,
    );
  }
}

function mergeKeyValueEqual(left: JsonValue, right: JsonValue, mergeKey: string): boolean {
  if (!mergeKey) return scalarEqual(left, right);
  if (!isJsonObject(left)) throw errBadArgType('map[string]interface {}', left);
  if (!isJsonObject(right)) throw errBadArgType('map[string]interface {}', right);
  if (!Object.hasOwn(left, mergeKey)) throw errNoMergeKey(left, mergeKey);
  if (!Object.hasOwn(right, mergeKey)) throw errNoMergeKey(right, mergeKey);
  return scalarEqual(left[mergeKey], right[mergeKey]);
}

/** Go's == on decoded JSON scalars (an int64 never equals a float64). */
function scalarEqual(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  return a === b && kindOf(a) === kindOf(b);
}

/** Elements marked `$patch: delete` go last, to be applied after the rest (extractToDeleteItems). */
function splitDeleteItems(list: JsonValue[]): [JsonValue[], JsonValue[]] {
  const keep: JsonValue[] = [];
  const del: JsonValue[] = [];
  for (const v of list) {
    if (!isJsonObject(v)) throw errBadArgType('map[string]interface {}', v);
    if (v[DIRECTIVE] === 'delete') del.push(v);
    else keep.push(v);
  }
  return [keep, del];
}

function mergeSliceHandler(
  original: JsonValue[],
  patch: JsonValue[],
  schema: PatchSchema,
  isDeleteList: boolean,
): JsonValue[] {
  if (patchStrategyOf(schema) === 'merge' || isDeleteList) {
    return mergeSlice(original, patch, schema, schema.patchMergeKey() ?? '', isDeleteList);
  }
  return cleanTyped(patch, schema) as JsonValue[];
}

function sliceElementKind(...lists: JsonValue[][]): 'map' | 'scalar' {
  let first: Kind | undefined;
  for (const list of lists) {
    for (const v of list) {
      const k = kindOf(v);
      if (first === undefined) {
        first = k;
        if (k === 'slice') throw rejected(NO_LIST_OF_LISTS);
      } else if (k !== first) {
        throw failure(`list element types are not identical: ${goValue(lists)}`);
      }
    }
  }
  if (first === undefined) throw failure('no elements in any of the given slices');
  return first === 'map' ? 'map' : 'scalar';
}

function mergeSlice(
  original: JsonValue[],
  patch: JsonValue[],
  listSchema: PatchSchema,
  mergeKey: string,
  isDeleteList: boolean,
): JsonValue[] {
  if (original.length === 0 && patch.length === 0) return original;
  const kind = sliceElementKind(original, patch);
  let merged: JsonValue[];
  let base = original;
  let patchItems = patch;
  if (kind !== 'map') {
    if (isDeleteList) return original.filter((v) => !patch.some((d) => scalarEqual(v, d)));
    merged = [];
    for (const v of [...original, ...patch]) {
      if (!merged.some((m) => scalarEqual(m, v))) merged.push(v);
    }
  } else {
    if (!mergeKey) throw failure('cannot merge lists without merge key for struct');
    [base, patchItems] = applySpecialElements(original, patch, mergeKey);
    merged = mergeByKey(base, patchItems, mergeKey, elementSchema(listSchema));
  }
  const [inPatch, serverOnly] = mergeKey
    ? partitionMaps(merged, patchItems, mergeKey)
    : partitionPrimitives(merged, patchItems);
  return normalizeElementOrder(inPatch, serverOnly, patchItems, base, mergeKey, kind);
}

/** `$patch: delete|replace|merge` elements of a list of maps (mergeSliceWithSpecialElements). */
function applySpecialElements(
  original: JsonValue[],
  patch: JsonValue[],
  mergeKey: string,
): [JsonValue[], JsonValue[]] {
  const plain: JsonValue[] = [];
  let replace = false;
  let base = original;
  for (const v of patch) {
    const item = v as JsonObject;
    if (!Object.hasOwn(item, DIRECTIVE)) {
      plain.push(v);
      continue;
    }
    const directive = item[DIRECTIVE];
    if (directive === 'delete') {
      if (!Object.hasOwn(item, mergeKey)) throw errNoMergeKey(item, mergeKey);
      const value = item[mergeKey];
      base = base.filter((o, i) => {
        if (!isJsonObject(o)) throw failure(`value for key ${i} is not a map`);
        return !(Object.hasOwn(o, mergeKey) && scalarEqual(o[mergeKey], value));
      });
    } else if (directive === 'replace') {
      replace = true;
    } else if (directive === 'merge') {
      throw failure('merging lists cannot yet be specified in the patch');
    } else {
      throw errBadPatchType(directive, item);
    }
  }
  return replace ? [plain, []] : [base, plain];
}

function findByKey(list: JsonValue[], key: string, value: JsonValue): number {
  for (let i = 0; i < list.length; i++) {
    const item = list[i];
    if (!isJsonObject(item)) throw failure(`value for key ${i} is not a map`);
    if (Object.hasOwn(item, key) && scalarEqual(item[key], value)) return i;
  }
  return -1;
}

function mergeByKey(
  original: JsonValue[],
  patch: JsonValue[],
  mergeKey: string,
  elemSchema: PatchSchema,
): JsonValue[] {
  const out = [...original];
  for (const v of patch) {
    const item = v as JsonObject;
    if (!Object.hasOwn(item, mergeKey)) throw errNoMergeKey(item, mergeKey);
    const i = findByKey(out, mergeKey, item[mergeKey]);
    if (i >= 0) out[i] = mergeMap(out[i] as JsonObject, item, elemSchema);
    else out.push(cleanTyped(item, elemSchema));
  }
  return out;
}

function partitionPrimitives(list: JsonValue[], by: JsonValue[]): [JsonValue[], JsonValue[]] {
  const inBy: JsonValue[] = [];
  const rest: JsonValue[] = [];
  for (const v of list) (by.some((b) => scalarEqual(b, v)) ? inBy : rest).push(v);
  return [inBy, rest];
}

function partitionMaps(
  list: JsonValue[],
  by: JsonValue[],
  mergeKey: string,
): [JsonValue[], JsonValue[]] {
  const inBy: JsonValue[] = [];
  const rest: JsonValue[] = [];
  for (const v of list) {
    if (!isJsonObject(v)) throw errBadArgType('map[string]interface {}', v);
    if (!Object.hasOwn(v, mergeKey)) throw errNoMergeKey(v, mergeKey);
    (findByKey(by, mergeKey, v[mergeKey]) >= 0 ? inBy : rest).push(v);
  }
  return [inBy, rest];
}

/** Position of `item` in `list`, by merge key for maps (strategicpatch's index). */
function indexIn(
  list: JsonValue[],
  item: JsonValue,
  mergeKey: string,
  kind: 'map' | 'scalar',
): number {
  const valueOf = (v: JsonValue): JsonValue | undefined =>
    kind === 'map' ? (isJsonObject(v) ? v[mergeKey] : undefined) : v;
  const wanted = valueOf(item);
  for (let i = 0; i < list.length; i++) if (scalarEqual(valueOf(list[i]), wanted)) return i;
  return -1;
}

function normalizeSliceOrder(
  toSort: JsonValue[],
  order: JsonValue[],
  mergeKey: string,
  kind: 'map' | 'scalar',
): JsonValue[] {
  let items = toSort;
  let deleted: JsonValue[] = [];
  if (kind === 'map') {
    for (const list of [toSort, order]) {
      for (const v of list) {
        if (!isJsonObject(v)) throw errBadArgType('map[string]interface {}', v);
        if (!Object.hasOwn(v, mergeKey)) throw errNoMergeKey(v, mergeKey);
      }
    }
    [items, deleted] = splitDeleteItems(toSort);
  }
  const positions = new Map(items.map((v) => [v, indexIn(order, v, mergeKey, kind)]));
  const sorted = [...items].sort((a, b) => {
    const pa = positions.get(a) ?? -1;
    const pb = positions.get(b) ?? -1;
    return pa >= 0 && pb >= 0 ? pa - pb : 0;
  });
  return [...sorted, ...deleted];
}

/** Patch items in patch order, server-only items in live order, interleaved by live order. */
function normalizeElementOrder(
  patchItems: JsonValue[],
  serverOnly: JsonValue[],
  patchOrder: JsonValue[],
  serverOrder: JsonValue[],
  mergeKey: string,
  kind: 'map' | 'scalar',
): JsonValue[] {
  const right = normalizeSliceOrder(patchItems, patchOrder, mergeKey, kind);
  const left = normalizeSliceOrder(serverOnly, serverOrder, mergeKey, kind);
  const out: JsonValue[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (i >= left.length) out.push(right[j++]);
    else if (j >= right.length) out.push(left[i++]);
    else {
      const li = indexIn(serverOrder, left[i], mergeKey, kind);
      const ri = indexIn(serverOrder, right[j], mergeKey, kind);
      if (li >= 0 && ri >= 0 && li < ri) out.push(left[i++]);
      else out.push(right[j++]);
    }
  }
  return out;
}
