// The kubelet's pod lifecycle on Docker (pkg/kubelet/kuberuntime SyncPod, dockershim's sandbox
// model): per pod a sandbox container holding the network namespace on the cluster network, init
// containers in order, then the app containers joined to the sandbox; image pulls per policy,
// restarts with crash-loop back-off, graceful termination, and status written only when it
// changes. Docker is the source of truth: every sync reads the pod's labelled containers, so
// containers left by an earlier run are adopted with their IDs and restart counts.
import fs from 'node:fs/promises';
import path from 'node:path';
import type Docker from 'dockerode';
import type { ContainerInfo, ContainerInspectInfo, ImageInspectInfo } from 'dockerode';
import { StatusError } from '../../main/api/status.ts';
import type { KubeObject } from '../../main/api/types.ts';
import type { LocalClient } from '../../main/client/local-client.ts';
import { Informer, objectKey, type InformerFactory } from '../../main/client/informer.ts';
import type { EventRecorder } from '../../main/controllers/runtime/events.ts';
import {
  containersOf,
  deepEqual,
  iso,
  isTerminalPhase,
  podDescription,
  restartPolicyOf,
  specOf,
  statusOf,
  str,
  type Obj,
} from '../kubelet/common.ts';
import {
  crashLoopDelay,
  crashLoopMessage,
  DEFAULT_BACKOFF_MS,
  MAX_BACKOFF_MS,
} from '../kubelet/backoff.ts';
import { buildPodStatus, podPhase, type ContainerStatus } from '../kubelet/pod-status.ts';
import { PodWorkers, type SyncResult } from '../kubelet/pod-workers.ts';
import {
  containerCreateOptions,
  ContainerConfigError,
  resolveEnv,
  sandboxPortBindings,
  type DockerMount,
  type ObjectLookup,
} from './container-config.ts';
import { podResolvConf } from '../dns/pod-dns.ts';
import { podHostname, podHostsFile } from '../kubelet/hosts-file.ts';
import { DockerHooks } from './hooks.ts';
import { PodProber } from '../kubelet/prober.ts';
import { dockerProbeRuntime, type ProbeNetwork } from './docker-probes.ts';
import type { HookHttpGet } from '../kubelet/lifecycle-hooks.ts';
import { PodVolumes, VolumeSetUpError, type TokenRequester } from './volumes.ts';
import { StartQueue } from './start-queue.ts';
import { EventCache } from './event-cache.ts';
import {
  containerName,
  LABEL_CLUSTER,
  LABEL_CONTAINER,
  LABEL_GRACE,
  LABEL_NAMESPACE,
  LABEL_POD_NAME,
  LABEL_POD_UID,
  LABEL_RESTART_COUNT,
  LABEL_ROLE,
  podLabels,
  type PodRef,
} from './labels.ts';
import { pullCredentials, type RegistryAuth } from './pull-secrets.ts';
import {
  alreadyPresentMessage,
  pullProgress,
  pulledMessage,
  type DockerPullMessage,
  type PullTracker,
} from './pull-progress.ts';
import { podReadsSource, type SourceKind } from '../kubelet/pod-sources.ts';

const PODS = { group: '', version: 'v1', resource: 'pods' };
const CONFIGMAPS = { group: '', version: 'v1', resource: 'configmaps' };
const SECRETS = { group: '', version: 'v1', resource: 'secrets' };
/**
 * Pods are synced at least this often even when nothing reports a change (kubelet's
 * --sync-frequency); changes of containers, pods and the ConfigMaps/Secrets they read come sooner.
 */
const RESYNC_MS = 60_000;

export interface DockerPodsOptions {
  docker: Docker;
  client: LocalClient;
  nodeName: string;
  clusterId: string;
  /** The cluster network's name (created by the caller). */
  network: string;
  sandboxImage: string;
  /** The node's address as pods see it (status.hostIP). */
  hostIP: string;
  events: EventRecorder;
  log: (line: string) => void;
  informers?: InformerFactory;
  /** False while Docker does not answer: syncs wait instead of failing. */
  runtimeUp: () => boolean;
  /** First crash-loop back-off (kubelet: 10 s). */
  restartBackoffMs?: number;
  /** Root of the per-pod directories (volumes, termination messages): kubelet's root dir. */
  kubeletDir: string;
  /** TokenRequest for projected ServiceAccount tokens. */
  requestToken?: TokenRequester;
  /** HTTP GET inside the cluster network for httpGet hooks (netd's; see hooks.ts). */
  hookHttpGet?: HookHttpGet;
  /** httpGet/tcpSocket probes from inside the cluster network (netd's client). */
  probeNetwork?: ProbeNetwork;
  /** Container creates and starts Docker works on at once (default 4); see StartQueue. */
  maxParallelStarts?: number;
  /** Cluster DNS for pods' resolv.conf (dnsPolicy ClusterFirst); absent: Docker's own DNS. */
  dns?: { nameserver: string; domain: string };
  /** The Service variables of a pod's containers (kubelet's service links). */
  serviceEnv?: (pod: KubeObject) => { name: string; value: string }[];
}

/** What Docker writes in containers on a user-defined network: its embedded resolver. */
const DOCKER_RESOLV_CONF = 'nameserver 127.0.0.11\noptions ndots:0\n';

/** A pod's container as Docker has it. */
interface Found {
  id: string;
  name: string;
  restartCount: number;
  info: ContainerInspectInfo;
}

interface PodContainers {
  sandboxes: Found[];
  /** Per container name, newest attempt first. */
  byName: Map<string, Found[]>;
  all: Found[];
}

/** What kubelet remembers of a pod between syncs (pull back-off, config errors, termination). */
interface PodState {
  uid: string;
  ref: PodRef;
  startTime: number;
  /** The pod's place in line for container creates and starts: first seen, first served. */
  order: number;
  /** Container name → why it waits (ErrImagePull, ImagePullBackOff, CreateContainerConfigError). */
  waiting: Map<string, { reason: string; message: string }>;
  /** Image → pull back-off. */
  pullBackoff: Map<string, { until: number; delay: number; message: string }>;
  /** Container name → last back-off event sent for this attempt (events are not repeated each sync). */
  backoffReported: Map<string, number>;
  terminating?: Promise<void>;
  lastHostIP?: string;
}

