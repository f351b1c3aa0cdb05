import { describe, expect, it } from 'vitest';
import type { JsonObject, KubeObject, ManagedFieldsEntry } from '../../api/types.ts';
import { StatusError } from '../../api/status.ts';
import { builtinPatchSchema, schemaFromOpenAPI } from './patch-schema.ts';
import type { PatchSchema } from './patch-schema.ts';
import {
  LAST_APPLIED_ANNOTATION,
  apply,
  checkApplyPatch,
  fieldsV1Paths,
  trackUpdate,
} from './server-side-apply.ts';

const schema = builtinPatchSchema('apps', 'v1', 'Deployment') as PatchSchema;
const T0 = '2024-05-01T10:00:00Z';
const T1 = '2024-05-01T10:01:00Z';
const T2 = '2024-05-01T10:02:00Z';
const T3 = '2024-05-01T10:03:00Z';

interface Config {
  replicas?: number;
  image?: string;
  labels?: Record<string, string>;
  containers?: JsonObject[];
}

function config(c: Config): JsonObject {
  const spec: JsonObject = {};
  if (c.replicas !== undefined) spec.replicas = c.replicas;
  const containers = c.containers ?? (c.image ? [{ name: 'app', image: c.image }] : undefined);
  if (containers) spec.template = { spec: { containers } };
  const metadata: JsonObject = { name: 'web', namespace: 'default' };
  if (c.labels) metadata.labels = c.labels;
  return { apiVersion: 'apps/v1', kind: 'Deployment', metadata, spec };
}

/** What the store would hold after the write: uid and resourceVersion added. */
function stored(obj: KubeObject): KubeObject {
  return { ...obj, metadata: { ...obj.metadata, uid: 'uid-1', resourceVersion: '7' } };
}

function entry(obj: KubeObject, manager: string): ManagedFieldsEntry | undefined {
  return obj.metadata.managedFields?.find((e) => e.manager === manager);
}

