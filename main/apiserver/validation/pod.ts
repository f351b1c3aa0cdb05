// Pod and PodSpec validation (core validation: ValidatePodSpec, validateContainers, probes,
// env, ports, affinity, tolerations, ValidatePodCreate/ValidatePodUpdate, ValidatePodTemplateSpec).

import { goJSON } from '../../api/go-format.ts';
import { duplicate, forbidden, invalid, notFound, notSupported, Path, required } from './field.ts';
import {
  clone,
  intOrString,
  isObj,
  num,
  obj,
  objs,
  semanticEqual,
  str,
  strMap,
  strs,
  type Obj,
} from './json.ts';
import {
  isConfigMapKey,
  isDNS1123Label,
  isHTTPHeaderName,
  isQualifiedName,
  isRelaxedEnvVarName,
  isValidLabelValue,
  isValidPortName,
  isValidPortNum,
  nameIsDNSLabel,
  nameIsDNSSubdomain,
  inclusiveRangeError,
  regexError,
} from './names.ts';
import {
  validateAnnotations,
  validateLabelName,
  validateLabels,
  validateLabelSelector,
  validateNonnegative,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from './meta.ts';
import { isValidIP } from './ip.ts';
import {
  envFieldPaths,
  validateLocalDescendingPath,
  validateObjectFieldSelector,
  validatePathNoBacksteps,
  validatePullPolicy,
  validateResourceFieldSelector,
  validateVolumes,
} from './volumes.ts';
import { validatePodResourceName, validateResourceRequirements } from './resources.ts';
import type { FieldError } from '../../api/status.ts';

export interface PodValidationOptions {
  /** The spec belongs to a Pod (not a template): hostPort must equal containerPort with hostNetwork. */
  resourceIsPod: boolean;
}

const protocols = ['SCTP', 'TCP', 'UDP'];
const MAX_INT32 = 2147483647;

function validateContainerPorts(ports: unknown, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  objs(ports).forEach((port, i) => {
    const p = path.index(i);
    const name = str(port.name) ?? '';
    if (name) {
      const msgs = isValidPortName(name);
      if (msgs.length) errs.push(...msgs.map((m) => invalid(p.child('name'), name, m)));
      else if (names.has(name)) errs.push(duplicate(p.child('name'), name));
      else names.add(name);
    }
    const cp = num(port.containerPort) ?? 0;
    if (cp === 0) errs.push(required(p.child('containerPort')));
    else errs.push(...isValidPortNum(cp).map((m) => invalid(p.child('containerPort'), cp, m)));
    const hp = num(port.hostPort) ?? 0;
    if (hp !== 0) errs.push(...isValidPortNum(hp).map((m) => invalid(p.child('hostPort'), hp, m)));
    const proto = str(port.protocol) ?? '';
    if (!proto) errs.push(required(p.child('protocol')));
    else if (!protocols.includes(proto))
      errs.push(notSupported(p.child('protocol'), proto, protocols));
  });
  return errs;
}

function validateSecretLikeKeySelector(s: Obj, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  const name = str(s.name) ?? '';
  errs.push(...nameIsDNSSubdomain(name, false).map((m) => invalid(path.child('name'), name, m)));
  const key = str(s.key) ?? '';
  if (!key) errs.push(required(path.child('key')));
  else errs.push(...isConfigMapKey(key).map((m) => invalid(path.child('key'), key, m)));
  return errs;
}

function validateEnv(vars: unknown, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  objs(vars).forEach((ev, i) => {
    const p = path.index(i);
    const name = str(ev.name) ?? '';
    if (!name) errs.push(required(p.child('name')));
    else errs.push(...isRelaxedEnvVarName(name).map((m) => invalid(p.child('name'), name, m)));
    const from = obj(ev.valueFrom);
    if (!from) return;
    const fp = p.child('valueFrom');
    let n = 0;
    const fieldRef = obj(from.fieldRef);
    if (fieldRef) {
      n++;
      errs.push(...validateObjectFieldSelector(fieldRef, envFieldPaths, fp.child('fieldRef')));
    }
    const resourceFieldRef = obj(from.resourceFieldRef);
    if (resourceFieldRef) {
      n++;
      errs.push(
        ...validateResourceFieldSelector(resourceFieldRef, fp.child('resourceFieldRef'), false),
      );
    }
    const cm = obj(from.configMapKeyRef);
    if (cm) {
      n++;
      errs.push(...validateSecretLikeKeySelector(cm, fp.child('configMapKeyRef')));
    }
    const sec = obj(from.secretKeyRef);
    if (sec) {
      n++;
      errs.push(...validateSecretLikeKeySelector(sec, fp.child('secretKeyRef')));
    }
    if (n === 0) {
      errs.push(
        invalid(
          fp,
          '',
          'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`',
        ),
      );
    } else if ((str(ev.value) ?? '') !== '') {
      errs.push(invalid(fp, '', 'may not be specified when `value` is not empty'));
    } else if (n > 1) {
      errs.push(invalid(fp, '', 'may not have more than one field specified at a time'));
    }
  });
  return errs;
}

function validateEnvFrom(vars: unknown, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  objs(vars).forEach((ev, i) => {
    const p = path.index(i);
    const prefix = str(ev.prefix) ?? '';
    if (prefix)
      errs.push(...isRelaxedEnvVarName(prefix).map((m) => invalid(p.child('prefix'), prefix, m)));
    let n = 0;
    for (const kind of ['configMapRef', 'secretRef'] as const) {
      const ref = obj(ev[kind]);
      if (!ref) continue;
      n++;
      const name = str(ref.name) ?? '';
      if (!name) errs.push(required(p.child(kind, 'name')));
      else
        errs.push(
          ...nameIsDNSSubdomain(name, true).map((m) => invalid(p.child(kind, 'name'), name, m)),
        );
    }
    if (n === 0) errs.push(invalid(path, '', 'must specify one of: `configMapRef` or `secretRef`'));
    else if (n > 1)
      errs.push(invalid(path, '', 'may not have more than one field specified at a time'));
  });
  return errs;
}

const propagations = ['Bidirectional', 'HostToContainer', 'None'];
const recursiveReadOnlyModes = ['Disabled', 'Enabled', 'IfPossible'];

function validateVolumeMounts(container: Obj, volumes: Map<string, Obj>, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  const mountPoints = new Set<string>();
  const devices = new Map(
    objs(container.volumeDevices).map((d) => [str(d.name) ?? '', str(d.devicePath) ?? '']),
  );
  objs(container.volumeMounts).forEach((m, i) => {
    const p = path.index(i);
    const name = str(m.name) ?? '';
    const mountPath = str(m.mountPath) ?? '';
    if (!name) errs.push(required(p.child('name')));
    if (!volumes.has(name)) errs.push(notFound(p.child('name'), name));
    if (!mountPath) errs.push(required(p.child('mountPath')));
    if (mountPoints.has(mountPath))
      errs.push(invalid(p.child('mountPath'), mountPath, 'must be unique'));
    mountPoints.add(mountPath);
    if (devices.has(name))
      errs.push(invalid(p.child('name'), name, 'must not already exist in volumeDevices'));
    if ([...devices.values()].includes(mountPath)) {
      errs.push(
        invalid(
          p.child('mountPath'),
          mountPath,
          'must not already exist as a path in volumeDevices',
        ),
      );
    }
    const subPath = str(m.subPath) ?? '';
    const subPathExpr = str(m.subPathExpr) ?? '';
    if (isObj(volumes.get(name)?.image)) {
      if (subPath)
        errs.push(invalid(p.child('subPath'), subPath, 'not allowed in image volume sources'));
      if (subPathExpr)
        errs.push(
          invalid(p.child('subPathExpr'), subPathExpr, 'not allowed in image volume sources'),
        );
    }
    if (subPath) errs.push(...validateLocalDescendingPath(subPath, path.child('subPath')));
    if (subPathExpr) {
      if (subPath) {
        errs.push(
          invalid(
            p.child('subPathExpr'),
            subPathExpr,
            'subPathExpr and subPath are mutually exclusive',
          ),
        );
      }
      errs.push(...validateLocalDescendingPath(subPathExpr, path.child('subPathExpr')));
    }
    const prop = str(m.mountPropagation);
    if (prop !== undefined) {
      if (!propagations.includes(prop))
        errs.push(notSupported(path.child('mountPropagation'), prop, propagations));
      const privileged = obj(container.securityContext)?.privileged === true;
      if (prop === 'Bidirectional' && !privileged) {
        errs.push(
          forbidden(
            path.child('mountPropagation'),
            'Bidirectional mount propagation is available only to privileged containers',
          ),
        );
      }
    }
    const rro = str(m.recursiveReadOnly);
    if (rro !== undefined && rro !== 'Disabled') {
      const rroPath = path.child('recursiveReadOnly');
      if (rro === 'Enabled' || rro === 'IfPossible') {
        if (m.readOnly !== true)
          errs.push(forbidden(rroPath, 'may only be specified when readOnly is true'));
        if (prop !== undefined && prop !== 'None') {
          errs.push(
            forbidden(
              rroPath,
              'may only be specified when mountPropagation is None or not specified',
            ),
          );
        }
      } else errs.push(notSupported(rroPath, rro, recursiveReadOnlyModes));
    }
  });
  return errs;
}

function validateVolumeDevices(
  container: Obj,
  volumes: Map<string, Obj>,
  path: Path,
): FieldError[] {
  const errs: FieldError[] = [];
  const mounts = new Map(
    objs(container.volumeMounts).map((m) => [str(m.name) ?? '', str(m.mountPath) ?? '']),
  );
  const paths = new Set<string>();
  const names = new Set<string>();
  objs(container.volumeDevices).forEach((d, i) => {
    const p = path.index(i);
    const name = str(d.name) ?? '';
    const devicePath = str(d.devicePath) ?? '';
    const vol = volumes.get(name);
    const isPVC = vol !== undefined && (isObj(vol.persistentVolumeClaim) || isObj(vol.ephemeral));
    if (!name) errs.push(required(p.child('name')));
    if (names.has(name)) errs.push(invalid(p.child('name'), name, 'must be unique'));
    if (vol && !isPVC) {
      errs.push(
        invalid(
          p.child('name'),
          name,
          'can only use volume source type of PersistentVolumeClaim or Ephemeral for block mode',
        ),
      );
    }
    if (!vol) errs.push(notFound(p.child('name'), name));
    if (!devicePath) errs.push(required(p.child('devicePath')));
    if (paths.has(devicePath))
      errs.push(invalid(p.child('devicePath'), devicePath, 'must be unique'));
    if (devicePath && validatePathNoBacksteps(devicePath, p).length) {
      errs.push(invalid(p.child('devicePath'), devicePath, "can not contain backsteps ('..')"));
    } else paths.add(devicePath);
    if (mounts.has(name))
      errs.push(invalid(p.child('name'), name, 'must not already exist in volumeMounts'));
    if ([...mounts.values()].includes(devicePath)) {
      errs.push(
        invalid(
          p.child('devicePath'),
          devicePath,
          'must not already exist as a path in volumeMounts',
        ),
      );
    }
    if (name) names.add(name);
  });
  return errs;
}

/** ValidatePortNumOrName. */
export function validatePortNumOrName(value: unknown, path: Path): FieldError[] {
  const p = intOrString(value);
  if (!p) return [invalid(path, value ?? 0, inclusiveRangeError(1, 65535))];
  if (p.kind === 'int') return isValidPortNum(p.value).map((m) => invalid(path, p.value, m));
  return isValidPortName(p.value).map((m) => invalid(path, p.value, m));
}

const httpSchemes = ['HTTP', 'HTTPS'];

function validateHandler(
  h: Obj,
  gracePeriod: number | undefined,
  path: Path,
  allowSleep: boolean,
  allowGrpc: boolean,
): FieldError[] {
  const errs: FieldError[] = [];
  let n = 0;
  const kinds: Array<[string, (v: Obj, p: Path) => FieldError[]]> = [
    ['exec', (v, p) => (strs(v.command).length ? [] : [required(p.child('command'))])],
    [
      'httpGet',
      (v, p) => {
        const e: FieldError[] = [];
        if (!(str(v.path) ?? '')) e.push(required(p.child('path')));
        e.push(...validatePortNumOrName(v.port, p.child('port')));
        const scheme = str(v.scheme) ?? '';
        if (!httpSchemes.includes(scheme))
          e.push(notSupported(p.child('scheme'), scheme, httpSchemes));
        for (const header of objs(v.httpHeaders)) {
          const hn = str(header.name) ?? '';
          e.push(...isHTTPHeaderName(hn).map((m) => invalid(p.child('httpHeaders'), hn, m)));
        }
        return e;
      },
    ],
    ['tcpSocket', (v, p) => validatePortNumOrName(v.port, p.child('port'))],
  ];
  if (allowGrpc)
    kinds.push(['grpc', (v, p) => validatePortNumOrName(num(v.port) ?? 0, p.child('port'))]);
  if (allowSleep) {
    kinds.push([
      'sleep',
      (v, p) => {
        const secs = num(v.seconds) ?? 0;
        if (gracePeriod !== undefined && (secs < 0 || secs > gracePeriod)) {
          return [
            invalid(
              p,
              secs,
              `must be non-negative and less than terminationGracePeriodSeconds (${gracePeriod})`,
            ),
          ];
        }
        return [];
      },
    ]);
  }
  for (const [key, check] of kinds) {
    const v = obj(h[key]);
    if (!v) continue;
    if (n > 0) errs.push(forbidden(path.child(key), 'may not specify more than 1 handler type'));
    else {
      n++;
      errs.push(...check(v, path.child(key)));
    }
  }
  if (n === 0) errs.push(required(path, 'must specify a handler type'));
  return errs;
}

function validateProbe(probe: Obj, gracePeriod: number | undefined, path: Path): FieldError[] {
  const errs = validateHandler(probe, gracePeriod, path, false, true);
  for (const f of [
    'initialDelaySeconds',
    'timeoutSeconds',
    'periodSeconds',
    'successThreshold',
    'failureThreshold',
  ]) {
    errs.push(...validateNonnegative(num(probe[f]) ?? 0, path.child(f)));
  }
  const tgps = num(probe.terminationGracePeriodSeconds);
  if (tgps !== undefined && tgps <= 0) {
    errs.push(invalid(path.child('terminationGracePeriodSeconds'), tgps, 'must be greater than 0'));
  }
  return errs;
}

function validateProbes(c: Obj, gracePeriod: number | undefined, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  for (const kind of ['livenessProbe', 'readinessProbe', 'startupProbe'] as const) {
    const probe = obj(c[kind]);
    if (!probe) continue;
    const p = path.child(kind);
    errs.push(...validateProbe(probe, gracePeriod, p));
    if (kind !== 'readinessProbe' && (num(probe.successThreshold) ?? 0) !== 1) {
      errs.push(
        invalid(p.child('successThreshold'), num(probe.successThreshold) ?? 0, 'must be 1'),
      );
    }
    if (
      kind === 'readinessProbe' &&
      probe.terminationGracePeriodSeconds !== undefined &&
      probe.terminationGracePeriodSeconds !== null
    ) {
      errs.push(
        invalid(
          p.child('terminationGracePeriodSeconds'),
          probe.terminationGracePeriodSeconds,
          'must not be set for readinessProbes',
        ),
      );
    }
  }
  return errs;
}

function validateLifecycle(
  lifecycle: Obj,
  gracePeriod: number | undefined,
  path: Path,
): FieldError[] {
  const errs: FieldError[] = [];
  for (const hook of ['postStart', 'preStop'] as const) {
    const h = obj(lifecycle[hook]);
    if (h) errs.push(...validateHandler(h, gracePeriod, path.child(hook), true, false));
  }
  return errs;
}

const seccompTypes = ['Localhost', 'RuntimeDefault', 'Unconfined'];

function validateSeccompProfileField(sp: unknown, path: Path): FieldError[] {
  const p = obj(sp);
  if (!p) return [];
  const errs: FieldError[] = [];
  const type = str(p.type) ?? '';
  if (!type) errs.push(required(path.child('type'), 'type is required when seccompProfile is set'));
  else if (!seccompTypes.includes(type))
    errs.push(notSupported(path.child('type'), type, seccompTypes));
  const local = str(p.localhostProfile);
  if (type === 'Localhost') {
    if (local === undefined) {
      errs.push(
        required(path.child('localhostProfile'), 'must be set when seccomp type is Localhost'),
      );
    } else errs.push(...validateLocalDescendingPath(local, path.child('localhostProfile')));
  } else if (local !== undefined) {
    errs.push(
      invalid(path.child('localhostProfile'), p, 'can only be set when seccomp type is Localhost'),
    );
  }
  return errs;
}

function validateAppArmorProfile(ap: unknown, path: Path): FieldError[] {
  const p = obj(ap);
  if (!p) return [];
  const type = str(p.type) ?? '';
  const local = str(p.localhostProfile);
  switch (type) {
    case 'Localhost':
      if (local === undefined || local.trim() === '') {
        return [
          required(path.child('localhostProfile'), 'must be set when AppArmor type is Localhost'),
        ];
      }
      if (local.trim() !== local) {
        return [
          invalid(path.child('localhostProfile'), local, 'must not be padded with whitespace'),
        ];
      }
      return [];
    case 'RuntimeDefault':
    case 'Unconfined':
      return local !== undefined
        ? [
            invalid(
              path.child('localhostProfile'),
              local,
              'can only be set when AppArmor type is Localhost',
            ),
          ]
        : [];
    case '':
      return [required(path.child('type'), 'type is required when appArmorProfile is set')];
    default:
      return [notSupported(path.child('type'), type, seccompTypes)];
  }
}

function validateIDs(sc: Obj, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  for (const f of ['runAsUser', 'runAsGroup'] as const) {
    const v = num(sc[f]);
    if (v !== undefined && (v < 0 || v > MAX_INT32)) {
      errs.push(invalid(path.child(f), v, inclusiveRangeError(0, MAX_INT32)));
    }
  }
  return errs;
}

function validateContainerSecurityContext(
  scValue: unknown,
  path: Path,
  hostUsers: boolean,
): FieldError[] {
  const sc = obj(scValue);
  if (!sc) return [];
  const errs = validateIDs(sc, path);
  const procMount = str(sc.procMount);
  if (procMount !== undefined) {
    if (procMount !== 'Default' && procMount !== 'Unmasked') {
      errs.push(notSupported(path.child('procMount'), procMount, ['Default', 'Unmasked']));
    }
    if (hostUsers && procMount === 'Unmasked') {
      errs.push(
        invalid(path.child('procMount'), procMount, '`hostUsers` must be false to use `Unmasked`'),
      );
    }
  }
  errs.push(...validateSeccompProfileField(sc.seccompProfile, path.child('seccompProfile')));
  if (sc.allowPrivilegeEscalation === false) {
    if (sc.privileged === true) {
      errs.push(
        invalid(
          path,
          sc,
          'cannot set `allowPrivilegeEscalation` to false and `privileged` to true',
        ),
      );
    }
    if (strs(obj(sc.capabilities)?.add).includes('CAP_SYS_ADMIN')) {
      errs.push(
        invalid(
          path,
          sc,
          'cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN',
        ),
      );
    }
  }
  errs.push(...validateAppArmorProfile(sc.appArmorProfile, path.child('appArmorProfile')));
  return errs;
}

const terminationMessagePolicies = ['File', 'FallbackToLogsOnError'];
const resizeResources = ['cpu', 'memory'];
const resizePolicies = ['NotRequired', 'RestartContainer'];

function validateContainerCommon(
  c: Obj,
  volumes: Map<string, Obj>,
  podClaimNames: Set<string>,
  path: Path,
  restartPolicy: string,
  hostUsers: boolean,
): FieldError[] {
  const errs: FieldError[] = [];
  const name = str(c.name) ?? '';
  if (!name) errs.push(required(path.child('name')));
  else errs.push(...isDNS1123Label(name).map((m) => invalid(path.child('name'), name, m)));
  if (!(str(c.image) ?? '')) errs.push(required(path.child('image')));
  const tmp = str(c.terminationMessagePolicy) ?? '';
  if (!tmp) errs.push(required(path.child('terminationMessagePolicy')));
  else if (!terminationMessagePolicies.includes(tmp)) {
    errs.push(
      notSupported(path.child('terminationMessagePolicy'), tmp, terminationMessagePolicies),
    );
  }
  errs.push(...validateContainerPorts(c.ports, path.child('ports')));
  errs.push(...validateEnv(c.env, path.child('env')));
  errs.push(...validateEnvFrom(c.envFrom, path.child('envFrom')));
  errs.push(...validateVolumeMounts(c, volumes, path.child('volumeMounts')));
  errs.push(...validateVolumeDevices(c, volumes, path.child('volumeDevices')));
  errs.push(...validatePullPolicy(c.imagePullPolicy, path.child('imagePullPolicy')));
  errs.push(...validateResourceRequirements(c.resources, podClaimNames, path.child('resources')));
  const seen = new Set<string>();
  const rpPath = path.child('resizePolicy');
  objs(c.resizePolicy).forEach((p, i) => {
    const rn = str(p.resourceName) ?? '';
    const rp = str(p.restartPolicy) ?? '';
    if (seen.has(rn)) errs.push(duplicate(rpPath.index(i), rn));
    seen.add(rn);
    if (!rn) errs.push(required(rpPath));
    else if (!resizeResources.includes(rn)) errs.push(notSupported(rpPath, rn, resizeResources));
    if (!rp) errs.push(required(rpPath));
    else if (!resizePolicies.includes(rp)) errs.push(notSupported(rpPath, rp, resizePolicies));
    if (restartPolicy === 'Never' && rp !== 'NotRequired') {
      errs.push(invalid(rpPath, rp, "must be 'NotRequired' when `restartPolicy` is 'Never'"));
    }
  });
  errs.push(
    ...validateContainerSecurityContext(
      c.securityContext,
      path.child('securityContext'),
      hostUsers,
    ),
  );
  return errs;
}

function checkHostPortConflicts(containers: Obj[], path: Path): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  containers.forEach((c, ci) => {
    objs(c.ports).forEach((port, pi) => {
      const hp = num(port.hostPort) ?? 0;
      if (hp === 0) return;
      const key = `${str(port.protocol) ?? ''}/${str(port.hostIP) ?? ''}/${hp}`;
      if (seen.has(key))
        errs.push(duplicate(path.index(ci).child('ports').index(pi).child('hostPort'), key));
      else seen.add(key);
    });
  });
  return errs;
}

