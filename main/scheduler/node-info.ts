// The scheduler's view of pods and nodes (kube-scheduler framework.NodeInfo and
// component-helpers resource.PodRequests): what a pod asks for, what a node offers, and what the
// pods already on it use. Runtime-free and pure, so filters and scores can be unit-tested.
import type { KubeObject } from '../api/types.ts';
import { quantityMilliValue, quantityOrZero, quantityValue } from '../api/quantity.ts';

/** Requests in scheduler units: milli-CPU, bytes, and integer values for everything else. */
export interface Resources {
  milliCPU: number;
  memory: number;
  ephemeralStorage: number;
  /** Extended resources (nvidia.com/gpu, hugepages-2Mi…), by name. */
  scalar: Record<string, number>;
}

export interface HostPort {
  ip: string;
  protocol: string;
  port: number;
}

export interface Taint {
  key: string;
  value?: string;
  effect: string;
}

export interface Toleration {
  key?: string;
  operator?: string;
  value?: string;
  effect?: string;
}

export interface NodeInfo {
  node: KubeObject;
  name: string;
  labels: Record<string, string>;
  pods: KubeObject[];
  allocatable: Resources;
  allowedPodNumber: number;
  requested: Resources;
  /** Requests with kube's defaults for containers that ask for nothing, used by scoring. */
  nonZeroRequested: Resources;
  usedPorts: HostPort[];
  /** The pods with any pod (anti-)affinity, the only ones whose terms affect other pods. */
  podsWithAffinity: KubeObject[];
}

/** schedutil.DefaultMilliCPURequest and DefaultMemoryRequest: 0.1 core and 200 MB. */
export const DEFAULT_MILLI_CPU_REQUEST = 100;
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

interface Container {
  name?: string;
  restartPolicy?: string;
  resources?: { requests?: Record<string, unknown> };
  ports?: { hostPort?: number; hostIP?: string; protocol?: string }[];
}

export interface PodSpec {
  nodeName?: string;
  schedulerName?: string;
  nodeSelector?: Record<string, string>;
  tolerations?: Toleration[];
  containers?: Container[];
  initContainers?: Container[];
  overhead?: Record<string, unknown>;
  resources?: { requests?: Record<string, unknown> };
  priority?: number;
  preemptionPolicy?: string;
  schedulingGates?: { name: string }[];
  affinity?: Record<string, unknown>;
  topologySpreadConstraints?: Record<string, unknown>[];
}

export function podSpec(pod: KubeObject): PodSpec {
  const spec: unknown = pod.spec;
  return spec ?? {};
}

export function emptyResources(): Resources {
  return { milliCPU: 0, memory: 0, ephemeralStorage: 0, scalar: {} };
}

/** Adds a ResourceList (wire form) to r, as framework.Resource.Add does. */
export function addResourceList(r: Resources, list: Record<string, unknown> | undefined): void {
  for (const [name, value] of Object.entries(list ?? {})) {
    const q = quantityOrZero(value);
    if (name === 'cpu') r.milliCPU += Number(quantityMilliValue(q));
    else if (name === 'memory') r.memory += Number(quantityValue(q));
    else if (name === 'ephemeral-storage') r.ephemeralStorage += Number(quantityValue(q));
    else if (name !== 'pods' && isScalarResourceName(name))
      r.scalar[name] = (r.scalar[name] ?? 0) + Number(quantityValue(q));
  }
}

/** Extended (domain-qualified, not kubernetes.io), hugepages and attachable-volume resources. */
export function isScalarResourceName(name: string): boolean {
  if (name.startsWith('hugepages-') || name.startsWith('attachable-volumes-')) return true;
  if (!name.includes('/')) return false;
  return !name.startsWith('kubernetes.io/') && !name.includes('.kubernetes.io/');
}

