// The HorizontalPodAutoscaler controller (kube-controller-manager's podautoscaler,
// pkg/controller/podautoscaler/horizontal.go): every sync period it reads each HPA's target
// through /scale, computes the replicas its metrics ask for (resource metrics from
// metrics.k8s.io), applies min/max, stabilization and spec.behavior, scales, and reports
// status, conditions and Events as kube does.
import type { KubeObject } from '../../api/types.ts';
import { isPlainObject } from '../../api/types.ts';
import { formatQuantity, parseQuantity, quantityMilliValue } from '../../api/quantity.ts';
import { objectKey, type Informer } from '../../client/informer.ts';
import type { ResourceRef } from '../../client/local-client.ts';
import {
  LabelSelectorError,
  nothing,
  parseLabelSelectorRaw,
  type LabelSelector,
} from '../../apiserver/selectors/label-selector.ts';
import { deepEqual } from '../../apiserver/registry/meta.ts';
import type { Controller, ControllerContext } from '../controller-manager.ts';
import { EventRecorder } from '../runtime/events.ts';
import { WorkQueue, type ReconcileResult } from '../runtime/work-queue.ts';
import {
  rawResourceReplicas,
  resourceReplicas,
  type ReadinessTiming,
  type Tolerances,
} from './replica-calculator.ts';
import { resourceMetricsOf } from './resource-metrics-client.ts';
import {
  ScalingHistory,
  convertDesiredReplicasWithRules,
  type Behavior,
  type ScalingRules,
} from './scaling-behavior.ts';
import {
  getScale,
  parseGroupVersion,
  scaleMappings,
  updateScale,
  type TargetScale,
} from './scale-target.ts';

export const HPAS: ResourceRef = {
  group: 'autoscaling',
  version: 'v2',
  resource: 'horizontalpodautoscalers',
};
const PODS: ResourceRef = { group: '', version: 'v1', resource: 'pods' };

export interface HorizontalControllerOptions {
  /** --horizontal-pod-autoscaler-sync-period (15 s). */
  syncPeriodMs?: number;
  /** --horizontal-pod-autoscaler-downscale-stabilization (5 min). */
  downscaleStabilizationMs?: number;
  /** --horizontal-pod-autoscaler-tolerance (0.1). */
  tolerance?: number;
  /** --horizontal-pod-autoscaler-cpu-initialization-period (5 min). */
  cpuInitializationPeriodMs?: number;
  /** --horizontal-pod-autoscaler-initial-readiness-delay (30 s). */
  initialReadinessDelayMs?: number;
  now?: () => number;
}

interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

interface MetricValueStatus {
  value?: string;
  averageValue?: string;
  averageUtilization?: number;
}

type MetricStatus = Record<string, unknown> & { type: string };

interface HpaStatus {
  lastScaleTime?: string;
  currentReplicas?: number;
  desiredReplicas: number;
  currentMetrics?: MetricStatus[];
  conditions?: Condition[];
}

interface MetricTarget {
  type?: string;
  value?: string;
  averageValue?: string;
  averageUtilization?: number;
}

interface MetricSpec {
  type?: string;
  resource?: { name?: string; target?: MetricTarget };
  containerResource?: { name?: string; container?: string; target?: MetricTarget };
  pods?: { metric?: { name?: string }; target?: MetricTarget };
  object?: {
    describedObject?: { kind?: string; name?: string };
    metric?: { name?: string };
    target?: MetricTarget;
  };
  external?: { metric?: { name?: string }; target?: MetricTarget };
}

interface HpaSpec {
  scaleTargetRef?: { apiVersion?: string; kind?: string; name?: string };
  minReplicas?: number;
  maxReplicas?: number;
  metrics?: MetricSpec[];
  behavior?: Behavior & {
    scaleUp?: ScalingRules & { tolerance?: string };
    scaleDown?: ScalingRules & { tolerance?: string };
  };
}

type Hpa = KubeObject & { spec: HpaSpec; status: HpaStatus };

/** A metric that could not be computed: the error and the condition it sets. */
class MetricError extends Error {
  constructor(
    message: string,
    readonly condition: { reason: string; message: string },
  ) {
    super(message);
  }
}

