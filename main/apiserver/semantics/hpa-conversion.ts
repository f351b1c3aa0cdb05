// autoscaling/v1 ↔ autoscaling/v2 HorizontalPodAutoscaler conversion (pkg/apis/autoscaling/v1
// conversion.go): v1 carries only a CPU utilization target; everything else v2 can say is kept in
// the `autoscaling.alpha.kubernetes.io/*` annotations so a round trip loses nothing.
import type { KubeObject } from '../../api/types.ts';
import { isPlainObject } from '../../api/types.ts';

const METRICS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/metrics';
const CONDITIONS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/conditions';
const CURRENT_METRICS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/current-metrics';
const BEHAVIOR_ANNOTATION = 'autoscaling.alpha.kubernetes.io/behavior';

type Obj = Record<string, unknown>;

function isCpuUtilization(metric: unknown): boolean {
  if (!isPlainObject(metric) || metric.type !== 'Resource' || !isPlainObject(metric.resource))
    return false;
  const target = metric.resource.target;
  return metric.resource.name === 'cpu' && isPlainObject(target) && target.type === 'Utilization';
}

export function hpaV2ToV1(v2: KubeObject): KubeObject {
  const spec = (v2.spec ?? {}) as Obj;
  const status = (v2.status ?? {}) as Obj;
  const metrics = Array.isArray(spec.metrics) ? spec.metrics : [];
  const cpu = metrics.find(isCpuUtilization) as
    { resource: { target: { averageUtilization?: number } } } | undefined;
  const others = metrics.filter((m) => !isCpuUtilization(m));
  const annotations: Record<string, string> = { ...v2.metadata.annotations };
  if (others.length) annotations[METRICS_ANNOTATION] = JSON.stringify(others);
  if (spec.behavior) annotations[BEHAVIOR_ANNOTATION] = JSON.stringify(spec.behavior);
  if (Array.isArray(status.conditions) && status.conditions.length)
    annotations[CONDITIONS_ANNOTATION] = JSON.stringify(status.conditions);
  const currentMetrics = Array.isArray(status.currentMetrics) ? status.currentMetrics : [];
  const currentCpu = currentMetrics.find(
    (m) =>
      isPlainObject(m) &&
      m.type === 'Resource' &&
      isPlainObject(m.resource) &&
      m.resource.name === 'cpu',
  ) as { resource: { current?: { averageUtilization?: number } } } | undefined;
  const otherCurrent = currentMetrics.filter((m) => m !== currentCpu);
  if (otherCurrent.length) annotations[CURRENT_METRICS_ANNOTATION] = JSON.stringify(otherCurrent);
  const v1Spec: Obj = { scaleTargetRef: spec.scaleTargetRef, maxReplicas: spec.maxReplicas };
  if (spec.minReplicas !== undefined) v1Spec.minReplicas = spec.minReplicas;
  if (cpu?.resource.target.averageUtilization !== undefined)
    v1Spec.targetCPUUtilizationPercentage = cpu.resource.target.averageUtilization;
  const v1Status: Obj = {
    currentReplicas: status.currentReplicas ?? 0,
    desiredReplicas: status.desiredReplicas ?? 0,
  };
  if (status.observedGeneration !== undefined)
    v1Status.observedGeneration = status.observedGeneration;
  if (status.lastScaleTime !== undefined) v1Status.lastScaleTime = status.lastScaleTime;
  if (currentCpu?.resource.current?.averageUtilization !== undefined)
    v1Status.currentCPUUtilizationPercentage = currentCpu.resource.current.averageUtilization;
  const metadata = { ...v2.metadata };
  if (Object.keys(annotations).length) metadata.annotations = annotations;
  return {
    apiVersion: 'autoscaling/v1',
    kind: 'HorizontalPodAutoscaler',
    metadata,
    spec: v1Spec,
    status: v1Status,
  };
}

function parseAnnotation(annotations: Record<string, string>, key: string): unknown {
  const text = annotations[key];
  delete annotations[key];
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

export function hpaV1ToV2(v1: KubeObject): KubeObject {
  const spec = (v1.spec ?? {}) as Obj;
  const status = (v1.status ?? {}) as Obj | undefined;
  const annotations: Record<string, string> = { ...v1.metadata.annotations };
  const otherMetrics =
    (parseAnnotation(annotations, METRICS_ANNOTATION) as unknown[] | undefined) ?? [];
  const behavior = parseAnnotation(annotations, BEHAVIOR_ANNOTATION);
  const conditions = parseAnnotation(annotations, CONDITIONS_ANNOTATION);
  const otherCurrent =
    (parseAnnotation(annotations, CURRENT_METRICS_ANNOTATION) as unknown[] | undefined) ?? [];
  const metrics: unknown[] = [];
  if (typeof spec.targetCPUUtilizationPercentage === 'number') {
    metrics.push({
      type: 'Resource',
      resource: {
        name: 'cpu',
        target: { type: 'Utilization', averageUtilization: spec.targetCPUUtilizationPercentage },
      },
    });
  }
  metrics.push(...otherMetrics);
  const v2Spec: Obj = { scaleTargetRef: spec.scaleTargetRef, maxReplicas: spec.maxReplicas };
  if (spec.minReplicas !== undefined) v2Spec.minReplicas = spec.minReplicas;
  if (metrics.length) v2Spec.metrics = metrics;
  if (behavior) v2Spec.behavior = behavior;
  const metadata = { ...v1.metadata };
  if (Object.keys(annotations).length) metadata.annotations = annotations;
  else delete metadata.annotations;
  const result: KubeObject = {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata,
    spec: v2Spec,
  };
  if (status) {
    const v2Status: Obj = {
      currentReplicas: status.currentReplicas ?? 0,
      desiredReplicas: status.desiredReplicas ?? 0,
    };
    if (status.observedGeneration !== undefined)
      v2Status.observedGeneration = status.observedGeneration;
    if (status.lastScaleTime !== undefined) v2Status.lastScaleTime = status.lastScaleTime;
    const current: unknown[] = [];
    if (typeof status.currentCPUUtilizationPercentage === 'number') {
      current.push({
        type: 'Resource',
        resource: {
          name: 'cpu',
          current: { averageUtilization: status.currentCPUUtilizationPercentage },
        },
      });
    }
    current.push(...otherCurrent);
    if (current.length) v2Status.currentMetrics = current;
    if (conditions) v2Status.conditions = conditions;
    result.status = v2Status;
  }
  return result;
}
