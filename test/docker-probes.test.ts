// Probes on the Docker node, driven by real kubectl, with `skiff serve` running as another system
// user whose traffic to the pod range is REJECTed by iptables: httpGet and tcpSocket probes can
// only work through netd. A failing liveness probe restarts the container (Unhealthy and Killing
// events, restartCount grows), readiness gates Ready, exec probes run through Docker exec, and a
// netd killed with `docker kill` is recreated and probes work again.
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CLUSTER_CIDR, planClusterNetwork } from '../main/api/cluster-network.ts';
import { readDockerTestEnv } from '../scripts/docker-test-env/state.ts';
import {
  clusterIdOf,
  execIn,
  LABEL_CLUSTER,
  removeClusterObjects,
  requireDocker,
} from './support/docker.ts';
import { eventually, ok } from './support/helpers.ts';
import {
  connectAsUser,
  ensureSystemUser,
  rejectUserTraffic,
  startSkiffAsUser,
  type OutputRule,
  type SkiffAsUser,
  type SystemUser,
} from './support/run-as-user.ts';
import type { Skiff } from './support/skiff.ts';

const NODE = 'skiff-e2e-probes';
const NS = 'probes-e2e';

interface ContainerStatus {
  name: string;
  ready: boolean;
  started?: boolean;
  restartCount: number;
  containerID?: string;
  lastState: { terminated?: { exitCode: number } };
}

interface Pod {
  metadata: { name: string; uid: string };
  status?: {
    phase?: string;
    podIP?: string;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
    containerStatuses?: ContainerStatus[];
  };
}

let user: SystemUser;
let rule: OutputRule | undefined;
let server: SkiffAsUser | undefined;
let skiff: Skiff;
let docker: Docker;
let clusterId = '';
let busybox = '';
const plan = planClusterNetwork(process.env.SKIFF_TEST_CLUSTER_CIDR ?? DEFAULT_CLUSTER_CIDR);

function kubectl(args: string[], input?: string) {
  return skiff.kubectl(['-n', NS, ...args], { input, timeoutMs: 30_000 });
}

async function getPod(name: string): Promise<Pod> {
  return JSON.parse(ok(await kubectl(['get', 'pod', name, '-o', 'json']))) as Pod;
}

function condition(pod: Pod, type: string) {
  return pod.status?.conditions?.find((c) => c.type === type);
}

/** Events of a pod as `reason: message` lines. */
async function eventsOf(name: string): Promise<string[]> {
  const out = ok(
    await kubectl([
      'get',
      'events',
      '--field-selector',
      `involvedObject.name=${name}`,
      '-o',
      'jsonpath={range .items[*]}{.type} {.reason}: {.message}{"\\n"}{end}',
    ]),
  );
  return out.split('\n').filter(Boolean);
}

/** A busybox web server on 8080 serving /www (index.html says ok). */
function webContainer(name: string, extra: string): string {
  return `
  - name: ${name}
    image: ${busybox}
    command: [sh, -c, "mkdir -p /www && echo ok > /www/index.html && exec httpd -f -p 8080 -h /www"]
${extra}
`;
}

function podYaml(name: string, containers: string): string {
  return `apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
  terminationGracePeriodSeconds: 1
  containers:${containers}
`;
}

async function netdContainers(): Promise<Docker.ContainerInfo[]> {
  return docker.listContainers({
    filters: JSON.stringify({
      label: [`${LABEL_CLUSTER}=${clusterId}`, 'skiff.dev/role=netd'],
      status: ['running'],
    }),
  });
}

beforeAll(async () => {
  docker = await requireDocker();
  busybox = readDockerTestEnv().images.busybox.ref;
  user = ensureSystemUser('skiff-e2e');
  rule = rejectUserTraffic(user, plan.podRange);
  server = await startSkiffAsUser(user, { docker: true, args: ['--node-name', NODE] });
  skiff = server.skiff;
  clusterId = await clusterIdOf(skiff);
  ok(await skiff.kubectl(['wait', '--for=condition=Ready', `node/${NODE}`, '--timeout=30s']));
  ok(await skiff.kubectl(['create', 'namespace', NS]));
}, 120_000);