/** metav1.Now(): second precision. */
function timestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** resource.NewMilliQuantity(v, DecimalSI).String(). */
function milliQuantity(value: bigint): string {
  return formatQuantity({
    sign: value === 0n ? 0 : value < 0n ? -1 : 1,
    mant: value < 0n ? -value : value,
    scale: -3,
    format: 'DecimalSI',
  });
}

function milliValue(value: string | undefined): bigint | undefined {
  if (value === undefined) return undefined;
  const q = parseQuantity(value);
  return typeof q === 'string' ? undefined : quantityMilliValue(q);
}

export class HorizontalController implements Controller {
  readonly name = 'horizontal-pod-autoscaler';
  private readonly queue: WorkQueue;
  private readonly recorder: EventRecorder;
  private readonly hpas: Informer;
  private readonly pods: Informer;
  private readonly history = new ScalingHistory();
  /** Each HPA's last pod selector, to find pods two HPAs claim (kube's hpaSelectors). */
  private readonly selectors = new Map<string, LabelSelector>();
  private readonly syncPeriodMs: number;
  private readonly downscaleStabilizationMs: number;
  private readonly tolerance: number;
  private readonly cpuInitializationPeriodMs: number;
  private readonly initialReadinessDelayMs: number;
  private readonly now: () => number;

  constructor(
    private readonly context: ControllerContext,
    options: HorizontalControllerOptions = {},
  ) {
    this.syncPeriodMs = options.syncPeriodMs ?? 15_000;
    this.downscaleStabilizationMs = options.downscaleStabilizationMs ?? 300_000;
    this.tolerance = options.tolerance ?? 0.1;
    this.cpuInitializationPeriodMs = options.cpuInitializationPeriodMs ?? 300_000;
    this.initialReadinessDelayMs = options.initialReadinessDelayMs ?? 30_000;
    this.now = options.now ?? Date.now;
    this.hpas = context.informers.for(HPAS);
    this.pods = context.informers.for(PODS);
    this.recorder = new EventRecorder(
      context.client,
      'horizontal-pod-autoscaler',
      undefined,
      context.log,
    );
    this.queue = new WorkQueue(
      (key) => this.reconcile(key),
      (key, err) => context.log(`${this.name}: ${key}: ${errorMessage(err)}`),
    );
  }

  start(): void {
    // As kube: every HPA is processed once per sync period; changes wait for the next one.
    const enqueue = (hpa: KubeObject) => {
      const key = objectKey(hpa);
      this.queue.addAfter(key, this.syncPeriodMs);
      if (!this.selectors.has(key)) this.selectors.set(key, nothing());
    };
    this.hpas.addHandlers({
      add: enqueue,
      update: (_old, hpa) => enqueue(hpa),
      delete: (hpa) => this.selectors.delete(objectKey(hpa)),
    });
  }

  async stop(): Promise<void> {
    await this.queue.stop();
    await this.recorder.flush();
  }

  private async reconcile(key: string): Promise<ReconcileResult> {
    const shared = this.hpas.getByKey(key);
    if (!shared) {
      this.history.forget(key);
      return;
    }
    try {
      await this.reconcileAutoscaler(structuredClone(shared) as Hpa, key);
    } catch (err) {
      this.context.log(`${this.name}: ${key}: ${errorMessage(err)}`);
    }
    return { requeueAfterMs: this.syncPeriodMs };
  }

  private setCondition(
    hpa: Hpa,
    type: string,
    status: 'True' | 'False',
    reason: string,
    message: string,
  ): void {
    const conditions = (hpa.status.conditions ??= []);
    let condition = conditions.find((c) => c.type === type);
    if (!condition) {
      condition = { type, status };
      conditions.push(condition);
      condition.lastTransitionTime = timestamp(this.now());
    } else if (condition.status !== status) {
      condition.lastTransitionTime = timestamp(this.now());
    }
    condition.status = status;
    condition.reason = reason;
    condition.message = message;
  }

