// Generic REST storage for every resource (apiserver pkg/registry/generic/registry/store.go):
// create, read, update, patch and delete with kube-apiserver's order of steps — decode, defaults,
// admission, validation, managedFields, dry-run, compare-and-swap write — and its Status errors.
import type { KubeObject } from '../../api/types.ts';
import { isPlainObject } from '../../api/types.ts';
import {
  StatusError,
  alreadyExists,
  badRequest,
  conflict,
  invalid,
  notFound,
  fieldErrors,
  type FieldError,
} from '../../api/status.ts';
import { StoreError, type Store } from '../../store/types.ts';
import type { ResourceInfo } from './resources.ts';
import { apiVersionOf } from './resources.ts';
import { storageKey, storagePrefix } from './keys.ts';
import {
  deepClone,
  deepEqual,
  nameFromGenerateName,
  newUid,
  nowTimestamp,
  specPart,
} from './meta.ts';
import {
  allowCreateOnUpdate,
  hasStatusSubresource,
  initialStatus,
  tracksGeneration,
} from './strategy.ts';
import type { Semantics } from './semantics.ts';
import type { UserInfo } from '../../api/user.ts';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

export interface WriteOptions {
  dryRun: boolean;
  fieldManager: string;
  fieldValidation: FieldValidation;
  user: UserInfo;
  subresource?: string;
}

export interface WriteResult {
  object: KubeObject;
  warnings: string[];
  created?: boolean;
}

export interface DeleteOptions {
  dryRun: boolean;
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  preconditions?: { uid?: string; resourceVersion?: string };
  user: UserInfo;
}

export type AdmissionOperation = 'CREATE' | 'UPDATE' | 'DELETE';

export interface AdmissionRequest {
  operation: AdmissionOperation;
  info: ResourceInfo;
  namespace: string;
  name: string;
  subresource: string;
  object: KubeObject | undefined;
  oldObject: KubeObject | undefined;
  dryRun: boolean;
  user: UserInfo;
  warnings: string[];
}

/** The pod a request creates (POST to pods itself, not a subresource), for pod-only plugins. */
export function podBeingCreated(request: AdmissionRequest): KubeObject | undefined {
  const { info } = request;
  if (request.operation !== 'CREATE' || info.group !== '' || info.kind !== 'Pod') return undefined;
  return request.subresource ? undefined : request.object;
}

/** An admission plugin (apiserver pkg/admission): mutate first, then validate. */
export interface AdmissionPlugin {
  name: string;
  mutate?(request: AdmissionRequest): void | Promise<void>;
  validate?(request: AdmissionRequest): void | Promise<void>;
  /** Called when a write ends, stored, failed or dry-run (to settle reservations). */
  finished?(request: AdmissionRequest): void;
}

/** Called after an object is stored, for registry-level follow-ups (CRD serving, finalizer-driven deletes). */
export type WriteListener = (
  info: ResourceInfo,
  event: 'created' | 'updated' | 'deleted',
  object: KubeObject,
  old?: KubeObject,
) => void | Promise<void>;

const MAX_PATCH_RETRIES = 5;

export class ObjectRegistry {
  private listeners: WriteListener[] = [];

  constructor(
    private readonly store: Store,
    private readonly semantics: Semantics,
    private readonly admission: AdmissionPlugin[],
  ) {}

  onWrite(listener: WriteListener): void {
    this.listeners.push(listener);
  }

  get(info: ResourceInfo, namespace: string, name: string): KubeObject {
    const stored = this.store.get(storageKey(info, namespace, name));
    if (!stored) throw notFound(info.plural, info.group, name);
    return this.semantics.toVersion(info, stored);
  }

  tryGet(info: ResourceInfo, namespace: string, name: string): KubeObject | undefined {
    const stored = this.store.get(storageKey(info, namespace, name));
    return stored && this.semantics.toVersion(info, stored);
  }

