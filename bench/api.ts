// API server benchmarks (`npm run bench:api`): each figure is printed with its ratio to a bare
// node:https server answering the same JSON in the same run, on the same TLS setup. Targets come
// from the control-plane issue; nothing here asserts timing — it reports.
import https from 'node:https';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  type Client,
  buildSkiff,
  percentile,
  report as reportAgainst,
  request,
  rssOf,
  startSkiff,
} from './support.ts';

/** Every figure here is compared with the bare node:https server. */
function report(
  name: string,
  value: number,
  unit: string,
  baseline: number | undefined,
  target: string,
): void {
  reportAgainst(
    name,
    value,
    unit,
    baseline === undefined ? undefined : { label: 'bare node:https baseline', value: baseline },
    target,
  );
}

/** The baseline: node:https with the same certificates, answering a stored ConfigMap-like JSON. */
async function startBaseline(
  client: Client,
  serverCert: { cert: string; key: string },
): Promise<{ client: Client; close(): void; setList(text: string): void }> {
  const objects = new Map<string, string>();
  let listBody: string | undefined;
  let revision = 0;
  const server = https.createServer(
    { ...serverCert, ca: client.ca, requestCert: true, rejectUnauthorized: false },
    (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (req.method === 'POST') {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
            metadata: { name: string; resourceVersion?: string };
          };
          body.metadata.resourceVersion = String(++revision);
          const text = JSON.stringify(body);
          objects.set(body.metadata.name, text);
          res.writeHead(201, { 'Content-Type': 'application/json' }).end(text);
        } else if (req.url?.includes('/configmaps/')) {
          const name = req.url.split('/').pop() ?? '';
          res.writeHead(200, { 'Content-Type': 'application/json' }).end(objects.get(name) ?? '{}');
        } else {
          res
            .writeHead(200, { 'Content-Type': 'application/json' })
            .end(listBody ?? `{"kind":"List","items":[${[...objects.values()].join(',')}]}`);
        }
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    client: {
      ...client,
      agent: new https.Agent({ keepAlive: true, maxSockets: 128 }),
      base: `https://127.0.0.1:${port}`,
    },
    close: () => server.close(),
    setList: (text) => (listBody = text),
  };
}

/** bench/watch-floor.ts in its own process, on the same certificates. */
async function startWatchFloor(
  client: Client,
  serverCert: { cert: string; key: string },
): Promise<{ client: Client; close(): void }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/watch-floor.ts'], {
    env: { ...process.env, SKIFF_FLOOR_TLS: JSON.stringify({ ...serverCert, ca: client.ca }) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /port (\d+)/.exec(output);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`watch floor exited with ${code}`)));
  });
  return {
    client: {
      ...client,
      agent: new https.Agent({ keepAlive: true, maxSockets: 128 }),
      base: `https://127.0.0.1:${port}`,
    },
    close: () => child.kill(),
  };
}

async function createsPerSecond(
  client: Client,
  prefix: string,
  count: number,
  concurrency: number,
  namespacePath: string,
): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        const res = await request(client, 'POST', `${namespacePath}/configmaps`, {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: `${prefix}-${i}` },
          data: { key: `value-${i}` },
        });
        if (res.status !== 201) throw new Error(`create failed: ${res.status} ${res.body}`);
      }
    }),
  );
  return count / ((performance.now() - started) / 1000);
}

async function getP99(
  client: Client,
  namePath: (i: number) => string,
  count: number,
): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const t = performance.now();
    const res = await request(client, 'GET', namePath(i));
    if (res.status !== 200) throw new Error(`get failed: ${res.status}`);
    times.push(performance.now() - t);
  }
  return percentile(times, 99);
}

