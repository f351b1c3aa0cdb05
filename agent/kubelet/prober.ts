// Container probes as kubelet runs them (pkg/kubelet/prober: prober_manager.go, worker.go,
// prober.go): one worker per container and probe type ticking every periodSeconds; startup gates
// liveness and readiness; initialDelaySeconds, timeoutSeconds, success/failureThreshold; a
// liveness or startup failure kills the container for a restart; readiness drives `ready`.
// Runtime-independent: the runtime runs exec/httpGet/tcpSocket and kills containers.
import type { KubeObject } from '../../main/api/types.ts';
import { resolvePort, type HttpGetRequest } from './lifecycle-hooks.ts';
import { isTerminalPhase, restartPolicyOf, statusOf, str, type Obj } from './common.ts';

export type ProbeType = 'liveness' | 'readiness' | 'startup';
export type ProbeOutcome = 'success' | 'failure' | 'unknown';

/** What one run of a handler gave; a prober error (kubelet's probe.Unknown + err) rejects instead. */
export interface HandlerResult {
  result: 'success' | 'failure';
  output: string;
}

/** Raised by ProbeRuntime.exec when the command outlives timeoutSeconds. */
export class ExecTimeoutError extends Error {}

export interface ProbeRuntime {
  /** Runs a command in the container; rejects with ExecTimeoutError after timeoutMs. */
  exec(
    containerId: string,
    command: string[],
    timeoutMs: number,
  ): Promise<{ exitCode: number; output: string }>;
  httpProbe(request: HttpGetRequest): Promise<HandlerResult>;
  tcpProbe(host: string, port: number, timeoutMs: number): Promise<HandlerResult>;
  /** Records an event on the container (fieldPath spec.containers{name}). */
  event(
    pod: KubeObject,
    container: string,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
  ): void;
  /** Stops the container so the pod's restartPolicy restarts it. */
  kill(pod: KubeObject, containerId: string, graceSeconds: number): Promise<void>;
  /** A result changed: the pod's status (ready, started) must be computed again. */
  changed(pod: KubeObject): void;
}

const PROBE_FIELD: Record<ProbeType, string> = {
  liveness: 'livenessProbe',
  readiness: 'readinessProbe',
  startup: 'startupProbe',
};
const TITLE: Record<ProbeType, string> = {
  liveness: 'Liveness',
  readiness: 'Readiness',
  startup: 'Startup',
};

export interface ProbeSpec {
  initialDelaySeconds: number;
  periodSeconds: number;
  timeoutSeconds: number;
  successThreshold: number;
  failureThreshold: number;
  terminationGracePeriodSeconds?: number;
  handler: Obj;
}

/** A probe with the API's defaults for what is unset. */
export function probeSpec(probe: Obj): ProbeSpec {
  const num = (v: unknown, d: number) => (typeof v === 'number' && v > 0 ? v : d);
  return {
    initialDelaySeconds:
      typeof probe.initialDelaySeconds === 'number' ? probe.initialDelaySeconds : 0,
    periodSeconds: num(probe.periodSeconds, 10),
    timeoutSeconds: num(probe.timeoutSeconds, 1),
    successThreshold: num(probe.successThreshold, 1),
    failureThreshold: num(probe.failureThreshold, 3),
    terminationGracePeriodSeconds:
      typeof probe.terminationGracePeriodSeconds === 'number'
        ? probe.terminationGracePeriodSeconds
        : undefined,
    handler: probe,
  };
}

/** The result a worker reports before its first probe (worker.go's initialValue). */
export function initialResult(type: ProbeType): ProbeOutcome {
  if (type === 'readiness') return 'failure';
  if (type === 'liveness') return 'success';
  return 'unknown';
}

/**
 * kubelet's threshold logic: a result becomes the worker's result only after successThreshold
 * (or failureThreshold) identical runs in a row. Pure; returns the new counters.
 */
export function applyResult(
  state: { last: ProbeOutcome | undefined; run: number; current: ProbeOutcome },
  result: 'success' | 'failure',
  spec: Pick<ProbeSpec, 'successThreshold' | 'failureThreshold'>,
): { last: ProbeOutcome; run: number; current: ProbeOutcome; changed: boolean } {
  const run = state.last === result ? state.run + 1 : 1;
  const below =
    (result === 'failure' && run < spec.failureThreshold) ||
    (result === 'success' && run < spec.successThreshold);
  if (below) return { last: result, run, current: state.current, changed: false };
  return { last: result, run, current: result, changed: state.current !== result };
}

