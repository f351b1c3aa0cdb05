// Image pull progress for the UI (issue 4 item 3): Docker's pull stream (one JSON message per layer
// status change) folded into a per-pod, per-image snapshot of layers and bytes, held in an
// in-process registry the dashboard reads and subscribes to. kubelet has no API for this (KEP
// "Image Pull Progress" is provisional); the events kubelet does emit are in docker-pods.ts.

/** One message of Docker's /images/create stream (what `docker pull` prints). */
export interface DockerPullMessage {
  id?: string;
  status?: string;
  progressDetail?: { current?: number; total?: number };
  error?: string;
  errorDetail?: { message?: string };
}

export type LayerPhase = 'waiting' | 'downloading' | 'extracting' | 'done';

export interface LayerProgress {
  id: string;
  phase: LayerPhase;
  /** Bytes downloaded (the whole layer once it is downloaded or already present). */
  current: number;
  /** Compressed size; 0 until Docker says. */
  total: number;
}

export interface PullSnapshot {
  /** `namespace/name` of the pod the pull is for. */
  pod: string;
  podUID: string;
  image: string;
  phase: 'pulling' | 'done' | 'failed';
  startedAt: number;
  finishedAt?: number;
  layers: LayerProgress[];
  layersDone: number;
  bytesDone: number;
  /** Sum of the known layer sizes (grows as Docker learns them). */
  bytesTotal: number;
  error?: string;
}

function phaseOf(status: string): LayerPhase | undefined {
  if (status === 'Pulling fs layer' || status === 'Waiting') return 'waiting';
  if (status === 'Downloading' || status === 'Verifying Checksum') return 'downloading';
  if (status === 'Download complete' || status === 'Extracting') return 'extracting';
  if (status === 'Pull complete' || status === 'Already exists') return 'done';
  return undefined;
}

/**
 * Applies one stream message to the layers (a new map, the input is not changed). Messages
 * without a layer id (`Pulling from …`, `Digest: …`, `Status: …`) leave the layers as they are.
 */
export function foldPullMessage(
  layers: ReadonlyMap<string, LayerProgress>,
  message: DockerPullMessage,
): Map<string, LayerProgress> {
  const next = new Map(layers);
  const id = message.id;
  const phase = message.status ? phaseOf(message.status) : undefined;
  if (!id || !phase) return next;
  const before = next.get(id) ?? { id, phase: 'waiting' as LayerPhase, current: 0, total: 0 };
  const layer = { ...before, phase };
  const detail = message.progressDetail;
  if (message.status === 'Downloading' && detail) {
    if (typeof detail.total === 'number' && detail.total > 0) layer.total = detail.total;
    if (typeof detail.current === 'number') layer.current = detail.current;
  }
  // Once downloaded, the whole layer counts (extraction progress is of the uncompressed size).
  if (phase === 'extracting' || phase === 'done') layer.current = layer.total;
  next.set(id, layer);
  return next;
}

/** The totals of a set of layers. */
export function summarize(layers: ReadonlyMap<string, LayerProgress>): {
  layersDone: number;
  bytesDone: number;
  bytesTotal: number;
} {
  let layersDone = 0;
  let bytesDone = 0;
  let bytesTotal = 0;
  for (const l of layers.values()) {
    if (l.phase === 'done') layersDone++;
    bytesDone += l.current;
    bytesTotal += l.total;
  }
  return { layersDone, bytesDone, bytesTotal };
}

export type PullListener = (snapshot: PullSnapshot) => void;

/** One pull in progress: feed it the stream's messages, then finish it. */
export interface PullTracker {
  update(message: DockerPullMessage): void;
  finish(error?: string): void;
}

/** How long a finished pull stays readable (the UI shows the last result for a while). */
const KEEP_FINISHED_MS = 5 * 60_000;

