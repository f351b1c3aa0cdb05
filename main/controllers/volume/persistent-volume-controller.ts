// The PersistentVolume controller (kube pkg/controller/volume/persistentvolume): binds claims to
// matching volumes, provisions volumes for claims of Skiff's `standard` class, and reclaims
// (deletes or keeps Released) volumes whose claim is gone. Also the DefaultStorageClass rule.
import type { KubeObject } from '../../api/types.ts';
import { isPlainObject } from '../../api/types.ts';
import { StatusError } from '../../api/status.ts';
import { compareQuantities, quantityOrZero } from '../../api/quantity.ts';
import { objectKey, splitKey, type Informer } from '../../client/informer.ts';
import type { ResourceRef } from '../../client/local-client.ts';
import { labelSelectorFromJson } from '../../apiserver/selectors/label-selector.ts';
import type { Controller, ControllerContext } from '../controller-manager.ts';
import { EventRecorder } from '../runtime/events.ts';
import { WorkQueue, type ReconcileResult } from '../runtime/work-queue.ts';
import { nowTime } from '../replicaset/controller-utils.ts';

export const PERSISTENT_VOLUMES: ResourceRef = {
  group: '',
  version: 'v1',
  resource: 'persistentvolumes',
};
export const PERSISTENT_VOLUME_CLAIMS: ResourceRef = {
  group: '',
  version: 'v1',
  resource: 'persistentvolumeclaims',
};
export const STORAGE_CLASSES: ResourceRef = {
  group: 'storage.k8s.io',
  version: 'v1',
  resource: 'storageclasses',
};

/** The provisioner of Skiff's Docker-volume backed storage. */
export const SKIFF_PROVISIONER = 'skiff.dev/docker-volume';
/** The CSI driver of provisioned volumes: CSI driver names must be DNS subdomains (no `/`). */
export const SKIFF_CSI_DRIVER = 'docker-volume.skiff.dev';

export const ANN_DEFAULT_CLASS = 'storageclass.kubernetes.io/is-default-class';
export const ANN_BIND_COMPLETED = 'pv.kubernetes.io/bind-completed';
export const ANN_BOUND_BY_CONTROLLER = 'pv.kubernetes.io/bound-by-controller';
export const ANN_PROVISIONED_BY = 'pv.kubernetes.io/provisioned-by';
export const ANN_STORAGE_PROVISIONER = 'volume.kubernetes.io/storage-provisioner';
export const ANN_BETA_STORAGE_PROVISIONER = 'volume.beta.kubernetes.io/storage-provisioner';
export const ANN_SELECTED_NODE = 'volume.kubernetes.io/selected-node';

/** The StorageClass the cluster bootstraps: the default class, provisioned as Docker volumes. */
export const DEFAULT_STORAGE_CLASS: KubeObject = {
  apiVersion: 'storage.k8s.io/v1',
  kind: 'StorageClass',
  metadata: { name: 'standard', annotations: { [ANN_DEFAULT_CLASS]: 'true' } },
  provisioner: SKIFF_PROVISIONER,
  reclaimPolicy: 'Delete',
  volumeBindingMode: 'Immediate',
};

type Obj = Record<string, unknown>;

function obj(v: unknown): Obj {
  return isPlainObject(v) ? v : {};
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : [];
}

function isDefaultClass(sc: KubeObject): boolean {
  // storageutil.IsDefaultAnnotation accepts the GA and the old beta annotation.
  const ann = sc.metadata.annotations ?? {};
  return (
    ann[ANN_DEFAULT_CLASS] === 'true' ||
    ann['storageclass.beta.kubernetes.io/is-default-class'] === 'true'
  );
}

/**
 * The DefaultStorageClass admission rule: the class a claim without spec.storageClassName gets,
 * or undefined when it keeps none (it names a class, even "", or no class is the default). Of
 * several defaults the newest wins, then the name, as kube's GetDefaultClass.
 */
