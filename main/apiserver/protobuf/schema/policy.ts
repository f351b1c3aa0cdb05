// Protobuf wire facts of policy/v1 and policy/v1beta1 (k8s.io/api policy/v1, policy/v1beta1 types.go),
// read from the `protobuf:"…"` struct tags at v0.35.2; row format in ./types.ts.
import type { MessageTable } from './types.ts';

export const POLICY: MessageTable = {
  'policy.v1.Eviction': [
    [1, 'metadata', 'meta.v1.ObjectMeta', 'o'],
    [2, 'deleteOptions', 'meta.v1.DeleteOptions', 'po'],
  ],
  'policy.v1.PodDisruptionBudget': [
    [1, 'metadata', 'meta.v1.ObjectMeta', 'o'],
    [2, 'spec', 'policy.v1.PodDisruptionBudgetSpec', 'o'],
    [3, 'status', 'policy.v1.PodDisruptionBudgetStatus', 'o'],
  ],
  'policy.v1.PodDisruptionBudgetSpec': [
    [1, 'minAvailable', 'IntOrString', 'po'],
    [2, 'selector', 'meta.v1.LabelSelector', 'po'],
    [3, 'maxUnavailable', 'IntOrString', 'po'],
    [4, 'unhealthyPodEvictionPolicy', 'string', 'po'],
  ],
  'policy.v1.PodDisruptionBudgetStatus': [
    [1, 'observedGeneration', 'int64', 'o'],
    [2, 'disruptedPods', 'Time', 'mo'],
    [3, 'disruptionsAllowed', 'int32', ''],
    [4, 'currentHealthy', 'int32', ''],
    [5, 'desiredHealthy', 'int32', ''],
    [6, 'expectedPods', 'int32', ''],
    [7, 'conditions', 'meta.v1.Condition', 'ro'],
  ],
  'policy.v1beta1.Eviction': [
    [1, 'metadata', 'meta.v1.ObjectMeta', 'o'],
    [2, 'deleteOptions', 'meta.v1.DeleteOptions', 'po'],
  ],
};
