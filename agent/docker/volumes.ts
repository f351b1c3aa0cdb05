// kubelet's volume manager on Docker (pkg/kubelet/volumemanager and the volume plugins under
// pkg/volume): emptyDir and PVCs as labelled Docker volumes, hostPath with its type checks,
// configMap/secret/downwardAPI/projected written by the AtomicWriter under a per-pod directory of
// the cluster's data dir and bind-mounted (re-written on every pod sync, so updates reach running
// pods), ServiceAccount tokens through TokenRequest refreshed at 80% of their life, subPath,
// termination-message files, and clean-up of what pods that are gone left behind.
import type { Stats } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type Docker from 'dockerode';
import type { ContainerInspectInfo } from 'dockerode';
import type { KubeObject } from '../../main/api/types.ts';
import { parseQuantity, quantityValue } from '../../main/api/quantity.ts';
import type { LocalClient } from '../../main/client/local-client.ts';
import { Informer } from '../../main/client/informer.ts';
import { SKIFF_CSI_DRIVER } from '../../main/controllers/volume/persistent-volume-controller.ts';
import { writeAtomic, type FileProjection } from '../kubelet/atomic-writer.ts';
import { specOf, str, type Obj } from '../kubelet/common.ts';
import {
  containerNamed,
  DownwardApiError,
  fieldRefValue,
  resourceFieldValue,
} from '../kubelet/downward-api.ts';
import { ContainerConfigError, envMap, subPathOf, type DockerMount } from './container-config.ts';
import { LABEL_CLUSTER, LABEL_ROLE, volumeLabels, volumeName, type PodRef } from './labels.ts';

const CONFIGMAPS = { group: '', version: 'v1', resource: 'configmaps' };
const SECRETS = { group: '', version: 'v1', resource: 'secrets' };
const PVCS = { group: '', version: 'v1', resource: 'persistentvolumeclaims' };
const PVS = { group: '', version: 'v1', resource: 'persistentvolumes' };
const NODES = { group: '', version: 'v1', resource: 'nodes' };

/** Labels of the Docker volume backing a PersistentVolume (not a pod: it outlives them). */
export const ROLE_PERSISTENT_VOLUME = 'persistent-volume';
export const LABEL_PV_NAME = 'skiff.dev/pv-name';
export const LABEL_RECLAIM_POLICY = 'skiff.dev/reclaim-policy';
/** On a container: the host file bind-mounted at its terminationMessagePath. */
export const LABEL_TERMINATION_FILE = 'skiff.dev/termination-message-file';

/** kubelet's limits on a termination message (pkg/kubelet/container: 4 KiB; logs: 80 lines, 2 KiB). */
const MAX_MESSAGE_BYTES = 4096;
const MAX_LOG_LINES = 80;
const MAX_LOG_BYTES = 2048;
/** The token manager refreshes a token older than 80% of its life, or than 24 h. */
const TOKEN_REFRESH_FRACTION = 0.8;
const TOKEN_MAX_AGE_MS = 24 * 3600_000;

/** POST serviceaccounts/{name}/token in the pod's namespace; resolves with the TokenRequest. */
export type TokenRequester = (
  namespace: string,
  serviceAccount: string,
  request: KubeObject,
) => Promise<KubeObject>;

/** What a pod volume is on Docker. */
export type VolumeSource =
  | { kind: 'volume'; name: string; readOnly: boolean }
  | { kind: 'bind'; path: string; readOnly: boolean };

/** A volume could not be set up (kubelet's FailedMount); the pod waits in ContainerCreating. */
export class VolumeSetUpError extends Error {
  constructor(
    readonly volume: string,
    reason: string,
  ) {
    super(`MountVolume.SetUp failed for volume "${volume}" : ${reason}`);
  }
}

export interface PodVolumesOptions {
  docker: Docker;
  client: LocalClient;
  clusterId: string;
  nodeName: string;
  /** Root of the per-pod directories (`<root>/pods/<uid>/…`). */
  root: string;
  requestToken?: TokenRequester;
  log: (line: string) => void;
}

