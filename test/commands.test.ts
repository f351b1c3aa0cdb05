// The everyday imperative kubectl commands (create, label, annotate, patch, edit, scale, set image,
// replace, auth) against Skiff, each checked by reading the object back.
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSkiff } from './support/skiff.ts';
import type { Skiff } from './support/skiff.ts';
import { fails, getJson, ok, tableOf } from './support/helpers.ts';

const ns = 'commands';
let skiff: Skiff;

beforeAll(async () => {
  skiff = await startSkiff();
});

afterAll(async () => {
  await skiff?.stop();
});

interface Deployment {
  metadata: {
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    resourceVersion: string;
  };
  spec: {
    replicas: number;
    template: {
      spec: {
        containers: { name: string; image: string; env?: { name: string; value: string }[] }[];
      };
    };
  };
}

function decodeJwtPayload(token: string): Record<string, unknown> {
  const payload = token.split('.')[1];
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
}

describe('kubectl create', () => {
  it('namespace', async () => {
    expect(ok(await skiff.kubectl(['create', 'namespace', ns]))).toContain(
      `namespace/${ns} created`,
    );
    const namespace = await getJson<{ status: { phase: string } }>(skiff, ['namespace', ns]);
    expect(namespace.status.phase).toBe('Active');
  });

  it('deployment', async () => {
    const out = ok(
      await skiff.kubectl([
        'create',
        'deployment',
        'web',
        '-n',
        ns,
        '--image=registry.local/skiff/web:1.0',
        '--replicas=2',
        '--port=8080',
      ]),
    );
    expect(out).toContain('deployment.apps/web created');
    const deployment = await getJson<Deployment>(skiff, ['deployment', 'web', '-n', ns]);
    expect(deployment.spec.replicas).toBe(2);
    expect(deployment.spec.template.spec.containers).toMatchObject([
      { name: 'web', image: 'registry.local/skiff/web:1.0' },
    ]);
  });

  it('configmap --from-literal', async () => {
    ok(
      await skiff.kubectl([
        'create',
        'configmap',
        'settings',
        '-n',
        ns,
        '--from-literal=a=1',
        '--from-literal=b=two words',
      ]),
    );
    const cm = await getJson<{ data: Record<string, string> }>(skiff, [
      'configmap',
      'settings',
      '-n',
      ns,
    ]);
    expect(cm.data).toEqual({ a: '1', b: 'two words' });
  });

  it('secret generic', async () => {
    ok(
      await skiff.kubectl([
        'create',
        'secret',
        'generic',
        'credentials',
        '-n',
        ns,
        '--from-literal=password=hunter2',
      ]),
    );
    const secret = await getJson<{ type: string; data: Record<string, string> }>(skiff, [
      'secret',
      'credentials',
      '-n',
      ns,
    ]);
    expect(secret.type).toBe('Opaque');
    expect(secret.data).toEqual({ password: Buffer.from('hunter2').toString('base64') });
  });

  it('serviceaccount, role and rolebinding', async () => {
    ok(await skiff.kubectl(['create', 'serviceaccount', 'robot', '-n', ns]));
    ok(
      await skiff.kubectl([
        'create',
        'role',
        'pod-reader',
        '-n',
        ns,
        '--verb=get,list',
        '--resource=pods',
      ]),
    );
    ok(
      await skiff.kubectl([
        'create',
        'rolebinding',
        'robot-reads-pods',
        '-n',
        ns,
        '--role=pod-reader',
        `--serviceaccount=${ns}:robot`,
      ]),
    );
    const role = await getJson<{ rules: unknown[] }>(skiff, ['role', 'pod-reader', '-n', ns]);
    expect(role.rules).toEqual([{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] }]);
    const binding = await getJson<{ roleRef: unknown; subjects: unknown[] }>(skiff, [
      'rolebinding',
      'robot-reads-pods',
      '-n',
      ns,
    ]);
    expect(binding.roleRef).toEqual({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'Role',
      name: 'pod-reader',
    });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'robot', namespace: ns }]);
  });

  it('token for a ServiceAccount', async () => {
    const token = ok(
      await skiff.kubectl(['create', 'token', 'robot', '-n', ns, '--duration=10m']),
    ).trim();
    expect(token.split('.')).toHaveLength(3);
    const claims = decodeJwtPayload(token);
    expect(claims.sub).toBe(`system:serviceaccount:${ns}:robot`);
    expect(Number(claims.exp) - Number(claims.iat)).toBe(600);
  });
});

