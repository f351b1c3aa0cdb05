// Probes on Docker: the runtime half of agent/kubelet/prober.ts. exec probes run through Docker
// exec with timeoutSeconds honoured; httpGet and tcpSocket go through netd (the host never dials a
// pod IP); a liveness/startup failure stops the container with the grace period.
import type Docker from 'dockerode';
import type { KubeObject } from '../../main/api/types.ts';
import type { EventRecorder } from '../../main/controllers/runtime/events.ts';
import { ExecTimeoutError, type HandlerResult, type ProbeRuntime } from '../kubelet/prober.ts';
import type { HttpGetRequest } from '../kubelet/lifecycle-hooks.ts';
import { demuxLogs } from './volumes.ts';

/** The in-network half of probes (netd's client). */
export interface ProbeNetwork {
  httpProbe(request: HttpGetRequest): Promise<HandlerResult>;
  tcpProbe(ip: string, port: number, timeoutMs: number): Promise<HandlerResult>;
}

export interface DockerProbeRuntimeOptions {
  docker: Docker;
  events: EventRecorder;
  /** netd's client; without it httpGet/tcpSocket probes error (and are ignored, as kubelet does). */
  network?: ProbeNetwork;
  /** Re-syncs the pod (status, restart). */
  resync: (pod: KubeObject) => void;
}

/**
 * Runs a command in a running container through Docker exec: its exit code and combined output.
 * With a deadline (exec probes) the stream is cut and ExecTimeoutError thrown when it passes.
 */
export async function dockerExec(
  docker: Docker,
  containerId: string,
  command: string[],
  timeoutMs?: number,
): Promise<{ exitCode: number; output: string }> {
  const exec = await docker.getContainer(containerId).exec({
    Cmd: command,
    AttachStdout: true,
    AttachStderr: true,
  });
  const stream = await exec.start({ hijack: true, stdin: false });
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            (stream as { destroy?: () => void }).destroy?.();
            reject(new ExecTimeoutError(`command timed out after ${timeoutMs} ms`));
          }, timeoutMs);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', done);
    stream.on('close', done);
    stream.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
  const info = await exec.inspect();
  return { exitCode: info.ExitCode ?? 0, output: demuxLogs(Buffer.concat(chunks), false) };
}

function fieldPath(pod: KubeObject, container: string): string {
  const spec = (pod.spec ?? {}) as { initContainers?: { name?: string }[] };
  return spec.initContainers?.some((c) => c.name === container)
    ? `spec.initContainers{${container}}`
    : `spec.containers{${container}}`;
}

export function dockerProbeRuntime(options: DockerProbeRuntimeOptions): ProbeRuntime {
  const network = (): ProbeNetwork => {
    if (!options.network) throw new Error('netd is not available on this node');
    return options.network;
  };
  return {
    exec: (id, command, timeoutMs) => dockerExec(options.docker, id, command, timeoutMs),
    httpProbe: (request) => network().httpProbe(request),
    tcpProbe: (host, port, timeoutMs) => network().tcpProbe(host, port, timeoutMs),
    event: (pod, container, type, reason, message) =>
      options.events.event(
        {
          apiVersion: 'v1',
          kind: 'Pod',
          namespace: pod.metadata.namespace,
          name: pod.metadata.name ?? '',
          uid: pod.metadata.uid,
          fieldPath: fieldPath(pod, container),
        },
        type,
        reason,
        message,
      ),
    kill: async (_pod, containerId, graceSeconds) => {
      try {
        await options.docker
          .getContainer(containerId)
          .stop({ t: Math.max(0, Math.round(graceSeconds)) });
      } catch (err) {
        const code = (err as { statusCode?: number }).statusCode;
        if (code !== 304 && code !== 404) throw err;
      }
    },
    changed: (pod) => options.resync(pod),
  };
}
