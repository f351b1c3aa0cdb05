// A minimal protobuf wire writer for the decoder's tests: builds fields by number so a test can
// write exactly the bytes it means (including malformed ones) without a schema.

const encoder = new TextEncoder();

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** A varint; negative numbers are written as 64-bit two's complement, as Go writes int32/int64. */
export function varintBytes(value: number | bigint): Uint8Array {
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  do {
    const byte = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v > 0n ? byte | 0x80 : byte);
  } while (v > 0n);
  return new Uint8Array(out);
}

function tag(num: number, wire: number): Uint8Array {
  return varintBytes(num * 8 + wire);
}

export function varint(num: number, value: number | bigint | boolean): Uint8Array {
  return concat(tag(num, 0), varintBytes(typeof value === 'boolean' ? Number(value) : value));
}

export function bytes(num: number, value: Uint8Array | string): Uint8Array {
  const data = typeof value === 'string' ? encoder.encode(value) : value;
  return concat(tag(num, 2), varintBytes(data.length), data);
}

/** An embedded message from its already-encoded fields. */
export function msg(num: number, ...fields: Uint8Array[]): Uint8Array {
  return bytes(num, concat(...fields));
}

export function fixed32(num: number): Uint8Array {
  return concat(tag(num, 5), new Uint8Array(4));
}

export function fixed64(num: number): Uint8Array {
  return concat(tag(num, 1), new Uint8Array(8));
}

export function group(num: number, ...fields: Uint8Array[]): Uint8Array {
  return concat(tag(num, 3), ...fields, tag(num, 4));
}

/** A packed repeated varint field. */
export function packed(num: number, values: (number | bigint)[]): Uint8Array {
  return bytes(num, concat(...values.map((v) => varintBytes(v))));
}

/** metav1.Time / MicroTime as protobuf Timestamp{seconds, nanos}. */
export function timestamp(num: number, seconds: number, nanos = 0): Uint8Array {
  return msg(num, varint(1, seconds), ...(nanos ? [varint(2, nanos)] : []));
}

/** A whole request body: "k8s\0" + runtime.Unknown{typeMeta, raw, contentEncoding, contentType}. */
export function envelope(
  apiVersion: string,
  kind: string,
  raw: Uint8Array,
  options: { contentEncoding?: string; contentType?: string } = {},
): Uint8Array {
  return concat(
    new Uint8Array([0x6b, 0x38, 0x73, 0x00]),
    msg(1, bytes(1, apiVersion), bytes(2, kind)),
    bytes(2, raw),
    bytes(3, options.contentEncoding ?? ''),
    bytes(4, options.contentType ?? ''),
  );
}

export function fromHex(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}
