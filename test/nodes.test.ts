// Nodes on a simulated cluster (`skiff serve --simulated-nodes 3`) driven by real kubectl: simulated
// nodes added and removed through the API (as kwok does), a node whose kubelet goes silent (node
// lifecycle controller: NotReady, unreachable taints, NoExecute eviction), cordon and drain with a
// PodDisruptionBudget (eviction API, 429 and kubectl's retries), and the pod GC of deleted nodes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSkiffWithNodes } from './support/skiff.ts';
import type { Skiff } from './support/skiff.ts';
import { createObjects, namespace, deployment as deploymentManifest } from './support/fixtures.ts';
import { eventually, ok, sleep, tableOf } from './support/helpers.ts';
import type { RunResult } from './support/processes.ts';

const nodeNames = ['skiff-sim-1', 'skiff-sim-2', 'skiff-sim-3'];
const image = 'registry.local/skiff/web:1';

interface Meta {
  name: string;
  uid: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  deletionTimestamp?: string;
  ownerReferences?: { kind: string }[];
}

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

interface Pod {
  metadata: Meta;
  spec: { nodeName?: string };
  status?: { phase?: string; conditions?: Condition[] };
}

interface Node {
  metadata: Meta;
  spec: { unschedulable?: boolean; taints?: { key: string; effect: string }[] };
  status?: { conditions?: Condition[]; capacity?: Record<string, string> };
}

let skiff: Skiff;

beforeAll(async () => {
  skiff = await startSkiffWithNodes(3);
});

afterAll(async () => {
  await skiff?.stop();
});

// ---- helpers (local to this suite) ----

function kubectl(args: string[], timeoutMs = 30_000, input?: string): Promise<RunResult> {
  return skiff.kubectl(args, { timeoutMs, input });
}

async function run(args: string[], timeoutMs = 30_000, input?: string): Promise<string> {
  return ok(await kubectl(args, timeoutMs, input));
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

async function pods(ns: string, app?: string): Promise<Pod[]> {
  const selector = app ? `?labelSelector=app%3D${app}` : '';
  return (await apiJson<{ items: Pod[] }>(`/api/v1/namespaces/${ns}/pods${selector}`)).items;
}

async function node(name: string): Promise<Node> {
  return apiJson<Node>(`/api/v1/nodes/${name}`);
}

function isReady(pod: Pod): boolean {
  return (
    !pod.metadata.deletionTimestamp &&
    pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true
  );
}

/** Waits until exactly `count` pods of `app` are alive and all Ready; returns them. */
async function readyPods(ns: string, app: string, count: number, ms = 30_000): Promise<Pod[]> {
  return eventually(
    `${count} ready pods of ${app} in ${ns}`,
    async () => {
      const alive = (await pods(ns, app)).filter((p) => !p.metadata.deletionTimestamp);
      return alive.length === count && alive.every(isReady) && alive;
    },
    ms,
  );
}

async function nodeStatus(name: string): Promise<string | undefined> {
  return tableOf(await run(['get', 'nodes'])).find((r) => r.NAME === name)?.STATUS;
}

function deployment(
  ns: string,
  name: string,
  replicas: number,
  podSpec: Record<string, unknown> = {},
): Record<string, unknown> {
  return deploymentManifest(ns, name, replicas, image, podSpec);
}

function daemonSet(ns: string, name: string): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, namespace: ns },
    spec: {
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'agent', image }] },
      },
    },
  };
}

/** Prefers one node strongly (preferred node affinity), so every replica lands there if it fits. */
function preferNode(nodeName: string): Record<string, unknown> {
  return {
    affinity: {
      nodeAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          {
            weight: 100,
            preference: {
              matchExpressions: [
                { key: 'kubernetes.io/hostname', operator: 'In', values: [nodeName] },
              ],
            },
          },
        ],
      },
    },
  };
}

// ---- nodes that come, go and fail at run time ----

