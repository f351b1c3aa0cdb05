// Objects every cluster has from its first second (kube-apiserver's bootstrap controllers and
// RBAC post-start hook): the system namespaces, the `kubernetes` Service with its Endpoints and
// EndpointSlice, and the default ClusterRoles and bindings. Missing ones are created on each start;
// existing ones are left as the user may have changed them.
import { StatusError } from '../api/status.ts';
import type { KubeObject } from '../api/types.ts';
import type { UserInfo } from '../api/user.ts';
import type { Store } from '../store/types.ts';
import type { ObjectRegistry, WriteOptions } from '../apiserver/registry/rest.ts';
import type { ResourceCatalog } from '../apiserver/registry/catalog.ts';
import { bootstrapRbacObjects } from '../apiserver/auth/rbac.ts';
import { parseApiVersion } from '../apiserver/registry/resources.ts';
import { DEFAULT_STORAGE_CLASS } from '../controllers/volume/persistent-volume-controller.ts';

export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

const APISERVER_USER: UserInfo = {
  username: 'system:apiserver',
  groups: ['system:masters', 'system:authenticated'],
};

export interface BootstrapInput {
  registry: ObjectRegistry;
  catalog: ResourceCatalog;
  store: Store;
  kubernetesServiceIp: string;
  apiPort: () => number;
  endpointsOnly?: boolean;
}

const options: WriteOptions = {
  dryRun: false,
  fieldManager: 'kube-apiserver',
  fieldValidation: 'Strict',
  user: APISERVER_USER,
};

async function ensure(input: BootstrapInput, object: KubeObject): Promise<void> {
  const { group, version } = parseApiVersion(object.apiVersion);
  const info = input.catalog.forKind(group, version, object.kind);
  if (!info) throw new Error(`bootstrap: no resource for ${object.apiVersion} ${object.kind}`);
  const namespace = object.metadata.namespace ?? '';
  if (input.registry.tryGet(info, namespace, object.metadata.name ?? '')) return;
  try {
    await input.registry.create(info, namespace, object, options);
  } catch (err) {
    if (err instanceof StatusError && err.reason === 'AlreadyExists') return;
    throw err;
  }
}

/** Creates or refreshes an object the API server owns (the kubernetes Endpoints follow the serving port). */
async function reconcile(input: BootstrapInput, object: KubeObject): Promise<void> {
  const { group, version } = parseApiVersion(object.apiVersion);
  const info = input.catalog.forKind(group, version, object.kind)!;
  const namespace = object.metadata.namespace ?? '';
  const current = input.registry.tryGet(info, namespace, object.metadata.name ?? '');
  if (!current) return ensure(input, object);
  const next = {
    ...current,
    ...Object.fromEntries(Object.entries(object).filter(([key]) => key !== 'metadata')),
  };
  next.metadata = {
    ...current.metadata,
    labels: { ...current.metadata.labels, ...object.metadata.labels },
  };
  await input.registry.update(info, namespace, object.metadata.name ?? '', next, options);
}

export async function bootstrapCluster(input: BootstrapInput): Promise<void> {
  if (!input.endpointsOnly) {
    for (const name of SYSTEM_NAMESPACES) {
      await ensure(input, {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name, labels: { 'kubernetes.io/metadata.name': name } },
      });
    }
    // The two system priority classes kube-apiserver creates (pkg/apis/scheduling SystemPriorityClasses).
    for (const [name, value, description] of [
      [
        'system-node-critical',
        2000001000,
        'Used for system critical pods that must not be moved from their current node.',
      ],
      [
        'system-cluster-critical',
        2000000000,
        'Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.',
      ],
    ] as const) {
      await ensure(input, {
        apiVersion: 'scheduling.k8s.io/v1',
        kind: 'PriorityClass',
        metadata: { name },
        value,
        description,
        globalDefault: false,
        preemptionPolicy: 'PreemptLowerPriority',
      });
    }
    // The default StorageClass: claims without a class are provisioned by it.
    await ensure(input, structuredClone<KubeObject>(DEFAULT_STORAGE_CLASS));
    const rbac = bootstrapRbacObjects();
    for (const object of [...rbac.clusterRoles, ...rbac.clusterRoleBindings]) {
      await ensure(input, structuredClone<KubeObject>(object));
    }
    await ensure(input, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: 'kubernetes',
        namespace: 'default',
        labels: { component: 'apiserver', provider: 'kubernetes' },
      },
      spec: {
        type: 'ClusterIP',
        clusterIP: input.kubernetesServiceIp,
        ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }],
        sessionAffinity: 'None',
      },
    });
    return;
  }
  const port = input.apiPort();
  // The address is the host as seen from the cluster network; netd bridges it (node-agent issue).
  await reconcile(input, {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: {
      name: 'kubernetes',
      namespace: 'default',
      labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' },
    },
    subsets: [
      {
        addresses: [{ ip: input.kubernetesServiceIp }],
        ports: [{ name: 'https', port, protocol: 'TCP' }],
      },
    ],
  });
  await reconcile(input, {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: 'kubernetes',
      namespace: 'default',
      labels: {
        'kubernetes.io/service-name': 'kubernetes',
        'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io',
      },
    },
    addressType: 'IPv4',
    endpoints: [{ addresses: [input.kubernetesServiceIp], conditions: { ready: true } }],
    ports: [{ name: 'https', port, protocol: 'TCP' }],
  });
}