describe('changing objects', () => {
  it('label and annotate (and remove a label)', async () => {
    ok(await skiff.kubectl(['label', 'deployment', 'web', '-n', ns, 'tier=frontend']));
    ok(await skiff.kubectl(['annotate', 'deployment', 'web', '-n', ns, 'owner=team-a']));
    let deployment = await getJson<Deployment>(skiff, ['deployment', 'web', '-n', ns]);
    expect(deployment.metadata.labels).toMatchObject({ app: 'web', tier: 'frontend' });
    expect(deployment.metadata.annotations?.owner).toBe('team-a');
    const clash = await skiff.kubectl(['label', 'deployment', 'web', '-n', ns, 'tier=backend']);
    expect(fails(clash)).toContain("'tier' already has a value (frontend)");
    ok(await skiff.kubectl(['label', 'deployment', 'web', '-n', ns, 'tier-']));
    deployment = await getJson<Deployment>(skiff, ['deployment', 'web', '-n', ns]);
    expect(deployment.metadata.labels).toEqual({ app: 'web' });
  });

  it('patch --type json', async () => {
    const patch = JSON.stringify([{ op: 'replace', path: '/spec/replicas', value: 3 }]);
    ok(
      await skiff.kubectl(['patch', 'deployment', 'web', '-n', ns, '--type', 'json', '-p', patch]),
    );
    expect((await getJson<Deployment>(skiff, ['deployment', 'web', '-n', ns])).spec.replicas).toBe(
      3,
    );
    const failing = JSON.stringify([{ op: 'test', path: '/spec/replicas', value: 99 }]);
    fails(
      await skiff.kubectl([
        'patch',
        'deployment',
        'web',
        '-n',
        ns,
        '--type',
        'json',
        '-p',
        failing,
      ]),
    );
  });

  it('patch --type merge (null deletes a key)', async () => {
    ok(
      await skiff.kubectl([
        'patch',
        'configmap',
        'settings',
        '-n',
        ns,
        '--type',
        'merge',
        '-p',
        '{"data":{"a":null,"c":"3"}}',
      ]),
    );
    const cm = await getJson<{ data: Record<string, string> }>(skiff, [
      'configmap',
      'settings',
      '-n',
      ns,
    ]);
    expect(cm.data).toEqual({ b: 'two words', c: '3' });
  });

  it('patch --type strategic merges containers by name', async () => {
    const patch = {
      spec: {
        template: {
          spec: { containers: [{ name: 'web', env: [{ name: 'MODE', value: 'fast' }] }] },
        },
      },
    };
    ok(
      await skiff.kubectl([
        'patch',
        'deployment',
        'web',
        '-n',
        ns,
        '--type',
        'strategic',
        '-p',
        JSON.stringify(patch),
      ]),
    );
    const deployment = await getJson<Deployment>(skiff, ['deployment', 'web', '-n', ns]);
    expect(deployment.spec.template.spec.containers).toHaveLength(1);
    expect(deployment.spec.template.spec.containers[0]).toMatchObject({
      name: 'web',
      image: 'registry.local/skiff/web:1.0',
      env: [{ name: 'MODE', value: 'fast' }],
    });
  });

  it('edit through $EDITOR', async () => {
    const editor = join(skiff.home, 'editor.sh');
    // kubectl runs $EDITOR with the temporary file's path; this one changes one value in place.
    await writeFile(editor, `#!/bin/sh\nsed -i 's/^  b: two words$/  b: edited/' "$1"\n`);
    await chmod(editor, 0o755);
    const out = ok(
      await skiff.kubectl(['edit', 'configmap', 'settings', '-n', ns], {
        env: { EDITOR: editor, KUBE_EDITOR: editor },
      }),
    );
    expect(out).toContain('configmap/settings edited');
    const cm = await getJson<{ data: Record<string, string> }>(skiff, [
      'configmap',
      'settings',
      '-n',
      ns,
    ]);
    expect(cm.data).toEqual({ b: 'edited', c: '3' });
  });

  it('scale through the scale subresource', async () => {
    expect(
      ok(await skiff.kubectl(['scale', 'deployment', 'web', '-n', ns, '--replicas=5'])),
    ).toContain('deployment.apps/web scaled');
    expect((await getJson<Deployment>(skiff, ['deployment', 'web', '-n', ns])).spec.replicas).toBe(
      5,
    );
    const scale = JSON.parse(
      ok(
        await skiff.kubectl([
          'get',
          '--raw',
          `/apis/apps/v1/namespaces/${ns}/deployments/web/scale`,
        ]),
      ),
    ) as {
      kind: string;
      apiVersion: string;
      spec: { replicas: number };
    };
    expect(scale).toMatchObject({
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      spec: { replicas: 5 },
    });
    const precondition = await skiff.kubectl([
      'scale',
      'deployment',
      'web',
      '-n',
      ns,
      '--current-replicas=2',
      '--replicas=1',
    ]);
    fails(precondition);
    expect((await getJson<Deployment>(skiff, ['deployment', 'web', '-n', ns])).spec.replicas).toBe(
      5,
    );
  });

  it('set image', async () => {
    ok(
      await skiff.kubectl([
        'set',
        'image',
        'deployment/web',
        '-n',
        ns,
        'web=registry.local/skiff/web:2.0',
      ]),
    );
    const deployment = await getJson<Deployment>(skiff, ['deployment', 'web', '-n', ns]);
    expect(deployment.spec.template.spec.containers[0].image).toBe('registry.local/skiff/web:2.0');
    expect(deployment.spec.template.spec.containers[0].env).toEqual([
      { name: 'MODE', value: 'fast' },
    ]);
  });

  it('replace, and refuse a stale resourceVersion', async () => {
    type Full = Deployment & Record<string, unknown>;
    const first = await getJson<Full>(skiff, ['deployment', 'web', '-n', ns]);
    // A controller may write status between our read and our write: retry on Conflict as clients do.
    let current = first;
    for (let attempt = 1; ; attempt++) {
      const replaced = {
        ...current,
        metadata: { ...current.metadata, labels: { app: 'web', replaced: 'yes' } },
      };
      const result = await skiff.kubectl(['replace', '-f', '-'], {
        input: JSON.stringify(replaced),
      });
      if (result.code === 0 || attempt === 5 || !result.stderr.includes('Conflict')) {
        ok(result);
        break;
      }
      current = await getJson<Full>(skiff, ['deployment', 'web', '-n', ns]);
    }
    const after = await getJson<Deployment>(skiff, ['deployment', 'web', '-n', ns]);
    expect(after.metadata.labels).toEqual({ app: 'web', replaced: 'yes' });
    expect(after.metadata.resourceVersion).not.toBe(current.metadata.resourceVersion);

    const stale = {
      ...first,
      metadata: { ...first.metadata, labels: { app: 'web', stale: 'yes' } },
    };
    const result = await skiff.kubectl(['replace', '-f', '-'], { input: JSON.stringify(stale) });
    expect(fails(result)).toContain(
      'the object has been modified; please apply your changes to the latest version and try again',
    );
    expect(
      (await getJson<Deployment>(skiff, ['deployment', 'web', '-n', ns])).metadata.labels,
    ).toEqual({ app: 'web', replaced: 'yes' });
  });
});

