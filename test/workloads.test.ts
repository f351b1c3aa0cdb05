// Workloads on a simulated cluster (`skiff serve --simulated-nodes 3`) driven by real kubectl:
// Deployments and their rollouts, ReplicaSets, the scheduler, cordon, garbage collection and
// Endpoints — what kube-controller-manager and kube-scheduler do for `kubectl rollout` and friends.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSkiffWithNodes } from './support/skiff.ts';
import type { Skiff } from './support/skiff.ts';
import { createObjects, namespace } from './support/fixtures.ts';
import { eventually, fails, ok, show, sleep } from './support/helpers.ts';
import type { RunResult } from './support/processes.ts';

const nodeNames = ['skiff-sim-1', 'skiff-sim-2', 'skiff-sim-3'];
const image1 = 'registry.local/skiff/web:1';
const image2 = 'registry.local/skiff/web:2';
const image3 = 'registry.local/skiff/web:3';

let skiff: Skiff;

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

interface OwnerReference {
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
}

interface Meta {
  name: string;
  namespace?: string;
  uid: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  deletionTimestamp?: string;
}

interface Pod {
  metadata: Meta;
  spec: { nodeName?: string; containers: { image: string }[] };
  status?: { phase?: string; podIP?: string; conditions?: Condition[] };
}

interface ReplicaSet {
  metadata: Meta;
  spec: { replicas?: number; template: { spec: { containers: { image: string }[] } } };
  status?: { replicas?: number; readyReplicas?: number; availableReplicas?: number };
}

interface List<T> {
  items: T[];
}

beforeAll(async () => {
  skiff = await startSkiffWithNodes(3);
});

afterAll(async () => {
  await skiff?.stop();
});

// ---- helpers (local to this suite) ----

async function apiJson<T>(path: string): Promise<T> {
  const response = await skiff.api(path);
  expect(response.status, `GET ${path}: ${response.text}`).toBe(200);
  return response.json<T>();
}

function kubectl(args: string[], timeoutMs = 30_000, input?: string): Promise<RunResult> {
  return skiff.kubectl(args, { timeoutMs, input });
}

async function run(args: string[], timeoutMs = 30_000, input?: string): Promise<string> {
  return ok(await kubectl(args, timeoutMs, input));
}

/** Creates a namespace of the suite's own for one test or group. */
async function makeNamespace(name: string): Promise<string> {
  await createObjects(skiff, namespace(name));
  return name;
}

async function pods(ns: string): Promise<Pod[]> {
  return (await apiJson<List<Pod>>(`/api/v1/namespaces/${ns}/pods`)).items;
}

async function replicaSets(ns: string): Promise<ReplicaSet[]> {
  return (await apiJson<List<ReplicaSet>>(`/apis/apps/v1/namespaces/${ns}/replicasets`)).items;
}

function live(list: Pod[]): Pod[] {
  return list.filter((p) => !p.metadata.deletionTimestamp);
}

function isReady(pod: Pod): boolean {
  return (
    !pod.metadata.deletionTimestamp &&
    pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true
  );
}

function imageOf(object: Pod | ReplicaSet): string {
  return 'template' in object.spec
    ? object.spec.template.spec.containers[0].image
    : object.spec.containers[0].image;
}

function deployment(
  ns: string,
  name: string,
  options: {
    replicas?: number;
    image?: string;
    strategy?: Record<string, unknown>;
    revisionHistoryLimit?: number;
    progressDeadlineSeconds?: number;
    podAnnotations?: Record<string, string>;
  } = {},
): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns },
    spec: {
      replicas: options.replicas ?? 2,
      selector: { matchLabels: { app: name } },
      ...(options.strategy ? { strategy: options.strategy } : {}),
      ...(options.revisionHistoryLimit !== undefined
        ? { revisionHistoryLimit: options.revisionHistoryLimit }
        : {}),
      ...(options.progressDeadlineSeconds !== undefined
        ? { progressDeadlineSeconds: options.progressDeadlineSeconds }
        : {}),
      template: {
        metadata: {
          labels: { app: name },
          ...(options.podAnnotations ? { annotations: options.podAnnotations } : {}),
        },
        spec: { containers: [{ name: 'web', image: options.image ?? image1 }] },
      },
    },
  };
}

async function apply(object: Record<string, unknown>): Promise<void> {
  await run(['apply', '-f', '-'], 30_000, JSON.stringify(object));
}

async function rolloutStatus(ns: string, name: string): Promise<string> {
  return run(['rollout', 'status', `deployment/${name}`, '-n', ns, '--timeout=55s'], 60_000);
}

