// Metrics and image pulls on the Docker node, with real kubectl on a real dockerd: `kubectl top`
// shows Docker stats of a pod burning CPU under a limit and of the node, an HPA scales a
// Deployment up from those figures, and a pull of a freshly pushed tag gives kubelet's Pulling /
// Pulled events (then "already present" for the next pod) and leaves a pull progress record.
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSkiff, type Skiff } from './support/skiff.ts';
import { clusterIdOf, removeClusterObjects, requireDocker } from './support/docker.ts';
import { eventually, headerOf, ok, tableOf } from './support/helpers.ts';
import { readDockerTestEnv } from '../scripts/docker-test-env/state.ts';

const NODE = 'skiff-e2e-metrics';
const NS = 'docker-metrics';

let skiff: Skiff;
let docker: Docker;
let clusterId = '';
let busybox = '';
let pushed: string | undefined;

beforeAll(async () => {
  docker = await requireDocker();
  busybox = readDockerTestEnv().images.busybox.ref;
  skiff = await startSkiff({ docker: true, args: ['--node-name', NODE] });
  clusterId = await clusterIdOf(skiff);
  ok(await kubectl(['wait', '--for=condition=Ready', `node/${NODE}`, '--timeout=30s']));
  ok(await kubectl(['create', 'namespace', NS]));
}, 90_000);

afterAll(async () => {
  await skiff?.stop();
  if (docker && clusterId) await removeClusterObjects(docker, clusterId);
  if (pushed)
    await docker
      .getImage(pushed)
      .remove()
      .catch(() => undefined);
}, 60_000);

function kubectl(args: string[], input?: string, timeoutMs = 30_000) {
  return skiff.kubectl(args, { input, timeoutMs });
}

/** Millicores from a `kubectl top` CPU cell (`250m`, `1`). */
function millis(cell: string): number {
  return cell.endsWith('m') ? Number(cell.slice(0, -1)) : Number(cell) * 1000;
}

async function events(pod: string): Promise<{ reason: string; message: string }[]> {
  const out = ok(
    await kubectl([
      'get',
      'events',
      '-n',
      NS,
      '--field-selector',
      `involvedObject.name=${pod}`,
      '-o',
      'json',
    ]),
  );
  return (JSON.parse(out) as { items: { reason: string; message: string }[] }).items;
}

async function waitRunning(pod: string): Promise<void> {
  ok(await kubectl(['wait', '-n', NS, '--for=condition=Ready', `pod/${pod}`, '--timeout=60s']));
}

// Keeps 8 MB in a shell variable (a working set kubectl top shows in Mi) and spins.
const BURN = 'x=$(yes abcdefgh | head -c 8000000); while :; do :; done';

