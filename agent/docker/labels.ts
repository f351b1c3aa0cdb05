// The labels on everything Skiff creates in Docker (DESIGN.md, "labels on everything"): they let
// the agent find its containers, networks and volumes again after a restart, and leave alone
// anything that does not carry them. Names follow dockershim's k8s_<container>_<pod>_<ns>_<uid>_<n>.
export const LABEL_CLUSTER = 'skiff.dev/cluster';
export const LABEL_ROLE = 'skiff.dev/role';
export const LABEL_POD_UID = 'skiff.dev/pod-uid';
export const LABEL_NAMESPACE = 'skiff.dev/pod-namespace';
export const LABEL_POD_NAME = 'skiff.dev/pod-name';
export const LABEL_CONTAINER = 'skiff.dev/container-name';
/** `init` or `regular` (app containers); absent on sandboxes. */
export const LABEL_CONTAINER_TYPE = 'skiff.dev/container-type';
/** The container's restart count when it was created (kubelet's attempt number). */
export const LABEL_RESTART_COUNT = 'skiff.dev/restart-count';
/** The pod's terminationGracePeriodSeconds, for stopping a container whose pod is gone. */
export const LABEL_GRACE = 'skiff.dev/termination-grace-period';
/** The pod volume a Docker volume backs. */
export const LABEL_VOLUME = 'skiff.dev/volume-name';

export type Role = 'sandbox' | 'container' | 'network' | 'volume';

export interface PodRef {
  uid: string;
  namespace: string;
  name: string;
}

/** The labels of a pod's sandbox (container undefined) or of one of its containers. */
export function podLabels(
  clusterId: string,
  pod: PodRef,
  container?: { name: string; type: 'init' | 'regular'; restartCount: number; grace: number },
): Record<string, string> {
  const labels: Record<string, string> = {
    [LABEL_CLUSTER]: clusterId,
    [LABEL_ROLE]: container ? 'container' : 'sandbox',
    [LABEL_POD_UID]: pod.uid,
    [LABEL_NAMESPACE]: pod.namespace,
    [LABEL_POD_NAME]: pod.name,
  };
  if (container) {
    labels[LABEL_CONTAINER] = container.name;
    labels[LABEL_CONTAINER_TYPE] = container.type;
    labels[LABEL_RESTART_COUNT] = String(container.restartCount);
    labels[LABEL_GRACE] = String(container.grace);
  }
  return labels;
}

/** The labels of the Docker volume backing one of a pod's volumes. */
export function volumeLabels(
  clusterId: string,
  pod: PodRef,
  volume: string,
): Record<string, string> {
  return {
    [LABEL_CLUSTER]: clusterId,
    [LABEL_ROLE]: 'volume',
    [LABEL_POD_UID]: pod.uid,
    [LABEL_NAMESPACE]: pod.namespace,
    [LABEL_POD_NAME]: pod.name,
    [LABEL_VOLUME]: volume,
  };
}

/** Docker's name for the volume backing a pod volume (pod volume names are DNS labels). */
export function volumeName(clusterId: string, pod: PodRef, volume: string): string {
  return `skiff-${clusterId.slice(0, 8)}_${pod.uid}_${volume}`;
}

/** Docker's name for a pod's container (or its sandbox, `POD`), unique per attempt. */
export function containerName(pod: PodRef, container: string, attempt: number): string {
  return `k8s_${container}_${pod.name}_${pod.namespace}_${pod.uid}_${attempt}`;
}
