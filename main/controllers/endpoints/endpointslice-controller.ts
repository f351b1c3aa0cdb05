// The EndpointSlice controller (kube-controller-manager pkg/controller/endpointslice and
// staging/src/k8s.io/endpointslice): for every Service with a selector, EndpointSlices owned by
// the Service listing the selected pods with their ready/serving/terminating conditions, one
// group of slices per resolved port set, at most 100 endpoints a slice.
import { isPodReady } from '../../api/pod-conditions.ts';
import { StatusError } from '../../api/status.ts';
import type { KubeObject, OwnerReference } from '../../api/types.ts';
import type { Informer } from '../../client/informer.ts';
import { splitKey } from '../../client/informer.ts';
import type { ResourceRef } from '../../client/local-client.ts';
import type { Controller, ControllerContext } from '../controller-manager.ts';
import { WorkQueue, type ReconcileResult } from '../runtime/work-queue.ts';
import { HEADLESS_LABEL } from './endpoints-controller.ts';
import {
  PODS,
  SERVICES,
  canonical,
  findPort,
  ipFamilyOf,
  isManagedService,
  podHostname,
  podIps,
  podNodeName,
  podTargetRef,
  selects,
  serviceSpec,
  enqueueServicesAndPods,
  servicesSelecting,
  shouldPodBeInEndpoints,
} from './pod-endpoints.ts';

export const ENDPOINT_SLICES: ResourceRef = {
  group: 'discovery.k8s.io',
  version: 'v1',
  resource: 'endpointslices',
};
const NODES: ResourceRef = { group: '', version: 'v1', resource: 'nodes' };
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
export const CONTROLLER_NAME = 'endpointslice-controller.k8s.io';
export const MAX_ENDPOINTS_PER_SLICE = 100;
const ZONE_LABEL = 'topology.kubernetes.io/zone';

export interface SliceEndpoint {
  addresses: string[];
  conditions: { ready: boolean; serving: boolean; terminating: boolean };
  hostname?: string;
  targetRef: { kind: string; namespace: string; name: string; uid: string };
  nodeName?: string;
  zone?: string;
}

export interface SlicePort {
  name: string;
  protocol: string;
  port: number;
  appProtocol?: string;
}

interface DesiredGroup {
  addressType: string;
  ports: SlicePort[];
  endpoints: SliceEndpoint[];
}

/**
 * The desired content for a Service: endpoint groups keyed by address type and port set
 * (upstream reconcileByAddressType). `missingNode` tells whether a pod was skipped because its
 * node is unknown, so the caller retries later.
 */
export function desiredSliceGroups(
  service: KubeObject,
  pods: KubeObject[],
  nodeOf: (name: string) => KubeObject | undefined,
): { groups: Map<string, DesiredGroup>; addressTypes: string[]; missingNode: boolean } {
  const spec = serviceSpec(service);
  const addressTypes = spec.ipFamilies?.length ? spec.ipFamilies : ['IPv4'];
  const publishNotReady = spec.publishNotReadyAddresses === true;
  const groups = new Map<string, DesiredGroup>();
  let missingNode = false;
  for (const pod of pods) {
    // Terminating pods stay in slices, marked terminating.
    if (!selects(spec.selector, pod) || !shouldPodBeInEndpoints(pod, true)) continue;
    const nodeName = podNodeName(pod);
    const node = nodeName ? nodeOf(nodeName) : undefined;
    if (!node && !publishNotReady) {
      // Upstream skips a pod whose node does not exist (yet), unless not-ready pods are published.
      missingNode = true;
      continue;
    }
    const ports: SlicePort[] = [];
    for (const servicePort of spec.ports ?? []) {
      const port = findPort(pod, servicePort);
      if (port === undefined) continue;
      const slicePort: SlicePort = {
        name: servicePort.name ?? '',
        protocol: servicePort.protocol ?? 'TCP',
        port,
      };
      if (servicePort.appProtocol) slicePort.appProtocol = servicePort.appProtocol;
      ports.push(slicePort);
    }
    ports.sort((a, b) => (a.name !== b.name ? (a.name < b.name ? -1 : 1) : a.port - b.port));
    const serving = isPodReady(pod);
    const terminating = pod.metadata.deletionTimestamp !== undefined;
    // A terminating pod is never ready unless not-ready addresses are published anyway.
    const ready = publishNotReady || (serving && !terminating);
    for (const addressType of addressTypes) {
      const ip = podIps(pod).find((candidate) => ipFamilyOf(candidate) === addressType);
      if (!ip) continue;
      const endpoint: SliceEndpoint = {
        addresses: [ip],
        conditions: { ready, serving, terminating },
        targetRef: podTargetRef(pod),
      };
      const hostname = podHostname(pod, service);
      if (hostname) endpoint.hostname = hostname;
      if (nodeName) endpoint.nodeName = nodeName;
      const zone = node?.metadata.labels?.[ZONE_LABEL];
      if (zone) endpoint.zone = zone;
      const key = `${addressType}|${canonical(ports)}`;
      let group = groups.get(key);
      if (!group) groups.set(key, (group = { addressType, ports, endpoints: [] }));
      group.endpoints.push(endpoint);
    }
  }
  for (const group of groups.values())
    group.endpoints.sort((a, b) =>
      a.addresses[0] !== b.addresses[0]
        ? a.addresses[0] < b.addresses[0]
          ? -1
          : 1
        : a.targetRef.uid < b.targetRef.uid
          ? -1
          : 1,
    );
  return { groups, addressTypes, missingNode };
}

