// These tests edit free-form object JSON, so they read and write it untyped.
/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment */
import { describe, it, expect } from 'vitest';
import type { KubeObject } from '../../api/types.ts';
import { invalid } from '../../api/status.ts';
import { applyDefaults, prepareForCreate } from './defaults.ts';
import { validateCreate, validateUpdate } from './validate.ts';

type Any = Record<string, any>;

/** Defaults, system fields and create-time preparation, as the API server applies them. */
function created(o: Any): KubeObject & Any {
  const k = structuredClone(o) as KubeObject & Any;
  applyDefaults(k);
  k.metadata.uid ??= 'uid-1';
  k.metadata.resourceVersion ??= '1';
  k.metadata.creationTimestamp ??= '2024-01-01T00:00:00Z';
  prepareForCreate(k);
  return k;
}

function errorsOf(o: Any): string[] {
  return validateCreate(created(o)).map((e) => `${e.field}: ${e.message}`);
}

function updateErrors(next: KubeObject & Any, old: KubeObject & Any): string[] {
  applyDefaults(next);
  return validateUpdate(next, old).map((e) => `${e.field}: ${e.message}`);
}

const pod = (spec: Any, meta: Any = {}): Any => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'default', ...meta },
  spec,
});

describe('ObjectMeta', () => {
  it('requires a name and checks it, labels and annotations', () => {
    expect(errorsOf(pod({ containers: [{ name: 'c', image: 'i' }] }, { name: undefined }))).toEqual(
      ['metadata.name: Required value: name or generateName is required'],
    );
    const errs = errorsOf(
      pod(
        { containers: [{ name: 'c', image: 'i' }] },
        { labels: { 'bad key!': 'v' }, annotations: { a: 'x'.repeat(262145) } },
      ),
    );
    expect(errs).toContain(
      "metadata.labels: Invalid value: \"bad key!\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
    );
    expect(errs).toContain('metadata.annotations: Too long: may not be more than 262144 bytes');
  });

  it('validates owner references and finalizers', () => {
    const errs = errorsOf(
      pod(
        { containers: [{ name: 'c', image: 'i' }] },
        {
          ownerReferences: [
            { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'a', uid: '1', controller: true },
            { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'b', uid: '', controller: true },
          ],
          finalizers: ['custom'],
        },
      ),
    );
    expect(errs).toContain('metadata.ownerReferences.uid: Invalid value: "": must not be empty');
    expect(
      errs.find((e) => e.includes('Only one reference can have Controller set to true')),
    ).toContain('Found "true" in references for ReplicaSet/a and ReplicaSet/b');
    expect(errs).toContain(
      'metadata.finalizers[0]: Invalid value: "custom": name is neither a standard finalizer name nor is it fully qualified',
    );
  });

  it('forbids namespace on cluster-scoped kinds and checks immutable fields on update', () => {
    expect(
      errorsOf({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'n', namespace: 'x' } }),
    ).toEqual(['metadata.namespace: Forbidden: not allowed on this type']);
    const old = created({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c', namespace: 'default' },
    });
    const next = structuredClone(old);
    next.metadata.uid = 'other';
    delete next.metadata.resourceVersion;
    expect(updateErrors(next, old)).toEqual([
      'metadata.resourceVersion: Invalid value: "": must be specified for an update',
      'metadata.uid: Invalid value: "other": field is immutable',
    ]);
  });

  it('renders the 422 message kubectl prints', () => {
    const o = created(pod({ containers: [{ name: 'c' }] }));
    expect(invalid('Pod', '', 'p', validateCreate(o)).message).toBe(
      'Pod "p" is invalid: spec.containers[0].image: Required value',
    );
  });
});

