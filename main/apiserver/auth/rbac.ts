// The RBAC authorizer (plugin/pkg/auth/authorizer/rbac, pkg/registry/rbac/validation/rule.go) as pure
// functions over the stored Roles/Bindings, plus kube-apiserver's 403 text and rule listing for reviews.
import { goQuote } from '../../api/go-format.ts';
import type { KubeObject } from '../../api/types.ts';
import { isPlainObject } from '../../api/types.ts';
import { StatusError } from '../../api/status.ts';
import type { StatusDetails } from '../../api/status.ts';
import { labelSelectorFromJson } from '../selectors/label-selector.ts';
import type { UserInfo } from './user-info.ts';
import { SYSTEM_PRIVILEGED_GROUP, serviceAccountUsername } from './user-info.ts';

export { bootstrapRbacObjects } from './rbac-bootstrap-policy.ts';

/** authorizer.Attributes: what a request wants to do. */
export interface AuthorizationAttributes {
  user: UserInfo;
  verb: string;
  isResourceRequest: boolean;
  apiGroup?: string;
  apiVersion?: string;
  resource?: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  /** URL path of a non-resource request (e.g. `/healthz`). */
  path?: string;
}

/**
 * The RBAC objects as stored. Treat a given value as immutable: indexes are cached per object, so
 * pass a new container whenever any Role or binding changes.
 */
export interface RbacObjects {
  roles: readonly KubeObject[];
  clusterRoles: readonly KubeObject[];
  roleBindings: readonly KubeObject[];
  clusterRoleBindings: readonly KubeObject[];
}

export interface AuthorizationDecision {
  allowed: boolean;
  /** "RBAC: allowed by …" when allowed; resolution errors ("RBAC: …") or "" when denied. */
  reason: string;
}

export interface PolicyRule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

interface Subject {
  kind: string;
  name: string;
  namespace?: string;
}

interface RoleRef {
  kind: string;
  name: string;
}

interface Binding {
  name: string;
  namespace: string;
  roleRef: RoleRef;
  subjects: Subject[];
}

/** Decides like kube-apiserver's chain for a non-node user: system:masters first, then RBAC. */
export function authorize(
  attributes: AuthorizationAttributes,
  rbac: RbacObjects,
): AuthorizationDecision {
  if (attributes.user.groups.includes(SYSTEM_PRIVILEGED_GROUP)) {
    return { allowed: true, reason: '' };
  }
  let reason = '';
  const errors: string[] = [];
  visitRulesFor(rbac, attributes.user, attributes.namespace ?? '', (source, rule, error) => {
    if (rule && ruleAllows(attributes, rule)) {
      reason = `RBAC: allowed by ${source}`;
      return false;
    }
    if (error) errors.push(error);
    return true;
  });
  if (reason) return { allowed: true, reason };
  return { allowed: false, reason: errors.length > 0 ? `RBAC: ${aggregateErrors(errors)}` : '' };
}

/** rbac.RuleAllows: does one PolicyRule cover the request? */
export function ruleAllows(attributes: AuthorizationAttributes, rule: PolicyRule): boolean {
  if (!verbMatches(rule, attributes.verb)) return false;
  if (attributes.isResourceRequest) {
    const resource = attributes.resource ?? '';
    const subresource = attributes.subresource ?? '';
    const combined = subresource ? `${resource}/${subresource}` : resource;
    return (
      apiGroupMatches(rule, attributes.apiGroup ?? '') &&
      resourceMatches(rule, combined, subresource) &&
      resourceNameMatches(rule, attributes.name ?? '')
    );
  }
  return nonResourceUrlMatches(rule, attributes.path ?? '');
}

/**
 * The message of kube-apiserver's 403 (responsewriters.Forbidden + errors.NewForbidden), e.g.
 * `pods "x" is forbidden: User "u" cannot get resource "pods" in API group "" in the namespace "ns"`.
 * `reason` is the authorizer's reason, appended after a colon when non-empty.
 */
