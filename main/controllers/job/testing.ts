// For tests while no kubelet runs: finishes a pod the way a node reports it, with phase
// Succeeded or Failed and each container terminated with the given exit code.
import type { KubeObject } from '../../api/types.ts';
import type { LocalClient } from '../../client/local-client.ts';
import { PODS } from '../replicaset/replica-set-controller.ts';
import { nowTime } from '../replicaset/controller-utils.ts';
import { record } from './job-util.ts';

export async function finishPod(
  client: LocalClient,
  pod: KubeObject,
  exitCode: number,
): Promise<KubeObject> {
  const fresh = client.get(PODS, pod.metadata.namespace ?? '', pod.metadata.name ?? '');
  const containers = record(fresh.spec).containers;
  const now = nowTime();
  const containerStatuses = (Array.isArray(containers) ? containers : []).map((c) => ({
    name: record(c).name,
    image: record(c).image,
    imageID: '',
    ready: false,
    restartCount: 0,
    started: false,
    state: {
      terminated: {
        exitCode,
        reason: exitCode === 0 ? 'Completed' : 'Error',
        startedAt: now,
        finishedAt: now,
      },
    },
  }));
  return client.updateStatus(PODS, fresh.metadata.namespace ?? '', {
    ...fresh,
    status: {
      ...record(fresh.status),
      phase: exitCode === 0 ? 'Succeeded' : 'Failed',
      containerStatuses,
    },
  });
}
