// Bounds the container creates and starts Docker works on at once. Waiting calls run oldest pod
// first, so under a burst (a Deployment scaled to 30) pods come up one after another instead of
// all together at the end: Docker's throughput is the same either way, but each pod waits only
// for the pods before it. Image pulls are not bounded here (they wait on the registry, not on
// dockerd).

interface Waiter {
  order: number;
  seq: number;
  go: () => void;
}

export class StartQueue {
  private active = 0;
  /** Sorted: lowest order first, then first come. */
  private readonly waiting: Waiter[] = [];
  private seq = 0;

  constructor(private readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`limit must be ≥ 1, not ${limit}`);
  }

  /** Runs fn once a slot is free; `order` is the pod's place in line (lower goes first). */
  async run<T>(order: number, fn: () => Promise<T>): Promise<T> {
    if (this.active < this.limit) this.active++;
    else
      await new Promise<void>((go) => {
        const waiter = { order, seq: this.seq++, go };
        let at = this.waiting.length;
        while (
          at > 0 &&
          (this.waiting[at - 1].order > order ||
            (this.waiting[at - 1].order === order && this.waiting[at - 1].seq > waiter.seq))
        )
          at--;
        this.waiting.splice(at, 0, waiter);
      });
    try {
      return await fn();
    } finally {
      // The slot passes straight to the next in line.
      const next = this.waiting.shift();
      if (next) next.go();
      else this.active--;
    }
  }

  /** Calls running and waiting, for tests and diagnostics. */
  get size(): { active: number; waiting: number } {
    return { active: this.active, waiting: this.waiting.length };
  }
}
