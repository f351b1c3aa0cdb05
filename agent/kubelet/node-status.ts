// What every Skiff kubelet does for its Node (pkg/kubelet/kubelet_node_status.go, nodestatus
// setters, nodelease controller): default labels, the four node conditions, posting status when it
// changed or every report interval, and renewing the Lease in kube-node-lease.
import { StatusError } from '../../main/api/status.ts';
import type { KubeObject } from '../../main/api/types.ts';
import type { LocalClient } from '../../main/client/local-client.ts';
import { deepEqual, goArch, iso, microTime, type Obj } from './common.ts';

export const NODES = { group: '', version: 'v1', resource: 'nodes' };
export const LEASES = { group: 'coordination.k8s.io', version: 'v1', resource: 'leases' };
export const LEASE_NAMESPACE = 'kube-node-lease';

/** The labels kubelet always sets on its Node (kubelet_node_status.go updateDefaultLabels). */
export function defaultNodeLabels(
  name: string,
  os = 'linux',
  arch = goArch(),
): Record<string, string> {
  return {
    'kubernetes.io/arch': arch,
    'kubernetes.io/hostname': name,
    'kubernetes.io/os': os,
  };
}

/**
 * The conditions kubelet posts: pressure conditions False and Ready True, or Ready False with
 * reason KubeletNotReady and `notReady` as its message. Conditions owned by others are kept first.
 */
export function nodeConditions(existing: Obj[], now: number, notReady?: string): Obj[] {
  const want = [
    {
      type: 'MemoryPressure',
      status: 'False',
      reason: 'KubeletHasSufficientMemory',
      message: 'kubelet has sufficient memory available',
    },
    {
      type: 'DiskPressure',
      status: 'False',
      reason: 'KubeletHasNoDiskPressure',
      message: 'kubelet has no disk pressure',
    },
    {
      type: 'PIDPressure',
      status: 'False',
      reason: 'KubeletHasSufficientPID',
      message: 'kubelet has sufficient PID available',
    },
    notReady === undefined
      ? {
          type: 'Ready',
          status: 'True',
          reason: 'KubeletReady',
          message: 'kubelet is posting ready status',
        }
      : { type: 'Ready', status: 'False', reason: 'KubeletNotReady', message: notReady },
  ];
  const conditions = want.map((c) => {
    const old = existing.find((e) => e.type === c.type);
    return {
      type: c.type,
      status: c.status,
      lastHeartbeatTime: iso(now),
      lastTransitionTime:
        old?.status === c.status && old.lastTransitionTime ? old.lastTransitionTime : iso(now),
      reason: c.reason,
      message: c.message,
    };
  });
  const foreign = existing.filter((e) => !want.some((c) => c.type === e.type));
  return [...foreign, ...conditions];
}

export interface NodeHeartbeatOptions {
  client: LocalClient;
  name: string;
  /** The Node object this kubelet registered; a Node recreated under the name is not ours. */
  uid: () => string;
  /** The status to post, from the Node's current status. */
  status: (current: Obj | undefined, now: number) => Obj;
  /** False while this kubelet must write nothing (stopped, partitioned). */
  active: () => boolean;
  log: (line: string) => void;
  /** Unchanged status is still posted this often (kubelet nodeStatusReportFrequency, 5 min). */
  statusReportIntervalMs?: number;
}

/** Lease renewal and node status posting for one Node, never two of each at once. */
export class NodeHeartbeat {
  private lease: KubeObject | undefined;
  private lastStatusReport = 0;
  private busy = { lease: false, status: false };

  constructor(private readonly options: NodeHeartbeatOptions) {}

  /** Posts node status when it changed, when `force`, or when the report interval is due. */
  async syncStatus(force: boolean): Promise<void> {
    const { client, name } = this.options;
    if (!this.options.active() || this.busy.status) return;
    this.busy.status = true;
    try {
      for (let attempt = 0; attempt < 5; attempt++) {
        const current = client.tryGet(NODES, '', name);
        if (!current || current.metadata.uid !== this.options.uid()) return;
        const now = Date.now();
        const status = this.options.status(current.status as Obj | undefined, now);
        const strip = (s: unknown): Obj => {
          const copy = structuredClone((s ?? {}) as Obj);
          if (Array.isArray(copy.conditions))
            for (const c of copy.conditions as Obj[]) delete c.lastHeartbeatTime;
          return copy;
        };
        const changed = !deepEqual(strip(status), strip(current.status));
        const due = now - this.lastStatusReport >= (this.options.statusReportIntervalMs ?? 300_000);
        if (!force && !changed && !due) return;
        try {
          await client.updateStatus(NODES, '', { ...structuredClone(current), status });
          this.lastStatusReport = now;
          return;
        } catch (err) {
          if (!(err instanceof StatusError && err.code === 409)) throw err;
        }
      }
    } catch (err) {
      this.options.log(`node ${name}: status: ${(err as Error).message}`);
    } finally {
      this.busy.status = false;
    }
  }

  /** The node lease controller: renew coordination.k8s.io Lease kube-node-lease/<node>. */
  async renewLease(): Promise<void> {
    const { client, name } = this.options;
    if (!this.options.active() || this.busy.lease) return;
    this.busy.lease = true;
    try {
      for (let attempt = 0; attempt < 2; attempt++) {
        const base = this.lease ?? client.tryGet(LEASES, LEASE_NAMESPACE, name);
        const spec = {
          ...(base?.spec as Obj | undefined),
          holderIdentity: name,
          leaseDurationSeconds: 40,
          renewTime: microTime(Date.now()),
        };
        try {
          if (!base) {
            this.lease = await client.create(LEASES, LEASE_NAMESPACE, {
              apiVersion: 'coordination.k8s.io/v1',
              kind: 'Lease',
              metadata: {
                name,
                namespace: LEASE_NAMESPACE,
                ownerReferences: [
                  { apiVersion: 'v1', kind: 'Node', name, uid: this.options.uid() },
                ],
              },
              spec,
            });
          } else {
            this.lease = await client.update(LEASES, LEASE_NAMESPACE, { ...base, spec });
          }
          return;
        } catch (err) {
          // A stale copy (409) or a lease someone removed (404): read it again and retry once.
          if (!(err instanceof StatusError && (err.code === 409 || err.code === 404))) throw err;
          this.lease = undefined;
        }
      }
    } catch (err) {
      this.options.log(`node ${name}: lease: ${(err as Error).message}`);
    } finally {
      this.busy.lease = false;
    }
  }
}
