import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateDefinitions } from '../../../scripts/generate-openapi.ts';
import { loadDefinitions } from './definitions.ts';
import {
  OpenAPIV3Service,
  buildGroupVersionDocument,
  customResourceDefinitionName,
  groupVersionPath,
  type OpenAPIDocument,
  type ServedResource,
} from './document.ts';
import { collectRefs, type Definitions } from './schema.ts';

let defs: Definitions;

beforeAll(async () => {
  await generateDefinitions();
  defs = loadDefinitions();
}, 60_000);

const deployments: ServedResource = {
  group: 'apps',
  version: 'v1',
  kind: 'Deployment',
  plural: 'deployments',
  namespaced: true,
  subresources: ['status', 'scale'],
};
const pods: ServedResource = {
  group: '',
  version: 'v1',
  kind: 'Pod',
  plural: 'pods',
  namespaced: true,
  subresources: ['status', 'log', 'exec', 'binding', 'eviction'],
};
const namespaces: ServedResource = {
  group: '',
  version: 'v1',
  kind: 'Namespace',
  plural: 'namespaces',
  namespaced: false,
  subresources: ['status', 'finalize'],
};
const widgets: ServedResource = {
  group: 'example.com',
  version: 'v1',
  kind: 'Widget',
  plural: 'widgets',
  namespaced: true,
  subresources: ['status', 'scale'],
};
const widgetSchema = {
  type: 'object',
  properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } } },
};

/** What kubectl's queryParamVerifierV3 does: every PATCH tagged with the GVK must declare it. */
function patchOperationsFor(doc: OpenAPIDocument, kind: string) {
  return Object.values(doc.paths)
    .map((item) => item.patch)
    .filter((op) => op && op['x-kubernetes-group-version-kind'].kind === kind);
}

describe('buildGroupVersionDocument', () => {
  it('declares fieldValidation, dryRun and fieldManager on every PATCH of a kind', () => {
    const doc = buildGroupVersionDocument(defs, 'apps', 'v1', [deployments]);
    const patches = patchOperationsFor(doc, 'Deployment');
    expect(patches.length).toBe(2); // the object and its status
    for (const op of patches) {
      const names = (op?.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name);
      expect(names).toEqual(expect.arrayContaining(['fieldValidation', 'dryRun', 'fieldManager']));
      expect(op?.['x-kubernetes-action']).toBe('patch');
      expect(op?.['x-kubernetes-group-version-kind']).toEqual({
        group: 'apps',
        version: 'v1',
        kind: 'Deployment',
      });
      expect(Object.keys(op?.requestBody?.content ?? {})).toEqual([
        'application/json-patch+json',
        'application/merge-patch+json',
        'application/strategic-merge-patch+json',
        'application/apply-patch+yaml',
      ]);
    }
    const post = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments'].post;
    expect(post?.parameters?.map((p) => p.name)).toContain('fieldValidation');
    const put = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'].put;
    expect(put?.parameters?.map((p) => p.name)).toContain('fieldValidation');
  });

  it('lays out collection, item, all-namespaces and subresource paths', () => {
    const doc = buildGroupVersionDocument(defs, 'apps', 'v1', [deployments]);
    expect(doc.openapi).toBe('3.0.0');
    expect(doc.info.title).toBe('Kubernetes');
    expect(Object.keys(doc.paths)).toEqual([
      '/apis/apps/v1/deployments',
      '/apis/apps/v1/namespaces/{namespace}/deployments',
      '/apis/apps/v1/namespaces/{namespace}/deployments/{name}',
      '/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale',
      '/apis/apps/v1/namespaces/{namespace}/deployments/{name}/status',
    ]);
    const item = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'];
    expect(Object.keys(item).sort()).toEqual(['delete', 'get', 'parameters', 'patch', 'put']);
    expect(item.patch?.operationId).toBe('patchAppsV1NamespacedDeployment');
    expect(item.get?.['x-kubernetes-action']).toBe('get');
    const all = doc.paths['/apis/apps/v1/deployments'].get;
    expect(all?.operationId).toBe('listAppsV1DeploymentForAllNamespaces');
    expect(all?.['x-kubernetes-action']).toBe('list');
    const scale = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale'];
    expect(scale.patch?.['x-kubernetes-group-version-kind']).toEqual({
      group: 'autoscaling',
      version: 'v1',
      kind: 'Scale',
    });
  });

  it('uses cluster paths for cluster-scoped kinds and connect/post for pod subresources', () => {
    const doc = buildGroupVersionDocument(defs, '', 'v1', [pods, namespaces]);
    expect(doc.paths['/api/v1/namespaces/{name}'].patch?.operationId).toBe('patchCoreV1Namespace');
    expect(doc.paths['/api/v1/namespaces/{name}/finalize'].put).toBeDefined();
    const exec = doc.paths['/api/v1/namespaces/{namespace}/pods/{name}/exec'];
    expect(exec.get?.['x-kubernetes-action']).toBe('connect');
    expect(exec.patch).toBeUndefined();
    const eviction = doc.paths['/api/v1/namespaces/{namespace}/pods/{name}/eviction'].post;
    expect(eviction?.['x-kubernetes-group-version-kind'].kind).toBe('Eviction');
    const log = doc.paths['/api/v1/namespaces/{namespace}/pods/{name}/log'].get;
    expect(Object.keys(log?.responses['200'].content ?? {})).toEqual(['text/plain']);
  });

  it('holds exactly the schemas reachable from the operations', () => {
    const doc = buildGroupVersionDocument(defs, 'apps', 'v1', [deployments]);
    const schemas = doc.components.schemas;
    for (const name of [
      'io.k8s.api.apps.v1.Deployment',
      'io.k8s.api.apps.v1.DeploymentList',
      'io.k8s.api.apps.v1.DeploymentStrategy',
      'io.k8s.api.core.v1.PodSpec',
      'io.k8s.api.core.v1.Container',
      'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta',
      'io.k8s.apimachinery.pkg.util.intstr.IntOrString',
      'io.k8s.api.autoscaling.v1.Scale',
      'io.k8s.apimachinery.pkg.apis.meta.v1.Status',
      'io.k8s.apimachinery.pkg.apis.meta.v1.Patch',
    ]) {
      expect(schemas[name], name).toBeDefined();
    }
    expect(schemas['io.k8s.api.core.v1.Pod']).toBeUndefined();
    expect(schemas['io.k8s.api.batch.v1.Job']).toBeUndefined();
    const refs = new Set<string>();
    collectRefs(doc, refs);
    expect([...refs].filter((name) => !schemas[name])).toEqual([]);
    expect(Object.keys(schemas).length).toBe(refs.size);
  });

  it('serves custom resources from their CRD schema, without strategic merge patch', () => {
    const doc = buildGroupVersionDocument(
      defs,
      'example.com',
      'v1',
      [],
      [{ resource: widgets, openAPIV3Schema: widgetSchema }],
    );
    const name = customResourceDefinitionName('example.com', 'v1', 'Widget');
    expect(name).toBe('com.example.v1.Widget');
    const schema = doc.components.schemas[name];
    expect(schema['x-kubernetes-group-version-kind']).toEqual([
      { group: 'example.com', version: 'v1', kind: 'Widget' },
    ]);
    expect(schema.properties?.spec.properties?.size.type).toBe('integer');
    expect(schema.properties?.metadata.allOf?.[0].$ref).toBe(
      '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta',
    );
    expect(doc.components.schemas[`${name}List`].properties?.items.items?.$ref).toBe(
      `#/components/schemas/${name}`,
    );
    expect(doc.components.schemas['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta']).toBeDefined();
    for (const op of patchOperationsFor(doc, 'Widget')) {
      expect(Object.keys(op?.requestBody?.content ?? {})).not.toContain(
        'application/strategic-merge-patch+json',
      );
      expect(op?.parameters?.map((p) => p.name)).toContain('fieldValidation');
    }
    expect(widgetSchema).toEqual({
      type: 'object',
      properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } } },
    });
  });

  it('builds a path for group/versions', () => {
    expect(groupVersionPath('', 'v1')).toBe('api/v1');
    expect(groupVersionPath('apps', 'v1')).toBe('apis/apps/v1');
  });
});

