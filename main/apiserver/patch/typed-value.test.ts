import { describe, expect, it } from 'vitest';
import type { JsonObject, JsonValue } from '../../api/types.ts';
import { UNTYPED_SCHEMA, builtinPatchSchema, schemaFromOpenAPI } from './patch-schema.ts';
import type { PatchSchema } from './patch-schema.ts';
import { FieldSet, keyElement, pathString } from './field-set.ts';
import {
  TypedValueError,
  compareObjects,
  dropNulls,
  ensureNamedFieldsAreMembers,
  mergeValues,
  removeItems,
  toFieldSet,
  validateListKeys,
} from './typed-value.ts';

const pod = builtinPatchSchema('', 'v1', 'Pod') as PatchSchema;
const paths = (s: FieldSet): string[] => s.paths().map(pathString);
const podWith = (containers: JsonValue[]): JsonObject => ({ spec: { containers } });
const names = (o: JsonValue | undefined): JsonValue[] =>
  (((o as JsonObject).spec as JsonObject).containers as JsonObject[]).map((c) => c.name);

describe('toFieldSet', () => {
  it('owns leaves, list items and map entries, not the struct fields leading to them', () => {
    const set = toFieldSet(
      {
        metadata: { labels: { app: 'x' }, annotations: {} },
        spec: { containers: [{ name: 'a', args: ['x'], resources: {} }], nodeSelector: { k: 'v' } },
      },
      pod,
    );
    expect(paths(set)).toEqual([
      '.metadata.annotations',
      '.metadata.labels.app',
      '.spec.nodeSelector',
      '.spec.containers[name="a"]',
      '.spec.containers[name="a"].args',
      '.spec.containers[name="a"].name',
      '.spec.containers[name="a"].resources',
    ]);
  });

  it('owns every key of free-form objects, with "."', () => {
    const set = toFieldSet(
      { raw: { a: { b: 1 } } },
      schemaFromOpenAPI({
        type: 'object',
        properties: { raw: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
      }),
    );
    expect(set.toFieldsV1()).toEqual({ 'f:raw': { 'f:a': { '.': {}, 'f:b': {} } } });
    expect(paths(toFieldSet({ a: null }, UNTYPED_SCHEMA))).toEqual(['.a']);
  });
});

describe('mergeValues', () => {
  it('keeps the live order, appends new applied items, and follows the applied order of shared ones', () => {
    const live = podWith([{ name: 'a' }, { name: 'b' }, { name: 'c' }]);
    expect(
      names(mergeValues(live, podWith([{ name: 'b', image: 'x' }, { name: 'd' }]), pod)),
    ).toEqual(['a', 'b', 'c', 'd']);
    expect(names(mergeValues(live, podWith([{ name: 'c' }, { name: 'a' }]), pod))).toEqual([
      'b',
      'c',
      'a',
    ]);
    const merged = mergeValues(live, podWith([{ name: 'b', image: 'x' }]), pod) as JsonObject;
    expect(((merged.spec as JsonObject).containers as JsonObject[])[1]).toEqual({
      name: 'b',
      image: 'x',
    });
  });

  it('replaces atomic values whole and merges granular maps', () => {
    const live = {
      spec: { nodeSelector: { a: '1', b: '2' }, tolerations: [{ key: 'x' }], hostname: 'h' },
    };
    const merged = mergeValues(
      live,
      { spec: { nodeSelector: { c: '3' }, tolerations: [{ key: 'y' }] } },
      pod,
    );
    expect(merged).toEqual({
      spec: { nodeSelector: { c: '3' }, tolerations: [{ key: 'y' }], hostname: 'h' },
    });
    const labels = mergeValues(
      { metadata: { labels: { a: '1' } } },
      { metadata: { labels: { b: '2' } } },
      pod,
    );
    expect(labels).toEqual({ metadata: { labels: { a: '1', b: '2' } } });
  });

  it('keeps applied nulls for ownership, which dropNulls then removes', () => {
    const merged = mergeValues(
      { spec: { hostname: 'h', subdomain: 's' } },
      { spec: { hostname: null } },
      pod,
    ) as JsonObject;
    expect(merged).toEqual({ spec: { hostname: null, subdomain: 's' } });
    expect(dropNulls(merged)).toEqual({ spec: { subdomain: 's' } });
  });

  it('refuses duplicate applied keys', () => {
    expect(() =>
      mergeValues(podWith([{ name: 'a' }]), podWith([{ name: 'b' }, { name: 'b' }]), pod),
    ).toThrow(TypedValueError);
  });
});

describe('compareObjects', () => {
  it('reports added, modified and removed fields', () => {
    const c = compareObjects(
      { spec: { hostname: 'a', subdomain: 's', containers: [{ name: 'x', image: '1' }] } },
      {
        spec: {
          hostname: 'b',
          priority: 1,
          containers: [{ name: 'x', image: '1' }, { name: 'y' }],
        },
      },
      pod,
    );
    expect(paths(c.modified)).toEqual(['.spec.hostname']);
    expect(paths(c.added)).toEqual([
      '.spec.priority',
      '.spec.containers[name="y"]',
      '.spec.containers[name="y"].name',
    ]);
    expect(paths(c.removed)).toEqual(['.spec.subdomain']);
  });

  it('counts fields kube-apiserver always serialises as present', () => {
    // spec, containers and resources exist (empty) in kube-apiserver's typed objects.
    const created = compareObjects(
      {},
      { spec: { containers: [{ name: 'x', resources: {} }] } },
      pod,
    );
    expect(paths(created.added)).toEqual([
      '.spec.containers[name="x"]',
      '.spec.containers[name="x"].name',
      '.spec.containers[name="x"].resources',
    ]);
    const existing = compareObjects(
      { spec: { containers: [{ name: 'x' }] } },
      { spec: { containers: [{ name: 'x', resources: {} }] } },
      pod,
    );
    expect(existing.added.empty()).toBe(true);
  });
});

describe('removeItems and ensureNamedFieldsAreMembers', () => {
  it('removes fields and items, leaving null where something was emptied', () => {
    const obj: JsonObject = {
      spec: { hostname: 'h', containers: [{ name: 'a' }, { name: 'b', image: 'i' }] },
    };
    const set = FieldSet.fromPaths([
      [{ field: 'spec' }, { field: 'containers' }, keyElement([['name', 'a']])],
      [{ field: 'spec' }, { field: 'containers' }, keyElement([['name', 'b']]), { field: 'image' }],
      [{ field: 'spec' }, { field: 'hostname' }],
    ]);
    expect(removeItems(obj, set, pod)).toEqual({ spec: { containers: [{ name: 'b' }] } });
    expect((obj.spec as JsonObject).containers).toHaveLength(2);
    const all = set.union(
      FieldSet.fromPaths([
        [{ field: 'spec' }, { field: 'containers' }, keyElement([['name', 'b']])],
      ]),
    );
    expect(removeItems(obj, all, pod)).toEqual({ spec: { containers: null } });
  });

  it('adds struct fields (not map keys) above owned fields as members', () => {
    const set = toFieldSet(
      { metadata: { labels: { a: '1' } }, spec: { containers: [{ name: 'x', image: 'i' }] } },
      pod,
    );
    expect(paths(ensureNamedFieldsAreMembers(set, pod))).toEqual([
      '.metadata',
      '.spec',
      '.metadata.labels',
      '.metadata.labels.a',
      '.spec.containers',
      '.spec.containers[name="x"]',
      '.spec.containers[name="x"].image',
      '.spec.containers[name="x"].name',
    ]);
  });
});

describe('validateListKeys', () => {
  it('names the list and the problem like structured-merge-diff', () => {
    const check = (o: JsonObject, dups = false): string => {
      try {
        validateListKeys(o, pod, dups);
        return 'ok';
      } catch (err) {
        return (err as Error).message;
      }
    };
    expect(check(podWith([{ name: 'a' }, { name: 'a' }]))).toBe(
      '.spec.containers: duplicate entries for key [name="a"]',
    );
    expect(check(podWith([{ name: 'a' }, { name: 'a' }]), true)).toBe('ok');
    expect(check(podWith(['x']))).toBe(
      '.spec.containers: element 0: associative list with keys may not have non-map elements',
    );
    expect(check({ metadata: { finalizers: [{}] } })).toBe(
      ".metadata.finalizers: element 0: associative list without keys has an element that's a map type",
    );
    // A key with a default (protocol) is filled in: no error.
    expect(check({ spec: { containers: [{ name: 'a', ports: [{ containerPort: 80 }] }] } })).toBe(
      'ok',
    );
    expect(
      check({
        spec: {
          containers: [
            { name: 'a', env: [{ value: 'p' }] },
            { name: 'b', env: [{ value: 'q' }] },
          ],
        },
      }),
    ).toBe(
      'errors:\n' +
        '  .spec.containers[name="a"].env: element 0: associative list with keys has an element that omits all key fields ["name"] (and doesn\'t have default values for any key fields)\n' +
        '  .spec.containers[name="b"].env: element 0: associative list with keys has an element that omits all key fields ["name"] (and doesn\'t have default values for any key fields)',
    );
  });
});