function maxInto(target: Resources, other: Resources): void {
  target.milliCPU = Math.max(target.milliCPU, other.milliCPU);
  target.memory = Math.max(target.memory, other.memory);
  target.ephemeralStorage = Math.max(target.ephemeralStorage, other.ephemeralStorage);
  for (const [k, v] of Object.entries(other.scalar))
    target.scalar[k] = Math.max(target.scalar[k] ?? 0, v);
}

function addInto(target: Resources, other: Resources): void {
  target.milliCPU += other.milliCPU;
  target.memory += other.memory;
  target.ephemeralStorage += other.ephemeralStorage;
  for (const k in other.scalar) target.scalar[k] = (target.scalar[k] ?? 0) + other.scalar[k];
}

function containerRequests(c: Container, nonZero: boolean): Resources {
  const r = emptyResources();
  addResourceList(r, c.resources?.requests);
  if (nonZero) {
    const req = c.resources?.requests ?? {};
    if (req.cpu === undefined) r.milliCPU = DEFAULT_MILLI_CPU_REQUEST;
    if (req.memory === undefined) r.memory = DEFAULT_MEMORY_REQUEST;
  }
  return r;
}

/**
 * resource.PodRequests: the sum of the app containers and the sidecars (restartable init
 * containers), or the largest init-container phase if that is larger, plus the pod overhead.
 * Pod-level requests (spec.resources) replace the container sum for cpu and memory.
 */
export function podRequests(pod: KubeObject, nonZero = false): Resources {
  // Informer objects are replaced, never changed, on update: derived values can be kept per object.
  const memo = nonZero ? nonZeroRequestsMemo : requestsMemo;
  let cached = memo.get(pod);
  if (!cached) {
    cached = computePodRequests(pod, nonZero);
    memo.set(pod, cached);
  }
  return cached;
}

const requestsMemo = new WeakMap<KubeObject, Resources>();
const nonZeroRequestsMemo = new WeakMap<KubeObject, Resources>();

function computePodRequests(pod: KubeObject, nonZero: boolean): Resources {
  const spec = podSpec(pod);
  const reqs = emptyResources();
  for (const c of spec.containers ?? []) addInto(reqs, containerRequests(c, nonZero));
  const restartable = emptyResources();
  const initMax = emptyResources();
  for (const c of spec.initContainers ?? []) {
    const own = containerRequests(c, nonZero);
    if (c.restartPolicy === 'Always') {
      addInto(reqs, own);
      addInto(restartable, own);
      maxInto(initMax, restartable);
    } else {
      const phase = emptyResources();
      addInto(phase, own);
      addInto(phase, restartable);
      maxInto(initMax, phase);
    }
  }
  maxInto(reqs, initMax);
  const podLevel = spec.resources?.requests;
  if (podLevel) {
    const p = emptyResources();
    addResourceList(p, podLevel);
    if (podLevel.cpu !== undefined) reqs.milliCPU = p.milliCPU;
    if (podLevel.memory !== undefined) reqs.memory = p.memory;
  }
  if (spec.overhead) {
    const o = emptyResources();
    addResourceList(o, spec.overhead);
    addInto(reqs, o);
  }
  return reqs;
}

/** The host ports a pod binds (app containers and sidecars), with kube's defaults filled in. */
export function podHostPorts(pod: KubeObject): HostPort[] {
  let cached = portsMemo.get(pod);
  if (!cached) {
    cached = computeHostPorts(pod);
    portsMemo.set(pod, cached);
  }
  return cached;
}

const portsMemo = new WeakMap<KubeObject, HostPort[]>();

function computeHostPorts(pod: KubeObject): HostPort[] {
  const spec = podSpec(pod);
  const containers = [
    ...(spec.containers ?? []),
    ...(spec.initContainers ?? []).filter((c) => c.restartPolicy === 'Always'),
  ];
  const out: HostPort[] = [];
  for (const c of containers) {
    for (const p of c.ports ?? []) {
      if (!p.hostPort || p.hostPort <= 0) continue;
      out.push({ ip: p.hostIP || '0.0.0.0', protocol: p.protocol || 'TCP', port: p.hostPort });
    }
  }
  return out;
}

