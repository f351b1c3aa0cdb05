// Table printers for workload kinds (pkg/printers/internalversion/printers.go): Deployment,
// ReplicaSet, StatefulSet, DaemonSet, ControllerRevision, Job, CronJob, HorizontalPodAutoscaler
// and PodDisruptionBudget.
import { quantityString } from '../../api/quantity.ts';
import type { KubeObject } from '../../api/types.ts';
import {
  formatLabels,
  formatLabelSelector,
  LabelSelectorError,
  labelSelectorFromObject,
} from '../selectors/label-selector.ts';
import type { LabelSelectorObject } from '../selectors/label-selector.ts';
import { humanDuration, parseTimestamp, timestampSince } from './duration.ts';
import {
  arr,
  boolPtr,
  containerCells,
  get,
  int,
  intOrString,
  obj,
  optBool,
  optInt,
  optStr,
  str,
  stringMap,
} from './format.ts';
import {
  ageCell,
  ageColumn,
  CONTAINERS_DESCRIPTION,
  IMAGES_DESCRIPTION,
  nameCell,
  nameColumn,
  wide,
} from './printer.ts';
import type { KindPrinter } from './printer.ts';
import { column } from './table.ts';

function selectorOf(o: unknown, ...path: string[]): LabelSelectorObject | undefined {
  return obj(o, ...path);
}

/** Replica counts default to 1 when the API defaulting has not filled them in. */
function replicas(o: KubeObject): number {
  return optInt(o, 'spec', 'replicas') ?? 1;
}

const selectorColumn = (description: string) => wide('Selector', 'string', description);

export const deploymentPrinter: KindPrinter = {
  columns: [
    nameColumn(),
    column('Ready', 'string', 'Number of the pod with ready state'),
    column('Up-to-date', 'string', 'Number of pods that run the latest pod template.'),
    column('Available', 'string', 'Number of pods available for at least minReadySeconds.'),
    ageColumn(),
    wide('Containers', 'string', CONTAINERS_DESCRIPTION),
    wide('Images', 'string', IMAGES_DESCRIPTION),
    selectorColumn('Label selector for pods managed by the deployment.'),
  ],
  row: (o, ctx) => {
    const [names, images] = containerCells(get(o, 'spec', 'template', 'spec'));
    let selector: string;
    try {
      // Unlike the other workloads, an empty selector prints as "" here, not "<none>".
      selector = labelSelectorFromObject(selectorOf(o, 'spec', 'selector')).toString();
    } catch (e) {
      if (!(e instanceof LabelSelectorError)) throw e;
      selector = '<invalid>';
    }
    return {
      cells: [
        nameCell(o),
        `${int(o, 'status', 'readyReplicas')}/${replicas(o)}`,
        int(o, 'status', 'updatedReplicas'),
        int(o, 'status', 'availableReplicas'),
        ageCell(o, ctx),
        names,
        images,
        selector,
      ],
    };
  },
};

export const replicaSetPrinter: KindPrinter = {
  columns: [
    nameColumn(),
    column('Desired', 'integer', 'Number of desired pods (spec.replicas).'),
    column('Current', 'integer', 'Number of most recently observed pods (status.replicas).'),
    column('Ready', 'integer', 'Number of ready pods (status.readyReplicas).'),
    ageColumn(),
    wide('Containers', 'string', CONTAINERS_DESCRIPTION),
    wide('Images', 'string', IMAGES_DESCRIPTION),
    selectorColumn('Label selector for pods managed by the replica set.'),
  ],
  row: (o, ctx) => {
    const [names, images] = containerCells(get(o, 'spec', 'template', 'spec'));
    return {
      cells: [
        nameCell(o),
        replicas(o),
        int(o, 'status', 'replicas'),
        int(o, 'status', 'readyReplicas'),
        ageCell(o, ctx),
        names,
        images,
        formatLabelSelector(selectorOf(o, 'spec', 'selector')),
      ],
    };
  },
};

