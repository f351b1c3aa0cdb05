// CustomResourceDefinitions end to end (apiextensions-apiserver semantics): a CRD from a manifest,
// its resources served under every name, watched, patched, validated against the schema, with a
// status subresource, and removed with the CRD.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSkiff } from './support/skiff.ts';
import type { Skiff } from './support/skiff.ts';
import type { StreamingProcess } from './support/processes.ts';
import {
  fails,
  getJson,
  headerOf,
  isAbsent,
  ok,
  rowsOf,
  sleep,
  tableOf,
} from './support/helpers.ts';
import { fixturesDir } from './support/tools.ts';
import { createObjects, namespace } from './support/fixtures.ts';

const ns = 'crds';
const crdName = 'widgets.example.skiff.dev';
const crdManifest = readFileSync(join(fixturesDir, 'crd-widgets.yaml'), 'utf8');
let skiff: Skiff;
const streams: StreamingProcess[] = [];

beforeAll(async () => {
  skiff = await startSkiff();
  await createObjects(skiff, namespace(ns));
});

afterAll(async () => {
  await Promise.all(streams.map((s) => s.stop('SIGKILL')));
  await skiff?.stop();
});

function widget(name: string, spec: Record<string, unknown>): string {
  return JSON.stringify({
    apiVersion: 'example.skiff.dev/v1',
    kind: 'Widget',
    metadata: { name, namespace: ns },
    spec,
  });
}

interface Widget {
  metadata: { generation: number; resourceVersion: string };
  spec: { size: number; color?: string; tags?: string[] };
  status?: { phase?: string };
}

describe('a CustomResourceDefinition', () => {
  it('is created from a manifest and becomes Established', async () => {
    expect(ok(await skiff.kubectl(['apply', '-f', '-'], { input: crdManifest }))).toContain(
      `customresourcedefinition.apiextensions.k8s.io/${crdName} created`,
    );
    ok(
      await skiff.kubectl([
        'wait',
        '--for=condition=Established',
        `crd/${crdName}`,
        '--timeout=30s',
      ]),
    );
    const crd = await getJson<{
      status: { acceptedNames: { kind: string; shortNames: string[] } };
    }>(skiff, ['crd', crdName]);
    expect(crd.status.acceptedNames).toMatchObject({ kind: 'Widget', shortNames: ['wg'] });
  });

  it('serves its resources: created and listed by plural, singular, short name and category', async () => {
    const input = `${widget('w1', { size: 3, color: 'red' })}\n${widget('w2', { size: 5 })}`;
    const out = ok(await skiff.kubectl(['apply', '-f', '-'], { input }));
    expect(out).toContain('widget.example.skiff.dev/w1 created');
    expect(out).toContain('widget.example.skiff.dev/w2 created');
    for (const name of ['widgets', 'widget', 'wg', 'widgets.example.skiff.dev', 'skiff-e2e']) {
      const table = ok(await skiff.kubectl(['get', name, '-n', ns]));
      expect(headerOf(table), `kubectl get ${name}`).toEqual([
        'NAME',
        'SIZE',
        'COLOR',
        'PHASE',
        'AGE',
      ]);
      expect(
        tableOf(table).map((r) => [r.NAME, r.SIZE, r.COLOR]),
        `kubectl get ${name}`,
      ).toEqual([
        ['w1', '3', 'red'],
        ['w2', '5', ''],
      ]);
    }
    const w1 = await getJson<Widget & { apiVersion: string; kind: string }>(skiff, [
      'widget',
      'w1',
      '-n',
      ns,
    ]);
    expect(w1).toMatchObject({
      apiVersion: 'example.skiff.dev/v1',
      kind: 'Widget',
      metadata: { generation: 1 },
    });
  });

  it('is watched', async () => {
    const watcher = skiff.kubectlStream(['get', 'wg', '-n', ns, '-w']);
    streams.push(watcher);
    await watcher.waitForOutput(/^w2\s/m, 20_000);
    await sleep(300);
    const from = watcher.stdout.length;
    const response = await skiff.api(`/apis/example.skiff.dev/v1/namespaces/${ns}/widgets`, {
      body: widget('w3', { size: 7, color: 'blue' }),
    });
    expect(response.status, response.text).toBe(201);
    // a whole line: output may arrive mid-line
    const [line] = await watcher.waitForOutput(/^w3\s[^\n]*\n/m, 5_000, from);
    expect(line).toMatch(/^w3\s+7\s+blue\s/);
    await watcher.stop('SIGTERM');
  });

  it('is patched with merge and JSON patches, but not strategic merge', async () => {
    ok(
      await skiff.kubectl([
        'patch',
        'wg',
        'w1',
        '-n',
        ns,
        '--type',
        'merge',
        '-p',
        '{"spec":{"color":"green","tags":["a"]}}',
      ]),
    );
    let w1 = await getJson<Widget>(skiff, ['wg', 'w1', '-n', ns]);
    expect(w1.spec).toEqual({ size: 3, color: 'green', tags: ['a'] });
    expect(w1.metadata.generation).toBe(2);
    ok(
      await skiff.kubectl([
        'patch',
        'wg',
        'w1',
        '-n',
        ns,
        '--type',
        'json',
        '-p',
        '[{"op":"add","path":"/spec/tags/-","value":"b"}]',
      ]),
    );
    w1 = await getJson<Widget>(skiff, ['wg', 'w1', '-n', ns]);
    expect(w1.spec.tags).toEqual(['a', 'b']);
    const strategic = await skiff.kubectl([
      'patch',
      'wg',
      'w1',
      '-n',
      ns,
      '--type',
      'strategic',
      '-p',
      '{"spec":{"size":4}}',
    ]);
    expect(fails(strategic)).toContain('application/merge-patch+json');
    expect((await getJson<Widget>(skiff, ['wg', 'w1', '-n', ns])).spec.size).toBe(3);
  });
});

