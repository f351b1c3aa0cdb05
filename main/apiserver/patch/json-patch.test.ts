import { describe, expect, it } from 'vitest';
import type { JsonObject, JsonValue } from '../../api/types.ts';
import { StatusError } from '../../api/status.ts';
import { MAX_JSON_PATCH_OPERATIONS, applyJsonPatch } from './json-patch.ts';

const doc = (): JsonObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'cm', labels: { app: 'web', 'a/b': 'slash', 'm~n': 'tilde' } },
  data: { k: 'v' },
  list: [1, 2, 3],
});

function patched(patch: JsonValue, input: JsonValue = doc()): JsonValue {
  return applyJsonPatch(input, patch).object;
}

function statusOf(fn: () => unknown): StatusError {
  try {
    fn();
  } catch (err) {
    if (err instanceof StatusError) return err;
    throw err;
  }
  throw new Error('expected a StatusError');
}

describe('applyJsonPatch operations', () => {
  it('adds, replaces and removes members', () => {
    const out = patched([
      { op: 'add', path: '/data/new', value: 'x' },
      { op: 'replace', path: '/data/k', value: 'w' },
      { op: 'remove', path: '/metadata/labels/app' },
    ]) as JsonObject;
    expect(out.data).toEqual({ k: 'w', new: 'x' });
    expect((out.metadata as JsonObject).labels).toEqual({ 'a/b': 'slash', 'm~n': 'tilde' });
  });

  it('unescapes ~1 and ~0 in path tokens', () => {
    const out = patched([
      { op: 'replace', path: '/metadata/labels/a~1b', value: 'S' },
      { op: 'remove', path: '/metadata/labels/m~0n' },
    ]) as JsonObject;
    expect((out.metadata as JsonObject).labels).toEqual({ app: 'web', 'a/b': 'S' });
  });

  it('inserts into arrays by index, appends with "-", counts negative indices from the end', () => {
    expect((patched([{ op: 'add', path: '/list/0', value: 0 }]) as JsonObject).list).toEqual([
      0, 1, 2, 3,
    ]);
    expect((patched([{ op: 'add', path: '/list/-', value: 4 }]) as JsonObject).list).toEqual([
      1, 2, 3, 4,
    ]);
    expect((patched([{ op: 'add', path: '/list/3', value: 4 }]) as JsonObject).list).toEqual([
      1, 2, 3, 4,
    ]);
    expect((patched([{ op: 'remove', path: '/list/-1' }]) as JsonObject).list).toEqual([1, 2]);
    expect((patched([{ op: 'replace', path: '/list/1', value: 9 }]) as JsonObject).list).toEqual([
      1, 9, 3,
    ]);
  });

  it('moves and copies values, the copy being independent', () => {
    const out = patched([
      { op: 'copy', from: '/metadata/labels', path: '/spec' },
      { op: 'add', path: '/spec/extra', value: 'y' },
      { op: 'move', from: '/data/k', path: '/data/moved' },
    ]) as JsonObject;
    expect(out.spec).toEqual({ app: 'web', 'a/b': 'slash', 'm~n': 'tilde', extra: 'y' });
    expect((out.metadata as JsonObject).labels).not.toHaveProperty('extra');
    expect(out.data).toEqual({ moved: 'v' });
  });

  it('passes a matching test and leaves the input untouched', () => {
    const input = doc();
    const before = JSON.stringify(input);
    const out = applyJsonPatch(input, [
      { op: 'test', path: '/data/k', value: 'v' },
      {
        op: 'test',
        path: '/metadata/labels',
        value: { app: 'web', 'a/b': 'slash', 'm~n': 'tilde' },
      },
      { op: 'test', path: '/data/absent', value: null },
      { op: 'replace', path: '/data/k', value: 'changed' },
    ]);
    expect((out.object as JsonObject).data).toEqual({ k: 'changed' });
    expect(JSON.stringify(input)).toBe(before);
  });

  it('lets replace add a missing object member and replace the whole document (json-patch v4)', () => {
    expect(
      (patched([{ op: 'replace', path: '/data/absent', value: 1 }]) as JsonObject).data,
    ).toEqual({
      k: 'v',
      absent: 1,
    });
    expect(patched([{ op: 'replace', path: '', value: { kind: 'X' } }])).toEqual({ kind: 'X' });
  });

  it('applies the JSON patch kubectl rollout undo sends for a Deployment', () => {
    const deployment: JsonObject = {
      metadata: { name: 'web', annotations: { 'deployment.kubernetes.io/revision': '2' } },
      spec: { template: { spec: { containers: [{ name: 'app', image: 'x:2' }] } } },
    };
    const out = patched(
      [
        {
          op: 'replace',
          path: '/spec/template',
          value: { spec: { containers: [{ name: 'app', image: 'x:1' }] } },
        },
        {
          op: 'replace',
          path: '/metadata/annotations',
          value: { 'deployment.kubernetes.io/revision': '1' },
        },
      ],
      deployment,
    ) as JsonObject;
    expect(out).toEqual({
      metadata: { name: 'web', annotations: { 'deployment.kubernetes.io/revision': '1' } },
      spec: { template: { spec: { containers: [{ name: 'app', image: 'x:1' }] } } },
    });
  });
});

