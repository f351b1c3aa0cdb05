// Server-side apply and field ownership (metadata.managedFields): kube-apiserver's field manager
// (apimachinery pkg/util/managedfields/internal: structured merge, strip meta, managed fields
// updater, build manager info, cap managers, skip non-applied, last-applied handling) over the
// structured-merge-diff port in typed-value.ts and field-set.ts (KEP-555).
import type { JsonObject, JsonValue, KubeObject, ManagedFieldsEntry } from '../../api/types.ts';
import { StatusError, badRequest } from '../../api/status.ts';
import type { StatusCause } from '../../api/status.ts';
import type { PatchSchema } from './patch-schema.ts';
import type { FieldPath } from './field-set.ts';
import { FieldSet, pathString } from './field-set.ts';
import {
  TypedValueError,
  compareObjects,
  dropNulls,
  ensureNamedFieldsAreMembers,
  mergeValues,
  removeItems,
  toFieldSet,
  validateListKeys,
} from './typed-value.ts';
import type { Comparison } from './typed-value.ts';
import { compareStrings, goJSON, goQuote } from '../../api/go-format.ts';
import { unknownError } from './patch-errors.ts';
import { cloneJson, isJsonObject, jsonEqual } from './json-value.ts';

export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';
/** Update entries kept per object before the oldest are merged into `ancient-changes`. */
export const MAX_UPDATE_MANAGERS = 10;

export interface FieldManagerOptions {
  /** The subresource written (`status`, `scale`): part of the manager's identity. */
  subresource?: string;
  /** Fields the endpoint resets and nobody owns through it (the strategy's GetResetFields). */
  resetFields?: readonly FieldPath[];
}

export interface FieldManagerResult {
  /** The object to store, with metadata.managedFields set (or removed when nobody owns fields). */
  object: KubeObject;
  managedFields: ManagedFieldsEntry[] | undefined;
  /** Whether anything but managedFields differs from the live object. */
  changed: boolean;
}

interface ManagerSet {
  set: FieldSet;
  apiVersion: string;
  applied: boolean;
  /** The entry's fieldsV1 as read, reused while `set` is unchanged. */
  raw?: JsonObject;
}

interface Managed {
  fields: Map<string, ManagerSet>;
  times: Map<string, string | undefined>;
}

interface Conflict {
  manager: string;
  path: FieldPath;
}

class Conflicts extends Error {
  constructor(readonly conflicts: Conflict[]) {
    super('conflicts');
  }
}

// Paths never owned by anyone (stripmeta.go).
const STRIP = FieldSet.fromPaths(
  [
    ['apiVersion'],
    ['kind'],
    ['metadata'],
    ['metadata', 'name'],
    ['metadata', 'namespace'],
    ['metadata', 'creationTimestamp'],
    ['metadata', 'selfLink'],
    ['metadata', 'uid'],
    ['metadata', 'clusterName'],
    ['metadata', 'generation'],
    ['metadata', 'managedFields'],
    ['metadata', 'resourceVersion'],
  ].map((p) => p.map((field) => ({ field }))),
);

/** BuildManagerIdentifier: the entry without fields and time (and without apiVersion for Apply). */
function managerId(
  manager: string,
  operation: 'Apply' | 'Update',
  apiVersion: string | undefined,
  subresource: string | undefined,
): string {
  const id: Record<string, string> = { manager, operation };
  if (operation === 'Update' && apiVersion) id.apiVersion = apiVersion;
  if (subresource) id.subresource = subresource;
  return JSON.stringify(id);
}

function parseId(id: string): {
  manager?: string;
  operation?: string;
  apiVersion?: string;
  subresource?: string;
} {
  return JSON.parse(id) as {
    manager?: string;
    operation?: string;
    apiVersion?: string;
    subresource?: string;
  };
}

