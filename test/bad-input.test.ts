// Bad input is answered with the 4xx Status kube-apiserver gives (code, reason, the field named in
// kubectl's output) and nothing is stored, checked by reading back after every attempt.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSkiff } from './support/skiff.ts';
import type { Skiff } from './support/skiff.ts';
import type { WireStatus } from './support/kube-api.ts';
import { createObjects, namespace } from './support/fixtures.ts';
import { fails, isAbsent } from './support/helpers.ts';

const ns = 'bad-input';
const configMaps = `/api/v1/namespaces/${ns}/configmaps`;
let skiff: Skiff;

beforeAll(async () => {
  skiff = await startSkiff();
  await createObjects(skiff, namespace(ns), namespace('other'));
});

afterAll(async () => {
  await skiff?.stop();
});

/** Names of the ConfigMaps in the test namespaces, to show that a rejected request stored nothing. */
async function storedConfigMaps(): Promise<string[]> {
  const response = await skiff.api('/api/v1/configmaps');
  expect(response.status, response.text).toBe(200);
  const list = response.json<{ items: { metadata: { namespace: string; name: string } }[] }>();
  return (
    list.items
      .filter((i) => i.metadata.namespace === ns || i.metadata.namespace === 'other')
      // kube-root-ca.crt is published into every namespace by its controller, whenever it gets there.
      .filter((i) => i.metadata.name !== 'kube-root-ca.crt')
      .map((i) => `${i.metadata.namespace}/${i.metadata.name}`)
      .sort()
  );
}

function expectStatus(
  response: { status: number; json<T>(): T; text: string },
  code: number,
  reason: string,
): WireStatus {
  expect(response.status, response.text).toBe(code);
  const status = response.json<WireStatus>();
  expect(status).toMatchObject({
    kind: 'Status',
    apiVersion: 'v1',
    status: 'Failure',
    code,
    reason,
  });
  return status;
}

function configMap(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: ns },
    data: { k: 'v' },
    ...extra,
  };
}

