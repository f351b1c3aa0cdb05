// All protobuf message tables and the kinds whose request bodies Skiff decodes from protobuf
// (client-go's typed clients, which kubectl 1.35 uses, send these as application/vnd.kubernetes.protobuf).
import { APPS_V1 } from './apps-v1.ts';
import { AUTHENTICATION_V1 } from './authentication-v1.ts';
import { AUTHORIZATION_V1 } from './authorization-v1.ts';
import { AUTOSCALING } from './autoscaling.ts';
import { BATCH_V1 } from './batch-v1.ts';
import { CERTIFICATES_V1 } from './certificates-v1.ts';
import { COORDINATION_V1 } from './coordination-v1.ts';
import { CORE_V1 } from './core-v1.ts';
import { EVENTS_V1 } from './events-v1.ts';
import { META_V1 } from './meta-v1.ts';
import { NETWORKING_V1 } from './networking-v1.ts';
import { POLICY } from './policy.ts';
import { RBAC_V1 } from './rbac-v1.ts';
import { SCHEDULING_V1 } from './scheduling-v1.ts';
import type { MessageTable } from './types.ts';

export const MESSAGES: MessageTable = {
  ...META_V1,
  ...CORE_V1,
  ...APPS_V1,
  ...BATCH_V1,
  ...NETWORKING_V1,
  ...RBAC_V1,
  ...POLICY,
  ...SCHEDULING_V1,
  ...AUTHENTICATION_V1,
  ...AUTHORIZATION_V1,
  ...AUTOSCALING,
  ...CERTIFICATES_V1,
  ...EVENTS_V1,
  ...COORDINATION_V1,
};

/** `apiVersion/Kind` → top-level message. */
export const KINDS: Readonly<Record<string, string>> = {
  'v1/Pod': 'core.v1.Pod',
  'v1/Service': 'core.v1.Service',
  'v1/ConfigMap': 'core.v1.ConfigMap',
  'v1/Secret': 'core.v1.Secret',
  'v1/Namespace': 'core.v1.Namespace',
  'v1/ServiceAccount': 'core.v1.ServiceAccount',
  'v1/ResourceQuota': 'core.v1.ResourceQuota',
  'v1/PersistentVolumeClaim': 'core.v1.PersistentVolumeClaim',
  'v1/Event': 'core.v1.Event',
  'apps/v1/Deployment': 'apps.v1.Deployment',
  'apps/v1/ReplicaSet': 'apps.v1.ReplicaSet',
  'apps/v1/StatefulSet': 'apps.v1.StatefulSet',
  'apps/v1/DaemonSet': 'apps.v1.DaemonSet',
  'apps/v1/ControllerRevision': 'apps.v1.ControllerRevision',
  'batch/v1/Job': 'batch.v1.Job',
  'batch/v1/CronJob': 'batch.v1.CronJob',
  'networking.k8s.io/v1/Ingress': 'networking.v1.Ingress',
  'rbac.authorization.k8s.io/v1/Role': 'rbac.v1.Role',
  'rbac.authorization.k8s.io/v1/RoleBinding': 'rbac.v1.RoleBinding',
  'rbac.authorization.k8s.io/v1/ClusterRole': 'rbac.v1.ClusterRole',
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': 'rbac.v1.ClusterRoleBinding',
  'policy/v1/PodDisruptionBudget': 'policy.v1.PodDisruptionBudget',
  'policy/v1/Eviction': 'policy.v1.Eviction',
  'policy/v1beta1/Eviction': 'policy.v1beta1.Eviction',
  'scheduling.k8s.io/v1/PriorityClass': 'scheduling.v1.PriorityClass',
  'authentication.k8s.io/v1/TokenRequest': 'authentication.v1.TokenRequest',
  'authentication.k8s.io/v1/SelfSubjectReview': 'authentication.v1.SelfSubjectReview',
  'authorization.k8s.io/v1/SelfSubjectAccessReview': 'authorization.v1.SelfSubjectAccessReview',
  'authorization.k8s.io/v1/SelfSubjectRulesReview': 'authorization.v1.SelfSubjectRulesReview',
  'authorization.k8s.io/v1/SubjectAccessReview': 'authorization.v1.SubjectAccessReview',
  'authorization.k8s.io/v1/LocalSubjectAccessReview': 'authorization.v1.LocalSubjectAccessReview',
  'autoscaling/v1/HorizontalPodAutoscaler': 'autoscaling.v1.HorizontalPodAutoscaler',
  'autoscaling/v1/Scale': 'autoscaling.v1.Scale',
  'autoscaling/v2/HorizontalPodAutoscaler': 'autoscaling.v2.HorizontalPodAutoscaler',
  'certificates.k8s.io/v1/CertificateSigningRequest': 'certificates.v1.CertificateSigningRequest',
  'events.k8s.io/v1/Event': 'events.v1.Event',
  'coordination.k8s.io/v1/Lease': 'coordination.v1.Lease',
};

/**
 * The message for a body's envelope type, or undefined when Skiff has no table for it.
 * DeleteOptions is registered in every group version (metav1.AddToGroupVersion), so the envelope
 * carries whichever version the client was built for ("v1", "apps/v1", "meta.k8s.io/v1"…).
 */
export function messageForKind(apiVersion: string, kind: string): string | undefined {
  if (kind === 'DeleteOptions' && apiVersion !== '') return 'meta.v1.DeleteOptions';
  return Object.hasOwn(KINDS, `${apiVersion}/${kind}`) ? KINDS[`${apiVersion}/${kind}`] : undefined;
}