export class PullProgressRegistry {
  private readonly pulls = new Map<string, PullSnapshot>();
  private readonly listeners = new Set<PullListener>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Starts tracking a pull of `image` for a pod (replacing an earlier pull of it). */
  begin(pod: { namespace: string; name: string; uid: string }, image: string): PullTracker {
    const key = `${pod.uid}/${image}`;
    let layers = new Map<string, LayerProgress>();
    let snapshot: PullSnapshot = {
      pod: `${pod.namespace}/${pod.name}`,
      podUID: pod.uid,
      image,
      phase: 'pulling',
      startedAt: this.now(),
      layers: [],
      layersDone: 0,
      bytesDone: 0,
      bytesTotal: 0,
    };
    const publish = () => {
      this.pulls.set(key, snapshot);
      for (const l of this.listeners) l(snapshot);
    };
    this.prune();
    publish();
    return {
      update: (message) => {
        if (snapshot.phase !== 'pulling') return;
        const next = foldPullMessage(layers, message);
        layers = next;
        snapshot = { ...snapshot, layers: [...next.values()], ...summarize(next) };
        publish();
      },
      finish: (error) => {
        if (snapshot.phase !== 'pulling') return;
        snapshot = {
          ...snapshot,
          phase: error === undefined ? 'done' : 'failed',
          finishedAt: this.now(),
          ...(error === undefined ? {} : { error }),
        };
        publish();
      },
    };
  }

  /** The pulls of one pod (all pods when podUID is undefined), newest first. */
  list(podUID?: string): PullSnapshot[] {
    this.prune();
    return [...this.pulls.values()]
      .filter((s) => podUID === undefined || s.podUID === podUID)
      .sort((a, b) => b.startedAt - a.startedAt);
  }

  get(podUID: string, image: string): PullSnapshot | undefined {
    return this.pulls.get(`${podUID}/${image}`);
  }

  /** Calls `listener` with every snapshot change until disposed. */
  subscribe(listener: PullListener): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => void this.listeners.delete(listener) };
  }

  /** Forgets a pod's pulls (the pod is gone). */
  forgetPod(podUID: string): void {
    for (const [key, s] of this.pulls) if (s.podUID === podUID) this.pulls.delete(key);
  }

  private prune(): void {
    const limit = this.now() - KEEP_FINISHED_MS;
    for (const [key, s] of this.pulls)
      if (s.finishedAt !== undefined && s.finishedAt < limit) this.pulls.delete(key);
  }
}

/** The process-wide registry the Docker node writes and the dashboard reads. */
export const pullProgress = new PullProgressRegistry();

/**
 * kubelet's event durations: Go's time.Duration String() of a duration truncated to the
 * millisecond (`523ms`, `1.234s`, `1m2.5s`).
 */
export function pullDuration(ms: number): string {
  const t = Math.max(0, Math.floor(ms));
  if (t === 0) return '0s';
  if (t < 1000) return `${t}ms`;
  const h = Math.floor(t / 3_600_000);
  const m = Math.floor((t % 3_600_000) / 60_000);
  const rest = t % 60_000;
  const secs = `${Math.floor(rest / 1000)}${
    rest % 1000
      ? `.${String(rest % 1000)
          .padStart(3, '0')
          .replace(/0+$/, '')}`
      : ''
  }s`;
  if (h > 0) return `${h}h${m}m${secs}`;
  if (m > 0) return `${m}m${secs}`;
  return secs;
}

/** kubelet's Pulled event after a pull (pkg/kubelet/images image_manager.go pullImage). */
export function pulledMessage(
  image: string,
  pullMs: number,
  totalMs: number,
  sizeBytes: number | undefined,
): string {
  return `Successfully pulled image "${image}" in ${pullDuration(pullMs)} (${pullDuration(totalMs)} including waiting). Image size: ${sizeBytes ?? 0} bytes.`;
}

/**
 * kubelet 1.35's Pulled event when no pull is needed (KubeletEnsureSecretPulledImages is on by
 * default since 1.35, which words it so).
 */
export function alreadyPresentMessage(image: string): string {
  return `Container image "${image}" already present on machine and can be accessed by the pod`;
}