function isRunning(found: Found | undefined): boolean {
  return found?.info.State.Running === true;
}

function isFinished(found: Found | undefined): boolean {
  return !!found && !found.info.State.Running && found.info.State.Status !== 'restarting';
}

function timeMs(text: string | undefined): number {
  const ms = text ? Date.parse(text) : NaN;
  return Number.isFinite(ms) && ms > 0 ? ms : 0;
}

function exitInfo(found: Found): Obj {
  const state = found.info.State;
  const neverStarted = timeMs(state.StartedAt) === 0;
  const exitCode = neverStarted && state.ExitCode === 0 ? 128 : state.ExitCode;
  const reason = state.OOMKilled
    ? 'OOMKilled'
    : neverStarted || (state.Error && exitCode >= 126)
      ? 'StartError'
      : exitCode === 0
        ? 'Completed'
        : 'Error';
  const out: Obj = {
    exitCode,
    reason,
    startedAt: iso(timeMs(state.StartedAt) || timeMs(found.info.Created)),
    // A container that never ran has no finish time: its creation is the stable stand-in.
    finishedAt: iso(timeMs(state.FinishedAt) || timeMs(found.info.Created)),
    containerID: `docker://${found.id}`,
  };
  if (state.Error) out.message = state.Error;
  return out;
}

/** The registry's own words from a dockerode error (its JSON `message`), else the error text. */
export function dockerMessage(err: unknown): string {
  const json = (err as { json?: unknown }).json;
  if (json && typeof json === 'object' && typeof (json as Obj).message === 'string')
    return String((json as Obj).message);
  if (typeof json === 'string' && json.trim()) {
    try {
      const parsed = JSON.parse(json) as Obj;
      if (typeof parsed.message === 'string') return parsed.message;
    } catch {
      return json.trim();
    }
  }
  return err instanceof Error ? err.message : String(err);
}

function imagePullPolicy(container: Obj): string {
  if (typeof container.imagePullPolicy === 'string') return container.imagePullPolicy;
  const image = str(container.image);
  const tag = /:([^/:@]+)$/.exec(image.split('@')[0])?.[1];
  return image.includes('@') || (tag && tag !== 'latest') ? 'IfNotPresent' : 'Always';
}

/** The sandbox image could not be pulled (reported already). */
class SandboxImageError extends Error {}

export class DockerPods {
  private readonly docker: Docker;
  private readonly client: LocalClient;
  private readonly informer: Informer;
  private readonly ownInformer: boolean;
  /** ConfigMaps and Secrets, whose changes re-sync the pods reading them (volume updates). */
  private readonly sources: { kind: SourceKind; informer: Informer; own: boolean }[];
  private readonly workers: PodWorkers;
  private readonly states = new Map<string, PodState>();
  private readonly starts: StartQueue;
  /** Pods seen so far (each PodState's order). */
  private arrivals = 0;
  /** Inspections of this cluster's containers by id; an exited one never changes. */
  private readonly inspections = new EventCache<ContainerInspectInfo>(
    (info) => !info.State.Running && info.State.Status === 'exited',
  );
  /** Per pod uid, Docker's list of the pod's containers. */
  private readonly listings = new EventCache<ContainerInfo[]>();
  /** Image ID → repo digest reference, for imageID. */
  private readonly imageIds = new Map<string, string>();
  private gcTimer: NodeJS.Timeout | undefined;
  private eventStream: NodeJS.ReadableStream | undefined;
  private started = false;
  private readonly log: (line: string) => void;
  private readonly volumes: PodVolumes;
  private readonly hooks: DockerHooks;
  private readonly probes: PodProber;

  constructor(private readonly options: DockerPodsOptions) {
    this.docker = options.docker;
    this.starts = new StartQueue(options.maxParallelStarts ?? 4);
    this.volumes = new PodVolumes({
      docker: options.docker,
      client: options.client,
      clusterId: options.clusterId,
      nodeName: options.nodeName,
      root: options.kubeletDir,
      requestToken: options.requestToken,
      log: options.log,
    });
    this.hooks = new DockerHooks({
      docker: options.docker,
      events: options.events,
      log: options.log,
      httpGet: options.hookHttpGet,
    });
    this.client = options.client;
    this.probes = new PodProber(
      dockerProbeRuntime({
        docker: options.docker,
        events: options.events,
        network: options.probeNetwork,
        resync: (pod) => this.workers.add(objectKey(pod)),
      }),
    );
    this.log = options.log;
    this.ownInformer = !options.informers;
    this.informer = options.informers?.for(PODS) ?? new Informer(this.client, PODS);
    this.sources = (
      [
        ['ConfigMap', CONFIGMAPS],
        ['Secret', SECRETS],
      ] as const
    ).map(([kind, ref]) => ({
      kind,
      informer: options.informers?.for(ref) ?? new Informer(this.client, ref),
      own: !options.informers,
    }));
    this.workers = new PodWorkers(
      (key) => this.sync(key),
      (key, err) => this.log(`docker node: pod ${key}: ${dockerMessage(err)}`),
    );
  }

  /** Adopts or removes what an earlier run left, then runs the pods bound to this node. */
  async start(): Promise<void> {
    this.started = true;
    this.informer.addHandlers({
      add: (pod) => this.enqueue(pod),
      update: (_old, pod) => this.enqueue(pod),
      delete: (pod) => {
        if (this.states.has(objectKey(pod))) this.workers.add(objectKey(pod));
      },
    });
    if (this.ownInformer || !this.informer.hasSynced) this.informer.start();
    for (const { kind, informer, own } of this.sources) {
      const changed = (object: KubeObject) => this.sourceChanged(kind, object);
      informer.addHandlers({
        add: changed,
        update: (_old, object) => changed(object),
        delete: changed,
      });
      if (own || !informer.hasSynced) informer.start();
    }
    this.volumes.start();
    await this.collectGarbage();
    for (const pod of this.informer.list()) this.enqueue(pod);
    this.watchDocker();
    this.gcTimer = setInterval(() => {
      if (this.options.runtimeUp())
        this.collectGarbage().catch((err: unknown) =>
          this.log(`docker node: cleanup: ${dockerMessage(err)}`),
        );
    }, 30_000);
    this.gcTimer.unref();
  }

