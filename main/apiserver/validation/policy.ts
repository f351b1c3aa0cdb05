// policy/v1 PodDisruptionBudget (pkg/apis/policy/validation). Its name gets only the generic
// path-segment rule.

import { invalid, notSupported, Path } from './field.ts';
import { obj, str, type Obj } from './json.ts';
import { isNotMoreThan100Percent, validatePositiveIntOrPercent } from './apps.ts';
import { validateLabelSelector, validateObjectMetaUpdate } from './meta.ts';
import type { FieldError } from '../../api/status.ts';

const evictionPolicies = ['AlwaysAllow', 'IfHealthyBudget'];

function specValue(spec: Obj): Obj {
  return {
    MinAvailable: spec.minAvailable ?? null,
    Selector: spec.selector ?? null,
    MaxUnavailable: spec.maxUnavailable ?? null,
    UnhealthyPodEvictionPolicy: spec.unhealthyPodEvictionPolicy ?? null,
  };
}

export function validatePodDisruptionBudget(pdb: Obj): FieldError[] {
  const spec = obj(pdb.spec) ?? {};
  const path = Path.root('spec');
  const errs: FieldError[] = [];
  const hasMin = spec.minAvailable !== undefined && spec.minAvailable !== null;
  const hasMax = spec.maxUnavailable !== undefined && spec.maxUnavailable !== null;
  if (hasMin && hasMax)
    errs.push(invalid(path, specValue(spec), 'minAvailable and maxUnavailable cannot be both set'));
  for (const f of ['minAvailable', 'maxUnavailable'] as const) {
    if (spec[f] === undefined || spec[f] === null) continue;
    errs.push(...validatePositiveIntOrPercent(spec[f], path.child(f)));
    errs.push(...isNotMoreThan100Percent(spec[f], path.child(f)));
  }
  errs.push(...validateLabelSelector(spec.selector, path.child('selector')));
  const policy = str(spec.unhealthyPodEvictionPolicy);
  if (policy !== undefined && !evictionPolicies.includes(policy)) {
    errs.push(notSupported(path.child('unhealthyPodEvictionPolicy'), policy, evictionPolicies));
  }
  return errs;
}

export function validatePodDisruptionBudgetUpdate(pdb: Obj, old: Obj): FieldError[] {
  return [
    ...validateObjectMetaUpdate(pdb.metadata, old.metadata),
    ...validatePodDisruptionBudget(pdb),
  ];
}
