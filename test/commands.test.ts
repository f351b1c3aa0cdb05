// The everyday imperative kubectl commands (create, label, annotate, patch, edit, scale, set image,
// replace, auth) against Skiff, each checked by reading the object back. The objects the changing
// commands work on are created through the raw API, so each command is tested on its own.
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSkiff } from './support/skiff.ts';
import type { Skiff } from './support/skiff.ts';
import { configMap, createObjects, namespace, requestToken } from './support/fixtures.ts';
import { fails, getJson, ok, show, tableOf } from './support/helpers.ts';

const ns = 'commands';
let skiff: Skiff;

beforeAll(async () => {
  skiff = await startSkiff();
  await createObjects(
    skiff,
    namespace(ns),
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: ns, labels: { app: 'web' } },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'web', image: 'registry.local/skiff/web:1.0' }] },
        },
      },
    },
    configMap(ns, 'settings', { a: '1', b: 'two words' }),
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'robot', namespace: ns } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'pod-reader', namespace: ns },
      rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'robot-reads-pods', namespace: ns },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'pod-reader' },
      subjects: [{ kind: 'ServiceAccount', name: 'robot', namespace: ns }],
    },
  );
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

type Data = { data: Record<string, string> };

function decodeJwtPayload(token: string): Record<string, unknown> {
  const payload = token.split('.')[1];
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
}

describe('kubectl create', () => {
  it('namespace', async () => {
    const out = ok(await skiff.kubectl(['create', 'namespace', 'commands-created']));
    expect(out).toContain('namespace/commands-created created');
    const created = await getJson<{ status: { phase: string } }>(skiff, [
      'namespace',
      'commands-created',
    ]);
    expect(created.status.phase).toBe('Active');
  });

  it('deployment', async () => {
    const out = ok(
      await skiff.kubectl([
        'create',
        'deployment',
        'created-web',
        '-n',
        ns,
        '--image=registry.local/skiff/web:1.0',
        '--replicas=2',
        '--port=8080',
      ]),
    );
    expect(out).toContain('deployment.apps/created-web created');
    const deployment = await getJson<Deployment>(skiff, ['deployment', 'created-web', '-n', ns]);
    expect(deployment.spec.replicas).toBe(2);
    expect(deployment.spec.template.spec.containers).toMatchObject([
      { name: 'web', image: 'registry.local/skiff/web:1.0', ports: [{ containerPort: 8080 }] },
    ]);
  });

  it('configmap --from-literal', async () => {
    const args = ['--from-literal=a=1', '--from-literal=b=two words'];
    ok(await skiff.kubectl(['create', 'configmap', 'created-settings', '-n', ns, ...args]));
    const cm = await getJson<Data>(skiff, ['configmap', 'created-settings', '-n', ns]);
    expect(cm.data).toEqual({ a: '1', b: 'two words' });
  });

  it('secret generic', async () => {
    const args = ['credentials', '-n', ns, '--from-literal=password=hunter2'];
    ok(await skiff.kubectl(['create', 'secret', 'generic', ...args]));
    const secret = await getJson<Data & { type: string }>(skiff, [
      'secret',
      'credentials',
      '-n',
      ns,
    ]);
    expect(secret.type).toBe('Opaque');
    expect(secret.data).toEqual({ password: Buffer.from('hunter2').toString('base64') });
  });

  it('serviceaccount, role and rolebinding', async () => {
    ok(await skiff.kubectl(['create', 'serviceaccount', 'created-robot', '-n', ns]));
    const roleArgs = ['created-reader', '-n', ns, '--verb=get,list', '--resource=pods'];
    ok(await skiff.kubectl(['create', 'role', ...roleArgs]));
    const bindingArgs = ['created-binding', '-n', ns, '--role=created-reader'];
    ok(
      await skiff.kubectl([
        'create',
        'rolebinding',
        ...bindingArgs,
        `--serviceaccount=${ns}:created-robot`,
      ]),
    );
    ok(await skiff.kubectl(['get', 'serviceaccount', 'created-robot', '-n', ns]));
    const role = await getJson<{ rules: unknown[] }>(skiff, ['role', 'created-reader', '-n', ns]);
    expect(role.rules).toEqual([{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] }]);
    const binding = await getJson<{ roleRef: unknown; subjects: unknown[] }>(skiff, [
      'rolebinding',
      'created-binding',
      '-n',
      ns,
    ]);
    expect(binding.roleRef).toEqual({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'Role',
      name: 'created-reader',
    });
    expect(binding.subjects).toEqual([
      { kind: 'ServiceAccount', name: 'created-robot', namespace: ns },
    ]);
  });

  it('token for a ServiceAccount', async () => {
    const out = ok(await skiff.kubectl(['create', 'token', 'robot', '-n', ns, '--duration=10m']));
    const token = out.trim();
    expect(token.split('.')).toHaveLength(3);
    const claims = decodeJwtPayload(token);
    expect(claims.sub).toBe(`system:serviceaccount:${ns}:robot`);
    expect(Number(claims.exp) - Number(claims.iat)).toBe(600);
  });
});