function owned(obj: KubeObject, manager: string): string[] {
  const e = entry(obj, manager);
  return e ? fieldsV1Paths(e.fieldsV1) : [];
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

const spec = (o: KubeObject): JsonObject => o.spec as JsonObject;
const containersOf = (o: KubeObject): JsonObject[] =>
  ((spec(o).template as JsonObject).spec as JsonObject).containers as JsonObject[];

describe('apply: the acceptance case', () => {
  const created = apply(
    undefined,
    config({ replicas: 3, image: 'nginx:1', labels: { app: 'web', tier: 'fe' } }),
    'A',
    false,
    schema,
    T0,
  );
  const live = stored(created.object);

  it('creates the object and records exactly what A applied, as kube-apiserver encodes it', () => {
    expect(created.changed).toBe(true);
    expect(spec(created.object).replicas).toBe(3);
    expect(created.managedFields).toEqual([
      {
        manager: 'A',
        operation: 'Apply',
        apiVersion: 'apps/v1',
        time: T0,
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:metadata': { 'f:labels': { 'f:app': {}, 'f:tier': {} } },
          'f:spec': {
            'f:replicas': {},
            'f:template': {
              'f:spec': {
                'f:containers': { 'k:{"name":"app"}': { '.': {}, 'f:image': {}, 'f:name': {} } },
              },
            },
          },
        },
      },
    ]);
    expect(created.object.metadata.managedFields).toEqual(created.managedFields);
  });

  it('answers 409 naming .spec.replicas and manager A when B applies another replica count', () => {
    const err = statusOf(() => apply(live, config({ replicas: 5 }), 'B', false, schema, T1));
    expect(err.code).toBe(409);
    expect(err.reason).toBe('Conflict');
    expect(err.message).toBe('Apply failed with 1 conflict: conflict with "A": .spec.replicas');
    expect(err.toStatus().details).toEqual({
      causes: [
        { reason: 'FieldManagerConflict', message: 'conflict with "A"', field: '.spec.replicas' },
      ],
    });
  });

  it('lets B take the field with force', () => {
    const forced = apply(live, config({ replicas: 5 }), 'B', true, schema, T1);
    expect(spec(forced.object).replicas).toBe(5);
    expect(owned(forced.object, 'B')).toEqual(['.spec.replicas']);
    expect(owned(forced.object, 'A')).not.toContain('.spec.replicas');
    expect(owned(forced.object, 'A')).toContain('.spec.template.spec.containers[name="app"].image');
    expect(entry(forced.object, 'B')?.time).toBe(T1);
    expect(entry(forced.object, 'A')?.time).toBe(T0);
    // Applying what it already owns with the same value is not a conflict.
    const again = apply(stored(forced.object), config({ replicas: 5 }), 'B', false, schema, T2);
    expect(again.changed).toBe(false);
    expect(entry(again.object, 'B')?.time).toBe(T1);
  });

  it('removes a label A applied before and no longer applies', () => {
    const forced = stored(apply(live, config({ replicas: 5 }), 'B', true, schema, T1).object);
    const reapplied = apply(
      forced,
      config({ image: 'nginx:2', labels: { app: 'web' } }),
      'A',
      false,
      schema,
      T2,
    );
    expect(reapplied.object.metadata.labels).toEqual({ app: 'web' });
    expect(containersOf(reapplied.object)).toEqual([{ name: 'app', image: 'nginx:2' }]);
    // B's replicas survive: A stopped applying replicas, but B owns them.
    expect(spec(reapplied.object).replicas).toBe(5);
    expect(owned(reapplied.object, 'A')).not.toContain('.metadata.labels.tier');
  });

  it('removes a field A stops applying unless another manager also owns it', () => {
    // A and C both apply replicas 3; A drops it: the value stays, owned by C alone.
    const shared = stored(apply(live, config({ replicas: 3 }), 'C', false, schema, T1).object);
    expect(owned(shared, 'C')).toEqual(['.spec.replicas']);
    const dropped = apply(
      shared,
      config({ image: 'nginx:1', labels: { app: 'web', tier: 'fe' } }),
      'A',
      false,
      schema,
      T2,
    );
    expect(spec(dropped.object).replicas).toBe(3);
    // Without C the field would go.
    const alone = apply(
      live,
      config({ image: 'nginx:1', labels: { app: 'web', tier: 'fe' } }),
      'A',
      false,
      schema,
      T2,
    );
    expect(spec(alone.object)).not.toHaveProperty('replicas');
  });
});

