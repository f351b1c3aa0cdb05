// Volumes, security context, env resourceFieldRef, termination messages and lifecycle hooks of
// pods on the Docker node, driven by real kubectl against a real dockerd: what kubelet gives a
// container's filesystem and process identity.
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSkiff, type Skiff } from './support/skiff.ts';
import {
  clusterIdOf,
  execIn,
  LABEL_CLUSTER,
  removeClusterObjects,
  requireDocker,
} from './support/docker.ts';
import { eventually, ok, sleep } from './support/helpers.ts';
import { loadKubeconfig, writeTokenKubeconfig } from './support/kube-api.ts';
import { readDockerTestEnv } from '../scripts/docker-test-env/state.ts';

const NODE = 'skiff-e2e-volumes';
const NS = 'volumes-e2e';

interface Terminated {
  exitCode: number;
  reason: string;
  message?: string;
}
interface ContainerStatus {
  name: string;
  state: {
    running?: object;
    waiting?: { reason: string; message?: string };
    terminated?: Terminated;
  };
  restartCount: number;
}
interface Pod {
  metadata: { name: string; uid: string };
  status?: { phase?: string; containerStatuses?: ContainerStatus[] };
}

let skiff: Skiff;
let docker: Docker;
let clusterId = '';
let busybox = '';
let hostDir = '';

beforeAll(async () => {
  docker = await requireDocker();
  busybox = readDockerTestEnv().images.busybox.ref;
  hostDir = await mkdtemp(join(tmpdir(), 'skiff-volumes-e2e-'));
  skiff = await startSkiff({ docker: true, args: ['--node-name', NODE] });
  clusterId = await clusterIdOf(skiff);
  ok(await skiff.kubectl(['wait', '--for=condition=Ready', `node/${NODE}`, '--timeout=30s']));
  ok(await skiff.kubectl(['create', 'namespace', NS]));
  // The ServiceAccount controller makes `default`; pods wait for it like with kube-apiserver.
  await eventually(
    'default ServiceAccount',
    async () => (await skiff.kubectl(['get', 'sa', 'default', '-n', NS])).code === 0,
    20_000,
  );
}, 90_000);

afterAll(async () => {
  await skiff?.stop();
  if (docker && clusterId) await removeClusterObjects(docker, clusterId);
  if (hostDir) await rm(hostDir, { recursive: true, force: true });
}, 60_000);

function kubectl(args: string[], input?: string, timeoutMs = 30_000) {
  return skiff.kubectl(args, { input, timeoutMs });
}

function apply(yaml: string) {
  return kubectl(['apply', '-n', NS, '-f', '-'], yaml).then(ok);
}

async function pod(name: string): Promise<Pod> {
  return JSON.parse(ok(await kubectl(['get', 'pod', name, '-n', NS, '-o', 'json']))) as Pod;
}

async function waitRunning(name: string): Promise<Pod> {
  ok(
    await kubectl(
      ['wait', '--for=condition=Ready', `pod/${name}`, '-n', NS, '--timeout=60s'],
      undefined,
      70_000,
    ),
  );
  return pod(name);
}

/** The running app container of a pod, by container name. */
async function containerId(p: Pod, name: string): Promise<string> {
  const list = await docker.listContainers({
    filters: JSON.stringify({
      label: [
        `${LABEL_CLUSTER}=${clusterId}`,
        `skiff.dev/pod-uid=${p.metadata.uid}`,
        `skiff.dev/container-name=${name}`,
      ],
    }),
  });
  if (!list[0]) throw new Error(`no running container ${name} in pod ${p.metadata.name}`);
  return list[0].Id;
}

async function sh(p: Pod, container: string, script: string): Promise<string> {
  return execIn(docker, await containerId(p, container), ['sh', '-c', script]);
}

async function events(name: string): Promise<string> {
  return ok(
    await kubectl([
      'get',
      'events',
      '-n',
      NS,
      '--field-selector',
      `involvedObject.name=${name}`,
      '-o',
      'jsonpath={range .items[*]}{.reason}: {.message}{"\\n"}{end}',
    ]),
  );
}

