// A work queue of object keys (client-go util/workqueue): a key is queued at most once, is never
// processed by two workers at the same time, and failed or waiting keys come back after a delay
// that grows per key (5 ms doubling, capped at 1000 s, as the default controller rate limiter).
// Unlike client-go's, all controllers share one thread: a key that keeps changing (a ReplicaSet
// whose 10,000 pods report status) waits after each reconcile twice as long as that reconcile took
// (capped), so one busy object takes at most a third of the process; cheap keys are not delayed.

import type { KubeObject } from '../../api/types.ts';
import { objectKey } from '../../client/informer.ts';

/** Reconciles shorter than this are not followed by a pause. */
const MIN_COOLDOWN_MS = 5;
const MAX_COOLDOWN_MS = 1000;
const COOLDOWN_FACTOR = 2;

export type ReconcileResult = { requeueAfterMs?: number } | void;

/**
 * One pending delayed add per key (client-go's delaying queue): asking again for a key keeps the
 * earlier of the two times. Shared by the controllers' queue and the kubelet's pod workers.
 */
export class KeyTimers {
  private readonly timers = new Map<string, { timer: NodeJS.Timeout; due: number }>();

  constructor(private readonly fire: (key: string) => void) {}

  after(key: string, ms: number): void {
    const due = performance.now() + ms;
    const pending = this.timers.get(key);
    if (pending) {
      if (pending.due <= due) return;
      clearTimeout(pending.timer);
    }
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.fire(key);
    }, ms);
    timer.unref();
    this.timers.set(key, { timer, due });
  }

  clear(): void {
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }
}

export class WorkQueue {
  /** A queue whose failed reconciles are logged as `name: key: message`, as controllers report them. */
  static logged(
    name: string,
    log: (line: string) => void,
    reconcile: (key: string) => Promise<ReconcileResult>,
  ): WorkQueue {
    return new WorkQueue(reconcile, (key, err) =>
      log(`${name}: ${key}: ${err instanceof Error ? err.message : String(err)}`),
    );
  }

  /** Queues the key of every object the informer adds, updates or deletes (a controller's own kind). */
  enqueueChanges(informer: {
    addHandlers(handlers: {
      add?: (object: KubeObject) => void;
      update?: (old: KubeObject, object: KubeObject) => void;
      delete?: (object: KubeObject) => void;
    }): unknown;
  }): void {
    informer.addHandlers({
      add: (object) => this.add(objectKey(object)),
      update: (_old, object) => this.add(objectKey(object)),
      delete: (object) => this.add(objectKey(object)),
    });
  }

  private readonly queued = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new KeyTimers((key) => this.add(key));
  /** Key → the time before which it is not reconciled again. */
  private readonly coolingUntil = new Map<string, number>();
  private running = false;
  private stopped = false;
  private idle: Promise<void> = Promise.resolve();

  constructor(
    private readonly reconcile: (key: string) => Promise<ReconcileResult>,
    private readonly onError: (key: string, err: unknown) => void = () => undefined,
  ) {}

  add(key: string): void {
    if (this.stopped) return;
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    const until = this.coolingUntil.get(key);
    if (until !== undefined) {
      const wait = until - performance.now();
      if (wait > 0) return this.addAfter(key, wait);
      this.coolingUntil.delete(key);
    }
    this.queued.add(key);
    this.kick();
  }

  /** Adds the key after ms; an earlier pending addAfter of the same key wins. */
  addAfter(key: string, ms: number): void {
    if (!this.stopped) this.timers.after(key, ms);
  }

  private kick(): void {
    if (this.running) return;
    this.running = true;
    // Like client-go's workers, reconcile never runs inside the informer handler that added the
    // key: that handler may be inside another write's watch dispatch.
    this.idle = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.drain())
      .finally(() => (this.running = false));
  }

  private async drain(): Promise<void> {
    while (!this.stopped && this.queued.size) {
      const key = this.queued.values().next().value as string;
      this.queued.delete(key);
      this.processing.add(key);
      const started = performance.now();
      try {
        const result = await this.reconcile(key);
        this.failures.delete(key);
        if (result?.requeueAfterMs !== undefined) this.addAfter(key, result.requeueAfterMs);
      } catch (err) {
        const count = (this.failures.get(key) ?? 0) + 1;
        this.failures.set(key, count);
        this.onError(key, err);
        this.addAfter(key, Math.min(5 * 2 ** (count - 1), 1_000_000));
      } finally {
        this.processing.delete(key);
        const took = performance.now() - started;
        if (took >= MIN_COOLDOWN_MS)
          this.coolingUntil.set(
            key,
            performance.now() + Math.min(took * COOLDOWN_FACTOR, MAX_COOLDOWN_MS),
          );
        else this.coolingUntil.delete(key);
        if (this.dirty.delete(key)) this.add(key);
      }
    }
  }

  /** Stops taking work; resolves when the key in progress is done. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.timers.clear();
    this.queued.clear();
    this.coolingUntil.clear();
    await this.idle;
  }
}
