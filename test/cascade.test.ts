// Cascading deletion through the garbage collector, as kubectl's --cascade drives it: background
// (ReplicaSets and pods go), foreground (the Deployment waits with the foregroundDeletion
// finalizer until its dependents are gone), orphan (ReplicaSets stay, their ownerReferences removed).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSkiffWithNodes } from './support/skiff.ts';
import type { Skiff } from './support/skiff.ts';
import { ok } from './support/helpers.ts';

let skiff: Skiff;

interface Meta {
  metadata: {
    name: string;
    finalizers?: string[];
    deletionTimestamp?: string;
    ownerReferences?: unknown[];
  };
}

async function items(path: string): Promise<Meta[]> {
  const response = await skiff.api(path);
  expect(response.status, response.text).toBe(200);
  return response.json<{ items: Meta[] }>().items;
}

async function until(check: () => Promise<boolean>, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function deployment(ns: string): Promise<void> {
  ok(await skiff.kubectl(['create', 'namespace', ns]));
  ok(
    await skiff.kubectl([
      'create',
      'deployment',
      'web',
      '--image=registry.local/skiff/web:1',
      '--replicas=3',
      '-n',
      ns,
    ]),
  );
  ok(
    await skiff.kubectl(['rollout', 'status', 'deployment/web', '-n', ns, '--timeout=55s'], {
      timeoutMs: 60_000,
    }),
  );
}

beforeAll(async () => {
  skiff = await startSkiffWithNodes(3);
});

afterAll(async () => {
  await skiff?.stop();
});

describe('cascading deletion', () => {
  it('background: the ReplicaSet and pods go after the Deployment', async () => {
    await deployment('cascade-bg');
    ok(
      await skiff.kubectl([
        'delete',
        'deployment',
        'web',
        '-n',
        'cascade-bg',
        '--cascade=background',
      ]),
    );
    await until(
      async () => (await items('/apis/apps/v1/namespaces/cascade-bg/replicasets')).length === 0,
      'ReplicaSets gone',
    );
    await until(
      async () => (await items('/api/v1/namespaces/cascade-bg/pods')).length === 0,
      'pods gone',
    );
  });

  it('foreground: the Deployment is held by foregroundDeletion until its dependents are gone', async () => {
    await deployment('cascade-fg');
    ok(
      await skiff.kubectl([
        'delete',
        'deployment',
        'web',
        '-n',
        'cascade-fg',
        '--cascade=foreground',
        '--wait=false',
      ]),
    );
    const held = await skiff.api('/apis/apps/v1/namespaces/cascade-fg/deployments/web');
    if (held.status === 200) {
      // Seen while it waits: marked for deletion and carrying the finalizer.
      const meta = held.json<Meta>().metadata;
      expect(meta.deletionTimestamp).toBeDefined();
      expect(meta.finalizers).toContain('foregroundDeletion');
    }
    ok(
      await skiff.kubectl(
        ['wait', '--for=delete', 'deployment/web', '-n', 'cascade-fg', '--timeout=30s'],
        { timeoutMs: 40_000 },
      ),
    );
    expect(await items('/apis/apps/v1/namespaces/cascade-fg/replicasets')).toEqual([]);
  });

  it('orphan: the ReplicaSet and pods stay, without an owner', async () => {
    await deployment('cascade-or');
    ok(
      await skiff.kubectl(['delete', 'deployment', 'web', '-n', 'cascade-or', '--cascade=orphan']),
    );
    await until(async () => {
      const sets = await items('/apis/apps/v1/namespaces/cascade-or/replicasets');
      return sets.length === 1 && !sets[0].metadata.ownerReferences;
    }, 'the ReplicaSet orphaned');
    expect(await items('/api/v1/namespaces/cascade-or/pods')).toHaveLength(3);
  });
});
