import { describe, expect, it } from 'vitest';
import { StatusError } from '../../api/status.ts';
import type { KubeObject } from '../../api/types.ts';
import { parseIncludeObject, tableFor } from './columns.ts';
import type { TableOptions } from './columns.ts';

const NOW = Date.parse('2025-06-01T12:00:00Z');
const options: TableOptions = { now: new Date(NOW), includeObject: 'Metadata' };

/** A Kubernetes timestamp `ms` milliseconds before NOW. */
function ago(ms: number): string {
  return new Date(NOW - ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
const sec = 1000;
const min = 60 * sec;
const hour = 60 * min;
const day = 24 * hour;

function names(kind: string, group: string): string[] {
  return tableFor(kind, group, [], options).columnDefinitions.map((c) => c.name);
}

function cells(kind: string, group: string, object: KubeObject): unknown[] {
  return tableFor(kind, group, [object], options).rows[0].cells;
}

function pod(status: Record<string, unknown>, extra: Partial<KubeObject> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'web-6c9d8f7b5-x2x4q',
      namespace: 'default',
      creationTimestamp: ago(10 * min),
    },
    spec: { nodeName: 'skiff', containers: [{ name: 'app', image: 'nginx:1.27' }] },
    status,
    ...extra,
  };
}

describe('Pod table', () => {
  it('has kubectl columns, wide ones at priority 1, Name formatted as a name', () => {
    const { columnDefinitions } = tableFor('Pod', '', [], options);
    expect(columnDefinitions.map((c) => [c.name, c.type, c.priority])).toEqual([
      ['Name', 'string', 0],
      ['Ready', 'string', 0],
      ['Status', 'string', 0],
      ['Restarts', 'string', 0],
      ['Age', 'string', 0],
      ['IP', 'string', 1],
      ['Node', 'string', 1],
      ['Nominated Node', 'string', 1],
      ['Readiness Gates', 'string', 1],
    ]);
    expect(columnDefinitions[0].format).toBe('name');
    expect(columnDefinitions[1].format).toBe('');
  });

  it('shows a crash-looping pod with its restarts and the time of the last one', () => {
    const p = pod({
      phase: 'Running',
      podIPs: [{ ip: '10.244.0.12' }],
      conditions: [{ type: 'Ready', status: 'False' }],
      containerStatuses: [
        {
          name: 'app',
          ready: false,
          restartCount: 5,
          state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 2m40s' } },
          lastState: {
            terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(3 * min + 20 * sec) },
          },
        },
      ],
    });
    expect(cells('Pod', '', p)).toEqual([
      'web-6c9d8f7b5-x2x4q',
      '0/1',
      'CrashLoopBackOff',
      '5 (3m20s ago)',
      '10m',
      '10.244.0.12',
      'skiff',
      '<none>',
      '<none>',
    ]);
  });

  it('shows a running, ready pod', () => {
    const p = pod({
      phase: 'Running',
      podIP: '10.244.0.13',
      conditions: [{ type: 'Ready', status: 'True' }],
      containerStatuses: [{ name: 'app', ready: true, restartCount: 0, state: { running: {} } }],
    });
    expect(cells('Pod', '', p).slice(1, 6)).toEqual(['1/1', 'Running', '0', '10m', '10.244.0.13']);
  });

  it('shows waiting reasons such as ContainerCreating, and the phase before any status', () => {
    const creating = pod({
      phase: 'Pending',
      containerStatuses: [
        {
          name: 'app',
          ready: false,
          restartCount: 0,
          state: { waiting: { reason: 'ContainerCreating' } },
        },
      ],
    });
    expect(cells('Pod', '', creating).slice(1, 4)).toEqual(['0/1', 'ContainerCreating', '0']);
    const pending = pod({ phase: 'Pending' }, { spec: { containers: [{ name: 'app' }] } });
    expect(cells('Pod', '', pending).slice(1, 3)).toEqual(['0/1', 'Pending']);
    expect(cells('Pod', '', pending)[6]).toBe('<none>');
  });

  it('shows Completed pods and marks the row condition', () => {
    const done = pod({
      phase: 'Succeeded',
      containerStatuses: [
        {
          name: 'app',
          ready: false,
          restartCount: 0,
          state: { terminated: { exitCode: 0, reason: 'Completed' } },
        },
      ],
    });
    const row = tableFor('Pod', '', [done], options).rows[0];
    expect(row.cells.slice(1, 3)).toEqual(['0/1', 'Completed']);
    expect(row.conditions).toEqual([
      {
        type: 'Completed',
        status: 'True',
        reason: 'Succeeded',
        message: 'The pod has completed successfully.',
      },
    ]);
  });

  it('prefers the error of a failed container over a sibling that completed', () => {
    const failed = pod(
      {
        phase: 'Failed',
        containerStatuses: [
          { name: 'a', state: { terminated: { exitCode: 0, reason: 'Completed' } } },
          { name: 'b', state: { terminated: { exitCode: 1, reason: 'Error' } } },
        ],
      },
      { spec: { containers: [{ name: 'a' }, { name: 'b' }] } },
    );
    expect(cells('Pod', '', failed)[2]).toBe('Error');
    const signalled = pod({
      phase: 'Failed',
      containerStatuses: [{ name: 'app', state: { terminated: { exitCode: 137, signal: 9 } } }],
    });
    expect(cells('Pod', '', signalled)[2]).toBe('Signal:9');
  });

  it('shows init progress, init failures and counts ready sidecars', () => {
    const spec = {
      initContainers: [{ name: 'migrate' }, { name: 'seed' }],
      containers: [{ name: 'app' }],
    };
    const initializing = pod(
      {
        phase: 'Pending',
        initContainerStatuses: [
          { name: 'migrate', state: { terminated: { exitCode: 0, reason: 'Completed' } } },
          { name: 'seed', state: { running: {} } },
        ],
        containerStatuses: [{ name: 'app', state: { waiting: { reason: 'PodInitializing' } } }],
      },
      { spec },
    );
    expect(cells('Pod', '', initializing).slice(1, 3)).toEqual(['0/1', 'Init:1/2']);

    const crashing = pod(
      {
        phase: 'Pending',
        initContainerStatuses: [
          { name: 'migrate', restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff' } } },
        ],
      },
      { spec },
    );
    expect(cells('Pod', '', crashing).slice(2, 4)).toEqual(['Init:CrashLoopBackOff', '3']);

    const exited = pod(
      {
        phase: 'Pending',
        initContainerStatuses: [{ name: 'migrate', state: { terminated: { exitCode: 2 } } }],
      },
      { spec },
    );
    expect(cells('Pod', '', exited)[2]).toBe('Init:ExitCode:2');

    const sidecar = pod(
      {
        phase: 'Running',
        conditions: [
          { type: 'Initialized', status: 'True' },
          { type: 'Ready', status: 'True' },
        ],
        initContainerStatuses: [
          { name: 'proxy', started: true, ready: true, restartCount: 1, state: { running: {} } },
        ],
        containerStatuses: [{ name: 'app', ready: true, state: { running: {} } }],
      },
      {
        spec: {
          initContainers: [{ name: 'proxy', restartPolicy: 'Always' }],
          containers: [{ name: 'app' }],
        },
      },
    );
    expect(cells('Pod', '', sidecar).slice(1, 4)).toEqual(['2/2', 'Running', '1']);
  });

  it('shows Terminating, Unknown, SchedulingGated and readiness gates', () => {
    const running = {
      phase: 'Running',
      containerStatuses: [{ name: 'app', ready: true, state: { running: {} } }],
    };
    const deleting = pod(running, {
      metadata: { name: 'p', creationTimestamp: ago(hour), deletionTimestamp: ago(-30 * sec) },
    });
    expect(cells('Pod', '', deleting)[2]).toBe('Terminating');
    const lost = pod(
      { ...running, reason: 'NodeLost' },
      { metadata: { name: 'p', deletionTimestamp: ago(0) } },
    );
    expect(cells('Pod', '', lost)[2]).toBe('Unknown');
    const gated = pod({
      phase: 'Pending',
      conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }],
    });
    expect(cells('Pod', '', gated)[2]).toBe('SchedulingGated');
    const gates = pod(
      { phase: 'Running', conditions: [{ type: 'example.com/lb', status: 'True' }] },
      {
        spec: {
          containers: [],
          readinessGates: [{ conditionType: 'example.com/lb' }, { conditionType: 'x/y' }],
        },
      },
    );
    expect(cells('Pod', '', gates)[8]).toBe('1/2');
  });
});

