// Defaulting of built-in kinds as kube-apiserver applies it on decode (SetDefaults_* in
// pkg/apis/*/v1*/defaults.go and the declarative defaults of k8s.io/api), plus the create-time
// changes of registry strategies and default admission plugins (ServiceAccount, Priority,
// DefaultTolerationSeconds) that users see on the stored object.

import type { KubeObject } from '../../api/types.ts';
import { clone, ensureObj, isObj, num, obj, objs, str, strMap, strs, type Obj } from './json.ts';
import {
  canonicalQuantity,
  compareQuantities,
  formatQuantity,
  parseQuantity,
  type Quantity,
} from '../../api/quantity.ts';
import { groupOf } from './validate.ts';
import {
  CONTROLLER_UID_LABEL,
  JOB_NAME_LABEL,
  LEGACY_CONTROLLER_UID_LABEL,
  LEGACY_JOB_NAME_LABEL,
} from './batch.ts';
import { externallyAccessible } from './core.ts';

const MAX_INT32 = 2147483647;

function setIfAbsent(o: Obj, key: string, value: unknown): void {
  if (o[key] === undefined || o[key] === null) o[key] = value;
}

function setIfEmptyString(o: Obj, key: string, value: string): void {
  if (o[key] === undefined || o[key] === null || o[key] === '') o[key] = value;
}

/** SetDefaults_ResourceList: quantities rounded up to milli and written back canonically. */
function defaultResourceList(list: unknown, roundToMilli = true): void {
  const l = obj(list);
  if (!l) return;
  for (const [k, v] of Object.entries(l)) {
    const c = canonicalQuantity(v, roundToMilli);
    if (c !== undefined) l[k] = c;
  }
}

function defaultQuantityField(o: Obj | undefined, key: string): void {
  if (!o) return;
  const c = canonicalQuantity(o[key]);
  if (c !== undefined) o[key] = c;
}

/** parsers.ParseImageName's tag: "latest" when neither tag nor digest is given; "" when unparsable. */
export function imageTag(image: string): string {
  const at = image.indexOf('@');
  const name = at < 0 ? image : image.slice(0, at);
  const slash = name.lastIndexOf('/');
  const colon = name.indexOf(':', slash + 1);
  const repo = colon < 0 ? name : name.slice(0, colon);
  const tag = colon < 0 ? '' : name.slice(colon + 1);
  const first = repo.split('/')[0];
  const hasDomain =
    repo.includes('/') &&
    (first.includes('.') ||
      first.includes(':') ||
      first === 'localhost' ||
      first !== first.toLowerCase());
  const path = hasDomain ? repo.slice(first.length + 1) : repo;
  // Reference parsing rejects these; the image then has no tag (so IfNotPresent).
  if (!path || /[A-Z]/.test(path) || (tag && !/^\w[\w.-]{0,127}$/.test(tag))) return '';
  if (!tag && at < 0) return 'latest';
  return tag;
}

function defaultPullPolicy(o: Obj, key: string, image: unknown): void {
  if (str(o[key])) return;
  o[key] = imageTag(str(image) ?? '') === 'latest' ? 'Always' : 'IfNotPresent';
}

function defaultHTTPGet(handler: unknown): void {
  const h = obj(handler);
  const get = obj(h?.httpGet);
  if (get) {
    setIfEmptyString(get, 'path', '/');
    setIfEmptyString(get, 'scheme', 'HTTP');
  }
  const grpc = obj(h?.grpc);
  if (grpc) setIfAbsent(grpc, 'service', '');
}

function defaultProbe(probe: unknown): void {
  const p = obj(probe);
  if (!p) return;
  for (const [k, v] of [
    ['timeoutSeconds', 1],
    ['periodSeconds', 10],
    ['successThreshold', 1],
    ['failureThreshold', 3],
  ] as const) {
    if (!num(p[k])) p[k] = v;
  }
  defaultHTTPGet(p);
}

function defaultFieldRef(ref: unknown): void {
  const r = obj(ref);
  if (r) setIfEmptyString(r, 'apiVersion', 'v1');
}

function defaultContainer(c: Obj): void {
  defaultPullPolicy(c, 'imagePullPolicy', c.image);
  setIfEmptyString(c, 'terminationMessagePath', '/dev/termination-log');
  setIfEmptyString(c, 'terminationMessagePolicy', 'File');
  for (const port of objs(c.ports)) setIfEmptyString(port, 'protocol', 'TCP');
  for (const env of objs(c.env)) defaultFieldRef(obj(env.valueFrom)?.fieldRef);
  // ResourceRequirements is a struct, not a pointer: kube-apiserver always serializes it, `{}` when
  // empty (and templates hash the same whether or not a client sent it).
  if (c.resources === undefined || c.resources === null) c.resources = {};
  const resources = obj(c.resources);
  if (resources) {
    defaultResourceList(resources.limits);
    defaultResourceList(resources.requests);
  }
  defaultProbe(c.livenessProbe);
  defaultProbe(c.readinessProbe);
  defaultProbe(c.startupProbe);
  const lifecycle = obj(c.lifecycle);
  if (lifecycle) {
    defaultHTTPGet(lifecycle.postStart);
    defaultHTTPGet(lifecycle.preStop);
  }
}