export const statefulSetPrinter: KindPrinter = {
  columns: [
    nameColumn(),
    column('Ready', 'string', 'Number of the pod with ready state'),
    ageColumn(),
    wide('Containers', 'string', CONTAINERS_DESCRIPTION),
    wide('Images', 'string', IMAGES_DESCRIPTION),
  ],
  row: (o, ctx) => {
    const [names, images] = containerCells(get(o, 'spec', 'template', 'spec'));
    return {
      cells: [
        nameCell(o),
        `${int(o, 'status', 'readyReplicas')}/${replicas(o)}`,
        ageCell(o, ctx),
        names,
        images,
      ],
    };
  },
};

export const daemonSetPrinter: KindPrinter = {
  columns: [
    nameColumn(),
    column('Desired', 'integer', 'Number of nodes that should run the daemon pod.'),
    column('Current', 'integer', 'Number of nodes running at least one daemon pod that should.'),
    column('Ready', 'integer', 'Number of nodes whose daemon pod is ready.'),
    column('Up-to-date', 'integer', 'Number of nodes running the updated daemon pod.'),
    column('Available', 'integer', 'Number of nodes whose daemon pod is available.'),
    column('Node Selector', 'string', 'Node labels the daemon pods are restricted to.'),
    ageColumn(),
    wide('Containers', 'string', CONTAINERS_DESCRIPTION),
    wide('Images', 'string', IMAGES_DESCRIPTION),
    selectorColumn('Label selector for pods managed by the daemon set.'),
  ],
  row: (o, ctx) => {
    const [names, images] = containerCells(get(o, 'spec', 'template', 'spec'));
    return {
      cells: [
        nameCell(o),
        int(o, 'status', 'desiredNumberScheduled'),
        int(o, 'status', 'currentNumberScheduled'),
        int(o, 'status', 'numberReady'),
        int(o, 'status', 'updatedNumberScheduled'),
        int(o, 'status', 'numberAvailable'),
        formatLabels(stringMap(o, 'spec', 'template', 'spec', 'nodeSelector')),
        ageCell(o, ctx),
        names,
        images,
        formatLabelSelector(selectorOf(o, 'spec', 'selector')),
      ],
    };
  },
};

/** "statefulset.apps/web" from the controller owner reference, "<none>" without one. */
function controllerName(o: KubeObject): string {
  const ref = (o.metadata?.ownerReferences ?? []).find((r) => r.controller === true);
  if (!ref) return '<none>';
  const apiVersion = ref.apiVersion ?? '';
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  if (group === '' && (ref.kind ?? '') === '') return ref.name;
  const groupKind = group === '' ? ref.kind : `${ref.kind}.${group}`;
  return `${groupKind.toLowerCase()}/${ref.name}`;
}

export const controllerRevisionPrinter: KindPrinter = {
  columns: [
    nameColumn(),
    column('Controller', 'string', 'Controller of the object'),
    column('Revision', 'string', 'Revision number of the state the object represents.'),
    ageColumn(),
  ],
  row: (o, ctx) => ({
    cells: [nameCell(o), controllerName(o), int(o, 'revision'), ageCell(o, ctx)],
  }),
};

function conditionTrue(o: KubeObject, type: string): boolean {
  // hasJobCondition: the first condition of the type decides.
  for (const c of arr(o, 'status', 'conditions')) {
    if (str(c, 'type') === type) return str(c, 'status') === 'True';
  }
  return false;
}

function jobStatus(o: KubeObject): string {
  if (conditionTrue(o, 'Complete')) return 'Complete';
  if (conditionTrue(o, 'Failed')) return 'Failed';
  if (o.metadata?.deletionTimestamp) return 'Terminating';
  if (conditionTrue(o, 'Suspended')) return 'Suspended';
  if (conditionTrue(o, 'FailureTarget')) return 'FailureTarget';
  if (conditionTrue(o, 'SuccessCriteriaMet')) return 'SuccessCriteriaMet';
  return 'Running';
}

function jobCompletions(o: KubeObject): string {
  const succeeded = int(o, 'status', 'succeeded');
  const completions = optInt(o, 'spec', 'completions');
  if (completions !== undefined) return `${succeeded}/${completions}`;
  const parallelism = optInt(o, 'spec', 'parallelism') ?? 0;
  return parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
}

