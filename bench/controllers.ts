// Controller, scheduler and simulated-node benchmarks (`npm run bench:controllers`): a 10,000-replica
// Deployment on 100 simulated nodes, as the controllers issue asks. Each figure is printed with its
// ratio to a baseline measured in the same run; nothing here asserts timing — it reports.
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { type Client, report, request, rssOf, startSkiff } from './support.ts';

const NODES = 100;
const REPLICAS = 10_000;
const SCHEDULER_PODS = 5_000;
const NAMESPACE = 'bench';
const kubectlPath = path.resolve('.tools/bin/kubectl');

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

async function until(
  what: string,
  timeoutMs: number,
  check: () => Promise<boolean>,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

/** Creates count pods in ns from 16 concurrent clients; returns creates per second. */
async function createPods(
  client: Client,
  ns: string,
  count: number,
  schedulerName: string | undefined,
): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < count) {
        const i = next++;
        await ok(client, 'POST', `/api/v1/namespaces/${ns}/pods`, {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: `pod-${i}`, labels: { app: 'bench' } },
          spec: {
            ...(schedulerName ? { schedulerName } : {}),
            terminationGracePeriodSeconds: 0,
            containers: [
              { name: 'app', image: 'bench:1', resources: { requests: { cpu: '10m' } } },
            ],
          },
        });
      }
    }),
  );
  return count / ((performance.now() - started) / 1000);
}

/**
 * Baseline: how fast the API server alone takes pod creates from 16 concurrent clients. The pods name
 * a scheduler that does not exist, so nothing else touches them; the namespace goes afterwards.
 */
async function rawPodCreatesPerSecond(client: Client, count: number): Promise<number> {
  const ns = 'bench-baseline';
  await ok(client, 'POST', '/api/v1/namespaces', {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: ns },
  });
  const rate = await createPods(client, ns, count, 'bench-no-scheduler');
  await ok(client, 'DELETE', `/api/v1/namespaces/${ns}`);
  await until('the baseline namespace to go', 120_000, async () => {
    const res = await request(client, 'GET', `/api/v1/namespaces/${ns}`);
    return res.status === 404;
  });
  return rate;
}

/** Watches the namespace's pods and records when each one was first seen bound to a node. */
function watchBindings(client: Client, namespace: string, fromResourceVersion: string) {
  const boundAt: number[] = [];
  const seen = new Set<string>();
  let buffer = '';
  const onLine = (line: string) => {
    const event = JSON.parse(line) as {
      object: { metadata: { name: string }; spec?: { nodeName?: string } };
    };
    const name = event.object.metadata.name;
    if (event.object.spec?.nodeName && !seen.has(name)) {
      seen.add(name);
      boundAt.push(performance.now());
    }
  };
  const req = https.request(
    `${client.base}/api/v1/namespaces/${namespace}/pods?watch=1&resourceVersion=${fromResourceVersion}`,
    { ca: client.ca, cert: client.cert, key: client.key },
    (res) => {
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n')) >= 0) {
          onLine(buffer.slice(0, end));
          buffer = buffer.slice(end + 1);
        }
      });
    },
  );
  req.on('error', () => undefined);
  req.end();
  return { boundAt, stop: () => req.destroy() };
}

/** The API server's share of `kubectl get pods -A`: the same Table pages of 500, one after another. */
async function serverTableTime(client: Client): Promise<{ ms: number; pages: number }> {
  const accept = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json';
  let next = '';
  let pages = 0;
  const started = performance.now();
  do {
    const query = `limit=500${next ? `&continue=${encodeURIComponent(next)}` : ''}`;
    const body = await new Promise<string>((resolve, reject) => {
      const req = https.request(
        `${client.base}/api/v1/pods?${query}`,
        { ca: client.ca, cert: client.cert, key: client.key, headers: { Accept: accept } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
        },
      );
      req.on('error', reject);
      req.end();
    });
    next = (JSON.parse(body) as { metadata?: { continue?: string } }).metadata?.continue ?? '';
    pages++;
  } while (next);
  return { ms: performance.now() - started, pages };
}

