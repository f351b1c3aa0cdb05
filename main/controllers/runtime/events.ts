// An event recorder (client-go tools/record EventRecorder with its EventCorrelator): components
// report what they did as core/v1 Events; a repeat of the same event bumps the count and
// lastTimestamp of the Event already written instead of creating another one, and many similar
// events (same object and reason, different messages) fold into one "(combined from similar
// events)" Event, as client-go's EventAggregator does.
import { StatusError } from '../../api/status.ts';
import type { KubeObject } from '../../api/types.ts';
import type { LocalClient } from '../../client/local-client.ts';

const EVENTS = { group: '', version: 'v1', resource: 'events' };
/** The correlator's cache size in client-go (maxLruCacheEntries). */
const MAX_CACHED = 4096;
/** EventAggregator defaults: from the 10th distinct message within 10 minutes, combine. */
const AGGREGATE_MAX_EVENTS = 10;
const AGGREGATE_INTERVAL_MS = 600_000;
const COMBINED_PREFIX = '(combined from similar events): ';

export type EventType = 'Normal' | 'Warning';

/** What an Event is about (core/v1 ObjectReference). */
export interface EventTarget {
  apiVersion?: string;
  kind: string;
  namespace?: string;
  name: string;
  uid?: string;
  resourceVersion?: string;
  fieldPath?: string;
}

interface Recorded {
  namespace: string;
  name: string;
  count: number;
}

interface Similar {
  /** Distinct messages seen, oldest first. */
  messages: Set<string>;
  lastMs: number;
}

/** Seconds-precision RFC 3339, as metav1.Time serializes. */
function now(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}

export function referenceTo(object: KubeObject, fieldPath?: string): EventTarget {
  const ref: EventTarget = {
    apiVersion: object.apiVersion,
    kind: object.kind,
    name: object.metadata.name ?? '',
  };
  if (object.metadata.namespace) ref.namespace = object.metadata.namespace;
  if (object.metadata.uid) ref.uid = object.metadata.uid;
  if (object.metadata.resourceVersion) ref.resourceVersion = object.metadata.resourceVersion;
  if (fieldPath) ref.fieldPath = fieldPath;
  return ref;
}

export class EventRecorder {
  private readonly recorded = new Map<string, Recorded>();
  private readonly similar = new Map<string, Similar>();
  private pending: Promise<void> = Promise.resolve();
  private sequence = 0;

  constructor(
    private readonly client: LocalClient,
    /** source.component, e.g. `node-controller`, `kubelet`, `default-scheduler`. */
    private readonly component: string,
    /** source.host: the node name for kubelets, unset for control-plane components. */
    private readonly host?: string,
    private readonly log: (line: string) => void = () => undefined,
  ) {}

  /** Records an event; never throws (writes happen in order in the background). */
  event(target: KubeObject | EventTarget, type: EventType, reason: string, message: string): void {
    const ref = 'metadata' in target ? referenceTo(target) : target;
    this.pending = this.pending
      .then(() => this.write(ref, type, reason, message))
      .catch((err: unknown) => {
        this.log(`event ${reason} for ${ref.kind} ${ref.name}: ${(err as Error).message}`);
      });
  }

  /** Resolves once every event recorded so far has been written (for tests and shutdown). */
  flush(): Promise<void> {
    return this.pending;
  }

  private async write(
    ref: EventTarget,
    type: EventType,
    reason: string,
    message: string,
  ): Promise<void> {
    // Events about cluster-scoped objects (Nodes) live in `default`, as in client-go.
    const namespace = ref.namespace || 'default';
    const aggregateKey = JSON.stringify([
      this.component,
      this.host ?? '',
      ref.kind,
      ref.namespace ?? '',
      ref.name,
      ref.uid ?? '',
      ref.apiVersion ?? '',
      type,
      reason,
    ]);
    let key = JSON.stringify([aggregateKey, ref.fieldPath ?? '', message]);
    if (this.isSimilarToMany(aggregateKey, message)) {
      key = aggregateKey;
      message = COMBINED_PREFIX + message;
    }
    const timestamp = now();
    const seen = this.recorded.get(key);
    if (seen) {
      try {
        await this.client.patch(
          EVENTS,
          seen.namespace,
          seen.name,
          'application/strategic-merge-patch+json',
          { count: seen.count + 1, lastTimestamp: timestamp, message },
        );
        seen.count++;
        // Refresh its place in the cache (Map keeps insertion order: oldest first).
        this.recorded.delete(key);
        this.recorded.set(key, seen);
        return;
      } catch (err) {
        if (!(err instanceof StatusError && err.code === 404)) throw err;
        this.recorded.delete(key);
      }
    }
    // client-go names events <object>.<unix nanoseconds in hex>; a sequence keeps them unique.
    const nanos = BigInt(Date.now()) * 1_000_000n + BigInt(this.sequence++ % 1_000_000);
    const name = `${ref.name}.${nanos.toString(16)}`;
    const source: Record<string, string> = { component: this.component };
    if (this.host) source.host = this.host;
    await this.client.create(EVENTS, namespace, {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace },
      involvedObject: { ...ref },
      reason,
      message,
      source,
      firstTimestamp: timestamp,
      lastTimestamp: timestamp,
      count: 1,
      type,
      eventTime: null,
      reportingComponent: this.component,
      reportingInstance: this.host ?? '',
    });
    this.recorded.set(key, { namespace, name, count: 1 });
    if (this.recorded.size > MAX_CACHED) {
      const oldest = this.recorded.keys().next().value;
      if (oldest !== undefined) this.recorded.delete(oldest);
    }
  }

  /** EventAggregate: whether this message is one too many distinct ones for the same object and reason. */
  private isSimilarToMany(aggregateKey: string, message: string): boolean {
    const nowMs = Date.now();
    let record = this.similar.get(aggregateKey);
    if (!record || nowMs - record.lastMs > AGGREGATE_INTERVAL_MS)
      record = { messages: new Set(), lastMs: nowMs };
    record.messages.add(message);
    record.lastMs = nowMs;
    this.similar.delete(aggregateKey);
    this.similar.set(aggregateKey, record);
    if (this.similar.size > MAX_CACHED) {
      const oldest = this.similar.keys().next().value;
      if (oldest !== undefined) this.similar.delete(oldest);
    }
    if (record.messages.size < AGGREGATE_MAX_EVENTS) return false;
    // Keep the set below the threshold, so every further message is combined too.
    const first = record.messages.values().next().value;
    if (first !== undefined) record.messages.delete(first);
    return true;
  }
}
