// A Service's endpoints as kube-proxy and CoreDNS read them: from the EndpointSlices labelled with
// the Service's name (pkg/proxy/endpointslicecache.go), per port name, with readiness as the slice
// says it (a missing `ready` condition counts as ready). Shared by the Service proxy, cluster DNS
// and the Ingress controller so all three agree on what a backend is.
import type { KubeObject } from '../../main/api/types.ts';

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

export interface PortEndpoint {
  ip: string;
  port: number;
  ready: boolean;
  /** The pod's DNS hostname when it publishes one through this (headless) Service. */
  hostname?: string;
  /** The backing pod's name (targetRef), when the slice says. */
  podName?: string;
}

/** The endpoints of one Service port name ('' for an unnamed port). */
export interface PortEndpoints {
  name: string;
  protocol: string;
  endpoints: PortEndpoint[];
}

type Obj = Record<string, unknown>;
const obj = (value: unknown): Obj =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Obj) : {};
const arr = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

export function serviceKey(namespace: string | undefined, name: string | undefined): string {
  return `${namespace ?? ''}/${name ?? ''}`;
}

/** EndpointSlices grouped by the `namespace/name` of the Service they belong to. */
export function slicesByService(slices: Iterable<KubeObject>): Map<string, KubeObject[]> {
  const out = new Map<string, KubeObject[]>();
  for (const slice of slices) {
    const name = slice.metadata.labels?.[SERVICE_NAME_LABEL];
    if (!name || slice.addressType !== 'IPv4') continue;
    const key = serviceKey(slice.metadata.namespace, name);
    const list = out.get(key);
    if (list) list.push(slice);
    else out.set(key, [slice]);
  }
  return out;
}

/**
 * A Service's endpoints per port name, merged over its slices; an address listed twice (a pod
 * moving between slices) is kept once, ready if any copy is.
 */
export function endpointsByPort(slices: readonly KubeObject[]): Map<string, PortEndpoints> {
  const out = new Map<string, PortEndpoints>();
  /** Per port name, its endpoints by `ip:port` (a pod listed by two slices is one backend). */
  const seen = new Map<string, Map<string, PortEndpoint>>();
  for (const slice of slices) {
    const endpoints = arr(slice.endpoints).map(obj);
    for (const port of arr(slice.ports).map(obj)) {
      const name = typeof port.name === 'string' ? port.name : '';
      const number = typeof port.port === 'number' ? port.port : 0;
      if (!number) continue;
      let entry = out.get(name);
      let known = seen.get(name);
      if (!entry || !known) {
        entry = {
          name,
          protocol: typeof port.protocol === 'string' ? port.protocol : 'TCP',
          endpoints: [],
        };
        known = new Map();
        out.set(name, entry);
        seen.set(name, known);
      }
      for (const endpoint of endpoints) {
        const ready = obj(endpoint.conditions).ready !== false;
        const hostname = typeof endpoint.hostname === 'string' ? endpoint.hostname : undefined;
        const ref = obj(endpoint.targetRef);
        const podName = ref.kind === 'Pod' && typeof ref.name === 'string' ? ref.name : undefined;
        for (const ip of arr(endpoint.addresses)) {
          if (typeof ip !== 'string') continue;
          const already = known.get(`${ip}:${number}`);
          if (already) {
            already.ready ||= ready;
            already.hostname ??= hostname;
            already.podName ??= podName;
            continue;
          }
          const item: PortEndpoint = { ip, port: number, ready };
          if (hostname) item.hostname = hostname;
          if (podName) item.podName = podName;
          entry.endpoints.push(item);
          known.set(`${ip}:${number}`, item);
        }
      }
    }
  }
  return out;
}

/** The name of the Service port that `port` (a number or a port name) designates, or undefined. */
export function servicePortName(service: KubeObject, port: number | string): string | undefined {
  for (const p of arr(obj(service.spec).ports).map(obj)) {
    if (typeof port === 'number' ? p.port === port : p.name === port)
      return typeof p.name === 'string' ? p.name : '';
  }
  return undefined;
}
