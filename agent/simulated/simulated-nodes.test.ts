import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../main/api/types.ts';
import {
  eventually,
  startTestCluster,
  type TestCluster,
} from '../../main/controllers/testing/cluster.ts';
import { SimulatedNodes } from './simulated-nodes.ts';
import { SimulatedUsage } from './simulated-usage.ts';

const NODES = { group: '', version: 'v1', resource: 'nodes' };
const PODS = { group: '', version: 'v1', resource: 'pods' };
const LEASES = { group: 'coordination.k8s.io', version: 'v1', resource: 'leases' };

type Obj = Record<string, unknown>;

function condition(object: KubeObject | undefined, type: string): Obj | undefined {
  const conditions = ((object?.status as Obj | undefined)?.conditions ?? []) as Obj[];
  return conditions.find((c) => c.type === type);
}

function status(pod: KubeObject | undefined): Obj {
  return (pod?.status ?? {}) as Obj;
}

function podManifest(
  name: string,
  nodeName: string,
  annotations: Record<string, string> = {},
  spec: Obj = {},
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, annotations },
    spec: { nodeName, containers: [{ name: 'app', image: 'busybox:1.36' }], ...spec },
  };
}

describe('SimulatedNodes', () => {
  let cluster: TestCluster;
  let nodes: SimulatedNodes;
  let usage: SimulatedUsage;

  beforeEach(async () => {
    cluster = await startTestCluster();
    usage = new SimulatedUsage();
    nodes = new SimulatedNodes({
      client: cluster.plane.client('simulated-kubelet'),
      count: 2,
      usage,
      leaseRenewIntervalMs: 100,
      statusUpdateIntervalMs: 100,
      restartBackoffMs: 200,
    });
    await nodes.start();
  });

  afterEach(async () => {
    await nodes.stop();
    await cluster.stop();
  });

  const getPod = (name: string) => cluster.client.tryGet(PODS, 'default', name);

  it('registers Ready nodes with capacity, addresses and renewing leases', async () => {
    expect(nodes.nodeNames).toEqual(['skiff-sim-1', 'skiff-sim-2']);
    const node = cluster.client.get(NODES, '', 'skiff-sim-1');
    expect(node.metadata.labels).toMatchObject({
      'kubernetes.io/hostname': 'skiff-sim-1',
      'kubernetes.io/os': 'linux',
      type: 'simulated',
    });
    const s = node.status as Obj;
    expect(s.capacity).toEqual({
      cpu: '8',
      memory: '16Gi',
      pods: '110',
      'ephemeral-storage': '100Gi',
    });
    expect(s.allocatable).toEqual(s.capacity);
    expect(condition(node, 'Ready')).toMatchObject({ status: 'True', reason: 'KubeletReady' });
    for (const type of ['MemoryPressure', 'DiskPressure', 'PIDPressure'])
      expect(condition(node, type)?.status).toBe('False');
    expect(s.addresses).toContainEqual({ type: 'InternalIP', address: '10.255.0.1' });
    expect((s.nodeInfo as Obj).kubeletVersion).toBe('v1.35.0');

    const lease = cluster.client.get(LEASES, 'kube-node-lease', 'skiff-sim-1');
    expect(lease.spec).toMatchObject({ holderIdentity: 'skiff-sim-1', leaseDurationSeconds: 40 });
    expect(lease.metadata.ownerReferences?.[0]).toMatchObject({
      kind: 'Node',
      uid: node.metadata.uid,
    });
    const first = (lease.spec as Obj).renewTime;
    await eventually(
      () =>
        (cluster.client.get(LEASES, 'kube-node-lease', 'skiff-sim-1').spec as Obj).renewTime !==
        first,
      3000,
      'lease renewal',
    );
  });

  it('runs a bound pod: Running and Ready with a pod IP and container statuses', async () => {
    await cluster.client.create(PODS, 'default', podManifest('web', 'skiff-sim-1'));
    const pod = await eventually(() => {
      const p = getPod('web');
      return condition(p, 'Ready')?.status === 'True' && p;
    });
    const s = status(pod);
    expect(s.phase).toBe('Running');
    expect(s.podIP).toMatch(/^10\.2(2[4-9]|3\d)\./);
    expect(s.hostIP).toBe('10.255.0.1');
    expect(typeof s.startTime).toBe('string');
    for (const type of ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready'])
      expect(condition(pod, type)?.status).toBe('True');
    const [container] = s.containerStatuses as Obj[];
    expect(container).toMatchObject({
      name: 'app',
      ready: true,
      started: true,
      restartCount: 0,
      image: 'busybox:1.36',
    });
    expect(String(container.containerID)).toMatch(/^simulated:\/\//);
    expect(String(container.imageID)).toMatch(/^busybox@sha256:/);
    expect(((container.state as Obj).running as Obj).startedAt).toBeTypeOf('string');

    await cluster.client.create(PODS, 'default', podManifest('web2', 'skiff-sim-2'));
    // Level-based and idempotent: a settled pod and node are not rewritten.
    const settled = getPod('web')?.metadata.resourceVersion;
    const nodeVersion = cluster.client.get(NODES, '', 'skiff-sim-1').metadata.resourceVersion;
    await new Promise((r) => setTimeout(r, 400));
    expect(getPod('web')?.metadata.resourceVersion).toBe(settled);
    expect(cluster.client.get(NODES, '', 'skiff-sim-1').metadata.resourceVersion).toBe(nodeVersion);

    const other = await eventually(() => status(getPod('web2')).podIP as string | undefined);
    expect(other).not.toBe(s.podIP);
  });

  it('ends run-seconds pods Succeeded or Failed with the exit code; Always restarts', async () => {
    await cluster.client.create(
      PODS,
      'default',
      podManifest(
        'ok',
        'skiff-sim-1',
        { 'skiff.dev/simulate-run-seconds': '0.3' },
        { restartPolicy: 'OnFailure' },
      ),
    );
    await cluster.client.create(
      PODS,
      'default',
      podManifest(
        'bad',
        'skiff-sim-1',
        { 'skiff.dev/simulate-run-seconds': '0.3', 'skiff.dev/simulate-exit-code': '3' },
        { restartPolicy: 'Never' },
      ),
    );
    await cluster.client.create(
      PODS,
      'default',
      podManifest('loop', 'skiff-sim-2', {
        'skiff.dev/simulate-run-seconds': '0.2',
        'skiff.dev/simulate-exit-code': '1',
      }),
    );
    const ok = await eventually(() => status(getPod('ok')).phase === 'Succeeded' && getPod('ok'));
    const okState = ((status(ok).containerStatuses as Obj[])[0].state as Obj).terminated as Obj;
    expect(okState).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect(condition(ok, 'Ready')).toMatchObject({ status: 'False', reason: 'PodCompleted' });

    const bad = await eventually(() => status(getPod('bad')).phase === 'Failed' && getPod('bad'));
    const badState = ((status(bad).containerStatuses as Obj[])[0].state as Obj).terminated as Obj;
    expect(badState).toMatchObject({ exitCode: 3, reason: 'Error' });

    const loop = await eventually(
      () => {
        const p = getPod('loop');
        const c = (status(p).containerStatuses as Obj[] | undefined)?.[0];
        return c && (c.restartCount as number) >= 2 && p;
      },
      8000,
      'restarts',
    );
    expect(status(loop).phase).toBe('Running');
    const c = (status(loop).containerStatuses as Obj[])[0];
    expect((c.lastState as Obj).terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
  });

  it('keeps never-ready pods Running with Ready=False', async () => {
    await cluster.client.create(
      PODS,
      'default',
      podManifest('slow', 'skiff-sim-1', { 'skiff.dev/simulate-never-ready': 'true' }),
    );
    const pod = await eventually(
      () => status(getPod('slow')).phase === 'Running' && getPod('slow'),
    );
    expect(condition(pod, 'Ready')).toMatchObject({
      status: 'False',
      reason: 'ContainersNotReady',
      message: 'containers with unready status: [app]',
    });
    expect((status(pod).containerStatuses as Obj[])[0]).toMatchObject({
      ready: false,
      started: true,
    });
  });

  it('reports annotated usage and finishes graceful deletion', async () => {
    await cluster.client.create(
      PODS,
      'default',
      podManifest('busy', 'skiff-sim-2', {
        'skiff.dev/simulate-cpu': '250m',
        'skiff.dev/simulate-memory': '64Mi',
      }),
    );
    await eventually(() => status(getPod('busy')).phase === 'Running');
    const used = usage.get('default', 'busy');
    expect(used?.nodeName).toBe('skiff-sim-2');
    expect(used?.containers).toEqual([
      { name: 'app', cpuNanoCores: 250_000_000n, memoryBytes: 64n * 1024n * 1024n },
    ]);
    expect(usage.node('skiff-sim-2').cpuNanoCores).toBe(250_000_000n);

    await cluster.client.delete(PODS, 'default', 'busy');
    expect(getPod('busy')?.metadata.deletionTimestamp).toBeTypeOf('string');
    await eventually(() => getPod('busy') === undefined, 5000, 'pod deletion');
    expect(usage.get('default', 'busy')).toBeUndefined();
  });

  it('stops writing when the heartbeat is off and resumes when it is on', async () => {
    await nodes.setHeartbeat('skiff-sim-2', false);
    expect(
      cluster.client.get(NODES, '', 'skiff-sim-2').metadata.annotations?.[
        'skiff.dev/simulate-heartbeat'
      ],
    ).toBe('false');
    await new Promise((r) => setTimeout(r, 150));
    const frozen = (cluster.client.get(LEASES, 'kube-node-lease', 'skiff-sim-2').spec as Obj)
      .renewTime;
    await cluster.client.create(PODS, 'default', podManifest('cut', 'skiff-sim-2'));
    await new Promise((r) => setTimeout(r, 400));
    expect(
      (cluster.client.get(LEASES, 'kube-node-lease', 'skiff-sim-2').spec as Obj).renewTime,
    ).toBe(frozen);
    expect(status(getPod('cut')).phase).toBe('Pending');

    await nodes.setHeartbeat('skiff-sim-2', true);
    expect(
      cluster.client.get(NODES, '', 'skiff-sim-2').metadata.annotations?.[
        'skiff.dev/simulate-heartbeat'
      ],
    ).toBeUndefined();
    await eventually(() => status(getPod('cut')).phase === 'Running', 3000, 'pod running');
    expect(
      (cluster.client.get(LEASES, 'kube-node-lease', 'skiff-sim-2').spec as Obj).renewTime,
    ).not.toBe(frozen);
  });

  it('adds and removes nodes through the API', async () => {
    const name = await nodes.addNode();
    expect(name).toBe('skiff-sim-3');
    const node = cluster.client.get(NODES, '', name);
    expect(node.metadata.annotations?.['skiff.dev/simulated']).toBe('true');
    expect(condition(node, 'Ready')?.status).toBe('True');
    expect((node.status as Obj).addresses).toContainEqual({
      type: 'InternalIP',
      address: '10.255.0.3',
    });
    expect(cluster.client.tryGet(LEASES, 'kube-node-lease', name)).toBeDefined();
    await nodes.removeNode(name);
    expect(nodes.nodeNames).not.toContain(name);
    expect(cluster.client.tryGet(NODES, '', name)).toBeUndefined();
    expect(cluster.client.tryGet(LEASES, 'kube-node-lease', name)).toBeUndefined();
  });

  it('simulates a Node created with the annotation, keeping its capacity, labels and taints', async () => {
    await cluster.client.create(NODES, '', {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: 'big',
        annotations: { 'skiff.dev/simulated': 'true' },
        labels: { size: 'big', 'kubernetes.io/os': 'linux' },
      },
      spec: { taints: [{ key: 'dedicated', value: 'batch', effect: 'NoSchedule' }] },
      status: { capacity: { cpu: '64', memory: '256Gi' } },
    });
    const node = await eventually(() => {
      const n = cluster.client.get(NODES, '', 'big');
      return condition(n, 'Ready')?.status === 'True' && n;
    });
    expect(nodes.nodeNames).toContain('big');
    const s = node.status as Obj;
    expect(s.capacity).toEqual({
      cpu: '64',
      memory: '256Gi',
      pods: '110',
      'ephemeral-storage': '100Gi',
    });
    expect(s.allocatable).toEqual(s.capacity);
    expect(node.metadata.labels).toMatchObject({
      size: 'big',
      'kubernetes.io/hostname': 'big',
      'kubernetes.io/os': 'linux',
    });
    expect((node.spec as Obj).taints).toEqual([
      { key: 'dedicated', value: 'batch', effect: 'NoSchedule' },
    ]);
    // A fresh InternalIP, not one of the other simulated nodes'.
    expect(s.addresses).toContainEqual({ type: 'InternalIP', address: '10.255.0.3' });
    expect(cluster.client.get(LEASES, 'kube-node-lease', 'big').spec).toMatchObject({
      holderIdentity: 'big',
    });
    await cluster.client.create(PODS, 'default', podManifest('on-big', 'big'));
    const pod = await eventually(
      () => status(getPod('on-big')).phase === 'Running' && getPod('on-big'),
    );
    expect(status(pod).hostIP).toBe('10.255.0.3');

    // kubectl delete node: the simulation stops, the Lease goes, the pod is left as it is.
    await cluster.client.delete(NODES, '', 'big');
    await eventually(
      () =>
        !nodes.nodeNames.includes('big') &&
        cluster.client.tryGet(LEASES, 'kube-node-lease', 'big') === undefined,
      3000,
      'node released',
    );
    expect(status(getPod('on-big')).phase).toBe('Running');
  });

  it('leaves Nodes without the annotation alone', async () => {
    await cluster.client.create(NODES, '', {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'real' },
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(nodes.nodeNames).not.toContain('real');
    expect(cluster.client.get(NODES, '', 'real').status).toBeUndefined();
    expect(cluster.client.tryGet(LEASES, 'kube-node-lease', 'real')).toBeUndefined();
  });

  it('follows the heartbeat annotation set through the API', async () => {
    await cluster.client.patch(NODES, '', 'skiff-sim-1', 'application/merge-patch+json', {
      metadata: { annotations: { 'skiff.dev/simulate-heartbeat': 'false' } },
    });
    await eventually(() => {
      const renewTime = (cluster.client.get(LEASES, 'kube-node-lease', 'skiff-sim-1').spec as Obj)
        .renewTime;
      return new Promise<boolean>((r) =>
        setTimeout(
          () =>
            r(
              (cluster.client.get(LEASES, 'kube-node-lease', 'skiff-sim-1').spec as Obj)
                .renewTime === renewTime,
            ),
          300,
        ),
      );
    });
    await cluster.client.patch(NODES, '', 'skiff-sim-1', 'application/merge-patch+json', {
      metadata: { annotations: { 'skiff.dev/simulate-heartbeat': 'true' } },
    });
    const frozen = (cluster.client.get(LEASES, 'kube-node-lease', 'skiff-sim-1').spec as Obj)
      .renewTime;
    await eventually(
      () =>
        (cluster.client.get(LEASES, 'kube-node-lease', 'skiff-sim-1').spec as Obj).renewTime !==
        frozen,
      3000,
      'renewals resume',
    );
  });

  it('adopts every annotated Node again after a restart', async () => {
    await cluster.client.create(NODES, '', {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'extra', annotations: { 'skiff.dev/simulated': 'true' } },
      status: { capacity: { cpu: '32' } },
    });
    await eventually(
      () =>
        nodes.nodeNames.includes('extra') &&
        condition(cluster.client.get(NODES, '', 'extra'), 'Ready')?.status === 'True',
    );
    const ip = (cluster.client.get(NODES, '', 'extra').status as Obj).addresses;
    await cluster.client.create(PODS, 'default', podManifest('kept', 'extra'));
    const podIP = await eventually(() => status(getPod('kept')).podIP as string | undefined);
    await nodes.stop();

    nodes = new SimulatedNodes({
      client: cluster.plane.client('simulated-kubelet'),
      count: 1,
      usage,
      leaseRenewIntervalMs: 100,
      statusUpdateIntervalMs: 100,
    });
    await nodes.start();
    await eventually(() => nodes.nodeNames.length === 3, 3000, 'adoption');
    expect(nodes.nodeNames.sort()).toEqual(['extra', 'skiff-sim-1', 'skiff-sim-2']);
    const extra = cluster.client.get(NODES, '', 'extra');
    expect((extra.status as Obj).addresses).toEqual(ip);
    expect(((extra.status as Obj).capacity as Obj).cpu).toBe('32');
    // The pod keeps its IP, and the new instance runs it (here: finishes its graceful deletion).
    expect(status(getPod('kept')).podIP).toBe(podIP);
    await cluster.client.delete(PODS, 'default', 'kept');
    await eventually(() => getPod('kept') === undefined, 5000, 'graceful deletion by the adopter');
  });
});