// The two wait for real clocks of kube's defaults (the pod GC's 40 s quarantine and 20 s period, the
// node monitor's 50 s grace period), so they run side by side; each keeps to its own nodes.
describe.concurrent('nodes at run time', () => {
  it('kubectl apply of an annotated Node adds a node that gets a DaemonSet pod and takes pods', async () => {
    const ns = await makeNamespace('nodes-added');
    await apply(daemonSet(ns, 'agent'));
    await readyPods(ns, 'agent', 3);

    const out = await apply({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: 'skiff-big',
        annotations: { 'skiff.dev/simulated': 'true' },
        labels: { disk: 'ssd' },
      },
      status: { capacity: { cpu: '64', memory: '256Gi', pods: '110' } },
    });
    expect(out).toContain('node/skiff-big created');
    await eventually('skiff-big Ready', async () => (await nodeStatus('skiff-big')) === 'Ready');
    const big = await node('skiff-big');
    expect(big.status?.capacity).toMatchObject({ cpu: '64', memory: '256Gi', pods: '110' });
    expect(big.metadata.labels).toMatchObject({
      disk: 'ssd',
      'kubernetes.io/hostname': 'skiff-big',
    });
    const lease = await run(['get', 'lease', 'skiff-big', '-n', 'kube-node-lease', '-o', 'name']);
    expect(lease.trim()).toBe('lease.coordination.k8s.io/skiff-big');

    // The DaemonSet follows the new node.
    const daemons = await readyPods(ns, 'agent', 4);
    expect(daemons.map((p) => p.spec.nodeName).sort()).toEqual([...nodeNames, 'skiff-big'].sort());

    // The node takes pods: by its label, and by preference.
    await apply(deployment(ns, 'ssd', 2, { nodeSelector: { disk: 'ssd' } }));
    const onSsd = await readyPods(ns, 'ssd', 2);
    expect(onSsd.every((p) => p.spec.nodeName === 'skiff-big')).toBe(true);
    await apply(deployment(ns, 'movable', 2, preferNode('skiff-big')));
    const movable = await readyPods(ns, 'movable', 2);
    expect(movable.every((p) => p.spec.nodeName === 'skiff-big')).toBe(true);

    // kubectl delete node: the simulation stops, the Lease goes, and once the pod garbage
    // collector's quarantine (40 s) has passed, the node's pods go and are replaced elsewhere.
    expect(await run(['delete', 'node', 'skiff-big'])).toContain('node "skiff-big" deleted');
    await eventually(
      'the Lease of skiff-big deleted',
      async () =>
        (await kubectl(['get', 'lease', 'skiff-big', '-n', 'kube-node-lease'])).code !== 0,
    );
    const replaced = await eventually(
      'the pods of skiff-big replaced on the other nodes',
      async () => {
        const alive = (await pods(ns, 'movable')).filter((p) => !p.metadata.deletionTimestamp);
        return (
          alive.length === 2 &&
          alive.every((p) => isReady(p) && nodeNames.includes(p.spec.nodeName ?? '')) &&
          alive
        );
      },
      90_000,
      500,
    );
    expect(replaced.map((p) => p.metadata.uid)).not.toContain(movable[0].metadata.uid);
    // The node-bound pods of the DaemonSet and of the nodeSelector Deployment are gone too.
    expect((await readyPods(ns, 'agent', 3)).map((p) => p.spec.nodeName).sort()).toEqual(nodeNames);
    const ssd = await eventually('ssd pods replaced and Pending', async () => {
      const list = await pods(ns, 'ssd');
      return (
        list.length === 2 &&
        list.every(
          (p) => !p.spec.nodeName && !onSsd.some((o) => o.metadata.uid === p.metadata.uid),
        ) &&
        list
      );
    });
    expect(ssd.every((p) => p.status?.phase === 'Pending')).toBe(true);
  });

  it('a node whose heartbeat stops turns NotReady, is tainted unreachable, and its pods are evicted and recreated elsewhere', async () => {
    const ns = await makeNamespace('nodes-failure');
    const failing = 'skiff-sim-3';
    const tolerate = (key: string) => ({
      key,
      operator: 'Exists',
      effect: 'NoExecute',
      tolerationSeconds: 2,
    });
    await apply(
      deployment(ns, 'fragile', 3, {
        tolerations: [
          tolerate('node.kubernetes.io/unreachable'),
          tolerate('node.kubernetes.io/not-ready'),
        ],
        // Not on the node the other test adds and removes.
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [
                {
                  matchExpressions: [
                    { key: 'kubernetes.io/hostname', operator: 'In', values: nodeNames },
                  ],
                },
              ],
            },
          },
        },
        // One pod per node while all are healthy; a tainted node stops counting.
        topologySpreadConstraints: [
          {
            maxSkew: 1,
            topologyKey: 'kubernetes.io/hostname',
            whenUnsatisfiable: 'DoNotSchedule',
            nodeTaintsPolicy: 'Honor',
            labelSelector: { matchLabels: { app: 'fragile' } },
          },
        ],
      }),
    );
    const before = await readyPods(ns, 'fragile', 3);
    expect(before.map((p) => p.spec.nodeName).sort()).toEqual(nodeNames);
    const victim = before.find((p) => p.spec.nodeName === failing)!;

    await run(['annotate', 'node', failing, 'skiff.dev/simulate-heartbeat=false']);
    // --node-monitor-grace-period is kube's 50 s.
    await eventually(
      'the node NotReady',
      async () => (await nodeStatus(failing)) === 'NotReady',
      80_000,
      500,
    );
    const down = await node(failing);
    expect(down.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'Unknown',
      reason: 'NodeStatusUnknown',
      message: 'Kubelet stopped posting node status.',
    });
    const taints = await eventually('the unreachable taints', async () => {
      const t = ((await node(failing)).spec.taints ?? []).map((x) => `${x.key}:${x.effect}`);
      return t.includes('node.kubernetes.io/unreachable:NoExecute') && t;
    });
    expect(taints).toContain('node.kubernetes.io/unreachable:NoSchedule');

    // After tolerationSeconds the pod is deleted (it stays Terminating: its kubelet is silent) and
    // the Deployment replaces it on the healthy nodes.
    const replaced = await readyPods(ns, 'fragile', 3, 30_000);
    expect(replaced.some((p) => p.spec.nodeName === failing)).toBe(false);
    expect(replaced.map((p) => p.metadata.uid)).not.toContain(victim.metadata.uid);
    const evicted = (await pods(ns, 'fragile')).find((p) => p.metadata.uid === victim.metadata.uid);
    expect(evicted?.metadata.deletionTimestamp).toBeTypeOf('string');
    expect(evicted?.status?.conditions?.find((c) => c.type === 'DisruptionTarget')).toMatchObject({
      status: 'True',
      reason: 'DeletionByTaintManager',
    });
    const events = await run([
      'get',
      'events',
      '-n',
      ns,
      '--field-selector',
      `involvedObject.name=${victim.metadata.name}`,
    ]);
    expect(events).toMatch(/TaintManagerEviction\s+pod\/\S+\s+Marking for deletion Pod/);

    // The heartbeat comes back: Ready, untainted, and the kubelet finishes the evicted pod.
    await run(['annotate', 'node', failing, 'skiff.dev/simulate-heartbeat-']);
    await eventually(
      'the node Ready again',
      async () => (await nodeStatus(failing)) === 'Ready',
      30_000,
    );
    await eventually('the taints removed', async () => {
      const t = (await node(failing)).spec.taints ?? [];
      return !t.some((x) => x.key === 'node.kubernetes.io/unreachable');
    });
    await eventually('the evicted pod gone', async () =>
      (await pods(ns, 'fragile')).every((p) => p.metadata.uid !== victim.metadata.uid),
    );
    expect(await readyPods(ns, 'fragile', 3)).toHaveLength(3);
  });
});

