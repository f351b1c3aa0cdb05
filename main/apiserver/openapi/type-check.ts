// Decoding type errors for built-in kinds: a value of the wrong JSON type fails kube-apiserver's
// decoder before anything else runs (`json: cannot unmarshal string into Go struct field
// DeploymentSpec.spec.replicas of type int32`), answered with 400. The schemas give the types.
import type { Definitions, Schema } from './schema.ts';
import { referencedDefinition, resolveSchema } from './schema.ts';

export interface TypeMismatch {
  /** JSON path from the object root, as Go prints it (`spec.template.spec.containers`). */
  path: string;
  /** The Go struct owning the field (`DeploymentSpec`). */
  struct: string;
  /** Go's name of the JSON value kind found (`string`, `number`, `object`, `array`, `bool`). */
  found: string;
  /** The Go type expected (`int32`, `string`, `[]v1.Container`, `map[string]string`, `v1.PodSpec`). */
  expected: string;
}

function goJsonKind(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'boolean') return 'bool';
  return typeof value; // string, number, object
}

function shortTypeName(definition: string): string {
  const parts = definition.split('.');
  const kind = parts[parts.length - 1];
  const version = parts[parts.length - 2] ?? '';
  return /^v\d/.test(version) ? `${version}.${kind}` : kind;
}

function goTypeOf(schema: Schema, definitions: Definitions): string {
  const ref = referencedDefinition(schema);
  if (ref) {
    if (ref.endsWith('.Quantity')) return 'resource.Quantity';
    if (ref.endsWith('.IntOrString')) return 'intstr.IntOrString';
    if (ref.endsWith('.Time') || ref.endsWith('.MicroTime')) return 'v1.Time';
    const target = resolveSchema(schema, definitions);
    if (target.type && target.type !== 'object') return goTypeOf(target, definitions);
    return shortTypeName(ref);
  }
  switch (schema.type) {
    case 'integer':
      return schema.format === 'int32' ? 'int32' : 'int64';
    case 'number':
      return 'float64';
    case 'boolean':
      return 'bool';
    case 'string':
      return schema.format === 'byte' ? '[]uint8' : 'string';
    case 'array':
      return `[]${schema.items ? goTypeOf(schema.items, definitions) : 'interface {}'}`;
    case 'object':
      if (schema.additionalProperties && typeof schema.additionalProperties === 'object') {
        return `map[string]${goTypeOf(schema.additionalProperties, definitions)}`;
      }
      return 'map[string]interface {}';
    default:
      return 'interface {}';
  }
}

/** Does a JSON value decode into this schema's type (at this level only)? */
function fits(schema: Schema, value: unknown, definitions: Definitions): boolean {
  if (value === null) return true; // Go decodes null into anything as the zero value
  const resolved = resolveSchema(schema, definitions);
  if (resolved['x-kubernetes-int-or-string']) {
    return typeof value === 'string' || typeof value === 'number';
  }
  // Types with their own UnmarshalJSON (Quantity, JSONSchemaPropsOrArray/OrBool/OrStringArray)
  // take any of their alternatives.
  const alternatives = resolved.oneOf ?? resolved.anyOf;
  if (alternatives)
    return alternatives.some((alternative) => fits(alternative, value, definitions));
  if (resolved['x-kubernetes-preserve-unknown-fields'] && !resolved.type) return true;
  switch (resolved.type) {
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'number':
      return typeof value === 'number';
    case 'boolean':
      return typeof value === 'boolean';
    case 'string':
      // Quantities are strings that also accept numbers.
      return (
        typeof value === 'string' ||
        (referencedDefinition(schema)?.endsWith('.Quantity') === true && typeof value === 'number')
      );
    case 'array':
      return Array.isArray(value);
    case 'object':
      return typeof value === 'object' && !Array.isArray(value);
    default:
      return resolved.properties ? typeof value === 'object' && !Array.isArray(value) : true;
  }
}

/** The first value (in document order) whose JSON type the schema rejects, as Go's decoder reports it. */
export function findTypeMismatch(
  rootDefinition: string,
  object: unknown,
  definitions: Definitions,
): TypeMismatch | undefined {
  const visit = (
    schema: Schema,
    value: unknown,
    path: string,
    struct: string,
  ): TypeMismatch | undefined => {
    if (value === null || value === undefined) return undefined;
    const resolved = resolveSchema(schema, definitions);
    if (resolved['x-kubernetes-preserve-unknown-fields']) return undefined;
    if (resolved.type === 'array' && Array.isArray(value) && resolved.items) {
      for (const item of value) {
        const found = check(resolved.items, item, path, struct);
        if (found) return found;
      }
      return undefined;
    }
    if (typeof value !== 'object' || Array.isArray(value)) return undefined;
    const record = value as Record<string, unknown>;
    if (resolved.properties) {
      const owner = referencedDefinition(schema) ?? struct;
      for (const [key, child] of Object.entries(record)) {
        const childSchema = resolved.properties[key];
        if (!childSchema) continue;
        const found = check(
          childSchema,
          child,
          path ? `${path}.${key}` : key,
          shortTypeName(owner).replace(/^v\d[^.]*\./, ''),
        );
        if (found) return found;
      }
    } else if (resolved.additionalProperties && typeof resolved.additionalProperties === 'object') {
      for (const [key, child] of Object.entries(record)) {
        const found = check(
          resolved.additionalProperties,
          child,
          path ? `${path}.${key}` : key,
          struct,
        );
        if (found) return found;
      }
    }
    return undefined;
  };
  const check = (
    schema: Schema,
    value: unknown,
    path: string,
    struct: string,
  ): TypeMismatch | undefined => {
    if (!fits(schema, value, definitions)) {
      return { path, struct, found: goJsonKind(value), expected: goTypeOf(schema, definitions) };
    }
    return visit(schema, value, path, struct);
  };
  const root = definitions[rootDefinition];
  if (!root) return undefined;
  return visit(
    { $ref: `#/components/schemas/${rootDefinition}` },
    object,
    '',
    rootDefinition.split('.').pop() ?? '',
  );
}
