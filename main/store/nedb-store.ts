// Skiff's etcd: a kine-style revisioned key/value store on @seald-io/nedb serving kube-apiserver's
// storage layer (one global revision, compare-and-swap writes, watch from a revision, durable acks).
import Datastore from '@seald-io/nedb';
import { access, mkdir, open, readFile, rename } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { isPlainObject } from '../api/types.ts';
import type { KubeObject } from '../api/types.ts';
import { StoreError } from './types.ts';
import type {
  Disposable,
  ListResult,
  Store,
  StoreEvent,
  StoreKey,
  WatchEventType,
} from './types.ts';

export const DATAFILE_NAME = 'store.db';
export const DEFAULT_HISTORY_WINDOW = 10_000;
export const DEFAULT_COMPACT_EVERY = 10_000;
export const DEFAULT_COMPACT_INTERVAL_MS = 5 * 60_000;

/**
 * Holds the revision of the newest delete, so the counter survives deleting the newest object.
 * Never a store key: those start with '/'.
 */
const META_ID = 'skiff:revision';
/** Most writes persisted by one append, so one batch's line buffer stays bounded. */
const MAX_BATCH = 1024;
/** A compaction writes the new datafile in pieces of about this many characters. */
const REWRITE_CHUNK = 1 << 20;

/**
 * nedb's storage and model modules (CommonJS, the instances its Datastore uses): the compaction
 * below rewrites the datafile with nedb's own line format and its crash-safe fsync sequence.
 */
const nedbRequire = createRequire(import.meta.url);
const nedbStorage = nedbRequire('@seald-io/nedb/lib/storage.js') as {
  existsAsync(file: string): Promise<boolean>;
  flushToStorageAsync(options: { filename: string; isDir?: boolean }): Promise<void>;
};
const nedbModel = nedbRequire('@seald-io/nedb/lib/model.js') as {
  serialize(document: unknown): string;
};

export interface OpenStoreOptions {
  dataDir: string;
  /** Events kept in memory for watches (etcd's compaction window). */
  historyWindow?: number;
  /** Compact the datafile after this many appended records. */
  compactEvery?: number;
  /** Also compact on this timer when anything was appended since the last compaction. */
  compactIntervalMs?: number;
  /** Non-fatal problems (compaction failure, a throwing watch handler, a repaired torn last line). */
  onWarning?: (message: string) => void;
}

export interface NedbStoreStats {
  datafile: string;
  /** Writes appended to the datafile since open. */
  appends: number;
  /** Appends to the datafile since open: each persists one batch of waiting writes. */
  appendBatches: number;
  /** fsyncs issued for group commit since open. */
  fsyncs: number;
  /** Completed background compactions since open. */
  compactions: number;
}

/**
 * The line nedb persists per object. The object is a JSON string because nedb forbids '.' in
 * field names (labels have them).
 */
type ObjectLine = {
  _id: string;
  rev: number;
  json: string;
};

/**
 * The record nedb keeps in memory per object (its _id index, which compaction rewrites the
 * datafile from). It points at the store's frozen object instead of holding a second copy as
 * JSON text; nedb serializes it through toJSON, to the same line an append writes.
 */
class ObjectRecord {
  constructor(
    readonly _id: string,
    readonly rev: number,
    private readonly object: KubeObject,
  ) {}

  toJSON(): ObjectLine {
    return { _id: this._id, rev: this.rev, json: JSON.stringify(this.object) };
  }
}

interface PendingWrite {
  event: StoreEvent;
  /** The object's JSON text, persisted for ADDED and MODIFIED; a DELETED event persists a `$$deleted` line. */
  json: string | undefined;
  resolve: (object: KubeObject) => void;
  reject: (error: unknown) => void;
}

/**
 * One event of the watch history. While the object it wrote is still the key's current version
 * it shares that frozen object with the objects map; once a later write supersedes it, it keeps
 * the version as JSON text only (a fraction of the parsed size, and nothing keyed by the old
 * object's identity stays alive with it). Replay rebuilds the events from this.
 */
interface HistoryEntry {
  readonly type: WatchEventType;
  readonly key: StoreKey;
  readonly revision: number;
  /** The key's current object, written by this event (ADDED, MODIFIED) and not yet superseded. */
  current: KubeObject | undefined;
  /** This event's object as JSON, once superseded (ADDED, MODIFIED). */
  text: string | undefined;
  /** The object before the change as JSON (MODIFIED, DELETED). */
  readonly prevText: string | undefined;
}

