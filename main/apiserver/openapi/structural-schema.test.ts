import { describe, expect, it } from 'vitest';
import type { Schema } from './schema.ts';
import {
  applySchemaDefaults,
  checkStructural,
  pruneUnknownFields,
  validateAgainstSchema,
} from './structural-schema.ts';

/** A CR schema with `spec` holding `fields`. */
function withSpec(fields: Record<string, Schema>, extra: Schema = {}): Schema {
  return {
    type: 'object',
    properties: { spec: { type: 'object', properties: fields, ...extra } },
  };
}

function messages(schema: Schema, object: unknown): string[] {
  return validateAgainstSchema(schema, object).map((e) => `${e.field}: ${e.message}`);
}

describe('validateAgainstSchema', () => {
  it('reports type errors as apiextensions-apiserver does', () => {
    const schema = withSpec({ replicas: { type: 'integer' }, name: { type: 'string' } });
    expect(validateAgainstSchema(schema, { spec: { replicas: 'string', name: 'x' } })).toEqual([
      {
        type: 'FieldValueTypeInvalid',
        field: 'spec.replicas',
        message: 'Invalid value: "string": spec.replicas in body must be of type integer: "string"',
      },
    ]);
    expect(messages(schema, { spec: { name: 5 } })).toEqual([
      'spec.name: Invalid value: "integer": spec.name in body must be of type string: "integer"',
    ]);
    expect(messages(schema, { spec: { name: { a: 1 } } })).toEqual([
      'spec.name: Invalid value: "object": spec.name in body must be of type string: "object"',
    ]);
    expect(messages(schema, { spec: 'x' })).toEqual([
      'spec: Invalid value: "string": spec in body must be of type object: "string"',
    ]);
  });

  it('flags a fraction in an integer field twice, like kube-openapi', () => {
    expect(
      messages(withSpec({ replicas: { type: 'integer' } }), { spec: { replicas: 1.5 } }),
    ).toEqual([
      'spec.replicas: Invalid value: "number": spec.replicas in body must be of type integer: "number"',
      '<nil>: Invalid value: "": Checked value must be of type integer (default format) in spec.replicas',
    ]);
    expect(
      messages(withSpec({ replicas: { type: 'integer', format: 'int32' } }), {
        spec: { replicas: 2 ** 40 },
      }),
    ).toEqual([
      '<nil>: Invalid value: "": Checked value must be of type integer with format int32 in spec.replicas',
    ]);
    expect(messages(withSpec({ ratio: { type: 'number' } }), { spec: { ratio: 3 } })).toEqual([]);
  });

  it('reports required fields, enums and null', () => {
    const schema = withSpec(
      {
        name: { type: 'string' },
        color: { type: 'string', enum: ['red', 'blue'] },
        size: { type: 'integer', enum: [1, 2] },
        note: { type: 'string', nullable: true },
      },
      { required: ['name'] },
    );
    expect(validateAgainstSchema(schema, { spec: {} })).toEqual([
      { type: 'FieldValueRequired', field: 'spec.name', message: 'Required value' },
    ]);
    expect(messages(schema, { spec: { name: 'n', color: 'green', size: 3 } })).toEqual([
      'spec.color: Unsupported value: "green": supported values: "red", "blue"',
      'spec.size: Unsupported value: 3: supported values: "1", "2"',
    ]);
    expect(messages(schema, { spec: { name: null, note: null } })).toEqual([
      'spec.name: Invalid value: "null": spec.name in body must be of type string: "null"',
    ]);
    expect(messages({ type: 'object', required: ['spec'] }, {})).toEqual(['spec: Required value']);
  });

  it('checks numeric bounds with Go formatting', () => {
    const schema = withSpec({
      replicas: { type: 'integer', minimum: 1, maximum: 10, exclusiveMaximum: true },
      ratio: { type: 'number', maximum: 1000000 },
      step: { type: 'integer', multipleOf: 5 },
    });
    expect(messages(schema, { spec: { replicas: 0 } })).toEqual([
      'spec.replicas: Invalid value: 0: spec.replicas in body should be greater than or equal to 1',
    ]);
    expect(messages(schema, { spec: { replicas: 10 } })).toEqual([
      'spec.replicas: Invalid value: 10: spec.replicas in body should be less than 10',
    ]);
    expect(messages(schema, { spec: { ratio: 1000000.5 } })).toEqual([
      'spec.ratio: Invalid value: 1.0000005e+06: spec.ratio in body should be less than or equal to 1e+06',
    ]);
    expect(messages(schema, { spec: { step: 7 } })).toEqual([
      'spec.step: Invalid value: 7: spec.step in body should be a multiple of 5',
    ]);
  });

  it('checks strings: length, pattern and formats', () => {
    const schema = withSpec({
      name: { type: 'string', minLength: 2, maxLength: 3, pattern: '^[a-z]+$' },
      when: { type: 'string', format: 'date-time' },
      blob: { type: 'string', format: 'byte' },
      other: { type: 'string', format: 'made-up' },
    });
    expect(validateAgainstSchema(schema, { spec: { name: 'abcd' } })).toEqual([
      {
        type: 'FieldValueTooLong',
        field: 'spec.name',
        message: 'Too long: may not be more than 3 bytes',
      },
    ]);
    expect(messages(schema, { spec: { name: 'a' } })).toEqual([
      'spec.name: Invalid value: "a": spec.name in body should be at least 2 chars long',
    ]);
    expect(messages(schema, { spec: { name: 'AB' } })).toEqual([
      'spec.name: Invalid value: "AB": spec.name in body should match \'^[a-z]+$\'',
    ]);
    expect(messages(schema, { spec: { when: 'yesterday', blob: '!!' } })).toEqual([
      'spec.when: Invalid value: "yesterday": spec.when in body must be of type date-time: "yesterday"',
      'spec.blob: Invalid value: "!!": spec.blob in body must be of type byte: "!!"',
    ]);
    expect(
      messages(schema, { spec: { when: '2024-05-01T10:00:00Z', blob: 'aGk=', other: 'anything' } }),
    ).toEqual([]);
  });

  it('checks arrays and objects', () => {
    const schema = withSpec({
      tags: {
        type: 'array',
        items: { type: 'string' },
        minItems: 1,
        maxItems: 2,
        uniqueItems: true,
      },
      labels: {
        type: 'object',
        additionalProperties: { type: 'string' },
        minProperties: 1,
        maxProperties: 2,
      },
      closed: { type: 'object', additionalProperties: false },
    });
    expect(validateAgainstSchema(schema, { spec: { tags: ['a', 'b', 'c'] } })).toEqual([
      {
        type: 'FieldValueTooMany',
        field: 'spec.tags',
        message: 'Too many: 3: must have at most 2 items',
      },
    ]);
    expect(messages(schema, { spec: { tags: [] } })).toEqual([
      'spec.tags: Invalid value: 0: spec.tags in body should have at least 1 items',
    ]);
    expect(messages(schema, { spec: { tags: ['a', 'a'] } })).toEqual([
      'spec.tags: Invalid value: "": spec.tags in body shouldn\'t contain duplicates',
    ]);
    expect(messages(schema, { spec: { tags: ['a', 1] } })).toEqual([
      'spec.tags[1]: Invalid value: "integer": spec.tags[1] in body must be of type string: "integer"',
    ]);
    expect(messages(schema, { spec: { labels: { a: 'x', b: 2, c: 'y' } } })).toEqual([
      'spec.labels: Too many: 3: must have at most 2 items',
      'spec.labels.b: Invalid value: "integer": spec.labels.b in body must be of type string: "integer"',
    ]);
    expect(messages(schema, { spec: { labels: {} } })).toEqual([
      'spec.labels: Invalid value: 0: spec.labels in body should have at least 1 properties',
    ]);
    expect(messages(schema, { spec: { closed: { x: 1 } } })).toEqual([
      'spec.closed: Invalid value: "x": spec.closed.x in body is a forbidden property',
    ]);
  });

  it('handles int-or-string, preserve-unknown-fields and combinators', () => {
    const schema = withSpec({
      port: {
        'x-kubernetes-int-or-string': true,
        anyOf: [{ type: 'integer' }, { type: 'string' }],
      },
      free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
      mode: { type: 'string', not: { enum: ['bad'] } },
      exact: { type: 'integer', oneOf: [{ minimum: 0 }, { maximum: 10 }] },
    });
    expect(messages(schema, { spec: { port: 80, free: { any: { thing: 1 } } } })).toEqual([]);
    expect(messages(schema, { spec: { port: 'http' } })).toEqual([]);
    expect(messages(schema, { spec: { port: true } })).toEqual([
      'spec.port: Invalid value: "boolean": spec.port in body must be of type integer,string: "boolean"',
      '<nil>: Invalid value: "": "spec.port" must validate at least one schema (anyOf)',
      'spec.port: Invalid value: "boolean": spec.port in body must be of type integer: "boolean"',
    ]);
    expect(messages(schema, { spec: { mode: 'bad' } })).toEqual([
      '<nil>: Invalid value: "": "spec.mode" must not validate the schema (not)',
    ]);
    expect(messages(schema, { spec: { exact: 5 } })).toEqual([
      '<nil>: Invalid value: "": "spec.exact" must validate one and only one schema (oneOf). Found 2 valid alternatives',
    ]);
  });

  it('prefixes a base path for subresource validation', () => {
    const status = { type: 'object', properties: { replicas: { type: 'integer' } } };
    expect(validateAgainstSchema(status, { replicas: 'x' }, { basePath: 'status' })).toEqual([
      {
        type: 'FieldValueTypeInvalid',
        field: 'status.replicas',
        message: 'Invalid value: "string": replicas in body must be of type integer: "string"',
      },
    ]);
  });
});