interface SpecContext {
  volumes: Map<string, Obj>;
  podClaimNames: Set<string>;
  gracePeriod: number | undefined;
  restartPolicy: string;
  hostUsers: boolean;
}

function validateContainers(list: unknown, ctx: SpecContext, path: Path): FieldError[] {
  const containers = objs(list);
  if (containers.length === 0) return [required(path)];
  const errs: FieldError[] = [];
  const names = new Set<string>();
  containers.forEach((c, i) => {
    const p = path.index(i);
    errs.push(
      ...validateContainerCommon(
        c,
        ctx.volumes,
        ctx.podClaimNames,
        p,
        ctx.restartPolicy,
        ctx.hostUsers,
      ),
    );
    const name = str(c.name) ?? '';
    if (names.has(name)) errs.push(duplicate(p.child('name'), name));
    else names.add(name);
    const lifecycle = obj(c.lifecycle);
    if (lifecycle)
      errs.push(...validateLifecycle(lifecycle, ctx.gracePeriod, p.child('lifecycle')));
    errs.push(...validateProbes(c, ctx.gracePeriod, p));
    if (c.restartPolicy !== undefined && c.restartPolicy !== null) {
      errs.push(forbidden(p.child('restartPolicy'), 'may not be set for non-init containers'));
    }
  });
  errs.push(...checkHostPortConflicts(containers, path));
  return errs;
}

