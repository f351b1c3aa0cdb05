// The Docker node against a real dockerd, driven by real kubectl: the node registers with Docker's
// capacity and runtime version, pods run as a sandbox plus init and app containers with Skiff's
// labels, env from every source, crash-loop back-off, Job and exit codes, image pull errors,
// graceful deletion with SIGTERM, Docker going away and coming back (through a socket proxy the
// test controls), and kill -9 of Skiff with adoption of the running containers.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSkiff, type Skiff } from './support/skiff.ts';
import {
  clusterIdOf,
  DockerProxy,
  execIn,
  LABEL_CLUSTER,
  removeClusterObjects,
  requireDocker,
} from './support/docker.ts';
import { eventually, ok, tableOf } from './support/helpers.ts';
import { ipToNumber, parseCidr, planClusterNetwork } from '../main/api/cluster-network.ts';
import { readDockerTestEnv } from '../scripts/docker-test-env/state.ts';

const NODE = 'skiff-e2e-docker';
const NS = 'docker-e2e';
// The address plan this run's cluster uses (test/support/skiff.ts passes SKIFF_TEST_CLUSTER_CIDR).
const plan = planClusterNetwork(process.env.SKIFF_TEST_CLUSTER_CIDR || undefined);

function inRange(ip: string, cidr: string): boolean {
  const { base, size } = parseCidr(cidr);
  const n = ipToNumber(ip);
  return n !== undefined && n >= base && n < base + size;
}

interface ContainerState {
  running?: { startedAt: string };
  waiting?: { reason: string; message?: string };
  terminated?: { exitCode: number; reason: string; containerID?: string };
}

interface ContainerStatus {
  name: string;
  state: ContainerState;
  lastState: ContainerState;
  ready: boolean;
  restartCount: number;
  containerID?: string;
  imageID: string;
}

interface Pod {
  metadata: { name: string; uid: string; resourceVersion: string };
  spec: { nodeName?: string };
  status?: {
    phase?: string;
    podIP?: string;
    hostIP?: string;
    conditions?: { type: string; status: string }[];
    containerStatuses?: ContainerStatus[];
    initContainerStatuses?: ContainerStatus[];
  };
}

let skiff: Skiff;
let docker: Docker;
let proxy: DockerProxy;
let proxyDir: string;
let clusterId = '';
let busybox = '';
let handMade: string | undefined;

beforeAll(async () => {
  docker = await requireDocker();
  const env = readDockerTestEnv();
  busybox = env.images.busybox.ref;
  proxyDir = await mkdtemp(join(tmpdir(), 'skiff-docker-proxy-'));
  proxy = new DockerProxy(join(proxyDir, 'docker.sock'));
  await proxy.start();
  skiff = await startSkiff({
    docker: true,
    args: ['--node-name', NODE, '--simulated-nodes', '1'],
    env: { DOCKER_HOST: proxy.dockerHost },
  });
  clusterId = await clusterIdOf(skiff);
  ok(await skiff.kubectl(['wait', '--for=condition=Ready', `node/${NODE}`, '--timeout=30s']));
  ok(await skiff.kubectl(['create', 'namespace', NS]));
}, 90_000);

afterAll(async () => {
  await skiff?.stop();
  if (docker && clusterId) await removeClusterObjects(docker, clusterId);
  if (handMade)
    await docker
      .getContainer(handMade)
      .remove({ force: true })
      .catch(() => undefined);
  await proxy?.stop();
  if (proxyDir) await rm(proxyDir, { recursive: true, force: true });
}, 60_000);

function kubectl(args: string[], input?: string, timeoutMs = 30_000) {
  return skiff.kubectl(args, { input, timeoutMs });
}

async function pod(name: string): Promise<Pod> {
  return JSON.parse(ok(await kubectl(['get', 'pod', name, '-n', NS, '-o', 'json']))) as Pod;
}

async function podsOf(app: string): Promise<Pod[]> {
  const out = ok(await kubectl(['get', 'pods', '-n', NS, '-l', `app=${app}`, '-o', 'json']));
  return (JSON.parse(out) as { items: Pod[] }).items;
}

async function containersOfPod(uid: string) {
  return docker.listContainers({
    all: true,
    filters: JSON.stringify({
      label: [`${LABEL_CLUSTER}=${clusterId}`, `skiff.dev/pod-uid=${uid}`],
    }),
  });
}

function apply(yaml: string) {
  return kubectl(['apply', '-n', NS, '-f', '-'], yaml).then(ok);
}

