// Object metadata chores every write shares (apiserver rest.BeforeCreate / BeforeUpdate):
// names from generateName, uids, timestamps, generation, and what clients may not set.
import { randomUUID, randomInt } from 'node:crypto';
import type { KubeObject } from '../../api/types.ts';

/** RFC 3339 with second precision, as metav1.Time marshals. */
export function nowTimestamp(date = new Date()): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789'; // apimachinery rand.String alphabet (no vowels)

export function generateNameSuffix(length = 5): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHANUMS[randomInt(ALPHANUMS.length)];
  return out;
}

/** The name kube-apiserver makes from generateName: prefix truncated to 58 + 5 random chars. */
export function nameFromGenerateName(prefix: string): string {
  const max = 63 - 5;
  return `${prefix.length > max ? prefix.slice(0, max) : prefix}${generateNameSuffix()}`;
}

export function newUid(): string {
  return randomUUID();
}

export function deepClone<T>(value: T): T {
  return structuredClone(value);
}

/** JSON equality with key order ignored. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((v, i) => deepEqual(v, bb[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const ak = Object.keys(ao).filter((k) => ao[k] !== undefined);
  const bk = Object.keys(bo).filter((k) => bo[k] !== undefined);
  return ak.length === bk.length && ak.every((k) => deepEqual(ao[k], bo[k]));
}

/** Everything but metadata and status: what `generation` tracks. */
export function specPart(object: KubeObject): Record<string, unknown> {
  const rest: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(object)) {
    if (key !== 'metadata' && key !== 'status' && key !== 'apiVersion' && key !== 'kind')
      rest[key] = value;
  }
  return rest;
}
