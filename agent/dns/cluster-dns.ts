// Cluster DNS on the Docker node (CoreDNS's role): keeps netd's DNS records in step with Services
// and EndpointSlices; pods reach it through the nameserver their resolv.conf names (pod-dns.ts).
import type { InformerFactory } from '../../main/client/informer.ts';
import type { DnsConfig } from '../netd/daemon/config.ts';
import { NetdDocument } from '../netd/netd-document.ts';
import type { Netd } from '../netd/netd.ts';
import { ENDPOINT_SLICES, SERVICES, ensureStarted, onAnyChange } from '../proxy/service-proxy.ts';
import { buildDnsRecords } from './dns-records.ts';

export const CLUSTER_DOMAIN = 'cluster.local';
/** Seconds clients may cache answers (CoreDNS's kubernetes plugin default). */
export const DNS_TTL = 5;

export class ClusterDns {
  private readonly document: NetdDocument<DnsConfig>;

  constructor(
    private readonly options: {
      informers: InformerFactory;
      netd: Netd;
      log: (line: string) => void;
    },
  ) {
    const services = options.informers.for(SERVICES);
    const slices = options.informers.for(ENDPOINT_SLICES);
    this.document = new NetdDocument({
      client: options.netd.client,
      path: '/v1/dns',
      build: () => ({
        domain: CLUSTER_DOMAIN,
        ttl: DNS_TTL,
        records: buildDnsRecords(services.list(), slices.list(), CLUSTER_DOMAIN),
      }),
      log: options.log,
    });
    onAnyChange(services, () => this.document.changed());
    onAnyChange(slices, () => this.document.changed());
    ensureStarted(services);
    ensureStarted(slices);
  }

  start(): void {
    this.options.netd.onReady(() => this.document.resend());
    this.document.changed();
  }

  stop(): void {
    this.document.stop();
  }
}