  private async reconcileAutoscaler(hpa: Hpa, key: string): Promise<void> {
    hpa.spec ??= {};
    if (!isPlainObject(hpa.status)) hpa.status = { desiredReplicas: 0 };
    hpa.status.desiredReplicas ??= 0;
    const original = structuredClone(hpa.status);
    const namespace = hpa.metadata.namespace ?? '';
    const ref = hpa.spec.scaleTargetRef ?? {};
    const reference = `${ref.kind ?? ''}/${namespace}/${ref.name ?? ''}`;
    const failedGetScale = async (err: unknown, what: string): Promise<never> => {
      this.recorder.event(hpa, 'Warning', 'FailedGetScale', errorMessage(err));
      this.setCondition(
        hpa,
        'AbleToScale',
        'False',
        'FailedGetScale',
        `the HPA controller was unable to get the target's current scale: ${errorMessage(err)}`,
      );
      await this.updateStatusIfNeeded(original, hpa);
      throw new Error(`${what}: ${errorMessage(err)}`);
    };

    let target: TargetScale;
    let mappings;
    let group: string;
    try {
      group = parseGroupVersion(ref.apiVersion ?? '').group;
    } catch (err) {
      return failedGetScale(err, 'invalid API version in scale target reference');
    }
    try {
      mappings = scaleMappings(this.context.client, group, ref.kind ?? '');
    } catch (err) {
      return failedGetScale(err, 'unable to determine resource for scale target reference');
    }
    try {
      target = getScale(this.context.client, mappings, namespace, ref.name ?? '');
    } catch (err) {
      return failedGetScale(err, `failed to query scale subresource for ${reference}`);
    }
    this.setCondition(
      hpa,
      'AbleToScale',
      'True',
      'SucceededGetScale',
      "the HPA controller was able to get the target's current scale",
    );
    const now = this.now();
    const currentReplicas = target.scale.spec.replicas;
    this.history.recordInitial(key, currentReplicas, now);
    const minReplicas = hpa.spec.minReplicas ?? 1;
    const maxReplicas = hpa.spec.maxReplicas ?? 0;
    let desiredReplicas = 0;
    let rescaleReason = '';
    let rescale = true;
    let metricStatuses: MetricStatus[] | undefined;

    if (currentReplicas === 0 && minReplicas !== 0) {
      // A target scaled to zero by hand is left alone.
      desiredReplicas = 0;
      rescale = false;
      this.setCondition(
        hpa,
        'ScalingActive',
        'False',
        'ScalingDisabled',
        'scaling is disabled since the replica count of the target is zero',
      );
    } else if (currentReplicas > maxReplicas) {
      rescaleReason = 'Current number of replicas above Spec.MaxReplicas';
      desiredReplicas = maxReplicas;
    } else if (currentReplicas < minReplicas) {
      rescaleReason = 'Current number of replicas below Spec.MinReplicas';
      desiredReplicas = minReplicas;
    } else {
      const computed = this.computeReplicasForMetrics(hpa, target);
      metricStatuses = computed.statuses;
      if (computed.error && computed.replicas === -1) {
        this.setStatus(hpa, currentReplicas, hpa.status.desiredReplicas, metricStatuses, false);
        await this.updateStatusIfNeeded(original, hpa);
        this.recorder.event(hpa, 'Warning', 'FailedComputeMetricsReplicas', computed.error);
        throw new Error(
          `failed to compute desired number of replicas based on listed metrics for ${reference}: ${computed.error}`,
        );
      }
      let rescaleMetric = '';
      if (computed.replicas > desiredReplicas) {
        desiredReplicas = computed.replicas;
        rescaleMetric = computed.metric;
      }
      if (desiredReplicas > currentReplicas) rescaleReason = `${rescaleMetric} above target`;
      if (desiredReplicas < currentReplicas) rescaleReason = 'All metrics below target';
      desiredReplicas = hpa.spec.behavior
        ? this.normalizeWithBehaviors(hpa, key, currentReplicas, desiredReplicas, minReplicas, now)
        : this.normalize(hpa, key, currentReplicas, desiredReplicas, minReplicas, now);
      rescale = desiredReplicas !== currentReplicas;
    }

    if (rescale) {
      try {
        await updateScale(this.context.client, target, namespace, desiredReplicas);
      } catch (err) {
        this.recorder.event(
          hpa,
          'Warning',
          'FailedRescale',
          `New size: ${desiredReplicas}; reason: ${rescaleReason}; error: ${errorMessage(err)}`,
        );
        this.setCondition(
          hpa,
          'AbleToScale',
          'False',
          'FailedUpdateScale',
          `the HPA controller was unable to update the target scale: ${errorMessage(err)}`,
        );
        this.setStatus(hpa, currentReplicas, hpa.status.desiredReplicas, metricStatuses, false);
        await this.updateStatusIfNeeded(original, hpa);
        throw new Error(`failed to rescale ${reference}: ${errorMessage(err)}`, { cause: err });
      }
      this.setCondition(
        hpa,
        'AbleToScale',
        'True',
        'SucceededRescale',
        `the HPA controller was able to update the target scale to ${desiredReplicas}`,
      );
      this.recorder.event(
        hpa,
        'Normal',
        'SuccessfulRescale',
        `New size: ${desiredReplicas}; reason: ${rescaleReason}`,
      );
      this.history.storeScaleEvent(
        hpa.spec.behavior,
        key,
        currentReplicas,
        desiredReplicas,
        this.now(),
      );
    } else {
      desiredReplicas = currentReplicas;
    }
    this.setStatus(hpa, currentReplicas, desiredReplicas, metricStatuses, rescale);
    await this.updateStatusIfNeeded(original, hpa);
  }