describe('pruneUnknownFields', () => {
  const schema: Schema = {
    type: 'object',
    properties: {
      spec: {
        type: 'object',
        properties: {
          size: { type: 'integer' },
          items: {
            type: 'array',
            items: { type: 'object', properties: { name: { type: 'string' } } },
          },
          labels: { type: 'object', additionalProperties: { type: 'string' } },
          raw: {
            type: 'object',
            'x-kubernetes-preserve-unknown-fields': true,
            properties: { typed: { type: 'object', properties: { a: { type: 'string' } } } },
          },
          embedded: {
            type: 'object',
            'x-kubernetes-embedded-resource': true,
            properties: { spec: { type: 'object', properties: {} } },
          },
        },
      },
    },
  };

  it('drops unknown fields, keeps meta fields and reports sorted paths', () => {
    const cr = {
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: 'w', anything: 'kept' },
      spec: {
        size: 1,
        colour: 'red',
        items: [{ name: 'a', extra: 1 }],
        labels: { free: 'form' },
        raw: { whatever: 1, typed: { a: 'x', b: 'pruned' } },
        embedded: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { x: 1 }, y: 2 },
      },
      status: { ready: true },
    };
    const pruned: string[] = [];
    const out = pruneUnknownFields(schema, cr, { prunedPaths: pruned });
    expect(out).toEqual({
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: 'w', anything: 'kept' },
      spec: {
        size: 1,
        items: [{ name: 'a' }],
        labels: { free: 'form' },
        raw: { whatever: 1, typed: { a: 'x' } },
        embedded: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: {} },
      },
    });
    expect(pruned).toEqual([
      'spec.colour',
      'spec.embedded.spec.x',
      'spec.embedded.y',
      'spec.items[0].extra',
      'spec.raw.typed.b',
      'status',
    ]);
    expect(cr.spec.colour).toBe('red'); // the input is not modified
  });

  it('prunes everything below a missing schema', () => {
    expect(pruneUnknownFields(undefined, { a: 1, apiVersion: 'x' })).toEqual({ apiVersion: 'x' });
  });
});

