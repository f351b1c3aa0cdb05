// autoscaling/v2 HorizontalPodAutoscaler (pkg/apis/autoscaling/validation).

import { forbidden, invalid, notSupported, Path, required } from './field.ts';
import { isObj, num, obj, objs, str, type Obj } from './json.ts';
import { isDNS1123Label, isValidPathSegmentName, nameIsDNSSubdomain } from './names.ts';
import { validateContainerResourceName } from './resources.ts';
import { validateObjectMeta, validateObjectMetaUpdate } from './meta.ts';
import { readQuantity, formatQuantity } from '../../api/quantity.ts';
import type { FieldError } from '../../api/status.ts';

const metricTypes = ['ContainerResource', 'External', 'Object', 'Pods', 'Resource'];
const selectPolicies = ['Disabled', 'Max', 'Min'];
const policyTypes = ['Percent', 'Pods'];

function validateCrossVersionRef(ref: Obj, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  for (const f of ['kind', 'name'] as const) {
    const v = str(ref[f]) ?? '';
    if (!v) errs.push(required(path.child(f)));
    else errs.push(...isValidPathSegmentName(v).map((m) => invalid(path.child(f), v, m)));
  }
  return errs;
}

function validateMetricTarget(target: Obj, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  const type = str(target.type) ?? '';
  if (!type) errs.push(required(path.child('type'), 'must specify a metric target type'));
  if (type !== 'Utilization' && type !== 'Value' && type !== 'AverageValue') {
    errs.push(
      invalid(path.child('type'), type, 'must be either Utilization, Value, or AverageValue'),
    );
  }
  for (const f of ['value', 'averageValue'] as const) {
    const q = readQuantity(target[f]);
    if (typeof q === 'string') errs.push(invalid(path.child(f), target[f], q));
    else if (q && q.sign !== 1)
      errs.push(invalid(path.child(f), formatQuantity(q), 'must be positive'));
  }
  const util = num(target.averageUtilization);
  if (util !== undefined && util < 1)
    errs.push(invalid(path.child('averageUtilization'), util, 'must be greater than 0'));
  return errs;
}

function validateMetricIdentifier(metric: unknown, path: Path): FieldError[] {
  const m = obj(metric) ?? {};
  const name = str(m.name) ?? '';
  const errs = name
    ? isValidPathSegmentName(name).map((msg) => invalid(path.child('name'), name, msg))
    : [required(path.child('name'), 'must specify a metric name')];
  return errs;
}

const isSet = (v: unknown): boolean => v !== undefined && v !== null;

/** The checks of the first metric source present (validateObjectSource and friends). */
function validateMetricSource(kind: string, src: Obj, sp: Path): FieldError[] {
  const errs: FieldError[] = [];
  const target = obj(src.target) ?? {};
  const tp = sp.child('target');
  if (kind === 'resource' || kind === 'containerResource') {
    const name = str(src.name) ?? '';
    if (!name) errs.push(required(sp.child('name'), 'must specify a resource name'));
    else if (kind === 'containerResource')
      errs.push(...validateContainerResourceName(name, sp.child('name')));
    if (kind === 'containerResource') {
      const container = str(src.container) ?? '';
      if (!container) errs.push(required(sp.child('container'), 'must specify a container'));
      else
        errs.push(
          ...isDNS1123Label(container).map((m) => invalid(sp.child('container'), container, m)),
        );
    }
    errs.push(...validateMetricTarget(target, tp));
    const hasUtil = isSet(target.averageUtilization);
    const hasAvg = isSet(target.averageValue);
    if (!hasUtil && !hasAvg) {
      errs.push(
        required(
          tp.child('averageUtilization'),
          'must set either a target raw value or a target utilization',
        ),
      );
    }
    if (hasUtil && hasAvg) {
      errs.push(
        forbidden(
          tp.child('averageValue'),
          'may not set both a target raw value and a target utilization',
        ),
      );
    }
    return errs;
  }
  if (kind === 'object')
    errs.push(
      ...validateCrossVersionRef(obj(src.describedObject) ?? {}, sp.child('describedObject')),
    );
  errs.push(...validateMetricIdentifier(src.metric, sp.child('metric')));
  errs.push(...validateMetricTarget(target, tp));
  const hasValue = isSet(target.value);
  const hasAvg = isSet(target.averageValue);
  if (kind === 'object' && !hasValue && !hasAvg) {
    errs.push(required(tp.child('averageValue'), 'must set either a target value or averageValue'));
  }
  if (kind === 'external') {
    if (!hasValue && !hasAvg) {
      errs.push(
        required(
          tp.child('averageValue'),
          'must set either a target value for metric or a per-pod target',
        ),
      );
    }
    if (hasValue && hasAvg) {
      errs.push(
        forbidden(
          tp.child('value'),
          'may not set both a target value for metric and a per-pod target',
        ),
      );
    }
  }
  if (kind === 'pods' && !hasAvg) {
    errs.push(required(tp.child('averageValue'), 'must specify a positive target averageValue'));
  }
  return errs;
}

