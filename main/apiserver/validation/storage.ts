// storage.k8s.io/v1 StorageClass (pkg/apis/storage/validation).

import { duplicate, forbidden, invalid, notSupported, Path, required, tooLong } from './field.ts';
import { objs, str, strMap, semanticEqual, byteLength, type Obj } from './json.ts';
import { isQualifiedName, nameIsDNSSubdomain } from './names.ts';
import {
  validateImmutable,
  validateLabelName,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from './meta.ts';
import type { FieldError } from '../../api/status.ts';

const reclaimPolicies = ['Delete', 'Retain'];
const bindingModes = ['Immediate', 'WaitForFirstConsumer'];

export function validateStorageClass(sc: Obj): FieldError[] {
  const errs = validateObjectMeta(sc.metadata, false, nameIsDNSSubdomain);
  const provisioner = str(sc.provisioner) ?? '';
  if (!provisioner) errs.push(required(Path.root('provisioner')));
  else
    errs.push(
      ...isQualifiedName(provisioner.toLowerCase()).map((m) =>
        invalid(Path.root('provisioner'), provisioner.toLowerCase(), m),
      ),
    );
  const params = strMap(sc.parameters);
  const pp = Path.root('parameters');
  if (Object.keys(params).length > 512) errs.push(tooLong(pp, 512));
  else {
    let total = 0;
    for (const [k, v] of Object.entries(params)) {
      if (!k) errs.push(invalid(pp, k, 'field can not be empty.'));
      total += byteLength(k) + byteLength(v);
    }
    if (total > 256 * 1024) errs.push(tooLong(pp, 256 * 1024));
  }
  const reclaim = str(sc.reclaimPolicy) ?? '';
  if (reclaim && !reclaimPolicies.includes(reclaim))
    errs.push(notSupported(Path.root('reclaimPolicy'), reclaim, reclaimPolicies));
  const mode = str(sc.volumeBindingMode);
  if (mode === undefined) errs.push(required(Path.root('volumeBindingMode')));
  else if (!bindingModes.includes(mode))
    errs.push(notSupported(Path.root('volumeBindingMode'), mode, bindingModes));
  objs(sc.allowedTopologies).forEach((term, i) => {
    const tp = Path.root('allowedTopologies').index(i).child('matchLabelExpressions');
    const keys = new Set<string>();
    const exprs = objs(term.matchLabelExpressions);
    exprs.forEach((e, j) => {
      const key = str(e.key) ?? '';
      const values = Array.isArray(e.values) ? e.values : [];
      if (!values.length) errs.push(required(tp.index(j).child('values')));
      const seen = new Set<unknown>();
      values.forEach((v, k) => {
        if (seen.has(v)) errs.push(duplicate(tp.index(j).child('values').index(k), v));
        seen.add(v);
      });
      errs.push(...validateLabelName(key, tp.index(j).child('key')));
      if (keys.has(key)) errs.push(duplicate(tp.index(j).child('key'), key));
      keys.add(key);
    });
  });
  return errs;
}

export function validateStorageClassUpdate(sc: Obj, old: Obj): FieldError[] {
  const errs = validateObjectMetaUpdate(sc.metadata, old.metadata);
  if (!semanticEqual(sc.parameters, old.parameters))
    errs.push(forbidden(Path.root('parameters'), 'updates to parameters are forbidden.'));
  if ((str(sc.provisioner) ?? '') !== (str(old.provisioner) ?? '')) {
    errs.push(forbidden(Path.root('provisioner'), 'updates to provisioner are forbidden.'));
  }
  if ((str(sc.reclaimPolicy) ?? '') !== (str(old.reclaimPolicy) ?? '')) {
    errs.push(forbidden(Path.root('reclaimPolicy'), 'updates to reclaimPolicy are forbidden.'));
  }
  errs.push(
    ...validateImmutable(
      sc.volumeBindingMode ?? null,
      old.volumeBindingMode ?? null,
      Path.root('volumeBindingMode'),
    ),
  );
  return errs;
}
