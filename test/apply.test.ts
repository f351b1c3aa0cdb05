// kubectl apply against Skiff as against kube-apiserver: client-side three-way merges, server-side
// apply with field managers and conflicts, server dry-run and kubectl diff (KEP-555, kubectl apply).
// The tests of a describe block run in order and build on each other's state.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSkiff } from './support/skiff.ts';
import type { Skiff } from './support/skiff.ts';
import { everyKindObjects, everyKindText, everyKindNamespace as ns } from './support/fixtures.ts';
import type { FixtureObject } from './support/fixtures.ts';
import { fails, getJson, isAbsent, jsonDiffPaths, linesOf, ok, show } from './support/helpers.ts';
import type { Json } from './support/helpers.ts';

let skiff: Skiff;

beforeAll(async () => {
  skiff = await startSkiff();
});

afterAll(async () => {
  await skiff?.stop();
});

/** How kubectl names an object in apply output: `deployment.apps/web`, `event.events.k8s.io/x`. */
function printedName(object: FixtureObject): string {
  const group = object.apiVersion.includes('/') ? object.apiVersion.split('/')[0] : '';
  return `${object.kind.toLowerCase()}${group ? `.${group}` : ''}/${object.name}`;
}

function expectEveryObject(stdout: string, verb: (object: FixtureObject) => string): void {
  const expected = everyKindObjects
    .map((object) => `${printedName(object)} ${verb(object)}`)
    .sort();
  expect(linesOf(stdout).sort()).toEqual(expected);
}

/**
 * What `kubectl apply` prints for an object of the fixture when `changed` kinds were edited. A
 * PodDisruptionBudget is always "configured": its selector has patch strategy "replace", which
 * kubectl's three-way merge always sends (apimachinery strategicpatch handleMapDiff).
 */
function reapplied(...changed: string[]): (object: FixtureObject) => string {
  return (object) =>
    changed.includes(object.kind) || object.kind === 'PodDisruptionBudget'
      ? 'configured'
      : 'unchanged';
}

/** The fixture with exactly one occurrence of each `from` replaced. */
function edit(text: string, replacements: [string, string][]): string {
  let result = text;
  for (const [from, to] of replacements) {
    expect(result.split(from).length - 1, `"${from}" must occur once in the fixture`).toBe(1);
    result = result.replace(from, to);
  }
  return result;
}

const imageChange: [string, string] = [
  'image: registry.local/skiff/web:1.4.2',
  'image: registry.local/skiff/web:1.5.0',
];
const envChange: [string, string] = ['value: hello', 'value: bonjour'];
const portChange: [string, string] = ['containerPort: 9090', 'containerPort: 9091'];

interface Container {
  name: string;
  image: string;
  env?: { name: string; value?: string }[];
  ports?: { name?: string; containerPort: number }[];
}
interface Deployment {
  metadata: {
    generation: number;
    resourceVersion: string;
    managedFields?: { manager: string; operation: string }[];
  };
  spec: { template: { spec: { containers: Container[] } } };
}

