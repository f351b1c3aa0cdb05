// Authentication and RBAC as kube-apiserver applies them: no credentials → 401; a ServiceAccount
// token (TokenRequest via `kubectl create token`) is limited to what its Role grants, with
// kube-apiserver's Forbidden message.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSkiff } from './support/skiff.ts';
import type { Skiff } from './support/skiff.ts';
import type { WireStatus } from './support/kube-api.ts';
import { fails, ok } from './support/helpers.ts';

const ns = 'auth-e2e';
const user = `system:serviceaccount:${ns}:reader`;
let skiff: Skiff;
let token: string;
let readerKubeconfig: string;

beforeAll(async () => {
  skiff = await startSkiff();
  ok(await skiff.kubectl(['create', 'namespace', ns]));
  ok(await skiff.kubectl(['create', 'serviceaccount', 'reader', '-n', ns]));
  ok(
    await skiff.kubectl([
      'create',
      'role',
      'pod-getter',
      '-n',
      ns,
      '--verb=get',
      '--resource=pods',
    ]),
  );
  ok(
    await skiff.kubectl([
      'create',
      'rolebinding',
      'reader-gets-pods',
      '-n',
      ns,
      '--role=pod-getter',
      `--serviceaccount=${ns}:reader`,
    ]),
  );
  ok(
    await skiff.kubectl([
      'run',
      'target',
      '-n',
      ns,
      '--image=registry.local/skiff/busybox:1.36',
      '--restart=Never',
      '--',
      'sleep',
      '3600',
    ]),
  );
  ok(
    await skiff.kubectl(['create', 'secret', 'generic', 'hidden', '-n', ns, '--from-literal=k=v']),
  );
  token = ok(await skiff.kubectl(['create', 'token', 'reader', '-n', ns])).trim();
  readerKubeconfig = await skiff.tokenKubeconfig(token);
});

afterAll(async () => {
  await skiff?.stop();
});

describe('authentication', () => {
  it('answers 401 to a request without credentials', async () => {
    const response = await skiff.api('/api/v1/namespaces', { auth: 'none' });
    expect(response.status).toBe(401);
    expect(response.json<WireStatus>()).toMatchObject({
      kind: 'Status',
      code: 401,
      reason: 'Unauthorized',
    });
  });

  it('answers 401 to an invalid token', async () => {
    const forged = `${token.slice(0, -4)}AAAA`;
    const response = await skiff.api('/api/v1/namespaces', { auth: { token: forged } });
    expect(response.status).toBe(401);
  });

  it('kubectl without credentials is told to log in', async () => {
    const anonymous = await skiff.tokenKubeconfig(undefined);
    const output = fails(await skiff.kubectl(['get', 'pods', '-n', ns], { kubeconfig: anonymous }));
    expect(output).toContain('error: You must be logged in to the server (Unauthorized)');
  });
});

describe('RBAC for a ServiceAccount token', () => {
  it('may get the pod its Role allows', async () => {
    const out = ok(
      await skiff.kubectl(['get', 'pod', 'target', '-n', ns, '-o', 'name'], {
        kubeconfig: readerKubeconfig,
      }),
    );
    expect(out.trim()).toBe('pod/target');
    const raw = await skiff.api(`/api/v1/namespaces/${ns}/pods/target`, { auth: { token } });
    expect(raw.status, raw.text).toBe(200);
  });

  it('gets 403 with the kube-apiserver message on list secrets', async () => {
    const message = `secrets is forbidden: User "${user}" cannot list resource "secrets" in API group "" in the namespace "${ns}"`;
    const raw = await skiff.api(`/api/v1/namespaces/${ns}/secrets`, { auth: { token } });
    expect(raw.status).toBe(403);
    expect(raw.json<WireStatus>()).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      code: 403,
      reason: 'Forbidden',
      message,
      details: { kind: 'secrets' },
    });
    const output = fails(
      await skiff.kubectl(['get', 'secrets', '-n', ns], { kubeconfig: readerKubeconfig }),
    );
    expect(output).toContain(`Error from server (Forbidden): ${message}`);
  });

  it('is refused what the Role does not grant: list pods, get a secret, other namespaces', async () => {
    const list = fails(
      await skiff.kubectl(['get', 'pods', '-n', ns], { kubeconfig: readerKubeconfig }),
    );
    expect(list).toContain(
      `pods is forbidden: User "${user}" cannot list resource "pods" in API group "" in the namespace "${ns}"`,
    );
    const secret = fails(
      await skiff.kubectl(['get', 'secret', 'hidden', '-n', ns], { kubeconfig: readerKubeconfig }),
    );
    expect(secret).toContain(
      `secrets "hidden" is forbidden: User "${user}" cannot get resource "secrets" in API group "" in the namespace "${ns}"`,
    );
    const elsewhere = fails(
      await skiff.kubectl(['get', 'pod', 'target', '-n', 'default'], {
        kubeconfig: readerKubeconfig,
      }),
    );
    expect(elsewhere).toContain(
      `cannot get resource "pods" in API group "" in the namespace "default"`,
    );
    const deployments = await skiff.api(`/apis/apps/v1/namespaces/${ns}/deployments`, {
      auth: { token },
    });
    expect(deployments.json<WireStatus>().message).toBe(
      `deployments.apps is forbidden: User "${user}" cannot list resource "deployments" in API group "apps" in the namespace "${ns}"`,
    );
  });

  it('loses access when the RoleBinding is deleted', async () => {
    ok(await skiff.kubectl(['delete', 'rolebinding', 'reader-gets-pods', '-n', ns]));
    const raw = await skiff.api(`/api/v1/namespaces/${ns}/pods/target`, { auth: { token } });
    expect(raw.status).toBe(403);
  });
});
