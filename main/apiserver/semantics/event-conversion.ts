// events.k8s.io/v1 Event ↔ core/v1 Event (pkg/apis/events/v1 conversion.go): one stored object,
// two views. The renamed fields are the only difference.
import type { KubeObject } from '../../api/types.ts';

/** events.k8s.io name → core name. */
const RENAMES: [string, string][] = [
  ['regarding', 'involvedObject'],
  ['note', 'message'],
  ['deprecatedSource', 'source'],
  ['deprecatedFirstTimestamp', 'firstTimestamp'],
  ['deprecatedLastTimestamp', 'lastTimestamp'],
  ['deprecatedCount', 'count'],
  ['reportingController', 'reportingComponent'],
];

function rename(event: KubeObject, apiVersion: string, pairs: [string, string][]): KubeObject {
  const out: KubeObject = { apiVersion, kind: 'Event', metadata: event.metadata };
  const map = new Map(pairs);
  for (const [key, value] of Object.entries(event)) {
    if (key === 'apiVersion' || key === 'kind' || key === 'metadata' || value === undefined)
      continue;
    out[map.get(key) ?? key] = value;
  }
  return out;
}

export function eventsV1ToCore(event: KubeObject): KubeObject {
  return rename(event, 'v1', RENAMES);
}

export function coreToEventsV1(event: KubeObject): KubeObject {
  return rename(
    event,
    'events.k8s.io/v1',
    RENAMES.map(([a, b]) => [b, a]),
  );
}
