// Subresources and virtual resources beyond plain storage: token and access reviews, pods/binding
// (the scheduler's write), pods/eviction, the streaming pod endpoints while no node agent serves
// the pod's node, and /status writes that leave the spec alone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSkiff } from './support/skiff.ts';
import type { Skiff } from './support/skiff.ts';
import type { WireStatus } from './support/kube-api.ts';
import { createObjects, namespace, requestToken } from './support/fixtures.ts';
import { fails, ok } from './support/helpers.ts';

const ns = 'subresources';
const sa = `system:serviceaccount:${ns}:robot`;
let skiff: Skiff;

const pod = (name: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: ns },
  spec: { containers: [{ name: 'main', image: 'registry.local/skiff/busybox:1.36' }] },
});

beforeAll(async () => {
  skiff = await startSkiff();
  await createObjects(
    skiff,
    namespace(ns),
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
    pod('bound'),
    pod('evicted'),
    pod('unscheduled'),
  );
});

afterAll(async () => {
  await skiff?.stop();
});

describe('reviews', () => {
  it('TokenReview authenticates a ServiceAccount token and rejects a forged one', async () => {
    const token = await requestToken(skiff, ns, 'robot');
    const review = await skiff.api('/apis/authentication.k8s.io/v1/tokenreviews', {
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } },
    });
    expect(review.status, review.text).toBe(201);
    const status = review.json<{
      status: { authenticated: boolean; user: { username: string; groups: string[] } };
    }>().status;
    expect(status.authenticated).toBe(true);
    expect(status.user.username).toBe(sa);
    expect(status.user.groups).toEqual(
      expect.arrayContaining(['system:serviceaccounts', `system:serviceaccounts:${ns}`]),
    );
    const forged = `${token.slice(0, -4)}AAAA`;
    const rejected = await skiff.api('/apis/authentication.k8s.io/v1/tokenreviews', {
      body: {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenReview',
        spec: { token: forged },
      },
    });
    expect(rejected.json<{ status: { authenticated: boolean } }>().status.authenticated).toBe(
      false,
    );
  });

  it('SubjectAccessReview and LocalSubjectAccessReview answer for another user', async () => {
    const review = (
      spec: Record<string, unknown>,
      path = '/apis/authorization.k8s.io/v1/subjectaccessreviews',
      kind = 'SubjectAccessReview',
    ) => skiff.api(path, { body: { apiVersion: 'authorization.k8s.io/v1', kind, spec } });
    const allowed = await review({
      user: sa,
      groups: ['system:serviceaccounts'],
      resourceAttributes: { namespace: ns, verb: 'list', resource: 'pods' },
    });
    expect(allowed.json<{ status: { allowed: boolean } }>().status.allowed).toBe(true);
    const denied = await review({
      user: sa,
      resourceAttributes: { namespace: ns, verb: 'list', resource: 'secrets' },
    });
    expect(denied.json<{ status: { allowed: boolean } }>().status.allowed).toBe(false);
    const local = await review(
      { user: sa, resourceAttributes: { namespace: ns, verb: 'get', resource: 'pods' } },
      `/apis/authorization.k8s.io/v1/namespaces/${ns}/localsubjectaccessreviews`,
      'LocalSubjectAccessReview',
    );
    expect(local.status, local.text).toBe(201);
    expect(local.json<{ status: { allowed: boolean } }>().status.allowed).toBe(true);
    const invalid = await review({ user: sa });
    expect(invalid.status).toBe(422);
  });

  it('kubectl auth can-i --list shows what a ServiceAccount may do (SelfSubjectRulesReview)', async () => {
    const out = ok(await skiff.kubectl(['auth', 'can-i', '--list', '-n', ns, `--as=${sa}`]));
    expect(out).toMatch(/^pods\s+\[\]\s+\[\]\s+\[get list\]/m);
    expect(out).toContain('selfsubjectaccessreviews.authorization.k8s.io');
  });
});