  async stop(): Promise<void> {
    this.started = false;
    if (this.gcTimer) clearInterval(this.gcTimer);
    this.volumes.stop();
    (this.eventStream as { destroy?: () => void } | undefined)?.destroy?.();
    this.stopFollowing();
    if (this.ownInformer) this.informer.stop();
    for (const { informer, own } of this.sources) if (own) informer.stop();
    this.probes.stop();
    await this.workers.stop();
  }

  /** Docker came back: look at every pod again and follow Docker's events anew. */
  runtimeRecovered(): void {
    if (!this.started) return;
    this.watchDocker();
    for (const pod of this.informer.list()) this.enqueue(pod);
  }

  /** A ConfigMap or Secret changed: re-sync this node's pods that read it. */
  private sourceChanged(kind: SourceKind, object: KubeObject): void {
    if (!this.started) return;
    const { namespace, name } = object.metadata;
    for (const key of this.states.keys()) {
      if (!key.startsWith(`${namespace}/`)) continue;
      const pod = this.informer.getByKey(key);
      if (pod && podReadsSource(pod, kind, name ?? '')) this.workers.add(key);
    }
  }

  private enqueue(pod: KubeObject): void {
    const key = objectKey(pod);
    if (specOf(pod).nodeName === this.options.nodeName || this.states.has(key))
      this.workers.add(key);
  }

  /** Container die/start/oom events from Docker re-sync the pod at once (no polling delay). */
  private watchDocker(): void {
    const previous = this.eventStream;
    this.eventStream = undefined;
    this.stopFollowing();
    (previous as { destroy?: () => void } | undefined)?.destroy?.();
    this.docker
      .getEvents({
        filters: JSON.stringify({
          type: ['container'],
          // Not exec_*: probes and `kubectl exec` must not re-sync the pod each time.
          event: ['start', 'die', 'oom', 'destroy'],
          label: [`${LABEL_CLUSTER}=${this.options.clusterId}`],
        }),
      })
      .then((stream) => {
        if (!this.started) {
          (stream as { destroy?: () => void }).destroy?.();
          return;
        }
        this.eventStream = stream;
        this.inspections.follow();
        this.listings.follow();
        let buffer = '';
        stream.on('data', (chunk: Buffer) => {
          buffer += chunk.toString('utf8');
          let nl: number;
          while ((nl = buffer.indexOf('\n')) >= 0) {
            const line = buffer.slice(0, nl).trim();
            buffer = buffer.slice(nl + 1);
            if (!line) continue;
            try {
              const event = JSON.parse(line) as {
                Actor?: { ID?: string; Attributes?: Record<string, string> };
              };
              const id = event.Actor?.ID;
              if (id) this.inspections.changed(id);
              const attributes = event.Actor?.Attributes ?? {};
              const uid = attributes[LABEL_POD_UID];
              if (uid) this.listings.changed(uid);
              const namespace = attributes[LABEL_NAMESPACE];
              const name = attributes[LABEL_POD_NAME];
              if (namespace && name) this.workers.add(`${namespace}/${name}`);
            } catch {
              // A partial or foreign line: the periodic resync covers it.
            }
          }
        });
        stream.on('error', () => undefined);
        stream.on('close', () => {
          if (this.eventStream === stream) this.stopFollowing();
        });
        // dockerd restarted (perhaps faster than the health check notices) or the stream broke:
        // follow again and look at every pod, since events were missed meanwhile.
        stream.on('end', () => {
          if (this.eventStream !== stream) return;
          this.stopFollowing();
          if (this.started) setTimeout(() => this.runtimeRecovered(), 2_000).unref();
        });
      })
      .catch((err: unknown) => {
        this.log(`docker node: events: ${dockerMessage(err)}`);
        if (this.started) setTimeout(() => this.runtimeRecovered(), 5_000).unref();
      });
  }

  private stopFollowing(): void {
    this.inspections.stopFollowing();
    this.listings.stopFollowing();
  }

  // ---- Docker state -------------------------------------------------------------------------

  private inspect(id: string): Promise<ContainerInspectInfo | undefined> {
    return this.inspections.read(id, async () => {
      try {
        return await this.docker.getContainer(id).inspect();
      } catch (err) {
        if ((err as { statusCode?: number }).statusCode === 404) return undefined;
        throw err;
      }
    });
  }

  private async podContainers(uid: string): Promise<PodContainers> {
    const list =
      (await this.listings.read(uid, () =>
        this.docker.listContainers({
          all: true,
          filters: JSON.stringify({
            label: [`${LABEL_CLUSTER}=${this.options.clusterId}`, `${LABEL_POD_UID}=${uid}`],
          }),
        }),
      )) ?? [];
    const all: Found[] = [];
    for (const summary of list) {
      const info = await this.inspect(summary.Id);
      if (!info) continue;
      const labels = info.Config.Labels ?? {};
      all.push({
        id: summary.Id,
        name: labels[LABEL_ROLE] === 'sandbox' ? 'POD' : (labels[LABEL_CONTAINER] ?? ''),
        restartCount: Number(labels[LABEL_RESTART_COUNT] ?? 0) || 0,
        info,
      });
    }
    const newestFirst = (a: Found, b: Found) =>
      b.restartCount - a.restartCount || timeMs(b.info.Created) - timeMs(a.info.Created);
    const sandboxes = all
      .filter((f) => f.info.Config.Labels?.[LABEL_ROLE] === 'sandbox')
      .sort((a, b) => timeMs(b.info.Created) - timeMs(a.info.Created));
    const byName = new Map<string, Found[]>();
    for (const f of all) {
      if (f.info.Config.Labels?.[LABEL_ROLE] !== 'container') continue;
      const list = byName.get(f.name) ?? [];
      list.push(f);
      byName.set(f.name, list);
    }
    for (const list of byName.values()) list.sort(newestFirst);
    return { sandboxes, byName, all };
  }

