// The Docker node: kubelet's node half on the local Docker engine (pkg/kubelet
// kubelet_node_status.go registration, nodestatus setters, updateRuntimeUp's health loop, the node
// lease) plus the pod lifecycle in docker-pods.ts. Capacity and node info come from `docker info`;
// when Docker stops answering the node turns Ready=False and recovers by itself when it answers.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { StatusError } from '../../main/api/status.ts';
import type { KubeObject } from '../../main/api/types.ts';
import type { LocalClient } from '../../main/client/local-client.ts';
import type { InformerFactory } from '../../main/client/informer.ts';
import { EventRecorder } from '../../main/controllers/runtime/events.ts';
import { goArch, KUBELET_VERSION, type Obj } from '../kubelet/common.ts';
import { defaultNodeLabels, NodeHeartbeat, nodeConditions, NODES } from '../kubelet/node-status.ts';
import { DockerPods, dockerMessage } from './docker-pods.ts';
import { discoverEngine, localEngineIo, type Engine } from './engine.ts';
import { ensureClusterNetwork } from './network.ts';
import { Netd, type IngressPorts } from '../netd/netd.ts';
import { DockerNetworking } from './docker-networking.ts';
import { InformerFactory as Informers } from '../../main/client/informer.ts';
import type { TokenRequester } from './volumes.ts';
import type { HookHttpGet } from '../kubelet/lifecycle-hooks.ts';
import { DockerStreams, type PodNetworkDial } from './docker-streams.ts';
import { DockerStats } from './docker-stats.ts';
import { planClusterNetwork, type ClusterNetworkPlan } from '../../main/api/cluster-network.ts';

export const DEFAULT_SANDBOX_IMAGE = 'registry.k8s.io/pause:3.10';
/** The label a Docker node carries so tools (and tests) can tell it from simulated ones. */
export const DOCKER_NODE_LABEL = 'skiff.dev/node-type';

const NAMESPACES = { group: '', version: 'v1', resource: 'namespaces' };

export interface DockerNodeOptions {
  client: LocalClient;
  /** Node name (default: the host name made a DNS-1123 subdomain). */
  nodeName?: string;
  sandboxImage?: string;
  /** The base image netd is built on (default DEFAULT_NETD_BASE_IMAGE, node:20-alpine). */
  netdBaseImage?: string;
  /** Where Docker is (default: discovered like the docker CLI does). */
  engine?: Engine;
  /** The cluster's address plan (default: planClusterNetwork()'s). */
  network?: ClusterNetworkPlan;
  informers?: InformerFactory;
  log?: (line: string) => void;
  /** kubelet's runtime health check runs every 5 s. */
  healthIntervalMs?: number;
  leaseRenewIntervalMs?: number;
  statusUpdateIntervalMs?: number;
  restartBackoffMs?: number;
  /** The cluster's data dir: per-pod volume directories go under `<dataDir>/kubelet`. */
  dataDir?: string;
  /** TokenRequest (serviceaccounts/token) for projected ServiceAccount tokens. */
  requestToken?: TokenRequester;
  /** HTTP GET inside the cluster network for httpGet lifecycle hooks (netd plugs in here). */
  hookHttpGet?: HookHttpGet;
  /** How port-forward reaches a pod (default: netd's dial tunnel; the host never dials a pod IP). */
  dial?: PodNetworkDial;
  /** Host ports of the Ingress controller on 127.0.0.1 (default: any free ports). */
  ingressPorts?: IngressPorts;
  /** The API server on the host, where pods' `kubernetes` Service leads (default: no way there). */
  apiServer?: () => { host: string; port: number };
}

/** The host name lowercased and made a valid DNS-1123 subdomain, as kubelet's --hostname-override would need. */
export function defaultNodeName(hostname: string = os.hostname()): string {
  const name = hostname
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, '-')
    .replace(/\.{2,}/g, '.')
    .replace(/(^|\.)[-.]+/g, '$1')
    .replace(/[-.]+($|\.)/g, '$1')
    .slice(0, 253)
    .replace(/[-.]+$/, '');
  return name || 'skiff-node';
}

/** Docker's architecture names (uname -m) as GOARCH. */
export function dockerArch(architecture: string | undefined): string {
  switch (architecture) {
    case 'x86_64':
    case 'amd64':
      return 'amd64';
    case 'aarch64':
    case 'arm64':
      return 'arm64';
    case 'armv7l':
      return 'arm';
    case undefined:
    case '':
      return goArch();
    default:
      return architecture;
  }
}

/** What the node reports from `docker info` (or the host, while Docker has not answered yet). */
export interface RuntimeFacts {
  cpus: number;
  memoryBytes: number;
  /** Bytes of the filesystem holding Docker's data, when it is on this machine. */
  storageBytes?: number;
  serverVersion?: string;
  kernelVersion: string;
  osImage: string;
  operatingSystem: string;
  architecture: string;
  machineID: string;
}

