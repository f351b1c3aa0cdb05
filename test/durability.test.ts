// An acknowledged write survives kill -9 (DESIGN.md, Store): a client creates ConfigMaps with
// bounded concurrency, the server is SIGKILLed at a random moment, and after a restart every
// acknowledged object is there with the resourceVersion it was acknowledged with.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSkiff } from './support/skiff.ts';
import type { Skiff } from './support/skiff.ts';
import { createObjects, namespace } from './support/fixtures.ts';

const ns = 'durability';
const total = 1_000;
const concurrency = 16;
let skiff: Skiff;

beforeAll(async () => {
  skiff = await startSkiff();
  await createObjects(skiff, namespace(ns));
});

afterAll(async () => {
  await skiff?.stop();
});

interface ConfigMap {
  metadata: { name: string; resourceVersion: string };
  data: Record<string, string>;
}

describe('durability', () => {
  it('keeps every acknowledged write across SIGKILL and keeps resourceVersions increasing', async () => {
    const killAfter = 100 + Math.floor(Math.random() * 801);
    console.log(`durability: SIGKILL after ${killAfter} acknowledged creates`);
    const acknowledged = new Map<string, string>();
    let next = 0;
    let killed: Promise<unknown> | undefined;
    let failuresBeforeKill = 0;

    const worker = async (): Promise<void> => {
      while (!killed && next < total) {
        const name = `cm-${String(next++).padStart(4, '0')}`;
        try {
          const response = await skiff.api(`/api/v1/namespaces/${ns}/configmaps`, {
            body: {
              apiVersion: 'v1',
              kind: 'ConfigMap',
              metadata: { name, namespace: ns },
              data: { name },
            },
          });
          if (response.status === 201) {
            acknowledged.set(name, response.json<ConfigMap>().metadata.resourceVersion);
            if (acknowledged.size === killAfter && !killed) killed = skiff.kill9();
          } else if (!killed) {
            failuresBeforeKill++;
          }
        } catch {
          // A request cut by the kill is not acknowledged; before the kill it is a failure.
          if (!killed) failuresBeforeKill++;
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    await killed;
    expect(failuresBeforeKill).toBe(0);
    expect(killed, 'the server was killed mid-run').toBeDefined();
    expect(acknowledged.size).toBeGreaterThanOrEqual(killAfter);

    await skiff.restart();

    const response = await skiff.api(`/api/v1/namespaces/${ns}/configmaps`);
    expect(response.status, response.text).toBe(200);
    const stored = new Map(
      response
        .json<{ items: ConfigMap[] }>()
        .items.map((item) => [item.metadata.name, item] as const),
    );
    const lost = [...acknowledged.keys()].filter((name) => !stored.has(name));
    expect(lost, 'acknowledged but missing after restart').toEqual([]);
    const changed = [...acknowledged].filter(
      ([name, rv]) => stored.get(name)?.metadata.resourceVersion !== rv,
    );
    expect(changed, 'resourceVersion differs after restart').toEqual([]);
    for (const name of acknowledged.keys()) expect(stored.get(name)?.data).toEqual({ name });

    const highest = Math.max(
      ...[...stored.values()].map((item) => Number(item.metadata.resourceVersion)),
    );
    const after = await skiff.api(`/api/v1/namespaces/${ns}/configmaps`, {
      body: {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'after-restart', namespace: ns },
      },
    });
    expect(after.status, after.text).toBe(201);
    expect(Number(after.json<ConfigMap>().metadata.resourceVersion)).toBeGreaterThan(highest);
  });
});
