// ObjectMeta, label, annotation and label-selector validation (apimachinery api/validation and
// apis/meta/v1/validation, plus core validation's finalizer-name rule).

import { duplicate, forbidden, invalid, Path, required, sortedMap, tooLong } from './field.ts';
import { isObj, obj, objs, str, strs, strMap, semanticEqual, byteLength, num } from './json.ts';
import { isQualifiedName, isValidLabelValue, nameIsDNSLabel, type NameValidator } from './names.ts';
import type { FieldError } from '../../api/status.ts';
import { labelSelectorFromJson } from '../selectors/label-selector.ts';

export const FIELD_IMMUTABLE = 'field is immutable';
export const IS_NEGATIVE = 'must be greater than or equal to 0';
const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;

export function validateNonnegative(value: number | undefined, path: Path): FieldError[] {
  return value !== undefined && value < 0 ? [invalid(path, value, IS_NEGATIVE)] : [];
}

export function validateImmutable(newVal: unknown, oldVal: unknown, path: Path): FieldError[] {
  return semanticEqual(newVal, oldVal) ? [] : [invalid(path, newVal ?? null, FIELD_IMMUTABLE)];
}

export function validateLabelName(name: string, path: Path): FieldError[] {
  return isQualifiedName(name).map((m) => invalid(path, name, m));
}

/** Label errors are reported on the map's path, not per key (as upstream does). */
export function validateLabels(labels: unknown, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(strMap(labels))) {
    errs.push(...validateLabelName(k, path));
    errs.push(...isValidLabelValue(v).map((m) => invalid(path, v, m)));
  }
  return errs;
}

export function validateAnnotations(annotations: unknown, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  let total = 0;
  for (const [k, v] of Object.entries(strMap(annotations))) {
    errs.push(...isQualifiedName(k.toLowerCase()).map((m) => invalid(path, k, m)));
    total += byteLength(k) + byteLength(v);
  }
  if (total > TOTAL_ANNOTATION_SIZE_LIMIT) errs.push(tooLong(path, TOTAL_ANNOTATION_SIZE_LIMIT));
  return errs;
}

function validateOwnerReferences(refs: unknown, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  let firstController = '';
  for (const ref of objs(refs)) {
    const apiVersion = str(ref.apiVersion) ?? '';
    const kind = str(ref.kind) ?? '';
    const name = str(ref.name) ?? '';
    const uid = str(ref.uid) ?? '';
    const slash = apiVersion.lastIndexOf('/');
    const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
    const group = slash < 0 ? '' : apiVersion.slice(0, slash);
    if (!version)
      errs.push(invalid(path.child('apiVersion'), apiVersion, 'version must not be empty'));
    if (!kind) errs.push(invalid(path.child('kind'), kind, 'must not be empty'));
    if (!name) errs.push(invalid(path.child('name'), name, 'must not be empty'));
    if (!uid) errs.push(invalid(path.child('uid'), uid, 'must not be empty'));
    if (group === '' && version === 'v1' && kind === 'Event') {
      errs.push(invalid(path, ref, '/v1, Kind=Event is disallowed from being an owner'));
    }
    if (ref.controller === true) {
      const cur = `${kind}/${name}`;
      if (firstController) {
        errs.push(
          invalid(
            path,
            refs,
            `Only one reference can have Controller set to true. Found "true" in references for ${firstController} and ${cur}`,
          ),
        );
      } else firstController = cur;
    }
  }
  return errs;
}

const standardFinalizers = new Set(['kubernetes', 'orphan', 'foregroundDeletion']);

function validateFinalizers(finalizers: unknown, path: Path, kubeNames: boolean): FieldError[] {
  const list = strs(finalizers);
  const errs: FieldError[] = [];
  for (const f of list) errs.push(...isQualifiedName(f).map((m) => invalid(path, f, m)));
  if (list.includes('orphan') && list.includes('foregroundDeletion')) {
    errs.push(invalid(path, list, 'finalizer orphan and foregroundDeletion cannot be both set'));
  }
  if (kubeNames) {
    list.forEach((f, i) => {
      if (!f.includes('/') && !standardFinalizers.has(f)) {
        errs.push(
          invalid(
            path.index(i),
            f,
            'name is neither a standard finalizer name nor is it fully qualified',
          ),
        );
      }
    });
  }
  return errs;
}

