// Lifecycle hooks as kubelet runs them (pkg/kubelet/lifecycle/handlers.go HandlerRunner and
// kuberuntime's executePreStopHook): exec, httpGet and sleep actions, kubelet's failure messages,
// and the grace period left for the stop signal once preStop has had its turn.
import type { KubeObject } from '../../main/api/types.ts';
import { podDescription, str, type Obj } from './common.ts';

/** kubelet never gives the stop signal less than this after a preStop hook. */
export const MINIMUM_GRACE_SECONDS = 2;

/**
 * An HTTP GET from inside the cluster network, as hooks and probes make it (and netd's probe and
 * http-get routes take it).
 */
export interface HttpGetRequest {
  host: string;
  port: number;
  path: string;
  scheme: 'HTTP' | 'HTTPS';
  headers: { name: string; value: string }[];
  timeoutMs: number;
}

/**
 * Sends an HTTP GET from inside the cluster network and resolves with the status code; rejects on
 * a transport error. The Docker node supplies it (through netd: the host never dials a pod IP).
 */
export type HookHttpGet = (request: HttpGetRequest) => Promise<{ statusCode: number }>;

export interface HookRuntime {
  /** Runs the command in the container; output is stdout and stderr together. */
  exec(command: string[]): Promise<{ exitCode: number; output: string }>;
  httpGet: HookHttpGet;
  sleep(ms: number): Promise<void>;
}

export interface HookContext {
  pod: KubeObject;
  container: Obj;
  podIP: string | undefined;
  /** How long an httpGet may take (kubelet bounds it by the grace period for preStop). */
  timeoutMs: number;
}

/** A port of a handler: a number, or the name of one of the container's ports. */
export function resolvePort(port: unknown, container: Obj): number {
  if (typeof port === 'number') return port;
  const text = str(port);
  if (/^\d+$/.test(text)) return Number(text);
  const ports = Array.isArray(container.ports) ? (container.ports as Obj[]) : [];
  const found = ports.find((p) => p.name === text);
  if (found && typeof found.containerPort === 'number') return found.containerPort;
  throw new Error(`couldn't find port: ${text} in ${JSON.stringify(ports)}`);
}

/** Runs one handler; resolves with kubelet's failure message, or undefined when it succeeded. */
export async function runHook(
  handler: Obj | undefined,
  ctx: HookContext,
  runtime: HookRuntime,
): Promise<string | undefined> {
  if (!handler) return undefined;
  const name = str(ctx.container.name);
  const pod = podDescription(ctx.pod);
  if (handler.exec) {
    const command = Array.isArray((handler.exec as Obj).command)
      ? ((handler.exec as Obj).command as unknown[]).map(str)
      : [];
    let result: { exitCode: number; output: string };
    try {
      result = await runtime.exec(command);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      return `Exec lifecycle hook ([${command.join(' ')}]) for Container "${name}" in Pod "${pod}" failed - error: ${reason}, message: ""`;
    }
    if (result.exitCode === 0) return undefined;
    return `Exec lifecycle hook ([${command.join(' ')}]) for Container "${name}" in Pod "${pod}" failed - error: command '${command.join(' ')}' exited with ${result.exitCode}: ${result.output}, message: ${JSON.stringify(result.output)}`;
  }
  if (handler.httpGet) {
    const get = handler.httpGet as Obj;
    const path = str(get.path) || '/';
    try {
      const host = str(get.host) || ctx.podIP;
      if (!host) throw new Error('pod has no IP address yet');
      await runtime.httpGet({
        host,
        port: resolvePort(get.port, ctx.container),
        path: path.startsWith('/') ? path : `/${path}`,
        scheme: get.scheme === 'HTTPS' ? 'HTTPS' : 'HTTP',
        headers: Array.isArray(get.httpHeaders)
          ? (get.httpHeaders as Obj[]).map((h) => ({ name: str(h.name), value: str(h.value) }))
          : [],
        timeoutMs: ctx.timeoutMs,
      });
      return undefined;
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      return `HTTP lifecycle hook (${path}) for Container "${name}" in Pod "${pod}" failed - error: ${reason}`;
    }
  }
  if (handler.sleep) {
    const seconds = Number((handler.sleep as Obj).seconds ?? 0);
    await runtime.sleep(Math.max(0, seconds) * 1000);
    return undefined;
  }
  // tcpSocket is accepted by the API for old objects but never was a working hook action.
  return `invalid handler: ${JSON.stringify(handler)}`;
}

/** The hooks of a container's lifecycle. */
export function lifecycleOf(container: Obj): { postStart?: Obj; preStop?: Obj } {
  const lifecycle = (container.lifecycle ?? {}) as Obj;
  return {
    postStart: lifecycle.postStart as Obj | undefined,
    preStop: lifecycle.preStop as Obj | undefined,
  };
}

/** The grace period left for the stop signal after preStop took `elapsedMs` (at least 2 s). */
export function remainingGrace(graceSeconds: number, elapsedMs: number): number {
  return Math.max(graceSeconds - Math.floor(elapsedMs / 1000), MINIMUM_GRACE_SECONDS);
}
