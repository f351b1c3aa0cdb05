// The Pod row kubectl shows (printPod in pkg/printers/internalversion/printers.go): READY counts,
// the STATUS reason (ContainerCreating, CrashLoopBackOff, Init:1/2, Completed, Terminating…) and
// RESTARTS with the time of the last restart.
import type { KubeObject } from '../../api/types.ts';
import { humanDuration, parseTimestamp } from './duration.ts';
import { arr, bool, get, int, obj, str } from './format.ts';
import { ageCell, ageColumn, nameCell, nameColumn, wide } from './printer.ts';
import type { KindPrinter, PrintContext, PrintedRow } from './printer.ts';
import { column } from './table.ts';
import type { TableRowCondition } from './table.ts';

const SUCCEEDED: TableRowCondition[] = [
  {
    type: 'Completed',
    status: 'True',
    reason: 'Succeeded',
    message: 'The pod has completed successfully.',
  },
];
const FAILED: TableRowCondition[] = [
  { type: 'Completed', status: 'True', reason: 'Failed', message: 'The pod failed.' },
];

/** Restartable init containers are sidecars (restartPolicy: Always). */
function isRestartable(container: unknown): boolean {
  return str(container, 'restartPolicy') === 'Always';
}

/** finishedAt of the last termination; undefined stands for Go's zero time. */
function lastTerminationTime(status: unknown): number | undefined {
  const terminated = obj(status, 'lastState', 'terminated');
  return terminated ? parseTimestamp(terminated.finishedAt) : undefined;
}

function later(a: number | undefined, b: number | undefined): number | undefined {
  if (b === undefined) return a;
  if (a === undefined) return b;
  return b > a ? b : a;
}

function terminatedReason(terminated: unknown, prefix: string): string {
  const reason = str(terminated, 'reason');
  if (reason !== '') return prefix + reason;
  const signal = int(terminated, 'signal');
  if (signal !== 0) return `${prefix}Signal:${signal}`;
  return `${prefix}ExitCode:${int(terminated, 'exitCode')}`;
}

function firstConditionIs(conditions: unknown[], type: string): boolean {
  for (const c of conditions) {
    if (str(c, 'type') === type) return str(c, 'status') === 'True';
  }
  return false;
}

function anyConditionTrue(conditions: unknown[], type: string): boolean {
  return conditions.some((c) => str(c, 'type') === type && str(c, 'status') === 'True');
}

/** The first pod IP: status.podIPs[0], falling back to the legacy status.podIP. */
export function podIP(pod: unknown): string {
  const ips = arr(pod, 'status', 'podIPs');
  if (ips.length > 0) return str(ips[0], 'ip');
  return str(pod, 'status', 'podIP');
}

export interface PodSummary {
  ready: string;
  status: string;
  restarts: string;
  conditions?: TableRowCondition[];
}

