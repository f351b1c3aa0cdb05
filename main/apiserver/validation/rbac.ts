// rbac.authorization.k8s.io/v1: Role, ClusterRole, RoleBinding, ClusterRoleBinding
// (pkg/apis/rbac/validation). Names only need to be valid path segments.

import { invalid, notSupported, Path, required } from './field.ts';
import { obj, objs, str, strs, semanticEqual, type Obj } from './json.ts';
import { nameIsDNSSubdomain, pathSegmentName } from './names.ts';
import {
  labelSelectorAsSelector,
  selectorValue,
  validateLabelSelector,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from './meta.ts';
import type { FieldError } from '../../api/status.ts';

const RBAC_GROUP = 'rbac.authorization.k8s.io';

function validatePolicyRule(rule: Obj, namespaced: boolean, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  if (!strs(rule.verbs).length)
    errs.push(required(path.child('verbs'), 'verbs must contain at least one value'));
  const urls = strs(rule.nonResourceURLs);
  if (urls.length) {
    if (namespaced)
      errs.push(
        invalid(
          path.child('nonResourceURLs'),
          urls,
          'namespaced rules cannot apply to non-resource URLs',
        ),
      );
    if (
      strs(rule.apiGroups).length ||
      strs(rule.resources).length ||
      strs(rule.resourceNames).length
    ) {
      errs.push(
        invalid(
          path.child('nonResourceURLs'),
          urls,
          'rules cannot apply to both regular resources and non-resource URLs',
        ),
      );
    }
    return errs;
  }
  if (!strs(rule.apiGroups).length)
    errs.push(
      required(path.child('apiGroups'), 'resource rules must supply at least one api group'),
    );
  if (!strs(rule.resources).length)
    errs.push(
      required(path.child('resources'), 'resource rules must supply at least one resource'),
    );
  return errs;
}

export function validateRole(role: Obj, namespaced: boolean): FieldError[] {
  const errs = validateObjectMeta(role.metadata, namespaced, pathSegmentName);
  objs(role.rules).forEach((r, i) =>
    errs.push(...validatePolicyRule(r, namespaced, Path.root('rules').index(i))),
  );
  const agg = obj(role.aggregationRule);
  if (!namespaced && agg) {
    const p = Path.root('aggregationRule', 'clusterRoleSelectors');
    const selectors = objs(agg.clusterRoleSelectors);
    if (!selectors.length)
      errs.push(
        required(p, 'at least one clusterRoleSelector required if aggregationRule is non-nil'),
      );
    selectors.forEach((s, i) => {
      errs.push(...validateLabelSelector(s, p.index(i)));
      if (!labelSelectorAsSelector(s))
        errs.push(invalid(p.index(i), selectorValue(s), 'invalid label selector.'));
    });
  }
  return errs;
}

export function validateRoleUpdate(role: Obj, old: Obj, namespaced: boolean): FieldError[] {
  return [
    ...validateRole(role, namespaced),
    ...validateObjectMetaUpdate(role.metadata, old.metadata),
  ];
}

function validateSubject(subject: Obj, namespaced: boolean, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  const name = str(subject.name) ?? '';
  const apiGroup = str(subject.apiGroup) ?? '';
  if (!name) errs.push(required(path.child('name')));
  const kind = str(subject.kind) ?? '';
  switch (kind) {
    case 'ServiceAccount':
      if (name)
        errs.push(
          ...nameIsDNSSubdomain(name, false).map((m) => invalid(path.child('name'), name, m)),
        );
      if (apiGroup) errs.push(notSupported(path.child('apiGroup'), apiGroup, ['']));
      if (!namespaced && !(str(subject.namespace) ?? ''))
        errs.push(required(path.child('namespace')));
      break;
    case 'User':
    case 'Group':
      if (apiGroup !== RBAC_GROUP)
        errs.push(notSupported(path.child('apiGroup'), apiGroup, [RBAC_GROUP]));
      break;
    default:
      errs.push(notSupported(path.child('kind'), kind, ['ServiceAccount', 'User', 'Group']));
  }
  return errs;
}

export function validateBinding(binding: Obj, namespaced: boolean): FieldError[] {
  const errs = validateObjectMeta(binding.metadata, namespaced, pathSegmentName);
  const ref = obj(binding.roleRef) ?? {};
  const apiGroup = str(ref.apiGroup) ?? '';
  if (apiGroup !== RBAC_GROUP)
    errs.push(notSupported(Path.root('roleRef', 'apiGroup'), apiGroup, [RBAC_GROUP]));
  const kind = str(ref.kind) ?? '';
  const kinds = namespaced ? ['Role', 'ClusterRole'] : ['ClusterRole'];
  if (!kinds.includes(kind)) errs.push(notSupported(Path.root('roleRef', 'kind'), kind, kinds));
  const name = str(ref.name) ?? '';
  if (!name) errs.push(required(Path.root('roleRef', 'name')));
  else
    errs.push(
      ...pathSegmentName(name, false).map((m) => invalid(Path.root('roleRef', 'name'), name, m)),
    );
  objs(binding.subjects).forEach((s, i) =>
    errs.push(...validateSubject(s, namespaced, Path.root('subjects').index(i))),
  );
  return errs;
}

export function validateBindingUpdate(binding: Obj, old: Obj, namespaced: boolean): FieldError[] {
  const errs = [
    ...validateBinding(binding, namespaced),
    ...validateObjectMetaUpdate(binding.metadata, old.metadata),
  ];
  const ref = obj(binding.roleRef) ?? {};
  const oldRef = obj(old.roleRef) ?? {};
  const view = (r: Obj): Obj => ({
    APIGroup: str(r.apiGroup) ?? '',
    Kind: str(r.kind) ?? '',
    Name: str(r.name) ?? '',
  });
  if (!semanticEqual(view(ref), view(oldRef)))
    errs.push(invalid(Path.root('roleRef'), view(ref), 'cannot change roleRef'));
  return errs;
}
