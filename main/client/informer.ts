// An informer (client-go tools/cache SharedInformer): lists a resource, keeps a cache of it
// current with a watch from the list's resourceVersion, re-lists when the watch expires, and
// tells handlers about adds, updates and deletes. Handlers should only enqueue keys; a reconcile
// reads the cache later. Objects in the cache are shared: never mutate them.
import type { KubeObject } from '../api/types.ts';
import { StatusError } from '../api/status.ts';
import type { LocalClient, ResourceRef } from './local-client.ts';

export interface InformerHandlers {
  add?(object: KubeObject): void;
  update?(oldObject: KubeObject, newObject: KubeObject): void;
  delete?(object: KubeObject): void;
}

/** The cache key client-go uses: `namespace/name`, or `name` for cluster-scoped objects. */
export function objectKey(object: KubeObject): string {
  const { namespace, name } = object.metadata;
  return namespace ? `${namespace}/${name}` : (name ?? '');
}

export function splitKey(key: string): { namespace: string; name: string } {
  const slash = key.indexOf('/');
  return slash < 0
    ? { namespace: '', name: key }
    : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

export class Informer {
  private readonly cache = new Map<string, KubeObject>();
  /** The same objects by namespace (client-go's namespace index): list(ns) costs what ns holds. */
  private readonly byNamespace = new Map<string, Map<string, KubeObject>>();
  private readonly handlers: InformerHandlers[] = [];
  private watch: { dispose(): void } | undefined;
  private stopped = false;
  private synced = false;
  private resyncTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly client: LocalClient,
    readonly ref: ResourceRef,
    private readonly namespace?: string,
  ) {}

  addHandlers(handlers: InformerHandlers): void {
    this.handlers.push(handlers);
    if (this.synced) for (const object of this.cache.values()) handlers.add?.(object);
  }

  get hasSynced(): boolean {
    return this.synced;
  }

  get(namespace: string, name: string): KubeObject | undefined {
    return this.cache.get(namespace ? `${namespace}/${name}` : name);
  }

  getByKey(key: string): KubeObject | undefined {
    return this.cache.get(key);
  }

  /** Cached objects, optionally only those in one namespace. */
  list(namespace?: string): KubeObject[] {
    if (namespace === undefined) return [...this.cache.values()];
    const inNamespace = this.byNamespace.get(namespace);
    return inNamespace ? [...inNamespace.values()] : [];
  }

  private store(key: string, object: KubeObject): void {
    this.cache.set(key, object);
    const namespace = object.metadata.namespace ?? '';
    let inNamespace = this.byNamespace.get(namespace);
    if (!inNamespace)
      this.byNamespace.set(namespace, (inNamespace = new Map<string, KubeObject>()));
    inNamespace.set(key, object);
  }

  private forget(key: string, object: KubeObject): void {
    this.cache.delete(key);
    const namespace = object.metadata.namespace ?? '';
    const inNamespace = this.byNamespace.get(namespace);
    inNamespace?.delete(key);
    if (inNamespace?.size === 0) this.byNamespace.delete(namespace);
  }

  start(): void {
    this.stopped = false;
    this.relist();
  }

  stop(): void {
    this.stopped = true;
    this.watch?.dispose();
    this.watch = undefined;
    if (this.resyncTimer) clearTimeout(this.resyncTimer);
  }

  private relist(): void {
    if (this.stopped) return;
    this.watch?.dispose();
    const { items, resourceVersion } = this.client.list(this.ref, this.namespace);
    const seen = new Set<string>();
    for (const object of items) {
      const key = objectKey(object);
      seen.add(key);
      const old = this.cache.get(key);
      this.store(key, object);
      if (!old) this.emit('add', object);
      else if (old.metadata.resourceVersion !== object.metadata.resourceVersion)
        this.emit('update', object, old);
    }
    for (const [key, object] of this.cache) {
      if (!seen.has(key)) {
        this.forget(key, object);
        this.emit('delete', object);
      }
    }
    this.synced = true;
    try {
      this.watch = this.client.watch(this.ref, this.namespace, resourceVersion, (type, object) =>
        this.apply(type, object),
      );
    } catch (err) {
      if (err instanceof StatusError && err.code === 410) {
        this.resyncTimer = setTimeout(() => this.relist(), 10);
        return;
      }
      throw err;
    }
  }

  private apply(type: 'ADDED' | 'MODIFIED' | 'DELETED', object: KubeObject): void {
    const key = objectKey(object);
    const old = this.cache.get(key);
    if (type === 'DELETED') {
      if (old) this.forget(key, old);
      this.emit('delete', object);
      return;
    }
    this.store(key, object);
    if (old) this.emit('update', object, old);
    else this.emit('add', object);
  }

  private emit(kind: 'add' | 'update' | 'delete', object: KubeObject, old?: KubeObject): void {
    for (const handlers of this.handlers) {
      try {
        if (kind === 'add') handlers.add?.(object);
        else if (kind === 'update') handlers.update?.(old!, object);
        else handlers.delete?.(object);
      } catch {
        // a handler's failure must not stop the informer; handlers only enqueue keys
      }
    }
  }
}

/** Informers shared by every controller in the process, one per resource (and namespace). */
export class InformerFactory {
  private readonly informers = new Map<string, Informer>();

  constructor(private readonly client: LocalClient) {}

  for(ref: ResourceRef, namespace?: string): Informer {
    const key = `${ref.group}/${ref.version}/${ref.resource}/${namespace ?? ''}`;
    let informer = this.informers.get(key);
    if (!informer) {
      informer = new Informer(this.client, ref, namespace);
      this.informers.set(key, informer);
    }
    return informer;
  }

  start(): void {
    for (const informer of this.informers.values()) if (!informer.hasSynced) informer.start();
  }

  stop(): void {
    for (const informer of this.informers.values()) informer.stop();
  }
}