describe('Pod', () => {
  it('accepts a typical pod', () => {
    expect(
      errorsOf(
        pod({
          containers: [
            {
              name: 'web',
              image: 'nginx:1.25',
              ports: [{ name: 'http', containerPort: 80 }],
              env: [
                { name: 'A', value: '1' },
                { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
              ],
              volumeMounts: [{ name: 'data', mountPath: '/data' }],
              readinessProbe: { httpGet: { path: '/healthz', port: 'http' } },
              resources: { requests: { cpu: '100m' }, limits: { cpu: '1', memory: '128Mi' } },
            },
          ],
          volumes: [{ name: 'data', emptyDir: {} }],
        }),
      ),
    ).toEqual([]);
  });

  it('reports container problems at their paths', () => {
    const errs = errorsOf(
      pod({
        containers: [
          { name: 'Web', image: 'nginx', ports: [{ containerPort: 70000, protocol: 'ICMP' }] },
          {
            name: 'Web',
            image: 'nginx',
            env: [{ name: 'A=B' }],
            volumeMounts: [{ name: 'missing', mountPath: '/m' }],
          },
        ],
      }),
    );
    expect(errs).toContain(
      "spec.containers[0].name: Invalid value: \"Web\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
    );
    expect(errs).toContain('spec.containers[1].name: Duplicate value: "Web"');
    expect(errs).toContain(
      'spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive',
    );
    expect(errs).toContain(
      'spec.containers[0].ports[0].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"',
    );
    expect(errs).toContain(
      'spec.containers[1].env[0].name: Invalid value: "A=B": a valid environment variable name must consist only of printable ASCII characters other than \'=\'',
    );
    expect(errs).toContain('spec.containers[1].volumeMounts[0].name: Not found: "missing"');
  });

  it('requires containers and checks restartPolicy, volumes and resources', () => {
    expect(errorsOf(pod({}))).toEqual(['spec.containers: Required value']);
    const errs = errorsOf(
      pod({
        restartPolicy: 'Sometimes',
        volumes: [
          { name: 'v', emptyDir: {} },
          { name: 'v', emptyDir: {} },
          { name: 'w', emptyDir: {}, hostPath: { path: '/x' } },
        ],
        containers: [
          {
            name: 'c',
            image: 'i',
            resources: { requests: { memory: '2Gi' }, limits: { memory: '1Gi' } },
          },
        ],
      }),
    );
    expect(errs).toContain(
      'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
    );
    expect(errs).toContain('spec.volumes[1].name: Duplicate value: "v"');
    expect(errs).toContain(
      'spec.volumes[2].hostPath: Forbidden: may not specify more than 1 volume type',
    );
    expect(errs).toContain(
      'spec.containers[0].resources.requests: Invalid value: "2Gi": must be less than or equal to memory limit of 1Gi',
    );
  });

  it('checks probes and tolerations', () => {
    const errs = errorsOf(
      pod({
        containers: [
          {
            name: 'c',
            image: 'i',
            livenessProbe: { successThreshold: 2, exec: { command: ['true'] } },
            startupProbe: {},
          },
        ],
        tolerations: [{ operator: 'Equal', value: 'x' }],
      }),
    );
    expect(errs).toContain(
      'spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1',
    );
    expect(errs).toContain(
      'spec.containers[0].startupProbe: Required value: must specify a handler type',
    );
    expect(errs).toContain(
      'spec.tolerations[0].operator: Invalid value: "Equal": operator must be Exists when `key` is empty, which means "match all values and all keys"',
    );
  });

  it('allows only image, activeDeadlineSeconds and toleration additions on update', () => {
    const old = created(pod({ containers: [{ name: 'c', image: 'busybox:1' }] }));
    const imageOnly = structuredClone(old);
    imageOnly.spec.containers[0].image = 'busybox:2';
    expect(updateErrors(imageOnly, old)).toEqual([]);
    const changed = structuredClone(old);
    changed.spec.containers[0].command = ['sh'];
    const errs = updateErrors(changed, old);
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatch(
      /^spec: Forbidden: pod updates may not change fields other than `spec.containers\[\*\].image`,`spec.initContainers\[\*\].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` \(only additions to existing tolerations\),`spec.terminationGracePeriodSeconds` \(allow it to be set to 1 if it was previously negative\)\n/,
    );
    expect(errs[0]).toContain('containers[0].command');
    const removed = structuredClone(old);
    removed.spec.tolerations = [];
    expect(updateErrors(removed, old)).toEqual([
      'spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds',
    ]);
  });
});

describe('Service', () => {
  const svc = (spec: Any, name = 'web'): Any => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'default' },
    spec,
  });

  it('requires ports, names for several ports and valid values', () => {
    expect(errorsOf(svc({ selector: { app: 'a' } }))).toEqual(['spec.ports: Required value']);
    expect(errorsOf(svc({ ports: [{ port: 80 }, { port: 81 }] }))).toEqual([
      'spec.ports[0].name: Required value',
      'spec.ports[1].name: Required value',
    ]);
    const errs = errorsOf(svc({ type: 'Magic', ports: [{ port: 0, protocol: 'TCP' }] }));
    expect(errs).toContain(
      'spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive',
    );
    expect(errs).toContain(
      'spec.type: Unsupported value: "Magic": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"',
    );
  });

  it('uses DNS-1035 names and checks node ports', () => {
    expect(errorsOf(svc({ ports: [{ port: 80 }] }, '1web'))[0]).toMatch(
      /^metadata.name: Invalid value: "1web": a DNS-1035 label/,
    );
    expect(errorsOf(svc({ ports: [{ port: 80, nodePort: 30001 }] }))).toEqual([
      "spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'",
    ]);
    expect(errorsOf(svc({ type: 'NodePort', ports: [{ port: 80, nodePort: 8080 }] }))).toEqual([
      'spec.ports[0].nodePort: Invalid value: 8080: provided port is not in the valid range. The range of valid ports is 30000-32767',
    ]);
  });

  it('keeps clusterIP immutable', () => {
    const old = created(svc({ clusterIP: '10.96.0.5', ports: [{ port: 80 }] }));
    expect(old.spec.clusterIPs).toEqual(['10.96.0.5']);
    const next = structuredClone(old);
    next.spec.clusterIP = '10.96.0.6';
    next.spec.clusterIPs = ['10.96.0.6'];
    expect(updateErrors(next, old)).toEqual([
      'spec.clusterIPs[0]: Invalid value: ["10.96.0.6"]: may not change once set',
    ]);
  });

  it('validates ExternalName services', () => {
    expect(errorsOf(svc({ type: 'ExternalName', externalName: 'db.example.com.' }))).toEqual([]);
    expect(errorsOf(svc({ type: 'ExternalName' }))).toEqual(['spec.externalName: Required value']);
  });
});