export function defaultStorageClassFor(
  pvc: KubeObject,
  storageClasses: readonly KubeObject[],
): string | undefined {
  const spec = obj(pvc.spec);
  if (spec.storageClassName !== undefined && spec.storageClassName !== null) return undefined;
  if (pvc.metadata.annotations?.['volume.beta.kubernetes.io/storage-class'] !== undefined)
    return undefined;
  const defaults = storageClasses.filter(isDefaultClass);
  if (!defaults.length) return undefined;
  defaults.sort((a, b) => {
    const ta = a.metadata.creationTimestamp ?? '';
    const tb = b.metadata.creationTimestamp ?? '';
    if (ta !== tb) return ta > tb ? -1 : 1;
    return (a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1;
  });
  return defaults[0].metadata.name;
}

/** The class a claim or volume asks for; "" is "no class" (the beta annotation still counts). */
function classOf(object: KubeObject): string {
  const beta = object.metadata.annotations?.['volume.beta.kubernetes.io/storage-class'];
  if (beta !== undefined) return beta;
  return str(obj(object.spec).storageClassName) ?? '';
}

function requestedStorage(claim: KubeObject): unknown {
  return obj(obj(obj(claim.spec).resources).requests).storage;
}

function claimRefOf(volume: KubeObject): Obj | undefined {
  const ref = obj(volume.spec).claimRef;
  return isPlainObject(ref) ? ref : undefined;
}

/** Whether the volume's claimRef names this claim (a uid-less reference is a pre-binding by name). */
function refersTo(ref: Obj | undefined, claim: KubeObject): boolean {
  if (!ref) return false;
  if (ref.namespace !== claim.metadata.namespace || ref.name !== claim.metadata.name) return false;
  return !ref.uid || ref.uid === claim.metadata.uid;
}

/** checkVolumeSatisfyClaim: why the volume cannot serve the claim (class, size, modes, volume mode). */
function mismatch(volume: KubeObject, claim: KubeObject): string | undefined {
  const vspec = obj(volume.spec);
  const cspec = obj(claim.spec);
  const capacity = quantityOrZero(obj(vspec.capacity).storage);
  if (compareQuantities(capacity, quantityOrZero(requestedStorage(claim))) < 0)
    return 'requested PV is too small';
  if (classOf(volume) !== classOf(claim)) return 'storageClassName does not match';
  if ((str(vspec.volumeMode) ?? 'Filesystem') !== (str(cspec.volumeMode) ?? 'Filesystem'))
    return 'incompatible volumeMode';
  const modes = new Set(strings(vspec.accessModes));
  if (!strings(cspec.accessModes).every((m) => modes.has(m))) return 'incompatible accessMode';
  return undefined;
}

/** A match for findBestMatch: no mismatch, and the claim's label selector accepts the volume. */
function volumeSatisfies(volume: KubeObject, claim: KubeObject): boolean {
  if (mismatch(volume, claim)) return false;
  const selector = obj(claim.spec).selector;
  if (selector !== undefined && selector !== null)
    return labelSelectorFromJson(selector)?.matches(volume.metadata.labels ?? {}) ?? false;
  return true;
}

/** findBestMatchForClaim: a volume pre-bound to the claim, else the smallest available match. */
export function findBestMatch(
  volumes: readonly KubeObject[],
  claim: KubeObject,
): KubeObject | undefined {
  let best: KubeObject | undefined;
  for (const volume of volumes) {
    if (volume.metadata.deletionTimestamp) continue;
    const ref = claimRefOf(volume);
    const phase = str(obj(volume.status).phase);
    if (ref) {
      if (!refersTo(ref, claim)) continue;
      if (volumeSatisfies(volume, claim)) return volume;
      continue;
    }
    if (phase === 'Released' || phase === 'Failed') continue;
    if (!volumeSatisfies(volume, claim)) continue;
    const size = quantityOrZero(obj(obj(volume.spec).capacity).storage);
    if (!best || compareQuantities(size, quantityOrZero(obj(obj(best.spec).capacity).storage)) < 0)
      best = volume;
  }
  return best;
}

function ignoreNotFound(err: unknown): void {
  if (!(err instanceof StatusError && err.code === 404)) throw err;
}

const CLAIM = 'claim:';
const VOLUME = 'volume:';

export class PersistentVolumeController implements Controller {
  readonly name = 'persistentvolume-binder-controller';
  private readonly queue: WorkQueue;
  private readonly recorder: EventRecorder;
  private readonly volumes: Informer;
  private readonly claims: Informer;
  private readonly classes: Informer;
  /**
   * The versions this controller wrote, newer than the informer may show yet (kube's
   * storeObjectUpdate): a sync reads these so it does not redo a step on a stale cache.
   */
  private readonly written = new Map<string, KubeObject>();

  constructor(private readonly context: ControllerContext) {
    this.volumes = context.informers.for(PERSISTENT_VOLUMES);
    this.claims = context.informers.for(PERSISTENT_VOLUME_CLAIMS);
    this.classes = context.informers.for(STORAGE_CLASSES);
    this.recorder = new EventRecorder(
      context.client,
      'persistentvolume-controller',
      undefined,
      context.log,
    );
    this.queue = WorkQueue.logged(this.name, context.log, (key) => this.reconcile(key));
  }

  start(): void {
    const claim = (c: KubeObject) => this.queue.add(CLAIM + objectKey(c));
    const volume = (v: KubeObject) => {
      this.queue.add(VOLUME + objectKey(v));
      const ref = claimRefOf(v);
      if (ref) this.queue.add(`${CLAIM}${str(ref.namespace) ?? ''}/${str(ref.name) ?? ''}`);
    };
    this.claims.addHandlers({
      add: claim,
      update: (_o, c) => claim(c),
      delete: (c) => {
        this.written.delete(CLAIM + objectKey(c));
        // The claim's volume is released: find it by its claimRef.
        for (const v of this.volumes.list()) if (refersTo(claimRefOf(v), c)) volume(v);
        const name = str(obj(c.spec).volumeName);
        if (name) this.queue.add(VOLUME + name);
      },
    });
    this.volumes.addHandlers({
      add: volume,
      update: (_o, v) => volume(v),
      delete: (v) => {
        this.written.delete(VOLUME + objectKey(v));
        volume(v);
      },
    });
    // A new (default) class can unblock pending claims.
    this.classes.addHandlers({
      add: () => this.pendingClaims(),
      update: () => this.pendingClaims(),
    });
  }

  async stop(): Promise<void> {
    await this.queue.stop();
    await this.recorder.flush();
  }

  private newest(key: string, cached: KubeObject | undefined): KubeObject | undefined {
    const mine = this.written.get(key);
    if (!cached || !mine) return cached;
    if (mine.metadata.uid !== cached.metadata.uid) {
      this.written.delete(key);
      return cached;
    }
    return Number(mine.metadata.resourceVersion) > Number(cached.metadata.resourceVersion)
      ? mine
      : cached;
  }

  private claim(namespace: string, name: string): KubeObject | undefined {
    return this.newest(`${CLAIM}${namespace}/${name}`, this.claims.get(namespace, name));
  }

  private volume(name: string): KubeObject | undefined {
    return this.newest(VOLUME + name, this.volumes.get('', name));
  }

  private allVolumes(): KubeObject[] {
    return this.volumes.list().map((v) => this.volume(v.metadata.name ?? '') ?? v);
  }

  private async write(ref: ResourceRef, object: KubeObject, status = false): Promise<KubeObject> {
    const namespace = object.metadata.namespace ?? '';
    const result = status
      ? await this.context.client.updateStatus(ref, namespace, object)
      : await this.context.client.update(ref, namespace, object);
    const key =
      ref === PERSISTENT_VOLUMES
        ? VOLUME + (result.metadata.name ?? '')
        : `${CLAIM}${namespace}/${result.metadata.name ?? ''}`;
    this.written.set(key, result);
    return result;
  }

  private pendingClaims(): void {
    for (const c of this.claims.list())
      if (str(obj(c.status).phase) !== 'Bound') this.queue.add(CLAIM + objectKey(c));
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    if (key.startsWith(CLAIM)) return this.syncClaim(key.slice(CLAIM.length));
    return this.syncVolume(key.slice(VOLUME.length));
  }

  private async syncClaim(key: string): Promise<ReconcileResult> {
    const { namespace, name } = splitKey(key);
    const claim = this.claim(namespace, name);
    if (!claim || claim.metadata.deletionTimestamp) return;
    const spec = obj(claim.spec);
    // RetroactiveDefaultStorageClass: a claim created before any default class gets it now.
    const defaultClass = defaultStorageClassFor(claim, this.classes.list());
    if (defaultClass !== undefined && !spec.volumeName) {
      const updated = structuredClone(claim);
      obj(updated.spec).storageClassName = defaultClass;
      await this.write(PERSISTENT_VOLUME_CLAIMS, updated);
      return;
    }
    const volumeName = str(spec.volumeName);
    if (volumeName) {
      const volume = this.volume(volumeName);
      if (!volume) {
        // Marking a claim Lost is drastic: confirm the volume's absence with a live read.
        if (this.context.client.tryGet(PERSISTENT_VOLUMES, '', volumeName))
          return { requeueAfterMs: 100 };
        if (str(obj(claim.status).phase) === 'Bound') {
          await this.setClaimPhase(claim, 'Lost');
          this.recorder.event(
            claim,
            'Warning',
            'ClaimLost',
            'Bound claim has lost its PersistentVolume. Data on the volume is lost!',
          );
        }
        return;
      }
      const ref = claimRefOf(volume);
      const why = ref ? undefined : mismatch(volume, claim);
      if (why) {
        this.recorder.event(
          claim,
          'Warning',
          'VolumeMismatch',
          `Cannot bind to requested volume "${volumeName}": ${why}`,
        );
        return;
      }
      if (!ref || refersTo(ref, claim)) await this.bind(volume, claim);
      else if (str(obj(claim.status).phase) === 'Bound') {
        await this.setClaimPhase(claim, 'Lost');
        this.recorder.event(
          claim,
          'Warning',
          'ClaimMisbound',
          'Two claims are bound to the same volume, this one is bound incorrectly',
        );
      }
      return;
    }
    const match = findBestMatch(this.allVolumes(), claim);
    if (match) {
      await this.bind(match, claim);
      return;
    }
    const className = classOf(claim);
    if (!className) {
      this.recorder.event(
        claim,
        'Normal',
        'FailedBinding',
        'no persistent volumes available for this claim and no storage class is set',
      );
      return;
    }
    const storageClass = this.classes.get('', className);
    if (!storageClass) {
      this.recorder.event(
        claim,
        'Warning',
        'ProvisioningFailed',
        `storageclass.storage.k8s.io "${className}" not found`,
      );
      return;
    }
    const provisioner = str(storageClass.provisioner) ?? '';
    if (
      str(storageClass.volumeBindingMode) === 'WaitForFirstConsumer' &&
      !claim.metadata.annotations?.[ANN_SELECTED_NODE]
    ) {
      this.recorder.event(
        claim,
        'Normal',
        'WaitForFirstConsumer',
        'waiting for first consumer to be created before binding',
      );
      return;
    }
    if (provisioner !== SKIFF_PROVISIONER) {
      this.recorder.event(
        claim,
        'Normal',
        'ExternalProvisioning',
        `Waiting for a volume to be created either by the external provisioner '${provisioner}' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.`,
      );
      return;
    }
    const provisioned = await this.provision(claim, storageClass);
    await this.bind(provisioned.volume, provisioned.claim);
  }

  /** provisionClaimOperation: the claim's annotations first, then the volume `pvc-<uid>`. */
  private async provision(
    claim: KubeObject,
    storageClass: KubeObject,
  ): Promise<{ volume: KubeObject; claim: KubeObject }> {
    const client = this.context.client;
    if (claim.metadata.annotations?.[ANN_STORAGE_PROVISIONER] !== SKIFF_PROVISIONER) {
      const updated = structuredClone(claim);
      updated.metadata.annotations = {
        ...updated.metadata.annotations,
        [ANN_STORAGE_PROVISIONER]: SKIFF_PROVISIONER,
        [ANN_BETA_STORAGE_PROVISIONER]: SKIFF_PROVISIONER,
      };
      claim = await this.write(PERSISTENT_VOLUME_CLAIMS, updated);
    }
    const name = `pvc-${claim.metadata.uid}`;
    const existing = this.volume(name) ?? client.tryGet(PERSISTENT_VOLUMES, '', name);
    if (existing) return { volume: existing, claim };
    const spec = obj(claim.spec);
    const pvSpec: Obj = {
      capacity: { storage: requestedStorage(claim) ?? '0' },
      accessModes: strings(spec.accessModes),
      claimRef: claimReference(claim),
      persistentVolumeReclaimPolicy: str(storageClass.reclaimPolicy) ?? 'Delete',
      storageClassName: storageClass.metadata.name,
      volumeMode: str(spec.volumeMode) ?? 'Filesystem',
      csi: { driver: SKIFF_CSI_DRIVER, volumeHandle: name, fsType: 'ext4' },
    };
    if (Array.isArray(storageClass.mountOptions)) pvSpec.mountOptions = storageClass.mountOptions;
    let volume: KubeObject;
    try {
      volume = await client.create(PERSISTENT_VOLUMES, '', {
        apiVersion: 'v1',
        kind: 'PersistentVolume',
        metadata: {
          name,
          annotations: { [ANN_PROVISIONED_BY]: SKIFF_PROVISIONER },
        },
        spec: pvSpec,
      });
    } catch (err) {
      if (err instanceof StatusError && err.code === 409)
        return { volume: client.get(PERSISTENT_VOLUMES, '', name), claim };
      throw err;
    }
    this.written.set(VOLUME + name, volume);
    this.recorder.event(
      claim,
      'Normal',
      'ProvisioningSucceeded',
      `Successfully provisioned volume ${name}`,
    );
    return { volume, claim };
  }

  /** bind(): the volume's claimRef, its phase, the claim's volumeName, then the claim's phase. */
  private async bind(volume: KubeObject, claim: KubeObject): Promise<void> {
    const ref = claimRefOf(volume);
    if (!ref || ref.uid !== claim.metadata.uid) {
      const updated = structuredClone(volume);
      obj(updated.spec).claimRef = claimReference(claim);
      if (!ref)
        updated.metadata.annotations = {
          ...updated.metadata.annotations,
          [ANN_BOUND_BY_CONTROLLER]: 'yes',
        };
      volume = await this.write(PERSISTENT_VOLUMES, updated);
    }
    if (str(obj(volume.status).phase) !== 'Bound')
      volume = await this.setVolumePhase(volume, 'Bound');
    const cspec = obj(claim.spec);
    const ann = claim.metadata.annotations ?? {};
    if (cspec.volumeName !== volume.metadata.name || ann[ANN_BIND_COMPLETED] !== 'yes') {
      const updated = structuredClone(claim);
      const annotations: Record<string, string> = {
        ...updated.metadata.annotations,
        [ANN_BIND_COMPLETED]: 'yes',
      };
      if (cspec.volumeName !== volume.metadata.name) annotations[ANN_BOUND_BY_CONTROLLER] = 'yes';
      updated.metadata.annotations = annotations;
      obj(updated.spec).volumeName = volume.metadata.name;
      claim = await this.write(PERSISTENT_VOLUME_CLAIMS, updated);
    }
    const vspec = obj(volume.spec);
    const status = obj(claim.status);
    const wanted = {
      phase: 'Bound',
      accessModes: strings(vspec.accessModes),
      capacity: obj(vspec.capacity),
    };
    if (
      status.phase !== wanted.phase ||
      JSON.stringify(status.accessModes) !== JSON.stringify(wanted.accessModes) ||
      JSON.stringify(status.capacity) !== JSON.stringify(wanted.capacity)
    ) {
      const updated = structuredClone(claim);
      updated.status = { ...status, ...wanted };
      await this.write(PERSISTENT_VOLUME_CLAIMS, updated, true);
    }
  }

  private async setVolumePhase(
    volume: KubeObject,
    phase: string,
    message?: string,
  ): Promise<KubeObject> {
    const updated = structuredClone(volume);
    const status: Obj = { ...obj(updated.status), phase, lastPhaseTransitionTime: nowTime() };
    if (message) status.message = message;
    else delete status.message;
    updated.status = status;
    return this.write(PERSISTENT_VOLUMES, updated, true);
  }

  private async setClaimPhase(claim: KubeObject, phase: string): Promise<void> {
    const updated = structuredClone(claim);
    updated.status = { ...obj(updated.status), phase };
    await this.write(PERSISTENT_VOLUME_CLAIMS, updated, true);
  }

  private async syncVolume(name: string): Promise<ReconcileResult> {
    const volume = this.volume(name);
    if (!volume || volume.metadata.deletionTimestamp) return;
    const phase = str(obj(volume.status).phase);
    const ref = claimRefOf(volume);
    if (!ref) {
      if (phase !== 'Available') await this.setVolumePhase(volume, 'Available');
      return;
    }
    const claim = this.claim(str(ref.namespace) ?? '', str(ref.name) ?? '');
    if (!ref.uid) {
      // Pre-bound by name to a claim that may not exist yet: available for it only.
      if (phase !== 'Available' && phase !== 'Bound')
        await this.setVolumePhase(volume, 'Available');
      return;
    }
    if (claim && claim.metadata.uid === ref.uid) {
      if (str(obj(claim.spec).volumeName) === name) {
        if (phase !== 'Bound') await this.setVolumePhase(volume, 'Bound');
        return;
      }
      if (!obj(claim.spec).volumeName) return; // the claim's sync finishes the binding
      // The claim went to another volume: undo a binding this controller made.
      if (volume.metadata.annotations?.[ANN_BOUND_BY_CONTROLLER] === 'yes') {
        const updated = structuredClone(volume);
        delete obj(updated.spec).claimRef;
        const annotations = { ...updated.metadata.annotations };
        delete annotations[ANN_BOUND_BY_CONTROLLER];
        updated.metadata.annotations = annotations;
        await this.write(PERSISTENT_VOLUMES, updated);
      }
      return;
    }
    // The claim looks gone. Releasing may delete data, so confirm with a live read, not the cache
    // (kube: "syncVolume: claim not found in cache, checking API server").
    const live = this.context.client.tryGet(
      PERSISTENT_VOLUME_CLAIMS,
      str(ref.namespace) ?? '',
      str(ref.name) ?? '',
    );
    if (live && live.metadata.uid === ref.uid) return { requeueAfterMs: 100 };
    // The claim is gone: the volume is released and reclaimed by its policy.
    let current = volume;
    if (phase !== 'Released' && phase !== 'Failed')
      current = await this.setVolumePhase(volume, 'Released');
    const policy = str(obj(current.spec).persistentVolumeReclaimPolicy) ?? 'Retain';
    if (policy !== 'Delete' || phase === 'Failed') return;
    if (current.metadata.annotations?.[ANN_PROVISIONED_BY] !== SKIFF_PROVISIONER) {
      const message = `error getting deleter volume plugin for volume "${name}": no deletable volume plugin matched`;
      await this.setVolumePhase(current, 'Failed', message);
      this.recorder.event(current, 'Warning', 'VolumeFailedDelete', message);
      return;
    }
    try {
      await this.context.client.delete(PERSISTENT_VOLUMES, '', name, {
        preconditions: { uid: current.metadata.uid },
      });
    } catch (err) {
      ignoreNotFound(err);
    }
  }
}

function claimReference(claim: KubeObject): Obj {
  return {
    kind: 'PersistentVolumeClaim',
    namespace: claim.metadata.namespace,
    name: claim.metadata.name,
    uid: claim.metadata.uid,
    apiVersion: 'v1',
    resourceVersion: claim.metadata.resourceVersion,
  };
}

export function newPersistentVolumeController(context: ControllerContext): Controller {
  return new PersistentVolumeController(context);
}
