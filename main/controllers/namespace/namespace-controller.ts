// The namespace controller (kube-controller-manager's namespace lifecycle controller): when a
// namespace is being deleted it deletes everything inside, and once nothing is left it removes
// the `kubernetes` finalizer so the namespace itself goes. Level-based: reconcile(name) looks at
// the namespace as it is now and can run any number of times.
import { StatusError } from '../../api/status.ts';
import type { KubeObject } from '../../api/types.ts';
import type { ObjectRegistry } from '../../apiserver/registry/rest.ts';
import type { ResourceCatalog } from '../../apiserver/registry/catalog.ts';
import type { ResourceInfo } from '../../apiserver/registry/resources.ts';
import { storagePrefix } from '../../apiserver/registry/keys.ts';
import { WorkQueue, type ReconcileResult } from '../runtime/work-queue.ts';

const CONTROLLER_USER = {
  username: 'system:serviceaccount:kube-system:namespace-controller',
  groups: ['system:masters', 'system:authenticated'],
};

export class NamespaceController {
  private readonly queue: WorkQueue;
  private readonly namespaceInfo: ResourceInfo;

  constructor(
    private readonly registry: ObjectRegistry,
    private readonly catalog: ResourceCatalog,
    log: (line: string) => void = () => undefined,
  ) {
    this.namespaceInfo = catalog.forKind('', 'v1', 'Namespace')!;
    this.queue = WorkQueue.logged('namespace controller', log, (key) => this.reconcile(key));
  }

  start(): void {
    this.registry.onWrite((info, _event, object) => {
      if (info.group === '' && info.kind === 'Namespace' && object.metadata.deletionTimestamp)
        this.queue.add(object.metadata.name ?? '');
    });
    for (const namespace of this.registry.listStored(this.namespaceInfo).items) {
      if (namespace.metadata.deletionTimestamp) this.queue.add(namespace.metadata.name ?? '');
    }
  }

  stop(): Promise<void> {
    return this.queue.stop();
  }

  /** Namespaced resources, one per storage location (a resource served at two versions counts once). */
  private namespacedResources(): ResourceInfo[] {
    const seen = new Set<string>();
    const out: ResourceInfo[] = [];
    for (const info of this.catalog.all()) {
      if (!info.namespaced || info.createOnly || info.storageVersion !== undefined || info.storage)
        continue;
      const prefix = storagePrefix(info);
      if (seen.has(prefix)) continue;
      seen.add(prefix);
      out.push(info);
    }
    return out;
  }

  async reconcile(name: string): Promise<ReconcileResult> {
    const namespace = this.registry.tryGet(this.namespaceInfo, '', name);
    if (!namespace?.metadata.deletionTimestamp) return;
    let remaining = 0;
    for (const info of this.namespacedResources()) {
      for (const object of this.registry.listStored(info, name).items) {
        remaining++;
        if (object.metadata.deletionTimestamp) continue;
        try {
          await this.registry.delete(info, name, object.metadata.name ?? '', {
            dryRun: false,
            propagationPolicy: 'Background',
            user: CONTROLLER_USER,
          });
        } catch (err) {
          if (!(err instanceof StatusError && err.code === 404)) throw err;
        }
      }
    }
    const left = this.namespacedResources().reduce(
      (n, info) => n + this.registry.listStored(info, name).items.length,
      0,
    );
    if (left > 0) return { requeueAfterMs: remaining > left ? 100 : 1000 };
    await this.finalize(namespace);
  }

  private async finalize(namespace: KubeObject): Promise<void> {
    const spec = (namespace.spec ?? {}) as { finalizers?: string[] };
    const next = structuredClone(namespace);
    (next.spec as { finalizers?: string[] }) = {
      ...spec,
      finalizers: (spec.finalizers ?? []).filter((f) => f !== 'kubernetes'),
    };
    try {
      await this.registry.update(this.namespaceInfo, '', namespace.metadata.name ?? '', next, {
        dryRun: false,
        fieldManager: 'kube-controller-manager',
        fieldValidation: 'Ignore',
        user: CONTROLLER_USER,
        subresource: 'finalize',
      });
    } catch (err) {
      if (!(err instanceof StatusError && err.code === 404)) throw err;
    }
  }
}
