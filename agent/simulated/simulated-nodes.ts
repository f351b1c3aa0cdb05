// Simulated nodes (what kwok does for Kubernetes): every Node annotated `skiff.dev/simulated: "true"`
// — registered here for --simulated-nodes, or created by anyone through the API — gets a Lease that
// is renewed and node status posted like kubelet, and the pods bound to it "run" as status only, no
// containers. Nodes and pods are reconciled level-based (informers + work queues) as kubelet's node
// status loop, pod workers and status manager do; annotations steer what the simulation does.
import { createHash } from 'node:crypto';
import { StatusError } from '../../main/api/status.ts';
import type { KubeObject } from '../../main/api/types.ts';
import type { LocalClient } from '../../main/client/local-client.ts';
import { Informer, objectKey, type InformerFactory } from '../../main/client/informer.ts';
import { WorkQueue, type ReconcileResult } from '../../main/controllers/runtime/work-queue.ts';
import { simulatedUsage, type SimulatedUsage } from './simulated-usage.ts';
import {
  containersOf,
  deepEqual,
  goArch,
  iso,
  isTerminalPhase,
  KUBELET_VERSION,
  specOf,
  statusOf,
  type Obj,
} from '../kubelet/common.ts';
import { buildPodStatus, type ContainerStatus } from '../kubelet/pod-status.ts';
import { crashLoopDelay, crashLoopMessage } from '../kubelet/backoff.ts';
import {
  defaultNodeLabels,
  LEASE_NAMESPACE,
  LEASES,
  NodeHeartbeat,
  nodeConditions,
  NODES,
} from '../kubelet/node-status.ts';

const PODS = { group: '', version: 'v1', resource: 'pods' };

/** Node annotation: "true" makes this component simulate the node (like kwok's node selector). */
export const SIMULATED_ANNOTATION = 'skiff.dev/simulated';
/** Node annotation: "false" stops Lease renewals and status writes, like a partitioned kubelet. */
export const SIMULATE_HEARTBEAT = 'skiff.dev/simulate-heartbeat';
/** The container exits this many seconds after it started. */
export const SIMULATE_RUN_SECONDS = 'skiff.dev/simulate-run-seconds';
/** Exit code of a container that exits (default 0). */
export const SIMULATE_EXIT_CODE = 'skiff.dev/simulate-exit-code';
/** "true": containers run but never become ready. */
export const SIMULATE_NEVER_READY = 'skiff.dev/simulate-never-ready';

export { KUBELET_VERSION };

/** What a simulated node has when its Node does not say (status.capacity / allocatable). */
export const DEFAULT_NODE_RESOURCES: Readonly<Record<string, string>> = {
  cpu: '8',
  'ephemeral-storage': '100Gi',
  memory: '16Gi',
  pods: '110',
};

export interface SimulatedNodesOptions {
  client: LocalClient;
  /** start() makes sure Nodes `<namePrefix>1` … `<namePrefix><count>` exist and are simulated. */
  count: number;
  namePrefix?: string;
  log?: (line: string) => void;
  /** Shared informers; without them the component lists and watches nodes and pods itself. */
  informers?: InformerFactory;
  /** Where reported usage goes (default: the process-wide `simulatedUsage`). */
  usage?: SimulatedUsage;
  /** Lease renewal interval (kubelet: 10 s, a quarter of leaseDurationSeconds). */
  leaseRenewIntervalMs?: number;
  /** How often node status is computed (kubelet nodeStatusUpdateFrequency, 10 s). */
  statusUpdateIntervalMs?: number;
  /** Unchanged node status is still posted this often (kubelet nodeStatusReportFrequency, 5 min). */
  statusReportIntervalMs?: number;
  /** First crash-loop back-off (kubelet: 10 s, doubling to 5 min). */
  restartBackoffMs?: number;
  /** Node InternalIPs come from this /16 (default 10.255.0.0); pod IPs from podNetwork (/12). */
  nodeNetwork?: string;
  podNetwork?: string;
}