/**
 * The parts of @seald-io/nedb 4.x (pinned in package.json) a batched append goes through: its
 * executor (so batches, loading and compaction never overlap), its in-memory indexes (what
 * compaction rewrites the datafile from) and Persistence#persistNewStateAsync, which serializes
 * documents with nedb's own model and appends them in one appendFile, exactly as its
 * insert/update/remove do for their own documents.
 */
interface NedbInternals {
  executor: { pushAsync<T>(task: () => Promise<T>): Promise<T> };
  persistence: { persistNewStateAsync(docs: Record<string, unknown>[]): Promise<void> };
  indexes: { _id: { getMatching(id: string): object[] } };
  _addToIndexes(doc: object): void;
  _updateIndexes(oldDoc: object, newDoc: object): void;
  _removeFromIndexes(doc: object): void;
}

interface Subscriber {
  prefix: string;
  handler: (event: StoreEvent) => void;
  active: boolean;
  /** Last revision handed to the handler: nothing at or below it is delivered again. */
  lastRevision: number;
  /** Events waiting for the (asynchronous) replay to reach them; null once delivery is live. */
  backlog: StoreEvent[] | null;
}

interface ScanResult {
  objects: Map<StoreKey, KubeObject>;
  revision: number;
  records: number;
}

export async function openStore(options: OpenStoreOptions): Promise<NedbStore> {
  const historyWindow = positiveInteger(
    options.historyWindow,
    DEFAULT_HISTORY_WINDOW,
    'historyWindow',
  );
  const compactEvery = positiveInteger(options.compactEvery, DEFAULT_COMPACT_EVERY, 'compactEvery');
  const compactIntervalMs = positiveInteger(
    options.compactIntervalMs,
    DEFAULT_COMPACT_INTERVAL_MS,
    'compactIntervalMs',
  );
  const warn = options.onWarning ?? ((message: string) => console.warn(`skiff store: ${message}`));

  await mkdir(options.dataDir, { recursive: true });
  const file = path.join(options.dataDir, DATAFILE_NAME);
  await recoverInterruptedRewrite(file);
  const scan = await scanDatafile(file, warn);

  // Threshold 0: nedb must never drop a line silently; the scan above already named any bad line.
  const db = new Datastore<Record<string, unknown>>({ filename: file, corruptAlertThreshold: 0 });
  try {
    await db.loadDatabaseAsync();
  } catch (error) {
    throw new Error(`${file}: ${errorMessage(error)}`, { cause: error });
  }
  const internals = nedbInternals(db);
  if (db.getAllData().length !== scan.records) {
    throw new Error(
      `${file}: nedb loaded ${db.getAllData().length} records but the file holds ${scan.records}; refusing to start`,
    );
  }
  // nedb loaded each object's JSON text; its index points at the scanned objects instead.
  for (const [key, object] of scan.objects) {
    const [loaded] = internals.indexes._id.getMatching(key);
    if (!loaded) throw new Error(`${file}: nedb did not load ${key}; refusing to start`);
    internals._updateIndexes(
      loaded,
      new ObjectRecord(key, Number(object.metadata.resourceVersion), object),
    );
  }
  return new NedbStore(db, internals, file, scan, {
    historyWindow,
    compactEvery,
    compactIntervalMs,
    warn,
  });
}

/** nedb's internals typed, checked once so a changed nedb fails at open, not at the first write. */
function nedbInternals(db: Datastore<Record<string, unknown>>): NedbInternals {
  const internals = db as unknown as NedbInternals;
  const present =
    typeof internals.executor?.pushAsync === 'function' &&
    typeof internals.persistence?.persistNewStateAsync === 'function' &&
    typeof internals.indexes?._id?.getMatching === 'function' &&
    typeof internals._addToIndexes === 'function' &&
    typeof internals._updateIndexes === 'function' &&
    typeof internals._removeFromIndexes === 'function';
  if (!present) {
    throw new Error(
      'this @seald-io/nedb lacks the executor/persistence/index methods the store batches appends through (written for 4.1)',
    );
  }
  return internals;
}

export class NedbStore implements Store {
  private readonly objects: Map<StoreKey, KubeObject>;
  /** Committed keys in sorted order, so list(prefix) is a binary search plus a slice. */
  private readonly keys: StoreKey[];
  private committedRevision: number;
  private assignedRevision: number;

