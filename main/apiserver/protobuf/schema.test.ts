import { describe, expect, it } from 'vitest';
import { KINDS, MESSAGES, messageForKind } from './schema/index.ts';

const SCALARS = new Set(['string', 'bytes', 'bool', 'int32', 'int64']);
const SPECIALS = new Set([
  'Time',
  'MicroTime',
  'Duration',
  'Quantity',
  'IntOrString',
  'RawExtension',
  'FieldsV1',
  'StringList',
]);

/** JSON names a message prints, inlined structs expanded. */
function jsonNames(message: string): string[] {
  return MESSAGES[message].flatMap(([, json, type, flags]) =>
    flags.includes('i') ? jsonNames(type) : [json],
  );
}

describe('protobuf field tables', () => {
  const entries = Object.entries(MESSAGES);

  it('has a table for every kind and for every message a field refers to', () => {
    expect(entries.length).toBeGreaterThan(250);
    for (const message of Object.values(KINDS)) expect(MESSAGES).toHaveProperty([message]);
    for (const [message, rows] of entries) {
      for (const [, json, type] of rows) {
        const known = SCALARS.has(type) || SPECIALS.has(type) || Object.hasOwn(MESSAGES, type);
        expect(known, `${message}.${json}: ${type}`).toBe(true);
      }
    }
  });

  it('uses each field number once, within the protobuf range', () => {
    for (const [message, rows] of entries) {
      const numbers = rows.map(([num]) => num);
      expect(new Set(numbers).size, message).toBe(numbers.length);
      for (const num of numbers) {
        expect(Number.isInteger(num) && num >= 1 && num < 2 ** 29, `${message} #${num}`).toBe(true);
        expect(num >= 19000 && num <= 19999, `${message} #${num} is reserved`).toBe(false);
      }
    }
  });

  it('uses only known flags in consistent combinations', () => {
    for (const [message, rows] of entries) {
      for (const [num, json, type, flags] of rows) {
        const where = `${message} #${num}`;
        expect(flags, where).toMatch(/^r?m?p?o?z?i?$/);
        expect(flags.includes('r') && flags.includes('m'), where).toBe(false);
        // an inlined struct has no name of its own and is a message
        expect(flags.includes('i'), where).toBe(json === '');
        if (flags.includes('i')) expect(Object.hasOwn(MESSAGES, type), where).toBe(true);
      }
    }
  });

  it('prints each JSON name once per message, inlined fields included', () => {
    for (const message of Object.keys(MESSAGES)) {
      const names = jsonNames(message);
      expect(new Set(names).size, message).toBe(names.length);
    }
  });

  it('records the ObjectMeta and Container facts every write depends on', () => {
    const numbers = (message: string) =>
      Object.fromEntries(MESSAGES[message].map(([num, json]) => [json, num]));
    expect(numbers('meta.v1.ObjectMeta')).toMatchObject({
      name: 1,
      generateName: 2,
      namespace: 3,
      uid: 5,
      resourceVersion: 6,
      labels: 11,
      annotations: 12,
      ownerReferences: 13,
      finalizers: 14,
      managedFields: 17,
    });
    expect(numbers('core.v1.Container')).toMatchObject({
      name: 1,
      image: 2,
      command: 3,
      args: 4,
      ports: 6,
      env: 7,
      resources: 8,
      volumeMounts: 9,
      envFrom: 19,
    });
    for (const message of Object.values(KINDS)) {
      expect(MESSAGES[message][0].slice(0, 3), message).toEqual([
        1,
        'metadata',
        'meta.v1.ObjectMeta',
      ]);
    }
  });
});

describe('messageForKind', () => {
  it('maps apiVersion and kind to the table', () => {
    expect(messageForKind('apps/v1', 'Deployment')).toBe('apps.v1.Deployment');
    expect(messageForKind('v1', 'Pod')).toBe('core.v1.Pod');
    expect(messageForKind('batch/v1', 'DeleteOptions')).toBe('meta.v1.DeleteOptions');
  });

  it('knows nothing of other kinds or versions', () => {
    expect(messageForKind('apps/v1beta1', 'Deployment')).toBeUndefined();
    expect(messageForKind('v1', 'toString')).toBeUndefined();
    expect(messageForKind('', 'DeleteOptions')).toBeUndefined();
  });
});