  /** setStatus: the status is rebuilt from these figures; conditions and lastScaleTime carry over. */
  private setStatus(
    hpa: Hpa,
    currentReplicas: number,
    desiredReplicas: number,
    metrics: MetricStatus[] | undefined,
    rescale: boolean,
  ): void {
    const status: HpaStatus = { desiredReplicas };
    const lastScaleTime = rescale ? timestamp(this.now()) : hpa.status.lastScaleTime;
    if (lastScaleTime) status.lastScaleTime = lastScaleTime;
    if (currentReplicas) status.currentReplicas = currentReplicas;
    if (metrics?.length) status.currentMetrics = metrics;
    if (hpa.status.conditions?.length) status.conditions = hpa.status.conditions;
    hpa.status = status;
  }

  private async updateStatusIfNeeded(original: HpaStatus, hpa: Hpa): Promise<void> {
    if (deepEqual(original, hpa.status)) return;
    try {
      await this.context.client.updateStatus(HPAS, hpa.metadata.namespace ?? '', hpa);
    } catch (err) {
      this.recorder.event(hpa, 'Warning', 'FailedUpdateStatus', errorMessage(err));
      throw new Error(
        `failed to update status for ${hpa.metadata.name ?? ''}: ${errorMessage(err)}`,
        { cause: err },
      );
    }
  }

  private tolerances(hpa: Hpa): Tolerances {
    const of = (rules: { tolerance?: string } | undefined): number => {
      const milli = milliValue(rules?.tolerance);
      return milli === undefined ? this.tolerance : Number(milli) / 1000;
    };
    return { scaleUp: of(hpa.spec.behavior?.scaleUp), scaleDown: of(hpa.spec.behavior?.scaleDown) };
  }

  private timing(): ReadinessTiming {
    return {
      cpuInitializationPeriodMs: this.cpuInitializationPeriodMs,
      delayOfInitialReadinessStatusMs: this.initialReadinessDelayMs,
      now: this.now(),
    };
  }

