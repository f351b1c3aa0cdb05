// The Service environment variables a container starts with (kubelet's getServiceEnvVarMap in
// pkg/kubelet/kubelet_pods.go and envvars.FromServices in pkg/kubelet/envvars/envvars.go): the
// `{SVC}_SERVICE_HOST`/`_PORT` pair and the Docker-links variables, per Service.
import type { KubeObject } from '../../main/api/types.ts';

export interface ServiceEnvVar {
  name: string;
  value: string;
}

/** Services whose variables every pod gets, from the master namespace, links or not. */
const MASTER_SERVICES = new Set(['kubernetes']);

type Obj = Record<string, unknown>;
const obj = (value: unknown): Obj =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Obj) : {};
const arr = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

/** IsServiceIPSet: a ClusterIP that is neither empty nor `None`. */
function clusterIp(service: KubeObject): string | undefined {
  const ip = obj(service.spec).clusterIP;
  return typeof ip === 'string' && ip !== '' && ip !== 'None' ? ip : undefined;
}

/** Upper case, '-' → '_' (Service and port names are DNS labels, so nothing else is needed). */
export function envVarName(name: string): string {
  return name.replaceAll('-', '_').toUpperCase();
}

/** IPv6 addresses in a URL or host:port need brackets (net.JoinHostPort). */
function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** One Service's variables, in the order envvars.FromServices appends them. */
export function serviceEnvVars(service: KubeObject): ServiceEnvVar[] {
  const ip = clusterIp(service);
  const ports = arr(obj(service.spec).ports).map(obj);
  // Validation gives every Service with a ClusterIP at least one port; be safe anyway.
  if (ip === undefined || !ports.length) return [];
  const prefix = envVarName(service.metadata.name ?? '');
  const number = (port: Obj) => (typeof port.port === 'number' ? port.port : 0);
  const out: ServiceEnvVar[] = [
    { name: `${prefix}_SERVICE_HOST`, value: ip },
    { name: `${prefix}_SERVICE_PORT`, value: String(number(ports[0])) },
  ];
  for (const port of ports) {
    if (typeof port.name === 'string' && port.name !== '')
      out.push({
        name: `${prefix}_SERVICE_PORT_${envVarName(port.name)}`,
        value: String(number(port)),
      });
  }
  // Docker links: the first port also gives the bare `{SVC}_PORT`.
  ports.forEach((port, index) => {
    const protocol =
      typeof port.protocol === 'string' && port.protocol !== '' ? port.protocol : 'TCP';
    const url = `${protocol.toLowerCase()}://${joinHostPort(ip, number(port))}`;
    if (index === 0) out.push({ name: `${prefix}_PORT`, value: url });
    const portPrefix = `${prefix}_PORT_${number(port)}_${protocol.toUpperCase()}`;
    out.push(
      { name: portPrefix, value: url },
      { name: `${portPrefix}_PROTO`, value: protocol.toLowerCase() },
      { name: `${portPrefix}_PORT`, value: String(number(port)) },
      { name: `${portPrefix}_ADDR`, value: ip },
    );
  });
  return out;
}

/**
 * The Service variables for `pod`: with `spec.enableServiceLinks` (default true), every Service
 * with a ClusterIP in the pod's namespace; always the `kubernetes` Service of the master
 * namespace, unless the pod's namespace has its own `kubernetes` Service and links are on (the
 * kubelet lets that one win). kubelet keeps these in a map, so its order is Go's random map
 * order; here it is Services by name, each Service's variables in FromServices order, and a
 * name produced twice keeps its first place and its last value. The kubelet appends them after
 * the container's own env, skipping names the container defines, and offers them to `$(VAR)`
 * expansion.
 */
export function serviceEnv(
  pod: KubeObject,
  services: readonly KubeObject[],
  masterServiceNamespace = 'default',
): ServiceEnvVar[] {
  const namespace = pod.metadata.namespace ?? '';
  const links = obj(pod.spec).enableServiceLinks !== false;
  const chosen = new Map<string, KubeObject>();
  for (const service of services) {
    if (clusterIp(service) === undefined) continue;
    const name = service.metadata.name ?? '';
    if (service.metadata.namespace === masterServiceNamespace && MASTER_SERVICES.has(name)) {
      if (!chosen.has(name)) chosen.set(name, service);
    } else if (service.metadata.namespace === namespace && links) {
      chosen.set(name, service);
    }
  }
  const vars = new Map<string, string>();
  const sorted = [...chosen].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [, service] of sorted) {
    for (const v of serviceEnvVars(service)) vars.set(v.name, v.value);
  }
  return [...vars].map(([name, value]) => ({ name, value }));
}
