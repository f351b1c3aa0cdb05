// Authentication and RBAC as kube-apiserver applies them: no credentials → 401; a ServiceAccount
// token (TokenRequest via `kubectl create token`) is limited to what its Role grants, with
// kube-apiserver's Forbidden message.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSkiff } from './support/skiff.ts';
import type { Skiff } from './support/skiff.ts';
import type { WireStatus } from './support/kube-api.ts';
import { createObjects, namespace, requestToken } from './support/fixtures.ts';
import { fails, ok } from './support/helpers.ts';

const ns = 'auth-e2e';
const user = `system:serviceaccount:${ns}:reader`;
let skiff: Skiff;
let token: string;
let readerKubeconfig: string;

beforeAll(async () => {
  skiff = await startSkiff();
  // Preconditions through the raw API; the token comes from `kubectl create token` (TokenRequest).
  await createObjects(
    skiff,
    namespace(ns),
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'reader', namespace: ns } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'pod-getter', namespace: ns },
      rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'reader-gets-pods', namespace: ns },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'pod-getter' },
      subjects: [{ kind: 'ServiceAccount', name: 'reader', namespace: ns }],
    },
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'target', namespace: ns },
      spec: {
        restartPolicy: 'Never',
        containers: [
          { name: 'main', image: 'registry.local/skiff/busybox:1.36', command: ['sleep', '3600'] },
        ],
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'hidden', namespace: ns },
      stringData: { k: 'v' },
    },
  );
  // A TokenRequest through the raw API, so that RBAC is tested whatever `kubectl create token`
  // does; the kubectl path has its own test below.
  token = await requestToken(skiff, ns, 'reader');
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

  it('kubectl with a rejected token is told to log in', async () => {
    // (With no credentials at all kubectl itself prompts for a username before asking the server.)
    const rejected = await skiff.tokenKubeconfig('not-a-valid-token');
    const output = fails(await skiff.kubectl(['get', 'pods', '-n', ns], { kubeconfig: rejected }));
    // kube-apiserver's 401 reads as either, depending on whether discovery or the request saw it.
    expect(output).toMatch(
      /error: You must be logged in to the server \((Unauthorized|the server has asked for the client to provide credentials)\)/,
    );
  });
});

describe('RBAC for a ServiceAccount token', () => {
  it('kubectl create token gives a token that authenticates as the ServiceAccount', async () => {
    const fromKubectl = ok(await skiff.kubectl(['create', 'token', 'reader', '-n', ns])).trim();
    const review = await skiff.api('/apis/authentication.k8s.io/v1/selfsubjectreviews', {
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
      auth: { token: fromKubectl },
    });
    expect(review.status, review.text).toBe(201);
    expect(
      review.json<{ status: { userInfo: { username: string } } }>().status.userInfo.username,
    ).toBe(user);
  });

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