/** READY, STATUS and RESTARTS as kubectl get pods computes them. */
export function summarizePod(pod: KubeObject, now: number): PodSummary {
  const spec = get(pod, 'spec');
  const status = get(pod, 'status');
  const conditions = arr(status, 'conditions');
  let restarts = 0;
  let restartableInitRestarts = 0;
  let totalContainers = arr(spec, 'containers').length;
  let readyContainers = 0;
  let lastRestart: number | undefined;
  let lastRestartableInitRestart: number | undefined;

  const phase = str(status, 'phase');
  let reason = str(status, 'reason') || phase;
  for (const c of conditions) {
    if (str(c, 'type') === 'PodScheduled' && str(c, 'reason') === 'SchedulingGated') {
      reason = 'SchedulingGated';
    }
  }
  const rowConditions = phase === 'Succeeded' ? SUCCEEDED : phase === 'Failed' ? FAILED : undefined;

  const initSpecs = new Map<string, unknown>();
  const initContainers = arr(spec, 'initContainers');
  for (const c of initContainers) {
    initSpecs.set(str(c, 'name'), c);
    if (isRestartable(c)) totalContainers++;
  }

  let initializing = false;
  const initStatuses = arr(status, 'initContainerStatuses');
  for (let i = 0; i < initStatuses.length; i++) {
    const cs = initStatuses[i];
    const restartable = isRestartable(initSpecs.get(str(cs, 'name')));
    restarts += int(cs, 'restartCount');
    lastRestart = later(lastRestart, lastTerminationTime(cs));
    if (restartable) {
      restartableInitRestarts += int(cs, 'restartCount');
      lastRestartableInitRestart = later(lastRestartableInitRestart, lastTerminationTime(cs));
    }
    const terminated = obj(cs, 'state', 'terminated');
    const waiting = obj(cs, 'state', 'waiting');
    if (terminated && int(terminated, 'exitCode') === 0) continue;
    if (restartable && get(cs, 'started') === true) {
      if (bool(cs, 'ready')) readyContainers++;
      continue;
    }
    if (terminated) {
      reason = terminatedReason(terminated, 'Init:');
    } else if (
      waiting &&
      str(waiting, 'reason') !== '' &&
      str(waiting, 'reason') !== 'PodInitializing'
    ) {
      reason = `Init:${str(waiting, 'reason')}`;
    } else {
      reason = `Init:${i}/${initContainers.length}`;
    }
    initializing = true;
    break;
  }

  if (!initializing || firstConditionIs(conditions, 'Initialized')) {
    restarts = restartableInitRestarts;
    lastRestart = lastRestartableInitRestart;
    let hasRunning = false;
    let errorReason = '';
    const statuses = arr(status, 'containerStatuses');
    // Upstream walks the statuses backwards, so the first container's state wins.
    for (let i = statuses.length - 1; i >= 0; i--) {
      const cs = statuses[i];
      restarts += int(cs, 'restartCount');
      lastRestart = later(lastRestart, lastTerminationTime(cs));
      const waiting = obj(cs, 'state', 'waiting');
      const terminated = obj(cs, 'state', 'terminated');
      if (waiting && str(waiting, 'reason') !== '') {
        reason = str(waiting, 'reason');
      } else if (terminated) {
        reason = terminatedReason(terminated, '');
        if (int(terminated, 'exitCode') !== 0) errorReason = reason;
      } else if (bool(cs, 'ready') && obj(cs, 'state', 'running')) {
        hasRunning = true;
        readyContainers++;
      }
    }
    if (reason === 'Completed') {
      if (hasRunning && anyConditionTrue(conditions, 'Ready')) reason = 'Running';
      else if (errorReason !== '') reason = errorReason;
      else if (hasRunning) reason = 'NotReady';
    }
  }

  const deleting = str(pod, 'metadata', 'deletionTimestamp') !== '';
  if (deleting && str(status, 'reason') === 'NodeLost') {
    reason = 'Unknown';
  } else if (deleting && phase !== 'Succeeded' && phase !== 'Failed') {
    reason = 'Terminating';
  }

  let restartText = String(restarts);
  if (restarts !== 0 && lastRestart !== undefined) {
    restartText = `${restarts} (${humanDuration(now - lastRestart)} ago)`;
  }
  const summary: PodSummary = {
    ready: `${readyContainers}/${totalContainers}`,
    status: reason,
    restarts: restartText,
  };
  if (rowConditions) summary.conditions = rowConditions;
  return summary;
}

function readinessGates(pod: KubeObject): string {
  const gates = arr(pod, 'spec', 'readinessGates');
  if (gates.length === 0) return '<none>';
  const conditions = arr(pod, 'status', 'conditions');
  let trueCount = 0;
  for (const gate of gates) {
    const type = str(gate, 'conditionType');
    const found = conditions.find((c) => str(c, 'type') === type);
    if (found && str(found, 'status') === 'True') trueCount++;
  }
  return `${trueCount}/${gates.length}`;
}

function orNone(value: string): string {
  return value === '' ? '<none>' : value;
}

export const podPrinter: KindPrinter = {
  columns: [
    nameColumn(),
    column('Ready', 'string', 'The aggregate readiness state of this pod for accepting traffic.'),
    column('Status', 'string', 'The aggregate status of the containers in this pod.'),
    column(
      'Restarts',
      'string',
      'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.',
    ),
    ageColumn(),
    wide('IP', 'string', 'The IP address allocated to the pod, if any.'),
    wide('Node', 'string', 'The node the pod is scheduled to.'),
    wide(
      'Nominated Node',
      'string',
      'The node the scheduler nominated for this pod after preemption.',
    ),
    wide('Readiness Gates', 'string', 'How many of the pod readiness gates are satisfied.'),
  ],
  row(pod: KubeObject, ctx: PrintContext): PrintedRow {
    const s = summarizePod(pod, ctx.now);
    const row: PrintedRow = {
      cells: [
        nameCell(pod),
        s.ready,
        s.status,
        s.restarts,
        ageCell(pod, ctx),
        orNone(podIP(pod)),
        orNone(str(pod, 'spec', 'nodeName')),
        orNone(str(pod, 'status', 'nominatedNodeName')),
        readinessGates(pod),
      ],
    };
    if (s.conditions) row.conditions = s.conditions;
    return row;
  },
};
