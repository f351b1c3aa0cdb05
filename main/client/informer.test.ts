import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCluster, eventually, type TestCluster } from '../controllers/testing/cluster.ts';

const configmaps = { group: '', version: 'v1', resource: 'configmaps' };
let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startTestCluster();
});
afterAll(async () => {
  await cluster.stop();
});

describe('Informer over the in-process client', () => {
  it('lists, then follows creates, updates and deletes in order', async () => {
    await cluster.client.create(configmaps, 'default', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'before' },
      data: { a: '1' },
    });
    const informer = cluster.informers.for(configmaps, 'default');
    const events: string[] = [];
    informer.addHandlers({
      add: (o) => events.push(`add ${o.metadata.name}`),
      update: (_old, o) =>
        events.push(`update ${o.metadata.name} ${(o.data as Record<string, string>).a}`),
      delete: (o) => events.push(`delete ${o.metadata.name}`),
    });
    informer.start();
    expect(informer.hasSynced).toBe(true);
    expect(informer.get('default', 'before')?.metadata.name).toBe('before');
    await cluster.client.create(configmaps, 'default', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'after' },
      data: { a: '1' },
    });
    const current = cluster.client.get(configmaps, 'default', 'after');
    await cluster.client.update(configmaps, 'default', {
      ...current,
      data: { a: '2' },
    });
    await cluster.client.delete(configmaps, 'default', 'before');
    await eventually(() => events.length >= 4, 5_000, 'four events');
    expect(events).toEqual(['add before', 'add after', 'update after 2', 'delete before']);
    expect(informer.get('default', 'before')).toBeUndefined();
    informer.stop();
  });

  it('answers a stale resourceVersion conflict as the HTTP API does', async () => {
    const created = await cluster.client.create(configmaps, 'default', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cas' },
    });
    await cluster.client.update(configmaps, 'default', {
      ...created,
      data: { x: '1' },
    });
    await expect(
      cluster.client.update(configmaps, 'default', { ...created, data: { x: '2' } }),
    ).rejects.toMatchObject({ code: 409, reason: 'Conflict' });
  });

  it('lists one namespace from its index, following creates and deletes', async () => {
    const namespaces = { group: '', version: 'v1', resource: 'namespaces' };
    for (const name of ['idx-a', 'idx-b'])
      await cluster.client.create(namespaces, '', {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name },
      });
    const informer = cluster.informers.for(configmaps);
    informer.start();
    const names = (ns: string) =>
      informer
        .list(ns)
        .map((o) => o.metadata.name)
        .filter((n) => n?.startsWith('cm-'))
        .sort();
    for (const [ns, name] of [
      ['idx-a', 'cm-1'],
      ['idx-a', 'cm-2'],
      ['idx-b', 'cm-1'],
    ])
      await cluster.client.create(configmaps, ns, {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name },
      });
    await eventually(() => names('idx-a').length === 2 && names('idx-b').length === 1);
    expect(names('idx-a')).toEqual(['cm-1', 'cm-2']);
    expect(names('idx-b')).toEqual(['cm-1']);
    expect(informer.list('no-such-namespace')).toEqual([]);
    await cluster.client.delete(configmaps, 'idx-a', 'cm-1');
    await eventually(() => names('idx-a').length === 1);
    expect(names('idx-a')).toEqual(['cm-2']);
    expect(informer.list().filter((o) => o.metadata.name?.startsWith('cm-'))).toHaveLength(2);
  });
});