function timeKubectl(kubeconfig: string, args: string[]): number {
  const started = performance.now();
  const result = spawnSync(kubectlPath, ['--kubeconfig', kubeconfig, ...args], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  if (result.status !== 0) throw new Error(`kubectl ${args.join(' ')}: ${result.stderr}`);
  return performance.now() - started;
}

/** Go duration text as kubectl logs it ("153.398414ms", "1.2s", "850µs") in milliseconds. */
function goDurationMs(text: string): number {
  const match = /^([\d.]+)(ns|µs|us|ms|s)$/.exec(text);
  if (!match) return 0;
  const scale = { ns: 1e-6, µs: 1e-3, us: 1e-3, ms: 1, s: 1000 }[match[2] as 'ns'];
  return Number(match[1]) * scale;
}

/**
 * Where `kubectl get pods -A` spends its time, from its own -v=6 log: the time it waited on its
 * client-side rate limiter (client-go's default 5 QPS, burst 10) and the span from sending the
 * first page request to receiving the last page. Each page request is throttled before sending,
 * whatever server answers it.
 */
function traceKubectlList(
  kubeconfig: string,
  args: string[],
): { throttledMs: number; pagesSpanMs: number; pages: number } {
  const result = spawnSync(kubectlPath, ['--kubeconfig', kubeconfig, ...args, '-v=6'], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  if (result.status !== 0) throw new Error(`kubectl ${args.join(' ')}: ${result.stderr}`);
  let throttledMs = 0;
  let first: number | undefined;
  let last = 0;
  let pages = 0;
  for (const line of result.stderr.split('\n')) {
    const waited = /"Waited before sending request" delay="([^"]+)"/.exec(line);
    if (waited) throttledMs += goDurationMs(waited[1]);
    const response =
      /^I\d{4} (\d+):(\d+):([\d.]+).*"Response" verb="GET" url="[^"]*\/api\/v1\/pods\?[^"]*".* milliseconds=(\d+)/.exec(
        line,
      );
    if (response) {
      const at =
        (Number(response[1]) * 3600 + Number(response[2]) * 60 + Number(response[3])) * 1000;
      first ??= at - Number(response[4]);
      last = at;
      pages++;
    }
  }
  return { throttledMs, pagesSpanMs: first === undefined ? 0 : last - first, pages };
}

function readyNodes(client: Client, count: number): Promise<void> {
  return until(`${count} Ready nodes`, 60_000, async () => {
    const list = JSON.parse(await ok(client, 'GET', '/api/v1/nodes')) as {
      items: { status?: { conditions?: { type: string; status: string }[] } }[];
    };
    const ready = list.items.filter((n) =>
      n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
    );
    return ready.length >= count;
  });
}

async function setAllUnschedulable(client: Client, unschedulable: boolean): Promise<void> {
  const list = JSON.parse(await ok(client, 'GET', '/api/v1/nodes')) as {
    items: { metadata: { name: string } }[];
  };
  await Promise.all(
    list.items.map(async (node) => {
      const res = await request(
        client,
        'PATCH',
        `/api/v1/nodes/${node.metadata.name}`,
        { spec: { unschedulable } },
        'application/merge-patch+json',
      );
      if (res.status !== 200) throw new Error(`cordon ${node.metadata.name}: ${res.body}`);
    }),
  );
}

/**
 * kube-scheduler's throughput as scheduler_perf measures it: a backlog of pending pods and nodes
 * that can take them. Every node is cordoned while SCHEDULER_PODS pods are created, then all are
 * uncordoned at once; the rate is bindings per second from then until the last pod is bound.
 */
async function schedulerBacklogRate(dataDir: string): Promise<{ rate: number; rawRate: number }> {
  const skiff = await startSkiff(dataDir, ['--simulated-nodes', String(NODES)]);
  const { client } = skiff;
  const ns = 'bench-scheduler';
  try {
    await readyNodes(client, NODES);
    await setAllUnschedulable(client, true);
    await ok(client, 'POST', '/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: ns },
    });
    const rawRate = await createPods(client, ns, SCHEDULER_PODS, undefined);
    await until('every pod reported Unschedulable', 300_000, async () => {
      const list = JSON.parse(await ok(client, 'GET', `/api/v1/namespaces/${ns}/pods`)) as {
        items: { status?: { conditions?: { type: string; status: string }[] } }[];
      };
      return list.items.every((p) =>
        p.status?.conditions?.some((c) => c.type === 'PodScheduled' && c.status === 'False'),
      );
    });
    const listed = JSON.parse(await ok(client, 'GET', `/api/v1/namespaces/${ns}/pods`)) as {
      metadata: { resourceVersion: string };
    };
    const bindings = watchBindings(client, ns, listed.metadata.resourceVersion);
    const started = performance.now();
    await setAllUnschedulable(client, false);
    await until(`${SCHEDULER_PODS} bindings`, 300_000, () =>
      Promise.resolve(bindings.boundAt.length >= SCHEDULER_PODS),
    );
    bindings.stop();
    const last = bindings.boundAt[bindings.boundAt.length - 1];
    return { rate: SCHEDULER_PODS / ((last - started) / 1000), rawRate };
  } finally {
    await skiff.stop();
  }
}