function jobDuration(o: KubeObject, now: number): string {
  const start = parseTimestamp(get(o, 'status', 'startTime'));
  if (start === undefined) return '';
  const end = parseTimestamp(get(o, 'status', 'completionTime'));
  return humanDuration((end ?? now) - start);
}

export const jobPrinter: KindPrinter = {
  columns: [
    nameColumn(),
    column('Status', 'string', 'Status of the job.'),
    column('Completions', 'string', 'The number of pods which reached phase Succeeded.'),
    column('Duration', 'string', 'Time required to complete the job.'),
    ageColumn(),
    wide('Containers', 'string', CONTAINERS_DESCRIPTION),
    wide('Images', 'string', IMAGES_DESCRIPTION),
    selectorColumn('Label query over pods that belong to the job.'),
  ],
  row: (o, ctx) => {
    const [names, images] = containerCells(get(o, 'spec', 'template', 'spec'));
    return {
      cells: [
        nameCell(o),
        jobStatus(o),
        jobCompletions(o),
        jobDuration(o, ctx.now),
        ageCell(o, ctx),
        names,
        images,
        formatLabelSelector(selectorOf(o, 'spec', 'selector')),
      ],
    };
  },
};

export const cronJobPrinter: KindPrinter = {
  columns: [
    nameColumn(),
    column('Schedule', 'string', 'The schedule in Cron format.'),
    column('Timezone', 'string', 'The time zone the schedule is interpreted in.'),
    column('Suspend', 'boolean', 'Whether subsequent executions are suspended.'),
    column('Active', 'integer', 'Number of currently running jobs.'),
    column('Last Schedule', 'string', 'Time since a job was last successfully scheduled.'),
    ageColumn(),
    wide('Containers', 'string', CONTAINERS_DESCRIPTION),
    wide('Images', 'string', IMAGES_DESCRIPTION),
    selectorColumn('Label query over pods of the jobs this cron job creates.'),
  ],
  row: (o, ctx) => {
    const podSpec = get(o, 'spec', 'jobTemplate', 'spec', 'template', 'spec');
    const [names, images] = containerCells(podSpec);
    const last = get(o, 'status', 'lastScheduleTime');
    return {
      cells: [
        nameCell(o),
        str(o, 'spec', 'schedule'),
        optStr(o, 'spec', 'timeZone') ?? '<none>',
        boolPtr(optBool(o, 'spec', 'suspend')),
        arr(o, 'status', 'active').length,
        typeof last === 'string' && last !== '' ? timestampSince(last, ctx.now) : '<none>',
        ageCell(o, ctx),
        names,
        images,
        formatLabelSelector(selectorOf(o, 'spec', 'jobTemplate', 'spec', 'selector')),
      ],
    };
  },
};

/** The autoscaling/v2 metrics of an HPA, converting the autoscaling/v1 CPU-only shape. */
function hpaMetrics(o: KubeObject): { specs: unknown[]; statuses: unknown[] } {
  let specs = arr(o, 'spec', 'metrics');
  let statuses = arr(o, 'status', 'currentMetrics');
  if (o.apiVersion === 'autoscaling/v1') {
    const target = optInt(o, 'spec', 'targetCPUUtilizationPercentage');
    if (target !== undefined) {
      specs = [
        {
          type: 'Resource',
          resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: target } },
        },
      ];
    }
    const current = optInt(o, 'status', 'currentCPUUtilizationPercentage');
    statuses =
      current !== undefined
        ? [
            {
              type: 'Resource',
              resource: { name: 'cpu', current: { averageUtilization: current } },
            },
          ]
        : [];
  }
  if (specs.length === 0) {
    // Storage defaulting gives an HPA without metrics an 80% CPU target.
    specs = [
      {
        type: 'Resource',
        resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } },
      },
    ];
  }
  return { specs, statuses };
}

function averageOrValue(spec: unknown, status: unknown): string {
  const target = get(spec, 'target');
  if (get(target, 'averageValue') !== undefined) {
    const current =
      status && get(status, 'current', 'averageValue') !== undefined
        ? quantityString(get(status, 'current', 'averageValue'))
        : '<unknown>';
    return `${current}/${quantityString(get(target, 'averageValue'))} (avg)`;
  }
  const current = status ? quantityString(get(status, 'current', 'value')) : '<unknown>';
  return `${current}/${quantityString(get(target, 'value'))}`;
}

