// These tests edit free-form object JSON, so they read and write it untyped.
/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access */
import { describe, it, expect } from 'vitest';
import type { KubeObject } from '../../api/types.ts';
import { applyDefaults, prepareForCreate } from './defaults.ts';
import { validateCreate, validateUpdate } from './validate.ts';

type Any = Record<string, any>;

function created(o: Any): KubeObject & Any {
  const k = structuredClone(o) as KubeObject & Any;
  applyDefaults(k);
  k.metadata.uid ??= 'uid-1';
  k.metadata.resourceVersion ??= '1';
  prepareForCreate(k);
  return k;
}

const errorsOf = (o: Any): string[] =>
  validateCreate(created(o)).map((e) => `${e.field}: ${e.message}`);

function updateErrors(next: KubeObject & Any, old: KubeObject & Any): string[] {
  applyDefaults(next);
  return validateUpdate(next, old).map((e) => `${e.field}: ${e.message}`);
}

const template = (labels: Any = { app: 'web' }, spec: Any = {}): Any => ({
  metadata: { labels },
  spec: { containers: [{ name: 'web', image: 'nginx:1.25' }], ...spec },
});

const workload = (kind: string, spec: Any, apiVersion = 'apps/v1', name = 'web'): Any => ({
  apiVersion,
  kind,
  metadata: { name, namespace: 'default' },
  spec,
});

describe('Deployment', () => {
  const good = workload('Deployment', {
    selector: { matchLabels: { app: 'web' } },
    template: template(),
  });

  it('accepts a valid deployment', () => {
    expect(errorsOf(good)).toEqual([]);
  });

  it('reports a missing selector the way kube-apiserver does', () => {
    expect(errorsOf(workload('Deployment', { template: template() }))).toEqual([
      'spec.selector: Required value',
      'spec.template.metadata.labels: Invalid value: {"app":"web"}: `selector` does not match template `labels`',
    ]);
  });

  it('rejects negative replicas, empty selectors and zero surge with zero unavailable', () => {
    const errs = errorsOf(
      workload('Deployment', {
        replicas: -1,
        selector: {},
        strategy: { rollingUpdate: { maxSurge: 0, maxUnavailable: 0 } },
        template: template(),
      }),
    );
    expect(errs).toEqual([
      'spec.replicas: Invalid value: -1: must be greater than or equal to 0',
      'spec.selector: Invalid value: {}: empty selector is invalid for deployment',
      'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0',
    ]);
  });

  it('validates the pod template with its full path', () => {
    const t = template({ app: 'web' }, { restartPolicy: 'Never', containers: [{ name: 'web' }] });
    expect(
      errorsOf(workload('Deployment', { selector: { matchLabels: { app: 'web' } }, template: t })),
    ).toEqual([
      'spec.template.spec.containers[0].image: Required value',
      'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"',
    ]);
  });

  it('checks percentages and the progress deadline', () => {
    const errs = errorsOf(
      workload('Deployment', {
        selector: { matchLabels: { app: 'web' } },
        strategy: { rollingUpdate: { maxSurge: 'lots', maxUnavailable: '150%' } },
        minReadySeconds: 700,
        template: template(),
      }),
    );
    expect(errs).toEqual([
      "spec.strategy.rollingUpdate.maxSurge: Invalid value: \"lots\": a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
      'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: "150%": must not be greater than 100%',
      'spec.progressDeadlineSeconds: Invalid value: 600: must be greater than minReadySeconds',
    ]);
  });

  it('keeps the selector immutable', () => {
    const old = created(good);
    const next = structuredClone(old);
    next.spec.selector = { matchLabels: { app: 'web', tier: 'x' } };
    next.spec.template.metadata.labels.tier = 'x';
    expect(updateErrors(next, old)).toEqual([
      'spec.selector: Invalid value: {"matchLabels":{"app":"web","tier":"x"}}: field is immutable',
    ]);
    const scaled = structuredClone(old);
    scaled.spec.replicas = 5;
    expect(updateErrors(scaled, old)).toEqual([]);
  });
});

