// What the benchmarks share: a `skiff serve` child process with an admin HTTPS client from its
// kubeconfig, plain requests, percentiles, RSS from /proc, and the one-line report format
// (figure, ratio to a baseline measured in the same run, target).
import https from 'node:https';
import fs from 'node:fs';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parse as parseYaml } from 'yaml';
import { buildCli } from '../scripts/build-cli.ts';

export interface Client {
  agent: https.Agent;
  base: string;
  ca: string;
  cert: string;
  key: string;
}

export interface Response {
  status: number;
  body: string;
}

export function request(
  client: Client,
  method: string,
  urlPath: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<Response> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = https.request(
      `${client.base}${urlPath}`,
      {
        method,
        agent: client.agent,
        ca: client.ca,
        cert: client.cert,
        key: client.key,
        headers: payload
          ? { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(payload) }
          : {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Prints `name  value unit  (ratio x the <baseline> of b unit)  target: …`. */
export function report(
  name: string,
  value: number,
  unit: string,
  baseline: { label: string; value: number } | undefined,
  target: string,
): void {
  const ratio =
    baseline === undefined
      ? ''
      : `  (${(value / baseline.value).toFixed(2)}x the ${baseline.label} of ${baseline.value.toFixed(2)} ${unit})`;
  console.log(
    `${name.padEnd(44)} ${value.toFixed(2).padStart(10)} ${unit}${ratio}  target: ${target}`,
  );
}

export function rssOf(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /VmRSS:\s+(\d+) kB/.exec(status);
  return match ? Number(match[1]) / 1024 : NaN;
}

export interface SkiffProcess {
  stop(): Promise<void>;
  client: Client;
  /** Process spawn to the first OK from /readyz. */
  startMs: number;
  pid: number;
  kubeconfigPath: string;
}

/**
 * Compiles the `skiff` command to JavaScript as a release ships it (scripts/build-cli.ts, into a
 * cache folder of its own); returns the file to run with plain node.
 */
export function buildSkiff(): Promise<string> {
  return buildCli(path.resolve('node_modules/.cache/skiff-bench'));
}

/**
 * Starts `skiff serve` on dataDir with extra flags (`--no-docker` unless `docker`); resolves once
 * /readyz is OK. It runs the TypeScript sources through tsx unless given a compiled file (what
 * `npm run serve` runs: buildSkiff()).
 */
export async function startSkiff(
  dataDir: string,
  extraArgs: string[] = [],
  compiled?: string,
  options: { docker?: boolean } = {},
): Promise<SkiffProcess> {
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [
      // Extra node flags for profiling a run (e.g. `--cpu-prof --cpu-prof-dir=DIR`).
      ...(process.env.SKIFF_BENCH_NODE_FLAGS?.split(' ').filter(Boolean) ?? []),
      ...(compiled ? [compiled] : ['--import', 'tsx', 'main/cli/skiff.ts']),
      'serve',
      ...(options.docker ? [] : ['--no-docker']),
      '--data-dir',
      dataDir,
      '--api-port',
      '0',
      ...extraArgs,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let output = '';
  // The child's whole output to a file, for profiling runs (e.g. with `--trace-gc`).
  const childLog = process.env.SKIFF_BENCH_CHILD_LOG;
  if (childLog) child.stdout.on('data', (chunk: Buffer) => fs.appendFileSync(childLog, chunk));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`skiff did not start:\n${output}`)), 60_000);
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('kubeconfig: ')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`skiff exited with ${code}:\n${output}`)));
  });
  const kubeconfigPath = `${dataDir}/kubeconfig.yaml`;
  const kubeconfig = parseYaml(fs.readFileSync(kubeconfigPath, 'utf8')) as {
    clusters: { cluster: { server: string; 'certificate-authority-data': string } }[];
    users: { user: { 'client-certificate-data': string; 'client-key-data': string } }[];
  };
  const decode = (s: string) => Buffer.from(s, 'base64').toString('utf8');
  const client: Client = {
    agent: new https.Agent({ keepAlive: true, maxSockets: 128 }),
    base: kubeconfig.clusters[0].cluster.server,
    ca: decode(kubeconfig.clusters[0].cluster['certificate-authority-data']),
    cert: decode(kubeconfig.users[0].user['client-certificate-data']),
    key: decode(kubeconfig.users[0].user['client-key-data']),
  };
  for (;;) {
    const res = await request(client, 'GET', '/readyz').catch(() => undefined);
    if (res?.status === 200) break;
  }
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  return { stop, client, startMs: performance.now() - started, pid: child.pid!, kubeconfigPath };
}