async function watchDelivery(client: Client, watchers: number, updates: number): Promise<number> {
  const ns = '/api/v1/namespaces/default';
  await request(client, 'POST', `${ns}/configmaps`, {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'watched' },
    data: { n: '0' },
  });
  const sentAt = new Map<string, number>();
  // What arrived, parsed only after the run: 100 watchers stand for 100 independent clients, so
  // one watcher's parsing must not delay the next one's arrival in this single client process.
  const arrivals: { at: number; chunk: Buffer; watcher: number }[] = [];
  const streams: { destroy(): void }[] = [];
  let received = 0;
  await Promise.all(
    Array.from(
      { length: watchers },
      (_, watcher) =>
        new Promise<void>((resolve, reject) => {
          const req = https.request(
            `${client.base}${ns}/configmaps?watch=true&fieldSelector=metadata.name%3Dwatched&resourceVersion=0`,
            { agent: false, ca: client.ca, cert: client.cert, key: client.key },
            (res) => {
              res.on('data', (chunk: Buffer) => {
                arrivals.push({ at: performance.now(), chunk, watcher });
                // Each event line ends with a newline; a chunk may hold several.
                for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) received++;
              });
              resolve();
            },
          );
          req.on('error', reject);
          streams.push(req);
          req.end();
        }),
    ),
  );
  // Warm the update path (JIT, first GCs) as the other figures are warmed; not measured.
  for (let i = 0; i < 200; i++) {
    const res = await request(client, 'PUT', `${ns}/configmaps/watched`, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'watched' },
      data: { n: `warm-${i}` },
    });
    if (res.status !== 200) throw new Error(`update failed: ${res.status} ${res.body}`);
  }
  await new Promise((r) => setTimeout(r, 500));
  for (let i = 1; i <= updates; i++) {
    sentAt.set(String(i), performance.now());
    const res = await request(client, 'PUT', `${ns}/configmaps/watched`, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'watched' },
      data: { n: String(i) },
    });
    if (res.status !== 200) throw new Error(`update failed: ${res.status} ${res.body}`);
  }
  // Every watcher first gets the ADDED event of the initial state, then one per update.
  const expected = watchers * (updates + 201);
  const deadline = performance.now() + 30_000;
  while (received < expected && performance.now() < deadline)
    await new Promise((r) => setTimeout(r, 50));
  for (const s of streams) s.destroy();
  const latencies: number[] = [];
  const buffers = new Map<number, string>();
  for (const { at, chunk, watcher } of arrivals) {
    let buffer = (buffers.get(watcher) ?? '') + chunk.toString('utf8');
    let newline;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const event = JSON.parse(buffer.slice(0, newline)) as {
        type: string;
        object: { data?: { n?: string } };
      };
      buffer = buffer.slice(newline + 1);
      const n = event.object.data?.n;
      if (event.type === 'MODIFIED' && n && sentAt.has(n)) latencies.push(at - sentAt.get(n)!);
    }
    buffers.set(watcher, buffer);
  }
  if (latencies.length < watchers * updates)
    console.log(`  (watch: ${latencies.length}/${watchers * updates} events arrived)`);
  return percentile(latencies, 99);
}

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'skiff-bench-'));
  console.log(
    `Skiff API benchmarks on ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'cpu'})\n`,
  );
  // As `npm run serve` runs it: compiled to JavaScript (scripts/build-cli.ts), as a release ships it.
  const skiff = await startSkiff(dataDir, [], await buildSkiff());
  const pki = path.join(dataDir, 'pki');
  const serverCert = {
    cert: fs.readFileSync(path.join(pki, 'apiserver.crt'), 'utf8'),
    key: fs.readFileSync(path.join(pki, 'apiserver.key'), 'utf8'),
  };
  const baseline = await startBaseline(skiff.client, serverCert);
  try {
    report('cold start to /readyz (first start)', skiff.startMs, 'ms', undefined, '<= 1000 ms');
    await new Promise((r) => setTimeout(r, 1000));
    report('idle RSS (as `npm run serve`)', rssOf(skiff.pid), 'MB', undefined, '<= 120 MB');
    // The TypeScript sources through tsx, as the test suites run them: tsx's loader thread, its
    // esbuild service and the source maps it keeps add ~30 MB.
    const tsxDir = fs.mkdtempSync(path.join(os.tmpdir(), 'skiff-bench-tsx-'));
    const tsx = await startSkiff(tsxDir);
    report('cold start to /readyz (tsx sources)', tsx.startMs, 'ms', undefined, '<= 1000 ms');
    await new Promise((r) => setTimeout(r, 1000));
    report('idle RSS (tsx sources)', rssOf(tsx.pid), 'MB', undefined, '<= 120 MB');
    await tsx.stop();
    fs.rmSync(tsxDir, { recursive: true, force: true });

    const ns = '/api/v1/namespaces/default';
    // Warm both servers up (JIT, first-use module loading) before measuring steady state.
    await createsPerSecond(baseline.client, 'warm', 1000, 16, ns);
    await createsPerSecond(skiff.client, 'warm', 1000, 16, ns);
    const baseCreates = await createsPerSecond(baseline.client, 'cm', 4000, 16, ns);
    const creates = await createsPerSecond(skiff.client, 'cm', 4000, 16, ns);
    report('ConfigMap creates/s, 16 concurrent clients', creates, '/s', baseCreates, '>= 2000/s');

    const baseGet = await getP99(baseline.client, (i) => `${ns}/configmaps/cm-${i}`, 2000);
    const get = await getP99(skiff.client, (i) => `${ns}/configmaps/cm-${i}`, 2000);
    report('GET p99', get, 'ms', baseGet, '<= 5 ms');

    // 10,000 pods, created directly (no node agent runs in --no-docker mode)
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < 10_000) {
          const i = next++;
          const res = await request(skiff.client, 'POST', `${ns}/pods`, {
            apiVersion: 'v1',
            kind: 'Pod',
            metadata: { name: `pod-${i}`, labels: { app: 'bench' } },
            spec: { containers: [{ name: 'c', image: 'busybox' }] },
          });
          if (res.status !== 201) throw new Error(`pod create failed: ${res.status} ${res.body}`);
        }
      }),
    );
    const listTimes: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      const res = await request(skiff.client, 'GET', `${ns}/pods`);
      if (res.status !== 200) throw new Error(`list failed: ${res.status}`);
      listTimes.push(performance.now() - t);
    }
    // The baseline answers the very same 10,000-pod list body, precomputed.
    baseline.setList((await request(skiff.client, 'GET', `${ns}/pods`)).body);
    const baseListTimes: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      await request(baseline.client, 'GET', `${ns}/configmaps`);
      baseListTimes.push(performance.now() - t);
    }
    report(
      'LIST of 10,000 pods (median of 5)',
      percentile(listTimes, 50),
      'ms',
      percentile(baseListTimes, 50),
      '<= 300 ms',
    );

    const watchP99 = await watchDelivery(skiff.client, 100, 1000);
    const floor = await startWatchFloor(skiff.client, serverCert);
    let floorP99: number;
    try {
      floorP99 = await watchDelivery(floor.client, 100, 1000);
    } finally {
      floor.close();
    }
    console.log(
      `${'watch delivery p99, 100 watchers x 1,000 updates'.padEnd(44)} ${watchP99.toFixed(2).padStart(10)} ms  (${(watchP99 / floorP99).toFixed(2)}x the bare node:https fan-out of ${floorP99.toFixed(2)} ms)  target: <= 10 ms`,
    );
  } finally {
    baseline.close();
    await skiff.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
