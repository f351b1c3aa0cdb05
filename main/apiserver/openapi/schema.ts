// The OpenAPI v3 schema object as Skiff uses it (OpenAPI 3.0 Schema plus the x-kubernetes-*
// extensions of kube-openapi and apiextensions-apiserver), and helpers to follow `$ref`s.
// Runtime-free: shared by the generator, the document builder and the validators.

import type { JsonValue } from '../../api/types.ts';

export interface Schema {
  type?: string;
  format?: string;
  description?: string;
  title?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  additionalProperties?: Schema | boolean;
  $ref?: string;
  allOf?: Schema[];
  anyOf?: Schema[];
  oneOf?: Schema[];
  not?: Schema;
  enum?: JsonValue[];
  default?: JsonValue;
  example?: JsonValue;
  nullable?: boolean;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  exclusiveMaximum?: boolean;
  multipleOf?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  minProperties?: number;
  maxProperties?: number;
  'x-kubernetes-group-version-kind'?: GroupVersionKind[];
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  'x-kubernetes-patch-strategy'?: string;
  'x-kubernetes-patch-merge-key'?: string;
  'x-kubernetes-list-type'?: string;
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: string;
  [extension: string]: unknown;
}

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

/** definition name (`io.k8s.api.apps.v1.Deployment`) → schema, as in definitions.json. */
export type Definitions = Record<string, Schema>;

export const REF_PREFIX = '#/components/schemas/';

export function refTo(definitionName: string): string {
  return REF_PREFIX + definitionName;
}

/** The definition name a `$ref` points to, or undefined for a foreign reference. */
export function refName(ref: string): string | undefined {
  return ref.startsWith(REF_PREFIX) ? ref.slice(REF_PREFIX.length) : undefined;
}

/**
 * Follows `$ref` and the single-`allOf` wrapper kube-openapi puts around references that carry a
 * description, until a schema with its own content is reached.
 */
export function resolveSchema(schema: Schema, definitions: Definitions): Schema {
  let current = schema;
  for (let hops = 0; hops < 64; hops++) {
    if (current.$ref) {
      const name = refName(current.$ref);
      const target = name === undefined ? undefined : definitions[name];
      if (!target) return {};
      current = target;
    } else if (current.allOf?.length === 1 && !current.properties && !current.type) {
      current = current.allOf[0];
    } else {
      return current;
    }
  }
  return current;
}

/** The definition name a (possibly allOf-wrapped) reference names, if it is one. */
export function referencedDefinition(schema: Schema): string | undefined {
  if (schema.$ref) return refName(schema.$ref);
  if (schema.allOf?.length === 1 && !schema.properties && !schema.type) {
    return referencedDefinition(schema.allOf[0]);
  }
  return undefined;
}

/** Every definition name referenced anywhere inside `schema` (not transitively). */
export function collectRefs(schema: unknown, into: Set<string>): void {
  if (Array.isArray(schema)) {
    for (const item of schema) collectRefs(item, into);
    return;
  }
  if (typeof schema !== 'object' || schema === null) return;
  for (const [key, value] of Object.entries(schema)) {
    if (key === '$ref' && typeof value === 'string') {
      const name = refName(value);
      if (name !== undefined) into.add(name);
    } else if (key !== 'enum' && key !== 'default' && key !== 'example') {
      collectRefs(value, into);
    }
  }
}

/** The definitions reachable from `roots` through `$ref`s, roots included, in sorted order. */
export function reachableDefinitions(roots: Iterable<string>, definitions: Definitions): string[] {
  const seen = new Set<string>();
  const queue = [...roots];
  while (queue.length > 0) {
    const name = queue.pop() as string;
    if (seen.has(name) || !definitions[name]) continue;
    seen.add(name);
    const refs = new Set<string>();
    collectRefs(definitions[name], refs);
    for (const ref of refs) if (!seen.has(ref)) queue.push(ref);
  }
  return [...seen].sort();
}