describe('ReplicaSet, DaemonSet, StatefulSet', () => {
  it('validates ReplicaSets like Deployments', () => {
    expect(
      errorsOf(
        workload('ReplicaSet', { selector: { matchLabels: { app: 'x' } }, template: template() }),
      ),
    ).toEqual([
      'spec.template.metadata.labels: Invalid value: {"app":"web"}: `selector` does not match template `labels`',
    ]);
  });

  it('requires exactly one of maxSurge and maxUnavailable for DaemonSets', () => {
    const ds = workload('DaemonSet', {
      selector: { matchLabels: { app: 'web' } },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 1 } },
      template: template(),
    });
    expect(errorsOf(ds)).toEqual([
      'spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: 1: may not be set when maxUnavailable is non-zero',
    ]);
    const noSelector = workload('DaemonSet', { template: template() });
    expect(errorsOf(noSelector)).toEqual([
      'spec.template.metadata.labels: Invalid value: {"app":"web"}: `selector` does not match template `labels`',
    ]);
  });

  it('forbids StatefulSet spec changes other than the mutable fields', () => {
    const ss = workload('StatefulSet', {
      serviceName: 'web',
      selector: { matchLabels: { app: 'web' } },
      template: template(),
    });
    expect(errorsOf(ss)).toEqual([]);
    const old = created(ss);
    const next = structuredClone(old);
    next.spec.serviceName = 'other';
    expect(updateErrors(next, old)).toEqual([
      "spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
    ]);
    const scaled = structuredClone(old);
    scaled.spec.replicas = 3;
    scaled.spec.template.spec.containers[0].image = 'nginx:1.26';
    expect(updateErrors(scaled, old)).toEqual([]);
  });

  it('uses DNS labels for StatefulSet names', () => {
    const ss = workload(
      'StatefulSet',
      { selector: { matchLabels: { app: 'web' } }, template: template() },
      'apps/v1',
      'web.v1',
    );
    expect(errorsOf(ss)).toEqual(['metadata.name: Invalid value: "web.v1": must not contain dots']);
  });
});

describe('Job', () => {
  const job = (spec: Any, name = 'pi'): Any => workload('Job', spec, 'batch/v1', name);

  it('requires OnFailure or Never', () => {
    expect(errorsOf(job({ template: template() }))).toEqual([
      'spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"',
    ]);
    expect(errorsOf(job({ template: template({}, { restartPolicy: 'Never' }) }))).toEqual([]);
  });

  it('checks counts and indexed completion', () => {
    const errs = errorsOf(
      job({
        parallelism: -1,
        completionMode: 'Indexed',
        completions: undefined,
        template: template({}, { restartPolicy: 'Never' }),
      }),
    );
    expect(errs).toEqual([
      'spec.parallelism: Invalid value: -1: must be greater than or equal to 0',
      'spec.completions: Required value: when completion mode is Indexed',
    ]);
  });

  it('rejects a manual selector that does not match the template', () => {
    const errs = errorsOf(
      job({
        manualSelector: true,
        selector: { matchLabels: { a: 'b' } },
        template: template({ a: 'c' }, { restartPolicy: 'Never' }),
      }),
    );
    expect(errs).toEqual([
      'spec.template.metadata.labels: Invalid value: {"a":"c"}: `selector` does not match template `labels`',
    ]);
  });

  it('keeps the template immutable except for suspended, never-started jobs', () => {
    const old = created(job({ template: template({}, { restartPolicy: 'Never' }) }));
    const next = structuredClone(old);
    next.spec.template.spec.containers[0].image = 'other';
    const errs = updateErrors(next, old);
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatch(/^spec\.template: Invalid value: \{.*\}: field is immutable$/);
    const suspendedOld = created(
      job({ suspend: true, template: template({}, { restartPolicy: 'Never' }) }),
    );
    const nodeSelectorChange = structuredClone(suspendedOld);
    nodeSelectorChange.spec.template.spec.nodeSelector = { zone: 'a' };
    expect(updateErrors(nodeSelectorChange, suspendedOld)).toEqual([]);
  });
});

