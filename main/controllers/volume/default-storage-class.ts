// The DefaultStorageClass admission plugin (plugin/pkg/admission/storage/storageclass/setdefault):
// a PersistentVolumeClaim created without spec.storageClassName gets the cluster's default class.
import { isPlainObject } from '../../api/types.ts';
import type { KubeObject } from '../../api/types.ts';
import type { AdmissionPlugin } from '../../apiserver/registry/rest.ts';
import { defaultStorageClassFor } from './persistent-volume-controller.ts';

/** `storageClasses` lists the stored StorageClass objects (storage form is fine). */
export function defaultStorageClassAdmission(storageClasses: () => KubeObject[]): AdmissionPlugin {
  return {
    name: 'DefaultStorageClass',
    mutate(request) {
      const { info, object } = request;
      if (request.operation !== 'CREATE' || request.subresource || !object) return;
      if (info.group !== '' || info.kind !== 'PersistentVolumeClaim') return;
      const name = defaultStorageClassFor(object, storageClasses());
      if (name === undefined) return;
      if (!isPlainObject(object.spec)) object.spec = {};
      (object.spec as Record<string, unknown>).storageClassName = name;
    },
  };
}