describe('applySchemaDefaults', () => {
  const schema: Schema = {
    type: 'object',
    properties: {
      spec: {
        type: 'object',
        default: {},
        properties: {
          replicas: { type: 'integer', default: 1 },
          mode: { type: 'string', default: 'auto' },
          note: { type: 'string' },
          maybe: { type: 'string', nullable: true },
          strategy: {
            type: 'object',
            default: { type: 'Rolling' },
            properties: { type: { type: 'string' }, surge: { type: 'integer', default: 25 } },
          },
          ports: {
            type: 'array',
            items: {
              type: 'object',
              properties: { protocol: { type: 'string', default: 'TCP' } },
            },
          },
        },
      },
    },
  };

  it('fills absent and null fields, recursively, and drops other nulls', () => {
    const cr = { spec: { mode: null, note: null, maybe: null, ports: [{}, { protocol: 'UDP' }] } };
    expect(applySchemaDefaults(schema, cr)).toEqual({
      spec: {
        replicas: 1,
        mode: 'auto',
        maybe: null,
        strategy: { type: 'Rolling', surge: 25 },
        ports: [{ protocol: 'TCP' }, { protocol: 'UDP' }],
      },
    });
    expect(cr.spec.mode).toBeNull();
    expect(applySchemaDefaults(schema, {})).toEqual({
      spec: { replicas: 1, mode: 'auto', strategy: { type: 'Rolling', surge: 25 } },
    });
  });
});

