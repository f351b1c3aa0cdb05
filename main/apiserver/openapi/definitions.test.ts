import { beforeAll, describe, expect, it } from 'vitest';
import { generateDefinitions } from '../../../scripts/generate-openapi.ts';
import { BUILTIN_TYPES } from '../patch/builtin-schema-table.ts';
import { definitionForKind, loadDefinitions } from './definitions.ts';
import { collectRefs, referencedDefinition, type Definitions, type Schema } from './schema.ts';

let defs: Definitions;

beforeAll(async () => {
  await generateDefinitions();
  defs = loadDefinitions();
}, 60_000);

function prop(definition: string, field: string): Schema {
  const schema = defs[definition]?.properties?.[field];
  if (!schema) throw new Error(`${definition}.${field} missing`);
  return schema;
}

describe('generated definitions', () => {
  it('names definitions the upstream way and tags kinds with their GVK', () => {
    expect(defs['io.k8s.api.apps.v1.Deployment']['x-kubernetes-group-version-kind']).toEqual([
      { group: 'apps', version: 'v1', kind: 'Deployment' },
    ]);
    expect(defs['io.k8s.api.core.v1.Pod']['x-kubernetes-group-version-kind']).toEqual([
      { group: '', version: 'v1', kind: 'Pod' },
    ]);
    expect(defs['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta']).toBeDefined();
    expect(
      defs['io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition'],
    ).toBeDefined();
    expect(defs['io.k8s.api.rbac.v1.ClusterRole']).toBeDefined();
    expect(defs['io.k8s.api.flowcontrol.v1.FlowSchema']).toBeDefined();
    expect(definitionForKind(defs, { group: 'batch', version: 'v1', kind: 'CronJob' })).toBe(
      'io.k8s.api.batch.v1.CronJob',
    );
  });

  it('gives every kind exactly one definition', () => {
    const seen = new Map<string, string>();
    for (const [name, schema] of Object.entries(defs)) {
      for (const gvk of schema['x-kubernetes-group-version-kind'] ?? []) {
        const key = `${gvk.group}/${gvk.version}/${gvk.kind}`;
        expect(seen.get(key), key).toBeUndefined();
        seen.set(key, name);
      }
    }
    expect(seen.size).toBeGreaterThan(200);
  });

  it('keeps apiVersion and kind plain optional strings on kinds', () => {
    const deployment = defs['io.k8s.api.apps.v1.Deployment'];
    expect(deployment.required).toBeUndefined();
    expect(prop('io.k8s.api.apps.v1.Deployment', 'apiVersion')).toMatchObject({ type: 'string' });
    expect(prop('io.k8s.api.apps.v1.Deployment', 'kind').enum).toBeUndefined();
  });

  it('describes spec.strategy with its own text and a reference to DeploymentStrategy', () => {
    const strategy = prop('io.k8s.api.apps.v1.DeploymentSpec', 'strategy');
    expect(strategy.description).toMatch(/deployment strategy/i);
    expect(referencedDefinition(strategy)).toBe('io.k8s.api.apps.v1.DeploymentStrategy');
    expect(strategy['x-kubernetes-patch-strategy']).toBe('retainKeys');
    expect(defs['io.k8s.api.apps.v1.DeploymentStrategy'].description).toMatch(/replace existing/);
    expect(prop('io.k8s.api.apps.v1.DeploymentSpec', 'template').description).toBeTruthy();
  });

  it('turns string-literal unions into enums and keeps required fields', () => {
    expect(prop('io.k8s.api.apps.v1.DeploymentStrategy', 'type')).toMatchObject({
      type: 'string',
      enum: ['Recreate', 'RollingUpdate'],
    });
    expect(defs['io.k8s.api.core.v1.Container'].required).toEqual(['name']);
    expect(defs['io.k8s.api.apps.v1.DeploymentSpec'].required).toEqual(['selector', 'template']);
  });

  it('tells integers from numbers and reads their formats from the precompiled validators', () => {
    expect(prop('io.k8s.api.apps.v1.DeploymentSpec', 'replicas')).toMatchObject({
      type: 'integer',
      format: 'int32',
    });
    expect(prop('io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta', 'generation')).toMatchObject({
      type: 'integer',
      format: 'int64',
    });
    expect(
      prop('io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps', 'maximum'),
    ).toMatchObject({ type: 'number', format: 'double' });
    expect(prop('io.k8s.api.core.v1.Secret', 'data').additionalProperties).toEqual({
      type: 'string',
      format: 'byte',
    });
  });

  it('publishes int-or-string, quantities and timestamps as kube-openapi does', () => {
    const intOrString = defs['io.k8s.apimachinery.pkg.util.intstr.IntOrString'];
    expect(intOrString['x-kubernetes-int-or-string']).toBe(true);
    expect(intOrString.oneOf).toEqual([{ type: 'integer' }, { type: 'string' }]);
    expect(intOrString.type).toBeUndefined(); // kubectl explain prints <IntOrString>
    expect(
      referencedDefinition(prop('io.k8s.api.apps.v1.RollingUpdateDeployment', 'maxSurge')),
    ).toBe('io.k8s.apimachinery.pkg.util.intstr.IntOrString');
    expect(defs['io.k8s.apimachinery.pkg.api.resource.Quantity'].oneOf).toEqual([
      { type: 'string' },
      { type: 'number' },
    ]);
    expect(defs['io.k8s.apimachinery.pkg.apis.meta.v1.Time']).toMatchObject({
      type: 'string',
      format: 'date-time',
    });
    expect(defs['io.k8s.apimachinery.pkg.runtime.RawExtension']).toMatchObject({
      type: 'object',
      'x-kubernetes-preserve-unknown-fields': true,
    });
  });

  it('models maps, arrays and inlined kinds', () => {
    expect(prop('io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta', 'labels')).toMatchObject({
      type: 'object',
      additionalProperties: { type: 'string' },
    });
    expect(prop('io.k8s.api.core.v1.Container', 'command')).toMatchObject({
      type: 'array',
      items: { type: 'string' },
    });
    expect(prop('io.k8s.api.apps.v1.StatefulSetSpec', 'volumeClaimTemplates').items).toEqual({
      $ref: '#/components/schemas/io.k8s.api.core.v1.PersistentVolumeClaim',
    });
    expect(prop('io.k8s.api.core.v1.ResourceRequirements', 'limits').additionalProperties).toEqual({
      $ref: '#/components/schemas/io.k8s.apimachinery.pkg.api.resource.Quantity',
    });
  });

  it('puts the merge keys kubectl builds strategic merge patches from on list fields', () => {
    expect(prop('io.k8s.api.core.v1.PodSpec', 'containers')).toMatchObject({
      type: 'array',
      'x-kubernetes-patch-strategy': 'merge',
      'x-kubernetes-patch-merge-key': 'name',
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['name'],
    });
    expect(prop('io.k8s.api.core.v1.PodSpec', 'volumes')['x-kubernetes-patch-strategy']).toBe(
      'merge,retainKeys',
    );
    expect(prop('io.k8s.api.core.v1.Container', 'ports')).toMatchObject({
      'x-kubernetes-patch-merge-key': 'containerPort',
      'x-kubernetes-list-map-keys': ['containerPort', 'protocol'],
    });
    expect(prop('io.k8s.api.core.v1.ServiceSpec', 'ports')['x-kubernetes-patch-merge-key']).toBe(
      'port',
    );
    expect(prop('io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta', 'finalizers')).toMatchObject({
      'x-kubernetes-patch-strategy': 'merge',
      'x-kubernetes-list-type': 'set',
    });
    expect(prop('io.k8s.api.core.v1.PodSpec', 'tolerations')['x-kubernetes-patch-strategy']).toBe(
      undefined,
    );
    expect(
      defs['io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector']['x-kubernetes-map-type'],
    ).toBe('atomic');
  });

  it('has no dangling references', () => {
    const refs = new Set<string>();
    collectRefs(defs, refs);
    expect([...refs].filter((name) => !defs[name])).toEqual([]);
  });

  it('agrees with the patch engine on every strategic merge tag of the built-in types', () => {
    const prefix = (type: string): string => {
      const [groupVersion, name] = type.split('.');
      const [group, version] = groupVersion.split('/');
      if (group === 'meta') return `io.k8s.apimachinery.pkg.apis.meta.${version}.${name}`;
      if (group === 'apiextensions') {
        return `io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.${version}.${name}`;
      }
      return `io.k8s.api.${group}.${version}.${name}`;
    };
    let compared = 0;
    for (const [type, facts] of Object.entries(BUILTIN_TYPES)) {
      const definition = defs[prefix(type)];
      if (!definition) continue;
      for (const [field, spec] of Object.entries(facts.fields ?? {})) {
        const strategy = /\bsmp=(\S+)/.exec(spec)?.[1];
        const mergeKey = /\bkey=(\S+)/.exec(spec)?.[1];
        const schema = definition.properties?.[field];
        if (!schema) continue;
        expect(schema['x-kubernetes-patch-strategy'], `${type}.${field}`).toBe(strategy);
        expect(schema['x-kubernetes-patch-merge-key'], `${type}.${field}`).toBe(mergeKey);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(50);
    const atomicThere = Object.entries(BUILTIN_TYPES)
      .filter(([type, facts]) => facts.atomic && defs[prefix(type)])
      .map(([type]) => prefix(type))
      .sort();
    const atomicHere = Object.keys(defs)
      .filter((name) => defs[name]['x-kubernetes-map-type'] === 'atomic')
      .filter((name) => Object.keys(BUILTIN_TYPES).some((type) => prefix(type) === name))
      .sort();
    expect(atomicHere).toEqual(atomicThere);
  });

  it('skips regeneration when the output is newer than its inputs', async () => {
    const again = await generateDefinitions();
    expect(again.written).toBe(false);
  });
});
