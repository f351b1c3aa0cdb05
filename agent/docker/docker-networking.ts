// Networking of the Docker node (DESIGN.md "Networking on Docker"): the agent-side controllers
// that feed netd (Service proxy, cluster DNS, Ingress controller), the NetworkPolicy notice, and
// the host tunnels that carry pods' connections to the `kubernetes` Service to the API server.
import type { KubeObject } from '../../main/api/types.ts';
import type { LocalClient } from '../../main/client/local-client.ts';
import type { InformerFactory } from '../../main/client/informer.ts';
import type { EventRecorder } from '../../main/controllers/runtime/events.ts';
import { ClusterDns, CLUSTER_DOMAIN } from '../dns/cluster-dns.ts';
import { ensureKubeDns } from '../dns/kube-dns-service.ts';
import { IngressController } from '../ingress/ingress-controller.ts';
import { serviceEnv } from '../kubelet/service-env.ts';
import { startHostTunnels } from '../netd/host-tunnel-client.ts';
import type { Netd } from '../netd/netd.ts';
import { NetworkPolicyNotice } from '../proxy/network-policies.ts';
import { SERVICES, ServiceProxy, ensureStarted } from '../proxy/service-proxy.ts';

export interface DockerNetworkingOptions {
  client: LocalClient;
  informers: InformerFactory;
  netd: Netd;
  events: EventRecorder;
  /** The Service range, for kube-dns's conventional ClusterIP. */
  serviceRange: string;
  /** Where the API server listens on the host (pods' `kubernetes` Service leads there). */
  apiServer: () => { host: string; port: number };
  log: (line: string) => void;
}

export class DockerNetworking {
  private readonly proxy: ServiceProxy;
  private readonly dns: ClusterDns;
  private readonly ingress: IngressController;
  private readonly policies: NetworkPolicyNotice;
  private tunnels: { stop(): void } | undefined;

  constructor(private readonly options: DockerNetworkingOptions) {
    const { client, informers, netd, events, log } = options;
    this.proxy = new ServiceProxy({ client, informers, netd, events, log });
    this.dns = new ClusterDns({ informers, netd, log });
    this.ingress = new IngressController({ client, informers, netd, events, log });
    this.policies = new NetworkPolicyNotice({ informers, events });
  }

  /** What pods need from here: their nameserver and their Service variables. */
  podSettings(): {
    dns: { nameserver: string; domain: string };
    serviceEnv: (pod: KubeObject) => { name: string; value: string }[];
  } {
    const services = ensureStarted(this.options.informers.for(SERVICES));
    return {
      dns: { nameserver: this.options.netd.address, domain: CLUSTER_DOMAIN },
      serviceEnv: (pod) => serviceEnv(pod, services.list()),
    };
  }

  start(): void {
    const { netd, apiServer, log } = this.options;
    this.proxy.start();
    this.dns.start();
    this.policies.start();
    this.ingress.start().catch((err: unknown) => log(`ingress controller: ${String(err)}`));
    ensureKubeDns(this.options.client, netd.address, this.options.serviceRange).catch(
      (err: unknown) => log(`cluster DNS: the kube-dns Service: ${String(err)}`),
    );
    this.tunnels = startHostTunnels({
      endpoint: () => netd.whenReady(10_000),
      target: apiServer,
      log,
    });
  }

  async stop(): Promise<void> {
    this.tunnels?.stop();
    this.ingress.stop();
    this.dns.stop();
    await this.proxy.stop();
  }
}
