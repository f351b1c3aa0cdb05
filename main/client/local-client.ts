// The Kubernetes API for components in the same process (scheduler, controllers, node agents):
// the operations client-go offers — get, list, watch, create, update, updateStatus, patch,
// delete — carried out by the API server's registry, so admission, validation, defaulting,
// resourceVersion conflicts and watch events are exactly those of the HTTP API. Only the
// transport differs. Errors are Kubernetes Status errors (StatusError).
import type { KubeObject } from '../api/types.ts';
import type { UserInfo } from '../api/user.ts';
import { StatusError } from '../api/status.ts';
import { StoreError } from '../store/types.ts';
import type { ObjectRegistry } from '../apiserver/registry/rest.ts';
import type { ResourceCatalog } from '../apiserver/registry/catalog.ts';
import type { ResourceInfo } from '../apiserver/registry/resources.ts';

/** A resource as client-go names it: group, version and plural (`apps`, `v1`, `deployments`). */
export interface ResourceRef {
  group: string;
  version: string;
  resource: string;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface ListResult {
  items: KubeObject[];
  resourceVersion: string;
}

export interface WriteOptions {
  dryRun?: boolean;
  fieldManager?: string;
}

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  preconditions?: { uid?: string; resourceVersion?: string };
}

export class LocalClient {
  constructor(
    private readonly registry: ObjectRegistry,
    private readonly catalog: ResourceCatalog,
    /** Who this component is, for admission and as the default field manager. */
    private readonly user: UserInfo,
    private readonly fieldManager: string,
  ) {}

  private info(ref: ResourceRef): ResourceInfo {
    const info = this.catalog.lookup(ref.group, ref.version, ref.resource);
    if (!info)
      throw new StatusError(
        404,
        'NotFound',
        `the server could not find the requested resource (${ref.group}/${ref.version} ${ref.resource})`,
      );
    return info;
  }

  private options(options: WriteOptions = {}, subresource?: string) {
    return {
      dryRun: options.dryRun ?? false,
      fieldManager: options.fieldManager ?? this.fieldManager,
      fieldValidation: 'Strict' as const,
      user: this.user,
      subresource,
    };
  }

  get(ref: ResourceRef, namespace: string, name: string): KubeObject {
    return this.registry.get(this.info(ref), namespace, name);
  }

  tryGet(ref: ResourceRef, namespace: string, name: string): KubeObject | undefined {
    return this.registry.tryGet(this.info(ref), namespace, name);
  }

  /** Every object (in one namespace, or all when namespace is undefined) and the list's resourceVersion. */
  list(ref: ResourceRef, namespace?: string): ListResult {
    const { items, revision } = this.registry.list(this.info(ref), namespace);
    return { items, resourceVersion: String(revision) };
  }

  /** Events after resourceVersion; throws StatusError 410 Expired when it is too old. */
  watch(
    ref: ResourceRef,
    namespace: string | undefined,
    resourceVersion: string,
    handler: (type: WatchEventType, object: KubeObject) => void,
  ): { dispose(): void } {
    try {
      return this.registry.watch(
        this.info(ref),
        namespace,
        Number(resourceVersion),
        (type, object) => handler(type, object),
      );
    } catch (err) {
      if (err instanceof StoreError && err.kind === 'Expired') {
        throw new StatusError(410, 'Expired', `too old resource version: ${resourceVersion}`);
      }
      throw err;
    }
  }

  async create(
    ref: ResourceRef,
    namespace: string,
    object: KubeObject,
    options?: WriteOptions,
  ): Promise<KubeObject> {
    return (await this.registry.create(this.info(ref), namespace, object, this.options(options)))
      .object;
  }

  async update(
    ref: ResourceRef,
    namespace: string,
    object: KubeObject,
    options?: WriteOptions,
  ): Promise<KubeObject> {
    return (
      await this.registry.update(
        this.info(ref),
        namespace,
        object.metadata.name ?? '',
        object,
        this.options(options),
      )
    ).object;
  }

  async updateStatus(
    ref: ResourceRef,
    namespace: string,
    object: KubeObject,
    options?: WriteOptions,
  ): Promise<KubeObject> {
    return (
      await this.registry.update(
        this.info(ref),
        namespace,
        object.metadata.name ?? '',
        object,
        this.options(options, 'status'),
      )
    ).object;
  }

  /** patchType: application/merge-patch+json, application/json-patch+json, application/strategic-merge-patch+json. */
  async patch(
    ref: ResourceRef,
    namespace: string,
    name: string,
    patchType: string,
    patch: unknown,
    options?: WriteOptions & { subresource?: string },
  ): Promise<KubeObject> {
    const result = await this.registry.patch(this.info(ref), namespace, name, patchType, patch, {
      ...this.options(options, options?.subresource),
      force: false,
    });
    return result.object;
  }

  async delete(
    ref: ResourceRef,
    namespace: string,
    name: string,
    options: DeleteOptions = {},
  ): Promise<void> {
    await this.registry.delete(this.info(ref), namespace, name, {
      dryRun: false,
      ...options,
      user: this.user,
    });
  }
}
