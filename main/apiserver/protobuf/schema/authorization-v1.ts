// Protobuf wire facts of authorization.k8s.io/v1 (k8s.io/api authorization/v1 types.go),
// read from the `protobuf:"…"` struct tags at v0.35.2; row format in ./types.ts.
import type { MessageTable } from './types.ts';

export const AUTHORIZATION_V1: MessageTable = {
  'authorization.v1.FieldSelectorAttributes': [
    [1, 'rawSelector', 'string', 'o'],
    [2, 'requirements', 'meta.v1.FieldSelectorRequirement', 'ro'],
  ],
  'authorization.v1.LabelSelectorAttributes': [
    [1, 'rawSelector', 'string', 'o'],
    [2, 'requirements', 'meta.v1.LabelSelectorRequirement', 'ro'],
  ],
  'authorization.v1.LocalSubjectAccessReview': [
    [1, 'metadata', 'meta.v1.ObjectMeta', 'o'],
    [2, 'spec', 'authorization.v1.SubjectAccessReviewSpec', ''],
    [3, 'status', 'authorization.v1.SubjectAccessReviewStatus', 'o'],
  ],
  'authorization.v1.NonResourceAttributes': [
    [1, 'path', 'string', 'o'],
    [2, 'verb', 'string', 'o'],
  ],
  'authorization.v1.NonResourceRule': [
    [1, 'verbs', 'string', 'r'],
    [2, 'nonResourceURLs', 'string', 'ro'],
  ],
  'authorization.v1.ResourceAttributes': [
    [1, 'namespace', 'string', 'o'],
    [2, 'verb', 'string', 'o'],
    [3, 'group', 'string', 'o'],
    [4, 'version', 'string', 'o'],
    [5, 'resource', 'string', 'o'],
    [6, 'subresource', 'string', 'o'],
    [7, 'name', 'string', 'o'],
    [8, 'fieldSelector', 'authorization.v1.FieldSelectorAttributes', 'po'],
    [9, 'labelSelector', 'authorization.v1.LabelSelectorAttributes', 'po'],
  ],
  'authorization.v1.ResourceRule': [
    [1, 'verbs', 'string', 'r'],
    [2, 'apiGroups', 'string', 'ro'],
    [3, 'resources', 'string', 'ro'],
    [4, 'resourceNames', 'string', 'ro'],
  ],
  'authorization.v1.SelfSubjectAccessReview': [
    [1, 'metadata', 'meta.v1.ObjectMeta', 'o'],
    [2, 'spec', 'authorization.v1.SelfSubjectAccessReviewSpec', ''],
    [3, 'status', 'authorization.v1.SubjectAccessReviewStatus', 'o'],
  ],
  'authorization.v1.SelfSubjectAccessReviewSpec': [
    [1, 'resourceAttributes', 'authorization.v1.ResourceAttributes', 'po'],
    [2, 'nonResourceAttributes', 'authorization.v1.NonResourceAttributes', 'po'],
  ],
  'authorization.v1.SelfSubjectRulesReview': [
    [1, 'metadata', 'meta.v1.ObjectMeta', 'o'],
    [2, 'spec', 'authorization.v1.SelfSubjectRulesReviewSpec', ''],
    [3, 'status', 'authorization.v1.SubjectRulesReviewStatus', 'o'],
  ],
  'authorization.v1.SelfSubjectRulesReviewSpec': [[1, 'namespace', 'string', 'o']],
  'authorization.v1.SubjectAccessReview': [
    [1, 'metadata', 'meta.v1.ObjectMeta', 'o'],
    [2, 'spec', 'authorization.v1.SubjectAccessReviewSpec', ''],
    [3, 'status', 'authorization.v1.SubjectAccessReviewStatus', 'o'],
  ],
  'authorization.v1.SubjectAccessReviewSpec': [
    [1, 'resourceAttributes', 'authorization.v1.ResourceAttributes', 'po'],
    [2, 'nonResourceAttributes', 'authorization.v1.NonResourceAttributes', 'po'],
    [3, 'user', 'string', 'o'],
    [4, 'groups', 'string', 'ro'],
    [5, 'extra', 'StringList', 'mo'],
    [6, 'uid', 'string', 'o'],
  ],
  'authorization.v1.SubjectAccessReviewStatus': [
    [1, 'allowed', 'bool', ''],
    [4, 'denied', 'bool', 'o'],
    [2, 'reason', 'string', 'o'],
    [3, 'evaluationError', 'string', 'o'],
  ],
  'authorization.v1.SubjectRulesReviewStatus': [
    [1, 'resourceRules', 'authorization.v1.ResourceRule', 'r'],
    [2, 'nonResourceRules', 'authorization.v1.NonResourceRule', 'r'],
    [3, 'incomplete', 'bool', ''],
    [4, 'evaluationError', 'string', 'o'],
  ],
};