  /** validateAndParseSelector: the Scale's selector must exist, parse, and not share pods with another HPA. */
  private selectorFor(hpa: Hpa, selector: string | undefined): LabelSelector {
    const key = objectKey(hpa);
    if (!selector) {
      this.recorder.event(hpa, 'Warning', 'SelectorRequired', 'selector is required');
      this.setCondition(
        hpa,
        'ScalingActive',
        'False',
        'InvalidSelector',
        "the HPA target's scale is missing a selector",
      );
      throw new Error('selector is required');
    }
    let parsed: LabelSelector;
    try {
      parsed = parseLabelSelectorRaw(selector);
    } catch (err) {
      if (!(err instanceof LabelSelectorError)) throw err;
      const message = `couldn't convert selector into a corresponding internal selector object: ${err.message}`;
      this.recorder.event(hpa, 'Warning', 'InvalidSelector', message);
      this.setCondition(hpa, 'ScalingActive', 'False', 'InvalidSelector', message);
      throw new Error(message, { cause: err });
    }
    if (this.selectors.has(key)) this.selectors.set(key, parsed);
    const namespace = hpa.metadata.namespace ?? '';
    const pods = this.pods.list(namespace).filter((p) => parsed.matches(p.metadata.labels));
    const claiming = [...this.selectors]
      .filter(
        ([other, sel]) =>
          other.startsWith(`${namespace}/`) && pods.some((p) => sel.matches(p.metadata.labels)),
      )
      .map(([other]) => other)
      .sort();
    if (claiming.length > 1) {
      const message = `pods by selector ${selector} are controlled by multiple HPAs: [${claiming.join(' ')}]`;
      this.recorder.event(hpa, 'Warning', 'AmbiguousSelector', message);
      this.setCondition(hpa, 'ScalingActive', 'False', 'AmbiguousSelector', message);
      throw new Error(message);
    }
    return parsed;
  }

  /**
   * computeReplicasForMetrics: the largest proposal over the metrics. When every metric fails,
   * or some fail and the rest would scale down, nothing is decided (replicas -1).
   */
  private computeReplicasForMetrics(
    hpa: Hpa,
    target: TargetScale,
  ): { replicas: number; metric: string; statuses?: MetricStatus[]; error?: string } {
    let selector: LabelSelector;
    try {
      selector = this.selectorFor(hpa, target.scale.status.selector);
    } catch (err) {
      return { replicas: -1, metric: '', error: errorMessage(err) };
    }
    const specs = hpa.spec.metrics ?? [];
    const specReplicas = target.scale.spec.replicas;
    // A metric that fails leaves an empty status in its place, as kube's zero value does.
    const statuses: MetricStatus[] = specs.map(() => ({ type: '' }));
    const namespace = hpa.metadata.namespace ?? '';
    const pods = this.pods.list(namespace).filter((p) => selector.matches(p.metadata.labels));
    let replicas = 0;
    let metric = '';
    let invalid = 0;
    let firstError: MetricError | undefined;
    specs.forEach((spec, i) => {
      try {
        const proposal = this.computeReplicasForMetric(hpa, spec, specReplicas, pods);
        statuses[i] = proposal.status;
        if (replicas === 0 || proposal.replicas > replicas) {
          replicas = proposal.replicas;
          metric = proposal.metric;
        }
      } catch (err) {
        const failure =
          err instanceof MetricError
            ? err
            : new MetricError(errorMessage(err), {
                reason: 'FailedGetMetric',
                message: errorMessage(err),
              });
        firstError ??= failure;
        invalid++;
      }
    });
    const error = firstError
      ? `invalid metrics (${invalid} invalid out of ${specs.length}), first error is: ${firstError.message}`
      : undefined;
    if (invalid >= specs.length || (invalid > 0 && replicas < specReplicas)) {
      if (firstError)
        this.setCondition(
          hpa,
          'ScalingActive',
          'False',
          firstError.condition.reason,
          firstError.condition.message,
        );
      return { replicas: -1, metric: '', statuses, error: error ?? 'no metrics are specified' };
    }
    this.setCondition(
      hpa,
      'ScalingActive',
      'True',
      'ValidMetricFound',
      `the HPA was able to successfully calculate a replica count from ${metric}`,
    );
    return { replicas, metric, statuses, error };
  }

  /** getUnableComputeReplicaCountCondition: a Warning event and the ScalingActive=False condition. */
  private unable(hpa: Hpa, reason: string, message: string, wrapped: string): MetricError {
    this.recorder.event(hpa, 'Warning', reason, message);
    return new MetricError(wrapped, {
      reason,
      message: `the HPA was unable to compute the replica count: ${message}`,
    });
  }

