// Protobuf wire facts of coordination.k8s.io/v1 (k8s.io/api coordination/v1 types.go),
// read from the `protobuf:"…"` struct tags at v0.35.2; row format in ./types.ts.
import type { MessageTable } from './types.ts';

export const COORDINATION_V1: MessageTable = {
  'coordination.v1.Lease': [
    [1, 'metadata', 'meta.v1.ObjectMeta', 'o'],
    [2, 'spec', 'coordination.v1.LeaseSpec', 'o'],
  ],
  'coordination.v1.LeaseSpec': [
    [1, 'holderIdentity', 'string', 'po'],
    [2, 'leaseDurationSeconds', 'int32', 'po'],
    [3, 'acquireTime', 'MicroTime', 'po'],
    [4, 'renewTime', 'MicroTime', 'po'],
    [5, 'leaseTransitions', 'int32', 'po'],
    [6, 'strategy', 'string', 'po'],
    [7, 'preferredHolder', 'string', 'po'],
  ],
};