describe('changing objects', () => {
  const getWeb = (): Promise<Deployment> =>
    getJson<Deployment>(skiff, ['deployment', 'web', '-n', ns]);
  const getSettings = (): Promise<Data> =>
    getJson<Data>(skiff, ['configmap', 'settings', '-n', ns]);

  it('label and annotate (and remove a label)', async () => {
    ok(await skiff.kubectl(['label', 'deployment', 'web', '-n', ns, 'tier=frontend']));
    ok(await skiff.kubectl(['annotate', 'deployment', 'web', '-n', ns, 'owner=team-a']));
    let deployment = await getWeb();
    expect(deployment.metadata.labels).toEqual({ app: 'web', tier: 'frontend' });
    expect(deployment.metadata.annotations?.owner).toBe('team-a');
    const clash = await skiff.kubectl(['label', 'deployment', 'web', '-n', ns, 'tier=backend']);
    expect(fails(clash)).toContain("'tier' already has a value (frontend)");
    ok(await skiff.kubectl(['label', 'deployment', 'web', '-n', ns, 'tier-']));
    deployment = await getWeb();
    expect(deployment.metadata.labels).toEqual({ app: 'web' });
  });

  it('patch --type json', async () => {
    const patch = JSON.stringify([{ op: 'replace', path: '/spec/replicas', value: 3 }]);
    ok(
      await skiff.kubectl(['patch', 'deployment', 'web', '-n', ns, '--type', 'json', '-p', patch]),
    );
    expect((await getWeb()).spec.replicas).toBe(3);
    const failing = JSON.stringify([{ op: 'test', path: '/spec/replicas', value: 99 }]);
    const args = ['patch', 'deployment', 'web', '-n', ns, '--type', 'json', '-p', failing];
    fails(await skiff.kubectl(args));
    expect((await getWeb()).spec.replicas).toBe(3);
  });

  it('patch --type merge (null deletes a key)', async () => {
    const patch = '{"data":{"a":null,"c":"3"}}';
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
        patch,
      ]),
    );
    expect((await getSettings()).data).toEqual({ b: 'two words', c: '3' });
  });

  it('patch --type strategic merges containers by name', async () => {
    const patch = {
      spec: {
        template: {
          spec: { containers: [{ name: 'web', env: [{ name: 'MODE', value: 'fast' }] }] },
        },
      },
    };
    const args = ['--type', 'strategic', '-p', JSON.stringify(patch)];
    ok(await skiff.kubectl(['patch', 'deployment', 'web', '-n', ns, ...args]));
    const deployment = await getWeb();
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
    const env = { EDITOR: editor, KUBE_EDITOR: editor };
    const out = ok(await skiff.kubectl(['edit', 'configmap', 'settings', '-n', ns], { env }));
    expect(out).toContain('configmap/settings edited');
    expect((await getSettings()).data).toEqual({ b: 'edited', c: '3' });
  });

  it('scale through the scale subresource', async () => {
    const out = ok(await skiff.kubectl(['scale', 'deployment', 'web', '-n', ns, '--replicas=5']));
    expect(out).toContain('deployment.apps/web scaled');
    expect((await getWeb()).spec.replicas).toBe(5);
    const raw = `/apis/apps/v1/namespaces/${ns}/deployments/web/scale`;
    const scale = JSON.parse(ok(await skiff.kubectl(['get', '--raw', raw]))) as Record<
      string,
      unknown
    >;
    expect(scale).toMatchObject({
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      spec: { replicas: 5 },
    });
    const guarded = ['--current-replicas=2', '--replicas=1'];
    fails(await skiff.kubectl(['scale', 'deployment', 'web', '-n', ns, ...guarded]));
    expect((await getWeb()).spec.replicas).toBe(5);
  });

  it('set image', async () => {
    const image = 'web=registry.local/skiff/web:2.0';
    ok(await skiff.kubectl(['set', 'image', 'deployment/web', '-n', ns, image]));
    const [container] = (await getWeb()).spec.template.spec.containers;
    expect(container.image).toBe('registry.local/skiff/web:2.0');
    expect(container.env).toEqual([{ name: 'MODE', value: 'fast' }]);
  });

  it('replace, and refuse a stale resourceVersion', async () => {
    type Full = Deployment & Record<string, unknown>;
    const first = await getJson<Full>(skiff, ['deployment', 'web', '-n', ns]);
    // A controller may write status between our read and our write: retry on Conflict as clients do.
    let current = first;
    for (let attempt = 1; ; attempt++) {
      const labels = { app: 'web', replaced: 'yes' };
      const replaced = { ...current, metadata: { ...current.metadata, labels } };
      const result = await skiff.kubectl(['replace', '-f', '-'], {
        input: JSON.stringify(replaced),
      });
      if (result.code === 0 || attempt === 5 || !result.stderr.includes('Conflict')) {
        ok(result);
        break;
      }
      current = await getJson<Full>(skiff, ['deployment', 'web', '-n', ns]);
    }
    const after = await getWeb();
    expect(after.metadata.labels).toEqual({ app: 'web', replaced: 'yes' });
    expect(after.metadata.resourceVersion).not.toBe(current.metadata.resourceVersion);

    const labels = { app: 'web', stale: 'yes' };
    const stale = { ...first, metadata: { ...first.metadata, labels } };
    const result = await skiff.kubectl(['replace', '-f', '-'], { input: JSON.stringify(stale) });
    expect(fails(result)).toContain(
      'the object has been modified; please apply your changes to the latest version and try again',
    );
    expect((await getWeb()).metadata.labels).toEqual({ app: 'web', replaced: 'yes' });
  });
});