const volumeSourceKeys = [
  'hostPath',
  'emptyDir',
  'gcePersistentDisk',
  'awsElasticBlockStore',
  'gitRepo',
  'secret',
  'nfs',
  'iscsi',
  'glusterfs',
  'persistentVolumeClaim',
  'rbd',
  'flexVolume',
  'cinder',
  'cephfs',
  'flocker',
  'downwardAPI',
  'fc',
  'azureFile',
  'configMap',
  'vsphereVolume',
  'quobyte',
  'azureDisk',
  'photonPersistentDisk',
  'projected',
  'portworxVolume',
  'scaleIO',
  'storageos',
  'csi',
  'ephemeral',
  'image',
];

function defaultVolume(v: Obj): void {
  if (!volumeSourceKeys.some((k) => v[k] !== undefined && v[k] !== null)) v.emptyDir = {};
  defaultQuantityField(obj(v.emptyDir), 'sizeLimit');
  for (const k of ['secret', 'configMap', 'downwardAPI', 'projected'] as const) {
    const src = obj(v[k]);
    if (src) setIfAbsent(src, 'defaultMode', 420);
  }
  for (const item of objs(obj(v.downwardAPI)?.items)) defaultFieldRef(item.fieldRef);
  for (const source of objs(obj(v.projected)?.sources)) {
    for (const item of objs(obj(source.downwardAPI)?.items)) defaultFieldRef(item.fieldRef);
    const sat = obj(source.serviceAccountToken);
    if (sat) setIfAbsent(sat, 'expirationSeconds', 3600);
  }
  const hostPath = obj(v.hostPath);
  if (hostPath) setIfAbsent(hostPath, 'type', '');
  const iscsi = obj(v.iscsi);
  if (iscsi) setIfEmptyString(iscsi, 'iscsiInterface', 'default');
  const rbd = obj(v.rbd);
  if (rbd) {
    setIfEmptyString(rbd, 'pool', 'rbd');
    setIfEmptyString(rbd, 'user', 'admin');
    setIfEmptyString(rbd, 'keyring', '/etc/ceph/keyring');
  }
  const azureDisk = obj(v.azureDisk);
  if (azureDisk) {
    setIfAbsent(azureDisk, 'cachingMode', 'ReadWrite');
    setIfAbsent(azureDisk, 'fsType', 'ext4');
    setIfAbsent(azureDisk, 'readOnly', false);
    setIfAbsent(azureDisk, 'kind', 'Shared');
  }
  const scaleIO = obj(v.scaleIO);
  if (scaleIO) {
    setIfEmptyString(scaleIO, 'storageMode', 'ThinProvisioned');
    setIfEmptyString(scaleIO, 'fsType', 'xfs');
  }
  const template = obj(obj(v.ephemeral)?.volumeClaimTemplate);
  if (template) defaultPVCSpec(ensureObj(template, 'spec'));
  const image = obj(v.image);
  if (image) defaultPullPolicy(image, 'pullPolicy', image.reference);
}

function defaultPVCSpec(spec: Obj): void {
  setIfAbsent(spec, 'volumeMode', 'Filesystem');
  const resources = obj(spec.resources);
  if (resources) {
    defaultResourceList(resources.requests);
    defaultResourceList(resources.limits);
  }
}

function allContainers(spec: Obj): Obj[] {
  return [
    ...objs(spec.initContainers),
    ...objs(spec.containers),
    ...objs(spec.ephemeralContainers),
  ];
}

/** SetDefaults_PodSpec and everything zz_generated applies inside a PodSpec. */
function defaultPodSpec(spec: Obj): void {
  setIfEmptyString(spec, 'dnsPolicy', 'ClusterFirst');
  setIfEmptyString(spec, 'restartPolicy', 'Always');
  setIfAbsent(spec, 'securityContext', {});
  setIfAbsent(spec, 'terminationGracePeriodSeconds', 30);
  setIfEmptyString(spec, 'schedulerName', 'default-scheduler');
  // v1 conversion: serviceAccount is the deprecated twin of serviceAccountName.
  if (!str(spec.serviceAccountName) && str(spec.serviceAccount))
    spec.serviceAccountName = spec.serviceAccount;
  if (str(spec.serviceAccountName)) spec.serviceAccount = spec.serviceAccountName;
  for (const v of objs(spec.volumes)) defaultVolume(v);
  for (const c of allContainers(spec)) defaultContainer(c);
  defaultResourceList(spec.overhead);
  const resources = obj(spec.resources);
  if (resources) {
    defaultResourceList(resources.limits);
    defaultResourceList(resources.requests);
  }
}

