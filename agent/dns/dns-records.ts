// Cluster DNS records from Services and EndpointSlices, as the Kubernetes DNS specification
// (kubernetes/dns docs/specification.md) and CoreDNS's `kubernetes` plugin define them.
import type { KubeObject } from '../../main/api/types.ts';
import type { DnsRecords, SrvRecord } from '../netd/daemon/config.ts';
import { endpointsByPort, serviceKey, slicesByService } from '../proxy/endpoints.ts';

type Obj = Record<string, unknown>;
const obj = (value: unknown): Obj =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Obj) : {};
const arr = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const str = (value: unknown): string => (typeof value === 'string' ? value : '');

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function isIPv4(value: string): boolean {
  return IPV4.test(value);
}

/** `d.c.b.a.in-addr.arpa` for a.b.c.d. */
export function reverseName(ip: string): string {
  return `${ip.split('.').reverse().join('.')}.in-addr.arpa`;
}

/** A lower-case FQDN without the trailing dot. */
function fqdn(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

interface ServiceEndpoint {
  ip: string;
  /** The endpoint's DNS label: its hostname, else its IP with dashes (CoreDNS's choice). */
  label: string;
}

/**
 * The ready endpoints of a headless Service, each IP once. Read from the slices directly rather
 * than per port, because a headless Service may have no ports at all and still has A records.
 */
function readyEndpoints(slices: readonly KubeObject[]): ServiceEndpoint[] {
  const byIp = new Map<string, { ready: boolean; hostname?: string }>();
  for (const slice of slices) {
    for (const endpoint of arr(slice.endpoints).map(obj)) {
      const ready = obj(endpoint.conditions).ready !== false;
      const hostname = str(endpoint.hostname).toLowerCase() || undefined;
      for (const ip of arr(endpoint.addresses)) {
        if (typeof ip !== 'string' || !isIPv4(ip)) continue;
        const seen = byIp.get(ip);
        if (seen) {
          seen.ready ||= ready;
          seen.hostname ??= hostname;
        } else byIp.set(ip, { ready, hostname });
      }
    }
  }
  const out: ServiceEndpoint[] = [];
  for (const [ip, { ready, hostname }] of byIp)
    if (ready) out.push({ ip, label: hostname ?? ip.replaceAll('.', '-') });
  return out;
}

class RecordSet {
  private readonly names = new Map<string, DnsRecords>();

  at(name: string): DnsRecords {
    let records = this.names.get(name);
    if (!records) this.names.set(name, (records = {}));
    return records;
  }

  a(name: string, ip: string): void {
    const records = this.at(name);
    records.a ??= [];
    if (!records.a.includes(ip)) records.a.push(ip);
  }

  srv(name: string, record: SrvRecord): void {
    const records = this.at(name);
    records.srv ??= [];
    if (!records.srv.some((r) => r.port === record.port && r.target === record.target))
      records.srv.push(record);
  }

  ptr(ip: string, target: string): void {
    const records = this.at(reverseName(ip));
    records.ptr ??= [];
    if (!records.ptr.includes(target)) records.ptr.push(target);
  }

  /** Keys and lists in a stable order, so an unchanged cluster gives the same JSON document. */
  toObject(): Record<string, DnsRecords> {
    const out: Record<string, DnsRecords> = {};
    for (const name of [...this.names.keys()].sort()) {
      const records = this.names.get(name)!;
      const sorted: DnsRecords = {};
      if (records.a) sorted.a = [...records.a].sort(compareIps);
      if (records.srv)
        sorted.srv = [...records.srv].sort((x, y) =>
          x.target !== y.target ? (x.target < y.target ? -1 : 1) : x.port - y.port,
        );
      if (records.cname !== undefined) sorted.cname = records.cname;
      if (records.ptr) sorted.ptr = [...records.ptr].sort();
      out[name] = sorted;
    }
    return out;
  }
}

function compareIps(x: string, y: string): number {
  const a = x.split('.').map(Number);
  const b = y.split('.').map(Number);
  for (let i = 0; i < 4; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

/** RFC 2782 weights as CoreDNS spreads them: equal shares of 100 among a name's targets. */
function withWeights(records: Omit<SrvRecord, 'weight'>[]): SrvRecord[] {
  const weight = records.length ? Math.floor(100 / records.length) : 0;
  return records.map((r) => ({ ...r, weight }));
}

/**
 * Every cluster DNS record, keyed by lower-case FQDN (DnsConfig.records):
 * - ClusterIP Service: A `<svc>.<ns>.svc.<domain>` → ClusterIP; SRV `_<port>._<proto>.<svc>…` per
 *   named port → the Service name; PTR for the ClusterIP.
 * - Headless Service: A → every ready endpoint IP (none ready: no name, so NXDOMAIN as the spec
 *   says); A `<label>.<svc>…` per ready endpoint (label = hostname, else the IP with dashes, as
 *   CoreDNS names them); SRV per named port × ready endpoint → that name; PTR → that name.
 * - ExternalName Service: CNAME → spec.externalName.
 * The Service name itself also carries SRV records for all its ports, as CoreDNS answers them.
 * Services without a ClusterIP yet are skipped.
 */
export function buildDnsRecords(
  services: KubeObject[],
  slices: KubeObject[],
  domain = 'cluster.local',
): Record<string, DnsRecords> {
  const zone = fqdn(domain);
  const bySvc = slicesByService(slices);
  const set = new RecordSet();
  for (const service of services) {
    const namespace = service.metadata.namespace;
    const name = service.metadata.name;
    if (!namespace || !name) continue;
    const spec = obj(service.spec);
    const base = `${name}.${namespace}.svc.${zone}`.toLowerCase();

    if (spec.type === 'ExternalName') {
      // An IP is no name to alias: CoreDNS gives such a Service no record.
      const target = fqdn(str(spec.externalName));
      if (target && !isIPv4(target) && !target.includes(':')) set.at(base).cname = target;
      continue;
    }

    const clusterIP = str(spec.clusterIP);
    if (!clusterIP) continue;

    if (clusterIP === 'None') {
      const serviceSlices = bySvc.get(serviceKey(namespace, name)) ?? [];
      const ready = readyEndpoints(serviceSlices);
      if (!ready.length) continue;
      const labelOf = new Map(ready.map((e) => [e.ip, e.label]));
      for (const endpoint of ready) {
        const host = `${endpoint.label}.${base}`;
        set.a(base, endpoint.ip);
        set.a(host, endpoint.ip);
        set.ptr(endpoint.ip, host);
      }
      const all: Omit<SrvRecord, 'weight'>[] = [];
      for (const port of endpointsByPort(serviceSlices).values()) {
        const targets: Omit<SrvRecord, 'weight'>[] = [];
        for (const endpoint of port.endpoints) {
          const label = labelOf.get(endpoint.ip);
          if (!label) continue; // not ready
          targets.push({ priority: 0, port: endpoint.port, target: `${label}.${base}` });
        }
        all.push(...targets);
        if (port.name)
          for (const record of withWeights(targets))
            set.srv(`_${port.name}._${port.protocol}.${base}`.toLowerCase(), record);
      }
      for (const record of withWeights(all)) set.srv(base, record);
      continue;
    }

    const ips = [clusterIP, ...arr(spec.clusterIPs).map(str)].filter(isIPv4);
    if (!ips.length) continue; // IPv6-only: no A records to give
    for (const ip of ips) {
      set.a(base, ip);
      set.ptr(ip, base);
    }
    const ports = arr(spec.ports).map(obj);
    const weight = ports.length ? Math.floor(100 / ports.length) : 0;
    for (const port of ports) {
      const number = typeof port.port === 'number' ? port.port : 0;
      if (!number) continue;
      const portName = str(port.name);
      const protocol = str(port.protocol) || 'TCP';
      if (portName)
        set.srv(`_${portName}._${protocol}.${base}`.toLowerCase(), {
          priority: 0,
          weight: 100,
          port: number,
          target: base,
        });
      set.srv(base, { priority: 0, weight, port: number, target: base });
    }
  }
  return set.toObject();
}
