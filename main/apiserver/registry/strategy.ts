// Per-kind write rules kube-apiserver keeps in each resource's strategy (pkg/registry/*/strategy.go):
// what create resets, whether status is only written through /status, and which kinds track
// metadata.generation.
import type { KubeObject } from '../../api/types.ts';
import type { ResourceInfo } from './resources.ts';

const TRACKS_GENERATION = new Set([
  'apps/Deployment',
  'apps/ReplicaSet',
  'apps/StatefulSet',
  'apps/DaemonSet',
  'batch/Job',
  'batch/CronJob',
  '/ReplicationController',
  '/Pod',
  'networking.k8s.io/Ingress',
  'networking.k8s.io/IngressClass',
  'networking.k8s.io/NetworkPolicy',
  'policy/PodDisruptionBudget',
  'autoscaling/HorizontalPodAutoscaler',
  'apiextensions.k8s.io/CustomResourceDefinition',
  'discovery.k8s.io/EndpointSlice',
]);

/** Kinds PUT may create when absent (AllowCreateOnUpdate in their strategies). */
const CREATE_ON_UPDATE = new Set([
  '/Endpoints',
  '/Event',
  'events.k8s.io/Event',
  'coordination.k8s.io/Lease',
  'rbac.authorization.k8s.io/Role',
  'rbac.authorization.k8s.io/ClusterRole',
  'rbac.authorization.k8s.io/RoleBinding',
  'rbac.authorization.k8s.io/ClusterRoleBinding',
  'discovery.k8s.io/EndpointSlice',
]);

function kindKey(info: ResourceInfo): string {
  return `${info.group}/${info.kind}`;
}

export function hasStatusSubresource(info: ResourceInfo): boolean {
  return info.subresources.includes('status');
}

export function tracksGeneration(info: ResourceInfo): boolean {
  return info.custom === true || TRACKS_GENERATION.has(kindKey(info));
}

export function allowCreateOnUpdate(info: ResourceInfo): boolean {
  return CREATE_ON_UPDATE.has(kindKey(info));
}

/** What the object's status starts as when created through the main resource. */
export function initialStatus(info: ResourceInfo, object: KubeObject): unknown {
  const key = kindKey(info);
  const given = object.status;
  switch (key) {
    case '/Pod':
      return { phase: 'Pending', qosClass: qosClassOf(object) };
    case '/Namespace':
      return { phase: 'Active' };
    case '/PersistentVolumeClaim':
    case '/PersistentVolume':
      return { phase: 'Pending' };
    case '/Service':
      return { loadBalancer: {} };
    case '/Node':
      // Node agents register with their status, as kubelet does.
      return given;
    case 'apiextensions.k8s.io/CustomResourceDefinition':
      return given;
    default:
      return info.custom ? undefined : {};
  }
}

type Resources = { requests?: Record<string, unknown>; limits?: Record<string, unknown> };

/** Pod QoS class (pkg/apis/core/helper/qos): Guaranteed, Burstable or BestEffort. */
export function qosClassOf(pod: KubeObject): string {
  const spec = (pod.spec ?? {}) as {
    containers?: { resources?: Resources }[];
    initContainers?: { resources?: Resources }[];
  };
  const containers = [...(spec.containers ?? []), ...(spec.initContainers ?? [])];
  let anySet = false;
  let guaranteed = true;
  for (const container of containers) {
    const requests = container.resources?.requests ?? {};
    const limits = container.resources?.limits ?? {};
    if (Object.keys(requests).length || Object.keys(limits).length) anySet = true;
    for (const resource of ['cpu', 'memory']) {
      const limit = limits[resource];
      const request = requests[resource] ?? limit;
      if (limit === undefined || JSON.stringify(request) !== JSON.stringify(limit))
        guaranteed = false;
    }
  }
  if (!anySet) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}