function defaultTemplate(template: unknown): void {
  const t = obj(template);
  if (t) defaultPodSpec(ensureObj(t, 'spec'));
}

function addQuantities(a: Quantity | undefined, b: Quantity): Quantity {
  if (!a) return b;
  const s = Math.min(a.scale, b.scale);
  const x =
    BigInt(a.sign) * a.mant * 10n ** BigInt(a.scale - s) +
    BigInt(b.sign) * b.mant * 10n ** BigInt(b.scale - s);
  return {
    sign: x === 0n ? 0 : x > 0n ? 1 : -1,
    mant: x < 0n ? -x : x,
    scale: s,
    format: a.format,
  };
}

/** SetDefaults_Pod (pod-only): requests from limits, service links, hostNetwork ports, pod-level requests. */
function defaultPod(pod: Obj): void {
  const spec = ensureObj(pod, 'spec');
  defaultPodSpec(spec);
  for (const c of [...objs(spec.containers), ...objs(spec.initContainers)]) {
    const resources = obj(c.resources);
    const limits = obj(resources?.limits);
    if (!resources || !limits) continue;
    const requests = ensureObj(resources, 'requests');
    for (const [k, v] of Object.entries(limits)) setIfAbsent(requests, k, v);
  }
  setIfAbsent(spec, 'enableServiceLinks', true);
  if (spec.hostNetwork === true) {
    for (const c of [...objs(spec.containers), ...objs(spec.initContainers)]) {
      for (const port of objs(c.ports)) if (!num(port.hostPort)) port.hostPort = port.containerPort;
    }
  }
  const podResources = obj(spec.resources);
  const podLimits = obj(podResources?.limits);
  if (podResources && podLimits && Object.keys(podLimits).length) {
    const requests = obj(podResources.requests) ?? {};
    const supported = (k: string): boolean =>
      k === 'cpu' || k === 'memory' || k.startsWith('hugepages-');
    const aggregate = new Map<string, Quantity>();
    const sidecars = objs(spec.initContainers).filter((c) => c.restartPolicy === 'Always');
    for (const c of [...objs(spec.containers), ...sidecars]) {
      for (const [k, v] of Object.entries(obj(obj(c.resources)?.requests) ?? {})) {
        const q = parseQuantity(typeof v === 'number' ? v : String(v));
        if (typeof q !== 'string') aggregate.set(k, addQuantities(aggregate.get(k), q));
      }
    }
    for (const c of objs(spec.initContainers).filter((c) => c.restartPolicy !== 'Always')) {
      for (const [k, v] of Object.entries(obj(obj(c.resources)?.requests) ?? {})) {
        const q = parseQuantity(typeof v === 'number' ? v : String(v));
        const cur = aggregate.get(k);
        if (typeof q !== 'string' && (!cur || compareQuantities(q, cur) > 0)) aggregate.set(k, q);
      }
    }
    for (const [k, q] of aggregate) {
      if (!(k in requests) && supported(k) && !k.startsWith('hugepages-'))
        requests[k] = formatQuantity(q);
    }
    for (const [k, v] of Object.entries(podLimits))
      if (!(k in requests) && supported(k)) requests[k] = v;
    if (Object.keys(requests).length) podResources.requests = requests;
  }
}

function defaultDeployment(d: Obj): void {
  const spec = ensureObj(d, 'spec');
  setIfAbsent(spec, 'replicas', 1);
  const strategy = ensureObj(spec, 'strategy');
  setIfEmptyString(strategy, 'type', 'RollingUpdate');
  if (strategy.type === 'RollingUpdate') {
    const ru = ensureObj(strategy, 'rollingUpdate');
    setIfAbsent(ru, 'maxUnavailable', '25%');
    setIfAbsent(ru, 'maxSurge', '25%');
  }
  setIfAbsent(spec, 'revisionHistoryLimit', 10);
  setIfAbsent(spec, 'progressDeadlineSeconds', 600);
  defaultTemplate(spec.template);
}

function defaultDaemonSet(ds: Obj): void {
  const spec = ensureObj(ds, 'spec');
  const strategy = ensureObj(spec, 'updateStrategy');
  setIfEmptyString(strategy, 'type', 'RollingUpdate');
  if (strategy.type === 'RollingUpdate') {
    const ru = ensureObj(strategy, 'rollingUpdate');
    setIfAbsent(ru, 'maxUnavailable', 1);
    setIfAbsent(ru, 'maxSurge', 0);
  }
  setIfAbsent(spec, 'revisionHistoryLimit', 10);
  defaultTemplate(spec.template);
}