function validateInitContainers(
  list: unknown,
  regular: Obj[],
  ctx: SpecContext,
  path: Path,
): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set(regular.map((c) => str(c.name) ?? ''));
  objs(list).forEach((c, i) => {
    const p = path.index(i);
    errs.push(
      ...validateContainerCommon(
        c,
        ctx.volumes,
        ctx.podClaimNames,
        p,
        ctx.restartPolicy,
        ctx.hostUsers,
      ),
    );
    let always = false;
    if (c.restartPolicy !== undefined && c.restartPolicy !== null) {
      const rp = str(c.restartPolicy) ?? '';
      if (rp !== 'Always') errs.push(notSupported(p.child('restartPolicy'), rp, ['Always']));
      always = rp === 'Always';
    }
    const name = str(c.name) ?? '';
    if (names.has(name)) errs.push(duplicate(p.child('name'), name));
    else if (name) names.add(name);
    errs.push(...checkHostPortConflicts([c], path));
    if (always) {
      const lifecycle = obj(c.lifecycle);
      if (lifecycle)
        errs.push(...validateLifecycle(lifecycle, ctx.gracePeriod, p.child('lifecycle')));
      errs.push(...validateProbes(c, ctx.gracePeriod, p));
    } else {
      for (const f of ['lifecycle', 'livenessProbe', 'readinessProbe', 'startupProbe']) {
        if (c[f] !== undefined && c[f] !== null) {
          errs.push(
            forbidden(
              p.child(f),
              'may not be set for init containers without restartPolicy=Always',
            ),
          );
        }
      }
    }
  });
  return errs;
}