describe('apply: lists and sets', () => {
  it('merges containers by name between two appliers', () => {
    const a = stored(
      apply(
        undefined,
        config({ containers: [{ name: 'app', image: 'a:1' }] }),
        'A',
        false,
        schema,
        T0,
      ).object,
    );
    const b = stored(
      apply(a, config({ containers: [{ name: 'sidecar', image: 's:1' }] }), 'B', false, schema, T1)
        .object,
    );
    expect(containersOf(b)).toEqual([
      { name: 'app', image: 'a:1' },
      { name: 'sidecar', image: 's:1' },
    ]);
    expect(owned(b, 'B')).toEqual([
      '.spec.template.spec.containers[name="sidecar"]',
      '.spec.template.spec.containers[name="sidecar"].image',
      '.spec.template.spec.containers[name="sidecar"].name',
    ]);
    // A changing its own container does not touch B's.
    const a2 = apply(
      b,
      config({ containers: [{ name: 'app', image: 'a:2' }] }),
      'A',
      false,
      schema,
      T2,
    );
    expect(containersOf(a2.object)).toEqual([
      { name: 'app', image: 'a:2' },
      { name: 'sidecar', image: 's:1' },
    ]);
    // B no longer applying its container removes it.
    const b2 = apply(stored(a2.object), config({ replicas: 1 }), 'B', false, schema, T3);
    expect(containersOf(b2.object)).toEqual([{ name: 'app', image: 'a:2' }]);
  });

  it('keys container ports by containerPort and the defaulted protocol', () => {
    const port = (p: JsonObject): JsonObject =>
      config({ containers: [{ name: 'app', image: 'x', ports: [p] }] });
    const created = apply(undefined, port({ containerPort: 80 }), 'A', false, schema, T0);
    expect(owned(created.object, 'A')).toContain(
      '.spec.template.spec.containers[name="app"].ports[containerPort=80,protocol="TCP"].containerPort',
    );
    const live = stored(created.object);
    const withProtocol = apply(
      live,
      port({ containerPort: 80, protocol: 'TCP', name: 'http' }),
      'A',
      false,
      schema,
      T1,
    );
    expect((containersOf(withProtocol.object)[0].ports as JsonObject[]) ?? []).toEqual([
      { containerPort: 80, protocol: 'TCP', name: 'http' },
    ]);
  });

  it('owns finalizers one value at a time', () => {
    const withFinalizers = (names: string[]): JsonObject => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'default', finalizers: names },
    });
    const a = stored(apply(undefined, withFinalizers(['a.io/x']), 'A', false, schema, T0).object);
    expect(entry(a, 'A')?.fieldsV1).toEqual({
      'f:metadata': { 'f:finalizers': { 'v:"a.io/x"': {} } },
    });
    const b = stored(apply(a, withFinalizers(['b.io/y']), 'B', false, schema, T1).object);
    expect(b.metadata.finalizers).toEqual(['a.io/x', 'b.io/y']);
    const aGone = apply(b, config({ replicas: 1 }), 'A', false, schema, T2);
    expect(aGone.object.metadata.finalizers).toEqual(['b.io/y']);
  });

  it('refuses duplicate keys in the applied configuration as kube-apiserver does', () => {
    const err = statusOf(() =>
      apply(
        undefined,
        config({ containers: [{ name: 'app' }, { name: 'app' }] }),
        'A',
        false,
        schema,
        T0,
      ),
    );
    expect(err.code).toBe(500);
    expect(err.message).toBe(
      'failed to create typed patch object (default/web; apps/v1, Kind=Deployment): .spec.template.spec.containers: duplicate entries for key [name="app"]',
    );
    const missing = statusOf(() =>
      apply(undefined, config({ containers: [{ image: 'x' }] }), 'A', false, schema, T0),
    );
    expect(missing.message).toContain(
      '.spec.template.spec.containers: element 0: associative list with keys has an element that omits all key fields ["name"]',
    );
  });
});