describe('row objects', () => {
  const cm: KubeObject = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'cfg', namespace: 'default', labels: { app: 'web' } },
    data: { a: '1' },
  };

  it('carries PartialObjectMetadata by default, the object on request, nothing for None', () => {
    expect(tableFor('ConfigMap', '', [cm], options).rows[0].object).toEqual({
      kind: 'PartialObjectMetadata',
      apiVersion: 'meta.k8s.io/v1',
      metadata: cm.metadata,
    });
    expect(
      tableFor('ConfigMap', '', [cm], { ...options, includeObject: 'Object' }).rows[0].object,
    ).toBe(cm);
    expect(
      'object' in tableFor('ConfigMap', '', [cm], { ...options, includeObject: 'None' }).rows[0],
    ).toBe(false);
  });

  it('keeps the initial-events-end bookmark as metadata even for includeObject=Object', () => {
    const bookmark: KubeObject = {
      ...cm,
      metadata: { resourceVersion: '42', annotations: { 'k8s.io/initial-events-end': 'true' } },
    };
    const row = tableFor('ConfigMap', '', [bookmark], { ...options, includeObject: 'Object' })
      .rows[0];
    expect(row.object?.kind).toBe('PartialObjectMetadata');
  });

  it('parses the includeObject option and rejects unknown values', () => {
    expect(parseIncludeObject(undefined)).toBe('Metadata');
    expect(parseIncludeObject('Object')).toBe('Object');
    expect(() => parseIncludeObject('All')).toThrow(StatusError);
    expect(() => parseIncludeObject('All')).toThrow('unrecognized includeObject value: "All"');
  });
});

