// Helm v4 against Skiff: install (CRD from crds/, a custom resource, a hook), upgrade that removes
// fields (server-side apply ownership), history, rollback and uninstall, checked object by object.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSkiff } from './support/skiff.ts';
import type { Skiff } from './support/skiff.ts';
import { getJson, isAbsent, linesOf, ok } from './support/helpers.ts';
import { fixturesDir } from './support/tools.ts';

const ns = 'helm-e2e';
const chart = join(fixturesDir, 'charts/demo');
let skiff: Skiff;
let hookAfterUpgrade = '';

beforeAll(async () => {
  skiff = await startSkiff();
});

afterAll(async () => {
  await skiff?.stop();
});

interface Container {
  name: string;
  image: string;
  resources?: Record<string, unknown>;
}
interface Deployment {
  spec: { template: { spec: { containers: Container[] } } };
}
interface ConfigMap {
  metadata: { uid: string };
  data?: Record<string, string>;
}
interface Secret {
  type: string;
  metadata: { labels?: Record<string, string> };
}

async function release(): Promise<{ deployment: Deployment; config: ConfigMap; hook: ConfigMap }> {
  return {
    deployment: await getJson<Deployment>(skiff, ['deployment', 'demo', '-n', ns]),
    config: await getJson<ConfigMap>(skiff, ['configmap', 'demo-config', '-n', ns]),
    hook: await getJson<ConfigMap>(skiff, ['configmap', 'demo-hook-ran', '-n', ns]),
  };
}

