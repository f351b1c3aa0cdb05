import { describe, it, expect } from 'vitest';
import { jsonText } from './json-text.ts';

/** A frozen object that counts how often JSON.stringify reads it. */
function counted(value: number): { object: object; reads: () => number } {
  let reads = 0;
  const object = Object.freeze({
    get n() {
      reads++;
      return value;
    },
  });
  return { object, reads: () => reads };
}

describe('jsonText', () => {
  it('serializes one frozen object written to many watchers in a row once', () => {
    const { object, reads } = counted(1);
    for (let i = 0; i < 100; i++) expect(jsonText(object)).toBe('{"n":1}');
    expect(reads()).toBe(1);
  });

  it('keeps no watch event text once another object was serialized', () => {
    const { object, reads } = counted(2);
    jsonText(object);
    jsonText(Object.freeze({ other: true }));
    expect(jsonText(object)).toBe('{"n":2}');
    expect(reads()).toBe(2);
  });

  it('keeps the text of list items for the next list', () => {
    const { object, reads } = counted(3);
    jsonText(object, true);
    jsonText(Object.freeze({ other: true }));
    expect(jsonText(object, true)).toBe('{"n":3}');
    expect(reads()).toBe(1);
  });

  it('never reuses the text of an object that is not frozen', () => {
    const object = { n: 1 };
    expect(jsonText(object, true)).toBe('{"n":1}');
    object.n = 2;
    expect(jsonText(object, true)).toBe('{"n":2}');
  });
});