  private async removeContainer(id: string): Promise<void> {
    const uid = this.inspections.get(id)?.Config.Labels?.[LABEL_POD_UID];
    this.inspections.forget(id);
    const pods = uid
      ? [uid]
      : [...this.listings.entries()].filter(([, l]) => l.some((c) => c.Id === id)).map(([p]) => p);
    // Before (a list under way is not kept) and after (nor one that still saw it).
    for (const pod of pods) this.listings.changed(pod);
    this.volumes.forgetContainer(id);
    try {
      await this.docker.getContainer(id).remove({ force: true, v: true });
    } catch (err) {
      const code = (err as { statusCode?: number }).statusCode;
      if (code !== 404 && code !== 409) throw err;
    } finally {
      for (const pod of pods) this.listings.changed(pod);
    }
  }

  private async stopContainer(id: string, graceSeconds: number): Promise<void> {
    try {
      // Docker sends the container's stop signal (the image's STOPSIGNAL, else SIGTERM), then
      // SIGKILL after the grace period, as kubelet's KillContainer does.
      await this.docker.getContainer(id).stop({ t: Math.max(0, Math.round(graceSeconds)) });
    } catch (err) {
      const code = (err as { statusCode?: number }).statusCode;
      if (code !== 304 && code !== 404) throw err;
    }
    this.inspections.changed(id);
  }

  /**
   * Removes containers of this cluster whose pod is gone (or no longer bound here), stopping
   * them gracefully first; containers without this cluster's labels are never looked at.
   */
  async collectGarbage(): Promise<void> {
    const list = await this.docker.listContainers({
      all: true,
      filters: JSON.stringify({ label: [`${LABEL_CLUSTER}=${this.options.clusterId}`] }),
    });
    const live = new Set(
      this.informer
        .list()
        .filter((p) => specOf(p).nodeName === this.options.nodeName)
        .map((p) => p.metadata.uid),
    );
    // Only pod containers (sandboxes and app/init containers) have a pod uid; netd has none.
    const orphans = list.filter((c) => {
      const uid = c.Labels?.[LABEL_POD_UID];
      return uid !== undefined && !live.has(uid);
    });
    await Promise.all(
      orphans.map(async (c) => {
        const uid = c.Labels?.[LABEL_POD_UID] ?? '';
        if ([...this.states.values()].some((s) => s.uid === uid && s.terminating !== undefined))
          return;
        if (c.State === 'running')
          await this.stopContainer(c.Id, Math.min(Number(c.Labels?.[LABEL_GRACE] ?? 30) || 0, 30));
        await this.removeContainer(c.Id);
        this.log(`docker node: removed container ${c.Names?.[0] ?? c.Id} (its pod is gone)`);
      }),
    );
    await this.removeVolumes();
  }

  // ---- volumes ----------------------------------------------------------------------------

  /** Removes the Docker volumes of pods that are gone (those still in use stay until next time). */
  private async removeVolumes(uid?: string): Promise<void> {
    const labels = [`${LABEL_CLUSTER}=${this.options.clusterId}`, `${LABEL_ROLE}=volume`];
    if (uid) labels.push(`${LABEL_POD_UID}=${uid}`);
    const { Volumes } = await this.docker.listVolumes({
      filters: JSON.stringify({ label: labels }),
    });
    const live = new Set(
      this.informer
        .list()
        .filter((p) => specOf(p).nodeName === this.options.nodeName)
        .map((p) => p.metadata.uid),
    );
    for (const volume of Volumes ?? []) {
      const owner = volume.Labels?.[LABEL_POD_UID];
      if (uid === undefined && live.has(owner)) continue;
      try {
        await this.docker.getVolume(volume.Name).remove();
      } catch (err) {
        const code = (err as { statusCode?: number }).statusCode;
        if (code !== 404 && code !== 409) throw err;
      }
    }
    if (uid) await this.volumes.tearDown(uid);
    else await this.volumes.collectGarbage(live);
  }

  // ---- images -------------------------------------------------------------------------------

