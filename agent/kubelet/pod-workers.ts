// kubelet's pod workers (pkg/kubelet/pod_workers.go): one sync at a time per pod, pods in parallel,
// so a slow image pull or a grace period holds up only its own pod. A key changed during its sync
// is synced again right after; a failed sync is retried with a growing delay.
import { KeyTimers } from '../../main/controllers/runtime/work-queue.ts';

export type SyncResult = { requeueAfterMs?: number } | void;

export class PodWorkers {
  private readonly busy = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new KeyTimers((key) => this.add(key));
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = false;

  constructor(
    private readonly sync: (key: string) => Promise<SyncResult>,
    private readonly onError: (key: string, err: unknown) => void = () => undefined,
    /** First retry delay after a failed sync (doubles per failure, at most 30 s). */
    private readonly retryMs = 500,
  ) {}

  add(key: string): void {
    if (this.stopped) return;
    if (this.busy.has(key)) {
      this.dirty.add(key);
      return;
    }
    this.busy.add(key);
    const work = this.run(key);
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  /** Syncs the key after ms; an earlier pending request wins. */
  addAfter(key: string, ms: number): void {
    if (!this.stopped) this.timers.after(key, ms);
  }

  private async run(key: string): Promise<void> {
    try {
      do {
        this.dirty.delete(key);
        try {
          const result = await this.sync(key);
          this.failures.delete(key);
          if (result?.requeueAfterMs !== undefined) this.addAfter(key, result.requeueAfterMs);
        } catch (err) {
          const count = (this.failures.get(key) ?? 0) + 1;
          this.failures.set(key, count);
          this.onError(key, err);
          this.addAfter(key, Math.min(this.retryMs * 2 ** (count - 1), 30_000));
        }
      } while (this.dirty.has(key) && !this.stopped);
    } finally {
      this.busy.delete(key);
    }
  }

  /** Stops taking work and waits for the syncs under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.timers.clear();
    await Promise.all([...this.inFlight]);
  }
}
