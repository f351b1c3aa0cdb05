// The Endpoints controller (kube-controller-manager pkg/controller/endpoint): for every Service
// with a selector, an Endpoints object of the same name listing the selected pods' IPs as ready
// or not-ready addresses, with the Service's ports resolved on each pod.
import { isPodReady } from '../../api/pod-conditions.ts';
import { StatusError } from '../../api/status.ts';
import type { KubeObject } from '../../api/types.ts';
import type { Informer } from '../../client/informer.ts';
import { objectKey, splitKey } from '../../client/informer.ts';
import type { ResourceRef } from '../../client/local-client.ts';
import type { Controller, ControllerContext } from '../controller-manager.ts';
import { WorkQueue, type ReconcileResult } from '../runtime/work-queue.ts';
import {
  PODS,
  SERVICES,
  canonical,
  findPort,
  isManagedService,
  podHostname,
  podIps,
  podNodeName,
  podTargetRef,
  selects,
  serviceSpec,
  enqueueServicesAndPods,
  shouldPodBeInEndpoints,
} from './pod-endpoints.ts';

const ENDPOINTS: ResourceRef = { group: '', version: 'v1', resource: 'endpoints' };
export const HEADLESS_LABEL = 'service.kubernetes.io/headless';
export const OVER_CAPACITY_ANNOTATION = 'endpoints.kubernetes.io/over-capacity';
/** Endpoints hold at most this many addresses; the rest are cut and the object annotated. */
export const MAX_ENDPOINTS_ADDRESSES = 1000;

export interface EndpointAddress {
  ip: string;
  hostname?: string;
  nodeName?: string;
  targetRef: { kind: string; namespace: string; name: string; uid: string };
}

export interface EndpointPort {
  name?: string;
  port: number;
  protocol: string;
  appProtocol?: string;
}

export interface EndpointSubset {
  addresses?: EndpointAddress[];
  notReadyAddresses?: EndpointAddress[];
  ports?: EndpointPort[];
}

function compareAddresses(a: EndpointAddress, b: EndpointAddress): number {
  if (a.ip !== b.ip) return a.ip < b.ip ? -1 : 1;
  return a.targetRef.uid < b.targetRef.uid ? -1 : a.targetRef.uid > b.targetRef.uid ? 1 : 0;
}

/**
 * The subsets for a Service and the pods it selects (upstream syncService then RepackSubsets):
 * addresses sharing the same resolved ports are grouped into one subset, sorted.
 */
function comparePorts(a: EndpointPort, b: EndpointPort): number {
  const an = a.name ?? '';
  const bn = b.name ?? '';
  if (an !== bn) return an < bn ? -1 : 1;
  return a.port - b.port;
}

/**
 * The subsets for a Service and the pods it selects (upstream syncService then RepackSubsets):
 * each address lists under the subset of exactly the ports it resolved, subsets and addresses
 * sorted so the same state always gives the same object.
 */
export function desiredSubsets(service: KubeObject, pods: KubeObject[]): EndpointSubset[] {
  const spec = serviceSpec(service);
  const tolerateUnready = spec.publishNotReadyAddresses === true;
  const headlessNoPorts = (spec.ports ?? []).length === 0 && spec.clusterIP === 'None';
  const subsets = new Map<string, EndpointSubset>();
  for (const pod of pods) {
    if (!selects(spec.selector, pod) || !shouldPodBeInEndpoints(pod, tolerateUnready)) continue;
    const address: EndpointAddress = { ip: podIps(pod)[0], targetRef: podTargetRef(pod) };
    const hostname = podHostname(pod, service);
    if (hostname) address.hostname = hostname;
    const nodeName = podNodeName(pod);
    if (nodeName) address.nodeName = nodeName;
    const ports: EndpointPort[] = [];
    for (const servicePort of spec.ports ?? []) {
      const port = findPort(pod, servicePort);
      if (port === undefined) continue; // this pod lacks the named port
      const endpointPort: EndpointPort = { port, protocol: servicePort.protocol ?? 'TCP' };
      if (servicePort.name) endpointPort.name = servicePort.name;
      if (servicePort.appProtocol) endpointPort.appProtocol = servicePort.appProtocol;
      ports.push(endpointPort);
    }
    // A pod that resolves none of the ports serves nothing (unless headless without ports).
    if (ports.length === 0 && !headlessNoPorts) continue;
    ports.sort(comparePorts);
    const key = canonical(ports);
    let subset = subsets.get(key);
    if (!subset) subsets.set(key, (subset = ports.length ? { ports } : {}));
    const ready = tolerateUnready || isPodReady(pod);
    (subset[ready ? 'addresses' : 'notReadyAddresses'] ??= []).push(address);
  }
  return [...subsets.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, subset]) => {
      subset.addresses?.sort(compareAddresses);
      subset.notReadyAddresses?.sort(compareAddresses);
      const ordered: EndpointSubset = {};
      if (subset.addresses) ordered.addresses = subset.addresses;
      if (subset.notReadyAddresses) ordered.notReadyAddresses = subset.notReadyAddresses;
      if (subset.ports) ordered.ports = subset.ports;
      return ordered;
    });
}

