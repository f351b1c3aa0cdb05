// The schema facts the patch engines need about each field (strategic merge patch tags, server-side
// apply list/map semantics), for built-in kinds (Go struct tags, builtin-schema-table.ts) and for
// custom resources (a CRD's openAPIV3Schema) — what apimachinery's LookupPatchMeta and
// structured-merge-diff's schema (built by kube-openapi's schemaconv) provide in kube-apiserver.
import type { JsonValue } from '../../api/types.ts';
import { isPlainObject } from '../../api/types.ts';
import { BUILTIN_KINDS, BUILTIN_TYPES } from './builtin-schema-table.ts';

/** How a list merges under server-side apply (x-kubernetes-list-type; default atomic). */
export type ListType =
  | { readonly type: 'atomic' }
  | { readonly type: 'set' }
  | { readonly type: 'map'; readonly keys: readonly string[] };

/** Where a value sits in an object, and how to treat it. Nodes describe a field in its parent. */
export interface PatchSchema {
  /** The declared field `name` of an object with named fields (a struct), if any. */
  field(name: string): PatchSchema | undefined;
  /** Schema of list elements, or of the values under the keys of a map (keys are elements). */
  items(): PatchSchema | undefined;
  /** Server-side apply: list semantics. */
  listType(): ListType;
  /** Server-side apply: an atomic object is owned and replaced as one value. */
  mapType(): 'atomic' | 'granular';
  /** Strategic merge patch: the field's patchStrategy, split on ',' (empty when none). */
  patchStrategy(): readonly string[];
  /** Strategic merge patch: the field's patchMergeKey. */
  patchMergeKey(): string | undefined;
  /**
   * What kube-apiserver's Go types serialise for this field when it is unset: {} for a
   * non-pointer struct, null for a list or map without omitempty; undefined when it is omitted.
   */
  zeroValue(): JsonValue | undefined;
  /** Default value of the field (used for missing list map keys, e.g. protocol "TCP"). */
  defaultValue(): JsonValue | undefined;
}

const ATOMIC: ListType = { type: 'atomic' };
const SET: ListType = { type: 'set' };
const NONE: readonly string[] = [];

/** An object field nothing is known about: its keys are fields, its lists atomic. */
export const DEFAULT_FIELD_SCHEMA: PatchSchema = {
  field: () => DEFAULT_FIELD_SCHEMA,
  items: () => DEFAULT_FIELD_SCHEMA,
  listType: () => ATOMIC,
  mapType: () => 'granular',
  patchStrategy: () => NONE,
  patchMergeKey: () => undefined,
  zeroValue: () => undefined,
  defaultValue: () => undefined,
};

/** Free-form JSON (structured-merge-diff's "deduced" type): map keys are elements, lists atomic. */
export const UNTYPED_SCHEMA: PatchSchema = {
  field: () => undefined,
  items: () => UNTYPED_SCHEMA,
  listType: () => ATOMIC,
  mapType: () => 'granular',
  patchStrategy: () => NONE,
  patchMergeKey: () => undefined,
  zeroValue: () => undefined,
  defaultValue: () => undefined,
};

/** The schema of `parent[key]`, and whether `key` is a declared field rather than a map element. */
export function childSchema(
  parent: PatchSchema,
  key: string,
): { schema: PatchSchema; declared: boolean } {
  const field = parent.field(key);
  if (field) return { schema: field, declared: true };
  const items = parent.items();
  if (items) return { schema: items, declared: false };
  return { schema: DEFAULT_FIELD_SCHEMA, declared: true };
}

/** The schema of a list's elements. */
export function elementSchema(list: PatchSchema): PatchSchema {
  return list.items() ?? DEFAULT_FIELD_SCHEMA;
}

// ---------------------------------------------------------------------------------------------
// Built-in kinds

interface FieldSpec {
  shape: 'S' | 's' | 'l' | 'L' | 'm' | 'M' | 'x' | 'v';
  type?: string;
  atomic: boolean;
  list?: ListType;
  strategy: readonly string[];
  mergeKey?: string;
}

function parseSpec(spec: string): FieldSpec {
  const [head, ...flags] = spec.split(' ');
  const [shape, type] = head.split(':') as [FieldSpec['shape'], string | undefined];
  const out: FieldSpec = { shape, type: type || undefined, atomic: false, strategy: NONE };
  for (const flag of flags) {
    if (flag === 'atomic') out.atomic = true;
    else if (flag === 'set') out.list = SET;
    else if (flag.startsWith('map=')) out.list = { type: 'map', keys: flag.slice(4).split(',') };
    else if (flag.startsWith('smp=')) out.strategy = flag.slice(4).split(',');
    else if (flag.startsWith('key=')) out.mergeKey = flag.slice(4);
  }
  if ((shape === 'l' || shape === 'L') && !out.list) out.list = ATOMIC;
  return out;
}

class TableSchema implements PatchSchema {
  private readonly children = new Map<string, PatchSchema>();
  private itemNode: PatchSchema | undefined;

  constructor(
    private readonly spec: FieldSpec,
    private readonly fieldDefault?: JsonValue,
  ) {}

