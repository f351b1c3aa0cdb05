import { describe, expect, it } from 'vitest';
import type { PatchSchema } from './patch-schema.ts';
import {
  UNTYPED_SCHEMA,
  builtinPatchSchema,
  childSchema,
  elementSchema,
  schemaFromOpenAPI,
} from './patch-schema.ts';

/** Walks declared fields, list elements (`[]`) and map values (`*`). */
function at(schema: PatchSchema, ...path: string[]): PatchSchema {
  let s = schema;
  for (const p of path) s = p === '[]' || p === '*' ? elementSchema(s) : childSchema(s, p).schema;
  return s;
}

describe('builtinPatchSchema', () => {
  const deployment = builtinPatchSchema('apps', 'v1', 'Deployment') as PatchSchema;
  const podSpec = at(deployment, 'spec', 'template', 'spec');

  it('knows containers are merged by name and keyed by name for apply', () => {
    const containers = at(podSpec, 'containers');
    expect(containers.patchStrategy()).toEqual(['merge']);
    expect(containers.patchMergeKey()).toBe('name');
    expect(containers.listType()).toEqual({ type: 'map', keys: ['name'] });
  });

  it('keys container ports by containerPort and protocol, protocol defaulting to TCP', () => {
    const ports = at(podSpec, 'containers', '[]', 'ports');
    expect(ports.listType()).toEqual({ type: 'map', keys: ['containerPort', 'protocol'] });
    expect(ports.patchMergeKey()).toBe('containerPort');
    expect(at(ports, '[]', 'protocol').defaultValue()).toBe('TCP');
  });

  it('knows the other pod spec lists', () => {
    expect(at(podSpec, 'volumes').patchStrategy()).toEqual(['merge', 'retainKeys']);
    expect(at(podSpec, 'containers', '[]', 'env').patchMergeKey()).toBe('name');
    expect(at(podSpec, 'containers', '[]', 'volumeMounts').listType()).toEqual({
      type: 'map',
      keys: ['mountPath'],
    });
    expect(at(podSpec, 'imagePullSecrets').patchMergeKey()).toBe('name');
    expect(at(podSpec, 'hostAliases').patchMergeKey()).toBe('ip');
    expect(at(podSpec, 'topologySpreadConstraints').patchMergeKey()).toBe('topologyKey');
    // Replaced whole by both patch flavours.
    expect(at(podSpec, 'tolerations').listType()).toEqual({ type: 'atomic' });
    expect(at(podSpec, 'tolerations').patchStrategy()).toEqual([]);
    expect(at(podSpec, 'containers', '[]', 'args').listType()).toEqual({ type: 'atomic' });
    expect(at(podSpec, 'nodeSelector').mapType()).toBe('atomic');
  });

  it('knows ObjectMeta, selectors, strategy and conditions', () => {
    const meta = at(deployment, 'metadata');
    expect(at(meta, 'finalizers').listType()).toEqual({ type: 'set' });
    expect(at(meta, 'finalizers').patchStrategy()).toEqual(['merge']);
    expect(at(meta, 'ownerReferences').listType()).toEqual({ type: 'map', keys: ['uid'] });
    expect(at(deployment, 'spec', 'selector').mapType()).toBe('atomic');
    expect(at(deployment, 'spec', 'strategy').patchStrategy()).toEqual(['retainKeys']);
    expect(at(deployment, 'status', 'conditions').listType()).toEqual({
      type: 'map',
      keys: ['type'],
    });
    expect(at(deployment, 'spec', 'template').zeroValue()).toEqual({});
    expect(at(deployment, 'spec', 'template', 'spec', 'containers').zeroValue()).toBeNull();
    expect(at(deployment, 'spec', 'selector').zeroValue()).toBeUndefined();
  });

  it('covers the pod templates of every workload kind and Service ports', () => {
    const paths: [string, string, string[]][] = [
      ['apps', 'ReplicaSet', ['spec', 'template', 'spec']],
      ['apps', 'StatefulSet', ['spec', 'template', 'spec']],
      ['apps', 'DaemonSet', ['spec', 'template', 'spec']],
      ['batch', 'Job', ['spec', 'template', 'spec']],
      ['batch', 'CronJob', ['spec', 'jobTemplate', 'spec', 'template', 'spec']],
      ['', 'ReplicationController', ['spec', 'template', 'spec']],
      ['', 'Pod', ['spec']],
      ['', 'PodTemplate', ['template', 'spec']],
    ];
    for (const [group, kind, path] of paths) {
      const schema = builtinPatchSchema(group, 'v1', kind) as PatchSchema;
      expect(at(schema, ...path, 'containers').patchMergeKey(), kind).toBe('name');
    }
    const service = builtinPatchSchema('', 'v1', 'Service') as PatchSchema;
    expect(at(service, 'spec', 'ports').listType()).toEqual({
      type: 'map',
      keys: ['port', 'protocol'],
    });
    expect(at(service, 'spec', 'ports').patchMergeKey()).toBe('port');
    expect(at(service, 'spec', 'ports', '[]', 'protocol').defaultValue()).toBe('TCP');
  });

  it('treats unlisted fields as struct fields and answers undefined for unknown kinds', () => {
    const unknown = childSchema(at(deployment, 'metadata'), 'labels');
    expect(unknown.declared).toBe(true);
    expect(unknown.schema.listType()).toEqual({ type: 'atomic' });
    expect(builtinPatchSchema('example.com', 'v1', 'Widget')).toBeUndefined();
    expect(
      at(builtinPatchSchema('apps', 'v1', 'ControllerRevision') as PatchSchema, 'data'),
    ).not.toBe(undefined);
    expect(
      childSchema(
        at(builtinPatchSchema('apps', 'v1', 'ControllerRevision') as PatchSchema, 'data'),
        'x',
      ).declared,
    ).toBe(false);
  });
});