describe('apply: conflicts with Update managers', () => {
  it('conflicts with a field set by an Update manager, naming its apiVersion', () => {
    const created = trackUpdate(
      undefined,
      config({ replicas: 1, image: 'x:1' }) as unknown as KubeObject,
      'kubectl-client-side-apply',
      schema,
      T0,
    );
    const err = statusOf(() =>
      apply(stored(created.object), config({ replicas: 3 }), 'helm', false, schema, T1),
    );
    expect(err.message).toBe(
      'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas',
    );
    expect(err.toStatus().details?.causes).toEqual([
      {
        reason: 'FieldManagerConflict',
        message: 'conflict with "kubectl-client-side-apply" using apps/v1',
        field: '.spec.replicas',
      },
    ]);
  });

  it('lists several conflicts grouped by manager', () => {
    const a = stored(
      apply(undefined, config({ replicas: 1, image: 'a' }), 'A', false, schema, T0).object,
    );
    const b = stored(
      trackUpdate(a, { ...a, metadata: { ...a.metadata, labels: { x: '1' } } }, 'edit', schema, T1)
        .object,
    );
    const err = statusOf(() =>
      apply(b, config({ replicas: 2, image: 'b', labels: { x: '2' } }), 'Z', false, schema, T2),
    );
    expect(err.message).toBe(
      'Apply failed with 3 conflicts: conflicts with "A":\n' +
        '- .spec.replicas\n' +
        '- .spec.template.spec.containers[name="app"].image\n' +
        'conflicts with "edit" using apps/v1:\n' +
        '- .metadata.labels.x',
    );
    expect(err.toStatus().details?.causes?.map((c) => c.field)).toEqual([
      '.spec.replicas',
      '.spec.template.spec.containers[name="app"].image',
      '.metadata.labels.x',
    ]);
  });

  it('conflicts with a scale through the subresource', () => {
    const a = stored(
      apply(undefined, config({ replicas: 2, image: 'x' }), 'helm', false, schema, T0).object,
    );
    const scaled = trackUpdate(
      a,
      { ...a, spec: { ...spec(a), replicas: 4 } },
      'kubectl',
      schema,
      T1,
      { subresource: 'scale' },
    );
    expect(entry(scaled.object, 'kubectl')).toMatchObject({
      operation: 'Update',
      subresource: 'scale',
      apiVersion: 'apps/v1',
    });
    expect(owned(scaled.object, 'helm')).not.toContain('.spec.replicas');
    const err = statusOf(() =>
      apply(stored(scaled.object), config({ replicas: 2, image: 'x' }), 'helm', false, schema, T2),
    );
    expect(err.message).toBe(
      'Apply failed with 1 conflict: conflict with "kubectl" with subresource "scale" using apps/v1: .spec.replicas',
    );
  });

  it('gives fields set before anyone applied to before-first-apply', () => {
    const untracked = stored(config({ replicas: 1, image: 'x' }) as unknown as KubeObject);
    const err = statusOf(() => apply(untracked, config({ replicas: 2 }), 'A', false, schema, T1));
    expect(err.message).toBe(
      'Apply failed with 1 conflict: conflict with "before-first-apply" using apps/v1: .spec.replicas',
    );
    const same = apply(untracked, config({ replicas: 1 }), 'A', false, schema, T1);
    expect(same.changed).toBe(false);
    expect(same.managedFields?.map((e) => [e.manager, e.operation])).toEqual([
      ['A', 'Apply'],
      ['before-first-apply', 'Update'],
    ]);
    // A never-changing apply leaves the entry without a time, as kube-apiserver does.
    expect(entry(same.object, 'A')?.time).toBeUndefined();
  });
});

describe('apply: kubectl taking over from client-side apply', () => {
  it('overrides fields the last-applied annotation shows were set, and keeps the annotation current', () => {
    const lastApplied = JSON.stringify(config({ replicas: 1, image: 'x:1' }));
    const csa = config({ replicas: 1, image: 'x:1' });
    (csa.metadata as JsonObject).annotations = { [LAST_APPLIED_ANNOTATION]: lastApplied };
    const live = stored(
      trackUpdate(undefined, csa as unknown as KubeObject, 'kubectl-client-side-apply', schema, T0)
        .object,
    );
    const ssa = apply(live, config({ replicas: 3, image: 'x:2' }), 'kubectl', false, schema, T1);
    expect(spec(ssa.object).replicas).toBe(3);
    expect(ssa.object.metadata.annotations?.[LAST_APPLIED_ANNOTATION]).toBe(
      '{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"default"},"spec":{"replicas":3,"template":{"spec":{"containers":[{"image":"x:2","name":"app"}]}}}}\n',
    );
    // Another manager gets no such allowance.
    expect(
      statusOf(() => apply(live, config({ replicas: 3 }), 'helm', false, schema, T1)).code,
    ).toBe(409);
  });
});

