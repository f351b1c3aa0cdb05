// apps/v1 kinds: Deployment, ReplicaSet, StatefulSet, DaemonSet, ControllerRevision
// (pkg/apis/apps/validation and the apps registry strategies' selector immutability).

import { forbidden, invalid, notSupported, OMIT, Path, required, sortedMap } from './field.ts';
import {
  intOrString,
  num,
  obj,
  semanticEqual,
  str,
  strMap,
  clone,
  type IntOrString,
  type Obj,
} from './json.ts';
import { isValidPercent, nameIsDNSLabel, nameIsDNSSubdomain } from './names.ts';
import {
  FIELD_IMMUTABLE,
  labelSelectorAsSelector,
  selectorIsEmpty,
  selectorValue,
  validateAnnotations,
  validateLabels,
  validateLabelSelector,
  validateNonnegative,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from './meta.ts';
import { validatePodSpecificAnnotations, validatePodTemplateSpec } from './pod.ts';
import type { FieldError } from '../../api/status.ts';

const specPath = Path.root('spec');

function intOrPercentValue(v: IntOrString | undefined): unknown {
  return v === undefined ? 0 : v.value;
}

/** ValidatePositiveIntOrPercent. */
export function validatePositiveIntOrPercent(value: unknown, path: Path): FieldError[] {
  const v = intOrString(value);
  if (!v) return validateNonnegative(0, path);
  if (v.kind === 'string') return isValidPercent(v.value).map((m) => invalid(path, v.value, m));
  return validateNonnegative(v.value, path);
}

function percentValue(v: IntOrString | undefined): number | undefined {
  if (v?.kind !== 'string' || isValidPercent(v.value).length) return undefined;
  return Number(v.value.slice(0, -1));
}

/** getIntOrPercentValue: percent number, int value, or Atoi of a string (0 when not numeric). */
function intOrPercent(v: IntOrString | undefined): number {
  if (!v) return 0;
  const p = percentValue(v);
  if (p !== undefined) return p;
  if (v.kind === 'int') return v.value;
  return /^[+-]?[0-9]+$/.test(v.value) ? Number(v.value) : 0;
}

/** IsNotMoreThan100Percent. */
export function isNotMoreThan100Percent(value: unknown, path: Path): FieldError[] {
  const v = intOrString(value);
  const p = percentValue(v);
  return p === undefined || p <= 100
    ? []
    : [invalid(path, intOrPercentValue(v), 'must not be greater than 100%')];
}

/** ValidatePodTemplateSpecForReplicaSet (also used by Deployments). */
function validateTemplateForReplicaSet(
  template: unknown,
  selector: unknown,
  path: Path,
  kind: string,
): FieldError[] {
  const t = obj(template) ?? {};
  const errs: FieldError[] = [];
  const sel = labelSelectorAsSelector(selector);
  const labels = strMap(obj(t.metadata)?.labels);
  if (sel && !sel.empty && !sel.matches(labels)) {
    errs.push(
      invalid(
        path.child('metadata', 'labels'),
        sortedMap(labels),
        '`selector` does not match template `labels`',
      ),
    );
  }
  errs.push(...validatePodTemplateSpec(t, path));
  const spec = obj(t.spec) ?? {};
  const rp = str(spec.restartPolicy) ?? '';
  if (rp !== 'Always') errs.push(notSupported(path.child('spec', 'restartPolicy'), rp, ['Always']));
  if (spec.activeDeadlineSeconds !== undefined && spec.activeDeadlineSeconds !== null) {
    errs.push(
      forbidden(
        path.child('spec', 'activeDeadlineSeconds'),
        `activeDeadlineSeconds in ${kind} is not Supported`,
      ),
    );
  }
  return errs;
}

function validateSelectorFor(spec: Obj, kind: string): FieldError[] {
  const errs: FieldError[] = [];
  if (spec.selector === undefined || spec.selector === null)
    errs.push(required(specPath.child('selector')));
  else {
    errs.push(...validateLabelSelector(spec.selector, specPath.child('selector')));
    if (selectorIsEmpty(spec.selector)) {
      errs.push(
        invalid(
          specPath.child('selector'),
          selectorValue(spec.selector),
          `empty selector is invalid for ${kind}`,
        ),
      );
    }
  }
  return errs;
}

// ---------------- Deployment ----------------

function validateDeploymentStrategy(strategyValue: unknown, path: Path): FieldError[] {
  const strategy = obj(strategyValue) ?? {};
  const type = str(strategy.type) ?? '';
  const ru = obj(strategy.rollingUpdate);
  if (type === 'Recreate') {
    return strategy.rollingUpdate !== undefined && strategy.rollingUpdate !== null
      ? [
          forbidden(
            path.child('rollingUpdate'),
            "may not be specified when strategy `type` is 'Recreate'",
          ),
        ]
      : [];
  }
  if (type === 'RollingUpdate') {
    if (!ru)
      return [required(path.child('rollingUpdate'), 'this should be defaulted and never be nil')];
    const rp = path.child('rollingUpdate');
    const errs = [
      ...validatePositiveIntOrPercent(ru.maxUnavailable, rp.child('maxUnavailable')),
      ...validatePositiveIntOrPercent(ru.maxSurge, rp.child('maxSurge')),
    ];
    const mu = intOrString(ru.maxUnavailable);
    if (intOrPercent(mu) === 0 && intOrPercent(intOrString(ru.maxSurge)) === 0) {
      errs.push(
        invalid(
          rp.child('maxUnavailable'),
          intOrPercentValue(mu),
          'may not be 0 when `maxSurge` is 0',
        ),
      );
    }
    errs.push(...isNotMoreThan100Percent(ru.maxUnavailable, rp.child('maxUnavailable')));
    return errs;
  }
  return [notSupported(path, strategy, ['Recreate', 'RollingUpdate'])];
}

function validateDeploymentSpec(specValue: unknown): FieldError[] {
  const spec = obj(specValue) ?? {};
  const errs = validateNonnegative(num(spec.replicas) ?? 0, specPath.child('replicas'));
  errs.push(...validateSelectorFor(spec, 'deployment'));
  if (labelSelectorAsSelector(spec.selector) === undefined) {
    errs.push(
      invalid(specPath.child('selector'), selectorValue(spec.selector), 'invalid label selector'),
    );
  } else {
    errs.push(
      ...validateTemplateForReplicaSet(
        spec.template,
        spec.selector,
        specPath.child('template'),
        'ReplicaSet',
      ),
    );
  }
  errs.push(...validateDeploymentStrategy(spec.strategy, specPath.child('strategy')));
  const minReady = num(spec.minReadySeconds) ?? 0;
  errs.push(...validateNonnegative(minReady, specPath.child('minReadySeconds')));
  errs.push(
    ...validateNonnegative(num(spec.revisionHistoryLimit), specPath.child('revisionHistoryLimit')),
  );
  const pds = num(spec.progressDeadlineSeconds);
  if (pds !== undefined) {
    errs.push(...validateNonnegative(pds, specPath.child('progressDeadlineSeconds')));
    if (pds <= minReady)
      errs.push(
        invalid(
          specPath.child('progressDeadlineSeconds'),
          pds,
          'must be greater than minReadySeconds',
        ),
      );
  }
  return errs;
}

function selectorImmutable(n: Obj, o: Obj): FieldError[] {
  const ns = obj(n.spec)?.selector;
  const os = obj(o.spec)?.selector;
  return semanticEqual(ns, os)
    ? []
    : [invalid(specPath.child('selector'), selectorValue(ns), FIELD_IMMUTABLE)];
}

export function validateDeployment(d: Obj): FieldError[] {
  return [
    ...validateObjectMeta(d.metadata, true, nameIsDNSSubdomain),
    ...validateDeploymentSpec(d.spec),
  ];
}

export function validateDeploymentUpdate(d: Obj, old: Obj): FieldError[] {
  return [
    ...validateObjectMetaUpdate(d.metadata, old.metadata),
    ...validateDeploymentSpec(d.spec),
    ...selectorImmutable(d, old),
  ];
}

// ---------------- ReplicaSet ----------------

function validateReplicaSetSpec(specValue: unknown): FieldError[] {
  const spec = obj(specValue) ?? {};
  const errs = [
    ...validateNonnegative(num(spec.replicas) ?? 0, specPath.child('replicas')),
    ...validateNonnegative(num(spec.minReadySeconds) ?? 0, specPath.child('minReadySeconds')),
    ...validateSelectorFor(spec, 'deployment'),
  ];
  if (labelSelectorAsSelector(spec.selector) === undefined) {
    errs.push(
      invalid(specPath.child('selector'), selectorValue(spec.selector), 'invalid label selector'),
    );
  } else {
    errs.push(
      ...validateTemplateForReplicaSet(
        spec.template,
        spec.selector,
        specPath.child('template'),
        'ReplicaSet',
      ),
    );
  }
  return errs;
}

export function validateReplicaSet(rs: Obj): FieldError[] {
  return [
    ...validateObjectMeta(rs.metadata, true, nameIsDNSSubdomain),
    ...validateReplicaSetSpec(rs.spec),
  ];
}

export function validateReplicaSetUpdate(rs: Obj, old: Obj): FieldError[] {
  return [
    ...validateObjectMetaUpdate(rs.metadata, old.metadata),
    ...validateReplicaSetSpec(rs.spec),
    ...selectorImmutable(rs, old),
  ];
}

// ---------------- StatefulSet ----------------

function validateStatefulSetSpec(specValue: unknown): FieldError[] {
  const spec = obj(specValue) ?? {};
  const errs: FieldError[] = [];
  const pmp = str(spec.podManagementPolicy) ?? '';
  if (!pmp) errs.push(required(specPath.child('podManagementPolicy')));
  else if (pmp !== 'OrderedReady' && pmp !== 'Parallel') {
    errs.push(
      invalid(specPath.child('podManagementPolicy'), pmp, "must be 'OrderedReady' or 'Parallel'"),
    );
  }
  const us = obj(spec.updateStrategy) ?? {};
  const usPath = specPath.child('updateStrategy');
  const ru = obj(us.rollingUpdate);
  switch (str(us.type) ?? '') {
    case '':
      errs.push(required(usPath));
      break;
    case 'OnDelete':
      if (us.rollingUpdate !== undefined && us.rollingUpdate !== null) {
        errs.push(
          invalid(
            usPath.child('rollingUpdate'),
            us.rollingUpdate,
            "only allowed for updateStrategy 'RollingUpdate'",
          ),
        );
      }
      break;
    case 'RollingUpdate':
      if (ru) {
        const rp = usPath.child('rollingUpdate');
        errs.push(...validateNonnegative(num(ru.partition) ?? 0, rp.child('partition')));
        if (ru.maxUnavailable !== undefined && ru.maxUnavailable !== null) {
          const mp = rp.child('maxUnavailable');
          errs.push(...validatePositiveIntOrPercent(ru.maxUnavailable, mp));
          const mu = intOrString(ru.maxUnavailable);
          if (intOrPercent(mu) === 0) errs.push(invalid(mp, intOrPercentValue(mu), 'cannot be 0'));
          errs.push(...isNotMoreThan100Percent(ru.maxUnavailable, mp));
        }
      }
      break;
    default:
      errs.push(invalid(usPath, us, "must be 'RollingUpdate' or 'OnDelete'"));
  }
  const policy = obj(spec.persistentVolumeClaimRetentionPolicy);
  if (policy) {
    const pp = specPath.child('persistentVolumeClaimRetentionPolicy');
    for (const f of ['whenDeleted', 'whenScaled'] as const) {
      const v = str(policy[f]) ?? '';
      if (v !== 'Retain' && v !== 'Delete')
        errs.push(notSupported(pp.child(f), v, ['Retain', 'Delete']));
    }
  }
  errs.push(...validateNonnegative(num(spec.replicas) ?? 0, specPath.child('replicas')));
  errs.push(
    ...validateNonnegative(num(spec.minReadySeconds) ?? 0, specPath.child('minReadySeconds')),
  );
  const ordinals = obj(spec.ordinals);
  if (ordinals)
    errs.push(...validateNonnegative(num(ordinals.start) ?? 0, specPath.child('ordinals.start')));
  errs.push(...validateSelectorFor(spec, 'statefulset'));
  const template = obj(spec.template) ?? {};
  const tp = specPath.child('template');
  const sel = labelSelectorAsSelector(spec.selector);
  if (!sel) errs.push(invalid(specPath.child('selector'), selectorValue(spec.selector), ''));
  else {
    const meta = obj(template.metadata) ?? {};
    const labels = strMap(meta.labels);
    if (!sel.empty && !sel.matches(labels)) {
      errs.push(
        invalid(
          tp.child('metadata', 'labels'),
          sortedMap(labels),
          '`selector` does not match template `labels`',
        ),
      );
    }
    errs.push(...validateLabels(meta.labels, tp.child('labels')));
    errs.push(...validateAnnotations(meta.annotations, tp.child('annotations')));
    errs.push(
      ...validatePodSpecificAnnotations(
        meta.annotations,
        obj(template.spec) ?? {},
        tp.child('annotations'),
      ),
    );
  }
  const tspec = obj(template.spec) ?? {};
  const rp = str(tspec.restartPolicy) ?? '';
  if (rp !== 'Always') errs.push(notSupported(tp.child('spec', 'restartPolicy'), rp, ['Always']));
  if (tspec.activeDeadlineSeconds !== undefined && tspec.activeDeadlineSeconds !== null) {
    errs.push(
      forbidden(
        tp.child('spec', 'activeDeadlineSeconds'),
        'activeDeadlineSeconds in StatefulSet is not Supported',
      ),
    );
  }
  return errs;
}

export function validateStatefulSet(ss: Obj): FieldError[] {
  return [
    ...validateObjectMeta(ss.metadata, true, nameIsDNSLabel),
    ...validateStatefulSetSpec(ss.spec),
  ];
}

const statefulSetMutable = [
  'replicas',
  'template',
  'updateStrategy',
  'minReadySeconds',
  'ordinals',
  'persistentVolumeClaimRetentionPolicy',
];

export function validateStatefulSetUpdate(ss: Obj, old: Obj): FieldError[] {
  const errs = [
    ...validateObjectMetaUpdate(ss.metadata, old.metadata),
    ...validateStatefulSetSpec(ss.spec),
  ];
  const n = clone(obj(ss.spec) ?? {});
  const o = obj(old.spec) ?? {};
  for (const f of statefulSetMutable) n[f] = o[f];
  if (!semanticEqual(n, o)) {
    errs.push(
      forbidden(
        specPath,
        "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
      ),
    );
  }
  return errs;
}

// ---------------- DaemonSet ----------------

function validateDaemonSetSpec(specValue: unknown): FieldError[] {
  const spec = obj(specValue) ?? {};
  const errs = validateLabelSelector(spec.selector, specPath.child('selector'));
  const template = obj(spec.template) ?? {};
  const labels = strMap(obj(template.metadata)?.labels);
  const sel = labelSelectorAsSelector(spec.selector);
  if (sel && !sel.matches(labels)) {
    errs.push(
      invalid(
        specPath.child('template', 'metadata', 'labels'),
        sortedMap(labels),
        '`selector` does not match template `labels`',
      ),
    );
  }
  if (spec.selector !== undefined && spec.selector !== null && selectorIsEmpty(spec.selector)) {
    errs.push(
      invalid(
        specPath.child('selector'),
        selectorValue(spec.selector),
        'empty selector is invalid for daemonset',
      ),
    );
  }
  errs.push(...validatePodTemplateSpec(template, specPath.child('template')));
  const tspec = obj(template.spec) ?? {};
  const rp = str(tspec.restartPolicy) ?? '';
  if (rp !== 'Always')
    errs.push(notSupported(specPath.child('template', 'spec', 'restartPolicy'), rp, ['Always']));
  if (tspec.activeDeadlineSeconds !== undefined && tspec.activeDeadlineSeconds !== null) {
    errs.push(
      forbidden(
        specPath.child('template', 'spec', 'activeDeadlineSeconds'),
        'activeDeadlineSeconds in DaemonSet is not Supported',
      ),
    );
  }
  errs.push(
    ...validateNonnegative(num(spec.minReadySeconds) ?? 0, specPath.child('minReadySeconds')),
  );
  errs.push(
    ...validateNonnegative(num(spec.templateGeneration) ?? 0, specPath.child('templateGeneration')),
  );
  const us = obj(spec.updateStrategy) ?? {};
  const usPath = specPath.child('updateStrategy');
  const type = str(us.type) ?? '';
  if (type === 'RollingUpdate') {
    const ru = obj(us.rollingUpdate);
    if (!ru) errs.push(required(usPath.child('rollingUpdate')));
    else {
      const rp2 = usPath.child('rollingUpdate');
      errs.push(...validatePositiveIntOrPercent(ru.maxUnavailable, rp2.child('maxUnavailable')));
      errs.push(...validatePositiveIntOrPercent(ru.maxSurge, rp2.child('maxSurge')));
      errs.push(...isNotMoreThan100Percent(ru.maxUnavailable, rp2.child('maxUnavailable')));
      errs.push(...isNotMoreThan100Percent(ru.maxSurge, rp2.child('maxSurge')));
      const hasUnavailable = intOrPercent(intOrString(ru.maxUnavailable)) !== 0;
      const surge = intOrString(ru.maxSurge);
      const hasSurge = intOrPercent(surge) !== 0;
      if (hasUnavailable && hasSurge) {
        errs.push(
          invalid(
            rp2.child('maxSurge'),
            intOrPercentValue(surge),
            'may not be set when maxUnavailable is non-zero',
          ),
        );
      } else if (!hasUnavailable && !hasSurge) {
        errs.push(required(rp2.child('maxUnavailable'), 'cannot be 0 when maxSurge is 0'));
      }
    }
  } else if (type !== 'OnDelete') {
    errs.push(notSupported(usPath, us, ['RollingUpdate', 'OnDelete']));
  }
  errs.push(
    ...validateNonnegative(num(spec.revisionHistoryLimit), specPath.child('revisionHistoryLimit')),
  );
  return errs;
}

export function validateDaemonSet(ds: Obj): FieldError[] {
  return [
    ...validateObjectMeta(ds.metadata, true, nameIsDNSSubdomain),
    ...validateDaemonSetSpec(ds.spec),
  ];
}

export function validateDaemonSetUpdate(ds: Obj, old: Obj): FieldError[] {
  return [
    ...validateObjectMetaUpdate(ds.metadata, old.metadata),
    ...validateDaemonSetSpec(ds.spec),
    ...selectorImmutable(ds, old),
  ];
}

// ---------------- ControllerRevision ----------------

export function validateControllerRevision(cr: Obj): FieldError[] {
  const errs = validateObjectMeta(cr.metadata, true, nameIsDNSSubdomain);
  if (cr.data === undefined || cr.data === null)
    errs.push(required(Path.root('data'), 'data is mandatory'));
  errs.push(...validateNonnegative(num(cr.revision) ?? 0, Path.root('revision')));
  return errs;
}

export function validateControllerRevisionUpdate(cr: Obj, old: Obj): FieldError[] {
  const errs = [
    ...validateObjectMetaUpdate(cr.metadata, old.metadata),
    ...validateControllerRevision(cr),
  ];
  if (!semanticEqual(cr.data, old.data))
    errs.push(invalid(Path.root('data'), cr.data ?? OMIT, FIELD_IMMUTABLE));
  return errs;
}