describe('applyJsonPatch errors (as kube-apiserver answers them)', () => {
  const rejected = 'the server rejected our request due to an error in our request';

  it('answers 422 Invalid with the fixed text when a test fails', () => {
    const err = statusOf(() => patched([{ op: 'test', path: '/data/k', value: 'other' }]));
    expect(err.code).toBe(422);
    expect(err.reason).toBe('Invalid');
    expect(err.message).toBe(rejected);
    expect(err.toStatus().details).toEqual({});
    expect((err.cause as Error).message).toBe('testing value /data/k failed: test failed');
  });

  it('answers 422 for paths that do not exist', () => {
    const ops: JsonObject[] = [
      { op: 'add', path: '/missing/child', value: 1 },
      { op: 'remove', path: '/data/absent' },
      { op: 'replace', path: '/list/7', value: 1 },
      { op: 'add', path: '/list/5', value: 1 },
      { op: 'move', from: '/nope', path: '/data/x' },
      { op: 'copy', from: '/data/k', path: '/nope/x' },
      { op: 'add', path: '', value: 1 },
      { op: 'test', path: '/list/9', value: 1 },
    ];
    for (const op of ops) {
      const err = statusOf(() => patched([op]));
      expect(err.code, JSON.stringify(op)).toBe(422);
      expect(err.message).toBe(rejected);
    }
  });

  it('answers 422 for an unknown op', () => {
    const err = statusOf(() => patched([{ op: 'frobnicate', path: '/a' }]));
    expect(err.code).toBe(422);
    expect((err.cause as Error).message).toBe('Unexpected kind: frobnicate');
  });

  it('answers 400 with encoding/json text when the body is not a list of operations', () => {
    const err = statusOf(() => patched({ op: 'add' }));
    expect(err.code).toBe(400);
    expect(err.reason).toBe('BadRequest');
    expect(err.message).toBe(
      'error decoding patch: json: cannot unmarshal object into Go value of type []handlers.jsonPatchOp',
    );
    const ignored = statusOf(() => applyJsonPatch(doc(), 'x', { fieldValidation: 'Ignore' }));
    expect(ignored.message).toBe(
      'json: cannot unmarshal string into Go value of type jsonpatch.Patch',
    );
    const element = statusOf(() => patched(['add']));
    expect(element.message).toBe(
      'error decoding patch: json: cannot unmarshal string into Go value of type handlers.jsonPatchOp',
    );
    const field = statusOf(() => patched([{ op: 1, path: '/a' }]));
    expect(field.message).toBe(
      'error decoding patch: json: cannot unmarshal number into Go struct field jsonPatchOp.op of type string',
    );
  });

  it('reports unknown operation fields as strict decoding errors', () => {
    const out = applyJsonPatch(doc(), [{ op: 'add', path: '/data/x', value: 1, extra: true }]);
    expect(out.strictErrors).toEqual(['json patch unknown field "extra"']);
    expect(
      applyJsonPatch(doc(), [{ op: 'add', path: '/data/x', value: 1, extra: 1 }], {
        fieldValidation: 'Ignore',
      }).strictErrors,
    ).toEqual([]);
  });

  it('refuses more than 10000 operations with 413', () => {
    const ops = Array.from({ length: MAX_JSON_PATCH_OPERATIONS + 1 }, () => ({
      op: 'test',
      path: '/kind',
      value: 'ConfigMap',
    }));
    const err = statusOf(() => patched(ops));
    expect(err.code).toBe(413);
    expect(err.message).toBe('The allowed maximum operations in a JSON patch is 10000, got 10001');
  });

  it('limits the bytes copy operations add', () => {
    const err = statusOf(() =>
      applyJsonPatch(doc(), [{ op: 'copy', from: '/metadata', path: '/copy' }], {
        maxCopyBytes: 10,
      }),
    );
    expect(err.code).toBe(422);
    expect((err.cause as Error).message).toMatch(
      /accumulated size increase of copy is \d+, exceeding the limit 10/,
    );
  });
});