  /** Writes with a revision that no batch has taken yet, in revision order. */
  private waiting: PendingWrite[] = [];
  /** The batch being appended and fsynced (empty when none is). */
  /** Batches taken by a queued task and not yet acknowledged (one at a time in practice). */
  private readonly inFlight = new Set<PendingWrite[]>();
  private batchQueued = false;
  /**
   * Kept open for fsync between compactions (an open per fsync costs two more thread-pool round
   * trips per batch). Only executor tasks use or replace it, so it never races a compaction.
   */
  private syncHandle: FileHandle | undefined;

  private history: (HistoryEntry | undefined)[] = [];
  private historyStart = 0;
  /** The newest history entry of each key that has one in the window. */
  private readonly newestEntry = new Map<StoreKey, HistoryEntry>();
  private oldestRevision: number;
  private readonly watchers = new Set<Subscriber>();

  /** Per-key chain: a write to a key starts once the previous write to it is acknowledged. */
  private readonly keyTails = new Map<StoreKey, Promise<void>>();

  private compaction: Promise<void> | undefined;
  private appendsSinceCompaction = 0;
  private readonly compactTimer: NodeJS.Timeout;

  private failure: Error | undefined;
  private closed = false;
  private closing: Promise<void> | undefined;
  private readonly counters = { appends: 0, appendBatches: 0, fsyncs: 0, compactions: 0 };

  private readonly historyWindow: number;
  private readonly compactEvery: number;
  private readonly warn: (message: string) => void;

  constructor(
    private readonly db: Datastore<Record<string, unknown>>,
    private readonly nedb: NedbInternals,
    private readonly file: string,
    scan: ScanResult,
    settings: {
      historyWindow: number;
      compactEvery: number;
      compactIntervalMs: number;
      warn: (message: string) => void;
    },
  ) {
    this.objects = scan.objects;
    this.keys = [...scan.objects.keys()].sort();
    this.committedRevision = scan.revision;
    this.assignedRevision = scan.revision;
    // After a restart there is no history: only a watch from the current revision can be served.
    this.oldestRevision = scan.revision;
    this.historyWindow = settings.historyWindow;
    this.compactEvery = settings.compactEvery;
    this.warn = settings.warn;
    this.compactTimer = setInterval(() => {
      if (this.appendsSinceCompaction > 0 && !this.closed && !this.failure) {
        void this.startCompaction();
      }
    }, settings.compactIntervalMs);
    this.compactTimer.unref();
  }

  get revision(): number {
    return this.committedRevision;
  }

  get oldestWatchableRevision(): number {
    return this.oldestRevision;
  }

  get datafile(): string {
    return this.file;
  }

  stats(): NedbStoreStats {
    return { datafile: this.file, ...this.counters };
  }

  get(key: StoreKey): KubeObject | undefined {
    this.assertOpen(key);
    return this.objects.get(key);
  }

  list(prefix: string): ListResult {
    this.assertOpen(prefix);
    const items: KubeObject[] = [];
    for (let i = lowerBound(this.keys, prefix); i < this.keys.length; i++) {
      const key = this.keys[i];
      if (!key.startsWith(prefix)) break;
      items.push(this.objects.get(key)!);
    }
    return { items, revision: this.committedRevision };
  }

  create(key: StoreKey, object: KubeObject): Promise<KubeObject> {
    return this.serialized(key, () => {
      if (this.objects.has(key)) {
        throw new StoreError('AlreadyExists', key, `key already exists: ${key}`);
      }
      const revision = this.assignedRevision + 1;
      const { stored, json } = storedCopy(object, revision);
      this.assignedRevision = revision;
      return this.submit({ type: 'ADDED', key, object: stored, revision }, json);
    });
  }

  update(key: StoreKey, object: KubeObject, expectedResourceVersion?: string): Promise<KubeObject> {
    return this.serialized(key, () => {
      const current = this.current(key, expectedResourceVersion);
      const revision = this.assignedRevision + 1;
      const { stored, json } = storedCopy(object, revision);
      this.assignedRevision = revision;
      return this.submit(
        { type: 'MODIFIED', key, object: stored, prevObject: current, revision },
        json,
      );
    });
  }