describe('core kinds', () => {
  it('prints a pending LoadBalancer Service with node ports', () => {
    const svc: KubeObject = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'shop', creationTimestamp: ago(2 * day + 5 * hour) },
      spec: {
        type: 'LoadBalancer',
        clusterIP: '10.96.12.7',
        clusterIPs: ['10.96.12.7'],
        selector: { app: 'web', tier: 'frontend' },
        ports: [
          { name: 'http', port: 80, targetPort: 8080, nodePort: 30080, protocol: 'TCP' },
          { name: 'dns', port: 53, nodePort: 31053, protocol: 'UDP' },
        ],
      },
      status: { loadBalancer: {} },
    };
    expect(names('Service', '')).toEqual([
      'Name',
      'Type',
      'Cluster-IP',
      'External-IP',
      'Port(s)',
      'Age',
      'Selector',
    ]);
    expect(cells('Service', '', svc)).toEqual([
      'web',
      'LoadBalancer',
      '10.96.12.7',
      '<pending>',
      '80:30080/TCP,53:31053/UDP',
      '2d5h',
      'app=web,tier=frontend',
    ]);
    const ready = { ...svc, status: { loadBalancer: { ingress: [{ ip: '127.0.0.1' }] } } };
    expect(cells('Service', '', ready)[3]).toBe('127.0.0.1');
  });

  it('prints ClusterIP, headless and ExternalName services', () => {
    const base = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'db', creationTimestamp: ago(hour) },
    };
    expect(
      cells('Service', '', {
        ...base,
        spec: { type: 'ClusterIP', clusterIP: 'None', ports: [{ port: 5432, protocol: 'TCP' }] },
      }),
    ).toEqual(['db', 'ClusterIP', 'None', '<none>', '5432/TCP', '60m', '<none>']);
    expect(
      cells('Service', '', {
        ...base,
        spec: { type: 'ExternalName', externalName: 'db.example.com' },
      }).slice(1, 5),
    ).toEqual(['ExternalName', '<none>', 'db.example.com', '<none>']);
  });

  it('prints namespaces, config maps, secrets and service accounts', () => {
    const meta = { name: 'x', creationTimestamp: ago(45 * sec) };
    expect(
      cells('Namespace', '', {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: meta,
        status: { phase: 'Active' },
      }),
    ).toEqual(['x', 'Active', '45s']);
    expect(names('ConfigMap', '')).toEqual(['Name', 'Data', 'Age']);
    expect(
      cells('ConfigMap', '', {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: meta,
        data: { a: '1', b: '2' },
        binaryData: { c: 'AA==' },
      }),
    ).toEqual(['x', 3, '45s']);
    expect(names('Secret', '')).toEqual(['Name', 'Type', 'Data', 'Age']);
    expect(
      cells('Secret', '', {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: meta,
        type: 'kubernetes.io/tls',
        data: { 'tls.crt': '', 'tls.key': '' },
      }),
    ).toEqual(['x', 'kubernetes.io/tls', 2, '45s']);
    // 1.35 dropped the SECRETS column.
    expect(names('ServiceAccount', '')).toEqual(['Name', 'Age']);
  });

  it('prints nodes with status, roles and the wide node info', () => {
    const node: KubeObject = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: 'skiff',
        creationTimestamp: ago(3 * day),
        labels: { 'node-role.kubernetes.io/control-plane': '', 'kubernetes.io/role': 'worker' },
      },
      spec: { unschedulable: true },
      status: {
        conditions: [
          { type: 'MemoryPressure', status: 'False' },
          { type: 'Ready', status: 'True' },
        ],
        addresses: [
          { type: 'InternalIP', address: '172.18.0.2' },
          { type: 'Hostname', address: 'skiff' },
        ],
        nodeInfo: {
          kubeletVersion: 'v1.35.0-skiff',
          osImage: 'Docker Desktop',
          kernelVersion: '6.10.14',
          containerRuntimeVersion: 'docker://28.1.1',
        },
      },
    };
    expect(names('Node', '')).toEqual([
      'Name',
      'Status',
      'Roles',
      'Age',
      'Version',
      'Internal-IP',
      'External-IP',
      'OS-Image',
      'Kernel-Version',
      'Container-Runtime',
    ]);
    expect(cells('Node', '', node)).toEqual([
      'skiff',
      'Ready,SchedulingDisabled',
      'control-plane,worker',
      '3d',
      'v1.35.0-skiff',
      '172.18.0.2',
      '<none>',
      'Docker Desktop',
      '6.10.14',
      'docker://28.1.1',
    ]);
    const bare: KubeObject = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n' } };
    expect(cells('Node', '', bare).slice(1, 3)).toEqual(['Unknown', '<none>']);
    expect(cells('Node', '', bare)[7]).toBe('<unknown>');
  });

  it('prints core/v1 and events.k8s.io events', () => {
    expect(names('Event', '')).toEqual([
      'Last Seen',
      'Type',
      'Reason',
      'Object',
      'Subobject',
      'Source',
      'Message',
      'First Seen',
      'Count',
      'Name',
    ]);
    const core: KubeObject = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'web.181f', namespace: 'default' },
      involvedObject: { kind: 'Pod', name: 'web', fieldPath: 'spec.containers{app}' },
      reason: 'BackOff',
      message: 'Back-off restarting failed container app\n',
      type: 'Warning',
      source: { component: 'kubelet', host: 'skiff' },
      firstTimestamp: ago(10 * min),
      lastTimestamp: ago(30 * sec),
      count: 7,
    };
    expect(cells('Event', '', core)).toEqual([
      '30s',
      'Warning',
      'BackOff',
      'pod/web',
      'spec.containers{app}',
      'kubelet, skiff',
      'Back-off restarting failed container app',
      '10m',
      7,
      'web.181f',
    ]);
    const modern: KubeObject = {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name: 'web.1820', namespace: 'default' },
      regarding: { kind: 'Deployment', name: 'web' },
      reason: 'ScalingReplicaSet',
      note: 'Scaled up replica set web-6c9d to 3',
      type: 'Normal',
      eventTime: ago(5 * min),
      reportingController: 'deployment-controller',
      series: { count: 4, lastObservedTime: ago(20 * sec) },
    };
    expect(cells('Event', 'events.k8s.io', modern)).toEqual([
      '20s',
      'Normal',
      'ScalingReplicaSet',
      'deployment/web',
      '',
      'deployment-controller',
      'Scaled up replica set web-6c9d to 3',
      '5m',
      4,
      'web.1820',
    ]);
    const singleton: KubeObject = { ...modern, series: undefined, eventTime: ago(5 * min) };
    expect(
      cells('Event', 'events.k8s.io', singleton)
        .slice(0, 1)
        .concat(cells('Event', 'events.k8s.io', singleton)[8]),
    ).toEqual(['5m', 1]);
  });

  it('prints persistent volumes and claims with canonical quantities', () => {
    const pv: KubeObject = {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: 'pvc-1', creationTimestamp: ago(hour) },
      spec: {
        capacity: { storage: '1024Mi' },
        accessModes: ['ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOnce'],
        persistentVolumeReclaimPolicy: 'Delete',
        claimRef: { namespace: 'db', name: 'data' },
        storageClassName: 'standard',
        volumeMode: 'Filesystem',
      },
      status: { phase: 'Bound' },
    };
    expect(cells('PersistentVolume', '', pv)).toEqual([
      'pvc-1',
      '1Gi',
      'RWO,RWX',
      'Delete',
      'Bound',
      'db/data',
      'standard',
      '<unset>',
      '',
      '60m',
      'Filesystem',
    ]);
    const pvc: KubeObject = {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'data', creationTimestamp: ago(hour) },
      spec: {
        volumeName: 'pvc-1',
        storageClassName: 'standard',
        resources: { requests: { storage: '1Gi' } },
      },
      status: { phase: 'Bound', capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'] },
    };
    expect(cells('PersistentVolumeClaim', '', pvc)).toEqual([
      'data',
      'Bound',
      'pvc-1',
      '1Gi',
      'RWO',
      'standard',
      '<unset>',
      '60m',
      '<unset>',
    ]);
    const pending = {
      ...pvc,
      spec: { resources: { requests: { storage: '1Gi' } } },
      status: { phase: 'Pending' },
    };
    expect(cells('PersistentVolumeClaim', '', pending).slice(1, 6)).toEqual([
      'Pending',
      '',
      '',
      '',
      '',
    ]);
  });

  it('prints resource quota usage split into requests and limits', () => {
    const quota: KubeObject = {
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: { name: 'compute', creationTimestamp: ago(5 * min) },
      status: {
        hard: { 'requests.cpu': '1', 'limits.memory': '2Gi', pods: '10', 'requests.memory': '1Gi' },
        used: { 'requests.cpu': '250m', 'limits.memory': '512Mi', pods: '3' },
      },
    };
    expect(names('ResourceQuota', '')).toEqual(['Name', 'Age', 'Request', 'Limit']);
    expect(cells('ResourceQuota', '', quota)).toEqual([
      'compute',
      '5m',
      'pods: 3/10, requests.cpu: 250m/1, requests.memory: 0/1Gi',
      'limits.memory: 512Mi/2Gi',
    ]);
  });

  it('prints endpoints, at most three addresses', () => {
    const ep: KubeObject = {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: 'web', creationTimestamp: ago(min) },
      subsets: [
        {
          addresses: [
            { ip: '10.0.0.1' },
            { ip: '10.0.0.2' },
            { ip: 'fd00::3' },
            { ip: '10.0.0.4' },
          ],
          ports: [{ port: 8080, protocol: 'TCP' }],
        },
      ],
    };
    expect(cells('Endpoints', '', ep)).toEqual([
      'web',
      '10.0.0.1:8080,10.0.0.2:8080,[fd00::3]:8080 + 1 more...',
      '60s',
    ]);
    expect(cells('Endpoints', '', { ...ep, subsets: [] })[1]).toBe('<none>');
  });
});

