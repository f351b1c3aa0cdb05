// The /openapi/v3 endpoints (kube-apiserver's OpenAPI v3 service, k8s.io/kube-openapi handler3):
// the index of group/versions with content hashes, and one OpenAPI 3.0 document per group/version
// whose paths declare each kind's operations (kubectl checks PATCH for `fieldValidation`) and whose
// components.schemas hold the kinds' schemas (kubectl explain, strategic merge patch metadata).

import { createHash } from 'node:crypto';
import { definitionForKind } from './definitions.ts';
import {
  reachableDefinitions,
  refTo,
  type Definitions,
  type GroupVersionKind,
  type Schema,
} from './schema.ts';

/** One resource the API server serves, as its registry knows it. */
export interface ServedResource {
  group: string;
  version: string;
  kind: string;
  /** The resource name in URLs: `deployments`. */
  plural: string;
  namespaced: boolean;
  /** `status`, `scale`, `log`, `exec`, … */
  subresources?: string[];
  /** Verbs served (`get`, `list`, `watch`, `create`, `update`, `patch`, `delete`, `deletecollection`); all when absent. */
  verbs?: string[];
}

export interface OpenAPIIndex {
  paths: Record<string, { serverRelativeURL: string }>;
}

export interface Parameter {
  name: string;
  in: 'query' | 'path';
  description: string;
  required?: boolean;
  schema: Schema;
  uniqueItems?: boolean;
}

export interface Operation {
  tags: string[];
  description: string;
  operationId: string;
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: Schema }>; required: boolean };
  responses: Record<string, { description: string; content?: Record<string, { schema: Schema }> }>;
  'x-kubernetes-action': string;
  'x-kubernetes-group-version-kind': GroupVersionKind;
}

export type Method = 'get' | 'put' | 'post' | 'delete' | 'patch';
export type PathItem = { parameters?: Parameter[] } & Partial<Record<Method, Operation>>;

export interface OpenAPIDocument {
  openapi: '3.0.0';
  info: { title: string; version: string };
  paths: Record<string, PathItem>;
  components: { schemas: Record<string, Schema> };
}

/** An HTTP answer for the API server to send as is. */
export interface OpenAPIResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1.';
const STATUS = `${META}Status`;
const DELETE_OPTIONS = `${META}DeleteOptions`;
const PATCH = `${META}Patch`;
const SERVER_VERSION = 'v1.35.0';

/** `api/v1` for the core group, `apis/<group>/<version>` otherwise. */
export function groupVersionPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

/** The definition name kube-apiserver gives a custom resource: reversed group, version, kind. */
export function customResourceDefinitionName(group: string, version: string, kind: string): string {
  return `${group.split('.').reverse().join('.')}.${version}.${kind}`;
}