/** A Node this component simulates right now. */
interface SimNode {
  name: string;
  /** The Node object it simulates; a Node recreated under the same name is a new SimNode. */
  uid: string;
  ip: string;
  heartbeat: boolean;
  /** Lease renewed and status posted once since it was taken on. */
  registered: boolean;
  beat: NodeHeartbeat;
  timers: NodeJS.Timeout[];
  /** Its registration as the metrics source of this node (NodeMetrics, PodMetrics). */
  metrics: { dispose(): void };
}

/** True when the Node asks to be simulated. */
export function isSimulatedNode(node: KubeObject): boolean {
  return node.metadata.annotations?.[SIMULATED_ANNOTATION] === 'true';
}

interface Terminated {
  exitCode: number;
  reason: string;
  startedAt: number;
  finishedAt: number;
  containerID: string;
}

interface ContainerRun {
  name: string;
  image: string;
  startedAt: number;
  containerID: string;
  restartCount: number;
  last?: Terminated;
  /** In crash-loop back-off until then. */
  waitingUntil?: number;
  /** Exited for good (restartPolicy does not restart it, or the pod was killed). */
  terminated?: Terminated;
}

interface PodRun {
  uid: string;
  nodeName: string;
  ip: string;
  allocatedIp: boolean;
  startTime: number;
  init: ContainerRun[];
  containers: ContainerRun[];
  /** Graceful deletion: containers are stopped at this time. */
  killAt?: number;
}