  /** The image's inspection; undefined when it is not present. */
  private async imageInfo(image: string): Promise<ImageInspectInfo | undefined> {
    try {
      return await this.docker.getImage(image).inspect();
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) return undefined;
      throw err;
    }
  }

  private async pull(image: string, auth?: RegistryAuth, progress?: PullTracker): Promise<void> {
    const stream = await this.docker.pull(image, auth ? { authconfig: auth } : {});
    await new Promise<void>((resolve, reject) => {
      this.docker.modem.followProgress(
        stream,
        (err: Error | null) => (err ? reject(err) : resolve()),
        (message: DockerPullMessage) => progress?.update(message),
      );
    });
  }

  /** Pulls with each matching imagePullSecret in turn (kubelet's keyring), else anonymously. */
  private async pullFor(pod: KubeObject, image: string): Promise<void> {
    const refs = Array.isArray(specOf(pod).imagePullSecrets)
      ? (specOf(pod).imagePullSecrets as Obj[])
      : [];
    const secrets = refs
      .map((r) => this.client.tryGet(SECRETS, pod.metadata.namespace ?? '', str(r.name)))
      .filter((s): s is KubeObject => s !== undefined);
    const credentials = pullCredentials(image, secrets);
    const progress = pullProgress.begin(
      {
        namespace: pod.metadata.namespace ?? '',
        name: pod.metadata.name ?? '',
        uid: pod.metadata.uid ?? '',
      },
      image,
    );
    try {
      if (!credentials.length) return await this.pull(image, undefined, progress);
      let last: unknown;
      for (const auth of credentials) {
        try {
          return await this.pull(image, auth, progress);
        } catch (err) {
          last = err;
        }
      }
      throw last;
    } catch (err) {
      progress.finish(dockerMessage(err));
      throw err;
    } finally {
      progress.finish();
    }
  }

  /**
   * Makes the container's image present per its imagePullPolicy, with kubelet's events; returns
   * its inspection, or undefined (recording why the container waits) when it is not present.
   */
  private async ensureImage(
    pod: KubeObject,
    state: PodState,
    container: Obj,
  ): Promise<ImageInspectInfo | undefined> {
    const image = str(container.image);
    const name = str(container.name);
    const policy = imagePullPolicy(container);
    const events = this.options.events;
    const target = { ...this.ref(pod), fieldPath: this.fieldPath(pod, name) };
    const present = await this.imageInfo(image);
    if (policy === 'Never' || (policy === 'IfNotPresent' && present)) {
      if (present) {
        events.event(target, 'Normal', 'Pulled', alreadyPresentMessage(image));
        return present;
      }
      const message = `Container image "${image}" is not present with pull policy of Never`;
      state.waiting.set(name, { reason: 'ErrImageNeverPull', message });
      events.event(target, 'Warning', 'ErrImageNeverPull', message);
      return undefined;
    }
    const backoff = state.pullBackoff.get(image);
    if (backoff && Date.now() < backoff.until) {
      state.waiting.set(name, {
        reason: 'ImagePullBackOff',
        message: `Back-off pulling image "${image}": ErrImagePull: ${backoff.message}`,
      });
      events.event(target, 'Normal', 'BackOff', `Back-off pulling image "${image}"`);
      events.event(target, 'Warning', 'Failed', 'Error: ImagePullBackOff');
      return undefined;
    }
    events.event(target, 'Normal', 'Pulling', `Pulling image "${image}"`);
    const started = performance.now();
    try {
      await this.pullFor(pod, image);
    } catch (err) {
      const message = dockerMessage(err);
      const delay = Math.min((backoff?.delay ?? DEFAULT_BACKOFF_MS / 2) * 2, MAX_BACKOFF_MS);
      state.pullBackoff.set(image, { until: Date.now() + delay, delay, message });
      state.waiting.set(name, { reason: 'ErrImagePull', message });
      events.event(target, 'Warning', 'Failed', `Failed to pull image "${image}": ${message}`);
      events.event(target, 'Warning', 'Failed', 'Error: ErrImagePull');
      return undefined;
    }
    state.pullBackoff.delete(image);
    const elapsed = performance.now() - started;
    const info = await this.docker.getImage(image).inspect();
    events.event(target, 'Normal', 'Pulled', pulledMessage(image, elapsed, elapsed, info.Size));
    return info;
  }

  private async imageIdOf(imageId: string, fallback: string): Promise<string> {
    const known = this.imageIds.get(imageId);
    if (known) return known;
    let ref = imageId;
    try {
      const info = await this.docker.getImage(imageId).inspect();
      const repo = fallback.split('@')[0].replace(/:[^/:]+$/, '');
      ref =
        info.RepoDigests?.find((d) => d.startsWith(`${repo}@`)) ?? info.RepoDigests?.[0] ?? imageId;
    } catch {
      // Keep the bare image ID.
    }
    this.imageIds.set(imageId, ref);
    return ref;
  }

  // ---- sync ---------------------------------------------------------------------------------

  private ref(pod: KubeObject) {
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      namespace: pod.metadata.namespace,
      name: pod.metadata.name ?? '',
      uid: pod.metadata.uid,
    };
  }

  private fieldPath(pod: KubeObject, container: string): string {
    const spec = specOf(pod);
    const init = containersOf(spec, 'initContainers').findIndex((c) => c.name === container);
    if (init >= 0) return `spec.initContainers{${container}}`;
    return `spec.containers{${container}}`;
  }

  private stateFor(key: string, pod: KubeObject): PodState {
    let state = this.states.get(key);
    if (!state || state.uid !== pod.metadata.uid) {
      const started = statusOf(pod).startTime;
      state = {
        uid: pod.metadata.uid ?? '',
        ref: {
          uid: pod.metadata.uid ?? '',
          namespace: pod.metadata.namespace ?? '',
          name: pod.metadata.name ?? '',
        },
        startTime: typeof started === 'string' ? Date.parse(started) : Date.now(),
        order: this.arrivals++,
        waiting: new Map(),
        pullBackoff: new Map(),
        backoffReported: new Map(),
      };
      this.states.set(key, state);
    }
    return state;
  }

  private async sync(key: string): Promise<SyncResult> {
    if (!this.options.runtimeUp()) return { requeueAfterMs: 2_000 };
    const pod = this.informer.getByKey(key);
    const previous = this.states.get(key);
    const ours = pod && specOf(pod).nodeName === this.options.nodeName;
    if (previous && (!ours || previous.uid !== pod.metadata.uid)) {
      if (previous.terminating) await previous.terminating;
      // The pod is gone without passing through graceful deletion (force delete): tear down.
      const found = await this.podContainers(previous.uid);
      const grace = Math.min(Number(found.all[0]?.info.Config.Labels?.[LABEL_GRACE] ?? 0) || 0, 30);
      await Promise.all(found.all.filter(isRunning).map((f) => this.stopContainer(f.id, grace)));
      await Promise.all(found.all.map((f) => this.removeContainer(f.id)));
      await this.removeVolumes(previous.uid);
      this.probes.removePod(previous.uid);
      this.listings.forget(previous.uid);
      this.states.delete(key);
    }
    if (!pod || !ours) return;
    const state = this.stateFor(key, pod);
    if (pod.metadata.deletionTimestamp) {
      state.terminating ??= this.terminate(key, pod, state).finally(() => {
        state.terminating = undefined;
      });
      await state.terminating;
      return;
    }
    if (isTerminalPhase(statusOf(pod).phase)) {
      // A finished pod keeps its exited containers (for logs) but not its sandbox.
      const found = await this.podContainers(state.uid);
      await Promise.all(found.sandboxes.filter(isRunning).map((s) => this.stopContainer(s.id, 0)));
      return;
    }
    return this.syncRunning(pod, state);
  }

  private grace(pod: KubeObject): number {
    const given =
      pod.metadata.deletionGracePeriodSeconds ?? specOf(pod).terminationGracePeriodSeconds;
    return typeof given === 'number' && given >= 0 ? given : 30;
  }

  /** Graceful termination: stop signal, grace period, SIGKILL; final status; remove; delete. */
  private async terminate(key: string, pod: KubeObject, state: PodState): Promise<void> {
    const grace = this.grace(pod);
    const found = await this.podContainers(state.uid);
    const running = found.all.filter(
      (f) => isRunning(f) && f.info.Config.Labels?.[LABEL_ROLE] === 'container',
    );
    for (const f of running)
      this.options.events.event(
        { ...this.ref(pod), fieldPath: this.fieldPath(pod, f.name) },
        'Normal',
        'Killing',
        `Stopping container ${f.name}`,
      );
    const podIP = typeof statusOf(pod).podIP === 'string' ? String(statusOf(pod).podIP) : undefined;
    // preStop first, within the grace period; the stop signal gets what is left (kubelet).
    await Promise.all(
      running.map(async (f) => {
        const spec = containersOf(specOf(pod), 'containers').find((c) => c.name === f.name);
        const target = { ...this.ref(pod), fieldPath: this.fieldPath(pod, f.name) };
        const left = await this.hooks.preStop(pod, spec, f.id, podIP, target, grace);
        await this.stopContainer(f.id, left);
      }),
    );
    await Promise.all(found.sandboxes.filter(isRunning).map((s) => this.stopContainer(s.id, 0)));
    const current = this.informer.getByKey(key) ?? pod;
    if (current.metadata.uid === state.uid) {
      const after = await this.podContainers(state.uid);
      const status = await this.computeStatus(current, state, after, true, undefined);
      await this.writeStatus(current, status);
    }
    await Promise.all(found.all.map((f) => this.removeContainer(f.id)));
    await this.removeVolumes(state.uid);
    try {
      await this.client.delete(PODS, pod.metadata.namespace ?? '', pod.metadata.name ?? '', {
        gracePeriodSeconds: 0,
        preconditions: { uid: state.uid },
      });
    } catch (err) {
      if (!(err instanceof StatusError && (err.code === 404 || err.code === 409))) throw err;
    }
    this.probes.removePod(state.uid);
    this.listings.forget(state.uid);
    this.states.delete(key);
  }

  /**
   * The pod's /etc/hosts and resolv.conf (kubelet's per-pod files), bind-mounted into each of its
   * containers; without cluster DNS, resolv.conf stays Docker's.
   */
  private async networkFileMounts(
    pod: KubeObject,
    uid: string,
    podIP: string | undefined,
  ): Promise<DockerMount[]> {
    const dir = this.volumes.podDir(uid);
    await fs.mkdir(dir, { recursive: true, mode: 0o750 });
    const domain = this.options.dns?.domain ?? 'cluster.local';
    const hosts = path.join(dir, 'etc-hosts');
    await fs.writeFile(hosts, podHostsFile(pod, podIP ? [podIP] : [], domain), { mode: 0o644 });
    const mounts: DockerMount[] = [
      { Type: 'bind', Source: hosts, Target: '/etc/hosts', ReadOnly: false },
    ];
    const dns = this.options.dns;
    if (!dns) return mounts;
    const resolv = path.join(dir, 'etc-resolv.conf');
    const text = podResolvConf(pod, {
      nameserver: dns.nameserver,
      domain: dns.domain,
      hostResolvConf: DOCKER_RESOLV_CONF,
    });
    await fs.writeFile(resolv, text, { mode: 0o644 });
    mounts.push({ Type: 'bind', Source: resolv, Target: '/etc/resolv.conf', ReadOnly: false });
    return mounts;
  }

  private lookup(): ObjectLookup {
    return {
      configMap: (namespace, name) => this.client.tryGet(CONFIGMAPS, namespace, name),
      secret: (namespace, name) => this.client.tryGet(SECRETS, namespace, name),
    };
  }

  private async ensureSandbox(
    pod: KubeObject,
    state: PodState,
    found: PodContainers,
  ): Promise<Found | undefined> {
    const latest = found.sandboxes[0];
    if (isRunning(latest)) return latest;
    // A dead sandbox takes the pod's containers with it (their network is gone): start over.
    if (latest) {
      await Promise.all(
        found.all
          .filter((f) => f !== latest && isRunning(f))
          .map((f) => this.stopContainer(f.id, 0)),
      );
    }
    const attempt = latest ? Number(/_(\d+)$/.exec(latest.info.Name)?.[1] ?? 0) + 1 : 0;
    const hostname = podHostname(pod);
    try {
      const create = () =>
        this.docker.createContainer({
          name: containerName(state.ref, 'POD', attempt),
          Image: this.options.sandboxImage,
          Hostname: hostname,
          Labels: podLabels(this.options.clusterId, state.ref),
          ExposedPorts: sandboxPortBindings(pod).ExposedPorts,
          HostConfig: {
            NetworkMode: this.options.network,
            IpcMode: 'shareable',
            RestartPolicy: { Name: 'no' },
            PortBindings: sandboxPortBindings(pod).PortBindings,
          },
        });
      let container;
      try {
        container = await this.starts.run(state.order, create);
      } catch (err) {
        // The sandbox image is pulled when Docker says it is missing, not checked before each pod.
        if ((err as { statusCode?: number }).statusCode !== 404) throw err;
        await this.pullSandboxImage(pod);
        container = await this.starts.run(state.order, create);
      } finally {
        this.listings.changed(state.uid);
      }
      await this.starts.run(state.order, () => container.start());
      if (latest) await this.removeContainer(latest.id);
      const info = await this.inspect(container.id);
      if (!info) throw new Error(`sandbox ${container.id} disappeared after it started`);
      return { id: container.id, name: 'POD', restartCount: attempt, info };
    } catch (err) {
      if (err instanceof SandboxImageError) throw err;
      const message = `Failed to create pod sandbox: ${dockerMessage(err)}`;
      this.options.events.event(this.ref(pod), 'Warning', 'FailedCreatePodSandBox', message);
      throw new Error(message, { cause: err });
    }
  }

  private async pullSandboxImage(pod: KubeObject): Promise<void> {
    try {
      await this.pull(this.options.sandboxImage);
    } catch (err) {
      const message = `failed to pull the sandbox image "${this.options.sandboxImage}": ${dockerMessage(err)}`;
      this.options.events.event(this.ref(pod), 'Warning', 'FailedCreatePodSandBox', message);
      throw new SandboxImageError(message, { cause: err });
    }
  }

  private sandboxIP(sandbox: Found | undefined): string | undefined {
    const ip = sandbox?.info.NetworkSettings.Networks?.[this.options.network]?.IPAddress;
    return ip || undefined;
  }

  /** Creates and starts one attempt of a container; false when it must wait (image, config). */
  private async startContainer(
    pod: KubeObject,
    state: PodState,
    spec: Obj,
    type: 'init' | 'regular',
    restartCount: number,
    sandbox: Found,
    previous: Found[],
  ): Promise<boolean> {
    const name = str(spec.name);
    const target = { ...this.ref(pod), fieldPath: this.fieldPath(pod, name) };
    state.waiting.delete(name);
    const image = await this.ensureImage(pod, state, spec);
    if (!image) return false;
    let options: ReturnType<typeof containerCreateOptions>;
    try {
      const env = resolveEnv(
        pod,
        spec,
        this.lookup(),
        {
          podIP: this.sandboxIP(sandbox),
          hostIP: this.options.hostIP,
          allocatable: this.volumes.nodeAllocatable(),
        },
        this.options.serviceEnv?.(pod),
      );
      // Volumes, subPaths and the termination-message file: volumes.ts.
      const mounts = await this.volumes.mountsFor(state.uid, spec, env);
      const message = await this.volumes.terminationMessageMount(pod, spec, restartCount);
      mounts.push(...(await this.networkFileMounts(pod, state.uid, this.sandboxIP(sandbox))));
      options = containerCreateOptions({
        pod,
        container: spec,
        env,
        image: str(spec.image),
        name: containerName(state.ref, name, restartCount),
        labels: {
          ...podLabels(this.options.clusterId, state.ref, {
            name,
            type,
            restartCount,
            grace: this.grace(pod),
          }),
          ...message.labels,
        },
        sandboxId: sandbox.id,
        mounts: [...mounts, message.mount],
        imageUser: image.Config?.User,
      });
    } catch (err) {
      if (!(err instanceof ContainerConfigError)) throw err;
      state.waiting.set(name, { reason: 'CreateContainerConfigError', message: err.message });
      this.options.events.event(target, 'Warning', 'Failed', `Error: ${err.message}`);
      return false;
    }
    const create = () =>
      this.starts
        .run(state.order, () => this.docker.createContainer(options))
        .finally(() => this.listings.changed(state.uid));
    let container;
    try {
      container = await create();
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 409) {
        // A leftover of this very attempt (a crash between create and start): replace it.
        await this.removeContainer(String(options.name));
        container = await create();
      } else {
        const message = dockerMessage(err);
        state.waiting.set(name, { reason: 'CreateContainerError', message });
        this.options.events.event(target, 'Warning', 'Failed', `Error: ${message}`);
        return false;
      }
    }
    this.options.events.event(target, 'Normal', 'Created', `Created container: ${name}`);
    // Keep only the attempt before this one (kubelet keeps one dead container for --previous).
    for (const old of previous.slice(1)) await this.removeContainer(old.id);
    try {
      await this.starts.run(state.order, () => container.start());
      this.options.events.event(target, 'Normal', 'Started', `Started container ${name}`);
      const podIP = this.sandboxIP(sandbox);
      await this.hooks.postStart(pod, spec, container.id, podIP, target, this.grace(pod));
    } catch (err) {
      this.options.events.event(target, 'Warning', 'Failed', `Error: ${dockerMessage(err)}`);
    }
    return true;
  }

  /**
   * When an exited container may start again: undefined if never (restartPolicy), else the time
   * its back-off ends.
   */
  private restartAt(pod: KubeObject, found: Found, type: 'init' | 'regular'): number | undefined {
    const policy = restartPolicyOf(pod);
    const exit = found.info.State.ExitCode;
    const neverStarted = timeMs(found.info.State.StartedAt) === 0;
    const failed = exit !== 0 || neverStarted || found.info.State.OOMKilled;
    if (type === 'init' && !failed) return undefined;
    if (policy === 'Never' || (policy === 'OnFailure' && !failed)) return undefined;
    const finished = timeMs(found.info.State.FinishedAt) || Date.now();
    const ran = finished - (timeMs(found.info.State.StartedAt) || finished);
    return (
      finished +
      crashLoopDelay(found.restartCount, ran, this.options.restartBackoffMs ?? DEFAULT_BACKOFF_MS)
    );
  }

  private async syncRunning(pod: KubeObject, state: PodState): Promise<SyncResult> {
    let found = await this.podContainers(state.uid);
    // Say "ContainerCreating" at once; pulls and starts can take a while.
    if (!statusOf(pod).containerStatuses)
      await this.writeStatus(pod, await this.computeStatus(pod, state, found, false, undefined));
    try {
      // Every sync: configMap/secret/downwardAPI/token changes reach the running pod.
      await this.volumes.setUp(pod, state.ref);
    } catch (err) {
      if (!(err instanceof VolumeSetUpError)) throw err;
      if (this.volumes.shouldReport(state.uid, err.message))
        this.options.events.event(this.ref(pod), 'Warning', 'FailedMount', err.message);
      // A pod that never started waits in ContainerCreating; a running one keeps running.
      if (!found.sandboxes.some(isRunning)) return { requeueAfterMs: 2_000 };
    }
    const sandbox = await this.ensureSandbox(pod, state, found);
    if (!sandbox) return { requeueAfterMs: 1_000 };
    if (sandbox.id !== found.sandboxes[0]?.id) {
      // A pod's first sandbox: nothing else changed. A replaced one stopped the pod's containers.
      found = found.all.length
        ? await this.podContainers(state.uid)
        : { sandboxes: [sandbox], byName: new Map(), all: [sandbox] };
    }
    const now = Date.now();
    let wakeAt = now + RESYNC_MS;
    const spec = specOf(pod);
    let initDone = true;
    /** A container was created in this sync: Docker's view is looked at again before the status. */
    let acted = false;
    for (const c of containersOf(spec, 'initContainers')) {
      const name = String(c.name);
      const attempts = found.byName.get(name) ?? [];
      const latest = attempts[0];
      if (isRunning(latest)) {
        initDone = false;
        break;
      }
      if (
        latest &&
        isFinished(latest) &&
        latest.info.State.ExitCode === 0 &&
        timeMs(latest.info.State.StartedAt)
      )
        continue;
      initDone = false;
      if (latest) {
        const at = this.restartAt(pod, latest, 'init');
        if (at === undefined) break; // restartPolicy Never: the pod fails
        if (at > now) {
          this.reportBackoff(pod, state, name, latest);
          wakeAt = Math.min(wakeAt, at);
          break;
        }
      }
      acted = true;
      await this.startContainer(
        pod,
        state,
        c,
        'init',
        latest ? latest.restartCount + 1 : 0,
        sandbox,
        attempts,
      );
      break;
    }
    if (initDone) {
      for (const c of containersOf(spec, 'containers')) {
        const name = String(c.name);
        const attempts = found.byName.get(name) ?? [];
        const latest = attempts[0];
        if (isRunning(latest)) continue;
        if (latest) {
          const at = this.restartAt(pod, latest, 'regular');
          if (at === undefined) continue;
          if (at > now) {
            this.reportBackoff(pod, state, name, latest);
            wakeAt = Math.min(wakeAt, at);
            continue;
          }
        }
        acted = true;
        const started = await this.startContainer(
          pod,
          state,
          c,
          'regular',
          latest ? latest.restartCount + 1 : 0,
          sandbox,
          attempts,
        );
        if (!started) {
          const backoff = state.pullBackoff.get(str(c.image));
          if (backoff) wakeAt = Math.min(wakeAt, backoff.until);
        }
      }
    }
    if (acted) found = await this.podContainers(state.uid);
    const status = await this.computeStatus(pod, state, found, false, this.sandboxIP(sandbox));
    if (isTerminalPhase(status.phase))
      await Promise.all(found.sandboxes.filter(isRunning).map((s) => this.stopContainer(s.id, 0)));
    await this.writeStatus(pod, status);
    if (isTerminalPhase(status.phase)) return;
    return { requeueAfterMs: Math.max(wakeAt - Date.now(), 50) };
  }

  private reportBackoff(pod: KubeObject, state: PodState, name: string, latest: Found): void {
    if (state.backoffReported.get(name) === latest.restartCount) return;
    state.backoffReported.set(name, latest.restartCount);
    this.options.events.event(
      { ...this.ref(pod), fieldPath: this.fieldPath(pod, name) },
      'Warning',
      'BackOff',
      `Back-off restarting failed container ${name} in pod ${podDescription(pod)}`,
    );
  }

  private async containerStatus(
    pod: KubeObject,
    state: PodState,
    spec: Obj,
    attempts: Found[],
    type: 'init' | 'regular',
    terminal: boolean,
    initializing: boolean,
  ): Promise<ContainerStatus> {
    const name = str(spec.name);
    const image = str(spec.image);
    const [latest, previous] = attempts;
    const status: ContainerStatus = {
      name,
      state: {},
      lastState: {},
      ready: false,
      restartCount: latest?.restartCount ?? 0,
      image,
      imageID: '',
      started: false,
    };
    if (!latest) {
      const waiting = state.waiting.get(name);
      status.state = {
        waiting: waiting
          ? { reason: waiting.reason, message: waiting.message }
          : { reason: initializing || type === 'init' ? 'PodInitializing' : 'ContainerCreating' },
      };
      return status;
    }
    status.containerID = `docker://${latest.id}`;
    status.imageID = await this.imageIdOf(latest.info.Image, image);
    if (previous && isFinished(previous))
      status.lastState = { terminated: await this.terminated(previous, spec) };
    if (type === 'regular')
      this.probes.observe(pod, spec, {
        containerId: isRunning(latest) ? latest.id : undefined,
        startedAtMs: timeMs(latest.info.State.StartedAt),
        podIP: str(statusOf(pod).podIP) || undefined,
      });
    if (isRunning(latest)) {
      status.state = { running: { startedAt: iso(timeMs(latest.info.State.StartedAt)) } };
      status.started = type !== 'regular' || this.probes.started(state.uid, name, latest.id);
      status.ready =
        type === 'regular' && !terminal && this.probes.ready(state.uid, name, latest.id);
      return status;
    }
    const at = terminal ? undefined : this.restartAt(pod, latest, type);
    const waiting = state.waiting.get(name);
    if (at !== undefined && waiting) {
      status.state = { waiting: { reason: waiting.reason, message: waiting.message } };
      status.lastState = { terminated: await this.terminated(latest, spec) };
    } else if (at !== undefined) {
      const finished = timeMs(latest.info.State.FinishedAt) || Date.now();
      status.state = {
        waiting: {
          reason: 'CrashLoopBackOff',
          message: crashLoopMessage(pod, name, Math.max(at - finished, 0)),
        },
      };
      status.lastState = { terminated: await this.terminated(latest, spec) };
    } else {
      status.state = { terminated: await this.terminated(latest, spec) };
    }
    return status;
  }

  /** exitInfo plus the termination message (file, or logs on error) as kubelet reports it. */
  private async terminated(found: Found, spec: Obj): Promise<Obj> {
    const info = exitInfo(found);
    const message = await this.volumes.terminationMessage(found.info, spec);
    if (message !== undefined) info.message = message;
    return info;
  }

  private async computeStatus(
    pod: KubeObject,
    state: PodState,
    found: PodContainers,
    terminal: boolean,
    podIP: string | undefined,
  ): Promise<Obj> {
    const spec = specOf(pod);
    const initStatuses: ContainerStatus[] = [];
    for (const c of containersOf(spec, 'initContainers'))
      initStatuses.push(
        await this.containerStatus(
          pod,
          state,
          c,
          found.byName.get(String(c.name)) ?? [],
          'init',
          terminal,
          true,
        ),
      );
    const initializing = initStatuses.some((s) => s.state.terminated?.exitCode !== 0);
    const containerStatuses: ContainerStatus[] = [];
    for (const c of containersOf(spec, 'containers'))
      containerStatuses.push(
        await this.containerStatus(
          pod,
          state,
          c,
          found.byName.get(String(c.name)) ?? [],
          'regular',
          terminal,
          initializing,
        ),
      );
    const ip =
      podIP ?? (typeof statusOf(pod).podIP === 'string' ? String(statusOf(pod).podIP) : undefined);
    const phase = podPhase(pod, initStatuses, containerStatuses, terminal);
    return buildPodStatus({
      pod,
      initStatuses,
      containerStatuses,
      hostIP: this.options.hostIP,
      podIP: ip,
      startTime: state.startTime,
      now: Date.now(),
      terminal,
      sandboxReady: !!podIP && !isTerminalPhase(phase),
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
      // A newer version is on its way through the informer; that event syncs again.
      if (err instanceof StatusError && (err.code === 409 || err.code === 404)) return;
      throw err;
    }
  }
}
