// Namespace deletion as in a real cluster: the namespace turns Terminating, everything inside goes,
// then the namespace itself; the system namespaces cannot be deleted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSkiff } from './support/skiff.ts';
import type { Skiff } from './support/skiff.ts';
import { fails, ok, isAbsent } from './support/helpers.ts';

let skiff: Skiff;

beforeAll(async () => {
  skiff = await startSkiff();
});

afterAll(async () => {
  await skiff?.stop();
});

describe('namespace deletion', () => {
  it('deletes what is inside, then the namespace, and kubectl delete waits for it', async () => {
    ok(await skiff.kubectl(['create', 'namespace', 'doomed']));
    ok(await skiff.kubectl(['-n', 'doomed', 'create', 'configmap', 'c', '--from-literal=a=b']));
    ok(
      await skiff.kubectl([
        '-n',
        'doomed',
        'create',
        'deployment',
        'd',
        '--image=registry.local/x:1',
      ]),
    );
    ok(await skiff.kubectl(['-n', 'doomed', 'create', 'serviceaccount', 'robot']));
    ok(await skiff.kubectl(['delete', 'namespace', 'doomed', '--timeout=20s']));
    expect(await isAbsent(skiff, ['namespace', 'doomed'])).toBe(true);
    const left = await skiff.api('/api/v1/namespaces/doomed/configmaps');
    expect(left.json<{ items: unknown[] }>().items).toEqual([]);
    const deployments = await skiff.api('/apis/apps/v1/namespaces/doomed/deployments');
    expect(deployments.json<{ items: unknown[] }>().items).toEqual([]);
  });

  it('refuses new objects in a terminating namespace', async () => {
    ok(await skiff.kubectl(['create', 'namespace', 'closing']));
    // A finalizer of our own keeps the namespace Terminating while we try to write into it.
    ok(await skiff.kubectl(['-n', 'closing', 'create', 'configmap', 'held', '--from-literal=a=b']));
    ok(
      await skiff.kubectl([
        '-n',
        'closing',
        'patch',
        'configmap',
        'held',
        '--type',
        'merge',
        '-p',
        '{"metadata":{"finalizers":["skiff.test/hold"]}}',
      ]),
    );
    ok(await skiff.kubectl(['delete', 'namespace', 'closing', '--wait=false']));
    const phase = await skiff.kubectl([
      'get',
      'namespace',
      'closing',
      '-o',
      'jsonpath={.status.phase}',
    ]);
    expect(ok(phase)).toBe('Terminating');
    const refused = fails(
      await skiff.kubectl(['-n', 'closing', 'create', 'configmap', 'late', '--from-literal=a=b']),
    );
    expect(refused).toContain(
      'unable to create new content in namespace closing because it is being terminated',
    );
    ok(
      await skiff.kubectl([
        '-n',
        'closing',
        'patch',
        'configmap',
        'held',
        '--type',
        'json',
        '-p',
        '[{"op":"remove","path":"/metadata/finalizers"}]',
      ]),
    );
    ok(await skiff.kubectl(['wait', '--for=delete', 'namespace/closing', '--timeout=20s']));
  });

  it('keeps the system namespaces', async () => {
    for (const name of ['default', 'kube-system', 'kube-public']) {
      const result = fails(await skiff.kubectl(['delete', 'namespace', name]));
      expect(result).toContain(
        `namespaces "${name}" is forbidden: this namespace may not be deleted`,
      );
    }
  });
});
