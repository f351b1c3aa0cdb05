// What the Endpoints and EndpointSlice controllers share (upstream pkg/api/v1/pod and
// staging/src/k8s.io/endpointslice/util): which pods a Service selects, whether a pod belongs in
// its endpoints, its readiness, and the port a Service port resolves to on that pod.
import type { KubeObject } from '../../api/types.ts';
import type { ResourceRef } from '../../client/local-client.ts';
import { objectKey, type Informer } from '../../client/informer.ts';

export const SERVICES: ResourceRef = { group: '', version: 'v1', resource: 'services' };
export const PODS: ResourceRef = { group: '', version: 'v1', resource: 'pods' };

export interface ServicePort {
  name?: string;
  protocol?: string;
  port: number;
  targetPort?: number | string;
  appProtocol?: string;
}

export interface ServiceSpec {
  selector?: Record<string, string>;
  type?: string;
  clusterIP?: string;
  ports?: ServicePort[];
  publishNotReadyAddresses?: boolean;
  ipFamilies?: string[];
}

interface ContainerPort {
  name?: string;
  containerPort: number;
  protocol?: string;
}

interface PodShape {
  spec?: {
    nodeName?: string;
    hostname?: string;
    subdomain?: string;
    containers?: { ports?: ContainerPort[] }[];
    initContainers?: { ports?: ContainerPort[]; restartPolicy?: string }[];
  };
  status?: {
    phase?: string;
    podIP?: string;
    podIPs?: { ip: string }[];
    conditions?: { type: string; status: string }[];
  };
}

export function serviceSpec(service: KubeObject): ServiceSpec {
  return service.spec ?? {};
}

/**
 * Services this controller fills: they have a selector, are not ExternalName, and are not the
 * API server's own `kubernetes` Service (its endpoints are written by the API server).
 */
export function isManagedService(service: KubeObject): boolean {
  const spec = serviceSpec(service);
  // An empty selector is no selector: kube-apiserver's storage drops the empty map.
  if (spec.type === 'ExternalName' || Object.keys(spec.selector ?? {}).length === 0) return false;
  return !(service.metadata.namespace === 'default' && service.metadata.name === 'kubernetes');
}

/** A Service selector selects a pod when every pair matches (an empty selector selects nothing here). */
export function selects(selector: Record<string, string> | undefined, pod: KubeObject): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  const labels = pod.metadata.labels ?? {};
  return Object.entries(selector).every(([key, value]) => labels[key] === value);
}

/** The pod's IPs (status.podIPs, or status.podIP for older writers). */
export function podIps(pod: KubeObject): string[] {
  const status = (pod as PodShape).status ?? {};
  const ips = (status.podIPs ?? []).map((p) => p.ip).filter(Boolean);
  if (ips.length) return ips;
  return status.podIP ? [status.podIP] : [];
}

export function ipFamilyOf(ip: string): 'IPv4' | 'IPv6' {
  return ip.includes(':') ? 'IPv6' : 'IPv4';
}

/**
 * Upstream ShouldPodBeInEndpoints: finished pods and pods without an IP are left out, and so are
 * terminating pods unless the caller includes them.
 */
export function shouldPodBeInEndpoints(pod: KubeObject, includeTerminating: boolean): boolean {
  const phase = (pod as PodShape).status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return false;
  if (podIps(pod).length === 0) return false;
  if (!includeTerminating && pod.metadata.deletionTimestamp) return false;
  return true;
}

/**
 * The pod port a Service port reaches (upstream podutil.FindPort): a number is used as is; a
 * name is looked up among the containers' (and sidecar init containers') ports of the same
 * protocol. undefined when the pod has no such named port.
 */
export function findPort(pod: KubeObject, servicePort: ServicePort): number | undefined {
  const target = servicePort.targetPort ?? servicePort.port;
  if (typeof target === 'number') return target;
  const protocol = servicePort.protocol ?? 'TCP';
  const spec = (pod as PodShape).spec ?? {};
  const containers = [
    ...(spec.containers ?? []),
    ...(spec.initContainers ?? []).filter((c) => c.restartPolicy === 'Always'),
  ];
  for (const container of containers) {
    for (const port of container.ports ?? []) {
      if (port.name === target && (port.protocol ?? 'TCP') === protocol) return port.containerPort;
    }
  }
  return undefined;
}

/** The DNS hostname a pod publishes through a headless Service (spec.hostname + subdomain). */
export function podHostname(pod: KubeObject, service: KubeObject): string | undefined {
  const spec = (pod as PodShape).spec ?? {};
  if (
    spec.hostname &&
    spec.subdomain === service.metadata.name &&
    pod.metadata.namespace === service.metadata.namespace
  )
    return spec.hostname;
  return undefined;
}

export function podNodeName(pod: KubeObject): string | undefined {
  return (pod as PodShape).spec?.nodeName || undefined;
}

export function podTargetRef(pod: KubeObject): {
  kind: string;
  namespace: string;
  name: string;
  uid: string;
} {
  return {
    kind: 'Pod',
    namespace: pod.metadata.namespace ?? '',
    name: pod.metadata.name ?? '',
    uid: pod.metadata.uid ?? '',
  };
}

/** Keys of the managed Services in the pod's namespace that select it (old or new labels). */
export function servicesSelecting(
  services: KubeObject[],
  pods: (KubeObject | undefined)[],
): string[] {
  const keys: string[] = [];
  for (const service of services) {
    if (!isManagedService(service)) continue;
    const selector = serviceSpec(service).selector;
    if (pods.some((pod) => pod && selects(selector, pod)))
      keys.push(`${service.metadata.namespace}/${service.metadata.name}`);
  }
  return keys;
}

/**
 * What both endpoint controllers watch: a Service change enqueues that Service, a pod change every
 * managed Service selecting the pod (before or after the change).
 */
export function enqueueServicesAndPods(
  services: Informer,
  pods: Informer,
  add: (key: string) => void,
): void {
  const enqueue = (service: KubeObject) => add(objectKey(service));
  services.addHandlers({ add: enqueue, update: (_o, n) => enqueue(n), delete: enqueue });
  const podChanged = (old: KubeObject | undefined, pod: KubeObject) => {
    for (const key of servicesSelecting(services.list(pod.metadata.namespace ?? ''), [old, pod]))
      add(key);
  };
  pods.addHandlers({
    add: (pod) => podChanged(undefined, pod),
    update: (old, pod) => podChanged(old, pod),
    delete: (pod) => podChanged(undefined, pod),
  });
}

/** Deterministic JSON for comparing desired with current content. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}
