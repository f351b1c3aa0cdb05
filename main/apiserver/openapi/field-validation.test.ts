import { beforeAll, describe, expect, it } from 'vitest';
import { generateDefinitions } from '../../../scripts/generate-openapi.ts';
import { loadDefinitions } from './definitions.ts';
import { customResourceSchema } from './document.ts';
import {
  findUnknownFields,
  strictDecodingMessage,
  unknownFieldMessage,
} from './field-validation.ts';
import type { Definitions } from './schema.ts';

let defs: Definitions;

beforeAll(async () => {
  await generateDefinitions();
  defs = loadDefinitions();
}, 60_000);

const DEPLOYMENT = 'io.k8s.api.apps.v1.Deployment';

function deployment() {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', labels: { app: 'web', 'any-key': 'x' }, annotations: { a: 'b' } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 1 } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            {
              name: 'app',
              image: 'nginx',
              ports: [{ containerPort: 80 }],
              resources: { limits: { cpu: '500m', memory: 1024 } },
              env: [{ name: 'A', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
            },
          ],
        },
      },
    },
    status: { replicas: 2, conditions: [{ type: 'Available', status: 'True' }] },
  };
}

describe('findUnknownFields', () => {
  it('accepts a valid object, map keys and int-or-string values', () => {
    expect(findUnknownFields(DEPLOYMENT, deployment(), defs)).toEqual([]);
  });

  it('reports unknown fields with the strict decoder’s paths, in document order', () => {
    const d = deployment();
    const [container] = d.spec.template.spec.containers;
    const obj = {
      ...d,
      metadata: { ...d.metadata, nam: 'typo' },
      spec: {
        ...d.spec,
        strategy: {
          ...d.spec.strategy,
          rollingUpdate: { ...d.spec.strategy.rollingUpdate, maxSurgeX: 1 },
        },
        template: {
          ...d.spec.template,
          spec: {
            containers: [
              { ...container, imagePullPolicyX: 'Always' },
              { name: 'b', portz: [] },
            ],
          },
        },
        foo: 1,
      },
      extra: true,
    };
    expect(findUnknownFields(DEPLOYMENT, obj, defs)).toEqual([
      'metadata.nam',
      'spec.strategy.rollingUpdate.maxSurgeX',
      'spec.template.spec.containers[0].imagePullPolicyX',
      'spec.template.spec.containers[1].portz',
      'spec.foo',
      'extra',
    ]);
  });

  it('descends through maps of objects and lists of lists', () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: {
        containers: [{ name: 'c' }],
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [{ matchExpressions: [{ key: 'k', operator: 'In', valuez: [] }] }],
            },
          },
        },
      },
    };
    expect(findUnknownFields('io.k8s.api.core.v1.Pod', pod, defs)).toEqual([
      'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].valuez',
    ]);
  });

  it('leaves free-form values alone (RawExtension, FieldsV1) and ignores type mismatches', () => {
    const revision = {
      apiVersion: 'apps/v1',
      kind: 'ControllerRevision',
      metadata: {
        name: 'r',
        managedFields: [{ manager: 'm', fieldsV1: { 'f:spec': { 'f:x': {} } } }],
      },
      data: { spec: { anything: { goes: true } } },
      revision: 1,
    };
    expect(findUnknownFields('io.k8s.api.apps.v1.ControllerRevision', revision, defs)).toEqual([]);
    const wrongTypes = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: 'oops',
      data: { a: { b: 1 } },
    };
    expect(findUnknownFields('io.k8s.api.core.v1.ConfigMap', wrongTypes, defs)).toEqual([]);
  });

  it('checks CRD schemas where the apiserver decodes strictly (properties), not below items', () => {
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.example.com' },
      spec: {
        group: 'example.com',
        names: { plural: 'widgets', kind: 'Widget' },
        scope: 'Namespaced',
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            subresources: { status: {} },
            schema: {
              openAPIV3Schema: {
                type: 'object',
                properties: {
                  spec: {
                    type: 'object',
                    properties: { size: { type: 'integer', minimun: 1 } },
                    additionalProperties: false,
                  },
                  tags: { type: 'array', items: { type: 'string', defualt: 'x' } },
                },
                'x-kubernetes-preserve-unknown-fields': true,
              },
            },
          },
        ],
      },
    };
    expect(
      findUnknownFields(
        'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition',
        crd,
        defs,
      ),
    ).toEqual([
      // items is a JSONSchemaPropsOrArray with its own (lenient) UnmarshalJSON: no report there.
      'spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.size.minimun',
    ]);
  });

  it('works on custom resource schemas, keeping apiVersion/kind/metadata', () => {
    const schema = customResourceSchema(
      { group: 'example.com', version: 'v1', kind: 'Widget' },
      {
        type: 'object',
        properties: {
          spec: { type: 'object', properties: { size: { type: 'integer' } } },
          status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
        },
      },
    );
    const widget = {
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: 'w', bogus: 1 },
      spec: { size: 1, colour: 'red' },
      status: { anything: 1 },
    };
    expect(findUnknownFields(schema, widget, defs)).toEqual(['metadata.bogus', 'spec.colour']);
  });

  it('throws for an unknown definition name', () => {
    expect(() => findUnknownFields('io.k8s.api.nope.v1.Nope', {}, defs)).toThrow(/unknown OpenAPI/);
  });
});

describe('messages', () => {
  it('formats them like apimachinery’s strict decoding errors', () => {
    expect(unknownFieldMessage('spec.foo')).toBe('unknown field "spec.foo"');
    expect(strictDecodingMessage(['spec.foo', 'spec.template.spec.containers[0].x'])).toBe(
      'strict decoding error: unknown field "spec.foo", unknown field "spec.template.spec.containers[0].x"',
    );
    expect(unknownFieldMessage('a"b')).toBe('unknown field "a\\"b"');
  });
});