  /**
   * Watches a resource from a revision for in-process clients (controllers, node agents): the
   * same events an HTTP watch sends, in this resource's version. Throws StoreError('Expired') for
   * a compacted revision, as the HTTP watch answers 410.
   */
  watch(
    info: ResourceInfo,
    namespace: string | undefined,
    fromRevision: number,
    handler: (type: 'ADDED' | 'MODIFIED' | 'DELETED', object: KubeObject, revision: number) => void,
  ): { dispose(): void } {
    return this.store.watch(storagePrefix(info, namespace), fromRevision, (event) =>
      handler(event.type, this.semantics.toVersion(info, event.object), event.revision),
    );
  }

  /** Objects in this resource's version, and the revision the list was taken at. */
  list(info: ResourceInfo, namespace?: string): { items: KubeObject[]; revision: number } {
    const { items, revision } = this.store.list(storagePrefix(info, namespace));
    return { items: items.map((item) => this.semantics.toVersion(info, item)), revision };
  }

  /** Objects in storage form (no version conversion), for internal readers. */
  listStored(info: ResourceInfo, namespace?: string): { items: KubeObject[]; revision: number } {
    return this.store.list(storagePrefix(info, namespace));
  }

  // ---- create ----------------------------------------------------------------------------

  async create(
    info: ResourceInfo,
    namespace: string,
    body: unknown,
    options: WriteOptions,
  ): Promise<WriteResult> {
    const warnings: string[] = [];
    const object = this.decodeObject(info, body, namespace, options, warnings);
    if (object.metadata.resourceVersion) {
      throw new StatusError(
        500,
        'InternalError',
        'resourceVersion should not be set on objects to be created',
      );
    }
    return this.createDecoded(info, namespace, object, options, warnings);
  }

  private async createDecoded(
    info: ResourceInfo,
    namespace: string,
    object: KubeObject,
    options: WriteOptions,
    warnings: string[],
    managedFieldsReady = false,
  ): Promise<WriteResult> {
    const meta = object.metadata;
    if (!meta.name && meta.generateName) meta.name = nameFromGenerateName(meta.generateName);
    if (!meta.name) {
      throw invalid(info.kind, info.group, '', [
        fieldErrors.required('metadata.name', 'name or generateName is required'),
      ]);
    }
    meta.uid = newUid();
    meta.creationTimestamp = nowTimestamp();
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    delete meta.resourceVersion;
    if (tracksGeneration(info)) meta.generation = 1;
    else delete meta.generation;
    if (hasStatusSubresource(info)) {
      const status = initialStatus(info, object);
      if (status === undefined) delete object.status;
      else object.status = status;
    }
    this.semantics.prepareForCreate(info, object);
    this.semantics.applyDefaults(info, object);

    const request = this.admissionRequest(
      'CREATE',
      info,
      namespace,
      meta.name,
      '',
      object,
      undefined,
      options,
      warnings,
    );
    try {
      await this.runMutating(request);
      this.semantics.applyDefaults(info, object);
      this.validate(info, object, undefined);
      await this.runValidating(request);

      if (!managedFieldsReady)
        this.semantics.trackManagedFields(
          info,
          undefined,
          object,
          options.fieldManager,
          options.subresource,
        );
      const key = storageKey(info, namespace, meta.name);
      const storageForm = this.semantics.toStorage(info, object);
      if (options.dryRun) {
        if (this.store.get(key)) throw alreadyExists(info.plural, info.group, meta.name);
        return { object: this.semantics.toVersion(info, storageForm), warnings, created: true };
      }
      let stored: KubeObject;
      try {
        stored = await this.store.create(key, storageForm);
      } catch (err) {
        if (err instanceof StoreError && err.kind === 'AlreadyExists') {
          throw alreadyExists(info.plural, info.group, meta.name);
        }
        throw err;
      }
      await this.emit(info, 'created', stored);
      return { object: this.semantics.toVersion(info, stored), warnings, created: true };
    } finally {
      this.finish(request);
    }
  }

