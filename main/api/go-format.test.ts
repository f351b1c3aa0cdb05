import { describe, expect, it } from 'vitest';
import {
  compareStrings,
  formatFieldValue,
  goFloat,
  goJSON,
  goNumber,
  goQuote,
  goString,
  goTypeName,
  goValue,
} from './go-format.ts';

describe('goQuote (strconv.Quote)', () => {
  it('escapes like Go: short escapes, \\x below space, \\u for other unprintable runes', () => {
    expect(goQuote('plain')).toBe('"plain"');
    expect(goQuote('a"b\\c\n\x01')).toBe('"a\\"b\\\\c\\n\\x01"');
    expect(goQuote('\x07\b\f\r\t\v\x7f')).toBe('"\\a\\b\\f\\r\\t\\v\\x7f"');
    // C1 controls are valid runes, so Go writes \u0080, not \x80 (that is for invalid bytes).
    expect(goQuote('tab\there\u0080')).toBe('"tab\\there\\u0080"');
    expect(goQuote('nb\u00a0sp\u200b\u2028')).toBe('"nb\\u00a0sp\\u200b\\u2028"');
    expect(goQuote('é ü 日本 😀')).toBe('"é ü 日本 😀"');
    expect(goQuote('\u{e0001}')).toBe('"\\U000e0001"');
    expect(goQuote('lone\ud800')).toBe('"lone\ufffd"');
  });
});

describe('fmt %v and %s', () => {
  it('prints float64 like fmt %v', () => {
    expect(goFloat(1.5)).toBe('1.5');
    expect(goFloat(123456.5)).toBe('123456.5');
    expect(goFloat(1000000)).toBe('1e+06');
    expect(goFloat(1234567.5)).toBe('1.2345675e+06');
    expect(goFloat(0.0001)).toBe('0.0001');
    expect(goFloat(0.00001)).toBe('1e-05');
    expect(goFloat(-2.5e-7)).toBe('-2.5e-07');
    expect(goFloat(-0)).toBe('-0');
    expect(goFloat(Infinity)).toBe('+Inf');
  });

  it('prints JSON integers as int64 and other numbers as float64', () => {
    expect(goNumber(1000000)).toBe('1000000');
    expect(goNumber(80)).toBe('80');
    expect(goNumber(0.5)).toBe('0.5');
    expect(goNumber(1234567.5)).toBe('1.2345675e+06');
    expect(goNumber(0.00001)).toBe('1e-05');
  });

  it('prints decoded JSON like fmt %v, with sorted map keys', () => {
    expect(goValue({ b: [1, 'x', true], a: null, c: { d: 1.5 } })).toBe(
      'map[a:<nil> b:[1 x true] c:map[d:1.5]]',
    );
    expect(goString('delete')).toBe('delete');
    expect(goString(3)).toBe('%!s(int64=3)');
    expect(goString(null)).toBe('%!s(<nil>)');
    expect(goTypeName([])).toBe('[]interface {}');
    expect(goTypeName({})).toBe('map[string]interface {}');
    expect(goTypeName(1.5)).toBe('float64');
    expect(goTypeName(2)).toBe('int64');
  });
});

describe('encoding/json', () => {
  it('sorts map keys and escapes HTML characters', () => {
    expect(goJSON({ z: '<&>', a: [1, null], m: 'é\u2028' })).toBe(
      '{"a":[1,null],"m":"é\\u2028","z":"\\u003c\\u0026\\u003e"}',
    );
  });

  it('keeps struct field order, leaves out undefined members and writes bigints', () => {
    expect(goJSON({ z: 1, a: undefined, b: 2n }, 'ordered')).toBe('{"z":1,"b":2}');
    expect(goJSON([undefined, 'x'])).toBe('[null,"x"]');
    expect(goJSON('\ud800')).toBe('"\\ufffd"');
  });
});

describe('formatFieldValue (field.Error bad values)', () => {
  it('quotes strings, prints scalars with %v and the rest as JSON', () => {
    expect(formatFieldValue('a"b')).toBe('"a\\"b"');
    expect(formatFieldValue(true)).toBe('true');
    expect(formatFieldValue(1000000)).toBe('1000000');
    expect(formatFieldValue(2500000.5)).toBe('2.5000005e+06');
    expect(formatFieldValue(5n)).toBe('5');
    expect(formatFieldValue(null)).toBe('null');
    expect(formatFieldValue(undefined)).toBe('null');
    expect(formatFieldValue({ a: [1] })).toBe('{"a":[1]}');
    expect(formatFieldValue({ b: 1, a: '<' })).toBe('{"b":1,"a":"\\u003c"}');
    expect(formatFieldValue({ b: 1, a: 2 }, 'sorted')).toBe('{"a":2,"b":1}');
  });
});

describe('compareStrings', () => {
  it('orders strings by code point, as Go compares bytes', () => {
    // U+FF01 sorts before U+1F600 in UTF-8, unlike in JavaScript's UTF-16 order.
    expect(compareStrings('\uff01', '\u{1f600}')).toBe(-1);
    expect(['b', 'a', 'B'].sort(compareStrings)).toEqual(['B', 'a', 'b']);
    expect(compareStrings('ab', 'a')).toBe(1);
    expect(compareStrings('x', 'x')).toBe(0);
  });
});