describe('ConfigMap and Secret', () => {
  it('checks keys and immutability', () => {
    const cm = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c', namespace: 'd' },
      data: { 'bad/key': 'v' },
    };
    expect(errorsOf(cm)[0]).toMatch(
      /^data\[bad\/key\]: Invalid value: "bad\/key": a valid config key must consist of alphanumeric characters, '-', '_' or '.' \(e.g. 'key.name', {2}or 'KEY_NAME', {2}or 'key-name', regex used for validation is '\[-._a-zA-Z0-9\]\+'\)$/,
    );
    const old = created({ ...cm, data: { k: 'v' }, immutable: true });
    const next = structuredClone(old);
    next.data.k = 'w';
    expect(updateErrors(next, old)).toEqual([
      'data: Forbidden: field is immutable when `immutable` is set',
    ]);
  });

  it('checks secret types and size', () => {
    const tls = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's', namespace: 'd' },
      type: 'kubernetes.io/tls',
      data: {},
    };
    expect(errorsOf(tls)).toEqual([
      'data[tls.crt]: Required value',
      'data[tls.key]: Required value',
    ]);
    const big = { ...tls, type: 'Opaque', data: { a: 'A'.repeat(1400000) } };
    expect(errorsOf(big)).toEqual(['data: Too long: may not be more than 1048576 bytes']);
    const old = created({ ...tls, type: 'Opaque', data: {} });
    const next = structuredClone(old);
    next.type = 'kubernetes.io/basic-auth';
    next.data = { username: 'dQ==' };
    expect(updateErrors(next, old)).toEqual([
      'type: Invalid value: "kubernetes.io/basic-auth": field is immutable',
    ]);
  });
});