async function deploymentImage(ns: string, name: string): Promise<string> {
  return run([
    'get',
    'deployment',
    name,
    '-n',
    ns,
    '-o',
    'jsonpath={.spec.template.spec.containers[0].image}',
  ]);
}

/** Waits until `count` pods of `app` are Ready and none other of it is alive; returns them. */
async function readyPods(ns: string, app: string, count: number, ms = 30_000): Promise<Pod[]> {
  return eventually(
    `${count} ready pods of ${app} in ${ns}`,
    async () => {
      const mine = live(await pods(ns)).filter((p) => p.metadata.labels?.app === app);
      return mine.length === count && mine.every(isReady) && mine;
    },
    ms,
  );
}

/** The objects of a stream of pretty-printed JSON documents (`kubectl get -w -o json`). */
function parseJsonStream<T>(text: string): T[] {
  const objects: T[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  let escaped = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (escaped) escaped = false;
      else if (ch === '\\') escaped = true;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    else if (ch === '{') {
      if (depth === 0) start = i;
      depth += 1;
    } else if (ch === '}') {
      depth -= 1;
      if (depth === 0) objects.push(JSON.parse(text.slice(start, i + 1)) as T);
    }
  }
  return objects;
}

function conditionOf(pod: Pod, type: string): Condition | undefined {
  return pod.status?.conditions?.find((c) => c.type === type);
}

// ---- Deployments ----

describe('kubectl create deployment', () => {
  it('rolls out three replicas, spread over the three nodes', async () => {
    const ns = await makeNamespace('wl-create');
    await run(['create', 'deployment', 'web', `--image=${image1}`, '--replicas=3', '-n', ns]);
    const out = await rolloutStatus(ns, 'web');
    expect(out).toContain('deployment "web" successfully rolled out');

    const running = await readyPods(ns, 'web', 3);
    expect(running.map((p) => p.status?.phase)).toEqual(['Running', 'Running', 'Running']);
    expect(running.map((p) => p.spec.nodeName).sort()).toEqual(nodeNames);

    const table = await run(['get', 'deployment', 'web', '-n', ns]);
    expect(table).toMatch(/^web\s+3\/3\s+3\s+3\s+/m);
  });
});

describe('rolling update', () => {
  it('keeps pods within maxSurge and available pods within maxUnavailable', async () => {
    const ns = await makeNamespace('wl-rolling');
    await apply(
      deployment(ns, 'web', {
        replicas: 4,
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } },
      }),
    );
    await rolloutStatus(ns, 'web');
    await readyPods(ns, 'web', 4);

    const violations: string[] = [];
    let observations = 0;
    let sawNewImage = false;
    let watching = true;
    const observe = async () => {
      const [podList, rsList] = await Promise.all([pods(ns), replicaSets(ns)]);
      observations += 1;
      const alive = live(podList);
      const available = alive.filter(isReady).length;
      const specTotal = rsList.reduce((sum, rs) => sum + (rs.spec.replicas ?? 0), 0);
      if (alive.some((p) => imageOf(p) === image2)) sawNewImage = true;
      if (alive.length > 5)
        violations.push(`${alive.length} pods (${alive.map((p) => p.metadata.name).join()})`);
      if (specTotal > 5) violations.push(`ReplicaSets want ${specTotal} replicas`);
      if (available < 3) violations.push(`only ${available} available pods`);
    };
    const watcher = (async () => {
      while (watching) {
        await observe();
        await sleep(50);
      }
    })();

    // The same bounds as kubectl sees them: every ReplicaSet event of `kubectl get rs -w`.
    const rsWatch = skiff.kubectlStream(['get', 'rs', '-n', ns, '-w', '-o', 'json']);
    try {
      await rsWatch.waitForOutput(/"kind": "ReplicaSet"/, 20_000);
      await run(['set', 'image', 'deployment/web', `web=${image2}`, '-n', ns]);
      const out = await rolloutStatus(ns, 'web');
      expect(out).toContain('deployment "web" successfully rolled out');
      await readyPods(ns, 'web', 4);
      await rsWatch.waitForOutput(/"image": "registry\.local\/skiff\/web:2"/, 10_000);
    } finally {
      watching = false;
      await watcher;
      await rsWatch.stop('SIGKILL');
    }
    await observe(); // the state after the rollout, even if it finished between two polls
    expect(violations, `${observations} observations`).toEqual([]);

    const latest = new Map<string, ReplicaSet>();
    const streamViolations: string[] = [];
    let events = 0;
    for (const rs of parseJsonStream<ReplicaSet>(rsWatch.stdout)) {
      events += 1;
      latest.set(rs.metadata.name, rs);
      const all = [...latest.values()];
      const specTotal = all.reduce((sum, r) => sum + (r.spec.replicas ?? 0), 0);
      const available = all.reduce((sum, r) => sum + (r.status?.availableReplicas ?? 0), 0);
      if (specTotal > 5) streamViolations.push(`event ${events}: ${specTotal} replicas wanted`);
      if (available < 3) streamViolations.push(`event ${events}: ${available} available`);
    }
    expect(streamViolations, rsWatch.describe()).toEqual([]);
    expect(latest.size).toBe(2);
    // The poller must have watched the rollout; simulated pods are ready within milliseconds, so a
    // fast machine may finish it in a handful of 50 ms polls (the RS stream above sees every step).
    expect(observations).toBeGreaterThan(1);
    expect(events).toBeGreaterThan(3);
    expect(sawNewImage).toBe(true);

    const final = live(await pods(ns));
    expect(final.map(imageOf)).toEqual([image2, image2, image2, image2]);
    const rs = await replicaSets(ns);
    expect(rs).toHaveLength(2);
    expect(rs.map((r) => [imageOf(r), r.spec.replicas]).sort()).toEqual([
      [image1, 0],
      [image2, 4],
    ]);
  });
});