function validateEphemeralContainers(
  list: unknown,
  spec: Obj,
  ctx: SpecContext,
  path: Path,
): FieldError[] {
  const errs: FieldError[] = [];
  const others = new Set(
    [...objs(spec.containers), ...objs(spec.initContainers)].map((c) => str(c.name) ?? ''),
  );
  const all = new Set(others);
  objs(list).forEach((c, i) => {
    const p = path.index(i);
    errs.push(
      ...validateContainerCommon(
        c,
        ctx.volumes,
        ctx.podClaimNames,
        p,
        ctx.restartPolicy,
        ctx.hostUsers,
      ),
    );
    const name = str(c.name) ?? '';
    if (all.has(name)) errs.push(duplicate(p.child('name'), name));
    else all.add(name);
    const target = str(c.targetContainerName) ?? '';
    if (target && !others.has(target)) errs.push(notFound(p.child('targetContainerName'), target));
    for (const f of [
      'ports',
      'resources',
      'livenessProbe',
      'readinessProbe',
      'startupProbe',
      'lifecycle',
      'resizePolicy',
      'restartPolicy',
    ]) {
      const v = c[f];
      if (
        v !== undefined &&
        v !== null &&
        !(Array.isArray(v) && v.length === 0) &&
        !(isObj(v) && Object.keys(v).length === 0)
      ) {
        errs.push(forbidden(p.child(f), 'cannot be set for an Ephemeral Container'));
      }
    }
    objs(c.volumeMounts).forEach((vm, j) => {
      if (str(vm.subPath))
        errs.push(
          forbidden(
            p.child('volumeMounts').index(j).child('subPath'),
            'cannot be set for an Ephemeral Container',
          ),
        );
      if (str(vm.subPathExpr)) {
        errs.push(
          forbidden(
            p.child('volumeMounts').index(j).child('subPathExpr'),
            'cannot be set for an Ephemeral Container',
          ),
        );
      }
    });
  });
  return errs;
}

const restartPolicies = ['Always', 'OnFailure', 'Never'];
const dnsPolicies = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];
const taintEffects = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

export function validateTaintEffect(effect: string, allowEmpty: boolean, path: Path): FieldError[] {
  if (!allowEmpty && !effect) return [required(path)];
  return taintEffects.includes(effect) ? [] : [notSupported(path, effect, taintEffects)];
}

/** ValidateTolerations. */
export function validateTolerations(tolerations: unknown, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  objs(tolerations).forEach((t, i) => {
    const p = path.index(i);
    const key = str(t.key) ?? '';
    const op = str(t.operator) ?? '';
    const value = str(t.value) ?? '';
    const effect = str(t.effect) ?? '';
    if (key) errs.push(...validateLabelName(key, p.child('key')));
    if (!key && op !== 'Exists') {
      errs.push(
        invalid(
          p.child('operator'),
          op,
          'operator must be Exists when `key` is empty, which means "match all values and all keys"',
        ),
      );
    }
    if (
      t.tolerationSeconds !== undefined &&
      t.tolerationSeconds !== null &&
      effect !== 'NoExecute'
    ) {
      errs.push(
        invalid(
          p.child('effect'),
          effect,
          "effect must be 'NoExecute' when `tolerationSeconds` is set",
        ),
      );
    }
    if (op === 'Equal' || op === '') {
      const msgs = isValidLabelValue(value);
      if (msgs.length) errs.push(invalid(p.child('operator'), value, msgs.join(';')));
    } else if (op === 'Exists') {
      if (value)
        errs.push(
          invalid(p.child('operator'), value, "value must be empty when `operator` is 'Exists'"),
        );
    } else errs.push(notSupported(p.child('operator'), op, ['Equal', 'Exists']));
    if (effect) errs.push(...validateTaintEffect(effect, true, p.child('effect')));
  });
  return errs;
}

function validateNodeSelectorRequirement(
  rq: Obj,
  allowInvalidValues: boolean,
  path: Path,
): FieldError[] {
  const errs: FieldError[] = [];
  const op = str(rq.operator) ?? '';
  const values = strs(rq.values);
  if (op === 'In' || op === 'NotIn') {
    if (!values.length)
      errs.push(
        required(path.child('values'), "must be specified when `operator` is 'In' or 'NotIn'"),
      );
  } else if (op === 'Exists' || op === 'DoesNotExist') {
    if (values.length) {
      errs.push(
        forbidden(
          path.child('values'),
          "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
        ),
      );
    }
  } else if (op === 'Gt' || op === 'Lt') {
    if (values.length !== 1) {
      errs.push(
        required(
          path.child('values'),
          "must be specified single value when `operator` is 'Lt' or 'Gt'",
        ),
      );
    }
  } else errs.push(invalid(path.child('operator'), op, 'not a valid selector operator'));
  errs.push(...validateLabelName(str(rq.key) ?? '', path.child('key')));
  if (!allowInvalidValues) {
    values.forEach((v, i) =>
      errs.push(...isValidLabelValue(v).map((m) => invalid(path.child('values').index(i), v, m))),
    );
  }
  return errs;
}

function validateNodeSelectorTerm(
  term: Obj,
  allowInvalidValues: boolean,
  path: Path,
): FieldError[] {
  const errs: FieldError[] = [];
  objs(term.matchExpressions).forEach((r, j) => {
    errs.push(
      ...validateNodeSelectorRequirement(
        r,
        allowInvalidValues,
        path.child('matchExpressions').index(j),
      ),
    );
  });
  objs(term.matchFields).forEach((r, j) => {
    const p = path.child('matchFields').index(j);
    const op = str(r.operator) ?? '';
    const values = strs(r.values);
    if (op === 'In' || op === 'NotIn') {
      if (values.length !== 1) {
        errs.push(
          required(
            p.child('values'),
            "must be only one value when `operator` is 'In' or 'NotIn' for node field selector",
          ),
        );
      }
    } else errs.push(invalid(p.child('operator'), op, 'not a valid selector operator'));
    const key = str(r.key) ?? '';
    if (key !== 'metadata.name')
      errs.push(invalid(p.child('key'), key, 'not a valid field selector key'));
    else {
      values.forEach((v, i) =>
        errs.push(
          ...nameIsDNSSubdomain(v, false).map((m) => invalid(p.child('values').index(i), v, m)),
        ),
      );
    }
  });
  return errs;
}

/** ValidateNodeSelector (required node affinity). */
export function validateNodeSelector(
  ns: Obj,
  allowInvalidValues: boolean,
  path: Path,
): FieldError[] {
  const termsPath = path.child('nodeSelectorTerms');
  const terms = objs(ns.nodeSelectorTerms);
  if (!terms.length) return [required(termsPath, 'must have at least one node selector term')];
  return terms.flatMap((t, i) =>
    validateNodeSelectorTerm(t, allowInvalidValues, termsPath.index(i)),
  );
}

function validatePodAffinityTerm(term: Obj, path: Path): FieldError[] {
  const errs = [
    ...validateLabelSelector(term.labelSelector, path.child('labelSelector')),
    ...validateLabelSelector(term.namespaceSelector, path.child('namespaceSelector')),
  ];
  for (const ns of strs(term.namespaces)) {
    errs.push(...nameIsDNSLabel(ns, false).map((m) => invalid(path.child('namespace'), ns, m)));
  }
  const match = strs(term.matchLabelKeys);
  const mismatch = strs(term.mismatchLabelKeys);
  const sel = obj(term.labelSelector);
  for (const [field, keys] of [
    ['matchLabelKeys', match],
    ['mismatchLabelKeys', mismatch],
  ] as const) {
    if (!keys.length) continue;
    if (!sel)
      errs.push(
        forbidden(path.child(field), 'must not be specified when labelSelector is not set'),
      );
    else keys.forEach((k, i) => errs.push(...validateLabelName(k, path.child(field).index(i))));
  }
  match.forEach((k, i) => {
    if (mismatch.includes(k)) {
      errs.push(
        invalid(
          path.child('matchLabelKeys').index(i),
          k,
          'exists in both matchLabelKeys and mismatchLabelKeys',
        ),
      );
    }
  });
  const topologyKey = str(term.topologyKey) ?? '';
  if (!topologyKey) errs.push(required(path.child('topologyKey'), 'can not be empty'));
  errs.push(...validateLabelName(topologyKey, path.child('topologyKey')));
  return errs;
}

