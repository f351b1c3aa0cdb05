// Server-side Table conversion for built-in kinds (kube-apiserver's printerstorage
// TableConvertor over pkg/printers/internalversion, and the default NAME / CREATED AT convertor of
// apiserver pkg/registry/rest/table.go for kinds without a printer).
import type { KubeObject } from '../../api/types.ts';
import {
  clusterRoleBindingPrinter,
  endpointSlicePrinter,
  ingressClassPrinter,
  ingressPrinter,
  leasePrinter,
  mutatingWebhookPrinter,
  networkPolicyPrinter,
  priorityClassPrinter,
  roleBindingPrinter,
  storageClassPrinter,
  validatingWebhookPrinter,
} from './cluster-printers.ts';
import {
  configMapPrinter,
  endpointsPrinter,
  eventPrinter,
  namespacePrinter,
  nodePrinter,
  persistentVolumeClaimPrinter,
  persistentVolumePrinter,
  podTemplatePrinter,
  replicationControllerPrinter,
  resourceQuotaPrinter,
  secretPrinter,
  serviceAccountPrinter,
  servicePrinter,
} from './core-printers.ts';
import { podPrinter } from './pod.ts';
import { AGE_DESCRIPTION, NAME_DESCRIPTION } from './printer.ts';
import type { KindPrinter } from './printer.ts';
import { column, rowObject } from './table.ts';
import type { TableContent, TableOptions, TableRow } from './table.ts';
import {
  controllerRevisionPrinter,
  cronJobPrinter,
  daemonSetPrinter,
  deploymentPrinter,
  horizontalPodAutoscalerPrinter,
  jobPrinter,
  podDisruptionBudgetPrinter,
  replicaSetPrinter,
  statefulSetPrinter,
} from './workload-printers.ts';

export type {
  IncludeObject,
  PartialObjectMetadata,
  TableCell,
  TableColumnDefinition,
  TableContent,
  TableOptions,
  TableRow,
  TableRowCondition,
} from './table.ts';
export { parseIncludeObject } from './table.ts';

/** Printers by `group/Kind` ("" for core). Kinds absent here get the default convertor. */
const PRINTERS: Record<string, KindPrinter> = {
  '/Pod': podPrinter,
  '/PodTemplate': podTemplatePrinter,
  '/Namespace': namespacePrinter,
  '/ReplicationController': replicationControllerPrinter,
  '/Service': servicePrinter,
  '/Endpoints': endpointsPrinter,
  '/ConfigMap': configMapPrinter,
  '/Secret': secretPrinter,
  '/ServiceAccount': serviceAccountPrinter,
  '/Node': nodePrinter,
  '/Event': eventPrinter,
  '/PersistentVolume': persistentVolumePrinter,
  '/PersistentVolumeClaim': persistentVolumeClaimPrinter,
  '/ResourceQuota': resourceQuotaPrinter,
  'apps/Deployment': deploymentPrinter,
  'apps/ReplicaSet': replicaSetPrinter,
  'apps/StatefulSet': statefulSetPrinter,
  'apps/DaemonSet': daemonSetPrinter,
  'apps/ControllerRevision': controllerRevisionPrinter,
  'batch/Job': jobPrinter,
  'batch/CronJob': cronJobPrinter,
  'autoscaling/HorizontalPodAutoscaler': horizontalPodAutoscalerPrinter,
  'networking.k8s.io/Ingress': ingressPrinter,
  'networking.k8s.io/IngressClass': ingressClassPrinter,
  'networking.k8s.io/NetworkPolicy': networkPolicyPrinter,
  'discovery.k8s.io/EndpointSlice': endpointSlicePrinter,
  'rbac.authorization.k8s.io/RoleBinding': roleBindingPrinter,
  'rbac.authorization.k8s.io/ClusterRoleBinding': clusterRoleBindingPrinter,
  'coordination.k8s.io/Lease': leasePrinter,
  'storage.k8s.io/StorageClass': storageClassPrinter,
  'policy/PodDisruptionBudget': podDisruptionBudgetPrinter,
  // events.k8s.io shares the core Event storage, and with it the printer.
  'events.k8s.io/Event': eventPrinter,
  'scheduling.k8s.io/PriorityClass': priorityClassPrinter,
  'admissionregistration.k8s.io/MutatingWebhookConfiguration': mutatingWebhookPrinter,
  'admissionregistration.k8s.io/ValidatingWebhookConfiguration': validatingWebhookPrinter,
};

/** Whether `kind` in `group` has a dedicated printer (otherwise NAME / CREATED AT is used). */
export function hasPrinter(kind: string, group: string): boolean {
  return Object.prototype.hasOwnProperty.call(PRINTERS, `${group}/${kind}`);
}

/**
 * The Table columns and rows kube-apiserver returns for `kubectl get` of these objects (one
 * object for a GET, the items for a LIST, one per watch event). Rows carry every column,
 * including the -o wide ones, as the real server does.
 */
export function tableFor(
  kind: string,
  group: string,
  objects: readonly KubeObject[],
  options: TableOptions,
): TableContent {
  const printer = Object.prototype.hasOwnProperty.call(PRINTERS, `${group}/${kind}`)
    ? PRINTERS[`${group}/${kind}`]
    : undefined;
  if (!printer) return defaultTable(objects, options);
  const ctx = { now: options.now.getTime() };
  const rows = objects.map((o): TableRow => {
    const printed = printer.row(o, ctx);
    const row: TableRow = { cells: printed.cells };
    if (printed.conditions) row.conditions = printed.conditions;
    const object = rowObject(o, options.includeObject);
    if (object !== undefined) row.object = object;
    return row;
  });
  return { columnDefinitions: printer.columns.map((c) => ({ ...c })), rows };
}

/** metav1.Time marshalling: RFC 3339 in UTC with second precision. */
function rfc3339(value: unknown): string {
  const ms = typeof value === 'string' && value !== '' ? Date.parse(value) : NaN;
  if (Number.isNaN(ms)) return '0001-01-01T00:00:00Z';
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}

/**
 * The default table convertor (Role, ClusterRole, LimitRange, CustomResourceDefinition and any
 * kind without a printer): NAME and CREATED AT, the timestamp as an RFC 3339 `date` cell.
 */
export function defaultTable(objects: readonly KubeObject[], options: TableOptions): TableContent {
  return {
    columnDefinitions: [
      column('Name', 'string', NAME_DESCRIPTION, { format: 'name' }),
      column('Created At', 'date', AGE_DESCRIPTION),
    ],
    rows: objects.map((o): TableRow => {
      const row: TableRow = {
        cells: [o.metadata?.name ?? '', rfc3339(o.metadata?.creationTimestamp)],
      };
      const object = rowObject(o, options.includeObject);
      if (object !== undefined) row.object = object;
      return row;
    }),
  };
}

export { tableForCustomResource } from './custom-resource.ts';
export type { CustomResourceColumnDefinition } from './custom-resource.ts';
export { humanDuration, shortHumanDuration } from './duration.ts';