describe('checkStructural', () => {
  const base = 'spec.versions[0].schema.openAPIV3Schema';
  const text = (schema: Schema | undefined) =>
    checkStructural(schema, base).map((e) => `${e.field}: ${e.message}`);

  it('accepts a typical structural schema', () => {
    expect(
      text({
        type: 'object',
        properties: {
          spec: {
            type: 'object',
            required: ['size'],
            properties: {
              size: { type: 'integer', minimum: 1, default: 1 },
              port: {
                'x-kubernetes-int-or-string': true,
                anyOf: [{ type: 'integer' }, { type: 'string' }],
              },
              extra: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
              tags: { type: 'array', items: { type: 'string' }, 'x-kubernetes-list-type': 'set' },
              mode: { type: 'string', oneOf: [{ pattern: '^a' }, { pattern: '^b' }] },
            },
          },
          status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
        },
      }),
    ).toEqual([]);
  });

  it('requires a type at every level', () => {
    expect(
      text({
        type: 'object',
        properties: { spec: { properties: { list: { type: 'array' } } } },
      }),
    ).toEqual([
      `${base}.properties[spec].properties[list].items: Required value: must be specified`,
      `${base}.properties[spec].type: Required value: must not be empty for specified object fields`,
    ]);
    expect(text({ type: 'string' })).toEqual([
      `${base}.type: Invalid value: "string": must be object at the root`,
    ]);
    expect(text({ properties: {} })).toEqual([
      `${base}.type: Required value: must not be empty at the root`,
    ]);
    expect(text(undefined)).toEqual([`${base}: Required value: schemas are required`]);
  });

  it('keeps value validations from shaping data', () => {
    expect(
      text({
        type: 'object',
        properties: { spec: { type: 'object', properties: { a: { type: 'string' } } } },
        anyOf: [{ properties: { spec: { type: 'object', properties: { b: {} } } } }],
      }),
    ).toEqual([
      `${base}.anyOf[0].properties[spec].type: Forbidden: must be empty to be structural`,
      `${base}.properties[spec].properties[b]: Required value: because it is defined in ${base}.anyOf[0].properties[spec].properties[b]`,
    ]);
  });

  it('restricts root metadata and other CRD schema rules', () => {
    expect(
      text({
        type: 'object',
        properties: {
          metadata: { type: 'object', properties: { labels: { type: 'object' } } },
          spec: {
            type: 'object',
            properties: { a: { type: 'string' } },
            additionalProperties: { type: 'string' },
          },
          list: { type: 'array', items: { type: 'string' }, uniqueItems: true },
          odd: { type: 'thing' },
        },
      }),
    ).toEqual([
      `${base}.properties[metadata]: Forbidden: must not specify anything other than name and generateName, but metadata is implicitly specified`,
      `${base}.properties[spec].additionalProperties: Forbidden: additionalProperties and properties are mutual exclusive`,
      `${base}.properties[list].uniqueItems: Forbidden: uniqueItems cannot be set to true since the runtime complexity becomes quadratic`,
      `${base}.properties[odd].type: Unsupported value: "thing": supported values: "array", "boolean", "integer", "number", "object", "string"`,
    ]);
  });

  it('validates defaults against their schema', () => {
    expect(
      text({
        type: 'object',
        properties: {
          spec: {
            type: 'object',
            properties: {
              size: { type: 'integer', default: 'big' },
              conf: { type: 'object', properties: { a: { type: 'string' } }, default: { b: 1 } },
            },
          },
        },
      }),
    ).toEqual([
      `${base}.properties[spec].properties[size].default: Invalid value: "string":  in body must be of type integer: "string"`,
      `${base}.properties[spec].properties[conf].default: Invalid value: {"b":1}: must not have unknown fields`,
    ]);
  });
});
