// These tests edit free-form object JSON, so they read and write it untyped.
/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access */
import { describe, it, expect } from 'vitest';
import type { KubeObject } from '../../api/types.ts';
import {
  applyDefaults,
  computePodQOS,
  defaultTolerationSeconds,
  imageTag,
  jobSelectorDefaults,
  prepareForCreate,
  prepareForUpdate,
} from './defaults.ts';

type Any = Record<string, any>;

function obj(apiVersion: string, kind: string, rest: Any, name = 'x'): KubeObject & Any {
  return { apiVersion, kind, metadata: { name, namespace: 'default' }, ...rest };
}

function defaulted<T extends KubeObject>(o: T): T {
  applyDefaults(o);
  return o;
}

describe('Pod defaults', () => {
  it('fills PodSpec, container, port and probe defaults', () => {
    const pod = defaulted(
      obj('v1', 'Pod', {
        spec: {
          containers: [
            {
              name: 'web',
              image: 'nginx',
              ports: [{ containerPort: 80 }],
              livenessProbe: { httpGet: { port: 80 } },
              resources: { limits: { cpu: '1000m', memory: '1024Mi' } },
            },
            { name: 'side', image: 'busybox:1.36' },
          ],
          volumes: [{ name: 'scratch' }, { name: 'cfg', configMap: { name: 'c' } }],
        },
      }),
    );
    const spec = pod.spec as Any;
    expect(spec).toMatchObject({
      restartPolicy: 'Always',
      dnsPolicy: 'ClusterFirst',
      schedulerName: 'default-scheduler',
      terminationGracePeriodSeconds: 30,
      securityContext: {},
      enableServiceLinks: true,
    });
    const [web, side] = spec.containers as Any[];
    expect(web.imagePullPolicy).toBe('Always');
    expect(side.imagePullPolicy).toBe('IfNotPresent');
    expect(web.terminationMessagePath).toBe('/dev/termination-log');
    expect(web.terminationMessagePolicy).toBe('File');
    expect(web.ports[0].protocol).toBe('TCP');
    expect(web.livenessProbe).toEqual({
      httpGet: { port: 80, path: '/', scheme: 'HTTP' },
      timeoutSeconds: 1,
      periodSeconds: 10,
      successThreshold: 1,
      failureThreshold: 3,
    });
    expect(web.resources).toEqual({
      limits: { cpu: '1', memory: '1Gi' },
      requests: { cpu: '1', memory: '1Gi' },
    });
    expect(spec.volumes).toEqual([
      { name: 'scratch', emptyDir: {} },
      { name: 'cfg', configMap: { name: 'c', defaultMode: 420 } },
    ]);
  });

  it('applies create-time admission: service account, priority, tolerations, status', () => {
    const pod = defaulted(
      obj('v1', 'Pod', { spec: { containers: [{ name: 'c', image: 'busybox' }] } }),
    );
    prepareForCreate(pod);
    const spec = pod.spec as Any;
    expect(spec.serviceAccountName).toBe('default');
    expect(spec.serviceAccount).toBe('default');
    expect(spec.priority).toBe(0);
    expect(spec.preemptionPolicy).toBe('PreemptLowerPriority');
    expect(spec.tolerations).toEqual([
      {
        key: 'node.kubernetes.io/not-ready',
        operator: 'Exists',
        effect: 'NoExecute',
        tolerationSeconds: 300,
      },
      {
        key: 'node.kubernetes.io/unreachable',
        operator: 'Exists',
        effect: 'NoExecute',
        tolerationSeconds: 300,
      },
    ]);
    expect(pod.status).toEqual({ phase: 'Pending', qosClass: 'BestEffort' });
  });

  it('does not add tolerations the pod already has', () => {
    const pod = obj('v1', 'Pod', {
      spec: {
        tolerations: [
          { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
        ],
      },
    });
    defaultTolerationSeconds(pod);
    expect((pod.spec as Any).tolerations).toHaveLength(2);
  });

  it('computes QoS classes', () => {
    const guaranteed = defaulted(
      obj('v1', 'Pod', {
        spec: { containers: [{ name: 'c', resources: { limits: { cpu: '1', memory: '1Gi' } } }] },
      }),
    );
    expect(computePodQOS(guaranteed)).toBe('Guaranteed');
    const burstable = obj('v1', 'Pod', {
      spec: { containers: [{ name: 'c', resources: { requests: { cpu: '1' } } }] },
    });
    expect(computePodQOS(burstable)).toBe('Burstable');
  });

  it('derives the image tag as parsers.ParseImageName does', () => {
    expect(imageTag('nginx')).toBe('latest');
    expect(imageTag('localhost:5000/app')).toBe('latest');
    expect(imageTag('localhost:5000/app:v1')).toBe('v1');
    expect(imageTag('nginx@sha256:abc')).toBe('');
    expect(imageTag('Nginx')).toBe('');
  });
});

describe('workload defaults', () => {
  const template = {
    metadata: { labels: { app: 'a' } },
    spec: { containers: [{ name: 'c', image: 'i:1' }] },
  };

  it('defaults Deployments', () => {
    const d = defaulted(
      obj('apps/v1', 'Deployment', { spec: { template: structuredClone(template) } }),
    );
    expect(d.spec).toMatchObject({
      replicas: 1,
      strategy: {
        type: 'RollingUpdate',
        rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' },
      },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
    });
    expect((d.spec as Any).template.spec.restartPolicy).toBe('Always');
  });

  it('leaves Recreate strategies without rollingUpdate', () => {
    const d = defaulted(
      obj('apps/v1', 'Deployment', { spec: { strategy: { type: 'Recreate' }, template } }),
    );
    expect((d.spec as Any).strategy).toEqual({ type: 'Recreate' });
  });

  it('defaults StatefulSets, including claim templates', () => {
    const ss = defaulted(
      obj('apps/v1', 'StatefulSet', {
        spec: {
          template,
          volumeClaimTemplates: [
            { metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'] } },
          ],
        },
      }),
    );
    expect(ss.spec).toMatchObject({
      replicas: 1,
      podManagementPolicy: 'OrderedReady',
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
      revisionHistoryLimit: 10,
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
    });
    expect((ss.spec as Any).volumeClaimTemplates[0]).toMatchObject({
      spec: { volumeMode: 'Filesystem' },
      status: { phase: 'Pending' },
    });
  });

  it('defaults DaemonSets and ReplicaSets', () => {
    const ds = defaulted(obj('apps/v1', 'DaemonSet', { spec: { template } }));
    expect((ds.spec as Any).updateStrategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxUnavailable: 1, maxSurge: 0 },
    });
    expect((ds.spec as Any).revisionHistoryLimit).toBe(10);
    const rs = defaulted(obj('apps/v1', 'ReplicaSet', { spec: { template } }));
    expect((rs.spec as Any).replicas).toBe(1);
  });

  it('defaults ReplicationController selector and labels from the template', () => {
    const rc = defaulted(
      obj('v1', 'ReplicationController', { spec: { template: structuredClone(template) } }),
    );
    expect((rc.spec as Any).selector).toEqual({ app: 'a' });
    expect(rc.metadata.labels).toEqual({ app: 'a' });
    expect((rc.spec as Any).replicas).toBe(1);
  });

  it('defaults Jobs and generates the selector from the uid', () => {
    const job = defaulted(
      obj('batch/v1', 'Job', { spec: { template: structuredClone(template) } }, 'pi'),
    );
    expect(job.spec).toMatchObject({
      completions: 1,
      parallelism: 1,
      backoffLimit: 6,
      completionMode: 'NonIndexed',
      suspend: false,
      podReplacementPolicy: 'TerminatingOrFailed',
    });
    job.metadata.uid = 'u-1';
    jobSelectorDefaults(job);
    expect((job.spec as Any).selector).toEqual({
      matchLabels: { 'batch.kubernetes.io/controller-uid': 'u-1' },
    });
    const labels = {
      app: 'a',
      'job-name': 'pi',
      'batch.kubernetes.io/job-name': 'pi',
      'controller-uid': 'u-1',
      'batch.kubernetes.io/controller-uid': 'u-1',
    };
    expect((job.spec as Any).template.metadata.labels).toEqual(labels);
    // The Job's own labels were defaulted from the template, so they get the generated ones too.
    expect(job.metadata.labels).toEqual(labels);
  });

  it('only defaults parallelism when completions is set, and honors manualSelector', () => {
    const job = defaulted(
      obj('batch/v1', 'Job', { spec: { completions: 5, manualSelector: true, template } }),
    );
    expect((job.spec as Any).completions).toBe(5);
    expect((job.spec as Any).parallelism).toBe(1);
    jobSelectorDefaults(job);
    expect((job.spec as Any).selector).toBeUndefined();
  });

  it('defaults CronJobs and their pod template but not the job spec', () => {
    const cj = defaulted(
      obj('batch/v1', 'CronJob', {
        spec: { schedule: '@hourly', jobTemplate: { spec: { template } } },
      }),
    );
    expect(cj.spec).toMatchObject({
      concurrencyPolicy: 'Allow',
      suspend: false,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 1,
    });
    expect((cj.spec as Any).jobTemplate.spec.backoffLimit).toBeUndefined();
    expect((cj.spec as Any).jobTemplate.spec.template.spec.dnsPolicy).toBe('ClusterFirst');
  });
});

