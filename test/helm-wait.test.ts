// Helm v4 with --wait on a simulated cluster: install waits for a pre-install hook Job to complete
// and for the Deployment's pods to be Ready on simulated nodes (kstatus over watches), status says
// deployed, and uninstall --wait leaves none of the release's objects or records behind.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSkiffWithNodes } from './support/skiff.ts';
import type { Skiff } from './support/skiff.ts';
import { eventually, getJson, linesOf, ok } from './support/helpers.ts';
import { fixturesDir } from './support/tools.ts';

const ns = 'helm-wait';
const chart = join(fixturesDir, 'charts/demo');
const instance = 'app.kubernetes.io/instance=demo';
let skiff: Skiff;

interface Pod {
  metadata: { name: string; deletionTimestamp?: string };
  spec: { nodeName?: string };
  status?: { phase?: string; conditions?: { type: string; status: string }[] };
}

interface Hook {
  name: string;
  kind: string;
  events: string[];
  last_run?: { started_at?: string; completed_at?: string; phase?: string };
}

beforeAll(async () => {
  skiff = await startSkiffWithNodes(3);
}, 60_000);

afterAll(async () => {
  await skiff?.stop();
});

describe('helm --wait on simulated nodes', () => {
  it('install --wait runs the hook Job, then returns with every pod Ready', async () => {
    const out = ok(
      await skiff.helm(
        [
          'install',
          'demo',
          chart,
          '-n',
          ns,
          '--create-namespace',
          '--wait',
          '--timeout',
          '60s',
          '--set',
          'replicaCount=3',
          '--set',
          'hookJob.enabled=true',
        ],
        { timeoutMs: 90_000 },
      ),
    );
    expect(out).toMatch(/^STATUS: deployed$/m);
    expect(out).toMatch(/^DESCRIPTION: Install complete$/m);

    // --wait returned only once the Deployment was available: its pods are Ready now.
    const pods = await getJson<{ items: Pod[] }>(skiff, ['pods', '-n', ns, '-l', instance]);
    expect(pods.items).toHaveLength(3);
    for (const pod of pods.items) {
      expect(pod.status?.phase, pod.metadata.name).toBe('Running');
      expect(pod.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
      expect(pod.spec.nodeName).toMatch(/^skiff-sim-\d$/);
    }
    const deployment = await getJson<{
      metadata: { creationTimestamp: string };
      status: { readyReplicas?: number; availableReplicas?: number };
    }>(skiff, ['deployment', 'demo', '-n', ns]);
    expect(deployment.status.availableReplicas).toBe(3);

    // The hook Job ran to completion before the release's objects were created, then was
    // deleted by its hook-succeeded policy.
    const status = JSON.parse(ok(await skiff.helm(['status', 'demo', '-n', ns, '-o', 'json']))) as {
      info: { status: string };
      hooks: Hook[];
    };
    expect(status.info.status).toBe('deployed');
    const job = status.hooks.find((h) => h.kind === 'Job');
    expect(job).toMatchObject({ name: 'demo-migrate', events: ['pre-install', 'pre-upgrade'] });
    expect(job?.last_run?.phase).toBe('Succeeded');
    const completed = Date.parse(job?.last_run?.completed_at ?? '');
    // creationTimestamp has second precision.
    expect(Date.parse(deployment.metadata.creationTimestamp)).toBeGreaterThanOrEqual(
      Math.floor(completed / 1000) * 1000,
    );
    await eventually(
      'the hook Job deleted',
      async () => (await skiff.kubectl(['get', 'job', 'demo-migrate', '-n', ns])).code !== 0,
      20_000,
    );
  }, 120_000);

  it('helm status says deployed', async () => {
    const out = ok(await skiff.helm(['status', 'demo', '-n', ns]));
    expect(out).toMatch(/^NAME: demo$/m);
    expect(out).toMatch(/^STATUS: deployed$/m);
    expect(out).toMatch(/^REVISION: 1$/m);
  });

  it('uninstall --wait leaves no release objects, pods or release records', async () => {
    const out = ok(
      await skiff.helm(['uninstall', 'demo', '-n', ns, '--wait', '--timeout', '60s'], {
        timeoutMs: 90_000,
      }),
    );
    expect(out).toContain('release "demo" uninstalled');
    // helm waited for the objects it deleted; the pods follow through the garbage collector.
    const objects = ok(
      await skiff.kubectl([
        'get',
        'deployments,replicasets,services,configmaps,secrets,jobs,gadgets.demo.skiff.dev',
        '-n',
        ns,
        '-l',
        instance,
        '-o',
        'name',
      ]),
    );
    expect(linesOf(objects)).toEqual([]);
    await eventually(
      'the pods gone',
      async () =>
        linesOf(ok(await skiff.kubectl(['get', 'pods', '-n', ns, '-l', instance, '-o', 'name'])))
          .length === 0,
      30_000,
    );
    const records = ok(
      await skiff.kubectl(['get', 'secrets', '-n', ns, '-l', 'owner=helm,name=demo', '-o', 'name']),
    );
    expect(linesOf(records)).toEqual([]);
    const list = JSON.parse(
      ok(
        await skiff.helm([
          'list',
          '-n',
          ns,
          ...['--deployed', '--failed', '--pending', '--superseded', '--uninstalled'],
          '-o',
          'json',
        ]),
      ),
    ) as unknown[];
    expect(list).toEqual([]);
    // What stays is what helm always leaves: the CRD from crds/ and the ConfigMap a hook made.
    const rest = ok(await skiff.kubectl(['get', 'all,configmaps,secrets', '-n', ns, '-o', 'name']));
    expect(linesOf(rest).sort()).toEqual(['configmap/demo-hook-ran', 'configmap/kube-root-ca.crt']);
  }, 120_000);
});