describe('metrics from Docker stats', () => {
  it('kubectl top shows a CPU-burning pod at its limit and the node', async () => {
    ok(
      await kubectl(
        ['apply', '-f', '-'],
        `apiVersion: v1
kind: Pod
metadata: {name: burner, namespace: ${NS}}
spec:
  containers:
  - name: burn
    image: ${busybox}
    command: [sh, -c, "${BURN.replace(/"/g, '\\"')}"]
    resources: {limits: {cpu: 200m, memory: 64Mi}}
`,
      ),
    );
    await waitRunning('burner');
    const row = await eventually(
      'pod metrics of burner',
      async () => {
        const res = await kubectl(['top', 'pod', 'burner', '-n', NS, '--containers']);
        if (res.code !== 0) return false;
        const r = tableOf(res.stdout)[0];
        // The first rate can be taken before the 8 MB are in place.
        return r && millis(r['CPU(cores)']) > 0 && parseInt(r['MEMORY(bytes)'], 10) >= 7 && r;
      },
      45_000,
      1000,
    );
    expect(row).toMatchObject({ POD: 'burner', NAME: 'burn' });
    // The loop uses all the CFS quota it is given (200m), never more, some less on a busy machine.
    expect(millis(row['CPU(cores)'])).toBeGreaterThanOrEqual(80);
    expect(millis(row['CPU(cores)'])).toBeLessThanOrEqual(260);
    expect(row['MEMORY(bytes)']).toMatch(/^\d+Mi$/);

    const raw = JSON.parse(
      ok(
        await kubectl([
          'get',
          '--raw',
          `/apis/metrics.k8s.io/v1beta1/namespaces/${NS}/pods/burner`,
        ]),
      ),
    ) as { window: string; containers: { name: string; usage: { cpu: string; memory: string } }[] };
    // App containers only: the sandbox is not reported.
    expect(raw.containers.map((c) => c.name)).toEqual(['burn']);
    expect(raw.containers[0].usage.cpu).toMatch(/^\d+n$/);
    expect(raw.window).toMatch(/^[\d.]+m?s$/);

    const nodes = await kubectl(['top', 'node']);
    expect(headerOf(ok(nodes))).toEqual([
      'NAME',
      'CPU(cores)',
      'CPU(%)',
      'MEMORY(bytes)',
      'MEMORY(%)',
    ]);
    const node = tableOf(nodes.stdout).find((r) => r.NAME === NODE);
    expect(node).toBeDefined();
    // The node is the sum of the cluster's containers, so it carries at least the burn.
    expect(millis(node!['CPU(cores)'])).toBeGreaterThanOrEqual(80);
    expect(parseInt(node!['MEMORY(bytes)'], 10)).toBeGreaterThanOrEqual(7);
    ok(await kubectl(['delete', 'pod', 'burner', '-n', NS, '--grace-period=0', '--force']));
  }, 120_000);

  it('an HPA on CPU utilization scales a Deployment up from the Docker figures', async () => {
    ok(
      await kubectl(
        ['apply', '-f', '-'],
        `apiVersion: apps/v1
kind: Deployment
metadata: {name: busy, namespace: ${NS}}
spec:
  replicas: 1
  selector: {matchLabels: {app: busy}}
  template:
    metadata: {labels: {app: busy}}
    spec:
      terminationGracePeriodSeconds: 0
      containers:
      - name: spin
        image: ${busybox}
        command: [sh, -c, "while :; do :; done"]
        resources: {requests: {cpu: 50m}, limits: {cpu: 150m}}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: busy, namespace: ${NS}}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: busy}
  minReplicas: 1
  maxReplicas: 3
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}
`,
      ),
    );
    // ~150m used of 50m requested = ~300% against 50% → the maximum of 3.
    await eventually(
      'scaled up',
      async () => {
        const out = ok(
          await kubectl(['get', 'deployment', 'busy', '-n', NS, '-o', 'jsonpath={.spec.replicas}']),
        );
        return Number(out) >= 2;
      },
      120_000,
      2000,
    );
    const hpa = JSON.parse(ok(await kubectl(['get', 'hpa', 'busy', '-n', NS, '-o', 'json']))) as {
      status: {
        desiredReplicas: number;
        currentMetrics?: { resource: { current: { averageUtilization: number } } }[];
      };
    };
    expect(hpa.status.desiredReplicas).toBeGreaterThanOrEqual(2);
    expect(hpa.status.currentMetrics?.[0].resource.current.averageUtilization).toBeGreaterThan(100);
    const rescale = ok(
      await kubectl([
        'get',
        'events',
        '-n',
        NS,
        '--field-selector',
        'reason=SuccessfulRescale',
        '-o',
        'jsonpath={.items[*].message}',
      ]),
    );
    expect(rescale).toContain(
      'reason: cpu resource utilization (percentage of request) above target',
    );
    ok(await kubectl(['delete', 'hpa,deployment', 'busy', '-n', NS]));
  }, 180_000);
});

describe('image pulls', () => {
  it("emits kubelet's pull events for a fresh tag, then 'already present'", async () => {
    // A tag no node has: pushed to the local registry, then untagged here so a real pull happens.
    const repo = busybox.replace(/:[^/:]+$/, '').replace(/busybox$/, 'pull-e2e');
    const tag = `t${Date.now()}`;
    pushed = `${repo}:${tag}`;
    await docker.getImage(busybox).tag({ repo, tag });
    // An empty X-Registry-Auth: the local registry is open.
    const push = await docker.getImage(pushed).push({ authconfig: {} });
    await new Promise<void>((resolve, reject) =>
      docker.modem.followProgress(push, (err: Error | null) => (err ? reject(err) : resolve())),
    );
    await docker.getImage(pushed).remove();

    const podYaml = (name: string) => `apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: ${NS}}
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - {name: main, image: "${pushed}", imagePullPolicy: IfNotPresent, command: [sleep, "3600"]}
`;
    ok(await kubectl(['apply', '-f', '-'], podYaml('fresh')));
    await waitRunning('fresh');
    const first = await eventually(
      'pull events',
      async () => {
        const list = await events('fresh');
        return list.some((e) => e.reason === 'Pulled') && list;
      },
      20_000,
      500,
    );
    expect(first.find((e) => e.reason === 'Pulling')?.message).toBe(`Pulling image "${pushed}"`);
    const pulled = first.find((e) => e.reason === 'Pulled')?.message ?? '';
    const size = (await docker.getImage(pushed).inspect()).Size;
    expect(pulled).toMatch(
      new RegExp(
        `^Successfully pulled image "${pushed.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}" in (\\d+ms|\\d+(\\.\\d+)?s) \\((\\d+ms|\\d+(\\.\\d+)?s) including waiting\\)\\. Image size: ${size} bytes\\.$`,
      ),
    );

    ok(await kubectl(['apply', '-f', '-'], podYaml('second')));
    await waitRunning('second');
    const second = await eventually(
      'second pod events',
      async () => {
        const list = await events('second');
        return list.some((e) => e.reason === 'Pulled') && list;
      },
      20_000,
      500,
    );
    expect(second.filter((e) => e.reason === 'Pulling')).toEqual([]);
    expect(second.find((e) => e.reason === 'Pulled')?.message).toBe(
      `Container image "${pushed}" already present on machine and can be accessed by the pod`,
    );
    ok(await kubectl(['delete', 'pod', 'fresh', 'second', '-n', NS, '--wait=false']));
  }, 120_000);
});
