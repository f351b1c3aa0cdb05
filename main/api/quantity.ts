// resource.Quantity (apimachinery pkg/api/resource): parsing with Go's errors, exact comparison and
// sums, and the canonical string kube-apiserver writes back and prints ("1024Mi" → "1Gi", "0.5" →
// "500m"), with BigInt arithmetic. Runtime-free: validation, admission, printers and decoders share it.
import { goValue } from './go-format.ts';

export type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

export interface Quantity {
  /** -1, 0 or 1. */
  sign: number;
  /** Magnitude = mant × 10^scale. */
  mant: bigint;
  scale: number;
  format: QuantityFormat;
  /** The original text when it was already canonical (Go keeps it verbatim). */
  text?: string;
}

export const ERR_FORMAT_WRONG =
  "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
export const ERR_NUMERIC = 'unable to parse numeric part of quantity';
export const ERR_SUFFIX = "unable to parse quantity's suffix";

const decimalSuffixes: Record<string, number> = {
  n: -9,
  u: -6,
  m: -3,
  '': 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};
const binarySuffixes: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const MAX_INT64 = (1n << 63n) - 1n;
const NANO = -9;

interface Parts {
  positive: boolean;
  value: string;
  num: string;
  denom: string;
  suffix: string;
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

/** parseQuantityString, including its tolerance of "1." and leading zeros. */
function splitQuantity(str: string): Parts | undefined {
  let positive = true;
  let pos = 0;
  const end = str.length;
  if (str[0] === '-') {
    positive = false;
    pos++;
  } else if (str[0] === '+') {
    pos++;
  }
  while (pos < end && str[pos] === '0') pos++;
  if (pos >= end) return { positive, value: '0', num: '0', denom: '', suffix: '' };
  let i = pos;
  while (i < end && isDigit(str[i])) i++;
  let num = str.slice(pos, i);
  if (i >= end) return { positive, value: str, num, denom: '', suffix: '' };
  pos = i;
  if (num.length === 0) num = '0';
  let denom = '';
  if (str[pos] === '.') {
    pos++;
    i = pos;
    while (i < end && isDigit(str[i])) i++;
    denom = str.slice(pos, i);
    if (i >= end) return { positive, value: str, num, denom, suffix: '' };
    pos = i;
  }
  const value = str.slice(0, pos);
  const suffixStart = pos;
  i = pos;
  while (i < end && 'eEinumkKMGTP'.includes(str[i])) i++;
  if (i >= end) return { positive, value, num, denom, suffix: str.slice(suffixStart) };
  pos = i;
  if (str[pos] === '-' || str[pos] === '+') pos++;
  for (i = pos; i < end; i++) if (!isDigit(str[i])) return undefined;
  return { positive, value, num, denom, suffix: str.slice(suffixStart) };
}

function interpretSuffix(
  suffix: string,
): { base: 10 | 2; exponent: number; format: QuantityFormat } | undefined {
  if (suffix in decimalSuffixes) {
    return { base: 10, exponent: decimalSuffixes[suffix], format: 'DecimalSI' };
  }
  if (suffix in binarySuffixes) {
    return { base: 2, exponent: binarySuffixes[suffix], format: 'BinarySI' };
  }
  if (suffix.length > 1 && (suffix[0] === 'e' || suffix[0] === 'E')) {
    const rest = suffix.slice(1);
    if (!/^[+-]?[0-9]+$/.test(rest)) return undefined;
    const exponent = Number(rest);
    if (!Number.isSafeInteger(exponent)) return undefined;
    return { base: 10, exponent, format: 'DecimalExponent' };
  }
  return undefined;
}

/** ParseQuantity: a Quantity, or the error message Go's parser gives. */
export function parseQuantity(input: string | number): Quantity | string {
  const str = typeof input === 'number' ? String(input) : input.trim();
  if (str.length === 0) return ERR_FORMAT_WRONG;
  if (str === '0') return { sign: 0, mant: 0n, scale: 0, format: 'DecimalSI', text: '0' };
  const parts = splitQuantity(str);
  if (!parts) return ERR_FORMAT_WRONG;
  const suffix = interpretSuffix(parts.suffix);
  if (!suffix) return ERR_SUFFIX;
  const { base, exponent } = suffix;
  let { format } = suffix;

  // Go's fast path: an int64 at a scale of at least nano. Only it may keep the original text.
  let precision: number;
  if (base === 10) precision = 18 - (parts.num.length + parts.denom.length);
  else if (exponent >= 0 && parts.denom.length === 0) {
    precision = 15 - parts.num.length - Math.trunc((exponent * 3) / 10) - 1;
  } else precision = -1;
  if (precision >= 0) {
    const scale = (base === 10 ? exponent : 0) - parts.denom.length;
    if (scale >= NANO) {
      const shifted = parts.num + parts.denom;
      const value = BigInt(shifted);
      const result = base === 2 ? value << BigInt(exponent) : value;
      if (result <= MAX_INT64) {
        const sign = result === 0n ? 0 : parts.positive ? 1 : -1;
        const q: Quantity = { sign, mant: result, scale, format };
        const canonical =
          base === 2
            ? exponent % 10 === 0 && (value & 7n) !== 0n
            : scale % 3 === 0 && !shifted.endsWith('000') && shifted[0] !== '0';
        if (canonical) q.text = str;
        return q;
      }
    }
  }

  // Slow path (inf.Dec): exact value, rounded up to nano, binary values capped at int64.
  const digits = parts.num + parts.denom;
  if (!/^[0-9]+$/.test(digits)) return ERR_NUMERIC;
  let mant = BigInt(digits);
  let scale = -parts.denom.length;
  if (base === 10) scale += exponent;
  else mant <<= BigInt(exponent);
  if (mant !== 0n && scale < NANO) {
    const factor = 10n ** BigInt(NANO - scale);
    mant = (mant + factor - 1n) / factor;
    scale = NANO;
  }
  let q: Quantity = { sign: mant === 0n ? 0 : parts.positive ? 1 : -1, mant, scale, format };
  if (format === 'BinarySI' && compareMagnitude(q, fromBig(MAX_INT64)) > 0) {
    q = { ...q, mant: MAX_INT64, scale: 0 };
  }
  if (format === 'BinarySI' && q.sign !== 0 && compareMagnitude(q, fromBig(1n)) < 0) {
    format = 'DecimalSI';
  }
  return { ...q, format };
}

function fromBig(v: bigint): Quantity {
  return { sign: v === 0n ? 0 : 1, mant: v, scale: 0, format: 'DecimalSI' };
}

function compareMagnitude(a: Quantity, b: Quantity): number {
  const s = Math.min(a.scale, b.scale);
  const x = a.mant * 10n ** BigInt(a.scale - s);
  const y = b.mant * 10n ** BigInt(b.scale - s);
  return x === y ? 0 : x < y ? -1 : 1;
}

/** Add: the exact sum, in the format of `a` (of `b` when `a` is zero); the kept text is dropped. */
export function addQuantities(a: Quantity, b: Quantity): Quantity {
  const scale = Math.min(a.scale, b.scale);
  const x = BigInt(a.sign) * a.mant * 10n ** BigInt(a.scale - scale);
  const y = BigInt(b.sign) * b.mant * 10n ** BigInt(b.scale - scale);
  const sum = x + y;
  return {
    sign: sum === 0n ? 0 : sum < 0n ? -1 : 1,
    mant: sum < 0n ? -sum : sum,
    scale,
    format: a.sign === 0 ? b.format : a.format,
  };
}

/** Cmp: -1, 0 or 1. */
export function compareQuantities(a: Quantity, b: Quantity): number {
  if (a.sign !== b.sign) return a.sign < b.sign ? -1 : 1;
  if (a.sign === 0) return 0;
  return a.sign * compareMagnitude(a, b);
}

export function isZero(q: Quantity): boolean {
  return q.sign === 0;
}

/** Value(): rounded up (away from zero) to an integer. */
export function quantityValue(q: Quantity): bigint {
  return scaledValue(q, 0);
}

/** MilliValue(). */
export function quantityMilliValue(q: Quantity): bigint {
  return scaledValue(q, -3);
}

function scaledValue(q: Quantity, scale: number): bigint {
  let m = q.mant;
  if (q.scale >= scale) m *= 10n ** BigInt(q.scale - scale);
  else {
    const f = 10n ** BigInt(scale - q.scale);
    m = (m + f - 1n) / f;
  }
  return q.sign < 0 ? -m : m;
}

/** RoundUp(scale): Go drops the kept text only when rounding is needed. */
export function roundUpQuantity(q: Quantity, scale: number): Quantity {
  if (q.scale >= scale) return q;
  const f = 10n ** BigInt(scale - q.scale);
  const mant = (q.mant + f - 1n) / f;
  return { sign: q.sign, mant, scale, format: q.format };
}

const decimalSuffixByExponent = new Map(
  Object.entries(decimalSuffixes).map(([s, e]) => [e, s] as const),
);
const binarySuffixByExponent = new Map(
  Object.entries(binarySuffixes).map(([s, e]) => [e, s] as const),
);

/** Quantity.String(): the kept text, else CanonicalizeBytes. */
export function formatQuantity(q: Quantity): string {
  if (q.text !== undefined) return q.text;
  if (q.sign === 0) return '0';
  const neg = q.sign < 0 ? '-' : '';
  let format = q.format;
  if (format === 'BinarySI') {
    const magnitude1024 = compareMagnitude(q, fromBig(1024n));
    if (magnitude1024 < 0) format = 'DecimalSI';
    else if (q.scale < 0 && q.mant % 10n ** BigInt(-q.scale) !== 0n) format = 'DecimalSI';
  }
  if (format === 'BinarySI') {
    let v = q.scale >= 0 ? q.mant * 10n ** BigInt(q.scale) : q.mant / 10n ** BigInt(-q.scale);
    let e = 0;
    while (v !== 0n && v % 1024n === 0n) {
      v /= 1024n;
      e += 10;
    }
    return `${neg}${v}${binarySuffixByExponent.get(e) ?? ''}`;
  }
  let m = q.mant;
  let e = q.scale;
  while (m % 10n === 0n) {
    m /= 10n;
    e++;
  }
  while (e % 3 !== 0) {
    m *= 10n;
    e--;
  }
  const suffix =
    format === 'DecimalExponent'
      ? e === 0
        ? ''
        : `e${e}`
      : (decimalSuffixByExponent.get(e) ?? '');
  return `${neg}${m}${suffix}`;
}

/** The string kube-apiserver stores for a quantity value, or undefined if it does not parse. */
export function canonicalQuantity(v: unknown, roundToMilli = false): string | undefined {
  if (typeof v !== 'string' && typeof v !== 'number') return undefined;
  const q = parseQuantity(v);
  if (typeof q === 'string') return undefined;
  return formatQuantity(roundToMilli ? roundUpQuantity(q, -3) : q);
}

/** Parses a JSON quantity value; undefined for absent values, a message for bad ones. */
export function readQuantity(v: unknown): Quantity | string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' && typeof v !== 'number') return ERR_FORMAT_WRONG;
  return parseQuantity(v);
}

/** The zero value of resource.Quantity. */
export const ZERO_QUANTITY: Readonly<Quantity> = Object.freeze({
  sign: 0,
  mant: 0n,
  scale: 0,
  format: 'DecimalSI',
});

/** A wire value as a Quantity; absent or malformed values count as zero, like a missing entry. */
export function quantityOrZero(v: unknown): Quantity {
  const q = readQuantity(v);
  return q === undefined || typeof q === 'string' ? ZERO_QUANTITY : q;
}

/**
 * Quantity.String() of a wire value, as the printers show capacities and targets. A value that
 * does not parse is shown as given (stored objects were validated); a missing one prints as Go's
 * nil *Quantity does, "<nil>".
 */
export function quantityString(value: unknown): string {
  if (value === undefined || value === null) return '<nil>';
  if (typeof value !== 'string' && typeof value !== 'number') return goValue(value);
  const q = parseQuantity(value);
  return typeof q === 'string' ? String(value) : formatQuantity(q);
}
