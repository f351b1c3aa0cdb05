// The Service map netd proxies, computed the way kube-proxy builds its ServicePortMap and
// EndpointsMap (pkg/proxy/servicechangetracker.go, endpointslicecache.go, topology.go): Services
// with a ClusterIP, per port the ready endpoints of the slice port of the same name and protocol.
import type { KubeObject } from '../../main/api/types.ts';
import type {
  Endpoint,
  ServiceConfig,
  ServicePortConfig,
  ServicesConfig,
} from '../netd/daemon/config.ts';
import { endpointsByPort, serviceKey, slicesByService } from './endpoints.ts';

/** What the API server defaults sessionAffinityConfig.clientIP.timeoutSeconds to (3 hours). */
export const DEFAULT_AFFINITY_TIMEOUT_SECONDS = 10800;

/** The Service whose traffic netd hands to the API server on the host. */
const API_SERVER_SERVICE = serviceKey('default', 'kubernetes');

type Obj = Record<string, unknown>;
const obj = (value: unknown): Obj =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Obj) : {};
const arr = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** The Service's IPv4 ClusterIPs; empty for headless (`None`) and unallocated ones. */
export function serviceVips(service: KubeObject): string[] {
  const spec = obj(service.spec);
  const listed = arr(spec.clusterIPs).filter((ip): ip is string => typeof ip === 'string');
  const ips = listed.length ? listed : typeof spec.clusterIP === 'string' ? [spec.clusterIP] : [];
  return ips.filter((ip) => IPV4.test(ip));
}

/** kube-proxy's ShouldSkipService: no ClusterIP (headless or not yet allocated) or ExternalName. */
function proxied(service: KubeObject): boolean {
  const spec = obj(service.spec);
  if (spec.type === 'ExternalName') return false;
  if (spec.clusterIP === 'None' || !spec.clusterIP) return false;
  return true;
}

function compareEndpoints(a: Endpoint, b: Endpoint): number {
  const octets = (ip: string) => ip.split('.').map(Number);
  const [x, y] = [octets(a.ip), octets(b.ip)];
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d) return d;
  }
  return a.port - b.port;
}

/**
 * The whole PUT /v1/services document. Equal input gives an equal (JSON-identical) document:
 * Services sorted by key, ports in spec order, endpoints sorted by address.
 */
export function buildServicesConfig(
  services: readonly KubeObject[],
  slices: readonly KubeObject[],
): ServicesConfig {
  const byService = slicesByService(slices);
  const out: ServiceConfig[] = [];
  for (const service of services) {
    if (!proxied(service)) continue;
    const vips = serviceVips(service);
    if (!vips.length) continue;
    const key = serviceKey(service.metadata.namespace, service.metadata.name);
    const toHost = key === API_SERVER_SERVICE;
    const byPort = endpointsByPort(byService.get(key) ?? []);
    const spec = obj(service.spec);
    const ports: ServicePortConfig[] = [];
    for (const port of arr(spec.ports).map(obj)) {
      const protocol = typeof port.protocol === 'string' ? port.protocol : 'TCP';
      // netd proxies TCP and UDP; an SCTP port gets no listener rather than a wrong one.
      if (protocol !== 'TCP' && protocol !== 'UDP') continue;
      if (typeof port.port !== 'number') continue;
      const name = typeof port.name === 'string' ? port.name : '';
      const slicePort = byPort.get(name);
      const endpoints: Endpoint[] =
        slicePort && slicePort.protocol === protocol
          ? slicePort.endpoints.filter((e) => e.ready).map((e) => ({ ip: e.ip, port: e.port }))
          : [];
      endpoints.sort(compareEndpoints);
      const entry: ServicePortConfig = { name, protocol, port: port.port, endpoints };
      if (toHost) entry.toHost = true;
      ports.push(entry);
    }
    const config: ServiceConfig = { key, vips, ports };
    if (spec.sessionAffinity === 'ClientIP') {
      const timeout = obj(obj(spec.sessionAffinityConfig).clientIP).timeoutSeconds;
      config.affinityTimeoutSeconds =
        typeof timeout === 'number' && timeout > 0 ? timeout : DEFAULT_AFFINITY_TIMEOUT_SECONDS;
    }
    out.push(config);
  }
  out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { services: out };
}