describe('workload kinds', () => {
  const template = {
    metadata: { labels: { app: 'web' } },
    spec: {
      containers: [
        { name: 'app', image: 'nginx:1.27' },
        { name: 'log', image: 'busybox' },
      ],
    },
  };

  it('prints a Deployment that is 2/3 ready', () => {
    const deploy: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'shop', creationTimestamp: ago(90 * sec) },
      spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template },
      status: { replicas: 3, updatedReplicas: 3, readyReplicas: 2, availableReplicas: 2 },
    };
    expect(names('Deployment', 'apps')).toEqual([
      'Name',
      'Ready',
      'Up-to-date',
      'Available',
      'Age',
      'Containers',
      'Images',
      'Selector',
    ]);
    expect(
      tableFor('Deployment', 'apps', [], options)
        .columnDefinitions.slice(5)
        .every((c) => c.priority === 1),
    ).toBe(true);
    expect(cells('Deployment', 'apps', deploy)).toEqual([
      'web',
      '2/3',
      3,
      2,
      '90s',
      'app,log',
      'nginx:1.27,busybox',
      'app=web',
    ]);
    expect(cells('Deployment', 'apps', { ...deploy, status: {} }).slice(1, 4)).toEqual([
      '0/3',
      0,
      0,
    ]);
  });

  it('prints ReplicaSets, StatefulSets and DaemonSets', () => {
    const rs: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: 'web-6c9d', creationTimestamp: ago(hour) },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'web', 'pod-template-hash': '6c9d' } },
        template,
      },
      status: { replicas: 3, readyReplicas: 1 },
    };
    expect(cells('ReplicaSet', 'apps', rs)).toEqual([
      'web-6c9d',
      3,
      3,
      1,
      '60m',
      'app,log',
      'nginx:1.27,busybox',
      'app=web,pod-template-hash=6c9d',
    ]);
    const sts: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'db' },
      spec: { replicas: 2, template },
      status: { readyReplicas: 2 },
    };
    expect(cells('StatefulSet', 'apps', sts)).toEqual([
      'db',
      '2/2',
      '<unknown>',
      'app,log',
      'nginx:1.27,busybox',
    ]);
    const ds: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'agent', creationTimestamp: ago(day) },
      spec: {
        selector: { matchLabels: { app: 'agent' } },
        template: {
          spec: {
            nodeSelector: { 'kubernetes.io/os': 'linux' },
            containers: [{ name: 'a', image: 'agent:1' }],
          },
        },
      },
      status: {
        desiredNumberScheduled: 3,
        currentNumberScheduled: 3,
        numberReady: 2,
        updatedNumberScheduled: 3,
        numberAvailable: 2,
      },
    };
    expect(names('DaemonSet', 'apps').slice(0, 8)).toEqual([
      'Name',
      'Desired',
      'Current',
      'Ready',
      'Up-to-date',
      'Available',
      'Node Selector',
      'Age',
    ]);
    expect(cells('DaemonSet', 'apps', ds)).toEqual([
      'agent',
      3,
      3,
      2,
      3,
      2,
      'kubernetes.io/os=linux',
      '24h',
      'a',
      'agent:1',
      'app=agent',
    ]);
  });

  it('prints a completed Job with its duration, and a running parallel one', () => {
    const job: KubeObject = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'pi', namespace: 'default', creationTimestamp: ago(5 * min) },
      spec: {
        completions: 1,
        parallelism: 1,
        selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': '6f1c' } },
        template: { spec: { containers: [{ name: 'pi', image: 'perl:5.34' }] } },
      },
      status: {
        startTime: ago(5 * min),
        completionTime: ago(5 * min - 25 * sec),
        succeeded: 1,
        conditions: [
          { type: 'SuccessCriteriaMet', status: 'True' },
          { type: 'Complete', status: 'True' },
        ],
      },
    };
    expect(names('Job', 'batch')).toEqual([
      'Name',
      'Status',
      'Completions',
      'Duration',
      'Age',
      'Containers',
      'Images',
      'Selector',
    ]);
    expect(cells('Job', 'batch', job)).toEqual([
      'pi',
      'Complete',
      '1/1',
      '25s',
      '5m',
      'pi',
      'perl:5.34',
      'batch.kubernetes.io/controller-uid=6f1c',
    ]);
    const running: KubeObject = {
      ...job,
      spec: { parallelism: 3, template: { spec: { containers: [] } } },
      status: { startTime: ago(3 * min + 20 * sec), active: 3 },
    };
    expect(cells('Job', 'batch', running).slice(1, 4)).toEqual(['Running', '0/1 of 3', '3m20s']);
    const failed = { ...job, status: { conditions: [{ type: 'Failed', status: 'True' }] } };
    expect(cells('Job', 'batch', failed).slice(1, 4)).toEqual(['Failed', '0/1', '']);
    const suspended = { ...job, status: { conditions: [{ type: 'Suspended', status: 'True' }] } };
    expect(cells('Job', 'batch', suspended)[1]).toBe('Suspended');
  });

  it('prints CronJobs', () => {
    const cj: KubeObject = {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'backup', creationTimestamp: ago(2 * day) },
      spec: {
        schedule: '*/5 * * * *',
        suspend: false,
        jobTemplate: {
          spec: { template: { spec: { containers: [{ name: 'b', image: 'backup:2' }] } } },
        },
      },
      status: { active: [{ name: 'backup-1' }], lastScheduleTime: ago(2 * min) },
    };
    expect(names('CronJob', 'batch').slice(0, 7)).toEqual([
      'Name',
      'Schedule',
      'Timezone',
      'Suspend',
      'Active',
      'Last Schedule',
      'Age',
    ]);
    expect(cells('CronJob', 'batch', cj)).toEqual([
      'backup',
      '*/5 * * * *',
      '<none>',
      'False',
      1,
      '2m',
      '2d',
      'b',
      'backup:2',
      '<none>',
    ]);
    expect(
      cells('CronJob', 'batch', { ...cj, spec: { schedule: '@daily' }, status: {} }).slice(3, 6),
    ).toEqual(['<unset>', 0, '<none>']);
  });

  it('prints HPAs from both autoscaling/v2 and autoscaling/v1 objects', () => {
    const v2: KubeObject = {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'web', creationTimestamp: ago(hour) },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
        minReplicas: 2,
        maxReplicas: 10,
        metrics: [
          {
            type: 'Resource',
            resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } },
          },
          {
            type: 'Resource',
            resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '1536Mi' } },
          },
          {
            type: 'Pods',
            pods: { metric: { name: 'qps' }, target: { type: 'AverageValue', averageValue: '10' } },
          },
        ],
      },
      status: {
        currentReplicas: 3,
        currentMetrics: [
          {
            type: 'Resource',
            resource: { name: 'cpu', current: { averageUtilization: 37, averageValue: '120m' } },
          },
        ],
      },
    };
    expect(names('HorizontalPodAutoscaler', 'autoscaling')).toEqual([
      'Name',
      'Reference',
      'Targets',
      'MinPods',
      'MaxPods',
      'Replicas',
      'Age',
    ]);
    expect(cells('HorizontalPodAutoscaler', 'autoscaling', v2)).toEqual([
      'web',
      'Deployment/web',
      'cpu: 37%/50%, memory: <unknown>/1536Mi + 1 more...',
      '2',
      10,
      3,
      '60m',
    ]);
    const v1: KubeObject = {
      apiVersion: 'autoscaling/v1',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'web' },
      spec: {
        scaleTargetRef: { kind: 'Deployment', name: 'web' },
        maxReplicas: 5,
        targetCPUUtilizationPercentage: 70,
      },
      status: { currentReplicas: 1 },
    };
    expect(cells('HorizontalPodAutoscaler', 'autoscaling', v1).slice(2, 4)).toEqual([
      'cpu: <unknown>/70%',
      '<unset>',
    ]);
  });

  it('prints ControllerRevisions and PodDisruptionBudgets', () => {
    const rev: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'ControllerRevision',
      metadata: {
        name: 'db-7f9c',
        creationTimestamp: ago(hour),
        ownerReferences: [
          { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'db', uid: 'u', controller: true },
        ],
      },
      revision: 2,
    };
    expect(cells('ControllerRevision', 'apps', rev)).toEqual([
      'db-7f9c',
      'statefulset.apps/db',
      2,
      '60m',
    ]);
    const pdb: KubeObject = {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: 'web', creationTimestamp: ago(hour) },
      spec: { minAvailable: '50%' },
      status: { disruptionsAllowed: 1 },
    };
    expect(cells('PodDisruptionBudget', 'policy', pdb)).toEqual(['web', '50%', 'N/A', 1, '60m']);
  });
});

