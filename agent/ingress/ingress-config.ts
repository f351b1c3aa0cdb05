// The Ingress controller's model (what ingress-nginx's store and controller.go compute): which
// networking.k8s.io/v1 Ingresses belong to our IngressClass, their rules merged oldest first, each
// backend resolved to a Service port's ready endpoints, and TLS certificates from Secrets, as the
// PUT /v1/ingress document netd serves. Pure: objects in, document and problems out.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import type { KubeObject } from '../../main/api/types.ts';
import type {
  Endpoint,
  IngressBackend,
  IngressConfig,
  IngressHost,
  IngressPath,
  IngressTls,
} from '../netd/daemon/config.ts';
import {
  endpointsByPort,
  serviceKey,
  servicePortName,
  slicesByService,
} from '../proxy/endpoints.ts';

export const DEFAULT_CLASS_NAME = 'skiff';
export const DEFAULT_CONTROLLER = 'skiff.dev/ingress-controller';
/** The IngressClass annotation marking the class Ingresses without one get (networking/v1). */
export const DEFAULT_CLASS_ANNOTATION = 'ingressclass.kubernetes.io/is-default-class';
/** The pre-IngressClass way to pick a controller, still honoured by ingress-nginx. */
export const LEGACY_CLASS_ANNOTATION = 'kubernetes.io/ingress.class';
export const TLS_SECRET_TYPE = 'kubernetes.io/tls';

export interface IngressProblem {
  /** `namespace/name` of the Ingress. */
  ingress: string;
  message: string;
}

export interface BuildIngressInput {
  ingresses: readonly KubeObject[];
  ingressClasses: readonly KubeObject[];
  services: readonly KubeObject[];
  slices: readonly KubeObject[];
  secrets: readonly KubeObject[];
  defaultCertificate: { cert: string; key: string };
  className?: string;
  controller?: string;
}

type Obj = Record<string, unknown>;
const obj = (value: unknown): Obj =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Obj) : {};
const arr = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const str = (value: unknown): string => (typeof value === 'string' ? value : '');

/** A DNS-1123 subdomain, optionally `*.`-prefixed: what netd accepts as a host (it refuses the whole document otherwise). */
const HOST_RE = /^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;

function ingressKey(ingress: KubeObject): string {
  return serviceKey(ingress.metadata.namespace, ingress.metadata.name);
}

/**
 * Whether an Ingress is served by this controller: the legacy annotation decides when present;
 * otherwise spec.ingressClassName must name an IngressClass with our controller, and an Ingress
 * naming no class is ours when one of our classes is marked default.
 */
export function ingressIsOurs(
  ingress: KubeObject,
  ingressClasses: readonly KubeObject[],
  className: string = DEFAULT_CLASS_NAME,
  controller: string = DEFAULT_CONTROLLER,
): boolean {
  const legacy = ingress.metadata.annotations?.[LEGACY_CLASS_ANNOTATION];
  if (legacy !== undefined) return legacy === className;
  const ours = ingressClasses.filter((c) => obj(c.spec).controller === controller);
  const named = str(obj(ingress.spec).ingressClassName);
  if (named) return ours.some((c) => c.metadata.name === named);
  return ours.some((c) => c.metadata.annotations?.[DEFAULT_CLASS_ANNOTATION] === 'true');
}

