// The cluster's address plan (kube-controller-manager's --cluster-cidr and kube-apiserver's
// --service-cluster-ip-range in one): a single IPv4 block whose lower half holds pod IPs and whose
// upper half holds Service ClusterIPs; the block's first address is the node (the bridge gateway).
// Runtime-free: the API server, the Docker node and netd share it.

export const DEFAULT_CLUSTER_CIDR = '10.96.0.0/16';

export interface ClusterNetworkPlan {
  /** The whole block, the Docker network's subnet. */
  subnet: string;
  /** Pod (sandbox) addresses: the lower half. */
  podRange: string;
  /** Service ClusterIPs: the upper half. */
  serviceRange: string;
  /** The node as pods see it (the bridge's address): the block's first address. */
  gateway: string;
}

/** A CIDR's network address and size; throws naming the text when it is not an IPv4 CIDR (/8 to /30). */
export function parseCidr(cidr: string): { base: number; size: number } {
  const match = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(cidr);
  if (!match) throw new Error(`invalid CIDR ${cidr}`);
  const octets = match.slice(1, 5).map(Number);
  const bits = Number(match[5]);
  if (octets.some((o) => o > 255) || bits < 8 || bits > 30) throw new Error(`invalid CIDR ${cidr}`);
  const ip = ((octets[0] << 24) >>> 0) + (octets[1] << 16) + (octets[2] << 8) + octets[3];
  const size = 2 ** (32 - bits);
  return { base: ip - (ip % size), size };
}

export function ipToString(ip: number): string {
  return [ip >>> 24, (ip >>> 16) & 255, (ip >>> 8) & 255, ip & 255].join('.');
}

export function ipToNumber(ip: string): number | undefined {
  const match = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(ip);
  if (!match) return undefined;
  const octets = match.slice(1).map(Number);
  if (octets.some((o) => o > 255)) return undefined;
  return ((octets[0] << 24) >>> 0) + (octets[1] << 16) + (octets[2] << 8) + octets[3];
}

/**
 * Splits a cluster CIDR into the pod and Service halves. It must be a network address with a
 * prefix from /12 (a million addresses is plenty) to /24 (each half keeps 128 addresses).
 */
export function planClusterNetwork(cidr: string = DEFAULT_CLUSTER_CIDR): ClusterNetworkPlan {
  const match = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(cidr);
  const bits = match ? Number(match[5]) : NaN;
  const base = match ? ipToNumber(match.slice(1, 5).join('.')) : undefined;
  if (base === undefined || !(bits >= 12 && bits <= 24))
    throw new Error(`"${cidr}" is not an IPv4 CIDR with a prefix length from /12 to /24`);
  const half = 2 ** (31 - bits);
  if (base % (half * 2) !== 0)
    throw new Error(
      `"${cidr}" is not a network address (did you mean ${ipToString(base - (base % (half * 2)))}/${bits}?)`,
    );
  return {
    subnet: cidr,
    podRange: `${ipToString(base)}/${bits + 1}`,
    serviceRange: `${ipToString(base + half)}/${bits + 1}`,
    gateway: ipToString(base + 1),
  };
}
