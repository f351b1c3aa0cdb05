import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KubeObject, OwnerReference } from '../../api/types.ts';
import { eventually, startTestCluster, type TestCluster } from '../testing/cluster.ts';
import { GarbageCollector, builtinMonitoredResources } from './garbage-collector.ts';

const CM = { group: '', version: 'v1', resource: 'configmaps' };
const NS = 'default';

let cluster: TestCluster;
let gc: GarbageCollector;

beforeEach(async () => {
  cluster = await startTestCluster();
  gc = new GarbageCollector(cluster.context('garbage-collector'));
  gc.start();
  cluster.informers.start();
});

afterEach(async () => {
  await gc.stop();
  await cluster.stop();
});

function ref(owner: KubeObject, block = false): OwnerReference {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    name: owner.metadata.name ?? '',
    uid: owner.metadata.uid ?? '',
    ...(block ? { blockOwnerDeletion: true, controller: true } : {}),
  };
}

async function configMap(
  name: string,
  owners: OwnerReference[] = [],
  finalizers?: string[],
): Promise<KubeObject> {
  return cluster.client.create(CM, NS, {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name,
      ...(owners.length ? { ownerReferences: owners } : {}),
      ...(finalizers ? { finalizers } : {}),
    },
    data: { a: 'b' },
  });
}

const exists = (name: string) => cluster.client.tryGet(CM, NS, name);

describe('builtinMonitoredResources', () => {
  it('lists deletable stored resources once and skips create-only ones', () => {
    const resources = builtinMonitoredResources().map((r) => `${r.group}/${r.resource}`);
    expect(resources).toContain('apps/replicasets');
    expect(resources).toContain('/pods');
    expect(resources).not.toContain('authorization.k8s.io/selfsubjectaccessreviews');
    expect(resources.filter((r) => r === 'autoscaling/horizontalpodautoscalers')).toHaveLength(1);
  });
});

