// Resource metrics and the HorizontalPodAutoscaler on a simulated cluster (`skiff serve
// --simulated-nodes 3`) with real kubectl: `kubectl top`, the metrics.k8s.io API, and
// `kubectl autoscale` scaling a Deployment up when its pods are busy and down when they idle.
// The HPA controller syncs every 15 s as in kube, so each scaling step takes up to ~30 s.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSkiffWithNodes } from './support/skiff.ts';
import type { Skiff } from './support/skiff.ts';
import { createObjects, namespace } from './support/fixtures.ts';
import { eventually, fails, getJson, headerOf, ok, tableOf } from './support/helpers.ts';

const NS = 'autoscale';
let skiff: Skiff;

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: ${NS}}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata:
      labels: {app: web}
      annotations: {skiff.dev/simulate-cpu: 500m, skiff.dev/simulate-memory: 64Mi}
    spec:
      containers:
      - name: app
        image: registry.local/skiff/web:1
        resources: {requests: {cpu: 100m, memory: 128Mi}}
`;

async function kubectl(args: string[], input?: string): Promise<string> {
  return ok(await skiff.kubectl(args, { timeoutMs: 30_000, input }));
}

async function replicas(): Promise<number> {
  const out = await kubectl([
    'get',
    'deployment',
    'web',
    '-n',
    NS,
    '-o',
    'jsonpath={.spec.replicas}',
  ]);
  return Number(out);
}

/** Running pods of the Deployment that are not being deleted. */
async function runningPods(): Promise<string[]> {
  const list = await getJson<{
    items: {
      metadata: { name: string; deletionTimestamp?: string };
      status?: { phase?: string };
    }[];
  }>(skiff, ['pods', '-n', NS, '-l', 'app=web']);
  return list.items
    .filter((p) => !p.metadata.deletionTimestamp && p.status?.phase === 'Running')
    .map((p) => p.metadata.name);
}

async function hpaTargets(): Promise<string> {
  return tableOf(await kubectl(['get', 'hpa', 'web', '-n', NS]))[0]?.TARGETS ?? '';
}

async function events(reason: string): Promise<string[]> {
  const out = await kubectl([
    'get',
    'events',
    '-n',
    NS,
    '--field-selector',
    `involvedObject.kind=HorizontalPodAutoscaler,reason=${reason}`,
    '-o',
    'jsonpath={range .items[*]}{.message}{"\\n"}{end}',
  ]);
  return out.split('\n').filter(Boolean);
}

beforeAll(async () => {
  skiff = await startSkiffWithNodes(3);
  await createObjects(skiff, namespace(NS));
});

afterAll(async () => {
  await skiff?.stop();
});

describe('metrics API and HPA with kubectl', () => {
  it('serves metrics.k8s.io in discovery', async () => {
    const resources = await kubectl(['api-resources', '--api-group=metrics.k8s.io']);
    const rows = tableOf(resources);
    expect(rows.map((r) => [r.NAME, r.APIVERSION, r.NAMESPACED, r.KIND])).toEqual([
      ['nodes', 'metrics.k8s.io/v1beta1', 'false', 'NodeMetrics'],
      ['pods', 'metrics.k8s.io/v1beta1', 'true', 'PodMetrics'],
    ]);
  });

  it('autoscales a Deployment up on CPU and down again, with kubectl top showing the usage', async () => {
    await kubectl(['apply', '-f', '-'], deployment);
    expect(
      await kubectl([
        'autoscale',
        'deployment',
        'web',
        '-n',
        NS,
        '--cpu=50%',
        '--min=1',
        '--max=5',
      ]),
    ).toContain('horizontalpodautoscaler.autoscaling/web autoscaled');
    // No scale-down stabilization, so the test need not wait five minutes.
    await kubectl([
      'patch',
      'hpa',
      'web',
      '-n',
      NS,
      '--type=merge',
      '-p',
      '{"spec":{"behavior":{"scaleDown":{"stabilizationWindowSeconds":0}}}}',
    ]);
    await eventually('the pod runs', async () => (await runningPods()).length === 1, 30_000);

    // kubectl top reads PodMetrics: the same columns as against metrics-server.
    const top = await eventually(
      'pod metrics',
      async () => {
        const result = await skiff.kubectl(['top', 'pod', '-n', NS]);
        return result.code === 0 && result.stdout;
      },
      30_000,
    );
    expect(headerOf(top)).toEqual(['NAME', 'CPU(cores)', 'MEMORY(bytes)']);
    expect(tableOf(top)[0]).toMatchObject({ 'CPU(cores)': '500m', 'MEMORY(bytes)': '64Mi' });
    const all = await kubectl(['top', 'pod', '-A']);
    expect(headerOf(all)).toEqual(['NAMESPACE', 'NAME', 'CPU(cores)', 'MEMORY(bytes)']);
    expect(tableOf(all).every((r) => r.NAMESPACE === NS)).toBe(true);

    // Above target: 500% of the request against 50% → the maximum of 5 replicas.
    await eventually('scaled up to 5', async () => (await replicas()) === 5, 60_000, 1000);
    expect(await hpaTargets()).toBe('cpu: 500%/50%');
    expect(await events('SuccessfulRescale')).toContain(
      'New size: 5; reason: cpu resource utilization (percentage of request) above target',
    );
    const busy = await eventually(
      'five running pods',
      async () => {
        const names = await runningPods();
        return names.length === 5 && names;
      },
      30_000,
    );

    // kubectl top node: each simulated node reports the sum of its pods (idle ones zero).
    const nodes = await eventually(
      'node metrics of every pod',
      async () => {
        const rows = tableOf(await kubectl(['top', 'node']));
        const total = rows.reduce((sum, r) => sum + Number(r['CPU(cores)'].replace(/m$/, '')), 0);
        return total === 2500 && rows;
      },
      30_000,
    );
    expect(nodes.map((r) => r.NAME).sort()).toEqual(['skiff-sim-1', 'skiff-sim-2', 'skiff-sim-3']);
    expect(Object.keys(nodes[0])).toEqual([
      'NAME',
      'CPU(cores)',
      'CPU(%)',
      'MEMORY(bytes)',
      'MEMORY(%)',
    ]);
    expect(
      nodes.every((r) => /^\d+%$/.test(r['CPU(%)']) && /^\d+Mi$/.test(r['MEMORY(bytes)'])),
    ).toBe(true);
    const hpa = await kubectl(['get', 'hpa', '-n', NS]);
    expect(headerOf(hpa)).toEqual([
      'NAME',
      'REFERENCE',
      'TARGETS',
      'MINPODS',
      'MAXPODS',
      'REPLICAS',
      'AGE',
    ]);
    expect(tableOf(hpa)[0]).toMatchObject({
      REFERENCE: 'Deployment/web',
      MINPODS: '1',
      MAXPODS: '5',
    });

    // The pods go idle: 10% of the request → back to the minimum.
    await kubectl([
      'annotate',
      'pods',
      '-n',
      NS,
      ...busy,
      '--overwrite',
      'skiff.dev/simulate-cpu=10m',
    ]);
    await eventually('scaled down to 1', async () => (await replicas()) === 1, 60_000, 1000);
    expect(await events('SuccessfulRescale')).toContain(
      'New size: 1; reason: All metrics below target',
    );
    await eventually(
      'HPA shows the low usage',
      async () => (await hpaTargets()) === 'cpu: 10%/50%',
      30_000,
      1000,
    );
  });

  it('answers for pods without usage as metrics-server does', async () => {
    await kubectl(['run', 'plain', '-n', NS, '--image=registry.local/skiff/web:1']);
    await eventually(
      'plain runs',
      async () =>
        (await kubectl(['get', 'pod', 'plain', '-n', NS, '-o', 'jsonpath={.status.phase}'])) ===
        'Running',
      30_000,
    );
    expect(fails(await skiff.kubectl(['top', 'pod', 'plain', '-n', NS]))).toContain(
      `Error from server (NotFound): podmetrics.metrics.k8s.io "${NS}/plain" not found`,
    );
    expect(fails(await skiff.kubectl(['top', 'pod', 'nosuch', '-n', NS]))).toContain(
      'Error from server (NotFound): pods "nosuch" not found',
    );
    const table = await kubectl(['get', 'pods.metrics.k8s.io', '-n', NS]);
    expect(headerOf(table)).toEqual(['NAME', 'CPU', 'MEMORY', 'WINDOW']);
    expect(tableOf(table).map((r) => r.NAME)).not.toContain('plain');
  });
});