/** The PV's Docker volume name (PV names are DNS subdomains, valid in Docker names). */
export function persistentVolumeName(clusterId: string, pv: string): string {
  return `skiff-${clusterId.slice(0, 8)}-pv-${pv}`;
}

/** kubelet's hostPath type check (pkg/volume/hostpath), creating what the *OrCreate types ask for. */
export async function checkHostPath(target: string, type: string): Promise<void> {
  let stat: Stats | undefined;
  try {
    stat = await fs.stat(target);
  } catch {
    stat = undefined;
  }
  const fail = (what: string) => {
    throw new Error(`hostPath type check failed: ${target} is not a ${what}`);
  };
  switch (type) {
    case '':
      // No check; like Docker's -v (and dockershim), a missing path becomes a directory.
      if (!stat) await fs.mkdir(target, { recursive: true, mode: 0o755 });
      return;
    case 'DirectoryOrCreate':
      if (!stat) {
        await fs.mkdir(target, { recursive: true, mode: 0o755 });
        return;
      }
      if (!stat.isDirectory()) fail('directory');
      return;
    case 'Directory':
      if (!stat?.isDirectory()) fail('directory');
      return;
    case 'FileOrCreate':
      if (!stat) {
        // Like kubelet, the parent must exist: only the file itself is created.
        const handle = await fs.open(target, 'a', 0o644);
        await handle.close();
        return;
      }
      if (!stat.isFile()) fail('file');
      return;
    case 'File':
      if (!stat?.isFile()) fail('file');
      return;
    case 'Socket':
      if (!stat?.isSocket()) fail('socket file');
      return;
    case 'CharDevice':
      if (!stat?.isCharacterDevice()) fail('character device');
      return;
    case 'BlockDevice':
      if (!stat?.isBlockDevice()) fail('block device');
      return;
    default:
      throw new Error(`hostPath type check failed: unsupported type ${type}`);
  }
}

function modeOf(value: unknown, fallback: number): number {
  return typeof value === 'number' && value >= 0 && value <= 0o777 ? value : fallback;
}

function objectData(object: KubeObject, secret: boolean): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const data = ((object as Obj).data ?? {}) as Record<string, unknown>;
  for (const [k, v] of Object.entries(data))
    if (typeof v === 'string') out.set(k, secret ? Buffer.from(v, 'base64') : Buffer.from(v));
  const binary = ((object as Obj).binaryData ?? {}) as Record<string, unknown>;
  if (!secret)
    for (const [k, v] of Object.entries(binary))
      if (typeof v === 'string') out.set(k, Buffer.from(v, 'base64'));
  return out;
}

/**
 * The files of a configMap or secret source: every key, or the listed items; a missing object or
 * key fails unless optional, with kubelet's words.
 */
export function keyProjection(
  kind: 'configmap' | 'secret',
  name: string,
  object: KubeObject | undefined,
  source: Obj,
  defaultMode: number,
): Map<string, FileProjection> {
  const out = new Map<string, FileProjection>();
  const optional = source.optional === true;
  if (!object) {
    if (optional) return out;
    throw new Error(`${kind} "${name}" not found`);
  }
  const data = objectData(object, kind === 'secret');
  const items = Array.isArray(source.items) ? (source.items as Obj[]) : undefined;
  if (!items) {
    for (const [key, value] of data) out.set(key, { data: value, mode: defaultMode });
    return out;
  }
  for (const item of items) {
    const key = str(item.key);
    const value = data.get(key);
    if (!value) {
      if (optional) continue;
      throw new Error(
        kind === 'configmap'
          ? `configmap references non-existent config key: ${key}`
          : `references non-existent secret key: ${key}`,
      );
    }
    out.set(str(item.path), { data: value, mode: modeOf(item.mode, defaultMode) });
  }
  return out;
}