describe('client-side apply', () => {
  it('creates every kind from one multi-document file', async () => {
    const result = await skiff.kubectl(['apply', '-f', '-'], {
      input: everyKindText,
      timeoutMs: 60_000,
    });
    expectEveryObject(ok(result), () => 'created');
    const deployment = await getJson<Deployment>(skiff, ['deployments.apps', 'web', '-n', ns]);
    expect(deployment.spec.template.spec.containers.map((c) => c.name)).toEqual([
      'app',
      'log-shipper',
    ]);
  });

  it('reports every object unchanged when applied again (PodDisruptionBudget aside)', async () => {
    const result = await skiff.kubectl(['apply', '-f', '-'], {
      input: everyKindText,
      timeoutMs: 60_000,
    });
    expectEveryObject(ok(result), reapplied());
  });

  it('changes exactly the edited image, env value and port, and nothing else', async () => {
    const before = await getJson<Deployment & Json>(skiff, ['deployments.apps', 'web', '-n', ns]);
    const modified = edit(everyKindText, [imageChange, envChange, portChange]);
    const result = await skiff.kubectl(['apply', '-f', '-'], {
      input: modified,
      timeoutMs: 60_000,
    });
    expectEveryObject(ok(result), reapplied('Deployment'));
    const after = await getJson<Deployment & Json>(skiff, ['deployments.apps', 'web', '-n', ns]);

    const ignored = /^(metadata\.(resourceVersion|generation|managedFields|annotations)|status)\b/;
    const changed = jsonDiffPaths(before, after).filter((path) => !ignored.test(path));
    expect(changed.sort()).toEqual([
      'spec.template.spec.containers[0].env[1].value',
      'spec.template.spec.containers[0].image',
      'spec.template.spec.containers[0].ports[1].containerPort',
    ]);
    expect(after.metadata.generation).toBeGreaterThan(before.metadata.generation);
    const app = after.spec.template.spec.containers[0];
    expect(app.image).toBe('registry.local/skiff/web:1.5.0');
    expect(app.env?.find((e) => e.name === 'GREETING')?.value).toBe('bonjour');
    expect(app.ports?.map((p) => [p.name, p.containerPort])).toEqual([
      ['http', 8080],
      ['metrics', 9091],
    ]);
  });

  it('merges list entries by key, keeping an entry another client added', async () => {
    const patch = {
      spec: {
        template: {
          spec: { containers: [{ name: 'app', env: [{ name: 'ADDED_BY_OTHER', value: '1' }] }] },
        },
      },
    };
    ok(
      await skiff.kubectl([
        'patch',
        'deployments.apps',
        'web',
        '-n',
        ns,
        '--type',
        'strategic',
        '-p',
        JSON.stringify(patch),
      ]),
    );

    const modified = edit(everyKindText, [
      imageChange,
      ['value: hello', 'value: salut'],
      portChange,
    ]);
    ok(await skiff.kubectl(['apply', '-f', '-'], { input: modified, timeoutMs: 60_000 }));
    const after = await getJson<Deployment>(skiff, ['deployments.apps', 'web', '-n', ns]);
    const [app, shipper] = after.spec.template.spec.containers;
    expect(after.spec.template.spec.containers).toHaveLength(2);
    // apimachinery's mergeSortedSlice puts a patch-only entry before the server's entries, and a
    // later apply keeps it there (it leads the server order), exactly as kube-apiserver does.
    expect(app.env?.map((e) => [e.name, e.value])).toEqual([
      ['ADDED_BY_OTHER', '1'],
      ['LOG_LEVEL', 'info'],
      ['GREETING', 'salut'],
      ['DB_PASSWORD', undefined],
    ]);
    expect(shipper.name).toBe('log-shipper');
    expect(shipper.env).toEqual([{ name: 'TARGET', value: 'stdout' }]);
  });

  it('restores the original file, removing nothing it did not own', async () => {
    const result = await skiff.kubectl(['apply', '-f', '-'], {
      input: everyKindText,
      timeoutMs: 60_000,
    });
    expectEveryObject(ok(result), reapplied('Deployment'));
    const after = await getJson<Deployment>(skiff, ['deployments.apps', 'web', '-n', ns]);
    const app = after.spec.template.spec.containers[0];
    expect(app.image).toBe('registry.local/skiff/web:1.4.2');
    expect(app.env?.map((e) => e.name)).toEqual([
      'ADDED_BY_OTHER',
      'LOG_LEVEL',
      'GREETING',
      'DB_PASSWORD',
    ]);
  });
});

describe('server-side apply', () => {
  const configMap = (manager: string, data: Record<string, string>): string =>
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'ssa-demo', namespace: ns, labels: { 'applied-by': manager } },
      data,
    });

  // kubectl hides managedFields unless asked.
  const ssaDemo = ['configmap', 'ssa-demo', '-n', ns, '--show-managed-fields'];

  interface ConfigMap {
    data?: Record<string, string>;
    metadata: {
      labels?: Record<string, string>;
      managedFields?: { manager: string; operation: string; fieldsV1: Json }[];
    };
  }

  it('applies the same objects with --server-side', async () => {
    const result = await skiff.kubectl(['apply', '--server-side', '-f', '-'], {
      input: everyKindText,
      timeoutMs: 60_000,
    });
    expectEveryObject(ok(result), () => 'serverside-applied');
    const deployment = await getJson<Deployment>(skiff, [
      'deployments.apps',
      'web',
      '-n',
      ns,
      '--show-managed-fields',
    ]);
    const managers =
      deployment.metadata.managedFields?.map((m) => `${m.manager}/${m.operation}`) ?? [];
    expect(managers).toContain('kubectl/Apply');
  });

  it('creates an object with server-side apply and records its manager', async () => {
    const input = configMap('kubectl', { owner: 'kubectl', shared: 'from-kubectl' });
    const out = ok(await skiff.kubectl(['apply', '--server-side', '-f', '-'], { input }));
    expect(out).toContain('configmap/ssa-demo serverside-applied');
    const cm = await getJson<ConfigMap>(skiff, ssaDemo);
    expect(cm.data).toEqual({ owner: 'kubectl', shared: 'from-kubectl' });
    const entry = cm.metadata.managedFields?.find((m) => m.manager === 'kubectl');
    expect(entry?.operation).toBe('Apply');
    expect(JSON.stringify(entry?.fieldsV1)).toContain('f:shared');
  });

  it('refuses a second manager setting the same field to another value (conflict)', async () => {
    const input = configMap('kubectl', { shared: 'from-other' });
    const result = await skiff.kubectl(
      ['apply', '--server-side', '--field-manager=other', '-f', '-'],
      { input },
    );
    const output = fails(result);
    expect(output).toContain('conflict');
    expect(output).toContain('.data.shared');
    const cm = await getJson<ConfigMap>(skiff, ssaDemo);
    expect(cm.data?.shared).toBe('from-kubectl');
  });

  it('takes the field over with --force-conflicts', async () => {
    const input = configMap('kubectl', { shared: 'from-other', extra: 'x' });
    ok(
      await skiff.kubectl(
        ['apply', '--server-side', '--field-manager=other', '--force-conflicts', '-f', '-'],
        { input },
      ),
    );
    const cm = await getJson<ConfigMap>(skiff, ssaDemo);
    expect(cm.data).toEqual({ owner: 'kubectl', shared: 'from-other', extra: 'x' });
    const kubectlFields = JSON.stringify(
      cm.metadata.managedFields?.find((m) => m.manager === 'kubectl')?.fieldsV1,
    );
    const otherFields = JSON.stringify(
      cm.metadata.managedFields?.find((m) => m.manager === 'other')?.fieldsV1,
    );
    expect(otherFields).toContain('f:shared');
    expect(kubectlFields).not.toContain('f:shared');
  });

  it('removes a field its manager no longer applies', async () => {
    const input = configMap('kubectl', { shared: 'from-other' });
    ok(
      await skiff.kubectl(['apply', '--server-side', '--field-manager=other', '-f', '-'], {
        input,
      }),
    );
    const cm = await getJson<ConfigMap>(skiff, ssaDemo);
    expect(cm.data).toEqual({ owner: 'kubectl', shared: 'from-other' });
  });
});

