// CustomResourceDefinition schemas the way apiextensions-apiserver uses them: validation of custom
// resources against openAPIV3Schema (kube-openapi validate + kubeOpenAPIResultToFieldErrors, same
// paths and messages), structural pruning, defaulting, and the structural-schema rules a CRD's
// spec.versions[*].schema.openAPIV3Schema must follow (pkg/apiserver/schema/validation.go).

import { isIP } from 'node:net';
import type { FieldError } from '../../api/status.ts';
import type { JsonValue } from '../../api/types.ts';
import { isPlainObject } from '../../api/types.ts';
import { formatFieldValue, goFloat, goNumber, goQuote } from '../../api/go-format.ts';
import type { Schema } from './schema.ts';

/** A custom resource's values are Go maps and slices: a bad value prints with its keys sorted. */
function badValue(value: unknown): string {
  return formatFieldValue(value, 'sorted');
}

/**
 * A field error. Same shape as api/status.ts FieldError, plus `FieldValueTooMany`
 * (field.TooMany: maxItems/maxProperties), which that union does not list yet.
 */
export type SchemaFieldError = Omit<FieldError, 'type'> & {
  type: FieldError['type'] | 'FieldValueTooMany';
};

// ---------------------------------------------------------------------------------------------
// Validation (kube-openapi pkg/validation/validate, as apiextensions-apiserver configures it)
// ---------------------------------------------------------------------------------------------

type Issue =
  | {
      code: 'type' | 'required' | 'tooLong' | 'enum' | 'maxItems' | 'tooManyProperties' | 'other';
      name: string;
      value?: unknown;
      valid?: number;
      values?: unknown[];
      message: string;
    }
  | { code: 'plain'; message: string };

/** Formats apiextensions-apiserver keeps for string schemas (others are stripped, not checked). */
const SUPPORTED_STRING_FORMATS = new Set([
  'bsonobjectid',
  'uri',
  'email',
  'hostname',
  'ipv4',
  'ipv6',
  'cidr',
  'mac',
  'uuid',
  'uuid3',
  'uuid4',
  'uuid5',
  'isbn',
  'isbn10',
  'isbn13',
  'creditcard',
  'ssn',
  'hexcolor',
  'rgbcolor',
  'byte',
  'password',
  'date',
  'duration',
  'datetime',
]);

/** StripUnsupportedFormatsPostProcessor: the format that is actually enforced, if any. */
function effectiveFormat(schema: Schema): string | undefined {
  const format = schema.format;
  if (!format) return undefined;
  switch (schema.type ?? '') {
    case '':
    case 'string':
      return SUPPORTED_STRING_FORMATS.has(format.replace(/-/g, '')) ? format : undefined;
    case 'integer':
      return format === 'int32' || format === 'int64' ? format : undefined;
    case 'number':
      return format === 'float' || format === 'double' ? format : undefined;
    default:
      return undefined;
  }
}

function schemaTypes(schema: Schema): string[] {
  if (schema['x-kubernetes-int-or-string']) return ['integer', 'string'];
  return schema.type ? [schema.type] : [];
}

/** Type name and format of a decoded JSON value (int64 for integral numbers, like the apiserver). */
function typeInfo(value: unknown): [string, string] {
  if (typeof value === 'boolean') return ['boolean', ''];
  if (typeof value === 'string') return ['string', ''];
  if (typeof value === 'number') {
    return Number.isInteger(value) ? ['integer', 'int64'] : ['number', 'float64'];
  }
  if (Array.isArray(value)) return ['array', ''];
  return ['object', ''];
}

function typeMessage(name: string, typeName: string, value: unknown): string {
  return typeof value === 'string'
    ? `${name} in body must be of type ${typeName}: ${goQuote(value)}`
    : `${name} in body must be of type ${typeName}`;
}

function validateType(schema: Schema, value: unknown, path: string): Issue[] {
  const types = schemaTypes(schema);
  const format = effectiveFormat(schema);
  if (types.length === 0 && !format) return [];
  if (value === null) {
    if (types.length > 0 && !schema.nullable) {
      return [
        {
          code: 'type',
          name: path,
          value: 'null',
          message: typeMessage(path, types.join(','), 'null'),
        },
      ];
    }
    return [];
  }
  const [type, valueFormat] = typeInfo(value);
  const isIntFloat = type === 'integer' && types.includes('number');
  const isString = typeof value === 'string' || Array.isArray(value);
  if (!isString && format && !(types.includes(type) || valueFormat === format || isIntFloat)) {
    return [
      {
        code: 'type',
        name: path,
        value: valueFormat,
        message: typeMessage(path, format, valueFormat),
      },
    ];
  }
  if (!(types.includes('number') || types.includes('integer')) && format && isString) return [];
  if (types.length > 0 && !(types.includes(type) || isIntFloat)) {
    return [
      { code: 'type', name: path, value: type, message: typeMessage(path, types.join(','), type) },
    ];
  }
  return [];
}

function compilePattern(pattern: string): RegExp {
  // RE2's leading (?i) flag group has no JavaScript syntax; translate it.
  let source = pattern;
  let flags = '';
  const inline = /^\(\?([ims]+)\)/.exec(source);
  if (inline) {
    source = source.slice(inline[0].length);
    flags = inline[1];
  }
  try {
    return new RegExp(source, `${flags}u`);
  } catch {
    return new RegExp(source, flags);
  }
}