/** The files of a downwardAPI source (metadata fieldRefs and containers' resourceFieldRefs). */
export function downwardProjection(
  pod: KubeObject,
  items: Obj[],
  defaultMode: number,
  allocatable: Obj,
): Map<string, FileProjection> {
  const out = new Map<string, FileProjection>();
  for (const item of items) {
    let value: string;
    if (item.fieldRef) value = fieldRefValue(pod, str((item.fieldRef as Obj).fieldPath));
    else if (item.resourceFieldRef) {
      const ref = item.resourceFieldRef as Obj;
      const container = containerNamed(pod, str(ref.containerName));
      if (!container)
        throw new DownwardApiError(`container "${str(ref.containerName)}" not found in pod`);
      value = resourceFieldValue(container, str(ref.resource), ref.divisor, allocatable);
    } else continue;
    out.set(str(item.path), { data: Buffer.from(value), mode: modeOf(item.mode, defaultMode) });
  }
  return out;
}

interface CachedToken {
  token: string;
  issuedAt: number;
  expiresAt: number;
}

/** Whether kubelet's token manager would fetch a new token now. */
export function tokenNeedsRefresh(token: CachedToken | undefined, now: number): boolean {
  if (!token) return true;
  if (now >= token.expiresAt) return true;
  if (now - token.issuedAt > TOKEN_MAX_AGE_MS) return true;
  return now > token.issuedAt + (token.expiresAt - token.issuedAt) * TOKEN_REFRESH_FRACTION;
}

/** Docker's multiplexed log stream (8-byte frame headers) as plain text; TTY logs pass through. */
export function demuxLogs(buffer: Buffer, tty: boolean): string {
  if (tty) return buffer.toString('utf8');
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= buffer.length) {
    const size = buffer.readUInt32BE(offset + 4);
    parts.push(buffer.subarray(offset + 8, offset + 8 + size));
    offset += 8 + size;
  }
  return Buffer.concat(parts).toString('utf8');
}

export class PodVolumes {
  private readonly docker: Docker;
  private readonly client: LocalClient;
  private readonly pvs: Informer;
  private readonly tokens = new Map<string, CachedToken>();
  /** Pod uid → the last FailedMount reported and when (kubelet does not repeat it each retry). */
  private readonly reported = new Map<string, { message: string; at: number }>();
  /** Pod uid → its volumes as last set up. */
  private readonly sources = new Map<string, Map<string, VolumeSource>>();
  /** Exited containers' messages (they never change). */
  private readonly messages = new Map<string, string | undefined>();
  /** Reclaim policies of PVs seen deleted, for volumes still in use at that moment. */
  private readonly reclaimed = new Map<string, string>();
  private localMounts: boolean | undefined;
  /** Pod Docker volumes created (and given kubelet's permissions) by this run. */
  private readonly prepared = new Set<string>();

  constructor(private readonly options: PodVolumesOptions) {
    this.docker = options.docker;
    this.client = options.client;
    this.pvs = new Informer(options.client, PVS);
  }

  start(): void {
    this.pvs.addHandlers({
      delete: (pv) => {
        const name = pv.metadata.name ?? '';
        const policy = str(specOf(pv).persistentVolumeReclaimPolicy) || 'Retain';
        this.reclaimed.set(name, policy);
        this.reclaimPersistentVolumes().catch((err: unknown) =>
          this.options.log(`docker node: reclaim volume of PV ${name}: ${String(err)}`),
        );
      },
    });
    this.pvs.start();
  }

  stop(): void {
    this.pvs.stop();
  }

  podDir(uid: string): string {
    return path.join(this.options.root, 'pods', uid);
  }

  private allocatable(): Obj {
    const node = this.client.tryGet(NODES, '', this.options.nodeName);
    return ((node?.status as Obj | undefined)?.allocatable ?? {}) as Obj;
  }

  /** The node's allocatable, for env resourceFieldRefs without a limit. */
  nodeAllocatable(): Obj {
    return this.allocatable();
  }