export function forbiddenMessage(attributes: AuthorizationAttributes, reason = ''): string {
  const username = attributes.user.username;
  let detail: string;
  if (!attributes.isResourceRequest) {
    detail = `User ${goQuote(username)} cannot ${attributes.verb} path ${goQuote(attributes.path ?? '')}`;
  } else {
    const resource = attributes.subresource
      ? `${attributes.resource ?? ''}/${attributes.subresource}`
      : (attributes.resource ?? '');
    const group = attributes.apiGroup ?? '';
    detail = attributes.namespace
      ? `User ${goQuote(username)} cannot ${attributes.verb} resource ${goQuote(resource)} in API group ${goQuote(group)} in the namespace ${goQuote(attributes.namespace)}`
      : `User ${goQuote(username)} cannot ${attributes.verb} resource ${goQuote(resource)} in API group ${goQuote(group)} at the cluster scope`;
  }
  // The apiserver escapes these so the text can never be mistaken for HTML.
  detail = detail.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  if (reason) detail = `${detail}: ${reason}`;

  const resource = attributes.isResourceRequest ? (attributes.resource ?? '') : '';
  const group = attributes.isResourceRequest ? (attributes.apiGroup ?? '') : '';
  const name = attributes.isResourceRequest ? (attributes.name ?? '') : '';
  if (!resource && !group) return `forbidden: ${detail}`;
  const qualified = group ? `${resource}.${group}` : resource;
  return name
    ? `${qualified} ${goQuote(name)} is forbidden: ${detail}`
    : `${qualified} is forbidden: ${detail}`;
}

/** The 403 StatusError to send for a denied request. */
export function forbiddenError(attributes: AuthorizationAttributes, reason = ''): StatusError {
  const details: StatusDetails = {};
  if (attributes.isResourceRequest) {
    if (attributes.name) details.name = attributes.name;
    if (attributes.apiGroup) details.group = attributes.apiGroup;
    if (attributes.resource) details.kind = attributes.resource;
  }
  return new StatusError(403, 'Forbidden', forbiddenMessage(attributes, reason), details);
}

export interface SubjectRulesReviewStatus {
  resourceRules: Array<{
    verbs: string[];
    apiGroups?: string[];
    resources?: string[];
    resourceNames?: string[];
  }>;
  nonResourceRules: Array<{ verbs: string[]; nonResourceURLs?: string[] }>;
  incomplete: boolean;
  evaluationError?: string;
}

/**
 * The status of a (Self)SubjectRulesReview: every rule that applies to `user` in `namespace`
 * (what `kubectl auth can-i --list` prints).
 */
export function subjectRulesReviewStatus(
  user: UserInfo,
  namespace: string,
  rbac: RbacObjects,
): SubjectRulesReviewStatus {
  const status: SubjectRulesReviewStatus = {
    resourceRules: [],
    nonResourceRules: [],
    incomplete: false,
  };
  const errors: string[] = [];
  visitRulesFor(rbac, user, namespace, (_source, rule, error) => {
    if (rule) {
      if (rule.resources && rule.resources.length > 0) {
        const out: SubjectRulesReviewStatus['resourceRules'][number] = { verbs: [...rule.verbs] };
        if (rule.apiGroups?.length) out.apiGroups = [...rule.apiGroups];
        out.resources = [...rule.resources];
        if (rule.resourceNames?.length) out.resourceNames = [...rule.resourceNames];
        status.resourceRules.push(out);
      }
      if (rule.nonResourceURLs && rule.nonResourceURLs.length > 0) {
        status.nonResourceRules.push({
          verbs: [...rule.verbs],
          nonResourceURLs: [...rule.nonResourceURLs],
        });
      }
    }
    if (error) errors.push(error);
    return true;
  });
  if (errors.length > 0) status.evaluationError = aggregateErrors(errors);
  return status;
}

/**
 * What the clusterrole-aggregation controller sets as `rules` of a ClusterRole with an
 * aggregationRule: the rules of every other ClusterRole matching any selector, per selector in
 * name order, without duplicates. Undefined for a ClusterRole without an aggregationRule.
 */
