// Watch streams (apiserver pkg/endpoints/handlers/watch.go + the watch cache's semantics): newline-
// delimited JSON events, selector transitions turned into ADDED/DELETED, bookmarks, timeouts,
// 410 Expired for compacted revisions, and WatchList (sendInitialEvents, KEP-3157).
import type { ServerResponse } from 'node:http';
import type { KubeObject } from '../../api/types.ts';
import { StatusError, expired } from '../../api/status.ts';
import { StoreError, type Store, type StoreEvent } from '../../store/types.ts';
import { jsonText } from '../http/json-text.ts';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchRequest {
  prefix: string;
  /** '' (unset), '0', or a revision. */
  resourceVersion: string;
  resourceVersionMatch: string;
  sendInitialEvents: boolean | undefined;
  allowBookmarks: boolean;
  timeoutSeconds: number;
  matches(object: KubeObject): boolean;
  /** Renders an object for the wire (version conversion, Table rows…). */
  render(object: KubeObject, type: WatchEventType): unknown;
  /** The object a bookmark carries: kind/apiVersion of the resource and the revision. */
  bookmark(revision: number, initialEventsEnd: boolean): unknown;
  bookmarkIntervalMs?: number;
}

/** Validates the WatchList parameter combination the way kube-apiserver does (422 otherwise). */
export function checkWatchParameters(
  req: Pick<WatchRequest, 'sendInitialEvents' | 'resourceVersionMatch' | 'allowBookmarks'>,
  isWatch: boolean,
): void {
  if (req.sendInitialEvents !== undefined) {
    if (!isWatch)
      throw new StatusError(422, 'Invalid', 'sendInitialEvents is forbidden for list', {
        causes: [
          {
            reason: 'FieldValueForbidden',
            message: 'Forbidden: sendInitialEvents is forbidden for list',
            field: 'sendInitialEvents',
          },
        ],
      });
    if (req.resourceVersionMatch !== 'NotOlderThan') {
      throw new StatusError(
        422,
        'Invalid',
        'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan',
        {
          causes: [
            {
              reason: 'FieldValueForbidden',
              message:
                'Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan',
              field: 'resourceVersionMatch',
            },
          ],
        },
      );
    }
    if (!req.allowBookmarks) {
      throw new StatusError(
        422,
        'Invalid',
        'ListOptions.meta.k8s.io "" is invalid: allowWatchBookmarks: Forbidden: sendInitialEvents requires setting allowWatchBookmarks to true',
        {
          causes: [
            {
              reason: 'FieldValueForbidden',
              message: 'Forbidden: sendInitialEvents requires setting allowWatchBookmarks to true',
              field: 'allowWatchBookmarks',
            },
          ],
        },
      );
    }
  } else if (req.resourceVersionMatch && isWatch) {
    throw new StatusError(
      422,
      'Invalid',
      'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided',
      {
        causes: [
          {
            reason: 'FieldValueForbidden',
            message:
              'Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided',
            field: 'resourceVersionMatch',
          },
        ],
      },
    );
  }
}

export interface WatchHandle {
  done: Promise<void>;
  close(): void;
}

/**
 * Serves one watch on res until timeout, client close or close(). Writes headers at once so
 * clients see the stream start (kubectl -w relies on it).
 */
