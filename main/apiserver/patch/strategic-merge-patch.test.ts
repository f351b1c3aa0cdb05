import { describe, expect, it } from 'vitest';
import type { JsonObject, JsonValue } from '../../api/types.ts';
import { StatusError } from '../../api/status.ts';
import { builtinPatchSchema } from './patch-schema.ts';
import type { PatchSchema } from './patch-schema.ts';
import { strategicMergePatch } from './strategic-merge-patch.ts';

const deploymentSchema = builtinPatchSchema('apps', 'v1', 'Deployment') as PatchSchema;
const podSchema = builtinPatchSchema('', 'v1', 'Pod') as PatchSchema;

function deployment(): JsonObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', finalizers: ['a', 'b'], labels: { app: 'web' } },
    spec: {
      replicas: 2,
      strategy: {
        type: 'RollingUpdate',
        rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' },
      },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            {
              name: 'app',
              image: 'x:1',
              env: [
                { name: 'FOO', value: '1' },
                { name: 'BAR', value: '2' },
              ],
              ports: [{ containerPort: 80, protocol: 'TCP' }],
            },
            { name: 'sidecar', image: 's:1' },
          ],
          tolerations: [{ key: 'a', operator: 'Exists' }],
          volumes: [{ name: 'data', emptyDir: {} }],
        },
      },
    },
  };
}

const podSpec = (o: JsonObject): JsonObject =>
  ((o.spec as JsonObject).template as JsonObject).spec as JsonObject;
const containers = (o: JsonObject): JsonObject[] => podSpec(o).containers as JsonObject[];

function smp(
  patch: JsonValue,
  original: JsonObject = deployment(),
  schema = deploymentSchema,
): JsonObject {
  return strategicMergePatch(original, patch, schema);
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

describe('strategicMergePatch: the patches kubectl sends', () => {
  it('changes an image by merge key, keeping the order $setElementOrder gives', () => {
    const out = smp({
      spec: {
        template: {
          spec: {
            '$setElementOrder/containers': [{ name: 'app' }, { name: 'sidecar' }],
            containers: [{ name: 'app', image: 'x:2' }],
          },
        },
      },
    });
    expect(containers(out).map((c) => [c.name, c.image])).toEqual([
      ['app', 'x:2'],
      ['sidecar', 's:1'],
    ]);
    // The rest of the merged container is kept.
    expect(containers(out)[0].env).toEqual([
      { name: 'FOO', value: '1' },
      { name: 'BAR', value: '2' },
    ]);
  });

  it('reorders containers with $setElementOrder alone', () => {
    const out = smp({
      spec: {
        template: {
          spec: { '$setElementOrder/containers': [{ name: 'sidecar' }, { name: 'app' }] },
        },
      },
    });
    expect(containers(out).map((c) => c.name)).toEqual(['sidecar', 'app']);
  });

  it('removes an env var with $patch: delete', () => {
    const out = smp({
      spec: {
        template: {
          spec: {
            '$setElementOrder/containers': [{ name: 'app' }, { name: 'sidecar' }],
            containers: [
              {
                name: 'app',
                '$setElementOrder/env': [{ name: 'BAR' }],
                env: [{ $patch: 'delete', name: 'FOO' }],
              },
            ],
          },
        },
      },
    });
    expect(containers(out)[0].env).toEqual([{ name: 'BAR', value: '2' }]);
  });

  it('switches to Recreate with $retainKeys and rollingUpdate: null', () => {
    const out = smp({
      spec: { strategy: { $retainKeys: ['type'], type: 'Recreate', rollingUpdate: null } },
    });
    expect((out.spec as JsonObject).strategy).toEqual({ type: 'Recreate' });
  });

  it('removes a ConfigMap key with null', () => {
    const cm: JsonObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c' },
      data: { k: 'v', j: 'w' },
    };
    const out = strategicMergePatch(
      cm,
      { data: { k: null } },
      builtinPatchSchema('', 'v1', 'ConfigMap') as PatchSchema,
    );
    expect(out.data).toEqual({ j: 'w' });
  });

  it('restarts a rollout by adding a template annotation', () => {
    const out = smp({
      spec: {
        template: {
          metadata: {
            annotations: { 'kubectl.kubernetes.io/restartedAt': '2024-01-01T00:00:00Z' },
          },
        },
      },
    });
    expect((out.spec as JsonObject).template).toMatchObject({
      metadata: {
        labels: { app: 'web' },
        annotations: { 'kubectl.kubernetes.io/restartedAt': '2024-01-01T00:00:00Z' },
      },
    });
  });

  it('replaces a DaemonSet template with $patch: replace (kubectl rollout undo)', () => {
    const ds: JsonObject = {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'd' },
      spec: {
        selector: { matchLabels: { app: 'd' } },
        template: {
          metadata: { labels: { app: 'd', extra: 'x' } },
          spec: { containers: [{ name: 'c', image: 'new', args: ['-v'] }] },
        },
      },
    };
    const out = strategicMergePatch(
      ds,
      {
        spec: {
          template: {
            metadata: { labels: { app: 'd' } },
            spec: { containers: [{ name: 'c', image: 'old' }] },
            $patch: 'replace',
          },
        },
      },
      builtinPatchSchema('apps', 'v1', 'DaemonSet') as PatchSchema,
    );
    expect((out.spec as JsonObject).template).toEqual({
      metadata: { labels: { app: 'd' } },
      spec: { containers: [{ name: 'c', image: 'old' }] },
    });
    expect((out.spec as JsonObject).selector).toEqual({ matchLabels: { app: 'd' } });
  });
});

