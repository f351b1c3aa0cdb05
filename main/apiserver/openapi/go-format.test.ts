import { describe, expect, it } from 'vitest';
import { goFloat, goNumber, goQuote, goValue } from './go-format.ts';

describe('Go formatting', () => {
  it('prints float64 like fmt %v', () => {
    expect(goFloat(1.5)).toBe('1.5');
    expect(goFloat(123456.5)).toBe('123456.5');
    expect(goFloat(1000000)).toBe('1e+06');
    expect(goFloat(1234567.5)).toBe('1.2345675e+06');
    expect(goFloat(0.0001)).toBe('0.0001');
    expect(goFloat(0.00001)).toBe('1e-05');
    expect(goFloat(-2.5e-7)).toBe('-2.5e-07');
  });

  it('prints JSON integers as int64 and everything else like field.Error', () => {
    expect(goNumber(1000000)).toBe('1000000');
    expect(goNumber(0.5)).toBe('0.5');
    expect(goValue('a"b')).toBe('"a\\"b"');
    expect(goValue(true)).toBe('true');
    expect(goValue({ a: [1] })).toBe('{"a":[1]}');
    expect(goValue(null)).toBe('null');
    expect(goQuote('tab\there\u0080')).toBe('"tab\\there\\x80"');
  });
});