const FORMAT_CHECKS: Record<string, (s: string) => boolean> = {
  datetime: (s) =>
    /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}(:?\d{2})?)?$/.test(s) &&
    !Number.isNaN(Date.parse(s.slice(0, 10))),
  date: (s) => /^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(Date.parse(s)),
  byte: (s) => /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(s),
  password: () => true,
  bsonobjectid: (s) => /^[0-9a-fA-F]{24}$/.test(s),
  email: (s) => /^[^@\s]+@[^@\s]+$/.test(s),
  hostname: (s) =>
    s.length <= 255 &&
    s.split('.').every((label) => /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(label)),
  ipv4: (s) => isIP(s) === 4,
  ipv6: (s) => isIP(s) === 6,
  cidr: (s) => {
    const [ip, bits, ...rest] = s.split('/');
    const version = isIP(ip ?? '');
    if (rest.length > 0 || version === 0 || !bits || !/^\d+$/.test(bits)) return false;
    return Number(bits) <= (version === 4 ? 32 : 128);
  },
  mac: (s) =>
    /^([0-9A-Fa-f]{2}([:-]))([0-9A-Fa-f]{2}\2){4}[0-9A-Fa-f]{2}$/.test(s) ||
    /^([0-9A-Fa-f]{2}([:-]))([0-9A-Fa-f]{2}\2){6}[0-9A-Fa-f]{2}$/.test(s) ||
    /^([0-9A-Fa-f]{2}([:-]))([0-9A-Fa-f]{2}\2){18}[0-9A-Fa-f]{2}$/.test(s) ||
    /^([0-9A-Fa-f]{4}\.){2,9}[0-9A-Fa-f]{4}$/.test(s),
  uuid: (s) => /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(s),
  uuid3: (s) => /^[0-9a-f]{8}-?[0-9a-f]{4}-?3[0-9a-f]{3}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(s),
  uuid4: (s) =>
    /^[0-9a-f]{8}-?[0-9a-f]{4}-?4[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$/i.test(s),
  uuid5: (s) =>
    /^[0-9a-f]{8}-?[0-9a-f]{4}-?5[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$/i.test(s),
  uri: (s) => {
    if (s.startsWith('/')) return !/\s/.test(s);
    try {
      return new URL(s).protocol.length > 1;
    } catch {
      return false;
    }
  },
  duration: (s) =>
    /^[-+]?((\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))+$/.test(s) ||
    s === '0' ||
    /^\d+\s*(ns|us|ms|s|m|h|d|w|nanoseconds?|microseconds?|milliseconds?|seconds?|minutes?|hours?|days?|weeks?)$/i.test(
      s,
    ),
  hexcolor: (s) => /^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/.test(s),
  rgbcolor: (s) =>
    /^rgb\(\s*(\d{1,3})\s*,\s*(\d{1,3})\s*,\s*(\d{1,3})\s*\)$/.test(s) &&
    (s.match(/\d+/g) ?? []).every((n) => Number(n) <= 255),
  ssn: (s) => /^\d{3}[- ]?\d{2}[- ]?\d{4}$/.test(s),
  isbn: (s) => FORMAT_CHECKS.isbn10(s) || FORMAT_CHECKS.isbn13(s),
  isbn10: (s) => /^(?:\d[- ]?){9}[\dXx]$/.test(s),
  isbn13: (s) => /^(?:\d[- ]?){12}\d$/.test(s),
  creditcard: (s) => s.replace(/\D/g, '').length >= 12,
};

function validateString(schema: Schema, value: string, path: string): Issue[] {
  const length = [...value].length;
  if (schema.maxLength !== undefined && length > schema.maxLength) {
    return [
      {
        code: 'tooLong',
        name: path,
        value,
        valid: schema.maxLength,
        message: `${path} in body should be at most ${schema.maxLength} chars long`,
      },
    ];
  }
  if (schema.minLength !== undefined && length < schema.minLength) {
    return [
      {
        code: 'other',
        name: path,
        value,
        message: `${path} in body should be at least ${schema.minLength} chars long`,
      },
    ];
  }
  if (schema.pattern) {
    let re: RegExp | undefined;
    let invalid = '';
    try {
      re = compilePattern(schema.pattern);
    } catch (error) {
      invalid = error instanceof Error ? error.message : String(error);
    }
    if (!re) {
      return [
        {
          code: 'other',
          name: path,
          value,
          message: `${path} in body should match '${schema.pattern}, but pattern is invalid: ${invalid}'`,
        },
      ];
    }
    if (!re.test(value)) {
      return [
        {
          code: 'other',
          name: path,
          value,
          message: `${path} in body should match '${schema.pattern}'`,
        },
      ];
    }
  }
  return [];
}

function validateFormat(schema: Schema, value: string, path: string): Issue[] {
  const format = effectiveFormat(schema);
  if (!format) return [];
  const check = FORMAT_CHECKS[format.replace(/-/g, '')];
  if (!check || check(value)) return [];
  return [{ code: 'type', name: path, value, message: typeMessage(path, format, value) }];
}

/** IsValueValidAgainstRange: an integer that does not fit its format is a plain error. */
function rangeIssue(schema: Schema, value: number, path: string): Issue[] {
  const types = schemaTypes(schema);
  if (types.length !== 1) return [];
  const format = effectiveFormat(schema) ?? '';
  let ok = true;
  if (types[0] === 'integer') {
    const limit = format === 'int32' ? 2 ** 31 : 2 ** 63;
    ok = Number.isInteger(value) && value >= -limit && value < limit;
  } else if (types[0] === 'number' && format === 'float') {
    ok = Math.abs(value) <= 3.4028234663852886e38;
  }
  if (ok) return [];
  const detail = format ? `with format ${format}` : '(default format)';
  return [
    { code: 'plain', message: `Checked value must be of type ${types[0]} ${detail} in ${path}` },
  ];
}

function validateNumber(schema: Schema, value: number, path: string): Issue[] {
  const issues = rangeIssue(schema, value, path);
  const integral = Number.isInteger(value);
  // An int64 value is compared with the bound truncated to int64 and printed as one.
  const bound = (n: number): string => (integral ? goNumber(Math.trunc(n)) : goFloat(n));
  if (schema.multipleOf !== undefined && schema.multipleOf !== 0) {
    const factor = integral ? Math.trunc(schema.multipleOf) : schema.multipleOf;
    const quotient = value / factor;
    if (factor !== 0 && Math.abs(quotient - Math.round(quotient)) > 1e-9) {
      issues.push({
        code: 'other',
        name: path,
        value,
        message: `${path} in body should be a multiple of ${bound(schema.multipleOf)}`,
      });
    }
  }
  if (schema.minimum !== undefined) {
    const min = integral ? Math.trunc(schema.minimum) : schema.minimum;
    if (schema.exclusiveMinimum ? value <= min : value < min) {
      const relation = schema.exclusiveMinimum ? 'greater than' : 'greater than or equal to';
      issues.push({
        code: 'other',
        name: path,
        value,
        message: `${path} in body should be ${relation} ${bound(schema.minimum)}`,
      });
    }
  }
  if (schema.maximum !== undefined) {
    const max = integral ? Math.trunc(schema.maximum) : schema.maximum;
    if (schema.exclusiveMaximum ? value >= max : value > max) {
      const relation = schema.exclusiveMaximum ? 'less than' : 'less than or equal to';
      issues.push({
        code: 'other',
        name: path,
        value,
        message: `${path} in body should be ${relation} ${bound(schema.maximum)}`,
      });
    }
  }
  return issues;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = Object.keys(a);
    return (
      keys.length === Object.keys(b).length &&
      keys.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]))
    );
  }
  return false;
}