describe('schemaFromOpenAPI', () => {
  const schema = schemaFromOpenAPI({
    type: 'object',
    properties: {
      spec: {
        type: 'object',
        properties: {
          items: {
            type: 'array',
            'x-kubernetes-list-type': 'map',
            'x-kubernetes-list-map-keys': ['name', 'port'],
            items: {
              type: 'object',
              properties: { name: { type: 'string' }, port: { type: 'integer', default: 80 } },
            },
          },
          tags: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'string' } },
          args: { type: 'array', items: { type: 'string' } },
          selector: {
            type: 'object',
            'x-kubernetes-map-type': 'atomic',
            additionalProperties: { type: 'string' },
          },
          settings: {
            type: 'object',
            additionalProperties: { type: 'object', properties: { v: { type: 'string' } } },
          },
          raw: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
        },
      },
    },
  });

  it('reads list types, map keys and key defaults', () => {
    expect(at(schema, 'spec', 'items').listType()).toEqual({ type: 'map', keys: ['name', 'port'] });
    expect(at(schema, 'spec', 'items', '[]', 'port').defaultValue()).toBe(80);
    expect(at(schema, 'spec', 'tags').listType()).toEqual({ type: 'set' });
    expect(at(schema, 'spec', 'args').listType()).toEqual({ type: 'atomic' });
    expect(at(schema, 'spec', 'items').patchStrategy()).toEqual([]);
  });

  it('reads map types: atomic, additionalProperties, free-form', () => {
    expect(at(schema, 'spec', 'selector').mapType()).toBe('atomic');
    const settings = childSchema(at(schema, 'spec', 'settings'), 'any');
    expect(settings.declared).toBe(false);
    expect(childSchema(settings.schema, 'v').declared).toBe(true);
    expect(childSchema(at(schema, 'spec', 'raw'), 'x').schema).toBe(UNTYPED_SCHEMA);
    expect(childSchema(at(schema, 'spec'), 'undeclared').declared).toBe(true);
  });

  it('gives custom resources the ObjectMeta of built-in kinds', () => {
    expect(at(schema, 'metadata', 'ownerReferences').listType()).toEqual({
      type: 'map',
      keys: ['uid'],
    });
    expect(at(schema, 'metadata', 'finalizers').listType()).toEqual({ type: 'set' });
  });
});
