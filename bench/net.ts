// Network benchmarks on the Docker node (`npm run bench:net`, issue 5), each against a baseline
// measured in the same run: from one client pod, HTTP throughput and p99 through a ClusterIP
// Service vs straight to the pod IP; from the host, through the Ingress controller vs the same
// pod's hostPort (Docker's own publishing); and DNS queries/s answered by netd vs Docker's
// embedded resolver. Keep-alive connections, 8 at a time, one server pod. Each path is warmed,
// then measured in rounds alternating with its baseline, and the medians are reported, so a
// drift of the machine during the run weighs on both sides. It reports; nothing here asserts timing.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { buildSkiff, report, startSkiff } from './support.ts';
import { removeClusterObjects } from '../test/support/docker.ts';
import { readDockerTestEnv } from '../scripts/docker-test-env/state.ts';

const NAMESPACE = 'bench-net';
const NODE = 'skiff-bench-net';
/** Its own cluster network, so the run does not collide with test clusters on the same dockerd. */
const CLUSTER_CIDR = process.env.SKIFF_BENCH_NET_CLUSTER_CIDR ?? '10.198.0.0/16';
const SECONDS = 3;
const ROUNDS = 3;
const CONCURRENCY = 8;
const kubectlPath = path.resolve('.tools/bin/kubectl');
const tools = path.resolve('test/fixtures/net-tools');

interface Load {
  requests: number;
  errors: number;
  rps: number;
  p50: number;
  p99: number;
}

interface DnsLoad {
  answered: number;
  qps: number;
  errors: number;
}

let kubeconfig = '';

