// Core (v1) kinds other than Pod: Service, Namespace, ConfigMap, Secret, ServiceAccount,
// Endpoints, Node, PersistentVolume(Claim), LimitRange, ResourceQuota, ReplicationController,
// PodTemplate (pkg/apis/core/validation/validation.go).

import {
  duplicate,
  forbidden,
  invalid,
  notSupported,
  Path,
  required,
  sortedMap,
  tooLong,
} from './field.ts';
import {
  isObj,
  num,
  obj,
  objs,
  semanticEqual,
  str,
  strMap,
  strs,
  clone,
  type Obj,
} from './json.ts';
import {
  isConfigMapKey,
  isDNS1123Label,
  isQualifiedName,
  nameIsDNS1035Label,
  nameIsDNSLabel,
  nameIsDNSSubdomain,
  isValidLabelValue,
} from './names.ts';
import {
  FIELD_IMMUTABLE,
  validateImmutable,
  validateLabelName,
  validateLabels,
  validateNonnegative,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from './meta.ts';
import { isIPv6String, isValidCIDR, isValidIP, validateNonSpecialIP } from './ip.ts';
import {
  specDiff,
  validateNodeSelector,
  validatePodTemplateSpec,
  validatePortNumOrName,
  validateTaintEffect,
} from './pod.ts';
import {
  quantityAt,
  validateContainerResourceName,
  validatePositiveQuantity,
  validateQuotaResourceName,
  validateResourceName,
  validateResourceQuantityValue,
  isOvercommitAllowed,
} from './resources.ts';
import {
  compareQuantities,
  formatQuantity,
  parseQuantity,
  quantityValue,
  readQuantity,
  type Quantity,
} from '../../api/quantity.ts';
import {
  validateAccessModes,
  validateCSIDriverName,
  validatePathNoBacksteps,
  validatePersistentVolumeClaimSpec,
  volumeModes,
} from './volumes.ts';
import type { FieldError } from '../../api/status.ts';

const root = (name: string, ...more: string[]): Path => Path.root(name, ...more);
const META = root('metadata');

// ---------------- Service ----------------

const serviceTypes = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const sessionAffinities = ['ClientIP', 'None'];
const protocols = ['SCTP', 'TCP', 'UDP'];
const ipFamilies = ['IPv4', 'IPv6'];
const ipFamilyPolicies = ['PreferDualStack', 'RequireDualStack', 'SingleStack'];
const trafficPolicies = ['Cluster', 'Local'];
const trafficDistributions = ['PreferClose', 'PreferSameNode', 'PreferSameZone'];
export const NODE_PORT_RANGE = { base: 30000, size: 2768 };

function isHeadless(spec: Obj): boolean {
  const ips = strs(spec.clusterIPs);
  return ips.length === 1 && ips[0] === 'None';
}

export function externallyAccessible(spec: Obj): boolean {
  const type = str(spec.type);
  return (
    type === 'LoadBalancer' ||
    type === 'NodePort' ||
    (type === 'ClusterIP' && strs(spec.externalIPs).length > 0)
  );
}

function needsHealthCheck(spec: Obj): boolean {
  return str(spec.type) === 'LoadBalancer' && str(spec.externalTrafficPolicy) === 'Local';
}

function internalServicePort(p: Obj): Obj {
  return {
    Name: '',
    Protocol: str(p.protocol) ?? '',
    AppProtocol: null,
    Port: num(p.port) ?? 0,
    TargetPort: 0,
    NodePort: 0,
  };
}

function validateServicePort(
  sp: Obj,
  requireName: boolean,
  names: Set<string>,
  path: Path,
): FieldError[] {
  const errs: FieldError[] = [];
  const name = str(sp.name) ?? '';
  if (requireName && !name) errs.push(required(path.child('name')));
  else if (name) {
    errs.push(...isDNS1123Label(name).map((m) => invalid(path.child('name'), name, m)));
    if (names.has(name)) errs.push(duplicate(path.child('name'), name));
    else names.add(name);
  }
  const port = num(sp.port) ?? 0;
  if (port < 1 || port > 65535)
    errs.push(invalid(path.child('port'), port, 'must be between 1 and 65535, inclusive'));
  const proto = str(sp.protocol) ?? '';
  if (!proto) errs.push(required(path.child('protocol')));
  else if (!protocols.includes(proto))
    errs.push(notSupported(path.child('protocol'), proto, protocols));
  errs.push(...validatePortNumOrName(sp.targetPort, path.child('targetPort')));
  const ap = str(sp.appProtocol);
  if (ap !== undefined)
    errs.push(...isQualifiedName(ap).map((m) => invalid(path.child('appProtocol'), ap, m)));
  return errs;
}

function validateClusterIPsRelated(spec: Obj): FieldError[] {
  if (str(spec.type) === 'ExternalName') return [];
  const errs: FieldError[] = [];
  const specPath = root('spec');
  const ipsPath = specPath.child('clusterIPs');
  const clusterIP = str(spec.clusterIP) ?? '';
  const clusterIPs = strs(spec.clusterIPs);
  if (clusterIP) {
    if (!clusterIPs.length) errs.push(required(ipsPath));
    else if (clusterIPs[0] !== clusterIP)
      errs.push(invalid(ipsPath, clusterIPs, 'first value must match `clusterIP`'));
  } else if (clusterIPs.length) {
    errs.push(invalid(ipsPath, clusterIPs, 'must be empty when `clusterIP` is not specified'));
  }
  const seen = new Set<string>();
  strs(spec.ipFamilies).forEach((f, i) => {
    if (!ipFamilies.includes(f))
      errs.push(notSupported(specPath.child('ipFamilies').index(i), f, ipFamilies));
    if (seen.has(f)) errs.push(duplicate(specPath.child('ipFamilies').index(i), f));
    seen.add(f);
  });
  const policy = str(spec.ipFamilyPolicy);
  if (policy !== undefined && !ipFamilyPolicies.includes(policy)) {
    errs.push(notSupported(specPath.child('ipFamilyPolicy'), policy, ipFamilyPolicies));
  }
  let bad = false;
  clusterIPs.forEach((ip, i) => {
    if (i === 0 && ip === 'None') {
      if (clusterIPs.length > 1) {
        bad = true;
        errs.push(invalid(ipsPath, clusterIPs, "'None' must be the first and only value"));
      }
      return;
    }
    const e = isValidIP(ipsPath.index(i), ip);
    if (e.length) bad = true;
    errs.push(...e);
  });
  if (clusterIPs.length > 2)
    errs.push(invalid(ipsPath, clusterIPs, 'may only hold up to 2 values'));
  if (bad) return errs;
  if (clusterIPs.length > 1) {
    const v6 = clusterIPs.map(isIPv6String);
    if (v6.filter((x) => x).length !== 1 || clusterIPs.length > 2) {
      errs.push(invalid(ipsPath, clusterIPs, 'may specify no more than one IP for each IP family'));
    }
  }
  const families = strs(spec.ipFamilies);
  if (!isHeadless(spec)) {
    clusterIPs.forEach((ip, i) => {
      if (i >= families.length) return;
      if (families[i] === 'IPv4' && isIPv6String(ip)) {
        errs.push(
          invalid(
            ipsPath.index(i),
            ip,
            `expected an IPv4 value as indicated by \`ipFamilies[${i}]\``,
          ),
        );
      }
      if (families[i] === 'IPv6' && !isIPv6String(ip)) {
        errs.push(
          invalid(
            ipsPath.index(i),
            ip,
            `expected an IPv6 value as indicated by \`ipFamilies[${i}]\``,
          ),
        );
      }
    });
  }
  return errs;
}

/** The node-port allocator's range check (kube-apiserver's default range 30000-32767). */
function nodePortRangeErrors(spec: Obj, oldNodePorts: Set<number>): FieldError[] {
  const errs: FieldError[] = [];
  const last = NODE_PORT_RANGE.base + NODE_PORT_RANGE.size - 1;
  objs(spec.ports).forEach((p, i) => {
    const np = num(p.nodePort) ?? 0;
    if (np === 0 || oldNodePorts.has(np)) return;
    if (np < NODE_PORT_RANGE.base || np > last) {
      errs.push(
        invalid(
          root('spec', 'ports').index(i).child('nodePort'),
          np,
          `provided port is not in the valid range. The range of valid ports is ${NODE_PORT_RANGE.base}-${last}`,
        ),
      );
    }
  });
  return errs;
}

export function validateService(svc: Obj): FieldError[] {
  const meta = obj(svc.metadata) ?? {};
  const spec = obj(svc.spec) ?? {};
  const specPath = root('spec');
  const errs = validateObjectMeta(meta, true, nameIsDNS1035Label);
  const annotations = strMap(meta.annotations);
  const hints = annotations['service.kubernetes.io/topology-aware-hints'];
  const mode = annotations['service.kubernetes.io/topology-mode'];
  if (hints !== undefined && mode !== undefined && hints !== mode) {
    errs.push(
      invalid(
        META.child('annotations').key('service.kubernetes.io/topology-mode'),
        mode,
        'must match annotations[service.kubernetes.io/topology-aware-hints] when both are specified',
      ),
    );
  }
  const type = str(spec.type) ?? '';
  const ports = objs(spec.ports);
  if (!ports.length && !isHeadless(spec) && type !== 'ExternalName')
    errs.push(required(specPath.child('ports')));
  const clusterIPs = strs(spec.clusterIPs);
  if (type === 'LoadBalancer' && isHeadless(spec)) {
    errs.push(
      invalid(
        specPath.child('clusterIPs').index(0),
        clusterIPs[0],
        "may not be set to 'None' for LoadBalancer services",
      ),
    );
  } else if (type === 'NodePort' && isHeadless(spec)) {
    errs.push(
      invalid(
        specPath.child('clusterIPs').index(0),
        clusterIPs[0],
        "may not be set to 'None' for NodePort services",
      ),
    );
  } else if (type === 'ExternalName') {
    if (clusterIPs.length)
      errs.push(
        forbidden(specPath.child('clusterIPs'), 'may not be set for ExternalName services'),
      );
    if (strs(spec.ipFamilies).length)
      errs.push(
        forbidden(specPath.child('ipFamilies'), 'may not be set for ExternalName services'),
      );
    if (spec.ipFamilyPolicy !== undefined && spec.ipFamilyPolicy !== null) {
      errs.push(
        forbidden(specPath.child('ipFamilyPolicy'), 'may not be set for ExternalName services'),
      );
    }
    const cname = (str(spec.externalName) ?? '').replace(/\.$/, '');
    if (cname)
      errs.push(
        ...nameIsDNSSubdomain(cname, false).map((m) =>
          invalid(specPath.child('externalName'), cname, m),
        ),
      );
    else errs.push(required(specPath.child('externalName')));
  }
  const names = new Set<string>();
  ports.forEach((p, i) =>
    errs.push(...validateServicePort(p, ports.length > 1, names, specPath.child('ports').index(i))),
  );
  if (spec.selector !== undefined && spec.selector !== null)
    errs.push(...validateLabels(spec.selector, specPath.child('selector')));
  const affinity = str(spec.sessionAffinity) ?? '';
  if (!affinity) errs.push(required(specPath.child('sessionAffinity')));
  else if (!sessionAffinities.includes(affinity))
    errs.push(notSupported(specPath.child('sessionAffinity'), affinity, sessionAffinities));
  const sacPath = specPath.child('sessionAffinityConfig');
  if (affinity === 'ClientIP') {
    const cfg = obj(spec.sessionAffinityConfig);
    const clientIP = obj(cfg?.clientIP);
    const when = 'when session affinity type is ClientIP';
    if (!cfg) errs.push(required(sacPath, when));
    else if (!clientIP) errs.push(required(sacPath.child('clientIP'), when));
    else if (num(clientIP.timeoutSeconds) === undefined)
      errs.push(required(sacPath.child('clientIP', 'timeoutSeconds'), when));
    else {
      const t = num(clientIP.timeoutSeconds) ?? 0;
      if (t <= 0 || t > 86400) {
        errs.push(
          invalid(
            sacPath.child('clientIP', 'timeoutSeconds'),
            t,
            'must be greater than 0 and less than 86400',
          ),
        );
      }
    }
  } else if (
    affinity === 'None' &&
    spec.sessionAffinityConfig !== undefined &&
    spec.sessionAffinityConfig !== null
  ) {
    errs.push(forbidden(sacPath, 'must not be set when session affinity is None'));
  }
  errs.push(...validateClusterIPsRelated(spec));
  strs(spec.externalIPs).forEach((ip, i) => {
    const p = specPath.child('externalIPs').index(i);
    const e = isValidIP(p, ip);
    errs.push(...(e.length ? e : validateNonSpecialIP(ip, p)));
  });
  if (!type) errs.push(required(specPath.child('type')));
  else if (!serviceTypes.includes(type))
    errs.push(notSupported(specPath.child('type'), type, serviceTypes));
  if (type === 'ClusterIP') {
    ports.forEach((p, i) => {
      if ((num(p.nodePort) ?? 0) !== 0) {
        errs.push(
          forbidden(
            specPath.child('ports').index(i).child('nodePort'),
            "may not be used when `type` is 'ClusterIP'",
          ),
        );
      }
    });
  }
  const nodePorts = new Set<string>();
  ports.forEach((p, i) => {
    const np = num(p.nodePort) ?? 0;
    if (np === 0) return;
    const key = `${str(p.protocol) ?? ''}/${np}`;
    if (nodePorts.has(key))
      errs.push(duplicate(specPath.child('ports').index(i).child('nodePort'), np));
    nodePorts.add(key);
  });
  const seenPorts = new Set<string>();
  ports.forEach((p, i) => {
    const key = `${str(p.protocol) ?? ''}/${num(p.port) ?? 0}`;
    if (seenPorts.has(key))
      errs.push(duplicate(specPath.child('ports').index(i), internalServicePort(p)));
    seenPorts.add(key);
  });
  const ranges = strs(spec.loadBalancerSourceRanges);
  if (ranges.length) {
    const rp = specPath.child('LoadBalancerSourceRanges');
    if (type !== 'LoadBalancer')
      errs.push(forbidden(rp, "may only be used when `type` is 'LoadBalancer'"));
    ranges.forEach((r, i) => errs.push(...isValidCIDR(rp.index(i), r.trim())));
  } else if ('service.beta.kubernetes.io/load-balancer-source-ranges' in annotations) {
    const ap = META.child('annotations').key(
      'service.beta.kubernetes.io/load-balancer-source-ranges',
    );
    if (type !== 'LoadBalancer')
      errs.push(forbidden(ap, "may only be used when `type` is 'LoadBalancer'"));
    const val = annotations['service.beta.kubernetes.io/load-balancer-source-ranges'].trim();
    if (val) for (const c of val.split(',')) errs.push(...isValidCIDR(ap, c.trim()));
  }
  const alloc = spec.allocateLoadBalancerNodePorts;
  if (alloc !== undefined && alloc !== null && type !== 'LoadBalancer') {
    errs.push(
      forbidden(
        specPath.child('allocateLoadBalancerNodePorts'),
        "may only be used when `type` is 'LoadBalancer'",
      ),
    );
  }
  if (type === 'LoadBalancer' && (alloc === undefined || alloc === null)) {
    errs.push(required(root('allocateLoadBalancerNodePorts')));
  }
  const lbClass = str(spec.loadBalancerClass);
  if (type === 'LoadBalancer') {
    if (lbClass !== undefined)
      errs.push(
        ...isQualifiedName(lbClass).map((m) =>
          invalid(specPath.child('loadBalancerClass'), lbClass, m),
        ),
      );
  } else if (lbClass !== undefined) {
    errs.push(
      forbidden(
        specPath.child('loadBalancerClass'),
        "may only be used when `type` is 'LoadBalancer'",
      ),
    );
  }
  const etp = str(spec.externalTrafficPolicy) ?? '';
  if (!externallyAccessible(spec)) {
    if (etp)
      errs.push(
        invalid(
          specPath.child('externalTrafficPolicy'),
          etp,
          'may only be set for externally-accessible services',
        ),
      );
  } else if (!etp) errs.push(required(specPath.child('externalTrafficPolicy')));
  else if (!trafficPolicies.includes(etp))
    errs.push(notSupported(specPath.child('externalTrafficPolicy'), etp, trafficPolicies));
  const hcnp = num(spec.healthCheckNodePort) ?? 0;
  if (!needsHealthCheck(spec)) {
    if (hcnp !== 0) {
      errs.push(
        invalid(
          specPath.child('healthCheckNodePort'),
          hcnp,
          "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'",
        ),
      );
    }
  } else if (hcnp === 0) errs.push(required(specPath.child('healthCheckNodePort')));
  else if (hcnp < 1 || hcnp > 65535)
    errs.push(
      invalid(
        specPath.child('healthCheckNodePort'),
        hcnp,
        'must be between 1 and 65535, inclusive',
      ),
    );
  const itp = str(spec.internalTrafficPolicy);
  if (itp === undefined) {
    if (type === 'NodePort' || type === 'LoadBalancer' || type === 'ClusterIP') {
      errs.push(required(specPath.child('internalTrafficPolicy')));
    }
  } else if (!trafficPolicies.includes(itp))
    errs.push(notSupported(specPath.child('internalTrafficPolicy'), itp, trafficPolicies));
  const td = str(spec.trafficDistribution);
  if (td !== undefined && !trafficDistributions.includes(td)) {
    errs.push(notSupported(specPath.child('trafficDistribution'), td, trafficDistributions));
  }
  return errs;
}

export function validateServiceCreate(svc: Obj): FieldError[] {
  return [...validateService(svc), ...nodePortRangeErrors(obj(svc.spec) ?? {}, new Set())];
}

export function validateServiceUpdate(svc: Obj, old: Obj): FieldError[] {
  const spec = obj(svc.spec) ?? {};
  const oldSpec = obj(old.spec) ?? {};
  const errs = validateObjectMetaUpdate(svc.metadata, old.metadata);
  const type = str(spec.type);
  const oldType = str(oldSpec.type);
  if (
    type !== 'ExternalName' &&
    oldType !== 'ExternalName' &&
    !(isHeadless(spec) && isHeadless(oldSpec))
  ) {
    const n = strs(spec.clusterIPs);
    const o = strs(oldSpec.clusterIPs);
    const ipsPath = root('spec', 'clusterIPs');
    if (n.length === o.length) {
      o.forEach((ip, i) => {
        if (ip !== n[i]) errs.push(invalid(ipsPath.index(i), n, 'may not change once set'));
      });
    } else if (o.length > n.length) {
      if (!n.length) errs.push(invalid(ipsPath.index(0), n, 'primary clusterIP can not be unset'));
      if (o.length && n.length && n[0] !== o[0])
        errs.push(invalid(ipsPath.index(0), n, 'may not change once set'));
      if (n.length === 1 && str(spec.ipFamilyPolicy) !== 'SingleStack') {
        errs.push(
          invalid(
            root('spec', 'ipFamilyPolicy'),
            spec.ipFamilyPolicy ?? null,
            "must be set to 'SingleStack' when releasing the secondary clusterIP",
          ),
        );
      }
    } else if (o.length && n[0] !== o[0]) {
      errs.push(invalid(ipsPath.index(0), n, 'may not change once set'));
    }
  }
  if (
    type !== 'ExternalName' &&
    oldType !== 'ExternalName' &&
    isHeadless(spec) === isHeadless(oldSpec) &&
    !isHeadless(spec)
  ) {
    const n = strs(spec.ipFamilies);
    const o = strs(oldSpec.ipFamilies);
    const famPath = root('spec', 'ipFamilies');
    if (n.length === o.length) {
      o.forEach((f, i) => {
        if (f !== n[i]) errs.push(invalid(famPath.index(0), n, 'may not change once set'));
      });
    } else if (o.length > n.length) {
      if (!strs(spec.clusterIPs).length)
        errs.push(invalid(famPath.index(0), n, 'primary ipFamily can not be unset'));
      if (n.length && n[0] !== o[0])
        errs.push(invalid(famPath.index(0), strs(spec.clusterIPs), 'may not change once set'));
      if (n.length === 1 && str(spec.ipFamilyPolicy) !== 'SingleStack') {
        errs.push(
          invalid(
            root('spec', 'ipFamilyPolicy'),
            spec.ipFamilyPolicy ?? null,
            "must be set to 'SingleStack' when releasing the secondary ipFamily",
          ),
        );
      }
    } else if (o.length && n.length && n[0] !== o[0]) {
      errs.push(invalid(famPath.index(0), strs(spec.clusterIPs), 'may not change once set'));
    }
  }
  if (
    type === 'LoadBalancer' &&
    oldType === 'LoadBalancer' &&
    (str(spec.loadBalancerClass) ?? null) !== (str(oldSpec.loadBalancerClass) ?? null)
  ) {
    errs.push(
      invalid(
        root('spec', 'loadBalancerClass'),
        spec.loadBalancerClass ?? null,
        'may not change once set',
      ),
    );
  }
  if (
    needsHealthCheck(spec) &&
    needsHealthCheck(oldSpec) &&
    num(spec.healthCheckNodePort) !== num(oldSpec.healthCheckNodePort)
  ) {
    errs.push(forbidden(root('spec', 'healthCheckNodePort'), FIELD_IMMUTABLE));
  }
  const oldNodePorts = new Set(objs(oldSpec.ports).map((p) => num(p.nodePort) ?? 0));
  return [...errs, ...validateService(svc), ...nodePortRangeErrors(spec, oldNodePorts)];
}

// ---------------- Namespace, ServiceAccount, ConfigMap, Secret ----------------

function validateFinalizerName(value: string, path: Path): FieldError[] {
  const errs = isQualifiedName(value).map((m) => invalid(path, value, m));
  if (!value.includes('/') && !['kubernetes', 'orphan', 'foregroundDeletion'].includes(value)) {
    errs.push(
      invalid(path, value, 'name is neither a standard finalizer name nor is it fully qualified'),
    );
  }
  return errs;
}

export function validateNamespace(ns: Obj): FieldError[] {
  const errs = validateObjectMeta(ns.metadata, false, nameIsDNSLabel);
  for (const f of strs(obj(ns.spec)?.finalizers))
    errs.push(...validateFinalizerName(f, root('spec', 'finalizers')));
  return errs;
}

export function validateNamespaceUpdate(ns: Obj, old: Obj): FieldError[] {
  return validateObjectMetaUpdate(ns.metadata, old.metadata);
}

export function validateServiceAccount(sa: Obj): FieldError[] {
  return validateObjectMeta(sa.metadata, true, nameIsDNSSubdomain);
}

export function validateServiceAccountUpdate(sa: Obj, old: Obj): FieldError[] {
  return [...validateObjectMetaUpdate(sa.metadata, old.metadata), ...validateServiceAccount(sa)];
}

const MAX_SECRET_SIZE = 1024 * 1024;
const base64Re = /^[A-Za-z0-9+/]*={0,2}$/;

/** Decoded length of a base64 []byte value, or the decoder's error. */
function base64Length(v: string): number | string {
  const bad = v.search(/[^A-Za-z0-9+/=]/);
  if (bad >= 0) return `illegal base64 data at input byte ${bad}`;
  if (!base64Re.test(v) || v.length % 4 !== 0)
    return `illegal base64 data at input byte ${Math.max(0, v.length - (v.length % 4 || 4))}`;
  const pad = v.endsWith('==') ? 2 : v.endsWith('=') ? 1 : 0;
  return (v.length / 4) * 3 - pad;
}

function base64Decode(v: string): string {
  try {
    const bin = atob(v);
    const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
    return new TextDecoder().decode(bytes);
  } catch {
    return '';
  }
}

function jsonObjectError(text: string): string | undefined {
  const t = text.trim();
  if (!t) return 'unexpected end of JSON input';
  try {
    const v: unknown = JSON.parse(t);
    if (!isObj(v)) {
      const kind = Array.isArray(v)
        ? 'array'
        : typeof v === 'string'
          ? 'string'
          : typeof v === 'number'
            ? 'number'
            : typeof v === 'boolean'
              ? 'bool'
              : undefined;
      return kind
        ? `json: cannot unmarshal ${kind} into Go value of type map[string]interface {}`
        : undefined;
    }
    return undefined;
  } catch {
    return `invalid character '${t[0]}' looking for beginning of value`;
  }
}

export function validateSecret(secret: Obj): FieldError[] {
  const errs = validateObjectMeta(secret.metadata, true, nameIsDNSSubdomain);
  const dataPath = root('data');
  const data = obj(secret.data) ?? {};
  let total = 0;
  for (const [key, raw] of Object.entries(data)) {
    errs.push(...isConfigMapKey(key).map((m) => invalid(dataPath.key(key), key, m)));
    const len = base64Length(typeof raw === 'string' ? raw : '');
    if (typeof len === 'string')
      errs.push(invalid(dataPath.key(key), '<secret contents redacted>', len));
    else total += len;
  }
  if (total > MAX_SECRET_SIZE) errs.push(tooLong(dataPath, MAX_SECRET_SIZE));
  const has = (k: string): boolean => k in data;
  const decoded = (k: string): string => base64Decode(str(data[k]) ?? '');
  switch (str(secret.type) ?? '') {
    case 'kubernetes.io/service-account-token':
      if (!(
        strMap(obj(secret.metadata)?.annotations)['kubernetes.io/service-account.name'] ?? ''
      )) {
        errs.push(required(META.child('annotations').key('kubernetes.io/service-account.name')));
      }
      break;
    case 'kubernetes.io/dockercfg':
    case 'kubernetes.io/dockerconfigjson': {
      const key =
        str(secret.type) === 'kubernetes.io/dockercfg' ? '.dockercfg' : '.dockerconfigjson';
      if (!has(key)) errs.push(required(dataPath.key(key)));
      else {
        const e = jsonObjectError(decoded(key));
        if (e) errs.push(invalid(dataPath.key(key), '<secret contents redacted>', e));
      }
      break;
    }
    case 'kubernetes.io/basic-auth':
      if (!has('username') && !has('password')) {
        errs.push(required(dataPath.key('username')), required(dataPath.key('password')));
      }
      break;
    case 'kubernetes.io/ssh-auth':
      if (!(str(data['ssh-privatekey']) ?? '')) errs.push(required(dataPath.key('ssh-privatekey')));
      break;
    case 'kubernetes.io/tls':
      if (!has('tls.crt')) errs.push(required(dataPath.key('tls.crt')));
      if (!has('tls.key')) errs.push(required(dataPath.key('tls.key')));
      break;
    default:
  }
  return errs;
}

function immutableDataErrors(n: Obj, o: Obj, fields: string[]): FieldError[] {
  if (o.immutable !== true) return [];
  const errs: FieldError[] = [];
  if (n.immutable !== true)
    errs.push(forbidden(root('immutable'), 'field is immutable when `immutable` is set'));
  for (const f of fields) {
    if (!semanticEqual(n[f], o[f]))
      errs.push(forbidden(root(f), 'field is immutable when `immutable` is set'));
  }
  return errs;
}

export function validateSecretUpdate(secret: Obj, old: Obj): FieldError[] {
  return [
    ...validateObjectMetaUpdate(secret.metadata, old.metadata),
    ...validateImmutable(str(secret.type) ?? '', str(old.type) ?? '', root('type')),
    ...immutableDataErrors(secret, old, ['data']),
    ...validateSecret(secret),
  ];
}

export function validateConfigMap(cm: Obj): FieldError[] {
  const errs = validateObjectMeta(cm.metadata, true, nameIsDNSSubdomain);
  const data = strMap(cm.data);
  const binary = obj(cm.binaryData) ?? {};
  let total = 0;
  for (const [key, value] of Object.entries(data)) {
    errs.push(...isConfigMapKey(key).map((m) => invalid(root('data').key(key), key, m)));
    if (key in binary)
      errs.push(invalid(root('data').key(key), key, 'duplicate of key present in binaryData'));
    total += new TextEncoder().encode(value).length;
  }
  for (const [key, value] of Object.entries(binary)) {
    errs.push(...isConfigMapKey(key).map((m) => invalid(root('binaryData').key(key), key, m)));
    const len = base64Length(typeof value === 'string' ? value : '');
    if (typeof len === 'string') errs.push(invalid(root('binaryData').key(key), key, len));
    else total += len;
  }
  if (total > MAX_SECRET_SIZE) errs.push(tooLong(root(''), MAX_SECRET_SIZE));
  return errs;
}

export function validateConfigMapUpdate(cm: Obj, old: Obj): FieldError[] {
  return [
    ...validateObjectMetaUpdate(cm.metadata, old.metadata),
    ...immutableDataErrors(cm, old, ['data', 'binaryData']),
    ...validateConfigMap(cm),
  ];
}

// ---------------- Endpoints ----------------

export function validateEndpoints(ep: Obj): FieldError[] {
  const errs = validateObjectMeta(ep.metadata, true, nameIsDNSSubdomain);
  objs(ep.subsets).forEach((ss, i) => {
    const p = root('subsets').index(i);
    const addresses = objs(ss.addresses);
    const notReady = objs(ss.notReadyAddresses);
    if (!addresses.length && !notReady.length) {
      errs.push(required(p, 'must specify `addresses` or `notReadyAddresses`'));
    }
    for (const [field, list] of [
      ['addresses', addresses],
      ['notReadyAddresses', notReady],
    ] as const) {
      list.forEach((a, j) => {
        const ap = p.child(field).index(j);
        const ip = str(a.ip) ?? '';
        errs.push(...isValidIP(ap.child('ip'), ip));
        const hostname = str(a.hostname) ?? '';
        if (hostname)
          errs.push(
            ...isDNS1123Label(hostname).map((m) => invalid(ap.child('hostname'), hostname, m)),
          );
        const nodeName = str(a.nodeName);
        if (nodeName !== undefined)
          errs.push(
            ...nameIsDNSSubdomain(nodeName, false).map((m) =>
              invalid(ap.child('nodeName'), nodeName, m),
            ),
          );
        errs.push(...validateNonSpecialIP(ip, ap.child('ip')));
      });
    }
    const ports = objs(ss.ports);
    ports.forEach((port, j) => {
      const pp = p.child('ports').index(j);
      const name = str(port.name) ?? '';
      if (ports.length > 1 && !name) errs.push(required(pp.child('name')));
      else if (name)
        errs.push(...isDNS1123Label(name).map((m) => invalid(pp.child('name'), name, m)));
      const n = num(port.port) ?? 0;
      if (n < 1 || n > 65535)
        errs.push(invalid(pp.child('port'), n, 'must be between 1 and 65535, inclusive'));
      const proto = str(port.protocol) ?? '';
      if (!proto) errs.push(required(pp.child('protocol')));
      else if (!protocols.includes(proto))
        errs.push(notSupported(pp.child('protocol'), proto, protocols));
      const ap = str(port.appProtocol);
      if (ap !== undefined)
        errs.push(...isQualifiedName(ap).map((m) => invalid(pp.child('appProtocol'), ap, m)));
    });
  });
  return errs;
}

export function validateEndpointsUpdate(ep: Obj, old: Obj): FieldError[] {
  return [...validateObjectMetaUpdate(ep.metadata, old.metadata), ...validateEndpoints(ep)];
}

// ---------------- Node ----------------

function validateNodeTaints(taints: unknown, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  const unique = new Map<string, Set<string>>();
  objs(taints).forEach((t, i) => {
    const p = path.index(i);
    const key = str(t.key) ?? '';
    const value = str(t.value) ?? '';
    const effect = str(t.effect) ?? '';
    errs.push(...validateLabelName(key, p.child('key')));
    const msgs = isValidLabelValue(value);
    if (msgs.length) errs.push(invalid(p.child('value'), value, msgs.join(';')));
    errs.push(...validateTaintEffect(effect, false, p.child('effect')));
    const keys = unique.get(effect) ?? new Set<string>();
    if (keys.has(key)) {
      errs.push(
        duplicate(
          p,
          { Key: key, Value: value, Effect: effect, TimeAdded: t.timeAdded ?? null },
          'taints must be unique by key and effect pair',
        ),
      );
      return;
    }
    keys.add(key);
    unique.set(effect, keys);
  });
  return errs;
}

function validateNodeResources(node: Obj): FieldError[] {
  const errs: FieldError[] = [];
  const status = obj(node.status) ?? {};
  for (const field of ['capacity', 'allocatable'] as const) {
    for (const [k, v] of Object.entries(obj(status[field]) ?? {})) {
      const p = root('status', field, k);
      const q = quantityAt(v, p, errs);
      if (q) errs.push(...validateResourceQuantityValue(k, q, p));
    }
  }
  return errs;
}

export function validateNode(node: Obj): FieldError[] {
  const spec = obj(node.spec) ?? {};
  const errs = validateObjectMeta(node.metadata, false, nameIsDNSSubdomain);
  if (objs(spec.taints).length) errs.push(...validateNodeTaints(spec.taints, META.child('taints')));
  errs.push(...validateNodeResources(node));
  const cidrs = strs(spec.podCIDRs);
  const cidrPath = root('spec', 'podCIDRs');
  cidrs.forEach((c, i) => errs.push(...isValidCIDR(cidrPath.index(i), c)));
  if (cidrs.length > 1) {
    const v6 = cidrs.map((c) => isIPv6String(c.split('/')[0]));
    if (cidrs.length > 2 || v6[0] === v6[1]) {
      errs.push(invalid(cidrPath, cidrs, 'may specify no more than one CIDR for each IP family'));
    }
    const seen = new Set<string>();
    cidrs.forEach((c, i) => {
      if (seen.has(c)) errs.push(duplicate(cidrPath.index(i), c));
      seen.add(c);
    });
  }
  return errs;
}

export function validateNodeUpdate(node: Obj, old: Obj): FieldError[] {
  const spec = obj(node.spec) ?? {};
  const oldSpec = obj(old.spec) ?? {};
  const errs = [
    ...validateObjectMetaUpdate(node.metadata, old.metadata),
    ...validateNodeResources(node),
  ];
  const seen = new Set<string>();
  objs(obj(node.status)?.addresses).forEach((a, i) => {
    const key = `${str(a.type) ?? ''}/${str(a.address) ?? ''}`;
    if (seen.has(key)) {
      errs.push(
        duplicate(root('status', 'addresses').index(i), {
          type: str(a.type) ?? '',
          address: str(a.address) ?? '',
        }),
      );
    }
    seen.add(key);
  });
  const oldCidrs = strs(oldSpec.podCIDRs);
  const newCidrs = strs(spec.podCIDRs);
  const msg = 'node updates may not change podCIDR except from "" to valid';
  if (oldCidrs.length) {
    if (oldCidrs.length !== newCidrs.length) errs.push(forbidden(root('spec', 'podCIDRs'), msg));
    else
      oldCidrs.forEach(
        (c, i) => c !== newCidrs[i] && errs.push(forbidden(root('spec', 'podCIDRs'), msg)),
      );
  }
  const oldProvider = str(oldSpec.providerID) ?? '';
  if (oldProvider && oldProvider !== (str(spec.providerID) ?? '')) {
    errs.push(
      forbidden(
        root('spec', 'providerID'),
        'node updates may not change providerID except from "" to valid',
      ),
    );
  }
  if (objs(spec.taints).length) errs.push(...validateNodeTaints(spec.taints, META.child('taints')));
  if ((str(spec.externalID) ?? '') !== (str(oldSpec.externalID) ?? '')) {
    errs.push(forbidden(root('spec', 'externalID'), 'may not be updated'));
  }
  return errs;
}

// ---------------- PersistentVolume / PersistentVolumeClaim ----------------

const reclaimPolicies = ['Delete', 'Recycle', 'Retain'];
const pvSources: Array<[string, string, string[]]> = [
  ['hostPath', 'hostPath', ['path']],
  ['gcePersistentDisk', 'persistentDisk', ['pdName']],
  ['awsElasticBlockStore', 'awsElasticBlockStore', ['volumeID']],
  ['glusterfs', 'glusterfs', ['endpoints', 'path']],
  ['flocker', 'flocker', []],
  ['nfs', 'nfs', ['server', 'path']],
  ['rbd', 'rbd', ['image']],
  ['quobyte', 'quobyte', ['registry', 'volume']],
  ['cephfs', 'cephfs', []],
  ['iscsi', 'iscsi', ['targetPortal', 'iqn']],
  ['cinder', 'cinder', ['volumeID']],
  ['fc', 'fc', []],
  ['flexVolume', 'flexVolume', ['driver']],
  ['azureFile', 'azureFile', ['secretName', 'shareName']],
  ['vsphereVolume', 'vsphereVolume', ['volumePath']],
  ['photonPersistentDisk', 'photonPersistentDisk', ['pdID']],
  ['portworxVolume', 'portworxVolume', ['volumeID']],
  ['azureDisk', 'azureDisk', ['diskName', 'diskURI']],
  ['scaleIO', 'scaleIO', ['gateway', 'system', 'volumeName']],
  ['local', 'local', ['path']],
  ['storageos', 'storageos', ['volumeName']],
  ['csi', 'csi', ['volumeHandle']],
];
const pvSourceKeys = pvSources.map(([k]) => k);

export function validatePersistentVolume(pv: Obj): FieldError[] {
  const spec = obj(pv.spec) ?? {};
  const specPath = root('spec');
  const errs = validateObjectMeta(pv.metadata, false, nameIsDNSSubdomain);
  const modes = strs(spec.accessModes);
  if (!modes.length) errs.push(required(specPath.child('accessModes')));
  errs.push(...validateAccessModes(modes, specPath.child('accessModes')));
  const capacity = obj(spec.capacity) ?? {};
  const capPath = specPath.child('capacity');
  if (!Object.keys(capacity).length) errs.push(required(capPath));
  if (!('storage' in capacity) || Object.keys(capacity).length > 1)
    errs.push(notSupported(capPath, sortedMap(capacity), ['storage']));
  for (const [k, v] of Object.entries(capacity)) {
    const q = quantityAt(v, capPath.key(k), errs);
    if (!q) continue;
    const value = quantityValue(q);
    if (value < 0n)
      errs.push(invalid(capPath.key(k), Number(value), 'must be a valid resource quantity'));
    errs.push(...validatePositiveQuantity(q, capPath.key(k)));
  }
  const reclaim = str(spec.persistentVolumeReclaimPolicy) ?? '';
  if (reclaim && !reclaimPolicies.includes(reclaim)) {
    errs.push(
      notSupported(specPath.child('persistentVolumeReclaimPolicy'), reclaim, reclaimPolicies),
    );
  }
  let nodeAffinitySet = false;
  const na = obj(spec.nodeAffinity);
  if (na) {
    nodeAffinitySet = true;
    const req = obj(na.required);
    if (req)
      errs.push(...validateNodeSelector(req, false, specPath.child('nodeAffinity', 'required')));
    else
      errs.push(
        required(
          specPath.child('nodeAffinity', 'required'),
          'must specify required node constraints',
        ),
      );
  }
  let count = 0;
  for (const [key, checkName, fields] of pvSources) {
    const src = obj(spec[key]);
    if (!src) continue;
    if (count > 0 && key !== 'flexVolume') {
      errs.push(forbidden(specPath.child(key), 'may not specify more than 1 volume type'));
      continue;
    }
    count++;
    const p = specPath.child(checkName);
    for (const f of fields) if (!(str(src[f]) ?? '')) errs.push(required(p.child(f)));
    if (key === 'hostPath' && str(src.path))
      errs.push(...validatePathNoBacksteps(str(src.path) ?? '', p.child('path')));
    if (key === 'local') {
      if (str(src.path))
        errs.push(...validatePathNoBacksteps(str(src.path) ?? '', p.child('path')));
      if (!nodeAffinitySet)
        errs.push(required(specPath.child('nodeAffinity'), 'Local volume requires node affinity'));
    }
    if (key === 'nfs' && !(str(src.path) ?? '').startsWith('/')) {
      errs.push(invalid(p.child('path'), str(src.path) ?? '', 'must be an absolute path'));
    }
    if (key === 'csi')
      errs.push(...validateCSIDriverName(str(src.driver) ?? '', p.child('driver')));
  }
  if (count === 0) errs.push(required(specPath, 'must specify a volume type'));
  const hostPath = str(obj(spec.hostPath)?.path);
  if (
    hostPath !== undefined &&
    hostPath.replace(/\/+$/, '') === '' &&
    hostPath.startsWith('/') &&
    reclaim === 'Recycle'
  ) {
    errs.push(
      forbidden(
        specPath.child('persistentVolumeReclaimPolicy'),
        "may not be 'recycle' for a hostPath mount of '/'",
      ),
    );
  }
  const sc = str(spec.storageClassName) ?? '';
  if (sc)
    errs.push(
      ...nameIsDNSSubdomain(sc, false).map((m) =>
        invalid(specPath.child('storageClassName'), sc, m),
      ),
    );
  const vm = str(spec.volumeMode);
  if (vm !== undefined && !volumeModes.includes(vm))
    errs.push(notSupported(specPath.child('volumeMode'), vm, volumeModes));
  const vac = spec.volumeAttributesClassName;
  if (typeof vac === 'string') {
    if (!vac)
      errs.push(
        required(specPath.child('volumeAttributesClassName'), 'an empty string is disallowed'),
      );
    else
      errs.push(
        ...nameIsDNSSubdomain(vac, false).map((m) =>
          invalid(specPath.child('volumeAttributesClassName'), vac, m),
        ),
      );
    if (!isObj(spec.csi))
      errs.push(
        required(specPath.child('csi'), 'has to be specified when using volumeAttributesClassName'),
      );
  }
  return errs;
}

function pvSource(spec: Obj): Obj {
  const out: Obj = {};
  for (const k of pvSourceKeys) if (spec[k] !== undefined) out[k] = spec[k];
  return out;
}

export function validatePersistentVolumeUpdate(pv: Obj, old: Obj): FieldError[] {
  const spec = obj(pv.spec) ?? {};
  const oldSpec = obj(old.spec) ?? {};
  const errs = [
    ...validateObjectMetaUpdate(pv.metadata, old.metadata),
    ...validatePersistentVolume(pv),
  ];
  const newSource = clone(pvSource(spec));
  const oldSource = pvSource(oldSpec);
  const newCsi = obj(newSource.csi);
  if (newCsi && isObj(oldSource.csi) && oldSource.csi.controllerExpandSecretRef === undefined)
    delete newCsi.controllerExpandSecretRef;
  if (!semanticEqual(newSource, oldSource)) {
    errs.push(
      forbidden(
        root('spec', 'persistentvolumesource'),
        `spec.persistentvolumesource is immutable after creation\n${specDiff(oldSource, newSource, 'core.PersistentVolumeSource')}`,
      ),
    );
  }
  errs.push(
    ...validateImmutable(spec.volumeMode ?? null, oldSpec.volumeMode ?? null, root('volumeMode')),
  );
  if (
    oldSpec.nodeAffinity !== undefined &&
    oldSpec.nodeAffinity !== null &&
    !semanticEqual(spec.nodeAffinity, oldSpec.nodeAffinity)
  ) {
    errs.push(
      invalid(
        root('nodeAffinity'),
        spec.nodeAffinity ?? null,
        `${FIELD_IMMUTABLE}, except for updating from beta label to GA`,
      ),
    );
  }
  if (
    typeof oldSpec.volumeAttributesClassName === 'string' &&
    (spec.volumeAttributesClassName === undefined || spec.volumeAttributesClassName === null)
  ) {
    errs.push(
      forbidden(
        root('spec', 'volumeAttributesClassName'),
        'update from non-nil value to nil is forbidden',
      ),
    );
  }
  return errs;
}

export function validatePersistentVolumeClaim(pvc: Obj): FieldError[] {
  return [
    ...validateObjectMeta(pvc.metadata, true, nameIsDNSSubdomain),
    ...validatePersistentVolumeClaimSpec(obj(pvc.spec) ?? {}, root('spec')),
  ];
}

const BETA_STORAGE_CLASS = 'volume.beta.kubernetes.io/storage-class';

export function validatePersistentVolumeClaimUpdate(pvc: Obj, old: Obj): FieldError[] {
  const errs = [
    ...validateObjectMetaUpdate(pvc.metadata, old.metadata),
    ...validatePersistentVolumeClaim(pvc),
  ];
  const newSpec = clone(obj(pvc.spec) ?? {});
  const oldSpec = clone(obj(old.spec) ?? {});
  if (!(str(oldSpec.volumeName) ?? '')) oldSpec.volumeName = newSpec.volumeName;
  const oldAnn = strMap(obj(old.metadata)?.annotations);
  const newAnn = strMap(obj(pvc.metadata)?.annotations);
  const newSC = str(newSpec.storageClassName);
  const oldSC = str(oldSpec.storageClassName);
  const upgradeFromAnnotation =
    BETA_STORAGE_CLASS in oldAnn &&
    oldSC === undefined &&
    newSC !== undefined &&
    newSC === oldAnn[BETA_STORAGE_CLASS] &&
    (!(BETA_STORAGE_CLASS in newAnn) || newAnn[BETA_STORAGE_CLASS] === oldAnn[BETA_STORAGE_CLASS]);
  if (upgradeFromAnnotation) {
    delete newSpec.storageClassName;
  } else {
    if ((newAnn[BETA_STORAGE_CLASS] ?? '') !== (oldAnn[BETA_STORAGE_CLASS] ?? '')) {
      errs.push(
        invalid(
          META.child('annotations', BETA_STORAGE_CLASS),
          newAnn[BETA_STORAGE_CLASS] ?? '',
          FIELD_IMMUTABLE,
        ),
      );
    }
    if (
      newSC !== undefined &&
      oldSC === undefined &&
      (!(BETA_STORAGE_CLASS in oldAnn) || newSC === oldAnn[BETA_STORAGE_CLASS])
    ) {
      newSpec.storageClassName = oldSpec.storageClassName;
    }
  }
  const bound = str(obj(pvc.status)?.phase) === 'Bound';
  const newRequests = obj(obj(newSpec.resources)?.requests);
  if (bound && newRequests) newRequests.storage = obj(obj(oldSpec.resources)?.requests)?.storage;
  if (
    bound &&
    newSpec.volumeAttributesClassName !== undefined &&
    newSpec.volumeAttributesClassName !== null
  ) {
    newSpec.volumeAttributesClassName = oldSpec.volumeAttributesClassName;
  }
  if (!semanticEqual(newSpec, oldSpec)) {
    errs.push(
      forbidden(
        root('spec'),
        `spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims\n${specDiff(oldSpec, newSpec, 'core.PersistentVolumeClaimSpec')}`,
      ),
    );
  }
  const size = (v: unknown): Quantity | undefined => {
    const q = readQuantity(v ?? '0');
    return typeof q === 'object' ? q : undefined;
  };
  const newSize = size(obj(obj(obj(pvc.spec)?.resources)?.requests)?.storage);
  const oldSize = size(obj(obj(obj(old.spec)?.resources)?.requests)?.storage);
  const statusSize = size(obj(obj(old.status)?.capacity)?.storage);
  if (newSize && oldSize && compareQuantities(newSize, oldSize) < 0) {
    if (statusSize && compareQuantities(newSize, statusSize) <= 0) {
      errs.push(
        forbidden(
          root('spec', 'resources', 'requests', 'storage'),
          'field can not be less than status.capacity',
        ),
      );
    }
  }
  errs.push(
    ...validateImmutable(
      obj(pvc.spec)?.volumeMode ?? null,
      obj(old.spec)?.volumeMode ?? null,
      root('volumeMode'),
    ),
  );
  const oldVac = obj(old.spec)?.volumeAttributesClassName;
  const newVac = obj(pvc.spec)?.volumeAttributesClassName;
  if (typeof oldVac === 'string' && oldVac !== newVac) {
    if (newVac === undefined || newVac === null) {
      errs.push(
        forbidden(
          root('spec', 'volumeAttributesClassName'),
          'update from non-nil value to nil is forbidden',
        ),
      );
    } else if (newVac === '') {
      errs.push(
        forbidden(
          root('spec', 'volumeAttributesClassName'),
          'update from non-nil value to an empty string is forbidden',
        ),
      );
    }
  }
  return errs;
}

// ---------------- LimitRange / ResourceQuota ----------------

const limitTypes = new Set(['Pod', 'Container', 'PersistentVolumeClaim']);

function limitRangeResourceName(type: string, name: string, path: Path): FieldError[] {
  return type === 'Pod' || type === 'Container'
    ? validateContainerResourceName(name, path)
    : validateResourceName(name, path);
}

export function validateLimitRange(lr: Obj): FieldError[] {
  const errs = validateObjectMeta(lr.metadata, true, nameIsDNSSubdomain);
  const seenTypes = new Set<string>();
  objs(obj(lr.spec)?.limits).forEach((limit, i) => {
    const p = root('spec', 'limits').index(i);
    const type = str(limit.type) ?? '';
    const typeErrs = isQualifiedName(type).map((m) => invalid(p.child('type'), type, m));
    if (!typeErrs.length && !type.includes('/') && !limitTypes.has(type)) {
      typeErrs.push(
        invalid(p.child('type'), type, 'must be a standard limit type or fully qualified'),
      );
    }
    errs.push(...typeErrs);
    if (seenTypes.has(type)) errs.push(duplicate(p.child('type'), type));
    seenTypes.add(type);
    const keys = new Set<string>();
    const read = (field: string): Map<string, Quantity> => {
      const out = new Map<string, Quantity>();
      for (const [k, v] of Object.entries(obj(limit[field]) ?? {})) {
        errs.push(...limitRangeResourceName(type, k, p.child(field).key(k)));
        keys.add(k);
        const q = quantityAt(v, p.child(field).key(k), errs);
        if (q) out.set(k, q);
      }
      return out;
    };
    const max = read('max');
    const min = read('min');
    let defaults = new Map<string, Quantity>();
    let defaultRequests = new Map<string, Quantity>();
    if (type === 'Pod') {
      if (Object.keys(obj(limit.default) ?? {}).length)
        errs.push(forbidden(p.child('default'), "may not be specified when `type` is 'Pod'"));
      if (Object.keys(obj(limit.defaultRequest) ?? {}).length) {
        errs.push(
          forbidden(p.child('defaultRequest'), "may not be specified when `type` is 'Pod'"),
        );
      }
    } else {
      defaults = read('default');
      defaultRequests = read('defaultRequest');
    }
    if (type === 'PersistentVolumeClaim' && !min.has('storage') && !max.has('storage')) {
      errs.push(
        required(
          p.child('limits'),
          'either minimum or maximum storage value is required, but neither was provided',
        ),
      );
    }
    const ratios = read('maxLimitRequestRatio');
    const fq = formatQuantity;
    for (const k of keys) {
      const mn = min.get(k);
      const mx = max.get(k);
      const df = defaults.get(k);
      const dr = defaultRequests.get(k);
      const ratio = ratios.get(k);
      if (mn && mx && compareQuantities(mn, mx) > 0) {
        errs.push(
          invalid(
            p.child('min').key(k),
            fq(mn),
            `min value ${fq(mn)} is greater than max value ${fq(mx)}`,
          ),
        );
      }
      if (dr && mn && compareQuantities(mn, dr) > 0) {
        errs.push(
          invalid(
            p.child('defaultRequest').key(k),
            fq(dr),
            `min value ${fq(mn)} is greater than default request value ${fq(dr)}`,
          ),
        );
      }
      if (dr && mx && compareQuantities(dr, mx) > 0) {
        errs.push(
          invalid(
            p.child('defaultRequest').key(k),
            fq(dr),
            `default request value ${fq(dr)} is greater than max value ${fq(mx)}`,
          ),
        );
      }
      if (dr && df && compareQuantities(dr, df) > 0) {
        errs.push(
          invalid(
            p.child('defaultRequest').key(k),
            fq(dr),
            `default request value ${fq(dr)} is greater than default limit value ${fq(df)}`,
          ),
        );
      }
      if (df && mn && compareQuantities(mn, df) > 0) {
        errs.push(
          invalid(
            p.child('default').key(k),
            fq(mn),
            `min value ${fq(mn)} is greater than default value ${fq(df)}`,
          ),
        );
      }
      if (df && mx && compareQuantities(df, mx) > 0) {
        errs.push(
          invalid(
            p.child('default').key(k),
            fq(mx),
            `default value ${fq(df)} is greater than max value ${fq(mx)}`,
          ),
        );
      }
      const one = parseQuantity('1') as Quantity;
      if (ratio && compareQuantities(ratio, one) < 0) {
        errs.push(
          invalid(
            p.child('maxLimitRequestRatio').key(k),
            fq(ratio),
            `ratio ${fq(ratio)} is less than 1`,
          ),
        );
      }
      if (ratio && mn && mx && mn.sign > 0) {
        const limitRatio = Number(formatQuantityNumber(mx)) / Number(formatQuantityNumber(mn));
        if (Number(formatQuantityNumber(ratio)) > limitRatio) {
          errs.push(
            invalid(
              p.child('maxLimitRequestRatio').key(k),
              fq(ratio),
              `ratio ${fq(ratio)} is greater than max/min = ${limitRatio.toFixed(6)}`,
            ),
          );
        }
      }
      if (!isOvercommitAllowed(k) && df && dr && compareQuantities(df, dr) !== 0) {
        errs.push(
          invalid(
            p.child('defaultRequest').key(k),
            fq(dr),
            `default value ${fq(df)} must equal to defaultRequest value ${fq(dr)} in ${k}`,
          ),
        );
      }
    }
  });
  return errs;
}

function formatQuantityNumber(q: Quantity): string {
  const digits = q.mant.toString();
  return `${q.sign < 0 ? '-' : ''}${digits}e${q.scale}`;
}

export function validateLimitRangeUpdate(lr: Obj, old: Obj): FieldError[] {
  return [...validateObjectMetaUpdate(lr.metadata, old.metadata), ...validateLimitRange(lr)];
}

const quotaScopes = [
  'Terminating',
  'NotTerminating',
  'BestEffort',
  'NotBestEffort',
  'PriorityClass',
  'CrossNamespacePodAffinity',
  'VolumeAttributesClass',
];

function validateQuotaResources(map: unknown, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(obj(map) ?? {})) {
    const p = path.key(k);
    errs.push(...validateQuotaResourceName(k, p));
    const q = quantityAt(v, p, errs);
    if (q) errs.push(...validateResourceQuantityValue(k, q, p));
  }
  return errs;
}