  /**
   * Sets up (or refreshes) every volume of the pod; throws VolumeSetUpError for the first that
   * cannot be, as kubelet's FailedMount event says it.
   */
  async setUp(pod: KubeObject, ref: PodRef): Promise<Map<string, VolumeSource>> {
    const out = new Map<string, VolumeSource>();
    const volumes = Array.isArray(specOf(pod).volumes) ? (specOf(pod).volumes as Obj[]) : [];
    for (const volume of volumes) {
      const name = str(volume.name);
      try {
        const source = await this.setUpOne(pod, ref, volume);
        if (source) out.set(name, source);
      } catch (err) {
        if (err instanceof VolumeSetUpError) throw err;
        throw new VolumeSetUpError(name, err instanceof Error ? err.message : String(err));
      }
    }
    this.sources.set(ref.uid, out);
    return out;
  }

  private fsGroup(pod: KubeObject): number | undefined {
    const fsGroup = ((specOf(pod).securityContext ?? {}) as Obj).fsGroup;
    return typeof fsGroup === 'number' ? fsGroup : undefined;
  }

  private async writeProjection(
    pod: KubeObject,
    plugin: string,
    name: string,
    payload: Map<string, FileProjection>,
  ): Promise<VolumeSource> {
    const dir = path.join(this.podDir(pod.metadata.uid ?? ''), 'volumes', plugin, name);
    const fsGroup = this.fsGroup(pod);
    if (fsGroup !== undefined)
      // kubelet's SetVolumeOwnership: group-owned by fsGroup and group-readable.
      for (const file of payload.values()) file.mode |= 0o440;
    await writeAtomic(dir, payload, { gid: fsGroup });
    // API data volumes are always mounted read-only (kubelet's ReadOnlyAPIDataVolumes).
    return { kind: 'bind', path: dir, readOnly: true };
  }

  private async setUpOne(
    pod: KubeObject,
    ref: PodRef,
    volume: Obj,
  ): Promise<VolumeSource | undefined> {
    const name = str(volume.name);
    const namespace = pod.metadata.namespace ?? '';
    if (volume.emptyDir && typeof volume.emptyDir === 'object') {
      const emptyDir = volume.emptyDir as Obj;
      if (emptyDir.medium !== 'Memory' && !(await this.dockerIsLocal())) {
        // Docker's volume directory is out of reach (Docker Desktop's VM, a non-root user): it
        // would stay root's 0755. Use kubelet's own layout, a per-pod directory, instead.
        const dir = path.join(this.podDir(ref.uid), 'volumes', 'kubernetes.io~empty-dir', name);
        const fsGroup = this.fsGroup(pod);
        await fs.mkdir(dir, { recursive: true });
        if (fsGroup !== undefined) await fs.chown(dir, -1, fsGroup).catch(() => undefined);
        await fs.chmod(dir, fsGroup !== undefined ? 0o2777 : 0o777);
        return { kind: 'bind', path: dir, readOnly: false };
      }
      const docker = volumeName(this.options.clusterId, ref, name);
      const options: Record<string, string> = {};
      if (emptyDir.medium === 'Memory') {
        // One tmpfs volume for the pod: every container that mounts it shares its files.
        options.type = 'tmpfs';
        options.device = 'tmpfs';
        const limit = emptyDir.sizeLimit ? parseQuantity(str(emptyDir.sizeLimit)) : undefined;
        // kubelet's emptyDir is world-writable (0777), tmpfs or not.
        const fsGroup = this.fsGroup(pod);
        options.o = [
          ...(limit && typeof limit !== 'string' ? [`size=${quantityValue(limit)}`] : []),
          fsGroup !== undefined ? `mode=2777,gid=${fsGroup}` : 'mode=0777',
        ].join(',');
      }
      // Creating a volume that exists returns it: safe to repeat, but not needed every sync.
      if (!this.prepared.has(docker)) {
        await this.docker.createVolume({
          Name: docker,
          Labels: volumeLabels(this.options.clusterId, ref, name),
          DriverOpts: options,
        });
        if (emptyDir.medium !== 'Memory') await this.prepareDirectory(docker, this.fsGroup(pod));
        this.prepared.add(docker);
      }
      return { kind: 'volume', name: docker, readOnly: false };
    }
    if (volume.hostPath) {
      const hostPath = volume.hostPath as Obj;
      await checkHostPath(str(hostPath.path), str(hostPath.type));
      return { kind: 'bind', path: str(hostPath.path), readOnly: false };
    }
    if (volume.configMap) {
      const source = volume.configMap as Obj;
      const object = this.client.tryGet(CONFIGMAPS, namespace, str(source.name));
      const payload = keyProjection(
        'configmap',
        str(source.name),
        object,
        source,
        modeOf(source.defaultMode, 0o644),
      );
      return this.writeProjection(pod, 'kubernetes.io~configmap', name, payload);
    }
    if (volume.secret) {
      const source = volume.secret as Obj;
      const secretName = str(source.secretName);
      const object = this.client.tryGet(SECRETS, namespace, secretName);
      const payload = keyProjection(
        'secret',
        secretName,
        object,
        source,
        modeOf(source.defaultMode, 0o644),
      );
      return this.writeProjection(pod, 'kubernetes.io~secret', name, payload);
    }
    if (volume.downwardAPI) {
      const source = volume.downwardAPI as Obj;
      const payload = downwardProjection(
        pod,
        Array.isArray(source.items) ? (source.items as Obj[]) : [],
        modeOf(source.defaultMode, 0o644),
        this.allocatable(),
      );
      return this.writeProjection(pod, 'kubernetes.io~downward-api', name, payload);
    }
    if (volume.projected) {
      const payload = await this.projectedPayload(pod, name, volume.projected as Obj);
      return this.writeProjection(pod, 'kubernetes.io~projected', name, payload);
    }
    if (volume.persistentVolumeClaim) return this.claimVolume(pod, volume);
    return undefined;
  }