function ownerReference(service: KubeObject): OwnerReference {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    name: service.metadata.name ?? '',
    uid: service.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** Service labels (minus the ones the controller sets) plus service-name, managed-by, headless. */
export function sliceLabels(service: KubeObject): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [key, value] of Object.entries(service.metadata.labels ?? {}))
    if (key !== SERVICE_NAME_LABEL && key !== MANAGED_BY_LABEL) labels[key] = value;
  labels[SERVICE_NAME_LABEL] = service.metadata.name ?? '';
  labels[MANAGED_BY_LABEL] = CONTROLLER_NAME;
  if (serviceSpec(service).clusterIP === 'None') labels[HEADLESS_LABEL] = '';
  return labels;
}

function slicePortsKey(slice: KubeObject): string {
  const ports = ((slice.ports ?? []) as SlicePort[]).map((p) => {
    const port: SlicePort = { name: p.name ?? '', protocol: p.protocol ?? 'TCP', port: p.port };
    if (p.appProtocol) port.appProtocol = p.appProtocol;
    return port;
  });
  ports.sort((a, b) => (a.name !== b.name ? (a.name < b.name ? -1 : 1) : a.port - b.port));
  return `${slice.addressType as string}|${canonical(ports)}`;
}

export class EndpointSliceController implements Controller {
  readonly name = 'endpointslice';
  private readonly queue: WorkQueue;
  private services!: Informer;
  private pods!: Informer;
  private slices!: Informer;
  private nodes!: Informer;

  constructor(private readonly context: ControllerContext) {
    this.queue = WorkQueue.logged('endpointslice controller', context.log, (key) =>
      this.reconcile(key),
    );
  }

  start(): void {
    this.services = this.context.informers.for(SERVICES);
    this.pods = this.context.informers.for(PODS);
    this.slices = this.context.informers.for(ENDPOINT_SLICES);
    this.nodes = this.context.informers.for(NODES);
    enqueueServicesAndPods(this.services, this.pods, (key) => this.queue.add(key));
    // A managed slice changed or deleted by someone else is put right.
    const sliceChanged = (slice: KubeObject) => {
      const labels = slice.metadata.labels ?? {};
      if (labels[MANAGED_BY_LABEL] !== CONTROLLER_NAME || !labels[SERVICE_NAME_LABEL]) return;
      this.queue.add(`${slice.metadata.namespace}/${labels[SERVICE_NAME_LABEL]}`);
    };
    this.slices.addHandlers({ update: (_o, n) => sliceChanged(n), delete: sliceChanged });
    // Zones and node existence shape endpoints: a node change revisits Services with pods there.
    const nodeChanged = (node: KubeObject) => {
      const name = node.metadata.name;
      for (const pod of this.pods.list()) {
        if (podNodeName(pod) !== name) continue;
        const services = this.services.list(pod.metadata.namespace ?? '');
        for (const key of servicesSelecting(services, [pod])) this.queue.add(key);
      }
    };
    this.nodes.addHandlers({
      add: nodeChanged,
      update: (old, node) => {
        if (old.metadata.labels?.[ZONE_LABEL] !== node.metadata.labels?.[ZONE_LABEL])
          nodeChanged(node);
      },
      delete: nodeChanged,
    });
  }

  stop(): Promise<void> {
    return this.queue.stop();
  }

