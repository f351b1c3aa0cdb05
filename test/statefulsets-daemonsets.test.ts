// StatefulSets and DaemonSets on a simulated cluster (`skiff serve --simulated-nodes 3`) driven by
// real kubectl: ordered pod management, PVC templates, partitioned rollouts (kube-controller-manager's
// statefulset and daemonset controllers) and taint-aware daemon placement.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSkiffWithNodes } from './support/skiff.ts';
import type { Skiff } from './support/skiff.ts';
import { createObjects, namespace } from './support/fixtures.ts';
import { eventually, ok, sleep } from './support/helpers.ts';

const nodeNames = ['skiff-sim-1', 'skiff-sim-2', 'skiff-sim-3'];
const image1 = 'registry.local/skiff/web:1';
const image2 = 'registry.local/skiff/web:2';

interface Pod {
  metadata: {
    name: string;
    labels?: Record<string, string>;
    deletionTimestamp?: string;
  };
  spec: { nodeName?: string; containers: { image: string }[] };
  status?: { phase?: string; conditions?: { type: string; status: string }[] };
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

async function apply(object: Record<string, unknown>): Promise<void> {
  await run(['apply', '-f', '-'], 30_000, JSON.stringify(object));
}

async function pods(ns: string, app: string): Promise<Pod[]> {
  const response = await skiff.api(`/api/v1/namespaces/${ns}/pods?labelSelector=app%3D${app}`);
  expect(response.status, response.text).toBe(200);
  return response.json<{ items: Pod[] }>().items;
}

function isReady(pod: Pod | undefined): boolean {
  return (
    pod !== undefined &&
    !pod.metadata.deletionTimestamp &&
    pod.status?.phase === 'Running' &&
    pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true
  );
}

function byName(list: Pod[]): Map<string, Pod> {
  return new Map(list.map((p) => [p.metadata.name, p]));
}

/** Polls the pods of `app` every 50 ms and runs `check` on each snapshot until stopped. */
function observe(ns: string, app: string, check: (snapshot: Map<string, Pod>) => void) {
  let watching = true;
  let count = 0;
  const done = (async () => {
    while (watching) {
      check(byName(await pods(ns, app)));
      count += 1;
      await sleep(50);
    }
  })();
  return {
    // One more look after the loop ends, so the last state is always checked.
    stop: async (): Promise<number> => {
      watching = false;
      await done;
      check(byName(await pods(ns, app)));
      return count + 1;
    },
  };
}

// ---- StatefulSet ----

describe('StatefulSet web (OrderedReady)', () => {
  const ns = 'sts-web';
  const statefulSet = {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'web', namespace: ns },
    spec: {
      serviceName: 'web',
      replicas: 3,
      podManagementPolicy: 'OrderedReady',
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            {
              name: 'web',
              image: image1,
              volumeMounts: [{ name: 'www', mountPath: '/usr/share/www' }],
            },
          ],
        },
      },
      volumeClaimTemplates: [
        {
          metadata: { name: 'www' },
          spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
        },
      ],
    },
  };
  const headless = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', namespace: ns },
    spec: { clusterIP: 'None', selector: { app: 'web' }, ports: [{ name: 'http', port: 80 }] },
  };

  const rolloutStatus = (): Promise<string> =>
    run(['rollout', 'status', 'sts/web', '-n', ns, '--timeout=55s'], 60_000);
  const images = async (): Promise<Record<string, string>> =>
    Object.fromEntries(
      (await pods(ns, 'web'))
        .filter((p) => !p.metadata.deletionTimestamp)
        .map((p) => [p.metadata.name, p.spec.containers[0].image]),
    );

  beforeAll(async () => {
    await createObjects(skiff, namespace(ns));
    await apply(headless);
  });

  it('creates web-0, web-1, web-2 in order, each after the previous is Running and Ready', async () => {
    const violations: string[] = [];
    const seen: string[] = [];
    const watcher = observe(ns, 'web', (snapshot) => {
      for (const name of snapshot.keys()) if (!seen.includes(name)) seen.push(name);
      for (const i of [1, 2]) {
        if (snapshot.has(`web-${i}`) && !isReady(snapshot.get(`web-${i - 1}`)))
          violations.push(`web-${i} exists while web-${i - 1} is not Running and Ready`);
      }
    });
    try {
      await apply(statefulSet);
      expect(await rolloutStatus()).toMatch(
        /partitioned roll out complete|rolling update complete/,
      );
      await eventually(
        'web-0..2 Ready',
        async () => {
          const snapshot = byName(await pods(ns, 'web'));
          return ['web-0', 'web-1', 'web-2'].every((n) => isReady(snapshot.get(n)));
        },
        30_000,
      );
    } finally {
      expect(await watcher.stop()).toBeGreaterThan(3);
    }
    expect(violations).toEqual([]);
    expect(seen).toEqual(['web-0', 'web-1', 'web-2']);
    const table = await run(['get', 'sts', 'web', '-n', ns]);
    expect(table).toMatch(/^web\s+3\/3\s+/m);
  });

  it('creates the PVCs www-web-0..2 from volumeClaimTemplates', async () => {
    const claims = await eventually(
      'three PVCs',
      async () => {
        const out = await run(['get', 'pvc', '-n', ns, '-o', 'name']);
        return out.split('\n').filter(Boolean).length === 3 && out;
      },
      10_000,
    );
    expect(claims.split('\n').filter(Boolean).sort()).toEqual([
      'persistentvolumeclaim/www-web-0',
      'persistentvolumeclaim/www-web-1',
      'persistentvolumeclaim/www-web-2',
    ]);
    // The pod's volume refers to its own claim.
    const volume = await run([
      'get',
      'pod',
      'web-1',
      '-n',
      ns,
      '-o',
      'jsonpath={.spec.volumes[?(@.name=="www")].persistentVolumeClaim.claimName}',
    ]);
    expect(volume).toBe('www-web-1');
  });

  it('scales 3→1 in reverse order and keeps the PVCs', async () => {
    const violations: string[] = [];
    const goneOrder: string[] = [];
    const watcher = observe(ns, 'web', (snapshot) => {
      for (const name of ['web-2', 'web-1']) {
        const pod = snapshot.get(name);
        if ((!pod || pod.metadata.deletionTimestamp) && !goneOrder.includes(name))
          goneOrder.push(name);
      }
      const web1 = snapshot.get('web-1');
      if ((!web1 || web1.metadata.deletionTimestamp) && snapshot.has('web-2'))
        violations.push('web-1 deleted while web-2 still exists');
    });
    try {
      expect(await run(['scale', 'sts/web', '--replicas=1', '-n', ns])).toContain(
        'statefulset.apps/web scaled',
      );
      await eventually(
        'only web-0 left',
        async () => [...byName(await pods(ns, 'web')).keys()].join() === 'web-0',
        30_000,
      );
    } finally {
      await watcher.stop();
    }
    expect(violations).toEqual([]);
    expect(goneOrder).toEqual(['web-2', 'web-1']);
    const claims = await run(['get', 'pvc', '-n', ns, '-o', 'name']);
    expect(claims.split('\n').filter(Boolean).sort()).toEqual([
      'persistentvolumeclaim/www-web-0',
      'persistentvolumeclaim/www-web-1',
      'persistentvolumeclaim/www-web-2',
    ]);

    await run(['scale', 'sts/web', '--replicas=3', '-n', ns]);
    await rolloutStatus();
    expect(Object.keys(await images()).sort()).toEqual(['web-0', 'web-1', 'web-2']);
  });

  it('a partitioned rolling update (partition 2) updates only web-2', async () => {
    await run([
      'patch',
      'sts/web',
      '-n',
      ns,
      '--type=merge',
      '-p',
      JSON.stringify({
        spec: { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } } },
      }),
    ]);
    await run(['set', 'image', 'sts/web', `web=${image2}`, '-n', ns]);
    const out = await rolloutStatus();
    expect(out).toContain('partitioned roll out complete: 1 new pods have been updated...');
    await eventually(
      'web-2 Ready on the new image',
      async () => {
        const snapshot = byName(await pods(ns, 'web'));
        const web2 = snapshot.get('web-2');
        return isReady(web2) && web2?.spec.containers[0].image === image2;
      },
      30_000,
    );
    expect(await images()).toEqual({ 'web-0': image1, 'web-1': image1, 'web-2': image2 });
  });

  it('rollout history lists the revisions', async () => {
    const history = await run(['rollout', 'history', 'sts/web', '-n', ns]);
    expect(history).toMatch(/^statefulset\.apps\/web\s*$/m);
    expect(history).toMatch(/^REVISION\s+CHANGE-CAUSE$/m);
    expect(history).toMatch(/^1\s+<none>$/m);
    expect(history).toMatch(/^2\s+<none>$/m);
    const detail = await run(['rollout', 'history', 'sts/web', '-n', ns, '--revision=2']);
    expect(detail).toContain(image2);
  });

  it('rollout undo goes back to the previous template', async () => {
    const out = await run(['rollout', 'undo', 'sts/web', '-n', ns]);
    expect(out).toMatch(/statefulset\.apps\/web rolled back/);
    await rolloutStatus();
    const template = await run([
      'get',
      'sts',
      'web',
      '-n',
      ns,
      '-o',
      'jsonpath={.spec.template.spec.containers[0].image}',
    ]);
    expect(template).toBe(image1);
    await eventually(
      'web-2 back on the first image',
      async () => {
        const all = await images();
        return all['web-2'] === image1 && isReady(byName(await pods(ns, 'web')).get('web-2'));
      },
      30_000,
    );
    expect(await images()).toEqual({ 'web-0': image1, 'web-1': image1, 'web-2': image1 });
  });
});

