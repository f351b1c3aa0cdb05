// Protobuf wire facts of authentication.k8s.io/v1 (k8s.io/api authentication/v1 types.go),
// read from the `protobuf:"…"` struct tags at v0.35.2; row format in ./types.ts.
import type { MessageTable } from './types.ts';

export const AUTHENTICATION_V1: MessageTable = {
  'authentication.v1.BoundObjectReference': [
    [1, 'kind', 'string', 'o'],
    [2, 'apiVersion', 'string', 'o'],
    [3, 'name', 'string', 'o'],
    [4, 'uid', 'string', 'o'],
  ],
  'authentication.v1.SelfSubjectReview': [
    [1, 'metadata', 'meta.v1.ObjectMeta', 'o'],
    [2, 'status', 'authentication.v1.SelfSubjectReviewStatus', 'o'],
  ],
  'authentication.v1.SelfSubjectReviewStatus': [[1, 'userInfo', 'authentication.v1.UserInfo', 'o']],
  'authentication.v1.TokenRequest': [
    [1, 'metadata', 'meta.v1.ObjectMeta', 'o'],
    [2, 'spec', 'authentication.v1.TokenRequestSpec', ''],
    [3, 'status', 'authentication.v1.TokenRequestStatus', 'o'],
  ],
  'authentication.v1.TokenRequestSpec': [
    [1, 'audiences', 'string', 'r'],
    [4, 'expirationSeconds', 'int64', 'p'],
    [3, 'boundObjectRef', 'authentication.v1.BoundObjectReference', 'p'],
  ],
  'authentication.v1.TokenRequestStatus': [
    [1, 'token', 'string', ''],
    [2, 'expirationTimestamp', 'Time', ''],
  ],
  'authentication.v1.UserInfo': [
    [1, 'username', 'string', 'o'],
    [2, 'uid', 'string', 'o'],
    [3, 'groups', 'string', 'ro'],
    [4, 'extra', 'StringList', 'mo'],
  ],
};
