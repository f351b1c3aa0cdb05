// Events through core/v1 and events.k8s.io/v1 (pkg/apis/core/validation/events.go). Field paths
// use the internal (core) names, as kube-apiserver reports them for both API groups.

import { invalid, Path, required } from './field.ts';
import { num, obj, str, semanticEqual, type Obj } from './json.ts';
import { isDNS1123Subdomain, isQualifiedName, nameIsDNSSubdomain } from './names.ts';
import { validateImmutable, validateObjectMeta, validateObjectMetaUpdate } from './meta.ts';
import type { FieldError } from '../../api/status.ts';

/** An Event in core field names, from either API group's JSON. */
export function toCoreEvent(event: Obj, group: string): Obj {
  if (group !== 'events.k8s.io') return event;
  return {
    metadata: event.metadata,
    involvedObject: event.regarding,
    reason: event.reason,
    message: event.note,
    source: event.deprecatedSource,
    firstTimestamp: event.deprecatedFirstTimestamp,
    lastTimestamp: event.deprecatedLastTimestamp,
    count: event.deprecatedCount,
    type: event.type,
    eventTime: event.eventTime,
    series: event.series,
    action: event.action,
    related: event.related,
    reportingController: event.reportingController,
    reportingInstance: event.reportingInstance,
  };
}

function isSetTime(v: unknown): boolean {
  return typeof v === 'string' && v.length > 0;
}

function legacyValidateEvent(e: Obj): FieldError[] {
  const errs: FieldError[] = [];
  const ns = str(obj(e.metadata)?.namespace) ?? '';
  const involvedNs = str(obj(e.involvedObject)?.namespace) ?? '';
  const nsPath = Path.root('involvedObject', 'namespace');
  if (!isSetTime(e.eventTime)) {
    if (!involvedNs) {
      if (ns !== '' && ns !== 'default')
        errs.push(invalid(nsPath, involvedNs, 'does not match event.namespace'));
    } else if (ns !== involvedNs)
      errs.push(invalid(nsPath, involvedNs, 'does not match event.namespace'));
  } else {
    if (!involvedNs && ns !== 'default' && ns !== 'kube-system')
      errs.push(invalid(nsPath, involvedNs, 'does not match event.namespace'));
    const controller = str(e.reportingController) ?? '';
    if (!controller) errs.push(required(Path.root('reportingController')));
    errs.push(
      ...isQualifiedName(controller).map((m) =>
        invalid(Path.root('reportingController'), controller, m),
      ),
    );
    const checks: Array<[string, number]> = [
      ['reportingInstance', 128],
      ['action', 128],
      ['reason', 128],
    ];
    for (const [f, limit] of checks) {
      const v = str(e[f]) ?? '';
      if (!v) errs.push(required(Path.root(f)));
      if (v.length > limit)
        errs.push(invalid(Path.root(f), '', `can have at most ${limit} characters`));
    }
    if ((str(e.message) ?? '').length > 1024)
      errs.push(invalid(Path.root('message'), '', 'can have at most 1024 characters'));
  }
  errs.push(...isDNS1123Subdomain(ns).map((m) => invalid(Path.root('namespace'), ns, m)));
  return errs;
}

function validateSeries(e: Obj): FieldError[] {
  const series = obj(e.series);
  if (!series) return [];
  const errs: FieldError[] = [];
  if ((num(series.count) ?? 0) < 2)
    errs.push(invalid(Path.root('series.count'), '', 'should be at least 2'));
  if (!isSetTime(series.lastObservedTime))
    errs.push(required(Path.root('series.lastObservedTime')));
  return errs;
}

export function validateEventCreate(event: Obj, group: string): FieldError[] {
  const e = toCoreEvent(event, group);
  const errs = legacyValidateEvent(e);
  if (group !== 'events.k8s.io') return errs;
  errs.push(...validateObjectMeta(e.metadata, true, nameIsDNSSubdomain));
  errs.push(...validateSeries(e));
  if (!isSetTime(e.eventTime)) errs.push(required(Path.root('eventTime')));
  const type = str(e.type) ?? '';
  if (type !== 'Normal' && type !== 'Warning')
    errs.push(invalid(Path.root('type'), '', `has invalid value: ${type}`));
  if (isSetTime(e.firstTimestamp))
    errs.push(invalid(Path.root('firstTimestamp'), '', 'needs to be unset'));
  if (isSetTime(e.lastTimestamp))
    errs.push(invalid(Path.root('lastTimestamp'), '', 'needs to be unset'));
  if ((num(e.count) ?? 0) !== 0) errs.push(invalid(Path.root('count'), '', 'needs to be unset'));
  const source = obj(e.source) ?? {};
  if ((str(source.component) ?? '') || (str(source.host) ?? ''))
    errs.push(invalid(Path.root('source'), '', 'needs to be unset'));
  return errs;
}

export function validateEventUpdate(event: Obj, oldEvent: Obj, group: string): FieldError[] {
  const e = toCoreEvent(event, group);
  const o = toCoreEvent(oldEvent, group);
  const errs = legacyValidateEvent(e);
  if (group !== 'events.k8s.io') return errs;
  errs.push(...validateObjectMetaUpdate(e.metadata, o.metadata));
  if (!semanticEqual(e.series, o.series)) errs.push(...validateSeries(e));
  for (const f of [
    'involvedObject',
    'reason',
    'message',
    'source',
    'firstTimestamp',
    'lastTimestamp',
    'count',
    'type',
    'eventTime',
    'action',
    'related',
    'reportingController',
    'reportingInstance',
  ]) {
    errs.push(...validateImmutable(e[f] ?? null, o[f] ?? null, Path.root(f)));
  }
  return errs;
}
