// coordination.k8s.io/v1 Lease (pkg/apis/coordination/validation).

import { forbidden, invalid, notSupported, Path } from './field.ts';
import { num, obj, str, type Obj } from './json.ts';
import { isQualifiedName, nameIsDNSSubdomain } from './names.ts';
import { validateObjectMeta, validateObjectMetaUpdate } from './meta.ts';
import type { FieldError } from '../../api/status.ts';

function validateLeaseSpec(spec: Obj, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  const duration = num(spec.leaseDurationSeconds);
  if (duration !== undefined && duration <= 0)
    errs.push(invalid(path.child('leaseDurationSeconds'), duration, 'must be greater than 0'));
  const transitions = num(spec.leaseTransitions);
  if (transitions !== undefined && transitions < 0) {
    errs.push(
      invalid(path.child('leaseTransitions'), transitions, 'must be greater than or equal to 0'),
    );
  }
  const strategy = str(spec.strategy);
  if (strategy !== undefined) {
    if (!strategy.includes('/')) {
      if (strategy !== 'OldestEmulationVersion')
        errs.push(notSupported(path.child('strategy'), strategy, ['OldestEmulationVersion']));
    } else
      errs.push(
        ...isQualifiedName(strategy).map((m) => invalid(path.child('strategy'), strategy, m)),
      );
  }
  if ((str(spec.preferredHolder) ?? '') && !(strategy ?? '')) {
    errs.push(
      forbidden(path.child('preferredHolder'), 'may only be specified if `strategy` is defined'),
    );
  }
  return errs;
}

export function validateLease(lease: Obj): FieldError[] {
  return [
    ...validateObjectMeta(lease.metadata, true, nameIsDNSSubdomain),
    ...validateLeaseSpec(obj(lease.spec) ?? {}, Path.root('spec')),
  ];
}

export function validateLeaseUpdate(lease: Obj, old: Obj): FieldError[] {
  return [
    ...validateObjectMetaUpdate(lease.metadata, old.metadata),
    ...validateLeaseSpec(obj(lease.spec) ?? {}, Path.root('spec')),
  ];
}
