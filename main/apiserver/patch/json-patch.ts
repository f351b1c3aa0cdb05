// RFC 6902 JSON patch (`application/json-patch+json`) as kube-apiserver applies it: the
// semantics of gopkg.in/evanphx/json-patch.v4 and the error handling of
// k8s.io/apiserver/pkg/endpoints/handlers/patch.go (jsonPatcher.applyJSPatch).
import type { JsonValue } from '../../api/types.ts';
import { StatusError, badRequest } from '../../api/status.ts';
import { cloneJson, isJsonObject, jsonEqual, jsonKind } from './json-value.ts';
import { rejectedPatch } from './patch-errors.ts';

export interface JsonPatchOptions {
  /** The request's fieldValidation; Strict and Warn (the server default) decode ops strictly. */
  fieldValidation?: 'Strict' | 'Warn' | 'Ignore';
  /** Bytes copy operations may add in total (kube-apiserver: JSONPatchMaxCopyBytes, 3 MiB). */
  maxCopyBytes?: number;
}

export interface JsonPatchResult {
  /** The patched document (the input is not modified). */
  object: JsonValue;
  /** Strict decoding errors (`json patch unknown field "x"`): warnings, or 422 under Strict. */
  strictErrors: string[];
}

/** kube-apiserver refuses patches with more operations (handlers.maxJSONPatchOperations). */
export const MAX_JSON_PATCH_OPERATIONS = 10000;

const OP_FIELDS = new Set(['op', 'path', 'from', 'value']);

type Container = Record<string, JsonValue> | JsonValue[];

class PatchFailure extends Error {}

/**
 * Applies a decoded JSON patch body to `doc`. Throws StatusError: 400 when the body is not a
 * list of operations, 413 past 10000 operations, 422 (kube-apiserver's fixed "the server
 * rejected our request…" text) when an operation does not apply or a `test` fails.
 */
export function applyJsonPatch(
  doc: JsonValue,
  patch: JsonValue,
  options: JsonPatchOptions = {},
): JsonPatchResult {
  const strict = (options.fieldValidation ?? 'Warn') !== 'Ignore';
  const ops = decodeOperations(patch, strict);
  if (ops.length > MAX_JSON_PATCH_OPERATIONS) {
    throw new StatusError(
      413,
      'RequestEntityTooLarge',
      `The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${ops.length}`,
    );
  }
  const strictErrors: string[] = [];
  if (strict) {
    for (const op of ops) {
      if (!op) continue;
      for (const key of Object.keys(op)) {
        if (!OP_FIELDS.has(key)) strictErrors.push(`json patch unknown field "${key}"`);
      }
    }
  }
  const state = {
    doc: cloneJson(doc),
    copied: 0,
    maxCopy: options.maxCopyBytes ?? 3 * 1024 * 1024,
  };
  try {
    for (const op of ops) applyOperation(state, op ?? {});
  } catch (err) {
    if (err instanceof PatchFailure) throw rejectedPatch(err.message);
    throw err;
  }
  return { object: state.doc, strictErrors };
}

function decodeOperations(patch: JsonValue, strict: boolean): (Record<string, JsonValue> | null)[] {
  // The messages are those of encoding/json decoding into kube's []jsonPatchOp (strict) or
  // json-patch's Patch type.
  if (patch === null) return [];
  if (!Array.isArray(patch)) {
    throw badRequest(
      strict
        ? `error decoding patch: json: cannot unmarshal ${jsonKind(patch)} into Go value of type []handlers.jsonPatchOp`
        : `json: cannot unmarshal ${jsonKind(patch)} into Go value of type jsonpatch.Patch`,
    );
  }
  for (const op of patch) {
    if (op !== null && !isJsonObject(op)) {
      throw badRequest(
        strict
          ? `error decoding patch: json: cannot unmarshal ${jsonKind(op)} into Go value of type handlers.jsonPatchOp`
          : `json: cannot unmarshal ${jsonKind(op)} into Go value of type jsonpatch.Operation`,
      );
    }
    if (strict && op) {
      for (const field of ['op', 'path', 'from']) {
        const v = op[field];
        if (v !== undefined && v !== null && typeof v !== 'string') {
          throw badRequest(
            `error decoding patch: json: cannot unmarshal ${jsonKind(v)} into Go struct field jsonPatchOp.${field} of type string`,
          );
        }
      }
    }
  }
  return patch as (Record<string, JsonValue> | null)[];
}

