// JSON text of the objects sent to clients. Store objects are frozen and never change, so their
// text can be reused: an event dispatched to many watchers in a row is serialized once (as
// kube-apiserver's watch cache does with its cachingObject), and list items keep theirs.

/** Text of frozen objects that went out in a list, for as long as the object itself lives. */
const listed = new WeakMap<object, string>();
/** The last frozen object serialized and its text: one watch event's fan-out hits it. */
let lastValue: object | undefined;
let lastText = '';

/**
 * JSON text of an object. A frozen one is remembered until the next is serialized; with `keep`
 * (list items) it is kept with the object, so the next list of a large collection reuses it.
 * Watch events do not keep theirs: a watched collection would otherwise hold the text of every
 * object that changed while watched.
 */
export function jsonText(value: object, keep = false): string {
  if (value === lastValue) return lastText;
  const known = listed.get(value);
  if (known !== undefined) return known;
  const text = JSON.stringify(value);
  if (Object.isFrozen(value)) {
    lastValue = value;
    lastText = text;
    if (keep) listed.set(value, text);
  }
  return text;
}

/** A response body that is already JSON text (lists assembled from their items' text). */
export class RawJson {
  constructor(readonly text: string) {}
}