describe('kubectl rollout', () => {
  const ns = 'wl-rollout';

  beforeAll(async () => {
    await makeNamespace(ns);
    await apply(deployment(ns, 'web', { replicas: 2 }));
    await run([
      'annotate',
      'deployment',
      'web',
      '-n',
      ns,
      'kubernetes.io/change-cause=create web v1',
    ]);
    await rolloutStatus(ns, 'web');
  });

  it('stores the template with resources: {} as kube-apiserver serializes it', async () => {
    // kubectl rollout undo sends the old ReplicaSet's template back through Go structs, which
    // always carry `resources: {}`; the stored template must look the same or its hash differs.
    const dep = await apiJson<{
      spec: { template: { spec: { containers: Record<string, unknown>[] } } };
    }>(`/apis/apps/v1/namespaces/${ns}/deployments/web`);
    expect(dep.spec.template.spec.containers[0].resources).toEqual({});
    const [rs] = await replicaSets(ns);
    expect((rs.spec.template.spec.containers[0] as Record<string, unknown>).resources).toEqual({});
  });

  it('history lists revisions with their change-cause', async () => {
    await run(['set', 'image', 'deployment/web', `web=${image2}`, '-n', ns]);
    await run([
      'annotate',
      'deployment',
      'web',
      '-n',
      ns,
      '--overwrite',
      'kubernetes.io/change-cause=update to v2',
    ]);
    await rolloutStatus(ns, 'web');
    const history = await eventually(
      'both change-causes in rollout history',
      async () => {
        const out = await run(['rollout', 'history', 'deployment/web', '-n', ns]);
        return /^2\s+update to v2$/m.test(out) && out;
      },
      10_000,
    );
    expect(history).toMatch(/^deployment\.apps\/web\s*$/m);
    expect(history).toMatch(/^REVISION\s+CHANGE-CAUSE$/m);
    expect(history).toMatch(/^1\s+create web v1$/m);
    expect(history).toMatch(/^2\s+update to v2$/m);

    const detail = await run(['rollout', 'history', 'deployment/web', '-n', ns, '--revision=1']);
    expect(detail).toContain(image1);
  });

  it('undo --to-revision=1 goes back to the first image', async () => {
    const out = await run(['rollout', 'undo', 'deployment/web', '--to-revision=1', '-n', ns]);
    expect(out).toMatch(/deployment\.apps\/web rolled back/);
    await rolloutStatus(ns, 'web');
    expect(await deploymentImage(ns, 'web')).toBe(image1);
    const running = await readyPods(ns, 'web', 2);
    expect(running.map(imageOf)).toEqual([image1, image1]);
    // The ReplicaSet of revision 1 is reused (same pod-template-hash) and becomes revision 3.
    const rs = await replicaSets(ns);
    const first = rs.filter((r) => imageOf(r) === image1);
    expect(
      first.map((r) => r.metadata.name),
      'one ReplicaSet for the first template',
    ).toHaveLength(1);
    expect(first[0].metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('3');
    const history = await run(['rollout', 'history', 'deployment/web', '-n', ns]);
    expect(history).toMatch(/^2\s+/m);
    expect(history).toMatch(/^3\s+/m);
    expect(history).not.toMatch(/^1\s+/m);
  });

  it('pause holds a template change back; resume rolls it out', async () => {
    const before = (await replicaSets(ns)).map((rs) => rs.metadata.name).sort();
    ok(await kubectl(['rollout', 'pause', 'deployment/web', '-n', ns]));
    await run(['set', 'image', 'deployment/web', `web=${image3}`, '-n', ns]);
    await sleep(3_000);
    const paused = await replicaSets(ns);
    expect(paused.map((rs) => rs.metadata.name).sort()).toEqual(before);
    expect(paused.some((rs) => imageOf(rs) === image3)).toBe(false);
    expect(live(await pods(ns)).map(imageOf)).toEqual([image1, image1]);

    ok(await kubectl(['rollout', 'resume', 'deployment/web', '-n', ns]));
    await rolloutStatus(ns, 'web');
    const running = await readyPods(ns, 'web', 2);
    expect(running.map(imageOf)).toEqual([image3, image3]);
    expect((await replicaSets(ns)).some((rs) => imageOf(rs) === image3)).toBe(true);
  });

  it('restart makes a new ReplicaSet', async () => {
    const before = (await replicaSets(ns)).map((rs) => rs.metadata.name);
    const out = await run(['rollout', 'restart', 'deployment/web', '-n', ns]);
    expect(out).toContain('deployment.apps/web restarted');
    await rolloutStatus(ns, 'web');
    const after = await replicaSets(ns);
    const added = after.filter((rs) => !before.includes(rs.metadata.name));
    expect(added).toHaveLength(1);
    expect(added[0].spec.replicas).toBe(2);
    expect(imageOf(added[0])).toBe(image3);
    const template = await apiJson<{
      spec: { template: { metadata: { annotations?: Record<string, string> } } };
    }>(`/apis/apps/v1/namespaces/${ns}/deployments/web`);
    expect(
      template.spec.template.metadata.annotations?.['kubectl.kubernetes.io/restartedAt'],
    ).toMatch(/^\d{4}-\d\d-\d\dT/);
    const running = await readyPods(ns, 'web', 2);
    expect(running.every((p) => p.metadata.labels?.['pod-template-hash'] !== undefined)).toBe(true);
    expect(
      running.every((p) => p.metadata.ownerReferences?.[0]?.name === added[0].metadata.name),
    ).toBe(true);
  });
});

describe('Recreate strategy', () => {
  it('removes every old pod before it starts a new one', async () => {
    const ns = await makeNamespace('wl-recreate');
    await apply(deployment(ns, 'web', { replicas: 3, strategy: { type: 'Recreate' } }));
    await rolloutStatus(ns, 'web');
    await readyPods(ns, 'web', 3);

    const violations: string[] = [];
    // Observation numbers: the last that saw an old pod must come before the first with a new one.
    let observation = 0;
    let lastOld = -1;
    let firstNew = -1;
    let watching = true;
    const observe = async () => {
      const all = await pods(ns);
      const images = new Set(all.map(imageOf));
      if (images.has(image1) && images.has(image2))
        violations.push(all.map((p) => `${p.metadata.name}=${imageOf(p)}`).join(' '));
      observation += 1;
      if (images.has(image1)) lastOld = observation;
      if (images.has(image2) && firstNew < 0) firstNew = observation;
    };
    const watcher = (async () => {
      while (watching) {
        await observe();
        await sleep(50);
      }
    })();
    try {
      await run(['set', 'image', 'deployment/web', `web=${image2}`, '-n', ns]);
      await rolloutStatus(ns, 'web');
      await readyPods(ns, 'web', 3);
    } finally {
      watching = false;
      await watcher;
    }
    // One more look after the loop ends, so a rollout that finished between two polls is seen.
    await observe();
    expect(violations).toEqual([]);
    expect(lastOld).toBeGreaterThan(0);
    expect(firstNew).toBeGreaterThan(lastOld);
    expect(live(await pods(ns)).map(imageOf)).toEqual([image2, image2, image2]);
  });
});

describe('revisionHistoryLimit', () => {
  it('prunes old ReplicaSets beyond the limit', async () => {
    const ns = await makeNamespace('wl-history');
    await apply(deployment(ns, 'web', { replicas: 1, revisionHistoryLimit: 1 }));
    await rolloutStatus(ns, 'web');
    for (const image of [image2, image3, 'registry.local/skiff/web:4']) {
      await run(['set', 'image', 'deployment/web', `web=${image}`, '-n', ns]);
      await rolloutStatus(ns, 'web');
    }
    const kept = await eventually(
      'old ReplicaSets pruned to one',
      async () => {
        const rs = await replicaSets(ns);
        return rs.length === 2 && rs;
      },
      20_000,
    );
    expect(kept.map((rs) => [imageOf(rs), rs.spec.replicas]).sort()).toEqual([
      [image3, 0],
      ['registry.local/skiff/web:4', 1],
    ]);
  });
});

describe('progress deadline', () => {
  it('rollout status fails once the deployment exceeded its progress deadline', async () => {
    const ns = await makeNamespace('wl-deadline');
    await apply(
      deployment(ns, 'stuck', {
        replicas: 1,
        progressDeadlineSeconds: 5,
        podAnnotations: { 'skiff.dev/simulate-never-ready': 'true' },
      }),
    );
    const started = Date.now();
    const result = await kubectl(
      ['rollout', 'status', 'deployment/stuck', '-n', ns, '--timeout=55s'],
      60_000,
    );
    const out = fails(result);
    expect(out).toContain('error: deployment "stuck" exceeded its progress deadline');
    expect(Date.now() - started, show(result)).toBeLessThan(50_000);

    const dep = await apiJson<{ status: { conditions?: Condition[] } }>(
      `/apis/apps/v1/namespaces/${ns}/deployments/stuck`,
    );
    const progressing = dep.status.conditions?.find((c) => c.type === 'Progressing');
    expect(progressing).toMatchObject({ status: 'False', reason: 'ProgressDeadlineExceeded' });
    expect(progressing?.message).toMatch(
      /^ReplicaSet "stuck-[a-z0-9]+" has timed out progressing\.$/,
    );
  });
});

describe('scale and delete', () => {
  it('kubectl scale deployment sets the replica count', async () => {
    const ns = await makeNamespace('wl-scale');
    await apply(deployment(ns, 'web', { replicas: 2 }));
    await rolloutStatus(ns, 'web');
    const out = await run(['scale', 'deployment', 'web', '--replicas=5', '-n', ns]);
    expect(out).toContain('deployment.apps/web scaled');
    await rolloutStatus(ns, 'web');
    await readyPods(ns, 'web', 5);
    const rs = await replicaSets(ns);
    expect(rs.map((r) => r.spec.replicas)).toEqual([5]);
  });

  it('kubectl delete deployment removes its ReplicaSets and pods', async () => {
    const ns = await makeNamespace('wl-delete');
    await apply(deployment(ns, 'web', { replicas: 3 }));
    await rolloutStatus(ns, 'web');
    await readyPods(ns, 'web', 3);
    await run(['delete', 'deployment', 'web', '-n', ns], 60_000);
    await eventually(
      'ReplicaSets and pods garbage-collected',
      async () => (await replicaSets(ns)).length === 0 && (await pods(ns)).length === 0,
      30_000,
    );
  });

  it('kubectl delete --cascade=orphan leaves ReplicaSets and pods', async () => {
    const ns = await makeNamespace('wl-orphan');
    await apply(deployment(ns, 'web', { replicas: 2 }));
    await rolloutStatus(ns, 'web');
    const before = await readyPods(ns, 'web', 2);
    await run(['delete', 'deployment', 'web', '-n', ns, '--cascade=orphan'], 60_000);
    await eventually(
      'the ReplicaSet released (no ownerReference)',
      async () => {
        const rs = await replicaSets(ns);
        return rs.length === 1 && (rs[0].metadata.ownerReferences ?? []).length === 0;
      },
      20_000,
    );
    await sleep(2_000);
    const rs = await replicaSets(ns);
    expect(rs).toHaveLength(1);
    expect(rs[0].spec.replicas).toBe(2);
    const after = live(await pods(ns));
    expect(after.map((p) => p.metadata.uid).sort()).toEqual(
      before.map((p) => p.metadata.uid).sort(),
    );
    expect(after.every((p) => p.metadata.ownerReferences?.[0]?.name === rs[0].metadata.name)).toBe(
      true,
    );
  });
});

// ---- ReplicaSets ----

describe('ReplicaSet', () => {
  const ns = 'wl-replicaset';
  const replicaSet = {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: 'front', namespace: ns },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'front' } },
      template: {
        metadata: { labels: { app: 'front' } },
        spec: { containers: [{ name: 'web', image: image1 }] },
      },
    },
  };

  beforeAll(async () => {
    await makeNamespace(ns);
    await apply(replicaSet);
  });

  it('replaces a deleted pod', async () => {
    const [victim] = await readyPods(ns, 'front', 2);
    await run(['delete', 'pod', victim.metadata.name, '-n', ns], 30_000);
    const now = await readyPods(ns, 'front', 2);
    expect(now.map((p) => p.metadata.uid)).not.toContain(victim.metadata.uid);
  });

  it('releases a pod whose labels stop matching and replaces it', async () => {
    const [released] = await readyPods(ns, 'front', 2);
    await run(['label', 'pod', released.metadata.name, '-n', ns, '--overwrite', 'app=elsewhere']);
    const orphan = await eventually(
      'the relabelled pod has no ownerReference',
      async () => {
        const pod = await apiJson<Pod>(`/api/v1/namespaces/${ns}/pods/${released.metadata.name}`);
        return (pod.metadata.ownerReferences ?? []).length === 0 && pod;
      },
      20_000,
    );
    expect(orphan.metadata.deletionTimestamp).toBeUndefined();
    const replacements = await readyPods(ns, 'front', 2);
    expect(replacements.map((p) => p.metadata.uid)).not.toContain(released.metadata.uid);
    const rs = await apiJson<ReplicaSet>(`/apis/apps/v1/namespaces/${ns}/replicasets/front`);
    expect(
      replacements.every((p) => p.metadata.ownerReferences?.[0]?.uid === rs.metadata.uid),
    ).toBe(true);
    // The released pod keeps running, on its own.
    await sleep(1_000);
    expect(live(await pods(ns))).toHaveLength(3);
  });
});

