// Go's formatting of values as kube-apiserver's messages and encodings show them: strconv.Quote
// (%q), fmt's %v, reflect type names, encoding/json output and field.Error's bad-value rendering.
// Clients print these texts verbatim, so every module formats Go values through this one.

const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;
const PLAIN_ASCII = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space. */
function isPrint(ch: string): boolean {
  return ch === ' ' || PRINTABLE.test(ch);
}

/** strconv.Quote / fmt %q: Go escapes, `\x..` below space, `\u....` for other unprintables. */
export function goQuote(s: string): string {
  if (PLAIN_ASCII.test(s)) return `"${s}"`;
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (c < 0x80 && c >= 0x20 && c !== 0x7f) out += ch;
    else if (ch === '\x07') out += '\\a';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\v') out += '\\v';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    // A lone surrogate cannot reach Go: its JSON decoder turns one into U+FFFD, a printable rune.
    else if (c >= 0xd800 && c <= 0xdfff) out += '\ufffd';
    else if (isPrint(ch)) out += ch;
    else if (c < 0x10000) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += `\\U${c.toString(16).padStart(8, '0')}`;
  }
  return `${out}"`;
}

/** fmt %v of a float64: shortest digits, %e when the exponent is < -4 or >= 6 (1e+06). */
export function goFloat(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n > 0 ? '+Inf' : '-Inf';
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

/** fmt %v of a JSON number as kube-apiserver decodes it: int64 when integral, float64 otherwise. */
export function goNumber(n: number): string {
  return Number.isInteger(n) && Math.abs(n) < 2 ** 63 ? BigInt(n).toString() : goFloat(n);
}

/** fmt %v of a decoded JSON value: `map[a:1 b:[x y]]`, `<nil>`. */
export function goValue(value: unknown): string {
  if (value === null || value === undefined) return '<nil>';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return goNumber(value);
  if (typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (Array.isArray(value)) return `[${value.map(goValue).join(' ')}]`;
  const map = value as Record<string, unknown>;
  const keys = Object.keys(map).sort(compareStrings);
  return `map[${keys.map((k) => `${k}:${goValue(map[k])}`).join(' ')}]`;
}

/** fmt %s of a value: strings as they are, anything else in Go's %!s(type=value) form. */
export function goString(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return '%!s(<nil>)';
  return `%!s(${goTypeName(value)}=${goValue(value)})`;
}

/** reflect.TypeOf(v).String() for decoded JSON. */
export function goTypeName(value: unknown): string {
  if (value === null || value === undefined) return '<nil>';
  if (typeof value === 'string') return 'string';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'bigint') return 'int64';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int64' : 'float64';
  if (Array.isArray(value)) return '[]interface {}';
  return 'map[string]interface {}';
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

/**
 * encoding/json.Marshal. Objects are Go maps, whose keys it sorts, unless `keys` is 'ordered':
 * then they stand for Go structs, whose fields it writes in declaration (here insertion) order.
 * Undefined members are left out, as `omitempty` would; bigints are int64s.
 */
export function goJSON(value: unknown, keys: 'sorted' | 'ordered' = 'sorted'): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return goJSONString(value);
  if (typeof value === 'number' || typeof value === 'boolean') return JSON.stringify(value);
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return `[${value.map((v: unknown) => goJSON(v, keys)).join(',')}]`;
  const map = value as Record<string, unknown>;
  const names = Object.keys(map).filter((k) => map[k] !== undefined);
  if (keys === 'sorted') names.sort(compareStrings);
  return `{${names.map((k) => `${goJSONString(k)}:${goJSON(map[k], keys)}`).join(',')}}`;
}

/**
 * How field.Error prints a bad value: %v for numbers and booleans, %q for strings, `null` for
 * nil, encoding/json for the rest. Objects are structs (fields in order) unless `keys` says
 * 'sorted': pass that for Go maps, such as the values of unstructured custom resources.
 */
export function formatFieldValue(value: unknown, keys: 'sorted' | 'ordered' = 'ordered'): string {
  if (typeof value === 'string') return goQuote(value);
  if (typeof value === 'number') return goNumber(value);
  if (typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value === null || value === undefined) return 'null';
  return goJSON(value, keys);
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
