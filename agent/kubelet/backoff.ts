// Crash-loop back-off as kubelet computes it (pkg/kubelet/kuberuntime doBackOff with the
// 10 s → 5 min flowcontrol.Backoff): the first restart is immediate, then 10 s, 20 s, … 300 s.
// A container that ran for 10 minutes before it exited starts over (the back-off entry expires).
import type { KubeObject } from '../../main/api/types.ts';
import { podDescription } from './common.ts';

export const DEFAULT_BACKOFF_MS = 10_000;
export const MAX_BACKOFF_MS = 300_000;
/** A container that ran at least this long is restarted as if it had never failed. */
export const BACKOFF_RESET_MS = 600_000;

/**
 * How long after it exited a container that has already been restarted `restarts` times waits
 * before its next start.
 */
export function crashLoopDelay(
  restarts: number,
  ranForMs = 0,
  baseMs = DEFAULT_BACKOFF_MS,
): number {
  if (restarts < 1 || ranForMs >= BACKOFF_RESET_MS) return 0;
  return Math.min(baseMs * 2 ** (restarts - 1), MAX_BACKOFF_MS);
}

/** The waiting message of a container in CrashLoopBackOff (kubelet's wording). */
export function crashLoopMessage(pod: KubeObject, container: string, delayMs: number): string {
  return `back-off ${Math.round(delayMs / 1000)}s restarting failed container=${container} pod=${podDescription(pod)}`;
}
