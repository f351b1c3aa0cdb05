// The storage interface the API server uses, shaped like kine / etcd3 as seen by kube-apiserver's
// storage layer: one global revision, compare-and-swap writes, watches from a revision.
import type { KubeObject } from '../api/types.ts';

/** Keys look like etcd's: `/registry/<group or core>/<resource>/<namespace>/<name>` (no namespace segment when cluster-scoped). */
export type StoreKey = string;

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  type: WatchEventType;
  key: StoreKey;
  /** The object after the change; for DELETED the last state, with resourceVersion = the deletion's revision. */
  object: KubeObject;
  /** The object before the change (MODIFIED and DELETED), for selector transitions in watches. */
  prevObject?: KubeObject;
  revision: number;
}

export interface ListResult {
  items: KubeObject[];
  /** The store revision the list was taken at. */
  revision: number;
}

export interface Disposable {
  dispose(): void;
}

/** Raised when a write's precondition fails. The API server turns these into Status errors. */
export class StoreError extends Error {
  constructor(
    readonly kind: 'NotFound' | 'AlreadyExists' | 'Conflict' | 'Expired' | 'Closed',
    readonly key: StoreKey,
    message: string,
  ) {
    super(message);
    this.name = 'StoreError';
  }
}

export interface Store {
  /** Current revision (the resourceVersion of the latest write). */
  readonly revision: number;
  /** Oldest revision a watch may start after; older → Expired. */
  readonly oldestWatchableRevision: number;
  get(key: StoreKey): KubeObject | undefined;
  /** Every object whose key starts with prefix, sorted by key. Objects are frozen copies: never mutate. */
  list(prefix: string): ListResult;
  /** Fails with AlreadyExists. Sets metadata.resourceVersion; resolves once durable. */
  create(key: StoreKey, object: KubeObject): Promise<KubeObject>;
  /**
   * Replaces the object. With expectedResourceVersion set, fails with Conflict unless it matches
   * the stored one. Fails with NotFound when absent.
   */
  update(key: StoreKey, object: KubeObject, expectedResourceVersion?: string): Promise<KubeObject>;
  delete(key: StoreKey, expectedResourceVersion?: string): Promise<KubeObject>;
  /**
   * Calls handler for every event with revision > fromRevision on keys starting with prefix,
   * first replaying history, then live, in revision order, never missing or repeating one.
   * Throws StoreError('Expired') if fromRevision is older than the history window.
   */
  watch(prefix: string, fromRevision: number, handler: (event: StoreEvent) => void): Disposable;
  close(): Promise<void>;
}
