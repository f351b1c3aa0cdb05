// The cluster network (DESIGN.md "Networking on Docker"): one user-defined bridge whose /16 is split
// in two: pod IPs from Docker's IPAM in the lower /17, Service ClusterIPs (allocated by the API
// server, DEFAULT_SERVICE_CIDR) in the upper /17. It is labelled with the cluster id and reused.
import type Docker from 'dockerode';
import { LABEL_CLUSTER, LABEL_ROLE } from './labels.ts';

export const CLUSTER_SUBNET = '10.96.0.0/16';
/** Docker IPAM hands pod (sandbox) addresses out of this range only. */
export const POD_IP_RANGE = '10.96.0.0/17';
/** The bridge's own address: the node's address as pods see it (InternalIP, hostIP). */
export const CLUSTER_GATEWAY = '10.96.0.1';

export function networkName(clusterId: string): string {
  return `skiff-${clusterId.slice(0, 12)}`;
}

/** The cluster network, created when missing; returns its name. */
export async function ensureClusterNetwork(docker: Docker, clusterId: string): Promise<string> {
  const name = networkName(clusterId);
  const existing = await docker.listNetworks({
    filters: JSON.stringify({ label: [`${LABEL_CLUSTER}=${clusterId}`] }),
  });
  if (existing.some((n) => n.Name === name)) return name;
  await createOrReclaim(docker, name, clusterId);
  return name;
}

async function createOrReclaim(docker: Docker, name: string, clusterId: string): Promise<void> {
  try {
    await docker.createNetwork({
      Name: name,
      Driver: 'bridge',
      CheckDuplicate: true,
      Labels: { [LABEL_CLUSTER]: clusterId, [LABEL_ROLE]: 'network' },
      IPAM: {
        Driver: 'default',
        Config: [{ Subnet: CLUSTER_SUBNET, IPRange: POD_IP_RANGE, Gateway: CLUSTER_GATEWAY }],
      },
    });
  } catch (err) {
    // Another start of the same cluster made it meanwhile.
    if ((err as { statusCode?: number }).statusCode === 409) return;
    const message = (err as { json?: { message?: string } }).json?.message ?? String(err);
    if (!/overlap/i.test(message)) throw err;
    // The subnet belongs to another Skiff cluster's network. One with no containers is idle (its
    // cluster is not running pods): take the subnet over. One in use is a clear error.
    const others = await docker.listNetworks({
      filters: JSON.stringify({ label: [LABEL_CLUSTER] }),
    });
    const holder = others.find((n) =>
      n.IPAM?.Config?.some((c) => (c as { Subnet?: string }).Subnet === CLUSTER_SUBNET),
    );
    if (!holder) throw err;
    const detail = await docker.getNetwork(holder.Id).inspect();
    if (Object.keys((detail as { Containers?: object }).Containers ?? {}).length > 0)
      throw new Error(
        `the cluster network ${CLUSTER_SUBNET} is used by Docker network "${holder.Name}" of another Skiff cluster that has pods running; stop that cluster (or remove its containers) first`,
        { cause: err },
      );
    await docker.getNetwork(holder.Id).remove();
    await createOrReclaim(docker, name, clusterId);
  }
}