// ---- cordon and drain ----

describe('cordon and drain', () => {
  it('kubectl cordon shows SchedulingDisabled; uncordon clears it', async () => {
    expect(await run(['cordon', 'skiff-sim-1'])).toContain('node/skiff-sim-1 cordoned');
    expect(await nodeStatus('skiff-sim-1')).toBe('Ready,SchedulingDisabled');
    expect((await node('skiff-sim-1')).spec.unschedulable).toBe(true);
    expect(await run(['uncordon', 'skiff-sim-1'])).toContain('node/skiff-sim-1 uncordoned');
    expect(await nodeStatus('skiff-sim-1')).toBe('Ready');
  });

  it('kubectl drain evicts pods within the PodDisruptionBudget and leaves DaemonSet pods', async () => {
    const ns = await makeNamespace('nodes-drain');
    const drained = 'skiff-sim-2';
    await apply(daemonSet(ns, 'agent'));
    await readyPods(ns, 'agent', 3);
    // Every replica on the node to drain, with an emptyDir (drain refuses those without
    // --delete-emptydir-data).
    await apply(
      deployment(ns, 'web', 3, {
        ...preferNode(drained),
        volumes: [{ name: 'scratch', emptyDir: {} }],
      }),
    );
    const before = await readyPods(ns, 'web', 3);
    expect(before.every((p) => p.spec.nodeName === drained)).toBe(true);
    await apply({
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: 'web', namespace: ns },
      spec: { minAvailable: 2, selector: { matchLabels: { app: 'web' } } },
    });
    await eventually('the PDB allows one disruption', async () => {
      const pdb = await apiJson<{
        status?: { disruptionsAllowed?: number; currentHealthy?: number };
      }>(`/apis/policy/v1/namespaces/${ns}/poddisruptionbudgets/web`);
      return pdb.status?.disruptionsAllowed === 1 && pdb.status.currentHealthy === 3;
    });

    // Watch availability at every moment while the drain runs.
    let polling = true;
    let minAvailable = Infinity;
    let samples = 0;
    const poller = (async () => {
      while (polling) {
        const available = (await pods(ns, 'web')).filter(isReady).length;
        minAvailable = Math.min(minAvailable, available);
        samples++;
        await sleep(20);
      }
    })();
    let result: RunResult;
    try {
      result = await kubectl(
        ['drain', drained, '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=90s'],
        100_000,
      );
    } finally {
      polling = false;
      await poller;
    }
    const output = `${result.stdout}\n${result.stderr}`;
    expect(result.code, output).toBe(0);
    expect(output).toContain(`node/${drained} cordoned`);
    expect(output).toMatch(/Warning: ignoring DaemonSet-managed Pods: .*nodes-drain\/agent-/);
    expect(output).toContain(`node/${drained} drained`);
    // The budget held kubectl back (429) until replacements were Ready elsewhere.
    expect(output).toContain("Cannot evict pod as it would violate the pod's disruption budget.");
    expect(output).toMatch(/will retry after 5s/);
    expect(samples).toBeGreaterThan(10);
    expect(minAvailable).toBeGreaterThanOrEqual(2);

    const after = await readyPods(ns, 'web', 3);
    expect(after.some((p) => p.spec.nodeName === drained)).toBe(false);
    const daemons = await readyPods(ns, 'agent', 3);
    expect(daemons.map((p) => p.spec.nodeName).sort()).toEqual(nodeNames);
    expect(await nodeStatus(drained)).toBe('Ready,SchedulingDisabled');
    expect(await run(['uncordon', drained])).toContain(`node/${drained} uncordoned`);
  });
});

