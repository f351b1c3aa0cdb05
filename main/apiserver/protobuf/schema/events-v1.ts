// Protobuf wire facts of events.k8s.io/v1 (k8s.io/api events/v1 types.go),
// read from the `protobuf:"…"` struct tags at v0.35.2; row format in ./types.ts.
import type { MessageTable } from './types.ts';

export const EVENTS_V1: MessageTable = {
  'events.v1.Event': [
    [1, 'metadata', 'meta.v1.ObjectMeta', ''],
    [2, 'eventTime', 'MicroTime', ''],
    [3, 'series', 'events.v1.EventSeries', 'po'],
    [4, 'reportingController', 'string', 'o'],
    [5, 'reportingInstance', 'string', 'o'],
    [6, 'action', 'string', 'o'],
    [7, 'reason', 'string', 'o'],
    [8, 'regarding', 'core.v1.ObjectReference', 'o'],
    [9, 'related', 'core.v1.ObjectReference', 'po'],
    [10, 'note', 'string', 'o'],
    [11, 'type', 'string', 'o'],
    [12, 'deprecatedSource', 'core.v1.EventSource', 'o'],
    [13, 'deprecatedFirstTimestamp', 'Time', 'o'],
    [14, 'deprecatedLastTimestamp', 'Time', 'o'],
    [15, 'deprecatedCount', 'int32', 'o'],
  ],
  'events.v1.EventSeries': [
    [1, 'count', 'int32', ''],
    [2, 'lastObservedTime', 'MicroTime', ''],
  ],
};