function validateWeighted(
  terms: unknown,
  path: Path,
  inner: (t: Obj, p: Path) => FieldError[],
  innerField: string,
): FieldError[] {
  const errs: FieldError[] = [];
  objs(terms).forEach((t, i) => {
    const w = num(t.weight) ?? 0;
    if (w <= 0 || w > 100)
      errs.push(invalid(path.index(i).child('weight'), w, 'must be in the range 1-100'));
    errs.push(...inner(obj(t[innerField]) ?? {}, path.index(i).child(innerField)));
  });
  return errs;
}

function validateAffinity(affinity: unknown, path: Path): FieldError[] {
  const a = obj(affinity);
  if (!a) return [];
  const errs: FieldError[] = [];
  const na = obj(a.nodeAffinity);
  if (na) {
    const p = path.child('nodeAffinity');
    const req = obj(na.requiredDuringSchedulingIgnoredDuringExecution);
    if (req)
      errs.push(
        ...validateNodeSelector(
          req,
          false,
          p.child('requiredDuringSchedulingIgnoredDuringExecution'),
        ),
      );
    errs.push(
      ...validateWeighted(
        na.preferredDuringSchedulingIgnoredDuringExecution,
        p.child('preferredDuringSchedulingIgnoredDuringExecution'),
        (t, tp) => validateNodeSelectorTerm(t, true, tp),
        'preference',
      ),
    );
  }
  for (const kind of ['podAffinity', 'podAntiAffinity'] as const) {
    const pa = obj(a[kind]);
    if (!pa) continue;
    const p = path.child(kind);
    objs(pa.requiredDuringSchedulingIgnoredDuringExecution).forEach((t, i) => {
      errs.push(
        ...validatePodAffinityTerm(
          t,
          p.child('requiredDuringSchedulingIgnoredDuringExecution').index(i),
        ),
      );
    });
    errs.push(
      ...validateWeighted(
        pa.preferredDuringSchedulingIgnoredDuringExecution,
        p.child('preferredDuringSchedulingIgnoredDuringExecution'),
        validatePodAffinityTerm,
        'podAffinityTerm',
      ),
    );
  }
  return errs;
}

const underscoreLabel = '_?[a-z0-9]([-_a-z0-9]*[a-z0-9])?';
const underscoreSubdomainFmt = `${underscoreLabel}(\\.${underscoreLabel})*`;
const underscoreSubdomainRe = new RegExp(`^${underscoreSubdomainFmt}$`);

function validateDNSConfig(config: unknown, dnsPolicy: string, path: Path): FieldError[] {
  const c = obj(config);
  if (dnsPolicy === 'None') {
    if (!c) return [required(path, 'must provide `dnsConfig` when `dnsPolicy` is None')];
    if (!strs(c.nameservers).length) {
      return [
        required(
          path.child('nameservers'),
          'must provide at least one DNS nameserver when `dnsPolicy` is None',
        ),
      ];
    }
  }
  if (!c) return [];
  const errs: FieldError[] = [];
  const nameservers = strs(c.nameservers);
  if (nameservers.length > 3)
    errs.push(
      invalid(path.child('nameservers'), nameservers, 'must not have more than 3 nameservers'),
    );
  nameservers.forEach((ns, i) => errs.push(...isValidIP(path.child('nameservers').index(i), ns)));
  const searches = strs(c.searches);
  if (searches.length > 32)
    errs.push(invalid(path.child('searches'), searches, 'must not have more than 32 search paths'));
  if (searches.join(' ').length > 2048) {
    errs.push(
      invalid(
        path.child('searches'),
        searches,
        'must not have more than 2048 characters (including spaces) in the search list',
      ),
    );
  }
  searches.forEach((s, i) => {
    if (s === '.') return;
    const search = s.endsWith('.') ? s.slice(0, -1) : s;
    const msgs: string[] = [];
    if (search.length > 253) msgs.push('must be no more than 253 characters');
    if (!underscoreSubdomainRe.test(search)) {
      msgs.push(
        regexError(
          "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '_', '-' or '.', and must start and end with an alphanumeric character",
          underscoreSubdomainFmt,
          'example.com',
        ),
      );
    }
    errs.push(...msgs.map((m) => invalid(path.child('searches').index(i), search, m)));
  });
  objs(c.options).forEach((o, i) => {
    if (!(str(o.name) ?? ''))
      errs.push(required(path.child('options').index(i), 'must not be empty'));
  });
  return errs;
}

const fsGroupChangePolicies = ['Always', 'OnRootMismatch'];
const sysctlRe = /^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?$/;

function validatePodSecurityContext(scValue: unknown, path: Path): FieldError[] {
  const sc = obj(scValue);
  if (!sc) return [];
  const errs: FieldError[] = [];
  const fsGroup = num(sc.fsGroup);
  if (fsGroup !== undefined && (fsGroup < 0 || fsGroup > MAX_INT32)) {
    errs.push(invalid(path.child('fsGroup'), fsGroup, inclusiveRangeError(0, MAX_INT32)));
  }
  errs.push(...validateIDs(sc, path));
  arrNums(sc.supplementalGroups).forEach((g, i) => {
    if (g < 0 || g > MAX_INT32)
      errs.push(
        invalid(path.child('supplementalGroups').index(i), g, inclusiveRangeError(0, MAX_INT32)),
      );
  });
  const names = new Set<string>();
  objs(sc.sysctls).forEach((s, i) => {
    const name = str(s.name) ?? '';
    const p = path.child('sysctls').index(i).child('name');
    if (!name) errs.push(required(p));
    else if (name.length > 253 || !sysctlRe.test(name)) {
      errs.push(
        invalid(p, name, `must have at most 253 characters and match regex ${sysctlRe.source}`),
      );
    } else if (names.has(name)) errs.push(duplicate(p, name));
    names.add(name);
  });
  const fgcp = str(sc.fsGroupChangePolicy);
  if (fgcp !== undefined && !fsGroupChangePolicies.includes(fgcp)) {
    errs.push(notSupported(path.child('fsGroupChangePolicy'), fgcp, fsGroupChangePolicies));
  }
  errs.push(...validateSeccompProfileField(sc.seccompProfile, path.child('seccompProfile')));
  errs.push(...validateAppArmorProfile(sc.appArmorProfile, path.child('appArmorProfile')));
  const sgp = str(sc.supplementalGroupsPolicy);
  if (sgp !== undefined && sgp !== 'Merge' && sgp !== 'Strict') {
    errs.push(notSupported(path.child('supplementalGroupsPolicy'), sgp, ['Merge', 'Strict']));
  }
  const selinux = str(sc.seLinuxChangePolicy);
  if (selinux !== undefined && selinux !== 'MountOption' && selinux !== 'Recursive') {
    errs.push(
      notSupported(path.child('seLinuxChangePolicy'), selinux, ['MountOption', 'Recursive']),
    );
  }
  return errs;
}

function arrNums(v: unknown): number[] {
  return Array.isArray(v) ? v.filter((x): x is number => typeof x === 'number') : [];
}

const whenUnsatisfiable = ['DoNotSchedule', 'ScheduleAnyway'];
const inclusionPolicies = ['Honor', 'Ignore'];

