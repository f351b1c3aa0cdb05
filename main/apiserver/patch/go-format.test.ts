import { describe, expect, it } from 'vitest';
import {
  compareStrings,
  goJSON,
  goNumber,
  goQuote,
  goString,
  goTypeName,
  goValue,
  rejectedPatch,
  unknownError,
} from './go-format.ts';

describe('Go formatting', () => {
  it('prints decoded JSON like fmt %v', () => {
    expect(goValue({ b: [1, 'x', true], a: null, c: { d: 1.5 } })).toBe(
      'map[a:<nil> b:[1 x true] c:map[d:1.5]]',
    );
    expect(goNumber(1234567.5)).toBe('1.2345675e+06');
    expect(goNumber(0.00001)).toBe('1e-05');
    expect(goNumber(80)).toBe('80');
    expect(goString('delete')).toBe('delete');
    expect(goString(3)).toBe('%!s(int64=3)');
    expect(goTypeName([])).toBe('[]interface {}');
    expect(goTypeName({})).toBe('map[string]interface {}');
    expect(goTypeName(1.5)).toBe('float64');
  });

  it('quotes like %q and encodes JSON like encoding/json', () => {
    expect(goQuote('a"b\\c\n\x01')).toBe('"a\\"b\\\\c\\n\\x01"');
    expect(goJSON({ z: '<&>', a: [1, null], m: 'é\u2028' })).toBe(
      '{"a":[1,null],"m":"é\\u2028","z":"\\u003c\\u0026\\u003e"}',
    );
  });

  it('orders strings by code point, as Go compares bytes', () => {
    // U+FF01 sorts before U+1F600 in UTF-8, unlike in JavaScript's UTF-16 order.
    expect(compareStrings('\uff01', '\u{1f600}')).toBe(-1);
    expect(['b', 'a', 'B'].sort(compareStrings)).toEqual(['B', 'a', 'b']);
  });

  it('builds the Status errors kube-apiserver gives for plain and 422 patch errors', () => {
    const plain = unknownError('boom').toStatus();
    expect(plain).toMatchObject({ code: 500, message: 'boom' });
    expect(plain.reason).toBeUndefined();
    const rejected = rejectedPatch('detail');
    expect(rejected.toStatus()).toMatchObject({
      code: 422,
      reason: 'Invalid',
      message: 'the server rejected our request due to an error in our request',
      details: {},
    });
    expect((rejected.cause as Error).message).toBe('detail');
  });
});