// ---- DaemonSet ----

function daemonSet(ns: string, name: string, tolerations?: unknown[]): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, namespace: ns },
    spec: {
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          ...(tolerations ? { tolerations } : {}),
          containers: [{ name: 'agent', image: image1 }],
        },
      },
    },
  };
}

async function daemonNodes(ns: string, app: string, count: number): Promise<string[]> {
  return eventually(
    `${count} ready pods of ${app}`,
    async () => {
      const mine = (await pods(ns, app)).filter((p) => !p.metadata.deletionTimestamp);
      return (
        mine.length === count &&
        mine.every(isReady) &&
        mine.map((p) => p.spec.nodeName ?? '').sort()
      );
    },
    30_000,
  );
}

describe('DaemonSet', () => {
  const ns = 'ds-agents';

  beforeAll(async () => {
    await createObjects(skiff, namespace(ns));
  });

  it('runs one pod on each of the three nodes', async () => {
    await apply(daemonSet(ns, 'agent'));
    expect(await daemonNodes(ns, 'agent', 3)).toEqual(nodeNames);
    await sleep(1_000);
    expect(await daemonNodes(ns, 'agent', 3)).toEqual(nodeNames);
  });

  it('keeps a new DaemonSet off a NoSchedule-tainted node unless it tolerates the taint', async () => {
    const tainted = 'skiff-sim-2';
    try {
      expect(await run(['taint', 'node', tainted, 'key=v:NoSchedule'])).toContain(
        `node/${tainted} tainted`,
      );
      await apply(daemonSet(ns, 'picky'));
      await apply(
        daemonSet(ns, 'tolerant', [
          { key: 'key', operator: 'Equal', value: 'v', effect: 'NoSchedule' },
        ]),
      );
      expect(await daemonNodes(ns, 'tolerant', 3)).toEqual(nodeNames);
      expect(await daemonNodes(ns, 'picky', 2)).toEqual(['skiff-sim-1', 'skiff-sim-3']);
      await sleep(1_000);
      expect(await daemonNodes(ns, 'picky', 2)).toEqual(['skiff-sim-1', 'skiff-sim-3']);
      const status = await run([
        'get',
        'ds',
        'picky',
        '-n',
        ns,
        '-o',
        'jsonpath={.status.desiredNumberScheduled}/{.status.numberReady}',
      ]);
      expect(status).toBe('2/2');
      // The DaemonSet created before the taint keeps its pod there (NoSchedule does not evict).
      expect(await daemonNodes(ns, 'agent', 3)).toEqual(nodeNames);
    } finally {
      await run(['taint', 'node', tainted, 'key-']);
    }
  });

  it('kubectl rollout status returns after set image', async () => {
    await daemonNodes(ns, 'agent', 3);
    await run(['set', 'image', 'ds/agent', `agent=${image2}`, '-n', ns]);
    const out = await run(['rollout', 'status', 'ds/agent', '-n', ns, '--timeout=55s'], 60_000);
    expect(out).toContain('daemon set "agent" successfully rolled out');
    await daemonNodes(ns, 'agent', 3);
    const running = (await pods(ns, 'agent')).filter((p) => !p.metadata.deletionTimestamp);
    expect(running.map((p) => p.spec.containers[0].image)).toEqual([image2, image2, image2]);
  });
});