function validateTopologySpread(constraints: unknown, path: Path): FieldError[] {
  const list = objs(constraints);
  const errs: FieldError[] = [];
  list.forEach((c, i) => {
    const p = path.index(i);
    const maxSkew = num(c.maxSkew) ?? 0;
    if (maxSkew <= 0) errs.push(invalid(p.child('maxSkew'), maxSkew, 'must be greater than zero'));
    const key = str(c.topologyKey) ?? '';
    if (!key) errs.push(required(p.child('topologyKey'), 'can not be empty'));
    const action = str(c.whenUnsatisfiable) ?? '';
    if (!whenUnsatisfiable.includes(action))
      errs.push(notSupported(p.child('whenUnsatisfiable'), action, whenUnsatisfiable));
    if (
      list
        .slice(i + 1)
        .some(
          (o) =>
            str(o.topologyKey) === str(c.topologyKey) &&
            str(o.whenUnsatisfiable) === str(c.whenUnsatisfiable),
        )
    ) {
      errs.push(duplicate(p.child('{topologyKey, whenUnsatisfiable}'), `{${key}, ${action}}`));
    }
    const minDomains = num(c.minDomains);
    if (minDomains !== undefined) {
      if (minDomains <= 0)
        errs.push(invalid(p.child('minDomains'), minDomains, 'must be greater than zero'));
      if (action !== 'DoNotSchedule') {
        errs.push(
          invalid(
            p.child('minDomains'),
            minDomains,
            `can only use minDomains if whenUnsatisfiable=DoNotSchedule, not ${action}`,
          ),
        );
      }
    }
    for (const f of ['nodeAffinityPolicy', 'nodeTaintsPolicy'] as const) {
      const v = str(c[f]);
      if (v !== undefined && !inclusionPolicies.includes(v))
        errs.push(notSupported(p.child(f), v, inclusionPolicies));
    }
    const keys = strs(c.matchLabelKeys);
    if (keys.length) {
      const sel = obj(c.labelSelector);
      const selKeys = new Set([
        ...Object.keys(strMap(sel?.matchLabels)),
        ...objs(sel?.matchExpressions).map((e) => str(e.key) ?? ''),
      ]);
      if (!sel)
        errs.push(
          forbidden(
            p.child('matchLabelKeys'),
            'must not be specified when labelSelector is not set',
          ),
        );
      keys.forEach((k, j) => {
        errs.push(...validateLabelName(k, p.child('matchLabelKeys').index(j)));
        if (selKeys.has(k))
          errs.push(
            invalid(
              p.child('matchLabelKeys').index(j),
              k,
              'exists in both matchLabelKeys and labelSelector',
            ),
          );
      });
    }
    errs.push(...validateLabelSelector(c.labelSelector, p.child('labelSelector')));
  });
  return errs;
}

/** ValidatePodSpec. `podMeta` is given only for real pods (for generic ephemeral volume names). */
export function validatePodSpec(
  specValue: unknown,
  podMeta: Obj | undefined,
  path: Path,
  opts: PodValidationOptions,
): FieldError[] {
  const spec = obj(specValue) ?? {};
  const errs: FieldError[] = [];
  if (
    spec.terminationGracePeriodSeconds === undefined ||
    spec.terminationGracePeriodSeconds === null
  ) {
    errs.push(required(path.child('terminationGracePeriodSeconds')));
  }
  const sc = obj(spec.securityContext);
  const hostUsers = sc?.hostUsers !== false && spec.hostUsers !== false;
  const vols = validateVolumes(spec.volumes, podMeta, path.child('volumes'), opts.resourceIsPod);
  errs.push(...vols.errors);
  const podClaimNames = new Set(
    objs(spec.resourceClaims)
      .map((c) => str(c.name) ?? '')
      .filter((n) => n),
  );
  const claimNames = new Set<string>();
  objs(spec.resourceClaims).forEach((c, i) => {
    const p = path.child('resourceClaims').index(i);
    const name = str(c.name) ?? '';
    if (!name) errs.push(required(p.child('name')));
    else if (claimNames.has(name)) errs.push(duplicate(p.child('name'), name));
    else {
      errs.push(...isDNS1123Label(name).map((m) => invalid(p.child('name'), name, m)));
      claimNames.add(name);
    }
    const hasName = typeof c.resourceClaimName === 'string';
    const hasTemplate = typeof c.resourceClaimTemplateName === 'string';
    if (hasName && hasTemplate) {
      errs.push(
        invalid(
          p,
          c,
          'at most one of `resourceClaimName` or `resourceClaimTemplateName` may be specified',
        ),
      );
    }
    if (!hasName && !hasTemplate) {
      errs.push(
        invalid(p, c, 'must specify one of: `resourceClaimName`, `resourceClaimTemplateName`'),
      );
    }
  });
  const restartPolicy = str(spec.restartPolicy) ?? '';
  const ctx: SpecContext = {
    volumes: vols.byName,
    podClaimNames,
    gracePeriod: num(spec.terminationGracePeriodSeconds),
    restartPolicy,
    hostUsers,
  };
  errs.push(...validateContainers(spec.containers, ctx, path.child('containers')));
  errs.push(
    ...validateInitContainers(
      spec.initContainers,
      objs(spec.containers),
      ctx,
      path.child('initContainers'),
    ),
  );
  errs.push(
    ...validateEphemeralContainers(
      spec.ephemeralContainers,
      spec,
      ctx,
      path.child('ephemeralContainers'),
    ),
  );
  const podResources = obj(spec.resources);
  if (podResources) {
    const rp = path.child('resources');
    if (podResources.claims !== undefined && podResources.claims !== null) {
      errs.push(forbidden(rp.child('claims'), 'claims cannot be set for Resources at pod-level'));
    }
    errs.push(
      ...validateResourceRequirements(
        { ...podResources, claims: undefined },
        podClaimNames,
        rp,
        validatePodResourceName,
      ),
    );
  }
  if (spec.hostNetwork === true) {
    objs(spec.containers).forEach((c, i) => {
      objs(c.ports).forEach((port, j) => {
        const hp = num(port.hostPort) ?? 0;
        const cp = num(port.containerPort) ?? 0;
        if ((opts.resourceIsPod || hp !== 0) && hp !== cp) {
          errs.push(
            invalid(
              path.child('containers').index(i).child('ports').index(j).child('hostPort'),
              hp,
              'must match `containerPort` when `hostNetwork` is true',
            ),
          );
        }
      });
    });
  }
  if (!restartPolicy) errs.push(required(path.child('restartPolicy')));
  else if (!restartPolicies.includes(restartPolicy))
    errs.push(notSupported(path.child('restartPolicy'), restartPolicy, restartPolicies));
  const dnsPolicy = str(spec.dnsPolicy) ?? '';
  if (!dnsPolicy) errs.push(required(path.child('dnsPolicy')));
  else if (!dnsPolicies.includes(dnsPolicy))
    errs.push(notSupported(path.child('dnsPolicy'), dnsPolicy, dnsPolicies));
  errs.push(...validateLabels(spec.nodeSelector, path.child('nodeSelector')));
  errs.push(...validatePodSecurityContext(spec.securityContext, path.child('securityContext')));
  if (spec.shareProcessNamespace === true && spec.hostPID === true) {
    errs.push(
      invalid(
        path.child('securityContext', 'shareProcessNamespace'),
        true,
        'ShareProcessNamespace and HostPID cannot both be enabled',
      ),
    );
  }
  objs(spec.imagePullSecrets).forEach((s, i) => {
    if (Object.keys(s).some((k) => k !== 'name')) {
      errs.push(invalid(path.child('imagePullSecrets').index(i), s, 'only name may be set'));
    }
  });
  errs.push(...validateAffinity(spec.affinity, path.child('affinity')));
  errs.push(...validateDNSConfig(spec.dnsConfig, dnsPolicy, path.child('dnsConfig')));
  objs(spec.readinessGates).forEach((g, i) => {
    const t = str(g.conditionType) ?? '';
    errs.push(
      ...isQualifiedName(t).map((m) =>
        invalid(path.child('readinessGates').index(i).child('conditionType'), t, m),
      ),
    );
  });
  const gates = new Set<string>();
  objs(spec.schedulingGates).forEach((g, i) => {
    const name = str(g.name) ?? '';
    errs.push(
      ...isQualifiedName(name).map((m) => invalid(path.child('schedulingGates').index(i), name, m)),
    );
    if (gates.has(name)) errs.push(duplicate(path.child('schedulingGates').index(i), name));
    gates.add(name);
  });
  errs.push(
    ...validateTopologySpread(
      spec.topologySpreadConstraints,
      path.child('topologySpreadConstraints'),
    ),
  );
  if (spec.hostUsers === false) {
    if (spec.hostNetwork === true)
      errs.push(forbidden(path.child('hostNetwork'), 'when `pod.Spec.HostUsers` is false'));
    if (spec.hostPID === true)
      errs.push(forbidden(path.child('HostPID'), 'when `pod.Spec.HostUsers` is false'));
    if (spec.hostIPC === true)
      errs.push(forbidden(path.child('HostIPC'), 'when `pod.Spec.HostUsers` is false'));
  }
  const sa = str(spec.serviceAccountName) ?? '';
  if (sa)
    errs.push(
      ...nameIsDNSSubdomain(sa, false).map((m) => invalid(path.child('serviceAccountName'), sa, m)),
    );
  const nodeName = str(spec.nodeName) ?? '';
  if (nodeName)
    errs.push(
      ...nameIsDNSSubdomain(nodeName, false).map((m) =>
        invalid(path.child('nodeName'), nodeName, m),
      ),
    );
  const ads = num(spec.activeDeadlineSeconds);
  if (ads !== undefined && (ads < 1 || ads > MAX_INT32)) {
    errs.push(invalid(path.child('activeDeadlineSeconds'), ads, inclusiveRangeError(1, MAX_INT32)));
  }
  for (const f of ['hostname', 'subdomain'] as const) {
    const v = str(spec[f]) ?? '';
    if (v) errs.push(...isDNS1123Label(v).map((m) => invalid(path.child(f), v, m)));
  }
  errs.push(...validateTolerations(spec.tolerations, path.child('tolerations')));
  objs(spec.hostAliases).forEach((h, i) => {
    const p = path.child('hostAliases').index(i);
    errs.push(...isValidIP(p.child('ip'), str(h.ip) ?? ''));
    strs(h.hostnames).forEach((hn, j) => {
      errs.push(
        ...nameIsDNSSubdomain(hn, false).map((m) => invalid(p.child('hostnames').index(j), hn, m)),
      );
    });
  });
  const pcn = str(spec.priorityClassName) ?? '';
  if (pcn)
    errs.push(
      ...nameIsDNSSubdomain(pcn, false).map((m) =>
        invalid(path.child('priorityClassName'), pcn, m),
      ),
    );
  const rcn = str(spec.runtimeClassName);
  if (rcn !== undefined)
    errs.push(
      ...nameIsDNSSubdomain(rcn, false).map((m) => invalid(path.child('runtimeClassName'), rcn, m)),
    );
  const pp = str(spec.preemptionPolicy);
  if (pp !== undefined) {
    if (!pp) errs.push(required(path.child('preemptionPolicy')));
    else if (pp !== 'PreemptLowerPriority' && pp !== 'Never') {
      errs.push(
        notSupported(path.child('preemptionPolicy'), pp, ['PreemptLowerPriority', 'Never']),
      );
    }
  }
  if (isObj(spec.overhead)) {
    errs.push(
      ...validateResourceRequirements({ limits: spec.overhead }, new Set(), path.child('overhead')),
    );
  }
  const os = obj(spec.os);
  if (os) {
    const name = str(os.name) ?? '';
    if (!name) errs.push(required(path.child('os', 'name'), 'cannot be empty'));
    else if (name !== 'linux' && name !== 'windows')
      errs.push(notSupported(path.child('os'), name, ['linux', 'windows']));
    else if (name === 'linux') {
      if (sc && isObj(sc.windowsOptions)) {
        errs.push(
          forbidden(
            path.child('securityContext', 'windowsOptions'),
            'windows options cannot be set for a linux pod',
          ),
        );
      }
      visitContainers(spec, path, (c, cp) => {
        if (isObj(obj(c.securityContext)?.windowsOptions)) {
          errs.push(
            forbidden(
              cp.child('securityContext', 'windowsOptions'),
              'windows options cannot be set for a linux pod',
            ),
          );
        }
      });
    }
  }
  return errs;
}

