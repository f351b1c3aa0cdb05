// Real request bodies captured from kubectl 1.35.2 (testdata/kubectl-1.35-bodies.json): each one
// decoded must equal the object kubectl prints for the same command with --dry-run=client -o json,
// which is what encoding/json makes of the very struct kubectl encoded as protobuf.
import { describe, expect, it } from 'vitest';
import { decodeKubernetesProtobuf } from './decode.ts';
import fixtures from './testdata/kubectl-1.35-bodies.json';
import { fromHex } from './testdata/proto-writer.ts';

interface Fixture {
  command: string;
  request: string;
  body: string;
  expected?: unknown;
}

const cases = fixtures as Record<string, Fixture>;

function decoded(name: string): Record<string, unknown> {
  const fixture = cases[name];
  if (!fixture) throw new Error(`no fixture ${name}`);
  return decodeKubernetesProtobuf(fromHex(fixture.body)) as Record<string, unknown>;
}

describe('kubectl 1.35 protobuf bodies equal their --dry-run=client -o json output', () => {
  const withExpected = Object.entries(cases).filter(
    ([, fixture]) => fixture.expected !== undefined,
  );

  it('covers every create generator and autoscale', () => {
    expect(withExpected.map(([name]) => name)).toEqual(
      expect.arrayContaining([
        'create deployment',
        'create configmap --from-literal',
        'create secret generic',
        'create secret docker-registry',
        'create namespace',
        'create serviceaccount',
        'create role',
        'create rolebinding',
        'create clusterrole',
        'create clusterrolebinding',
        'create service clusterip',
        'create service nodeport',
        'create service loadbalancer',
        'create service externalname',
        'create job',
        'create job --from=cronjob (rich pod template)',
        'create cronjob',
        'create ingress',
        'create quota',
        'create poddisruptionbudget --min-available',
        'create poddisruptionbudget --max-unavailable',
        'create priorityclass',
        'autoscale',
      ]),
    );
  });

  for (const [name, fixture] of withExpected) {
    it(`${name} (${fixture.request})`, () => {
      expect(decodeKubernetesProtobuf(fromHex(fixture.body))).toStrictEqual(fixture.expected);
    });
  }
});

describe('kubectl 1.35 protobuf bodies without a dry-run form', () => {
  it('create token: TokenRequest with audiences and a duration', () => {
    expect(decoded('create token')).toStrictEqual({
      kind: 'TokenRequest',
      apiVersion: 'authentication.k8s.io/v1',
      metadata: {},
      spec: { audiences: ['vault', 'api'], expirationSeconds: 3600, boundObjectRef: null },
      status: { token: '', expirationTimestamp: null },
    });
  });

  it('create token: TokenRequest bound to a pod', () => {
    expect(decoded('create token (bound object)')).toStrictEqual({
      kind: 'TokenRequest',
      apiVersion: 'authentication.k8s.io/v1',
      metadata: {},
      spec: {
        audiences: null,
        expirationSeconds: null,
        boundObjectRef: {
          kind: 'Pod',
          apiVersion: 'v1',
          name: 'p1',
          uid: '0d4691ed-659b-4935-a832-355f77ee47cc',
        },
      },
      status: { token: '', expirationTimestamp: null },
    });
  });

  it('auth can-i: SelfSubjectAccessReview for a namespaced resource', () => {
    expect(decoded('auth can-i')).toStrictEqual({
      kind: 'SelfSubjectAccessReview',
      apiVersion: 'authorization.k8s.io/v1',
      metadata: {},
      spec: { resourceAttributes: { namespace: 'default', verb: 'get', resource: 'pods' } },
      status: { allowed: false },
    });
  });

  it('auth can-i: a subresource in all namespaces', () => {
    expect(decoded('auth can-i (subresource, all namespaces)')).toMatchObject({
      spec: {
        resourceAttributes: {
          verb: 'create',
          group: 'apps',
          resource: 'deployments',
          subresource: 'scale',
        },
      },
    });
    const spec = decoded('auth can-i (subresource, all namespaces)').spec as {
      resourceAttributes: Record<string, unknown>;
    };
    expect(spec.resourceAttributes).not.toHaveProperty('namespace');
  });

  it('auth can-i: a non-resource URL', () => {
    expect(decoded('auth can-i (non-resource URL)')).toStrictEqual({
      kind: 'SelfSubjectAccessReview',
      apiVersion: 'authorization.k8s.io/v1',
      metadata: {},
      spec: { nonResourceAttributes: { path: '/logs', verb: 'get' } },
      status: { allowed: false },
    });
  });

  it('auth can-i --list: SelfSubjectRulesReview', () => {
    expect(decoded('auth can-i --list')).toStrictEqual({
      kind: 'SelfSubjectRulesReview',
      apiVersion: 'authorization.k8s.io/v1',
      metadata: {},
      spec: { namespace: 'kube-system' },
      status: { resourceRules: null, nonResourceRules: null, incomplete: false },
    });
  });

  it('auth whoami: SelfSubjectReview', () => {
    expect(decoded('auth whoami')).toStrictEqual({
      kind: 'SelfSubjectReview',
      apiVersion: 'authentication.k8s.io/v1',
      metadata: {},
      status: { userInfo: {} },
    });
  });

  it('drain --disable-eviction: DeleteOptions in the core group version', () => {
    expect(cases['drain --disable-eviction'].request).toBe(
      'DELETE /api/v1/namespaces/default/pods/p1',
    );
    expect(decoded('drain --disable-eviction')).toStrictEqual({
      kind: 'DeleteOptions',
      apiVersion: 'v1',
      gracePeriodSeconds: 10,
    });
  });

  it('debug --copy-to: the copied pod spec with the debug container appended', () => {
    const pod = decoded('debug --copy-to') as {
      metadata: Record<string, unknown>;
      spec: Record<string, unknown> & {
        containers: Record<string, unknown>[];
        tolerations: Record<string, unknown>[];
      };
      status: unknown;
    };
    expect(pod.metadata).toStrictEqual({ name: 'p1-debug', namespace: 'default' });
    expect(pod.spec.containers.map((c) => c.name)).toEqual(['c', 'dbg']);
    expect(pod.spec.containers[1]).toStrictEqual({
      name: 'dbg',
      image: 'busybox',
      resources: {},
      terminationMessagePolicy: 'File',
    });
    // *int32 priority set to 0 still prints; *int64 tolerationSeconds keeps its value
    expect(pod.spec.priority).toBe(0);
    expect(pod.spec.tolerations[0]).toMatchObject({ tolerationSeconds: 300, operator: 'Exists' });
    expect(pod.spec.securityContext).toStrictEqual({});
    expect(pod.status).toStrictEqual({});
  });
});
