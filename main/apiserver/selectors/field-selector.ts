// Field selectors (apimachinery pkg/fields/selector.go) plus the per-kind field labels that
// kube-apiserver accepts (pkg/apis/*/v1 conversion funcs) and the values it matches them against
// (the registries' ToSelectableFields). Upstream checks the two separately, and so do we.
import { compareStrings, goQuote } from '../../api/go-format.ts';
import { badRequest } from '../../api/status.ts';
import type { KubeObject } from '../../api/types.ts';
import { isPlainObject } from '../../api/types.ts';

export interface FieldRequirement {
  readonly field: string;
  /** `==` parses to `=`, as fields.ParseSelector does. */
  readonly operator: '=' | '!=';
  readonly value: string;
}

/** The fields.Set an object exposes for matching. A key that is absent reads as "". */
export type FieldSet = Readonly<Record<string, string>>;

export interface FieldSelector {
  readonly requirements: readonly FieldRequirement[];
  /** True when there is nothing to check (an empty selector matches everything). */
  empty(): boolean;
  /** Matches an object of the kind the selector was parsed for. */
  matches(object: KubeObject): boolean;
  /** Matches a precomputed field set (see selectableFields). */
  matchesFields(fields: FieldSet): boolean;
  /** Canonical string form, as fields.Selector.String(). */
  toString(): string;
  /** The value `field` must equal when the selector pins it (RequiresExactMatch). */
  requiresExactMatch(field: string): string | undefined;
}

export interface CustomResourceFieldOptions {
  namespaced: boolean;
  /** spec.versions[].selectableFields[].jsonPath of the served version, e.g. `.spec.color`. */
  selectableFields?: readonly string[];
}

export interface FieldSelectorOptions {
  /** Set for custom resources: they follow the apiextensions rules, not the built-in fallback. */
  customResource?: CustomResourceFieldOptions;
}

/** Raised for a syntactically bad selector; the message is upstream's. */
export class FieldSelectorError extends Error {
  override name = 'FieldSelectorError';
}

// ---------------------------------------------------------------------------
// Syntax: splitting, escaping and terms

/** fields.EscapeValue: `\`, `,` and `=` get a backslash. */
export function escapeFieldValue(value: string): string {
  return value.replace(/[\\,=]/g, (c) => `\\${c}`);
}

/** fields.UnescapeValue. */
export function unescapeFieldValue(value: string): string {
  if (!/[\\,=]/.test(value)) return value;
  let out = '';
  let inSlash = false;
  for (const c of value) {
    if (inSlash) {
      if (c === '\\' || c === ',' || c === '=') {
        out += c;
      } else {
        throw new FieldSelectorError(`invalid field selector: invalid escape sequence: \\${c}`);
      }
      inSlash = false;
      continue;
    }
    if (c === '\\') {
      inSlash = true;
    } else if (c === ',' || c === '=') {
      // Go formats the rune with %v, which prints its code point number.
      throw new FieldSelectorError(
        `invalid field selector: unescaped character in value: ${c.codePointAt(0)}`,
      );
    } else {
      out += c;
    }
  }
  if (inSlash) throw new FieldSelectorError('invalid field selector: invalid escape sequence: \\');
  return out;
}