function upperFirst(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** Group part of operation ids and tags: `Core`, `Apps`, `RbacAuthorization`, `NetworkingK8sIo`… */
function groupWords(group: string): string[] {
  if (!group) return ['core'];
  const trimmed = group.replace(/\.k8s\.io$/, '').replace(/\.apiserver$/, '');
  return trimmed.split(/[.-]/);
}

const param = {
  query(name: string, description: string, schema: Schema, uniqueItems = true): Parameter {
    return { name, in: 'query', description, schema, ...(uniqueItems ? { uniqueItems } : {}) };
  },
};

const P = {
  pretty: param.query('pretty', "If 'true', the output is pretty printed.", { type: 'string' }),
  dryRun: param.query(
    'dryRun',
    'When present, the request is validated and admitted but not persisted. The only valid value is "All".',
    { type: 'string' },
  ),
  fieldManager: param.query(
    'fieldManager',
    'The name of the actor making the change, recorded in managedFields. At most 128 printable characters. Required for apply requests.',
    { type: 'string' },
  ),
  fieldValidation: param.query(
    'fieldValidation',
    'What to do with unknown or duplicate fields in the request body: "Ignore" drops them, "Warn" drops them and returns a warning per field, "Strict" fails the request with 400 Bad Request.',
    { type: 'string' },
  ),
  force: param.query(
    'force',
    'For apply requests: take ownership of fields other managers own instead of failing with a conflict. Must be unset for other patch types.',
    { type: 'boolean' },
  ),
  gracePeriodSeconds: param.query(
    'gracePeriodSeconds',
    'Seconds before the object is deleted; zero deletes immediately. Defaults to the kind’s default when unset.',
    { type: 'integer' },
  ),
  orphanDependents: param.query(
    'orphanDependents',
    'Deprecated: use propagationPolicy. Whether dependents are orphaned (true) or garbage collected (false).',
    { type: 'boolean' },
  ),
  propagationPolicy: param.query(
    'propagationPolicy',
    'How dependents are deleted: "Orphan", "Background" or "Foreground".',
    { type: 'string' },
  ),
  ignoreStoreReadError: param.query(
    'ignoreStoreReadErrorWithClusterBreakingPotential',
    'Deletes an object that cannot be read from storage (corrupt). Dangerous; needs the matching permission.',
    { type: 'boolean' },
  ),
  allowWatchBookmarks: param.query(
    'allowWatchBookmarks',
    'Lets a watch send BOOKMARK events carrying only a resourceVersion. Ignored for lists.',
    { type: 'boolean' },
  ),
  continue: param.query(
    'continue',
    'The continue token of a previous chunked list, to fetch the next chunk.',
    { type: 'string' },
  ),
  fieldSelector: param.query(
    'fieldSelector',
    'Restricts the result to objects whose fields match, such as metadata.name=x. Everything by default.',
    { type: 'string' },
  ),
  labelSelector: param.query(
    'labelSelector',
    'Restricts the result to objects whose labels match. Everything by default.',
    { type: 'string' },
  ),
  limit: param.query(
    'limit',
    'The largest number of items to return; the list metadata carries a continue token when more remain.',
    { type: 'integer' },
  ),
  resourceVersion: param.query(
    'resourceVersion',
    'The resource version a list or watch starts from; see resourceVersionMatch.',
    { type: 'string' },
  ),
  resourceVersionMatch: param.query(
    'resourceVersionMatch',
    'How resourceVersion applies to a list: "Exact" or "NotOlderThan".',
    { type: 'string' },
  ),
  sendInitialEvents: param.query(
    'sendInitialEvents',
    'With watch=true: first send the current objects as ADDED events, then a bookmark annotated k8s.io/initial-events-end.',
    { type: 'boolean' },
  ),
  timeoutSeconds: param.query(
    'timeoutSeconds',
    'Ends the list or watch call after this many seconds.',
    { type: 'integer' },
  ),
  watch: param.query(
    'watch',
    'Streams add, update and delete events for the selected objects instead of listing them.',
    { type: 'boolean' },
  ),
  name(kind: string): Parameter {
    return {
      name: 'name',
      in: 'path',
      description: `name of the ${kind}`,
      required: true,
      schema: { type: 'string' },
      uniqueItems: true,
    };
  },
  namespace: {
    name: 'namespace',
    in: 'path',
    description: 'object name and auth scope, such as for teams and projects',
    required: true,
    schema: { type: 'string' },
    uniqueItems: true,
  } satisfies Parameter,
};

const LIST_PARAMS = [
  P.allowWatchBookmarks,
  P.continue,
  P.fieldSelector,
  P.labelSelector,
  P.limit,
  P.resourceVersion,
  P.resourceVersionMatch,
  P.sendInitialEvents,
  P.timeoutSeconds,
  P.watch,
];
const WRITE_PARAMS = [P.dryRun, P.fieldManager, P.fieldValidation];
const DELETE_PARAMS = [
  P.dryRun,
  P.gracePeriodSeconds,
  P.ignoreStoreReadError,
  P.orphanDependents,
  P.propagationPolicy,
];

const RESPONSE_TYPES = ['application/json', 'application/yaml'];

function jsonContent(schema: Schema): Record<string, { schema: Schema }> {
  return Object.fromEntries(RESPONSE_TYPES.map((type) => [type, { schema }]));
}

function patchContent(strategic: boolean): Record<string, { schema: Schema }> {
  const types = [
    'application/json-patch+json',
    'application/merge-patch+json',
    ...(strategic ? ['application/strategic-merge-patch+json'] : []),
    'application/apply-patch+yaml',
  ];
  return Object.fromEntries(types.map((type) => [type, { schema: { $ref: refTo(PATCH) } }]));
}

/** What a subresource accepts: its methods, kind and whether the body is the object. */
interface SubresourceShape {
  methods: Method[];
  gvk?: GroupVersionKind; // defaults to the parent's
  connect?: boolean;
  text?: boolean; // plain text response (log)
}

function subresourceShape(subresource: string, parent: GroupVersionKind): SubresourceShape {
  switch (subresource) {
    case 'scale':
      return {
        methods: ['get', 'put', 'patch'],
        gvk: { group: 'autoscaling', version: 'v1', kind: 'Scale' },
      };
    case 'binding':
      return { methods: ['post'], gvk: { group: '', version: 'v1', kind: 'Binding' } };
    case 'eviction':
      return { methods: ['post'], gvk: { group: 'policy', version: 'v1', kind: 'Eviction' } };
    case 'token':
      return {
        methods: ['post'],
        gvk: { group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest' },
      };
    case 'finalize':
      return { methods: ['put'] };
    case 'log':
      return { methods: ['get'], text: true };
    case 'exec':
      return {
        methods: ['get', 'post'],
        connect: true,
        gvk: { group: '', version: 'v1', kind: 'PodExecOptions' },
      };
    case 'attach':
      return {
        methods: ['get', 'post'],
        connect: true,
        gvk: { group: '', version: 'v1', kind: 'PodAttachOptions' },
      };
    case 'portforward':
      return {
        methods: ['get', 'post'],
        connect: true,
        gvk: { group: '', version: 'v1', kind: 'PodPortForwardOptions' },
      };
    case 'proxy':
      // Tagged with the *ProxyOptions kind, as kube-apiserver does: an operation tagged with the
      // parent's kind but without fieldValidation makes kubectl's validation give up.
      return {
        methods: ['get', 'put', 'post', 'delete', 'patch'],
        connect: true,
        gvk: { group: '', version: 'v1', kind: `${parent.kind}ProxyOptions` },
      };
    default:
      // status, ephemeralcontainers, resize, approval and anything new: the object itself.
      return { methods: ['get', 'put', 'patch'] };
  }
}

/** Builds the paths of one group/version; collects the definitions its operations name. */
class PathBuilder {
  readonly paths: Record<string, PathItem> = {};
  readonly roots = new Set<string>([STATUS, DELETE_OPTIONS, PATCH]);

  constructor(
    private readonly definitions: Definitions,
    private readonly customKinds: ReadonlyMap<string, string>,
  ) {}

  private definitionFor(gvk: GroupVersionKind): string | undefined {
    const custom = gvk.group && this.customKinds.get(`${gvk.group}/${gvk.version}/${gvk.kind}`);
    const name = custom || definitionForKind(this.definitions, gvk);
    if (name) this.roots.add(name);
    return name;
  }

  private schemaFor(gvk: GroupVersionKind): Schema {
    const name = this.definitionFor(gvk);
    return name ? { $ref: refTo(name) } : { type: 'object' };
  }

  add(resource: ServedResource, strategicMerge: boolean): void {
    const { group, version, kind, plural, namespaced } = resource;
    const gvk: GroupVersionKind = { group, version, kind };
    const verbs = new Set(
      resource.verbs ?? [
        'get',
        'list',
        'watch',
        'create',
        'update',
        'patch',
        'delete',
        'deletecollection',
      ],
    );
    const words = groupWords(group);
    const tag = `${words.join('')}_${version}`;
    const idPrefix = `${words.map(upperFirst).join('')}${upperFirst(version)}`;
    const scoped = namespaced ? 'Namespaced' : '';
    const base = group ? `/apis/${group}/${version}` : `/api/${version}`;
    const collection = namespaced
      ? `${base}/namespaces/{namespace}/${plural}`
      : `${base}/${plural}`;
    const item = `${collection}/{name}`;
    const scopeParams = namespaced ? [P.namespace] : [];
    const object = this.schemaFor(gvk);
    const list = this.schemaFor({ ...gvk, kind: `${kind}List` });
    const status = { $ref: refTo(STATUS) };

    const op = (
      verb: string,
      action: string,
      description: string,
      responses: Operation['responses'],
      extra: Partial<Operation> = {},
      opGvk: GroupVersionKind = gvk,
      suffix = '',
    ): Operation => ({
      tags: [tag],
      description,
      operationId: `${verb}${idPrefix}${scoped}${kind}${suffix}`,
      ...extra,
      responses: { ...responses, '401': { description: 'Unauthorized' } },
      'x-kubernetes-action': action,
      'x-kubernetes-group-version-kind': opGvk,
    });
    const ok = (schema: Schema) => ({ description: 'OK', content: jsonContent(schema) });
    const created = (schema: Schema) => ({ description: 'Created', content: jsonContent(schema) });
    const body = (schema: Schema) => ({ content: { '*/*': { schema } }, required: true });

    const collectionItem: PathItem = { parameters: [...scopeParams, P.pretty] };
    if (verbs.has('list') || verbs.has('watch')) {
      collectionItem.get = op(
        'list',
        'list',
        `list or watch objects of kind ${kind}`,
        { '200': ok(list) },
        {
          parameters: LIST_PARAMS,
        },
      );
    }
    if (verbs.has('create')) {
      collectionItem.post = op(
        'create',
        'post',
        `create a ${kind}`,
        {
          '200': ok(object),
          '201': created(object),
          '202': { description: 'Accepted', content: jsonContent(object) },
        },
        { parameters: WRITE_PARAMS, requestBody: body(object) },
      );
    }
    if (verbs.has('deletecollection')) {
      collectionItem.delete = op(
        'deleteCollection',
        'deletecollection',
        `delete collection of ${kind}`,
        { '200': ok(status) },
        {
          parameters: [...DELETE_PARAMS, ...LIST_PARAMS],
          requestBody: body({ $ref: refTo(DELETE_OPTIONS) }),
        },
      );
    }
    if (collectionItem.get || collectionItem.post || collectionItem.delete) {
      this.paths[collection] = collectionItem;
    }
    if (namespaced && (verbs.has('list') || verbs.has('watch'))) {
      this.paths[`${base}/${plural}`] = {
        parameters: [P.pretty],
        get: {
          ...op(
            'list',
            'list',
            `list or watch objects of kind ${kind}`,
            { '200': ok(list) },
            {
              parameters: LIST_PARAMS,
            },
          ),
          operationId: `list${idPrefix}${kind}ForAllNamespaces`,
        },
      };
    }

    const itemPath: PathItem = { parameters: [P.name(kind), ...scopeParams, P.pretty] };
    if (verbs.has('get')) {
      itemPath.get = op('read', 'get', `read the specified ${kind}`, { '200': ok(object) });
    }
    if (verbs.has('update')) {
      itemPath.put = op(
        'replace',
        'put',
        `replace the specified ${kind}`,
        { '200': ok(object), '201': created(object) },
        { parameters: WRITE_PARAMS, requestBody: body(object) },
      );
    }
    if (verbs.has('patch')) {
      itemPath.patch = op(
        'patch',
        'patch',
        `partially update the specified ${kind}`,
        { '200': ok(object), '201': created(object) },
        {
          parameters: [...WRITE_PARAMS, P.force],
          requestBody: { content: patchContent(strategicMerge), required: true },
        },
      );
    }
    if (verbs.has('delete')) {
      itemPath.delete = op(
        'delete',
        'delete',
        `delete a ${kind}`,
        { '200': ok(status), '202': { description: 'Accepted', content: jsonContent(status) } },
        { parameters: DELETE_PARAMS, requestBody: body({ $ref: refTo(DELETE_OPTIONS) }) },
      );
    }
    if (itemPath.get || itemPath.put || itemPath.patch || itemPath.delete) {
      this.paths[item] = itemPath;
    }

    for (const subresource of resource.subresources ?? []) {
      this.addSubresource(item, subresource, gvk, strategicMerge, {
        op,
        ok,
        created,
        body,
        params: [P.name(kind), ...scopeParams, P.pretty],
      });
    }
  }

  private addSubresource(
    item: string,
    subresource: string,
    parent: GroupVersionKind,
    strategicMerge: boolean,
    h: {
      op: (
        verb: string,
        action: string,
        description: string,
        responses: Operation['responses'],
        extra?: Partial<Operation>,
        opGvk?: GroupVersionKind,
        suffix?: string,
      ) => Operation;
      ok: (schema: Schema) => { description: string; content: Record<string, { schema: Schema }> };
      created: (schema: Schema) => {
        description: string;
        content: Record<string, { schema: Schema }>;
      };
      body: (schema: Schema) => { content: Record<string, { schema: Schema }>; required: boolean };
      params: Parameter[];
    },
  ): void {
    const shape = subresourceShape(subresource, parent);
    const gvk = shape.gvk ?? parent;
    const suffix = upperFirst(subresource);
    const pathItem: PathItem = { parameters: h.params };
    if (shape.connect) {
      const text = { description: 'OK', content: { '*/*': { schema: { type: 'string' } } } };
      for (const method of shape.methods) {
        pathItem[method] = h.op(
          `connect${upperFirst(method)}`,
          'connect',
          `connect ${method.toUpperCase()} requests to ${subresource} of ${parent.kind}`,
          { '200': text },
          {},
          gvk,
          suffix,
        );
      }
    } else {
      const schema = shape.text ? { type: 'string' } : this.schemaFor(gvk);
      const content: Record<string, { schema: Schema }> = shape.text
        ? { 'text/plain': { schema } }
        : jsonContent(schema);
      for (const method of shape.methods) {
        if (method === 'get') {
          pathItem.get = h.op(
            'read',
            'get',
            `read ${subresource} of the specified ${parent.kind}`,
            {
              '200': { description: 'OK', content },
            },
            {},
            gvk,
            suffix,
          );
        } else if (method === 'put') {
          pathItem.put = h.op(
            'replace',
            'put',
            `replace ${subresource} of the specified ${parent.kind}`,
            { '200': h.ok(schema), '201': h.created(schema) },
            { parameters: WRITE_PARAMS, requestBody: h.body(schema) },
            gvk,
            suffix,
          );
        } else if (method === 'patch') {
          pathItem.patch = h.op(
            'patch',
            'patch',
            `partially update ${subresource} of the specified ${parent.kind}`,
            { '200': h.ok(schema), '201': h.created(schema) },
            {
              parameters: [...WRITE_PARAMS, P.force],
              requestBody: { content: patchContent(strategicMerge), required: true },
            },
            gvk,
            suffix,
          );
        } else if (method === 'post') {
          pathItem.post = h.op(
            'create',
            'post',
            `create ${subresource} of a ${parent.kind}`,
            {
              '200': h.ok(schema),
              '201': h.created(schema),
              '202': { description: 'Accepted', content: jsonContent(schema) },
            },
            { parameters: WRITE_PARAMS, requestBody: h.body(schema) },
            gvk,
            suffix,
          );
        }
      }
    }
    this.paths[`${item}/${subresource}`] = pathItem;
  }
}

/** A custom resource's served schema: the CRD's openAPIV3Schema plus apiVersion/kind/metadata. */
export function customResourceSchema(gvk: GroupVersionKind, openAPIV3Schema?: Schema): Schema {
  const schema: Schema = openAPIV3Schema
    ? structuredClone<Schema>(openAPIV3Schema)
    : { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
  schema.type ??= 'object';
  schema.properties = {
    ...schema.properties,
    apiVersion: {
      type: 'string',
      description:
        'The group/version of the schema this object follows. Servers convert objects they know to their preferred version and may reject versions they do not serve.',
    },
    kind: {
      type: 'string',
      description: 'The kind of this object, in CamelCase. Cannot be updated.',
    },
    metadata: {
      description: 'Standard object metadata.',
      allOf: [{ $ref: refTo(`${META}ObjectMeta`) }],
    },
  };
  schema['x-kubernetes-group-version-kind'] = [gvk];
  return schema;
}

function customResourceListSchema(gvk: GroupVersionKind, itemName: string): Schema {
  return {
    description: `${gvk.kind}List is a list of ${gvk.kind}`,
    type: 'object',
    required: ['items'],
    properties: {
      apiVersion: { type: 'string', description: 'The group/version of this list.' },
      items: {
        type: 'array',
        description: `List of ${gvk.kind.toLowerCase()}s.`,
        items: { $ref: refTo(itemName) },
      },
      kind: { type: 'string', description: 'The kind of this list.' },
      metadata: {
        description: 'Standard list metadata.',
        allOf: [{ $ref: refTo(`${META}ListMeta`) }],
      },
    },
    'x-kubernetes-group-version-kind': [{ ...gvk, kind: `${gvk.kind}List` }],
  };
}

/** A custom resource with its schema, as added from a served CRD version. */
export interface CustomResource {
  resource: ServedResource;
  openAPIV3Schema?: Schema;
}

/**
 * Builds the OpenAPI document of one group/version. Built-in resources take their schemas from
 * `definitions`; custom resources from their CRD schema, and offer no strategic merge patch.
 */
export function buildGroupVersionDocument(
  definitions: Definitions,
  group: string,
  version: string,
  resources: readonly ServedResource[],
  customResources: readonly CustomResource[] = [],
): OpenAPIDocument {
  const customSchemas: Record<string, Schema> = {};
  const customKinds = new Map<string, string>();
  for (const { resource, openAPIV3Schema } of customResources) {
    const gvk = { group: resource.group, version: resource.version, kind: resource.kind };
    const name = customResourceDefinitionName(gvk.group, gvk.version, gvk.kind);
    customSchemas[name] = customResourceSchema(gvk, openAPIV3Schema);
    customSchemas[`${name}List`] = customResourceListSchema(gvk, name);
    customKinds.set(`${gvk.group}/${gvk.version}/${gvk.kind}`, name);
    customKinds.set(`${gvk.group}/${gvk.version}/${gvk.kind}List`, `${name}List`);
  }

  const builder = new PathBuilder(definitions, customKinds);
  for (const resource of resources) builder.add(resource, true);
  for (const { resource } of customResources) builder.add(resource, false);

  // Custom schemas refer to built-in ones (ObjectMeta): walk both.
  const all: Definitions = { ...definitions, ...customSchemas };
  const schemas: Record<string, Schema> = {};
  for (const name of reachableDefinitions(builder.roots, all)) schemas[name] = all[name];

  const paths: Record<string, PathItem> = {};
  for (const key of Object.keys(builder.paths).sort()) paths[key] = builder.paths[key];
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: SERVER_VERSION },
    paths,
    components: { schemas },
  };
}

/** kube-openapi's content hash: upper-case hex SHA-512 of the served bytes. */
export function contentHash(body: string): string {
  return createHash('sha512').update(body).digest('hex').toUpperCase();
}

/** A document with the exact bytes served and their hash. */
export interface SerializedDocument<T> {
  value: T;
  body: string;
  hash: string;
}

/**
 * The /openapi/v3 service: holds the served resources, builds documents lazily, caches each one
 * with its bytes and hash until a resource of its group/version changes.
 */
export class OpenAPIV3Service {
  private builtin: ServedResource[] = [];
  private readonly custom = new Map<string, CustomResource>(); // key group/version/plural
  private readonly documents = new Map<string, SerializedDocument<OpenAPIDocument>>();
  private indexCache: SerializedDocument<OpenAPIIndex> | undefined;

  constructor(private readonly definitions: Definitions) {}

  /** Replaces the built-in resources (the registry's list). */
  setResources(resources: readonly ServedResource[]): void {
    this.builtin = [...resources];
    this.invalidate();
  }

  /** Adds or replaces a custom resource served from a CRD version. */
  setCustomResource(resource: ServedResource, openAPIV3Schema?: Schema): void {
    this.custom.set(customKey(resource.group, resource.version, resource.plural), {
      resource,
      openAPIV3Schema,
    });
    this.invalidate(groupVersionPath(resource.group, resource.version));
  }

  /** Stops publishing a custom resource (CRD version deleted or no longer served). */
  removeCustomResource(group: string, version: string, plural: string): void {
    if (this.custom.delete(customKey(group, version, plural))) {
      this.invalidate(groupVersionPath(group, version));
    }
  }

  /** Every group/version path with at least one resource, sorted. */
  groupVersions(): string[] {
    const paths = new Set<string>();
    for (const r of this.builtin) paths.add(groupVersionPath(r.group, r.version));
    for (const { resource: r } of this.custom.values()) {
      paths.add(groupVersionPath(r.group, r.version));
    }
    return [...paths].sort();
  }

  /** The `/openapi/v3` index: `{paths: {"apis/apps/v1": {serverRelativeURL: …?hash=H}}}`. */
  index(): OpenAPIIndex {
    return this.serializedIndex().value;
  }

  /** The document of one group/version path (`api/v1`, `apis/apps/v1`), or undefined. */
  document(gvPath: string): OpenAPIDocument | undefined {
    return this.serializedDocument(gvPath)?.value;
  }

  /** The index with the bytes to serve and their hash. */
  serializedIndex(): SerializedDocument<OpenAPIIndex> {
    if (!this.indexCache) {
      const index: OpenAPIIndex = { paths: {} };
      for (const gv of this.groupVersions()) {
        const doc = this.serializedDocument(gv) as SerializedDocument<OpenAPIDocument>;
        index.paths[gv] = { serverRelativeURL: `/openapi/v3/${gv}?hash=${doc.hash}` };
      }
      const body = JSON.stringify(index);
      this.indexCache = { value: index, body, hash: contentHash(body) };
    }
    return this.indexCache;
  }

  /** A group/version document with the bytes to serve and the hash the index advertises. */
  serializedDocument(gvPath: string): SerializedDocument<OpenAPIDocument> | undefined {
    const cached = this.documents.get(gvPath);
    if (cached) return cached;
    const builtin = this.builtin.filter((r) => groupVersionPath(r.group, r.version) === gvPath);
    const custom = [...this.custom.values()].filter(
      (c) => groupVersionPath(c.resource.group, c.resource.version) === gvPath,
    );
    if (builtin.length === 0 && custom.length === 0) return undefined;
    const { group, version } = builtin[0] ?? custom[0].resource;
    const value = buildGroupVersionDocument(this.definitions, group, version, builtin, custom);
    const body = JSON.stringify(value);
    const built = { value, body, hash: contentHash(body) };
    this.documents.set(gvPath, built);
    return built;
  }

  /**
   * Answers `GET /openapi/v3` and `GET /openapi/v3/<gv>?hash=…` as kube-apiserver does: a stale
   * hash redirects (301) to the current one, a matching hash is cacheable forever, an
   * If-None-Match with the current ETag gets 304. Undefined for paths it does not serve.
   */
  handle(
    pathname: string,
    hash?: string | null,
    ifNoneMatch?: string | null,
  ): OpenAPIResponse | undefined {
    const trimmed = pathname.replace(/\/+$/, '');
    if (trimmed === '/openapi/v3') return respond(this.serializedIndex(), ifNoneMatch);
    if (!trimmed.startsWith('/openapi/v3/')) return undefined;
    const gvPath = trimmed.slice('/openapi/v3/'.length);
    const doc = this.serializedDocument(gvPath);
    if (!doc) return undefined;
    if (hash && hash !== doc.hash) {
      return {
        status: 301,
        headers: { Location: `/openapi/v3/${gvPath}?hash=${doc.hash}` },
        body: '',
      };
    }
    const response = respond(doc, ifNoneMatch);
    response.headers.Vary = 'Accept';
    response.headers['Cache-Control'] = hash ? 'public, immutable' : 'no-cache, private';
    if (hash) {
      response.headers.Expires = new Date(Date.now() + 365 * 24 * 3600 * 1000).toUTCString();
    }
    return response;
  }

  private invalidate(gvPath?: string): void {
    if (gvPath) this.documents.delete(gvPath);
    else this.documents.clear();
    this.indexCache = undefined;
  }
}

function customKey(group: string, version: string, plural: string): string {
  return `${group}/${version}/${plural}`;
}

function respond(
  doc: { body: string; hash: string },
  ifNoneMatch?: string | null,
): OpenAPIResponse {
  const etag = `"${doc.hash}"`;
  if (ifNoneMatch && ifNoneMatch.split(',').some((t) => t.trim() === etag || t.trim() === '*')) {
    return { status: 304, headers: { Etag: etag }, body: '' };
  }
  return {
    status: 200,
    headers: { 'Content-Type': 'application/json', Etag: etag },
    body: doc.body,
  };
}
