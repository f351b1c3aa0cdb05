// Watches as clients use them: `kubectl get -w`, `kubectl wait`, `kubectl delete` (which waits
// through a watch), and an informer of @kubernetes/client-node (list, then watch from the list's RV).
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSkiff } from './support/skiff.ts';
import type { Skiff } from './support/skiff.ts';
import type { StreamingProcess } from './support/processes.ts';
import { configMap, createObjects, namespace } from './support/fixtures.ts';
import { eventually, isAbsent, ok, sleep } from './support/helpers.ts';

const ns = 'watching';
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

function stream(args: string[]): StreamingProcess {
  const process = skiff.kubectlStream(args);
  streams.push(process);
  return process;
}

function pod(name: string): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, labels: { app: 'watched' } },
    spec: {
      containers: [
        { name: 'main', image: 'registry.local/skiff/busybox:1.36', command: ['sleep', '3600'] },
      ],
    },
  };
}

async function mergePatch(path: string, patch: object): Promise<void> {
  const response = await skiff.api(path, {
    method: 'PATCH',
    body: JSON.stringify(patch),
    headers: { 'Content-Type': 'application/merge-patch+json' },
  });
  expect(response.status, response.text).toBe(200);
}

describe('kubectl get -w', () => {
  it('shows objects created and changed by another client within a second', async () => {
    await createObjects(skiff, pod('first'));
    const watcher = stream(['get', 'pods', '-n', ns, '-w']);
    await watcher.waitForOutput(/^first\s/m, 20_000);
    await sleep(300);

    let from = watcher.stdout.length;
    let started = Date.now();
    await createObjects(skiff, pod('second'));
    await watcher.waitForOutput(/^second\s/m, 5_000, from);
    expect(Date.now() - started, 'creation seen by kubectl get -w (ms)').toBeLessThan(1_000);

    from = watcher.stdout.length;
    started = Date.now();
    await mergePatch(`/api/v1/namespaces/${ns}/pods/first`, {
      metadata: { labels: { changed: 'yes' } },
    });
    await watcher.waitForOutput(/^first\s/m, 5_000, from);
    expect(Date.now() - started, 'change seen by kubectl get -w (ms)').toBeLessThan(1_000);
    expect(watcher.running).toBe(true);
    // No object may be printed twice for the initial list (the watch starts at the list's RV).
    expect(watcher.stdout.slice(0, from).match(/^second\s/gm)).toHaveLength(1);
  });
});

describe('kubectl wait', () => {
  it('--for=jsonpath returns once the field has the value', async () => {
    await createObjects(skiff, configMap(ns, 'target'));
    const waiter = stream([
      'wait',
      '--for=jsonpath={.metadata.labels.x}=y',
      'configmap/target',
      '-n',
      ns,
      '--timeout=60s',
    ]);
    expect(await waiter.waitForExit(1_500), waiter.describe()).toBeUndefined();
    await mergePatch(`/api/v1/namespaces/${ns}/configmaps/target`, {
      metadata: { labels: { x: 'y' } },
    });
    const exit = await waiter.waitForExit(10_000);
    expect(exit, waiter.describe()).toEqual({ code: 0, signal: null });
    expect(waiter.stdout).toContain('configmap/target condition met');
  });

  it('--for=delete returns once the object is gone', async () => {
    await createObjects(skiff, configMap(ns, 'doomed'));
    const waiter = stream(['wait', '--for=delete', 'configmap/doomed', '-n', ns, '--timeout=60s']);
    expect(await waiter.waitForExit(1_500), waiter.describe()).toBeUndefined();
    const response = await skiff.api(`/api/v1/namespaces/${ns}/configmaps/doomed`, {
      method: 'DELETE',
    });
    expect(response.status, response.text).toBe(200);
    const exit = await waiter.waitForExit(10_000);
    expect(exit, waiter.describe()).toEqual({ code: 0, signal: null });
    expect(waiter.stdout).toContain('configmap/doomed condition met');
  });
});

describe('kubectl delete (waits for the deletion by default)', () => {
  it('deletes a ConfigMap and returns', async () => {
    await createObjects(skiff, configMap(ns, 'gone'));
    const out = ok(
      await skiff.kubectl(['delete', 'configmap', 'gone', '-n', ns], { timeoutMs: 20_000 }),
    );
    expect(out).toMatch(/^configmap "gone" deleted from watching namespace$/m);
    expect(await isAbsent(skiff, ['configmap', 'gone', '-n', ns])).toBe(true);
  });

  it('deletes an unscheduled Pod and returns', async () => {
    await createObjects(skiff, pod('short-lived'));
    const out = ok(
      await skiff.kubectl(['delete', 'pod', 'short-lived', '-n', ns], { timeoutMs: 30_000 }),
    );
    expect(out).toMatch(/^pod "short-lived" deleted from watching namespace$/m);
    expect(await isAbsent(skiff, ['pod', 'short-lived', '-n', ns])).toBe(true);
  });

  it('deletes a Deployment and returns', async () => {
    await createObjects(skiff, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'doomed', namespace: ns },
      spec: {
        selector: { matchLabels: { app: 'doomed' } },
        template: {
          metadata: { labels: { app: 'doomed' } },
          spec: { containers: [{ name: 'web', image: 'registry.local/skiff/web:1' }] },
        },
      },
    });
    const out = ok(
      await skiff.kubectl(['delete', 'deployment', 'doomed', '-n', ns], { timeoutMs: 30_000 }),
    );
    expect(out).toMatch(/^deployment\.apps "doomed" deleted from watching namespace$/m);
    expect(await isAbsent(skiff, ['deployment', 'doomed', '-n', ns])).toBe(true);
  });
});

describe('@kubernetes/client-node informer', () => {
  it('sees ADD, UPDATE and DELETE in order', async () => {
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(skiff.kubeconfig);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const informer = k8s.makeInformer<k8s.V1ConfigMap>(
      kc,
      `/api/v1/namespaces/${ns}/configmaps`,
      () => core.listNamespacedConfigMap({ namespace: ns }),
    );
    const seen: string[] = [];
    const errors: unknown[] = [];
    const record = (verb: string) => (object: k8s.V1ConfigMap) => {
      if (object.metadata?.name === 'informed') seen.push(`${verb} ${object.data?.v ?? '-'}`);
    };
    informer.on('add', record('add'));
    informer.on('update', record('update'));
    informer.on('delete', record('delete'));
    informer.on('error', (error) => errors.push(error));
    await informer.start();
    try {
      await createObjects(skiff, configMap(ns, 'informed', { v: '1' }));
      await eventually('informer saw the creation', () => seen.length >= 1);
      await mergePatch(`/api/v1/namespaces/${ns}/configmaps/informed`, { data: { v: '2' } });
      await eventually('informer saw the update', () => seen.length >= 2);
      const response = await skiff.api(`/api/v1/namespaces/${ns}/configmaps/informed`, {
        method: 'DELETE',
      });
      expect(response.status, response.text).toBe(200);
      await eventually('informer saw the deletion', () => seen.length >= 3);
      await sleep(300);
      expect(seen).toEqual(['add 1', 'update 2', 'delete 2']);
      expect(errors).toEqual([]);
      expect(informer.list(ns).map((o) => o.metadata?.name)).not.toContain('informed');
    } finally {
      await informer.stop();
    }
  });
});