describe('the Docker node', () => {
  it('registers Ready with Docker capacity and runtime version', async () => {
    const info = (await docker.info()) as { NCPU: number; MemTotal: number; ServerVersion: string };
    const table = tableOf(ok(await kubectl(['get', 'nodes', '-o', 'wide'])));
    const row = table.find((r) => r.NAME === NODE);
    expect(row).toMatchObject({
      STATUS: 'Ready',
      VERSION: 'v1.35.0',
      'CONTAINER-RUNTIME': `docker://${info.ServerVersion}`,
      'INTERNAL-IP': plan.gateway,
    });
    expect(table.some((r) => r.NAME === 'skiff-sim-1')).toBe(true);
    const node = JSON.parse(ok(await kubectl(['get', 'node', NODE, '-o', 'json']))) as {
      metadata: { labels: Record<string, string> };
      status: { capacity: Record<string, string>; nodeInfo: Record<string, string> };
    };
    expect(node.status.capacity.cpu).toBe(String(info.NCPU));
    expect(node.status.capacity.memory).toBe(`${Math.floor(info.MemTotal / 1024)}Ki`);
    expect(node.status.capacity.pods).toBe('110');
    expect(node.metadata.labels).toMatchObject({
      'kubernetes.io/hostname': NODE,
      'kubernetes.io/os': 'linux',
    });
    expect(node.status.nodeInfo.containerRuntimeVersion).toBe(`docker://${info.ServerVersion}`);
  });

  it('runs a Deployment as sandbox + init + app containers with labels and env from every source', async () => {
    await apply(`
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {color: blue}
---
apiVersion: v1
kind: Secret
metadata: {name: creds}
stringData: {password: s3cret}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      nodeSelector: {kubernetes.io/hostname: ${NODE}}
      terminationGracePeriodSeconds: 2
      initContainers:
      - {name: init-one, image: ${busybox}, command: [sh, -c, "sleep 1"]}
      - {name: init-two, image: ${busybox}, command: [sh, -c, "sleep 1"]}
      containers:
      - name: app
        image: ${busybox}
        command: [httpd, -f, -p, "8080"]
        env:
        - {name: PLAIN, value: hello}
        - name: COLOR
          valueFrom: {configMapKeyRef: {name: settings, key: color}}
        - name: PASSWORD
          valueFrom: {secretKeyRef: {name: creds, key: password}}
        - name: MY_POD
          valueFrom: {fieldRef: {fieldPath: metadata.name}}
        - name: MY_IP
          valueFrom: {fieldRef: {fieldPath: status.podIP}}
`);
    ok(
      await kubectl(
        ['rollout', 'status', 'deployment/web', '-n', NS, '--timeout=60s'],
        undefined,
        70_000,
      ),
    );
    const [p] = await podsOf('web');
    expect(p.spec.nodeName).toBe(NODE);
    expect(p.status?.phase).toBe('Running');
    expect(inRange(p.status!.podIP!, plan.podRange)).toBe(true);
    expect(p.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    const app = p.status!.containerStatuses![0];
    expect(app).toMatchObject({ name: 'app', ready: true, restartCount: 0 });
    expect(app.containerID).toMatch(/^docker:\/\/[0-9a-f]{64}$/);
    expect(app.imageID).toContain('@sha256:');

    const containers = await containersOfPod(p.metadata.uid);
    const byRole = (role: string) => containers.filter((c) => c.Labels['skiff.dev/role'] === role);
    expect(byRole('sandbox')).toHaveLength(1);
    expect(byRole('sandbox')[0].State).toBe('running');
    expect(
      byRole('container')
        .map((c) => c.Labels['skiff.dev/container-name'])
        .sort(),
    ).toEqual(['app', 'init-one', 'init-two']);
    for (const c of containers)
      expect(c.Labels).toMatchObject({
        [LABEL_CLUSTER]: clusterId,
        'skiff.dev/pod-uid': p.metadata.uid,
        'skiff.dev/pod-namespace': NS,
        'skiff.dev/pod-name': p.metadata.name,
      });
    const appContainer = byRole('container').find(
      (c) => c.Labels['skiff.dev/container-name'] === 'app',
    )!;
    expect(`docker://${appContainer.Id}`).toBe(app.containerID);
    expect(appContainer.HostConfig.NetworkMode).toBe(`container:${byRole('sandbox')[0].Id}`);

    // Init containers ran first, one after the other.
    const times = async (name: string) => {
      const c = byRole('container').find((x) => x.Labels['skiff.dev/container-name'] === name)!;
      const state = (await docker.getContainer(c.Id).inspect()).State;
      return { started: Date.parse(state.StartedAt), finished: Date.parse(state.FinishedAt) };
    };
    const [one, two, main] = [await times('init-one'), await times('init-two'), await times('app')];
    expect(one.finished).toBeLessThanOrEqual(two.started);
    expect(two.finished).toBeLessThanOrEqual(main.started);

    const env = await execIn(docker, appContainer.Id, ['env']);
    expect(env).toContain('PLAIN=hello\n');
    expect(env).toContain('COLOR=blue\n');
    expect(env).toContain('PASSWORD=s3cret\n');
    expect(env).toContain(`MY_POD=${p.metadata.name}\n`);
    expect(env).toContain(`MY_IP=${p.status?.podIP}\n`);
    const hostname = await execIn(docker, appContainer.Id, ['hostname']);
    expect(hostname.trim()).toBe(p.metadata.name);

    // Status is written only when it changes: a periodic resync (10 s) of a steady pod writes nothing.
    const rv = (await pod(p.metadata.name)).metadata.resourceVersion;
    await new Promise((resolve) => setTimeout(resolve, 11_000));
    const again = await pod(p.metadata.name);
    expect(again.metadata.resourceVersion).toBe(rv);
  });

  it('two containers of a pod share localhost and an emptyDir volume', async () => {
    await apply(`
apiVersion: v1
kind: Pod
metadata: {name: shared}
spec:
  nodeName: ${NODE}
  terminationGracePeriodSeconds: 0
  volumes:
  - {name: scratch, emptyDir: {}}
  containers:
  - name: server
    image: ${busybox}
    command: [sh, -c, 'echo from-server > /www/index.html; httpd -f -p 8080 -h /www']
    volumeMounts: [{name: scratch, mountPath: /www}]
  - name: reader
    image: ${busybox}
    command: [sleep, '3600']
    volumeMounts: [{name: scratch, mountPath: /data, readOnly: true}]
`);
    ok(
      await kubectl(
        ['wait', '--for=condition=Ready', 'pod/shared', '-n', NS, '--timeout=30s'],
        undefined,
        40_000,
      ),
    );
    const p = await pod('shared');
    const reader = p.status!.containerStatuses!.find((s) => s.name === 'reader')!;
    const id = reader.containerID!.replace('docker://', '');
    expect(await execIn(docker, id, ['cat', '/data/index.html'])).toBe('from-server\n');
    expect(await execIn(docker, id, ['wget', '-qO-', 'http://127.0.0.1:8080/'])).toBe(
      'from-server\n',
    );
    const volumes = await docker.listVolumes({
      filters: JSON.stringify({ label: [`skiff.dev/pod-uid=${p.metadata.uid}`] }),
    });
    expect(volumes.Volumes.map((v) => v.Labels['skiff.dev/volume-name'])).toEqual(['scratch']);
    ok(await kubectl(['delete', 'pod', 'shared', '-n', NS, '--timeout=30s'], undefined, 40_000));
    // Once the pod is gone, so are its volume and containers.
    await eventually(
      'the pod volume removed',
      async () => {
        const after = await docker.listVolumes({
          filters: JSON.stringify({ label: [`skiff.dev/pod-uid=${p.metadata.uid}`] }),
        });
        return (after.Volumes ?? []).length === 0;
      },
      15_000,
      200,
    );
    expect(await containersOfPod(p.metadata.uid)).toEqual([]);
  });

  it('reports CrashLoopBackOff, Job success, exit codes and image pull errors as kubelet does', async () => {
    const missing = `${busybox.replace(/busybox:1$/, 'no-such-image')}:1`;
    await apply(`
apiVersion: v1
kind: Pod
metadata: {name: crasher}
spec:
  nodeName: ${NODE}
  terminationGracePeriodSeconds: 0
  containers:
  - {name: c, image: ${busybox}, command: [sh, -c, "exit 3"]}
---
apiVersion: v1
kind: Pod
metadata: {name: fails-seven}
spec:
  nodeName: ${NODE}
  restartPolicy: Never
  containers:
  - {name: c, image: ${busybox}, command: [sh, -c, "exit 7"]}
---
apiVersion: v1
kind: Pod
metadata: {name: oom}
spec:
  nodeName: ${NODE}
  restartPolicy: Never
  containers:
  - name: c
    image: ${busybox}
    command: [sh, -c, 'head -c 200000000 /dev/zero | tail']
    resources: {limits: {memory: 16Mi}}
---
apiVersion: batch/v1
kind: Job
metadata: {name: done}
spec:
  template:
    spec:
      nodeSelector: {kubernetes.io/hostname: ${NODE}}
      restartPolicy: Never
      containers:
      - {name: c, image: ${busybox}, command: [sh, -c, "echo ok"]}
---
apiVersion: v1
kind: Pod
metadata: {name: no-image}
spec:
  nodeName: ${NODE}
  terminationGracePeriodSeconds: 0
  containers:
  - {name: c, image: ${missing}}
`);
    const failed = await eventually(
      'fails-seven Failed',
      async () => {
        const p = await pod('fails-seven');
        return p.status?.phase === 'Failed' && p;
      },
      30_000,
      500,
    );
    expect(failed.status!.containerStatuses![0].state.terminated).toMatchObject({
      exitCode: 7,
      reason: 'Error',
    });
    ok(
      await kubectl(
        ['wait', '--for=condition=Complete', 'job/done', '-n', NS, '--timeout=30s'],
        undefined,
        40_000,
      ),
    );
    const jobPods = JSON.parse(
      ok(await kubectl(['get', 'pods', '-n', NS, '-l', 'job-name=done', '-o', 'json'])),
    ) as { items: Pod[] };
    expect(jobPods.items[0].status?.phase).toBe('Succeeded');
    expect(jobPods.items[0].status!.containerStatuses![0].state.terminated).toMatchObject({
      exitCode: 0,
      reason: 'Completed',
    });

    const pulling = await eventually(
      'no-image ImagePullBackOff',
      async () => {
        const s = (await pod('no-image')).status?.containerStatuses?.[0];
        return s?.state.waiting?.reason === 'ImagePullBackOff' && s;
      },
      30_000,
      300,
    );
    expect(pulling.state.waiting?.message).toMatch(
      /^Back-off pulling image ".*no-such-image:1": ErrImagePull: .*(not found|unknown)/,
    );
    const events = ok(
      await kubectl([
        'get',
        'events',
        '-n',
        NS,
        '--field-selector',
        'involvedObject.name=no-image',
      ]),
    );
    expect(events).toMatch(/Failed to pull image ".*no-such-image:1": .*(not found|unknown)/);
    expect(events).toContain('Error: ErrImagePull');

    // First restart at once, then 10 s back-off: restartCount grows and the state says why it waits.
    const looping = await eventually(
      'crasher in CrashLoopBackOff with 2 restarts',
      async () => {
        const s = (await pod('crasher')).status?.containerStatuses?.[0];
        return s && s.restartCount >= 2 && s.state.waiting?.reason === 'CrashLoopBackOff' && s;
      },
      45_000,
      500,
    );
    expect(looping.lastState.terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
    expect(looping.state.waiting?.message).toMatch(
      /^back-off \d+s restarting failed container=c pod=crasher_docker-e2e\(/,
    );
    const crasher = await pod('crasher');
    // Docker keeps the current attempt and the one before it, not every restart.
    expect(
      (await containersOfPod(crasher.metadata.uid)).filter(
        (c) => c.Labels['skiff.dev/role'] === 'container',
      ).length,
    ).toBeLessThanOrEqual(2);
    const backoff = ok(
      await kubectl([
        'get',
        'events',
        '-n',
        NS,
        '--field-selector',
        'involvedObject.name=crasher,reason=BackOff',
      ]),
    );
    expect(backoff).toContain('Back-off restarting failed container c in pod crasher_docker-e2e');
    ok(
      await kubectl(
        ['delete', 'pod', 'crasher', 'no-image', 'fails-seven', 'oom', '-n', NS, '--timeout=30s'],
        undefined,
        40_000,
      ),
    );
  }, 120_000);

  it('pulls a private image with the right imagePullSecret and fails with the wrong one', async () => {
    const env = readDockerTestEnv();
    const { address, username, password } = env.registries.auth;
    const privateImage = env.images.privateBusybox.ref;
    const secret = (name: string, pw: string) =>
      kubectl([
        'create',
        'secret',
        'docker-registry',
        name,
        '-n',
        NS,
        `--docker-server=${address}`,
        `--docker-username=${username}`,
        `--docker-password=${pw}`,
      ]).then(ok);
    await secret('good-creds', password);
    await secret('bad-creds', 'wrong-password');
    const podYaml = (name: string, secretName: string) => `
apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
  nodeName: ${NODE}
  terminationGracePeriodSeconds: 0
  imagePullSecrets: [{name: ${secretName}}]
  containers:
  - {name: c, image: ${privateImage}, imagePullPolicy: Always, command: [sleep, '3600']}
`;
    await apply(
      podYaml('private-good', 'good-creds') + '---' + podYaml('private-bad', 'bad-creds'),
    );
    ok(
      await kubectl(
        ['wait', '--for=condition=Ready', 'pod/private-good', '-n', NS, '--timeout=30s'],
        undefined,
        40_000,
      ),
    );
    const bad = await eventually(
      'private-bad fails to pull',
      async () => {
        const s = (await pod('private-bad')).status?.containerStatuses?.[0];
        const reason = s?.state.waiting?.reason;
        return (reason === 'ErrImagePull' || reason === 'ImagePullBackOff') && s;
      },
      30_000,
      300,
    );
    expect(bad.state.waiting?.message).toMatch(
      /unauthorized|authentication required|no basic auth/i,
    );
    ok(
      await kubectl(
        ['delete', 'pod', 'private-good', 'private-bad', '-n', NS, '--timeout=30s'],
        undefined,
        40_000,
      ),
    );
  });

  it('kubectl delete pod sends SIGTERM, waits for the container, then the pod goes', async () => {
    await apply(`
apiVersion: v1
kind: Pod
metadata: {name: graceful}
spec:
  nodeName: ${NODE}
  terminationGracePeriodSeconds: 30
  containers:
  - name: c
    image: ${busybox}
    command: [sh, -c, 'trap "echo got TERM; exit 0" TERM; while true; do sleep 1; done']
`);
    ok(
      await kubectl(
        ['wait', '--for=condition=Ready', 'pod/graceful', '-n', NS, '--timeout=30s'],
        undefined,
        40_000,
      ),
    );
    const p = await pod('graceful');
    const containerId = p.status!.containerStatuses![0].containerID!.replace('docker://', '');
    const events = await docker.getEvents({
      filters: JSON.stringify({ container: [containerId] }),
    });
    const seen: { action: string; attributes: Record<string, string> }[] = [];
    events.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
        const e = JSON.parse(line) as {
          Action: string;
          Actor: { Attributes: Record<string, string> };
        };
        seen.push({ action: e.Action, attributes: e.Actor.Attributes });
      }
    });
    const started = Date.now();
    ok(await kubectl(['delete', 'pod', 'graceful', '-n', NS, '--timeout=30s'], undefined, 40_000));
    // Gone well before the 30 s grace period: the container handled TERM and exited 0.
    expect(Date.now() - started).toBeLessThan(15_000);
    await eventually('die event', () => seen.some((e) => e.action === 'destroy'), 5_000);
    (events as unknown as { destroy(): void }).destroy();
    const kill = seen.find((e) => e.action === 'kill');
    expect(kill?.attributes.signal).toBe('15');
    expect(seen.find((e) => e.action === 'die')?.attributes.exitCode).toBe('0');
    expect(seen.findIndex((e) => e.action === 'kill')).toBeLessThan(
      seen.findIndex((e) => e.action === 'die'),
    );
    expect(await containersOfPod(p.metadata.uid)).toEqual([]);
  });

  it('a container that ignores SIGTERM is killed with SIGKILL once the grace period is over', async () => {
    ok(
      await kubectl(
        ['apply', '-n', NS, '-f', '-'],
        `
apiVersion: v1
kind: Pod
metadata: {name: stubborn}
spec:
  nodeName: ${NODE}
  terminationGracePeriodSeconds: 3
  containers:
  - name: c
    image: ${busybox}
    command: [sh, -c, 'trap "echo ignoring TERM" TERM; while true; do sleep 1; done']
`,
      ),
    );
    ok(
      await kubectl(
        ['wait', '--for=condition=Ready', 'pod/stubborn', '-n', NS, '--timeout=30s'],
        undefined,
        40_000,
      ),
    );
    const p = await pod('stubborn');
    const containerId = p.status!.containerStatuses![0].containerID!.replace('docker://', '');
    const events = await docker.getEvents({
      filters: JSON.stringify({ container: [containerId] }),
    });
    const seen: { action: string; at: number; attributes: Record<string, string> }[] = [];
    events.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
        const e = JSON.parse(line) as {
          Action: string;
          timeNano: number;
          Actor: { Attributes: Record<string, string> };
        };
        seen.push({ action: e.Action, at: e.timeNano / 1e6, attributes: e.Actor.Attributes });
      }
    });
    ok(await kubectl(['delete', 'pod', 'stubborn', '-n', NS, '--timeout=30s'], undefined, 40_000));
    await eventually('destroy event', () => seen.some((e) => e.action === 'destroy'), 10_000);
    (events as unknown as { destroy(): void }).destroy();
    const kills = seen.filter((e) => e.action === 'kill');
    expect(kills.map((e) => e.attributes.signal)).toEqual(['15', '9']);
    // SIGKILL only after the 3 s grace period (Docker's event times are in nanoseconds).
    expect(kills[1].at - kills[0].at).toBeGreaterThanOrEqual(2_900);
    expect(seen.find((e) => e.action === 'die')?.attributes.exitCode).toBe('137');
  });

  it('goes NotReady when Docker stops answering and Ready again when it answers', async () => {
    await proxy.stop();
    const message = await eventually(
      'node NotReady',
      async () => {
        const out = ok(
          await kubectl([
            'get',
            'node',
            NODE,
            '-o',
            'jsonpath={.status.conditions[?(@.type=="Ready")].status} {.status.conditions[?(@.type=="Ready")].reason} {.status.conditions[?(@.type=="Ready")].message}',
          ]),
        );
        return out.startsWith('False ') && out;
      },
      30_000,
      500,
    );
    expect(message).toMatch(/^False KubeletNotReady container runtime is down: /);
    await proxy.start();
    await eventually(
      'node Ready again',
      async () => {
        const out = ok(
          await kubectl([
            'get',
            'node',
            NODE,
            '-o',
            'jsonpath={.status.conditions[?(@.type=="Ready")].status}',
          ]),
        );
        return out === 'True';
      },
      30_000,
      500,
    );
  });

  it('adopts running containers after kill -9, removes strays, leaves hand-made ones alone', async () => {
    // A container that died once (docker kill) is restarted at once: restartCount 1 to keep.
    const running = (await podsOf('web'))[0];
    const firstId = running.status!.containerStatuses![0].containerID!.replace('docker://', '');
    await docker.getContainer(firstId).kill({ signal: 'SIGKILL' });
    const before = await eventually(
      'web restarted once',
      async () => {
        const p = (await podsOf('web'))[0];
        const s = p.status?.containerStatuses?.[0];
        return s?.restartCount === 1 && s.ready && p;
      },
      20_000,
      200,
    );
    expect(before.status!.containerStatuses![0].lastState.terminated).toMatchObject({
      exitCode: 137,
      reason: 'Error',
    });
    const beforeIds = before.status!.containerStatuses!.map((s) => s.containerID);
    const beforeContainers = (await containersOfPod(before.metadata.uid)).map((c) => c.Id).sort();
    const stray = await docker.createContainer({
      Image: busybox,
      Cmd: ['sleep', '3600'],
      Labels: {
        [LABEL_CLUSTER]: clusterId,
        'skiff.dev/role': 'container',
        'skiff.dev/pod-uid': 'no-such-pod',
        'skiff.dev/pod-namespace': NS,
        'skiff.dev/pod-name': 'gone',
        'skiff.dev/container-name': 'c',
        'skiff.dev/termination-grace-period': '0',
      },
    });
    await stray.start();
    const hand = await docker.createContainer({ Image: busybox, Cmd: ['sleep', '3600'] });
    handMade = hand.id;
    await hand.start();

    await skiff.kill9();
    await skiff.restart();
    ok(
      await kubectl(
        ['wait', '--for=condition=Ready', `node/${NODE}`, '--timeout=30s'],
        undefined,
        40_000,
      ),
    );
    await eventually(
      'stray container removed',
      async () => {
        try {
          await stray.inspect();
          return false;
        } catch {
          return true;
        }
      },
      30_000,
      500,
    );
    const after = (await podsOf('web'))[0];
    expect(after.metadata.uid).toBe(before.metadata.uid);
    expect(after.status?.phase).toBe('Running');
    expect(after.status!.containerStatuses!.map((s) => s.containerID)).toEqual(beforeIds);
    expect(after.status!.containerStatuses![0].restartCount).toBe(1);
    expect(after.status!.containerStatuses![0].lastState.terminated?.exitCode).toBe(137);
    expect((await containersOfPod(after.metadata.uid)).map((c) => c.Id).sort()).toEqual(
      beforeContainers,
    );
    expect((await hand.inspect()).State.Running).toBe(true);
  });
});