/** Oldest first, then by namespace/name, so the first Ingress to claim a path keeps it. */
function compareAge(a: KubeObject, b: KubeObject): number {
  const ta = Date.parse(a.metadata.creationTimestamp ?? '') || 0;
  const tb = Date.parse(b.metadata.creationTimestamp ?? '') || 0;
  if (ta !== tb) return ta - tb;
  const ka = ingressKey(a);
  const kb = ingressKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

function compareEndpoints(a: Endpoint, b: Endpoint): number {
  const x = a.ip.split('.').map(Number);
  const y = b.ip.split('.').map(Number);
  for (let i = 0; i < 4; i++) if (x[i] !== y[i]) return (x[i] ?? 0) - (y[i] ?? 0);
  return a.port - b.port;
}

/** A TLS Secret's PEM pair, or why it cannot be used. */
function tlsPair(
  secret: KubeObject,
): { cert: string; key: string; x509: X509Certificate } | string {
  if (secret.type !== TLS_SECRET_TYPE)
    return `is of type ${JSON.stringify(secret.type ?? 'Opaque')}, not ${TLS_SECRET_TYPE}`;
  const data = obj(secret.data);
  const decode = (name: string) => Buffer.from(str(data[name]), 'base64').toString('utf8');
  const cert = decode('tls.crt');
  const key = decode('tls.key');
  if (!cert.trim()) return 'has no tls.crt';
  if (!key.trim()) return 'has no tls.key';
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch (err) {
    return `tls.crt is not a PEM certificate (${(err as Error).message})`;
  }
  try {
    if (!x509.checkPrivateKey(createPrivateKey(key)))
      return 'tls.key does not match the certificate in tls.crt';
  } catch (err) {
    return `tls.key is not a PEM private key (${(err as Error).message})`;
  }
  return { cert, key, x509 };
}

export function buildIngressConfig(input: BuildIngressInput): {
  config: IngressConfig;
  problems: IngressProblem[];
} {
  const className = input.className ?? DEFAULT_CLASS_NAME;
  const controller = input.controller ?? DEFAULT_CONTROLLER;
  const problems: IngressProblem[] = [];
  const ours = input.ingresses
    .filter((i) => ingressIsOurs(i, input.ingressClasses, className, controller))
    .sort(compareAge);

  const services = new Map<string, KubeObject>();
  for (const s of input.services)
    services.set(serviceKey(s.metadata.namespace, s.metadata.name), s);
  const secrets = new Map<string, KubeObject>();
  for (const s of input.secrets) secrets.set(serviceKey(s.metadata.namespace, s.metadata.name), s);
  const slices = slicesByService(input.slices);

  /** Resolves spec.rules[].http.paths[].backend or spec.defaultBackend; undefined: skipped. */
  const resolve = (
    ingress: KubeObject,
    spec: unknown,
    where: string,
    problem: (message: string) => void,
  ): IngressBackend | undefined => {
    const namespace = ingress.metadata.namespace ?? '';
    const b = obj(spec);
    if (b.resource !== undefined) {
      problem(`${where}: resource backends are not supported; only Service backends`);
      return undefined;
    }
    const service = obj(b.service);
    const name = str(service.name);
    const portSpec = obj(service.port);
    const port: number | string | undefined =
      typeof portSpec.number === 'number' && portSpec.number > 0
        ? portSpec.number
        : str(portSpec.name) || undefined;
    if (!name || port === undefined) {
      problem(`${where}: a backend needs service.name and service.port (number or name)`);
      return undefined;
    }
    const key = serviceKey(namespace, name);
    const backend: IngressBackend = { service: `${key}:${port}`, endpoints: [] };
    const svc = services.get(key);
    if (!svc) {
      problem(`${where}: service "${key}" not found`);
      return backend;
    }
    if (obj(svc.spec).type === 'ExternalName') {
      problem(`${where}: service "${key}" is of type ExternalName, which is not supported`);
      return backend;
    }
    const portName = servicePortName(svc, port);
    if (portName === undefined) {
      problem(`${where}: service "${key}" has no port ${JSON.stringify(port)}`);
      return backend;
    }
    const ready = endpointsByPort(slices.get(key) ?? [])
      .get(portName)
      ?.endpoints.filter((e) => e.ready)
      .map((e): Endpoint => ({ ip: e.ip, port: e.port }));
    backend.endpoints = (ready ?? []).sort(compareEndpoints);
    return backend;
  };

  const hosts = new Map<string, IngressHost>();
  /** host + pathType + path → the Ingress that claimed it first. */
  const claimed = new Map<string, string>();
  const tls: IngressTls[] = [];
  /** One entry per certificate (a Secret shared by many Ingresses is sent once). */
  const tlsByPair = new Map<string, IngressTls>();
  /** SNI names already given a certificate: the oldest Ingress's wins. */
  const tlsClaimed = new Set<string>();
  let defaultBackend: IngressBackend | undefined;

  for (const ingress of ours) {
    const key = ingressKey(ingress);
    const problem = (message: string) => problems.push({ ingress: key, message });
    const spec = obj(ingress.spec);

    if (spec.defaultBackend !== undefined) {
      const backend = resolve(ingress, spec.defaultBackend, 'spec.defaultBackend', problem);
      if (backend && !defaultBackend) defaultBackend = backend;
    }

    const ruleHosts: string[] = [];
    arr(spec.rules).forEach((r, i) => {
      const rule = obj(r);
      const host = str(rule.host).toLowerCase();
      if (host && !HOST_RE.test(host)) {
        problem(`spec.rules[${i}].host: invalid host ${JSON.stringify(rule.host)}`);
        return;
      }
      if (host && !ruleHosts.includes(host)) ruleHosts.push(host);
      arr(obj(rule.http).paths).forEach((p, j) => {
        const where = `spec.rules[${i}].http.paths[${j}]`;
        const item = obj(p);
        const pathType = (str(item.pathType) ||
          'ImplementationSpecific') as IngressPath['pathType'];
        if (!['Exact', 'Prefix', 'ImplementationSpecific'].includes(pathType)) {
          problem(`${where}.pathType: unsupported value ${JSON.stringify(item.pathType)}`);
          return;
        }
        // ImplementationSpecific may leave the path out: it then means everything.
        const path = str(item.path) || (pathType === 'ImplementationSpecific' ? '/' : '');
        if (!path.startsWith('/')) {
          problem(`${where}.path: must be an absolute path`);
          return;
        }
        const backend = resolve(ingress, item.backend, `${where}.backend`, problem);
        if (!backend) return;
        const id = `${host}\0${pathType}\0${path}`;
        const owner = claimed.get(id);
        if (owner !== undefined) {
          if (owner !== key)
            problem(
              `${where}: ${host || '*'}${path} (${pathType}) is already served by Ingress ${owner}`,
            );
          return;
        }
        claimed.set(id, key);
        let entry = hosts.get(host);
        if (!entry) {
          entry = { host, paths: [] };
          hosts.set(host, entry);
        }
        entry.paths.push({ path, pathType, backend });
      });
    });

    arr(spec.tls).forEach((t, i) => {
      const entry = obj(t);
      const listed = arr(entry.hosts).flatMap((h, j) => {
        const host = str(h).toLowerCase();
        if (HOST_RE.test(host)) return [host];
        problem(`spec.tls[${i}].hosts[${j}]: invalid host ${JSON.stringify(h)}`);
        return [];
      });
      const tlsHosts = listed.length ? listed : ruleHosts;
      const secretName = str(entry.secretName);
      // No secret: those hosts are meant to get the default certificate (ingress-nginx does so).
      if (!secretName) return;
      const secretKey = serviceKey(ingress.metadata.namespace, secretName);
      const where = `spec.tls[${i}]`;
      if (!tlsHosts.length) {
        problem(
          `${where}: secret "${secretKey}" is for no host: list hosts or give the rules hosts`,
        );
        return;
      }
      const secret = secrets.get(secretKey);
      const pair = secret ? tlsPair(secret) : 'not found';
      if (typeof pair === 'string') {
        problem(
          `${where}: secret "${secretKey}" ${pair}: using the default certificate for ${tlsHosts.join(', ')}`,
        );
        return;
      }
      const covered: string[] = [];
      for (const host of tlsHosts) {
        if (pair.x509.checkHost(host) !== undefined) covered.push(host);
        else
          problem(
            `${where}: the certificate in secret "${secretKey}" is not valid for ${host}: using the default certificate`,
          );
      }
      const fresh = covered.filter((h) => !tlsClaimed.has(h));
      if (!fresh.length) return;
      for (const h of fresh) tlsClaimed.add(h);
      const id = `${pair.cert}\0${pair.key}`;
      const existing = tlsByPair.get(id);
      if (existing) existing.hosts.push(...fresh);
      else {
        const entry: IngressTls = { hosts: fresh, cert: pair.cert, key: pair.key };
        tlsByPair.set(id, entry);
        tls.push(entry);
      }
    });
  }

  const config: IngressConfig = {
    hosts: [...hosts.values()],
    tls,
    defaultCertificate: input.defaultCertificate,
  };
  if (defaultBackend) config.defaultBackend = defaultBackend;
  return { config, problems };
}
