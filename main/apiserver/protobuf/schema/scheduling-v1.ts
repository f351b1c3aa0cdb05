// Protobuf wire facts of scheduling.k8s.io/v1 (k8s.io/api scheduling/v1 types.go),
// read from the `protobuf:"…"` struct tags at v0.35.2; row format in ./types.ts.
import type { MessageTable } from './types.ts';

export const SCHEDULING_V1: MessageTable = {
  'scheduling.v1.PriorityClass': [
    [1, 'metadata', 'meta.v1.ObjectMeta', 'o'],
    [2, 'value', 'int32', ''],
    [3, 'globalDefault', 'bool', 'o'],
    [4, 'description', 'string', 'o'],
    [5, 'preemptionPolicy', 'string', 'po'],
  ],
};
