import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../api/types.ts';
import type { FieldPath } from './field-set.ts';
import { FieldSet, keyElement, pathString, serializePathElement } from './field-set.ts';

const f = (...names: string[]): FieldPath => names.map((field) => ({ field }));

describe('FieldSet fieldsV1 encoding', () => {
  it('round-trips what kube-apiserver writes, with "." for items that also have fields', () => {
    const fieldsV1: JsonObject = {
      'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
      'f:spec': {
        'f:containers': { 'k:{"name":"app"}': { '.': {}, 'f:image': {}, 'f:name': {} } },
        'f:finalizers': { 'v:"a"': {} },
        'f:replicas': {},
      },
    };
    const set = FieldSet.fromFieldsV1(fieldsV1);
    expect(set.toFieldsV1()).toEqual(fieldsV1);
    expect(JSON.stringify(set.toFieldsV1())).toBe(JSON.stringify(fieldsV1));
    expect(set.has(f('metadata', 'labels'))).toBe(true);
    expect(set.has(f('metadata'))).toBe(false);
    expect(
      set.has([...f('spec', 'containers'), keyElement([['name', 'app']]), { field: 'image' }]),
    ).toBe(true);
  });

  it('orders field names before keys before values, each by content', () => {
    const set = FieldSet.fromPaths([
      [{ field: 'list' }, { value: 'b' }],
      [{ field: 'list' }, { value: 2 }],
      [{ field: 'list' }, keyElement([['name', 'z']])],
      [{ field: 'list' }, { field: 'x' }],
      f('b'),
      f('a'),
    ]);
    expect(Object.keys(set.toFieldsV1())).toEqual(['f:a', 'f:b', 'f:list']);
    expect(Object.keys(set.toFieldsV1()['f:list'] as JsonObject)).toEqual([
      'f:x',
      'k:{"name":"z"}',
      'v:2',
      'v:"b"',
    ]);
  });

  it('sorts key fields by name and writes values as Go does', () => {
    const pe = keyElement([
      ['protocol', 'TCP'],
      ['containerPort', 80],
    ]);
    expect(serializePathElement(pe)).toBe('k:{"containerPort":80,"protocol":"TCP"}');
    expect(serializePathElement({ value: 'a<b' })).toBe('v:"a\\u003cb"');
    expect(pathString([...f('spec', 'ports'), pe, { field: 'name' }])).toBe(
      '.spec.ports[containerPort=80,protocol="TCP"].name',
    );
    expect(pathString([...f('finalizers'), { value: 'x' }, { index: 3 }])).toBe(
      '.finalizers[="x"][3]',
    );
  });

  it('ignores unknown element types and rejects malformed ones', () => {
    expect(FieldSet.fromFieldsV1({ 'z:what': {}, 'f:a': {} }).paths().map(pathString)).toEqual([
      '.a',
    ]);
    expect(() => FieldSet.fromFieldsV1({ 'k:not json': {} })).toThrow();
    expect(() => FieldSet.fromFieldsV1({ 'f:a': 1 })).toThrow();
  });
});

describe('FieldSet operations', () => {
  const a = FieldSet.fromPaths([
    f('spec', 'replicas'),
    f('spec', 'template', 'x'),
    f('metadata', 'labels', 'app'),
  ]);
  const b = FieldSet.fromPaths([
    f('spec', 'replicas'),
    f('spec', 'template'),
    f('status', 'ready'),
  ]);

  it('unions, intersects and subtracts', () => {
    expect(a.union(b).paths().map(pathString)).toEqual([
      '.metadata.labels.app',
      '.spec.replicas',
      '.spec.template',
      '.spec.template.x',
      '.status.ready',
    ]);
    expect(a.intersection(b).paths().map(pathString)).toEqual(['.spec.replicas']);
    // A plain difference keeps children of a removed parent…
    expect(a.difference(b).paths().map(pathString)).toEqual([
      '.metadata.labels.app',
      '.spec.template.x',
    ]);
    // …a recursive one removes them too.
    expect(a.recursiveDifference(b).paths().map(pathString)).toEqual(['.metadata.labels.app']);
  });

  it('lists members before children at each level', () => {
    const set = FieldSet.fromPaths([
      f('spec', 'template', 'x'),
      f('spec', 'replicas'),
      f('apiVersion'),
    ]);
    expect(set.paths().map(pathString)).toEqual([
      '.apiVersion',
      '.spec.replicas',
      '.spec.template.x',
    ]);
  });

  it('is empty when it holds no path', () => {
    expect(new FieldSet().empty()).toBe(true);
    expect(a.difference(a).empty()).toBe(true);
    expect(a.empty()).toBe(false);
  });
});
