import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../api/types.ts';
import {
  aggregateClusterRoleRules,
  authorize,
  bootstrapRbacObjects,
  forbiddenError,
  forbiddenMessage,
  labelSelectorMatches,
  subjectRulesReviewStatus,
  type AuthorizationAttributes,
  type RbacObjects,
} from './rbac.ts';
import { anonymousUser, type UserInfo } from './user-info.ts';

const RBAC = 'rbac.authorization.k8s.io/v1';

function role(namespace: string, name: string, rules: unknown[]): KubeObject {
  return { apiVersion: RBAC, kind: 'Role', metadata: { namespace, name }, rules };
}
function clusterRole(name: string, rules: unknown[], labels?: Record<string, string>): KubeObject {
  return { apiVersion: RBAC, kind: 'ClusterRole', metadata: { name, labels }, rules };
}
function roleBinding(
  namespace: string,
  name: string,
  roleRef: { kind: string; name: string },
  subjects: unknown[],
): KubeObject {
  return {
    apiVersion: RBAC,
    kind: 'RoleBinding',
    metadata: { namespace, name },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', ...roleRef },
    subjects,
  };
}
function clusterRoleBinding(name: string, roleName: string, subjects: unknown[]): KubeObject {
  return {
    apiVersion: RBAC,
    kind: 'ClusterRoleBinding',
    metadata: { name },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: roleName },
    subjects,
  };
}

const bootstrap = bootstrapRbacObjects();

const rbac: RbacObjects = {
  roles: [
    role('default', 'pod-reader', [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }]),
    role('default', 'one-config', [
      { verbs: ['get'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['cfg'] },
    ]),
    role('default', 'all-status', [{ verbs: ['get'], apiGroups: ['*'], resources: ['*/status'] }]),
  ],
  clusterRoles: [
    ...bootstrap.clusterRoles,
    clusterRole('node-lister', [{ verbs: ['list'], apiGroups: [''], resources: ['nodes'] }]),
    clusterRole('log-reader', [{ verbs: ['get'], nonResourceURLs: ['/logs/*', '/metrics'] }]),
  ],
  roleBindings: [
    roleBinding('default', 'read-pods', { kind: 'Role', name: 'pod-reader' }, [
      { kind: 'ServiceAccount', name: 'reader', namespace: 'default' },
    ]),
    // no namespace on the ServiceAccount subject: it means the binding's namespace
    roleBinding('default', 'one-config', { kind: 'Role', name: 'one-config' }, [
      { kind: 'ServiceAccount', name: 'cfg-reader' },
    ]),
    roleBinding('default', 'status', { kind: 'Role', name: 'all-status' }, [
      { kind: 'User', name: 'auditor' },
    ]),
    roleBinding('team', 'viewers', { kind: 'ClusterRole', name: 'view' }, [
      { kind: 'Group', name: 'viewers' },
    ]),
    roleBinding('team', 'editors', { kind: 'ClusterRole', name: 'edit' }, [
      { kind: 'User', name: 'ed' },
    ]),
    roleBinding('broken', 'dangling', { kind: 'Role', name: 'gone' }, [
      { kind: 'User', name: 'bob' },
    ]),
  ],
  clusterRoleBindings: [
    ...bootstrap.clusterRoleBindings,
    clusterRoleBinding('jane-nodes', 'node-lister', [{ kind: 'User', name: 'jane' }]),
    clusterRoleBinding('logs', 'log-reader', [{ kind: 'Group', name: 'ops' }]),
  ],
};

function user(username: string, ...groups: string[]): UserInfo {
  return { username, groups: [...groups, 'system:authenticated'] };
}
const sa = (ns: string, name: string) =>
  user(
    `system:serviceaccount:${ns}:${name}`,
    'system:serviceaccounts',
    `system:serviceaccounts:${ns}`,
  );

