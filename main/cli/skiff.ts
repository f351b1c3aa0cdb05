// The `skiff` command line: `skiff serve` runs the cluster headless (the same control plane the
// desktop app starts), writes its kubeconfig and stops cleanly on SIGINT/SIGTERM.
import { ControlPlane, PortInUseError } from '../cluster/control-plane.ts';
import { collectLikeGoComponents } from '../cluster/heap.ts';
import { lockDataDir, DataDirLockedError } from './lock.ts';
import { parseServeArgs, SERVE_USAGE, UsageError } from './args.ts';
import fs from 'node:fs';

const USAGE = `Usage: skiff <command> [flags]

Commands:
  serve    run the cluster and its API server without the desktop window

Run 'skiff serve --help' for its flags.
`;

async function serve(argv: string[]): Promise<number> {
  collectLikeGoComponents();
  const started = performance.now();
  const parsed = parseServeArgs(argv);
  if (parsed === 'help') {
    process.stdout.write(SERVE_USAGE);
    return 0;
  }
  fs.mkdirSync(parsed.dataDir, { recursive: true, mode: 0o700 });
  const lock = lockDataDir(parsed.dataDir);
  // Whoever reads our output may go away (`skiff serve | head`, a parent that exited): losing the
  // log must not bring the cluster down.
  process.stdout.on('error', () => undefined);
  const plane = new ControlPlane({
    dataDir: parsed.dataDir,
    apiPort: parsed.apiPort,
    apiPortExplicit: parsed.apiPortExplicit,
    simulatedNodes: parsed.simulatedNodes,
    docker: parsed.docker,
    nodeName: parsed.nodeName,
    sandboxImage: parsed.sandboxImage,
    netdBaseImage: parsed.netdBaseImage,
    clusterCidr: parsed.clusterCidr,
    ingressHttpPort: parsed.ingressHttpPort,
    ingressHttpsPort: parsed.ingressHttpsPort,
    log: (line) => process.stdout.write(`${line}\n`),
  });
  let stopping: Promise<void> | undefined;
  const stop = (signal: string) => {
    if (stopping) return;
    process.stdout.write(`received ${signal}, stopping\n`);
    stopping = plane
      .stop()
      .catch((err: unknown) => {
        process.stderr.write(`error while stopping: ${(err as Error).message}\n`);
      })
      .finally(() => {
        lock.release();
        process.exit(0);
      });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  try {
    await plane.start();
  } catch (err) {
    lock.release();
    throw err;
  }
  if (parsed.simulatedNodes)
    process.stdout.write(`${parsed.simulatedNodes} simulated node(s) registered\n`);
  if (!parsed.docker) process.stdout.write('running without a Docker node (--no-docker)\n');
  else if (plane.docker)
    process.stdout.write(
      plane.docker.runtimeUp
        ? `pods bound to node ${plane.docker.name} run on Docker at ${plane.docker.engine.endpoint}\n`
        : `node ${plane.docker.name} stays NotReady until Docker answers at ${plane.docker.engine.endpoint}\n`,
    );
  else process.stdout.write('no Docker node: see the message above\n');
  const elapsed = Math.round(performance.now() - started);
  process.stdout.write(`API server listening on ${plane.url} (ready in ${elapsed} ms)\n`);
  process.stdout.write(`kubeconfig: ${plane.kubeconfigPath}\n`);
  process.stdout.write(`use it with: kubectl --kubeconfig ${plane.kubeconfigPath} get nodes\n`);
  return -1; // keep running
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'serve') return serve(rest);
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE);
    return command === undefined ? 2 : 0;
  }
  process.stderr.write(`skiff: unknown command "${command}"\n\n${USAGE}`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err: unknown) => {
    if (err instanceof UsageError) {
      process.stderr.write(`skiff serve: ${err.message}\n\n${SERVE_USAGE}`);
      process.exit(2);
    }
    if (err instanceof DataDirLockedError || err instanceof PortInUseError) {
      process.stderr.write(`skiff serve: ${err.message}\n`);
      process.exit(1);
    }
    // A failed start (corrupt store file, unreadable certificate…) is reported by its message,
    // which names the file; the stack only helps developers.
    const detail = process.env.SKIFF_DEBUG
      ? ((err as Error).stack ?? String(err))
      : (err as Error).message;
    process.stderr.write(`skiff serve: could not start: ${detail}\n`);
    process.exit(1);
  },
);