/** Runs one probe's handler (exec, httpGet or tcpSocket) against a running container. */
export async function runHandler(
  runtime: ProbeRuntime,
  spec: ProbeSpec,
  container: Obj,
  containerId: string,
  podIP: string | undefined,
): Promise<HandlerResult> {
  const h = spec.handler;
  const timeoutMs = spec.timeoutSeconds * 1000;
  if (h.exec) {
    const command = Array.isArray((h.exec as Obj).command)
      ? ((h.exec as Obj).command as unknown[]).map(str)
      : [];
    try {
      const { exitCode, output } = await runtime.exec(containerId, command, timeoutMs);
      return { result: exitCode === 0 ? 'success' : 'failure', output };
    } catch (err) {
      // kubelet (ExecProbeTimeout): a timed-out command is a failure with the timeout's text.
      if (err instanceof ExecTimeoutError)
        return {
          result: 'failure',
          output: `command ${JSON.stringify(command.join(' '))} timed out`,
        };
      throw err;
    }
  }
  if (h.httpGet) {
    const get = h.httpGet as Obj;
    const host = str(get.host) || podIP;
    if (!host) throw new Error('pod has no IP address yet');
    const path = str(get.path) || '/';
    return runtime.httpProbe({
      host,
      port: resolvePort(get.port, container),
      path: path.startsWith('/') ? path : `/${path}`,
      scheme: get.scheme === 'HTTPS' ? 'HTTPS' : 'HTTP',
      headers: Array.isArray(get.httpHeaders)
        ? (get.httpHeaders as Obj[]).map((x) => ({ name: str(x.name), value: str(x.value) }))
        : [],
      timeoutMs,
    });
  }
  if (h.tcpSocket) {
    const tcp = h.tcpSocket as Obj;
    const host = str(tcp.host) || podIP;
    if (!host) throw new Error('pod has no IP address yet');
    return runtime.tcpProbe(host, resolvePort(tcp.port, container), timeoutMs);
  }
  if (h.grpc) throw new Error('grpc probes are not supported by this node');
  throw new Error(`missing probe handler for ${JSON.stringify(h)}`);
}

/** An httpGet or tcpSocket probe without its own host targets the pod IP. */
function needsPodIP(handler: Obj): boolean {
  const target = (handler.httpGet ?? handler.tcpSocket) as Obj | undefined;
  return !!target && !str(target.host);
}

/** What the runtime last saw of a container. */
interface Observed {
  pod: KubeObject;
  container: Obj;
  /** The running container's id; undefined while it is not running. */
  containerId: string | undefined;
  startedAtMs: number;
  podIP: string | undefined;
}

class Worker {
  current: ProbeOutcome;
  last: ProbeOutcome | undefined;
  run = 0;
  onHold = false;
  containerId: string | undefined;
  timer: NodeJS.Timeout | undefined;
  busy = false;

  constructor(
    readonly type: ProbeType,
    readonly spec: ProbeSpec,
  ) {
    this.current = initialResult(type);
  }
}

/** Per pod uid, per container name, the workers and what was last observed. */
interface ContainerEntry {
  observed: Observed;
  workers: Map<ProbeType, Worker>;
}

export class PodProber {
  private readonly pods = new Map<string, Map<string, ContainerEntry>>();
  private stopped = false;

  constructor(private readonly runtime: ProbeRuntime) {}

  /**
   * Tells the prober what a container is now (called whenever the pod's status is computed):
   * starts its workers the first time, resets them for a new container id.
   */
  observe(
    pod: KubeObject,
    container: Obj,
    state: { containerId: string | undefined; startedAtMs: number; podIP: string | undefined },
  ): void {
    if (this.stopped) return;
    const uid = pod.metadata.uid ?? '';
    const name = str(container.name);
    let containers = this.pods.get(uid);
    if (!containers) this.pods.set(uid, (containers = new Map<string, ContainerEntry>()));
    let entry = containers.get(name);
    const observed: Observed = {
      pod,
      container,
      containerId: state.containerId,
      startedAtMs: state.startedAtMs,
      podIP: state.podIP,
    };
    if (!entry) {
      entry = { observed, workers: new Map() };
      containers.set(name, entry);
      for (const type of ['startup', 'liveness', 'readiness'] as ProbeType[]) {
        const probe = container[PROBE_FIELD[type]];
        if (!probe || typeof probe !== 'object') continue;
        const worker = new Worker(type, probeSpec(probe as Obj));
        entry.workers.set(type, worker);
        const tick = () => void this.tick(uid, name, worker);
        worker.timer = setInterval(tick, worker.spec.periodSeconds * 1000);
        worker.timer.unref();
      }
    }
    const gotIP = !entry.observed.podIP && !!observed.podIP;
    entry.observed = observed;
    // Network probes waited for the pod's IP: run them as soon as it is known.
    if (gotIP)
      for (const worker of entry.workers.values())
        setImmediate(() => void this.tick(uid, name, worker));
    // A new container (restart): every worker starts over at once (worker.go's containerID check).
    for (const worker of entry.workers.values())
      if (state.containerId && worker.containerId !== state.containerId) {
        worker.containerId = state.containerId;
        worker.current = initialResult(worker.type);
        worker.last = undefined;
        worker.run = 0;
        worker.onHold = false;
        setImmediate(() => void this.tick(uid, name, worker));
      }
  }

