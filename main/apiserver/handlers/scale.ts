// The /scale subresource (autoscaling/v1 Scale) for Deployments, ReplicaSets, StatefulSets,
// ReplicationControllers and custom resources with a scale subresource: what `kubectl scale`
// and the HPA use.
import type { KubeObject } from '../../api/types.ts';
import { isPlainObject } from '../../api/types.ts';
import { badRequest } from '../../api/status.ts';
import type { ScaleSubresource } from '../registry/resources.ts';

function readPath(object: unknown, path: string): unknown {
  let value: unknown = object;
  for (const part of path.replace(/^\./, '').split('.')) {
    if (!isPlainObject(value)) return undefined;
    value = value[part];
  }
  return value;
}

function writePath(object: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.replace(/^\./, '').split('.');
  let target = object;
  for (const part of parts.slice(0, -1)) {
    if (!isPlainObject(target[part])) target[part] = {};
    target = target[part] as Record<string, unknown>;
  }
  target[parts[parts.length - 1]] = value;
}

/** metav1.LabelSelector → the string form Scale.status.selector carries. */
export function selectorString(selector: unknown): string {
  if (typeof selector === 'string') return selector;
  if (!isPlainObject(selector)) return '';
  const parts: string[] = [];
  const labels = isPlainObject(selector.matchLabels) ? selector.matchLabels : {};
  for (const key of Object.keys(labels).sort()) parts.push(`${key}=${String(labels[key])}`);
  const expressions = Array.isArray(selector.matchExpressions) ? selector.matchExpressions : [];
  for (const expr of expressions as { key: string; operator: string; values?: string[] }[]) {
    const values = [...(expr.values ?? [])].sort().join(',');
    if (expr.operator === 'In') parts.push(`${expr.key} in (${values})`);
    else if (expr.operator === 'NotIn') parts.push(`${expr.key} notin (${values})`);
    else if (expr.operator === 'Exists') parts.push(expr.key);
    else if (expr.operator === 'DoesNotExist') parts.push(`!${expr.key}`);
  }
  return parts.join(',');
}

export function toScale(object: KubeObject, scale: ScaleSubresource, builtin: boolean): KubeObject {
  const meta = object.metadata;
  const specReplicas = readPath(object, scale.specReplicasPath);
  const statusReplicas = readPath(object, scale.statusReplicasPath);
  const selector = builtin
    ? selectorString(readPath(object, '.spec.selector'))
    : scale.labelSelectorPath
      ? readPath(object, scale.labelSelectorPath)
      : undefined;
  const status: Record<string, unknown> = {
    replicas: typeof statusReplicas === 'number' ? statusReplicas : 0,
  };
  if (typeof selector === 'string' && selector) status.selector = selector;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: meta.name,
      namespace: meta.namespace,
      uid: meta.uid,
      resourceVersion: meta.resourceVersion,
      creationTimestamp: meta.creationTimestamp,
    },
    spec: { replicas: typeof specReplicas === 'number' ? specReplicas : 0 },
    status,
  };
}

/** Applies a Scale written by a client to a copy of the object. */
export function fromScale(
  object: KubeObject,
  scaleObject: unknown,
  scale: ScaleSubresource,
): KubeObject {
  if (!isPlainObject(scaleObject)) throw badRequest('the body of the request was not a Scale');
  const spec = isPlainObject(scaleObject.spec) ? scaleObject.spec : {};
  const replicas = spec.replicas ?? 0;
  const copy = structuredClone(object);
  writePath(copy, scale.specReplicasPath, replicas);
  const meta = isPlainObject(scaleObject.metadata) ? scaleObject.metadata : {};
  copy.metadata.resourceVersion =
    typeof meta.resourceVersion === 'string' && meta.resourceVersion
      ? meta.resourceVersion
      : undefined;
  return copy;
}
