// Go formatting of decoded JSON, so error messages and encodings built by the patch engines read
// byte for byte like kube-apiserver's (fmt's %v/%q, reflect type names, encoding/json output).
import type { JsonValue } from '../../api/types.ts';
import { StatusError } from '../../api/status.ts';

/** fmt %v of a float64: shortest digits, %e when the exponent is < -4 or >= 6 (strconv's 'g'). */
function goFloat(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n > 0 ? '+Inf' : '-Inf';
  const [mantissa, expText] = n.toExponential().split('e');
  const exp = Number(expText);
  if (exp < -4 || exp >= 6) {
    const sign = exp < 0 ? '-' : '+';
    const digits = String(Math.abs(exp)).padStart(2, '0');
    return `${mantissa}e${sign}${digits}`;
  }
  return String(n);
}

/** fmt %v of a number decoded the way kube-apiserver decodes patches (integers stay int64). */
export function goNumber(n: number): string {
  return Number.isInteger(n) && Math.abs(n) < 2 ** 63 ? BigInt(n).toString() : goFloat(n);
}

/** fmt %v of a decoded JSON value: `map[a:1 b:[x y]]`, `<nil>`. */
export function goValue(value: JsonValue | undefined): string {
  if (value === null || value === undefined) return '<nil>';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return goNumber(value);
  if (typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map(goValue).join(' ')}]`;
  const keys = Object.keys(value).sort(compareStrings);
  return `map[${keys.map((k) => `${k}:${goValue(value[k])}`).join(' ')}]`;
}

/** fmt %s of a value: strings as they are, anything else in Go's %!s(type=value) form. */
export function goString(value: JsonValue | undefined): string {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return '%!s(<nil>)';
  return `%!s(${goTypeName(value)}=${goValue(value)})`;
}

/** reflect.TypeOf(v).String() for decoded JSON. */
export function goTypeName(value: JsonValue | undefined): string {
  if (value === null || value === undefined) return '<nil>';
  if (typeof value === 'string') return 'string';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int64' : 'float64';
  if (Array.isArray(value)) return '[]interface {}';
  return 'map[string]interface {}';
}

/** strconv.Quote / fmt %q. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\x07') out += '\\a';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (ch === '\v') out += '\\v';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** A JSON string as Go's encoding/json writes it (HTML-safe escapes included). */
export function goJSONString(s: string): string {
  // eslint-disable-next-line no-control-regex
  if (!/["\\\u0000-\u001f<>&\u2028\u2029\ud800-\udfff]/.test(s)) return `"${s}"`;
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    const c = s.charCodeAt(i);
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (c < 0x20 || ch === '<' || ch === '>' || ch === '&' || c === 0x2028 || c === 0x2029) {
      out += `\\u${c.toString(16).padStart(4, '0')}`;
    } else if (c >= 0xd800 && c <= 0xdfff) {
      const next = s.charCodeAt(i + 1);
      if (c < 0xdc00 && next >= 0xdc00 && next <= 0xdfff) {
        out += s.slice(i, i + 2);
        i++;
      } else {
        out += '\\ufffd';
      }
    } else out += ch;
  }
  return `${out}"`;
}

/** encoding/json.Marshal of decoded JSON: map keys sorted, HTML-safe strings. */
export function goJSON(value: JsonValue): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return goJSONString(value);
  if (typeof value === 'number' || typeof value === 'boolean') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(goJSON).join(',')}]`;
  const keys = Object.keys(value).sort(compareStrings);
  return `{${keys.map((k) => `${goJSONString(k)}:${goJSON(value[k])}`).join(',')}}`;
}

/** Go's string order (bytes of UTF-8, i.e. code points), not JavaScript's UTF-16 order. */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (astral code points) sort after every BMP code point in UTF-8.
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys) return xs ? 1 : -1;
    return x < y ? -1 : 1;
  }
  return a.length < b.length ? -1 : 1;
}

/**
 * A failure kube-apiserver reports from a plain Go error (responsewriters.ErrorToAPIStatus):
 * code 500 and an empty reason, so kubectl prints `Error from server: <message>`.
 */
export function unknownError(message: string): StatusError {
  return new StatusError(500, '', message);
}

/**
 * errors.NewGenericServerResponse(422, …): what kube-apiserver answers for a JSON patch that
 * does not apply and a few strategic merge patch errors. The client sees only this fixed text;
 * `detail` (the engine's own error) is kept as the error's cause for logs and tests.
 */
export function rejectedPatch(detail: string): StatusError {
  const err = new StatusError(
    422,
    'Invalid',
    'the server rejected our request due to an error in our request',
    {},
  );
  err.cause = new Error(detail);
  return err;
}
