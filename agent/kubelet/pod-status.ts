// Pod status as kubelet's status manager writes it (pkg/kubelet/kubelet_pods.go getPhase and
// generateAPIPodStatus, pkg/kubelet/status/generate.go): phase from the container statuses and
// restartPolicy, the conditions kubelet owns, and lastTransitionTime kept while a status holds.
import type { KubeObject } from '../../main/api/types.ts';
import {
  containersOf,
  iso,
  isTerminalPhase,
  restartPolicyOf,
  specOf,
  statusOf,
  type Obj,
} from './common.ts';

/** A condition kubelet owns; others (DisruptionTarget, readiness gates) are kept as they are. */
export interface DesiredCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
}

/** core/v1 ContainerStatus, as far as Skiff's kubelets fill it. */
export interface ContainerStatus {
  name: string;
  state: { running?: Obj; waiting?: Obj; terminated?: Obj };
  lastState: { terminated?: Obj };
  ready: boolean;
  restartCount: number;
  image: string;
  imageID: string;
  containerID?: string;
  started: boolean;
}

/** Keeps lastTransitionTime unless the status changes, as kubelet's status manager does. */
export function mergeConditions(current: Obj[], desired: DesiredCondition[], now: number): Obj[] {
  const out = current.map((c) => ({ ...c }));
  for (const want of desired) {
    const i = out.findIndex((c) => c.type === want.type);
    const next: Obj = { type: want.type, status: want.status, lastProbeTime: null };
    if (want.reason) next.reason = want.reason;
    if (want.message) next.message = want.message;
    if (i < 0) {
      out.push({ ...next, lastTransitionTime: iso(now) });
      continue;
    }
    next.lastTransitionTime =
      out[i].status === want.status && out[i].lastTransitionTime
        ? out[i].lastTransitionTime
        : iso(now);
    out[i] = next;
  }
  return out;
}

function exitCodeOf(state: { terminated?: Obj }): number | undefined {
  const code = state.terminated?.exitCode;
  return typeof code === 'number' ? code : undefined;
}

/** Init containers that have not yet completed successfully, in order. */
export function incompleteInit(initStatuses: ContainerStatus[]): string[] {
  return initStatuses.filter((s) => exitCodeOf(s.state) !== 0).map((s) => s.name);
}

/** kubelet's getPhase. `terminal`: the pod is being torn down (deleted, or its containers killed). */
export function podPhase(
  pod: KubeObject,
  initStatuses: ContainerStatus[],
  containerStatuses: ContainerStatus[],
  terminal: boolean,
): string {
  const policy = restartPolicyOf(pod);
  const specInit = containersOf(specOf(pod), 'initContainers');
  let pendingInit = 0;
  for (const c of specInit) {
    const s = initStatuses.find((x) => x.name === c.name);
    const code = s ? exitCodeOf(s.state) : undefined;
    if (code === 0) continue;
    // A failed init container fails the pod when it will not be restarted.
    if (code !== undefined && policy === 'Never') return 'Failed';
    if (code === undefined && s?.lastState.terminated && policy === 'Never') return 'Failed';
    pendingInit++;
  }
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const c of containersOf(specOf(pod), 'containers')) {
    const s = containerStatuses.find((x) => x.name === c.name);
    if (!s) {
      waiting++;
      continue;
    }
    if (s.state.running) running++;
    else if (s.state.terminated) {
      stopped++;
      if (exitCodeOf(s.state) === 0) succeeded++;
    } else if (s.lastState.terminated) stopped++;
    else waiting++;
  }
  if (pendingInit > 0 && running === 0 && stopped === 0) return 'Pending';
  if (waiting > 0 && !terminal) return 'Pending';
  if (running > 0 && !terminal) return 'Running';
  if (running === 0 && stopped === 0) return terminal ? 'Failed' : 'Pending';
  if (terminal)
    return stopped === succeeded && running === 0 && waiting === 0 ? 'Succeeded' : 'Failed';
  if (policy === 'Always') return 'Running';
  if (stopped === succeeded) return 'Succeeded';
  if (policy === 'OnFailure') return 'Running';
  return 'Failed';
}