/** Reads managedFields; `trusted` entries (written by us) keep their fieldsV1 for re-encoding. */
function decodeManagedFields(entries: unknown, trusted = true): Managed {
  const managed: Managed = { fields: new Map(), times: new Map() };
  if (entries === undefined || entries === null) return managed;
  if (!Array.isArray(entries)) throw new Error('managedFields must be a list');
  entries.forEach((raw: unknown, i) => {
    if (!isJsonObject(raw)) throw new Error(`managed fields entry ${i} is not an object`);
    const e = raw as Partial<Record<keyof ManagedFieldsEntry, JsonValue>>;
    if (e.operation !== 'Apply' && e.operation !== 'Update') {
      throw new Error('operation must be `Apply` or `Update`');
    }
    if (typeof e.apiVersion !== 'string' || e.apiVersion === '')
      throw new Error('apiVersion must not be empty');
    if (e.fieldsType === undefined || e.fieldsType === '') {
      throw new Error(`missing fieldsType in managed fields entry ${i}`);
    }
    if (e.fieldsType !== 'FieldsV1') {
      throw new Error(
        `invalid fieldsType ${goQuote(typeof e.fieldsType === 'string' ? e.fieldsType : JSON.stringify(e.fieldsType))} in managed fields entry ${i}`,
      );
    }
    const manager = typeof e.manager === 'string' ? e.manager : '';
    const subresource = typeof e.subresource === 'string' ? e.subresource : undefined;
    const id = managerId(manager, e.operation, e.apiVersion, subresource);
    managed.fields.set(id, {
      set: FieldSet.fromFieldsV1(e.fieldsV1),
      apiVersion: e.apiVersion,
      applied: e.operation === 'Apply',
      raw: trusted && isJsonObject(e.fieldsV1) ? e.fieldsV1 : undefined,
    });
    managed.times.set(id, typeof e.time === 'string' ? e.time : undefined);
  });
  return managed;
}

function seconds(time: string | undefined): number {
  if (!time) return 0;
  const ms = Date.parse(time);
  return Number.isNaN(ms) ? 0 : Math.floor(ms / 1000);
}

function encodeManagedFields(managed: Managed): ManagedFieldsEntry[] | undefined {
  if (managed.fields.size === 0) return undefined;
  const entries: ManagedFieldsEntry[] = [];
  for (const [id, ms] of managed.fields) {
    const who = parseId(id);
    const time = managed.times.get(id);
    // Key order of metav1.ManagedFieldsEntry's JSON encoding.
    const ordered: ManagedFieldsEntry = {
      manager: who.manager ?? '',
      operation: ms.applied ? 'Apply' : 'Update',
      apiVersion: ms.apiVersion,
      ...(time ? { time } : {}),
      fieldsType: 'FieldsV1',
      fieldsV1: ms.raw ?? ms.set.toFieldsV1(),
      ...(who.subresource ? { subresource: who.subresource } : {}),
    };
    entries.push(ordered);
  }
  return entries.sort(
    (p, q) =>
      compareStrings(p.operation, q.operation) ||
      seconds(p.time) - seconds(q.time) ||
      compareStrings(p.manager, q.manager) ||
      compareStrings(p.apiVersion, q.apiVersion) ||
      compareStrings(p.subresource ?? '', q.subresource ?? ''),
  );
}