describe('apply: request checks and options', () => {
  it('refuses managedFields in the body and a body of another kind', () => {
    const body = config({ replicas: 1 });
    (body.metadata as JsonObject).managedFields = [];
    expect(statusOf(() => apply(undefined, body, 'A', false, schema, T0)).message).toBe(
      'metadata.managedFields must be nil',
    );
    expect(statusOf(() => checkApplyPatch(body, 'apps', 'v1', 'Deployment')).message).toBe(
      'metadata.managedFields must be nil',
    );
    const err = statusOf(() => checkApplyPatch(config({}), 'apps', 'v1', 'StatefulSet'));
    expect(err.code).toBe(400);
    expect(err.message).toBe('invalid object type: apps/v1, Kind=Deployment');
    expect(() => checkApplyPatch(config({}), 'apps', 'v1', 'Deployment')).not.toThrow();
  });

  it('leaves reset fields (status on the main resource) unowned', () => {
    const body = { ...config({ replicas: 1 }), status: { replicas: 9 } };
    const out = apply(undefined, body, 'A', false, schema, T0, {
      resetFields: [[{ field: 'status' }]],
    });
    expect(owned(out.object, 'A')).toEqual(['.spec.replicas']);
  });

  it('applies custom resources with their OpenAPI list semantics', () => {
    const crd = schemaFromOpenAPI({
      type: 'object',
      properties: {
        spec: {
          type: 'object',
          properties: {
            ports: {
              type: 'array',
              'x-kubernetes-list-type': 'map',
              'x-kubernetes-list-map-keys': ['name'],
              items: {
                type: 'object',
                properties: { name: { type: 'string' }, port: { type: 'integer' } },
              },
            },
          },
        },
      },
    });
    const widget = (ports: JsonObject[]): JsonObject => ({
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: 'w' },
      spec: { ports },
    });
    const a = stored(
      apply(undefined, widget([{ name: 'http', port: 80 }]), 'A', false, crd, T0).object,
    );
    const b = stored(
      apply(a, widget([{ name: 'metrics', port: 9090 }]), 'B', false, crd, T1).object,
    );
    expect(spec(b).ports).toEqual([
      { name: 'http', port: 80 },
      { name: 'metrics', port: 9090 },
    ]);
    expect(owned(b, 'B')).toEqual([
      '.spec.ports[name="metrics"]',
      '.spec.ports[name="metrics"].name',
      '.spec.ports[name="metrics"].port',
    ]);
  });
});