function defaultPVC(pvc: Obj): void {
  defaultPVCSpec(ensureObj(pvc, 'spec'));
  setIfEmptyString(ensureObj(pvc, 'status'), 'phase', 'Pending');
  const status = obj(pvc.status);
  if (status) {
    defaultResourceList(status.capacity);
    defaultResourceList(status.allocatedResources);
  }
}

function defaultStatefulSet(ss: Obj): void {
  const spec = ensureObj(ss, 'spec');
  setIfEmptyString(spec, 'podManagementPolicy', 'OrderedReady');
  const strategy = ensureObj(spec, 'updateStrategy');
  if (!str(strategy.type)) {
    strategy.type = 'RollingUpdate';
    setIfAbsent(strategy, 'rollingUpdate', {});
  }
  const ru = obj(strategy.rollingUpdate);
  if (strategy.type === 'RollingUpdate' && ru) setIfAbsent(ru, 'partition', 0);
  const retention = ensureObj(spec, 'persistentVolumeClaimRetentionPolicy');
  setIfEmptyString(retention, 'whenDeleted', 'Retain');
  setIfEmptyString(retention, 'whenScaled', 'Retain');
  setIfAbsent(spec, 'replicas', 1);
  setIfAbsent(spec, 'revisionHistoryLimit', 10);
  defaultTemplate(spec.template);
  for (const t of objs(spec.volumeClaimTemplates)) defaultPVC(t);
}

function defaultJobSpec(job: Obj): void {
  const spec = ensureObj(job, 'spec');
  if (
    (spec.completions === undefined || spec.completions === null) &&
    (spec.parallelism === undefined || spec.parallelism === null)
  ) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  setIfAbsent(spec, 'parallelism', 1);
  if (spec.backoffLimit === undefined || spec.backoffLimit === null) {
    spec.backoffLimit =
      spec.backoffLimitPerIndex !== undefined && spec.backoffLimitPerIndex !== null ? MAX_INT32 : 6;
  }
  setIfAbsent(spec, 'completionMode', 'NonIndexed');
  setIfAbsent(spec, 'suspend', false);
  const policy = obj(spec.podFailurePolicy);
  for (const rule of objs(policy?.rules)) {
    for (const pattern of objs(rule.onPodConditions)) setIfEmptyString(pattern, 'status', 'True');
  }
  setIfAbsent(spec, 'podReplacementPolicy', policy ? 'Failed' : 'TerminatingOrFailed');
  defaultTemplate(spec.template);
}

function defaultJob(job: Obj): void {
  defaultJobSpec(job);
  const templateLabels = obj(obj(obj(obj(job.spec)?.template)?.metadata)?.labels);
  const meta = ensureObj(job, 'metadata');
  // Upstream aliases the template's label map here, so labels the API server later generates on
  // the template also appear on the Job (see jobSelectorDefaults).
  if (templateLabels && Object.keys(strMap(meta.labels)).length === 0) meta.labels = templateLabels;
}

function defaultCronJob(cj: Obj): void {
  const spec = ensureObj(cj, 'spec');
  setIfEmptyString(spec, 'concurrencyPolicy', 'Allow');
  setIfAbsent(spec, 'suspend', false);
  setIfAbsent(spec, 'successfulJobsHistoryLimit', 3);
  setIfAbsent(spec, 'failedJobsHistoryLimit', 1);
  const jt = obj(spec.jobTemplate);
  const jtSpec = obj(jt?.spec);
  if (jtSpec) defaultTemplate(jtSpec.template);
}