/** Capacity and allocatable as kubelet computes them (allocatable less the hard eviction thresholds). */
export function nodeResources(facts: RuntimeFacts): { capacity: Obj; allocatable: Obj } {
  const memKi = Math.floor(facts.memoryBytes / 1024);
  const capacity: Obj = { cpu: String(facts.cpus), memory: `${memKi}Ki`, pods: '110' };
  const allocatable: Obj = {
    cpu: String(facts.cpus),
    // memory.available<100Mi is kubelet's default hard eviction threshold.
    memory: `${Math.max(memKi - 100 * 1024, 0)}Ki`,
    pods: '110',
  };
  if (facts.storageBytes) {
    capacity['ephemeral-storage'] = `${Math.floor(facts.storageBytes / 1024)}Ki`;
    // nodefs.available<10%.
    allocatable['ephemeral-storage'] = String(Math.floor(facts.storageBytes * 0.9));
  }
  return { capacity, allocatable };
}

export class DockerNode {
  readonly name: string;
  readonly sandboxImage: string;
  readonly netdBaseImage: string | undefined;
  readonly network: ClusterNetworkPlan;
  engine!: Engine;
  private docker!: Docker;
  /** The same engine with a short timeout, for health pings. */
  private pingDocker!: Docker;
  private readonly client: LocalClient;
  private readonly log: (line: string) => void;
  private facts: RuntimeFacts;
  /** Why pods cannot run though Docker answers (the cluster network could not be made). */
  private networkError: string | undefined;
  private runtimeError: string | undefined =
    'container runtime status check may not have completed yet';
  private uid = '';
  private clusterId = '';
  private beat: NodeHeartbeat | undefined;
  private pods: DockerPods | undefined;
  private podsStarting: Promise<void> | undefined;
  private events!: EventRecorder;
  private timers: NodeJS.Timeout[] = [];
  private started = false;
  private readonly inFlight = new Set<Promise<void>>();
  private streams: { dispose(): void } | undefined;
  /** The in-network helper (agent/netd): probes, hook GETs and dial tunnels go through it. */
  private netd: Netd | undefined;
  /** metrics.k8s.io figures from Docker stats. */
  private stats: DockerStats | undefined;
  /** Services, DNS and Ingress through netd. */
  private networking: DockerNetworking | undefined;
  /** Informers of our own when the caller shares none (started and stopped with the node). */
  private ownInformers: Informers | undefined;

  constructor(private readonly options: DockerNodeOptions) {
    this.client = options.client;
    this.name = options.nodeName ?? defaultNodeName();
    this.sandboxImage = options.sandboxImage ?? DEFAULT_SANDBOX_IMAGE;
    this.netdBaseImage = options.netdBaseImage;
    this.network = options.network ?? planClusterNetwork();
    this.log = options.log ?? (() => undefined);
    this.facts = {
      cpus: os.cpus().length,
      memoryBytes: os.totalmem(),
      kernelVersion: os.release(),
      osImage: 'unknown',
      operatingSystem: 'linux',
      architecture: goArch(),
      machineID: '',
    };
  }

  /** Docker answered the last health check. */
  get runtimeUp(): boolean {
    return this.runtimeError === undefined;
  }

  /** Finds Docker, registers the Node, starts heartbeats, the health loop and the pods. */
  async start(): Promise<void> {
    this.started = true;
    this.engine = this.options.engine ?? discoverEngine(localEngineIo());
    this.docker = new Docker(this.engine.options);
    this.pingDocker = new Docker({ ...this.engine.options, timeout: 4_000 });
    const kubeSystem = this.client.get(NAMESPACES, '', 'kube-system');
    // The cluster's identity for Docker labels: kube-system's uid lives as long as the store.
    this.clusterId = kubeSystem.metadata.uid ?? '';
    this.events = new EventRecorder(this.client, 'kubelet', this.name, this.log);
    // pods/log, exec, attach and portforward for this node; port-forward dials through netd.
    this.streams = new DockerStreams({
      docker: this.docker,
      clusterId: this.clusterId,
      dial:
        this.options.dial ??
        ((ip, port) =>
          this.netd
            ? this.netd.client.dial(ip, port)
            : Promise.reject(new Error('netd is not ready: the cluster network is not up yet'))),
    }).register(this.name);
    this.stats = new DockerStats({
      docker: this.docker,
      clusterId: this.clusterId,
      nodeName: this.name,
      log: this.log,
    }).start();
    await this.checkRuntime();
    await this.register();
    this.beat = new NodeHeartbeat({
      client: this.client,
      name: this.name,
      uid: () => this.uid,
      status: (current, now) => this.nodeStatus(current, now),
      active: () => this.started,
      log: this.log,
    });
    const beat = this.beat;
    await beat.renewLease();
    await beat.syncStatus(true);
    const every = (ms: number, work: () => Promise<void>) => {
      const timer = setInterval(() => this.track(work()), ms);
      timer.unref();
      this.timers.push(timer);
    };
    every(this.options.leaseRenewIntervalMs ?? 10_000, () => beat.renewLease());
    every(this.options.statusUpdateIntervalMs ?? 10_000, () => beat.syncStatus(false));
    every(this.options.healthIntervalMs ?? 5_000, () => this.healthCheck());
    if (this.runtimeUp) await this.tryStartPods();
    else
      this.log(
        `docker node ${this.name}: ${this.runtimeError} (${this.engine.endpoint}); waiting for Docker`,
      );
  }

