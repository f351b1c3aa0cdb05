// The scheduler's incremental view of which pods each node holds (kube-scheduler's
// pkg/scheduler/backend/cache): kept current from pod events and assumed bindings, so a cycle
// rebuilds NodeInfo only for the nodes whose pods or node object changed since the last one.
import type { KubeObject } from '../api/types.ts';
import {
  addPodRequests,
  assembleNodeInfo,
  copyResources,
  emptyResources,
  hasPodAffinity,
  isActiveAssignedPod,
  podHostPorts,
  podRequests,
  podSpec,
  type NodeInfo,
  type Resources,
} from './node-info.ts';

/** What the cache keeps per node between snapshots (framework.NodeInfo's running sums). */
interface NodeState {
  pods: Map<string, KubeObject>;
  requested: Resources;
  nonZeroRequested: Resources;
  /** How many of the pods bind host ports, and how many have pod (anti-)affinity. */
  withPorts: number;
  withAffinity: number;
  /** The sums must be recomputed from the pods (a pod left or changed its requests). */
  stale: boolean;
}

export class SchedulerCache {
  private readonly nodes = new Map<string, NodeState>();
  /** Where each counted pod is, and as which object (the informer's, or the assumed one). */
  private readonly placed = new Map<string, { node: string; pod: KubeObject }>();
  /** The informer's latest object per pod key. */
  private readonly informerPods = new Map<string, KubeObject>();
  /** Pods bound by the scheduler whose binding the informer has not shown yet. */
  private readonly assumedPods = new Map<string, KubeObject>();
  /** Nodes whose pods changed since their NodeInfo was built. */
  private readonly dirty = new Set<string>();
  private readonly infos = new Map<string, NodeInfo>();

  /** The informer added or updated the pod: its binding, once seen, replaces the assumed one. */
  setPod(key: string, pod: KubeObject): void {
    this.informerPods.set(key, pod);
    if (podSpec(pod).nodeName) this.assumedPods.delete(key);
    this.place(key);
  }

  /** The informer deleted the pod. */
  deletePod(key: string): void {
    this.informerPods.delete(key);
    this.assumedPods.delete(key);
    this.place(key);
  }

  /** Counts the pod on its node (spec.nodeName set) before the informer shows the binding. */
  assume(key: string, pod: KubeObject): void {
    this.assumedPods.set(key, pod);
    this.place(key);
  }

  isAssumed(key: string): boolean {
    return this.assumedPods.has(key);
  }

  assumed(key: string): KubeObject | undefined {
    return this.assumedPods.get(key);
  }

  /** The binding failed: the pod no longer counts unless the informer shows it bound. */
  forget(key: string): void {
    this.assumedPods.delete(key);
    this.place(key);
  }

  /**
   * NodeInfo for each node, in the order given. A node whose object and pods are unchanged keeps
   * its NodeInfo; one whose pods changed gets a new one from the running sums. The returned
   * objects must not be changed.
   */
  snapshot(nodes: KubeObject[]): NodeInfo[] {
    const seen = new Set<string>();
    const out = nodes.map((node) => {
      const name = node.metadata.name ?? '';
      seen.add(name);
      const previous = this.infos.get(name);
      const podsChanged = this.dirty.has(name);
      if (previous?.node === node && !podsChanged) return previous;
      const info =
        previous && !podsChanged
          ? // Only the node object changed: the pods and what was derived from them carry over.
            {
              ...assembleNodeInfo(
                node,
                previous.pods,
                previous.requested,
                previous.nonZeroRequested,
                {
                  ports: false,
                  affinity: false,
                },
              ),
              usedPorts: previous.usedPorts,
              podsWithAffinity: previous.podsWithAffinity,
            }
          : this.build(node, this.nodes.get(name));
      this.infos.set(name, info);
      this.dirty.delete(name);
      return info;
    });
    for (const name of this.infos.keys()) if (!seen.has(name)) this.infos.delete(name);
    return out;
  }