  private computeReplicasForMetric(
    hpa: Hpa,
    spec: MetricSpec,
    specReplicas: number,
    pods: KubeObject[],
  ): { replicas: number; metric: string; status: MetricStatus } {
    switch (spec.type) {
      case 'Resource': {
        const resource = spec.resource ?? {};
        const name = resource.name ?? '';
        try {
          const result = this.resourceProposal(
            specReplicas,
            resource.target ?? {},
            name,
            '',
            pods,
            hpa,
          );
          return {
            replicas: result.replicas,
            metric: result.metric,
            status: { type: 'Resource', resource: { name, current: result.current } },
          };
        } catch (err) {
          const message = errorMessage(err);
          throw this.unable(
            hpa,
            'FailedGetResourceMetric',
            message,
            `failed to get ${name} resource metric value: ${message}`,
          );
        }
      }
      case 'ContainerResource': {
        const resource = spec.containerResource ?? {};
        const name = resource.name ?? '';
        const container = resource.container ?? '';
        try {
          const result = this.resourceProposal(
            specReplicas,
            resource.target ?? {},
            name,
            container,
            pods,
            hpa,
          );
          return {
            replicas: result.replicas,
            metric: result.metric,
            status: {
              type: 'ContainerResource',
              containerResource: { name, container, current: result.current },
            },
          };
        } catch (err) {
          const message = errorMessage(err);
          throw this.unable(
            hpa,
            'FailedGetContainerResourceMetric',
            message,
            `failed to get ${container} container metric value: ${message}`,
          );
        }
      }
      // Skiff serves no custom or external metrics API, so these fail as they do in a cluster
      // without a metrics adapter.
      case 'Pods': {
        const metricName = spec.pods?.metric?.name ?? '';
        const message = `unable to get metric ${metricName}: unable to fetch metrics from custom metrics API: no custom metrics API (custom.metrics.k8s.io) registered`;
        throw this.unable(
          hpa,
          'FailedGetPodsMetric',
          message,
          `failed to get pods metric value: ${message}`,
        );
      }
      case 'Object': {
        const object = spec.object ?? {};
        const metricName = object.metric?.name ?? '';
        const message = `unable to get metric ${metricName}: ${object.describedObject?.kind ?? ''} on ${hpa.metadata.namespace ?? ''} ${object.describedObject?.name ?? ''}/unable to fetch metrics from custom metrics API: no custom metrics API (custom.metrics.k8s.io) registered`;
        throw this.unable(
          hpa,
          'FailedGetObjectMetric',
          message,
          `failed to get object metric value: ${message}`,
        );
      }
      case 'External': {
        const metricName = spec.external?.metric?.name ?? '';
        const message = `unable to get external metric ${hpa.metadata.namespace ?? ''}/${metricName}/nil: unable to fetch metrics from external metrics API: the server could not find the requested resource (get ${metricName}.external.metrics.k8s.io)`;
        throw this.unable(
          hpa,
          'FailedGetExternalMetric',
          message,
          `failed to get ${metricName} external metric value: ${message}`,
        );
      }
      default: {
        const message = `unknown metric source type "${spec.type ?? ''}"`;
        throw this.unable(hpa, 'InvalidMetricSourceType', message, message);
      }
    }
  }

