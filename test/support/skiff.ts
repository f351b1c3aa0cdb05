// Starts a real `skiff serve` for an end-to-end suite and drives it the way a user does: real
// kubectl and helm with --kubeconfig on the server's file and a private HOME, plus raw HTTPS.
import { mkdtemp, rm } from 'node:fs/promises';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiRequest, loadKubeconfig, writeTokenKubeconfig } from './kube-api.ts';
import type { ApiRequest, ApiResponse, KubeconfigCredentials } from './kube-api.ts';
import { run, StreamingProcess } from './processes.ts';
import type { ExitInfo, RunOptions, RunResult } from './processes.ts';
import { helmPath, kubectlPath, repoRoot, requireKubeTools } from './tools.ts';

export interface StartSkiffOptions {
  /** Extra `skiff serve` arguments; `--api-port 0` is added unless they contain --api-port. */
  args?: string[];
  /** Reuse a data directory (default: a fresh temporary one, removed by stop()). */
  dataDir?: string;
  /** How long to wait for the kubeconfig line (default 60 s). */
  readyTimeoutMs?: number;
  /**
   * Run the Docker node: omit --no-docker and take the sandbox image from the local test
   * registry (`npm run setup:docker`).
   */
  docker?: boolean;
  /** Extra environment for the server process (e.g. DOCKER_HOST). */
  env?: Record<string, string>;
}

/** The pause image `npm run setup:docker` pushes to the local registry. */
export const TEST_SANDBOX_IMAGE = '127.0.0.1:5000/skiff/pause:3.10';

export interface ToolOptions extends RunOptions {
  /** Use this kubeconfig instead of the server's admin one (e.g. from tokenKubeconfig()). */
  kubeconfig?: string;
}

const kubeconfigLine = /kubeconfig: (\S+)/;

/** The command line that runs `skiff serve` in one Node process (no npx/tsx wrapper to outlive a kill). */
export function serveCommand(args: string[]): { command: string; args: string[] } {
  return {
    command: process.execPath,
    args: ['--import', 'tsx', join(repoRoot, 'main/cli/skiff.ts'), 'serve', ...args],
  };
}

/** Spawns `skiff serve` with exactly these arguments, for tests about the CLI itself. */
export function spawnServe(args: string[], env: NodeJS.ProcessEnv = process.env): StreamingProcess {
  const { command, args: argv } = serveCommand(args);
  return new StreamingProcess(command, argv, env, repoRoot);
}

export class Skiff {
  /** Path of the kubeconfig the server wrote (context `skiff`). */
  kubeconfig = '';
  /** https://127.0.0.1:PORT, from the kubeconfig. */
  server = '';
  credentials!: KubeconfigCredentials;
  process!: StreamingProcess;
  private agent = new https.Agent({ keepAlive: true, maxSockets: 32 });
  private extraKubeconfigs = 0;

  private constructor(
    readonly dataDir: string,
    /** Private HOME (and kube/helm caches) for every kubectl and helm run. */
    readonly home: string,
    private readonly args: string[],
    private readonly ownsDataDir: boolean,
    private readonly readyTimeoutMs: number,
    private readonly env: Record<string, string> = {},
  ) {}

