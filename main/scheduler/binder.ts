// The scheduler's bind step (kube-scheduler's DefaultBinder POSTs pods/binding): in process, the
// very write the API server's pods/binding handler makes (bindPod): spec.nodeName and
// PodScheduled=True, refused with 409 when the pod was replaced, is being deleted or is bound.
import type { KubeObject } from '../api/types.ts';
import type { ObjectRegistry } from '../apiserver/registry/rest.ts';
import { bindPod } from '../apiserver/subresources/register.ts';

export type BindFunction = (pod: KubeObject, nodeName: string) => Promise<void>;

export function registryBinder(registry: ObjectRegistry): BindFunction {
  return async (pod, nodeName) => {
    await bindPod(
      registry,
      pod.metadata.namespace ?? '',
      pod.metadata.name ?? '',
      nodeName,
      undefined,
      pod.metadata.uid,
    );
  };
}