  delete(key: StoreKey, expectedResourceVersion?: string): Promise<KubeObject> {
    return this.serialized(key, () => {
      const current = this.current(key, expectedResourceVersion);
      const revision = ++this.assignedRevision;
      // Like etcd3's store: the deleted object carries the deletion's revision.
      const last = Object.freeze({
        ...current,
        metadata: Object.freeze({ ...current.metadata, resourceVersion: String(revision) }),
      });
      return this.submit(
        { type: 'DELETED', key, object: last, prevObject: current, revision },
        undefined,
      );
    });
  }

  watch(prefix: string, fromRevision: number, handler: (event: StoreEvent) => void): Disposable {
    this.assertOpen(prefix);
    if (!Number.isSafeInteger(fromRevision) || fromRevision < 0) {
      throw new TypeError(`watch revision must be a non-negative integer, got ${fromRevision}`);
    }
    if (fromRevision < this.oldestRevision) {
      throw new StoreError(
        'Expired',
        prefix,
        `too old resource version: ${fromRevision} (${this.oldestRevision})`,
      );
    }
    // Subscribe and take the replay in the same tick: live events queue behind the replay.
    const subscriber: Subscriber = {
      prefix,
      handler,
      active: true,
      lastRevision: fromRevision,
      backlog: this.replay(prefix, fromRevision),
    };
    this.watchers.add(subscriber);
    if (subscriber.backlog!.length === 0) subscriber.backlog = null;
    else queueMicrotask(() => this.drain(subscriber));
    return {
      dispose: () => {
        subscriber.active = false;
        subscriber.backlog = null;
        this.watchers.delete(subscriber);
      },
    };
  }

  /** Rewrites the datafile now (compaction also runs by itself); resolves when done. */
  async compact(): Promise<void> {
    this.assertOpen(this.file);
    if (this.compaction) await this.compaction;
    await this.startCompaction();
  }

  close(): Promise<void> {
    if (!this.closing) {
      this.closed = true;
      this.closing = this.shutdown();
    }
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    clearInterval(this.compactTimer);
    // Writes accepted before close() still complete and are acknowledged.
    while (this.keyTails.size > 0) await Promise.all(this.keyTails.values());
    if (this.compaction) await this.compaction;
    // Every acknowledged write was fsynced by its batch; only the kept handle is left to close.
    await this.nedb.executor.pushAsync(() => this.closeSyncHandle());
    for (const subscriber of this.watchers) subscriber.active = false;
    this.watchers.clear();
  }

  private assertOpen(key: StoreKey): void {
    if (this.closed) throw new StoreError('Closed', key, 'store is closed');
  }

  /** The committed object at key, checked against the caller's precondition. */
  private current(key: StoreKey, expectedResourceVersion: string | undefined): KubeObject {
    const current = this.objects.get(key);
    if (!current) throw new StoreError('NotFound', key, `key not found: ${key}`);
    // An empty resourceVersion means unconditional, as for a PUT without one.
    if (expectedResourceVersion && expectedResourceVersion !== current.metadata.resourceVersion) {
      throw new StoreError(
        'Conflict',
        key,
        `resourceVersion conflict on ${key}: expected ${expectedResourceVersion}, stored ${current.metadata.resourceVersion}`,
      );
    }
    return current;
  }

  /**
   * Runs a write once every earlier write to the same key is acknowledged, so preconditions are
   * checked against committed state and compare-and-swap cannot race.
   */
  private serialized(key: StoreKey, write: () => Promise<KubeObject>): Promise<KubeObject> {
    if (this.closed) return Promise.reject(new StoreError('Closed', key, 'store is closed'));
    if (typeof key !== 'string' || !key.startsWith('/')) {
      return Promise.reject(new TypeError(`store keys start with '/', got ${JSON.stringify(key)}`));
    }
    // The body runs synchronously up to write()'s first await: check and revision are one step.
    const start = async (): Promise<KubeObject> => {
      if (this.failure) throw this.failedError();
      return write();
    };
    const previous = this.keyTails.get(key);
    const result = previous ? previous.then(start) : start();
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.keyTails.set(key, tail);
    void tail.then(() => {
      if (this.keyTails.get(key) === tail) this.keyTails.delete(key);
    });
    return result;
  }

