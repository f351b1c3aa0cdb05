// For tests while no kubelet runs: plays the node's part for a controller's pods by marking them
// Running with Ready=True, the way a kubelet reports a started pod (kwok-style simulated node).
import { isPodReady } from '../../api/pod-conditions.ts';
import type { KubeObject } from '../../api/types.ts';
import { isPlainObject } from '../../api/types.ts';
import { StatusError } from '../../api/status.ts';
import type { LocalClient } from '../../client/local-client.ts';
import { PODS } from './replica-set-controller.ts';
import { controllerRef, nowTime } from './controller-utils.ts';

/** Marks one pod Running and Ready (no-op when it already is). */
export async function markPodReady(client: LocalClient, pod: KubeObject): Promise<void> {
  if (isPodReady(pod) || pod.metadata.deletionTimestamp) return;
  const now = nowTime();
  const old = isPlainObject(pod.status) ? pod.status : {};
  const conditions = ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready'].map((type) => ({
    type,
    status: 'True',
    lastProbeTime: null,
    lastTransitionTime: now,
  }));
  try {
    await client.updateStatus(PODS, pod.metadata.namespace ?? '', {
      ...pod,
      status: { ...old, phase: 'Running', conditions, startTime: now, podIP: '10.0.0.1' },
    });
  } catch (err) {
    // Gone or changed meanwhile: the caller's next pass sees the new state.
    if (!(err instanceof StatusError && (err.code === 404 || err.code === 409))) throw err;
  }
}

/** Marks every live pod controlled by the object with this uid Running and Ready. */
export async function markPodsReady(
  client: LocalClient,
  namespace: string,
  ownerUid: string,
): Promise<number> {
  let marked = 0;
  for (const pod of client.list(PODS, namespace).items) {
    if (controllerRef(pod)?.uid !== ownerUid || isPodReady(pod)) continue;
    await markPodReady(client, pod);
    marked++;
  }
  return marked;
}

/**
 * A simulated node that keeps marking new pods in a namespace ready until disposed (optionally
 * only those accepted by `filter`).
 */
export function emulateNode(
  client: LocalClient,
  namespace: string,
  filter: (pod: KubeObject) => boolean = () => true,
): { dispose(): void } {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const tick = async () => {
    for (const pod of client.list(PODS, namespace).items) {
      if (stopped) return;
      if (filter(pod)) await markPodReady(client, pod);
    }
  };
  const loop = () => {
    timer = setTimeout(() => {
      tick().then(
        () => (stopped ? undefined : loop()),
        () => (stopped ? undefined : loop()),
      );
    }, 25);
  };
  loop();
  return {
    dispose() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
