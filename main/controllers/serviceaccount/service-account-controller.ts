// The ServiceAccount controller (kube-controller-manager pkg/controller/serviceaccount): every
// active namespace has a `default` ServiceAccount, recreated if someone deletes it.
import { StatusError } from '../../api/status.ts';
import type { KubeObject } from '../../api/types.ts';
import type { Informer } from '../../client/informer.ts';
import type { ResourceRef } from '../../client/local-client.ts';
import type { Controller, ControllerContext } from '../controller-manager.ts';
import { WorkQueue, type ReconcileResult } from '../runtime/work-queue.ts';

export const NAMESPACES: ResourceRef = { group: '', version: 'v1', resource: 'namespaces' };
const SERVICE_ACCOUNTS: ResourceRef = { group: '', version: 'v1', resource: 'serviceaccounts' };

/** Active as upstream reads it: not marked for deletion and phase Active (or not yet set). */
export function namespaceIsActive(namespace: KubeObject | undefined): boolean {
  if (!namespace || namespace.metadata.deletionTimestamp) return false;
  const phase = (namespace.status as { phase?: string } | undefined)?.phase;
  return phase === undefined || phase === 'Active';
}

/** Creating in a namespace that is gone or terminating is not an error to retry. */
export function namespaceGoneOrClosing(err: unknown): boolean {
  return (
    err instanceof StatusError &&
    (err.code === 404 ||
      (err.code === 403 &&
        (err.details?.causes ?? []).some((c) => c.reason === 'NamespaceTerminating')))
  );
}

export interface ServiceAccountsControllerOptions {
  /** ServiceAccounts every namespace gets; upstream's default is just `default`. */
  names?: string[];
}

export class ServiceAccountsController implements Controller {
  readonly name = 'serviceaccount';
  private readonly queue: WorkQueue;
  private readonly names: string[];
  private namespaces!: Informer;
  private accounts!: Informer;

  constructor(
    private readonly context: ControllerContext,
    options: ServiceAccountsControllerOptions = {},
  ) {
    this.names = options.names ?? ['default'];
    this.queue = WorkQueue.logged('serviceaccount controller', context.log, (namespace) =>
      this.reconcile(namespace),
    );
  }

  start(): void {
    this.namespaces = this.context.informers.for(NAMESPACES);
    this.accounts = this.context.informers.for(SERVICE_ACCOUNTS);
    this.namespaces.addHandlers({
      add: (ns) => this.queue.add(ns.metadata.name ?? ''),
      update: (_old, ns) => this.queue.add(ns.metadata.name ?? ''),
    });
    this.accounts.addHandlers({
      delete: (sa) => {
        if (this.names.includes(sa.metadata.name ?? ''))
          this.queue.add(sa.metadata.namespace ?? '');
      },
    });
  }

  stop(): Promise<void> {
    return this.queue.stop();
  }

  async reconcile(namespace: string): Promise<ReconcileResult> {
    if (!namespaceIsActive(this.namespaces.get('', namespace))) return;
    for (const name of this.names) {
      if (this.accounts.get(namespace, name)) continue;
      try {
        await this.context.client.create(SERVICE_ACCOUNTS, namespace, {
          apiVersion: 'v1',
          kind: 'ServiceAccount',
          metadata: { name },
        });
      } catch (err) {
        if (err instanceof StatusError && err.code === 409) continue; // the cache was behind
        if (namespaceGoneOrClosing(err)) return;
        throw err;
      }
    }
  }
}
