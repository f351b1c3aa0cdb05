// Field paths and field errors printed the way apimachinery's util/validation/field prints them
// (`spec.containers[0].image: Required value`), so Status causes match kube-apiserver's.

import { compareStrings, formatFieldValue, goQuote } from '../../api/go-format.ts';
import type { FieldError } from '../../api/status.ts';

type Element = { name: string } | { index: string };

/** A field path; `toString()` follows field.Path.String(), including its quirks. */
export class Path {
  private constructor(private readonly elements: readonly Element[]) {}

  /** field.NewPath(name, ...more). */
  static root(name: string, ...more: string[]): Path {
    const first: Element = name === '' ? { index: '' } : { name };
    return new Path([first]).child(...more);
  }

  child(...names: string[]): Path {
    return new Path([...this.elements, ...names.map((name) => ({ name }))]);
  }

  index(i: number): Path {
    return new Path([...this.elements, { index: String(i) }]);
  }

  key(k: string): Path {
    return new Path([...this.elements, { index: k }]);
  }

  toString(): string {
    let out = '';
    this.elements.forEach((e, i) => {
      if ('name' in e) out += i > 0 ? `.${e.name}` : e.name;
      else out += `[${e.index}]`;
    });
    return out;
  }
}

/** Marker for field.OmitValueType{}: the error prints no value. */
export const OMIT = Symbol('omit-value');

/** A Go map as a bad value: encoding/json sorts map keys. */
export function sortedMap(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value ?? null;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value).sort(compareStrings))
    out[k] = (value as Record<string, unknown>)[k];
  return out;
}

function make(type: string, path: Path | string, message: string): FieldError {
  return { type: type as FieldError['type'], field: String(path), message };
}

function withDetail(body: string, detail: string): string {
  return detail ? `${body}: ${detail}` : body;
}

function withValue(kind: string, value: unknown): string {
  return value === OMIT ? kind : `${kind}: ${formatFieldValue(value)}`;
}

export function invalid(path: Path | string, value: unknown, detail: string): FieldError {
  return make('FieldValueInvalid', path, withDetail(withValue('Invalid value', value), detail));
}

export function required(path: Path | string, detail = ''): FieldError {
  return make('FieldValueRequired', path, withDetail('Required value', detail));
}

export function forbidden(path: Path | string, detail: string): FieldError {
  return make('FieldValueForbidden', path, withDetail('Forbidden', detail));
}

export function duplicate(path: Path | string, value: unknown, detail = ''): FieldError {
  return make('FieldValueDuplicate', path, withDetail(withValue('Duplicate value', value), detail));
}

export function notSupported(
  path: Path | string,
  value: unknown,
  supported: readonly string[],
): FieldError {
  const detail = supported.length
    ? `supported values: ${supported.map((s) => goQuote(s)).join(', ')}`
    : '';
  return make(
    'FieldValueNotSupported',
    path,
    withDetail(withValue('Unsupported value', value), detail),
  );
}

/** field.NotFound (type FieldValueNotFound; not yet in status.ts's union, hence the cast). */
export function notFound(path: Path | string, value: unknown, detail = ''): FieldError {
  return make('FieldValueNotFound', path, withDetail(withValue('Not found', value), detail));
}

export function tooLong(path: Path | string, maxLength: number): FieldError {
  const unit = maxLength === 1 ? 'byte' : 'bytes';
  return make('FieldValueTooLong', path, `Too long: may not be more than ${maxLength} ${unit}`);
}

export function tooMany(path: Path | string, actual: number, max: number): FieldError {
  const unit = max === 1 ? 'item' : 'items';
  return make('FieldValueTooMany', path, `Too many: ${actual}: must have at most ${max} ${unit}`);
}

export function internalError(path: Path | string, detail: string): FieldError {
  return make('InternalError', path, `Internal error: ${detail}`);
}

/** Drops exact repeats (ErrorList.ToAggregate de-duplicates the same way). */
export function dedupe(errors: FieldError[]): FieldError[] {
  const seen = new Set<string>();
  return errors.filter((e) => {
    const k = `${e.type}\u0000${e.field}\u0000${e.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
