// The root CA publisher (kube-controller-manager pkg/controller/certificates/rootcacertpublisher):
// a ConfigMap `kube-root-ca.crt` in every namespace holding the cluster CA as `ca.crt`, so pods
// can verify the API server; it is put back whenever someone changes or deletes it.
import { StatusError } from '../../api/status.ts';
import type { KubeObject } from '../../api/types.ts';
import type { Informer } from '../../client/informer.ts';
import type { ResourceRef } from '../../client/local-client.ts';
import type { Controller, ControllerContext } from '../controller-manager.ts';
import { WorkQueue, type ReconcileResult } from '../runtime/work-queue.ts';
import {
  NAMESPACES,
  namespaceGoneOrClosing,
  namespaceIsActive,
} from './service-account-controller.ts';

export const ROOT_CA_CONFIGMAP = 'kube-root-ca.crt';
export const DESCRIPTION_ANNOTATION = 'kubernetes.io/description';
// The text clients see on every cluster (upstream's Description constant).
export const ROOT_CA_DESCRIPTION =
  'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. ' +
  'No other usage is guaranteed across distributions of Kubernetes clusters.';

const CONFIG_MAPS: ResourceRef = { group: '', version: 'v1', resource: 'configmaps' };

export interface RootCaPublisherOptions {
  /** The cluster CA certificate (PEM), e.g. the control plane's `pki.caCertPem`. */
  caCertPem: string;
}

export class RootCaPublisher implements Controller {
  readonly name = 'root-ca-cert-publisher';
  private readonly queue: WorkQueue;
  private namespaces!: Informer;
  private configMaps!: Informer;

  constructor(
    private readonly context: ControllerContext,
    private readonly options: RootCaPublisherOptions,
  ) {
    this.queue = WorkQueue.logged('root-ca-cert-publisher', context.log, (namespace) =>
      this.reconcile(namespace),
    );
  }

  start(): void {
    this.namespaces = this.context.informers.for(NAMESPACES);
    this.configMaps = this.context.informers.for(CONFIG_MAPS);
    this.namespaces.addHandlers({
      add: (ns) => this.queue.add(ns.metadata.name ?? ''),
      update: (_old, ns) => this.queue.add(ns.metadata.name ?? ''),
    });
    const onConfigMap = (cm: KubeObject) => {
      if (cm.metadata.name === ROOT_CA_CONFIGMAP) this.queue.add(cm.metadata.namespace ?? '');
    };
    this.configMaps.addHandlers({ update: (_old, cm) => onConfigMap(cm), delete: onConfigMap });
  }

  stop(): Promise<void> {
    return this.queue.stop();
  }

  async reconcile(namespace: string): Promise<ReconcileResult> {
    if (!namespaceIsActive(this.namespaces.get('', namespace))) return;
    const data = { 'ca.crt': this.options.caCertPem };
    const current = this.configMaps.get(namespace, ROOT_CA_CONFIGMAP);
    try {
      if (!current) {
        await this.context.client.create(CONFIG_MAPS, namespace, {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: {
            name: ROOT_CA_CONFIGMAP,
            annotations: { [DESCRIPTION_ANNOTATION]: ROOT_CA_DESCRIPTION },
          },
          data,
        });
        return;
      }
      const currentData = (current.data ?? {}) as Record<string, string>;
      const sameData =
        Object.keys(currentData).length === 1 && currentData['ca.crt'] === data['ca.crt'];
      if (sameData && current.metadata.annotations?.[DESCRIPTION_ANNOTATION]) return;
      // Other keys are dropped and the description put back, as upstream does.
      const next = structuredClone(current);
      next.data = data;
      next.metadata.annotations = {
        ...next.metadata.annotations,
        [DESCRIPTION_ANNOTATION]: ROOT_CA_DESCRIPTION,
      };
      await this.context.client.update(CONFIG_MAPS, namespace, next);
    } catch (err) {
      if (namespaceGoneOrClosing(err)) return;
      // Our cache was behind (created or changed meanwhile): try again with fresh state.
      if (err instanceof StatusError && err.code === 409) return { requeueAfterMs: 100 };
      throw err;
    }
  }
}