/** Keeps at most max addresses, ready ones first (upstream truncateEndpoints keeps ready first). */
export function truncateSubsets(subsets: EndpointSubset[], max: number): EndpointSubset[] {
  let left = max;
  const take = (list: EndpointAddress[] | undefined) => {
    if (!list) return undefined;
    const kept = list.slice(0, Math.max(0, left));
    left -= kept.length;
    return kept.length ? kept : undefined;
  };
  const withReady = subsets.map((s) => ({ ...s, addresses: take(s.addresses) }));
  return withReady
    .map((s) => ({ ...s, notReadyAddresses: take(s.notReadyAddresses) }))
    .map((s) => {
      const out: EndpointSubset = {};
      if (s.addresses) out.addresses = s.addresses;
      if (s.notReadyAddresses) out.notReadyAddresses = s.notReadyAddresses;
      if (s.ports) out.ports = s.ports;
      return out;
    })
    .filter((s) => s.addresses || s.notReadyAddresses);
}

function addressCount(subsets: EndpointSubset[]): number {
  return subsets.reduce(
    (n, s) => n + (s.addresses?.length ?? 0) + (s.notReadyAddresses?.length ?? 0),
    0,
  );
}

export class EndpointsController implements Controller {
  readonly name = 'endpoints';
  private readonly queue: WorkQueue;
  private services!: Informer;
  private pods!: Informer;
  private endpoints!: Informer;

  constructor(private readonly context: ControllerContext) {
    this.queue = WorkQueue.logged('endpoints controller', context.log, (key) =>
      this.reconcile(key),
    );
  }

  start(): void {
    this.services = this.context.informers.for(SERVICES);
    this.pods = this.context.informers.for(PODS);
    this.endpoints = this.context.informers.for(ENDPOINTS);
    enqueueServicesAndPods(this.services, this.pods, (key) => this.queue.add(key));
    // Someone else's change to an Endpoints object we own is put right.
    const enqueue = (object: KubeObject) => this.queue.add(objectKey(object));
    this.endpoints.addHandlers({ update: (_o, n) => enqueue(n), delete: enqueue });
  }

  stop(): Promise<void> {
    return this.queue.stop();
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const { namespace, name } = splitKey(key);
    if (namespace === 'default' && name === 'kubernetes') return; // the API server's own
    const service = this.services.get(namespace, name);
    const current = this.endpoints.get(namespace, name);
    if (!service) {
      // The Service is gone: so are its Endpoints (upstream deletes them whoever wrote them).
      if (current)
        await this.ignoreNotFound(this.context.client.delete(ENDPOINTS, namespace, name));
      return;
    }
    if (!isManagedService(service)) return;

    const pods = this.pods.list(namespace);
    let subsets = desiredSubsets(service, pods);
    const overCapacity = addressCount(subsets) > MAX_ENDPOINTS_ADDRESSES;
    if (overCapacity) subsets = truncateSubsets(subsets, MAX_ENDPOINTS_ADDRESSES);
    const labels: Record<string, string> = { ...(service.metadata.labels ?? {}) };
    if (serviceSpec(service).clusterIP === 'None') labels[HEADLESS_LABEL] = '';

    if (current) {
      const annotations = { ...(current.metadata.annotations ?? {}) };
      const capacityRight =
        overCapacity === (annotations[OVER_CAPACITY_ANNOTATION] === 'truncated');
      if (
        canonical(current.subsets ?? []) === canonical(subsets) &&
        canonical(current.metadata.labels ?? {}) === canonical(labels) &&
        capacityRight
      )
        return;
      if (overCapacity) annotations[OVER_CAPACITY_ANNOTATION] = 'truncated';
      else delete annotations[OVER_CAPACITY_ANNOTATION];
      const next: KubeObject = {
        ...structuredClone(current),
        metadata: { ...structuredClone(current.metadata), labels, annotations },
      };
      if (Object.keys(annotations).length === 0) delete next.metadata.annotations;
      if (Object.keys(labels).length === 0) delete next.metadata.labels;
      if (subsets.length) next.subsets = subsets;
      else delete next.subsets;
      try {
        await this.context.client.update(ENDPOINTS, namespace, next);
      } catch (err) {
        if (err instanceof StatusError && (err.code === 409 || err.code === 404))
          return { requeueAfterMs: 50 }; // our cache was behind; look again
        throw err;
      }
      return;
    }
    const endpoints: KubeObject = {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name },
    };
    if (Object.keys(labels).length) endpoints.metadata.labels = labels;
    if (overCapacity) endpoints.metadata.annotations = { [OVER_CAPACITY_ANNOTATION]: 'truncated' };
    if (subsets.length) endpoints.subsets = subsets;
    try {
      await this.context.client.create(ENDPOINTS, namespace, endpoints);
    } catch (err) {
      if (err instanceof StatusError && err.code === 409) return { requeueAfterMs: 50 };
      // The namespace is going away: nothing to publish.
      if (err instanceof StatusError && (err.code === 403 || err.code === 404)) return;
      throw err;
    }
  }

  private async ignoreNotFound(work: Promise<unknown>): Promise<void> {
    try {
      await work;
    } catch (err) {
      if (!(err instanceof StatusError && err.code === 404)) throw err;
    }
  }
}