describe('the raw API', () => {
  it('answers 413 to a body over 3 MiB', async () => {
    const before = await storedConfigMaps();
    const big = configMap('huge', { data: { blob: 'x'.repeat(3.5 * 1024 * 1024) } });
    const response = await skiff.api(configMaps, { body: big, timeoutMs: 60_000 });
    expectStatus(response, 413, 'RequestEntityTooLarge');
    expect(await storedConfigMaps()).toEqual(before);
  });

  it('answers 400 to malformed JSON', async () => {
    const before = await storedConfigMaps();
    const response = await skiff.api(configMaps, {
      body: '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"broken"',
      headers: { 'Content-Type': 'application/json' },
    });
    expectStatus(response, 400, 'BadRequest');
    expect(await storedConfigMaps()).toEqual(before);
  });

  it('answers 400 to malformed YAML', async () => {
    const before = await storedConfigMaps();
    const response = await skiff.api(configMaps, {
      body: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [broken\ndata: {k: v\n',
      headers: { 'Content-Type': 'application/yaml' },
    });
    expectStatus(response, 400, 'BadRequest');
    expect(await storedConfigMaps()).toEqual(before);
  });

  it('accepts well-formed YAML (so the 400 above is about the syntax)', async () => {
    const response = await skiff.api(configMaps, {
      body: `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-yaml\n  namespace: ${ns}\ndata:\n  k: v\n`,
      headers: { 'Content-Type': 'application/yaml' },
    });
    expect(response.status, response.text).toBe(201);
  });

  it('answers 404 to an unknown resource or group/version', async () => {
    expectStatus(await skiff.api(`/api/v1/namespaces/${ns}/gizmos`), 404, 'NotFound');
    expectStatus(
      await skiff.api(`/api/v1/namespaces/${ns}/gizmos`, { body: configMap('g') }),
      404,
      'NotFound',
    );
    const unknownGroup = await skiff.api(`/apis/nope.skiff.dev/v9/namespaces/${ns}/configmaps`);
    expect(unknownGroup.status).toBe(404);
  });

  it('answers 400 when the namespace in the body differs from the URL', async () => {
    const before = await storedConfigMaps();
    const body = { ...configMap('elsewhere'), metadata: { name: 'elsewhere', namespace: 'other' } };
    const status = expectStatus(await skiff.api(configMaps, { body }), 400, 'BadRequest');
    expect(status.message).toContain(
      'the namespace of the provided object does not match the namespace sent on the request',
    );
    expect(await storedConfigMaps()).toEqual(before);
  });

  it('answers 400 naming the field when a value has the wrong type', async () => {
    const before = await storedConfigMaps();
    const body = configMap('typed', { data: { k: 1 } });
    const status = expectStatus(await skiff.api(configMaps, { body }), 400, 'BadRequest');
    expect(status.message).toBe(
      'ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal number into Go struct field ConfigMap.data.k of type string',
    );
    expect(await storedConfigMaps()).toEqual(before);
  });

  it('answers 422 naming the field for an invalid name', async () => {
    const before = await storedConfigMaps();
    const status = expectStatus(
      await skiff.api(configMaps, { body: configMap('Bad_Name') }),
      422,
      'Invalid',
    );
    expect(status.details?.causes).toContainEqual(
      expect.objectContaining({ field: 'metadata.name', reason: 'FieldValueInvalid' }),
    );
    expect(status.message).toContain(
      'ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name"',
    );
    expect(await storedConfigMaps()).toEqual(before);
  });
});

describe('kubectl', () => {
  async function rejected(
    manifest: string,
    expected: (string | RegExp)[],
    absent: string[],
  ): Promise<void> {
    const output = fails(await skiff.kubectl(['apply', '-f', '-'], { input: manifest }));
    for (const text of expected) expect(output).toMatch(text);
    expect(await isAbsent(skiff, [...absent, '-n', ns])).toBe(true);
  }

  it('names an unknown kind', async () => {
    const manifest = `apiVersion: v1\nkind: Gizmo\nmetadata:\n  name: g\n  namespace: ${ns}\n`;
    const output = fails(await skiff.kubectl(['apply', '-f', '-'], { input: manifest }));
    expect(output).toContain('no matches for kind "Gizmo" in version "v1"');
  });

  it('names an unknown apiVersion', async () => {
    const manifest = `apiVersion: nope.skiff.dev/v9\nkind: ConfigMap\nmetadata:\n  name: g\n  namespace: ${ns}\n`;
    const output = fails(await skiff.kubectl(['apply', '-f', '-'], { input: manifest }));
    expect(output).toContain('no matches for kind "ConfigMap" in version "nope.skiff.dev/v9"');
    expect(await isAbsent(skiff, ['configmap', 'g', '-n', ns])).toBe(true);
  });

  it('reports malformed YAML and applies nothing', async () => {
    const manifest = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [broken\n  namespace: ${ns}\n`;
    const output = fails(await skiff.kubectl(['apply', '-f', '-'], { input: manifest }));
    expect(output).toMatch(/yaml|json/i);
    expect(await storedConfigMaps()).not.toContain(`${ns}/broken`);
  });

  it('names metadata.name for an invalid name (DNS-1123)', async () => {
    await rejected(
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: Not_A_DNS_Name\n  namespace: ${ns}\ndata:\n  k: v\n`,
      ['metadata.name: Invalid value: "Not_A_DNS_Name"', /RFC 1123/],
      ['configmap', 'Not_A_DNS_Name'],
    );
  });

  it('names spec.replicas for negative replicas', async () => {
    await rejected(
      [
        'apiVersion: apps/v1',
        'kind: Deployment',
        'metadata:',
        '  name: negative',
        `  namespace: ${ns}`,
        'spec:',
        '  replicas: -1',
        '  selector: {matchLabels: {app: negative}}',
        '  template:',
        '    metadata: {labels: {app: negative}}',
        '    spec: {containers: [{name: c, image: registry.local/skiff/web:1}]}',
        '',
      ].join('\n'),
      [
        'The Deployment "negative" is invalid',
        'spec.replicas: Invalid value: -1: must be greater than or equal to 0',
      ],
      ['deployment', 'negative'],
    );
  });

  it('names the missing required field', async () => {
    await rejected(
      [
        'apiVersion: apps/v1',
        'kind: Deployment',
        'metadata:',
        '  name: no-selector',
        `  namespace: ${ns}`,
        'spec:',
        '  template:',
        '    metadata: {labels: {app: x}}',
        '    spec: {containers: [{name: c, image: registry.local/skiff/web:1}]}',
        '',
      ].join('\n'),
      ['spec.selector: Required value'],
      ['deployment', 'no-selector'],
    );
    await rejected(
      `apiVersion: v1\nkind: Pod\nmetadata:\n  name: empty\n  namespace: ${ns}\nspec:\n  containers: []\n`,
      ['spec.containers: Required value'],
      ['pod', 'empty'],
    );
  });

  it('reports a body over 3 MiB', async () => {
    const manifest = JSON.stringify(
      configMap('huge-from-kubectl', { data: { blob: 'x'.repeat(3.5 * 1024 * 1024) } }),
    );
    const output = fails(
      await skiff.kubectl(['create', '-f', '-'], { input: manifest, timeoutMs: 60_000 }),
    );
    expect(output).toMatch(/too large/i);
    expect(await isAbsent(skiff, ['configmap', 'huge-from-kubectl', '-n', ns])).toBe(true);
  });
});