describe('CronJob', () => {
  const cron = (spec: Any, name = 'backup'): Any =>
    workload(
      'CronJob',
      {
        jobTemplate: { spec: { template: template({}, { restartPolicy: 'OnFailure' }) } },
        ...spec,
      },
      'batch/v1',
      name,
    );

  it('parses the schedule and reports robfig/cron messages', () => {
    expect(errorsOf(cron({ schedule: '*/5 * * * *' }))).toEqual([]);
    expect(errorsOf(cron({ schedule: '@hourly' }))).toEqual([]);
    expect(errorsOf(cron({}))).toEqual(['spec.schedule: Required value']);
    expect(errorsOf(cron({ schedule: '0 0 * * 8' }))).toEqual([
      'spec.schedule: Invalid value: "0 0 * * 8": end of range (8) above maximum (6): 8',
    ]);
  });

  it('rejects TZ in the schedule and unknown time zones', () => {
    expect(errorsOf(cron({ schedule: 'CRON_TZ=UTC 0 0 * * *' }))).toEqual([
      'spec.schedule: Invalid value: "CRON_TZ=UTC 0 0 * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead',
    ]);
    expect(errorsOf(cron({ schedule: '0 0 * * *', timeZone: 'Mars/Olympus' }))).toEqual([
      'spec.timeZone: Invalid value: "Mars/Olympus": unknown time zone Mars/Olympus',
    ]);
    expect(errorsOf(cron({ schedule: '0 0 * * *', timeZone: 'Europe/Paris' }))).toEqual([]);
  });

  it('limits names to 52 characters and forbids job template selectors', () => {
    expect(errorsOf(cron({ schedule: '@daily' }, 'a'.repeat(53)))).toEqual([
      `metadata.name: Invalid value: "${'a'.repeat(53)}": must be no more than 52 characters`,
    ]);
    const withSelector = cron({ schedule: '@daily' });
    withSelector.spec.jobTemplate.spec.selector = { matchLabels: { a: 'b' } };
    expect(errorsOf(withSelector)).toEqual([
      'spec.jobTemplate.spec.selector: Invalid value: {"matchLabels":{"a":"b"}}: `selector` will be auto-generated',
    ]);
  });
});

describe('real-world manifests', () => {
  const labels = { 'app.kubernetes.io/name': 'demo', 'app.kubernetes.io/instance': 'rel' };
  const meta = (name: string): Any => ({
    name,
    namespace: 'default',
    labels: {
      ...labels,
      'helm.sh/chart': 'demo-0.1.0',
      'app.kubernetes.io/version': '1.16.0',
      'app.kubernetes.io/managed-by': 'Helm',
    },
    annotations: {
      'meta.helm.sh/release-name': 'rel',
      'meta.helm.sh/release-namespace': 'default',
    },
  });

  it("accepts every object of helm create's default chart", () => {
    const objects: Any[] = [
      {
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: meta('rel-demo'),
        automountServiceAccountToken: true,
      },
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: meta('rel-demo'),
        spec: {
          type: 'ClusterIP',
          ports: [{ port: 80, targetPort: 'http', protocol: 'TCP', name: 'http' }],
          selector: labels,
        },
      },
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: meta('rel-demo'),
        spec: {
          replicas: 1,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels: { ...labels, 'helm.sh/chart': 'demo-0.1.0' } },
            spec: {
              serviceAccountName: 'rel-demo',
              securityContext: {},
              containers: [
                {
                  name: 'demo',
                  securityContext: {},
                  image: 'nginx:1.16.0',
                  imagePullPolicy: 'IfNotPresent',
                  ports: [{ name: 'http', containerPort: 80, protocol: 'TCP' }],
                  livenessProbe: { httpGet: { path: '/', port: 'http' } },
                  readinessProbe: { httpGet: { path: '/', port: 'http' } },
                  resources: {},
                },
              ],
            },
          },
        },
      },
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { ...meta('rel-demo-test-connection'), annotations: { 'helm.sh/hook': 'test' } },
        spec: {
          containers: [
            { name: 'wget', image: 'busybox', command: ['wget'], args: ['rel-demo:80'] },
          ],
          restartPolicy: 'Never',
        },
      },
      {
        apiVersion: 'autoscaling/v2',
        kind: 'HorizontalPodAutoscaler',
        metadata: meta('rel-demo'),
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'rel-demo' },
          minReplicas: 1,
          maxReplicas: 100,
          metrics: [
            {
              type: 'Resource',
              resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } },
            },
          ],
        },
      },
      {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        metadata: meta('rel-demo'),
        spec: {
          ingressClassName: 'nginx',
          tls: [{ hosts: ['chart-example.local'], secretName: 'chart-example-tls' }],
          rules: [
            {
              host: 'chart-example.local',
              http: {
                paths: [
                  {
                    path: '/',
                    pathType: 'ImplementationSpecific',
                    backend: { service: { name: 'rel-demo', port: { number: 80 } } },
                  },
                ],
              },
            },
          ],
        },
      },
    ];
    for (const o of objects) expect([o.kind, errorsOf(o)]).toEqual([o.kind, []]);
  });
});