describe('other groups', () => {
  it('prints Ingresses and IngressClasses', () => {
    const ing: KubeObject = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'web', creationTimestamp: ago(hour) },
      spec: {
        ingressClassName: 'skiff',
        tls: [{ hosts: ['shop.localhost'] }],
        rules: [
          { host: 'shop.localhost' },
          { host: 'api.localhost' },
          {},
          { host: 'a' },
          { host: 'b' },
        ],
      },
      status: { loadBalancer: { ingress: [{ ip: '127.0.0.1' }] } },
    };
    expect(names('Ingress', 'networking.k8s.io')).toEqual([
      'Name',
      'Class',
      'Hosts',
      'Address',
      'Ports',
      'Age',
    ]);
    expect(cells('Ingress', 'networking.k8s.io', ing)).toEqual([
      'web',
      'skiff',
      'shop.localhost,api.localhost,a + 2 more...',
      '127.0.0.1',
      '80, 443',
      '60m',
    ]);
    const plain = { ...ing, spec: { rules: [{}] }, status: {} };
    expect(cells('Ingress', 'networking.k8s.io', plain).slice(1, 5)).toEqual([
      '<none>',
      '*',
      '',
      '80',
    ]);
    const cls: KubeObject = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'IngressClass',
      metadata: { name: 'skiff' },
      spec: {
        controller: 'skiff.dev/ingress',
        parameters: { apiGroup: 'k8s.example.com', kind: 'IngressParameters', name: 'p' },
      },
    };
    expect(cells('IngressClass', 'networking.k8s.io', cls).slice(0, 3)).toEqual([
      'skiff',
      'skiff.dev/ingress',
      'IngressParameters.k8s.example.com/p',
    ]);
  });

  it('prints NetworkPolicies and EndpointSlices', () => {
    const np: KubeObject = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'deny' },
      spec: { podSelector: {} },
    };
    expect(cells('NetworkPolicy', 'networking.k8s.io', np).slice(0, 2)).toEqual(['deny', '<none>']);
    const slice: KubeObject = {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'web-abc12', creationTimestamp: ago(min) },
      addressType: 'IPv4',
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }, { name: 'metrics' }],
      endpoints: [{ addresses: ['10.0.0.1'] }, { addresses: ['10.0.0.2', '10.0.0.3', '10.0.0.4'] }],
    };
    expect(cells('EndpointSlice', 'discovery.k8s.io', slice)).toEqual([
      'web-abc12',
      'IPv4',
      '8080,metrics',
      '10.0.0.1,10.0.0.2,10.0.0.3 + 1 more...',
      '60s',
    ]);
    expect(
      cells('EndpointSlice', 'discovery.k8s.io', { ...slice, ports: [], endpoints: [] }).slice(
        2,
        4,
      ),
    ).toEqual(['<unset>', '<unset>']);
  });

  it('prints role bindings with their wide subject columns', () => {
    const rb: KubeObject = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'read', creationTimestamp: ago(hour) },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
      subjects: [
        { kind: 'User', name: 'alice' },
        { kind: 'Group', name: 'devs' },
        { kind: 'ServiceAccount', namespace: 'ci', name: 'runner' },
        { kind: 'User', name: 'bob' },
      ],
    };
    expect(names('RoleBinding', 'rbac.authorization.k8s.io')).toEqual([
      'Name',
      'Role',
      'Age',
      'Users',
      'Groups',
      'ServiceAccounts',
    ]);
    expect(cells('RoleBinding', 'rbac.authorization.k8s.io', rb)).toEqual([
      'read',
      'ClusterRole/view',
      '60m',
      'alice, bob',
      'devs',
      'ci/runner',
    ]);
    expect(
      cells('ClusterRoleBinding', 'rbac.authorization.k8s.io', {
        ...rb,
        kind: 'ClusterRoleBinding',
      })[1],
    ).toBe('ClusterRole/view');
  });

  it('marks the default StorageClass and fills in its defaults', () => {
    const sc: KubeObject = {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: {
        name: 'standard',
        creationTimestamp: ago(day),
        annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' },
      },
      provisioner: 'skiff.dev/docker-volume',
      volumeBindingMode: 'WaitForFirstConsumer',
    };
    expect(names('StorageClass', 'storage.k8s.io')).toEqual([
      'Name',
      'Provisioner',
      'ReclaimPolicy',
      'VolumeBindingMode',
      'AllowVolumeExpansion',
      'Age',
    ]);
    expect(cells('StorageClass', 'storage.k8s.io', sc)).toEqual([
      'standard (default)',
      'skiff.dev/docker-volume',
      'Delete',
      'WaitForFirstConsumer',
      false,
      '24h',
    ]);
    expect(
      cells('StorageClass', 'storage.k8s.io', {
        ...sc,
        metadata: { name: 'fast' },
        allowVolumeExpansion: true,
      })[0],
    ).toBe('fast');
  });

  it('prints Leases', () => {
    const lease: KubeObject = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'skiff', creationTimestamp: ago(day) },
      spec: { holderIdentity: 'skiff' },
    };
    expect(cells('Lease', 'coordination.k8s.io', lease)).toEqual(['skiff', 'skiff', '24h']);
  });
});

describe('default table', () => {
  it('prints NAME and CREATED AT for kinds without a printer', () => {
    const role: KubeObject = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'reader', creationTimestamp: '2025-05-01T08:30:00Z' },
    };
    for (const [kind, group] of [
      ['Role', 'rbac.authorization.k8s.io'],
      ['ClusterRole', 'rbac.authorization.k8s.io'],
      ['LimitRange', ''],
      ['CustomResourceDefinition', 'apiextensions.k8s.io'],
    ]) {
      const table = tableFor(kind, group, [role], options);
      expect(table.columnDefinitions.map((c) => [c.name, c.type, c.format])).toEqual([
        ['Name', 'string', 'name'],
        ['Created At', 'date', ''],
      ]);
      expect(table.rows[0].cells).toEqual(['reader', '2025-05-01T08:30:00Z']);
    }
  });
});