  /**
   * Queues a write for the next batch; resolves once it is on disk. Same-key writes are
   * serialized until acknowledged, so a batch never holds two writes to one key.
   */
  private submit(event: StoreEvent, json: string | undefined): Promise<KubeObject> {
    const write: PendingWrite = {
      event: Object.freeze(event),
      json,
      resolve: () => undefined,
      reject: () => undefined,
    };
    const acknowledged = new Promise<KubeObject>((resolve, reject) => {
      write.resolve = resolve;
      write.reject = reject;
    });
    this.waiting.push(write);
    this.appendsSinceCompaction += json === undefined ? 2 : 1;
    if (!this.batchQueued) this.queueBatch();
    if (this.appendsSinceCompaction >= this.compactEvery) void this.startCompaction();
    return acknowledged;
  }

  /**
   * Group commit, one batch at a time through nedb's executor: one append, then one fsync. The
   * batch is taken when the task runs, not when it is queued, so it holds every write that
   * arrived while the previous batch (or a compaction) was on its way to disk.
   */
  private queueBatch(): void {
    this.batchQueued = true;
    // The batch belongs to this task: a write made by a watcher while an earlier batch is being
    // acknowledged queues its own task and must not take this one's place.
    let batch: PendingWrite[] = [];
    this.nedb.executor
      .pushAsync(async () => {
        if (this.failure) return;
        batch = this.waiting.splice(0, MAX_BATCH);
        this.inFlight.add(batch);
        await this.nedb.persistence.persistNewStateAsync(this.persistBatch(batch));
        // nedb never fsyncs; r+ because Windows needs write access to flush.
        this.syncHandle ??= await open(this.file, 'r+');
        await this.syncHandle.sync();
      })
      .then(
        () => this.onBatchDurable(batch),
        (error: unknown) => {
          this.batchQueued = false;
          this.fail(error);
        },
      );
  }

  /**
   * Applies a batch to nedb's in-memory copy and returns the lines to append, in nedb's format:
   * a later line for an _id replaces earlier ones, a `$$deleted` line removes it (how nedb's own
   * update and remove persist, and how its loader and compaction read them back).
   */
  private persistBatch(batch: PendingWrite[]): Record<string, unknown>[] {
    const docs: Record<string, unknown>[] = [];
    let deletedThrough = 0;
    for (const write of batch) {
      if (write.event.type === 'DELETED') deletedThrough = write.event.revision;
    }
    // The counter record leads the batch, so any part of the append that removes an object also
    // raises the counter past that removal (after a crash, a watch resumed from before it gets 410).
    if (deletedThrough > 0) {
      const meta = { _id: META_ID, rev: deletedThrough };
      const [old] = this.nedb.indexes._id.getMatching(META_ID);
      if (old) this.nedb._updateIndexes(old, meta);
      else this.nedb._addToIndexes(meta);
      docs.push(meta);
    }
    for (const { event, json } of batch) {
      const [old] = this.nedb.indexes._id.getMatching(event.key);
      const record =
        event.type === 'DELETED'
          ? undefined
          : new ObjectRecord(event.key, event.revision, event.object);
      if (event.type === 'ADDED') {
        if (old) throw new Error(`store invariant broken: ${event.key} is already in nedb`);
        this.nedb._addToIndexes(record!);
      } else if (!old) {
        throw new Error(`store invariant broken: ${event.key} is missing from nedb`);
      } else if (event.type === 'MODIFIED') {
        this.nedb._updateIndexes(old, record!);
      } else {
        this.nedb._removeFromIndexes(old);
      }
      const line: ObjectLine | { $$deleted: true; _id: string } =
        json === undefined
          ? { $$deleted: true, _id: event.key }
          : { _id: event.key, rev: event.revision, json };
      docs.push(line);
    }
    return docs;
  }

  private onBatchDurable(batch: PendingWrite[]): void {
    this.batchQueued = false;
    this.inFlight.delete(batch);
    if (this.failure) return;
    if (batch.length > 0) {
      this.counters.appends += batch.length;
      this.counters.appendBatches++;
      this.counters.fsyncs++;
      for (const write of batch) this.apply(write.event);
      for (const write of batch) write.resolve(write.event.object);
    }
    // Watchers notified above may have written, and queued a batch already.
    if (this.waiting.length > 0 && !this.batchQueued) this.queueBatch();
  }

  private async closeSyncHandle(): Promise<void> {
    const handle = this.syncHandle;
    this.syncHandle = undefined;
    // Everything written through it is already fsynced: a failing close loses nothing.
    await handle?.close().catch((error: unknown) => {
      this.warn(`closing ${this.file} failed: ${errorMessage(error)}`);
    });
  }

