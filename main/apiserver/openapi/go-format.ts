// Go's value formatting as it shows in kube-apiserver messages (strconv.Quote, fmt %v of int64 and
// float64, field.Error's bad-value rendering), so Skiff's validation messages read the same.

/** strconv.Quote: JSON-style escaping plus \x.. for C1 controls. */
export function goQuote(s: string): string {
  return JSON.stringify(s).replace(/[\u007f-\u009f]/g, (c) => {
    return `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
  });
}

/** fmt's %v of a float64: shortest digits, exponent form below 1e-4 or from 1e6 up (1e+06). */
export function goFloat(n: number): string {
  if (!Number.isFinite(n)) return Number.isNaN(n) ? 'NaN' : n > 0 ? '+Inf' : '-Inf';
  if (n === 0) return Object.is(n, -0) ? '-0' : '0';
  const [mantissa, expText] = n.toExponential().split('e');
  const exp = Number(expText);
  // %v is %g with the shortest precision, which switches to %e for exp < -4 || exp >= 6.
  if (exp < -4 || exp >= 6) {
    const sign = exp < 0 ? '-' : '+';
    return `${mantissa}e${sign}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  return String(n);
}

/** %v of a JSON number as the apiserver decoded it: int64 when integral, float64 otherwise. */
export function goNumber(n: number): string {
  return Number.isInteger(n) && Math.abs(n) < 2 ** 63 ? BigInt(n).toString() : goFloat(n);
}

/** How field.Error prints a bad value: %v for numbers and booleans, %q for strings, else JSON. */
export function goValue(value: unknown): string {
  if (typeof value === 'string') return goQuote(value);
  if (typeof value === 'number') return goNumber(value);
  if (typeof value === 'boolean') return String(value);
  if (value === undefined) return 'null';
  return JSON.stringify(value);
}
