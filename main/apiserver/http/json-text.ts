// Serialized JSON kept per stored object: objects from the store are frozen and shared, so their
// JSON text is computed once and reused by every list and watch that sends them.

const cache = new WeakMap<object, string>();

/** JSON text of an object; cached when the object is frozen (store objects never change). */
export function jsonText(value: object): string {
  const hit = cache.get(value);
  if (hit !== undefined) return hit;
  const text = JSON.stringify(value);
  if (Object.isFrozen(value)) cache.set(value, text);
  return text;
}

/** A response body that is already JSON text (lists assembled from cached items). */
export class RawJson {
  constructor(readonly text: string) {}
}
