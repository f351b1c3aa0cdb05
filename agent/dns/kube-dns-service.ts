// The `kube-dns` Service in kube-system, as every cluster has it (kubeadm's CoreDNS addon, Docker
// Desktop): tools and charts name `kube-dns.kube-system.svc` as their resolver, and
// `kubectl cluster-info` lists it. It has no selector; an EndpointSlice of ours points it at netd,
// which answers cluster DNS. Its ClusterIP is the tenth of the Service range when free, as
// kubeadm's convention (10.96.0.10) has it.
import { StatusError } from '../../main/api/status.ts';
import type { KubeObject } from '../../main/api/types.ts';
import { ipToString, parseCidr } from '../../main/api/cluster-network.ts';
import type { LocalClient } from '../../main/client/local-client.ts';
import { ENDPOINT_SLICES, SERVICES } from '../proxy/service-proxy.ts';

export const KUBE_DNS = 'kube-dns';
const NAMESPACE = 'kube-system';
const SLICE = 'kube-dns-netd';
const MANAGED_BY = 'netd.skiff.dev';
const PORTS = [
  { name: 'dns', port: 53, protocol: 'UDP' },
  { name: 'dns-tcp', port: 53, protocol: 'TCP' },
];

export function kubeDnsService(clusterIP: string | undefined): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: KUBE_DNS,
      namespace: NAMESPACE,
      labels: {
        'k8s-app': KUBE_DNS,
        'kubernetes.io/cluster-service': 'true',
        'kubernetes.io/name': 'CoreDNS',
      },
    },
    spec: {
      ...(clusterIP && { clusterIP }),
      ports: PORTS.map((p) => ({ ...p, targetPort: 53 })),
    },
  };
}

export function kubeDnsSlice(netdAddress: string): KubeObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: SLICE,
      namespace: NAMESPACE,
      labels: {
        'kubernetes.io/service-name': KUBE_DNS,
        'endpointslice.kubernetes.io/managed-by': MANAGED_BY,
      },
    },
    addressType: 'IPv4',
    endpoints: [{ addresses: [netdAddress], conditions: { ready: true } }],
    ports: PORTS,
  };
}

const isCode = (err: unknown, ...codes: number[]) =>
  err instanceof StatusError && codes.includes(err.code);

/** Makes the Service (once; a user's edit stays) and keeps its slice pointing at netd. */
export async function ensureKubeDns(
  client: LocalClient,
  netdAddress: string,
  serviceRange: string,
): Promise<void> {
  if (!client.tryGet(SERVICES, NAMESPACE, KUBE_DNS)) {
    const { base } = parseCidr(serviceRange);
    try {
      await client.create(SERVICES, NAMESPACE, kubeDnsService(ipToString(base + 10)));
    } catch (err) {
      if (isCode(err, 409) && client.tryGet(SERVICES, NAMESPACE, KUBE_DNS)) {
        // Made meanwhile.
      } else if (isCode(err, 422, 409)) {
        // The tenth address is taken by another Service: any free one will do.
        await client.create(SERVICES, NAMESPACE, kubeDnsService(undefined)).catch((e: unknown) => {
          if (!isCode(e, 409)) throw e;
        });
      } else throw err;
    }
  }
  const want = kubeDnsSlice(netdAddress);
  const have = client.tryGet(ENDPOINT_SLICES, NAMESPACE, SLICE);
  if (!have) {
    await client.create(ENDPOINT_SLICES, NAMESPACE, want).catch((e: unknown) => {
      if (!isCode(e, 409)) throw e;
    });
  } else if (JSON.stringify(have.endpoints) !== JSON.stringify(want.endpoints)) {
    await client.update(ENDPOINT_SLICES, NAMESPACE, {
      ...want,
      metadata: { ...want.metadata, resourceVersion: have.metadata.resourceVersion },
    });
  }
}