export interface PodStatusInput {
  pod: KubeObject;
  initStatuses: ContainerStatus[];
  containerStatuses: ContainerStatus[];
  hostIP: string;
  /** The sandbox's address; undefined while it has none. */
  podIP?: string;
  startTime: number;
  now: number;
  /** The pod is being torn down: no container will run again. */
  terminal: boolean;
  /** The sandbox is up with its network (PodReadyToStartContainers). */
  sandboxReady: boolean;
}

/** The whole status kubelet would write now; fields other parties own are kept. */
export function buildPodStatus(input: PodStatusInput): Obj {
  const { pod, initStatuses, containerStatuses, now, terminal } = input;
  const current = statusOf(pod);
  const phase = podPhase(pod, initStatuses, containerStatuses, terminal);
  const done = isTerminalPhase(phase);
  const incomplete = incompleteInit(initStatuses);
  const specInit = containersOf(specOf(pod), 'initContainers').map((c) => String(c.name));
  const notStarted = specInit.filter((n) => !initStatuses.some((s) => s.name === n));
  const initPending = [...new Set([...incomplete, ...notStarted])].filter((n) =>
    specInit.includes(n),
  );
  const initialized: DesiredCondition = done
    ? { type: 'Initialized', status: 'True', reason: 'PodCompleted' }
    : initPending.length
      ? {
          type: 'Initialized',
          status: 'False',
          reason: 'ContainersNotInitialized',
          message: `containers with incomplete status: [${initPending.join(' ')}]`,
        }
      : { type: 'Initialized', status: 'True' };
  const names = containersOf(specOf(pod), 'containers').map((c) => String(c.name));
  const unready = names.filter((n) => !containerStatuses.find((s) => s.name === n)?.ready);
  const containersReady: DesiredCondition = done
    ? { type: 'ContainersReady', status: 'False', reason: 'PodCompleted' }
    : unready.length
      ? {
          type: 'ContainersReady',
          status: 'False',
          reason: 'ContainersNotReady',
          message: `containers with unready status: [${unready.join(' ')}]`,
        }
      : { type: 'ContainersReady', status: 'True' };
  let ready: DesiredCondition = { ...containersReady, type: 'Ready' };
  const currentConditions = Array.isArray(current.conditions) ? (current.conditions as Obj[]) : [];
  if (ready.status === 'True') {
    const gates = Array.isArray(specOf(pod).readinessGates)
      ? (specOf(pod).readinessGates as Obj[])
      : [];
    for (const gate of gates) {
      const found = currentConditions.find((c) => c.type === gate.conditionType);
      if (found?.status === 'True') continue;
      ready = {
        type: 'Ready',
        status: 'False',
        reason: 'ReadinessGatesNotReady',
        message: found
          ? `the status of pod readiness gate "${String(gate.conditionType)}" is not "True", but ${String(found.status)}`
          : `corresponding condition of pod readiness gate "${String(gate.conditionType)}" does not exist.`,
      };
      break;
    }
  }
  const conditions = mergeConditions(
    currentConditions,
    [
      {
        type: 'PodReadyToStartContainers',
        status: input.sandboxReady && !done ? 'True' : 'False',
      },
      initialized,
      ready,
      containersReady,
      { type: 'PodScheduled', status: 'True' },
    ],
    now,
  );
  const status: Obj = {
    ...current,
    phase,
    conditions,
    hostIP: input.hostIP,
    hostIPs: [{ ip: input.hostIP }],
    startTime: iso(input.startTime),
    containerStatuses,
  };
  if (input.podIP) {
    status.podIP = input.podIP;
    status.podIPs = [{ ip: input.podIP }];
  }
  if (specInit.length) status.initContainerStatuses = initStatuses;
  else delete status.initContainerStatuses;
  return status;
}