  private async projectedPayload(
    pod: KubeObject,
    volume: string,
    projected: Obj,
  ): Promise<Map<string, FileProjection>> {
    const namespace = pod.metadata.namespace ?? '';
    const defaultMode = modeOf(projected.defaultMode, 0o644);
    const payload = new Map<string, FileProjection>();
    const sources = Array.isArray(projected.sources) ? (projected.sources as Obj[]) : [];
    for (const source of sources) {
      let part: Map<string, FileProjection>;
      if (source.configMap) {
        const s = source.configMap as Obj;
        part = keyProjection(
          'configmap',
          str(s.name),
          this.client.tryGet(CONFIGMAPS, namespace, str(s.name)),
          s,
          defaultMode,
        );
      } else if (source.secret) {
        const s = source.secret as Obj;
        part = keyProjection(
          'secret',
          str(s.name),
          this.client.tryGet(SECRETS, namespace, str(s.name)),
          s,
          defaultMode,
        );
      } else if (source.downwardAPI) {
        const items = (source.downwardAPI as Obj).items;
        part = downwardProjection(
          pod,
          Array.isArray(items) ? (items as Obj[]) : [],
          defaultMode,
          this.allocatable(),
        );
      } else if (source.serviceAccountToken) {
        const s = source.serviceAccountToken as Obj;
        const token = await this.serviceAccountToken(pod, volume, s);
        part = new Map([[str(s.path), { data: Buffer.from(token), mode: defaultMode }]]);
      } else {
        throw new Error(`unsupported projected volume source: ${Object.keys(source).join(', ')}`);
      }
      for (const [k, v] of part) payload.set(k, v);
    }
    return payload;
  }

