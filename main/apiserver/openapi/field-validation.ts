// Server-side field validation for built-in kinds (KEP-2885, fieldValidation=Strict|Warn): finds
// the fields kube-apiserver's strict JSON decoder (sigs.k8s.io/json DisallowUnknownFields) would
// reject, walking the kind's OpenAPI schema instead of Go structs, with the decoder's paths.

import { isPlainObject } from '../../api/types.ts';
import { goQuote } from '../../api/go-format.ts';
import { loadDefinitions } from './definitions.ts';
import { resolveSchema, type Definitions, type Schema } from './schema.ts';

/** The decoder stops collecting after this many (sigs.k8s.io/json saveStrictError). */
const MAX_ERRORS = 100;

const META_FIELDS = new Set(['apiVersion', 'kind', 'metadata']);

/**
 * Paths of the fields in `object` that `schema` does not declare, in document order, e.g.
 * `spec.template.spec.containers[0].imagePullPolicyX` — the path the strict decoder reports.
 * `schema` is a definition name (`io.k8s.api.apps.v1.Deployment`) or a schema object.
 * Follows `$ref`s, arrays and maps; `x-kubernetes-preserve-unknown-fields` subtrees are free-form.
 */
export function findUnknownFields(
  schema: string | Schema,
  object: unknown,
  definitions: Definitions = loadDefinitions(),
): string[] {
  let root: Schema;
  if (typeof schema === 'string') {
    const found = definitions[schema];
    if (!found) throw new Error(`unknown OpenAPI definition ${schema}`);
    root = found;
  } else {
    root = schema;
  }
  const found: string[] = [];
  const seen = new Set<string>();
  const record = (path: string): void => {
    if (found.length < MAX_ERRORS && !seen.has(path)) {
      seen.add(path);
      found.push(path);
    }
  };
  walk(root, object, '', definitions, record, true);
  return found;
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/** For oneOf/anyOf schemas (IntOrString, JSONSchemaPropsOrBool…): the branch that fits `value`. */
function pickBranch(schema: Schema, value: unknown, definitions: Definitions): Schema {
  const branches = schema.oneOf ?? schema.anyOf;
  if (!branches || schema.properties || schema.items || schema.additionalProperties) return schema;
  const type = jsonType(value);
  for (const branch of branches) {
    const resolved = resolveSchema(branch, definitions);
    const want = resolved.type ?? (resolved.properties ? 'object' : undefined);
    if (want === type || (want === 'number' && type === 'integer')) return resolved;
  }
  return schema;
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function walk(
  schemaIn: Schema,
  value: unknown,
  path: string,
  definitions: Definitions,
  record: (path: string) => void,
  isResourceRoot: boolean,
): void {
  if (value === null || value === undefined) return;
  let schema = resolveSchema(schemaIn, definitions);
  if (schema['x-kubernetes-preserve-unknown-fields'] !== true) {
    schema = pickBranch(schema, value, definitions);
  }
  if (schema['x-kubernetes-preserve-unknown-fields'] === true) {
    // Free-form, but declared fields inside still have their schemas.
    if (isPlainObject(value) && schema.properties) {
      for (const [key, child] of Object.entries(value)) {
        const sub = schema.properties[key];
        if (sub) walk(sub, child, join(path, key), definitions, record, false);
      }
    }
    return;
  }
  if (Array.isArray(value)) {
    if (!schema.items) return;
    value.forEach((item, i) => {
      walk(schema.items as Schema, item, `${path}[${i}]`, definitions, record, false);
    });
    return;
  }
  if (!isPlainObject(value)) return;
  const type = schema.type ?? (schema.properties ? 'object' : undefined);
  if (type !== 'object') return; // a type mismatch is the decoder's other error, not ours
  const additional = schema.additionalProperties;
  const embedded = isResourceRoot || schema['x-kubernetes-embedded-resource'] === true;
  for (const [key, child] of Object.entries(value)) {
    const property = schema.properties?.[key];
    if (property) {
      walk(property, child, join(path, key), definitions, record, false);
    } else if (isPlainObject(additional)) {
      walk(additional, child, join(path, key), definitions, record, false);
    } else if (additional === true) {
      continue;
    } else if (!(embedded && META_FIELDS.has(key))) {
      record(join(path, key));
    }
  }
}

/** One decoder error text: `unknown field "spec.foo"` (also the Warn-mode warning text). */
export function unknownFieldMessage(path: string): string {
  return `unknown field ${goQuote(path)}`;
}

/** The 400 message for fieldValidation=Strict: `strict decoding error: unknown field "spec.foo", …`. */
export function strictDecodingMessage(paths: readonly string[]): string {
  return `strict decoding error: ${paths.map(unknownFieldMessage).join(', ')}`;
}