describe('strategicMergePatch: list strategies', () => {
  it('merges finalizers as a set and deletes with $deleteFromPrimitiveList', () => {
    const out = smp({
      metadata: {
        '$setElementOrder/finalizers': ['b', 'c'],
        '$deleteFromPrimitiveList/finalizers': ['a'],
        finalizers: ['c'],
      },
    });
    expect((out.metadata as JsonObject).finalizers).toEqual(['b', 'c']);
    const merged = smp({ metadata: { finalizers: ['b', 'z'] } });
    expect((merged.metadata as JsonObject).finalizers).toEqual(['a', 'b', 'z']);
  });

  it('adds a container after the live ones and merges container ports by containerPort', () => {
    const out = smp({
      spec: {
        template: {
          spec: {
            containers: [
              { name: 'new', image: 'n:1' },
              { name: 'app', ports: [{ containerPort: 8080 }] },
            ],
          },
        },
      },
    });
    expect(containers(out).map((c) => c.name)).toEqual(['new', 'app', 'sidecar']);
    expect(containers(out)[1].ports).toEqual([
      { containerPort: 8080 },
      { containerPort: 80, protocol: 'TCP' },
    ]);
  });

  it('replaces lists without a strategy (tolerations, args)', () => {
    const out = smp({
      spec: { template: { spec: { tolerations: [{ key: 'b', operator: 'Exists' }] } } },
    });
    expect(podSpec(out).tolerations).toEqual([{ key: 'b', operator: 'Exists' }]);
  });

  it('merges volumes by name and keeps other volumes', () => {
    const out = smp({
      spec: { template: { spec: { volumes: [{ name: 'cfg', configMap: { name: 'c' } }] } } },
    });
    expect(podSpec(out).volumes).toEqual([
      { name: 'cfg', configMap: { name: 'c' } },
      { name: 'data', emptyDir: {} },
    ]);
  });

  it('replaces a merging list with a $patch: replace element', () => {
    const out = smp({
      spec: {
        template: { spec: { containers: [{ name: 'only', image: 'o' }, { $patch: 'replace' }] } },
      },
    });
    expect(containers(out)).toEqual([{ name: 'only', image: 'o' }]);
  });

  it('merges ownerReferences by uid', () => {
    const pod: JsonObject = {
      metadata: {
        name: 'p',
        ownerReferences: [{ uid: '1', kind: 'ReplicaSet', name: 'a', apiVersion: 'apps/v1' }],
      },
    };
    const out = strategicMergePatch(
      pod,
      {
        metadata: {
          ownerReferences: [
            { uid: '1', controller: true },
            { uid: '2', kind: 'X', name: 'b', apiVersion: 'v1' },
          ],
        },
      },
      podSchema,
    );
    expect((out.metadata as JsonObject).ownerReferences).toEqual([
      { uid: '1', kind: 'ReplicaSet', name: 'a', apiVersion: 'apps/v1', controller: true },
      { uid: '2', kind: 'X', name: 'b', apiVersion: 'v1' },
    ]);
  });

  it('merges pod conditions by type', () => {
    const pod: JsonObject = {
      status: {
        conditions: [
          { type: 'Ready', status: 'False' },
          { type: 'Initialized', status: 'True' },
        ],
      },
    };
    const out = strategicMergePatch(
      pod,
      { status: { conditions: [{ type: 'Ready', status: 'True' }] } },
      podSchema,
    );
    expect((out.status as JsonObject).conditions).toEqual([
      { type: 'Ready', status: 'True' },
      { type: 'Initialized', status: 'True' },
    ]);
  });

  it('empties a map with $patch: delete and drops nulls from values it copies', () => {
    const out = smp({
      metadata: { labels: { $patch: 'delete' } },
      spec: { template: { spec: { containers: [{ name: 'new', image: null, command: ['a'] }] } } },
    });
    expect((out.metadata as JsonObject).labels).toEqual({});
    expect(containers(out)[0]).toEqual({ name: 'new', command: ['a'] });
  });

  it('does not modify its inputs', () => {
    const input = deployment();
    const patch: JsonObject = { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } };
    const before = JSON.stringify([input, patch]);
    smp(patch, input);
    expect(JSON.stringify([input, patch])).toBe(before);
  });
});