// ---- Scheduling ----

describe('scheduler', () => {
  it('leaves a pod that fits nowhere Pending with PodScheduled=False and a FailedScheduling event', async () => {
    const ns = await makeNamespace('wl-unschedulable');
    await createObjects(skiff, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'huge', namespace: ns },
      spec: {
        containers: [{ name: 'main', image: image1, resources: { requests: { cpu: '100' } } }],
      },
    });
    // 100 cpu is more than any node's allocatable, so NodeResourcesFit marks it unresolvable and
    // DefaultPreemption does not try (kube-scheduler 1.35; DynamicResources' PostFilter runs first).
    const expected =
      '0/3 nodes are available: 3 Insufficient cpu. no new claims to deallocate, preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.';
    const condition = await eventually(
      'PodScheduled=False',
      async () => {
        const pod = await apiJson<Pod>(`/api/v1/namespaces/${ns}/pods/huge`);
        const c = conditionOf(pod, 'PodScheduled');
        return c?.status === 'False' && c;
      },
      20_000,
    );
    expect(condition.reason).toBe('Unschedulable');
    expect(condition.message?.startsWith('0/3 nodes are available: 3 Insufficient cpu.')).toBe(
      true,
    );
    expect(condition.message).toBe(expected);
    const pod = await apiJson<Pod>(`/api/v1/namespaces/${ns}/pods/huge`);
    expect(pod.status?.phase).toBe('Pending');
    expect(pod.spec.nodeName).toBeUndefined();

    const events = await eventually(
      'a FailedScheduling event',
      async () => {
        const out = await run(['get', 'events', '-n', ns]);
        return out.includes('FailedScheduling') && out;
      },
      10_000,
    );
    expect(events).toMatch(
      /Warning\s+FailedScheduling\s+pod\/huge\s+0\/3 nodes are available: 3 Insufficient cpu\./,
    );
  });

  it('kubectl cordon keeps new pods off the node; uncordon lets them on again', async () => {
    const ns = await makeNamespace('wl-cordon');
    const cordoned = 'skiff-sim-1';
    try {
      expect(await run(['cordon', cordoned])).toContain(`node/${cordoned} cordoned`);
      const table = await run(['get', 'node', cordoned]);
      expect(table).toMatch(/Ready,SchedulingDisabled/);

      await apply(deployment(ns, 'spread', { replicas: 4 }));
      await rolloutStatus(ns, 'spread');
      const placed = await readyPods(ns, 'spread', 4);
      expect(placed.map((p) => p.spec.nodeName)).not.toContain(cordoned);

      // A pod that may only run on the cordoned node waits.
      await createObjects(skiff, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'pinned', namespace: ns },
        spec: {
          nodeSelector: { 'kubernetes.io/hostname': cordoned },
          containers: [{ name: 'main', image: image1 }],
        },
      });
      const waiting = await eventually(
        'the pinned pod unschedulable',
        async () => {
          const pod = await apiJson<Pod>(`/api/v1/namespaces/${ns}/pods/pinned`);
          const c = conditionOf(pod, 'PodScheduled');
          return c?.status === 'False' && c;
        },
        20_000,
      );
      expect(waiting.message).toMatch(
        /^0\/3 nodes are available: 1 node\(s\) were unschedulable, 2 node\(s\) didn't match Pod's node affinity\/selector\./,
      );
    } finally {
      const out = await run(['uncordon', cordoned]);
      expect(out).toContain(`node/${cordoned} uncordoned`);
    }
    const bound = await eventually(
      'the pinned pod scheduled after uncordon',
      async () => {
        const pod = await apiJson<Pod>(`/api/v1/namespaces/${ns}/pods/pinned`);
        return isReady(pod) && pod;
      },
      30_000,
    );
    expect(bound.spec.nodeName).toBe(cordoned);
    expect(await run(['get', 'node', cordoned])).not.toMatch(/SchedulingDisabled/);
  });
});

