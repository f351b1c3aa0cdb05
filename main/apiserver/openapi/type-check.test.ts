import { describe, it, expect } from 'vitest';
import { loadDefinitions } from './definitions.ts';
import { findTypeMismatch } from './type-check.ts';

const definitions = loadDefinitions();
const deployment = (spec: unknown) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'd' },
  spec,
});

describe('findTypeMismatch', () => {
  it('names the field, its struct and the Go type, like the decoder', () => {
    expect(
      findTypeMismatch(
        'io.k8s.api.apps.v1.Deployment',
        deployment({ replicas: 'abc' }),
        definitions,
      ),
    ).toEqual({
      path: 'spec.replicas',
      struct: 'DeploymentSpec',
      found: 'string',
      expected: 'int32',
    });
  });

  it('reports a list given as an object with its element type', () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: { containers: { name: 'c' } },
    };
    expect(findTypeMismatch('io.k8s.api.core.v1.Pod', pod, definitions)).toMatchObject({
      path: 'spec.containers',
      found: 'object',
      expected: '[]v1.Container',
    });
  });

  it('looks inside lists and maps', () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', labels: { a: 1 } },
      spec: { containers: [{ name: 'c', image: 'x' }] },
    };
    expect(findTypeMismatch('io.k8s.api.core.v1.Pod', pod, definitions)).toMatchObject({
      path: 'metadata.labels.a',
      found: 'number',
      expected: 'string',
    });
    const bad = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: { containers: [{ name: 'c', image: 7 }] },
    };
    expect(findTypeMismatch('io.k8s.api.core.v1.Pod', bad, definitions)).toMatchObject({
      path: 'spec.containers.image',
      struct: 'Container',
      found: 'number',
      expected: 'string',
    });
  });

  it('accepts what the decoder accepts: int-or-string, numeric quantities, nulls', () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', annotations: null },
      spec: {
        containers: [
          {
            name: 'c',
            image: 'x',
            resources: { limits: { cpu: 1, memory: '1Gi' } },
            livenessProbe: { httpGet: { port: 'http' } },
          },
          { name: 'd', image: 'x', livenessProbe: { httpGet: { port: 8080 } } },
        ],
      },
    };
    expect(findTypeMismatch('io.k8s.api.core.v1.Pod', pod, definitions)).toBeUndefined();
  });

  it('accepts every alternative of the CRD schema unions (JSONSchemaPropsOrArray, OrBool)', () => {
    const schema = {
      type: 'object',
      additionalProperties: false,
      properties: {
        tags: { type: 'array', items: { type: 'string' } },
        pair: { type: 'array', items: [{ type: 'string' }, { type: 'integer' }] },
        labels: { type: 'object', additionalProperties: { type: 'string' } },
      },
    };
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.example.com' },
      spec: { versions: [{ name: 'v1', schema: { openAPIV3Schema: schema } }] },
    };
    const root =
      'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition';
    expect(findTypeMismatch(root, crd, definitions)).toBeUndefined();
    const bad = {
      ...crd,
      spec: { versions: [{ name: 'v1', schema: { openAPIV3Schema: { items: 'x' } } }] },
    };
    expect(findTypeMismatch(root, bad, definitions)).toMatchObject({
      path: 'spec.versions.schema.openAPIV3Schema.items',
      found: 'string',
    });
  });
});