function validateQuotaSpec(spec: Obj, path: Path): FieldError[] {
  const errs = validateQuotaResources(spec.hard, path.child('hard'));
  const scopes = strs(spec.scopes);
  for (const s of scopes) {
    if (!quotaScopes.includes(s))
      errs.push(invalid(path.child('scopes'), scopes, 'unsupported scope'));
  }
  const conflicting = (a: string, b: string, list: string[]): boolean =>
    list.includes(a) && list.includes(b);
  if (
    conflicting('BestEffort', 'NotBestEffort', scopes) ||
    conflicting('Terminating', 'NotTerminating', scopes)
  ) {
    errs.push(invalid(path.child('scopes'), scopes, 'conflicting scopes'));
  }
  const selector = obj(spec.scopeSelector);
  if (selector) {
    const sp = path.child('scopeSelector', 'matchExpressions');
    const names: string[] = [];
    for (const req of objs(selector.matchExpressions)) {
      const scope = str(req.scopeName) ?? '';
      const op = str(req.operator) ?? '';
      const values = strs(req.values);
      names.push(scope);
      if (!quotaScopes.includes(scope))
        errs.push(invalid(sp.child('scopeName'), scope, 'unsupported scope'));
      if (
        [
          'BestEffort',
          'NotBestEffort',
          'Terminating',
          'NotTerminating',
          'CrossNamespacePodAffinity',
        ].includes(scope) &&
        op !== 'Exists'
      ) {
        errs.push(
          invalid(
            sp.child('operator'),
            op,
            "must be 'Exists' when scope is any of ResourceQuotaScopeTerminating, ResourceQuotaScopeNotTerminating, ResourceQuotaScopeBestEffort, ResourceQuotaScopeNotBestEffort or ResourceQuotaScopeCrossNamespacePodAffinity",
          ),
        );
      }
      if (op === 'In' || op === 'NotIn') {
        if (!values.length)
          errs.push(
            required(
              sp.child('values'),
              "must be at least one value when `operator` is 'In' or 'NotIn' for scope selector",
            ),
          );
      } else if (op === 'Exists' || op === 'DoesNotExist') {
        if (values.length)
          errs.push(
            invalid(
              sp.child('values'),
              values,
              "must be no value when `operator` is 'Exist' or 'DoesNotExist' for scope selector",
            ),
          );
      } else errs.push(invalid(sp.child('operator'), op, 'not a valid selector operator'));
    }
    if (
      conflicting('BestEffort', 'NotBestEffort', names) ||
      conflicting('Terminating', 'NotTerminating', names)
    ) {
      errs.push(invalid(sp, scopes, 'conflicting scopes'));
    }
  }
  return errs;
}