function visitContainers(spec: Obj, path: Path, fn: (c: Obj, p: Path) => void): void {
  for (const kind of ['initContainers', 'containers', 'ephemeralContainers'] as const) {
    objs(spec[kind]).forEach((c, i) => fn(c, path.child(kind).index(i)));
  }
}

const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';
const DELETION_COST_ANNOTATION = 'controller.kubernetes.io/pod-deletion-cost';
const APPARMOR_PREFIX = 'container.apparmor.security.beta.kubernetes.io/';
const SECCOMP_POD = 'seccomp.security.alpha.kubernetes.io/pod';
const SECCOMP_CONTAINER_PREFIX = 'container.seccomp.security.alpha.kubernetes.io/';

function validateSeccompAnnotation(p: string, path: Path): FieldError[] {
  if (p === 'runtime/default' || p === 'docker/default' || p === 'unconfined') return [];
  if (p.startsWith('localhost/'))
    return validateLocalDescendingPath(p.slice('localhost/'.length), path);
  return [invalid(path, p, 'must be a valid seccomp profile')];
}

/** ValidatePodSpecificAnnotations. */
export function validatePodSpecificAnnotations(
  annotationsValue: unknown,
  spec: Obj,
  path: Path,
): FieldError[] {
  const annotations = strMap(annotationsValue);
  const errs: FieldError[] = [];
  if (MIRROR_POD_ANNOTATION in annotations && !(str(spec.nodeName) ?? '')) {
    errs.push(
      invalid(
        path.key(MIRROR_POD_ANNOTATION),
        annotations[MIRROR_POD_ANNOTATION],
        'must set spec.nodeName if mirror pod annotation is set',
      ),
    );
  }
  if (DELETION_COST_ANNOTATION in annotations) {
    const v = annotations[DELETION_COST_ANNOTATION];
    const n = Number(v);
    if (!/^(0|-?[1-9][0-9]*)$/.test(v) || n > MAX_INT32 || n < -MAX_INT32 - 1) {
      errs.push(invalid(path.key(DELETION_COST_ANNOTATION), v, 'must be a 32bit integer'));
    }
  }
  if (SECCOMP_POD in annotations)
    errs.push(...validateSeccompAnnotation(annotations[SECCOMP_POD], path.child(SECCOMP_POD)));
  const containerNames = new Set<string>();
  visitContainers(spec, Path.root('spec'), (c) => containerNames.add(str(c.name) ?? ''));
  for (const [k, v] of Object.entries(annotations)) {
    if (k.startsWith(SECCOMP_CONTAINER_PREFIX))
      errs.push(...validateSeccompAnnotation(v, path.child(k)));
    if (k.startsWith(APPARMOR_PREFIX)) {
      const container = k.slice(APPARMOR_PREFIX.length);
      if (!containerNames.has(container))
        errs.push(invalid(path.key(k), container, 'container not found'));
      if (v && v !== 'runtime/default' && v !== 'unconfined' && !v.startsWith('localhost/')) {
        errs.push(invalid(path.key(k), v, `invalid AppArmor profile name: ${JSON.stringify(v)}`));
      }
    }
  }
  return errs;
}

/** ValidatePodTemplateSpec (the template inside workloads and PodTemplates). */
export function validatePodTemplateSpec(templateValue: unknown, path: Path): FieldError[] {
  const template = obj(templateValue) ?? {};
  const meta = obj(template.metadata) ?? {};
  const spec = obj(template.spec) ?? {};
  const errs = [
    ...validateLabels(meta.labels, path.child('labels')),
    ...validateAnnotations(meta.annotations, path.child('annotations')),
    ...validatePodSpecificAnnotations(meta.annotations, spec, path.child('annotations')),
    ...validatePodSpec(spec, undefined, path.child('spec'), { resourceIsPod: false }),
  ];
  if (objs(spec.ephemeralContainers).length) {
    errs.push(
      forbidden(
        path.child('spec', 'ephemeralContainers'),
        'ephemeral containers not allowed in pod template',
      ),
    );
  }
  return errs;
}

function validatePodMetadataAndSpec(pod: Obj): FieldError[] {
  const metaPath = Path.root('metadata');
  const specPath = Path.root('spec');
  const meta = obj(pod.metadata) ?? {};
  const spec = obj(pod.spec) ?? {};
  const errs = [
    ...validateObjectMeta(meta, true, nameIsDNSSubdomain, metaPath),
    ...validatePodSpecificAnnotations(meta.annotations, spec, metaPath.child('annotations')),
    ...validatePodSpec(spec, meta, specPath, { resourceIsPod: true }),
  ];
  if (!(str(spec.serviceAccountName) ?? '')) {
    objs(spec.volumes).forEach((v, vi) => {
      objs(obj(v.projected)?.sources).forEach((s, si) => {
        if (isObj(s.serviceAccountToken)) {
          errs.push(
            forbidden(
              specPath
                .child('volumes')
                .index(vi)
                .child('projected', 'sources')
                .index(si)
                .child('serviceAccountToken'),
              'must not be specified when serviceAccountName is not set',
            ),
          );
        }
      });
    });
  }
  for (const kind of ['containers', 'initContainers'] as const) {
    objs(spec[kind]).forEach((c, i) => {
      const image = str(c.image) ?? '';
      if (image.length !== image.trim().length) {
        errs.push(
          invalid(
            specPath.child(kind).index(i).child('image'),
            image,
            'must not have leading or trailing whitespace',
          ),
        );
      }
    });
  }
  return errs;
}

