// The cluster network (DESIGN.md "Networking on Docker"): one user-defined bridge over the cluster
// CIDR (main/api/cluster-network.ts): pod IPs from Docker's IPAM in the lower half, Service
// ClusterIPs (allocated by the API server) in the upper half. Labelled with the cluster id; reused.
import type Docker from 'dockerode';
import type { ClusterNetworkPlan } from '../../main/api/cluster-network.ts';
import { LABEL_CLUSTER, LABEL_ROLE } from './labels.ts';

export function networkName(clusterId: string): string {
  return `skiff-${clusterId.slice(0, 12)}`;
}

/** The cluster network, created when missing; returns its name. */
export async function ensureClusterNetwork(
  docker: Docker,
  clusterId: string,
  plan: ClusterNetworkPlan,
): Promise<string> {
  const name = networkName(clusterId);
  const existing = await docker.listNetworks({
    filters: JSON.stringify({ label: [`${LABEL_CLUSTER}=${clusterId}`] }),
  });
  if (existing.some((n) => n.Name === name)) return name;
  await createOrReclaim(docker, name, clusterId, plan);
  return name;
}

async function createOrReclaim(
  docker: Docker,
  name: string,
  clusterId: string,
  plan: ClusterNetworkPlan,
): Promise<void> {
  try {
    await docker.createNetwork({
      Name: name,
      Driver: 'bridge',
      CheckDuplicate: true,
      Labels: { [LABEL_CLUSTER]: clusterId, [LABEL_ROLE]: 'network' },
      IPAM: {
        Driver: 'default',
        Config: [{ Subnet: plan.subnet, IPRange: plan.podRange, Gateway: plan.gateway }],
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
      n.IPAM?.Config?.some((c) => (c as { Subnet?: string }).Subnet === plan.subnet),
    );
    if (!holder) throw err;
    const detail = await docker.getNetwork(holder.Id).inspect();
    if (Object.keys((detail as { Containers?: object }).Containers ?? {}).length > 0)
      throw new Error(
        `the cluster network ${plan.subnet} is used by Docker network "${holder.Name}" of another Skiff cluster that has pods running; stop that cluster (or remove its containers) first`,
        { cause: err },
      );
    await docker.getNetwork(holder.Id).remove();
    await createOrReclaim(docker, name, clusterId, plan);
  }
}