export function validateResourceQuota(rq: Obj): FieldError[] {
  const status = obj(rq.status) ?? {};
  return [
    ...validateObjectMeta(rq.metadata, true, nameIsDNSSubdomain),
    ...validateQuotaSpec(obj(rq.spec) ?? {}, root('spec')),
    ...validateQuotaResources(status.hard, root('status', 'hard')),
    ...validateQuotaResources(status.used, root('status', 'used')),
  ];
}

export function validateResourceQuotaUpdate(rq: Obj, old: Obj): FieldError[] {
  const errs = [
    ...validateObjectMetaUpdate(rq.metadata, old.metadata),
    ...validateQuotaSpec(obj(rq.spec) ?? {}, root('spec')),
  ];
  const n = new Set(strs(obj(rq.spec)?.scopes));
  const o = new Set(strs(obj(old.spec)?.scopes));
  if (n.size !== o.size || [...n].some((s) => !o.has(s))) {
    errs.push(invalid(root('spec', 'scopes'), strs(obj(rq.spec)?.scopes), FIELD_IMMUTABLE));
  }
  return errs;
}

// ---------------- ReplicationController / PodTemplate ----------------

function validateRCSpec(spec: Obj, path: Path): FieldError[] {
  const errs = validateNonnegative(num(spec.minReadySeconds) ?? 0, path.child('minReadySeconds'));
  const selector = strMap(spec.selector);
  if (!Object.keys(selector).length) errs.push(required(path.child('selector')));
  errs.push(...validateNonnegative(num(spec.replicas) ?? 0, path.child('replicas')));
  const template = obj(spec.template);
  const tp = path.child('template');
  if (!template) {
    errs.push(required(tp));
    return errs;
  }
  const labels = strMap(obj(template.metadata)?.labels);
  if (
    Object.keys(selector).length &&
    !Object.entries(selector).every(([k, v]) => labels[k] === v)
  ) {
    errs.push(
      invalid(
        tp.child('metadata', 'labels'),
        sortedMap(labels),
        '`selector` does not match template `labels`',
      ),
    );
  }
  errs.push(...validatePodTemplateSpec(template, tp));
  const tspec = obj(template.spec) ?? {};
  const rp = str(tspec.restartPolicy) ?? '';
  if (rp !== 'Always') errs.push(notSupported(tp.child('spec', 'restartPolicy'), rp, ['Always']));
  if (tspec.activeDeadlineSeconds !== undefined && tspec.activeDeadlineSeconds !== null) {
    errs.push(
      forbidden(
        tp.child('spec', 'activeDeadlineSeconds'),
        'activeDeadlineSeconds in ReplicationController is not Supported',
      ),
    );
  }
  return errs;
}

export function validateReplicationController(rc: Obj): FieldError[] {
  return [
    ...validateObjectMeta(rc.metadata, true, nameIsDNSSubdomain),
    ...validateRCSpec(obj(rc.spec) ?? {}, root('spec')),
  ];
}

export function validateReplicationControllerUpdate(rc: Obj, old: Obj): FieldError[] {
  return [
    ...validateObjectMetaUpdate(rc.metadata, old.metadata),
    ...validateRCSpec(obj(rc.spec) ?? {}, root('spec')),
  ];
}

export function validatePodTemplate(pt: Obj): FieldError[] {
  return [
    ...validateObjectMeta(pt.metadata, true, nameIsDNSSubdomain),
    ...validatePodTemplateSpec(pt.template, root('template')),
  ];
}

export function validatePodTemplateUpdate(pt: Obj, old: Obj): FieldError[] {
  return [
    ...validateObjectMetaUpdate(pt.metadata, old.metadata),
    ...validatePodTemplateSpec(pt.template, root('template')),
  ];
}
