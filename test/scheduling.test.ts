// kube-scheduler's placement rules on a simulated cluster (`skiff serve --simulated-nodes 3`) driven
// by real kubectl: nodeSelector, node affinity (required and preferred), pod anti-affinity, taints
// and tolerations, topology spread, and an unschedulable pod that fits once a big enough simulated
// node is added through the API.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSkiffWithNodes } from './support/skiff.ts';
import type { Skiff } from './support/skiff.ts';
import { createObjects, namespace, deployment as deploymentManifest } from './support/fixtures.ts';
import { eventually, ok } from './support/helpers.ts';

const nodeNames = ['skiff-sim-1', 'skiff-sim-2', 'skiff-sim-3'];
const image = 'registry.local/skiff/web:1';

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

interface Pod {
  metadata: { name: string; uid: string; deletionTimestamp?: string };
  spec: { nodeName?: string };
  status?: { phase?: string; conditions?: Condition[] };
}

let skiff: Skiff;

beforeAll(async () => {
  skiff = await startSkiffWithNodes(3);
});

afterAll(async () => {
  await skiff?.stop();
});

// ---- helpers (local to this suite) ----

async function run(args: string[], timeoutMs = 30_000, input?: string): Promise<string> {
  return ok(await skiff.kubectl(args, { timeoutMs, input }));
}

async function apply(object: Record<string, unknown>): Promise<string> {
  return run(['apply', '-f', '-'], 30_000, JSON.stringify(object));
}

async function apiJson<T>(path: string): Promise<T> {
  const response = await skiff.api(path);
  expect(response.status, `GET ${path}: ${response.text}`).toBe(200);
  return response.json<T>();
}

async function makeNamespace(name: string): Promise<string> {
  await createObjects(skiff, namespace(name));
  return name;
}

async function pods(ns: string, app: string): Promise<Pod[]> {
  const list = await apiJson<{ items: Pod[] }>(
    `/api/v1/namespaces/${ns}/pods?labelSelector=app%3D${app}`,
  );
  return list.items.filter((p) => !p.metadata.deletionTimestamp);
}

function isReady(pod: Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
}

/** Waits until `count` pods of `app` are Ready and returns their nodes, sorted. */
async function placement(ns: string, app: string, count: number): Promise<string[]> {
  const ready = await eventually(
    `${count} ready pods of ${app}`,
    async () => {
      const list = await pods(ns, app);
      return list.length === count && list.every(isReady) && list;
    },
    30_000,
  );
  return ready.map((p) => p.spec.nodeName ?? '').sort();
}

/** Waits until the pod is PodScheduled=False and returns that condition. */
async function unschedulable(ns: string, name: string): Promise<Condition> {
  return eventually(
    `${name} unschedulable`,
    async () => {
      const pod = await apiJson<Pod>(`/api/v1/namespaces/${ns}/pods/${name}`);
      const c = pod.status?.conditions?.find((x) => x.type === 'PodScheduled');
      return c?.status === 'False' && c;
    },
    20_000,
  );
}

function deployment(
  ns: string,
  name: string,
  replicas: number,
  podSpec: Record<string, unknown> = {},
): Record<string, unknown> {
  return deploymentManifest(ns, name, replicas, image, podSpec);
}

function pod(ns: string, name: string, podSpec: Record<string, unknown>): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, labels: { app: name } },
    spec: { containers: [{ name: 'main', image }], ...podSpec },
  };
}

function count(names: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const n of names) out[n] = (out[n] ?? 0) + 1;
  return out;
}

const hostnameTerm = (operator: string, values: string[]) => ({
  matchExpressions: [{ key: 'kubernetes.io/hostname', operator, values }],
});

// ---- tests ----

describe('node selection', () => {
  it('nodeSelector places pods only on labelled nodes', async () => {
    const ns = await makeNamespace('sched-selector');
    await run(['label', 'node', 'skiff-sim-2', 'zone=east']);
    try {
      await apply(deployment(ns, 'east', 3, { nodeSelector: { zone: 'east' } }));
      expect(await placement(ns, 'east', 3)).toEqual(Array(3).fill('skiff-sim-2'));
    } finally {
      await run(['label', 'node', 'skiff-sim-2', 'zone-']);
    }
  });

  it('required node affinity keeps pods on the matching nodes', async () => {
    const ns = await makeNamespace('sched-required');
    await apply(
      deployment(ns, 'pinned', 4, {
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [hostnameTerm('NotIn', ['skiff-sim-1'])],
            },
          },
        },
      }),
    );
    const nodes = await placement(ns, 'pinned', 4);
    expect(nodes).not.toContain('skiff-sim-1');
    expect(new Set(nodes)).toEqual(new Set(['skiff-sim-2', 'skiff-sim-3']));
  });

  it('preferred node affinity puts pods on the preferred node when it fits', async () => {
    const ns = await makeNamespace('sched-preferred');
    await apply(
      deployment(ns, 'fond', 3, {
        affinity: {
          nodeAffinity: {
            preferredDuringSchedulingIgnoredDuringExecution: [
              { weight: 100, preference: hostnameTerm('In', ['skiff-sim-3']) },
            ],
          },
        },
      }),
    );
    expect(await placement(ns, 'fond', 3)).toEqual(Array(3).fill('skiff-sim-3'));
  });
});

