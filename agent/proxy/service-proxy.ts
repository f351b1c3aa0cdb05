// The Service proxy on the Docker node (kube-proxy's role, plus the cloud service controller's for
// LoadBalancer as Docker Desktop plays it): keeps netd's Service VIPs and endpoints in step with
// Services and EndpointSlices, opens NodePort and LoadBalancer ports on the host's 127.0.0.1
// (tunnelled to the VIP through netd) and reports LoadBalancer Services as reachable there.
import type { KubeObject } from '../../main/api/types.ts';
import { StatusError } from '../../main/api/status.ts';
import type { LocalClient } from '../../main/client/local-client.ts';
import type { Informer, InformerFactory } from '../../main/client/informer.ts';
import type { EventRecorder } from '../../main/controllers/runtime/events.ts';
import type { ServicesConfig } from '../netd/daemon/config.ts';
import { CoalescedTask } from '../netd/coalesced-task.ts';
import { NetdDocument } from '../netd/netd-document.ts';
import type { Netd } from '../netd/netd.ts';
import { serviceKey } from './endpoints.ts';
import { HostPorts, otherLoadBalancerClass } from './host-ports.ts';
import { buildServicesConfig } from './service-config.ts';

export const SERVICES = { group: '', version: 'v1', resource: 'services' };
export const ENDPOINT_SLICES = {
  group: 'discovery.k8s.io',
  version: 'v1',
  resource: 'endpointslices',
};

/** Where LoadBalancer Services answer: the host's loopback, as on Docker Desktop. */
export const LOAD_BALANCER_IP = '127.0.0.1';

/** What the Docker node's network controllers (Service proxy, Ingress controller) work with. */
export interface NetworkControllerOptions {
  client: LocalClient;
  informers: InformerFactory;
  netd: Netd;
  events: EventRecorder;
  log: (line: string) => void;
}

type Obj = Record<string, unknown>;
const obj = (value: unknown): Obj =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Obj) : {};

/** Starts an informer unless the factory already runs it. */
export function ensureStarted(informer: Informer): Informer {
  if (!informer.hasSynced) informer.start();
  return informer;
}

/** Runs `changed` on every add, update and delete of the informer's objects. */
export function onAnyChange(informer: Informer, changed: () => void): void {
  informer.addHandlers({ add: changed, update: changed, delete: changed });
}

export class ServiceProxy {
  private readonly services: Informer;
  private readonly slices: Informer;
  private readonly document: NetdDocument<ServicesConfig>;
  private readonly hostPorts: HostPorts;
  private readonly ports = new CoalescedTask(() => this.syncHostPorts());
  /** The last problem reported per LoadBalancer Service, so an event is not repeated each sync. */
  private readonly reported = new Map<string, string>();
  private stopped = false;

  constructor(private readonly options: NetworkControllerOptions) {
    this.services = options.informers.for(SERVICES);
    this.slices = options.informers.for(ENDPOINT_SLICES);
    this.document = new NetdDocument({
      client: options.netd.client,
      path: '/v1/services',
      build: () => buildServicesConfig(this.services.list(), this.slices.list()),
      log: options.log,
      accepted: (reply) => {
        for (const error of (obj(reply).errors as unknown[] | undefined) ?? [])
          options.log(`service proxy: ${String(error)}`);
      },
    });
    this.hostPorts = new HostPorts({
      dial: (ip, port) => options.netd.client.dial(ip, port),
      dialUdp: (ip, port) => options.netd.client.dialUdp(ip, port),
      log: options.log,
    });
  }

  start(): void {
    onAnyChange(this.services, () => {
      this.document.changed();
      this.hostPortsChanged();
    });
    onAnyChange(this.slices, () => this.document.changed());
    ensureStarted(this.services);
    ensureStarted(this.slices);
    this.options.netd.onReady(() => this.document.resend());
    this.document.changed();
    this.hostPortsChanged();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.document.stop();
    await this.ports.stop();
    await this.hostPorts.close();
  }

  private hostPortsChanged(): void {
    this.ports.schedule();
  }

  private async syncHostPorts(): Promise<void> {
    const services = this.services.list();
    const bound = await this.hostPorts.apply(services);
    // A port another program holds may be freed later: try again while any is missing.
    if ([...bound.values()].some((b) => b.errors.length > 0)) this.ports.schedule(10_000);
    for (const service of services) {
      if (this.stopped) return;
      const key = serviceKey(service.metadata.namespace, service.metadata.name);
      await this.syncLoadBalancer(service, bound.get(key)).catch((err: unknown) => {
        // A conflict means a newer version is on its way: it brings another sync.
        if (!(err instanceof StatusError && (err.code === 409 || err.code === 404)))
          this.options.log(`service proxy: ${key}: ${(err as Error).message}`);
      });
    }
  }

  /** status.loadBalancer as the service controller keeps it: set when the ports are open, else empty. */
  private async syncLoadBalancer(
    service: KubeObject,
    bound: { errors: string[] } | undefined,
  ): Promise<void> {
    const key = serviceKey(service.metadata.namespace, service.metadata.name);
    if (otherLoadBalancerClass(service)) {
      this.reported.delete(key);
      return;
    }
    const isLoadBalancer = obj(service.spec).type === 'LoadBalancer';
    const errors = bound?.errors ?? [];
    const problem = errors.join('; ');
    if (isLoadBalancer && problem && this.reported.get(key) !== problem)
      this.options.events.event(
        service,
        'Warning',
        'SyncLoadBalancerFailed',
        `Error syncing load balancer: ${problem}`,
      );
    if (isLoadBalancer && !problem && this.reported.get(key))
      this.options.events.event(service, 'Normal', 'EnsuredLoadBalancer', 'Ensured load balancer');
    if (isLoadBalancer) this.reported.set(key, problem);
    else this.reported.delete(key);

    const want =
      isLoadBalancer && !problem ? { ingress: [{ ip: LOAD_BALANCER_IP, ipMode: 'VIP' }] } : {};
    const status = obj(service.status);
    if (JSON.stringify(obj(status.loadBalancer)) === JSON.stringify(want)) return;
    if (!isLoadBalancer && Object.keys(obj(status.loadBalancer)).length === 0) return;
    await this.options.client.updateStatus(SERVICES, service.metadata.namespace ?? '', {
      ...service,
      status: { ...status, loadBalancer: want },
    });
  }
}
