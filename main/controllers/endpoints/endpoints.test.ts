import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../api/types.ts';
import { eventually, startTestCluster, type TestCluster } from '../testing/cluster.ts';
import {
  EndpointsController,
  HEADLESS_LABEL,
  truncateSubsets,
  type EndpointSubset,
} from './endpoints-controller.ts';
import {
  CONTROLLER_NAME,
  ENDPOINT_SLICES,
  EndpointSliceController,
  MANAGED_BY_LABEL,
  SERVICE_NAME_LABEL,
  type SliceEndpoint,
} from './endpointslice-controller.ts';
import { findPort } from './pod-endpoints.ts';

const PODS = { group: '', version: 'v1', resource: 'pods' };
const SERVICES = { group: '', version: 'v1', resource: 'services' };
const ENDPOINTS = { group: '', version: 'v1', resource: 'endpoints' };
const NODES = { group: '', version: 'v1', resource: 'nodes' };
const NS = 'default';

let cluster: TestCluster;
let endpoints: EndpointsController;
let slices: EndpointSliceController;

beforeEach(async () => {
  cluster = await startTestCluster();
  endpoints = new EndpointsController(cluster.context('endpoint-controller'));
  slices = new EndpointSliceController(cluster.context('endpointslice-controller'));
  endpoints.start();
  slices.start();
  cluster.informers.start();
  await cluster.client.create(NODES, '', {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: 'node-1', labels: { 'topology.kubernetes.io/zone': 'zone-a' } },
  });
});

afterEach(async () => {
  await endpoints.stop();
  await slices.stop();
  await cluster.stop();
});

/** A pod bound to node-1 whose status is written as a node agent would. */
async function pod(
  name: string,
  ip: string,
  ready: boolean,
  labels: Record<string, string> = { app: 'web' },
  extra: { hostname?: string; subdomain?: string; portName?: string } = {},
): Promise<KubeObject> {
  const created = await cluster.client.create(PODS, NS, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels },
    spec: {
      nodeName: 'node-1',
      ...(extra.hostname ? { hostname: extra.hostname } : {}),
      ...(extra.subdomain ? { subdomain: extra.subdomain } : {}),
      containers: [
        {
          name: 'app',
          image: 'busybox',
          ports: [{ name: extra.portName ?? 'http', containerPort: 8080 }],
        },
      ],
    },
  });
  return cluster.client.updateStatus(PODS, NS, {
    ...created,
    status: {
      phase: 'Running',
      podIP: ip,
      podIPs: [{ ip }],
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
    },
  });
}

async function service(name: string, spec: Record<string, unknown>): Promise<KubeObject> {
  return cluster.client.create(SERVICES, NS, {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, labels: { team: 'a' } },
    spec,
  });
}

const subsetsOf = (name: string) =>
  cluster.client.tryGet(ENDPOINTS, NS, name)?.subsets as EndpointSubset[] | undefined;

const slicesOf = (name: string) =>
  cluster.client
    .list(ENDPOINT_SLICES, NS)
    .items.filter((s) => s.metadata.labels?.[SERVICE_NAME_LABEL] === name);

describe('findPort', () => {
  const p = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {},
    spec: { containers: [{ ports: [{ name: 'dns', containerPort: 53, protocol: 'UDP' }] }] },
  };
  it('resolves numbers, named ports of the same protocol, and nothing else', () => {
    expect(findPort(p, { port: 80, targetPort: 8080 })).toBe(8080);
    expect(findPort(p, { port: 80 })).toBe(80);
    expect(findPort(p, { port: 53, targetPort: 'dns', protocol: 'UDP' })).toBe(53);
    expect(findPort(p, { port: 53, targetPort: 'dns', protocol: 'TCP' })).toBeUndefined();
  });
});

describe('truncateSubsets', () => {
  it('keeps ready addresses first up to the limit', () => {
    const address = (ip: string) => ({
      ip,
      targetRef: { kind: 'Pod', namespace: NS, name: ip, uid: ip },
    });
    const out = truncateSubsets(
      [
        { notReadyAddresses: [address('1'), address('2')], ports: [{ port: 1, protocol: 'TCP' }] },
        { addresses: [address('3'), address('4')], ports: [{ port: 2, protocol: 'TCP' }] },
      ],
      3,
    );
    expect(out.map((s) => [s.addresses?.length, s.notReadyAddresses?.length])).toEqual([
      [undefined, 1],
      [2, undefined],
    ]);
  });
});