function validateArray(schema: Schema, value: unknown[], path: string): Issue[] {
  const issues: Issue[] = [];
  const items = schema.items;
  if (isPlainObject(items)) {
    value.forEach((item, i) => issues.push(...validateNode(items, item, `${path}[${i}]`)));
  }
  if (schema.minItems !== undefined && value.length < schema.minItems) {
    issues.push({
      code: 'other',
      name: path,
      value: value.length,
      message: `${path} in body should have at least ${schema.minItems} items`,
    });
  }
  if (schema.maxItems !== undefined && value.length > schema.maxItems) {
    issues.push({
      code: 'maxItems',
      name: path,
      value: value.length,
      valid: schema.maxItems,
      message: `${path} in body should have at most ${schema.maxItems} items`,
    });
  }
  if (schema.uniqueItems && value.some((x, i) => value.slice(0, i).some((y) => deepEqual(x, y)))) {
    issues.push({
      code: 'other',
      name: path,
      message: `${path} in body shouldn't contain duplicates`,
    });
  }
  return issues;
}

function validateEnum(schema: Schema, value: unknown, path: string): Issue[] {
  if (!schema.enum || schema.enum.length === 0) return [];
  // kube-openapi skips null enum entries, so a null value never matches.
  if (value !== null && schema.enum.some((allowed) => deepEqual(allowed, value))) return [];
  const list = schema.enum.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(' ');
  return [
    {
      code: 'enum',
      name: path,
      value,
      values: schema.enum,
      message: `${path} in body should be one of [${list}]`,
    },
  ];
}

function validateObject(schema: Schema, value: Record<string, unknown>, path: string): Issue[] {
  const issues: Issue[] = [];
  const keys = Object.keys(value);
  if (schema.minProperties !== undefined && keys.length < schema.minProperties) {
    issues.push({
      code: 'other',
      name: path,
      value: keys.length,
      message: `${path} in body should have at least ${schema.minProperties} properties`,
    });
  }
  if (schema.maxProperties !== undefined && keys.length > schema.maxProperties) {
    issues.push({
      code: 'tooManyProperties',
      name: path,
      value: keys.length,
      valid: schema.maxProperties,
      message: `${path} in body should have at most ${schema.maxProperties} properties`,
    });
  }
  const properties = schema.properties ?? {};
  const additional = schema.additionalProperties;
  if (additional === false) {
    for (const key of keys) {
      if (!Object.hasOwn(properties, key)) {
        issues.push({
          code: 'other',
          name: path,
          value: key,
          message: `${path}.${key} in body is a forbidden property`,
        });
      }
    }
  } else if (isPlainObject(additional)) {
    for (const key of keys) {
      if (!Object.hasOwn(properties, key)) {
        issues.push(...validateNode(additional, value[key], `${path}.${key}`));
      }
    }
  }
  for (const [name, propertySchema] of Object.entries(properties)) {
    if (Object.hasOwn(value, name)) {
      issues.push(...validateNode(propertySchema, value[name], path ? `${path}.${name}` : name));
    }
  }
  for (const name of schema.required ?? []) {
    if (!Object.hasOwn(value, name)) {
      issues.push({
        code: 'required',
        name: `${path}.${name}`,
        message: `${path}.${name} in body is required`,
      });
    }
  }
  return issues;
}

function validateCombinators(schema: Schema, value: unknown, path: string): Issue[] {
  const issues: Issue[] = [];
  const quoted = goQuote(path);
  if (schema.anyOf && schema.anyOf.length > 0) {
    const results = schema.anyOf.map((branch) => validateNode(branch, value, path));
    if (!results.some((r) => r.length === 0)) {
      issues.push({
        code: 'plain',
        message: `${quoted} must validate at least one schema (anyOf)`,
      });
      issues.push(...results.reduce((best, r) => (r.length < best.length ? r : best)));
    }
  }
  if (schema.oneOf && schema.oneOf.length > 0) {
    const results = schema.oneOf.map((branch) => validateNode(branch, value, path));
    const valid = results.filter((r) => r.length === 0).length;
    if (valid !== 1) {
      const detail = valid === 0 ? 'Found none valid' : `Found ${valid} valid alternatives`;
      issues.push({
        code: 'plain',
        message: `${quoted} must validate one and only one schema (oneOf). ${detail}`,
      });
      if (valid === 0)
        issues.push(...results.reduce((best, r) => (r.length < best.length ? r : best)));
    }
  }
  if (schema.allOf && schema.allOf.length > 0) {
    const results = schema.allOf.map((branch) => validateNode(branch, value, path));
    for (const r of results) issues.push(...r);
    const valid = results.filter((r) => r.length === 0).length;
    if (valid !== results.length) {
      const detail = valid === 0 ? '. None validated' : '';
      issues.push({
        code: 'plain',
        message: `${quoted} must validate all the schemas (allOf)${detail}`,
      });
    }
  }
  if (schema.not && validateNode(schema.not, value, path).length === 0) {
    issues.push({ code: 'plain', message: `${quoted} must not validate the schema (not)` });
  }
  return issues;
}

/** One schema against one value, in kube-openapi's validator order. */
function validateNode(schema: Schema, value: unknown, path: string): Issue[] {
  const issues = validateType(schema, value, path);
  if (value === null || value === undefined) {
    if (value === null) issues.push(...validateEnum(schema, value, path));
    return issues;
  }
  issues.push(...validateCombinators(schema, value, path));
  if (typeof value === 'string') {
    issues.push(...validateString(schema, value, path), ...validateFormat(schema, value, path));
  }
  if (typeof value === 'number') issues.push(...validateNumber(schema, value, path));
  if (Array.isArray(value)) issues.push(...validateArray(schema, value, path));
  issues.push(...validateEnum(schema, value, path));
  if (isPlainObject(value)) issues.push(...validateObject(schema, value, path));
  return issues;
}

function plural(n: number, one: string, many: string): string {
  return n === 1 ? one : many;
}