/** ValidatePodCreate. */
export function validatePodCreate(pod: Obj): FieldError[] {
  const spec = obj(pod.spec) ?? {};
  const errs = validatePodMetadataAndSpec(pod);
  const specPath = Path.root('spec');
  if (objs(spec.ephemeralContainers).length) {
    errs.push(forbidden(specPath.child('ephemeralContainers'), 'cannot be set on create'));
  }
  if ((str(spec.nodeName) ?? '') && objs(spec.schedulingGates).length) {
    errs.push(
      forbidden(
        specPath.child('nodeName'),
        'cannot be set until all schedulingGates have been cleared',
      ),
    );
  }
  return errs;
}

const updatableFields = [
  '`spec.containers[*].image`',
  '`spec.initContainers[*].image`',
  '`spec.activeDeadlineSeconds`',
  '`spec.tolerations` (only additions to existing tolerations)',
  '`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
];

/** ValidatePodUpdate: pods are immutable except for the fields above. */
export function validatePodUpdate(newPod: Obj, oldPod: Obj): FieldError[] {
  const metaPath = Path.root('metadata');
  const specPath = Path.root('spec');
  const newSpec = obj(newPod.spec) ?? {};
  const oldSpec = obj(oldPod.spec) ?? {};
  const errs = [
    ...validateObjectMetaUpdate(newPod.metadata, oldPod.metadata, metaPath),
    ...validatePodMetadataAndSpec(newPod),
    ...validatePodAnnotationUpdates(newPod, oldPod, metaPath.child('annotations')),
  ];
  for (const kind of ['containers', 'initContainers'] as const) {
    const n = objs(newSpec[kind]);
    const o = objs(oldSpec[kind]);
    if (n.length !== o.length) {
      errs.push(forbidden(specPath.child(kind), 'pod updates may not add or remove containers'));
      return errs;
    }
    n.forEach((c, i) => {
      const image = str(c.image) ?? '';
      if (!image) errs.push(required(specPath.child(kind).index(i).child('image')));
    });
  }
  const newAds = num(newSpec.activeDeadlineSeconds);
  const oldAds = num(oldSpec.activeDeadlineSeconds);
  if (newAds !== undefined) {
    if (newAds < 0 || newAds > MAX_INT32) {
      errs.push(
        invalid(specPath.child('activeDeadlineSeconds'), newAds, inclusiveRangeError(0, MAX_INT32)),
      );
      return errs;
    }
    if (oldAds !== undefined && oldAds < newAds) {
      errs.push(
        invalid(
          specPath.child('activeDeadlineSeconds'),
          newAds,
          'must be less than or equal to previous value',
        ),
      );
      return errs;
    }
  } else if (oldAds !== undefined) {
    errs.push(
      invalid(
        specPath.child('activeDeadlineSeconds'),
        null,
        'must not update from a positive integer to nil value',
      ),
    );
  }
  errs.push(
    ...validateOnlyAddedTolerations(
      newSpec.tolerations,
      oldSpec.tolerations,
      specPath.child('tolerations'),
    ),
  );
  const oldGates = new Set(objs(oldSpec.schedulingGates).map((g) => str(g.name) ?? ''));
  objs(newSpec.schedulingGates).forEach((g, i) => {
    const name = str(g.name) ?? '';
    if (!oldGates.has(name)) {
      errs.push(
        forbidden(
          specPath.child('schedulingGates').index(i).child('name'),
          `only deletion is allowed, but found new scheduling gate '${name}'`,
        ),
      );
    }
  });
  if (semanticEqual(newSpec, oldSpec)) return errs;

  const munged = clone(newSpec);
  for (const kind of ['containers', 'initContainers'] as const) {
    const oldList = objs(oldSpec[kind]);
    objs(munged[kind]).forEach((c, i) => {
      c.image = oldList[i]?.image;
    });
  }
  munged.activeDeadlineSeconds = oldSpec.activeDeadlineSeconds;
  munged.schedulingGates = oldSpec.schedulingGates;
  munged.tolerations = oldSpec.tolerations;
  const oldTgps = num(oldSpec.terminationGracePeriodSeconds);
  if (oldTgps !== undefined && oldTgps < 0 && num(munged.terminationGracePeriodSeconds) === 1) {
    munged.terminationGracePeriodSeconds = oldTgps;
  }
  if (oldGates.size > 0) {
    const oldNS = strMap(oldSpec.nodeSelector);
    const newNS = strMap(munged.nodeSelector);
    if (!semanticEqual(newNS, oldNS)) {
      if (Object.entries(oldNS).some(([k, v]) => newNS[k] !== v)) {
        errs.push(
          invalid(
            specPath.child('nodeSelector'),
            newNS,
            'only additions to spec.nodeSelector are allowed (no mutations or deletions)',
          ),
        );
      }
      munged.nodeSelector = oldSpec.nodeSelector;
    }
    const oldAffinity = obj(oldSpec.affinity);
    const newAffinity = obj(munged.affinity);
    if (!semanticEqual(newAffinity?.nodeAffinity, oldAffinity?.nodeAffinity)) {
      if (newAffinity) newAffinity.nodeAffinity = oldAffinity?.nodeAffinity;
      else if (oldAffinity?.nodeAffinity)
        munged.affinity = { nodeAffinity: oldAffinity.nodeAffinity };
      if (
        newAffinity &&
        !oldAffinity &&
        !isObj(newAffinity.podAffinity) &&
        !isObj(newAffinity.podAntiAffinity)
      ) {
        munged.affinity = undefined;
      }
    }
  }
  if (!semanticEqual(munged, oldSpec)) {
    errs.push(
      forbidden(
        specPath,
        `pod updates may not change fields other than ${updatableFields.join(',')}\n${specDiff(oldSpec, munged)}`,
      ),
    );
  }
  return errs;
}

function validatePodAnnotationUpdates(newPod: Obj, oldPod: Obj, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  const n = strMap(obj(newPod.metadata)?.annotations);
  const o = strMap(obj(oldPod.metadata)?.annotations);
  for (const [k, v] of Object.entries(o)) {
    if (k in n && n[k] === v) continue;
    if (k.startsWith(APPARMOR_PREFIX))
      errs.push(forbidden(path.key(k), 'may not remove or update AppArmor annotations'));
    if (k === MIRROR_POD_ANNOTATION)
      errs.push(forbidden(path.key(k), 'may not remove or update mirror pod annotation'));
  }
  for (const k of Object.keys(n)) {
    if (k in o) continue;
    if (k.startsWith(APPARMOR_PREFIX))
      errs.push(forbidden(path.key(k), 'may not add AppArmor annotations'));
    if (k === MIRROR_POD_ANNOTATION)
      errs.push(forbidden(path.key(k), 'may not add mirror pod annotation'));
  }
  return errs;
}

function validateOnlyAddedTolerations(
  newValue: unknown,
  oldValue: unknown,
  path: Path,
): FieldError[] {
  const newList = objs(newValue);
  for (const old of objs(oldValue)) {
    const found = newList.some((n) =>
      semanticEqual({ ...old, tolerationSeconds: n.tolerationSeconds }, n),
    );
    if (!found)
      return [
        forbidden(path, 'existing toleration can not be modified except its tolerationSeconds'),
      ];
  }
  return validateTolerations(newValue, path);
}

/** A readable diff of two specs in the spirit of cmp.Diff: one line per changed leaf. */
export function specDiff(oldValue: unknown, newValue: unknown, typeName = 'core.PodSpec'): string {
  const lines: string[] = [];
  const walk = (a: unknown, b: unknown, at: string): void => {
    if (semanticEqual(a, b)) return;
    if (isObj(a) && isObj(b)) {
      for (const k of new Set([...Object.keys(a), ...Object.keys(b)]))
        walk(a[k], b[k], at ? `${at}.${k}` : k);
      return;
    }
    if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
      a.forEach((x, i) => walk(x, b[i], `${at}[${i}]`));
      return;
    }
    lines.push(`- \t${at}: ${a === undefined ? 'nil' : goJSON(a, 'ordered')}`);
    lines.push(`+ \t${at}: ${b === undefined ? 'nil' : goJSON(b, 'ordered')}`);
  };
  walk(oldValue, newValue, '');
  return [`  ${typeName}{`, ...lines, '  }', ''].join('\n');
}
