// Row format of Skiff's protobuf field tables: the facts needed to turn a Kubernetes protobuf message
// (gogo proto2, as k8s.io/api's generated code writes it) into the JSON encoding/json would print.

/**
 * Wire-level scalar types. `int32`, `int64` and `bool` travel as varints (wire type 0; repeated ones
 * may also come packed), everything else is length-delimited (wire type 2).
 */
export type ScalarType = 'string' | 'bytes' | 'bool' | 'int32' | 'int64';

/**
 * apimachinery types with their own protobuf message and their own JSON form:
 * - Time / MicroTime: Timestamp{1 seconds int64, 2 nanos int32} → RFC 3339 (micro) string, zero → null
 * - Duration: {1 duration int64 (ns)} → Go duration string ("1h0m0s")
 * - Quantity: {1 string} → the string ("0" when unset)
 * - IntOrString: {1 type int64, 2 intVal int32, 3 strVal string} → number or string
 * - RawExtension: {1 raw bytes} → the embedded JSON (or nested protobuf object), null when unset
 * - FieldsV1: {1 Raw bytes} → the embedded JSON
 * - StringList: {1 items repeated string} → array (authentication's ExtraValue, a map value)
 */
export type SpecialType =
  | 'Time'
  | 'MicroTime'
  | 'Duration'
  | 'Quantity'
  | 'IntOrString'
  | 'RawExtension'
  | 'FieldsV1'
  | 'StringList';

/**
 * One field: [field number, JSON name, type, flags].
 * - JSON name is '' for an inlined (embedded) struct, whose fields appear in the parent object.
 * - type is a ScalarType, a SpecialType or the name of another message ('core.v1.PodSpec').
 * - flags, from the Go field: r = repeated (slice), m = map with string keys (type = value type),
 *   p = pointer (present ⇒ printed even when zero), o = `omitempty`, z = `omitzero` (also drops a
 *   struct's zero value, e.g. an unset metav1.Time), i = `json:",inline"`.
 *   Go prints a non-pointer struct always (omitempty has no effect on structs); an absent slice,
 *   map or pointer without omitempty prints as null.
 */
export type FieldRow = readonly [number: number, json: string, type: string, flags: string];

export type MessageTable = Readonly<Record<string, readonly FieldRow[]>>;
