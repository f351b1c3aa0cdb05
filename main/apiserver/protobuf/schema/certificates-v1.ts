// Protobuf wire facts of certificates.k8s.io/v1 (k8s.io/api certificates/v1 types.go),
// read from the `protobuf:"…"` struct tags at v0.35.2; row format in ./types.ts.
import type { MessageTable } from './types.ts';

export const CERTIFICATES_V1: MessageTable = {
  'certificates.v1.CertificateSigningRequest': [
    [1, 'metadata', 'meta.v1.ObjectMeta', 'o'],
    [2, 'spec', 'certificates.v1.CertificateSigningRequestSpec', ''],
    [3, 'status', 'certificates.v1.CertificateSigningRequestStatus', 'o'],
  ],
  'certificates.v1.CertificateSigningRequestCondition': [
    [1, 'type', 'string', ''],
    [6, 'status', 'string', ''],
    [2, 'reason', 'string', 'o'],
    [3, 'message', 'string', 'o'],
    [4, 'lastUpdateTime', 'Time', 'o'],
    [5, 'lastTransitionTime', 'Time', 'o'],
  ],
  'certificates.v1.CertificateSigningRequestSpec': [
    [1, 'request', 'bytes', ''],
    [7, 'signerName', 'string', ''],
    [8, 'expirationSeconds', 'int32', 'po'],
    [5, 'usages', 'string', 'ro'],
    [2, 'username', 'string', 'o'],
    [3, 'uid', 'string', 'o'],
    [4, 'groups', 'string', 'ro'],
    [6, 'extra', 'StringList', 'mo'],
  ],
  'certificates.v1.CertificateSigningRequestStatus': [
    [1, 'conditions', 'certificates.v1.CertificateSigningRequestCondition', 'ro'],
    [2, 'certificate', 'bytes', 'o'],
  ],
};