function res(
  u: UserInfo,
  verb: string,
  resource: string,
  namespace = '',
  name = '',
  apiGroup = '',
  subresource = '',
): AuthorizationAttributes {
  return {
    user: u,
    verb,
    resource,
    namespace,
    name,
    apiGroup,
    subresource,
    isResourceRequest: true,
  };
}
function path(u: UserInfo, verb: string, p: string): AuthorizationAttributes {
  return { user: u, verb, path: p, isResourceRequest: false };
}

const reader = sa('default', 'reader');

describe('authorize', () => {
  it.each<[string, AuthorizationAttributes, boolean]>([
    ['SA get pods through its Role', res(reader, 'get', 'pods', 'default', 'x'), true],
    ['SA list pods (verb not granted)', res(reader, 'list', 'pods', 'default'), false],
    ['SA list secrets', res(reader, 'list', 'secrets', 'default'), false],
    ['SA get pods in another namespace', res(reader, 'get', 'pods', 'other', 'x'), false],
    [
      'SA get pods/log (subresource not granted)',
      res(reader, 'get', 'pods', 'default', 'x', '', 'log'),
      false,
    ],
    ['SA get pods at cluster scope', res(reader, 'get', 'pods'), false],
    [
      'another SA with the same name elsewhere',
      res(sa('other', 'reader'), 'get', 'pods', 'default', 'x'),
      false,
    ],
    [
      'resourceNames: the named configmap',
      res(sa('default', 'cfg-reader'), 'get', 'configmaps', 'default', 'cfg'),
      true,
    ],
    [
      'resourceNames: another configmap',
      res(sa('default', 'cfg-reader'), 'get', 'configmaps', 'default', 'other'),
      false,
    ],
    [
      'resourceNames: list (no name)',
      res(sa('default', 'cfg-reader'), 'get', 'configmaps', 'default'),
      false,
    ],
    [
      '*/status: pods/status',
      res(user('auditor'), 'get', 'pods', 'default', 'p', '', 'status'),
      true,
    ],
    [
      '*/status: deployments/status',
      res(user('auditor'), 'get', 'deployments', 'default', 'd', 'apps', 'status'),
      true,
    ],
    ['*/status: the resource itself', res(user('auditor'), 'get', 'pods', 'default', 'p'), false],
    ['ClusterRoleBinding grants cluster scope', res(user('jane'), 'list', 'nodes'), true],
    [
      'ClusterRoleBinding grants every namespace',
      res(user('jane'), 'list', 'nodes', 'default'),
      true,
    ],
    [
      'view via RoleBinding: get deployments',
      res(user('v', 'viewers'), 'get', 'deployments', 'team', 'd', 'apps'),
      true,
    ],
    [
      'view via RoleBinding: other namespace',
      res(user('v', 'viewers'), 'get', 'deployments', 'default', 'd', 'apps'),
      false,
    ],
    ['view excludes secrets', res(user('v', 'viewers'), 'get', 'secrets', 'team', 's'), false],
    ['view excludes writes', res(user('v', 'viewers'), 'delete', 'pods', 'team', 'p'), false],
    [
      'edit (aggregated) creates deployments',
      res(user('ed'), 'create', 'deployments', 'team', '', 'apps'),
      true,
    ],
    ['edit reads secrets', res(user('ed'), 'get', 'secrets', 'team', 's'), true],
    [
      'edit scales deployments',
      res(user('ed'), 'update', 'deployments', 'team', 'd', 'apps', 'scale'),
      true,
    ],
    [
      'edit cannot create roles',
      res(user('ed'), 'create', 'roles', 'team', '', 'rbac.authorization.k8s.io'),
      false,
    ],
    [
      'system:masters may do anything',
      res(user('root', 'system:masters'), 'delete', 'nodes', '', 'n'),
      true,
    ],
    [
      'authenticated users create SelfSubjectAccessReviews',
      res(reader, 'create', 'selfsubjectaccessreviews', '', '', 'authorization.k8s.io'),
      true,
    ],
    [
      'authenticated users create SelfSubjectReviews',
      res(reader, 'create', 'selfsubjectreviews', '', '', 'authentication.k8s.io'),
      true,
    ],
    [
      'anonymous cannot create SelfSubjectAccessReviews',
      res(anonymousUser(), 'create', 'selfsubjectaccessreviews', '', '', 'authorization.k8s.io'),
      false,
    ],
    ['authenticated discovery /apis/apps', path(reader, 'get', '/apis/apps'), true],
    ['authenticated discovery /openapi/v3', path(reader, 'get', '/openapi/v3'), true],
    ['anonymous discovery /api', path(anonymousUser(), 'get', '/api'), false],
    ['anonymous /version', path(anonymousUser(), 'get', '/version'), true],
    ['anonymous /healthz', path(anonymousUser(), 'get', '/healthz'), true],
    ['anonymous /healthz/etcd (no wildcard)', path(anonymousUser(), 'get', '/healthz/etcd'), false],
    ['trailing * matches the prefix', path(user('o', 'ops'), 'get', '/logs/kube/x.log'), true],
    ['trailing * needs the prefix', path(user('o', 'ops'), 'get', '/logsx'), false],
    ['non-resource verb must match', path(user('o', 'ops'), 'post', '/metrics'), false],
    ['SA discovers the issuer keys', path(reader, 'get', '/openid/v1/jwks'), true],
  ])('%s → %s', (_name, attributes, allowed) => {
    expect(authorize(attributes, rbac).allowed).toBe(allowed);
  });

  it('names the binding that allowed the request', () => {
    expect(authorize(res(reader, 'get', 'pods', 'default', 'x'), rbac).reason).toBe(
      'RBAC: allowed by RoleBinding "read-pods/default" of Role "pod-reader" to ServiceAccount "reader/default"',
    );
    expect(authorize(res(user('jane'), 'list', 'nodes'), rbac).reason).toBe(
      'RBAC: allowed by ClusterRoleBinding "jane-nodes" of ClusterRole "node-lister" to User "jane"',
    );
  });

  it('reports a binding to a missing role in the reason', () => {
    const decision = authorize(res(user('bob'), 'get', 'pods', 'broken', 'p'), rbac);
    expect(decision).toEqual({
      allowed: false,
      reason: 'RBAC: role.rbac.authorization.k8s.io "gone" not found',
    });
    expect(forbiddenMessage(res(user('bob'), 'get', 'pods', 'broken', 'p'), decision.reason)).toBe(
      'pods "p" is forbidden: User "bob" cannot get resource "pods" in API group "" in the namespace "broken": RBAC: role.rbac.authorization.k8s.io "gone" not found',
    );
  });

  it('sees changes when given a new RbacObjects value', () => {
    const attributes = res(reader, 'list', 'secrets', 'default');
    expect(authorize(attributes, rbac).allowed).toBe(false);
    const updated: RbacObjects = {
      ...rbac,
      roles: [
        ...rbac.roles,
        role('default', 'secrets', [{ verbs: ['list'], apiGroups: [''], resources: ['secrets'] }]),
      ],
      roleBindings: [
        ...rbac.roleBindings,
        roleBinding('default', 'secrets', { kind: 'Role', name: 'secrets' }, [
          { kind: 'ServiceAccount', name: 'reader', namespace: 'default' },
        ]),
      ],
    };
    expect(authorize(attributes, updated).allowed).toBe(true);
  });
});