  private build(node: KubeObject, state: NodeState | undefined): NodeInfo {
    if (!state) return assembleNodeInfo(node, [], emptyResources(), emptyResources());
    const pods = [...state.pods.values()];
    if (state.stale) {
      state.requested = emptyResources();
      state.nonZeroRequested = emptyResources();
      for (const pod of pods) addPodRequests(state.requested, state.nonZeroRequested, pod);
      state.stale = false;
    }
    return assembleNodeInfo(
      node,
      pods,
      copyResources(state.requested),
      copyResources(state.nonZeroRequested),
      { ports: state.withPorts > 0, affinity: state.withAffinity > 0 },
    );
  }

  /** Puts the pod under key where it now counts: on its node, or nowhere. */
  private place(key: string): void {
    const cached = this.informerPods.get(key);
    // An unbound pod the scheduler assumed counts as assumed; a bound one as the informer has it.
    const pod =
      cached && !podSpec(cached).nodeName ? (this.assumedPods.get(key) ?? cached) : cached;
    const node = pod && isActiveAssignedPod(pod) ? podSpec(pod).nodeName! : undefined;
    const previous = this.placed.get(key);
    if (previous && previous.node === node && previous.pod === pod) return;
    if (previous && pod && previous.node === node) {
      // The same pod on the same node, as a newer object (a status write, the binding seen).
      const state = this.nodes.get(node)!;
      state.pods.set(key, pod);
      this.count(state, previous.pod, -1);
      this.count(state, pod, 1);
      if (!sameRequests(previous.pod, pod)) state.stale = true;
      this.placed.set(key, { node, pod });
      this.markChanged(node);
      return;
    }
    if (previous) {
      const state = this.nodes.get(previous.node)!;
      state.pods.delete(key);
      this.count(state, previous.pod, -1);
      if (state.pods.size === 0) this.nodes.delete(previous.node);
      // Sums are rebuilt rather than subtracted from, so they never drift.
      else state.stale = true;
      this.placed.delete(key);
      this.markChanged(previous.node);
    }
    if (node === undefined || !pod) return;
    let state = this.nodes.get(node);
    if (!state) {
      state = {
        pods: new Map(),
        requested: emptyResources(),
        nonZeroRequested: emptyResources(),
        withPorts: 0,
        withAffinity: 0,
        stale: false,
      };
      this.nodes.set(node, state);
    }
    state.pods.set(key, pod);
    this.count(state, pod, 1);
    if (!state.stale) addPodRequests(state.requested, state.nonZeroRequested, pod);
    this.placed.set(key, { node, pod });
    this.markChanged(node);
  }

  /**
   * The node's pods changed: its NodeInfo is rebuilt at the next snapshot, and the old one is
   * dropped now so it does not keep out-of-date pod versions alive while no cycle runs.
   */
  private markChanged(node: string): void {
    this.dirty.add(node);
    this.infos.delete(node);
  }

  private count(state: NodeState, pod: KubeObject, delta: 1 | -1): void {
    if (podHostPorts(pod).length > 0) state.withPorts += delta;
    if (hasPodAffinity(pod)) state.withAffinity += delta;
  }
}

function sameResources(a: Resources, b: Resources): boolean {
  if (a === b) return true;
  if (a.milliCPU !== b.milliCPU || a.memory !== b.memory) return false;
  if (a.ephemeralStorage !== b.ephemeralStorage) return false;
  const keys = Object.keys(a.scalar);
  if (keys.length !== Object.keys(b.scalar).length) return false;
  return keys.every((k) => a.scalar[k] === b.scalar[k]);
}

function sameRequests(a: KubeObject, b: KubeObject): boolean {
  return (
    sameResources(podRequests(a), podRequests(b)) &&
    sameResources(podRequests(a, true), podRequests(b, true))
  );
}