describe('GarbageCollector', () => {
  it('background: deletes a chain of dependents once the owner is gone', async () => {
    const owner = await configMap('owner');
    const child = await configMap('child', [ref(owner)]);
    await configMap('grandchild', [ref(child)]);
    await cluster.client.delete(CM, NS, 'owner', { propagationPolicy: 'Background' });
    await eventually(() => !exists('child') && !exists('grandchild'), 10_000, 'chain collected');
  });

  it('keeps a dependent with another live owner and drops only the dangling reference', async () => {
    const a = await configMap('a');
    const b = await configMap('b');
    await configMap('shared', [ref(a), ref(b)]);
    await cluster.client.delete(CM, NS, 'a');
    const shared = await eventually(() => {
      const object = exists('shared');
      return object?.metadata.ownerReferences?.length === 1 ? object : undefined;
    });
    expect(shared.metadata.ownerReferences?.[0].uid).toBe(b.metadata.uid);
  });

  it('deletes a dependent whose owner was replaced by one with another uid', async () => {
    const owner = await configMap('owner');
    await cluster.client.delete(CM, NS, 'owner');
    await configMap('owner');
    await configMap('stale', [ref(owner)]);
    await eventually(() => !exists('stale'), 10_000, 'stale dependent collected');
    expect(exists('owner')).toBeDefined();
  });

  it('foreground: the owner stays until its blocking dependents are deleted', async () => {
    const owner = await configMap('owner');
    const child = await configMap('child', [ref(owner, true)], ['example.com/hold']);
    await cluster.client.delete(CM, NS, 'owner', { propagationPolicy: 'Foreground' });
    // The child is marked for deletion but held by its finalizer, so the owner waits.
    await eventually(() => exists('child')?.metadata.deletionTimestamp, 10_000, 'child deleting');
    await new Promise((r) => setTimeout(r, 200));
    expect(exists('owner')?.metadata.finalizers).toContain('foregroundDeletion');
    const live = exists('child')!;
    await cluster.client.update(CM, NS, {
      ...live,
      metadata: { ...live.metadata, finalizers: [] },
    });
    await eventually(() => !exists('owner'), 10_000, 'owner deleted after its dependent');
    expect(child.metadata.uid).toBeDefined();
  });

  it('foreground: a chain goes bottom-up and an owner without dependents goes at once', async () => {
    const owner = await configMap('owner');
    const child = await configMap('child', [ref(owner, true)]);
    await configMap('grandchild', [ref(child, true)]);
    await cluster.client.delete(CM, NS, 'owner', { propagationPolicy: 'Foreground' });
    await eventually(
      () => !exists('owner') && !exists('child') && !exists('grandchild'),
      10_000,
      'foreground chain',
    );
    await configMap('lonely');
    await cluster.client.delete(CM, NS, 'lonely', { propagationPolicy: 'Foreground' });
    await eventually(() => !exists('lonely'), 10_000, 'lonely owner deleted');
  });

  it('orphan: dependents lose the reference and survive; the owner goes', async () => {
    const owner = await configMap('owner');
    const other = await configMap('other');
    await configMap('child', [ref(owner)]);
    await configMap('child2', [ref(owner), ref(other)]);
    await cluster.client.delete(CM, NS, 'owner', { propagationPolicy: 'Orphan' });
    await eventually(() => !exists('owner'), 10_000, 'owner deleted');
    expect(exists('child')?.metadata.ownerReferences).toBeUndefined();
    expect(exists('child2')?.metadata.ownerReferences?.map((r) => r.name)).toEqual(['other']);
  });

  it('never collects a cluster-scoped object owned by a namespaced kind, and reports it', async () => {
    const owner = await configMap('owner');
    const NAMESPACES = { group: '', version: 'v1', resource: 'namespaces' };
    await cluster.client.create(NAMESPACES, '', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'odd', ownerReferences: [ref(owner)] },
    });
    const EVENTS = { group: '', version: 'v1', resource: 'events' };
    const event = await eventually(() =>
      cluster.client
        .list(EVENTS, 'default')
        .items.find((e) => e.reason === 'OwnerRefInvalidNamespace'),
    );
    expect(event.type).toBe('Warning');
    expect(event.involvedObject).toMatchObject({ kind: 'Namespace', name: 'odd' });
    expect(event.message).toBe(
      `ownerRef [v1/ConfigMap, namespace: , name: owner, uid: ${owner.metadata.uid}] does not exist in namespace ""`,
    );
    await cluster.client.delete(CM, NS, 'owner');
    await new Promise((r) => setTimeout(r, 200));
    expect(
      cluster.client.tryGet(NAMESPACES, '', 'odd')?.metadata.deletionTimestamp,
    ).toBeUndefined();
  });

  it('follows owners of other kinds (a Secret owned by a ConfigMap)', async () => {
    const owner = await configMap('owner');
    const SECRETS = { group: '', version: 'v1', resource: 'secrets' };
    await cluster.client.create(SECRETS, NS, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'secret', ownerReferences: [ref(owner)] },
    });
    await cluster.client.delete(CM, NS, 'owner');
    await eventually(() => !cluster.client.tryGet(SECRETS, NS, 'secret'), 10_000, 'secret');
  });
});

describe('GarbageCollector with custom resources', () => {
  it('follows owners that are custom resources once their CRD is established', async () => {
    const local = await startTestCluster();
    const collector = new GarbageCollector(local.context('garbage-collector'), {
      customResources: true,
    });
    try {
      collector.start();
      local.informers.start();
      const CRDS = {
        group: 'apiextensions.k8s.io',
        version: 'v1',
        resource: 'customresourcedefinitions',
      };
      await local.client.create(CRDS, '', {
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name: 'widgets.example.com' },
        spec: {
          group: 'example.com',
          scope: 'Namespaced',
          names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
          versions: [
            {
              name: 'v1',
              served: true,
              storage: true,
              schema: {
                openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
              },
            },
          ],
        },
      });
      const WIDGETS = { group: 'example.com', version: 'v1', resource: 'widgets' };
      const owner = await (async () => {
        for (let i = 0; ; i++) {
          try {
            return await local.client.create(WIDGETS, NS, {
              apiVersion: 'example.com/v1',
              kind: 'Widget',
              metadata: { name: 'w' },
            });
          } catch (err) {
            if (i > 100) throw err;
            await new Promise((r) => setTimeout(r, 20));
          }
        }
      })();
      await local.client.create(CM, NS, {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: 'owned',
          ownerReferences: [
            {
              apiVersion: 'example.com/v1',
              kind: 'Widget',
              name: 'w',
              uid: owner.metadata.uid ?? '',
            },
          ],
        },
      });
      await new Promise((r) => setTimeout(r, 100));
      expect(local.client.tryGet(CM, NS, 'owned')).toBeDefined();
      await local.client.delete(WIDGETS, NS, 'w');
      await eventually(() => !local.client.tryGet(CM, NS, 'owned'), 10_000, 'owned collected');
    } finally {
      await collector.stop();
      await local.stop();
    }
  });
});