  private apply(event: StoreEvent): void {
    if (event.type === 'DELETED') {
      this.objects.delete(event.key);
      const index = lowerBound(this.keys, event.key);
      if (this.keys[index] === event.key) this.keys.splice(index, 1);
    } else {
      if (event.type === 'ADDED') this.keys.splice(lowerBound(this.keys, event.key), 0, event.key);
      this.objects.set(event.key, event.object);
    }
    this.committedRevision = event.revision;
    this.remember(event);
    for (const subscriber of this.watchers) {
      if (!event.key.startsWith(subscriber.prefix)) continue;
      if (subscriber.backlog) subscriber.backlog.push(event);
      else this.deliver(subscriber, event);
    }
  }

  /**
   * Appends the event to the history. The entry it supersedes (the key's previous write) turns
   * into JSON text, which is also this entry's prevText: one string for both.
   */
  private remember(event: StoreEvent): void {
    let prevText: string | undefined;
    if (event.prevObject) {
      const previous = this.newestEntry.get(event.key);
      if (previous?.current === event.prevObject) {
        // The text is made only now: a current object's JSON is not kept in memory anywhere.
        previous.text = JSON.stringify(previous.current);
        previous.current = undefined;
        prevText = previous.text;
      } else {
        // The previous write left the window (or predates this process).
        prevText = JSON.stringify(event.prevObject);
      }
    }
    const entry: HistoryEntry = {
      type: event.type,
      key: event.key,
      revision: event.revision,
      current: event.type === 'DELETED' ? undefined : event.object,
      text: undefined,
      prevText,
    };
    this.history.push(entry);
    this.newestEntry.set(event.key, entry);
    if (this.history.length - this.historyStart > this.historyWindow) {
      const evicted = this.history[this.historyStart]!;
      this.oldestRevision = evicted.revision;
      if (this.newestEntry.get(evicted.key) === evicted) this.newestEntry.delete(evicted.key);
      this.history[this.historyStart] = undefined;
      this.historyStart++;
      if (this.historyStart >= this.historyWindow) {
        this.history = this.history.slice(this.historyStart);
        this.historyStart = 0;
      }
    }
  }

  private replay(prefix: string, fromRevision: number): StoreEvent[] {
    let low = this.historyStart;
    let high = this.history.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.history[middle]!.revision <= fromRevision) low = middle + 1;
      else high = middle;
    }
    const events: StoreEvent[] = [];
    for (let i = low; i < this.history.length; i++) {
      const entry = this.history[i]!;
      if (entry.key.startsWith(prefix)) events.push(eventOf(entry));
    }
    return events;
  }

  private drain(subscriber: Subscriber): void {
    while (subscriber.active && subscriber.backlog && subscriber.backlog.length > 0) {
      this.deliver(subscriber, subscriber.backlog.shift()!);
    }
    if (subscriber.active) subscriber.backlog = null;
  }

  private deliver(subscriber: Subscriber, event: StoreEvent): void {
    if (!subscriber.active || event.revision <= subscriber.lastRevision) return;
    subscriber.lastRevision = event.revision;
    try {
      subscriber.handler(event);
    } catch (error) {
      this.warn(
        `watch handler for ${subscriber.prefix} threw on revision ${event.revision}: ${errorMessage(error)}`,
      );
    }
  }

  private startCompaction(): Promise<void> {
    if (!this.compaction) {
      this.appendsSinceCompaction = 0;
      this.compaction = this.runCompaction();
    }
    return this.compaction;
  }

  private async runCompaction(): Promise<void> {
    try {
      // One nedb executor task: the kept fsync handle is closed before the rewrite renames a new
      // file over the datafile, and the next batch opens the new one. Batches queued meanwhile
      // wait, then append to and fsync the new file.
      await this.nedb.executor.pushAsync(async () => {
        await this.closeSyncHandle();
        await this.rewriteDatafile();
      });
      this.counters.compactions++;
    } catch (error) {
      // The old file stays in place (only a complete, fsynced copy is renamed), so nothing is lost.
      this.warn(`compaction of ${this.file} failed: ${errorMessage(error)}`);
    }
    this.compaction = undefined;
  }

  /**
   * nedb's compaction (persistCachedDatabaseAsync) with the same lines and the same crash-safe
   * sequence — fsync the directory and the datafile, write `<file>~`, fsync it, rename it over
   * the datafile, fsync the directory — but written a piece at a time as it is serialized. nedb
   * first builds every line of the datafile and queues them all on an unthrottled stream, which
   * holds the whole store as text twice over while it runs. Runs as an executor task, so no batch
   * changes nedb's records meanwhile.
   */
  private async rewriteDatafile(): Promise<void> {
    const directory = path.dirname(this.file);
    const temporary = `${this.file}~`;
    await nedbStorage.flushToStorageAsync({ filename: directory, isDir: true });
    if (await nedbStorage.existsAsync(this.file)) {
      await nedbStorage.flushToStorageAsync({ filename: this.file });
    }
    const handle = await open(temporary, 'w', 0o644);
    try {
      let chunk = '';
      for (const record of this.db.getAllData()) {
        chunk += `${nedbModel.serialize(record)}\n`;
        if (chunk.length >= REWRITE_CHUNK) {
          await writeAll(handle, chunk);
          chunk = '';
        }
      }
      if (chunk) await writeAll(handle, chunk);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, this.file);
    await nedbStorage.flushToStorageAsync({ filename: directory, isDir: true });
  }

  private fail(error: unknown): void {
    if (this.failure) return;
    this.failure = error instanceof Error ? error : new Error(String(error));
    this.warn(
      `writing ${this.file} failed, the store accepts no more writes: ${this.failure.message}`,
    );
    // Unacknowledged writes may or may not have reached the disk; their callers learn they failed.
    const unacknowledged = [...[...this.inFlight].flat(), ...this.waiting];
    this.inFlight.clear();
    this.waiting = [];
    for (const write of unacknowledged) write.reject(this.failedError());
  }

  private failedError(): Error {
    return new Error(`store write failed (${errorMessage(this.failure)}); reopen the store`, {
      cause: this.failure,
    });
  }
}