interface State {
  doc: JsonValue;
  copied: number;
  maxCopy: number;
}

function applyOperation(state: State, op: Record<string, JsonValue>): void {
  const kind = typeof op.op === 'string' ? op.op : 'unknown';
  switch (kind) {
    case 'add':
      return add(state, op);
    case 'remove':
      return remove(state, op);
    case 'replace':
      return replace(state, op);
    case 'move':
      return move(state, op);
    case 'test':
      return test(state, op);
    case 'copy':
      return copy(state, op);
    default:
      throw new PatchFailure(`Unexpected kind: ${kind}`);
  }
}

function pathOf(op: Record<string, JsonValue>, field: 'path' | 'from'): string | undefined {
  const v = op[field];
  return typeof v === 'string' ? v : undefined;
}

/** The operation's value; an absent or null value is Go's nil node (written as null). */
function valueOf(op: Record<string, JsonValue>): JsonValue {
  return op.value === undefined ? null : op.value;
}

/** RFC 6901 unescaping: `~1` → `/`, then `~0` → `~`, in one left-to-right pass. */
function decodeToken(token: string): string {
  return token.replace(/~[01]/g, (m) => (m === '~1' ? '/' : '~'));
}

/** strconv.Atoi, as json-patch uses it for array indices. */
function atoi(token: string): number | undefined {
  if (!/^[+-]?\d+$/.test(token)) return undefined;
  const n = Number(token);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** An existing element's index, negative counting from the end (json-patch's extension). */
function existingIndex(list: JsonValue[], token: string): number {
  const idx = atoi(token);
  if (idx === undefined) throw new PatchFailure(`strconv.Atoi: parsing "${token}": invalid syntax`);
  let i = idx;
  if (i < 0) {
    if (i < -list.length)
      throw new PatchFailure(`Unable to access invalid index: ${idx}: invalid index referenced`);
    i += list.length;
  }
  if (i >= list.length)
    throw new PatchFailure(`Unable to access invalid index: ${idx}: invalid index referenced`);
  return i;
}

/** The container holding the last token of `path`, and that token (json-patch's findObject). */
function findObject(doc: JsonValue, path: string): [Container, string] | undefined {
  const tokens = path.split('/');
  if (tokens.length < 2) return undefined;
  let cur: JsonValue = doc;
  if (cur === null || typeof cur !== 'object') return undefined;
  for (const raw of tokens.slice(1, -1)) {
    const token = decodeToken(raw);
    let next: JsonValue | undefined;
    if (Array.isArray(cur)) {
      try {
        next = cur[existingIndex(cur, token)];
      } catch {
        return undefined;
      }
    } else {
      next = Object.hasOwn(cur, token) ? cur[token] : undefined;
    }
    if (next === undefined || next === null || typeof next !== 'object') return undefined;
    cur = next;
  }
  return [cur, decodeToken(tokens[tokens.length - 1])];
}

function get(con: Container, key: string): JsonValue | undefined {
  if (Array.isArray(con)) return con[existingIndex(con, key)];
  return Object.hasOwn(con, key) ? con[key] : undefined;
}

function insert(con: Container, key: string, value: JsonValue, path: string): void {
  if (!Array.isArray(con)) {
    con[key] = value;
    return;
  }
  if (key === '-') {
    con.push(value);
    return;
  }
  const idx = atoi(key);
  if (idx === undefined) {
    throw new PatchFailure(
      `error in add for path: '${path}': value was not a proper array index: '${key}'`,
    );
  }
  const size = con.length + 1;
  let i = idx;
  if (i >= size || i < -size) {
    throw new PatchFailure(
      `error in add for path: '${path}': Unable to access invalid index: ${idx}`,
    );
  }
  if (i < 0) i += size;
  con.splice(i, 0, value);
}

