import { describe, it, expect } from 'vitest';
import {
  canonicalQuantity,
  compareQuantities,
  ERR_FORMAT_WRONG,
  ERR_SUFFIX,
  formatQuantity,
  parseQuantity,
  quantityMilliValue,
  type Quantity,
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
});