/** The watch event a history entry records, rebuilt for a replay. */
function eventOf(entry: HistoryEntry): StoreEvent {
  const { type, key, revision } = entry;
  const prevObject = entry.prevText === undefined ? undefined : parseFrozen(entry.prevText);
  let object: KubeObject;
  if (entry.current) object = entry.current;
  else if (entry.text !== undefined) object = parseFrozen(entry.text);
  else {
    // DELETED: the last state, carrying the deletion's revision (as delete() delivered it).
    object = Object.freeze({
      ...prevObject!,
      metadata: Object.freeze({ ...prevObject!.metadata, resourceVersion: String(revision) }),
    });
  }
  return Object.freeze(
    prevObject ? { type, key, object, prevObject, revision } : { type, key, object, revision },
  );
}

function parseFrozen(json: string): KubeObject {
  return deepFreeze(JSON.parse(json) as KubeObject);
}

/** Copy of the caller's object with its resourceVersion set, frozen, plus the JSON persisted. */
function storedCopy(object: KubeObject, revision: number): { stored: KubeObject; json: string } {
  if (!isPlainObject(object) || !isPlainObject(object.metadata)) {
    throw new TypeError('a stored object must be a JSON object with metadata');
  }
  const json = JSON.stringify({
    ...object,
    metadata: { ...object.metadata, resourceVersion: String(revision) },
  });
  return { stored: freezeInterned(JSON.parse(json) as KubeObject), json };
}

/**
 * Stored objects repeat the same short strings thousands of times (image and scheduler names,
 * condition types, field managers, owner names and uids); JSON.parse makes a new copy of each.
 * Objects entering the store keep one copy instead. Bounded: the table starts over when full, so
 * unique values (names, uids, timestamps) cost nothing for long.
 */
const MAX_INTERNED_LENGTH = 128;
const MAX_INTERNED = 65_536;
const interned = new Map<string, string>();

function intern(value: string): string {
  if (value.length > MAX_INTERNED_LENGTH) return value;
  const known = interned.get(value);
  if (known !== undefined) return known;
  if (interned.size >= MAX_INTERNED) interned.clear();
  interned.set(value, value);
  return value;
}

/** Freezes a freshly parsed value in place, replacing its strings by interned ones first. */
function freezeInterned<T>(value: T): T {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (typeof item === 'string') value[i] = intern(item);
      else if (typeof item === 'object' && item !== null) freezeInterned(item);
    }
  } else if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      const item = record[key];
      if (typeof item === 'string') record[key] = intern(item);
      else if (typeof item === 'object' && item !== null) freezeInterned(item);
    }
  }
  return Object.freeze(value);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/** First index whose key is >= target. */