describe('forbiddenMessage', () => {
  it.each<[string, AuthorizationAttributes, string]>([
    [
      'get one pod',
      res(reader, 'get', 'pods', 'default', 'x'),
      'pods "x" is forbidden: User "system:serviceaccount:default:reader" cannot get resource "pods" in API group "" in the namespace "default"',
    ],
    [
      'list secrets (the acceptance case)',
      res(reader, 'list', 'secrets', 'default'),
      'secrets is forbidden: User "system:serviceaccount:default:reader" cannot list resource "secrets" in API group "" in the namespace "default"',
    ],
    [
      'cluster scope',
      res(user('bob'), 'list', 'nodes'),
      'nodes is forbidden: User "bob" cannot list resource "nodes" in API group "" at the cluster scope',
    ],
    [
      'grouped resource with subresource',
      res(user('bob'), 'update', 'deployments', 'default', 'web', 'apps', 'scale'),
      'deployments.apps "web" is forbidden: User "bob" cannot update resource "deployments/scale" in API group "apps" in the namespace "default"',
    ],
    [
      'cluster-scoped named object',
      res(user('bob'), 'delete', 'namespaces', '', 'kube-system'),
      'namespaces "kube-system" is forbidden: User "bob" cannot delete resource "namespaces" in API group "" at the cluster scope',
    ],
    [
      'non-resource path',
      path(anonymousUser(), 'get', '/api'),
      'forbidden: User "system:anonymous" cannot get path "/api"',
    ],
    [
      'HTML is escaped, quotes are Go-escaped',
      res(user('<b>"x"</b>'), 'get', 'pods', 'default'),
      'pods is forbidden: User "&lt;b&gt;\\"x\\"&lt;/b&gt;" cannot get resource "pods" in API group "" in the namespace "default"',
    ],
  ])('%s', (_name, attributes, message) => {
    expect(forbiddenMessage(attributes)).toBe(message);
  });

  it('builds the 403 Status with details like NewForbidden', () => {
    const status = forbiddenError(
      res(reader, 'get', 'deployments', 'default', 'web', 'apps'),
    ).toStatus();
    expect(status).toMatchObject({
      code: 403,
      reason: 'Forbidden',
      details: { name: 'web', group: 'apps', kind: 'deployments' },
    });
    expect(forbiddenError(path(anonymousUser(), 'get', '/api')).toStatus().details).toEqual({});
  });
});

