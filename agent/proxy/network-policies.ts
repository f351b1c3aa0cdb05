// NetworkPolicy on the Docker node: the cluster network does not filter pod traffic, so every
// NetworkPolicy gets a Warning event saying it is not enforced (no silent pretence; on kind
// without a policy-capable CNI a policy is silently ignored, which is what this avoids).
import type { InformerFactory } from '../../main/client/informer.ts';
import type { EventRecorder } from '../../main/controllers/runtime/events.ts';
import { ensureStarted } from './service-proxy.ts';

export const NETWORK_POLICIES = {
  group: 'networking.k8s.io',
  version: 'v1',
  resource: 'networkpolicies',
};

export const NOT_ENFORCED_MESSAGE =
  "NetworkPolicy is not enforced: Skiff's Docker network does not filter traffic between pods";

export class NetworkPolicyNotice {
  /** Policies told about in this run (uid), so an update does not repeat the event. */
  private readonly told = new Set<string>();

  constructor(private readonly options: { informers: InformerFactory; events: EventRecorder }) {}

  start(): void {
    const informer = this.options.informers.for(NETWORK_POLICIES);
    informer.addHandlers({
      add: (policy) => {
        const uid = policy.metadata.uid ?? '';
        if (this.told.has(uid)) return;
        this.told.add(uid);
        this.options.events.event(policy, 'Warning', 'NotEnforced', NOT_ENFORCED_MESSAGE);
      },
      delete: (policy) => this.told.delete(policy.metadata.uid ?? ''),
    });
    ensureStarted(informer);
  }
}
