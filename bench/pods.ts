// Pod benchmarks on the Docker node (`npm run bench:pods`, issue 4): pod startup latency (create →
// Running seen through a watch, image present) for pods one after another and in a burst, each
// against the raw Docker floor measured in the same run (a sandbox plus one app container in its
// network namespace, created and started through dockerode), then the idle CPU and RSS of the
// Skiff process with the burst's pods running. It reports; nothing here asserts timing.
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import Docker from 'dockerode';
import {
  buildSkiff,
  type Client,
  percentile,
  report,
  request,
  rssOf,
  startSkiff,
} from './support.ts';
import { readDockerTestEnv } from '../scripts/docker-test-env/state.ts';

const SEQUENTIAL = 20;
const BURST = 30;
const IDLE_SECONDS = 20;
const NAMESPACE = 'bench-pods';
const NODE = 'skiff-bench-pods';
/** Its own cluster network, so the run does not collide with test clusters on the same dockerd. */
const CLUSTER_CIDR = process.env.SKIFF_BENCH_CLUSTER_CIDR ?? '10.199.0.0/16';
const BENCH_LABEL = 'skiff.dev/bench-floor';

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function ok(
  client: Client,
  method: string,
  urlPath: string,
  body?: unknown,
): Promise<string> {
  const res = await request(client, method, urlPath, body);
  if (res.status >= 300) throw new Error(`${method} ${urlPath}: ${res.status} ${res.body}`);
  return res.body;
}