function ipToInt(ip: string): number {
  return ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

function intToIp(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

function sha(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function internalIpOf(node: KubeObject): string | undefined {
  const addresses = (node.status as Obj | undefined)?.addresses;
  if (!Array.isArray(addresses)) return undefined;
  const found = (addresses as Obj[]).find((a) => a.type === 'InternalIP');
  return typeof found?.address === 'string' ? found.address : undefined;
}

export class SimulatedNodes {
  private readonly client: LocalClient;
  private readonly prefix: string;
  private readonly log: (line: string) => void;
  private readonly usage: SimulatedUsage;
  private readonly nodes = new Map<string, SimNode>();
  private readonly runs = new Map<string, PodRun>();
  private readonly usedIps = new Set<number>();
  /** Node InternalIPs handed out, and to which node. */
  private readonly nodeIps = new Map<string, string>();
  private nextIp = 1;
  private readonly podBase: number;
  private readonly podSize: number;
  private readonly nodeBase: number;
  private readonly queue: WorkQueue;
  private readonly nodeQueue: WorkQueue;
  private readonly podInformer: Informer;
  private readonly nodeInformer: Informer;
  private readonly ownInformers: boolean;
  private started = false;
  /** Log nodes taken on or let go, once the ones present at start are (not 100 lines at start). */
  private announce = false;
  private readonly inFlight = new Set<Promise<void>>();
  /** Callers of start()/addNode()/… waiting for the node reconciler to reach some state. */
  private readonly waiters = new Set<() => void>();

  constructor(private readonly options: SimulatedNodesOptions) {
    this.client = options.client;
    this.prefix = options.namePrefix ?? 'skiff-sim-';
    this.log = options.log ?? (() => undefined);
    this.usage = options.usage ?? simulatedUsage;
    this.podBase = ipToInt(options.podNetwork ?? '10.224.0.0');
    this.podSize = 2 ** 20 - 2;
    this.nodeBase = ipToInt(options.nodeNetwork ?? '10.255.0.0');
    this.queue = new WorkQueue(
      (key) => this.reconcile(key),
      (key, err) => this.log(`simulated nodes: pod ${key}: ${(err as Error).message}`),
    );
    this.nodeQueue = new WorkQueue(
      (name) => this.reconcileNode(name),
      (name, err) => this.log(`simulated nodes: node ${name}: ${(err as Error).message}`),
    );
    this.ownInformers = !options.informers;
    this.podInformer = options.informers?.for(PODS) ?? new Informer(this.client, PODS);
    this.nodeInformer = options.informers?.for(NODES) ?? new Informer(this.client, NODES);
  }

  /** Names of the nodes this component simulates now. */
  get nodeNames(): string[] {
    return [...this.nodes.keys()];
  }

  /**
   * Starts simulating every annotated Node (adopting those an earlier run left in the store),
   * makes sure `<prefix>1` … `<prefix><count>` exist, and resolves once those are simulated.
   */
  async start(): Promise<void> {
    this.started = true;
    this.nodeInformer.addHandlers({
      add: (node) => this.nodeQueue.add(node.metadata.name ?? ''),
      update: (_old, node) => this.nodeQueue.add(node.metadata.name ?? ''),
      delete: (node) => this.nodeQueue.add(node.metadata.name ?? ''),
    });
    this.podInformer.addHandlers({
      add: (pod) => this.enqueue(pod),
      update: (_old, pod) => this.enqueue(pod),
      delete: (pod) => {
        if (this.runs.has(objectKey(pod))) this.queue.add(objectKey(pod));
      },
    });
    for (const informer of [this.nodeInformer, this.podInformer])
      if (this.ownInformers || !informer.hasSynced) informer.start();
    const names = Array.from({ length: this.options.count }, (_, i) => `${this.prefix}${i + 1}`);
    for (const name of names) await this.ensureNode(name);
    await this.waitUntil(
      () => names.every((name) => this.nodes.get(name)?.registered),
      `registering ${names.length} node(s)`,
      30_000 + names.length * 100,
    );
    this.announce = true;
  }

  /** Stops heartbeats and pod work; the Node objects stay (they turn NotReady, as a stopped kubelet's do). */
  async stop(): Promise<void> {
    this.started = false;
    for (const node of this.nodes.values()) for (const t of node.timers) clearInterval(t);
    if (this.ownInformers) {
      this.nodeInformer.stop();
      this.podInformer.stop();
    }
    await Promise.all([this.queue.stop(), this.nodeQueue.stop()]);
    await Promise.all(this.inFlight);
    // A node reconcile that was under way may have taken a node on meanwhile.
    for (const node of this.nodes.values()) {
      for (const t of node.timers) clearInterval(t);
      node.metrics.dispose();
    }
    for (const waiter of this.waiters) waiter();
  }

  /**
   * Creates a simulated Node through the API (the next free `<prefix>N` when no name is given),
   * as `kubectl apply` of an annotated Node does, and resolves once it is simulated.
   */
  async addNode(name?: string): Promise<string> {
    let nodeName = name;
    if (!nodeName) {
      let i = 1;
      while (
        this.nodes.has(`${this.prefix}${i}`) ||
        this.client.tryGet(NODES, '', `${this.prefix}${i}`)
      )
        i++;
      nodeName = `${this.prefix}${i}`;
    }
    await this.ensureNode(nodeName);
    const target = nodeName;
    await this.waitUntil(() => this.nodes.get(target)?.registered === true, `adding ${target}`);
    return nodeName;
  }

  /** Deletes the Node through the API (`kubectl delete node`); resolves when its Lease is gone too. */
  async removeNode(name: string): Promise<void> {
    try {
      await this.client.delete(NODES, '', name);
    } catch (err) {
      if (!(err instanceof StatusError && err.code === 404)) throw err;
    }
    await this.waitUntil(
      () => !this.nodes.has(name) && !this.client.tryGet(LEASES, LEASE_NAMESPACE, name),
      `removing ${name}`,
    );
  }

  /** Sets or clears the `skiff.dev/simulate-heartbeat: "false"` annotation and waits for it to apply. */
  async setHeartbeat(name: string, on: boolean): Promise<void> {
    await this.client.patch(NODES, '', name, 'application/merge-patch+json', {
      metadata: { annotations: { [SIMULATE_HEARTBEAT]: on ? null : 'false' } },
    });
    await this.waitUntil(
      () => this.nodes.get(name)?.heartbeat === on,
      `turning the heartbeat of ${name} ${on ? 'on' : 'off'}`,
    );
  }

  /** Heartbeats run in the background; stop() waits for the ones under way. */
  private track(work: Promise<void>): void {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  /** Resolves when `check` holds after some node reconcile (or at once); rejects after timeoutMs. */
  private waitUntil(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = (err?: Error) => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
        if (err) reject(err);
        else resolve();
      };
      const waiter = () => {
        if (!this.started) done(new Error(`simulated nodes stopped before ${what}`));
        else if (check()) done();
      };
      const timer = setTimeout(
        () => done(new Error(`simulated nodes: ${what} did not finish within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.waiters.add(waiter);
    });
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  // ---- nodes -------------------------------------------------------------------------------

  /** Creates the Node with the annotation (as kubelet registers), or annotates the one that exists. */
  private async ensureNode(name: string): Promise<void> {
    const existing = this.client.tryGet(NODES, '', name);
    if (existing) {
      if (!isSimulatedNode(existing))
        await this.client.patch(NODES, '', name, 'application/merge-patch+json', {
          metadata: { annotations: { [SIMULATED_ANNOTATION]: 'true' } },
        });
      return;
    }
    const ip = this.allocateNodeIp();
    this.nodeIps.set(ip, name);
    const arch = goArch();
    const node: KubeObject = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name,
        labels: {
          ...defaultNodeLabels(name),
          'beta.kubernetes.io/arch': arch,
          'beta.kubernetes.io/os': 'linux',
          type: 'simulated',
        },
        annotations: { 'node.alpha.kubernetes.io/ttl': '0', [SIMULATED_ANNOTATION]: 'true' },
      },
      spec: {},
    };
    node.status = this.nodeStatus(name, ip, undefined, Date.now());
    try {
      await this.client.create(NODES, '', node);
    } catch (err) {
      if (!(err instanceof StatusError && err.code === 409)) throw err;
      await this.ensureNode(name);
    }
  }

  /** The lowest free address of the node network not used by any Node. */
  private allocateNodeIp(): string {
    const taken = new Set(this.nodeIps.keys());
    for (const node of this.nodeInformer.list()) {
      const ip = internalIpOf(node);
      if (ip) taken.add(ip);
    }
    for (let i = 1; i < 65_535; i++) {
      const ip = intToIp(this.nodeBase + i);
      if (!taken.has(ip)) return ip;
    }
    throw new Error('simulated node network is full');
  }

  /**
   * One Node: simulate it when it carries the annotation, stop when it no longer does or is gone
   * (a deleted Node's Lease goes with it), and follow its heartbeat annotation.
   */
  private async reconcileNode(name: string): Promise<ReconcileResult> {
    if (!this.started) return;
    try {
      const object = this.nodeInformer.get('', name);
      const wanted = object && isSimulatedNode(object) && !object.metadata.deletionTimestamp;
      let node = this.nodes.get(name);
      const sameNode = node !== undefined && node.uid === object?.metadata.uid;
      if (node && (!wanted || !sameNode)) {
        this.release(node);
        // The Lease belongs to the Node (kube's garbage collector would remove it too).
        if (!sameNode) await this.deleteLease(name);
        node = undefined;
      }
      if (!object || !wanted) return;
      if (!node) node = this.adopt(object);
      const heartbeat = object.metadata.annotations?.[SIMULATE_HEARTBEAT] !== 'false';
      const resumed = heartbeat && (!node.heartbeat || !node.registered);
      node.heartbeat = heartbeat;
      if (!node.registered) await this.addDefaultLabels(object);
      if (resumed) {
        await node.beat.renewLease();
        await node.beat.syncStatus(true);
        node.registered = this.nodes.get(name) === node;
        for (const pod of this.podsOn(name)) this.queue.add(objectKey(pod));
      }
    } finally {
      this.notify();
    }
  }

  /** Takes a Node on: its InternalIP (or a free one), and the heartbeat timers. */
  private adopt(object: KubeObject): SimNode {
    const name = object.metadata.name ?? '';
    const given = internalIpOf(object);
    const owner = given ? this.nodeIps.get(given) : undefined;
    const ip = given && (owner === undefined || owner === name) ? given : this.allocateNodeIp();
    this.nodeIps.set(ip, name);
    // The heartbeat's callbacks read the node lazily, once it exists.
    const beat = new NodeHeartbeat({
      client: this.client,
      name,
      uid: () => node.uid,
      status: (current, now) => this.nodeStatus(name, node.ip, current, now),
      active: () => node.heartbeat && this.nodes.get(name) === node,
      log: (line) => this.log(`simulated ${line}`),
      statusReportIntervalMs: this.options.statusReportIntervalMs,
    });
    const node: SimNode = {
      name,
      uid: object.metadata.uid ?? '',
      ip,
      heartbeat: false,
      registered: false,
      timers: [],
      metrics: this.usage.serveNode(name),
      beat,
    };
    this.nodes.set(name, node);
    const renew = setInterval(
      () => this.track(node.beat.renewLease()),
      this.options.leaseRenewIntervalMs ?? 10_000,
    );
    const status = setInterval(
      () => this.track(node.beat.syncStatus(false)),
      this.options.statusUpdateIntervalMs ?? 10_000,
    );
    renew.unref();
    status.unref();
    node.timers.push(renew, status);
    if (this.announce) this.log(`simulated nodes: simulating node ${name}`);
    return node;
  }

  /** Stops simulating a node; its pods' runs are forgotten (nothing runs them any more). */
  private release(node: SimNode): void {
    for (const t of node.timers) clearInterval(t);
    node.metrics.dispose();
    this.nodes.delete(node.name);
    if (this.nodeIps.get(node.ip) === node.name) this.nodeIps.delete(node.ip);
    for (const [key, run] of this.runs) if (run.nodeName === node.name) this.forget(key);
    if (this.announce) this.log(`simulated nodes: stopped simulating node ${node.name}`);
  }

  private async deleteLease(name: string): Promise<void> {
    try {
      await this.client.delete(LEASES, LEASE_NAMESPACE, name);
    } catch (err) {
      if (!(err instanceof StatusError && err.code === 404)) throw err;
    }
  }

  /** kubelet's default labels (updateDefaultLabels), added where the Node's manifest left them out. */
  private async addDefaultLabels(object: KubeObject): Promise<void> {
    const labels = object.metadata.labels ?? {};
    const missing = Object.entries(defaultNodeLabels(object.metadata.name ?? '')).filter(
      ([key]) => labels[key] === undefined,
    );
    if (!missing.length) return;
    const next = structuredClone(object);
    next.metadata.labels = { ...labels, ...Object.fromEntries(missing) };
    await this.client.update(NODES, '', next);
  }

  /**
   * The status kubelet posts. Capacity and allocatable the Node already has are kept (so a
   * manifest can describe a bigger node); what it lacks comes from DEFAULT_NODE_RESOURCES.
   */
  private nodeStatus(name: string, ip: string, current: Obj | undefined, now: number): Obj {
    const resources = (value: unknown): Record<string, unknown> =>
      value !== null && typeof value === 'object' && !Array.isArray(value)
        ? (value as Record<string, unknown>)
        : {};
    const givenCapacity = resources(current?.capacity);
    const givenAllocatable = resources(current?.allocatable);
    const capacity = { ...DEFAULT_NODE_RESOURCES, ...givenAllocatable, ...givenCapacity };
    const allocatable = { ...capacity, ...givenAllocatable };
    const existing = Array.isArray(current?.conditions) ? (current.conditions as Obj[]) : [];
    const id = sha(`skiff-simulated-node/${name}`);
    const addresses =
      Array.isArray(current?.addresses) && current.addresses.length
        ? current.addresses
        : [
            { type: 'InternalIP', address: ip },
            { type: 'Hostname', address: name },
          ];
    return {
      ...current,
      capacity,
      allocatable,
      conditions: nodeConditions(existing, now),
      addresses,
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: id.slice(0, 32),
        systemUUID: `${id.slice(0, 8)}-${id.slice(8, 12)}-${id.slice(12, 16)}-${id.slice(16, 20)}-${id.slice(20, 32)}`,
        bootID: id.slice(32, 64),
        kernelVersion: 'simulated',
        osImage: 'Skiff simulated node',
        containerRuntimeVersion: 'simulated://1.0.0',
        kubeletVersion: KUBELET_VERSION,
        kubeProxyVersion: '',
        operatingSystem: 'linux',
        architecture: goArch(),
      },
    };
  }

  // ---- pods --------------------------------------------------------------------------------

  private enqueue(pod: KubeObject): void {
    const nodeName = specOf(pod).nodeName;
    const key = objectKey(pod);
    if ((typeof nodeName === 'string' && this.nodes.has(nodeName)) || this.runs.has(key))
      this.queue.add(key);
  }

  private podsOn(nodeName: string): KubeObject[] {
    return this.podInformer.list().filter((p) => specOf(p).nodeName === nodeName);
  }

  private allocateIp(): string {
    for (let tries = 0; tries < this.podSize; tries++) {
      const offset = this.nextIp;
      this.nextIp = (this.nextIp % this.podSize) + 1;
      if (!this.usedIps.has(offset)) {
        this.usedIps.add(offset);
        return intToIp(this.podBase + offset);
      }
    }
    throw new Error('simulated pod network is full');
  }

  private forget(key: string): void {
    const run = this.runs.get(key);
    if (!run) return;
    if (run.allocatedIp) this.usedIps.delete(ipToInt(run.ip) - this.podBase);
    this.runs.delete(key);
    const slash = key.indexOf('/');
    this.usage.delete(key.slice(0, slash), key.slice(slash + 1), run.uid);
  }

  private containerId(uid: string, name: string, restartCount: number): string {
    return `simulated://${sha(`${uid}/${name}/${restartCount}`)}`;
  }

  /** Starts the pod's sandbox and containers, or adopts what an earlier run left in its status. */
  private startRun(pod: KubeObject, nodeName: string, now: number): PodRun {
    const spec = specOf(pod);
    const status = statusOf(pod);
    const uid = pod.metadata.uid ?? '';
    const hostNetwork = spec.hostNetwork === true;
    const node = this.nodes.get(nodeName)!;
    const previousStatuses = Array.isArray(status.containerStatuses)
      ? (status.containerStatuses as Obj[])
      : [];
    let ip: string;
    let allocatedIp = false;
    const adoptIp = typeof status.podIP === 'string' ? status.podIP : undefined;
    const adoptOffset = adoptIp ? ipToInt(adoptIp) - this.podBase : -1;
    if (hostNetwork) ip = node.ip;
    else if (adoptOffset > 0 && adoptOffset <= this.podSize && !this.usedIps.has(adoptOffset)) {
      this.usedIps.add(adoptOffset);
      ip = adoptIp!;
      allocatedIp = true;
    } else {
      ip = this.allocateIp();
      allocatedIp = true;
    }
    const startTime = typeof status.startTime === 'string' ? Date.parse(status.startTime) : now;
    const run = (c: Obj): ContainerRun => {
      const name = String(c.name);
      const old = previousStatuses.find((s) => s.name === name);
      const running = (old?.state as Obj | undefined)?.running as Obj | undefined;
      const restartCount = typeof old?.restartCount === 'number' ? old.restartCount : 0;
      return {
        name,
        image: typeof c.image === 'string' ? c.image : '',
        startedAt: typeof running?.startedAt === 'string' ? Date.parse(running.startedAt) : now,
        containerID: this.containerId(uid, name, restartCount),
        restartCount,
      };
    };
    const init = containersOf(spec, 'initContainers').map((c) => {
      const r = run(c);
      r.terminated = {
        exitCode: 0,
        reason: 'Completed',
        startedAt: startTime,
        finishedAt: startTime,
        containerID: r.containerID,
      };
      return r;
    });
    return {
      uid,
      nodeName,
      ip,
      allocatedIp,
      startTime,
      init,
      containers: containersOf(spec, 'containers').map(run),
    };
  }

  /** Moves the simulated containers forward to `now`: exits, restarts and back-offs. */
  private advance(pod: KubeObject, run: PodRun, now: number): void {
    const annotations = pod.metadata.annotations ?? {};
    const runSeconds = Number(annotations[SIMULATE_RUN_SECONDS]);
    const exitCode = Number(annotations[SIMULATE_EXIT_CODE] ?? 0) || 0;
    const policy =
      typeof specOf(pod).restartPolicy === 'string' ? specOf(pod).restartPolicy : 'Always';
    const base = this.options.restartBackoffMs ?? 10_000;
    for (const c of run.containers) {
      for (let guard = 0; guard < 10_000 && !c.terminated; guard++) {
        if (c.waitingUntil !== undefined) {
          if (now < c.waitingUntil) break;
          c.startedAt = c.waitingUntil;
          c.waitingUntil = undefined;
          c.containerID = this.containerId(run.uid, c.name, c.restartCount);
          continue;
        }
        if (!Number.isFinite(runSeconds) || runSeconds < 0) break;
        const exitAt = c.startedAt + runSeconds * 1000;
        if (now < exitAt) break;
        const ended: Terminated = {
          exitCode,
          reason: exitCode === 0 ? 'Completed' : 'Error',
          startedAt: c.startedAt,
          finishedAt: exitAt,
          containerID: c.containerID,
        };
        const restart = policy === 'Always' || (policy === 'OnFailure' && exitCode !== 0);
        if (!restart) {
          c.terminated = ended;
          break;
        }
        // kubelet restarts at once the first time, then backs off 10 s, 20 s, … up to 5 min.
        const delay = crashLoopDelay(c.restartCount, exitAt - c.startedAt, base);
        c.restartCount++;
        c.last = ended;
        c.waitingUntil = exitAt + Math.max(delay, 1);
      }
    }
  }

  /** When the simulated containers next change on their own, if ever. */
  private nextChange(pod: KubeObject, run: PodRun): number | undefined {
    const runSeconds = Number(pod.metadata.annotations?.[SIMULATE_RUN_SECONDS]);
    let next: number | undefined;
    for (const c of run.containers) {
      if (c.terminated) continue;
      const at =
        c.waitingUntil ??
        (Number.isFinite(runSeconds) && runSeconds >= 0
          ? c.startedAt + runSeconds * 1000
          : undefined);
      if (at !== undefined) next = next === undefined ? at : Math.min(next, at);
    }
    return next;
  }

  private containerStatus(
    pod: KubeObject,
    run: PodRun,
    c: ContainerRun,
    neverReady: boolean,
  ): ContainerStatus {
    const terminated = (t: Terminated) => ({
      exitCode: t.exitCode,
      reason: t.reason,
      startedAt: iso(t.startedAt),
      finishedAt: iso(t.finishedAt),
      containerID: t.containerID,
    });
    let state: ContainerStatus['state'];
    let ready = false;
    if (c.terminated) state = { terminated: terminated(c.terminated) };
    else if (c.waitingUntil !== undefined) {
      const backoff = c.waitingUntil - (c.last?.finishedAt ?? 0);
      state = {
        waiting: { reason: 'CrashLoopBackOff', message: crashLoopMessage(pod, c.name, backoff) },
      };
    } else {
      state = { running: { startedAt: iso(c.startedAt) } };
      ready = !neverReady;
    }
    return {
      name: c.name,
      state,
      lastState: c.last ? { terminated: terminated(c.last) } : {},
      ready,
      restartCount: c.restartCount,
      image: c.image,
      imageID: `${c.image.replace(/[:@].*$/, '')}@sha256:${sha(c.image)}`,
      containerID:
        c.terminated?.containerID ??
        (c.waitingUntil ? c.last?.containerID : undefined) ??
        c.containerID,
      started: 'running' in state,
    };
  }

  private desiredStatus(
    pod: KubeObject,
    run: PodRun,
    hostIP: string,
    now: number,
    terminal: boolean,
  ): Obj {
    const neverReady = pod.metadata.annotations?.[SIMULATE_NEVER_READY] === 'true';
    return buildPodStatus({
      pod,
      initStatuses: run.init.map((c) => this.containerStatus(pod, run, c, false)),
      containerStatuses: run.containers.map((c) => this.containerStatus(pod, run, c, neverReady)),
      hostIP,
      podIP: run.ip,
      startTime: run.startTime,
      now,
      terminal,
      sandboxReady: true,
    });
  }

  private async writeStatus(pod: KubeObject, status: Obj): Promise<void> {
    if (deepEqual(status, pod.status)) return;
    try {
      await this.client.updateStatus(PODS, pod.metadata.namespace ?? '', {
        ...structuredClone(pod),
        status,
      });
    } catch (err) {
      // A newer version is on its way through the informer; that event reconciles again.
      if (err instanceof StatusError && (err.code === 409 || err.code === 404)) return;
      throw err;
    }
  }

  private async reconcile(key: string): Promise<ReconcileResult> {
    const pod = this.podInformer.getByKey(key);
    const existing = this.runs.get(key);
    if (!pod || (existing && existing.uid !== pod.metadata.uid)) this.forget(key);
    if (!pod) return;
    const nodeName = specOf(pod).nodeName;
    const node = typeof nodeName === 'string' ? this.nodes.get(nodeName) : undefined;
    if (!node) {
      this.forget(key);
      return;
    }
    // A partitioned kubelet writes nothing; setHeartbeat(on) brings every pod back here.
    if (!node.heartbeat) return;
    const namespace = pod.metadata.namespace ?? '';
    const name = pod.metadata.name ?? '';
    let run = this.runs.get(key);
    const now = Date.now();

    if (pod.metadata.deletionTimestamp) {
      if (!run && (isTerminalPhase(statusOf(pod).phase) || !statusOf(pod).containerStatuses)) {
        await this.deleteNow(pod);
        return;
      }
      if (!run) {
        run = this.startRun(pod, node.name, now);
        this.runs.set(key, run);
      }
      const grace = Math.min(pod.metadata.deletionGracePeriodSeconds ?? 0, 1);
      run.killAt ??= now + grace * 1000;
      if (now < run.killAt) return { requeueAfterMs: run.killAt - now };
      this.advance(pod, run, run.killAt);
      for (const c of run.containers) {
        if (c.terminated) continue;
        const startedAt = c.waitingUntil === undefined ? c.startedAt : run.killAt;
        c.waitingUntil = undefined;
        c.terminated = {
          exitCode: 0,
          reason: 'Completed',
          startedAt,
          finishedAt: run.killAt,
          containerID: c.containerID,
        };
      }
      this.usage.delete(namespace, name, run.uid);
      await this.writeStatus(pod, this.desiredStatus(pod, run, node.ip, now, true));
      await this.deleteNow(pod);
      return;
    }

    if (isTerminalPhase(statusOf(pod).phase) && !run) return;
    if (!run) {
      run = this.startRun(pod, node.name, now);
      this.runs.set(key, run);
    }
    this.advance(pod, run, now);
    const status = this.desiredStatus(pod, run, node.ip, now, false);
    if (isTerminalPhase(status.phase)) this.usage.delete(namespace, name, run.uid);
    else
      this.usage.set(
        { namespace, name, uid: run.uid, nodeName: node.name },
        pod.metadata.annotations,
        run.containers.map((c) => c.name),
      );
    await this.writeStatus(pod, status);
    const next = this.nextChange(pod, run);
    if (next !== undefined) return { requeueAfterMs: Math.max(next - Date.now(), 1) };
  }

  /** The last step of graceful deletion, as kubelet's status manager does: delete with grace 0. */
  private async deleteNow(pod: KubeObject): Promise<void> {
    try {
      await this.client.delete(PODS, pod.metadata.namespace ?? '', pod.metadata.name ?? '', {
        gracePeriodSeconds: 0,
        preconditions: { uid: pod.metadata.uid },
      });
    } catch (err) {
      if (err instanceof StatusError && (err.code === 404 || err.code === 409)) return;
      throw err;
    }
  }
}