export function aggregateClusterRoleRules(
  clusterRole: KubeObject,
  clusterRoles: readonly KubeObject[],
): PolicyRule[] | undefined {
  const rule = clusterRole.aggregationRule;
  if (!isPlainObject(rule)) return undefined;
  const selectors = Array.isArray(rule.clusterRoleSelectors) ? rule.clusterRoleSelectors : [];
  const out: PolicyRule[] = [];
  const sorted = [...clusterRoles].sort((a, b) =>
    (a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1,
  );
  for (const selector of selectors) {
    for (const candidate of sorted) {
      if (candidate.metadata.name === clusterRole.metadata.name) continue;
      if (!labelSelectorMatches(selector, candidate.metadata.labels ?? {})) continue;
      for (const r of parseRules(candidate.rules)) {
        if (!out.some((existing) => rulesEqual(existing, r))) out.push(r);
      }
    }
  }
  return out;
}

/**
 * Whether a ClusterRole's labels satisfy an aggregationRule selector (metav1.LabelSelectorAsSelector);
 * an empty selector matches all, a selector that does not convert matches none.
 */
export function labelSelectorMatches(selector: unknown, labels: Record<string, string>): boolean {
  return labelSelectorFromJson(selector)?.matches(labels) ?? false;
}

// --- rule resolution ---------------------------------------------------------------------------

type Visitor = (source: string, rule: PolicyRule | undefined, error: string | undefined) => boolean;

interface RbacIndex {
  roles: Map<string, PolicyRule[]>; // "ns/name"
  clusterRoles: Map<string, PolicyRule[]>;
  roleBindings: Map<string, Binding[]>; // by namespace
  clusterRoleBindings: Binding[];
}

const indexCache = new WeakMap<RbacObjects, RbacIndex>();

function indexFor(rbac: RbacObjects): RbacIndex {
  let index = indexCache.get(rbac);
  if (index) return index;
  index = {
    roles: new Map(),
    clusterRoles: new Map(),
    roleBindings: new Map(),
    clusterRoleBindings: [],
  };
  for (const role of rbac.roles) {
    index.roles.set(
      `${role.metadata.namespace ?? ''}/${role.metadata.name ?? ''}`,
      parseRules(role.rules),
    );
  }
  for (const role of rbac.clusterRoles) {
    index.clusterRoles.set(role.metadata.name ?? '', parseRules(role.rules));
  }
  for (const object of rbac.roleBindings) {
    const binding = parseBinding(object);
    const list = index.roleBindings.get(binding.namespace);
    if (list) list.push(binding);
    else index.roleBindings.set(binding.namespace, [binding]);
  }
  index.clusterRoleBindings = rbac.clusterRoleBindings.map(parseBinding);
  indexCache.set(rbac, index);
  return index;
}

/** DefaultRuleResolver.VisitRulesFor: ClusterRoleBindings, then RoleBindings of the namespace. */
function visitRulesFor(rbac: RbacObjects, user: UserInfo, namespace: string, visit: Visitor): void {
  const index = indexFor(rbac);
  for (const binding of index.clusterRoleBindings) {
    const subject = appliesTo(user, binding.subjects, '');
    if (!subject) continue;
    const resolved = roleReferenceRules(index, binding.roleRef, '');
    if ('error' in resolved) {
      if (!visit('', undefined, resolved.error)) return;
      continue;
    }
    const source = `ClusterRoleBinding ${goQuote(binding.name)} of ${binding.roleRef.kind} ${goQuote(binding.roleRef.name)} to ${describeSubject(subject, '')}`;
    for (const rule of resolved.rules) if (!visit(source, rule, undefined)) return;
  }
  if (!namespace) return;
  for (const binding of index.roleBindings.get(namespace) ?? []) {
    const subject = appliesTo(user, binding.subjects, namespace);
    if (!subject) continue;
    const resolved = roleReferenceRules(index, binding.roleRef, namespace);
    if ('error' in resolved) {
      if (!visit('', undefined, resolved.error)) return;
      continue;
    }
    const source = `RoleBinding ${goQuote(`${binding.name}/${binding.namespace}`)} of ${binding.roleRef.kind} ${goQuote(binding.roleRef.name)} to ${describeSubject(subject, binding.namespace)}`;
    for (const rule of resolved.rules) if (!visit(source, rule, undefined)) return;
  }
}

function roleReferenceRules(
  index: RbacIndex,
  ref: RoleRef,
  bindingNamespace: string,
): { rules: PolicyRule[] } | { error: string } {
  if (ref.kind === 'Role') {
    const rules = index.roles.get(`${bindingNamespace}/${ref.name}`);
    return rules
      ? { rules }
      : { error: `role.rbac.authorization.k8s.io ${goQuote(ref.name)} not found` };
  }
  if (ref.kind === 'ClusterRole') {
    const rules = index.clusterRoles.get(ref.name);
    return rules
      ? { rules }
      : { error: `clusterrole.rbac.authorization.k8s.io ${goQuote(ref.name)} not found` };
  }
  return { error: `unsupported role reference kind: ${goQuote(ref.kind)}` };
}

function appliesTo(user: UserInfo, subjects: Subject[], namespace: string): Subject | undefined {
  return subjects.find((subject) => {
    switch (subject.kind) {
      case 'User':
        return user.username === subject.name;
      case 'Group':
        return user.groups.includes(subject.name);
      case 'ServiceAccount': {
        // A RoleBinding may leave the namespace out: it means the binding's own namespace.
        const saNamespace = subject.namespace || namespace;
        if (!saNamespace) return false;
        return user.username === serviceAccountUsername(saNamespace, subject.name);
      }
      default:
        return false;
    }
  });
}

function describeSubject(subject: Subject, bindingNamespace: string): string {
  if (subject.kind === 'ServiceAccount') {
    return `${subject.kind} ${goQuote(`${subject.name}/${subject.namespace || bindingNamespace}`)}`;
  }
  return `${subject.kind} ${goQuote(subject.name)}`;
}

// --- matching (pkg/apis/rbac/v1/evaluation_helpers.go) ------------------------------------------

function verbMatches(rule: PolicyRule, verb: string): boolean {
  return rule.verbs.some((v) => v === '*' || v === verb);
}

function apiGroupMatches(rule: PolicyRule, group: string): boolean {
  return (rule.apiGroups ?? []).some((g) => g === '*' || g === group);
}

function resourceMatches(rule: PolicyRule, combined: string, subresource: string): boolean {
  for (const r of rule.resources ?? []) {
    if (r === '*' || r === combined) return true;
    // "*/scale" grants the scale subresource of every resource.
    if (
      subresource &&
      r.length === subresource.length + 2 &&
      r.startsWith('*/') &&
      r.endsWith(subresource)
    ) {
      return true;
    }
  }
  return false;
}

function resourceNameMatches(rule: PolicyRule, name: string): boolean {
  const names = rule.resourceNames ?? [];
  return names.length === 0 || names.includes(name);
}

function nonResourceUrlMatches(rule: PolicyRule, path: string): boolean {
  for (const url of rule.nonResourceURLs ?? []) {
    if (url === '*' || url === path) return true;
    if (url.endsWith('*') && path.startsWith(url.replace(/\*+$/, ''))) return true;
  }
  return false;
}

// --- parsing stored objects ---------------------------------------------------------------------

function stringList(value: unknown): string[] | undefined {
  if (!Array.isArray(value)) return undefined;
  return value.filter((v): v is string => typeof v === 'string');
}

function parseRules(value: unknown): PolicyRule[] {
  if (!Array.isArray(value)) return [];
  const rules: PolicyRule[] = [];
  for (const raw of value) {
    if (!isPlainObject(raw)) continue;
    const rule: PolicyRule = { verbs: stringList(raw.verbs) ?? [] };
    const apiGroups = stringList(raw.apiGroups);
    const resources = stringList(raw.resources);
    const resourceNames = stringList(raw.resourceNames);
    const nonResourceURLs = stringList(raw.nonResourceURLs);
    if (apiGroups) rule.apiGroups = apiGroups;
    if (resources) rule.resources = resources;
    if (resourceNames) rule.resourceNames = resourceNames;
    if (nonResourceURLs) rule.nonResourceURLs = nonResourceURLs;
    rules.push(rule);
  }
  return rules;
}

function parseBinding(object: KubeObject): Binding {
  const ref = isPlainObject(object.roleRef) ? object.roleRef : {};
  const subjects = Array.isArray(object.subjects) ? object.subjects : [];
  return {
    name: object.metadata.name ?? '',
    namespace: object.metadata.namespace ?? '',
    roleRef: {
      kind: typeof ref.kind === 'string' ? ref.kind : '',
      name: typeof ref.name === 'string' ? ref.name : '',
    },
    subjects: subjects.filter(isPlainObject).map((s) => ({
      kind: typeof s.kind === 'string' ? s.kind : '',
      name: typeof s.name === 'string' ? s.name : '',
      namespace: typeof s.namespace === 'string' ? s.namespace : undefined,
    })),
  };
}

function rulesEqual(a: PolicyRule, b: PolicyRule): boolean {
  const same = (x: string[] | undefined, y: string[] | undefined) =>
    (x ?? []).length === (y ?? []).length && (x ?? []).every((v, i) => v === (y ?? [])[i]);
  return (
    same(a.verbs, b.verbs) &&
    same(a.apiGroups, b.apiGroups) &&
    same(a.resources, b.resources) &&
    same(a.resourceNames, b.resourceNames) &&
    same(a.nonResourceURLs, b.nonResourceURLs)
  );
}

/** utilerrors.NewAggregate(...).Error(): one message as is, several deduplicated in brackets. */
function aggregateErrors(errors: string[]): string {
  const unique = [...new Set(errors)];
  return unique.length === 1 ? unique[0] : `[${unique.join(', ')}]`;
}