function defaultService(svc: Obj): void {
  const spec = ensureObj(svc, 'spec');
  setIfEmptyString(spec, 'sessionAffinity', 'None');
  if (spec.sessionAffinity === 'None') delete spec.sessionAffinityConfig;
  if (spec.sessionAffinity === 'ClientIP') {
    const cfg = obj(spec.sessionAffinityConfig);
    const timeout = num(obj(cfg?.clientIP)?.timeoutSeconds);
    if (timeout === undefined) spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: 10800 } };
  }
  setIfEmptyString(spec, 'type', 'ClusterIP');
  for (const port of objs(spec.ports)) {
    setIfEmptyString(port, 'protocol', 'TCP');
    if (
      port.targetPort === undefined ||
      port.targetPort === null ||
      port.targetPort === 0 ||
      port.targetPort === ''
    ) {
      port.targetPort = port.port;
    }
  }
  if (externallyAccessible(spec)) setIfEmptyString(spec, 'externalTrafficPolicy', 'Cluster');
  const type = spec.type;
  if (type === 'NodePort' || type === 'LoadBalancer' || type === 'ClusterIP')
    setIfAbsent(spec, 'internalTrafficPolicy', 'Cluster');
  if (type === 'LoadBalancer') {
    setIfAbsent(spec, 'allocateLoadBalancerNodePorts', true);
    for (const ing of objs(obj(obj(svc.status)?.loadBalancer)?.ingress)) {
      if (str(ing.ip)) setIfAbsent(ing, 'ipMode', 'VIP');
    }
  }
  // The service REST layer's IP family defaults, for a single-stack IPv4 cluster.
  if (type === 'ExternalName') {
    delete spec.ipFamilies;
    delete spec.ipFamilyPolicy;
  } else {
    const headlessNoSelector =
      spec.clusterIP === 'None' && Object.keys(strMap(spec.selector)).length === 0;
    const families = strs(spec.ipFamilies);
    if (spec.ipFamilyPolicy === undefined || spec.ipFamilyPolicy === null) {
      spec.ipFamilyPolicy =
        headlessNoSelector || families.length === 2 ? 'RequireDualStack' : 'SingleStack';
    }
    if (!families.length) spec.ipFamilies = ['IPv4'];
  }
}

function defaultHPA(hpa: Obj): void {
  const spec = ensureObj(hpa, 'spec');
  setIfAbsent(spec, 'minReplicas', 1);
  if (!objs(spec.metrics).length) {
    spec.metrics = [
      {
        type: 'Resource',
        resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } },
      },
    ];
  }
  for (const m of objs(spec.metrics)) {
    for (const k of ['object', 'pods', 'resource', 'external', 'containerResource']) {
      const target = obj(obj(m[k])?.target);
      defaultQuantityField(target, 'value');
      defaultQuantityField(target, 'averageValue');
    }
  }
  const behavior = obj(spec.behavior);
  if (behavior) {
    const up: Obj = {
      stabilizationWindowSeconds: 0,
      selectPolicy: 'Max',
      policies: [
        { type: 'Pods', value: 4, periodSeconds: 15 },
        { type: 'Percent', value: 100, periodSeconds: 15 },
      ],
    };
    const down: Obj = {
      selectPolicy: 'Max',
      policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
    };
    for (const [key, defaults] of [
      ['scaleUp', up],
      ['scaleDown', down],
    ] as const) {
      const from = obj(behavior[key]);
      const merged = clone(defaults);
      for (const f of ['selectPolicy', 'stabilizationWindowSeconds', 'policies', 'tolerance']) {
        if (from && from[f] !== undefined && from[f] !== null) merged[f] = from[f];
      }
      const tolerance = canonicalQuantity(merged.tolerance);
      if (tolerance !== undefined) merged.tolerance = tolerance;
      behavior[key] = merged;
    }
  }
}

function defaultLimitRange(lr: Obj): void {
  for (const item of objs(obj(lr.spec)?.limits)) {
    for (const k of ['max', 'min', 'default', 'defaultRequest', 'maxLimitRequestRatio'])
      defaultResourceList(item[k]);
    if (item.type !== 'Container') continue;
    const def = ensureObj(item, 'default');
    const defReq = ensureObj(item, 'defaultRequest');
    for (const [k, v] of Object.entries(obj(item.max) ?? {})) setIfAbsent(def, k, v);
    for (const [k, v] of Object.entries(def)) setIfAbsent(defReq, k, v);
    for (const [k, v] of Object.entries(obj(item.min) ?? {})) setIfAbsent(defReq, k, v);
  }
}

function defaultRC(rc: Obj): void {
  const spec = ensureObj(rc, 'spec');
  setIfAbsent(spec, 'replicas', 1);
  const template = obj(spec.template);
  const labels = obj(obj(template?.metadata)?.labels);
  if (labels) {
    if (!Object.keys(strMap(spec.selector)).length) spec.selector = { ...labels };
    const meta = ensureObj(rc, 'metadata');
    if (!Object.keys(strMap(meta.labels)).length) meta.labels = { ...labels };
  }
  defaultTemplate(template);
}

/** Secret: the v1 conversion folds stringData into data (base64 of the UTF-8 bytes). */
function defaultSecret(secret: Obj): void {
  setIfEmptyString(secret, 'type', 'Opaque');
  const stringData = obj(secret.stringData);
  if (!stringData) return;
  const data = ensureObj(secret, 'data');
  for (const [k, v] of Object.entries(stringData))
    data[k] = base64(typeof v === 'string' ? v : String(v));
  delete secret.stringData;
}

function base64(s: string): string {
  let bin = '';
  for (const b of new TextEncoder().encode(s)) bin += String.fromCharCode(b);
  return btoa(bin);
}

