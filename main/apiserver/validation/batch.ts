// batch/v1 Job and CronJob validation (pkg/apis/batch/validation), including the generated
// selector checks and the Job strategy's update options.

import {
  invalid,
  notSupported,
  OMIT,
  Path,
  required,
  sortedMap,
  tooLong,
  tooMany,
  duplicate,
} from './field.ts';
import { bool, num, obj, objs, str, strMap, type Obj } from './json.ts';
import {
  isDNS1123Label,
  isDomainPrefixedPath,
  isQualifiedName,
  nameIsDNSSubdomain,
} from './names.ts';
import {
  labelSelectorAsSelector,
  selectorValue,
  validateImmutable,
  validateLabelSelector,
  validateNonnegative,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from './meta.ts';
import { validatePodTemplateSpec } from './pod.ts';
import { isKnownTimeZone, parseCronSchedule } from './cron.ts';
import type { FieldError } from '../../api/status.ts';

export const LEGACY_CONTROLLER_UID_LABEL = 'controller-uid';
export const CONTROLLER_UID_LABEL = 'batch.kubernetes.io/controller-uid';
export const LEGACY_JOB_NAME_LABEL = 'job-name';
export const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';

const MAX_PARALLELISM_INDEXED = 100000;
const MAX_FAILED_INDEXES = 100_000;
const COMPLETIONS_SOFT_LIMIT = 100_000;
const podFailureActions = ['Count', 'FailIndex', 'FailJob', 'Ignore'];
const onExitCodesOperators = ['In', 'NotIn'];
const conditionStatuses = ['False', 'True', 'Unknown'];

function validateHasLabel(meta: Obj, path: Path, key: string, expected: string): FieldError[] {
  const labels = strMap(meta.labels);
  if (!(key in labels)) return [required(path.child('labels').key(key), `must be '${expected}'`)];
  if (labels[key] !== expected)
    return [invalid(path.child('labels').key(key), sortedMap(labels), `must be '${expected}'`)];
  return [];
}

function validateGeneratedSelector(job: Obj, requirePrefixedLabels: boolean): FieldError[] {
  const spec = obj(job.spec) ?? {};
  if (spec.manualSelector === true || spec.selector === undefined || spec.selector === null)
    return [];
  const meta = obj(job.metadata) ?? {};
  const uid = str(meta.uid) ?? '';
  const name = str(meta.name) ?? '';
  const errs: FieldError[] = [];
  if (!uid) errs.push(required(Path.root('metadata', 'uid')));
  const tmeta = obj(obj(spec.template)?.metadata) ?? {};
  const tpath = Path.root('spec', 'template', 'metadata');
  errs.push(...validateHasLabel(tmeta, tpath, LEGACY_CONTROLLER_UID_LABEL, uid));
  errs.push(...validateHasLabel(tmeta, tpath, LEGACY_JOB_NAME_LABEL, name));
  const expected: Record<string, string> = {};
  if (requirePrefixedLabels) {
    errs.push(...validateHasLabel(tmeta, tpath, CONTROLLER_UID_LABEL, uid));
    errs.push(...validateHasLabel(tmeta, tpath, JOB_NAME_LABEL, name));
    expected[CONTROLLER_UID_LABEL] = uid;
    expected[JOB_NAME_LABEL] = name;
  }
  expected[LEGACY_CONTROLLER_UID_LABEL] = uid;
  expected[LEGACY_JOB_NAME_LABEL] = name;
  const sel = labelSelectorAsSelector(spec.selector);
  if (sel && !sel.matches(expected)) {
    errs.push(
      invalid(
        Path.root('spec', 'selector'),
        selectorValue(spec.selector),
        '`selector` not auto-generated',
      ),
    );
  }
  return errs;
}

function parseIndexInterval(interval: string, completions: number): [number, number] | string {
  const parts = interval.split('-');
  if (parts.length > 2) {
    return `the fragment ${JSON.stringify(interval)} violates the requirement that an index interval can have at most two parts separated by '-'`;
  }
  const toInt = (s: string): number | undefined =>
    /^[+-]?[0-9]+$/.test(s) ? Number(s) : undefined;
  const x = toInt(parts[0]);
  if (x === undefined)
    return `cannot convert string to integer for index: ${JSON.stringify(parts[0])}`;
  if (x >= completions) return `too large index: ${JSON.stringify(parts[0])}`;
  if (parts.length > 1) {
    const y = toInt(parts[1]);
    if (y === undefined)
      return `cannot convert string to integer for index: ${JSON.stringify(parts[1])}`;
    if (y >= completions) return `too large index: ${JSON.stringify(parts[1])}`;
    if (x >= y) return `non-increasing order, previous: ${x}, current: ${y}`;
    return [x, y];
  }
  return [x, x];
}

function validateIndexesFormat(indexes: string, completions: number): number | string {
  if (!indexes) return 0;
  let last: number | undefined;
  let total = 0;
  for (const interval of indexes.split(',')) {
    const r = parseIndexInterval(interval, completions);
    if (typeof r === 'string') return r;
    if (last !== undefined && last >= r[0])
      return `non-increasing order, previous: ${last}, current: ${r[0]}`;
    total += r[1] - r[0] + 1;
    last = r[1];
  }
  return total;
}

function validatePodFailurePolicy(spec: Obj, path: Path): FieldError[] {
  const policy = obj(spec.podFailurePolicy) ?? {};
  const errs: FieldError[] = [];
  const rules = objs(policy.rules);
  const rulesPath = path.child('rules');
  if (rules.length > 20) errs.push(tooMany(rulesPath, rules.length, 20));
  const tspec = obj(obj(spec.template)?.spec) ?? {};
  const containerNames = new Set(
    [...objs(tspec.containers), ...objs(tspec.initContainers)].map((c) => str(c.name) ?? ''),
  );
  rules.forEach((rule, i) => {
    const rp = rulesPath.index(i);
    const action = str(rule.action) ?? '';
    if (!action)
      errs.push(required(rp.child('action'), `valid values: ["${podFailureActions.join('" "')}"]`));
    else if (action === 'FailIndex') {
      if (spec.backoffLimitPerIndex === undefined || spec.backoffLimitPerIndex === null) {
        errs.push(
          invalid(rp.child('action'), action, 'requires the backoffLimitPerIndex to be set'),
        );
      }
    } else if (!podFailureActions.includes(action))
      errs.push(notSupported(rp.child('action'), action, podFailureActions));
    const onExit = obj(rule.onExitCodes);
    const onConditions = objs(rule.onPodConditions);
    if (onExit) {
      const ep = rp.child('onExitCodes');
      const op = str(onExit.operator) ?? '';
      if (!op)
        errs.push(
          required(ep.child('operator'), `valid values: ["${onExitCodesOperators.join('" "')}"]`),
        );
      else if (!onExitCodesOperators.includes(op))
        errs.push(notSupported(ep.child('operator'), op, onExitCodesOperators));
      const cn = str(onExit.containerName);
      if (cn !== undefined && !containerNames.has(cn)) {
        errs.push(
          invalid(
            ep.child('containerName'),
            cn,
            'must be one of the container or initContainer names in the pod template',
          ),
        );
      }
      const values = Array.isArray(onExit.values)
        ? onExit.values.filter((v): v is number => typeof v === 'number')
        : [];
      const vp = ep.child('values');
      if (!values.length) errs.push(invalid(vp, values, 'at least one value is required'));
      else if (values.length > 255) errs.push(tooMany(vp, values.length, 255));
      const seen = new Set<number>();
      let ordered = true;
      values.forEach((v, j) => {
        if (op === 'In' && v === 0)
          errs.push(invalid(vp.index(j), v, 'must not be 0 for the In operator'));
        if (seen.has(v)) errs.push(duplicate(vp.index(j), v));
        else seen.add(v);
        if (j > 0 && values[j - 1] > v) ordered = false;
      });
      if (!ordered) errs.push(invalid(vp, values, 'must be ordered'));
    }
    if (onConditions.length) {
      const cp = rp.child('onPodConditions');
      if (onConditions.length > 20) errs.push(tooMany(cp, onConditions.length, 20));
      onConditions.forEach((pattern, j) => {
        const pp = cp.index(j);
        const type = str(pattern.type) ?? '';
        errs.push(...isQualifiedName(type).map((m) => invalid(pp.child('type'), type, m)));
        const status = str(pattern.status) ?? '';
        if (!status)
          errs.push(
            required(pp.child('status'), `valid values: ["${conditionStatuses.join('" "')}"]`),
          );
        else if (!conditionStatuses.includes(status))
          errs.push(notSupported(pp.child('status'), status, conditionStatuses));
      });
    }
    if (onExit && onConditions.length) {
      errs.push(
        invalid(rp, OMIT, 'specifying both OnExitCodes and OnPodConditions is not supported'),
      );
    }
    if (!onExit && !onConditions.length) {
      errs.push(invalid(rp, OMIT, 'specifying one of OnExitCodes and OnPodConditions is required'));
    }
  });
  return errs;
}

function validateSuccessPolicy(spec: Obj, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  const rules = objs(obj(spec.successPolicy)?.rules);
  const rulesPath = path.child('rules');
  if (!rules.length)
    errs.push(
      required(
        rulesPath,
        'at least one rules must be specified when the successPolicy is specified',
      ),
    );
  if (rules.length > 20) errs.push(tooMany(rulesPath, rules.length, 20));
  const completions = num(spec.completions) ?? 0;
  rules.forEach((rule, i) => {
    const rp = rulesPath.index(i);
    const count = num(rule.succeededCount);
    const indexes = str(rule.succeededIndexes);
    if (count === undefined && indexes === undefined) {
      errs.push(
        required(rp, 'at least one of succeededCount or succeededIndexes must be specified'),
      );
    }
    let total = 0;
    if (indexes !== undefined) {
      const ip = rp.child('succeededIndexes');
      if (indexes.length > 64 * 1024) errs.push(tooLong(ip, 64 * 1024));
      const r = validateIndexesFormat(indexes, completions);
      if (typeof r === 'string')
        errs.push(invalid(ip, indexes, `error parsing succeededIndexes: ${r}`));
      else total = r;
    }
    if (count !== undefined) {
      const cp = rp.child('succeededCount');
      errs.push(...validateNonnegative(count, cp));
      if (count > completions) {
        errs.push(
          invalid(
            cp,
            count,
            `must be less than or equal to ${completions} (the number of specified completions)`,
          ),
        );
      }
      if (indexes !== undefined && count > total) {
        errs.push(
          invalid(
            cp,
            count,
            `must be less than or equal to ${total} (the number of indexes in the specified succeededIndexes field)`,
          ),
        );
      }
    }
  });
  return errs;
}

/** validateJobSpec (shared with CronJob job templates). */
function validateJobSpecBody(spec: Obj, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  for (const f of [
    'parallelism',
    'completions',
    'activeDeadlineSeconds',
    'backoffLimit',
    'ttlSecondsAfterFinished',
    'backoffLimitPerIndex',
  ]) {
    errs.push(...validateNonnegative(num(spec[f]), path.child(f)));
  }
  const maxFailed = num(spec.maxFailedIndexes);
  const hasPerIndex = spec.backoffLimitPerIndex !== undefined && spec.backoffLimitPerIndex !== null;
  if (maxFailed !== undefined) {
    errs.push(...validateNonnegative(maxFailed, path.child('maxFailedIndexes')));
    if (!hasPerIndex)
      errs.push(required(path.child('backoffLimitPerIndex'), 'when maxFailedIndexes is specified'));
  }
  const managedBy = str(spec.managedBy);
  if (managedBy !== undefined) {
    errs.push(...isDomainPrefixedPath(path.child('managedBy'), managedBy));
    if (managedBy.length > 63) errs.push(tooLong(path.child('managedBy'), 63));
  }
  const mode = str(spec.completionMode);
  const completions = num(spec.completions);
  const parallelism = num(spec.parallelism);
  if (mode !== undefined) {
    if (mode !== 'NonIndexed' && mode !== 'Indexed') {
      errs.push(notSupported(path.child('completionMode'), mode, ['NonIndexed', 'Indexed']));
    }
    if (mode === 'Indexed') {
      if (completions === undefined)
        errs.push(required(path.child('completions'), 'when completion mode is Indexed'));
      if (parallelism !== undefined && parallelism > MAX_PARALLELISM_INDEXED) {
        errs.push(
          invalid(
            path.child('parallelism'),
            parallelism,
            `must be less than or equal to ${MAX_PARALLELISM_INDEXED} when completion mode is Indexed`,
          ),
        );
      }
      if (completions !== undefined && maxFailed !== undefined && maxFailed > completions) {
        errs.push(
          invalid(
            path.child('maxFailedIndexes'),
            maxFailed,
            'must be less than or equal to completions',
          ),
        );
      }
      if (maxFailed !== undefined && maxFailed > MAX_FAILED_INDEXES) {
        errs.push(
          invalid(
            path.child('maxFailedIndexes'),
            maxFailed,
            `must be less than or equal to ${MAX_FAILED_INDEXES}`,
          ),
        );
      }
      if (completions !== undefined && completions > COMPLETIONS_SOFT_LIMIT && hasPerIndex) {
        if (maxFailed === undefined) {
          errs.push(
            required(
              path.child('maxFailedIndexes'),
              `must be specified when completions is above ${COMPLETIONS_SOFT_LIMIT}`,
            ),
          );
        }
        if (parallelism !== undefined && parallelism > 10_000) {
          errs.push(
            invalid(
              path.child('parallelism'),
              parallelism,
              `must be less than or equal to 10000 when completions are above ${COMPLETIONS_SOFT_LIMIT} and used with backoff limit per index`,
            ),
          );
        }
        if (maxFailed !== undefined && maxFailed > 10_000) {
          errs.push(
            invalid(
              path.child('maxFailedIndexes'),
              maxFailed,
              `must be less than or equal to 10000 when completions are above ${COMPLETIONS_SOFT_LIMIT} and used with backoff limit per index`,
            ),
          );
        }
      }
    }
  }
  if (mode === undefined || mode === 'NonIndexed') {
    if (hasPerIndex)
      errs.push(
        invalid(
          path.child('backoffLimitPerIndex'),
          num(spec.backoffLimitPerIndex) ?? 0,
          'requires indexed completion mode',
        ),
      );
    if (maxFailed !== undefined)
      errs.push(
        invalid(path.child('maxFailedIndexes'), maxFailed, 'requires indexed completion mode'),
      );
  }
  const hasFailurePolicy = spec.podFailurePolicy !== undefined && spec.podFailurePolicy !== null;
  if (hasFailurePolicy)
    errs.push(...validatePodFailurePolicy(spec, path.child('podFailurePolicy')));
  if (spec.successPolicy !== undefined && spec.successPolicy !== null) {
    if (mode !== 'Indexed')
      errs.push(
        invalid(
          path.child('successPolicy'),
          spec.successPolicy,
          'requires indexed completion mode',
        ),
      );
    else errs.push(...validateSuccessPolicy(spec, path.child('successPolicy')));
  }
  const prp = str(spec.podReplacementPolicy);
  if (prp !== undefined) {
    if (hasFailurePolicy) {
      if (prp !== 'Failed')
        errs.push(notSupported(path.child('podReplacementPolicy'), prp, ['Failed']));
    } else if (prp !== 'Failed' && prp !== 'TerminatingOrFailed') {
      errs.push(
        notSupported(path.child('podReplacementPolicy'), prp, ['Failed', 'TerminatingOrFailed']),
      );
    }
  }
  errs.push(...validatePodTemplateSpec(spec.template, path.child('template')));
  const rp = str(obj(obj(spec.template)?.spec)?.restartPolicy) ?? '';
  const rpPath = path.child('template', 'spec', 'restartPolicy');
  if (rp === 'Always' || rp === '')
    errs.push(required(rpPath, 'valid values: "OnFailure", "Never"'));
  else if (rp !== 'OnFailure' && rp !== 'Never')
    errs.push(notSupported(rpPath, rp, ['OnFailure', 'Never']));
  else if (hasFailurePolicy && rp !== 'Never')
    errs.push(invalid(rpPath, rp, 'only "Never" is supported when podFailurePolicy is specified'));
  return errs;
}

function validateJobSpec(spec: Obj, path: Path): FieldError[] {
  const errs = validateJobSpecBody(spec, path);
  if (spec.selector === undefined || spec.selector === null)
    errs.push(required(path.child('selector')));
  else errs.push(...validateLabelSelector(spec.selector, path.child('selector')));
  const sel = labelSelectorAsSelector(spec.selector);
  const labels = strMap(obj(obj(spec.template)?.metadata)?.labels);
  if (sel && !sel.matches(labels)) {
    errs.push(
      invalid(
        path.child('template', 'metadata', 'labels'),
        sortedMap(labels),
        '`selector` does not match template `labels`',
      ),
    );
  }
  return errs;
}

export function validateJob(job: Obj): FieldError[] {
  const meta = obj(job.metadata) ?? {};
  const spec = obj(job.spec) ?? {};
  const errs = [
    ...validateObjectMeta(meta, true, nameIsDNSSubdomain),
    ...validateGeneratedSelector(job, true),
    ...validateJobSpec(spec, Path.root('spec')),
  ];
  const completions = num(spec.completions);
  if (str(spec.completionMode) === 'Indexed' && completions !== undefined && completions > 0) {
    const name = str(meta.name) ?? '';
    const host = `${name}-${completions - 1}`;
    if (isDNS1123Label(host).length) {
      errs.push(
        invalid(
          Path.root('metadata', 'name'),
          name,
          `will not able to create pod with invalid DNS label: ${host}`,
        ),
      );
    }
  }
  return errs;
}

export function validateJobUpdate(job: Obj, old: Obj): FieldError[] {
  const spec = obj(job.spec) ?? {};
  const oldSpec = obj(old.spec) ?? {};
  const path = Path.root('spec');
  const errs = [
    ...validateObjectMetaUpdate(job.metadata, old.metadata),
    ...validateJobSpec(spec, path),
  ];
  const isIndexed = str(spec.completionMode) === 'Indexed';
  if (!isIndexed)
    errs.push(
      ...validateImmutable(
        spec.completions ?? null,
        oldSpec.completions ?? null,
        path.child('completions'),
      ),
    );
  else if (
    spec.completions !== oldSpec.completions &&
    num(spec.completions) !== undefined &&
    num(spec.completions) !== num(spec.parallelism)
  ) {
    errs.push(
      invalid(
        path.child('completions'),
        spec.completions,
        'can only be modified in tandem with spec.parallelism',
      ),
    );
  }
  errs.push(
    ...validateImmutable(
      selectorValue(spec.selector),
      selectorValue(oldSpec.selector),
      path.child('selector'),
    ),
  );
  const template = structuredClone(obj(spec.template) ?? {});
  const oldTemplate = structuredClone(obj(oldSpec.template) ?? {});
  const suspended = oldSpec.suspend === true;
  const notStarted = !(str(obj(old.status)?.startTime) ?? '');
  if (suspended && notStarted) {
    const ts = obj(template.spec) ?? {};
    const os = obj(oldTemplate.spec) ?? {};
    oldTemplate.spec = os;
    os.nodeSelector = ts.nodeSelector;
    os.tolerations = ts.tolerations;
    os.schedulingGates = ts.schedulingGates;
    const ta = obj(ts.affinity);
    const oa = obj(os.affinity);
    if (!ta && oa) {
      delete oa.nodeAffinity;
      if (Object.keys(oa).length === 0) delete os.affinity;
    } else if (ta && !oa) os.affinity = { nodeAffinity: ta.nodeAffinity };
    else if (ta && oa) oa.nodeAffinity = ta.nodeAffinity;
    const tm = obj(template.metadata) ?? {};
    const om = obj(oldTemplate.metadata) ?? {};
    oldTemplate.metadata = om;
    om.annotations = tm.annotations;
    om.labels = tm.labels;
  }
  errs.push(...validateImmutable(template, oldTemplate, path.child('template')));
  for (const f of [
    'completionMode',
    'podFailurePolicy',
    'backoffLimitPerIndex',
    'managedBy',
    'successPolicy',
  ]) {
    errs.push(...validateImmutable(spec[f] ?? null, oldSpec[f] ?? null, path.child(f)));
  }
  return errs;
}

// ---------------- CronJob ----------------

const tzPartRe = /^[A-Za-z.\-_0-9+]{1,14}$/;

function validateTimeZone(tz: unknown, path: Path): FieldError[] {
  if (typeof tz !== 'string') return [];
  if (tz.length === 0) return [invalid(path, tz, 'timeZone must be nil or non-empty string')];
  for (const part of tz.split('/')) {
    if (part === '.' || part === '..' || part.startsWith('-') || !tzPartRe.test(part)) {
      return [invalid(path, tz, `unknown time zone ${tz}`)];
    }
  }
  const errs: FieldError[] = [];
  if (tz.toLowerCase() === 'local') {
    errs.push(
      invalid(
        path,
        tz,
        'timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones',
      ),
    );
  }
  if (!isKnownTimeZone(tz) || tz === 'Local')
    errs.push(invalid(path, tz, `unknown time zone ${tz}`));
  return errs;
}

function validateCronJobSpec(spec: Obj, oldSpec: Obj | undefined, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  const schedule = str(spec.schedule) ?? '';
  const sp = path.child('schedule');
  if (!schedule) errs.push(required(sp));
  else {
    const allowTZ = oldSpec ? (str(oldSpec.schedule) ?? '').includes('TZ') : false;
    const parsed = parseCronSchedule(schedule);
    if (typeof parsed === 'string') errs.push(invalid(sp, schedule, parsed));
    if (allowTZ && schedule.includes('TZ') && typeof spec.timeZone === 'string') {
      errs.push(
        invalid(sp, schedule, 'cannot use both timeZone field and TZ or CRON_TZ in schedule'),
      );
    } else if (!allowTZ && schedule.includes('TZ')) {
      errs.push(
        invalid(sp, schedule, 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead'),
      );
    }
  }
  errs.push(
    ...validateNonnegative(
      num(spec.startingDeadlineSeconds),
      path.child('startingDeadlineSeconds'),
    ),
  );
  if (!oldSpec || oldSpec.timeZone !== spec.timeZone)
    errs.push(...validateTimeZone(spec.timeZone, path.child('timeZone')));
  const cp = str(spec.concurrencyPolicy) ?? '';
  if (!cp) errs.push(required(path.child('concurrencyPolicy')));
  else if (!['Allow', 'Forbid', 'Replace'].includes(cp)) {
    errs.push(notSupported(path.child('concurrencyPolicy'), cp, ['Allow', 'Forbid', 'Replace']));
  }
  const jt = obj(spec.jobTemplate) ?? {};
  const jtSpec = obj(jt.spec) ?? {};
  const jp = path.child('jobTemplate');
  errs.push(...validateJobSpecBody(jtSpec, jp.child('spec')));
  if (jtSpec.selector !== undefined && jtSpec.selector !== null) {
    errs.push(
      invalid(
        jp.child('spec', 'selector'),
        selectorValue(jtSpec.selector),
        '`selector` will be auto-generated',
      ),
    );
  }
  if (bool(jtSpec.manualSelector) === true) {
    errs.push(notSupported(jp.child('spec', 'manualSelector'), true, ['nil', 'false']));
  }
  errs.push(
    ...validateNonnegative(
      num(spec.successfulJobsHistoryLimit),
      path.child('successfulJobsHistoryLimit'),
    ),
  );
  errs.push(
    ...validateNonnegative(num(spec.failedJobsHistoryLimit), path.child('failedJobsHistoryLimit')),
  );
  return errs;
}

export function validateCronJob(cj: Obj): FieldError[] {
  const meta = obj(cj.metadata) ?? {};
  const errs = [
    ...validateObjectMeta(meta, true, nameIsDNSSubdomain),
    ...validateCronJobSpec(obj(cj.spec) ?? {}, undefined, Path.root('spec')),
  ];
  const name = str(meta.name) ?? '';
  if (name.length > 52)
    errs.push(invalid(Path.root('metadata', 'name'), name, 'must be no more than 52 characters'));
  return errs;
}

export function validateCronJobUpdate(cj: Obj, old: Obj): FieldError[] {
  return [
    ...validateObjectMetaUpdate(cj.metadata, old.metadata),
    ...validateCronJobSpec(obj(cj.spec) ?? {}, obj(old.spec) ?? {}, Path.root('spec')),
  ];
}