function validateManagedFields(entries: unknown, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  objs(entries).forEach((e, i) => {
    const p = path.index(i);
    const op = str(e.operation) ?? '';
    if (op !== 'Apply' && op !== 'Update') {
      errs.push(invalid(p.child('operation'), op, 'must be `Apply` or `Update`'));
    }
    const ft = str(e.fieldsType) ?? '';
    if (ft && ft !== 'FieldsV1')
      errs.push(invalid(p.child('fieldsType'), ft, 'must be `FieldsV1`'));
    const manager = str(e.manager) ?? '';
    if (byteLength(manager) > 128) errs.push(tooLong(p.child('manager'), 128));
    if (byteLength(str(e.subresource) ?? '') > 256) errs.push(tooLong(p.child('subresource'), 256));
  });
  return errs;
}

function commonMeta(meta: Record<string, unknown>, namespaced: boolean, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  const ns = str(meta.namespace) ?? '';
  if (namespaced) {
    if (!ns) errs.push(required(path.child('namespace')));
    else
      errs.push(...nameIsDNSLabel(ns, false).map((m) => invalid(path.child('namespace'), ns, m)));
  } else if (ns) {
    errs.push(forbidden(path.child('namespace'), 'not allowed on this type'));
  }
  errs.push(...validateNonnegative(num(meta.generation), path.child('generation')));
  errs.push(...validateLabels(meta.labels, path.child('labels')));
  errs.push(...validateAnnotations(meta.annotations, path.child('annotations')));
  errs.push(...validateOwnerReferences(meta.ownerReferences, path.child('ownerReferences')));
  return errs;
}

export interface MetaOptions {
  /** Core's extra finalizer-name rule (built-in kinds validated by kube's own ObjectMeta check). */
  kubeFinalizers?: boolean;
}

/**
 * ValidateObjectMeta for create. It expects the name to be generated already; a missing name
 * alongside a generateName is not reported, so callers may also validate before generation.
 */
export function validateObjectMeta(
  metaValue: unknown,
  namespaced: boolean,
  nameFn: NameValidator,
  path: Path = Path.root('metadata'),
  options: MetaOptions = { kubeFinalizers: true },
): FieldError[] {
  const meta = obj(metaValue) ?? {};
  const errs: FieldError[] = [];
  const generateName = str(meta.generateName) ?? '';
  const name = str(meta.name) ?? '';
  if (generateName) {
    errs.push(
      ...nameFn(generateName, true).map((m) =>
        invalid(path.child('generateName'), generateName, m),
      ),
    );
  }
  if (!name) {
    if (!generateName) errs.push(required(path.child('name'), 'name or generateName is required'));
  } else {
    errs.push(...nameFn(name, false).map((m) => invalid(path.child('name'), name, m)));
  }
  errs.push(...commonMeta(meta, namespaced, path));
  errs.push(
    ...validateFinalizers(
      meta.finalizers,
      path.child('finalizers'),
      options.kubeFinalizers ?? true,
    ),
  );
  errs.push(...validateManagedFields(meta.managedFields, path.child('managedFields')));
  return errs;
}

/** ValidateObjectMetaUpdate. */
export function validateObjectMetaUpdate(
  newValue: unknown,
  oldValue: unknown,
  path: Path = Path.root('metadata'),
  options: MetaOptions = { kubeFinalizers: true },
): FieldError[] {
  const n = obj(newValue) ?? {};
  const o = obj(oldValue) ?? {};
  const errs: FieldError[] = [];
  if (isSetString(o.deletionTimestamp)) {
    const extra = [...new Set(strs(n.finalizers))]
      .filter((f) => !strs(o.finalizers).includes(f))
      .sort();
    if (extra.length) {
      errs.push(
        forbidden(
          path.child('finalizers'),
          `no new finalizers can be added if the object is being deleted, found new finalizers []string{${extra.map((f) => JSON.stringify(f)).join(', ')}}`,
        ),
      );
    }
  }
  const rv = str(n.resourceVersion) ?? '';
  if (!rv) errs.push(invalid(path.child('resourceVersion'), rv, 'must be specified for an update'));
  const gen = num(n.generation) ?? 0;
  if (gen < (num(o.generation) ?? 0)) {
    errs.push(invalid(path.child('generation'), gen, 'must not be decremented'));
  }
  errs.push(...validateImmutable(str(n.name) ?? '', str(o.name) ?? '', path.child('name')));
  errs.push(
    ...validateImmutable(str(n.namespace) ?? '', str(o.namespace) ?? '', path.child('namespace')),
  );
  errs.push(...validateImmutable(str(n.uid) ?? '', str(o.uid) ?? '', path.child('uid')));
  errs.push(
    ...validateImmutable(
      n.creationTimestamp ?? null,
      o.creationTimestamp ?? null,
      path.child('creationTimestamp'),
    ),
  );
  errs.push(
    ...validateImmutable(
      n.deletionTimestamp ?? null,
      o.deletionTimestamp ?? null,
      path.child('deletionTimestamp'),
    ),
  );
  errs.push(
    ...validateImmutable(
      n.deletionGracePeriodSeconds ?? null,
      o.deletionGracePeriodSeconds ?? null,
      path.child('deletionGracePeriodSeconds'),
    ),
  );
  errs.push(...validateLabels(n.labels, path.child('labels')));
  errs.push(...validateAnnotations(n.annotations, path.child('annotations')));
  errs.push(...validateOwnerReferences(n.ownerReferences, path.child('ownerReferences')));
  errs.push(...validateManagedFields(n.managedFields, path.child('managedFields')));
  if (options.kubeFinalizers ?? true) {
    strs(n.finalizers).forEach((f, i) => {
      if (!f.includes('/') && !standardFinalizers.has(f)) {
        errs.push(
          invalid(
            path.child('finalizers').index(i),
            f,
            'name is neither a standard finalizer name nor is it fully qualified',
          ),
        );
      }
    });
  }
  return errs;
}

