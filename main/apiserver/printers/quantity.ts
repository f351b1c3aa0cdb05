// Canonical resource.Quantity strings (apimachinery pkg/api/resource/quantity.go), as the
// printers show capacities, quota usage and HPA targets: "1Gi", "1536Mi", "500m", "1G".

type Format = 'BinarySI' | 'DecimalSI' | 'DecimalExponent';

const BINARY_SUFFIXES: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const DECIMAL_SUFFIXES: Record<string, number> = {
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
const DECIMAL_BY_EXPONENT = new Map(Object.entries(DECIMAL_SUFFIXES).map(([s, e]) => [e, s]));
const BINARY_BY_EXPONENT = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];

const NANO = 10n ** 9n;

interface Parsed {
  negative: boolean;
  /** Magnitude in units of 10^-9, rounded up as ParseQuantity rounds to nano precision. */
  nanos: bigint;
  format: Format;
}

const QUANTITY_RE = /^([+-]?)([0-9]*)(?:\.([0-9]*))?(.*)$/;

function parse(input: string): Parsed | undefined {
  const m = QUANTITY_RE.exec(input.trim());
  if (!m) return undefined;
  const [, sign, whole, frac = '', suffix] = m;
  if (whole.length === 0 && frac.length === 0) return undefined;
  let format: Format;
  let base10Exp = 0;
  let base2Exp = 0;
  if (Object.prototype.hasOwnProperty.call(BINARY_SUFFIXES, suffix)) {
    format = 'BinarySI';
    base2Exp = BINARY_SUFFIXES[suffix];
  } else if (Object.prototype.hasOwnProperty.call(DECIMAL_SUFFIXES, suffix)) {
    format = 'DecimalSI';
    base10Exp = DECIMAL_SUFFIXES[suffix];
  } else if (/^[eE][+-]?[0-9]+$/.test(suffix)) {
    format = 'DecimalExponent';
    base10Exp = Number(suffix.slice(1));
  } else {
    return undefined;
  }
  // value = digits * 10^(base10Exp - frac.length) * 2^base2Exp, as an exact fraction.
  let numerator = BigInt(`${whole}${frac}` || '0') * 2n ** BigInt(base2Exp) * NANO;
  let denominator = 1n;
  const exp10 = base10Exp - frac.length;
  if (exp10 >= 0) numerator *= 10n ** BigInt(exp10);
  else denominator = 10n ** BigInt(-exp10);
  let nanos = numerator / denominator;
  if (nanos * denominator !== numerator) nanos += 1n; // round the magnitude up
  // Fractional binary quantities below one unit are shown as decimal.
  if (format === 'BinarySI' && nanos < NANO && nanos > 0n) format = 'DecimalSI';
  return { negative: sign === '-', nanos, format };
}

function removeFactors(value: bigint, base: bigint): { value: bigint; times: number } {
  let times = 0;
  while (value !== 0n && value % base === 0n) {
    value /= base;
    times++;
  }
  return { value, times };
}

/**
 * Quantity.String() of a wire value: canonical number and suffix. Non-quantities are returned
 * as given (a stored object has been validated already); a missing value prints as Go's nil
 * *Quantity does, "<nil>".
 */
export function formatQuantity(value: unknown): string {
  if (value === undefined || value === null) return '<nil>';
  if (typeof value === 'number') value = String(value);
  if (typeof value !== 'string') return String(value);
  const q = parse(value);
  if (!q) return value;
  if (q.nanos === 0n) return '0';
  const sign = q.negative ? '-' : '';
  let format = q.format;
  if (format === 'BinarySI' && (q.nanos < 1024n * NANO || q.nanos % NANO !== 0n)) {
    format = 'DecimalSI';
  }
  if (format === 'BinarySI') {
    const { value: amount, times } = removeFactors(q.nanos / NANO, 1024n);
    if (times < BINARY_BY_EXPONENT.length) return `${sign}${amount}${BINARY_BY_EXPONENT[times]}`;
    const capped = q.nanos / NANO / 1024n ** 6n;
    return `${sign}${capped}Ei`;
  }
  // Decimal: strip trailing zeros, then lower the exponent to a multiple of 3.
  const stripped = removeFactors(q.nanos, 10n);
  let amount = stripped.value;
  let exponent = -9 + stripped.times;
  const rem = ((exponent % 3) + 3) % 3;
  if (rem !== 0) {
    amount *= 10n ** BigInt(rem);
    exponent -= rem;
  }
  let suffix: string;
  if (exponent === 0) suffix = '';
  else if (format === 'DecimalSI' && DECIMAL_BY_EXPONENT.has(exponent)) {
    suffix = DECIMAL_BY_EXPONENT.get(exponent) as string;
  } else suffix = `e${exponent}`;
  return `${sign}${amount}${suffix}`;
}