  // ---- update ----------------------------------------------------------------------------

  async update(
    info: ResourceInfo,
    namespace: string,
    name: string,
    body: unknown,
    options: WriteOptions,
  ): Promise<WriteResult> {
    const warnings: string[] = [];
    const object = this.decodeObject(info, body, namespace, options, warnings);
    if (object.metadata.name && object.metadata.name !== name) {
      throw badRequest(
        `the name of the object (${object.metadata.name}) does not match the name on the URL (${name})`,
      );
    }
    object.metadata.name = name;
    const key = storageKey(info, namespace, name);
    const current = this.store.get(key);
    if (!current) {
      if (options.subresource || !allowCreateOnUpdate(info))
        throw notFound(info.plural, info.group, name);
      delete object.metadata.resourceVersion;
      return this.createDecoded(info, namespace, object, options, warnings);
    }
    const expected = object.metadata.resourceVersion || undefined;
    if (expected && expected !== current.metadata.resourceVersion)
      throw conflict(info.plural, info.group, name);
    return this.updateDecoded(
      info,
      namespace,
      name,
      current,
      object,
      options,
      warnings,
      expected ?? current.metadata.resourceVersion,
      false,
    );
  }

  private async updateDecoded(
    info: ResourceInfo,
    namespace: string,
    name: string,
    currentStored: KubeObject,
    object: KubeObject,
    options: WriteOptions,
    warnings: string[],
    expectedRV: string | undefined,
    managedFieldsReady: boolean,
  ): Promise<WriteResult> {
    const old = this.semantics.toVersion(info, currentStored);
    const subresource = options.subresource ?? '';
    let next: KubeObject;
    if (subresource === 'status') {
      // Status writes change only status (and, as kube, keep everything else from the stored object).
      next = deepClone(old);
      if (object.status === undefined) delete next.status;
      else next.status = object.status;
      next.metadata.managedFields = object.metadata.managedFields ?? old.metadata.managedFields;
    } else {
      next = object;
      if (hasStatusSubresource(info) && !subresource) {
        if (old.status === undefined) delete next.status;
        else next.status = deepClone(old.status);
      }
    }
    const meta = next.metadata;
    const oldMeta = old.metadata;
    meta.name = oldMeta.name;
    if (info.namespaced) meta.namespace = oldMeta.namespace;
    else delete meta.namespace;
    meta.uid = oldMeta.uid;
    meta.creationTimestamp = oldMeta.creationTimestamp;
    if (oldMeta.deletionTimestamp) {
      meta.deletionTimestamp = oldMeta.deletionTimestamp;
      if (oldMeta.deletionGracePeriodSeconds !== undefined)
        meta.deletionGracePeriodSeconds = oldMeta.deletionGracePeriodSeconds;
    } else {
      delete meta.deletionTimestamp;
      delete meta.deletionGracePeriodSeconds;
    }
    if (oldMeta.generateName !== undefined && meta.generateName === undefined)
      meta.generateName = oldMeta.generateName;
    meta.resourceVersion = oldMeta.resourceVersion;

    this.semantics.prepareForUpdate(info, next, old, subresource);
    this.semantics.applyDefaults(info, next);
    const request = this.admissionRequest(
      'UPDATE',
      info,
      namespace,
      name,
      subresource,
      next,
      old,
      options,
      warnings,
    );
    try {
      await this.runMutating(request);
      this.semantics.applyDefaults(info, next);
      if (tracksGeneration(info)) {
        const generation = oldMeta.generation ?? 1;
        next.metadata.generation = deepEqual(specPart(next), specPart(old))
          ? generation
          : generation + 1;
      } else {
        delete next.metadata.generation;
      }
      this.validate(info, next, old);
      await this.runValidating(request);
      if (!managedFieldsReady)
        this.semantics.trackManagedFields(
          info,
          old,
          next,
          options.fieldManager,
          subresource || undefined,
        );

      // A no-op write stores nothing and keeps the resourceVersion (kube's GuaranteedUpdate).
      if (deepEqual(stripVolatile(next), stripVolatile(old))) {
        return { object: old, warnings };
      }
      const key = storageKey(info, namespace, name);
      const storageForm = this.semantics.toStorage(info, next);
      // Finalizers emptied on an object being deleted: the delete completes now.
      const finishDelete = shouldDeleteDuringUpdate(info, next, old);
      if (options.dryRun) return { object: this.semantics.toVersion(info, storageForm), warnings };
      let stored: KubeObject;
      try {
        stored = finishDelete
          ? await this.store.delete(key, expectedRV)
          : await this.store.update(key, storageForm, expectedRV);
      } catch (err) {
        throw this.storeError(info, name, err);
      }
      if (finishDelete) {
        await this.emit(info, 'deleted', stored, currentStored);
        return {
          object: this.semantics.toVersion(info, {
            ...storageForm,
            metadata: { ...storageForm.metadata, resourceVersion: stored.metadata.resourceVersion },
          }),
          warnings,
        };
      }
      await this.emit(info, 'updated', stored, currentStored);
      return { object: this.semantics.toVersion(info, stored), warnings };
    } finally {
      this.finish(request);
    }
  }