/** kubeOpenAPIResultToFieldErrors: one kube-openapi error as a field.Error. */
function toFieldError(issue: Issue, basePath: string | undefined): SchemaFieldError {
  if (issue.code === 'plain') {
    return {
      type: 'FieldValueInvalid',
      field: basePath ?? '<nil>',
      message: `Invalid value: "": ${issue.message}`,
    };
  }
  const name = issue.name.replace(/^\./, '');
  const field =
    name && name !== '.' ? (basePath ? `${basePath}.${name}` : name) : (basePath ?? '<nil>');
  const value = issue.value ?? '';
  switch (issue.code) {
    case 'required':
      return { type: 'FieldValueRequired', field, message: 'Required value' };
    case 'enum': {
      const supported = (issue.values ?? [])
        .map((v) => goQuote(typeof v === 'string' ? v : JSON.stringify(v)))
        .join(', ');
      return {
        type: 'FieldValueNotSupported',
        field,
        message: `Unsupported value: ${badValue(value)}${supported ? `: supported values: ${supported}` : ''}`,
      };
    }
    case 'tooLong': {
      const max = issue.valid ?? -1;
      const detail =
        max >= 0
          ? `may not be more than ${max} ${plural(max, 'byte', 'bytes')}`
          : 'value is too long';
      return { type: 'FieldValueTooLong', field, message: `Too long: ${detail}` };
    }
    case 'maxItems':
    case 'tooManyProperties': {
      const max = issue.valid ?? -1;
      const detail =
        max >= 0
          ? `must have at most ${max} ${plural(max, 'item', 'items')}`
          : 'has too many items';
      return {
        type: 'FieldValueTooMany',
        field,
        message: `Too many: ${badValue(value)}: ${detail}`,
      };
    }
    case 'type':
      return {
        type: 'FieldValueTypeInvalid',
        field,
        message: `Invalid value: ${badValue(value)}: ${issue.message}`,
      };
    default:
      return {
        type: 'FieldValueInvalid',
        field,
        message: `Invalid value: ${badValue(value)}: ${issue.message}`,
      };
  }
}

/**
 * Validates a custom resource (or a part of one) against a CRD's openAPIV3Schema, returning the
 * errors apiextensions-apiserver reports: e.g. `{field: 'spec.replicas', message: 'Invalid value:
 * "string": spec.replicas in body must be of type integer: "string"'}`. `basePath` prefixes the
 * fields when validating a subtree (the status subresource validates with `status`); errors
 * without a field (anyOf/oneOf/allOf/not) report it, or `<nil>` like the apiserver.
 */
export function validateAgainstSchema(
  schema: Schema,
  object: unknown,
  options: { basePath?: string } = {},
): SchemaFieldError[] {
  return validateNode(schema, object, '').map((issue) => toFieldError(issue, options.basePath));
}

// ---------------------------------------------------------------------------------------------
// Pruning and defaulting (pkg/apiserver/schema/pruning, pkg/apiserver/schema/defaulting)
// ---------------------------------------------------------------------------------------------

const META_FIELDS = new Set(['apiVersion', 'kind', 'metadata']);

class PathTracker {
  readonly pruned: string[] = [];
  private readonly parts: string[] = [];
  key(k: string): void {
    this.parts.push(this.parts.length > 0 ? `.${k}` : k);
  }
  index(i: number): void {
    this.parts.push(`[${i}]`);
  }
  pop(): void {
    this.parts.pop();
  }
  get depth(): number {
    return this.parts.length;
  }
  record(k: string): void {
    this.key(k);
    this.pruned.push(this.parts.join(''));
    this.pop();
  }
}

function additionalSchema(schema: Schema): Schema | undefined | null {
  // null: additionalProperties absent; undefined: present without a schema (a boolean).
  const additional = schema.additionalProperties;
  if (additional === undefined) return null;
  return isPlainObject(additional) ? additional : undefined;
}

function prune(
  value: unknown,
  schema: Schema | undefined,
  tracker: PathTracker,
  embedded: boolean,
): void {
  if (schema?.['x-kubernetes-preserve-unknown-fields']) {
    skipPrune(value, schema, tracker, embedded);
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      tracker.index(i);
      prune(
        item,
        schema?.items,
        tracker,
        schema?.items?.['x-kubernetes-embedded-resource'] === true,
      );
      tracker.pop();
    });
    return;
  }
  if (!isPlainObject(value)) return;
  if (!schema) {
    for (const key of Object.keys(value)) {
      tracker.record(key);
      delete value[key];
    }
    return;
  }
  const additional = additionalSchema(schema);
  for (const key of Object.keys(value)) {
    if (embedded && META_FIELDS.has(key)) continue;
    const property = schema.properties?.[key];
    if (property) {
      tracker.key(key);
      prune(value[key], property, tracker, property['x-kubernetes-embedded-resource'] === true);
      tracker.pop();
    } else if (additional !== null) {
      tracker.key(key);
      prune(
        value[key],
        additional,
        tracker,
        additional?.['x-kubernetes-embedded-resource'] === true,
      );
      tracker.pop();
    } else {
      if (!META_FIELDS.has(key) || tracker.depth > 0) tracker.record(key);
      delete value[key];
    }
  }
}

function skipPrune(value: unknown, schema: Schema, tracker: PathTracker, embedded: boolean): void {
  if (Array.isArray(value)) {
    const items = schema.items;
    if (!items) return;
    value.forEach((item, i) => {
      tracker.index(i);
      skipPrune(item, items, tracker, items['x-kubernetes-embedded-resource'] === true);
      tracker.pop();
    });
    return;
  }
  if (!isPlainObject(value)) return;
  const additional = additionalSchema(schema);
  for (const key of Object.keys(value)) {
    if (embedded && META_FIELDS.has(key)) continue;
    const property = schema.properties?.[key];
    if (property) {
      tracker.key(key);
      prune(value[key], property, tracker, property['x-kubernetes-embedded-resource'] === true);
      tracker.pop();
    } else if (additional !== null) {
      tracker.key(key);
      prune(
        value[key],
        additional,
        tracker,
        additional?.['x-kubernetes-embedded-resource'] === true,
      );
      tracker.pop();
    }
  }
}

/**
 * Structural pruning of a custom resource: returns a copy without the fields the schema does not
 * specify (apiVersion, kind and metadata at the root and in embedded resources are kept;
 * `x-kubernetes-preserve-unknown-fields` subtrees keep unknown fields). The pruned paths, sorted,
 * are pushed to `options.prunedPaths` — kube-apiserver reports them as `unknown field "spec.foo"`
 * under fieldValidation=Strict/Warn. Pass `isResourceRoot: false` to prune a non-root value.
 */