describe('kubectl auth', () => {
  it('can-i answers for the admin and for a ServiceAccount', async () => {
    const admin = await skiff.kubectl(['auth', 'can-i', 'delete', 'nodes']);
    expect(admin.stdout.trim()).toBe('yes');
    expect(admin.code).toBe(0);

    const token = ok(await skiff.kubectl(['create', 'token', 'robot', '-n', ns])).trim();
    const robot = await skiff.tokenKubeconfig(token);
    const allowed = await skiff.kubectl(['auth', 'can-i', 'list', 'pods', '-n', ns], {
      kubeconfig: robot,
    });
    expect(allowed.stdout.trim()).toBe('yes');
    expect(allowed.code).toBe(0);
    const denied = await skiff.kubectl(['auth', 'can-i', 'list', 'secrets', '-n', ns], {
      kubeconfig: robot,
    });
    expect(denied.stdout.trim()).toBe('no');
    expect(denied.code).toBe(1);
  });

  it('whoami shows the identity', async () => {
    const admin = tableOf(ok(await skiff.kubectl(['auth', 'whoami'])));
    expect(admin.find((row) => row.ATTRIBUTE === 'Groups')?.VALUE).toContain('system:masters');

    const token = ok(await skiff.kubectl(['create', 'token', 'robot', '-n', ns])).trim();
    const robot = await skiff.tokenKubeconfig(token);
    const rows = tableOf(ok(await skiff.kubectl(['auth', 'whoami'], { kubeconfig: robot })));
    expect(rows.find((row) => row.ATTRIBUTE === 'Username')?.VALUE).toBe(
      `system:serviceaccount:${ns}:robot`,
    );
    expect(rows.find((row) => row.ATTRIBUTE === 'Groups')?.VALUE).toContain(
      'system:serviceaccounts',
    );
  });
});