afterAll(async () => {
  await server?.stop();
  if (docker && clusterId) await removeClusterObjects(docker, clusterId);
  rule?.remove();
});

describe('probes through netd while Skiff cannot reach the pod network', () => {
  it('runs Skiff as a user the iptables rule cuts off from pod IPs', async () => {
    ok(await kubectl(['apply', '-f', '-'], podYaml('plain', webContainer('web', ''))));
    const pod = await eventually(
      'plain is Running with an IP',
      async () => {
        const p = await getPod('plain');
        return p.status?.phase === 'Running' && p.status.podIP ? p : undefined;
      },
      60_000,
      250,
    );
    const ip = pod.status?.podIP ?? '';
    // The web server answers (root is not filtered) …
    await eventually(
      'root reaches the pod',
      () => connectAsUser({ ...user, uid: 0, gid: 0, groups: [] }, ip, 8080) === 'connected',
      10_000,
      250,
    );
    // … but not the Skiff user.
    expect(connectAsUser(user, ip, 8080)).toBe('ECONNREFUSED');
    // And netd is the labelled, NET_ADMIN container at the pod range's last address.
    const [netd] = await netdContainers();
    expect(netd).toBeDefined();
    const info = await docker.getContainer(netd.Id).inspect();
    expect(info.HostConfig.CapAdd).toContain('NET_ADMIN');
    expect(Object.values(info.NetworkSettings.Networks)[0]?.IPAddress).toBe(
      plan.podRange.replace(/^(\d+)\.(\d+)\..*$/, '$1.$2.127.255'),
    );
    const bindings = info.HostConfig.PortBindings as Record<string, { HostIp?: string }[]>;
    expect(bindings['10257/tcp']?.[0]?.HostIp).toBe('127.0.0.1');
  });

  it('httpGet readiness gates Ready; tcpSocket liveness keeps a healthy container running', async () => {
    ok(
      await kubectl(
        ['apply', '-f', '-'],
        podYaml(
          'gated',
          webContainer(
            'web',
            `    readinessProbe: {httpGet: {path: /ready.html, port: 8080}, periodSeconds: 1}
    livenessProbe: {tcpSocket: {port: 8080}, periodSeconds: 1, failureThreshold: 2}`,
          ),
        ),
      ),
    );
    const running = await eventually(
      'gated runs but is not ready',
      async () => {
        const p = await getPod('gated');
        const s = p.status?.containerStatuses?.[0];
        return p.status?.phase === 'Running' && s ? p : undefined;
      },
      60_000,
      250,
    );
    const ip = running.status?.podIP ?? '';
    await eventually(
      'the readiness failure is reported with kubelet words',
      async () =>
        (await eventsOf('gated')).includes(
          'Warning Unhealthy: Readiness probe failed: HTTP probe failed with statuscode: 404',
        ),
      20_000,
      500,
    );
    const unready = await getPod('gated');
    expect(unready.status?.containerStatuses?.[0]?.ready).toBe(false);
    expect(condition(unready, 'Ready')?.status).toBe('False');
    expect(condition(unready, 'ContainersReady')?.message).toBe(
      'containers with unready status: [web]',
    );
    // The page appears: readiness passes and the pod turns Ready.
    const id = (unready.status?.containerStatuses?.[0]?.containerID ?? '').replace('docker://', '');
    await execIn(docker, id, ['sh', '-c', 'echo yes > /www/ready.html']);
    ok(await kubectl(['wait', '--for=condition=Ready', 'pod/gated', '--timeout=30s']));
    const ready = await getPod('gated');
    expect(ready.status?.containerStatuses?.[0]?.ready).toBe(true);
    expect(condition(ready, 'ContainersReady')?.status).toBe('True');
    // tcpSocket liveness passed all along: no restart, no liveness complaint.
    expect(ready.status?.containerStatuses?.[0]?.restartCount).toBe(0);
    const events = await eventsOf('gated');
    expect(
      events.filter((e) => e.includes('Killing')),
      events.join('\n'),
    ).toEqual([]);
    // Readiness turns false again when the page goes.
    await execIn(docker, id, ['rm', '/www/ready.html']);
    await eventually(
      'gated is unready again',
      async () => condition(await getPod('gated'), 'Ready')?.status === 'False',
      20_000,
      500,
    );
    expect(ip).not.toBe('');
  });

  it('a failing liveness probe restarts the container with Unhealthy and Killing events', async () => {
    ok(
      await kubectl(
        ['apply', '-f', '-'],
        podYaml(
          'live',
          webContainer(
            'web',
            `    livenessProbe: {httpGet: {path: /, port: 8081}, periodSeconds: 1, failureThreshold: 2}`,
          ) +
            `  - name: sleeper
    image: ${busybox}
    command: [sh, -c, "exec sleep 3600"]
    livenessProbe: {exec: {command: [sh, -c, "echo not alive; exit 1"]}, periodSeconds: 1, failureThreshold: 1}
`,
        ),
      ),
    );
    const first = await eventually(
      'live restarts once',
      async () => {
        const p = await getPod('live');
        const s = p.status?.containerStatuses?.find((c) => c.name === 'web');
        return s && s.restartCount >= 1 ? p : undefined;
      },
      60_000,
      500,
    );
    const ip = first.status?.podIP ?? '';
    const events = await eventsOf('live');
    expect(events).toContain(
      `Warning Unhealthy: Liveness probe failed: Get "http://${ip}:8081/": dial tcp ${ip}:8081: connect: connection refused`,
    );
    expect(events).toContain(
      'Normal Killing: Container web failed liveness probe, will be restarted',
    );
    await eventually(
      'the exec liveness failure is reported and kills sleeper',
      async () => {
        const e = await eventsOf('live');
        return (
          (e.includes('Warning Unhealthy: Liveness probe failed: not alive\n') ||
            e.some((x) => x.startsWith('Warning Unhealthy: Liveness probe failed: not alive'))) &&
          e.includes('Normal Killing: Container sleeper failed liveness probe, will be restarted')
        );
      },
      30_000,
      500,
    );
    // The count keeps growing (through crash-loop back-off, as kubelet does).
    await eventually(
      'web restarts again',
      async () =>
        ((await getPod('live')).status?.containerStatuses?.find((c) => c.name === 'web')
          ?.restartCount ?? 0) >= 2,
      60_000,
      1000,
    );
  }, 150_000);

  it('a restarted Skiff adopts the running netd; netd killed with docker kill is recreated and probes work again', async () => {
    const adopted = await eventually(
      'netd runs',
      async () => (await netdContainers())[0],
      30_000,
      250,
    );
    await skiff.restart();
    ok(await skiff.kubectl(['wait', '--for=condition=Ready', `node/${NODE}`, '--timeout=30s']));
    await eventually(
      'the restarted Skiff reports netd adopted',
      () =>
        (skiff.process.stdout + skiff.process.stderr).includes(
          `adopted ${adopted.Id.slice(0, 12)}`,
        ),
      30_000,
      250,
    );
    const [before] = await netdContainers();
    expect(before.Id).toBe(adopted.Id);
    await docker.getContainer(before.Id).kill();
    const after = await eventually(
      'a new netd runs',
      async () => {
        const list = await netdContainers();
        return list.find((c) => c.Id !== before.Id);
      },
      30_000,
      250,
    );
    expect(after.Labels['skiff.dev/role']).toBe('netd');
    ok(
      await kubectl(
        ['apply', '-f', '-'],
        podYaml(
          'again',
          webContainer(
            'web',
            `    readinessProbe: {httpGet: {path: /, port: 8080}, periodSeconds: 1}`,
          ),
        ),
      ),
    );
    ok(await kubectl(['wait', '--for=condition=Ready', 'pod/again', '--timeout=60s']));
    expect((await getPod('again')).status?.containerStatuses?.[0]?.ready).toBe(true);
  }, 120_000);
});
