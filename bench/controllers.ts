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

/**
 * Baseline: how fast the API server alone takes pod creates from 16 concurrent clients. The pods name
 * a scheduler that does not exist, so nothing else touches them.
 */
async function rawPodCreatesPerSecond(client: Client, count: number): Promise<number> {
  const ns = 'bench-baseline';
  await ok(client, 'POST', '/api/v1/namespaces', {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: ns },
  });
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < count) {
        const i = next++;
        await ok(client, 'POST', `/api/v1/namespaces/${ns}/pods`, {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: `raw-${i}`, labels: { app: 'raw' } },
          spec: {
            schedulerName: 'bench-no-scheduler',
            containers: [
              { name: 'app', image: 'bench:1', resources: { requests: { cpu: '10m' } } },
            ],
          },
        });
      }
    }),
  );
  const rate = count / ((performance.now() - started) / 1000);
  await ok(client, 'DELETE', `/api/v1/namespaces/${ns}`);
  await until('the baseline namespace to go', 120_000, async () => {
    const res = await request(client, 'GET', `/api/v1/namespaces/${ns}`);
    return res.status === 404;
  });
  return rate;
}

/** Watches the namespace's pods and records when each one was first seen bound to a node. */
function watchBindings(client: Client, fromResourceVersion: string) {
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
    `${client.base}/api/v1/namespaces/${NAMESPACE}/pods?watch=1&resourceVersion=${fromResourceVersion}`,
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

function timeKubectl(kubeconfig: string, args: string[]): number {
  const started = performance.now();
  const result = spawnSync(kubectlPath, ['--kubeconfig', kubeconfig, ...args], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  if (result.status !== 0) throw new Error(`kubectl ${args.join(' ')}: ${result.stderr}`);
  return performance.now() - started;
}

async function main(): Promise<void> {
  if (!fs.existsSync(kubectlPath)) throw new Error('kubectl missing: run `npm run setup:tools`');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'skiff-bench-controllers-'));
  console.log(
    `Skiff controller benchmarks on ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'cpu'}), ${NODES} simulated nodes\n`,
  );
  const skiff = await startSkiff(dataDir, ['--simulated-nodes', String(NODES)]);
  const { client } = skiff;
  try {
    await until(`${NODES} Ready nodes`, 60_000, async () => {
      const list = JSON.parse(await ok(client, 'GET', '/api/v1/nodes')) as {
        items: { status?: { conditions?: { type: string; status: string }[] } }[];
      };
      const ready = list.items.filter((n) =>
        n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
      );
      return ready.length >= NODES;
    });
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
    const bindings = watchBindings(client, listed.metadata.resourceVersion);

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
    await until(`${REPLICAS} ready replicas`, 600_000, async () => {
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

    const times = bindings.boundAt;
    const schedulerRate =
      times.length > 1 ? (times.length - 1) / ((times[times.length - 1] - times[0]) / 1000) : 0;
    report(
      `scheduler throughput (${times.length} bindings seen)`,
      schedulerRate,
      'pods/s',
      { label: 'raw pod create rate', value: rawRate },
      '>= 500 pods/s',
    );

    await sleep(2000);
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
  } finally {
    await skiff.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