describe('kubectl auth', () => {
  it('can-i answers for the admin and for a ServiceAccount', async () => {
    const admin = await skiff.kubectl(['auth', 'can-i', 'delete', 'nodes']);
    expect(admin.stdout.trim(), show(admin)).toBe('yes');
    expect(admin.code).toBe(0);

    const robot = await skiff.tokenKubeconfig(await requestToken(skiff, ns, 'robot'));
    const allowed = await skiff.kubectl(['auth', 'can-i', 'list', 'pods', '-n', ns], {
      kubeconfig: robot,
    });
    expect(allowed.stdout.trim(), show(allowed)).toBe('yes');
    expect(allowed.code).toBe(0);
    const denied = await skiff.kubectl(['auth', 'can-i', 'list', 'secrets', '-n', ns], {
      kubeconfig: robot,
    });
    expect(denied.stdout.trim(), show(denied)).toBe('no');
    expect(denied.code).toBe(1);
  });

  it('whoami shows the identity', async () => {
    const admin = tableOf(ok(await skiff.kubectl(['auth', 'whoami'])));
    expect(admin.find((row) => row.ATTRIBUTE === 'Groups')?.VALUE).toContain('system:masters');

    const robot = await skiff.tokenKubeconfig(await requestToken(skiff, ns, 'robot'));
    const rows = tableOf(ok(await skiff.kubectl(['auth', 'whoami'], { kubeconfig: robot })));
    const value = (attribute: string): string | undefined =>
      rows.find((row) => row.ATTRIBUTE === attribute)?.VALUE;
    expect(value('Username')).toBe(`system:serviceaccount:${ns}:robot`);
    expect(value('Groups')).toContain('system:serviceaccounts');
  });
});
