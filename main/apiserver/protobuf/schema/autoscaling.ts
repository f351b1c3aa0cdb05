// Protobuf wire facts of autoscaling/v1 and autoscaling/v2 (k8s.io/api autoscaling/v1, v2 types.go),
// read from the `protobuf:"…"` struct tags at v0.35.2; row format in ./types.ts.
import type { MessageTable } from './types.ts';

export const AUTOSCALING: MessageTable = {
  'autoscaling.v1.CrossVersionObjectReference': [
    [1, 'kind', 'string', ''],
    [2, 'name', 'string', ''],
    [3, 'apiVersion', 'string', 'o'],
  ],
  'autoscaling.v1.HorizontalPodAutoscaler': [
    [1, 'metadata', 'meta.v1.ObjectMeta', 'o'],
    [2, 'spec', 'autoscaling.v1.HorizontalPodAutoscalerSpec', 'o'],
    [3, 'status', 'autoscaling.v1.HorizontalPodAutoscalerStatus', 'o'],
  ],
  'autoscaling.v1.HorizontalPodAutoscalerSpec': [
    [1, 'scaleTargetRef', 'autoscaling.v1.CrossVersionObjectReference', ''],
    [2, 'minReplicas', 'int32', 'po'],
    [3, 'maxReplicas', 'int32', ''],
    [4, 'targetCPUUtilizationPercentage', 'int32', 'po'],
  ],
  'autoscaling.v1.HorizontalPodAutoscalerStatus': [
    [1, 'observedGeneration', 'int64', 'po'],
    [2, 'lastScaleTime', 'Time', 'po'],
    [3, 'currentReplicas', 'int32', ''],
    [4, 'desiredReplicas', 'int32', ''],
    [5, 'currentCPUUtilizationPercentage', 'int32', 'po'],
  ],
  'autoscaling.v1.Scale': [
    [1, 'metadata', 'meta.v1.ObjectMeta', 'o'],
    [2, 'spec', 'autoscaling.v1.ScaleSpec', 'o'],
    [3, 'status', 'autoscaling.v1.ScaleStatus', 'o'],
  ],
  'autoscaling.v1.ScaleSpec': [[1, 'replicas', 'int32', 'o']],
  'autoscaling.v1.ScaleStatus': [
    [1, 'replicas', 'int32', ''],
    [2, 'selector', 'string', 'o'],
  ],
  'autoscaling.v2.ContainerResourceMetricSource': [
    [1, 'name', 'string', ''],
    [2, 'target', 'autoscaling.v2.MetricTarget', ''],
    [3, 'container', 'string', ''],
  ],
  'autoscaling.v2.ContainerResourceMetricStatus': [
    [1, 'name', 'string', ''],
    [2, 'current', 'autoscaling.v2.MetricValueStatus', ''],
    [3, 'container', 'string', ''],
  ],
  'autoscaling.v2.CrossVersionObjectReference': [
    [1, 'kind', 'string', ''],
    [2, 'name', 'string', ''],
    [3, 'apiVersion', 'string', 'o'],
  ],
  'autoscaling.v2.ExternalMetricSource': [
    [1, 'metric', 'autoscaling.v2.MetricIdentifier', ''],
    [2, 'target', 'autoscaling.v2.MetricTarget', ''],
  ],
  'autoscaling.v2.ExternalMetricStatus': [
    [1, 'metric', 'autoscaling.v2.MetricIdentifier', ''],
    [2, 'current', 'autoscaling.v2.MetricValueStatus', ''],
  ],
  'autoscaling.v2.HPAScalingPolicy': [
    [1, 'type', 'string', ''],
    [2, 'value', 'int32', ''],
    [3, 'periodSeconds', 'int32', ''],
  ],
  'autoscaling.v2.HPAScalingRules': [
    [3, 'stabilizationWindowSeconds', 'int32', 'po'],
    [1, 'selectPolicy', 'string', 'po'],
    [2, 'policies', 'autoscaling.v2.HPAScalingPolicy', 'ro'],
    [4, 'tolerance', 'Quantity', 'po'],
  ],
  'autoscaling.v2.HorizontalPodAutoscaler': [
    [1, 'metadata', 'meta.v1.ObjectMeta', 'o'],
    [2, 'spec', 'autoscaling.v2.HorizontalPodAutoscalerSpec', 'o'],
    [3, 'status', 'autoscaling.v2.HorizontalPodAutoscalerStatus', 'o'],
  ],
  'autoscaling.v2.HorizontalPodAutoscalerBehavior': [
    [1, 'scaleUp', 'autoscaling.v2.HPAScalingRules', 'po'],
    [2, 'scaleDown', 'autoscaling.v2.HPAScalingRules', 'po'],
  ],
  'autoscaling.v2.HorizontalPodAutoscalerCondition': [
    [1, 'type', 'string', ''],
    [2, 'status', 'string', ''],
    [3, 'lastTransitionTime', 'Time', 'o'],
    [4, 'reason', 'string', 'o'],
    [5, 'message', 'string', 'o'],
  ],
  'autoscaling.v2.HorizontalPodAutoscalerSpec': [
    [1, 'scaleTargetRef', 'autoscaling.v2.CrossVersionObjectReference', ''],
    [2, 'minReplicas', 'int32', 'po'],
    [3, 'maxReplicas', 'int32', ''],
    [4, 'metrics', 'autoscaling.v2.MetricSpec', 'ro'],
    [5, 'behavior', 'autoscaling.v2.HorizontalPodAutoscalerBehavior', 'po'],
  ],
  'autoscaling.v2.HorizontalPodAutoscalerStatus': [
    [1, 'observedGeneration', 'int64', 'po'],
    [2, 'lastScaleTime', 'Time', 'po'],
    [3, 'currentReplicas', 'int32', 'o'],
    [4, 'desiredReplicas', 'int32', ''],
    [5, 'currentMetrics', 'autoscaling.v2.MetricStatus', 'r'],
    [6, 'conditions', 'autoscaling.v2.HorizontalPodAutoscalerCondition', 'ro'],
  ],
  'autoscaling.v2.MetricIdentifier': [
    [1, 'name', 'string', ''],
    [2, 'selector', 'meta.v1.LabelSelector', 'po'],
  ],
  'autoscaling.v2.MetricSpec': [
    [1, 'type', 'string', ''],
    [2, 'object', 'autoscaling.v2.ObjectMetricSource', 'po'],
    [3, 'pods', 'autoscaling.v2.PodsMetricSource', 'po'],
    [4, 'resource', 'autoscaling.v2.ResourceMetricSource', 'po'],
    [7, 'containerResource', 'autoscaling.v2.ContainerResourceMetricSource', 'po'],
    [5, 'external', 'autoscaling.v2.ExternalMetricSource', 'po'],
  ],
  'autoscaling.v2.MetricStatus': [
    [1, 'type', 'string', ''],
    [2, 'object', 'autoscaling.v2.ObjectMetricStatus', 'po'],
    [3, 'pods', 'autoscaling.v2.PodsMetricStatus', 'po'],
    [4, 'resource', 'autoscaling.v2.ResourceMetricStatus', 'po'],
    [7, 'containerResource', 'autoscaling.v2.ContainerResourceMetricStatus', 'po'],
    [5, 'external', 'autoscaling.v2.ExternalMetricStatus', 'po'],
  ],
  'autoscaling.v2.MetricTarget': [
    [1, 'type', 'string', ''],
    [2, 'value', 'Quantity', 'po'],
    [3, 'averageValue', 'Quantity', 'po'],
    [4, 'averageUtilization', 'int32', 'po'],
  ],
  'autoscaling.v2.MetricValueStatus': [
    [1, 'value', 'Quantity', 'po'],
    [2, 'averageValue', 'Quantity', 'po'],
    [3, 'averageUtilization', 'int32', 'po'],
  ],
  'autoscaling.v2.ObjectMetricSource': [
    [1, 'describedObject', 'autoscaling.v2.CrossVersionObjectReference', ''],
    [2, 'target', 'autoscaling.v2.MetricTarget', ''],
    [3, 'metric', 'autoscaling.v2.MetricIdentifier', ''],
  ],
  'autoscaling.v2.ObjectMetricStatus': [
    [1, 'metric', 'autoscaling.v2.MetricIdentifier', ''],
    [2, 'current', 'autoscaling.v2.MetricValueStatus', ''],
    [3, 'describedObject', 'autoscaling.v2.CrossVersionObjectReference', ''],
  ],
  'autoscaling.v2.PodsMetricSource': [
    [1, 'metric', 'autoscaling.v2.MetricIdentifier', ''],
    [2, 'target', 'autoscaling.v2.MetricTarget', ''],
  ],
  'autoscaling.v2.PodsMetricStatus': [
    [1, 'metric', 'autoscaling.v2.MetricIdentifier', ''],
    [2, 'current', 'autoscaling.v2.MetricValueStatus', ''],
  ],
  'autoscaling.v2.ResourceMetricSource': [
    [1, 'name', 'string', ''],
    [2, 'target', 'autoscaling.v2.MetricTarget', ''],
  ],
  'autoscaling.v2.ResourceMetricStatus': [
    [1, 'name', 'string', ''],
    [2, 'current', 'autoscaling.v2.MetricValueStatus', ''],
  ],
};