function lowerBound(sorted: string[], target: string): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (sorted[middle] < target) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** nedb rewrites through `<file>~`; if only that exists a rewrite was cut short after deleting the original. */
async function recoverInterruptedRewrite(file: string): Promise<void> {
  if (await exists(file)) return;
  if (await exists(`${file}~`)) await rename(`${file}~`, file);
}

/**
 * Reads the datafile the way nedb will, naming the first bad line (nedb itself only reports a
 * percentage, or drops lines silently below its threshold).
 */
async function scanDatafile(file: string, warn: (message: string) => void): Promise<ScanResult> {
  let buffer: Buffer;
  try {
    buffer = await readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return { objects: new Map(), revision: 0, records: 0 };
    }
    throw error;
  }
  let end = buffer.length;
  if (end > 0 && buffer[end - 1] !== 0x0a) {
    // Every record nedb writes ends in '\n'; an unterminated, unparsable last line is an append
    // cut off by a crash or power loss, so it was never acknowledged and is dropped.
    const start = buffer.lastIndexOf(0x0a) + 1;
    if (!parses(buffer.toString('utf8', start, end))) {
      const line = countNewlines(buffer, start) + 1;
      await truncateDurably(file, start);
      warn(`${file} line ${line}: removed an incomplete last record left by an interrupted write`);
      end = start;
    }
  }

  const lines = buffer.toString('utf8', 0, end).split('\n');
  const latest = new Map<string, { line: number; rev: number; json: string }>();
  let revision = 0;
  let hasMeta = false;
  const corrupt = (line: number, detail: string) => new Error(`${file} line ${line}: ${detail}`);
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i];
    if (text === '') continue;
    let record: unknown;
    try {
      record = JSON.parse(text);
    } catch (error) {
      throw corrupt(i + 1, errorMessage(error));
    }
    if (!isPlainObject(record)) throw corrupt(i + 1, 'record is not a JSON object');
    if ('$$indexCreated' in record || '$$indexRemoved' in record) continue;
    const id = record._id;
    if (typeof id !== 'string' || id === '') throw corrupt(i + 1, 'record has no _id');
    if (record.$$deleted === true) {
      latest.delete(id);
      if (id === META_ID) hasMeta = false;
      continue;
    }
    const rev = record.rev;
    if (typeof rev !== 'number' || !Number.isSafeInteger(rev) || rev < 1) {
      throw corrupt(i + 1, `record ${id} has no valid revision`);
    }
    revision = Math.max(revision, rev);
    if (id === META_ID) {
      hasMeta = true;
      continue;
    }
    if (typeof record.json !== 'string') throw corrupt(i + 1, `record ${id} has no object`);
    latest.set(id, { line: i + 1, rev, json: record.json });
  }

  const objects = new Map<StoreKey, KubeObject>();
  for (const [key, { line, rev, json }] of latest) {
    let object: unknown;
    try {
      object = JSON.parse(json);
    } catch (error) {
      throw corrupt(line, `object ${key}: ${errorMessage(error)}`);
    }
    if (!isPlainObject(object) || !isPlainObject(object.metadata)) {
      throw corrupt(line, `object ${key} is not a Kubernetes object`);
    }
    if (object.metadata.resourceVersion !== String(rev)) {
      throw corrupt(
        line,
        `object ${key} has resourceVersion ${String(object.metadata.resourceVersion)}, record says ${rev}`,
      );
    }
    objects.set(key, freezeInterned(object as KubeObject));
  }
  return { objects, revision, records: objects.size + (hasMeta ? 1 : 0) };
}

/** Writes all of text at the handle's position (a write may take only part of it). */
async function writeAll(handle: FileHandle, text: string): Promise<void> {
  const buffer = Buffer.from(text, 'utf8');
  for (let offset = 0; offset < buffer.length;) {
    const { bytesWritten } = await handle.write(buffer, offset, buffer.length - offset);
    offset += bytesWritten;
  }
}

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

function countNewlines(buffer: Buffer, end: number): number {
  let count = 0;
  for (let i = buffer.indexOf(0x0a); i !== -1 && i < end; i = buffer.indexOf(0x0a, i + 1)) count++;
  return count;
}

async function truncateDurably(file: string, length: number): Promise<void> {
  const handle = await open(file, 'r+');
  try {
    await handle.truncate(length);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

function positiveInteger(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new TypeError(`store option ${name} must be a positive integer, got ${value}`);
  }
  return value;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