describe('pod placement rules', () => {
  it('pod anti-affinity spreads 3 replicas over 3 nodes; a 4th has nowhere to go', async () => {
    const ns = await makeNamespace('sched-anti');
    const antiAffinity = {
      affinity: {
        podAntiAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: [
            {
              labelSelector: { matchLabels: { app: 'solo' } },
              topologyKey: 'kubernetes.io/hostname',
            },
          ],
        },
      },
    };
    await apply(deployment(ns, 'solo', 3, antiAffinity));
    expect(await placement(ns, 'solo', 3)).toEqual(nodeNames);

    await run(['scale', 'deployment', 'solo', '-n', ns, '--replicas=4']);
    const pending = await eventually('a fourth pod', async () => {
      const list = await pods(ns, 'solo');
      return list.length === 4 && list.find((p) => !p.spec.nodeName);
    });
    const condition = await unschedulable(ns, pending.metadata.name);
    expect(condition.reason).toBe('Unschedulable');
    expect(condition.message).toMatch(
      /^0\/3 nodes are available: 3 node\(s\) didn't match pod anti-affinity rules\./,
    );
  });

  it('taints keep pods off a node unless they tolerate them', async () => {
    const ns = await makeNamespace('sched-taints');
    expect(await run(['taint', 'nodes', 'skiff-sim-1', 'dedicated=gpu:NoSchedule'])).toContain(
      'node/skiff-sim-1 tainted',
    );
    try {
      await apply(deployment(ns, 'plain', 4));
      expect(await placement(ns, 'plain', 4)).not.toContain('skiff-sim-1');

      const onGpu = { nodeSelector: { 'kubernetes.io/hostname': 'skiff-sim-1' } };
      await apply(pod(ns, 'intolerant', onGpu));
      const condition = await unschedulable(ns, 'intolerant');
      // kube-scheduler 1.35 does not name the taint here (older releases said `{dedicated: gpu}`).
      expect(condition.message).toMatch(
        /^0\/3 nodes are available: 1 node\(s\) had untolerated taint\(s\), 2 node\(s\) didn't match Pod's node affinity\/selector\./,
      );
      await apply(
        pod(ns, 'tolerant', {
          ...onGpu,
          tolerations: [
            { key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' },
          ],
        }),
      );
      expect(await placement(ns, 'tolerant', 1)).toEqual(['skiff-sim-1']);
    } finally {
      await run(['taint', 'nodes', 'skiff-sim-1', 'dedicated-']);
    }
    // Without the taint the waiting pod is retried and fits.
    expect(await placement(ns, 'intolerant', 1)).toEqual(['skiff-sim-1']);
  });

  it('topologySpreadConstraints with maxSkew 1 put 6 replicas 2/2/2', async () => {
    const ns = await makeNamespace('sched-spread');
    await apply(
      deployment(ns, 'even', 6, {
        topologySpreadConstraints: [
          {
            maxSkew: 1,
            topologyKey: 'kubernetes.io/hostname',
            whenUnsatisfiable: 'DoNotSchedule',
            labelSelector: { matchLabels: { app: 'even' } },
          },
        ],
      }),
    );
    expect(count(await placement(ns, 'even', 6))).toEqual({
      'skiff-sim-1': 2,
      'skiff-sim-2': 2,
      'skiff-sim-3': 2,
    });
  });
});

describe('a pod that fits nowhere', () => {
  it('stays Pending with Unschedulable and FailedScheduling, then runs on a big node added through the API', async () => {
    const ns = await makeNamespace('sched-big');
    await apply(
      pod(ns, 'big', {
        containers: [{ name: 'main', image, resources: { requests: { cpu: '32' } } }],
      }),
    );
    const condition = await unschedulable(ns, 'big');
    expect(condition.reason).toBe('Unschedulable');
    expect(condition.message).toBe(
      '0/3 nodes are available: 3 Insufficient cpu. no new claims to deallocate, preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.',
    );
    expect((await apiJson<Pod>(`/api/v1/namespaces/${ns}/pods/big`)).status?.phase).toBe('Pending');
    const described = await eventually('FailedScheduling in kubectl describe', async () => {
      const out = await run(['describe', 'pod', 'big', '-n', ns]);
      return out.includes('FailedScheduling') && out;
    });
    expect(described).toMatch(
      /Warning\s+FailedScheduling\s+.*default-scheduler\s+0\/3 nodes are available: 3 Insufficient cpu\./,
    );
    expect(described).toMatch(/PodScheduled\s+False/);

    // A simulated node with 64 CPUs, added with kubectl apply.
    expect(
      await apply({
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name: 'skiff-huge', annotations: { 'skiff.dev/simulated': 'true' } },
        status: { capacity: { cpu: '64', memory: '256Gi', pods: '110' } },
      }),
    ).toContain('node/skiff-huge created');
    try {
      expect(await placement(ns, 'big', 1)).toEqual(['skiff-huge']);
      const out = await run(['describe', 'pod', 'big', '-n', ns]);
      expect(out).toMatch(
        new RegExp(
          `Normal\\s+Scheduled\\s+.*default-scheduler\\s+Successfully assigned ${ns}/big to skiff-huge`,
        ),
      );
      expect(out).toMatch(/Status:\s+Running/);
    } finally {
      await run(['delete', 'namespace', ns, '--wait=true'], 60_000);
      await run(['delete', 'node', 'skiff-huge']);
    }
  });
});