/** metav1.Time as kube-apiserver writes it: RFC 3339, UTC, whole seconds. */
function formatTime(now: string): string {
  const ms = Date.parse(now);
  return Number.isNaN(ms) ? now : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function withoutManagedFields(obj: JsonObject): JsonObject {
  const metadata = obj.metadata;
  if (!isJsonObject(metadata) || !Object.hasOwn(metadata, 'managedFields')) return obj;
  const { managedFields: _dropped, ...rest } = metadata;
  return { ...obj, metadata: rest };
}

function withManagedFields(obj: JsonObject, entries: ManagedFieldsEntry[] | undefined): KubeObject {
  const metadata = isJsonObject(obj.metadata) ? { ...obj.metadata } : {};
  delete metadata.managedFields;
  if (entries) metadata.managedFields = entries as unknown as JsonValue;
  return { ...obj, metadata } as unknown as KubeObject;
}

function gvkString(obj: JsonObject): string {
  const apiVersion = typeof obj.apiVersion === 'string' ? obj.apiVersion : '';
  const slash = apiVersion.indexOf('/');
  const group = slash >= 0 ? apiVersion.slice(0, slash) : '';
  const version = slash >= 0 ? apiVersion.slice(slash + 1) : apiVersion;
  const kind = typeof obj.kind === 'string' ? obj.kind : '';
  return `${group}/${version}, Kind=${kind}`;
}

/** objectGVKNN: `namespace/name; group/version, Kind=Kind`. */
function describe(obj: JsonObject): string {
  const meta = isJsonObject(obj.metadata) ? obj.metadata : {};
  const ns = typeof meta.namespace === 'string' ? meta.namespace : '';
  const name = typeof meta.name === 'string' ? meta.name : '';
  return `${ns}/${name}; ${gvkString(obj)}`;
}

function filterFor(options: FieldManagerOptions): ((s: FieldSet) => FieldSet) | undefined {
  if (!options.resetFields || options.resetFields.length === 0) return undefined;
  const reset = FieldSet.fromPaths(options.resetFields);
  return (s) => s.recursiveDifference(reset);
}

function filtered(c: Comparison, filter: ((s: FieldSet) => FieldSet) | undefined): Comparison {
  if (!filter) return c;
  return { added: filter(c.added), modified: filter(c.modified), removed: filter(c.removed) };
}

/** Updater.update: other managers lose what changed (or conflict), and what was removed. */
function updateManagers(
  live: JsonValue,
  next: JsonValue,
  managed: Managed,
  self: string,
  force: boolean,
  schema: PatchSchema,
  filter: ((s: FieldSet) => FieldSet) | undefined,
): Comparison {
  const compare = filtered(compareObjects(live, next, schema), filter);
  const changed = compare.modified.union(compare.added);
  const conflicts = new Map<string, FieldSet>();
  for (const [id, ms] of managed.fields) {
    if (id === self) continue;
    const c = ms.set.intersection(changed);
    if (!c.empty()) conflicts.set(id, c);
  }
  if (!force && conflicts.size > 0) {
    const list: Conflict[] = [];
    for (const id of [...conflicts.keys()].sort(compareStrings)) {
      for (const path of (conflicts.get(id) as FieldSet).paths()) list.push({ manager: id, path });
    }
    throw new Conflicts(list);
  }
  for (const [id, ms] of managed.fields) {
    if (id === self) continue;
    const c = conflicts.get(id);
    const lost = c && !compare.removed.empty() ? c.union(compare.removed) : (c ?? compare.removed);
    if (lost.empty() || ms.set.intersection(lost).empty()) continue;
    managed.fields.set(id, {
      set: ms.set.difference(lost),
      apiVersion: ms.apiVersion,
      applied: ms.applied,
    });
  }
  for (const [id, ms] of managed.fields) if (ms.set.empty()) managed.fields.delete(id);
  return compare;
}

/** Updater.Update followed by stripMeta and managedFieldsUpdater: `manager` owns what changed. */
function recordUpdate(
  live: JsonObject | undefined,
  next: JsonObject,
  managed: Managed,
  id: string,
  apiVersion: string,
  schema: PatchSchema,
  now: string,
  filter: ((s: FieldSet) => FieldSet) | undefined,
): void {
  const self = 'current-operation';
  const compare = updateManagers(live ?? {}, next, managed, self, true, schema, filter);
  let set = compare.modified.union(compare.added);
  if (filter) set = filter(set);
  set = set.difference(STRIP);
  if (set.empty()) return;
  const previous = managed.fields.get(id);
  managed.fields.set(id, {
    set: previous ? set.union(previous.set) : set,
    apiVersion,
    applied: false,
  });
  managed.times.set(id, now);
}

/** capManagersManager: beyond MAX_UPDATE_MANAGERS, the oldest Update entries are merged. */
function capUpdateManagers(managed: Managed): void {
  const updaters = [...managed.fields.entries()].filter(([, ms]) => !ms.applied).map(([id]) => id);
  if (updaters.length <= MAX_UPDATE_MANAGERS) return;
  updaters.sort(
    (a, b) => seconds(managed.times.get(a)) - seconds(managed.times.get(b)) || compareStrings(a, b),
  );
  const firstOfVersion = new Map<string, string>();
  let length = updaters.length;
  for (let i = 0; i < updaters.length && length > MAX_UPDATE_MANAGERS; i++) {
    const id = updaters[i];
    const ms = managed.fields.get(id) as ManagerSet;
    const time = managed.times.get(id);
    const bucket = managerId('ancient-changes', 'Update', ms.apiVersion, undefined);
    const first = firstOfVersion.get(ms.apiVersion);
    if (first === undefined) {
      firstOfVersion.set(ms.apiVersion, id);
      continue;
    }
    if (!managed.fields.has(bucket)) {
      managed.fields.set(bucket, managed.fields.get(first) as ManagerSet);
      managed.fields.delete(first);
    }
    const into = managed.fields.get(bucket) as ManagerSet;
    managed.fields.set(bucket, {
      set: ms.set.union(into.set),
      apiVersion: ms.apiVersion,
      applied: ms.applied,
    });
    managed.fields.delete(id);
    length--;
    managed.times.set(bucket, time);
  }
}

function typedOrFail(
  value: JsonObject,
  schema: PatchSchema,
  allowDuplicates: boolean,
  what: string,
): void {
  try {
    validateListKeys(value, schema, allowDuplicates);
  } catch (err) {
    if (err instanceof TypedValueError) {
      throw unknownError(
        `failed to create typed ${what} object (${describe(value)}): ${err.message}`,
      );
    }
    throw err;
  }
}

/** printManager: `"kubectl"`, `"kubectl-client-side-apply" using apps/v1`, `… with subresource "scale" …`. */
function printManager(id: string): string {
  let who: ReturnType<typeof parseId>;
  try {
    who = parseId(id);
  } catch {
    return goQuote(id);
  }
  let out = goQuote(who.manager ?? '');
  if (who.subresource) out += ` with subresource ${goQuote(who.subresource)}`;
  if (who.operation === 'Update') out += ` using ${who.apiVersion ?? ''}`;
  return out;
}

/** The 409 kube-apiserver answers for apply conflicts (internal/conflict.go). */
function conflictError(conflicts: Conflict[]): StatusError {
  const causes: StatusCause[] = conflicts.map((c) => ({
    reason: 'FieldManagerConflict',
    message: `conflict with ${printManager(c.manager)}`,
    field: pathString(c.path),
  }));
  let message: string;
  if (conflicts.length === 1) {
    message = `Apply failed with 1 conflict: conflict with ${printManager(conflicts[0].manager)}: ${pathString(conflicts[0].path)}`;
  } else {
    const byManager = new Map<string, FieldPath[]>();
    for (const c of conflicts)
      byManager.set(c.manager, [...(byManager.get(c.manager) ?? []), c.path]);
    const lines: string[] = [];
    for (const id of [...byManager.keys()].sort(compareStrings)) {
      lines.push(`conflicts with ${printManager(id)}:`);
      for (const p of byManager.get(id) ?? []) lines.push(`- ${pathString(p)}`);
    }
    message = `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
  }
  return new StatusError(409, 'Conflict', message, { causes });
}

/**
 * The 400s kube-apiserver gives before applying: the body's kind must be the endpoint's
 * (`invalid object type: apps/v1, Kind=Deployment`) and it must not carry managedFields.
 */
export function checkApplyPatch(
  applied: JsonObject,
  group: string,
  version: string,
  kind: string,
): void {
  const expected = `${group}/${version}, Kind=${kind}`;
  const actual = gvkString(applied);
  if (actual !== expected) throw badRequest(`invalid object type: ${actual}`);
  const metadata = applied.metadata;
  if (isJsonObject(metadata) && Array.isArray(metadata.managedFields)) {
    throw badRequest('metadata.managedFields must be nil');
  }
}

/**
 * Server-side apply (PATCH `application/apply-patch+yaml`): merges `applied` into `live`
 * (undefined to create), makes `manager` the owner (operation Apply) of exactly the fields it
 * applied, removes fields it applied before and no longer applies unless someone else owns them,
 * and throws the 409 `Conflict` StatusError (causes `FieldManagerConflict`) when it would change
 * a field another manager owns, unless `force` moves those fields to it. `now` stamps the entry.
 */
export function apply(
  live: KubeObject | undefined,
  applied: JsonObject,
  manager: string,
  force: boolean,
  schema: PatchSchema,
  now: string,
  options: FieldManagerOptions = {},
): FieldManagerResult {
  const metadata = applied.metadata;
  if (isJsonObject(metadata) && Array.isArray(metadata.managedFields)) {
    throw badRequest('metadata.managedFields must be nil');
  }
  const time = formatTime(now);
  const filter = filterFor(options);
  const liveObj = live ? withoutManagedFields(live as unknown as JsonObject) : undefined;
  const apiVersion = typeof applied.apiVersion === 'string' ? applied.apiVersion : '';
  let managed: Managed;
  try {
    managed = decodeManagedFields(live?.metadata.managedFields);
  } catch (err) {
    throw unknownError(`failed to decode managed fields: ${(err as Error).message}`);
  }
  typedOrFail(applied, schema, false, 'patch');
  if (liveObj) typedOrFail(liveObj, schema, true, 'live');
  if (managed.fields.size === 0 && liveObj) {
    // Fields set before anyone applied belong to "before-first-apply" (skipnonapplied.go).
    const id = managerId('before-first-apply', 'Update', apiVersion, options.subresource);
    recordUpdate(undefined, liveObj, managed, id, apiVersion, schema, time, filter);
  }
  const id = managerId(manager || 'unknown', 'Apply', undefined, options.subresource);

  const run = (withForce: boolean): { object: JsonObject; managed: Managed; changed: boolean } => {
    const copy: Managed = { fields: new Map(managed.fields), times: new Map(managed.times) };
    const base = liveObj ?? {};
    const merged = (mergeValues(base, applied, schema) ?? {}) as JsonObject;
    const lastSet = copy.fields.get(id)?.set;
    let set = toFieldSet(applied, schema);
    if (filter) set = filter(set);
    copy.fields.set(id, { set, apiVersion, applied: true });
    const object = prune(merged, copy, id, lastSet, schema);
    updateManagers(base, object, copy, id, withForce, schema, filter);
    return { object, managed: copy, changed: !jsonEqual(base, object) };
  };

  let result: ReturnType<typeof run>;
  try {
    result = run(force);
  } catch (err) {
    if (!(err instanceof Conflicts)) throw err;
    // `kubectl` taking over from client-side apply may override what last-applied shows it set.
    const allowed =
      manager === 'kubectl' && liveObj
        ? allowedFromLastApplied(liveObj, apiVersion, schema)
        : undefined;
    if (!allowed) throw conflictError(err.conflicts);
    const remaining = err.conflicts.filter((c) => !allowed.has(c.path));
    if (remaining.length > 0) throw conflictError(remaining);
    result = run(true);
  }

  const { managed: after } = result;
  const own = after.fields.get(id);
  if (own) {
    const set = own.set.difference(STRIP);
    const before = managed.fields.get(id);
    // Re-applying the same fields keeps the stored encoding.
    const raw =
      before?.raw && before.apiVersion === own.apiVersion && before.set.equals(set)
        ? before.raw
        : undefined;
    if (set.empty()) after.fields.delete(id);
    else after.fields.set(id, { set, apiVersion: own.apiVersion, applied: own.applied, raw });
  }
  if (result.changed) after.times.set(id, time);
  else if (!after.fields.has(id)) after.times.delete(id);

  let object = (
    result.changed ? dropNulls(result.object) : cloneJson(liveObj ?? result.object)
  ) as JsonObject;
  if (manager === 'kubectl') object = syncLastApplied(object, applied);
  const entries = encodeManagedFields(after);
  return {
    object: withManagedFields(object, entries),
    managedFields: entries,
    changed: result.changed,
  };
}

/** Updater.prune: drop what `manager` applied last time, did not apply now, and nobody owns. */
function prune(
  merged: JsonObject,
  managed: Managed,
  id: string,
  lastSet: FieldSet | undefined,
  schema: PatchSchema,
): JsonObject {
  if (!lastSet || lastSet.empty()) return merged;
  // Nothing to remove when the manager still applies everything it applied before.
  const own = managed.fields.get(id)?.set;
  if (own && lastSet.difference(own).empty()) return merged;
  const named = (s: FieldSet): FieldSet => ensureNamedFieldsAreMembers(s, schema);
  const last = named(lastSet);
  let pruned = (removeItems(merged, last, schema) ?? {}) as JsonObject;
  let owned = new FieldSet();
  for (const ms of managed.fields.values()) owned = owned.union(ms.set);
  const mergedSet = named(toFieldSet(merged, schema));
  // Add back everything somebody still owns (addBackOwnedItems)…
  pruned = (removeItems(
    merged,
    mergedSet.difference(named(toFieldSet(pruned, schema)).union(named(owned))),
    schema,
  ) ?? {}) as JsonObject;
  // …and remove only what the manager itself had (addBackDanglingItems).
  const removed = mergedSet.difference(named(toFieldSet(pruned, schema))).intersection(last);
  return (removeItems(merged, removed, schema) ?? {}) as JsonObject;
}

/** lastAppliedManager: fields the last-applied annotation shows client-side apply set, unchanged since. */
function allowedFromLastApplied(
  live: JsonObject,
  apiVersion: string,
  schema: PatchSchema,
): FieldSet | undefined {
  const metadata = live.metadata;
  const annotations =
    isJsonObject(metadata) && isJsonObject(metadata.annotations) ? metadata.annotations : undefined;
  const text = annotations?.[LAST_APPLIED_ANNOTATION];
  if (typeof text !== 'string' || text === '') return undefined;
  let lastApplied: JsonValue;
  try {
    lastApplied = JSON.parse(text) as JsonValue;
  } catch {
    return undefined;
  }
  if (!isJsonObject(lastApplied) || lastApplied.apiVersion !== apiVersion) return undefined;
  try {
    validateListKeys(lastApplied, schema, false);
    validateListKeys(live, schema, false);
  } catch {
    return undefined;
  }
  const cmp = compareObjects(lastApplied, live, schema);
  return toFieldSet(lastApplied, schema)
    .difference(cmp.modified)
    .difference(cmp.added)
    .difference(cmp.removed);
}

/** lastAppliedUpdater: `kubectl` server-side apply keeps an existing last-applied annotation current. */
function syncLastApplied(object: JsonObject, applied: JsonObject): JsonObject {
  const metadata = object.metadata;
  if (!isJsonObject(metadata) || !isJsonObject(metadata.annotations)) return object;
  const current = metadata.annotations[LAST_APPLIED_ANNOTATION];
  if (typeof current !== 'string' || current === '') return object;
  const config: JsonObject = { ...applied };
  if (isJsonObject(applied.metadata)) {
    const meta: JsonObject = { ...applied.metadata };
    if (isJsonObject(meta.annotations)) {
      const { [LAST_APPLIED_ANNOTATION]: _ignored, ...rest } = meta.annotations;
      meta.annotations = rest;
    }
    config.metadata = meta;
  }
  return {
    ...object,
    metadata: {
      ...metadata,
      annotations: { ...metadata.annotations, [LAST_APPLIED_ANNOTATION]: `${goJSON(config)}\n` },
    },
  };
}

/**
 * Field ownership for a create, update or non-apply patch by `manager` (operation Update): the
 * fields this write changed become the manager's, and leave every other manager's set. Entries
 * sent in the request's managedFields are honoured (`[]` resets them) except on subresources.
 * Never fails: if the object cannot be read, the live managedFields are kept (UpdateNoErrors).
 */
export function trackUpdate(
  oldObject: KubeObject | undefined,
  newObject: KubeObject,
  manager: string,
  schema: PatchSchema,
  now: string,
  options: FieldManagerOptions = {},
): FieldManagerResult {
  const next = withoutManagedFields(newObject as unknown as JsonObject);
  const old = oldObject ? withoutManagedFields(oldObject as unknown as JsonObject) : undefined;
  const changed = !jsonEqual(old ?? {}, next);
  const keepLive = (): FieldManagerResult => {
    const entries = oldObject?.metadata.managedFields;
    return { object: withManagedFields(next, entries), managedFields: entries, changed };
  };
  const decodeOrEmpty = (entries: unknown): Managed => {
    try {
      return decodeManagedFields(entries);
    } catch {
      return { fields: new Map(), times: new Map() };
    }
  };

  let managed: Managed;
  const sent = newObject.metadata.managedFields as unknown;
  if (options.subresource) {
    managed = decodeOrEmpty(oldObject?.metadata.managedFields);
  } else if (isReset(sent)) {
    managed = { fields: new Map(), times: new Map() };
  } else {
    try {
      // Entries passed through unchanged from the live object keep their stored encoding.
      managed = decodeManagedFields(sent, sent === oldObject?.metadata.managedFields);
    } catch {
      managed = { fields: new Map(), times: new Map() };
    }
    if (managed.fields.size === 0) managed = decodeOrEmpty(oldObject?.metadata.managedFields);
  }
  // An object that has no managedFields is not tracked until the next create or apply.
  if (managed.fields.size === 0 && oldObject) {
    return { object: withManagedFields(next, undefined), managedFields: undefined, changed };
  }
  try {
    validateListKeys(next, schema, true);
    if (old) validateListKeys(old, schema, true);
  } catch (err) {
    if (err instanceof TypedValueError) return keepLive();
    throw err;
  }
  const apiVersion = typeof next.apiVersion === 'string' ? next.apiVersion : '';
  const id = managerId(manager || 'unknown', 'Update', apiVersion, options.subresource);
  recordUpdate(old, next, managed, id, apiVersion, schema, formatTime(now), filterFor(options));
  capUpdateManagers(managed);
  const entries = encodeManagedFields(managed);
  return { object: withManagedFields(next, entries), managedFields: entries, changed };
}

/** isResetManagedFields: `[]`, or a single empty entry. */
function isReset(entries: unknown): boolean {
  if (!Array.isArray(entries)) return false;
  if (entries.length === 0) return true;
  return entries.length === 1 && isJsonObject(entries[0]) && Object.keys(entries[0]).length === 0;
}

/** The paths in a fieldsV1 value, as `.spec.replicas` strings (for logs, tests and tools). */
export function fieldsV1Paths(fieldsV1: JsonValue): string[] {
  return FieldSet.fromFieldsV1(fieldsV1)
    .paths()
    .map((p) => pathString(p));
}
