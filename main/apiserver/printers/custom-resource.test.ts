import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../api/types.ts';
import { tableForCustomResource } from './columns.ts';
import type { CustomResourceColumnDefinition, TableOptions } from './columns.ts';
import { compileJsonPath, JsonPathError } from './jsonpath.ts';

const NOW = Date.parse('2025-06-01T12:00:00Z');
const options: TableOptions = { now: new Date(NOW), includeObject: 'Metadata' };

const certificate: KubeObject = {
  apiVersion: 'cert-manager.io/v1',
  kind: 'Certificate',
  metadata: { name: 'shop-tls', namespace: 'shop', creationTimestamp: '2025-05-30T07:00:00Z' },
  spec: {
    secretName: 'shop-tls',
    replicas: 3,
    ratio: 0.75,
    paused: false,
    dnsNames: ['shop.localhost', 'api.localhost'],
    big: 1234567.5,
  },
  status: {
    notAfter: '2025-08-28T12:00:00Z',
    conditions: [
      { type: 'Issuing', status: 'False' },
      { type: 'Ready', status: 'True', message: 'Certificate is up to date and has not expired' },
    ],
  },
};

describe('tableForCustomResource', () => {
  it('evaluates additionalPrinterColumns by type after a leading NAME column', () => {
    const columns: CustomResourceColumnDefinition[] = [
      { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
      { name: 'Secret', type: 'string', jsonPath: '.spec.secretName' },
      { name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas' },
      { name: 'Ratio', type: 'number', jsonPath: '.spec.ratio' },
      { name: 'Paused', type: 'boolean', jsonPath: '.spec.paused' },
      {
        name: 'Expires',
        type: 'date',
        jsonPath: '.status.notAfter',
        description: 'When it expires',
      },
      { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
      { name: 'Hosts', type: 'string', jsonPath: '.spec.dnsNames', priority: 1 },
      { name: 'Status', type: 'string', jsonPath: '.status.conditions[-1].message', priority: 1 },
      { name: 'Missing', type: 'string', jsonPath: '.spec.nothing' },
      { name: 'WrongType', type: 'integer', jsonPath: '.spec.secretName' },
      { name: 'Big', type: 'string', jsonPath: '.spec.big' },
    ];
    const table = tableForCustomResource(columns, [certificate], options);
    expect(table.columnDefinitions[0]).toEqual({
      name: 'Name',
      type: 'string',
      format: 'name',
      description: expect.any(String) as string,
      priority: 0,
    });
    expect(table.columnDefinitions[1]).toEqual({
      name: 'Ready',
      type: 'string',
      format: '',
      description:
        'Custom resource definition column (in JSONPath format): .status.conditions[?(@.type=="Ready")].status',
      priority: 0,
    });
    expect(table.columnDefinitions[6].description).toBe('When it expires');
    expect(table.columnDefinitions[8].priority).toBe(1);
    expect(table.rows[0].cells).toEqual([
      'shop-tls',
      'True',
      'shop-tls',
      3,
      0.75,
      false,
      // A date in the future is "<invalid>" like any negative age beyond clock skew.
      '<invalid>',
      '2d5h',
      '["shop.localhost","api.localhost"]',
      'Certificate is up to date and has not expired',
      null,
      null,
      '1.2345675e+06',
    ]);
    expect(table.rows[0].object?.kind).toBe('PartialObjectMetadata');
  });

  it('serves NAME and AGE when the CRD declares no columns', () => {
    const table = tableForCustomResource(undefined, [certificate], options);
    expect(table.columnDefinitions.map((c) => [c.name, c.type])).toEqual([
      ['Name', 'string'],
      ['Age', 'date'],
    ]);
    expect(table.rows[0].cells).toEqual(['shop-tls', '2d5h']);
    expect(tableForCustomResource([], [certificate], options).columnDefinitions).toHaveLength(2);
  });

  it('stops at the first column whose JSONPath does not parse, as upstream falls back', () => {
    const table = tableForCustomResource(
      [
        { name: 'A', type: 'string', jsonPath: '.spec.secretName' },
        { name: 'B', type: 'string', jsonPath: '.spec[' },
        { name: 'C', type: 'string', jsonPath: '.spec.secretName' },
      ],
      [certificate],
      options,
    );
    expect(table.columnDefinitions.map((c) => c.name)).toEqual(['Name', 'A']);
    expect(table.rows[0].cells).toEqual(['shop-tls', 'shop-tls']);
  });

  it('renders unparseable and empty dates', () => {
    const obj = { ...certificate, status: { notAfter: 'next tuesday' }, spec: { when: '' } };
    const table = tableForCustomResource(
      [
        { name: 'Expires', type: 'date', jsonPath: '.status.notAfter' },
        { name: 'When', type: 'date', jsonPath: '.spec.when' },
      ],
      [obj],
      options,
    );
    expect(table.rows[0].cells).toEqual(['shop-tls', '<invalid>', '<unknown>']);
  });
});

describe('compileJsonPath', () => {
  const data = {
    metadata: { labels: { 'app.kubernetes.io/name': 'shop' } },
    items: [
      { name: 'a', n: 1 },
      { name: 'b', n: 5 },
    ],
    nested: { deep: { name: 'x' }, other: [{ name: 'y' }] },
  };

  it('supports fields, quoted keys, indexes, wildcards, recursion and filters', () => {
    expect(compileJsonPath(".metadata.labels['app.kubernetes.io/name']").find(data)).toEqual([
      'shop',
    ]);
    expect(compileJsonPath('.items[1].name').find(data)).toEqual(['b']);
    expect(compileJsonPath('.items[-1].n').find(data)).toEqual([5]);
    expect(compileJsonPath('.items[*].name').find(data)).toEqual(['a', 'b']);
    expect(compileJsonPath('.items[?(@.n>2)].name').find(data)).toEqual(['b']);
    expect(compileJsonPath('.items[?(@.name!="a")].n').find(data)).toEqual([5]);
    expect(compileJsonPath('{.nested..name}').find(data)).toEqual(['x', 'y']);
    expect(compileJsonPath('.items[7].name').find(data)).toEqual([]);
    expect(compileJsonPath('.missing.key').find(data)).toEqual([]);
  });

  it('rejects syntax outside the supported subset', () => {
    expect(() => compileJsonPath('.items[')).toThrow(JsonPathError);
    expect(() => compileJsonPath('')).toThrow(JsonPathError);
    expect(() => compileJsonPath('.items[1:2]')).toThrow(JsonPathError);
  });
});
