// ServiceAccount admission (plugin/pkg/admission/serviceaccount): pods run as the namespace's
// `default` ServiceAccount unless told otherwise, and get the projected `kube-api-access-*` volume
// (token, cluster CA, namespace) mounted at /var/run/secrets/kubernetes.io/serviceaccount.
import type { KubeObject } from '../../api/types.ts';
import { generateNameSuffix } from '../registry/meta.ts';
import { podBeingCreated } from '../registry/rest.ts';
import type { AdmissionPlugin } from '../registry/rest.ts';

export const SERVICE_ACCOUNT_MOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';

interface Volume {
  name: string;
  projected?: unknown;
}
interface Container {
  name?: string;
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
}
interface PodSpec {
  serviceAccountName?: string;
  serviceAccount?: string;
  automountServiceAccountToken?: boolean;
  volumes?: Volume[];
  containers?: Container[];
  initContainers?: Container[];
  ephemeralContainers?: Container[];
}

function projectedVolume(name: string): Volume {
  return {
    name,
    projected: {
      defaultMode: 420,
      sources: [
        { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
        { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        {
          downwardAPI: {
            items: [
              {
                path: 'namespace',
                fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' },
              },
            ],
          },
        },
      ],
    },
  };
}

export function serviceAccountAdmission(
  getServiceAccount: (namespace: string, name: string) => KubeObject | undefined,
): AdmissionPlugin {
  return {
    name: 'ServiceAccount',
    mutate(request) {
      const object = podBeingCreated(request);
      if (!object) return;
      const spec = (object.spec ??= {}) as PodSpec;
      if (!spec.serviceAccountName) spec.serviceAccountName = spec.serviceAccount || 'default';
      spec.serviceAccount = spec.serviceAccountName;
      const account = getServiceAccount(request.namespace, spec.serviceAccountName);
      const automount =
        spec.automountServiceAccountToken ??
        (account as { automountServiceAccountToken?: boolean } | undefined)
          ?.automountServiceAccountToken ??
        true;
      if (!automount) return;
      const containers = [...(spec.containers ?? []), ...(spec.initContainers ?? [])];
      if (
        containers.some((c) =>
          (c.volumeMounts ?? []).some((m) => m.mountPath === SERVICE_ACCOUNT_MOUNT),
        )
      )
        return;
      const volumeName = `kube-api-access-${generateNameSuffix()}`;
      spec.volumes = [...(spec.volumes ?? []), projectedVolume(volumeName)];
      for (const container of containers) {
        container.volumeMounts = [
          ...(container.volumeMounts ?? []),
          { name: volumeName, readOnly: true, mountPath: SERVICE_ACCOUNT_MOUNT },
        ];
      }
    },
  };
}