describe('strategicMergePatch errors (as kube-apiserver answers them)', () => {
  it('answers 500 with Go formatting for an unknown $patch directive', () => {
    const err = statusOf(() => smp({ metadata: { labels: { $patch: 'foo', x: 'y' } } }));
    expect(err.code).toBe(500);
    expect(err.toStatus().reason).toBeUndefined();
    expect(err.message).toBe('unknown patch type: foo in map: map[$patch:foo x:y]');
  });

  it('refuses $patch: merge on a list', () => {
    const err = statusOf(() =>
      smp({ spec: { template: { spec: { containers: [{ $patch: 'merge' }] } } } }),
    );
    expect(err.code).toBe(500);
    expect(err.message).toBe('merging lists cannot yet be specified in the patch');
  });

  it('answers 400 for malformed $retainKeys, $setElementOrder and $deleteFromPrimitiveList', () => {
    const cases: [JsonObject, string][] = [
      [{ spec: { strategy: { $retainKeys: 'type' } } }, 'invalid patch format of retainKeys'],
      [
        { spec: { strategy: { $retainKeys: ['type'], rollingUpdate: {} } } },
        'invalid patch format of retainKeys',
      ],
      [
        { metadata: { '$deleteFromPrimitiveListX/finalizers': ['a'] } },
        'invalid patch format of primitive list',
      ],
      [
        { metadata: { $setElementOrderfinalizers: ['a'] } },
        'invalid patch format of setElementOrder list',
      ],
    ];
    for (const [patch, message] of cases) {
      const err = statusOf(() => smp(patch));
      expect(err.code, message).toBe(400);
      expect(err.reason).toBe('BadRequest');
      expect(err.message).toBe(message);
    }
  });

  it('answers 422 for lists of lists', () => {
    const original = deployment();
    (original.metadata as JsonObject).finalizers = [];
    const err = statusOf(() => smp({ metadata: { finalizers: [['x']] } }, original));
    expect(err.code).toBe(422);
    expect(err.message).toBe('the server rejected our request due to an error in our request');
    const mixed = statusOf(() => smp({ metadata: { finalizers: [['x']] } }));
    expect(mixed.code).toBe(500);
    expect(mixed.message).toBe('list element types are not identical: [[a b] [[x]]]');
    expect((err.cause as Error).message).toBe('lists of lists are not supported');
  });

  it('names a missing merge key', () => {
    const err = statusOf(() =>
      smp({ spec: { template: { spec: { containers: [{ image: 'x' }] } } } }),
    );
    expect(err.code).toBe(500);
    expect(err.message).toBe('map: map[image:x] does not contain declared merge key: name');
  });

  it('rejects an element order that contradicts the patch list', () => {
    const err = statusOf(() =>
      smp({
        spec: {
          template: {
            spec: {
              '$setElementOrder/containers': [{ name: 'app' }],
              containers: [{ name: 'sidecar', image: 'z' }],
            },
          },
        },
      }),
    );
    expect(err.code).toBe(500);
    expect(err.message).toBe(
      "The order in patch list:\n[map[image:z name:sidecar]]\n doesn't match $setElementOrder list:\n[map[name:app]]\n",
    );
  });

  it('answers 400 for a body that is not an object', () => {
    const err = statusOf(() => smp([1]));
    expect(err.code).toBe(400);
    expect(err.message).toBe(
      'json: cannot unmarshal array into Go value of type map[string]interface {}',
    );
  });
});
