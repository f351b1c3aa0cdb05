// RFC 7386 JSON merge patch (`application/merge-patch+json`) as kube-apiserver applies it
// (gopkg.in/evanphx/json-patch.v4 MergePatch, called from handlers/patch.go): null deletes a
// member, objects merge recursively, anything else (arrays included) replaces.
import type { JsonObject, JsonValue } from '../../api/types.ts';
import { badRequest } from '../../api/status.ts';
import { cloneJson, isJsonObject } from './json-value.ts';

/**
 * Applies a decoded merge patch to `doc` (not modified). A patch that is an array replaces the
 * document (the caller then fails to decode it as an object, as kube-apiserver does); a null or
 * scalar patch is 400 `Invalid JSON Patch`.
 */
export function applyMergePatch(doc: JsonValue, patch: JsonValue): JsonValue {
  if (patch === null || (typeof patch !== 'object' && !Array.isArray(patch))) {
    throw badRequest('Invalid JSON Patch');
  }
  if (Array.isArray(patch)) return patch.map((v: JsonValue) => pruned(v));
  if (!isJsonObject(doc)) return pruneObject(cloneJson(patch));
  const out = cloneJson(doc);
  mergeInto(out, patch);
  return out;
}

function mergeInto(target: JsonObject, patch: JsonObject): void {
  for (const key of Object.keys(patch)) {
    const value = patch[key];
    if (value === null) {
      delete target[key];
      continue;
    }
    const current = target[key];
    if (current === undefined || current === null) {
      target[key] = pruned(value);
    } else if (isJsonObject(current)) {
      if (isJsonObject(value)) mergeInto(current, value);
      // An object replaced by a non-object keeps the patch value verbatim (json-patch v4).
      else target[key] = cloneJson(value);
    } else {
      target[key] = pruned(value);
    }
  }
}

/** A copy of a new value with nulls dropped from its objects (json-patch's pruneNulls). */
function pruned(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map((v) => (v === null ? null : pruned(v)));
  if (isJsonObject(value)) return pruneObject(cloneJson(value));
  return value;
}

function pruneObject(obj: JsonObject): JsonObject {
  for (const key of Object.keys(obj)) {
    const v = obj[key];
    if (v === null) delete obj[key];
    else obj[key] = pruned(v);
  }
  return obj;
}