export function serveWatch(store: Store, res: ServerResponse, req: WatchRequest): WatchHandle {
  let fromRevision: number;
  const initial: KubeObject[] = [];
  const rv = req.resourceVersion;
  // Which events to synthesise first: unset RV → current state (+ with WatchList, a bookmark).
  const sendInitial = req.sendInitialEvents ?? (rv === '' || rv === '0');
  let snapshotRevision: number;
  if (sendInitial) {
    const snapshot = store.list(req.prefix);
    snapshotRevision = snapshot.revision;
    if (rv !== '' && rv !== '0' && Number(rv) > snapshot.revision) {
      throw new StatusError(
        504,
        'Timeout',
        `Too large resource version: ${rv}, current: ${snapshot.revision}`,
        {
          causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
          retryAfterSeconds: 1,
        },
      );
    }
    for (const object of snapshot.items) if (req.matches(object)) initial.push(object);
    fromRevision = snapshot.revision;
  } else if (rv === '' || rv === '0') {
    fromRevision = store.revision;
    snapshotRevision = fromRevision;
  } else {
    const parsed = Number(rv);
    if (!/^\d+$/.test(rv) || !Number.isSafeInteger(parsed)) {
      throw new StatusError(400, 'BadRequest', `invalid resource version: ${JSON.stringify(rv)}`);
    }
    fromRevision = parsed;
    snapshotRevision = store.revision;
  }

  res.writeHead(200, {
    'Content-Type': 'application/json',
    'Cache-Control': 'no-cache, private',
    'Transfer-Encoding': 'chunked',
  });
  res.flushHeaders();

  let closed = false;
  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  const timers: NodeJS.Timeout[] = [];
  let subscription: { dispose(): void } | undefined;
  let lastRevision = fromRevision;

  const write = (type: WatchEventType, object: unknown) => {
    if (closed) return;
    res.write(eventLine(type, object));
  };
  const close = () => {
    if (closed) return;
    closed = true;
    subscription?.dispose();
    for (const timer of timers) clearTimeout(timer);
    res.end();
    resolveDone();
  };
  res.on('close', close);

  for (const object of initial) write('ADDED', req.render(object, 'ADDED'));
  if (req.sendInitialEvents) write('BOOKMARK', req.bookmark(snapshotRevision, true));

  try {
    subscription = store.watch(req.prefix, fromRevision, (event: StoreEvent) => {
      lastRevision = event.revision;
      const translated = translate(event, (object) => req.matches(object));
      if (translated) write(translated.type, req.render(translated.object, translated.type));
    });
  } catch (err) {
    if (err instanceof StoreError && err.kind === 'Expired') {
      const status = expired(
        `too old resource version: ${fromRevision} (${store.oldestWatchableRevision})`,
      ).toStatus();
      write('ERROR', status);
      close();
      return { done, close };
    }
    close();
    throw err;
  }

  timers.push(setTimeout(close, req.timeoutSeconds * 1000));
  if (req.allowBookmarks) {
    const interval = req.bookmarkIntervalMs ?? 60_000;
    const tick = () => {
      if (closed) return;
      write('BOOKMARK', req.bookmark(Math.max(lastRevision, store.revision), false));
      timers.push(setTimeout(tick, interval));
    };
    timers.push(setTimeout(tick, interval));
  }
  return { done, close };
}

/** The last event line encoded, and what it was made of: one event's fan-out encodes it once. */
let lastLine: { type: WatchEventType; object: object; bytes: Buffer } | undefined;

/** One newline-delimited watch event as bytes, shared by every watcher the same event goes to. */
function eventLine(type: WatchEventType, object: unknown): Buffer | string {
  if (typeof object !== 'object' || object === null) {
    return `{"type":"${type}","object":${JSON.stringify(object)}}\n`;
  }
  if (lastLine?.object === object && lastLine.type === type) return lastLine.bytes;
  const text = `{"type":"${type}","object":${jsonText(object)}}\n`;
  if (!Object.isFrozen(object)) return text;
  lastLine = { type, object, bytes: Buffer.from(text, 'utf8') };
  return lastLine.bytes;
}

/** Filters an event through the selector, turning matches that start or stop into ADDED/DELETED. */
function translate(
  event: StoreEvent,
  matches: (o: KubeObject) => boolean,
): { type: WatchEventType; object: KubeObject } | undefined {
  const now = matches(event.object);
  if (event.type === 'ADDED') return now ? { type: 'ADDED', object: event.object } : undefined;
  if (event.type === 'DELETED') {
    const before = event.prevObject ? matches(event.prevObject) : now;
    return before ? { type: 'DELETED', object: event.object } : undefined;
  }
  const before = event.prevObject ? matches(event.prevObject) : true;
  if (now && before) return { type: 'MODIFIED', object: event.object };
  if (now && !before) return { type: 'ADDED', object: event.object };
  if (!now && before) return { type: 'DELETED', object: event.object };
  return undefined;
}
