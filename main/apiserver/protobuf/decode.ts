// Decodes `application/vnd.kubernetes.protobuf` request bodies (apimachinery
// runtime/serializer/protobuf: "k8s\0" + runtime.Unknown) into the JSON object the same request
// would have carried as JSON, so the rest of the server only ever sees JSON.
import { parseQuantity } from '../../api/quantity.ts';
import { StatusError, badRequest } from '../../api/status.ts';
import { MESSAGES, messageForKind } from './schema/index.ts';
import type { FieldRow } from './schema/types.ts';

export const PROTOBUF_MEDIA_TYPE = 'application/vnd.kubernetes.protobuf';

/** The 4-byte prefix every Kubernetes protobuf object starts with. */
const MAGIC = [0x6b, 0x38, 0x73, 0x00] as const;

/** Nested objects (RawExtension holding another envelope) deeper than this are refused. */
const MAX_NESTING = 8;

/** time.Time{}.Unix(): the zero Go time, which metav1.Time prints as null. */
const ZERO_TIME_SECONDS = -62135596800;

/** A malformed wire encoding; turned into a 400 that names the kind being decoded. */
class WireError extends Error {}

/** Whether the body starts with the Kubernetes protobuf prefix. */
export function hasProtobufPrefix(body: Uint8Array): boolean {
  return body.length >= MAGIC.length && MAGIC.every((byte, i) => body[i] === byte);
}

/**
 * Decodes one protobuf request body. Throws StatusError 400 for a malformed body and 415 for a
 * kind Skiff has no protobuf table for (the client should send JSON for that kind).
 */
export function decodeKubernetesProtobuf(body: Uint8Array): unknown {
  return decodeObject(body, 0);
}

interface Envelope {
  apiVersion: string;
  kind: string;
  raw: Uint8Array;
  contentEncoding: string;
  contentType: string;
}

function decodeObject(body: Uint8Array, depth: number): Record<string, unknown> {
  if (!hasProtobufPrefix(body)) {
    throw badRequest(
      'the object provided is unrecognized: provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]',
    );
  }
  let envelope: Envelope;
  try {
    envelope = readEnvelope(body.subarray(MAGIC.length));
  } catch (err) {
    if (err instanceof WireError) {
      throw badRequest(
        `the object provided is unrecognized: malformed protobuf envelope: ${err.message}`,
      );
    }
    throw err;
  }
  const { apiVersion, kind } = envelope;
  if (kind === '') {
    throw badRequest("Object 'Kind' is missing in the protobuf envelope");
  }
  if (envelope.contentEncoding !== '') {
    throw unsupported(
      `content encoding "${envelope.contentEncoding}" is not supported for ${kind}`,
    );
  }
  const version = apiVersion.slice(apiVersion.indexOf('/') + 1);
  const cannotHandle = (detail: string) =>
    badRequest(`${kind} in version "${version}" cannot be handled as a ${kind}: ${detail}`);
  const head: Record<string, unknown> = { kind };
  if (apiVersion !== '') head.apiVersion = apiVersion;

  if (envelope.contentType === 'application/json') {
    // runtime.Unknown may carry JSON; it is the JSON body itself.
    const parsed = parseJson(envelope.raw);
    if (
      parsed === undefined ||
      typeof parsed !== 'object' ||
      parsed === null ||
      Array.isArray(parsed)
    ) {
      throw cannotHandle('the embedded JSON is not an object');
    }
    return { ...head, ...(parsed as Record<string, unknown>) };
  }
  if (envelope.contentType !== '' && envelope.contentType !== PROTOBUF_MEDIA_TYPE) {
    throw unsupported(
      `embedded content type "${envelope.contentType}" is not supported for ${kind}`,
    );
  }
  const message = messageForKind(apiVersion, kind);
  if (!message) {
    throw unsupported(
      `protobuf is not supported for ${apiVersion || '<no apiVersion>'}, Kind=${kind}`,
    );
  }
  try {
    return { ...head, ...decodeMessage(envelope.raw, message, '', depth) };
  } catch (err) {
    if (err instanceof WireError) throw cannotHandle(err.message);
    throw err;
  }
}

