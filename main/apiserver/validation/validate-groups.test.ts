// These tests edit free-form object JSON, so they read and write it untyped.
/* eslint-disable @typescript-eslint/no-explicit-any */
import { describe, it, expect } from 'vitest';
import type { KubeObject } from '../../api/types.ts';
import { applyDefaults } from './defaults.ts';
import { hasValidation, isNamespacedKind, validateCreate, validateUpdate } from './validate.ts';

type Any = Record<string, any>;

function ready(o: Any): KubeObject & Any {
  const k = structuredClone(o) as KubeObject & Any;
  applyDefaults(k);
  k.metadata.uid ??= 'uid-1';
  k.metadata.resourceVersion ??= '1';
  return k;
}

const errorsOf = (o: Any): string[] =>
  validateCreate(ready(o)).map((e) => `${e.field}: ${e.message}`);
const updateErrors = (n: Any, o: Any): string[] =>
  validateUpdate(ready(n), ready(o)).map((e) => `${e.field}: ${e.message}`);

const rbac = 'rbac.authorization.k8s.io/v1';

describe('RBAC', () => {
  it('requires verbs and resources', () => {
    expect(
      errorsOf({
        apiVersion: rbac,
        kind: 'Role',
        metadata: { name: 'r', namespace: 'd' },
        rules: [{ apiGroups: [''] }],
      }),
    ).toEqual([
      'rules[0].verbs: Required value: verbs must contain at least one value',
      'rules[0].resources: Required value: resource rules must supply at least one resource',
    ]);
    expect(
      errorsOf({
        apiVersion: rbac,
        kind: 'Role',
        metadata: { name: 'r', namespace: 'd' },
        rules: [{ verbs: ['get'], nonResourceURLs: ['/healthz'] }],
      }),
    ).toEqual([
      'rules[0].nonResourceURLs: Invalid value: ["/healthz"]: namespaced rules cannot apply to non-resource URLs',
    ]);
  });

  it('keeps roleRef immutable and checks subjects', () => {
    const rb = {
      apiVersion: rbac,
      kind: 'ClusterRoleBinding',
      metadata: { name: 'b' },
      roleRef: { kind: 'ClusterRole', name: 'view' },
      subjects: [{ kind: 'ServiceAccount', name: 'sa' }],
    };
    expect(errorsOf(rb)).toEqual(['subjects[0].namespace: Required value']);
    const fixed = { ...rb, subjects: [{ kind: 'ServiceAccount', name: 'sa', namespace: 'd' }] };
    expect(errorsOf(fixed)).toEqual([]);
    expect(
      updateErrors({ ...fixed, roleRef: { kind: 'ClusterRole', name: 'edit' } }, fixed),
    ).toEqual([
      'roleRef: Invalid value: {"APIGroup":"rbac.authorization.k8s.io","Kind":"ClusterRole","Name":"edit"}: cannot change roleRef',
    ]);
  });

  it('allows colons in RBAC names', () => {
    expect(
      errorsOf({
        apiVersion: rbac,
        kind: 'ClusterRole',
        metadata: { name: 'system:reader' },
        rules: [],
      }),
    ).toEqual([]);
  });
});

describe('networking', () => {
  const ingress = (spec: Any): Any => ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: 'i', namespace: 'd' },
    spec,
  });

  it('requires pathType and a backend port', () => {
    const errs = errorsOf(
      ingress({
        rules: [
          {
            host: 'app.example.com',
            http: {
              paths: [
                { path: '/', backend: { service: { name: 'web' } } },
                {
                  path: 'rel',
                  pathType: 'Prefix',
                  backend: { service: { name: 'web', port: { number: 80 } } },
                },
              ],
            },
          },
        ],
      }),
    );
    expect(errs).toEqual([
      'spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified',
      'spec.rules[0].http.paths[1].path: Invalid value: "rel": must be an absolute path',
    ]);
    expect(
      errorsOf(
        ingress({
          rules: [
            {
              http: {
                paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web' } } }],
              },
            },
          ],
        }),
      ),
    ).toEqual([
      'spec.rules[0].http.paths[0].backend: Required value: port name or number is required',
    ]);
  });

  it('needs rules or a default backend and rejects IP hosts', () => {
    expect(errorsOf(ingress({}))).toEqual([
      'spec: Invalid value: null: either `defaultBackend` or `rules` must be specified',
    ]);
    expect(errorsOf(ingress({ rules: [{ host: '10.0.0.1' }] }))).toEqual([
      'spec.rules[0].host: Invalid value: "10.0.0.1": must be a DNS name, not an IP address',
    ]);
  });

  it('validates NetworkPolicy peers and IngressClass controllers', () => {
    const np = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'n', namespace: 'd' },
      spec: {
        podSelector: {},
        ingress: [{ from: [{}, { ipBlock: { cidr: '10.0.0.0/8', except: ['192.168.0.0/16'] } }] }],
      },
    };
    expect(errorsOf(np)).toEqual([
      'spec.ingress[0].from[0]: Required value: must specify a peer',
      'spec.ingress[0].from[1].ipBlock.except[0]: Invalid value: "192.168.0.0/16": must be a strict subset of `cidr`',
    ]);
    const ic = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'IngressClass',
      metadata: { name: 'nginx' },
      spec: { controller: 'nginx' },
    };
    expect(errorsOf(ic)).toEqual([
      'spec.controller: Invalid value: "nginx": must be a domain-prefixed path (such as "acme.io/foo")',
    ]);
    const ok = { ...ic, spec: { controller: 'k8s.io/ingress-nginx' } };
    expect(updateErrors({ ...ok, spec: { controller: 'example.com/other' } }, ok)).toEqual([
      'spec.controller: Invalid value: "example.com/other": field is immutable',
    ]);
  });
});

