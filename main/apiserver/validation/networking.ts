// networking.k8s.io/v1: NetworkPolicy, Ingress, IngressClass (pkg/apis/networking/validation).

import { forbidden, invalid, notSupported, Path, required, tooLong } from './field.ts';
import { intOrString, isObj, num, obj, objs, str, strMap, strs, type Obj } from './json.ts';
import {
  isDNS1123Subdomain,
  isDomainPrefixedPath,
  isValidPathSegmentName,
  isValidPortName,
  isValidPortNum,
  isWildcardDNS1123Subdomain,
  nameIsDNS1035Label,
  nameIsDNSLabel,
  nameIsDNSSubdomain,
} from './names.ts';
import {
  validateImmutable,
  validateLabelSelector,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from './meta.ts';
import { cidrContains, isValidCIDRLegacy, parseCIDR, parseIP } from './ip.ts';
import type { FieldError } from '../../api/status.ts';

const protocols = ['TCP', 'UDP', 'SCTP'];

function validatePolicyPort(port: Obj, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  const proto = str(port.protocol);
  if (proto !== undefined && !protocols.includes(proto))
    errs.push(notSupported(path.child('protocol'), proto, protocols));
  const p = intOrString(port.port);
  const endPort = num(port.endPort);
  if (p) {
    if (p.kind === 'int') {
      errs.push(...isValidPortNum(p.value).map((m) => invalid(path.child('port'), p.value, m)));
      if (endPort !== undefined) {
        if (endPort < p.value)
          errs.push(
            invalid(path.child('endPort'), p.value, 'must be greater than or equal to `port`'),
          );
        errs.push(
          ...isValidPortNum(endPort).map((m) => invalid(path.child('endPort'), endPort, m)),
        );
      }
    } else {
      if (endPort !== undefined)
        errs.push(
          invalid(
            path.child('endPort'),
            endPort,
            'may not be specified when `port` is non-numeric',
          ),
        );
      errs.push(...isValidPortName(p.value).map((m) => invalid(path.child('port'), p.value, m)));
    }
  } else if (endPort !== undefined) {
    errs.push(
      invalid(path.child('endPort'), endPort, 'may not be specified when `port` is not specified'),
    );
  }
  return errs;
}

function validatePeer(peer: Obj, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  let n = 0;
  for (const f of ['podSelector', 'namespaceSelector'] as const) {
    if (isObj(peer[f])) {
      n++;
      errs.push(...validateLabelSelector(peer[f], path.child(f)));
    }
  }
  const block = obj(peer.ipBlock);
  if (block) {
    n++;
    const bp = path.child('ipBlock');
    const cidr = str(block.cidr) ?? '';
    if (!cidr) errs.push(required(bp.child('cidr')));
    else {
      errs.push(...isValidCIDRLegacy(bp.child('cidr'), cidr));
      const net = parseCIDR(cidr);
      if (net) {
        strs(block.except).forEach((e, i) => {
          const ep = bp.child('except').index(i);
          const ee = isValidCIDRLegacy(ep, e);
          errs.push(...ee);
          const except = parseCIDR(e);
          if (!except) return;
          if (!cidrContains(net, except.ip) || net.bits >= except.bits) {
            errs.push(invalid(ep, e, 'must be a strict subset of `cidr`'));
          }
        });
      }
    }
  }
  if (n === 0) errs.push(required(path, 'must specify a peer'));
  else if (n > 1 && block)
    errs.push(forbidden(path, 'may not specify both ipBlock and another peer'));
  return errs;
}

function validateNetworkPolicySpec(spec: Obj, path: Path): FieldError[] {
  const errs = validateLabelSelector(spec.podSelector ?? {}, path.child('podSelector'));
  for (const [dir, peers] of [
    ['ingress', 'from'],
    ['egress', 'to'],
  ] as const) {
    objs(spec[dir]).forEach((rule, i) => {
      const rp = path.child(dir).index(i);
      objs(rule.ports).forEach((p, j) =>
        errs.push(...validatePolicyPort(p, rp.child('ports').index(j))),
      );
      objs(rule[peers]).forEach((p, j) => errs.push(...validatePeer(p, rp.child(peers).index(j))));
    });
  }
  const types = strs(spec.policyTypes);
  if (types.length > 2) {
    errs.push(
      invalid(path.child('policyTypes'), types, 'may not specify more than two policyTypes'),
    );
    return errs;
  }
  types.forEach((t, i) => {
    if (t !== 'Ingress' && t !== 'Egress')
      errs.push(notSupported(path.child('policyTypes').index(i), t, ['Ingress', 'Egress']));
  });
  return errs;
}

export function validateNetworkPolicy(np: Obj): FieldError[] {
  return [
    ...validateObjectMeta(np.metadata, true, nameIsDNSSubdomain),
    ...validateNetworkPolicySpec(obj(np.spec) ?? {}, Path.root('spec')),
  ];
}

export function validateNetworkPolicyUpdate(np: Obj, old: Obj): FieldError[] {
  return [
    ...validateObjectMetaUpdate(np.metadata, old.metadata),
    ...validateNetworkPolicySpec(obj(np.spec) ?? {}, Path.root('spec')),
  ];
}

// ---------------- Ingress ----------------

const pathTypes = ['Exact', 'ImplementationSpecific', 'Prefix'];
const invalidPathSequences = ['//', '/./', '/../', '%2f', '%2F'];
const invalidPathSuffixes = ['/..', '/.'];

function validateBackend(backend: Obj, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  const resource = obj(backend.resource);
  const service = obj(backend.service);
  if (resource && service)
    return [invalid(path, '', 'cannot set both resource and service backends')];
  if (resource) return validateTypedRef(resource, path.child('resource'));
  if (!service) return [invalid(path, '', 'resource or service backend is required')];
  const name = str(service.name) ?? '';
  if (!name) errs.push(required(path.child('service', 'name')));
  else
    errs.push(
      ...nameIsDNS1035Label(name, false).map((m) =>
        invalid(path.child('service', 'name'), name, m),
      ),
    );
  const port = obj(service.port) ?? {};
  const portName = str(port.name) ?? '';
  const portNumber = num(port.number) ?? 0;
  if (portName && portNumber)
    errs.push(invalid(path, '', 'cannot set both port name & port number'));
  else if (portName)
    errs.push(
      ...isValidPortName(portName).map((m) =>
        invalid(path.child('service', 'port', 'name'), portName, m),
      ),
    );
  else if (portNumber)
    errs.push(
      ...isValidPortNum(portNumber).map((m) =>
        invalid(path.child('service', 'port', 'number'), portNumber, m),
      ),
    );
  else errs.push(required(path, 'port name or number is required'));
  return errs;
}

function validateTypedRef(ref: Obj, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  const apiGroup = str(ref.apiGroup);
  if (apiGroup !== undefined)
    errs.push(
      ...isDNS1123Subdomain(apiGroup).map((m) => invalid(path.child('apiGroup'), apiGroup, m)),
    );
  for (const f of ['kind', 'name'] as const) {
    const v = str(ref[f]) ?? '';
    if (!v) errs.push(required(path.child(f), `${f} is required`));
    else errs.push(...isValidPathSegmentName(v).map((m) => invalid(path.child(f), v, m)));
  }
  return errs;
}

function validateIngressPath(p: Obj, path: Path): FieldError[] {
  const pathType = str(p.pathType);
  if (pathType === undefined)
    return [required(path.child('pathType'), 'pathType must be specified')];
  const errs: FieldError[] = [];
  const value = str(p.path) ?? '';
  if (pathType === 'Exact' || pathType === 'Prefix') {
    if (!value.startsWith('/'))
      errs.push(invalid(path.child('path'), value, 'must be an absolute path'));
    if (value) {
      for (const seq of invalidPathSequences) {
        if (value.includes(seq))
          errs.push(invalid(path.child('path'), value, `must not contain '${seq}'`));
      }
      for (const suffix of invalidPathSuffixes) {
        if (value.endsWith(suffix))
          errs.push(invalid(path.child('path'), value, `cannot end with '${suffix}'`));
      }
    }
  } else if (pathType === 'ImplementationSpecific') {
    if (value && !value.startsWith('/'))
      errs.push(invalid(path.child('path'), value, 'must be an absolute path'));
  } else errs.push(notSupported(path.child('pathType'), pathType, pathTypes));
  errs.push(...validateBackend(obj(p.backend) ?? {}, path.child('backend')));
  return errs;
}

function validateIngressSpec(spec: Obj, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  const rules = objs(spec.rules);
  const defaultBackend = obj(spec.defaultBackend);
  if (!rules.length && !defaultBackend) {
    errs.push(
      invalid(
        path,
        Array.isArray(spec.rules) ? spec.rules : null,
        'either `defaultBackend` or `rules` must be specified',
      ),
    );
  }
  if (defaultBackend) errs.push(...validateBackend(defaultBackend, path.child('defaultBackend')));
  rules.forEach((rule, i) => {
    const rp = path.child('rules').index(i);
    const host = str(rule.host) ?? '';
    if (host) {
      if (parseIP(host))
        errs.push(invalid(rp.child('host'), host, 'must be a DNS name, not an IP address'));
      if (host.includes('*'))
        errs.push(
          ...isWildcardDNS1123Subdomain(host).map((m) => invalid(rp.child('host'), host, m)),
        );
      else errs.push(...isDNS1123Subdomain(host).map((m) => invalid(rp.child('host'), host, m)));
    }
    const http = obj(rule.http);
    if (http) {
      const hp = rp.child('http');
      const paths = objs(http.paths);
      if (!paths.length) errs.push(required(hp.child('paths')));
      paths.forEach((p, j) => errs.push(...validateIngressPath(p, hp.child('paths').index(j))));
    }
  });
  objs(spec.tls).forEach((tls, i) => {
    const tp = path.child('tls').index(i);
    strs(tls.hosts).forEach((h, j) => {
      const msgs = h.includes('*') ? isWildcardDNS1123Subdomain(h) : isDNS1123Subdomain(h);
      errs.push(...msgs.map((m) => invalid(tp.child('hosts').index(j), h, m)));
    });
    const secret = str(tls.secretName) ?? '';
    if (secret)
      errs.push(
        ...nameIsDNSSubdomain(secret, false).map((m) => invalid(tp.child('secretName'), secret, m)),
      );
  });
  const cls = str(spec.ingressClassName);
  if (cls !== undefined)
    errs.push(
      ...nameIsDNSSubdomain(cls, false).map((m) => invalid(path.child('ingressClassName'), cls, m)),
    );
  return errs;
}

export function validateIngress(ing: Obj): FieldError[] {
  const spec = obj(ing.spec) ?? {};
  const errs = [
    ...validateObjectMeta(ing.metadata, true, nameIsDNSSubdomain),
    ...validateIngressSpec(spec, Path.root('spec')),
  ];
  const annotation = strMap(obj(ing.metadata)?.annotations)['kubernetes.io/ingress.class'];
  const cls = str(spec.ingressClassName);
  if (annotation !== undefined && cls !== undefined && annotation !== cls) {
    errs.push(
      invalid(
        Path.root('annotations', 'kubernetes.io/ingress.class'),
        annotation,
        'must match `ingressClassName` when both are specified',
      ),
    );
  }
  return errs;
}

export function validateIngressUpdate(ing: Obj, old: Obj): FieldError[] {
  return [
    ...validateObjectMetaUpdate(ing.metadata, old.metadata),
    ...validateObjectMeta(ing.metadata, true, nameIsDNSSubdomain),
    ...validateIngressSpec(obj(ing.spec) ?? {}, Path.root('spec')),
  ];
}

function validateIngressClassSpec(spec: Obj, path: Path): FieldError[] {
  const errs: FieldError[] = [];
  const controller = str(spec.controller) ?? '';
  if (controller.length > 250) errs.push(tooLong(path.child('controller'), 250));
  errs.push(...isDomainPrefixedPath(path.child('controller'), controller));
  const params = obj(spec.parameters);
  if (params) {
    const pp = path.child('parameters');
    errs.push(...validateTypedRef(params, pp));
    const scope = str(params.scope);
    if (scope === undefined) errs.push(required(pp.child('scope')));
    else if (scope !== 'Cluster' && scope !== 'Namespace')
      errs.push(notSupported(pp.child('scope'), scope, ['Cluster', 'Namespace']));
    else if (scope === 'Namespace') {
      const ns = str(params.namespace);
      if (ns === undefined)
        errs.push(required(pp.child('namespace'), "`parameters.scope` is set to 'Namespace'"));
      else
        errs.push(...nameIsDNSLabel(ns, false).map((m) => invalid(pp.child('namespace'), ns, m)));
    } else if (params.namespace !== undefined && params.namespace !== null) {
      errs.push(forbidden(pp.child('namespace'), "`parameters.scope` is set to 'Cluster'"));
    }
  }
  return errs;
}

export function validateIngressClass(ic: Obj): FieldError[] {
  return [
    ...validateObjectMeta(ic.metadata, false, nameIsDNSSubdomain),
    ...validateIngressClassSpec(obj(ic.spec) ?? {}, Path.root('spec')),
  ];
}

export function validateIngressClassUpdate(ic: Obj, old: Obj): FieldError[] {
  return [
    ...validateObjectMetaUpdate(ic.metadata, old.metadata),
    ...validateImmutable(
      str(obj(ic.spec)?.controller) ?? '',
      str(obj(old.spec)?.controller) ?? '',
      Path.root('spec', 'controller'),
    ),
    ...validateIngressClass(ic),
  ];
}
