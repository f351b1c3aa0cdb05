import { describe, expect, it } from 'vitest';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KubeObject } from '../../api/types.ts';
import { StatusError } from '../../api/status.ts';
import { requestInfoFor } from '../http/request-info.ts';
import { MetricsApi, metricsResourceList, type MetricsObjects } from './metrics-api.ts';
import { registerMetricsSource, type NodeMetricsSource } from './metrics-sources.ts';
import { goDuration } from './resource-metrics.ts';

function pod(namespace: string, name: string, nodeName: string, labels = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { namespace, name, uid: `uid-${name}`, labels },
    spec: { nodeName, containers: [{ name: 'app' }] },
  };
}

function node(name: string): KubeObject {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { zone: name } } };
}

const pods = [
  pod('default', 'web-1', 'n1', { app: 'web' }),
  pod('default', 'web-2', 'n2', { app: 'web' }),
  pod('default', 'idle', 'n1', { app: 'idle' }),
  pod('other', 'db', 'n2', { app: 'db' }),
];
const nodes = [node('n1'), node('n2'), node('n3')];

const objects: MetricsObjects = {
  pods: (ns) => pods.filter((p) => ns === undefined || p.metadata.namespace === ns),
  pod: (ns, name) => pods.find((p) => p.metadata.namespace === ns && p.metadata.name === name),
  nodes: () => nodes,
  node: (name) => nodes.find((n) => n.metadata.name === name),
};

/** A node agent's source: web pods and db use CPU, `idle` has not been sampled. */
const usage: Record<string, { cpu: bigint; mem: bigint }> = {
  'default/web-1': { cpu: 250_000_000n, mem: 64n << 20n },
  'default/web-2': { cpu: 1_234_567n, mem: 100_000_000n },
  'other/db': { cpu: 2_000_000_000n, mem: 1n << 30n },
};
const source: NodeMetricsSource = {
  podUsage(namespace, name) {
    const u = usage[`${namespace}/${name}`];
    if (!u) return undefined;
    return {
      timestamp: '2026-01-01T00:00:10Z',
      windowSeconds: 10,
      containers: [{ name: 'app', cpuNanoCores: u.cpu, memoryBytes: u.mem }],
    };
  },
  nodeUsage: (name) =>
    name === 'n3'
      ? undefined
      : {
          timestamp: '2026-01-01T00:00:10Z',
          windowSeconds: 15,
          cpuNanoCores: 500_000_000n,
          memoryBytes: 3n << 30n,
        },
};

interface Captured {
  code: number;
  body: Record<string, unknown>;
}

function call(path: string, accept?: string, method = 'GET'): Captured {
  const url = new URL(path, 'https://localhost');
  const captured: Captured = { code: 0, body: {} };
  const res = {
    writeHead(code: number) {
      captured.code = code;
      return res;
    },
    end(text: string) {
      captured.body = JSON.parse(text) as Record<string, unknown>;
    },
  } as unknown as ServerResponse;
  const req = { method, headers: accept ? { accept } : {} } as IncomingMessage;
  api.handle(requestInfoFor(method, url), url, req, res);
  return captured;
}

function statusOf(fn: () => unknown): StatusError {
  try {
    fn();
  } catch (err) {
    if (err instanceof StatusError) return err;
    throw err;
  }
  throw new Error('expected a StatusError');
}

const api = new MetricsApi(objects);
registerMetricsSource(['n1', 'n2', 'n3'], source);