  static async start(options: StartSkiffOptions = {}): Promise<Skiff> {
    requireKubeTools();
    const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'skiff-e2e-data-')));
    const home = await mkdtemp(join(tmpdir(), 'skiff-e2e-home-'));
    const extra = options.args ?? [];
    const args = options.docker
      ? [
          '--sandbox-image',
          TEST_SANDBOX_IMAGE,
          '--netd-base-image',
          '127.0.0.1:5000/skiff/node:20',
          '--data-dir',
          dataDir,
        ]
      : ['--no-docker', '--data-dir', dataDir];
    if (!extra.includes('--api-port')) args.push('--api-port', '0');
    // Many Skiffs share this machine's 127.0.0.1: the Ingress controller takes any free ports.
    if (options.docker && !extra.includes('--ingress-http-port'))
      args.push('--ingress-http-port', '0', '--ingress-https-port', '0');
    // Docker suites run one at a time, but two checkouts sharing one dockerd need distinct
    // cluster networks: SKIFF_TEST_CLUSTER_CIDR gives this checkout its own.
    const cidr = process.env.SKIFF_TEST_CLUSTER_CIDR;
    if (options.docker && cidr && !extra.includes('--cluster-cidr'))
      args.push('--cluster-cidr', cidr);
    args.push(...extra);
    const skiff = new Skiff(
      dataDir,
      home,
      args,
      !options.dataDir,
      options.readyTimeoutMs ?? 60_000,
      options.env,
    );
    try {
      await skiff.launch();
    } catch (error) {
      await skiff.stop();
      throw error;
    }
    return skiff;
  }

  /** Environment for kubectl/helm: the user's PATH, but nothing of the user's kube or helm state. */
  toolEnv(): NodeJS.ProcessEnv {
    return {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: this.home,
      KUBECACHEDIR: join(this.home, '.kube/cache'),
      HELM_CACHE_HOME: join(this.home, '.cache/helm'),
      HELM_CONFIG_HOME: join(this.home, '.config/helm'),
      HELM_DATA_HOME: join(this.home, '.local/share/helm'),
      TMPDIR: this.home,
      LANG: 'C.UTF-8',
    };
  }

  /** Runs real kubectl against this server. */
  kubectl(args: string[], options: ToolOptions = {}): Promise<RunResult> {
    return run(
      kubectlPath,
      ['--kubeconfig', options.kubeconfig ?? this.kubeconfig, ...args],
      this.toolEnv(),
      options,
    );
  }

  /** Starts kubectl and streams its output (`get -w`, `wait`); stop it with .stop(). */
  kubectlStream(args: string[], options: { kubeconfig?: string } = {}): StreamingProcess {
    return new StreamingProcess(
      kubectlPath,
      ['--kubeconfig', options.kubeconfig ?? this.kubeconfig, ...args],
      this.toolEnv(),
      this.home,
    );
  }

  /** Runs real helm against this server. */
  helm(args: string[], options: ToolOptions = {}): Promise<RunResult> {
    return run(
      helmPath,
      ['--kubeconfig', options.kubeconfig ?? this.kubeconfig, ...args],
      this.toolEnv(),
      {
        timeoutMs: 90_000,
        ...options,
      },
    );
  }

  /** Raw HTTPS request to the API server (admin client certificate unless `auth` says otherwise). */
  api(path: string, request: ApiRequest = {}): Promise<ApiResponse> {
    return apiRequest(this.credentials, path, request, this.agent);
  }

  /** Writes a kubeconfig for this server that authenticates with `token` (no credentials if undefined). */
  tokenKubeconfig(token: string | undefined): Promise<string> {
    this.extraKubeconfigs += 1;
    return writeTokenKubeconfig(
      join(this.home, `kubeconfig-${this.extraKubeconfigs}.yaml`),
      this.credentials,
      token,
    );
  }

  /** SIGTERM (then SIGKILL after 10 s), and removes the temporary directories. */
  async stop(): Promise<ExitInfo | undefined> {
    this.agent.destroy();
    const info = this.process ? await this.process.stop('SIGTERM', 10_000) : undefined;
    await rm(this.home, { recursive: true, force: true });
    if (this.ownsDataDir) await rm(this.dataDir, { recursive: true, force: true });
    return info;
  }

  /** SIGKILLs the server now and waits for it to be gone; the data directory is kept. */
  async kill9(): Promise<ExitInfo> {
    this.process.child.kill('SIGKILL');
    return this.process.exited;
  }

  /** Stops the server if it runs (SIGTERM) and starts it again on the same data directory. */
  async restart(): Promise<void> {
    if (this.process.running) await this.process.stop('SIGTERM', 10_000);
    this.agent.destroy();
    this.agent = new https.Agent({ keepAlive: true, maxSockets: 32 });
    await this.launch();
  }

  private async launch(): Promise<void> {
    this.process = spawnServe(this.args, { ...process.env, ...this.env });
    const match = await this.process
      .waitForOutput(kubeconfigLine, this.readyTimeoutMs)
      .catch((error: unknown) => {
        throw new Error(
          `skiff serve did not print its kubeconfig line: ${error instanceof Error ? error.message : String(error)}`,
        );
      });
    this.kubeconfig = match[1];
    this.credentials = await loadKubeconfig(this.kubeconfig);
    this.server = this.credentials.server;
  }
}

/** Starts a Skiff server for a suite; call stop() in afterAll. */
export function startSkiff(options: StartSkiffOptions = {}): Promise<Skiff> {
  return Skiff.start(options);
}

/**
 * Starts `skiff serve --simulated-nodes N` and resolves once all N simulated nodes
 * (skiff-sim-1 … skiff-sim-N) report Ready.
 */
export async function startSkiffWithNodes(
  count = 3,
  options: StartSkiffOptions = {},
): Promise<Skiff> {
  const skiff = await startSkiff({
    ...options,
    args: ['--simulated-nodes', String(count), ...(options.args ?? [])],
  });
  const wanted = Array.from({ length: count }, (_, i) => `skiff-sim-${i + 1}`);
  const deadline = Date.now() + 30_000;
  for (;;) {
    const res = await skiff.api('/api/v1/nodes');
    const ready = new Set(
      res.status === 200
        ? res
            .json<NodeList>()
            .items.filter((n) =>
              n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
            )
            .map((n) => n.metadata.name)
        : [],
    );
    if (wanted.every((name) => ready.has(name))) return skiff;
    if (Date.now() > deadline) {
      await skiff.stop();
      throw new Error(
        `simulated nodes not Ready within 30 s: ${wanted.filter((n) => !ready.has(n)).join(', ')}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

interface NodeList {
  items: {
    metadata: { name: string };
    status?: { conditions?: { type: string; status: string }[] };
  }[];
}
