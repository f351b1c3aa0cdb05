// The Ingress controller on the Docker node (ingress-nginx's role for IngressClass `skiff`): makes
// sure the default IngressClass exists, keeps netd's routes, backends and certificates in step
// with Ingresses, Services, EndpointSlices and TLS Secrets, reports each Ingress as served on the
// host's 127.0.0.1 and says with events what it could not use.
import type { KubeObject } from '../../main/api/types.ts';
import { StatusError } from '../../main/api/status.ts';
import type { Informer } from '../../main/client/informer.ts';
import type { IngressConfig } from '../netd/daemon/config.ts';
import { CoalescedTask } from '../netd/coalesced-task.ts';
import { NetdDocument } from '../netd/netd-document.ts';
import {
  ENDPOINT_SLICES,
  LOAD_BALANCER_IP,
  SERVICES,
  ensureStarted,
  onAnyChange,
  type NetworkControllerOptions,
} from '../proxy/service-proxy.ts';
import { createDefaultCertificate } from './default-certificate.ts';
import { buildIngressConfig, ingressIsOurs } from './ingress-config.ts';

export const INGRESSES = { group: 'networking.k8s.io', version: 'v1', resource: 'ingresses' };
export const INGRESS_CLASSES = {
  group: 'networking.k8s.io',
  version: 'v1',
  resource: 'ingressclasses',
};
const SECRETS = { group: '', version: 'v1', resource: 'secrets' };

export const INGRESS_CLASS_NAME = 'skiff';
export const INGRESS_CONTROLLER = 'skiff.dev/ingress-controller';
const DEFAULT_CLASS_ANNOTATION = 'ingressclass.kubernetes.io/is-default-class';

type Obj = Record<string, unknown>;
const obj = (value: unknown): Obj =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Obj) : {};

export class IngressController {
  private readonly ingresses: Informer;
  private readonly classes: Informer;
  private readonly services: Informer;
  private readonly slices: Informer;
  private readonly secrets: Informer;
  private document: NetdDocument<IngressConfig> | undefined;
  /** The last problems reported per Ingress uid, so events are not repeated on every change. */
  private readonly reported = new Map<string, string>();
  private readonly status = new CoalescedTask(() => this.syncStatus(), 50);
  private stopped = false;

  constructor(private readonly options: NetworkControllerOptions) {
    this.ingresses = options.informers.for(INGRESSES);
    this.classes = options.informers.for(INGRESS_CLASSES);
    this.services = options.informers.for(SERVICES);
    this.slices = options.informers.for(ENDPOINT_SLICES);
    this.secrets = options.informers.for(SECRETS);
  }

  async start(): Promise<void> {
    const defaultCertificate = await createDefaultCertificate();
    if (this.stopped) return;
    const build = () =>
      buildIngressConfig({
        ingresses: this.ingresses.list(),
        ingressClasses: this.classes.list(),
        services: this.services.list(),
        slices: this.slices.list(),
        secrets: this.secrets.list(),
        defaultCertificate,
        className: INGRESS_CLASS_NAME,
        controller: INGRESS_CONTROLLER,
      });
    const document = new NetdDocument({
      client: this.options.netd.client,
      path: '/v1/ingress',
      build: () => {
        const { config, problems } = build();
        this.report(problems);
        return config;
      },
      log: this.options.log,
      accepted: (reply) => {
        for (const error of (obj(reply).errors as unknown[] | undefined) ?? [])
          this.options.log(`ingress controller: ${String(error)}`);
      },
    });
    this.document = document;
    const changed = () => document.changed();
    for (const informer of [this.classes, this.services, this.slices])
      onAnyChange(informer, changed);
    // Secrets change often for reasons of no concern here (tokens): only TLS ones matter.
    this.secrets.addHandlers({
      add: (s) => s.type === 'kubernetes.io/tls' && changed(),
      update: (_o, s) => s.type === 'kubernetes.io/tls' && changed(),
      delete: (s) => s.type === 'kubernetes.io/tls' && changed(),
    });
    onAnyChange(this.ingresses, () => {
      changed();
      this.statusChanged();
    });
    for (const informer of [this.ingresses, this.classes, this.services, this.slices, this.secrets])
      ensureStarted(informer);
    this.options.netd.onReady(() => {
      document.resend();
      this.statusChanged();
    });
    await this.ensureDefaultClass();
    document.changed();
    this.statusChanged();
  }

  stop(): void {
    this.stopped = true;
    this.document?.stop();
    void this.status.stop();
  }

  /** The IngressClass `skiff`, default for Ingresses that name none (made once; a user's edit stays). */
  private async ensureDefaultClass(): Promise<void> {
    const ingressClass: KubeObject = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'IngressClass',
      metadata: {
        name: INGRESS_CLASS_NAME,
        annotations: { [DEFAULT_CLASS_ANNOTATION]: 'true' },
        labels: { 'app.kubernetes.io/managed-by': 'skiff' },
      },
      spec: { controller: INGRESS_CONTROLLER },
    };
    try {
      await this.options.client.create(INGRESS_CLASSES, '', ingressClass);
    } catch (err) {
      if (!(err instanceof StatusError && err.code === 409)) throw err;
    }
  }

  private report(problems: { ingress: string; message: string }[]): void {
    const byIngress = new Map<string, string[]>();
    for (const p of problems)
      byIngress.set(p.ingress, [...(byIngress.get(p.ingress) ?? []), p.message]);
    for (const ingress of this.ingresses.list()) {
      const key = `${ingress.metadata.namespace ?? ''}/${ingress.metadata.name ?? ''}`;
      const uid = ingress.metadata.uid ?? key;
      const text = (byIngress.get(key) ?? []).join('; ');
      if (text && this.reported.get(uid) !== text)
        this.options.events.event(ingress, 'Warning', 'Rejected', text);
      if (text) this.reported.set(uid, text);
      else this.reported.delete(uid);
    }
  }

  private statusChanged(): void {
    this.status.schedule();
  }

  /** status.loadBalancer of our Ingresses: the host's 127.0.0.1 once netd serves them. */
  private async syncStatus(): Promise<void> {
    const classes = this.classes.list();
    const served = this.options.netd.ingressPorts !== undefined;
    for (const ingress of this.ingresses.list()) {
      if (this.stopped) return;
      const ours = ingressIsOurs(ingress, classes, INGRESS_CLASS_NAME, INGRESS_CONTROLLER);
      if (!ours) continue;
      const want = served ? { ingress: [{ ip: LOAD_BALANCER_IP }] } : {};
      const status = obj(ingress.status);
      if (JSON.stringify(obj(status.loadBalancer)) === JSON.stringify(want)) continue;
      try {
        await this.options.client.updateStatus(INGRESSES, ingress.metadata.namespace ?? '', {
          ...ingress,
          status: { ...status, loadBalancer: want },
        });
      } catch (err) {
        if (err instanceof StatusError && (err.code === 409 || err.code === 404)) continue;
        this.options.log(
          `ingress controller: status of ${ingress.metadata.namespace ?? ''}/${ingress.metadata.name ?? ''}: ${(err as Error).message}`,
        );
      }
    }
  }
}