function defaultRBACBinding(binding: Obj): void {
  const ref = obj(binding.roleRef);
  if (ref) setIfEmptyString(ref, 'apiGroup', 'rbac.authorization.k8s.io');
  for (const s of objs(binding.subjects)) {
    if (!str(s.apiGroup)) {
      // ServiceAccount subjects keep the empty group, which JSON omits (omitempty).
      if (s.kind === 'ServiceAccount') delete s.apiGroup;
      else if (s.kind === 'User' || s.kind === 'Group') s.apiGroup = 'rbac.authorization.k8s.io';
    }
  }
}

type Defaulter = (o: Obj) => void;

const defaulters: Record<string, Defaulter> = {
  '/Pod': defaultPod,
  '/PodTemplate': (pt) => defaultTemplate(pt.template),
  '/ReplicationController': defaultRC,
  '/Service': defaultService,
  '/Namespace': (ns) => {
    const meta = ensureObj(ns, 'metadata');
    const name = str(meta.name);
    if (name) meta.labels = { ...strMap(meta.labels), 'kubernetes.io/metadata.name': name };
    setIfEmptyString(ensureObj(ns, 'status'), 'phase', 'Active');
  },
  '/Secret': defaultSecret,
  '/PersistentVolume': (pv) => {
    setIfEmptyString(ensureObj(pv, 'status'), 'phase', 'Pending');
    const spec = ensureObj(pv, 'spec');
    setIfEmptyString(spec, 'persistentVolumeReclaimPolicy', 'Retain');
    setIfAbsent(spec, 'volumeMode', 'Filesystem');
    defaultResourceList(spec.capacity);
  },
  '/PersistentVolumeClaim': defaultPVC,
  '/Endpoints': (ep) => {
    for (const ss of objs(ep.subsets))
      for (const p of objs(ss.ports)) setIfEmptyString(p, 'protocol', 'TCP');
  },
  '/Node': (node) => {
    const status = obj(node.status);
    if (!status) return;
    defaultResourceList(status.capacity);
    defaultResourceList(status.allocatable);
    if (status.allocatable === undefined && isObj(status.capacity))
      status.allocatable = { ...status.capacity };
  },
  '/LimitRange': defaultLimitRange,
  '/ResourceQuota': (rq) => {
    defaultResourceList(obj(rq.spec)?.hard);
    defaultResourceList(obj(rq.status)?.hard);
    defaultResourceList(obj(rq.status)?.used);
  },
  'apps/Deployment': defaultDeployment,
  'apps/ReplicaSet': (rs) => {
    const spec = ensureObj(rs, 'spec');
    setIfAbsent(spec, 'replicas', 1);
    defaultTemplate(spec.template);
  },
  'apps/StatefulSet': defaultStatefulSet,
  'apps/DaemonSet': defaultDaemonSet,
  'batch/Job': defaultJob,
  'batch/CronJob': defaultCronJob,
  'autoscaling/HorizontalPodAutoscaler': defaultHPA,
  'networking.k8s.io/NetworkPolicy': (np) => {
    const spec = ensureObj(np, 'spec');
    for (const dir of ['ingress', 'egress']) {
      for (const rule of objs(spec[dir]))
        for (const p of objs(rule.ports)) setIfEmptyString(p, 'protocol', 'TCP');
    }
    if (!strs(spec.policyTypes).length) {
      spec.policyTypes = objs(spec.egress).length ? ['Ingress', 'Egress'] : ['Ingress'];
    }
  },
  'networking.k8s.io/IngressClass': (ic) => {
    const params = obj(obj(ic.spec)?.parameters);
    if (params) setIfAbsent(params, 'scope', 'Cluster');
  },
  'storage.k8s.io/StorageClass': (sc) => {
    setIfAbsent(sc, 'reclaimPolicy', 'Delete');
    setIfAbsent(sc, 'volumeBindingMode', 'Immediate');
  },
  'discovery.k8s.io/EndpointSlice': (slice) => {
    for (const p of objs(slice.ports)) {
      setIfAbsent(p, 'name', '');
      setIfAbsent(p, 'protocol', 'TCP');
    }
  },
  'rbac.authorization.k8s.io/RoleBinding': defaultRBACBinding,
  'rbac.authorization.k8s.io/ClusterRoleBinding': defaultRBACBinding,
};

/**
 * Applies the kind's defaults in place (the caller owns the object). Safe to run on every create
 * and update: every default only fills what is unset.
 */
export function applyDefaults(object: KubeObject): void {
  const fn = defaulters[`${groupOf(object.apiVersion)}/${object.kind}`];
  if (fn) fn(object);
}