  /** kubelet's containerStatus.started: the startup probe succeeded (true without one). */
  started(uid: string, name: string, containerId: string): boolean {
    const worker = this.pods.get(uid)?.get(name)?.workers.get('startup');
    if (!worker) return true;
    return worker.containerId === containerId && worker.current === 'success';
  }

  /** kubelet's containerStatus.ready for a running container: started and readiness succeeded. */
  ready(uid: string, name: string, containerId: string): boolean {
    if (!this.started(uid, name, containerId)) return false;
    const worker = this.pods.get(uid)?.get(name)?.workers.get('readiness');
    if (!worker) return true;
    return worker.containerId === containerId && worker.current === 'success';
  }

  /** The pod is gone (or finished): its workers stop. */
  removePod(uid: string): void {
    const containers = this.pods.get(uid);
    if (!containers) return;
    for (const entry of containers.values())
      for (const w of entry.workers.values()) clearInterval(w.timer);
    this.pods.delete(uid);
  }

  stop(): void {
    this.stopped = true;
    for (const uid of [...this.pods.keys()]) this.removePod(uid);
  }

  /** One probe tick: worker.go's doProbe. */
  private async tick(uid: string, name: string, worker: Worker): Promise<void> {
    const entry = this.pods.get(uid)?.get(name);
    if (!entry || entry.workers.get(worker.type) !== worker || worker.busy) return;
    const o = entry.observed;
    if (isTerminalPhase(statusOf(o.pod).phase)) return this.removePod(uid);
    if (!o.containerId || o.containerId !== worker.containerId) {
      // Not running: readiness turns false (kubelet sets Failure for the old container).
      if (worker.type === 'readiness' && worker.current !== 'failure' && worker.containerId) {
        worker.current = 'failure';
        this.runtime.changed(o.pod);
      }
      return;
    }
    if (worker.onHold) return;
    const startup = entry.workers.get('startup');
    if (worker.type !== 'startup' && startup && startup.current !== 'success') return;
    if (worker.type === 'startup' && worker.current === 'success') return;
    if (Date.now() - o.startedAtMs < worker.spec.initialDelaySeconds * 1000) return;
    // The status with the pod's IP is not written yet: network probes wait for it.
    if (!o.podIP && needsPodIP(worker.spec.handler)) return;
    worker.busy = true;
    let outcome: HandlerResult;
    const containerId = o.containerId;
    try {
      outcome = await runHandler(this.runtime, worker.spec, o.container, containerId, o.podIP);
    } catch (err) {
      // A prober error: kubelet records it and throws the result away.
      this.runtime.event(
        o.pod,
        name,
        'Warning',
        'Unhealthy',
        `${TITLE[worker.type]} probe errored: ${(err as Error).message}`,
      );
      return;
    } finally {
      worker.busy = false;
    }
    // The container changed while the probe ran: its result belongs to no one.
    if (this.pods.get(uid)?.get(name) !== entry || worker.containerId !== containerId) return;
    if (outcome.result === 'failure')
      this.runtime.event(
        o.pod,
        name,
        'Warning',
        'Unhealthy',
        `${TITLE[worker.type]} probe failed: ${outcome.output}`,
      );
    const next = applyResult(worker, outcome.result, worker.spec);
    worker.last = next.last;
    worker.run = next.run;
    worker.current = next.current;
    if (worker.type !== 'readiness' && next.current === 'failure' && next.changed) {
      // Liveness/startup failure: hold until the container is replaced, then kill it.
      worker.onHold = true;
      worker.run = 0;
      await this.restart(o, worker, containerId);
      return;
    }
    if (next.changed) this.runtime.changed(o.pod);
  }

  private async restart(o: Observed, worker: Worker, containerId: string): Promise<void> {
    const name = str(o.container.name);
    const policy = restartPolicyOf(o.pod);
    // kubelet: the probe's own terminationGracePeriodSeconds wins over the pod's.
    const podGrace = (o.pod.spec as Obj | undefined)?.terminationGracePeriodSeconds;
    const grace =
      worker.spec.terminationGracePeriodSeconds ?? (typeof podGrace === 'number' ? podGrace : 30);
    const will = policy === 'Never' ? '' : ', will be restarted';
    this.runtime.event(
      o.pod,
      name,
      'Normal',
      'Killing',
      `Container ${name} failed ${worker.type} probe${will}`,
    );
    try {
      await this.runtime.kill(o.pod, containerId, grace);
    } finally {
      this.runtime.changed(o.pod);
    }
  }
}