export function nodeTaints(node: KubeObject): Taint[] {
  // Informer objects are replaced, never changed, on update: the list can be kept per object.
  let cached = taintsMemo.get(node);
  if (!cached) {
    cached = ((node.spec as { taints?: Taint[] } | undefined)?.taints ?? []).filter(
      (t) => typeof t?.key === 'string',
    );
    taintsMemo.set(node, cached);
  }
  return cached;
}

const taintsMemo = new WeakMap<KubeObject, Taint[]>();

/** Whether a pod counts on a node: bound there and not finished (the scheduler's cache). */
export function isActiveAssignedPod(pod: KubeObject): boolean {
  const phase = (pod.status as { phase?: string } | undefined)?.phase;
  return !!podSpec(pod).nodeName && phase !== 'Succeeded' && phase !== 'Failed';
}

export function buildNodeInfo(node: KubeObject, pods: KubeObject[]): NodeInfo {
  const requested = emptyResources();
  const nonZeroRequested = emptyResources();
  for (const pod of pods) addPodRequests(requested, nonZeroRequested, pod);
  return assembleNodeInfo(node, pods, requested, nonZeroRequested);
}

/** Adds what the pod asks for to a node's sums (framework.NodeInfo.AddPod's resource part). */
export function addPodRequests(
  requested: Resources,
  nonZeroRequested: Resources,
  pod: KubeObject,
): void {
  addInto(requested, podRequests(pod));
  addInto(nonZeroRequested, podRequests(pod, true));
}

/** True when the pod has pod affinity or anti-affinity terms. */
export function hasPodAffinity(pod: KubeObject): boolean {
  const affinity = podSpec(pod).affinity;
  return !!affinity && !!(affinity.podAffinity || affinity.podAntiAffinity);
}

export function copyResources(r: Resources): Resources {
  return { ...r, scalar: { ...r.scalar } };
}

/**
 * A NodeInfo from the node, its pods and their summed requests. `scan` false says that no pod has
 * host ports or pod (anti-)affinity, so the pods need not be looked at again.
 */
export function assembleNodeInfo(
  node: KubeObject,
  pods: KubeObject[],
  requested: Resources,
  nonZeroRequested: Resources,
  scan = { ports: true, affinity: true },
): NodeInfo {
  const usedPorts: HostPort[] = [];
  const podsWithAffinity: KubeObject[] = [];
  if (scan.ports || scan.affinity) {
    for (const pod of pods) {
      if (scan.ports) for (const port of podHostPorts(pod)) usedPorts.push(port);
      if (scan.affinity && hasPodAffinity(pod)) podsWithAffinity.push(pod);
    }
  }
  const { allocatable, allowedPodNumber } = nodeAllocatable(node);
  return {
    node,
    name: node.metadata.name ?? '',
    labels: node.metadata.labels ?? {},
    pods,
    allocatable,
    allowedPodNumber,
    requested,
    nonZeroRequested,
    usedPorts,
    podsWithAffinity,
  };
}

/** The node's allocatable resources and pod count, parsed once per node object (never changed). */
function nodeAllocatable(node: KubeObject): { allocatable: Resources; allowedPodNumber: number } {
  let cached = allocatableMemo.get(node);
  if (!cached) {
    const status = (node.status ?? {}) as { allocatable?: Record<string, unknown> };
    const allocatable = emptyResources();
    addResourceList(allocatable, status.allocatable);
    cached = {
      allocatable,
      allowedPodNumber: Number(quantityValue(quantityOrZero(status.allocatable?.pods))),
    };
    allocatableMemo.set(node, cached);
  }
  // A copy, so that no NodeInfo's change can reach another.
  return {
    allocatable: copyResources(cached.allocatable),
    allowedPodNumber: cached.allowedPodNumber,
  };
}

const allocatableMemo = new WeakMap<
  KubeObject,
  { allocatable: Resources; allowedPodNumber: number }
>();