/**
 * The Job strategy's selector generation (PrepareForCreate, unless spec.manualSelector): template
 * labels controller-uid/job-name (legacy and batch.kubernetes.io/ forms) and a matchLabels
 * selector on batch.kubernetes.io/controller-uid. Needs metadata.uid and metadata.name set.
 */
export function jobSelectorDefaults(job: KubeObject): void {
  const j = job as unknown as Obj;
  const spec = ensureObj(j, 'spec');
  if (spec.manualSelector === true) return;
  const uid = str(job.metadata.uid) ?? '';
  const name = str(job.metadata.name) ?? '';
  const template = ensureObj(spec, 'template');
  const tmeta = ensureObj(template, 'metadata');
  const before = strMap(tmeta.labels);
  const sharesLabels = tmeta.labels !== undefined && job.metadata.labels === tmeta.labels;
  const copiedLabels =
    !sharesLabels &&
    job.metadata.labels !== undefined &&
    sameMap(strMap(job.metadata.labels), before);
  const labels = obj(tmeta.labels) ?? {};
  tmeta.labels = labels;
  for (const key of [LEGACY_JOB_NAME_LABEL, JOB_NAME_LABEL]) setIfAbsent(labels, key, name);
  for (const key of [LEGACY_CONTROLLER_UID_LABEL, CONTROLLER_UID_LABEL])
    setIfAbsent(labels, key, uid);
  if (sharesLabels || copiedLabels) job.metadata.labels = { ...strMap(labels) };
  const selector = ensureObj(spec, 'selector');
  const matchLabels = ensureObj(selector, 'matchLabels');
  setIfAbsent(matchLabels, CONTROLLER_UID_LABEL, uid);
}

function sameMap(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

/** The DefaultTolerationSeconds admission plugin: NoExecute tolerations for not-ready/unreachable. */
export function defaultTolerationSeconds(pod: KubeObject, seconds = 300): void {
  const spec = ensureObj(pod, 'spec');
  const tolerations = objs(spec.tolerations);
  const covers = (key: string): boolean =>
    tolerations.some(
      (t) => (t.effect === 'NoExecute' || !str(t.effect)) && (!str(t.key) || t.key === key),
    );
  const added: Obj[] = [];
  for (const key of ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']) {
    if (!covers(key))
      added.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: seconds });
  }
  if (added.length) spec.tolerations = [...tolerations, ...added];
}

const systemPriorities: Record<string, number> = {
  'system-node-critical': 2000001000,
  'system-cluster-critical': 2000000000,
};

/**
 * Create-time defaults of the ServiceAccount and Priority admission plugins: serviceAccountName
 * "default", priority (0 without a priority class; the two system classes by value), and
 * preemptionPolicy PreemptLowerPriority. Other priority classes must be resolved by the caller.
 */
export function podAdmissionDefaults(pod: KubeObject): void {
  const spec = ensureObj(pod, 'spec');
  if (!str(spec.serviceAccountName)) spec.serviceAccountName = 'default';
  spec.serviceAccount = spec.serviceAccountName;
  const pcn = str(spec.priorityClassName) ?? '';
  if (spec.priority === undefined || spec.priority === null) {
    if (!pcn) spec.priority = 0;
    else if (pcn in systemPriorities) spec.priority = systemPriorities[pcn];
  }
  setIfAbsent(spec, 'preemptionPolicy', 'PreemptLowerPriority');
}

/** qos.ComputePodQOS from container requests and limits (cpu and memory only). */
export function computePodQOS(pod: KubeObject): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const spec = obj((pod as unknown as Obj).spec) ?? {};
  const requests = new Map<string, Quantity>();
  const limits = new Map<string, Quantity>();
  let guaranteed = true;
  for (const c of [...objs(spec.containers), ...objs(spec.initContainers)]) {
    const r = obj(c.resources) ?? {};
    for (const [name, raw] of Object.entries(obj(r.requests) ?? {})) {
      const q = parseQuantity(typeof raw === 'number' ? raw : String(raw));
      if ((name === 'cpu' || name === 'memory') && typeof q !== 'string' && q.sign > 0) {
        requests.set(name, addQuantities(requests.get(name), q));
      }
    }
    const found = new Set<string>();
    for (const [name, raw] of Object.entries(obj(r.limits) ?? {})) {
      const q = parseQuantity(typeof raw === 'number' ? raw : String(raw));
      if ((name === 'cpu' || name === 'memory') && typeof q !== 'string' && q.sign > 0) {
        found.add(name);
        limits.set(name, addQuantities(limits.get(name), q));
      }
    }
    if (!found.has('cpu') || !found.has('memory')) guaranteed = false;
  }
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  if (guaranteed) {
    for (const [name, req] of requests) {
      const lim = limits.get(name);
      if (!lim || compareQuantities(lim, req) !== 0) guaranteed = false;
    }
  }
  return guaranteed && requests.size === limits.size ? 'Guaranteed' : 'Burstable';
}