// ---- restart ----

describe('after a restart', () => {
  it('the annotated nodes, including one added at run time, are simulated again', async () => {
    await apply({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'skiff-kept', annotations: { 'skiff.dev/simulated': 'true' } },
      status: { capacity: { cpu: '12' } },
    });
    await eventually('skiff-kept Ready', async () => (await nodeStatus('skiff-kept')) === 'Ready');
    const renewTime = async (name: string): Promise<string> =>
      run(['get', 'lease', name, '-n', 'kube-node-lease', '-o', 'jsonpath={.spec.renewTime}']);
    const before = await renewTime('skiff-kept');

    await skiff.restart();
    // Renewed by the new process: it took the node on again from the store.
    await eventually(
      'the lease of skiff-kept renewed after the restart',
      async () => (await renewTime('skiff-kept')) > before,
      30_000,
      500,
    );
    const table = tableOf(await run(['get', 'nodes']));
    expect(table.map((r) => r.NAME).sort()).toEqual([...nodeNames, 'skiff-kept'].sort());
    expect(table.every((r) => r.STATUS.startsWith('Ready'))).toBe(true);
    expect((await node('skiff-kept')).status?.capacity?.cpu).toBe('12');
    for (const name of nodeNames)
      expect((await renewTime(name)) > before, `lease of ${name} renewed`).toBe(true);
    await run(['delete', 'node', 'skiff-kept']);
  });
});