describe('volumes on the Docker node', () => {
  it('configMap, secret, downwardAPI, projected ServiceAccount, emptyDir, subPath, readOnly, hostPath', async () => {
    await apply(`
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {color: blue, size: large}
---
apiVersion: v1
kind: Secret
metadata: {name: creds}
stringData: {password: s3cret, user: admin}
---
apiVersion: v1
kind: Pod
metadata: {name: vols, labels: {app: vols}}
spec:
  terminationGracePeriodSeconds: 2
  containers:
  - name: app
    image: ${busybox}
    command: [sh, -c, "sleep 3600"]
    resources:
      requests: {cpu: 100m, memory: 32Mi}
      limits: {memory: 64Mi}
    env:
    - name: MEM_LIMIT_MI
      valueFrom: {resourceFieldRef: {resource: limits.memory, divisor: 1Mi}}
    - name: CPU_REQUEST_M
      valueFrom: {resourceFieldRef: {resource: requests.cpu, divisor: 1m}}
    - name: CPU_LIMIT
      valueFrom: {resourceFieldRef: {resource: limits.cpu}}
    - name: POD_NAME
      valueFrom: {fieldRef: {fieldPath: metadata.name}}
    volumeMounts:
    - {name: cfg, mountPath: /etc/cfg}
    - {name: cfg, mountPath: /etc/size.txt, subPath: size}
    - {name: sec, mountPath: /etc/sec}
    - {name: down, mountPath: /etc/down}
    - {name: mem, mountPath: /mem}
    - {name: scratch, mountPath: /data}
    - {name: scratch, mountPath: /inner, subPathExpr: "by-pod/$(POD_NAME)"}
    - {name: scratch, mountPath: /ro, readOnly: true}
    - {name: host, mountPath: /host}
  volumes:
  - name: cfg
    configMap: {name: settings}
  - name: sec
    secret:
      secretName: creds
      defaultMode: 0400
      items:
      - {key: password, path: pw}
      - {key: user, path: nested/user, mode: 0640}
  - name: down
    downwardAPI:
      items:
      - {path: labels, fieldRef: {fieldPath: metadata.labels}}
      - {path: mem, resourceFieldRef: {containerName: app, resource: limits.memory, divisor: 1Mi}}
  - name: mem
    emptyDir: {medium: Memory, sizeLimit: 16Mi}
  - name: scratch
    emptyDir: {}
  - name: host
    hostPath: {path: ${join(hostDir, 'made')}, type: DirectoryOrCreate}
`);
    const p = await waitRunning('vols');
    // configMap: all keys through the ..data symlink.
    expect(await sh(p, 'app', 'cat /etc/cfg/color; echo; readlink /etc/cfg/color')).toBe(
      'blue\n..data/color\n',
    );
    // subPath of a configMap volume: one file.
    expect(await sh(p, 'app', 'cat /etc/size.txt')).toBe('large');
    // secret items with defaultMode and a per-item mode.
    expect(await sh(p, 'app', 'cd /etc/sec && stat -L -c "%a %n" pw nested/user && ls')).toBe(
      '400 pw\n640 nested/user\nnested\npw\n',
    );
    expect(await sh(p, 'app', 'cat /etc/sec/pw')).toBe('s3cret');
    // downwardAPI labels and resourceFieldRef.
    expect(await sh(p, 'app', 'cat /etc/down/labels; echo; cat /etc/down/mem')).toBe(
      'app="vols"\n64',
    );
    // resourceFieldRef env: divisor, and allocatable for an unset limit.
    const node = JSON.parse(ok(await kubectl(['get', 'node', NODE, '-o', 'json']))) as {
      status: { allocatable: { cpu: string } };
    };
    expect(await sh(p, 'app', 'echo $MEM_LIMIT_MI $CPU_REQUEST_M $CPU_LIMIT')).toBe(
      `64 100 ${node.status.allocatable.cpu}\n`,
    );
    // emptyDir Memory is a tmpfs with the size limit.
    expect(await sh(p, 'app', 'grep " /mem " /proc/mounts')).toMatch(
      /^\S+ \/mem tmpfs .*size=16384k/,
    );
    // subPathExpr: part of the volume; readOnly refuses writes.
    await sh(p, 'app', 'echo hi > /inner/x');
    expect(await sh(p, 'app', 'cat /data/by-pod/vols/x')).toBe('hi\n');
    expect(await sh(p, 'app', 'touch /ro/y 2>&1; echo rc=$?')).toMatch(
      /Read-only file system[\s\S]*rc=1/,
    );
    // hostPath DirectoryOrCreate made the directory on the host.
    await sh(p, 'app', 'echo from-pod > /host/f');
    expect(await readFile(join(hostDir, 'made', 'f'), 'utf8')).toBe('from-pod\n');

    // The projected ServiceAccount volume the admission plugin added.
    const sa = '/var/run/secrets/kubernetes.io/serviceaccount';
    expect(await sh(p, 'app', `ls ${sa}; cat ${sa}/namespace`)).toBe(
      `ca.crt\nnamespace\ntoken\n${NS}`,
    );
    const rootCa = JSON.parse(
      ok(await kubectl(['get', 'configmap', 'kube-root-ca.crt', '-n', NS, '-o', 'json'])),
    ) as { data: Record<string, string> };
    expect(await sh(p, 'app', `cat ${sa}/ca.crt`)).toBe(rootCa.data['ca.crt']);
    const token = await sh(p, 'app', `cat ${sa}/token`);
    expect(token.split('.')).toHaveLength(3);
    const review = JSON.parse(
      ok(
        await kubectl(
          ['create', '-f', '-', '-o', 'json'],
          JSON.stringify({
            apiVersion: 'authentication.k8s.io/v1',
            kind: 'TokenReview',
            spec: { token },
          }),
        ),
      ),
    ) as { status: { authenticated?: boolean; user?: { username: string } } };
    expect(review.status.authenticated).toBe(true);
    expect(review.status.user?.username).toBe(`system:serviceaccount:${NS}:default`);
    // The token works as a credential: kubectl with only it is the ServiceAccount.
    const tokenConfig = await writeTokenKubeconfig(
      join(hostDir, 'token.kubeconfig'),
      await loadKubeconfig(skiff.kubeconfig),
      token,
    );
    const whoami = await skiff.kubectl(
      ['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}'],
      { kubeconfig: tokenConfig },
    );
    expect(ok(whoami)).toBe(`system:serviceaccount:${NS}:default`);

    // Updates reach the running pod within 60 s. Watched on the host side of the bind mount (a
    // docker exec is itself a container event that would trigger a sync), so the change comes
    // through the periodic resync.
    const hostFile = join(
      skiff.dataDir,
      'kubelet/pods',
      p.metadata.uid,
      'volumes/kubernetes.io~configmap/cfg/color',
    );
    expect(await readFile(hostFile, 'utf8')).toBe('blue');
    await sleep(2_000);
    const patchedAt = Date.now();
    ok(
      await kubectl([
        'patch',
        'configmap',
        'settings',
        '-n',
        NS,
        '-p',
        '{"data":{"color":"green"}}',
      ]),
    );
    await eventually(
      'the configMap change on the volume',
      async () => (await readFile(hostFile, 'utf8')) === 'green',
      60_000,
      250,
    );
    expect(Date.now() - patchedAt).toBeLessThan(60_000);
    expect(await sh(p, 'app', 'cat /etc/cfg/color')).toBe('green');
    // A label change (an informer event) reaches the downwardAPI volume.
    ok(await kubectl(['label', 'pod', 'vols', '-n', NS, 'tier=web']));
    await eventually(
      'the new label in the downwardAPI volume',
      async () => (await sh(p, 'app', 'cat /etc/down/labels')) === 'app="vols"\ntier="web"',
      60_000,
      500,
    );
  }, 150_000);

  it('keeps a pod ContainerCreating with FailedMount until its configMap exists, and checks hostPath types', async () => {
    await apply(`
apiVersion: v1
kind: Pod
metadata: {name: waits}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - {name: app, image: ${busybox}, command: [sh, -c, "cat /cfg/k; sleep 3600"], volumeMounts: [{name: cfg, mountPath: /cfg}]}
  volumes:
  - {name: cfg, configMap: {name: later}}
---
apiVersion: v1
kind: Pod
metadata: {name: badhost}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - {name: app, image: ${busybox}, command: [sleep, "3600"], volumeMounts: [{name: h, mountPath: /h}]}
  volumes:
  - {name: h, hostPath: {path: ${join(hostDir, 'missing')}, type: Directory}}
`);
    await eventually(
      'FailedMount for the missing configMap',
      async () =>
        (await events('waits')).includes(
          'FailedMount: MountVolume.SetUp failed for volume "cfg" : configmap "later" not found',
        ),
      20_000,
      300,
    );
    expect((await pod('waits')).status?.containerStatuses?.[0].state.waiting?.reason).toBe(
      'ContainerCreating',
    );
    await eventually(
      'FailedMount for the hostPath type',
      async () =>
        (await events('badhost')).includes(
          `FailedMount: MountVolume.SetUp failed for volume "h" : hostPath type check failed: ${join(hostDir, 'missing')} is not a directory`,
        ),
      20_000,
      300,
    );
    ok(await kubectl(['create', 'configmap', 'later', '-n', NS, '--from-literal=k=v']));
    await waitRunning('waits');
    ok(await kubectl(['delete', 'pod', 'waits', 'badhost', '-n', NS, '--wait=false']));
  }, 90_000);

  it('keeps PVC data across pods and removes the Docker volume with the PV', async () => {
    const podYaml = (name: string, script: string) => `
apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
  restartPolicy: Never
  containers:
  - {name: app, image: ${busybox}, command: [sh, -c, "${script}"], volumeMounts: [{name: d, mountPath: /data}]}
  volumes:
  - {name: d, persistentVolumeClaim: {claimName: store}}
`;
    await apply(`
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: store}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 10Mi}}
${'---'}${podYaml('writer', 'echo kept > /data/file')}`);
    await eventually(
      'writer Succeeded',
      async () => (await pod('writer')).status?.phase === 'Succeeded',
      60_000,
      300,
    );
    const claim = JSON.parse(
      ok(await kubectl(['get', 'pvc', 'store', '-n', NS, '-o', 'json'])),
    ) as {
      spec: { volumeName: string };
    };
    const pvVolume = `skiff-${clusterId.slice(0, 8)}-pv-${claim.spec.volumeName}`;
    expect((await docker.getVolume(pvVolume).inspect()).Labels).toMatchObject({
      [LABEL_CLUSTER]: clusterId,
      'skiff.dev/pv-name': claim.spec.volumeName,
    });
    ok(await kubectl(['delete', 'pod', 'writer', '-n', NS]));
    await apply(podYaml('reader', 'cat /data/file'));
    await eventually(
      'reader Succeeded',
      async () => (await pod('reader')).status?.phase === 'Succeeded',
      60_000,
      300,
    );
    expect(ok(await kubectl(['logs', 'reader', '-n', NS]))).toBe('kept\n');
    ok(await kubectl(['delete', 'pod', 'reader', '-n', NS]));
    ok(await kubectl(['delete', 'pvc', 'store', '-n', NS]));
    await eventually(
      'the PV Docker volume removed (reclaim policy Delete)',
      async () => {
        try {
          await docker.getVolume(pvVolume).inspect();
          return false;
        } catch (err) {
          return (err as { statusCode?: number }).statusCode === 404;
        }
      },
      60_000,
      500,
    );
  }, 150_000);
});