function unsupported(detail: string): StatusError {
  return new StatusError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml (${detail})`,
  );
}

/** runtime.Unknown{1 typeMeta{1 apiVersion, 2 kind}, 2 raw, 3 contentEncoding, 4 contentType}. */
function readEnvelope(data: Uint8Array): Envelope {
  const envelope: Envelope = {
    apiVersion: '',
    kind: '',
    raw: new Uint8Array(0),
    contentEncoding: '',
    contentType: '',
  };
  const reader = new Reader(data);
  while (!reader.done()) {
    const [num, wire] = reader.tag();
    if (num < 1 || num > 4) {
      reader.skip(wire);
      continue;
    }
    if (wire !== 2) throw new WireError(`wrong wireType = ${wire} for field ${num}`);
    const value = reader.bytes();
    if (num === 1) {
      const meta = new Reader(value);
      while (!meta.done()) {
        const [field, metaWire] = meta.tag();
        if (field !== 1 && field !== 2) {
          meta.skip(metaWire);
          continue;
        }
        if (metaWire !== 2) throw new WireError(`wrong wireType = ${metaWire} for typeMeta field`);
        if (field === 1) envelope.apiVersion = utf8(meta.bytes());
        else envelope.kind = utf8(meta.bytes());
      }
    } else if (num === 2) envelope.raw = value;
    else if (num === 3) envelope.contentEncoding = utf8(value);
    else envelope.contentType = utf8(value);
  }
  return envelope;
}

/** What one message's fields collected while reading, before printing in Go field order. */
interface Collected {
  scalars: Map<number, unknown>;
  chunks: Map<number, Uint8Array[]>;
  lists: Map<number, unknown[]>;
  maps: Map<number, Record<string, unknown>>;
}

const fieldIndex = new Map<string, Map<number, FieldRow>>();

function fieldsOf(message: string): Map<number, FieldRow> {
  let index = fieldIndex.get(message);
  if (!index) {
    const rows = MESSAGES[message];
    if (!rows) throw new Error(`protobuf schema has no message ${message}`);
    index = new Map(rows.map((row) => [row[0], row]));
    fieldIndex.set(message, index);
  }
  return index;
}

function isVarintType(type: string): boolean {
  return type === 'int32' || type === 'int64' || type === 'bool';
}

function entryOf<V>(map: Map<number, V>, num: number, create: () => V): V {
  let value = map.get(num);
  if (value === undefined) {
    value = create();
    map.set(num, value);
  }
  return value;
}

function decodeMessage(
  data: Uint8Array,
  message: string,
  path: string,
  depth: number,
): Record<string, unknown> {
  const fields = fieldsOf(message);
  const got: Collected = {
    scalars: new Map(),
    chunks: new Map(),
    lists: new Map(),
    maps: new Map(),
  };
  const reader = new Reader(data);
  while (!reader.done()) {
    const [num, wire] = reader.tag();
    const row = fields.get(num);
    if (!row) {
      reader.skip(wire);
      continue;
    }
    const [, json, type, flags] = row;
    const where = fieldPath(path, json, type);
    if (flags.includes('m')) {
      if (wire !== 2) throw wrongWire(wire, where);
      const entries = entryOf(got.maps, num, () => ({}));
      const [key, value] = readMapEntry(reader.bytes(), type, where, depth);
      // an own property even for "__proto__", as JSON.parse would make it
      Object.defineProperty(entries, key, {
        value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else if (flags.includes('r')) {
      const items = entryOf(got.lists, num, () => []);
      const at = `${where}[${items.length}]`;
      if (isVarintType(type) && wire === 2) {
        // packed encoding of a repeated number
        const packed = new Reader(reader.bytes());
        while (!packed.done()) items.push(scalarFromVarint(packed.varint(), type));
      } else if (isVarintType(type)) {
        if (wire !== 0) throw wrongWire(wire, at);
        items.push(scalarFromVarint(reader.varint(), type));
      } else {
        if (wire !== 2) throw wrongWire(wire, at);
        items.push(decodeValue(reader.bytes(), type, at, depth));
      }
    } else if (isVarintType(type)) {
      if (wire !== 0) throw wrongWire(wire, where);
      got.scalars.set(num, scalarFromVarint(reader.varint(), type));
    } else if (type === 'string' || type === 'bytes') {
      if (wire !== 2) throw wrongWire(wire, where);
      got.scalars.set(num, decodeValue(reader.bytes(), type, where, depth));
    } else {
      // an embedded message: repeated occurrences merge, which decoding the concatenation does
      if (wire !== 2) throw wrongWire(wire, where);
      entryOf(got.chunks, num, () => []).push(reader.bytes());
    }
  }
  return render(message, got, path, depth);
}

/** Prints the collected fields the way encoding/json prints the Go struct. */
function render(
  message: string,
  got: Collected,
  path: string,
  depth: number,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [num, json, type, flags] of MESSAGES[message]) {
    // omitzero acts like omitempty except on structs, where it omits the zero value
    const omitZero = flags.includes('z');
    const omitEmpty = flags.includes('o') || omitZero;
    if (flags.includes('i')) {
      Object.assign(out, decodeMessage(joinChunks(got.chunks.get(num)), type, path, depth));
      continue;
    }
    if (flags.includes('r')) {
      const items = got.lists.get(num);
      if (items && items.length > 0) out[json] = items;
      else if (!omitEmpty) out[json] = null;
      continue;
    }
    if (flags.includes('m')) {
      const entries = got.maps.get(num);
      if (entries && Object.keys(entries).length > 0) out[json] = entries;
      else if (!omitEmpty) out[json] = null;
      continue;
    }
    const where = fieldPath(path, json, type);
    const isScalar = isVarintType(type) || type === 'string' || type === 'bytes';
    const present = isScalar ? got.scalars.has(num) : got.chunks.has(num);
    if (flags.includes('p') || type === 'bytes') {
      // pointers (and []byte, a slice) print when set, even when zero; unset is null or omitted
      if (!present) {
        if (!omitEmpty) out[json] = null;
      } else if (isScalar) {
        const value = got.scalars.get(num);
        if (!(type === 'bytes' && omitEmpty && value === '')) out[json] = value;
      } else {
        out[json] = decodeValue(joinChunks(got.chunks.get(num)), type, where, depth);
      }
      continue;
    }
    if (isScalar) {
      const value = present ? got.scalars.get(num) : zeroOf(type);
      if (!(omitEmpty && value === zeroOf(type))) out[json] = value;
      continue;
    }
    // a non-pointer struct always prints, even when empty, unless omitzero drops its zero value
    const value = decodeValue(joinChunks(got.chunks.get(num)), type, where, depth);
    if (omitZero && isZeroStruct(value, type, where, depth)) continue;
    out[json] = value;
  }
  return out;
}

/** Whether a decoded struct is its type's zero value (metav1.Time's IsZero: unset → null). */
function isZeroStruct(value: unknown, type: string, path: string, depth: number): boolean {
  if (value === null) return true;
  const zero = decodeValue(new Uint8Array(0), type, path, depth);
  return JSON.stringify(value) === JSON.stringify(zero);
}

function zeroOf(type: string): string | number | boolean {
  if (type === 'bool') return false;
  if (type === 'string') return '';
  return 0;
}

function joinChunks(chunks: Uint8Array[] | undefined): Uint8Array {
  if (!chunks || chunks.length === 0) return new Uint8Array(0);
  if (chunks.length === 1) return chunks[0];
  const size = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
  const joined = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    joined.set(chunk, offset);
    offset += chunk.length;
  }
  return joined;
}

/** A length-delimited value of any non-varint type. */
function decodeValue(data: Uint8Array, type: string, path: string, depth: number): unknown {
  switch (type) {
    case 'string':
      return utf8(data);
    case 'bytes':
      return base64(data);
    case 'Time':
      return decodeTime(data, path, false);
    case 'MicroTime':
      return decodeTime(data, path, true);
    case 'Duration':
      return decodeDuration(data, path);
    case 'Quantity':
      return decodeQuantity(data, path);
    case 'IntOrString':
      return decodeIntOrString(data, path);
    case 'RawExtension':
      return decodeRawExtension(data, path, depth);
    case 'FieldsV1':
      return decodeFieldsV1(data, path);
    case 'StringList':
      return decodeStringList(data, path);
    default:
      return decodeMessage(data, type, path, depth);
  }
}

/** A map<string, V> entry: {1 key, 2 value}; a missing value is V's zero value. */
function readMapEntry(
  data: Uint8Array,
  type: string,
  path: string,
  depth: number,
): [string, unknown] {
  const reader = new Reader(data);
  let key = '';
  let value: Uint8Array | undefined;
  while (!reader.done()) {
    const [num, wire] = reader.tag();
    if (num !== 1 && num !== 2) {
      reader.skip(wire);
      continue;
    }
    if (wire !== 2) throw wrongWire(wire, `${path} map entry`);
    if (num === 1) key = utf8(reader.bytes());
    else value = reader.bytes();
  }
  const at = `${path}[${JSON.stringify(key)}]`;
  if (value === undefined) {
    if (type === 'string' || type === 'bytes') return [key, ''];
    if (type === 'StringList') return [key, null];
  }
  return [key, decodeValue(value ?? new Uint8Array(0), type, at, depth)];
}

function scalarFromVarint(value: number | bigint, type: string): number | boolean {
  if (type === 'bool') return value !== 0 && value !== 0n;
  if (type === 'int32') {
    return typeof value === 'bigint' ? Number(BigInt.asIntN(32, value)) : value | 0;
  }
  return typeof value === 'bigint' ? Number(BigInt.asIntN(64, value)) : value;
}

/** Reads the varint fields of a small fixed message such as Timestamp or IntOrString. */
function readSmallMessage(
  data: Uint8Array,
  path: string,
  layout: Record<number, 'varint' | 'string'>,
): Map<number, number | bigint | string> {
  const values = new Map<number, number | bigint | string>();
  const reader = new Reader(data);
  while (!reader.done()) {
    const [num, wire] = reader.tag();
    const want = layout[num];
    if (want === undefined) {
      reader.skip(wire);
      continue;
    }
    if (want === 'varint') {
      if (wire !== 0) throw wrongWire(wire, path);
      values.set(num, reader.varint());
    } else {
      if (wire !== 2) throw wrongWire(wire, path);
      values.set(num, utf8(reader.bytes()));
    }
  }
  return values;
}

function int64Of(value: number | bigint | string | undefined): bigint {
  if (value === undefined || typeof value === 'string') return 0n;
  return BigInt.asIntN(64, BigInt(value));
}

/** metav1.Time (seconds only, as its Unmarshal keeps) and MicroTime (microseconds). */
function decodeTime(data: Uint8Array, path: string, micro: boolean): string | null {
  if (data.length === 0) return null;
  const fields = readSmallMessage(data, path, { 1: 'varint', 2: 'varint' });
  let seconds = Number(int64Of(fields.get(1)));
  let micros = micro ? Math.trunc(Number(BigInt.asIntN(32, int64Of(fields.get(2)))) / 1000) : 0;
  if (micros < 0 || micros >= 1_000_000) {
    seconds += Math.floor(micros / 1_000_000);
    micros -= Math.floor(micros / 1_000_000) * 1_000_000;
  }
  if (seconds === ZERO_TIME_SECONDS && micros === 0) return null;
  const date = new Date(seconds * 1000);
  if (Number.isNaN(date.getTime())) throw new WireError(`${path}: time out of range`);
  const year = date.getUTCFullYear();
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  const text =
    `${year < 0 ? '-' : ''}${pad(Math.abs(year), 4)}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}` +
    `T${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}`;
  if (!micro) return `${text}Z`;
  return `${text}.${pad(micros, 6)}Z`;
}

/** metav1.Duration {1 duration int64 ns} → time.Duration.String(). */
function decodeDuration(data: Uint8Array, path: string): string {
  const fields = readSmallMessage(data, path, { 1: 'varint' });
  return formatGoDuration(int64Of(fields.get(1)));
}

/** time.Duration.String(): "1h2m3.5s", "1.5ms", "250µs", "0s". */
export function formatGoDuration(nanoseconds: bigint): string {
  if (nanoseconds === 0n) return '0s';
  const negative = nanoseconds < 0n;
  let u = negative ? -nanoseconds : nanoseconds;
  let text: string;
  if (u < 1_000_000_000n) {
    const [unit, digits] = u < 1_000n ? ['ns', 0] : u < 1_000_000n ? ['µs', 3] : ['ms', 6];
    text = `${fraction(u, digits)}${unit}`;
  } else {
    const seconds = u / 1_000_000_000n;
    const secondsText = fraction(u % 60_000_000_000n, 9);
    u = seconds / 60n;
    if (u === 0n) text = `${secondsText}s`;
    else if (u / 60n === 0n) text = `${u % 60n}m${secondsText}s`;
    else text = `${u / 60n}h${u % 60n}m${secondsText}s`;
  }
  return negative ? `-${text}` : text;
}

/** value / 10^digits without trailing zeros (and without the point when whole). */
function fraction(value: bigint, digits: number): string {
  if (digits === 0) return value.toString();
  const scale = 10n ** BigInt(digits);
  const whole = value / scale;
  const rest = (value % scale).toString().padStart(digits, '0').replace(/0+$/, '');
  return rest ? `${whole}.${rest}` : whole.toString();
}

/** resource.Quantity {1 string}; an unset quantity is zero, "0". */
function decodeQuantity(data: Uint8Array, path: string): string {
  if (data.length === 0) return '0';
  const fields = readSmallMessage(data, path, { 1: 'string' });
  const text = fields.get(1);
  if (typeof text !== 'string') return '0';
  // Quantity.Unmarshal calls ParseQuantity and returns its error as is.
  const parsed = parseQuantity(text);
  if (typeof parsed === 'string') throw new WireError(`${path}: ${parsed}`);
  return text;
}

/** intstr.IntOrString {1 type (0 int, 1 string), 2 intVal, 3 strVal}. */
function decodeIntOrString(data: Uint8Array, path: string): number | string {
  const fields = readSmallMessage(data, path, { 1: 'varint', 2: 'varint', 3: 'string' });
  const type = int64Of(fields.get(1));
  if (type === 1n) return (fields.get(3) as string | undefined) ?? '';
  if (type !== 0n) throw new WireError(`${path}: impossible IntOrString.Type ${type}`);
  return Number(BigInt.asIntN(32, int64Of(fields.get(2))));
}

/** runtime.RawExtension {1 raw}: JSON bytes, or a nested protobuf object. */
function decodeRawExtension(data: Uint8Array, path: string, depth: number): unknown {
  const raw = readRawBytes(data, path);
  if (raw === undefined) return null;
  if (hasProtobufPrefix(raw)) {
    if (depth >= MAX_NESTING) throw new WireError(`${path}: objects nested too deeply`);
    return decodeObject(raw, depth + 1);
  }
  const parsed = parseJson(raw);
  if (parsed === undefined)
    throw new WireError(`${path}: embedded object is neither JSON nor protobuf`);
  return parsed;
}

/** metav1.FieldsV1 {1 Raw}: the managed-fields set, JSON. */
function decodeFieldsV1(data: Uint8Array, path: string): unknown {
  const raw = readRawBytes(data, path);
  if (raw === undefined) return null;
  const parsed = parseJson(raw);
  if (parsed === undefined) throw new WireError(`${path}: fieldsV1 is not valid JSON`);
  return parsed;
}

function readRawBytes(data: Uint8Array, path: string): Uint8Array | undefined {
  let raw: Uint8Array | undefined;
  const reader = new Reader(data);
  while (!reader.done()) {
    const [num, wire] = reader.tag();
    if (num !== 1) {
      reader.skip(wire);
      continue;
    }
    if (wire !== 2) throw wrongWire(wire, path);
    raw = reader.bytes();
  }
  return raw;
}

/** authentication's ExtraValue ([]string as the message {1 items}). */
function decodeStringList(data: Uint8Array, path: string): string[] | null {
  const items: string[] = [];
  const reader = new Reader(data);
  while (!reader.done()) {
    const [num, wire] = reader.tag();
    if (num !== 1) {
      reader.skip(wire);
      continue;
    }
    if (wire !== 2) throw wrongWire(wire, path);
    items.push(utf8(reader.bytes()));
  }
  return items.length > 0 ? items : null;
}

function parseJson(data: Uint8Array): unknown {
  try {
    return JSON.parse(utf8(data)) as unknown;
  } catch {
    return undefined;
  }
}

function fieldPath(parent: string, json: string, type: string): string {
  const name = json || type;
  return parent ? `${parent}.${name}` : name;
}

function wrongWire(wire: number, path: string): WireError {
  return new WireError(`proto: wrong wireType = ${wire} for field ${path}`);
}

// Invalid UTF-8 becomes U+FFFD, as Go's JSON encoder prints it.
const textDecoder = new TextDecoder('utf-8');

function utf8(data: Uint8Array): string {
  return textDecoder.decode(data);
}

const BASE64 = new TextEncoder().encode(
  'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/',
);
const PAD = 0x3d; // '='

/** Standard padded base64, as encoding/json prints []byte. */
function base64(data: Uint8Array): string {
  const out = new Uint8Array(Math.ceil(data.length / 3) * 4);
  let o = 0;
  let i = 0;
  for (; i + 2 < data.length; i += 3) {
    const n = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
    out[o++] = BASE64[n >> 18];
    out[o++] = BASE64[(n >> 12) & 63];
    out[o++] = BASE64[(n >> 6) & 63];
    out[o++] = BASE64[n & 63];
  }
  const rest = data.length - i;
  if (rest > 0) {
    const n = (data[i] << 16) | (rest === 2 ? data[i + 1] << 8 : 0);
    out[o++] = BASE64[n >> 18];
    out[o++] = BASE64[(n >> 12) & 63];
    out[o++] = rest === 2 ? BASE64[(n >> 6) & 63] : PAD;
    out[o] = PAD;
  }
  return textDecoder.decode(out);
}

/** Protobuf wire reader over one message's bytes. */
class Reader {
  private pos = 0;

  constructor(private readonly buf: Uint8Array) {}

  done(): boolean {
    return this.pos >= this.buf.length;
  }

  /** [field number, wire type] */
  tag(): [number, number] {
    const key = this.varint();
    if (typeof key === 'bigint' || key > 0xffffffff) throw new WireError('proto: illegal tag');
    const num = Math.floor(key / 8);
    const wire = key % 8;
    if (num === 0) throw new WireError(`proto: illegal tag 0 (wire type ${wire})`);
    return [num, wire];
  }

  /** A varint as a number while it fits exactly (up to 49 bits), else as a 64-bit bigint. */
  varint(): number | bigint {
    const start = this.pos;
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 7; i++) {
      const byte = this.byte();
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 128;
    }
    this.pos = start;
    let big = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      const byte = this.byte();
      big |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return BigInt.asUintN(64, big);
    }
    throw new WireError('proto: integer overflow');
  }

  bytes(): Uint8Array {
    const length = this.varint();
    if (typeof length === 'bigint' || length > this.buf.length - this.pos) {
      throw new WireError('unexpected EOF');
    }
    const out = this.buf.subarray(this.pos, this.pos + length);
    this.pos += length;
    return out;
  }

  skip(wire: number): void {
    switch (wire) {
      case 0:
        this.varint();
        return;
      case 1:
        this.advance(8);
        return;
      case 2:
        this.bytes();
        return;
      case 5:
        this.advance(4);
        return;
      case 3: {
        // a (deprecated) group: skip fields up to the matching end-group tag
        for (;;) {
          if (this.done()) throw new WireError('unexpected EOF');
          const [, inner] = this.tag();
          if (inner === 4) return;
          this.skip(inner);
        }
      }
      default:
        throw new WireError(`proto: illegal wireType ${wire}`);
    }
  }

  private advance(count: number): void {
    if (this.buf.length - this.pos < count) throw new WireError('unexpected EOF');
    this.pos += count;
  }

  private byte(): number {
    if (this.pos >= this.buf.length) throw new WireError('unexpected EOF');
    return this.buf[this.pos++];
  }
}