function isSetString(v: unknown): boolean {
  return typeof v === 'string' && v.length > 0;
}

/** ValidateAnnotations + ValidateLabels on an embedded template's metadata. */
export function validateTemplateMeta(metaValue: unknown, path: Path): FieldError[] {
  const meta = obj(metaValue) ?? {};
  return [
    ...validateLabels(meta.labels, path.child('labels')),
    ...validateAnnotations(meta.annotations, path.child('annotations')),
  ];
}

// ---- label selectors (metav1.LabelSelector) ----

export interface SelectorOptions {
  allowInvalidLabelValue?: boolean;
}

export function validateLabelSelector(
  selector: unknown,
  path: Path,
  options: SelectorOptions = {},
): FieldError[] {
  const sel = obj(selector);
  if (!sel) return [];
  const errs = validateLabels(sel.matchLabels, path.child('matchLabels'));
  objs(sel.matchExpressions).forEach((req, i) => {
    const p = path.child('matchExpressions').index(i);
    const op = str(req.operator) ?? '';
    const values = strs(req.values);
    if (op === 'In' || op === 'NotIn') {
      if (values.length === 0) {
        errs.push(
          required(p.child('values'), "must be specified when `operator` is 'In' or 'NotIn'"),
        );
      }
    } else if (op === 'Exists' || op === 'DoesNotExist') {
      if (values.length > 0) {
        errs.push(
          forbidden(
            p.child('values'),
            "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
          ),
        );
      }
    } else {
      errs.push(invalid(p.child('operator'), op, 'not a valid selector operator'));
    }
    errs.push(...validateLabelName(str(req.key) ?? '', p.child('key')));
    if (!options.allowInvalidLabelValue) {
      values.forEach((v, j) => {
        errs.push(...isValidLabelValue(v).map((m) => invalid(p.child('values').index(j), v, m)));
      });
    }
  });
  return errs;
}

/** A compiled selector; `nothing` is the nil selector (matches nothing), `empty` matches all. */
export interface Selector {
  nothing: boolean;
  empty: boolean;
  matches(labels: Record<string, string>): boolean;
}

/**
 * metav1.LabelSelectorAsSelector: undefined when the selector cannot be converted (bad operator,
 * values or keys), which callers report as an invalid selector.
 */
export function labelSelectorAsSelector(selector: unknown): Selector | undefined {
  const compiled = labelSelectorFromJson(selector);
  if (!compiled) return undefined;
  return {
    nothing: compiled.kind === 'nothing',
    empty: compiled.empty(),
    matches: (labels) => compiled.matches(labels),
  };
}

/** True when the selector has neither matchLabels nor matchExpressions. */
export function selectorIsEmpty(selector: unknown): boolean {
  const sel = obj(selector) ?? {};
  return Object.keys(strMap(sel.matchLabels)).length + objs(sel.matchExpressions).length === 0;
}

/** The selector as Go would print it (matchLabels sorted, empty parts omitted). */
export function selectorValue(selector: unknown): unknown {
  const sel = obj(selector);
  if (!sel) return null;
  const out: Record<string, unknown> = {};
  if (isObj(sel.matchLabels) && Object.keys(sel.matchLabels).length) {
    out.matchLabels = sortedMap(sel.matchLabels);
  }
  if (Array.isArray(sel.matchExpressions) && sel.matchExpressions.length) {
    out.matchExpressions = sel.matchExpressions;
  }
  return out;
}

/** Duplicate-name helper used by several list validations. */
export function duplicateTracker(): (path: Path, name: string) => FieldError[] {
  const seen = new Set<string>();
  return (path, name) => {
    if (seen.has(name)) return [duplicate(path, name)];
    seen.add(name);
    return [];
  };
}