function kubectl(args: string[], input?: string): string {
  const result = spawnSync(kubectlPath, ['--kubeconfig', kubeconfig, '-n', NAMESPACE, ...args], {
    input,
    encoding: 'utf8',
    timeout: 180_000,
  });
  if (result.status !== 0) throw new Error(`kubectl ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

function manifests(image: string, hostPort: number): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 0
      containers:
      - name: main
        image: ${image}
        command: [node, /tools/echo.cjs]
        ports: [{containerPort: 8080, hostPort: ${hostPort}}]
        volumeMounts: [{name: tools, mountPath: /tools}]
      volumes: [{name: tools, configMap: {name: net-tools}}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  rules:
  - host: web.localhost
    http:
      paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]
---
apiVersion: v1
kind: Pod
metadata: {name: client}
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - name: main
    image: ${image}
    command: [sleep, "100000"]
    volumeMounts: [{name: tools, mountPath: /tools}]
  volumes: [{name: tools, configMap: {name: net-tools}}]
`;
}

/** Runs a net-tools script in the client pod and parses its JSON. */
function inClient<T>(script: string, ...args: string[]): T {
  return JSON.parse(kubectl(['exec', 'client', '--', 'node', `/tools/${script}`, ...args])) as T;
}

/** Runs load.cjs on the host, in its own process like the client pod's. */
function onHost(url: string, host?: string): Load {
  const result = spawnSync(
    process.execPath,
    [
      path.join(tools, 'load.cjs'),
      url,
      String(SECONDS),
      String(CONCURRENCY),
      ...(host ? [host] : []),
    ],
    { encoding: 'utf8', timeout: 60_000 },
  );
  if (result.status !== 0) throw new Error(`load ${url}: ${result.stderr}`);
  return JSON.parse(result.stdout) as Load;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Both loads once to warm them (JIT, connections), then ROUNDS rounds of each in turn; medians. */
function alternate(through: () => Load, direct: () => Load): [Load, Load] {
  through();
  direct();
  const runs: [Load[], Load[]] = [[], []];
  for (let i = 0; i < ROUNDS; i++) {
    runs[1].push(direct());
    runs[0].push(through());
  }
  const summary = (loads: Load[]): Load => ({
    requests: loads.reduce((n, l) => n + l.requests, 0),
    errors: loads.reduce((n, l) => n + l.errors, 0),
    rps: median(loads.map((l) => l.rps)),
    p50: median(loads.map((l) => l.p50)),
    p99: median(loads.map((l) => l.p99)),
  });
  return [summary(runs[0]), summary(runs[1])];
}

function compare(name: string, through: Load, direct: Load, directLabel: string): void {
  if (through.errors || direct.errors)
    console.log(`  (${name}: ${through.errors} and ${direct.errors} requests failed)`);
  report(
    `${name}: requests/s`,
    through.rps,
    '/s',
    { label: directLabel, value: direct.rps },
    '>= 0.5x direct',
  );
  report(
    `${name}: p99`,
    through.p99,
    'ms',
    { label: `${directLabel} p99`, value: direct.p99 },
    `<= ${(direct.p99 + 2).toFixed(2)} ms (direct + 2 ms)`,
  );
}

function waitFor(what: string, check: () => boolean, timeoutMs = 60_000): void {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    spawnSync('sleep', ['0.2']);
  }
}

async function main(): Promise<void> {
  const env = readDockerTestEnv();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'skiff-bench-net-'));
  console.log(
    `Skiff network benchmarks on ${os.cpus().length} cores, medians of ${ROUNDS} rounds of ${SECONDS} s, ${CONCURRENCY} keep-alive connections; load ${os.loadavg()[0].toFixed(2)}\n`,
  );
  // With the Docker node and netd, compiled as `npm run serve` runs it.
  const skiff = await startSkiff(
    dataDir,
    [
      '--node-name',
      NODE,
      '--sandbox-image',
      env.images.pause.ref,
      '--netd-base-image',
      env.images.node.ref,
      '--cluster-cidr',
      CLUSTER_CIDR,
      '--ingress-http-port',
      '0',
      '--ingress-https-port',
      '0',
    ],
    await buildSkiff(),
    { docker: true },
  );
  kubeconfig = skiff.kubeconfigPath;
  const docker = new Docker();
  let clusterId = '';
  try {
    waitFor('the node', () => {
      const r = spawnSync(kubectlPath, [
        '--kubeconfig',
        kubeconfig,
        'wait',
        '--for=condition=Ready',
        `node/${NODE}`,
        '--timeout=5s',
      ]);
      return r.status === 0;
    });
    spawnSync(kubectlPath, ['--kubeconfig', kubeconfig, 'create', 'namespace', NAMESPACE]);
    kubectl(['create', 'configmap', 'net-tools', `--from-file=${tools}`]);
    const hostPort = 20_000 + Math.floor(Math.random() * 10_000);
    kubectl(['apply', '-f', '-'], manifests(env.images.node.ref, hostPort));
    kubectl(['rollout', 'status', 'deployment/web', '--timeout=120s']);
    kubectl(['wait', '--for=condition=Ready', 'pod/client', '--timeout=120s']);
    const podIP = kubectl([
      'get',
      'pods',
      '-l',
      'app=web',
      '-o',
      'jsonpath={.items[0].status.podIP}',
    ]);
    const clusterIP = kubectl(['get', 'svc', 'web', '-o', 'jsonpath={.spec.clusterIP}']);
    clusterId = spawnSync(
      kubectlPath,
      ['--kubeconfig', kubeconfig, 'get', 'ns', 'kube-system', '-o', 'jsonpath={.metadata.uid}'],
      { encoding: 'utf8' },
    ).stdout;
    const netdName = `skiff-netd-${clusterId.slice(0, 12)}`;
    const netd = await docker.getContainer(netdName).inspect();
    const ingressPort = Number(netd.NetworkSettings.Ports['80/tcp']?.[0]?.HostPort ?? 0);
    if (!ingressPort) throw new Error("netd's Ingress port is not published");
    waitFor('the Ingress route', () => {
      const r = spawnSync('curl', [
        '-sf',
        '-H',
        'Host: web.localhost',
        `http://127.0.0.1:${ingressPort}/`,
      ]);
      return r.status === 0;
    });

    const [viaService, direct] = alternate(
      () =>
        inClient<Load>('load.cjs', `http://${clusterIP}/`, String(SECONDS), String(CONCURRENCY)),
      () =>
        inClient<Load>('load.cjs', `http://${podIP}:8080/`, String(SECONDS), String(CONCURRENCY)),
    );
    compare('pod -> ClusterIP Service', viaService, direct, 'pod IP');

    const [viaIngress, hostDirect] = alternate(
      () => onHost(`http://127.0.0.1:${ingressPort}/`, 'web.localhost'),
      () => onHost(`http://127.0.0.1:${hostPort}/`),
    );
    compare('host -> Ingress', viaIngress, hostDirect, 'hostPort');

    const netdIP = kubectl([
      'exec',
      'client',
      '--',
      'sh',
      '-c',
      "awk '/^nameserver/{print $2; exit}' /etc/resolv.conf",
    ]).trim();
    const name = `web.${NAMESPACE}.svc.cluster.local`;
    const dockerDns = inClient<DnsLoad>(
      'dnsload.cjs',
      '127.0.0.11',
      netdName,
      String(SECONDS),
      '16',
    );
    const netdDns = inClient<DnsLoad>('dnsload.cjs', netdIP, name, String(SECONDS), '16');
    if (netdDns.errors || dockerDns.errors)
      console.log(`  (DNS: ${netdDns.errors} and ${dockerDns.errors} queries failed)`);
    report(
      'DNS queries/s answered by netd',
      netdDns.qps,
      '/s',
      { label: "Docker's embedded resolver", value: dockerDns.qps },
      'reported',
    );
  } finally {
    await skiff.stop();
    if (clusterId) await removeClusterObjects(docker, clusterId);
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