describe('dry run and diff', () => {
  const newConfigMap = JSON.stringify({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'dry-only', namespace: ns },
    data: { k: 'v' },
  });

  it('apply --dry-run=server creates nothing', async () => {
    const out = ok(
      await skiff.kubectl(['apply', '--dry-run=server', '-f', '-'], { input: newConfigMap }),
    );
    expect(out).toContain('configmap/dry-only created (server dry run)');
    expect(await isAbsent(skiff, ['configmap', 'dry-only', '-n', ns])).toBe(true);
  });

  it('apply --server-side --dry-run=server creates nothing', async () => {
    const out = ok(
      await skiff.kubectl(['apply', '--server-side', '--dry-run=server', '-f', '-'], {
        input: newConfigMap,
      }),
    );
    expect(out).toContain('configmap/dry-only serverside-applied (server dry run)');
    expect(await isAbsent(skiff, ['configmap', 'dry-only', '-n', ns])).toBe(true);
  });

  it('apply --dry-run=server of a change stores nothing', async () => {
    const before = await getJson<Deployment>(skiff, ['deployments.apps', 'web', '-n', ns]);
    const modified = edit(everyKindText, [imageChange]);
    const out = ok(
      await skiff.kubectl(['apply', '--dry-run=server', '-f', '-'], {
        input: modified,
        timeoutMs: 60_000,
      }),
    );
    expect(out).toContain('deployment.apps/web configured (server dry run)');
    const after = await getJson<Deployment>(skiff, ['deployments.apps', 'web', '-n', ns]);
    expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
    expect(after.spec.template.spec.containers[0].image).toBe('registry.local/skiff/web:1.4.2');
  });

  it('kubectl diff shows a pending change and exits 1', async () => {
    const modified = edit(everyKindText, [imageChange]);
    const result = await skiff.kubectl(['diff', '-f', '-'], { input: modified, timeoutMs: 60_000 });
    expect(result.code, show(result)).toBe(1);
    expect(result.stdout).toMatch(/^-\s+image: registry\.local\/skiff\/web:1\.4\.2$/m);
    expect(result.stdout).toMatch(/^\+\s+image: registry\.local\/skiff\/web:1\.5\.0$/m);
    const after = await getJson<Deployment>(skiff, ['deployments.apps', 'web', '-n', ns]);
    expect(after.spec.template.spec.containers[0].image).toBe('registry.local/skiff/web:1.4.2');
  });

  it('kubectl diff of what is applied shows nothing and exits 0', async () => {
    ok(await skiff.kubectl(['apply', '-f', '-'], { input: everyKindText, timeoutMs: 60_000 }));
    const result = await skiff.kubectl(['diff', '-f', '-'], {
      input: everyKindText,
      timeoutMs: 60_000,
    });
    expect(result.code, show(result)).toBe(0);
    expect(result.stdout).toBe('');
  });
});
