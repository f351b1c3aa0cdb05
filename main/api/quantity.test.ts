import { describe, it, expect } from 'vitest';
import {
  canonicalQuantity,
  compareQuantities,
  ERR_FORMAT_WRONG,
  ERR_SUFFIX,
  formatQuantity,
  parseQuantity,
  addQuantities,
  quantityMilliValue,
  quantityOrZero,
  type Quantity,
  quantityString,
} from './quantity.ts';

function q(s: string | number): Quantity {
  const r = parseQuantity(s);
  if (typeof r === 'string') throw new Error(r);
  return r;
}

describe('quantities', () => {
  it('writes back the canonical forms kube-apiserver stores', () => {
    const cases: Array<[string | number, string]> = [
      ['1024Mi', '1Gi'],
      ['1.5Gi', '1536Mi'],
      ['0.5', '500m'],
      ['1000m', '1'],
      ['1000', '1k'],
      ['100m', '100m'],
      ['2Gi', '2Gi'],
      ['128Mi', '128Mi'],
      ['1e3', '1e3'],
      [2, '2'],
      [0.25, '250m'],
      ['0', '0'],
      ['500Ki', '500Ki'],
    ];
    for (const [input, out] of cases) expect(formatQuantity(q(input))).toBe(out);
  });

  it('rounds resource lists up to milli', () => {
    expect(canonicalQuantity('0.0001', true)).toBe('1m');
    expect(canonicalQuantity('250m', true)).toBe('250m');
    expect(canonicalQuantity('bogus')).toBeUndefined();
  });

  it('reports Go parser errors', () => {
    expect(parseQuantity('abc')).toBe(ERR_FORMAT_WRONG);
    expect(parseQuantity('12Qi')).toBe(ERR_FORMAT_WRONG);
    expect(parseQuantity('12ki')).toBe(ERR_SUFFIX);
    expect(parseQuantity('')).toBe(ERR_FORMAT_WRONG);
  });

  it('compares exactly across formats', () => {
    expect(compareQuantities(q('1Gi'), q('1024Mi'))).toBe(0);
    expect(compareQuantities(q('500m'), q('1'))).toBe(-1);
    expect(compareQuantities(q('1G'), q('1Gi'))).toBe(-1);
    expect(compareQuantities(q('-1'), q('0'))).toBe(-1);
    expect(quantityMilliValue(q('1.5'))).toBe(1500n);
  });

  it('keeps Go parser quirks: verbatim canonical text, a bare sign is zero, binary capped at int64', () => {
    expect(formatQuantity(q('01'))).toBe('01');
    expect(formatQuantity(q('1.'))).toBe('1.');
    expect(formatQuantity(q('-'))).toBe('0');
    expect(formatQuantity(q('100Ei'))).toBe('9223372036854775807');
  });

  it('adds exactly, keeping the first non-zero format', () => {
    expect(formatQuantity(addQuantities(q('128Mi'), q('128Mi')))).toBe('256Mi');
    expect(formatQuantity(addQuantities(q('500m'), q('1')))).toBe('1500m');
    expect(formatQuantity(addQuantities(q('0'), q('1Gi')))).toBe('1Gi');
    expect(formatQuantity(addQuantities(q('1'), q('-1')))).toBe('0');
    expect(formatQuantity(addQuantities(q('1Gi'), q('1G')))).toBe('2073741824');
  });

  it('reads absent and malformed wire values as zero', () => {
    expect(quantityOrZero(undefined).sign).toBe(0);
    expect(quantityOrZero('bogus').sign).toBe(0);
    expect(formatQuantity(quantityOrZero(' 2Gi '))).toBe('2Gi');
  });
});

describe('quantityString', () => {
  it('prints wire values as the printers show them', () => {
    const cases: [unknown, string][] = [
      ['1Gi', '1Gi'],
      ['1024Mi', '1Gi'],
      ['1.5Gi', '1536Mi'],
      ['0.5Gi', '512Mi'],
      ['2048Ki', '2Mi'],
      ['1000Mi', '1000Mi'],
      ['1Ki', '1Ki'],
      ['0.1Ki', '102400m'],
      ['500m', '500m'],
      ['0.5', '500m'],
      ['1000M', '1G'],
      ['1500M', '1500M'],
      ['512', '512'],
      ['1024', '1024'],
      ['1e3', '1e3'],
      ['1000e3', '1e6'],
      ['0', '0'],
      ['0Gi', '0'],
      ['-1Gi', '-1Gi'],
      ['100n', '100n'],
      [2, '2'],
      [undefined, '<nil>'],
      ['not-a-quantity', 'not-a-quantity'],
    ];
    for (const [input, expected] of cases)
      expect(quantityString(input), String(input)).toBe(expected);
  });
});