describe('schema validation', () => {
  const cases: [string, Record<string, unknown>, RegExp[]][] = [
    ['too-big', { size: 50 }, [/spec\.size/, /less than or equal to 10/]],
    ['wrong-type', { size: 'big' }, [/spec\.size/, /must be of type integer/]],
    ['bad-enum', { size: 2, color: 'purple' }, [/spec\.color/, /Unsupported value: "purple"/]],
    ['no-size', { color: 'red' }, [/spec\.size/, /Required value/]],
    ['unknown-field', { size: 2, bogus: true }, [/unknown field "spec\.bogus"/]],
  ];
  it.each(cases)(
    'rejects %s, naming the field, and stores nothing',
    async (name, spec, messages) => {
      const output = fails(
        await skiff.kubectl(['apply', '-f', '-'], { input: widget(name, spec) }),
      );
      for (const message of messages) expect(output).toMatch(message);
      expect(await isAbsent(skiff, ['widget', name, '-n', ns])).toBe(true);
    },
  );

  it('rejects an update that breaks the schema and keeps the object', async () => {
    const before = await getJson<Widget>(skiff, ['wg', 'w2', '-n', ns]);
    const output = fails(
      await skiff.kubectl([
        'patch',
        'wg',
        'w2',
        '-n',
        ns,
        '--type',
        'merge',
        '-p',
        '{"spec":{"size":0}}',
      ]),
    );
    expect(output).toMatch(/spec\.size/);
    expect(output).toMatch(/greater than or equal to 1/);
    const after = await getJson<Widget>(skiff, ['wg', 'w2', '-n', ns]);
    expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
  });
});

describe('the status subresource', () => {
  it('changes status through /status without bumping generation', async () => {
    const before = await getJson<Widget>(skiff, ['wg', 'w1', '-n', ns]);
    ok(
      await skiff.kubectl([
        'patch',
        'wg',
        'w1',
        '-n',
        ns,
        '--subresource=status',
        '--type',
        'merge',
        '-p',
        '{"status":{"phase":"Ready"}}',
      ]),
    );
    const after = await getJson<Widget>(skiff, ['wg', 'w1', '-n', ns]);
    expect(after.status?.phase).toBe('Ready');
    expect(after.metadata.generation).toBe(before.metadata.generation);
    const row = tableOf(ok(await skiff.kubectl(['get', 'wg', 'w1', '-n', ns]))).find(
      (r) => r.NAME === 'w1',
    );
    expect(row?.PHASE).toBe('Ready');
  });

  it('ignores status written through the main resource', async () => {
    ok(
      await skiff.kubectl([
        'patch',
        'wg',
        'w1',
        '-n',
        ns,
        '--type',
        'merge',
        '-p',
        '{"status":{"phase":"Hacked"}}',
      ]),
    );
    expect((await getJson<Widget>(skiff, ['wg', 'w1', '-n', ns])).status?.phase).toBe('Ready');
  });

  it('ignores spec written through /status', async () => {
    ok(
      await skiff.kubectl([
        'patch',
        'wg',
        'w1',
        '-n',
        ns,
        '--subresource=status',
        '--type',
        'merge',
        '-p',
        '{"spec":{"size":9}}',
      ]),
    );
    expect((await getJson<Widget>(skiff, ['wg', 'w1', '-n', ns])).spec.size).toBe(3);
  });
});

describe('removal', () => {
  it('deleting the CRD removes its resources and its API', async () => {
    ok(await skiff.kubectl(['delete', 'crd', crdName], { timeoutMs: 60_000 }));
    expect(await isAbsent(skiff, ['crd', crdName])).toBe(true);
    const raw = await skiff.api(`/apis/example.skiff.dev/v1/namespaces/${ns}/widgets`);
    expect(raw.status).toBe(404);
    // api-resources reads discovery afresh (kubectl get would trust its 6-hour cache first).
    expect(
      rowsOf(ok(await skiff.kubectl(['api-resources', '--api-group=example.skiff.dev']))),
    ).toEqual([]);
    const result = await skiff.kubectl(['get', 'widgets', '-n', ns]);
    expect(fails(result)).toContain('the server doesn\'t have a resource type "widgets"');
  });
});