  field(name: string): PatchSchema | undefined {
    const { shape, type } = this.spec;
    if (shape !== 'S' && shape !== 's') return undefined;
    const cached = this.children.get(name);
    if (cached) return cached;
    const facts = type ? BUILTIN_TYPES[type] : undefined;
    const fieldSpec = facts?.fields?.[name];
    const fieldDefault = facts?.defaults?.[name];
    let node: PatchSchema = DEFAULT_FIELD_SCHEMA;
    if (fieldSpec) node = new TableSchema(parseSpec(fieldSpec), fieldDefault);
    else if (fieldDefault !== undefined) node = new TableSchema(parseSpec('v'), fieldDefault);
    this.children.set(name, node);
    return node;
  }

  items(): PatchSchema | undefined {
    const { shape, type } = this.spec;
    if (shape === 'x') return UNTYPED_SCHEMA;
    if (shape !== 'l' && shape !== 'L' && shape !== 'm' && shape !== 'M') return undefined;
    if (!type) return DEFAULT_FIELD_SCHEMA;
    this.itemNode ??= new TableSchema({ shape: 's', type, atomic: false, strategy: NONE });
    return this.itemNode;
  }

  listType(): ListType {
    return this.spec.list ?? ATOMIC;
  }

  mapType(): 'atomic' | 'granular' {
    if (this.spec.atomic) return 'atomic';
    const { shape, type } = this.spec;
    if ((shape === 'S' || shape === 's') && type && BUILTIN_TYPES[type]?.atomic) return 'atomic';
    return 'granular';
  }

  patchStrategy(): readonly string[] {
    return this.spec.strategy;
  }

  patchMergeKey(): string | undefined {
    return this.spec.mergeKey;
  }

  zeroValue(): JsonValue | undefined {
    const { shape } = this.spec;
    if (shape === 'S') return {};
    return shape === 'L' || shape === 'M' ? null : undefined;
  }

  defaultValue(): JsonValue | undefined {
    return this.fieldDefault;
  }
}

const kindRoots = new Map<string, PatchSchema>();

/** Schema of a built-in kind (`group` "" for core), or undefined when the kind is not built in. */
export function builtinPatchSchema(
  group: string,
  version: string,
  kind: string,
): PatchSchema | undefined {
  const gvk = `${group ? `${group}/` : ''}${version}/${kind}`;
  let root = kindRoots.get(gvk);
  if (!root) {
    const type = BUILTIN_KINDS[gvk];
    if (!type) return undefined;
    root = new TableSchema({ shape: 'S', type, atomic: false, strategy: NONE });
    kindRoots.set(gvk, root);
  }
  return root;
}

const objectMeta = new TableSchema(parseSpec('S:meta/v1.ObjectMeta'));

/** ObjectMeta (ownerReferences keyed by uid, finalizers a set, …), as every kind has it. */
export function objectMetaSchema(): PatchSchema {
  return objectMeta;
}

// ---------------------------------------------------------------------------------------------
// Custom resources: a CRD version's openAPIV3Schema (structural schema). CRDs have no strategic
// merge patch, so only the server-side apply facts are read.

class OpenAPISchema implements PatchSchema {
  private readonly children = new Map<string, PatchSchema | undefined>();

  constructor(
    private readonly node: Record<string, unknown>,
    private readonly root = false,
  ) {}

  field(name: string): PatchSchema | undefined {
    if (this.children.has(name)) return this.children.get(name);
    let out: PatchSchema | undefined;
    const properties = this.node.properties;
    const embedded = this.root || this.node['x-kubernetes-embedded-resource'] === true;
    if (embedded && name === 'metadata') out = objectMeta;
    else if (isPlainObject(properties) && isPlainObject(properties[name])) {
      out = new OpenAPISchema(properties[name]);
    } else if (embedded && (name === 'apiVersion' || name === 'kind')) {
      out = DEFAULT_FIELD_SCHEMA;
    }
    this.children.set(name, out);
    return out;
  }

  items(): PatchSchema | undefined {
    const { node } = this;
    if (node.type === 'array' || node.items !== undefined) {
      return isPlainObject(node.items) ? new OpenAPISchema(node.items) : UNTYPED_SCHEMA;
    }
    const additional = node.additionalProperties;
    if (isPlainObject(additional)) return new OpenAPISchema(additional);
    if (additional === true || node['x-kubernetes-preserve-unknown-fields'] === true) {
      return UNTYPED_SCHEMA;
    }
    // An object without properties is free-form (kube-openapi's schemaconv does the same).
    return isPlainObject(node.properties) ? undefined : UNTYPED_SCHEMA;
  }

  listType(): ListType {
    const type = this.node['x-kubernetes-list-type'];
    if (type === 'set') return SET;
    if (type === 'map') {
      const keys = this.node['x-kubernetes-list-map-keys'];
      return {
        type: 'map',
        keys: Array.isArray(keys) ? keys.filter((k): k is string => typeof k === 'string') : [],
      };
    }
    return ATOMIC;
  }

  mapType(): 'atomic' | 'granular' {
    return this.node['x-kubernetes-map-type'] === 'atomic' ? 'atomic' : 'granular';
  }

  patchStrategy(): readonly string[] {
    return NONE;
  }

  patchMergeKey(): string | undefined {
    return undefined;
  }

  zeroValue(): JsonValue | undefined {
    return undefined;
  }

  defaultValue(): JsonValue | undefined {
    return this.node.default as JsonValue | undefined;
  }
}

/** Schema of a custom resource from its CRD version's `schema.openAPIV3Schema`. */
export function schemaFromOpenAPI(openAPIV3Schema: unknown): PatchSchema {
  return new OpenAPISchema(isPlainObject(openAPIV3Schema) ? openAPIV3Schema : {}, true);
}
