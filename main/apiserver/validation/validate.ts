// Entry points of create/update validation for built-in kinds, as kube-apiserver's registry runs
// them: the kind's strategy validation, then the generic ObjectMeta checks every resource gets.

import type { KubeObject } from '../../api/types.ts';
import type { FieldError } from '../../api/status.ts';
import { dedupe } from './field.ts';
import { obj, str, type Obj } from './json.ts';
import { pathSegmentName } from './names.ts';
import { validateObjectMeta, validateObjectMetaUpdate } from './meta.ts';
import { validatePodCreate, validatePodUpdate } from './pod.ts';
import * as core from './core.ts';
import * as apps from './apps.ts';
import * as batch from './batch.ts';
import * as networking from './networking.ts';
import * as rbac from './rbac.ts';
import { validateStorageClass, validateStorageClassUpdate } from './storage.ts';
import { validatePodDisruptionBudget, validatePodDisruptionBudgetUpdate } from './policy.ts';
import {
  validateHorizontalPodAutoscaler,
  validateHorizontalPodAutoscalerUpdate,
} from './autoscaling.ts';
import { validateLease, validateLeaseUpdate } from './coordination.ts';
import { validateEndpointSlice, validateEndpointSliceUpdate } from './discovery.ts';
import { validateEventCreate, validateEventUpdate } from './events.ts';

interface KindRules {
  namespaced: boolean;
  create: (o: Obj, group: string) => FieldError[];
  update: (n: Obj, o: Obj, group: string) => FieldError[];
}

const rules: Record<string, KindRules> = {
  '/Pod': { namespaced: true, create: validatePodCreate, update: validatePodUpdate },
  '/Service': {
    namespaced: true,
    create: core.validateServiceCreate,
    update: core.validateServiceUpdate,
  },
  '/Namespace': {
    namespaced: false,
    create: core.validateNamespace,
    update: core.validateNamespaceUpdate,
  },
  '/ConfigMap': {
    namespaced: true,
    create: core.validateConfigMap,
    update: core.validateConfigMapUpdate,
  },
  '/Secret': { namespaced: true, create: core.validateSecret, update: core.validateSecretUpdate },
  '/ServiceAccount': {
    namespaced: true,
    create: core.validateServiceAccount,
    update: core.validateServiceAccountUpdate,
  },
  '/Endpoints': {
    namespaced: true,
    create: core.validateEndpoints,
    update: core.validateEndpointsUpdate,
  },
  '/Node': { namespaced: false, create: core.validateNode, update: core.validateNodeUpdate },
  '/PersistentVolume': {
    namespaced: false,
    create: core.validatePersistentVolume,
    update: core.validatePersistentVolumeUpdate,
  },
  '/PersistentVolumeClaim': {
    namespaced: true,
    create: core.validatePersistentVolumeClaim,
    update: core.validatePersistentVolumeClaimUpdate,
  },
  '/LimitRange': {
    namespaced: true,
    create: core.validateLimitRange,
    update: core.validateLimitRangeUpdate,
  },
  '/ResourceQuota': {
    namespaced: true,
    create: core.validateResourceQuota,
    update: core.validateResourceQuotaUpdate,
  },
  '/ReplicationController': {
    namespaced: true,
    create: core.validateReplicationController,
    update: core.validateReplicationControllerUpdate,
  },
  '/PodTemplate': {
    namespaced: true,
    create: core.validatePodTemplate,
    update: core.validatePodTemplateUpdate,
  },
  '/Event': { namespaced: true, create: validateEventCreate, update: validateEventUpdate },
  'events.k8s.io/Event': {
    namespaced: true,
    create: validateEventCreate,
    update: validateEventUpdate,
  },
  'apps/Deployment': {
    namespaced: true,
    create: apps.validateDeployment,
    update: apps.validateDeploymentUpdate,
  },
  'apps/ReplicaSet': {
    namespaced: true,
    create: apps.validateReplicaSet,
    update: apps.validateReplicaSetUpdate,
  },
  'apps/StatefulSet': {
    namespaced: true,
    create: apps.validateStatefulSet,
    update: apps.validateStatefulSetUpdate,
  },
  'apps/DaemonSet': {
    namespaced: true,
    create: apps.validateDaemonSet,
    update: apps.validateDaemonSetUpdate,
  },
  'apps/ControllerRevision': {
    namespaced: true,
    create: apps.validateControllerRevision,
    update: apps.validateControllerRevisionUpdate,
  },
  'batch/Job': { namespaced: true, create: batch.validateJob, update: batch.validateJobUpdate },
  'batch/CronJob': {
    namespaced: true,
    create: batch.validateCronJob,
    update: batch.validateCronJobUpdate,
  },
  'autoscaling/HorizontalPodAutoscaler': {
    namespaced: true,
    create: validateHorizontalPodAutoscaler,
    update: validateHorizontalPodAutoscalerUpdate,
  },
  'networking.k8s.io/NetworkPolicy': {
    namespaced: true,
    create: networking.validateNetworkPolicy,
    update: networking.validateNetworkPolicyUpdate,
  },
  'networking.k8s.io/Ingress': {
    namespaced: true,
    create: networking.validateIngress,
    update: networking.validateIngressUpdate,
  },
  'networking.k8s.io/IngressClass': {
    namespaced: false,
    create: networking.validateIngressClass,
    update: networking.validateIngressClassUpdate,
  },
  'policy/PodDisruptionBudget': {
    namespaced: true,
    create: validatePodDisruptionBudget,
    update: validatePodDisruptionBudgetUpdate,
  },
  'rbac.authorization.k8s.io/Role': {
    namespaced: true,
    create: (o) => rbac.validateRole(o, true),
    update: (n, o) => rbac.validateRoleUpdate(n, o, true),
  },
  'rbac.authorization.k8s.io/ClusterRole': {
    namespaced: false,
    create: (o) => rbac.validateRole(o, false),
    update: (n, o) => rbac.validateRoleUpdate(n, o, false),
  },
  'rbac.authorization.k8s.io/RoleBinding': {
    namespaced: true,
    create: (o) => rbac.validateBinding(o, true),
    update: (n, o) => rbac.validateBindingUpdate(n, o, true),
  },
  'rbac.authorization.k8s.io/ClusterRoleBinding': {
    namespaced: false,
    create: (o) => rbac.validateBinding(o, false),
    update: (n, o) => rbac.validateBindingUpdate(n, o, false),
  },
  'storage.k8s.io/StorageClass': {
    namespaced: false,
    create: validateStorageClass,
    update: validateStorageClassUpdate,
  },
  'coordination.k8s.io/Lease': {
    namespaced: true,
    create: validateLease,
    update: validateLeaseUpdate,
  },
  'discovery.k8s.io/EndpointSlice': {
    namespaced: true,
    create: validateEndpointSlice,
    update: validateEndpointSliceUpdate,
  },
};