async function main(): Promise<void> {
  if (!fs.existsSync(kubectlPath)) throw new Error('kubectl missing: run `npm run setup:tools`');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'skiff-bench-controllers-'));
  console.log(
    `Skiff controller benchmarks on ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'cpu'}), ${NODES} simulated nodes\n`,
  );
  const scheduler = await schedulerBacklogRate(`${dataDir}-scheduler`);
  report(
    `scheduler throughput, backlog of ${SCHEDULER_PODS} pods`,
    scheduler.rate,
    'pods/s',
    { label: 'raw pod create rate', value: scheduler.rawRate },
    '>= 500 pods/s',
  );
  fs.rmSync(`${dataDir}-scheduler`, { recursive: true, force: true });

  const skiff = await startSkiff(dataDir, ['--simulated-nodes', String(NODES)]);
  const { client } = skiff;
  try {
    await readyNodes(client, NODES);
    await sleep(1000);
    const idleRss = rssOf(skiff.pid);
    report(`RSS with ${NODES} idle simulated nodes`, idleRss, 'MB', undefined, '(reference)');

    const rawRate = await rawPodCreatesPerSecond(client, 2000);
    report('raw pod creates/s, 16 clients (baseline)', rawRate, '/s', undefined, '(reference)');

    await ok(client, 'POST', '/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: NAMESPACE },
    });
    const listed = JSON.parse(await ok(client, 'GET', `/api/v1/namespaces/${NAMESPACE}/pods`)) as {
      metadata: { resourceVersion: string };
    };
    const bindings = watchBindings(client, NAMESPACE, listed.metadata.resourceVersion);

    const started = performance.now();
    await ok(client, 'POST', `/apis/apps/v1/namespaces/${NAMESPACE}/deployments`, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'big' },
      spec: {
        replicas: REPLICAS,
        selector: { matchLabels: { app: 'big' } },
        template: {
          metadata: { labels: { app: 'big' } },
          spec: {
            containers: [
              { name: 'app', image: 'bench:1', resources: { requests: { cpu: '10m' } } },
            ],
          },
        },
      },
    });
    let lastReady = 0;
    let peakRss = 0;
    await until(`${REPLICAS} ready replicas`, 600_000, async () => {
      peakRss = Math.max(peakRss, rssOf(skiff.pid));
      const deployment = JSON.parse(
        await ok(client, 'GET', `/apis/apps/v1/namespaces/${NAMESPACE}/deployments/big`),
      ) as { status?: { readyReplicas?: number } };
      lastReady = deployment.status?.readyReplicas ?? 0;
      return lastReady >= REPLICAS;
    }).catch((err: unknown) => {
      throw new Error(`${String(err)} (${lastReady} ready)`);
    });
    const allRunningMs = performance.now() - started;
    bindings.stop();

    const floor = REPLICAS / rawRate;
    report(
      `${REPLICAS} replicas created to all Ready`,
      allRunningMs / 1000,
      's',
      { label: `time the API alone takes ${REPLICAS} pod creates`, value: floor },
      '<= 60 s',
    );

    report(
      `peak RSS during the rollout`,
      peakRss,
      'MB',
      { label: 'RSS with idle nodes', value: idleRss },
      '(reference)',
    );
    // Steady state: the cluster holding 10,000 running pods (heartbeats and status reports go on),
    // once the rollout's garbage has been collected.
    await sleep(20_000);
    report(
      `whole-process RSS with ${REPLICAS} pods`,
      rssOf(skiff.pid),
      'MB',
      { label: 'RSS with idle nodes', value: idleRss },
      '<= 500 MB',
    );

    const kubectlFloor = timeKubectl(skiff.kubeconfigPath, ['get', 'namespaces']);
    const getAll = timeKubectl(skiff.kubeconfigPath, ['get', 'pods', '-A']);
    report(
      `kubectl get pods -A at ${REPLICAS} pods`,
      getAll / 1000,
      's',
      { label: 'kubectl get namespaces', value: kubectlFloor / 1000 },
      '<= 2 s',
    );
    const trace = traceKubectlList(skiff.kubeconfigPath, ['get', 'pods', '-A']);
    report(
      `  kubectl: first page request to last page (${trace.pages} pages)`,
      trace.pagesSpanMs / 1000,
      's',
      { label: 'whole kubectl get pods -A', value: getAll / 1000 },
      '(reference)',
    );
    report(
      '  of which kubectl waited on its own rate limiter',
      trace.throttledMs / 1000,
      's',
      { label: 'whole kubectl get pods -A', value: getAll / 1000 },
      '(reference)',
    );
    const server = await serverTableTime(client);
    report(
      `  the API server's part (${server.pages} Table pages)`,
      server.ms / 1000,
      's',
      { label: 'whole kubectl get pods -A', value: getAll / 1000 },
      '(reference)',
    );
  } finally {
    await skiff.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
