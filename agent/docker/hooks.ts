// Lifecycle hooks on Docker (kuberuntime's runner and executePreStopHook): exec through Docker
// exec, httpGet through the injected in-network client, kubelet's events, the kill after a failed
// postStart and the grace period preStop leaves for the stop signal.
import type Docker from 'dockerode';
import type { KubeObject } from '../../main/api/types.ts';
import type { EventRecorder } from '../../main/controllers/runtime/events.ts';
import { str, type Obj } from '../kubelet/common.ts';
import {
  lifecycleOf,
  remainingGrace,
  runHook,
  type HookHttpGet,
  type HookRuntime,
} from '../kubelet/lifecycle-hooks.ts';
import { dockerExec } from './docker-probes.ts';

export interface DockerHooksOptions {
  docker: Docker;
  events: EventRecorder;
  log: (line: string) => void;
  /**
   * HTTP GET from inside the cluster network. NETD PLUGS IN HERE: the Docker node passes netd's
   * client; without one, httpGet hooks fail with the message below (the host never dials a pod IP).
   */
  httpGet?: HookHttpGet;
}

type EventTarget = Parameters<EventRecorder['event']>[0];

export class DockerHooks {
  constructor(private readonly options: DockerHooksOptions) {}

  private runtime(containerId: string): HookRuntime {
    return {
      exec: (command) => dockerExec(this.options.docker, containerId, command),
      httpGet:
        this.options.httpGet ??
        (() =>
          Promise.reject(
            new Error(
              'httpGet hooks need netd, the in-network helper, which this node does not run yet',
            ),
          )),
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    };
  }

  /**
   * Runs postStart right after the container started; on failure records FailedPostStartHook,
   * kills the container (its restart policy decides what follows) and resolves false.
   */
  async postStart(
    pod: KubeObject,
    container: Obj,
    containerId: string,
    podIP: string | undefined,
    target: EventTarget,
    grace: number,
  ): Promise<boolean> {
    const { postStart } = lifecycleOf(container);
    if (!postStart) return true;
    const failure = await runHook(
      postStart,
      { pod, container, podIP, timeoutMs: Math.max(grace, 1) * 1000 },
      this.runtime(containerId),
    );
    if (failure === undefined) return true;
    this.options.log(`docker node: ${failure}`);
    // kubelet keeps the hook's output out of the event (it may hold secrets).
    this.options.events.event(target, 'Warning', 'FailedPostStartHook', 'PostStartHook failed');
    this.options.events.event(target, 'Normal', 'Killing', 'FailedPostStartHook');
    try {
      await this.options.docker
        .getContainer(containerId)
        .stop({ t: Math.max(0, Math.round(grace)) });
    } catch (err) {
      const code = (err as { statusCode?: number }).statusCode;
      if (code !== 304 && code !== 404) throw err;
    }
    return false;
  }

  /**
   * Runs preStop (bounded by the grace period) before the stop signal; resolves with the grace
   * period left for it, never below kubelet's 2 s.
   */
  async preStop(
    pod: KubeObject,
    container: Obj | undefined,
    containerId: string,
    podIP: string | undefined,
    target: EventTarget,
    grace: number,
  ): Promise<number> {
    const preStop = container ? lifecycleOf(container).preStop : undefined;
    if (!container || !preStop || grace <= 0) return grace;
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), grace * 1000);
    });
    const result = await Promise.race([
      runHook(
        preStop,
        { pod, container, podIP, timeoutMs: grace * 1000 },
        this.runtime(containerId),
      ).catch((err: unknown) => (err instanceof Error ? err.message : String(err))),
      timedOut,
    ]);
    clearTimeout(timer);
    if (result === 'timeout')
      this.options.log(
        `docker node: preStop hook of ${str(container.name)} did not finish within ${grace}s`,
      );
    else if (result !== undefined) {
      this.options.log(`docker node: ${result}`);
      this.options.events.event(target, 'Warning', 'FailedPreStopHook', 'PreStopHook failed');
    }
    return remainingGrace(grace, Date.now() - started);
  }
}