  // ---- patch -----------------------------------------------------------------------------

  async patch(
    info: ResourceInfo,
    namespace: string,
    name: string,
    patchType: string,
    patch: unknown,
    options: WriteOptions & { force: boolean },
  ): Promise<WriteResult> {
    const key = storageKey(info, namespace, name);
    for (let attempt = 0; ; attempt++) {
      const warnings: string[] = [];
      const currentStored = this.store.get(key);
      if (patchType === 'application/apply-patch+yaml') {
        const applied = this.decodeObject(info, patch, namespace, options, warnings);
        if (applied.metadata.name && applied.metadata.name !== name) {
          throw badRequest(
            `the name of the object (${applied.metadata.name}) does not match the name on the URL (${name})`,
          );
        }
        applied.metadata.name = name;
        if (!currentStored) {
          if (options.subresource) throw notFound(info.plural, info.group, name);
          const created = this.semantics.serverSideApply(
            info,
            undefined,
            applied,
            options.fieldManager,
            options.force,
            options.subresource,
          );
          return this.createDecoded(info, namespace, deepClone(created), options, warnings, true);
        }
        const current = this.semantics.toVersion(info, currentStored);
        const merged = this.semantics.serverSideApply(
          info,
          current,
          applied,
          options.fieldManager,
          options.force,
          options.subresource,
        );
        try {
          return await this.updateDecoded(
            info,
            namespace,
            name,
            currentStored,
            // The merge may share subtrees with the frozen stored object; later steps mutate.
            deepClone(merged),
            options,
            warnings,
            currentStored.metadata.resourceVersion,
            true,
          );
        } catch (err) {
          if (isConflict(err) && attempt < MAX_PATCH_RETRIES && !applied.metadata.resourceVersion)
            continue;
          throw err;
        }
      }
      if (!currentStored) throw notFound(info.plural, info.group, name);
      const current = this.semantics.toVersion(info, currentStored);
      const patched = this.semantics.applyPatch(info, current, patchType, patch);
      if (!isPlainObject(patched)) throw badRequest('patch produced a non-object');
      const result = this.normalizePatched(info, patched, current, namespace, options, warnings);
      // A resourceVersion in the patch is a precondition; otherwise retry on races, as kube does.
      const precondition =
        result.metadata.resourceVersion !== current.metadata.resourceVersion
          ? result.metadata.resourceVersion
          : undefined;
      if (precondition) throw conflict(info.plural, info.group, name);
      try {
        return await this.updateDecoded(
          info,
          namespace,
          name,
          currentStored,
          result,
          options,
          warnings,
          currentStored.metadata.resourceVersion,
          false,
        );
      } catch (err) {
        if (isConflict(err) && attempt < MAX_PATCH_RETRIES && !patchHasResourceVersion(patch))
          continue;
        throw err;
      }
    }
  }