describe('subjectRulesReviewStatus', () => {
  it('lists the rules of every binding that applies, split into resource and non-resource', () => {
    const status = subjectRulesReviewStatus(reader, 'default', rbac);
    expect(status.incomplete).toBe(false);
    expect(status.evaluationError).toBeUndefined();
    expect(status.resourceRules).toContainEqual({
      verbs: ['get'],
      apiGroups: [''],
      resources: ['pods'],
    });
    expect(status.resourceRules).toContainEqual({
      verbs: ['create'],
      apiGroups: ['authorization.k8s.io'],
      resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'],
    });
    expect(status.nonResourceRules).toContainEqual(
      expect.objectContaining({
        verbs: ['get'],
        nonResourceURLs: expect.arrayContaining(['/api', '/apis/*']) as unknown,
      }),
    );
    expect(status.resourceRules.some((r) => r.resources?.includes('secrets'))).toBe(false);
  });

  it('reports resolution errors as evaluationError', () => {
    expect(subjectRulesReviewStatus(user('bob'), 'broken', rbac).evaluationError).toBe(
      'role.rbac.authorization.k8s.io "gone" not found',
    );
  });
});

describe('bootstrapRbacObjects', () => {
  it('labels and annotates every object as the apiserver bootstrap does', () => {
    const { clusterRoles, clusterRoleBindings } = bootstrapRbacObjects();
    for (const o of [...clusterRoles, ...clusterRoleBindings]) {
      expect(o.metadata.labels?.['kubernetes.io/bootstrapping']).toBe('rbac-defaults');
      expect(o.metadata.annotations?.['rbac.authorization.kubernetes.io/autoupdate']).toBe('true');
    }
    const names = clusterRoles.map((r) => r.metadata.name);
    for (const n of [
      'cluster-admin',
      'admin',
      'edit',
      'view',
      'system:discovery',
      'system:basic-user',
      'system:public-info-viewer',
    ]) {
      expect(names).toContain(n);
    }
  });

  it('binds the defaults to the same groups as upstream', () => {
    const { clusterRoleBindings } = bootstrapRbacObjects();
    const subjects: Record<string, string[]> = {};
    for (const b of clusterRoleBindings) {
      subjects[b.metadata.name ?? ''] = (b.subjects as Array<{ name: string }>).map((s) => s.name);
    }
    expect(subjects['cluster-admin']).toEqual(['system:masters']);
    expect(subjects['system:discovery']).toEqual(['system:authenticated']);
    expect(subjects['system:basic-user']).toEqual(['system:authenticated']);
    expect(subjects['system:public-info-viewer']).toEqual([
      'system:authenticated',
      'system:unauthenticated',
    ]);
  });

  it('keeps the aggregation rules and labels of admin, edit and view', () => {
    const { clusterRoles } = bootstrapRbacObjects();
    const byName = new Map(clusterRoles.map((r) => [r.metadata.name, r]));
    expect(byName.get('view')?.aggregationRule).toEqual({
      clusterRoleSelectors: [
        { matchLabels: { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' } },
      ],
    });
    expect(
      byName.get('view')?.metadata.labels?.['rbac.authorization.k8s.io/aggregate-to-edit'],
    ).toBe('true');
    expect(
      byName.get('edit')?.metadata.labels?.['rbac.authorization.k8s.io/aggregate-to-admin'],
    ).toBe('true');
    // admin holds everything edit holds, plus roles/rolebindings
    const adminRules = JSON.stringify(byName.get('admin')?.rules);
    for (const r of byName.get('edit')?.rules as unknown[])
      expect(adminRules).toContain(JSON.stringify(r));
    expect(adminRules).toContain('"rolebindings","roles"');
  });

  it('returns fresh copies each time', () => {
    const a = bootstrapRbacObjects();
    (a.clusterRoles[0].rules as unknown[]).length = 0;
    expect((bootstrapRbacObjects().clusterRoles[0].rules as unknown[]).length).toBeGreaterThan(0);
  });
});

describe('aggregateClusterRoleRules', () => {
  it('collects rules from matching ClusterRoles in name order, without duplicates', () => {
    const target: KubeObject = {
      apiVersion: RBAC,
      kind: 'ClusterRole',
      metadata: { name: 'monitoring' },
      aggregationRule: {
        clusterRoleSelectors: [{ matchLabels: { 'example.com/aggregate-to-monitoring': 'true' } }],
      },
    };
    const label = { 'example.com/aggregate-to-monitoring': 'true' };
    const shared = { verbs: ['get'], apiGroups: [''], resources: ['pods'] };
    const roles = [
      target,
      clusterRole(
        'z-extra',
        [{ verbs: ['list'], apiGroups: [''], resources: ['services'] }, shared],
        label,
      ),
      clusterRole('a-base', [shared], label),
      clusterRole('unrelated', [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }]),
    ];
    expect(aggregateClusterRoleRules(target, roles)).toEqual([
      shared,
      { verbs: ['list'], apiGroups: [''], resources: ['services'] },
    ]);
    expect(aggregateClusterRoleRules(roles[1], roles)).toBeUndefined();
  });
});

describe('labelSelectorMatches', () => {
  const labels = { app: 'web', tier: 'front' };
  it.each<[unknown, boolean]>([
    [{}, true],
    [{ matchLabels: { app: 'web' } }, true],
    [{ matchLabels: { app: 'db' } }, false],
    [{ matchExpressions: [{ key: 'tier', operator: 'In', values: ['front', 'back'] }] }, true],
    [{ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['front'] }] }, false],
    [{ matchExpressions: [{ key: 'zone', operator: 'DoesNotExist' }] }, true],
    [{ matchExpressions: [{ key: 'zone', operator: 'Exists' }] }, false],
  ])('%j → %s', (selector, expected) => {
    expect(labelSelectorMatches(selector, labels)).toBe(expected);
  });
});