describe('node lifecycle', () => {
  it('cordon adds the unschedulable taint and uncordon removes it', async () => {
    const node = 'skiff-sim-3';
    const taints = async (): Promise<string> =>
      run(['get', 'node', node, '-o', 'jsonpath={range .spec.taints[*]}{.key}:{.effect} {end}']);
    try {
      await run(['cordon', node]);
      await eventually(
        'the unschedulable taint on the cordoned node',
        async () => (await taints()).includes('node.kubernetes.io/unschedulable:NoSchedule'),
        15_000,
      );
    } finally {
      await run(['uncordon', node]);
    }
    await eventually(
      'the unschedulable taint removed',
      async () => !(await taints()).includes('node.kubernetes.io/unschedulable'),
      15_000,
    );
  });

  it('a NoExecute taint evicts pods that do not tolerate it; the Deployment replaces them elsewhere', async () => {
    const ns = await makeNamespace('wl-noexecute');
    const node = 'skiff-sim-2';
    const taint = 'skiff.dev/e2e-evict=yes:NoExecute';
    const pinned = (name: string, tolerationSeconds?: number): Record<string, unknown> => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: ns },
      spec: {
        nodeName: node,
        tolerations: [
          {
            key: 'skiff.dev/e2e-evict',
            operator: 'Exists',
            effect: 'NoExecute',
            ...(tolerationSeconds !== undefined ? { tolerationSeconds } : {}),
          },
        ],
        containers: [{ name: 'main', image: image1 }],
      },
    });
    await apply(deployment(ns, 'evictable', { replicas: 3 }));
    await rolloutStatus(ns, 'evictable');
    const before = await readyPods(ns, 'evictable', 3);
    expect(before.map((p) => p.spec.nodeName)).toContain(node);
    await createObjects(skiff, pinned('tolerant'), pinned('patient', 3));
    try {
      expect(await run(['taint', 'node', node, taint])).toContain(`node/${node} tainted`);
      const after = await eventually(
        "the Deployment's pods off the tainted node",
        async () => {
          const mine = live(await pods(ns)).filter((p) => p.metadata.labels?.app === 'evictable');
          return (
            mine.length === 3 &&
            mine.every(isReady) &&
            mine.every((p) => p.spec.nodeName !== node) &&
            mine
          );
        },
        30_000,
      );
      expect(after.map((p) => p.metadata.uid)).not.toEqual(before.map((p) => p.metadata.uid));
      const patient = await apiJson<Pod>(`/api/v1/namespaces/${ns}/pods/patient`);
      expect(
        patient.metadata.deletionTimestamp,
        'evicted before tolerationSeconds',
      ).toBeUndefined();
      await eventually(
        'the pod tolerating for 3 s evicted',
        async () => {
          const response = await skiff.api(`/api/v1/namespaces/${ns}/pods/patient`);
          return (
            response.status === 404 || response.json<Pod>().metadata.deletionTimestamp !== undefined
          );
        },
        20_000,
      );
      const tolerant = await apiJson<Pod>(`/api/v1/namespaces/${ns}/pods/tolerant`);
      expect(tolerant.metadata.deletionTimestamp).toBeUndefined();
      expect(tolerant.spec.nodeName).toBe(node);

      const events = await run(['get', 'events', '-n', ns]);
      expect(events).toMatch(
        /TaintManagerEviction\s+pod\/evictable-\S+\s+Marking for deletion Pod wl-noexecute\/evictable-/,
      );
    } finally {
      await run(['taint', 'node', node, 'skiff.dev/e2e-evict-']);
    }
  });
});