describe('service and other core defaults', () => {
  it('defaults Services', () => {
    const svc = defaulted(
      obj('v1', 'Service', { spec: { selector: { app: 'a' }, ports: [{ port: 80 }] } }),
    );
    expect(svc.spec).toEqual({
      selector: { app: 'a' },
      ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }],
      sessionAffinity: 'None',
      type: 'ClusterIP',
      internalTrafficPolicy: 'Cluster',
      ipFamilyPolicy: 'SingleStack',
      ipFamilies: ['IPv4'],
    });
    const np = defaulted(
      obj('v1', 'Service', {
        spec: { type: 'LoadBalancer', ports: [{ port: 80, targetPort: 'http' }] },
      }),
    );
    expect(np.spec).toMatchObject({
      externalTrafficPolicy: 'Cluster',
      allocateLoadBalancerNodePorts: true,
    });
    expect((np.spec as Any).ports[0].targetPort).toBe('http');
    const headless = defaulted(obj('v1', 'Service', { spec: { clusterIP: 'None' } }));
    expect((headless.spec as Any).ipFamilyPolicy).toBe('RequireDualStack');
  });

  it('normalizes clusterIPs on create and keeps allocations on update', () => {
    const svc = defaulted(
      obj('v1', 'Service', { spec: { clusterIP: 'None', ports: [{ port: 80 }] } }),
    );
    prepareForCreate(svc);
    expect((svc.spec as Any).clusterIPs).toEqual(['None']);
    const old = obj('v1', 'Service', {
      spec: {
        type: 'NodePort',
        clusterIP: '10.96.0.10',
        clusterIPs: ['10.96.0.10'],
        ports: [{ port: 80, protocol: 'TCP', nodePort: 30080 }],
      },
    });
    const next = defaulted(
      obj('v1', 'Service', { spec: { type: 'NodePort', ports: [{ port: 80 }] } }),
    );
    prepareForUpdate(next, old);
    expect(next.spec).toMatchObject({
      clusterIP: '10.96.0.10',
      clusterIPs: ['10.96.0.10'],
      ports: [{ nodePort: 30080 }],
    });
  });

  it('defaults Namespaces on create', () => {
    const ns = defaulted({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } });
    prepareForCreate(ns);
    expect(ns).toMatchObject({
      metadata: { labels: { 'kubernetes.io/metadata.name': 'team' } },
      spec: { finalizers: ['kubernetes'] },
      status: { phase: 'Active' },
    });
    const update = {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'team' },
      spec: { finalizers: [] },
    };
    prepareForUpdate(update, ns);
    expect(update.spec.finalizers).toEqual(['kubernetes']);
  });

  it('folds Secret stringData into base64 data', () => {
    const s = defaulted(obj('v1', 'Secret', { stringData: { pw: 'hé' } }));
    expect(s.type).toBe('Opaque');
    expect(s.data).toEqual({ pw: 'aMOp' });
    expect(s.stringData).toBeUndefined();
  });

  it('defaults volumes and claims', () => {
    const pv = defaulted(
      obj('v1', 'PersistentVolume', { spec: { capacity: { storage: '1024Mi' } } }),
    );
    expect(pv).toMatchObject({
      spec: {
        persistentVolumeReclaimPolicy: 'Retain',
        volumeMode: 'Filesystem',
        capacity: { storage: '1Gi' },
      },
      status: { phase: 'Pending' },
    });
    const pvc = defaulted(obj('v1', 'PersistentVolumeClaim', { spec: {} }));
    expect(pvc).toMatchObject({ spec: { volumeMode: 'Filesystem' }, status: { phase: 'Pending' } });
  });

  it('fills LimitRange container defaults as upstream', () => {
    const lr = defaulted(
      obj('v1', 'LimitRange', {
        spec: {
          limits: [
            {
              type: 'Container',
              max: { cpu: '2' },
              min: { memory: '64Mi' },
              default: { memory: '256Mi' },
            },
          ],
        },
      }),
    );
    expect((lr.spec as Any).limits[0]).toEqual({
      type: 'Container',
      max: { cpu: '2' },
      min: { memory: '64Mi' },
      default: { memory: '256Mi', cpu: '2' },
      defaultRequest: { memory: '256Mi', cpu: '2' },
    });
  });

  it('defaults HPA v2 behavior and metrics', () => {
    const hpa = defaulted(
      obj('autoscaling/v2', 'HorizontalPodAutoscaler', {
        spec: { maxReplicas: 3, behavior: { scaleDown: { stabilizationWindowSeconds: 60 } } },
      }),
    );
    expect(hpa.spec).toMatchObject({
      minReplicas: 1,
      metrics: [
        {
          type: 'Resource',
          resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } },
        },
      ],
      behavior: {
        scaleUp: {
          stabilizationWindowSeconds: 0,
          selectPolicy: 'Max',
          policies: [
            { type: 'Pods', value: 4, periodSeconds: 15 },
            { type: 'Percent', value: 100, periodSeconds: 15 },
          ],
        },
        scaleDown: {
          stabilizationWindowSeconds: 60,
          selectPolicy: 'Max',
          policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
        },
      },
    });
  });

  it('defaults networking, storage, discovery and RBAC kinds', () => {
    const np = defaulted(
      obj('networking.k8s.io/v1', 'NetworkPolicy', {
        spec: { podSelector: {}, egress: [{ ports: [{ port: 53 }] }] },
      }),
    );
    expect((np.spec as Any).policyTypes).toEqual(['Ingress', 'Egress']);
    expect((np.spec as Any).egress[0].ports[0].protocol).toBe('TCP');
    const sc = defaulted({
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name: 's' },
      provisioner: 'p',
    });
    expect(sc).toMatchObject({ reclaimPolicy: 'Delete', volumeBindingMode: 'Immediate' });
    const slice = defaulted(
      obj('discovery.k8s.io/v1', 'EndpointSlice', { addressType: 'IPv4', ports: [{ port: 80 }] }),
    );
    expect((slice.ports as Any[])[0]).toEqual({ port: 80, name: '', protocol: 'TCP' });
    const rb = defaulted(
      obj('rbac.authorization.k8s.io/v1', 'RoleBinding', {
        roleRef: { kind: 'Role', name: 'r' },
        subjects: [{ kind: 'User', name: 'u' }],
      }),
    );
    expect(rb.roleRef).toEqual({ kind: 'Role', name: 'r', apiGroup: 'rbac.authorization.k8s.io' });
    expect((rb.subjects as Any[])[0].apiGroup).toBe('rbac.authorization.k8s.io');
  });
});
