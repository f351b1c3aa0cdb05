// Which ConfigMaps and Secrets a pod reads (volumes, projected sources, env, envFrom), so the
// agent can re-sync exactly the pods a change concerns: kubelet's configmap/secret managers
// register a pod's references the same way (pkg/kubelet/util/manager, podutil.VisitPodSecretNames).
import type { KubeObject } from '../../main/api/types.ts';

export type SourceKind = 'ConfigMap' | 'Secret';

type Obj = Record<string, unknown>;
const obj = (value: unknown): Obj =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Obj) : {};
const arr = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

/** True when the pod reads the named ConfigMap or Secret of its namespace. */
export function podReadsSource(pod: KubeObject, kind: SourceKind, name: string): boolean {
  const spec = obj(pod.spec);
  const configMap = kind === 'ConfigMap';
  for (const volume of arr(spec.volumes).map(obj)) {
    if (configMap && obj(volume.configMap).name === name) return true;
    if (!configMap && obj(volume.secret).secretName === name) return true;
    for (const source of arr(obj(volume.projected).sources).map(obj))
      if (obj(configMap ? source.configMap : source.secret).name === name) return true;
  }
  const containers = [
    ...arr(spec.initContainers),
    ...arr(spec.containers),
    ...arr(spec.ephemeralContainers),
  ].map(obj);
  for (const container of containers) {
    for (const from of arr(container.envFrom).map(obj))
      if (obj(configMap ? from.configMapRef : from.secretRef).name === name) return true;
    for (const env of arr(container.env).map(obj)) {
      const valueFrom = obj(env.valueFrom);
      if (obj(configMap ? valueFrom.configMapKeyRef : valueFrom.secretKeyRef).name === name)
        return true;
    }
  }
  if (!configMap)
    for (const ref of arr(spec.imagePullSecrets).map(obj)) if (ref.name === name) return true;
  return false;
}
