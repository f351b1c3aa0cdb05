// A task run soon after whatever it depends on changed: changes arriving together make one run,
// runs never overlap, and a change during a run makes exactly one more run after it. What the
// agent's network controllers use to push to netd and to sync host ports and statuses.
export class CoalescedTask {
  private timer: NodeJS.Timeout | undefined;
  private due = Infinity;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(
    private readonly run: () => Promise<void>,
    private readonly delayMs = 30,
  ) {}

  /** Runs the task after delayMs (sooner if a run is already due sooner). */
  schedule(delayMs = this.delayMs): void {
    if (this.stopped) return;
    const due = Date.now() + delayMs;
    if (this.timer && due >= this.due) return;
    if (this.timer) clearTimeout(this.timer);
    this.due = due;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.due = Infinity;
      this.start();
    }, delayMs);
    this.timer.unref();
  }

  /** Stops scheduling; resolves when a run under way has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  private start(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      do {
        this.again = false;
        // The task handles its own errors; one that escapes must not stop later runs.
        await this.run().catch(() => undefined);
      } while (this.again && !this.stopped);
    })().finally(() => (this.running = undefined));
  }
}