describe('metrics.k8s.io served from node sources', () => {
  it('gets one PodMetrics with labels, nanocore CPU and byte memory', () => {
    const { code, body } = call('/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/web-1');
    expect(code).toBe(200);
    expect(body).toMatchObject({
      kind: 'PodMetrics',
      apiVersion: 'metrics.k8s.io/v1beta1',
      metadata: { name: 'web-1', namespace: 'default', labels: { app: 'web' } },
      timestamp: '2026-01-01T00:00:10Z',
      window: '10s',
      containers: [{ name: 'app', usage: { cpu: '250m', memory: '64Mi' } }],
    });
    const other = call('/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/web-2').body;
    expect(other.containers).toEqual([
      { name: 'app', usage: { cpu: '1234567n', memory: '100000000' } },
    ]);
  });

  it('answers 404 as metrics-server does for unknown pods and pods without a sample', () => {
    const missing = statusOf(() => api.getPod('default', 'nope'));
    expect(missing.code).toBe(404);
    expect(missing.message).toBe('pods "nope" not found');
    const unsampled = statusOf(() => api.getPod('default', 'idle'));
    expect(unsampled.code).toBe(404);
    expect(unsampled.message).toBe('podmetrics.metrics.k8s.io "default/idle" not found');
    expect(statusOf(() => api.getNode('n9')).message).toBe('node "n9" not found');
    expect(statusOf(() => api.getNode('n3')).message).toBe(
      'nodemetrics.metrics.k8s.io "n3" not found',
    );
  });

  it('lists per namespace and across namespaces, sorted, skipping pods without a sample', () => {
    const names = (path: string) =>
      (call(path).body.items as KubeObject[]).map(
        (i) => `${i.metadata.namespace}/${i.metadata.name}`,
      );
    expect(names('/apis/metrics.k8s.io/v1beta1/namespaces/default/pods')).toEqual([
      'default/web-1',
      'default/web-2',
    ]);
    expect(names('/apis/metrics.k8s.io/v1beta1/pods')).toEqual([
      'default/web-1',
      'default/web-2',
      'other/db',
    ]);
    expect(names('/apis/metrics.k8s.io/v1beta1/pods?labelSelector=app%3Ddb')).toEqual(['other/db']);
    expect(
      names(
        '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods?fieldSelector=metadata.name=web-2',
      ),
    ).toEqual(['default/web-2']);
    expect(call('/apis/metrics.k8s.io/v1beta1/pods').body.kind).toBe('PodMetricsList');
  });

  it('rejects field selectors metrics-server does not know, and watches', () => {
    const bad = statusOf(() =>
      api.listPods('', new URLSearchParams({ fieldSelector: 'spec.nodeName=n1' })),
    );
    expect(bad.code).toBe(400);
    expect(bad.message).toBe(
      '"spec.nodeName" is not a known field selector: only "metadata.name", "metadata.namespace"',
    );
    const watch = statusOf(() => call('/apis/metrics.k8s.io/v1beta1/pods?watch=true'));
    expect(watch.code).toBe(405);
    expect(watch.message).toBe('watch is not supported on resources of kind "pods.metrics.k8s.io"');
    expect(statusOf(() => call('/apis/metrics.k8s.io/v1beta1/pods', undefined, 'POST')).code).toBe(
      405,
    );
    expect(statusOf(() => call('/apis/metrics.k8s.io/v1beta1/namespaces/x/nodes')).code).toBe(404);
  });

  it('lists NodeMetrics for measured nodes with the node labels', () => {
    const list = call('/apis/metrics.k8s.io/v1beta1/nodes').body;
    expect(list.kind).toBe('NodeMetricsList');
    expect(list.items).toEqual([
      expect.objectContaining({
        kind: 'NodeMetrics',
        metadata: expect.objectContaining({ name: 'n1', labels: { zone: 'n1' } }) as unknown,
        window: '15s',
        usage: { cpu: '500m', memory: '3Gi' },
      }),
      expect.objectContaining({ metadata: expect.objectContaining({ name: 'n2' }) as unknown }),
    ]);
    expect(
      (call('/apis/metrics.k8s.io/v1beta1/nodes?labelSelector=zone%3Dn2').body.items as unknown[])
        .length,
    ).toBe(1);
  });

  it('renders metrics-server tables for kubectl get', () => {
    const accept = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json';
    const table = call('/apis/metrics.k8s.io/v1beta1/namespaces/default/pods', accept).body;
    expect(table.kind).toBe('Table');
    expect(
      (table.columnDefinitions as { name: string; format: string }[]).map((c) => [
        c.name,
        c.format,
      ]),
    ).toEqual([
      ['Name', 'name'],
      ['cpu', 'quantity'],
      ['memory', 'quantity'],
      ['Window', 'duration'],
    ]);
    const rows = table.rows as { cells: unknown[]; object: KubeObject }[];
    expect(rows[0].cells).toEqual(['web-1', '250m', '64Mi', '10s']);
    expect(rows[0].object.kind).toBe('PartialObjectMetadata');
    const nodeTable = call('/apis/metrics.k8s.io/v1beta1/nodes/n2', accept).body;
    expect((nodeTable.rows as { cells: unknown[] }[])[0].cells).toEqual([
      'n2',
      '500m',
      '3Gi',
      '15s',
    ]);
  });

  it('publishes discovery like metrics-server', () => {
    expect(api.discovery('/apis/metrics.k8s.io')).toMatchObject({
      kind: 'APIGroup',
      name: 'metrics.k8s.io',
      preferredVersion: { groupVersion: 'metrics.k8s.io/v1beta1', version: 'v1beta1' },
    });
    expect(metricsResourceList()).toMatchObject({
      groupVersion: 'metrics.k8s.io/v1beta1',
      resources: [
        { name: 'nodes', namespaced: false, kind: 'NodeMetrics', verbs: ['get', 'list'] },
        { name: 'pods', namespaced: true, kind: 'PodMetrics', verbs: ['get', 'list'] },
      ],
    });
    const groups = api.addToGroupList({ groups: [{ name: 'apps' }] }).groups as { name: string }[];
    expect(groups.map((g) => g.name)).toEqual(['apps', 'metrics.k8s.io']);
  });

  it('takes a node over from an earlier source and stops at dispose', () => {
    const n3 = registerMetricsSource('n3', {
      podUsage: () => undefined,
      nodeUsage: () => ({
        timestamp: '2026-01-01T00:00:20Z',
        windowSeconds: 10,
        cpuNanoCores: 1_000_000n,
        memoryBytes: 0n,
      }),
    });
    expect(api.getNode('n3').usage).toEqual({ cpu: '1m', memory: '0' });
    n3.dispose();
    expect(statusOf(() => api.getNode('n3')).message).toBe(
      'nodemetrics.metrics.k8s.io "n3" not found',
    );
  });

  it('formats windows as Go durations', () => {
    expect(goDuration(10)).toBe('10s');
    expect(goDuration(15.011)).toBe('15.011s');
    expect(goDuration(90)).toBe('1m30s');
    expect(goDuration(0.5)).toBe('500ms');
  });
});