  private normalizePatched(
    info: ResourceInfo,
    patched: Record<string, unknown>,
    current: KubeObject,
    namespace: string,
    options: WriteOptions,
    warnings: string[],
  ): KubeObject {
    const meta = isPlainObject(patched.metadata) ? patched.metadata : {};
    if (meta.name !== undefined && meta.name !== current.metadata.name) {
      throw badRequest(
        `the name of the object (${JSON.stringify(meta.name)}) does not match the name on the URL (${current.metadata.name})`,
      );
    }
    return this.decodeObject(info, patched, namespace, options, warnings);
  }

  /**
   * A storage-level read-modify-write that skips admission and validation, for the writes the
   * API server makes itself (pods/binding: kube's pod storage sets the node through
   * GuaranteedUpdate, never through a pod update). Retries on conflicts; returns the stored object.
   */
  async systemUpdate(
    info: ResourceInfo,
    namespace: string,
    name: string,
    mutate: (object: KubeObject) => KubeObject,
    /** Who is recorded in managedFields; undefined for storage-level writes that kube-apiserver does not track. */
    fieldManager: string | undefined,
    subresource?: string,
  ): Promise<KubeObject> {
    const key = storageKey(info, namespace, name);
    for (let attempt = 0; ; attempt++) {
      const currentStored = this.store.get(key);
      if (!currentStored) throw notFound(info.plural, info.group, name);
      const current = this.semantics.toVersion(info, currentStored);
      const next = mutate(deepClone(current));
      if (fieldManager !== undefined)
        this.semantics.trackManagedFields(info, current, next, fieldManager, subresource);
      try {
        const stored = await this.store.update(
          key,
          this.semantics.toStorage(info, next),
          currentStored.metadata.resourceVersion,
        );
        await this.emit(info, 'updated', stored, currentStored);
        return this.semantics.toVersion(info, stored);
      } catch (err) {
        if (isStoreConflict(err) && attempt < MAX_PATCH_RETRIES) continue;
        throw this.storeError(info, name, err);
      }
    }
  }

  // ---- delete ----------------------------------------------------------------------------

  async delete(
    info: ResourceInfo,
    namespace: string,
    name: string,
    options: DeleteOptions,
  ): Promise<{ object: KubeObject; deleted: boolean }> {
    const key = storageKey(info, namespace, name);
    for (let attempt = 0; ; attempt++) {
      const currentStored = this.store.get(key);
      if (!currentStored) throw notFound(info.plural, info.group, name);
      const current = this.semantics.toVersion(info, currentStored);
      const pre = options.preconditions;
      if (pre?.uid && pre.uid !== current.metadata.uid) {
        throw conflict(
          info.plural,
          info.group,
          name,
          `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${current.metadata.uid}`,
        );
      }
      if (pre?.resourceVersion && pre.resourceVersion !== current.metadata.resourceVersion) {
        throw conflict(
          info.plural,
          info.group,
          name,
          `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${current.metadata.resourceVersion}`,
        );
      }
      const warnings: string[] = [];
      const request = this.admissionRequest(
        'DELETE',
        info,
        namespace,
        name,
        '',
        undefined,
        current,
        { dryRun: options.dryRun, user: options.user },
        warnings,
      );
      await this.runValidating(request);

      const plan = this.semantics.deletionPlan(info, current, options);
      try {
        return await this.deleteWithPlan(info, key, current, currentStored, plan, options);
      } catch (err) {
        if (isStoreConflict(err) && attempt < MAX_PATCH_RETRIES) continue;
        throw this.storeError(info, name, err);
      } finally {
        this.finish(request);
      }
    }
  }