// ---- Services ----

describe('Endpoints', () => {
  it('a Service over a Deployment lists the ready pod IPs', async () => {
    const ns = await makeNamespace('wl-endpoints');
    await apply(deployment(ns, 'web', { replicas: 3 }));
    await run(['expose', 'deployment', 'web', '--port=80', '--target-port=8080', '-n', ns]);
    await rolloutStatus(ns, 'web');
    const running = await readyPods(ns, 'web', 3);
    const ips = running.map((p) => p.status?.podIP ?? '').sort();
    expect(ips.every((ip) => /^\d+\.\d+\.\d+\.\d+$/.test(ip))).toBe(true);

    const listed = await eventually(
      'Endpoints with three addresses',
      async () => {
        const ep = await apiJson<{
          subsets?: { addresses?: { ip: string }[]; ports?: { port: number }[] }[];
        }>(`/api/v1/namespaces/${ns}/endpoints/web`);
        const addresses = (ep.subsets ?? []).flatMap((s) => s.addresses ?? []).map((a) => a.ip);
        return addresses.length === 3 && { addresses: addresses.sort(), ep };
      },
      20_000,
    );
    expect(listed.addresses).toEqual(ips);
    expect(listed.ep.subsets?.[0].ports?.[0].port).toBe(8080);

    const out = await run(['get', 'endpoints', 'web', '-n', ns]);
    const [, row] = out.split('\n');
    for (const ip of ips) expect(row).toContain(`${ip}:8080`);
  });

  it('a not-ready pod is listed apart: notReadyAddresses, and ready=false in the EndpointSlice', async () => {
    const ns = 'wl-endpoints';
    const backend = (name: string, annotations: Record<string, string> = {}) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: ns, labels: { role: 'backend' }, annotations },
      spec: { containers: [{ name: 'app', image: image1, ports: [{ containerPort: 9000 }] }] },
    });
    await apply(backend('serving'));
    await apply(backend('warming-up', { 'skiff.dev/simulate-never-ready': 'true' }));
    await apply({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'backend', namespace: ns },
      spec: { selector: { role: 'backend' }, ports: [{ port: 80, targetPort: 9000 }] },
    });
    const ipOf = (name: string, ready: boolean) =>
      eventually(
        `${name} running with an IP`,
        async () => {
          const pod = await apiJson<Pod>(`/api/v1/namespaces/${ns}/pods/${name}`);
          return pod.status?.phase === 'Running' && isReady(pod) === ready && pod.status.podIP;
        },
        20_000,
      );
    const readyIp = await ipOf('serving', true);
    const notReadyIp = await ipOf('warming-up', false);

    type Subset = { addresses?: { ip: string }[]; notReadyAddresses?: { ip: string }[] };
    const subsets = await eventually(
      'Endpoints with one ready and one not-ready address',
      async () => {
        const ep = await apiJson<{ subsets?: Subset[] }>(
          `/api/v1/namespaces/${ns}/endpoints/backend`,
        );
        const all = ep.subsets ?? [];
        const ready = all.flatMap((x) => x.addresses ?? []);
        const notReady = all.flatMap((x) => x.notReadyAddresses ?? []);
        return ready.length === 1 && notReady.length === 1 && all;
      },
      20_000,
    );
    expect(subsets.flatMap((x) => x.addresses ?? []).map((a) => a.ip)).toEqual([readyIp]);
    expect(subsets.flatMap((x) => x.notReadyAddresses ?? []).map((a) => a.ip)).toEqual([
      notReadyIp,
    ]);

    type Slice = {
      addressType: string;
      endpoints?: { addresses: string[]; conditions?: { ready?: boolean } }[];
      ports?: { port: number }[];
    };
    const slices = await eventually(
      'an EndpointSlice with both endpoints',
      async () => {
        const list = await apiJson<{ items: Slice[] }>(
          `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Dbackend`,
        );
        return list.items.flatMap((x) => x.endpoints ?? []).length === 2 && list.items;
      },
      20_000,
    );
    const addresses = (ready: boolean) =>
      slices
        .flatMap((x) => x.endpoints ?? [])
        .filter((e) => (e.conditions?.ready ?? false) === ready)
        .flatMap((e) => e.addresses);
    expect(addresses(true)).toEqual([readyIp]);
    expect(addresses(false)).toEqual([notReadyIp]);
    expect(slices.map((x) => x.addressType)).toEqual(['IPv4']);
    expect(slices[0].ports?.[0].port).toBe(9000);
  });
});

describe('cleanup', () => {
  it('deleting the test namespaces leaves no pods behind', async () => {
    // Namespaces are the suite's own; the server is thrown away afterwards, so this only checks
    // that a namespace with workloads can go.
    const result = await kubectl(['delete', 'namespace', 'wl-scale', '--timeout=55s'], 60_000);
    expect(result.code, show(result)).toBe(0);
    expect((await pods('wl-scale')).length).toBe(0);
  });
});