describe('Endpoints and EndpointSlice controllers', () => {
  it('split more than 100 endpoints over several slices', async () => {
    await service('big', { selector: { app: 'big' }, ports: [{ port: 80 }] });
    for (let i = 0; i < 110; i++)
      await pod(`p${i}`, `10.1.${i >> 8}.${i & 255}`, true, { app: 'big' });
    const list = await eventually(() => {
      const l = slicesOf('big');
      const total = l.reduce(
        (n, s) => n + ((s.endpoints as unknown[] | undefined)?.length ?? 0),
        0,
      );
      return total === 110 ? l : undefined;
    });
    expect(list.map((s) => (s.endpoints as unknown[]).length).sort((a, b) => a - b)).toEqual([
      10, 100,
    ]);
    expect(subsetsOf('big')?.[0]?.addresses).toHaveLength(110);
  }, 30_000);

  it('publish ready and not-ready pods with resolved named ports', async () => {
    const svc = await service('web', {
      selector: { app: 'web' },
      ports: [{ name: 'http', port: 80, targetPort: 'http' }],
    });
    const a = await pod('a', '10.0.0.2', true);
    await pod('b', '10.0.0.1', false);
    await pod('other', '10.0.0.9', true, { app: 'other' });

    const subsets = await eventually(() => {
      const s = subsetsOf('web');
      return s?.[0]?.addresses && s[0].notReadyAddresses ? s : undefined;
    });
    expect(subsets).toEqual([
      {
        addresses: [
          {
            ip: '10.0.0.2',
            nodeName: 'node-1',
            targetRef: { kind: 'Pod', namespace: NS, name: 'a', uid: a.metadata.uid },
          },
        ],
        notReadyAddresses: [expect.objectContaining({ ip: '10.0.0.1' })],
        ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      },
    ]);
    expect(cluster.client.get(ENDPOINTS, NS, 'web').metadata.labels).toEqual({ team: 'a' });

    const [slice] = await eventually(() => {
      const list = slicesOf('web');
      return list.length === 1 && (list[0].endpoints as unknown[]).length === 2 ? list : undefined;
    });
    expect(slice.metadata.name).toMatch(/^web-[a-z0-9]{5}$/);
    expect(slice.metadata.labels).toEqual({
      team: 'a',
      [SERVICE_NAME_LABEL]: 'web',
      [MANAGED_BY_LABEL]: CONTROLLER_NAME,
    });
    expect(slice.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'Service', uid: svc.metadata.uid, controller: true }),
    ]);
    expect(slice.addressType).toBe('IPv4');
    expect(slice.ports).toEqual([{ name: 'http', port: 8080, protocol: 'TCP' }]);
    const byIp = Object.fromEntries(
      (slice.endpoints as SliceEndpoint[]).map((e) => [e.addresses[0], e]),
    );
    expect(byIp['10.0.0.2']).toEqual({
      addresses: ['10.0.0.2'],
      conditions: { ready: true, serving: true, terminating: false },
      nodeName: 'node-1',
      zone: 'zone-a',
      targetRef: { kind: 'Pod', namespace: NS, name: 'a', uid: a.metadata.uid },
    });
    expect(byIp['10.0.0.1'].conditions).toEqual({
      ready: false,
      serving: false,
      terminating: false,
    });
  });

  it('follow readiness changes and write nothing when nothing changed', async () => {
    await service('web', { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] });
    const p = await pod('a', '10.0.0.2', false);
    await eventually(() => subsetsOf('web')?.[0]?.notReadyAddresses);
    await cluster.client.updateStatus(PODS, NS, {
      ...p,
      status: { ...(p.status as object), conditions: [{ type: 'Ready', status: 'True' }] },
    });
    await eventually(() => subsetsOf('web')?.[0]?.addresses);
    await eventually(
      () => (slicesOf('web')[0]?.endpoints as SliceEndpoint[] | undefined)?.[0]?.conditions.ready,
    );
    const ep = cluster.client.get(ENDPOINTS, NS, 'web').metadata.resourceVersion;
    const sl = slicesOf('web')[0].metadata.resourceVersion;
    // An unrelated pod change triggers a reconcile that must not write.
    const current = cluster.client.get(PODS, NS, 'a');
    await cluster.client.update(PODS, NS, {
      ...current,
      metadata: { ...current.metadata, annotations: { touched: 'yes' } },
    });
    await new Promise((r) => setTimeout(r, 200));
    expect(cluster.client.get(ENDPOINTS, NS, 'web').metadata.resourceVersion).toBe(ep);
    expect(slicesOf('web')).toHaveLength(1);
    expect(slicesOf('web')[0].metadata.resourceVersion).toBe(sl);
  });

  it('handle headless services, publishNotReadyAddresses and hostnames', async () => {
    await service('db', {
      clusterIP: 'None',
      selector: { app: 'db' },
      publishNotReadyAddresses: true,
    });
    await pod('db-0', '10.0.0.5', false, { app: 'db' }, { hostname: 'db-0', subdomain: 'db' });
    const subsets = await eventually(() => subsetsOf('db')?.[0]?.addresses);
    expect(subsets).toEqual([expect.objectContaining({ ip: '10.0.0.5', hostname: 'db-0' })]);
    expect(subsetsOf('db')?.[0]?.ports).toBeUndefined();
    expect(cluster.client.get(ENDPOINTS, NS, 'db').metadata.labels?.[HEADLESS_LABEL]).toBe('');
    const slice = await eventually(() => {
      const s = slicesOf('db')[0];
      return (s?.endpoints as SliceEndpoint[] | undefined)?.length ? s : undefined;
    });
    expect(slice.metadata.labels?.[HEADLESS_LABEL]).toBe('');
    expect((slice.endpoints as SliceEndpoint[])[0]).toMatchObject({
      hostname: 'db-0',
      conditions: { ready: true, serving: false, terminating: false },
    });
  });

  it('mark terminating pods in slices and drop them from Endpoints', async () => {
    await service('web', { selector: { app: 'web' }, ports: [{ port: 80 }] });
    await pod('a', '10.0.0.2', true);
    await eventually(() => subsetsOf('web')?.[0]?.addresses);
    await cluster.client.delete(PODS, NS, 'a'); // bound and running: graceful, stays terminating
    await eventually(() => subsetsOf('web') === undefined && cluster.client.tryGet(PODS, NS, 'a'));
    const endpoint = await eventually(() => {
      const e = (slicesOf('web')[0]?.endpoints as SliceEndpoint[] | undefined)?.[0];
      return e?.conditions.terminating ? e : undefined;
    });
    expect(endpoint.conditions).toEqual({ ready: false, serving: true, terminating: true });
  });

  it('leave selector-less services and the kubernetes service alone; placeholder when empty', async () => {
    await service('manual', { ports: [{ port: 80 }] });
    await service('empty', { selector: { app: 'none' }, ports: [{ port: 80 }] });
    const placeholder = await eventually(() => slicesOf('empty')[0]);
    expect(placeholder.endpoints ?? []).toEqual([]);
    expect(cluster.client.tryGet(ENDPOINTS, NS, 'empty')?.subsets).toBeUndefined();
    await new Promise((r) => setTimeout(r, 100));
    expect(cluster.client.tryGet(ENDPOINTS, NS, 'manual')).toBeUndefined();
    expect(slicesOf('manual')).toEqual([]);
    const kube = cluster.client.get(ENDPOINTS, NS, 'kubernetes');
    expect(kube.metadata.labels?.['endpointslice.kubernetes.io/skip-mirror']).toBe('true');
  });

  it('delete Endpoints with their Service and recreate a deleted slice', async () => {
    await service('web', { selector: { app: 'web' }, ports: [{ port: 80 }] });
    await pod('a', '10.0.0.2', true);
    await eventually(() => subsetsOf('web'));
    // The slice with the pod, not the empty placeholder the first sync may have made (that one
    // the controller itself replaces, so deleting it here could race the controller).
    const first = await eventually(() =>
      slicesOf('web').find((s) => Array.isArray(s.endpoints) && s.endpoints.length > 0),
    );
    await cluster.client.delete(ENDPOINT_SLICES, NS, first.metadata.name ?? '');
    await eventually(() => {
      const list = slicesOf('web');
      return list.length === 1 && list[0].metadata.uid !== first.metadata.uid;
    });
    await cluster.client.delete(SERVICES, NS, 'web');
    await eventually(() => !cluster.client.tryGet(ENDPOINTS, NS, 'web'), 5000, 'endpoints gone');
  });
});