/** Records when each pod of the namespace is first seen Running. */
function watchRunning(client: Client, namespace: string) {
  const runningAt = new Map<string, number>();
  const waiters = new Map<string, () => void>();
  let buffer = '';
  const req = https.request(
    `${client.base}/api/v1/namespaces/${namespace}/pods?watch=1`,
    { ca: client.ca, cert: client.cert, key: client.key },
    (res) => {
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n')) >= 0) {
          const event = JSON.parse(buffer.slice(0, end)) as {
            object: { metadata: { name: string }; status?: { phase?: string } };
          };
          buffer = buffer.slice(end + 1);
          const name = event.object.metadata.name;
          if (event.object.status?.phase === 'Running' && !runningAt.has(name)) {
            runningAt.set(name, performance.now());
            waiters.get(name)?.();
          }
        }
      });
    },
  );
  req.on('error', () => undefined);
  req.end();
  return {
    runningAt,
    running(name: string, timeoutMs = 60_000): Promise<number> {
      const at = runningAt.get(name);
      if (at !== undefined) return Promise.resolve(at);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${name} not Running`)), timeoutMs);
        waiters.set(name, () => {
          clearTimeout(timer);
          resolve(runningAt.get(name)!);
        });
      });
    },
    stop: () => req.destroy(),
  };
}

function podManifest(name: string, image: string): unknown {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app: 'bench' } },
    spec: {
      terminationGracePeriodSeconds: 0,
      containers: [
        { name: 'main', image, imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'] },
      ],
    },
  };
}

/** The raw Docker floor of one pod: sandbox on the cluster network plus one app container in it. */
async function dockerPod(
  docker: Docker,
  network: string,
  sandboxImage: string,
  image: string,
  id: string,
): Promise<number> {
  const started = performance.now();
  const labels = { [BENCH_LABEL]: 'true' };
  const sandbox = await docker.createContainer({
    name: `skiff-bench-floor-${id}-pod`,
    Image: sandboxImage,
    Labels: labels,
    HostConfig: { NetworkMode: network, IpcMode: 'shareable' },
  });
  await sandbox.start();
  const app = await docker.createContainer({
    name: `skiff-bench-floor-${id}-main`,
    Image: image,
    Cmd: ['sleep', '3600'],
    Labels: labels,
    HostConfig: { NetworkMode: `container:${sandbox.id}`, IpcMode: `container:${sandbox.id}` },
  });
  await app.start();
  return performance.now() - started;
}

async function removeFloor(docker: Docker): Promise<void> {
  const list = await docker.listContainers({
    all: true,
    filters: { label: [`${BENCH_LABEL}=true`] },
  });
  // App containers first, then the sandboxes whose network namespace they used.
  for (const sandboxes of [false, true])
    await Promise.all(
      list
        .filter((c) => c.Names.some((n) => n.endsWith('-pod')) === sandboxes)
        .map((c) =>
          docker
            .getContainer(c.Id)
            .remove({ force: true })
            .catch(() => undefined),
        ),
    );
}

/** CPU seconds (user + system) the process has used, from /proc/PID/stat. */
function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of stat, 12 and 13 after the command.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function latencyReport(label: string, values: number[], floor: number[]): void {
  const p50 = percentile(values, 50);
  const floor50 = percentile(floor, 50);
  report(
    `${label} p50`,
    p50,
    'ms',
    { label: 'Docker floor p50', value: floor50 },
    '≤ 1.3x floor and ≤ floor + 150 ms',
  );
  report(
    `${label} p99`,
    percentile(values, 99),
    'ms',
    { label: 'Docker floor p99', value: percentile(floor, 99) },
    '≤ 5000 ms (Kubernetes SLO)',
  );
  console.log(
    `${''.padEnd(44)} p50 is ${(p50 - floor50).toFixed(0)} ms above the floor (${p50 <= floor50 * 1.3 && p50 - floor50 <= 150 ? 'meets' : 'MISSES'} the target)`,
  );
}

async function main(): Promise<void> {
  const env = readDockerTestEnv();
  const busybox = env.images.busybox.ref;
  const pause = env.images.pause.ref;
  const docker = new Docker({ socketPath: '/var/run/docker.sock' });
  await docker.ping();
  console.log(
    `bench:pods on ${os.cpus().length} cores, Docker ${(await docker.version()).Version}; sequential ${SEQUENTIAL}, burst ${BURST}`,
  );
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'skiff-bench-pods-'));
  const skiff = await startSkiff(
    dataDir,
    [
      '--node-name',
      NODE,
      '--sandbox-image',
      pause,
      '--netd-base-image',
      env.images.node.ref,
      '--cluster-cidr',
      CLUSTER_CIDR,
    ],
    await buildSkiff(),
    { docker: true },
  );
  let clusterId = '';
  try {
    const { client } = skiff;
    clusterId = (
      JSON.parse(await ok(client, 'GET', '/api/v1/namespaces/kube-system')) as {
        metadata: { uid: string };
      }
    ).metadata.uid;
    for (;;) {
      const node = JSON.parse(
        (await request(client, 'GET', `/api/v1/nodes/${NODE}`)).body || '{}',
      ) as { status?: { conditions?: { type: string; status: string }[] } };
      if (node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) break;
      await sleep(200);
    }
    const networks = await docker.listNetworks({
      filters: { label: [`skiff.dev/cluster=${clusterId}`] },
    });
    if (!networks.length) throw new Error('the cluster network was not made');
    const network = networks[0].Name;
    await ok(client, 'POST', '/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: NAMESPACE },
    });
    // The default ServiceAccount must exist before pods are admitted.
    for (;;) {
      const sa = await request(
        client,
        'GET',
        `/api/v1/namespaces/${NAMESPACE}/serviceaccounts/default`,
      );
      if (sa.status === 200) break;
      await sleep(100);
    }

    // The sequential floor is taken between Skiff's pods, under the same load.
    const watch = watchRunning(client, NAMESPACE);
    await sleep(200);
    // A warm-up pod (first pod pays for informers, the first Docker calls, JIT).
    await ok(client, 'POST', `/api/v1/namespaces/${NAMESPACE}/pods`, podManifest('warm', busybox));
    await watch.running('warm');

    const seq: number[] = [];
    const floorSeq: number[] = [];
    for (let i = 0; i < SEQUENTIAL; i++) {
      // The machine is shared: one floor pod, then one Skiff pod, so both see the same load.
      floorSeq.push(await dockerPod(docker, network, pause, busybox, `s${i}`));
      const name = `seq-${i}`;
      const t0 = performance.now();
      await ok(client, 'POST', `/api/v1/namespaces/${NAMESPACE}/pods`, podManifest(name, busybox));
      seq.push((await watch.running(name)) - t0);
    }
    await removeFloor(docker);
    await ok(client, 'DELETE', `/api/v1/namespaces/${NAMESPACE}/pods?labelSelector=app%3Dbench`);
    for (;;) {
      const list = JSON.parse(
        await ok(client, 'GET', `/api/v1/namespaces/${NAMESPACE}/pods?labelSelector=app%3Dbench`),
      ) as { items: unknown[] };
      const left = await docker.listContainers({
        all: true,
        filters: {
          label: [`skiff.dev/cluster=${clusterId}`, `skiff.dev/pod-namespace=${NAMESPACE}`],
        },
      });
      if (list.items.length === 0 && left.length === 0) break;
      await sleep(250);
    }

    // The floor's burst runs on the same dockerd as Skiff's, right before it: every container of
    // the sequential round is gone (removed, not just stopped) before either starts.
    const floorBurstStart = performance.now();
    const floorBurst = await Promise.all(
      Array.from({ length: BURST }, (_, i) => dockerPod(docker, network, pause, busybox, `b${i}`)),
    );
    const floorBurstMs = performance.now() - floorBurstStart;
    await removeFloor(docker);
    const burstStart = performance.now();
    const created = await Promise.all(
      Array.from({ length: BURST }, async (_, i) => {
        const t0 = performance.now();
        await ok(
          client,
          'POST',
          `/api/v1/namespaces/${NAMESPACE}/pods`,
          podManifest(`burst-${i}`, busybox),
        );
        return t0;
      }),
    );
    const reached = await Promise.all(created.map((_, i) => watch.running(`burst-${i}`, 120_000)));
    const burst = reached.map((at, i) => at - created[i]);
    const burstMs = Math.max(...reached) - burstStart;
    watch.stop();

    console.log('');
    const [load] = os.loadavg();
    console.log(
      `load average (1 min) ${load.toFixed(2)} on ${os.cpus().length} cores` +
        (load > os.cpus().length ? ': the machine was busy, figures are pessimistic' : ''),
    );
    latencyReport(`${SEQUENTIAL} pods one after another, create→Running`, seq, floorSeq);
    latencyReport(`${BURST} pods at once, create→Running`, burst, floorBurst);
    report(
      `${BURST} pods at once, pods/s reaching Running`,
      (BURST * 1000) / burstMs,
      'pods/s',
      { label: 'Docker floor', value: (BURST * 1000) / floorBurstMs },
      '≥ 10 pods/s',
    );

    // Idle: 30 pods running, nothing changing (after the last status writes and first stats).
    await sleep(15_000);
    const cpu0 = cpuSeconds(skiff.pid);
    const t0 = performance.now();
    await sleep(IDLE_SECONDS * 1000);
    const idle = ((cpuSeconds(skiff.pid) - cpu0) / ((performance.now() - t0) / 1000)) * 100;
    report(
      `idle CPU with ${BURST} pods (${IDLE_SECONDS} s)`,
      idle,
      '% of a core',
      undefined,
      '≤ 2%',
    );
    report(`RSS with ${BURST} pods`, rssOf(skiff.pid), 'MB', undefined, '≤ 200 MB');
    // Leave through the normal path: Skiff stops and removes the containers of deleted pods.
    await ok(client, 'DELETE', `/api/v1/namespaces/${NAMESPACE}/pods?labelSelector=app%3Dbench`);
    const deadline = performance.now() + 60_000;
    while (performance.now() < deadline) {
      const left = await docker.listContainers({
        all: true,
        filters: {
          label: [`skiff.dev/cluster=${clusterId}`, `skiff.dev/pod-namespace=${NAMESPACE}`],
        },
      });
      if (left.length === 0) break;
      await sleep(250);
    }
  } finally {
    await removeFloor(docker).catch(() => undefined);
    await skiff.stop();
    if (clusterId) {
      const filters = { label: [`skiff.dev/cluster=${clusterId}`] };
      const left = await docker.listContainers({ all: true, filters });
      // App containers first: they live in their sandbox's network namespace.
      left.sort(
        (a, b) =>
          Number(a.Labels['skiff.dev/role'] === 'sandbox') -
          Number(b.Labels['skiff.dev/role'] === 'sandbox'),
      );
      for (const c of left)
        await docker
          .getContainer(c.Id)
          .remove({ force: true, v: true })
          .catch(() => undefined);
      for (const n of await docker.listNetworks({ filters }))
        await docker
          .getNetwork(n.Id)
          .remove()
          .catch(() => undefined);
      const { Volumes } = await docker.listVolumes({ filters });
      for (const v of Volumes ?? [])
        await docker
          .getVolume(v.Name)
          .remove()
          .catch(() => undefined);
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