  private managedSlices(namespace: string, serviceName: string): KubeObject[] {
    return this.slices.list(namespace).filter((slice) => {
      const labels = slice.metadata.labels ?? {};
      return (
        labels[SERVICE_NAME_LABEL] === serviceName && labels[MANAGED_BY_LABEL] === CONTROLLER_NAME
      );
    });
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const { namespace, name } = splitKey(key);
    if (namespace === 'default' && name === 'kubernetes') return; // the API server's own
    const service = this.services.get(namespace, name);
    const existing = this.managedSlices(namespace, name);
    // Without the Service its slices go by garbage collection (ownerReferences). An ExternalName
    // Service loses the slices this controller made; a selector-less one keeps whatever it has.
    if (!service) return;
    if (!isManagedService(service)) {
      if (serviceSpec(service).type === 'ExternalName')
        for (const slice of existing) await this.deleteSlice(slice);
      return;
    }
    const uid = service.metadata.uid;
    const { groups, addressTypes, missingNode } = desiredSliceGroups(
      service,
      this.pods.list(namespace),
      (nodeName) => this.nodes.get('', nodeName),
    );
    const labels = sliceLabels(service);
    const owner = ownerReference(service);

    // Slices of another Service incarnation or of an address type no longer served go.
    const usable: KubeObject[] = [];
    for (const slice of existing) {
      const owned = (slice.metadata.ownerReferences ?? []).some((r) => r.uid === uid);
      if (!owned || !addressTypes.includes(slice.addressType as string))
        await this.deleteSlice(slice);
      else usable.push(slice);
    }
    const byKey = new Map<string, KubeObject[]>();
    for (const slice of usable) {
      const sliceKey = slicePortsKey(slice);
      byKey.set(sliceKey, [...(byKey.get(sliceKey) ?? []), slice]);
    }
    for (const list of byKey.values())
      list.sort((a, b) => ((a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1));

    const wanted: {
      addressType: string;
      ports: SlicePort[];
      endpoints: SliceEndpoint[];
      reuse?: KubeObject;
    }[] = [];
    for (const [groupKey, group] of groups) {
      const reusable = byKey.get(groupKey) ?? [];
      byKey.delete(groupKey);
      for (let i = 0; i < group.endpoints.length; i += MAX_ENDPOINTS_PER_SLICE) {
        wanted.push({
          addressType: group.addressType,
          ports: group.ports,
          endpoints: group.endpoints.slice(i, i + MAX_ENDPOINTS_PER_SLICE),
          reuse: reusable.shift(),
        });
      }
      if (reusable.length) byKey.set(`${groupKey}#extra`, reusable);
    }
    let leftovers = [...byKey.values()].flat();
    // No endpoints at all: one empty placeholder slice, so consumers see the Service was handled.
    if (wanted.length === 0) {
      const reuse = leftovers.find((s) => s.addressType === addressTypes[0]) ?? undefined;
      leftovers = leftovers.filter((s) => s !== reuse);
      wanted.push({ addressType: addressTypes[0], ports: [], endpoints: [], reuse });
    }
    for (const slice of leftovers) await this.deleteSlice(slice);
    for (const want of wanted) await this.writeSlice(service, want, labels, owner);
    if (missingNode) return { requeueAfterMs: 5000 };
  }

  private async writeSlice(
    service: KubeObject,
    want: {
      addressType: string;
      ports: SlicePort[];
      endpoints: SliceEndpoint[];
      reuse?: KubeObject;
    },
    labels: Record<string, string>,
    owner: OwnerReference,
  ): Promise<void> {
    const namespace = service.metadata.namespace ?? '';
    const current = want.reuse;
    try {
      if (current) {
        const same =
          canonical(current.endpoints ?? []) === canonical(want.endpoints) &&
          slicePortsKey(current) === `${want.addressType}|${canonical(want.ports)}` &&
          canonical(current.metadata.labels ?? {}) === canonical(labels) &&
          (current.metadata.ownerReferences ?? []).some(
            (r) => r.uid === owner.uid && r.controller === true,
          );
        if (same) return;
        const next: KubeObject = {
          ...structuredClone(current),
          metadata: { ...structuredClone(current.metadata), labels, ownerReferences: [owner] },
          endpoints: want.endpoints,
        };
        if (want.ports.length) next.ports = want.ports;
        else delete next.ports;
        await this.context.client.update(ENDPOINT_SLICES, namespace, next);
        return;
      }
      const slice: KubeObject = {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: {
          generateName: `${service.metadata.name}-`,
          labels,
          ownerReferences: [owner],
        },
        addressType: want.addressType,
        endpoints: want.endpoints,
      };
      if (want.ports.length) slice.ports = want.ports;
      await this.context.client.create(ENDPOINT_SLICES, namespace, slice);
    } catch (err) {
      // The namespace is going away: nothing to publish.
      if (err instanceof StatusError && err.code === 403 && !current) return;
      throw err; // a stale cache (409/404) retries with back-off
    }
  }

  private async deleteSlice(slice: KubeObject): Promise<void> {
    try {
      await this.context.client.delete(
        ENDPOINT_SLICES,
        slice.metadata.namespace ?? '',
        slice.metadata.name ?? '',
        { preconditions: { uid: slice.metadata.uid } },
      );
    } catch (err) {
      if (!(err instanceof StatusError && err.code === 404)) throw err;
    }
  }
}