  /** A bound ServiceAccount token for the pod, from the cache until kubelet would refresh it. */
  private async serviceAccountToken(pod: KubeObject, volume: string, source: Obj): Promise<string> {
    const uid = pod.metadata.uid ?? '';
    const audience = str(source.audience);
    const expirationSeconds =
      typeof source.expirationSeconds === 'number' ? source.expirationSeconds : 3600;
    const key = `${uid}/${volume}/${str(source.path)}/${audience}/${expirationSeconds}`;
    const cached = this.tokens.get(key);
    const now = Date.now();
    if (cached && !tokenNeedsRefresh(cached, now)) return cached.token;
    const serviceAccount = str(specOf(pod).serviceAccountName) || 'default';
    if (!this.options.requestToken)
      throw new Error('failed to fetch token: this node has no TokenRequest client');
    let response: KubeObject;
    try {
      response = await this.options.requestToken(pod.metadata.namespace ?? '', serviceAccount, {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        metadata: {},
        spec: {
          audiences: audience ? [audience] : [],
          expirationSeconds,
          boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name, uid },
        },
      });
    } catch (err) {
      // A failed refresh keeps the still-valid token, as kubelet's token manager does.
      if (cached && now < cached.expiresAt) return cached.token;
      throw new Error(
        `failed to fetch token: ${err instanceof Error ? err.message : String(err)}`,
        {
          cause: err,
        },
      );
    }
    const status = (response.status ?? {}) as Obj;
    const expiresAt = Date.parse(str(status.expirationTimestamp));
    const token = {
      token: str(status.token),
      issuedAt: now,
      expiresAt: Number.isFinite(expiresAt) ? expiresAt : now + expirationSeconds * 1000,
    };
    this.tokens.set(key, token);
    return token.token;
  }

  private async claimVolume(pod: KubeObject, volume: Obj): Promise<VolumeSource> {
    const source = volume.persistentVolumeClaim as Obj;
    const namespace = pod.metadata.namespace ?? '';
    const claimName = str(source.claimName);
    const prefix = `error processing PVC ${namespace}/${claimName}`;
    const claim = this.client.tryGet(PVCS, namespace, claimName);
    if (!claim)
      throw new Error(
        `${prefix}: failed to fetch PVC from API server: persistentvolumeclaims "${claimName}" not found`,
      );
    const pvName = str(specOf(claim).volumeName);
    if (!pvName || (claim.status as Obj | undefined)?.phase !== 'Bound')
      throw new Error(`${prefix}: PVC is not bound`);
    const pv = this.client.tryGet(PVS, '', pvName);
    if (!pv)
      throw new Error(
        `${prefix}: failed to fetch PV ${pvName} from API server: persistentvolumes "${pvName}" not found`,
      );
    const spec = specOf(pv);
    const readOnly = source.readOnly === true;
    const csi = spec.csi as Obj | undefined;
    if (csi && csi.driver === SKIFF_CSI_DRIVER) {
      const name = persistentVolumeName(this.options.clusterId, pvName);
      if (!this.prepared.has(name))
        await this.docker.createVolume({
          Name: name,
          Labels: {
            [LABEL_CLUSTER]: this.options.clusterId,
            [LABEL_ROLE]: ROLE_PERSISTENT_VOLUME,
            [LABEL_PV_NAME]: pvName,
            [LABEL_RECLAIM_POLICY]: str(spec.persistentVolumeReclaimPolicy) || 'Retain',
          },
        });
      this.prepared.add(name);
      return { kind: 'volume', name, readOnly };
    }
    const hostPath = (spec.hostPath ?? spec.local) as Obj | undefined;
    if (hostPath) {
      await checkHostPath(str(hostPath.path), spec.hostPath ? str(hostPath.type) : 'Directory');
      return { kind: 'bind', path: str(hostPath.path), readOnly };
    }
    throw new Error(`persistentvolume "${pvName}": no volume plugin on this node can mount it`);
  }

  /**
   * Gives a new Docker volume kubelet's emptyDir permissions (0777, or group fsGroup with setgid)
   * where its directory is on this machine; Docker makes it root's 0755.
   */
  private async prepareDirectory(volume: string, fsGroup: number | undefined): Promise<void> {
    if (!(await this.dockerIsLocal())) return;
    const info = (await this.docker.getVolume(volume).inspect()) as { Mountpoint?: string };
    if (!info.Mountpoint) return;
    try {
      if (fsGroup !== undefined) await fs.chown(info.Mountpoint, 0, fsGroup);
      await fs.chmod(info.Mountpoint, fsGroup !== undefined ? 0o2777 : 0o777);
    } catch (err) {
      this.options.log(`docker node: volume ${volume}: ${String(err)}`);
    }
  }

  /** Whether a FailedMount event is due: a new message, or 30 s since the last one. */
  shouldReport(uid: string, message: string, now = Date.now()): boolean {
    const last = this.reported.get(uid);
    if (last && last.message === message && now - last.at < 30_000) return false;
    this.reported.set(uid, { message, at: now });
    return true;
  }

  /** Whether Docker's volume directories are on this machine (a local Linux engine). */
  private async dockerIsLocal(): Promise<boolean> {
    if (this.localMounts !== undefined) return this.localMounts;
    this.localMounts = false;
    try {
      const info = (await this.docker.info()) as Obj;
      const root = str(info.DockerRootDir);
      if (process.platform === 'linux' && root) {
        await fs.access(path.join(root, 'volumes'));
        this.localMounts = true;
      }
    } catch {
      this.localMounts = false;
    }
    return this.localMounts;
  }

  /**
   * The Docker mounts of a container's volumeMounts: subPath (and subPathExpr) directories are
   * created as kubelet does; readOnly comes from the mount or the volume.
   */
  async mountsFor(uid: string, container: Obj, env: readonly string[]): Promise<DockerMount[]> {
    const sources = this.sources.get(uid) ?? new Map<string, VolumeSource>();
    const vars = envMap(env);
    const out: DockerMount[] = [];
    const mounts = Array.isArray(container.volumeMounts) ? (container.volumeMounts as Obj[]) : [];
    for (const mount of mounts) {
      const source = sources.get(str(mount.name));
      if (!source) continue;
      const target = str(mount.mountPath);
      const readOnly = mount.readOnly === true || source.readOnly;
      const sub = subPathOf(mount, vars);
      if (!sub) {
        out.push(
          source.kind === 'volume'
            ? {
                Type: 'volume',
                Source: source.name,
                Target: target,
                ReadOnly: readOnly,
                // A volume starts empty as kubelet's do: no copy of the image's files at the target.
                VolumeOptions: { NoCopy: true },
              }
            : { Type: 'bind', Source: source.path, Target: target, ReadOnly: readOnly },
        );
        continue;
      }
      let base: string;
      if (source.kind === 'bind') base = source.path;
      else {
        // Docker before API 1.45 cannot mount part of a volume: bind its directory instead.
        if (!(await this.dockerIsLocal()))
          throw new ContainerConfigError(
            `failed to prepare subPath for volumeMount "${str(mount.name)}" of container "${str(container.name)}": the Docker engine's volumes are not reachable from this machine`,
          );
        const info = (await this.docker.getVolume(source.name).inspect()) as { Mountpoint: string };
        base = info.Mountpoint;
      }
      const full = path.join(base, sub);
      try {
        await fs.stat(full);
      } catch {
        await fs.mkdir(full, { recursive: true, mode: 0o755 });
      }
      out.push({ Type: 'bind', Source: full, Target: target, ReadOnly: readOnly });
    }
    return out;
  }

  /**
   * Creates the host file bind-mounted at the container's terminationMessagePath (writable by any
   * user, as kubelet makes it); returns the mount and the label that finds it again.
   */
  async terminationMessageMount(
    pod: KubeObject,
    container: Obj,
    attempt: number,
  ): Promise<{ mount: DockerMount; labels: Record<string, string> }> {
    const target = str(container.terminationMessagePath) || '/dev/termination-log';
    const dir = path.join(this.podDir(pod.metadata.uid ?? ''), 'containers', str(container.name));
    await fs.mkdir(dir, { recursive: true, mode: 0o755 });
    const file = path.join(dir, `${attempt}-termination-log`);
    await fs.writeFile(file, '');
    await fs.chmod(file, 0o666);
    return {
      mount: { Type: 'bind', Source: file, Target: target, ReadOnly: false },
      labels: { [LABEL_TERMINATION_FILE]: file },
    };
  }

  /**
   * The message of an exited container: its termination-message file, else (policy
   * FallbackToLogsOnError and a failure) the tail of its logs.
   */
  async terminationMessage(
    info: ContainerInspectInfo,
    container: Obj | undefined,
  ): Promise<string | undefined> {
    if (this.messages.has(info.Id)) return this.messages.get(info.Id);
    let message: string | undefined;
    const file = info.Config.Labels?.[LABEL_TERMINATION_FILE];
    if (file) {
      try {
        const handle = await fs.open(file, 'r');
        try {
          const buffer = Buffer.alloc(MAX_MESSAGE_BYTES);
          const { bytesRead } = await handle.read(buffer, 0, MAX_MESSAGE_BYTES, 0);
          message = buffer.subarray(0, bytesRead).toString('utf8') || undefined;
        } finally {
          await handle.close();
        }
      } catch {
        message = undefined;
      }
    }
    if (
      message === undefined &&
      container?.terminationMessagePolicy === 'FallbackToLogsOnError' &&
      info.State.ExitCode !== 0
    ) {
      try {
        const logs = await this.docker.getContainer(info.Id).logs({
          stdout: true,
          stderr: true,
          tail: MAX_LOG_LINES,
          follow: false,
        });
        let text = demuxLogs(logs, info.Config.Tty === true);
        if (Buffer.byteLength(text) > MAX_LOG_BYTES)
          text = Buffer.from(text).subarray(-MAX_LOG_BYTES).toString('utf8');
        message = text || undefined;
      } catch {
        message = undefined;
      }
    }
    if (!info.State.Running) this.messages.set(info.Id, message);
    return message;
  }

  /** Forgets a container (it was removed). */
  forgetContainer(id: string): void {
    this.messages.delete(id);
  }

  /** Removes the per-pod directory and cached tokens of a pod that is gone. */
  async tearDown(uid: string): Promise<void> {
    this.sources.delete(uid);
    this.reported.delete(uid);
    for (const name of [...this.prepared])
      if (name.includes(`_${uid}_`)) this.prepared.delete(name);
    for (const key of [...this.tokens.keys()])
      if (key.startsWith(`${uid}/`)) this.tokens.delete(key);
    await fs.rm(this.podDir(uid), { recursive: true, force: true });
  }

  /**
   * Removes the per-pod directories of pods not in `live` (also those left by an earlier run), and
   * reclaims the Docker volumes of PersistentVolumes that are gone.
   */
  async collectGarbage(live: ReadonlySet<string | undefined>): Promise<void> {
    const entries = await fs.readdir(path.join(this.options.root, 'pods')).catch(() => []);
    for (const uid of entries) if (!live.has(uid)) await this.tearDown(uid);
    await this.reclaimPersistentVolumes();
  }

  /**
   * Removes the Docker volume of each PV that no longer exists, when its reclaim policy (as last
   * seen, else as labelled at creation) is Delete; one still in use is tried again later.
   */
  async reclaimPersistentVolumes(): Promise<void> {
    if (!this.pvs.hasSynced) return;
    const { Volumes } = await this.docker.listVolumes({
      filters: JSON.stringify({
        label: [
          `${LABEL_CLUSTER}=${this.options.clusterId}`,
          `${LABEL_ROLE}=${ROLE_PERSISTENT_VOLUME}`,
        ],
      }),
    });
    for (const volume of Volumes ?? []) {
      const pv = volume.Labels?.[LABEL_PV_NAME] ?? '';
      if (this.pvs.get('', pv)) continue;
      this.prepared.delete(volume.Name);
      const policy = this.reclaimed.get(pv) ?? volume.Labels?.[LABEL_RECLAIM_POLICY] ?? 'Retain';
      if (policy !== 'Delete') continue;
      try {
        await this.docker.getVolume(volume.Name).remove();
        this.reclaimed.delete(pv);
        this.options.log(`docker node: removed volume ${volume.Name} (PV ${pv} deleted)`);
      } catch (err) {
        const code = (err as { statusCode?: number }).statusCode;
        if (code === 404) this.reclaimed.delete(pv);
        else if (code !== 409) throw err;
      }
    }
  }
}