describe('storage, policy, autoscaling, coordination, discovery', () => {
  it('requires a provisioner and keeps StorageClass parameters immutable', () => {
    const sc = { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 's' } };
    expect(errorsOf(sc)).toEqual(['provisioner: Required value']);
    const ok = { ...sc, provisioner: 'skiff.dev/docker', parameters: { a: '1' } };
    expect(updateErrors({ ...ok, parameters: { a: '2' } }, ok)).toEqual([
      'parameters: Forbidden: updates to parameters are forbidden.',
    ]);
  });

  it('allows only one of minAvailable and maxUnavailable', () => {
    const pdb = {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: 'p', namespace: 'd' },
      spec: { minAvailable: 1, maxUnavailable: '50%', selector: { matchLabels: { app: 'a' } } },
    };
    expect(errorsOf(pdb)).toEqual([
      'spec: Invalid value: {"MinAvailable":1,"Selector":{"matchLabels":{"app":"a"}},"MaxUnavailable":"50%","UnhealthyPodEvictionPolicy":null}: minAvailable and maxUnavailable cannot be both set',
    ]);
  });

  it('checks HPA replica bounds and the scale target', () => {
    const hpa = {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'h', namespace: 'd' },
      spec: {
        minReplicas: 5,
        maxReplicas: 2,
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment' },
      },
    };
    expect(errorsOf(hpa)).toEqual([
      'spec.maxReplicas: Invalid value: 2: must be greater than or equal to `minReplicas`',
      'spec.scaleTargetRef.name: Required value',
    ]);
  });

  it('validates Lease durations and EndpointSlice address types', () => {
    expect(
      errorsOf({
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: 'n1', namespace: 'kube-node-lease' },
        spec: { leaseDurationSeconds: 0 },
      }),
    ).toEqual(['spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0']);
    expect(
      errorsOf({
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: { name: 's', namespace: 'd' },
        addressType: 'IPv5',
        endpoints: [{ addresses: [] }],
      }),
    ).toEqual([
      'addressType: Unsupported value: "IPv5": supported values: "FQDN", "IPv4", "IPv6"',
      'endpoints[0].addresses: Required value: must contain at least 1 address',
    ]);
  });

  it('validates ControllerRevisions and ServiceAccounts', () => {
    const cr = {
      apiVersion: 'apps/v1',
      kind: 'ControllerRevision',
      metadata: { name: 'c', namespace: 'd' },
      revision: -1,
    };
    expect(errorsOf(cr)).toEqual([
      'data: Required value: data is mandatory',
      'revision: Invalid value: -1: must be greater than or equal to 0',
    ]);
    expect(
      errorsOf({
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: { name: 'Bad', namespace: 'd' },
      }),
    ).toHaveLength(1);
  });
});

describe('dispatch', () => {
  it('knows kinds and their scope', () => {
    expect(hasValidation('Deployment', 'apps')).toBe(true);
    expect(isNamespacedKind('ClusterRole', 'rbac.authorization.k8s.io')).toBe(false);
    expect(isNamespacedKind('Widget', 'example.com')).toBeUndefined();
  });

  it('gives unknown kinds the generic ObjectMeta rules only', () => {
    const cr = {
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: 'a/b', namespace: 'd' },
    };
    expect(errorsOf(cr)).toEqual(['metadata.name: Invalid value: "a/b": may not contain \'/\'']);
  });
});
