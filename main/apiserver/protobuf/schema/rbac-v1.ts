// Protobuf wire facts of rbac.authorization.k8s.io/v1 (k8s.io/api rbac/v1 types.go),
// read from the `protobuf:"…"` struct tags at v0.35.2; row format in ./types.ts.
import type { MessageTable } from './types.ts';

export const RBAC_V1: MessageTable = {
  'rbac.v1.AggregationRule': [[1, 'clusterRoleSelectors', 'meta.v1.LabelSelector', 'ro']],
  'rbac.v1.ClusterRole': [
    [1, 'metadata', 'meta.v1.ObjectMeta', 'o'],
    [2, 'rules', 'rbac.v1.PolicyRule', 'r'],
    [3, 'aggregationRule', 'rbac.v1.AggregationRule', 'po'],
  ],
  'rbac.v1.ClusterRoleBinding': [
    [1, 'metadata', 'meta.v1.ObjectMeta', 'o'],
    [2, 'subjects', 'rbac.v1.Subject', 'ro'],
    [3, 'roleRef', 'rbac.v1.RoleRef', ''],
  ],
  'rbac.v1.PolicyRule': [
    [1, 'verbs', 'string', 'r'],
    [2, 'apiGroups', 'string', 'ro'],
    [3, 'resources', 'string', 'ro'],
    [4, 'resourceNames', 'string', 'ro'],
    [5, 'nonResourceURLs', 'string', 'ro'],
  ],
  'rbac.v1.Role': [
    [1, 'metadata', 'meta.v1.ObjectMeta', 'o'],
    [2, 'rules', 'rbac.v1.PolicyRule', 'r'],
  ],
  'rbac.v1.RoleBinding': [
    [1, 'metadata', 'meta.v1.ObjectMeta', 'o'],
    [2, 'subjects', 'rbac.v1.Subject', 'ro'],
    [3, 'roleRef', 'rbac.v1.RoleRef', ''],
  ],
  'rbac.v1.RoleRef': [
    [1, 'apiGroup', 'string', ''],
    [2, 'kind', 'string', ''],
    [3, 'name', 'string', ''],
  ],
  'rbac.v1.Subject': [
    [1, 'kind', 'string', ''],
    [2, 'apiGroup', 'string', 'o'],
    [3, 'name', 'string', ''],
    [4, 'namespace', 'string', 'o'],
  ],
};
