// The controllers kube-controller-manager would run here, and kube-scheduler, in start order.
// Each entry builds a Controller from its context (own client identity, shared informers).
import type { ControllerFactory } from './controller-manager.ts';
import type { BindFunction } from '../scheduler/binder.ts';
import { Scheduler } from '../scheduler/scheduler.ts';
import { nodeLifecycleController } from './node-lifecycle/node-lifecycle-controller.ts';
import { GarbageCollector } from './garbage-collector/garbage-collector.ts';
import { ServiceAccountsController } from './serviceaccount/service-account-controller.ts';
import { RootCaPublisher } from './serviceaccount/root-ca-publisher.ts';
import { EndpointsController } from './endpoints/endpoints-controller.ts';
import { EndpointSliceController } from './endpoints/endpointslice-controller.ts';
import {
  newReplicaSetController,
  newReplicationControllerManager,
} from './replicaset/replica-set-controller.ts';
import { newDeploymentController } from './deployment/deployment-controller.ts';
import { newStatefulSetController } from './statefulset/stateful-set-controller.ts';
import { newDaemonSetController } from './daemonset/daemon-set-controller.ts';
import { newJobController } from './job/job-controller.ts';
import { newCronJobController } from './cronjob/cronjob-controller.ts';
import { newTtlAfterFinishedController } from './ttl-after-finished/ttl-after-finished-controller.ts';
import { newPersistentVolumeController } from './volume/persistent-volume-controller.ts';
import { newResourceQuotaController } from './resourcequota/resource-quota-controller.ts';
import { newDisruptionController } from './disruption/disruption-controller.ts';
import { newHorizontalController } from './podautoscaler/horizontal-controller.ts';

export interface ControllerOptions {
  /** The cluster CA every namespace's kube-root-ca.crt ConfigMap publishes. */
  caCertPem: string;
  /** How the scheduler binds a pod to a node (the pods/binding write). */
  bind: BindFunction;
}

export function controllers(
  options: ControllerOptions,
): { name: string; create: ControllerFactory }[] {
  return [
    { name: 'kube-scheduler', create: (ctx) => new Scheduler({ ...ctx, bind: options.bind }) },
    { name: 'node-lifecycle-controller', create: nodeLifecycleController() },
    {
      name: 'garbage-collector',
      create: (ctx) => new GarbageCollector(ctx, { customResources: true }),
    },
    { name: 'service-account-controller', create: (ctx) => new ServiceAccountsController(ctx) },
    {
      name: 'root-ca-cert-publisher',
      create: (ctx) => new RootCaPublisher(ctx, { caCertPem: options.caCertPem }),
    },
    { name: 'endpoint-controller', create: (ctx) => new EndpointsController(ctx) },
    { name: 'endpointslice-controller', create: (ctx) => new EndpointSliceController(ctx) },
    { name: 'replicaset-controller', create: newReplicaSetController },
    { name: 'replication-controller', create: newReplicationControllerManager },
    { name: 'deployment-controller', create: newDeploymentController },
    { name: 'statefulset-controller', create: newStatefulSetController },
    { name: 'daemonset-controller', create: newDaemonSetController },
    { name: 'job-controller', create: newJobController },
    { name: 'cronjob-controller', create: newCronJobController },
    { name: 'ttl-after-finished-controller', create: newTtlAfterFinishedController },
    { name: 'persistentvolume-binder-controller', create: newPersistentVolumeController },
    { name: 'resourcequota-controller', create: newResourceQuotaController },
    { name: 'disruption-controller', create: newDisruptionController },
    { name: 'horizontal-pod-autoscaler', create: newHorizontalController },
  ];
}
