// Keeps one of netd's documents (PUT /v1/services, /v1/dns, /v1/ingress) in step with what the
// agent computes from the API: rebuilt shortly after a change (changes arriving together make
// one push), sent only when it differs from what netd last accepted, sent again to every new netd
// container, and retried while netd is unreachable.
import { CoalescedTask } from './coalesced-task.ts';
import type { NetdClient } from './netd-client.ts';

export interface NetdDocumentOptions<T> {
  client: NetdClient;
  /** The control route, e.g. `/v1/services`. */
  path: string;
  build: () => T;
  log: (line: string) => void;
  /** Changes within this window make one push (default 30 ms). */
  debounceMs?: number;
  /** Wait before retrying a failed push (default 1 s). */
  retryMs?: number;
  /** Told what netd answered to each accepted push (per-item errors, for instance). */
  accepted?: (reply: unknown) => void;
}

export class NetdDocument<T> {
  private readonly task: CoalescedTask;
  private sent: string | undefined;
  private lastError = '';

  constructor(private readonly options: NetdDocumentOptions<T>) {
    this.task = new CoalescedTask(() => this.push(), options.debounceMs ?? 30);
  }

  /** Something the document is built from changed. */
  changed(): void {
    this.task.schedule();
  }

  /** A new netd container knows nothing yet: send the document again. */
  resend(): void {
    this.sent = undefined;
    this.task.schedule();
  }

  stop(): void {
    void this.task.stop();
  }

  private async push(): Promise<void> {
    try {
      const text = JSON.stringify(this.options.build());
      if (text === this.sent) return;
      const reply = await this.options.client.put(this.options.path, text);
      this.sent = text;
      this.lastError = '';
      this.options.accepted?.(reply);
    } catch (err) {
      const message = (err as Error).message;
      // Retried every second while netd is down: said once until it changes.
      if (message !== this.lastError) this.options.log(`netd ${this.options.path}: ${message}`);
      this.lastError = message;
      this.task.schedule(this.options.retryMs ?? 1_000);
    }
  }
}