/** NormalizeClusterIPs: keep spec.clusterIP and spec.clusterIPs consistent. */
function normalizeClusterIPs(spec: Obj, oldSpec: Obj | undefined): void {
  const ip = str(spec.clusterIP) ?? '';
  const ips = strs(spec.clusterIPs);
  if (!oldSpec) {
    if (ip && !ips.length) spec.clusterIPs = [ip];
    return;
  }
  const oldIP = str(oldSpec.clusterIP) ?? '';
  const oldIPs = strs(oldSpec.clusterIPs);
  if (oldIPs.length && !ips.length && oldIP === ip) spec.clusterIPs = oldIPs;
  if (oldIP !== ip) {
    const same = sameList(strs(spec.clusterIPs), oldIPs);
    if (oldIP && !ip) {
      if (same) delete spec.clusterIPs;
    } else if (same) spec.clusterIPs = [ip];
  }
}

function sameList(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * Strategy and admission changes made on create, after applyDefaults and after the API server has
 * set metadata.name and metadata.uid: Namespace finalizer and phase, Pod status (Pending, QoS
 * class) with ServiceAccount/Priority/DefaultTolerationSeconds admission, Job selector generation
 * and Service clusterIPs normalization.
 */
export function prepareForCreate(object: KubeObject): void {
  const o = object as unknown as Obj;
  switch (`${groupOf(object.apiVersion)}/${object.kind}`) {
    case '/Namespace': {
      const spec = ensureObj(o, 'spec');
      const finalizers = strs(spec.finalizers);
      if (!finalizers.includes('kubernetes')) spec.finalizers = [...finalizers, 'kubernetes'];
      o.status = { phase: 'Active' };
      break;
    }
    case '/Pod':
      podAdmissionDefaults(object);
      defaultTolerationSeconds(object);
      o.status = { phase: 'Pending', qosClass: computePodQOS(object) };
      break;
    case 'batch/Job':
      jobSelectorDefaults(object);
      break;
    case '/Service':
      normalizeClusterIPs(ensureObj(o, 'spec'), undefined);
      break;
    default:
  }
}

/**
 * Strategy changes made on update: Namespace spec.finalizers only change through /finalize;
 * Services keep their allocated clusterIPs, nodePorts and healthCheckNodePort when a client
 * leaves them out (patchAllocatedValues) and keep clusterIP/clusterIPs consistent.
 */
export function prepareForUpdate(newObject: KubeObject, oldObject: KubeObject): void {
  const n = newObject as unknown as Obj;
  const o = oldObject as unknown as Obj;
  switch (`${groupOf(newObject.apiVersion)}/${newObject.kind}`) {
    case '/Namespace': {
      const oldFinalizers = obj(o.spec)?.finalizers;
      const spec = ensureObj(n, 'spec');
      if (oldFinalizers === undefined) delete spec.finalizers;
      else spec.finalizers = clone(oldFinalizers);
      break;
    }
    case '/Service': {
      const spec = ensureObj(n, 'spec');
      const oldSpec = obj(o.spec) ?? {};
      const needsIP = (t: unknown): boolean => t !== 'ExternalName';
      if (needsIP(spec.type) && needsIP(oldSpec.type)) {
        if (!str(spec.clusterIP) && str(oldSpec.clusterIP)) {
          spec.clusterIP = oldSpec.clusterIP;
          if (!strs(spec.clusterIPs).length) spec.clusterIPs = clone(oldSpec.clusterIPs);
        }
        const needsNodePorts = (t: unknown): boolean => t === 'NodePort' || t === 'LoadBalancer';
        if (needsNodePorts(spec.type) && needsNodePorts(oldSpec.type)) {
          const oldPorts = objs(oldSpec.ports);
          for (const port of objs(spec.ports)) {
            if (num(port.nodePort)) continue;
            const match =
              oldPorts.find(
                (p) => p.name === port.name && p.port === port.port && p.protocol === port.protocol,
              ) ?? oldPorts.find((p) => p.port === port.port && p.protocol === port.protocol);
            if (match && num(match.nodePort)) port.nodePort = match.nodePort;
          }
        }
        if (
          spec.externalTrafficPolicy === 'Local' &&
          oldSpec.externalTrafficPolicy === 'Local' &&
          !num(spec.healthCheckNodePort)
        ) {
          setIfAbsent(spec, 'healthCheckNodePort', oldSpec.healthCheckNodePort);
        }
        if (!strs(spec.ipFamilies).length && strs(oldSpec.ipFamilies).length)
          spec.ipFamilies = clone(oldSpec.ipFamilies);
      }
      normalizeClusterIPs(spec, oldSpec);
      break;
    }
    default:
  }
}
