// `skiff serve` as a user runs it: it says where its kubeconfig is, answers /readyz, refuses a
// second server on the same data directory, stops promptly on SIGTERM, moves off a taken default
// port and refuses a taken explicit one (README: `--api-port`).
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { spawnServe } from './support/skiff.ts';
import { apiRequest, loadKubeconfig, readKubeconfigFile } from './support/kube-api.ts';
import type { StreamingProcess } from './support/processes.ts';

const kubeconfigLine = /^.*kubeconfig: (\S+).*$/m;
const dirs: string[] = [];
const servers: StreamingProcess[] = [];
let portHolder: Server | undefined;

async function dataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-e2e-serve-'));
  dirs.push(dir);
  return dir;
}

function serve(args: string[]): StreamingProcess {
  const process = spawnServe(['--no-docker', ...args]);
  servers.push(process);
  return process;
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop('SIGKILL')));
  await new Promise<void>((resolve) =>
    portHolder ? portHolder.close(() => resolve()) : resolve(),
  );
  portHolder = undefined;
});

afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('skiff serve', () => {
  it('prints the kubeconfig line; the file has context skiff on https://127.0.0.1:PORT; /readyz is ok', async () => {
    const dir = await dataDir();
    const server = serve(['--data-dir', dir, '--api-port', '0']);
    const [, path] = await server.waitForOutput(kubeconfigLine, 60_000);
    expect(path).toBe(join(dir, 'kubeconfig.yaml'));

    const file = await readKubeconfigFile(path);
    expect(file['current-context']).toBe('skiff');
    const context = file.contexts?.find((c) => c.name === 'skiff');
    expect(context).toBeDefined();
    const cluster = file.clusters?.find((c) => c.name === context?.context.cluster);
    expect(cluster?.cluster.server).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);

    const credentials = await loadKubeconfig(path);
    const ready = await apiRequest(credentials, '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.text).toBe('ok');
  });

  it('refuses a second server on the same data directory, and the first keeps serving', async () => {
    const dir = await dataDir();
    const first = serve(['--data-dir', dir, '--api-port', '0']);
    const [, path] = await first.waitForOutput(kubeconfigLine, 60_000);

    const second = serve(['--data-dir', dir, '--api-port', '0']);
    const exit = await second.waitForExit(30_000);
    expect(exit, second.describe()).toBeDefined();
    expect(exit?.code, second.describe()).not.toBe(0);
    expect(exit?.code, second.describe()).not.toBeNull();
    const said = `${second.stdout}\n${second.stderr}`;
    expect(said).toContain(dir);
    expect(said).toMatch(/already|in use|locked/i);
    expect(second.stdout).not.toMatch(kubeconfigLine);

    const ready = await apiRequest(await loadKubeconfig(path), '/readyz');
    expect(ready.status).toBe(200);
    expect(first.running).toBe(true);
  });

  it('stops within 3 s of SIGTERM with exit code 0', async () => {
    const dir = await dataDir();
    const server = serve(['--data-dir', dir, '--api-port', '0']);
    await server.waitForOutput(kubeconfigLine, 60_000);
    const started = Date.now();
    server.child.kill('SIGTERM');
    const exit = await server.waitForExit(10_000);
    const elapsed = Date.now() - started;
    expect(exit, server.describe()).toEqual({ code: 0, signal: null });
    expect(elapsed, 'ms from SIGTERM to exit').toBeLessThan(3_000);
  });

  it('reports a corrupted store file by path and line, and leaves it as it was', async () => {
    const dir = await dataDir();
    const first = serve(['--data-dir', dir, '--api-port', '0']);
    await first.waitForOutput(kubeconfigLine, 60_000);
    first.child.kill('SIGTERM');
    await first.waitForExit(10_000);
    const file = join(dir, 'store', 'store.db');
    const lines = (await readFile(file, 'utf8')).split('\n');
    lines[2] = '{"_id": broken';
    const damaged = lines.join('\n');
    await writeFile(file, damaged);
    const second = serve(['--data-dir', dir, '--api-port', '0']);
    const exit = await second.waitForExit(30_000);
    expect(exit?.code, second.describe()).toBe(1);
    expect(second.stderr).toContain(`${file} line 3:`);
    expect(second.stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace
    expect(await readFile(file, 'utf8')).toBe(damaged);
  });

  it('moves off the default port 6443 when it is taken, and says so', async () => {
    const holder = createServer();
    portHolder = holder;
    // If something else already holds 6443 the situation under test exists anyway.
    await new Promise<void>((resolve) => {
      holder.once('error', () => resolve());
      holder.listen(6443, '127.0.0.1', () => resolve());
    });
    const dir = await dataDir();
    const server = serve(['--data-dir', dir]);
    const [, path] = await server.waitForOutput(kubeconfigLine, 60_000);
    const credentials = await loadKubeconfig(path);
    const port = Number(new URL(credentials.server).port);
    expect(port).not.toBe(6443);
    const said = `${server.stdout}\n${server.stderr}`;
    expect(said).toMatch(/\b6443\b.*in use/);
    expect(said).toContain(`127.0.0.1:${port}`);
    const ready = await apiRequest(credentials, '/readyz');
    expect(ready.status).toBe(200);
  });

  it('refuses an explicit --api-port that is taken, naming the port', async () => {
    const holder = createServer();
    portHolder = holder;
    const taken = await new Promise<number>((resolve, reject) => {
      holder.once('error', reject);
      holder.listen(0, '127.0.0.1', () => {
        const address = holder.address();
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('no port'));
      });
    });
    const dir = await dataDir();
    const server = serve(['--data-dir', dir, '--api-port', String(taken)]);
    const exit = await server.waitForExit(30_000);
    expect(exit?.code, server.describe()).toBe(1);
    expect(server.stderr).toContain(`port ${taken} on 127.0.0.1 is already in use`);
    expect(server.stdout).not.toMatch(kubeconfigLine);
  });
});