const sourceFields: Record<string, string> = {
  Object: 'object',
  Pods: 'pods',
  Resource: 'resource',
  External: 'external',
  ContainerResource: 'containerResource',
};
/** The order validateMetricSpec looks at sources in. */
const sourceOrder = ['object', 'external', 'pods', 'resource', 'containerResource'];

function validateMetricSpec(spec: Obj, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  const type = str(spec.type) ?? '';
  if (!type) errs.push(required(path.child('type'), 'must specify a metric source type'));
  const expected = sourceFields[type];
  if (!expected) errs.push(notSupported(path.child('type'), type, metricTypes));
  const present = sourceOrder.filter((f) => isObj(spec[f]));
  if (present.length)
    errs.push(
      ...validateMetricSource(present[0], obj(spec[present[0]]) ?? {}, path.child(present[0])),
    );
  if (expected && !isObj(spec[expected])) {
    errs.push(
      required(path.child(expected), 'must populate information for the given metric source'),
    );
  }
  if (present.length !== 1) {
    for (const f of present)
      if (f !== expected)
        errs.push(forbidden(path.child(f), 'must populate the given metric source only'));
  }
  return errs;
}

function validateScalingRules(rules: unknown, path: Path): FieldError[] {
  const r = obj(rules);
  if (!r) return [];
  const errs: FieldError[] = [];
  const window = num(r.stabilizationWindowSeconds);
  if (window !== undefined && window < 0) {
    errs.push(
      invalid(
        path.child('stabilizationWindowSeconds'),
        window,
        'must be greater than or equal to zero',
      ),
    );
  }
  if (window !== undefined && window > 3600) {
    errs.push(
      invalid(
        path.child('stabilizationWindowSeconds'),
        window,
        'must be less than or equal to 3600',
      ),
    );
  }
  const select = str(r.selectPolicy);
  if (select !== undefined && !selectPolicies.includes(select))
    errs.push(notSupported(path.child('selectPolicy'), select, selectPolicies));
  const policies = objs(r.policies);
  if (!policies.length)
    errs.push(required(path.child('policies'), 'must specify at least one Policy'));
  policies.forEach((p, i) => {
    const pp = path.child('policies').index(i);
    const type = str(p.type) ?? '';
    if (!policyTypes.includes(type)) errs.push(notSupported(pp.child('type'), type, policyTypes));
    const value = num(p.value) ?? 0;
    if (value <= 0) errs.push(invalid(pp.child('value'), value, 'must be greater than zero'));
    const period = num(p.periodSeconds) ?? 0;
    if (period <= 0)
      errs.push(invalid(pp.child('periodSeconds'), period, 'must be greater than zero'));
    if (period > 1800)
      errs.push(invalid(pp.child('periodSeconds'), period, 'must be less than or equal to 1800'));
  });
  return errs;
}

function validateHPASpec(spec: Obj, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  const min = num(spec.minReplicas);
  const max = num(spec.maxReplicas) ?? 0;
  if (min !== undefined && min < 1)
    errs.push(invalid(path.child('minReplicas'), min, 'must be greater than or equal to 1'));
  if (max < 1) errs.push(invalid(path.child('maxReplicas'), max, 'must be greater than 0'));
  if (min !== undefined && max < min)
    errs.push(
      invalid(path.child('maxReplicas'), max, 'must be greater than or equal to `minReplicas`'),
    );
  errs.push(
    ...validateCrossVersionRef(obj(spec.scaleTargetRef) ?? {}, path.child('scaleTargetRef')),
  );
  objs(spec.metrics).forEach((m, i) =>
    errs.push(...validateMetricSpec(m, path.child('metrics').index(i))),
  );
  const behavior = obj(spec.behavior);
  if (behavior) {
    errs.push(...validateScalingRules(behavior.scaleUp, path.child('behavior', 'scaleUp')));
    errs.push(...validateScalingRules(behavior.scaleDown, path.child('behavior', 'scaleDown')));
  }
  return errs;
}

export function validateHorizontalPodAutoscaler(hpa: Obj): FieldError[] {
  return [
    ...validateObjectMeta(hpa.metadata, true, nameIsDNSSubdomain),
    ...validateHPASpec(obj(hpa.spec) ?? {}, Path.root('spec')),
  ];
}

export function validateHorizontalPodAutoscalerUpdate(hpa: Obj, old: Obj): FieldError[] {
  return [
    ...validateObjectMetaUpdate(hpa.metadata, old.metadata),
    ...validateHPASpec(obj(hpa.spec) ?? {}, Path.root('spec')),
  ];
}