  /** computeStatusForResourceMetricGeneric: AverageValue or AverageUtilization of a resource. */
  private resourceProposal(
    currentReplicas: number,
    target: MetricTarget,
    resource: string,
    container: string,
    pods: KubeObject[],
    hpa: Hpa,
  ): { replicas: number; metric: string; current: MetricValueStatus } {
    const base = {
      currentReplicas,
      resource,
      tolerances: this.tolerances(hpa),
      pods,
      timing: this.timing(),
    };
    const metricsOf = () => {
      try {
        return resourceMetricsOf(pods, resource, container).metrics;
      } catch (err) {
        throw new Error(`unable to get metrics for resource ${resource}: ${errorMessage(err)}`, {
          cause: err,
        });
      }
    };
    const averageValue = milliValue(target.averageValue);
    if (averageValue !== undefined) {
      try {
        const result = rawResourceReplicas({
          ...base,
          metrics: metricsOf(),
          targetUsage: averageValue,
        });
        return {
          replicas: result.replicas,
          metric: `${resource} resource`,
          current: { averageValue: milliQuantity(result.usage) },
        };
      } catch (err) {
        throw new Error(`failed to get ${resource} usage: ${errorMessage(err)}`, { cause: err });
      }
    }
    if (target.averageUtilization === undefined)
      throw new Error(
        'invalid resource metric source: neither an average utilization target nor an average value (usage) target was set',
      );
    try {
      const result = resourceReplicas({
        ...base,
        metrics: metricsOf(),
        targetUtilization: target.averageUtilization,
        container,
      });
      return {
        replicas: result.replicas,
        metric: container
          ? `${resource} container resource utilization (percentage of request)`
          : `${resource} resource utilization (percentage of request)`,
        current: {
          averageUtilization: result.utilization,
          averageValue: milliQuantity(result.rawUtilization),
        },
      };
    } catch (err) {
      throw new Error(`failed to get ${resource} utilization: ${errorMessage(err)}`, {
        cause: err,
      });
    }
  }

  /** normalizeDesiredReplicas (no spec.behavior): downscale window, min/max, scale-up limit. */
  private normalize(
    hpa: Hpa,
    key: string,
    currentReplicas: number,
    desired: number,
    minReplicas: number,
    now: number,
  ): number {
    const stabilized = this.history.stabilize(key, desired, this.downscaleStabilizationMs, now);
    if (stabilized !== desired)
      this.setCondition(
        hpa,
        'AbleToScale',
        'True',
        'ScaleDownStabilized',
        'recent recommendations were higher than current one, applying the highest recent recommendation',
      );
    else
      this.setCondition(
        hpa,
        'AbleToScale',
        'True',
        'ReadyForNewScale',
        'recommended size matches current size',
      );
    const limited = convertDesiredReplicasWithRules(
      currentReplicas,
      stabilized,
      minReplicas,
      hpa.spec.maxReplicas ?? 0,
    );
    this.setCondition(
      hpa,
      'ScalingLimited',
      limited.replicas === stabilized ? 'False' : 'True',
      limited.reason,
      limited.message,
    );
    return limited.replicas;
  }

  /** normalizeDesiredReplicasWithBehaviors: both stabilization windows, then the policies' rates. */
  private normalizeWithBehaviors(
    hpa: Hpa,
    key: string,
    currentReplicas: number,
    desired: number,
    minReplicas: number,
    now: number,
  ): number {
    const behavior = hpa.spec.behavior ?? {};
    const up: ScalingRules = behavior.scaleUp ?? {};
    const down: ScalingRules = {
      ...(behavior.scaleDown ?? {}),
      stabilizationWindowSeconds:
        behavior.scaleDown?.stabilizationWindowSeconds ??
        Math.trunc(this.downscaleStabilizationMs / 1000),
    };
    const stabilized = this.history.stabilizeWithBehavior(
      key,
      currentReplicas,
      desired,
      up,
      down,
      now,
    );
    if (stabilized.replicas !== desired)
      this.setCondition(hpa, 'AbleToScale', 'True', stabilized.reason, stabilized.message);
    else
      this.setCondition(
        hpa,
        'AbleToScale',
        'True',
        'ReadyForNewScale',
        'recommended size matches current size',
      );
    const limited = this.history.limitWithBehavior(
      key,
      currentReplicas,
      stabilized.replicas,
      minReplicas,
      hpa.spec.maxReplicas ?? 0,
      up,
      down,
      now,
    );
    this.setCondition(
      hpa,
      'ScalingLimited',
      limited.replicas === stabilized.replicas ? 'False' : 'True',
      limited.reason,
      limited.message,
    );
    return limited.replicas;
  }
}

/** The controller-manager entry: kube's defaults (15 s sync period). */
export function newHorizontalController(context: ControllerContext): HorizontalController {
  return new HorizontalController(context);
}
