// Restart safety of the Docker node (issue 4 item 7) with ten pods running: kill -9 of Skiff
// adopts every container (same IDs, no restarts counted, nothing duplicated), and a real restart of
// dockerd (which stops every container) brings the pods back per restartPolicy with status that
// matches what Docker runs.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSkiff, type Skiff } from './support/skiff.ts';
import {
  clusterIdOf,
  LABEL_CLUSTER,
  removeClusterObjects,
  requireDocker,
} from './support/docker.ts';
import { deployment } from './support/fixtures.ts';
import { eventually, ok } from './support/helpers.ts';
import { readDockerTestEnv } from '../scripts/docker-test-env/state.ts';

const NODE = 'skiff-e2e-restart';
const NS = 'restart-e2e';
const REPLICAS = 10;
const repoRoot = fileURLToPath(new URL('..', import.meta.url));

interface Pod {
  metadata: { name: string; uid: string };
  status?: {
    phase?: string;
    podIP?: string;
    conditions?: { type: string; status: string }[];
    containerStatuses?: { containerID?: string; restartCount: number; ready: boolean }[];
  };
}

let skiff: Skiff;
let docker: Docker;
let clusterId = '';

beforeAll(async () => {
  docker = await requireDocker();
  skiff = await startSkiff({ docker: true, args: ['--node-name', NODE] });
  clusterId = await clusterIdOf(skiff);
  ok(await skiff.kubectl(['wait', '--for=condition=Ready', `node/${NODE}`, '--timeout=30s']));
  ok(await skiff.kubectl(['create', 'namespace', NS]));
}, 90_000);

afterAll(async () => {
  await skiff?.stop();
  if (docker && clusterId) await removeClusterObjects(docker, clusterId);
}, 60_000);

async function pods(): Promise<Pod[]> {
  const out = ok(await skiff.kubectl(['get', 'pods', '-n', NS, '-l', 'app=sleeper', '-o', 'json']));
  return (JSON.parse(out) as { items: Pod[] }).items;
}

function isReady(pod: Pod): boolean {
  return (
    pod.status?.phase === 'Running' &&
    pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true
  );
}

/** The cluster's containers of one role (`container`, `sandbox`, `netd`). */
async function containers(role: string, all = false) {
  return docker.listContainers({
    all,
    filters: JSON.stringify({ label: [`${LABEL_CLUSTER}=${clusterId}`, `skiff.dev/role=${role}`] }),
  });
}

describe('the Docker node across restarts', () => {
  it('adopts ten running pods after kill -9: same containers, no restarts, no duplicates', async () => {
    const spec = deployment(NS, 'sleeper', REPLICAS, readDockerTestEnv().images.busybox.ref, {
      terminationGracePeriodSeconds: 2,
    });
    const template = (spec.spec as { template: { spec: { containers: object[] } } }).template;
    template.spec.containers = [
      {
        name: 'sleeper',
        image: readDockerTestEnv().images.busybox.ref,
        command: ['sh', '-c', 'trap "exit 0" TERM; while :; do sleep 1; done'],
      },
    ];
    ok(await skiff.kubectl(['apply', '-f', '-'], { input: JSON.stringify(spec) }));
    const before = await eventually(
      'ten pods Ready',
      async () => {
        const list = await pods();
        return list.length === REPLICAS && list.every(isReady) && list;
      },
      90_000,
      500,
    );
    const statusOf = (list: Pod[]) =>
      Object.fromEntries(
        list.map((p) => [
          p.metadata.name,
          p.status!.containerStatuses!.map((s) => [s.containerID, s.restartCount]),
        ]),
      );
    const appIds = (await containers('container')).map((c) => c.Id).sort();
    expect(appIds).toHaveLength(REPLICAS);

    await skiff.kill9();
    await skiff.restart();
    ok(await skiff.kubectl(['wait', '--for=condition=Ready', `node/${NODE}`, '--timeout=30s']));
    // Give the agent time to re-sync every pod (and to do anything wrong it might do).
    await eventually(
      'netd adopted',
      async () => (await containers('netd')).length === 1,
      30_000,
      500,
    );
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const after = await pods();
    expect(after.every(isReady)).toBe(true);
    expect(statusOf(after)).toEqual(statusOf(before));
    expect((await containers('container', true)).map((c) => c.Id).sort()).toEqual(appIds);
    expect(await containers('sandbox', true)).toHaveLength(REPLICAS);
    expect(await containers('netd', true)).toHaveLength(1);
  }, 180_000);

  it('brings the pods back after dockerd restarts and reports what Docker runs', async () => {
    const before = await pods();
    const restart = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'scripts/docker-test-env.ts', 'restart-dockerd'],
      { cwd: repoRoot, timeout: 120_000 },
    );
    expect(restart.stdout).toMatch(/dockerd .* restarted/);
    const after = await eventually(
      'ten pods Ready again on new containers',
      async () => {
        const list = await pods();
        return (
          list.length === REPLICAS &&
          list.every(isReady) &&
          list.every((p) => p.status!.containerStatuses![0].restartCount >= 1) &&
          list
        );
      },
      120_000,
      1_000,
    );
    // The same pods (restartPolicy Always brings containers back; the pods are not replaced).
    expect(after.map((p) => p.metadata.uid).sort()).toEqual(
      before.map((p) => p.metadata.uid).sort(),
    );
    // Status matches Docker: each pod's container runs under the reported ID, on the reported IP.
    const running = await containers('container');
    expect(running).toHaveLength(REPLICAS);
    const sandboxes = await containers('sandbox');
    expect(sandboxes).toHaveLength(REPLICAS);
    for (const pod of after) {
      const id = pod.status!.containerStatuses![0].containerID!.replace('docker://', '');
      const container = running.find((c) => c.Id === id);
      expect(container?.Labels['skiff.dev/pod-uid']).toBe(pod.metadata.uid);
      const sandbox = sandboxes.find((c) => c.Labels['skiff.dev/pod-uid'] === pod.metadata.uid);
      const ips = Object.values(sandbox?.NetworkSettings.Networks ?? {}).map((n) => n.IPAddress);
      expect(ips).toContain(pod.status!.podIP);
    }
    expect(await containers('netd')).toHaveLength(1);
  }, 240_000);
});