  async stop(): Promise<void> {
    this.started = false;
    this.streams?.dispose();
    await this.networking?.stop();
    this.netd?.stop();
    this.ownInformers?.stop();
    this.stats?.dispose();
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    await this.podsStarting?.catch(() => undefined);
    await this.pods?.stop();
    await Promise.all([...this.inFlight]);
    await this.events?.flush();
  }

  private track(work: Promise<void>): void {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  /** Starts the pods half; a failure (the cluster network) is reported on the node and retried. */
  private async tryStartPods(): Promise<void> {
    try {
      await this.startPods();
      if (this.networkError !== undefined) {
        this.networkError = undefined;
        this.log(`docker node ${this.name}: cluster network ready`);
        await this.beat?.syncStatus(true);
      }
    } catch (err) {
      const first = this.networkError === undefined;
      // kubelet's wording when the CRI reports the pod network not ready.
      this.networkError = `container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:docker: ${dockerMessage(err)}`;
      if (first) this.log(`docker node ${this.name}: ${this.networkError}`);
      await this.beat?.syncStatus(true);
    }
  }

  private async startPods(): Promise<void> {
    if (this.pods || this.podsStarting) return;
    this.podsStarting = (async () => {
      const network = await ensureClusterNetwork(this.docker, this.clusterId, this.network);
      if (!this.netd) {
        this.netd = new Netd({
          docker: this.docker,
          clusterId: this.clusterId,
          network,
          plan: this.network,
          baseImage: this.netdBaseImage,
          dataDir: this.options.dataDir,
          log: this.log,
          ingressPorts: this.options.ingressPorts,
        });
        void this.netd.start();
      }
      const netd = this.netd;
      if (!this.networking) {
        const informers =
          this.options.informers ?? (this.ownInformers = new Informers(this.client));
        this.networking = new DockerNetworking({
          client: this.client,
          informers,
          netd,
          events: this.events,
          serviceRange: this.network.serviceRange,
          apiServer:
            this.options.apiServer ??
            (() => {
              throw new Error('the API server is not reachable from pods in this setup');
            }),
          log: this.log,
        });
        this.networking.start();
      }
      const pods = new DockerPods({
        docker: this.docker,
        client: this.client,
        nodeName: this.name,
        clusterId: this.clusterId,
        network,
        sandboxImage: this.sandboxImage,
        hostIP: this.network.gateway,
        events: this.events,
        log: this.log,
        informers: this.options.informers,
        runtimeUp: () => this.runtimeUp,
        restartBackoffMs: this.options.restartBackoffMs,
        kubeletDir: this.options.dataDir
          ? path.join(this.options.dataDir, 'kubelet')
          : path.join(os.tmpdir(), `skiff-kubelet-${this.clusterId.slice(0, 8)}`),
        requestToken: this.options.requestToken,
        hookHttpGet: this.options.hookHttpGet ?? ((request) => netd.client.httpGet(request)),
        probeNetwork: netd.client,
        // Twice Docker's CPUs: enough to keep dockerd busy, few enough that pods come up in turn.
        maxParallelStarts: Math.max(2, 2 * this.facts.cpus),
        ...this.networking.podSettings(),
      });
      await pods.start();
      if (this.started) this.pods = pods;
      else await pods.stop();
    })().finally(() => (this.podsStarting = undefined));
    await this.podsStarting;
  }

  /** kubelet's updateRuntimeUp: ask Docker, and on a change post node status at once. */
  private async healthCheck(): Promise<void> {
    const wasUp = this.runtimeUp;
    await this.checkRuntime();
    if (this.started && this.runtimeUp && !this.pods) await this.tryStartPods();
    if (!this.started || wasUp === this.runtimeUp) return;
    if (this.runtimeUp) {
      this.log(`docker node ${this.name}: Docker answers again`);
      if (this.pods) this.pods.runtimeRecovered();
    } else this.log(`docker node ${this.name}: ${this.runtimeError}`);
    await this.beat?.syncStatus(true);
  }

  private async checkRuntime(): Promise<void> {
    try {
      await this.pingDocker.ping();
      const info = (await this.pingDocker.info()) as Obj;
      this.facts = this.factsFrom(info);
      this.runtimeError = undefined;
    } catch (err) {
      this.runtimeError = `container runtime is down: ${dockerMessage(err)}`;
    }
  }

  private factsFrom(info: Obj): RuntimeFacts {
    let storageBytes: number | undefined;
    const root = typeof info.DockerRootDir === 'string' ? info.DockerRootDir : undefined;
    // Docker's data is on this machine only with a local socket on Linux (not Docker Desktop's VM).
    if (root && process.platform === 'linux' && this.engine.options.socketPath) {
      try {
        const s = fs.statfsSync(root);
        storageBytes = s.blocks * s.bsize;
      } catch {
        storageBytes = undefined;
      }
    }
    return {
      cpus: typeof info.NCPU === 'number' ? info.NCPU : this.facts.cpus,
      memoryBytes: typeof info.MemTotal === 'number' ? info.MemTotal : this.facts.memoryBytes,
      storageBytes,
      serverVersion: typeof info.ServerVersion === 'string' ? info.ServerVersion : undefined,
      kernelVersion: typeof info.KernelVersion === 'string' ? info.KernelVersion : os.release(),
      osImage: typeof info.OperatingSystem === 'string' ? info.OperatingSystem : 'unknown',
      operatingSystem: typeof info.OSType === 'string' ? info.OSType : 'linux',
      architecture: dockerArch(
        typeof info.Architecture === 'string' ? info.Architecture : undefined,
      ),
      machineID: typeof info.ID === 'string' ? info.ID : '',
    };
  }

  private labels(): Record<string, string> {
    const { operatingSystem: os_, architecture: arch } = this.facts;
    return {
      'beta.kubernetes.io/arch': arch,
      'beta.kubernetes.io/os': os_,
      ...defaultNodeLabels(this.name, os_, arch),
      [DOCKER_NODE_LABEL]: 'docker',
    };
  }

  /** kubelet's registerWithAPIServer: create the Node, or take over the one a previous run made. */
  private async register(): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const existing = this.client.tryGet(NODES, '', this.name);
      if (existing) {
        if (existing.metadata.annotations?.['skiff.dev/simulated'] === 'true')
          throw new Error(
            `node "${this.name}" already exists as a simulated node; choose another --node-name`,
          );
        this.uid = existing.metadata.uid ?? '';
        const labels = { ...existing.metadata.labels, ...this.labels() };
        if (JSON.stringify(labels) === JSON.stringify(existing.metadata.labels)) return;
        try {
          await this.client.update(NODES, '', {
            ...structuredClone(existing),
            metadata: { ...structuredClone(existing.metadata), labels },
          });
          return;
        } catch (err) {
          if (!(err instanceof StatusError && err.code === 409)) throw err;
          continue;
        }
      }
      const node: KubeObject = {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: {
          name: this.name,
          labels: this.labels(),
          annotations: {
            'node.alpha.kubernetes.io/ttl': '0',
            'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
          },
        },
        spec: {},
      };
      node.status = this.nodeStatus(undefined, Date.now());
      try {
        const created = await this.client.create(NODES, '', node);
        this.uid = created.metadata.uid ?? '';
        this.log(`docker node ${this.name} registered (Docker at ${this.engine.endpoint})`);
        return;
      } catch (err) {
        if (!(err instanceof StatusError && err.code === 409)) throw err;
      }
    }
    throw new Error(`could not register node "${this.name}"`);
  }

  private nodeStatus(current: Obj | undefined, now: number): Obj {
    const existing = Array.isArray(current?.conditions) ? (current.conditions as Obj[]) : [];
    const f = this.facts;
    const id = (f.machineID || this.clusterId).replace(/[^a-zA-Z0-9]/g, '').toLowerCase();
    return {
      ...current,
      ...nodeResources(f),
      conditions: nodeConditions(existing, now, this.runtimeError ?? this.networkError),
      // The bridge's gateway is where pods reach the node (hostIP); 127.0.0.1 would be the pod itself.
      addresses: [
        { type: 'InternalIP', address: this.network.gateway },
        { type: 'Hostname', address: this.name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: id.padEnd(32, '0').slice(0, 32),
        systemUUID: this.uid,
        bootID: this.clusterId,
        kernelVersion: f.kernelVersion,
        osImage: f.osImage,
        containerRuntimeVersion: f.serverVersion
          ? `docker://${f.serverVersion}`
          : 'docker://unknown',
        kubeletVersion: KUBELET_VERSION,
        kubeProxyVersion: '',
        operatingSystem: f.operatingSystem,
        architecture: f.architecture,
      },
    };
  }
}