describe('trackUpdate', () => {
  it('records a create like kube-apiserver: metadata stripped, "." where a map or item is new', () => {
    const obj = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'web' } },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'nginx', image: 'nginx' }] },
        },
      },
    } as unknown as KubeObject;
    const out = trackUpdate(undefined, obj, 'kubectl-create', schema, T0);
    expect(out.managedFields).toEqual([
      {
        manager: 'kubectl-create',
        operation: 'Update',
        apiVersion: 'apps/v1',
        time: T0,
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
          'f:spec': {
            'f:replicas': {},
            'f:selector': {},
            'f:strategy': { 'f:rollingUpdate': { '.': {}, 'f:maxSurge': {} }, 'f:type': {} },
            'f:template': {
              'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
              'f:spec': {
                'f:containers': { 'k:{"name":"nginx"}': { '.': {}, 'f:image': {}, 'f:name': {} } },
              },
            },
          },
        },
      },
    ]);
  });

  it("merges a manager's later updates into its entry and moves changed fields to it", () => {
    const a = stored(
      apply(undefined, config({ replicas: 1, image: 'x' }), 'A', false, schema, T0).object,
    );
    const e1 = stored(
      trackUpdate(a, { ...a, metadata: { ...a.metadata, labels: { l: '1' } } }, 'edit', schema, T1)
        .object,
    );
    const e2 = trackUpdate(e1, { ...e1, spec: { ...spec(e1), replicas: 2 } }, 'edit', schema, T2);
    const edits = e2.managedFields?.filter((e) => e.manager === 'edit') ?? [];
    expect(edits).toHaveLength(1);
    expect(edits[0].time).toBe(T2);
    expect(fieldsV1Paths(edits[0].fieldsV1)).toEqual([
      '.metadata.labels',
      '.metadata.labels.l',
      '.spec.replicas',
    ]);
    expect(owned(e2.object, 'A')).not.toContain('.spec.replicas');
  });

  it('removes deleted fields from every manager and drops emptied entries', () => {
    const a = stored(apply(undefined, config({ replicas: 1 }), 'A', false, schema, T0).object);
    const { replicas: _gone, ...rest } = spec(a);
    const out = trackUpdate(a, { ...a, spec: rest }, 'edit', schema, T1);
    expect(out.managedFields).toBeUndefined();
    expect(out.object.metadata).not.toHaveProperty('managedFields');
  });

  it('honours managedFields sent with the request, and [] resets them', () => {
    const a = stored(apply(undefined, config({ replicas: 1 }), 'A', false, schema, T0).object);
    // [] clears managedFields; the object is then untracked until the next apply (or create).
    const reset = trackUpdate(
      a,
      { ...a, metadata: { ...a.metadata, managedFields: [] }, spec: { replicas: 2 } },
      'edit',
      schema,
      T1,
    );
    expect(reset.managedFields).toBeUndefined();
    const replaced = trackUpdate(
      a,
      {
        ...a,
        metadata: {
          ...a.metadata,
          managedFields: [
            {
              manager: 'mine',
              operation: 'Update',
              apiVersion: 'apps/v1',
              fieldsType: 'FieldsV1',
              fieldsV1: { 'f:spec': { 'f:replicas': {} } },
            },
          ],
        },
      },
      'edit',
      schema,
      T1,
    );
    expect(replaced.managedFields?.map((e) => e.manager)).toEqual(['mine']);
    const onStatus = trackUpdate(
      a,
      { ...a, metadata: { ...a.metadata, managedFields: [] }, status: { replicas: 1 } },
      'controller',
      schema,
      T1,
      {
        subresource: 'status',
      },
    );
    expect(onStatus.managedFields?.map((e) => [e.manager, e.subresource])).toEqual([
      ['A', undefined],
      ['controller', 'status'],
    ]);
  });

  it('does not start tracking an existing object that has no managedFields', () => {
    const untracked = stored(config({ replicas: 1 }) as unknown as KubeObject);
    const out = trackUpdate(untracked, { ...untracked, spec: { replicas: 2 } }, 'edit', schema, T1);
    expect(out.managedFields).toBeUndefined();
    expect(out.changed).toBe(true);
  });

  it('keeps the live managedFields when the object cannot be read', () => {
    const a = stored(apply(undefined, config({ replicas: 1 }), 'A', false, schema, T0).object);
    const bad = {
      ...a,
      spec: { template: { spec: { containers: [{ image: 'no-name' }] } } },
    } as KubeObject;
    const out = trackUpdate(a, bad, 'edit', schema, T1);
    expect(out.managedFields).toEqual(a.metadata.managedFields);
  });

  it('merges the oldest of more than ten Update entries into ancient-changes', () => {
    const base = config({ labels: { base: 'x' } }) as unknown as KubeObject;
    let obj = stored(
      trackUpdate(undefined, base, 'creator', schema, '2024-01-01T00:00:00Z').object,
    );
    for (let i = 0; i < 11; i++) {
      const time = `2024-01-01T00:00:${String(i + 1).padStart(2, '0')}Z`;
      const labels = { ...obj.metadata.labels, [`l${i}`]: 'x' };
      obj = stored(
        trackUpdate(obj, { ...obj, metadata: { ...obj.metadata, labels } }, `m${i}`, schema, time)
          .object,
      );
    }
    const managers = obj.metadata.managedFields?.map((e) => e.manager) ?? [];
    expect(managers).toHaveLength(10);
    expect(managers).toContain('ancient-changes');
    for (const gone of ['creator', 'm0', 'm1']) expect(managers).not.toContain(gone);
    expect(managers).toContain('m2');
    const ancient = entry(obj, 'ancient-changes') as ManagedFieldsEntry;
    expect(fieldsV1Paths(ancient.fieldsV1)).toEqual([
      '.metadata.labels',
      '.metadata.labels.base',
      '.metadata.labels.l0',
      '.metadata.labels.l1',
    ]);
    expect(ancient.time).toBe('2024-01-01T00:00:02Z');
  });
});