/** The API group of an apiVersion ("apps/v1" → "apps", "v1" → ""). */
export function groupOf(apiVersion: string): string {
  const slash = apiVersion.lastIndexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/** Whether this module validates the kind (group '' for core). */
export function hasValidation(kind: string, group: string): boolean {
  return `${group}/${kind}` in rules;
}

/** Namespace scope of a kind this module knows; undefined for others. */
export function isNamespacedKind(kind: string, group: string): boolean | undefined {
  return rules[`${group}/${kind}`]?.namespaced;
}

function kindRules(object: KubeObject): {
  rule: KindRules | undefined;
  group: string;
  namespaced: boolean;
} {
  const group = groupOf(object.apiVersion);
  const rule = rules[`${group}/${object.kind}`];
  const namespaced = rule ? rule.namespaced : Boolean(str(obj(object.metadata)?.namespace));
  return { rule, group, namespaced };
}

/**
 * Validation of a new object (after defaulting, name generation and admission), as
 * rest.BeforeCreate runs it: the kind's rules, then — only if those pass — the generic
 * ObjectMeta rules with path-segment names. Unknown kinds get only the generic rules.
 */
export function validateCreate(object: KubeObject): FieldError[] {
  const { rule, group, namespaced } = kindRules(object);
  const o = object as unknown as Obj;
  const errs = rule ? rule.create(o, group) : [];
  if (errs.length) return dedupe(errs);
  return validateObjectMeta(object.metadata, namespaced, pathSegmentName, undefined, {
    kubeFinalizers: false,
  });
}

/**
 * Validation of an update (after defaulting and prepareForUpdate), as rest.BeforeUpdate runs it:
 * generic ObjectMeta create+update rules, then the kind's update rules.
 */
export function validateUpdate(newObject: KubeObject, oldObject: KubeObject): FieldError[] {
  const { rule, group, namespaced } = kindRules(newObject);
  const n = newObject as unknown as Obj;
  const o = oldObject as unknown as Obj;
  const errs = [
    ...validateObjectMeta(newObject.metadata, namespaced, pathSegmentName, undefined, {
      kubeFinalizers: false,
    }),
    ...validateObjectMetaUpdate(newObject.metadata, oldObject.metadata, undefined, {
      kubeFinalizers: false,
    }),
    ...(rule ? rule.update(n, o, group) : []),
  ];
  return dedupe(errs);
}

export { nameValidatorFor, validateObjectName, type NameValidator } from './names.ts';
