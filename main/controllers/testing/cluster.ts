// A real control plane in the test process, for controller and scheduler tests: the API server's
// registry with a temporary data directory, in-process clients and shared informers. Tests
// drive it through the same API the components use and stop it afterwards.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ControlPlane } from '../../cluster/control-plane.ts';
import { InformerFactory } from '../../client/informer.ts';
import type { LocalClient } from '../../client/local-client.ts';
import type { ControllerContext } from '../controller-manager.ts';

export interface TestCluster {
  plane: ControlPlane;
  /** A client acting as the test itself (a cluster admin). */
  client: LocalClient;
  /** Context for a component under test: its own client, shared informers. */
  context(name: string): ControllerContext;
  informers: InformerFactory;
  stop(): Promise<void>;
}

export async function startTestCluster(): Promise<TestCluster> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'skiff-controllers-'));
  // Only the components under test run: no controllers of the control plane's own.
  const plane = new ControlPlane({
    dataDir,
    apiPort: 0,
    apiPortExplicit: true,
    controllers: false,
  });
  await plane.start();
  const informers = new InformerFactory(plane.client('informers'));
  return {
    plane,
    client: plane.client('test-admin', 'kubectl'),
    informers,
    context: (name) => ({ client: plane.client(name, name), informers, log: () => undefined }),
    async stop() {
      informers.stop();
      await plane.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls until check() returns a value that is not undefined/false, or fails after ms. */
export async function eventually<T>(
  check: () => T | undefined | false,
  ms = 10_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