export function pruneUnknownFields<T>(
  schema: Schema | undefined,
  object: T,
  options: { isResourceRoot?: boolean; prunedPaths?: string[] } = {},
): T {
  const copy = structuredClone(object);
  const tracker = new PathTracker();
  const root = options.isResourceRoot ?? true;
  // A resource root always has a (possibly empty) schema that keeps apiVersion/kind/metadata.
  const effective = root ? (schema ?? {}) : schema;
  prune(copy, effective, tracker, root || schema?.['x-kubernetes-embedded-resource'] === true);
  options.prunedPaths?.push(...tracker.pruned.sort());
  return copy;
}

function isNonNullableNull(value: unknown, schema: Schema | undefined): boolean {
  return value === null && schema !== undefined && !schema.nullable;
}

function dropNonNullableNulls(value: unknown, schema: Schema | undefined): void {
  if (Array.isArray(value)) {
    for (const item of value) dropNonNullableNulls(item, schema?.items);
    return;
  }
  if (!isPlainObject(value)) return;
  for (const key of Object.keys(value)) {
    const property =
      schema?.properties?.[key] ??
      (isPlainObject(schema?.additionalProperties) ? schema.additionalProperties : undefined);
    if (isNonNullableNull(value[key], property) && property?.default === undefined) {
      delete value[key];
    } else {
      dropNonNullableNulls(value[key], property);
    }
  }
}

function applyDefaults(value: unknown, schema: Schema | undefined): void {
  if (!schema) return;
  if (Array.isArray(value)) {
    const items = schema.items;
    value.forEach((item, i) => {
      if (isNonNullableNull(item, items) && items?.default !== undefined) {
        value[i] = structuredClone(items.default);
      }
      applyDefaults(value[i], items);
    });
    return;
  }
  if (!isPlainObject(value)) return;
  for (const [key, property] of Object.entries(schema.properties ?? {})) {
    if (property.default === undefined) continue;
    if (!Object.hasOwn(value, key) || isNonNullableNull(value[key], property)) {
      value[key] = structuredClone(property.default);
    }
  }
  const additional = isPlainObject(schema.additionalProperties)
    ? schema.additionalProperties
    : undefined;
  for (const key of Object.keys(value)) {
    const property = schema.properties?.[key];
    if (property) {
      applyDefaults(value[key], property);
    } else if (additional) {
      if (isNonNullableNull(value[key], additional) && additional.default !== undefined) {
        value[key] = structuredClone(additional.default);
      }
      applyDefaults(value[key], additional);
    }
  }
}

/**
 * What apiextensions-apiserver does to a custom resource while decoding it: drops `null`s of
 * non-nullable fields that have no default, then fills in schema `default`s for absent (or null,
 * non-nullable) fields, recursively. Returns the defaulted copy.
 */
export function applySchemaDefaults<T>(schema: Schema | undefined, object: T): T {
  const copy = structuredClone(object);
  dropNonNullableNulls(copy, schema);
  applyDefaults(copy, schema);
  return copy;
}

// ---------------------------------------------------------------------------------------------
// CRD schema checks (apis/apiextensions/validation + apiserver/schema/validation.go, complete.go)
// ---------------------------------------------------------------------------------------------

const OPENAPI_TYPES = ['array', 'boolean', 'integer', 'number', 'object', 'string'];

type Level = 'root' | 'item' | 'field';

const child = (path: string, name: string): string => `${path}.${name}`;
const key = (path: string, k: string): string => `${path}[${k}]`;
const index = (path: string, i: number): string => `${path}[${i}]`;

const err = {
  required: (field: string, detail: string): SchemaFieldError => ({
    type: 'FieldValueRequired',
    field,
    message: detail ? `Required value: ${detail}` : 'Required value',
  }),
  forbidden: (field: string, detail: string): SchemaFieldError => ({
    type: 'FieldValueForbidden',
    field,
    message: `Forbidden: ${detail}`,
  }),
  invalid: (field: string, value: unknown, detail: string): SchemaFieldError => ({
    type: 'FieldValueInvalid',
    field,
    message: `Invalid value: ${badValue(value)}: ${detail}`,
  }),
  notSupported: (field: string, value: unknown, supported: string[]): SchemaFieldError => ({
    type: 'FieldValueNotSupported',
    field,
    message: `Unsupported value: ${badValue(value)}: supported values: ${supported.map(goQuote).join(', ')}`,
  }),
};