describe('helm', () => {
  it('installs the chart: CRD, custom resource, workload objects, hook and release record', async () => {
    const out = ok(await skiff.helm(['install', 'demo', chart, '-n', ns, '--create-namespace']));
    expect(out).toMatch(/^STATUS: deployed$/m);
    expect(out).toMatch(/^REVISION: 1$/m);

    ok(await skiff.kubectl(['get', 'crd', 'gadgets.demo.skiff.dev']));
    const gadget = await getJson<{ spec: { mode: string } }>(skiff, [
      'gadgets.demo.skiff.dev',
      'demo',
      '-n',
      ns,
    ]);
    expect(gadget.spec.mode).toBe('eager');
    ok(await skiff.kubectl(['get', 'service', 'demo', '-n', ns]));
    const secret = await getJson<{ data: Record<string, string> }>(skiff, [
      'secret',
      'demo-secret',
      '-n',
      ns,
    ]);
    expect(Buffer.from(secret.data.token, 'base64').toString()).toBe('s3cr3t-t0ken');

    const { deployment, config, hook } = await release();
    expect(deployment.spec.template.spec.containers[0].resources).toEqual({
      requests: { cpu: '50m', memory: '64Mi' },
      limits: { memory: '128Mi' },
    });
    expect(config.data).toEqual({ greeting: 'hello', extra: 'present' });
    expect(hook.data).toEqual({ revision: '1' });

    const record = await getJson<Secret>(skiff, ['secret', 'sh.helm.release.v1.demo.v1', '-n', ns]);
    expect(record.type).toBe('helm.sh/release.v1');
    expect(record.metadata.labels).toMatchObject({
      name: 'demo',
      owner: 'helm',
      status: 'deployed',
      version: '1',
    });

    const list = JSON.parse(ok(await skiff.helm(['list', '-n', ns, '-o', 'json']))) as {
      name: string;
      status: string;
    }[];
    expect(list.map((r) => [r.name, r.status])).toEqual([['demo', 'deployed']]);
  });

  it('upgrades with values that remove fields, and the fields are gone', async () => {
    const out = ok(
      await skiff.helm([
        'upgrade',
        'demo',
        chart,
        '-n',
        ns,
        '--set',
        'config.extra=null',
        '--set',
        'resources=null',
      ]),
    );
    expect(out).toMatch(/^REVISION: 2$/m);
    const { deployment, config, hook } = await release();
    hookAfterUpgrade = hook.metadata.uid;
    expect(config.data).toEqual({ greeting: 'hello' });
    expect(deployment.spec.template.spec.containers[0].resources ?? {}).toEqual({});
    expect(hook.data).toEqual({ revision: '2' });
  });

  it('keeps the history', async () => {
    const history = JSON.parse(
      ok(await skiff.helm(['history', 'demo', '-n', ns, '-o', 'json'])),
    ) as {
      revision: number;
      status: string;
    }[];
    expect(history.map((h) => [h.revision, h.status])).toEqual([
      [1, 'superseded'],
      [2, 'deployed'],
    ]);
    const first = await getJson<Secret>(skiff, ['secret', 'sh.helm.release.v1.demo.v1', '-n', ns]);
    expect(first.metadata.labels?.status).toBe('superseded');
  });

  it('rolls back to the first revision', async () => {
    expect(ok(await skiff.helm(['rollback', 'demo', '1', '-n', ns]))).toContain(
      'Rollback was a success!',
    );
    const { deployment, config, hook } = await release();
    expect(config.data).toEqual({ greeting: 'hello', extra: 'present' });
    expect(deployment.spec.template.spec.containers[0].resources).toEqual({
      requests: { cpu: '50m', memory: '64Mi' },
      limits: { memory: '128Mi' },
    });
    // Rollback runs the hooks stored with revision 1 (rendered then), re-created per their policy.
    expect(hook.data).toEqual({ revision: '1' });
    expect(hook.metadata.uid).not.toBe(hookAfterUpgrade);
    const history = JSON.parse(
      ok(await skiff.helm(['history', 'demo', '-n', ns, '-o', 'json'])),
    ) as {
      revision: number;
      status: string;
      description: string;
    }[];
    expect(history.map((h) => [h.revision, h.status])).toEqual([
      [1, 'superseded'],
      [2, 'superseded'],
      [3, 'deployed'],
    ]);
    expect(history[2].description).toBe('Rollback to 1');
  });

  it('uninstalls and leaves no release records and no chart objects behind', async () => {
    expect(ok(await skiff.helm(['uninstall', 'demo', '-n', ns]))).toContain(
      'release "demo" uninstalled',
    );
    const records = ok(
      await skiff.kubectl(['get', 'secrets', '-n', ns, '-l', 'owner=helm', '-o', 'name']),
    );
    expect(linesOf(records)).toEqual([]);
    const chartObjects = ok(
      await skiff.kubectl([
        'get',
        'deployments,services,configmaps,secrets,gadgets.demo.skiff.dev',
        '-n',
        ns,
        '-l',
        'app.kubernetes.io/instance=demo',
        '-o',
        'name',
      ]),
    );
    expect(linesOf(chartObjects)).toEqual([]);
    for (const object of [
      ['deployment', 'demo'],
      ['service', 'demo'],
      ['configmap', 'demo-config'],
      ['secret', 'demo-secret'],
      ['gadgets.demo.skiff.dev', 'demo'],
    ]) {
      expect(await isAbsent(skiff, [...object, '-n', ns]), object.join('/')).toBe(true);
    }
    const states = ['--deployed', '--failed', '--pending', '--superseded', '--uninstalled'];
    const list = JSON.parse(
      ok(await skiff.helm(['list', '-n', ns, ...states, '-o', 'json'])),
    ) as unknown[];
    expect(list).toEqual([]);
    const status = await skiff.helm(['status', 'demo', '-n', ns]);
    expect(status.code).not.toBe(0);
    expect(status.stderr).toContain('release: not found');
    // As on any cluster, helm keeps CRDs installed from crds/ and resources created by hooks.
    ok(await skiff.kubectl(['get', 'crd', 'gadgets.demo.skiff.dev']));
    ok(await skiff.kubectl(['get', 'configmap', 'demo-hook-ran', '-n', ns]));
  });
});