describe('Namespace, Node, PV, PVC', () => {
  it('uses DNS labels for namespaces', () => {
    expect(errorsOf({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'my.ns' } })).toEqual([
      'metadata.name: Invalid value: "my.ns": must not contain dots',
    ]);
  });

  it('validates node taints', () => {
    const errs = errorsOf({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'n1' },
      spec: { taints: [{ key: 'k', effect: 'Sometimes' }] },
    });
    expect(errs).toEqual([
      'metadata.taints[0].effect: Unsupported value: "Sometimes": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"',
    ]);
  });

  it('requires access modes and storage on claims, and keeps their spec immutable', () => {
    const pvc = {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'c', namespace: 'd' },
      spec: {},
    };
    expect(errorsOf(pvc)).toEqual([
      'spec.accessModes: Required value: at least 1 access mode is required',
      'spec.resources[storage]: Required value',
    ]);
    const old = created({
      ...pvc,
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
    });
    const grow = structuredClone(old);
    grow.spec.resources.requests.storage = '2Gi';
    expect(updateErrors(grow, old)[0]).toMatch(
      /^spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims\n/,
    );
    old.status = { phase: 'Bound', capacity: { storage: '1Gi' } };
    grow.status = old.status;
    expect(updateErrors(grow, old)).toEqual([]);
    const bind = structuredClone(old);
    bind.spec.volumeName = 'pv-1';
    expect(updateErrors(bind, old)).toEqual([]);
  });

  it('validates persistent volumes', () => {
    const pv = {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: 'pv' },
      spec: { accessModes: ['ReadWriteOnce'], capacity: { storage: '1Gi' } },
    };
    expect(errorsOf(pv)).toEqual(['spec: Required value: must specify a volume type']);
    expect(errorsOf({ ...pv, spec: { ...pv.spec, hostPath: { path: '/data' } } })).toEqual([]);
  });
});

describe('LimitRange, ResourceQuota, Endpoints, Events', () => {
  it('compares LimitRange bounds', () => {
    const errs = errorsOf({
      apiVersion: 'v1',
      kind: 'LimitRange',
      metadata: { name: 'l', namespace: 'd' },
      spec: { limits: [{ type: 'Container', min: { cpu: '2' }, max: { cpu: '1' } }] },
    });
    expect(errs).toContain(
      'spec.limits[0].min[cpu]: Invalid value: "2": min value 2 is greater than max value 1',
    );
  });

  it('checks quota resource names', () => {
    expect(
      errorsOf({
        apiVersion: 'v1',
        kind: 'ResourceQuota',
        metadata: { name: 'q', namespace: 'd' },
        spec: { hard: { widgets: '1', pods: '1.5' } },
      }),
    ).toEqual([
      'spec.hard[widgets]: Invalid value: "widgets": must be a standard resource type or fully qualified',
      'spec.hard[widgets]: Invalid value: "widgets": must be a standard resource for quota',
      'spec.hard[pods]: Invalid value: "1500m": must be an integer',
    ]);
  });

  it('checks endpoint addresses', () => {
    expect(
      errorsOf({
        apiVersion: 'v1',
        kind: 'Endpoints',
        metadata: { name: 'e', namespace: 'd' },
        subsets: [{ addresses: [{ ip: '127.0.0.1' }], ports: [{ port: 80 }] }],
      }),
    ).toEqual([
      'subsets[0].addresses[0].ip: Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)',
    ]);
  });

  it('applies legacy rules to core events and strict rules to events.k8s.io', () => {
    const core = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'x.1', namespace: 'd' },
      involvedObject: { namespace: 'other' },
    };
    expect(errorsOf(core)).toEqual([
      'involvedObject.namespace: Invalid value: "other": does not match event.namespace',
    ]);
    const ev = {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name: 'x.1', namespace: 'd' },
      eventTime: '2024-01-01T00:00:00.000000Z',
      regarding: { namespace: 'd' },
      reportingController: 'skiff/kubelet',
      reportingInstance: 'n1',
      action: 'Started',
      reason: 'Started',
      type: 'Odd',
    };
    expect(errorsOf(ev)).toEqual(['type: Invalid value: "": has invalid value: Odd']);
  });
});