  private async deleteWithPlan(
    info: ResourceInfo,
    key: string,
    current: KubeObject,
    currentStored: KubeObject,
    plan: ReturnType<Semantics['deletionPlan']>,
    options: DeleteOptions,
  ): Promise<{ object: KubeObject; deleted: boolean }> {
    {
      {
        if (plan.kind === 'immediate') {
          if (options.dryRun) return { object: current, deleted: true };
          const stored = await this.store.delete(key, currentStored.metadata.resourceVersion);
          await this.emit(info, 'deleted', stored, currentStored);
          return { object: this.semantics.toVersion(info, stored), deleted: true };
        }
        // Graceful or finalizer-held deletion: mark it and let the owners finish.
        const next = deepClone(current);
        next.metadata.deletionTimestamp ??= plan.deletionTimestamp;
        next.metadata.deletionGracePeriodSeconds = plan.gracePeriodSeconds;
        if (plan.finalizers) next.metadata.finalizers = plan.finalizers;
        if (plan.status !== undefined) next.status = plan.status;
        if (deepEqual(next, current)) return { object: current, deleted: false };
        if (options.dryRun) return { object: next, deleted: false };
        const stored = await this.store.update(
          key,
          this.semantics.toStorage(info, next),
          currentStored.metadata.resourceVersion,
        );
        await this.emit(info, 'updated', stored, currentStored);
        return { object: this.semantics.toVersion(info, stored), deleted: false };
      }
    }
  }

  // ---- shared steps ----------------------------------------------------------------------

  /** Turns a request body into an object of this resource, checking apiVersion, kind and namespace. */
  decodeObject(
    info: ResourceInfo,
    body: unknown,
    namespace: string,
    options: Pick<WriteOptions, 'fieldValidation'>,
    warnings: string[],
  ): KubeObject {
    if (!isPlainObject(body))
      throw badRequest(`Object 'Kind' is missing in '${JSON.stringify(body).slice(0, 200)}'`);
    const object: Record<string, unknown> = deepClone(body);
    const expectedApiVersion = apiVersionOf(info.group, info.version);
    if (object.kind === undefined || object.kind === '') object.kind = info.kind;
    if (object.apiVersion === undefined || object.apiVersion === '')
      object.apiVersion = expectedApiVersion;
    if (typeof object.kind !== 'string' || typeof object.apiVersion !== 'string')
      throw badRequest('apiVersion and kind must be strings');
    if (object.apiVersion !== expectedApiVersion) {
      throw badRequest(
        `the API version in the data (${object.apiVersion}) does not match the expected API version (${expectedApiVersion})`,
      );
    }
    if (object.kind !== info.kind) {
      throw badRequest(
        `the kind in the data (${object.kind}) does not match the expected kind (${info.kind})`,
      );
    }
    if (object.metadata === undefined || object.metadata === null) object.metadata = {};
    if (!isPlainObject(object.metadata)) throw badRequest('metadata must be an object');
    const meta = object.metadata;
    if (info.namespaced) {
      if (meta.namespace !== undefined && meta.namespace !== '' && meta.namespace !== namespace) {
        throw badRequest(
          'the namespace of the provided object does not match the namespace sent on the request',
        );
      }
      meta.namespace = namespace;
    } else {
      delete meta.namespace;
    }
    const errors: FieldError[] = this.semantics.typeErrors(info, object as KubeObject);
    if (errors.length)
      throw invalid(info.kind, info.group, typeof meta.name === 'string' ? meta.name : '', errors);

    if (options.fieldValidation !== 'Ignore') {
      const unknown = this.semantics.unknownFields(info, object as KubeObject);
      if (unknown.length) {
        if (options.fieldValidation === 'Strict') {
          const messages = unknown.map((path) => `unknown field "${path}"`);
          throw badRequest(`strict decoding error: ${messages.join(', ')}`);
        }
        for (const path of unknown) warnings.push(`unknown field "${path}"`);
      }
    }
    this.semantics.prune(info, object as KubeObject);
    return object as KubeObject;
  }