/** Splits on commas that are not escaped. */
function splitTerms(selector: string): string[] {
  if (selector.length === 0) return [];
  const terms: string[] = [];
  let start = 0;
  let inSlash = false;
  for (let i = 0; i < selector.length; i++) {
    const c = selector[i];
    if (inSlash) {
      inSlash = false;
    } else if (c === '\\') {
      inSlash = true;
    } else if (c === ',') {
      terms.push(selector.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(selector.slice(start));
  return terms;
}

const TERM_OPERATORS = ['!=', '==', '='] as const;

function splitTerm(term: string): { lhs: string; op: string; rhs: string } | undefined {
  for (let i = 0; i < term.length; i++) {
    for (const op of TERM_OPERATORS) {
      if (term.startsWith(op, i))
        return { lhs: term.slice(0, i), op, rhs: term.slice(i + op.length) };
    }
  }
  return undefined;
}

/**
 * fields.ParseSelector without any per-kind check: terms sorted, values unescaped.
 * Throws FieldSelectorError with upstream's message.
 */
export function parseFieldSelectorTerms(selector: string): FieldRequirement[] {
  const parts = splitTerms(selector).sort(compareStrings);
  const reqs: FieldRequirement[] = [];
  for (const part of parts) {
    if (part === '') continue;
    const term = splitTerm(part);
    if (!term) {
      throw new FieldSelectorError(`invalid selector: '${selector}'; can't understand '${part}'`);
    }
    const value = unescapeFieldValue(term.rhs);
    reqs.push({ field: term.lhs, operator: term.op === '!=' ? '!=' : '=', value });
  }
  return reqs;
}

// ---------------------------------------------------------------------------
// Per-kind field labels

interface KindFields {
  /** Maps an accepted label to the label matched (usually itself). */
  readonly accepted: Readonly<Record<string, string>>;
  /** Message for a label the kind does not accept. */
  reject(label: string): string;
  /** The fields.Set of an object. */
  fields(object: KubeObject): Record<string, string>;
}

type Json = Record<string, unknown>;

function child(value: unknown, key: string): unknown {
  return isPlainObject(value) ? value[key] : undefined;
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function path(object: unknown, ...keys: string[]): unknown {
  let cur = object;
  for (const key of keys) cur = child(cur, key);
  return cur;
}

function metaFields(object: KubeObject, namespaced: boolean): Record<string, string> {
  const set: Record<string, string> = { 'metadata.name': object.metadata?.name ?? '' };
  if (namespaced) set['metadata.namespace'] = object.metadata?.namespace ?? '';
  return set;
}

function identity(labels: readonly string[]): Record<string, string> {
  return Object.fromEntries(labels.map((l) => [l, l]));
}

function notSupported(label: string): string {
  return `field label not supported: ${label}`;
}

/** runtime.DefaultMetaV1FieldSelectorConversion, used by every kind without its own func. */
const DEFAULT_FIELDS: KindFields = {
  accepted: identity(['metadata.name', 'metadata.namespace']),
  reject: (label) =>
    `${goQuote(label)} is not a known field selector: only "metadata.name", "metadata.namespace"`,
  fields: (object) => ({
    'metadata.name': object.metadata?.name ?? '',
    'metadata.namespace': object.metadata?.namespace ?? '',
  }),
};

function intString(value: unknown): string {
  return typeof value === 'number' && Number.isFinite(value) ? String(Math.trunc(value)) : '0';
}

function podIP(object: KubeObject): string {
  const ips = path(object, 'status', 'podIPs');
  if (Array.isArray(ips) && ips.length > 0) return text(child(ips[0], 'ip'));
  return text(path(object, 'status', 'podIP'));
}

function eventFields(object: KubeObject, eventsGroup: boolean): Record<string, string> {
  // events.k8s.io/v1 objects carry the same data under different names.
  const involved = eventsGroup ? path(object, 'regarding') : path(object, 'involvedObject');
  const reporting = text(
    eventsGroup ? path(object, 'reportingController') : path(object, 'reportingComponent'),
  );
  const source = eventsGroup ? path(object, 'deprecatedSource') : path(object, 'source');
  return {
    ...metaFields(object, true),
    'involvedObject.kind': text(child(involved, 'kind')),
    'involvedObject.namespace': text(child(involved, 'namespace')),
    'involvedObject.name': text(child(involved, 'name')),
    'involvedObject.uid': text(child(involved, 'uid')),
    'involvedObject.apiVersion': text(child(involved, 'apiVersion')),
    'involvedObject.resourceVersion': text(child(involved, 'resourceVersion')),
    'involvedObject.fieldPath': text(child(involved, 'fieldPath')),
    reason: text(path(object, 'reason')),
    reportingComponent: reporting,
    source: text(child(source, 'component')) || reporting,
    type: text(path(object, 'type')),
  };
}

/** Both Event endpoints share one storage; tell the two wire shapes apart by apiVersion. */
function isEventsGroup(object: KubeObject): boolean {
  return typeof object.apiVersion === 'string' && object.apiVersion.startsWith('events.k8s.io/');
}

const CORE_EVENT_LABELS = [
  'involvedObject.kind',
  'involvedObject.namespace',
  'involvedObject.name',
  'involvedObject.uid',
  'involvedObject.apiVersion',
  'involvedObject.resourceVersion',
  'involvedObject.fieldPath',
  'reason',
  'reportingComponent',
  'source',
  'type',
  'metadata.namespace',
  'metadata.name',
];

const KINDS: Record<string, KindFields> = {
  '/Pod': {
    accepted: {
      ...identity([
        'metadata.name',
        'metadata.namespace',
        'spec.nodeName',
        'spec.restartPolicy',
        'spec.schedulerName',
        'spec.serviceAccountName',
        'spec.hostNetwork',
        'status.phase',
        'status.podIP',
        // Accepted but never set in the field set, so it only matches "".
        'status.podIPs',
        'status.nominatedNodeName',
      ]),
      // Legacy spelling from old v1 clients.
      'spec.host': 'spec.nodeName',
    },
    reject: notSupported,
    fields: (o) => ({
      ...metaFields(o, true),
      'spec.nodeName': text(path(o, 'spec', 'nodeName')),
      'spec.restartPolicy': text(path(o, 'spec', 'restartPolicy')),
      'spec.schedulerName': text(path(o, 'spec', 'schedulerName')),
      'spec.serviceAccountName': text(path(o, 'spec', 'serviceAccountName')),
      'spec.hostNetwork': String(path(o, 'spec', 'hostNetwork') === true),
      'status.phase': text(path(o, 'status', 'phase')),
      'status.podIP': podIP(o),
      'status.nominatedNodeName': text(path(o, 'status', 'nominatedNodeName')),
    }),
  },
  '/Node': {
    accepted: identity(['metadata.name', 'spec.unschedulable']),
    reject: notSupported,
    fields: (o) => ({
      ...metaFields(o, false),
      'spec.unschedulable': String(path(o, 'spec', 'unschedulable') === true),
    }),
  },
  '/ReplicationController': {
    accepted: identity(['metadata.name', 'metadata.namespace', 'status.replicas']),
    reject: notSupported,
    fields: (o) => ({
      ...metaFields(o, true),
      'status.replicas': intString(path(o, 'status', 'replicas')),
    }),
  },
  '/Event': {
    accepted: identity(CORE_EVENT_LABELS),
    reject: notSupported,
    fields: (o) => eventFields(o, isEventsGroup(o)),
  },
  '/Namespace': {
    accepted: identity(['status.phase', 'metadata.name']),
    reject: notSupported,
    fields: (o) => ({
      ...metaFields(o, false),
      'status.phase': text(path(o, 'status', 'phase')),
    }),
  },
  '/Secret': {
    accepted: identity(['type', 'metadata.namespace', 'metadata.name']),
    reject: notSupported,
    fields: (o) => ({ ...metaFields(o, true), type: text((o as Json).type) }),
  },
  '/Service': {
    accepted: identity(['metadata.namespace', 'metadata.name', 'spec.clusterIP', 'spec.type']),
    reject: notSupported,
    fields: (o) => ({
      ...metaFields(o, true),
      'spec.clusterIP': text(path(o, 'spec', 'clusterIP')),
      'spec.type': text(path(o, 'spec', 'type')),
    }),
  },
  'batch/Job': {
    accepted: identity(['metadata.name', 'metadata.namespace', 'status.successful']),
    reject: (label) => `field label ${goQuote(label)} not supported for Job`,
    fields: (o) => ({
      ...metaFields(o, true),
      'status.successful': intString(path(o, 'status', 'succeeded')),
    }),
  },
  'events.k8s.io/Event': {
    accepted: {
      'regarding.kind': 'involvedObject.kind',
      'regarding.namespace': 'involvedObject.namespace',
      'regarding.name': 'involvedObject.name',
      'regarding.uid': 'involvedObject.uid',
      'regarding.apiVersion': 'involvedObject.apiVersion',
      'regarding.resourceVersion': 'involvedObject.resourceVersion',
      'regarding.fieldPath': 'involvedObject.fieldPath',
      reportingController: 'reportingComponent',
      ...identity(['reason', 'source', 'type', 'metadata.namespace', 'metadata.name']),
    },
    reject: notSupported,
    fields: (o) => eventFields(o, isEventsGroup(o)),
  },
  'certificates.k8s.io/CertificateSigningRequest': {
    accepted: identity(['metadata.name', 'spec.signerName']),
    reject: notSupported,
    fields: (o) => ({
      ...metaFields(o, false),
      'spec.signerName': text(path(o, 'spec', 'signerName')),
    }),
  },
};

/** Go's fmt.Sprint of a decoded JSON scalar. */
function goSprint(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

function customResourceFields(options: CustomResourceFieldOptions): KindFields {
  const selectable = (options.selectableFields ?? []).map((p) => ({
    label: p.replace(/^\./, ''),
    keys: p.replace(/^\./, '').split('.'),
  }));
  const accepted = identity([
    'metadata.name',
    ...(options.namespaced ? ['metadata.namespace'] : []),
    ...selectable.map((s) => s.label),
  ]);
  return {
    accepted,
    reject: notSupported,
    fields: (o) => {
      const set = metaFields(o, options.namespaced);
      for (const s of selectable) set[s.label] = goSprint(path(o, ...s.keys));
      return set;
    },
  };
}

function rulesFor(kind: string, group: string, options: FieldSelectorOptions): KindFields {
  if (options.customResource) return customResourceFields(options.customResource);
  return KINDS[`${group}/${kind}`] ?? DEFAULT_FIELDS;
}

/**
 * The field set an object of this kind is matched against (the registry's GetAttrs fields).
 * Useful to filter watch events without re-parsing the selector.
 */
export function selectableFields(
  object: KubeObject,
  kind: string,
  group: string,
  options: FieldSelectorOptions = {},
): FieldSet {
  return rulesFor(kind, group, options).fields(object);
}

class ParsedFieldSelector implements FieldSelector {
  constructor(
    readonly requirements: readonly FieldRequirement[],
    private readonly rules: KindFields,
  ) {}
  empty(): boolean {
    return this.requirements.length === 0;
  }
  matches(object: KubeObject): boolean {
    if (this.empty()) return true;
    return this.matchesFields(this.rules.fields(object));
  }
  matchesFields(fields: FieldSet): boolean {
    return this.requirements.every((r) => {
      const actual = Object.prototype.hasOwnProperty.call(fields, r.field) ? fields[r.field] : '';
      return r.operator === '=' ? actual === r.value : actual !== r.value;
    });
  }
  toString(): string {
    return this.requirements
      .map((r) => `${r.field}${r.operator}${escapeFieldValue(r.value)}`)
      .join(',');
  }
  requiresExactMatch(field: string): string | undefined {
    return this.requirements.find((r) => r.field === field && r.operator === '=')?.value;
  }
}

/**
 * Parses a `fieldSelector` query parameter for a kind (e.g. `Pod`, group `""`), checking every
 * label the way kube-apiserver does. Throws a 400 StatusError with upstream's message:
 * `field label not supported: spec.foo`, `invalid selector: 'x'; can't understand 'x'`, ….
 */
export function parseFieldSelector(
  selector: string,
  kind: string,
  group: string,
  options: FieldSelectorOptions = {},
): FieldSelector {
  const rules = rulesFor(kind, group, options);
  let terms: FieldRequirement[];
  try {
    terms = parseFieldSelectorTerms(selector);
  } catch (e) {
    if (e instanceof FieldSelectorError) throw badRequest(e.message);
    throw e;
  }
  const converted: FieldRequirement[] = [];
  for (const term of terms) {
    const label = Object.prototype.hasOwnProperty.call(rules.accepted, term.field)
      ? rules.accepted[term.field]
      : undefined;
    if (label === undefined) throw badRequest(rules.reject(term.field));
    converted.push({ ...term, field: label });
  }
  return new ParsedFieldSelector(converted, rules);
}