function del(con: Container, key: string): void {
  if (Array.isArray(con)) {
    con.splice(existingIndex(con, key), 1);
    return;
  }
  if (!Object.hasOwn(con, key)) {
    throw new PatchFailure(`Unable to remove nonexistent key: ${key}: missing value`);
  }
  delete con[key];
}

function locate(
  state: State,
  op: Record<string, JsonValue>,
  field: 'path' | 'from',
  verb: string,
): [Container, string, string] {
  const path = pathOf(op, field);
  if (path === undefined) {
    throw new PatchFailure(`${verb} operation failed to decode ${field}: missing value`);
  }
  const found = findObject(state.doc, path);
  if (!found)
    throw new PatchFailure(
      `${verb} operation does not apply: doc is missing path: "${path}": missing value`,
    );
  return [found[0], found[1], path];
}

function add(state: State, op: Record<string, JsonValue>): void {
  const [con, key, path] = locate(state, op, 'path', 'add');
  insert(con, key, valueOf(op), path);
}

function remove(state: State, op: Record<string, JsonValue>): void {
  const [con, key, path] = locate(state, op, 'path', 'remove');
  try {
    del(con, key);
  } catch (err) {
    throw new PatchFailure(`error in remove for path: '${path}': ${(err as Error).message}`);
  }
}

function replace(state: State, op: Record<string, JsonValue>): void {
  if (pathOf(op, 'path') === '') {
    const value = valueOf(op);
    if (value === null || typeof value !== 'object') {
      throw new PatchFailure('replace operation value must be object or array');
    }
    state.doc = value;
    return;
  }
  const [con, key, path] = locate(state, op, 'path', 'replace');
  if (Array.isArray(con)) {
    let i: number;
    try {
      i = existingIndex(con, key);
    } catch {
      throw new PatchFailure(
        `replace operation does not apply: doc is missing key: ${path}: missing value`,
      );
    }
    con[i] = valueOf(op);
  } else {
    // json-patch v4 does not check that the key exists: replacing a missing key adds it.
    con[key] = valueOf(op);
  }
}

function move(state: State, op: Record<string, JsonValue>): void {
  const [from, fromKey] = locate(state, op, 'from', 'move');
  let value: JsonValue | undefined;
  try {
    value = get(from, fromKey);
    del(from, fromKey);
  } catch (err) {
    throw new PatchFailure(`error in move for path: '${fromKey}': ${(err as Error).message}`);
  }
  const [con, key, path] = locate(state, op, 'path', 'move');
  insert(con, key, value ?? null, path);
}

function test(state: State, op: Record<string, JsonValue>): void {
  const path = pathOf(op, 'path');
  if (path === '') {
    if (!jsonEqual(state.doc, valueOf(op)))
      throw new PatchFailure(`testing value ${path} failed: test failed`);
    return;
  }
  const [con, key] = locate(state, op, 'path', 'test');
  let actual: JsonValue | undefined;
  try {
    actual = get(con, key);
  } catch (err) {
    throw new PatchFailure(`error in test for path: '${path}': ${(err as Error).message}`);
  }
  const expected = op.value;
  // A missing or null member matches an absent or null value, as in json-patch v4.
  if (actual === undefined || actual === null) {
    if (expected === undefined || expected === null) return;
  } else if (expected !== undefined && jsonEqual(actual, expected)) return;
  throw new PatchFailure(`testing value ${path} failed: test failed`);
}

function copy(state: State, op: Record<string, JsonValue>): void {
  const [from, fromKey, fromPath] = locate(state, op, 'from', 'copy');
  let value: JsonValue | undefined;
  try {
    value = get(from, fromKey);
  } catch (err) {
    throw new PatchFailure(`error in copy for from: '${fromPath}': ${(err as Error).message}`);
  }
  const [con, key, path] = locate(state, op, 'path', 'copy');
  const copied = value === undefined ? null : cloneJson(value);
  if (value !== undefined) state.copied += JSON.stringify(value).length;
  if (state.maxCopy > 0 && state.copied > state.maxCopy) {
    throw new PatchFailure(
      `Unable to complete the copy, the accumulated size increase of copy is ${state.copied}, exceeding the limit ${state.maxCopy}`,
    );
  }
  insert(con, key, copied, path);
}
