// The /openapi/v2 document, in the gnostic protobuf form clients ask for
// (application/com.github.proto-openapi.spec.v2@v1.0+protobuf). kubectl only reaches it for
// kinds missing from /openapi/v3 — unknown kinds — so an empty document (no paths, no
// definitions) is enough: validation then gives way to kubectl's own "no matches for kind".
/** Response type kube-openapi answers with (the '@' form clients send cannot be parsed back by Go's mime). */
export const OPENAPI_V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return out;
}

/** A length-delimited field (wire type 2). */
function field(number: number, bytes: Uint8Array | number[]): number[] {
  return [...varint((number << 3) | 2), ...varint(bytes.length), ...bytes];
}

function text(value: string): number[] {
  return [...new TextEncoder().encode(value)];
}

/** openapi.v2.Document { swagger = 1; info = 2 { title = 1; version = 2 }; paths = 8 }. */
export function emptyOpenApiV2Document(version: string): Uint8Array {
  const info = [...field(1, text('Kubernetes')), ...field(2, text(version))];
  return new Uint8Array([...field(1, text('2.0')), ...field(2, info), ...field(8, [])]);
}