  private validate(info: ResourceInfo, object: KubeObject, old: KubeObject | undefined): void {
    const errors = old
      ? this.semantics.validateUpdate(info, object, old)
      : this.semantics.validateCreate(info, object);
    if (errors.length) throw invalid(info.kind, info.group, object.metadata.name ?? '', errors);
  }

  private admissionRequest(
    operation: AdmissionOperation,
    info: ResourceInfo,
    namespace: string,
    name: string,
    subresource: string,
    object: KubeObject | undefined,
    oldObject: KubeObject | undefined,
    options: Pick<WriteOptions, 'dryRun' | 'user'>,
    warnings: string[],
  ): AdmissionRequest {
    return {
      operation,
      info,
      namespace,
      name,
      subresource,
      object,
      oldObject,
      dryRun: options.dryRun,
      user: options.user,
      warnings,
    };
  }

  private async runMutating(request: AdmissionRequest): Promise<void> {
    for (const plugin of this.admission) if (plugin.mutate) await plugin.mutate(request);
  }

  private async runValidating(request: AdmissionRequest): Promise<void> {
    for (const plugin of this.admission) if (plugin.validate) await plugin.validate(request);
  }

  private finish(request: AdmissionRequest): void {
    for (const plugin of this.admission) plugin.finished?.(request);
  }

  private async emit(
    info: ResourceInfo,
    event: 'created' | 'updated' | 'deleted',
    object: KubeObject,
    old?: KubeObject,
  ): Promise<void> {
    for (const listener of this.listeners) await listener(info, event, object, old);
  }

  private storeError(info: ResourceInfo, name: string, err: unknown): unknown {
    if (err instanceof StoreError) {
      if (err.kind === 'Conflict') return conflict(info.plural, info.group, name);
      if (err.kind === 'NotFound') return notFound(info.plural, info.group, name);
      if (err.kind === 'AlreadyExists') return alreadyExists(info.plural, info.group, name);
    }
    return err;
  }
}

/**
 * An update that removes the last finalizer of an object being deleted completes the deletion
 * (genericregistry ShouldDeleteDuringUpdate); a namespace also needs its spec.finalizers empty.
 */
function shouldDeleteDuringUpdate(info: ResourceInfo, next: KubeObject, old: KubeObject): boolean {
  if ((next.metadata.finalizers ?? []).length > 0) return false;
  if (info.group === '' && info.kind === 'Namespace') {
    const specFinalizers = (next.spec as { finalizers?: string[] } | undefined)?.finalizers ?? [];
    return (
      Boolean(next.metadata.deletionTimestamp) &&
      specFinalizers.length === 0 &&
      next.metadata.deletionGracePeriodSeconds === 0
    );
  }
  if ((old.metadata.finalizers ?? []).length === 0) return false;
  return Boolean(next.metadata.deletionTimestamp) && next.metadata.deletionGracePeriodSeconds === 0;
}

function stripVolatile(object: KubeObject): unknown {
  const copy = { ...object, metadata: { ...object.metadata } };
  delete copy.metadata.resourceVersion;
  copy.metadata.managedFields = (object.metadata.managedFields ?? []).map((entry) => ({
    ...entry,
    time: undefined,
  }));
  return copy;
}

function isConflict(err: unknown): boolean {
  return (
    err instanceof StatusError && err.reason === 'Conflict' && !(err.details?.causes ?? []).length
  );
}

function isStoreConflict(err: unknown): boolean {
  return err instanceof StoreError && err.kind === 'Conflict';
}

function patchHasResourceVersion(patch: unknown): boolean {
  return (
    isPlainObject(patch) &&
    isPlainObject(patch.metadata) &&
    typeof patch.metadata.resourceVersion === 'string'
  );
}
