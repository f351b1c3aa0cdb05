// ClusterIP and NodePort allocation (pkg/registry/core/service/ipallocator and portallocator):
// addresses from the Service range and node ports from 30000-32767, checked for conflicts,
// reserved while a create is in flight and released when a Service is deleted or changes type.
import { invalid, fieldErrors, type FieldError } from '../../api/status.ts';
import type { KubeObject } from '../../api/types.ts';
import { ipToNumber, ipToString, parseCidr } from '../../api/cluster-network.ts';
import type { AdmissionPlugin, AdmissionRequest } from '../registry/rest.ts';

export interface ServiceRanges {
  /** e.g. 10.96.128.0/17 */
  serviceCidr: string;
  nodePortMin: number;
  nodePortMax: number;
}

interface ServicePort {
  name?: string;
  port?: number;
  nodePort?: number;
  protocol?: string;
}

interface ServiceSpec {
  type?: string;
  clusterIP?: string;
  clusterIPs?: string[];
  ports?: ServicePort[];
  healthCheckNodePort?: number;
}

function specOf(object: KubeObject | undefined): ServiceSpec {
  return (object?.spec as ServiceSpec | undefined) ?? {};
}

function usesNodePorts(type: string | undefined): boolean {
  return type === 'NodePort' || type === 'LoadBalancer';
}

export class ServiceAllocator {
  private readonly ips = new Map<number, string>(); // ip → owner key
  private readonly ports = new Map<number, string>();
  private readonly range: { base: number; size: number };
  private nextIp = 0;
  private nextPort = 0;

  constructor(readonly ranges: ServiceRanges) {
    this.range = parseCidr(ranges.serviceCidr);
  }

  /** The first usable address (the `kubernetes` Service's ClusterIP). */
  get firstIp(): string {
    return ipToString(this.range.base + 1);
  }

  /** Rebuilds the allocation maps from stored Services (on start). */
  load(services: KubeObject[]): void {
    this.ips.clear();
    this.ports.clear();
    for (const service of services) {
      const owner = ownerKey(service);
      const spec = specOf(service);
      for (const ip of spec.clusterIPs ?? (spec.clusterIP ? [spec.clusterIP] : [])) {
        const n = ipToNumber(ip);
        if (n !== undefined) this.ips.set(n, owner);
      }
      for (const port of spec.ports ?? []) if (port.nodePort) this.ports.set(port.nodePort, owner);
      if (spec.healthCheckNodePort) this.ports.set(spec.healthCheckNodePort, owner);
    }
  }

  private allocateIp(
    owner: string,
    requested: string | undefined,
    errors: FieldError[],
  ): string | undefined {
    const { base, size } = this.range;
    if (requested) {
      const n = ipToNumber(requested);
      if (n === undefined) {
        errors.push(
          fieldErrors.invalid(
            'spec.clusterIPs',
            [requested],
            `failed to allocate IP ${requested}: not a valid IP address`,
          ),
        );
        return undefined;
      }
      if (n <= base || n >= base + size - 1) {
        errors.push(
          fieldErrors.invalid(
            'spec.clusterIPs',
            [requested],
            `failed to allocate IP ${requested}: the provided IP (${requested}) is not in the valid range. The range of valid IPs is ${this.ranges.serviceCidr}`,
          ),
        );
        return undefined;
      }
      const holder = this.ips.get(n);
      if (holder && holder !== owner) {
        errors.push(
          fieldErrors.invalid(
            'spec.clusterIPs',
            [requested],
            `failed to allocate IP ${requested}: provided IP is already allocated`,
          ),
        );
        return undefined;
      }
      this.ips.set(n, owner);
      return requested;
    }
    for (let i = 0; i < size - 2; i++) {
      const offset = 1 + ((this.nextIp + i) % (size - 2));
      const n = base + offset;
      if (!this.ips.has(n)) {
        this.ips.set(n, owner);
        this.nextIp = offset;
        return ipToString(n);
      }
    }
    errors.push(
      fieldErrors.invalid('spec.clusterIPs', [], 'failed to allocate a serviceIP: range is full'),
    );
    return undefined;
  }