describe('OpenAPIV3Service', () => {
  function service(): OpenAPIV3Service {
    const s = new OpenAPIV3Service(defs);
    s.setResources([pods, namespaces, deployments]);
    return s;
  }

  it('lists every group/version with the SHA-512 of the served document', () => {
    const s = service();
    const index = s.index();
    expect(Object.keys(index.paths)).toEqual(['api/v1', 'apis/apps/v1']);
    const doc = s.serializedDocument('apis/apps/v1');
    const hash = createHash('sha512')
      .update(doc?.body ?? '')
      .digest('hex')
      .toUpperCase();
    expect(index.paths['apis/apps/v1'].serverRelativeURL).toBe(
      `/openapi/v3/apis/apps/v1?hash=${hash}`,
    );
    expect(JSON.parse(doc?.body ?? '')).toEqual(s.document('apis/apps/v1'));
    expect(s.document('apis/batch/v1')).toBeUndefined();
  });

  it('keeps hashes stable and caches documents until their group/version changes', () => {
    const a = service();
    const b = service();
    expect(a.serializedIndex().body).toBe(b.serializedIndex().body);
    const apps = a.serializedDocument('apis/apps/v1');
    expect(a.serializedDocument('apis/apps/v1')).toBe(apps);
    const core = a.serializedDocument('api/v1');

    a.setCustomResource(widgets, widgetSchema);
    expect(a.index().paths['apis/example.com/v1']).toBeDefined();
    expect(a.serializedDocument('apis/apps/v1')).toBe(apps);
    expect(a.serializedDocument('api/v1')).toBe(core);

    const before = a.index().paths['apis/example.com/v1'].serverRelativeURL;
    a.setCustomResource(widgets, { ...widgetSchema, description: 'changed' });
    expect(a.index().paths['apis/example.com/v1'].serverRelativeURL).not.toBe(before);

    a.removeCustomResource('example.com', 'v1', 'widgets');
    expect(a.index().paths['apis/example.com/v1']).toBeUndefined();
  });

  it('answers HTTP the way kube-openapi handler3 does', () => {
    const s = service();
    const index = s.handle('/openapi/v3');
    expect(index?.status).toBe(200);
    expect(index?.headers['Content-Type']).toBe('application/json');
    const url = new URL(s.index().paths['api/v1'].serverRelativeURL, 'https://x');
    const hash = url.searchParams.get('hash');

    const fresh = s.handle(url.pathname, hash);
    expect(fresh?.status).toBe(200);
    expect(fresh?.headers['Cache-Control']).toBe('public, immutable');
    expect((JSON.parse(fresh?.body ?? '') as { openapi: string }).openapi).toBe('3.0.0');

    const stale = s.handle(url.pathname, 'OLD');
    expect(stale?.status).toBe(301);
    expect(stale?.headers.Location).toBe(`/openapi/v3/api/v1?hash=${hash}`);

    expect(s.handle(url.pathname, null, `"${hash}"`)?.status).toBe(304);
    expect(s.handle('/openapi/v3/apis/nope/v1')).toBeUndefined();
    expect(s.handle('/api/v1')).toBeUndefined();
  });
});