function resourceMetric(spec: unknown, status: unknown): string {
  const resourceName = str(spec, 'name');
  const target = get(spec, 'target');
  if (get(target, 'averageValue') !== undefined) {
    const current = status ? quantityString(get(status, 'current', 'averageValue')) : '<unknown>';
    return `${resourceName}: ${current}/${quantityString(get(target, 'averageValue'))}`;
  }
  const currentUtil = status ? optInt(status, 'current', 'averageUtilization') : undefined;
  const targetUtil = optInt(target, 'averageUtilization');
  const current = currentUtil !== undefined ? `${currentUtil}%` : '<unknown>';
  return `${resourceName}: ${current}/${targetUtil !== undefined ? `${targetUtil}%` : '<auto>'}`;
}

/** formatHPAMetrics: at most two targets, then "+ N more...". */
function formatHPAMetrics(specs: unknown[], statuses: unknown[]): string {
  const list: string[] = [];
  specs.forEach((spec, i) => {
    const status = i < statuses.length ? statuses[i] : undefined;
    switch (str(spec, 'type')) {
      case 'External':
        list.push(averageOrValue(get(spec, 'external'), get(status, 'external')));
        break;
      case 'Object':
        list.push(averageOrValue(get(spec, 'object'), get(status, 'object')));
        break;
      case 'Pods': {
        const current =
          get(status, 'pods') !== undefined
            ? quantityString(get(status, 'pods', 'current', 'averageValue'))
            : '<unknown>';
        list.push(`${current}/${quantityString(get(spec, 'pods', 'target', 'averageValue'))}`);
        break;
      }
      case 'Resource':
        list.push(resourceMetric(get(spec, 'resource'), get(status, 'resource')));
        break;
      case 'ContainerResource':
        list.push(resourceMetric(get(spec, 'containerResource'), get(status, 'containerResource')));
        break;
      default:
        list.push('<unknown type>');
    }
  });
  const max = 2;
  if (list.length > max) return `${list.slice(0, max).join(', ')} + ${list.length - max} more...`;
  return list.join(', ');
}

export const horizontalPodAutoscalerPrinter: KindPrinter = {
  columns: [
    nameColumn(),
    column('Reference', 'string', 'The scaled resource, as Kind/name.'),
    column('Targets', 'string', 'Current and target values of each metric.'),
    column('MinPods', 'string', 'Lower limit for the number of replicas.'),
    column('MaxPods', 'string', 'Upper limit for the number of replicas.'),
    column('Replicas', 'string', 'Current number of replicas of pods managed by this autoscaler.'),
    ageColumn(),
  ],
  row: (o, ctx) => {
    const { specs, statuses } = hpaMetrics(o);
    const min = optInt(o, 'spec', 'minReplicas');
    return {
      cells: [
        nameCell(o),
        `${str(o, 'spec', 'scaleTargetRef', 'kind')}/${str(o, 'spec', 'scaleTargetRef', 'name')}`,
        formatHPAMetrics(specs, statuses),
        min !== undefined ? String(min) : '<unset>',
        int(o, 'spec', 'maxReplicas'),
        int(o, 'status', 'currentReplicas'),
        ageCell(o, ctx),
      ],
    };
  },
};

export const podDisruptionBudgetPrinter: KindPrinter = {
  columns: [
    nameColumn(),
    column('Min Available', 'string', 'The minimum number of pods that must be available.'),
    column('Max Unavailable', 'string', 'The maximum number of pods that may be unavailable.'),
    column(
      'Allowed Disruptions',
      'integer',
      'Calculated number of pods that may be disrupted at this time.',
    ),
    ageColumn(),
  ],
  row: (o, ctx) => {
    const min = get(o, 'spec', 'minAvailable');
    const max = get(o, 'spec', 'maxUnavailable');
    return {
      cells: [
        nameCell(o),
        min === undefined || min === null ? 'N/A' : intOrString(min),
        max === undefined || max === null ? 'N/A' : intOrString(max),
        int(o, 'status', 'disruptionsAllowed'),
        ageCell(o, ctx),
      ],
    };
  },
};