function patternError(pattern: string): string | undefined {
  try {
    compilePattern(pattern);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

function isIntOrStringAnyOf(anyOf: Schema[] | undefined): boolean {
  if (!anyOf || anyOf.length !== 2) return false;
  const only = (s: Schema, type: string) => Object.keys(s).length === 1 && s.type === type;
  return only(anyOf[0], 'integer') && only(anyOf[1], 'string');
}

function valueValidation(
  s: Schema,
  skipAnyOf: boolean,
  skipFirstAllOfAnyOf: boolean,
  path: string,
): SchemaFieldError[] {
  const errors: SchemaFieldError[] = [];
  if (!skipAnyOf)
    s.anyOf?.forEach((v, i) =>
      errors.push(...nestedValidation(v, false, false, index(child(path, 'anyOf'), i))),
    );
  s.allOf?.forEach((v, i) =>
    errors.push(
      ...nestedValidation(v, skipFirstAllOfAnyOf && i === 0, false, index(child(path, 'allOf'), i)),
    ),
  );
  s.oneOf?.forEach((v, i) =>
    errors.push(...nestedValidation(v, false, false, index(child(path, 'oneOf'), i))),
  );
  if (s.not) errors.push(...nestedValidation(s.not, false, false, child(path, 'not')));
  if (s.pattern) {
    const problem = patternError(s.pattern);
    if (problem) {
      errors.push(
        err.invalid(
          child(path, 'pattern'),
          s.pattern,
          `must be a valid regular expression, but isn't: ${problem}`,
        ),
      );
    }
  }
  return errors;
}

/** A schema inside allOf/anyOf/oneOf/not: may only restrict values, never shape them. */
function nestedValidation(
  v: Schema,
  skipAnyOf: boolean,
  skipAllOfAnyOf: boolean,
  path: string,
): SchemaFieldError[] {
  const errors = valueValidation(v, skipAnyOf, skipAllOfAnyOf, path);
  if (isPlainObject(v.items))
    errors.push(...nestedValidation(v.items, false, false, child(path, 'items')));
  for (const [k, p] of Object.entries(v.properties ?? {})) {
    errors.push(...nestedValidation(p, false, false, key(child(path, 'properties'), k)));
  }
  const mustBe = (name: string, detail: string) =>
    errors.push(err.forbidden(child(path, name), detail));
  if (v.type) mustBe('type', 'must be empty to be structural');
  if (v.additionalProperties !== undefined)
    mustBe('additionalProperties', 'must be undefined to be structural');
  if (v.default !== undefined) mustBe('default', 'must be undefined to be structural');
  if (v.title) mustBe('title', 'must be empty to be structural');
  if (v.description) mustBe('description', 'must be empty to be structural');
  if (v.nullable) mustBe('nullable', 'must be false to be structural');
  if (v['x-kubernetes-preserve-unknown-fields'])
    mustBe('x-kubernetes-preserve-unknown-fields', 'must be false to be structural');
  if (v['x-kubernetes-embedded-resource'])
    mustBe('x-kubernetes-embedded-resource', 'must be false to be structural');
  if (v['x-kubernetes-int-or-string'])
    mustBe('x-kubernetes-int-or-string', 'must be false to be structural');
  if (v['x-kubernetes-list-map-keys']?.length)
    mustBe('x-kubernetes-list-map-keys', 'must be empty to be structural');
  if (v['x-kubernetes-list-type'] !== undefined)
    mustBe('x-kubernetes-list-type', 'must be undefined to be structural');
  if (v['x-kubernetes-map-type'] !== undefined)
    mustBe('x-kubernetes-map-type', 'must be undefined to be structural');
  if (Array.isArray(v['x-kubernetes-validations']) && v['x-kubernetes-validations'].length > 0) {
    mustBe('x-kubernetes-validations', 'must be empty to be structural');
  }
  if (v.properties && Object.hasOwn(v.properties, 'metadata')) {
    errors.push(
      err.forbidden(
        key(child(path, 'properties'), 'metadata'),
        'must not be specified in a nested context',
      ),
    );
  }
  return errors;
}

function metadataInvariants(
  s: Schema,
  checkMetadata: boolean,
  level: Level,
  path: string,
): SchemaFieldError[] {
  const errors: SchemaFieldError[] = [];
  if (checkMetadata && s.type !== 'object')
    errors.push(err.invalid(child(path, 'type'), s.type ?? '', 'must be object'));
  if (level === 'root') {
    const props = Object.keys(s.properties ?? {});
    const onlyNames = props.every((p) => p === 'name' || p === 'generateName');
    const extra = Object.keys(s).filter(
      (k) => k !== 'type' && k !== 'default' && !(k === 'properties' && onlyNames),
    );
    if (extra.length > 0) {
      errors.push(
        err.forbidden(
          path,
          'must not specify anything other than name and generateName, but metadata is implicitly specified',
        ),
      );
    }
  }
  return errors;
}

function structuralInvariants(
  s: Schema | undefined,
  level: Level,
  path: string,
): SchemaFieldError[] {
  if (!s) return [];
  const errors: SchemaFieldError[] = [];
  const embedded = s['x-kubernetes-embedded-resource'] === true;
  const intOrString = s['x-kubernetes-int-or-string'] === true;
  const preserve = s['x-kubernetes-preserve-unknown-fields'] === true;
  if (s.type === 'array' && !s.items)
    errors.push(err.required(child(path, 'items'), 'must be specified'));
  if (isPlainObject(s.items))
    errors.push(...structuralInvariants(s.items, 'item', child(path, 'items')));
  for (const [k, p] of Object.entries(s.properties ?? {})) {
    errors.push(...structuralInvariants(p, 'field', key(child(path, 'properties'), k)));
  }
  if (s.additionalProperties !== undefined) {
    if (level === 'root')
      errors.push(
        err.forbidden(child(path, 'additionalProperties'), 'must not be used at the root'),
      );
    if (isPlainObject(s.additionalProperties)) {
      errors.push(
        ...structuralInvariants(
          s.additionalProperties,
          'field',
          child(path, 'additionalProperties'),
        ),
      );
    }
  }
  if (intOrString && preserve) {
    errors.push(
      err.invalid(
        child(path, 'x-kubernetes-preserve-unknown-fields'),
        true,
        'must be false if x-kubernetes-int-or-string is true',
      ),
    );
  }
  if (intOrString && embedded) {
    errors.push(
      err.invalid(
        child(path, 'x-kubernetes-embedded-resource'),
        true,
        'must be false if x-kubernetes-int-or-string is true',
      ),
    );
  }
  const skipFirstAllOfAnyOf =
    s.allOf !== undefined && s.allOf.length > 0 && isIntOrStringAnyOf(s.allOf[0].anyOf);
  errors.push(...valueValidation(s, isIntOrStringAnyOf(s.anyOf), skipFirstAllOfAnyOf, path));

  const checkMetadata = level === 'root' || embedded;
  if (embedded && s.type !== 'object') {
    if (!s.type)
      errors.push(
        err.required(
          child(path, 'type'),
          'must be object if x-kubernetes-embedded-resource is true',
        ),
      );
    else
      errors.push(
        err.invalid(
          child(path, 'type'),
          s.type,
          'must be object if x-kubernetes-embedded-resource is true',
        ),
      );
  } else if (!s.type && !intOrString && !preserve) {
    const where = {
      root: 'at the root',
      item: 'for specified array items',
      field: 'for specified object fields',
    }[level];
    errors.push(err.required(child(path, 'type'), `must not be empty ${where}`));
  }
  if (embedded && s.additionalProperties !== undefined) {
    errors.push(
      err.forbidden(
        child(path, 'additionalProperties'),
        'must not be used if x-kubernetes-embedded-resource is set',
      ),
    );
  }
  if (level === 'root' && s.type && s.type !== 'object') {
    errors.push(err.invalid(child(path, 'type'), s.type, 'must be object at the root'));
  }
  for (const meta of ['kind', 'apiVersion']) {
    const p = s.properties?.[meta];
    if (p && checkMetadata && p.type !== 'string') {
      errors.push(
        err.invalid(
          child(key(child(path, 'properties'), meta), 'type'),
          p.type ?? '',
          'must be string',
        ),
      );
    }
  }
  const metadata = s.properties?.metadata;
  if (metadata)
    errors.push(
      ...metadataInvariants(
        metadata,
        checkMetadata,
        level,
        key(child(path, 'properties'), 'metadata'),
      ),
    );
  if (embedded && !preserve && Object.keys(s.properties ?? {}).length === 0) {
    errors.push(
      err.required(
        child(path, 'properties'),
        'must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields',
      ),
    );
  }
  return errors;
}

/** Every property a value validation (allOf/anyOf/…) names must exist in the structural schema. */
function nestedCompleteness(
  v: Schema | undefined,
  s: Schema | undefined,
  sPath: string,
  vPath: string,
): SchemaFieldError[] {
  if (!v) return [];
  if (!s) return [err.required(sPath, `because it is defined in ${vPath}`)];
  const errors = valueCompleteness(v, s, sPath, vPath);
  if (isPlainObject(v.items)) {
    errors.push(
      ...nestedCompleteness(
        v.items,
        isPlainObject(s.items) ? s.items : undefined,
        child(sPath, 'items'),
        child(vPath, 'items'),
      ),
    );
  }
  for (const [k, vp] of Object.entries(v.properties ?? {})) {
    const sp = s.properties?.[k];
    const sKey = key(child(sPath, 'properties'), k);
    const vKey = key(child(vPath, 'properties'), k);
    if (!sp) errors.push(err.required(sKey, `because it is defined in ${vKey}`));
    else errors.push(...nestedCompleteness(vp, sp, sKey, vKey));
  }
  return errors;
}

function valueCompleteness(v: Schema, s: Schema, sPath: string, vPath: string): SchemaFieldError[] {
  const errors = nestedCompleteness(v.not, s, sPath, child(vPath, 'not'));
  v.allOf?.forEach((x, i) =>
    errors.push(...nestedCompleteness(x, s, sPath, index(child(vPath, 'allOf'), i))),
  );
  v.anyOf?.forEach((x, i) =>
    errors.push(...nestedCompleteness(x, s, sPath, index(child(vPath, 'anyOf'), i))),
  );
  v.oneOf?.forEach((x, i) =>
    errors.push(...nestedCompleteness(x, s, sPath, index(child(vPath, 'oneOf'), i))),
  );
  return errors;
}

interface SchemaContext {
  isRoot: boolean;
  forbidDefaults?: string;
}

/** ValidateCustomResourceDefinitionOpenAPISchema: the per-node rules, recursively. */
function openAPISchemaRules(
  s: Schema | undefined,
  path: string,
  ctx: SchemaContext,
): SchemaFieldError[] {
  if (!s) return [];
  const errors: SchemaFieldError[] = [];
  if (s.type && !OPENAPI_TYPES.includes(s.type))
    errors.push(err.notSupported(child(path, 'type'), s.type, OPENAPI_TYPES));
  if (s.default !== undefined && ctx.forbidDefaults) {
    errors.push(err.forbidden(child(path, 'default'), `must not be set ${ctx.forbidDefaults}`));
  }
  const unsupported: [string, boolean][] = [
    ['id', Boolean(s.id)],
    ['additionalItems', s.additionalItems !== undefined],
    [
      'patternProperties',
      isPlainObject(s.patternProperties) && Object.keys(s.patternProperties).length > 0,
    ],
    ['definitions', isPlainObject(s.definitions) && Object.keys(s.definitions).length > 0],
    ['dependencies', s.dependencies !== undefined],
    ['$ref', s.$ref !== undefined],
  ];
  for (const [name, present] of unsupported) {
    if (present) errors.push(err.forbidden(child(path, name), `${name} is not supported`));
  }
  if (s.type === 'null')
    errors.push(
      err.forbidden(
        child(path, 'type'),
        'type cannot be set to null, use nullable as an alternative',
      ),
    );
  if (Array.isArray(s.items))
    errors.push(
      err.forbidden(child(path, 'items'), 'items must be a schema object and not an array'),
    );
  if (s.uniqueItems) {
    errors.push(
      err.forbidden(
        child(path, 'uniqueItems'),
        'uniqueItems cannot be set to true since the runtime complexity becomes quadratic',
      ),
    );
  }
  if (s.additionalProperties !== undefined) {
    if (Object.keys(s.properties ?? {}).length > 0 && s.additionalProperties !== true) {
      errors.push(
        err.forbidden(
          child(path, 'additionalProperties'),
          'additionalProperties and properties are mutual exclusive',
        ),
      );
    }
    if (isPlainObject(s.additionalProperties)) {
      errors.push(
        ...openAPISchemaRules(s.additionalProperties, child(path, 'additionalProperties'), {
          isRoot: false,
        }),
      );
    }
  }
  for (const [k, p] of Object.entries(s.properties ?? {})) {
    const sub: SchemaContext = { isRoot: false };
    if (ctx.isRoot && META_FIELDS.has(k)) sub.forbidDefaults = `in top-level ${k}`;
    errors.push(...openAPISchemaRules(p, key(child(path, 'properties'), k), sub));
  }
  errors.push(...openAPISchemaRules(s.not, child(path, 'not'), { isRoot: false }));
  s.allOf?.forEach((x, i) =>
    errors.push(...openAPISchemaRules(x, index(child(path, 'allOf'), i), { isRoot: false })),
  );
  s.oneOf?.forEach((x, i) =>
    errors.push(...openAPISchemaRules(x, index(child(path, 'oneOf'), i), { isRoot: false })),
  );
  s.anyOf?.forEach((x, i) =>
    errors.push(...openAPISchemaRules(x, index(child(path, 'anyOf'), i), { isRoot: false })),
  );
  if (isPlainObject(s.items))
    errors.push(...openAPISchemaRules(s.items, child(path, 'items'), { isRoot: false }));
  if (s['x-kubernetes-preserve-unknown-fields'] === false) {
    errors.push(
      err.invalid(
        child(path, 'x-kubernetes-preserve-unknown-fields'),
        false,
        'must be true or undefined',
      ),
    );
  }
  const mapType = s['x-kubernetes-map-type'];
  if (mapType !== undefined && s.type !== 'object') {
    if (!s.type)
      errors.push(
        err.required(child(path, 'type'), 'must be object if x-kubernetes-map-type is specified'),
      );
    else
      errors.push(
        err.invalid(
          child(path, 'type'),
          s.type,
          'must be object if x-kubernetes-map-type is specified',
        ),
      );
  }
  if (mapType !== undefined && mapType !== 'atomic' && mapType !== 'granular') {
    errors.push(
      err.notSupported(child(path, 'x-kubernetes-map-type'), mapType, ['atomic', 'granular']),
    );
  }
  errors.push(...listTypeRules(s, path));
  return errors;
}

function listTypeRules(s: Schema, path: string): SchemaFieldError[] {
  const errors: SchemaFieldError[] = [];
  const listType = s['x-kubernetes-list-type'];
  const mapKeys = s['x-kubernetes-list-map-keys'] ?? [];
  if (listType !== undefined && s.type !== 'array') {
    if (!s.type)
      errors.push(
        err.required(child(path, 'type'), 'must be array if x-kubernetes-list-type is specified'),
      );
    else
      errors.push(
        err.invalid(
          child(path, 'type'),
          s.type,
          'must be array if x-kubernetes-list-type is specified',
        ),
      );
  } else if (listType === 'set' && isPlainObject(s.items)) {
    const items = s.items;
    if (
      items.type === 'array' &&
      items['x-kubernetes-list-type'] !== undefined &&
      items['x-kubernetes-list-type'] !== 'atomic'
    ) {
      errors.push(
        err.invalid(
          child(child(path, 'items'), 'x-kubernetes-list-type'),
          items['x-kubernetes-list-type'],
          'must be atomic as item of a list with x-kubernetes-list-type=set',
        ),
      );
    }
    if (items.type === 'object' && items['x-kubernetes-map-type'] !== 'atomic') {
      errors.push(
        err.invalid(
          child(child(path, 'items'), 'x-kubernetes-map-type'),
          listType,
          'must be atomic as item of a list with x-kubernetes-list-type=set',
        ),
      );
    }
  }
  if (listType !== undefined && !['atomic', 'set', 'map'].includes(listType)) {
    errors.push(
      err.notSupported(child(path, 'x-kubernetes-list-type'), listType, ['atomic', 'set', 'map']),
    );
  }
  if (mapKeys.length > 0) {
    if (listType === undefined)
      errors.push(
        err.required(
          child(path, 'x-kubernetes-list-type'),
          'must be map if x-kubernetes-list-map-keys is non-empty',
        ),
      );
    else if (listType !== 'map')
      errors.push(
        err.invalid(
          child(path, 'x-kubernetes-list-type'),
          listType,
          'must be map if x-kubernetes-list-map-keys is non-empty',
        ),
      );
  }
  if (listType === 'map') {
    if (mapKeys.length === 0)
      errors.push(
        err.required(
          child(path, 'x-kubernetes-list-map-keys'),
          'must not be empty if x-kubernetes-list-type is map',
        ),
      );
    if (!s.items) {
      errors.push(
        err.required(child(path, 'items'), 'must have a schema if x-kubernetes-list-type is map'),
      );
    } else if (isPlainObject(s.items)) {
      const items = s.items;
      if (items.type !== 'object') {
        errors.push(
          err.invalid(
            child(child(path, 'items'), 'type'),
            items.type ?? '',
            "must be object if parent array's x-kubernetes-list-type is map",
          ),
        );
      } else {
        const seen = new Set<string>();
        for (const k of mapKeys) {
          const p = items.properties?.[k];
          if (p) {
            if (p.type === 'array' || p.type === 'object') {
              errors.push(
                err.invalid(
                  child(key(child(child(path, 'items'), 'properties'), k), 'type'),
                  items.type,
                  "must be a scalar type if parent array's x-kubernetes-list-type is map",
                ),
              );
            }
          } else {
            errors.push(
              err.invalid(
                child(path, 'x-kubernetes-list-map-keys'),
                mapKeys,
                'entries must all be names of item properties',
              ),
            );
          }
          if (seen.has(k))
            errors.push(
              err.invalid(
                child(path, 'x-kubernetes-list-map-keys'),
                mapKeys,
                'must not contain duplicate entries',
              ),
            );
          seen.add(k);
        }
      }
    }
  }
  return errors;
}

/** ValidateDefaults: each default must validate against, and survive pruning by, its schema. */
function defaultRules(
  s: Schema | undefined,
  path: string,
  insideMeta: boolean,
  isRoot: boolean,
): SchemaFieldError[] {
  if (!s) return [];
  const errors: SchemaFieldError[] = [];
  if (s.default !== undefined && !insideMeta) {
    const embedded = s['x-kubernetes-embedded-resource'] === true;
    const pruned = pruneUnknownFields(s, s.default, { isResourceRoot: embedded });
    if (!deepEqual(pruned, s.default))
      errors.push(err.invalid(child(path, 'default'), s.default, 'must not have unknown fields'));
    errors.push(...validateAgainstSchema(s, s.default, { basePath: child(path, 'default') }));
  }
  if (isPlainObject(s.items))
    errors.push(...defaultRules(s.items, child(path, 'items'), insideMeta, false));
  const embedded = isRoot || s['x-kubernetes-embedded-resource'] === true;
  for (const [k, p] of Object.entries(s.properties ?? {})) {
    const meta = embedded && META_FIELDS.has(k);
    errors.push(...defaultRules(p, key(child(path, 'properties'), k), insideMeta || meta, false));
  }
  if (isPlainObject(s.additionalProperties)) {
    errors.push(
      ...defaultRules(
        s.additionalProperties,
        child(path, 'additionalProperties'),
        insideMeta,
        false,
      ),
    );
  }
  return errors;
}

function errorText(e: SchemaFieldError): string {
  return `${e.field}: ${e.message}`;
}

/**
 * The CRD validation of one version's `schema.openAPIV3Schema`: structural-schema rules (every
 * level typed unless int-or-string or preserve-unknown-fields, value validations may not shape
 * data, metadata only name/generateName…), then the per-node OpenAPI rules, then defaults.
 * `fieldPath` is where the schema sits in the CRD, e.g.
 * `spec.versions[0].schema.openAPIV3Schema`; errors are reported below it.
 */
export function checkStructural(
  schema: Schema | undefined,
  fieldPath = 'spec.versions[0].schema.openAPIV3Schema',
): SchemaFieldError[] {
  if (!schema) return [err.required(fieldPath, 'schemas are required')];
  const errors: SchemaFieldError[] = [];
  if (schema.nullable)
    errors.push(err.forbidden(child(fieldPath, 'nullable'), 'nullable cannot be true at the root'));
  const structural = [
    ...structuralInvariants(schema, 'root', fieldPath),
    ...valueCompleteness(schema, schema, fieldPath, fieldPath),
  ].sort((a, b) => (errorText(a) < errorText(b) ? -1 : errorText(a) > errorText(b) ? 1 : 0));
  // Defaults are only checked against a schema that is structural.
  errors.push(
    ...(structural.length > 0 ? structural : defaultRules(schema, fieldPath, false, true)),
  );
  errors.push(...openAPISchemaRules(schema, fieldPath, { isRoot: true }));
  return errors;
}

/** Convenience for callers holding CRD JSON: the schema as JsonValue → Schema. */
export function asSchema(value: JsonValue | undefined): Schema | undefined {
  return isPlainObject(value) ? value : undefined;
}