describe('pods/binding and pods/eviction', () => {
  it('binding assigns the node once and records PodScheduled', async () => {
    const bind = (node: string) =>
      skiff.api(`/api/v1/namespaces/${ns}/pods/bound/binding`, {
        body: {
          apiVersion: 'v1',
          kind: 'Binding',
          metadata: { name: 'bound' },
          target: { kind: 'Node', name: node },
        },
      });
    expect((await bind('node-a')).status).toBe(201);
    const bound = (await skiff.api(`/api/v1/namespaces/${ns}/pods/bound`)).json<{
      spec: { nodeName: string };
      status: { conditions: { type: string; status: string }[] };
    }>();
    expect(bound.spec.nodeName).toBe('node-a');
    expect(bound.status.conditions).toEqual(
      expect.arrayContaining([expect.objectContaining({ type: 'PodScheduled', status: 'True' })]),
    );
    const again = await bind('node-b');
    expect(again.status).toBe(409);
    expect(again.json<WireStatus>().message).toContain(
      'pod bound is already assigned to node "node-a"',
    );
  });

  it('eviction deletes a pod that was never scheduled', async () => {
    const evict = await skiff.api(`/api/v1/namespaces/${ns}/pods/evicted/eviction`, {
      body: {
        apiVersion: 'policy/v1',
        kind: 'Eviction',
        metadata: { name: 'evicted', namespace: ns },
      },
    });
    expect(evict.status, evict.text).toBe(201);
    expect((await skiff.api(`/api/v1/namespaces/${ns}/pods/evicted`)).status).toBe(404);
  });

  it('deleting a bound pod is graceful: it is marked and left for the node to finish', async () => {
    ok(await skiff.kubectl(['delete', 'pod', 'bound', '-n', ns, '--wait=false']));
    const marked = (await skiff.api(`/api/v1/namespaces/${ns}/pods/bound`)).json<{
      metadata: { deletionTimestamp?: string; deletionGracePeriodSeconds?: number };
    }>();
    expect(marked.metadata.deletionTimestamp).toBeDefined();
    expect(marked.metadata.deletionGracePeriodSeconds).toBe(30);
    ok(await skiff.kubectl(['delete', 'pod', 'bound', '-n', ns, '--grace-period=0', '--force']));
    expect((await skiff.api(`/api/v1/namespaces/${ns}/pods/bound`)).status).toBe(404);
  });
});

describe('pod streams without a node agent', () => {
  it('answer a clear Status: no host yet, or no agent serving the node', async () => {
    // LogLocation gives an unscheduled pod no location: an empty log; exec is refused.
    expect(ok(await skiff.kubectl(['logs', 'unscheduled', '-n', ns]))).toBe('');
    const exec = fails(await skiff.kubectl(['exec', 'unscheduled', '-n', ns, '--', 'true']));
    expect(exec).toContain('pod unscheduled does not have a host assigned');
    await createObjects(skiff, {
      ...pod('placed'),
      spec: {
        nodeName: 'node-x',
        containers: [{ name: 'main', image: 'registry.local/skiff/busybox:1.36' }],
      },
    });
    const response = await skiff.api(`/api/v1/namespaces/${ns}/pods/placed/log`);
    expect(response.status).toBe(503);
    expect(response.json<WireStatus>().message).toContain('no node agent is serving node "node-x"');
  });
});

describe('/status', () => {
  it('changes status and never the spec; the main resource never changes status', async () => {
    ok(await skiff.kubectl(['create', 'deployment', 'st', '--image=registry.local/x:1', '-n', ns]));
    const path = `/apis/apps/v1/namespaces/${ns}/deployments/st`;
    const patch = (subresource: string, body: unknown) =>
      skiff.api(`${path}${subresource}`, {
        method: 'PATCH',
        body,
        headers: { 'Content-Type': 'application/merge-patch+json' },
      });
    expect(
      (await patch('/status', { spec: { replicas: 9 }, status: { replicas: 4 } })).status,
    ).toBe(200);
    let deployment = (await skiff.api(path)).json<{
      spec: { replicas: number };
      status: { replicas?: number };
      metadata: { generation: number };
    }>();
    expect(deployment.spec.replicas).toBe(1);
    expect(deployment.status.replicas).toBe(4);
    expect(deployment.metadata.generation).toBe(1);
    expect((await patch('', { spec: { replicas: 2 }, status: { replicas: 7 } })).status).toBe(200);
    deployment = (await skiff.api(path)).json();
    expect(deployment.spec.replicas).toBe(2);
    expect(deployment.status.replicas).toBe(4);
    expect(deployment.metadata.generation).toBe(2);
  });
});