  private allocatePort(
    owner: string,
    requested: number | undefined,
    field: string,
    errors: FieldError[],
  ): number | undefined {
    const { nodePortMin: min, nodePortMax: max } = this.ranges;
    if (requested) {
      if (requested < min || requested > max) {
        errors.push(
          fieldErrors.invalid(
            field,
            requested,
            `provided port is not in the valid range. The range of valid ports is ${min}-${max}`,
          ),
        );
        return undefined;
      }
      const holder = this.ports.get(requested);
      if (holder && holder !== owner) {
        errors.push(fieldErrors.invalid(field, requested, 'provided port is already allocated'));
        return undefined;
      }
      this.ports.set(requested, owner);
      return requested;
    }
    const count = max - min + 1;
    for (let i = 0; i < count; i++) {
      const port = min + ((this.nextPort + i) % count);
      if (!this.ports.has(port)) {
        this.ports.set(port, owner);
        this.nextPort = port - min + 1;
        return port;
      }
    }
    errors.push(fieldErrors.invalid(field, 0, 'range is full'));
    return undefined;
  }

  private releaseOwner(owner: string, keepIps: Set<number>, keepPorts: Set<number>): void {
    for (const [ip, holder] of this.ips)
      if (holder === owner && !keepIps.has(ip)) this.ips.delete(ip);
    for (const [port, holder] of this.ports)
      if (holder === owner && !keepPorts.has(port)) this.ports.delete(port);
  }

  /** Fills spec.clusterIP(s) and nodePorts of a Service being created or updated. */
  assign(service: KubeObject, old: KubeObject | undefined): void {
    const owner = ownerKey(service);
    const spec = (service.spec ??= {}) as ServiceSpec;
    const errors: FieldError[] = [];
    if (spec.type === 'ExternalName') {
      delete spec.clusterIP;
      delete spec.clusterIPs;
    } else if (old && specOf(old).clusterIP && specOf(old).type !== 'ExternalName') {
      // clusterIP is immutable; validation reports a change, allocation keeps the old one.
      if (!spec.clusterIP) spec.clusterIP = specOf(old).clusterIP;
      if (!spec.clusterIPs?.length) spec.clusterIPs = specOf(old).clusterIPs ?? [spec.clusterIP!];
    } else if (spec.clusterIP === 'None' || spec.clusterIPs?.[0] === 'None') {
      spec.clusterIP = 'None';
      spec.clusterIPs = ['None'];
    } else {
      const ip = this.allocateIp(owner, spec.clusterIP || spec.clusterIPs?.[0], errors);
      if (ip) {
        spec.clusterIP = ip;
        spec.clusterIPs = [ip];
      }
    }
    if (usesNodePorts(spec.type)) {
      const oldPorts = new Map(
        (specOf(old).ports ?? []).map((p) => [`${p.port}/${p.protocol ?? 'TCP'}`, p.nodePort]),
      );
      (spec.ports ?? []).forEach((port, i) => {
        const wanted = port.nodePort || oldPorts.get(`${port.port}/${port.protocol ?? 'TCP'}`);
        const allocated = this.allocatePort(owner, wanted, `spec.ports[${i}].nodePort`, errors);
        if (allocated) port.nodePort = allocated;
      });
    } else {
      for (const port of spec.ports ?? []) delete port.nodePort;
    }
    if (errors.length) {
      throw invalid('Service', '', service.metadata.name ?? '', errors);
    }
  }

  /** After a write ends, however it ended: keep what the stored Service holds, release the rest. */
  settle(owner: string, stored: KubeObject | undefined): void {
    const spec = specOf(stored);
    const keepIps = new Set(
      (spec.clusterIPs ?? []).map(ipToNumber).filter((n): n is number => n !== undefined),
    );
    const keepPorts = new Set(
      (spec.ports ?? []).map((p) => p.nodePort).filter((n): n is number => Boolean(n)),
    );
    if (spec.healthCheckNodePort) keepPorts.add(spec.healthCheckNodePort);
    this.releaseOwner(owner, keepIps, keepPorts);
  }
}

function ownerKey(service: KubeObject): string {
  return `${service.metadata.namespace ?? ''}/${service.metadata.name ?? ''}`;
}

export function serviceAllocation(
  allocator: ServiceAllocator,
  getStored: (namespace: string, name: string) => KubeObject | undefined,
): AdmissionPlugin {
  const isService = (request: AdmissionRequest) =>
    request.info.group === '' && request.info.kind === 'Service';
  return {
    name: 'ServiceAllocation',
    mutate(request) {
      if (!isService(request) || request.subresource || !request.object) return;
      if (request.operation === 'CREATE' || request.operation === 'UPDATE')
        allocator.assign(request.object, request.oldObject);
    },
    finished(request) {
      if (!isService(request)) return;
      allocator.settle(
        `${request.namespace}/${request.name}`,
        getStored(request.namespace, request.name),
      );
    },
  };
}
