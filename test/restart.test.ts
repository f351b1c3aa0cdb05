// Restart safety (the controllers issue): SIGKILL the whole process in the middle of a rollout and
// start it again on the same data directory; controllers pick up where the stored state is and the
// rollout reaches the same end state, with nothing duplicated.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSkiff } from './support/skiff.ts';
import type { Skiff } from './support/skiff.ts';
import { ok } from './support/helpers.ts';

const ns = 'restart';
let skiff: Skiff;

interface Named {
  metadata: { name: string; deletionTimestamp?: string; ownerReferences?: { uid: string }[] };
  spec: { replicas?: number; template?: unknown; containers?: { image: string }[] };
  status?: { replicas?: number };
}

async function list<T>(path: string): Promise<T[]> {
  const response = await skiff.api(path);
  expect(response.status, response.text).toBe(200);
  return response.json<{ items: T[] }>().items;
}

beforeAll(async () => {
  skiff = await startSkiff({ args: ['--simulated-nodes', '3'] });
});

afterAll(async () => {
  await skiff?.stop();
});

describe('restart safety', () => {
  it('finishes a rollout interrupted by SIGKILL, with no duplicate ReplicaSets or pods', async () => {
    ok(await skiff.kubectl(['create', 'namespace', ns]));
    const manifest = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: ns },
      spec: {
        replicas: 8,
        selector: { matchLabels: { app: 'web' } },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'app', image: 'registry.local/skiff/web:1' }] },
        },
      },
    };
    ok(await skiff.kubectl(['apply', '-f', '-'], { input: JSON.stringify(manifest) }));
    ok(
      await skiff.kubectl(['rollout', 'status', 'deployment/web', '-n', ns, '--timeout=55s'], {
        timeoutMs: 60_000,
      }),
    );

    ok(
      await skiff.kubectl([
        'set',
        'image',
        'deployment/web',
        'app=registry.local/skiff/web:2',
        '-n',
        ns,
      ]),
    );
    // Kill as soon as the rollout is under way: a new ReplicaSet exists and the old one still has pods.
    const deadline = Date.now() + 20_000;
    for (;;) {
      const sets = await list<Named>(`/apis/apps/v1/namespaces/${ns}/replicasets`);
      if (sets.length === 2 && sets.every((rs) => (rs.spec.replicas ?? 0) > 0)) break;
      if (Date.now() > deadline) throw new Error('the rollout never got under way');
      await new Promise((r) => setTimeout(r, 10));
    }
    await skiff.kill9();
    await skiff.restart();

    ok(
      await skiff.kubectl(['rollout', 'status', 'deployment/web', '-n', ns, '--timeout=55s'], {
        timeoutMs: 60_000,
      }),
    );
    const sets = await list<Named>(`/apis/apps/v1/namespaces/${ns}/replicasets`);
    expect(sets).toHaveLength(2);
    expect(sets.map((rs) => rs.spec.replicas).sort()).toEqual([0, 8]);
    // Pods still terminating from the old ReplicaSet are allowed; live ones must be exactly 8 new.
    const live = (await list<Named>(`/api/v1/namespaces/${ns}/pods`)).filter(
      (p) => !p.metadata.deletionTimestamp,
    );
    expect(live).toHaveLength(8);
    expect(new Set(live.map((p) => p.metadata.name)).size).toBe(8);
    expect(live.map((p) => p.spec.containers?.[0].image)).toEqual(
      Array(8).fill('registry.local/skiff/web:2'),
    );
    const nodes = await list<Named>('/api/v1/nodes');
    expect(nodes.map((n) => n.metadata.name).sort()).toEqual([
      'skiff-sim-1',
      'skiff-sim-2',
      'skiff-sim-3',
    ]);
  }, 180_000);
});