describe('container identity and lifecycle on the Docker node', () => {
  it('applies securityContext: runAsUser/Group, readOnlyRootFilesystem, no-new-privileges, runAsNonRoot', async () => {
    await apply(`
apiVersion: v1
kind: Pod
metadata: {name: secure}
spec:
  terminationGracePeriodSeconds: 1
  securityContext: {runAsUser: 1234, runAsGroup: 5678, supplementalGroups: [4000], fsGroup: 2000}
  containers:
  - name: app
    image: ${busybox}
    command: [sleep, "3600"]
    securityContext: {readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
    volumeMounts: [{name: work, mountPath: /work}, {name: mem, mountPath: /mem}]
  volumes:
  - {name: work, emptyDir: {}}
  - {name: mem, emptyDir: {medium: Memory}}
---
apiVersion: v1
kind: Pod
metadata: {name: nonroot}
spec:
  containers:
  - {name: app, image: ${busybox}, command: [sleep, "3600"], securityContext: {runAsNonRoot: true}}
`);
    const p = await waitRunning('secure');
    expect(await sh(p, 'app', 'id -u; id -g; id -G')).toBe('1234\n5678\n5678 2000 4000\n');
    // emptyDirs are writable by the non-root user and group-owned by fsGroup, as kubelet makes them.
    expect(
      await sh(
        p,
        'app',
        'touch /work/a /mem/b && stat -c "%g %a" /work /mem && stat -c %g /work/a',
      ),
    ).toBe('2000 2777\n2000 2777\n2000\n');
    expect(await sh(p, 'app', 'touch /x 2>&1; echo rc=$?')).toMatch(
      /Read-only file system[\s\S]*rc=1/,
    );
    const info = await docker.getContainer(await containerId(p, 'app')).inspect();
    expect(info.HostConfig.SecurityOpt).toContain('no-new-privileges');
    expect(info.HostConfig.CapDrop).toEqual(['ALL']);
    const bad = await eventually(
      'nonroot refused',
      async () => {
        const state = (await pod('nonroot')).status?.containerStatuses?.[0].state.waiting;
        return state?.reason === 'CreateContainerConfigError' ? state : undefined;
      },
      30_000,
      300,
    );
    expect(bad.message).toMatch(
      /^container has runAsNonRoot and image will run as root \(pod: "nonroot_volumes-e2e\([0-9a-f-]+\)", container: app\)$/,
    );
    ok(await kubectl(['delete', 'pod', 'secure', 'nonroot', '-n', NS, '--wait=false']));
  }, 90_000);

  it('reports terminationMessagePath and FallbackToLogsOnError messages', async () => {
    await apply(`
apiVersion: v1
kind: Pod
metadata: {name: messages}
spec:
  restartPolicy: Never
  containers:
  - {name: file, image: ${busybox}, command: [sh, -c, "printf bye > /dev/termination-log; exit 3"]}
  - {name: custom, image: ${busybox}, command: [sh, -c, "printf done > /tmp/msg"], terminationMessagePath: /tmp/msg}
  - {name: logs, image: ${busybox}, command: [sh, -c, "echo oops; exit 1"], terminationMessagePolicy: FallbackToLogsOnError}
`);
    const done = await eventually(
      'messages finished',
      async () => {
        const p = await pod('messages');
        return p.status?.phase === 'Failed' ? p : undefined;
      },
      60_000,
      300,
    );
    const byName = new Map(
      done.status!.containerStatuses!.map((c) => [c.name, c.state.terminated]),
    );
    expect(byName.get('file')).toMatchObject({ exitCode: 3, reason: 'Error', message: 'bye' });
    expect(byName.get('custom')).toMatchObject({
      exitCode: 0,
      reason: 'Completed',
      message: 'done',
    });
    expect(byName.get('logs')).toMatchObject({ exitCode: 1, message: 'oops\n' });
  }, 90_000);

  it('runs postStart after start and preStop before SIGTERM', async () => {
    const dir = join(hostDir, 'hooks');
    await apply(`
apiVersion: v1
kind: Pod
metadata: {name: hooks}
spec:
  terminationGracePeriodSeconds: 10
  containers:
  - name: app
    image: ${busybox}
    command: [sh, -c, "trap 'echo term >> /h/log; exit 0' TERM; echo main >> /h/log; while true; do sleep 0.2; done"]
    lifecycle:
      postStart: {exec: {command: [sh, -c, "echo poststart >> /h/poststart"]}}
      preStop: {exec: {command: [sh, -c, "echo prestop >> /h/log; sleep 1"]}}
    volumeMounts: [{name: h, mountPath: /h}]
  volumes:
  - {name: h, hostPath: {path: ${dir}, type: DirectoryOrCreate}}
---
apiVersion: v1
kind: Pod
metadata: {name: badhook}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: ${busybox}
    command: [sleep, "3600"]
    lifecycle:
      postStart: {exec: {command: [sh, -c, "exit 7"]}}
`);
    await waitRunning('hooks');
    expect(await readFile(join(dir, 'poststart'), 'utf8')).toBe('poststart\n');
    ok(await kubectl(['delete', 'pod', 'hooks', '-n', NS], undefined, 40_000));
    expect(await readFile(join(dir, 'log'), 'utf8')).toBe('main\nprestop\nterm\n');
    await eventually(
      'FailedPostStartHook',
      async () => (await events('badhook')).includes('FailedPostStartHook: PostStartHook failed'),
      30_000,
      300,
    );
    await eventually(
      'the container restarted after the failed hook',
      async () => ((await pod('badhook')).status?.containerStatuses?.[0].restartCount ?? 0) >= 1,
      40_000,
      500,
    );
    ok(await kubectl(['delete', 'pod', 'badhook', '-n', NS, '--wait=false']));
  }, 90_000);

  it('publishes hostPort on 127.0.0.1 and removes per-pod directories with the pod', async () => {
    await apply(`
apiVersion: v1
kind: Pod
metadata: {name: porty}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: web
    image: ${busybox}
    command: [sh, -c, "echo hello > /www/index.html; httpd -f -p 8080 -h /www"]
    ports: [{containerPort: 8080, hostPort: 18097}]
    volumeMounts: [{name: www, mountPath: /www}, {name: cfg, mountPath: /cfg}]
  volumes:
  - {name: www, emptyDir: {}}
  - {name: cfg, configMap: {name: settings}}
`);
    const p = await waitRunning('porty');
    const body = await eventually(
      'hostPort answers',
      async () => {
        const res = await fetch('http://127.0.0.1:18097/index.html');
        return res.ok ? res.text() : undefined;
      },
      20_000,
      300,
    );
    expect(body).toBe('hello\n');
    const podDir = join(skiff.dataDir, 'kubelet', 'pods', p.metadata.uid);
    expect(
      (await stat(join(podDir, 'volumes', 'kubernetes.io~configmap', 'cfg'))).isDirectory(),
    ).toBe(true);
    ok(await kubectl(['delete', 'pod', 'porty', '-n', NS], undefined, 40_000));
    await eventually(
      'the per-pod directory removed',
      async () => {
        try {
          await stat(podDir);
          return false;
        } catch {
          return true;
        }
      },
      20_000,
      300,
    );
  }, 90_000);
});
