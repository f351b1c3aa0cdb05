// Pod streams on the Docker node through the API server, driven by real kubectl against real
// Docker: logs (-c, -f, --tail, --since, --timestamps, --previous, -l, --limit-bytes and kubelet's
// error wording), exec (exit codes, stdin, a TTY in a pseudo-terminal with resize), attach, cp both
// ways, and port-forward with concurrent HTTP requests.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSkiff, type Skiff } from './support/skiff.ts';
import { clusterIdOf, removeClusterObjects, requireDocker } from './support/docker.ts';
import { eventually, ok, sleep } from './support/helpers.ts';
import { kubectlPath } from './support/tools.ts';
import { requestToken } from './support/fixtures.ts';
import { loadKubeconfig, writeTokenKubeconfig } from './support/kube-api.ts';
import { readDockerTestEnv } from '../scripts/docker-test-env/state.ts';

const NODE = 'skiff-e2e-streams';
const NS = 'streams-e2e';

let skiff: Skiff;
let docker: Docker;
let clusterId = '';
let busybox = '';
let workDir = '';

function kubectl(args: string[], input?: string, timeoutMs = 30_000) {
  return skiff.kubectl(args, { input, timeoutMs });
}

function pod(name: string, spec: Record<string, unknown>, labels: Record<string, string> = {}) {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS, labels },
    spec: { nodeName: NODE, terminationGracePeriodSeconds: 1, ...spec },
  });
}

function shell(name: string, script: string, extra: Record<string, unknown> = {}) {
  return { name, image: busybox, command: ['sh', '-c', script], ...extra };
}

/** kubectl with its stdio as pipes, for the commands that run on (follow, port-forward, a TTY). */
function spawnKubectl(args: string[]) {
  const child = spawn(kubectlPath, ['--kubeconfig', skiff.kubeconfig, ...args], {
    env: { ...process.env, HOME: workDir },
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (out += c));
  const exited = new Promise<number | null>((resolve) =>
    child.on('close', (code) => resolve(code)),
  );
  return { child, exited, output: () => out };
}

async function waitFor(read: () => string, pattern: RegExp, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(read())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}; got:\n${read()}`);
    await sleep(50);
  }
}

beforeAll(async () => {
  docker = await requireDocker();
  busybox = readDockerTestEnv().images.busybox.ref;
  workDir = await mkdtemp(join(tmpdir(), 'skiff-streams-'));
  skiff = await startSkiff({ docker: true, args: ['--node-name', NODE] });
  clusterId = await clusterIdOf(skiff);
  ok(await kubectl(['wait', '--for=condition=Ready', `node/${NODE}`, '--timeout=30s']));
  ok(await kubectl(['create', 'namespace', NS]));
  const pods = [
    pod('logger', {
      containers: [
        shell(
          'main',
          'echo early; echo to-stderr >&2; sleep 3; for i in 1 2 3 4 5; do echo line-$i; done; sleep 3600',
        ),
      ],
    }),
    pod('two', {
      containers: [shell('a', 'echo from-a; sleep 3600'), shell('b', 'echo from-b; sleep 3600')],
    }),
    pod('la', { containers: [shell('c', 'echo hello-from-la; sleep 3600')] }, { app: 'streams-l' }),
    pod('lb', { containers: [shell('c', 'echo hello-from-lb; sleep 3600')] }, { app: 'streams-l' }),
    pod('ticker', {
      restartPolicy: 'Never',
      containers: [shell('t', 'for i in 1 2 3 4 5 6; do echo tick-$i; sleep 1; done')],
    }),
    pod('restarter', {
      volumes: [{ name: 'data', emptyDir: {} }],
      containers: [
        shell(
          'r',
          'n=$(cat /data/n 2>/dev/null || echo 0); n=$((n+1)); echo $n > /data/n; echo attempt-$n; [ $n -ge 2 ] && sleep 3600; sleep 1; exit 1',
          { volumeMounts: [{ name: 'data', mountPath: '/data' }] },
        ),
      ],
    }),
    pod('shell', { containers: [shell('sh', 'sleep 3600')] }),
    pod('half', {
      restartPolicy: 'Never',
      containers: [shell('up', 'sleep 3600'), shell('gone', 'exit 0')],
    }),
    pod('attacher', {
      restartPolicy: 'Never',
      containers: [shell('at', 'read line; echo got-$line', { stdin: true, stdinOnce: true })],
    }),
    pod('web', {
      containers: [
        shell(
          'web',
          'mkdir -p /www && echo hello-web > /www/index.html && exec httpd -f -p 80 -h /www',
        ),
      ],
    }),
    pod('noimage', {
      containers: [{ name: 'c', image: '127.0.0.1:5000/skiff/does-not-exist:1' }],
    }),
  ];
  ok(await kubectl(['apply', '-f', '-'], pods.join('\n---\n')));
  ok(
    await kubectl(
      [
        'wait',
        '-n',
        NS,
        '--for=condition=Ready',
        '--timeout=60s',
        'pod/logger',
        'pod/two',
        'pod/la',
        'pod/lb',
        'pod/shell',
        'pod/web',
        'pod/attacher',
      ],
      undefined,
      70_000,
    ),
  );
}, 120_000);

afterAll(async () => {
  await skiff?.stop();
  if (docker && clusterId) await removeClusterObjects(docker, clusterId);
  if (workDir) await rm(workDir, { recursive: true, force: true });
}, 60_000);

describe('kubectl logs on the Docker node', () => {
  it('reads a container, stdout and stderr, with --tail, --timestamps and --limit-bytes', async () => {
    await eventually('logger printed line-5', async () =>
      ok(await kubectl(['logs', '-n', NS, 'logger'])).includes('line-5'),
    );
    const all = ok(await kubectl(['logs', '-n', NS, 'logger']));
    // stdout and stderr are separate pipes in the container: their relative order is not fixed.
    expect(all.split('\n').filter(Boolean).sort()).toEqual([
      'early',
      'line-1',
      'line-2',
      'line-3',
      'line-4',
      'line-5',
      'to-stderr',
    ]);
    expect(ok(await kubectl(['logs', '-n', NS, 'logger', '--tail=2']))).toBe('line-4\nline-5\n');
    const stamped = ok(await kubectl(['logs', '-n', NS, 'logger', '--timestamps', '--tail=1']));
    expect(stamped).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z line-5\n$/);
    expect(ok(await kubectl(['logs', '-n', NS, 'two', '-c', 'b', '--limit-bytes=4']))).toBe('from');
  });

  it('honours --since', async () => {
    const since = ok(await kubectl(['logs', '-n', NS, 'logger', '--since=1h']));
    expect(since).toContain('early');
    // `early` was written at least 3 s before line-1.
    const stamped = ok(await kubectl(['logs', '-n', NS, 'logger', '--timestamps']));
    const at = (line: string) =>
      Date.parse(
        stamped
          .split('\n')
          .find((l) => l.endsWith(` ${line}`))!
          .split(' ')[0],
      );
    const sinceTime = new Date(at('line-1') - 500).toISOString();
    const after = ok(await kubectl(['logs', '-n', NS, 'logger', `--since-time=${sinceTime}`]));
    expect(after).not.toContain('early');
    expect(after).toContain('line-1');
  });

  it('picks a container with -c and says which one is needed without it', async () => {
    expect(ok(await kubectl(['logs', '-n', NS, 'two', '-c', 'b']))).toBe('from-b\n');
    const res = await skiff.api(`/api/v1/namespaces/${NS}/pods/two/log`);
    expect(res.status).toBe(400);
    expect(res.json<{ message: string }>().message).toBe(
      'a container name must be specified for pod two, choose one of: [a b]',
    );
  });

  it('reads across pods with -l', async () => {
    const out = ok(await kubectl(['logs', '-n', NS, '-l', 'app=streams-l', '--prefix']));
    expect(out).toContain('[pod/la/c] hello-from-la');
    expect(out).toContain('[pod/lb/c] hello-from-lb');
  });

  it('follows new lines with -f and ends when the container exits', async () => {
    const follow = spawnKubectl(['logs', '-n', NS, '-f', 'ticker']);
    await waitFor(follow.output, /tick-2/);
    expect(follow.output()).not.toContain('tick-6');
    expect(await follow.exited).toBe(0);
    expect(follow.output()).toContain('tick-6\n');
  });

  it('shows the previous container with --previous after a restart', async () => {
    const noPrevious = await kubectl(['logs', '-n', NS, 'logger', '--previous']);
    expect(noPrevious.code).not.toBe(0);
    expect(noPrevious.stderr).toContain(
      'previous terminated container "main" in pod "logger" not found',
    );
    await eventually(
      'the second attempt runs',
      async () => ok(await kubectl(['logs', '-n', NS, 'restarter'])) === 'attempt-2\n',
      40_000,
      500,
    );
    expect(ok(await kubectl(['logs', '-n', NS, 'restarter', '--previous']))).toBe('attempt-1\n');
  });

  it("answers kubelet's wording for a container that has not started", async () => {
    const res = await kubectl(['logs', '-n', NS, 'noimage']);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(
      /Error from server \(BadRequest\): container "c" in pod "noimage" is waiting to start: /,
    );
  });
});

describe('kubectl exec, attach and cp on the Docker node', () => {
  it('exits with the command exit code', async () => {
    const res = await kubectl([
      'exec',
      '-n',
      NS,
      'shell',
      '--',
      'sh',
      '-c',
      'echo out; echo err >&2; exit 3',
    ]);
    expect(res.code).toBe(3);
    expect(res.stdout).toBe('out\n');
    expect(res.stderr).toContain('err\n');
    // Through WebSocket (v5.channel.k8s.io), without falling back to SPDY.
    const verbose = await kubectl(['exec', '-v=4', '-n', NS, 'shell', '--', 'true']);
    expect(verbose.code).toBe(0);
    expect(verbose.stderr).not.toMatch(/fallback/i);
  });

  it('needs create on pods/exec for the WebSocket GET, as kube-apiserver does', async () => {
    ok(await kubectl(['create', 'serviceaccount', '-n', NS, 'getter']));
    ok(
      await kubectl([
        'create',
        'role',
        '-n',
        NS,
        'exec-get',
        '--verb=get',
        '--resource=pods,pods/exec',
      ]),
    );
    ok(
      await kubectl([
        'create',
        'rolebinding',
        '-n',
        NS,
        'exec-get',
        '--role=exec-get',
        `--serviceaccount=${NS}:getter`,
      ]),
    );
    const config = await writeTokenKubeconfig(
      join(workDir, 'getter.kubeconfig'),
      await loadKubeconfig(skiff.kubeconfig),
      await requestToken(skiff, NS, 'getter'),
    );
    const res = await skiff.kubectl(['exec', '-n', NS, 'shell', '--', 'true'], {
      kubeconfig: config,
    });
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain(
      `pods "shell" is forbidden: User "system:serviceaccount:${NS}:getter" cannot create resource "pods/exec" in API group "" in the namespace "${NS}"`,
    );
  });

  it('pipes stdin through exec -i until EOF', async () => {
    const input = Array.from({ length: 2000 }, (_, i) => `row ${i}`).join('\n') + '\n';
    const out = ok(
      await kubectl(['exec', '-i', '-n', NS, 'shell', '--', 'sh', '-c', 'wc -l; echo done'], input),
    );
    expect(out).toBe('2000\ndone\n');
  });

  it('reports a container that does not run', async () => {
    const invalid = await skiff.api(
      `/api/v1/namespaces/${NS}/pods/two/exec?command=true&container=zz&stdout=true`,
    );
    expect(invalid.status).toBe(400);
    expect(invalid.json<{ message: string }>().message).toBe(
      'container zz is not valid for pod two',
    );
    await eventually(
      'the short-lived container exited',
      async () => {
        const pod = JSON.parse(
          ok(await kubectl(['get', 'pod', '-n', NS, 'half', '-o', 'json'])),
        ) as {
          status: { containerStatuses?: { name: string; state: { terminated?: unknown } }[] };
        };
        return pod.status.containerStatuses?.some((c) => c.name === 'gone' && c.state.terminated);
      },
      30_000,
    );
    const res = await kubectl(['exec', '-n', NS, 'half', '-c', 'gone', '--', 'true']);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('unable to upgrade connection: container not found ("gone")');
  });

  it('runs a TTY session in a pseudo-terminal: prompt, output, resize', async () => {
    const flag = join(workDir, 'resize-now');
    const inner =
      `stty rows 30 cols 90; (while [ ! -e ${flag} ]; do sleep 0.1; done; stty rows 50 cols 120 < /dev/tty) & ` +
      `exec ${kubectlPath} --kubeconfig ${skiff.kubeconfig} exec -it -n ${NS} shell -- sh`;
    const child = spawn('script', ['-qfc', inner, '/dev/null'], {
      env: { ...process.env, HOME: workDir, TERM: 'xterm' },
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (out += c));
    const exited = new Promise<number | null>((resolve) =>
      child.on('close', (code) => resolve(code)),
    );
    try {
      await waitFor(() => out, /\/ # /);
      child.stdin.write('echo $((6*7))\r');
      await waitFor(() => out, /\r\n42\r\n/);
      child.stdin.write('stty size\r');
      await waitFor(() => out, /\r\n30 90\r\n/);
      await writeFile(flag, '');
      await eventually('the container sees the new size', async () => {
        child.stdin.write('stty size\r');
        await sleep(300);
        return /\r\n50 120\r\n/.test(out);
      }).catch((err: Error) => {
        throw new Error(`${err.message}; terminal output:\n${out}`);
      });
      child.stdin.write('exit 0\r');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('attaches to a running container with stdin', async () => {
    const out = ok(await kubectl(['attach', '-i', '-n', NS, 'attacher'], 'hello\n'));
    expect(out).toContain('got-hello');
  });

  it('copies files both ways with kubectl cp', async () => {
    const local = join(workDir, 'upload.txt');
    const text = 'copied through tar\n'.repeat(500);
    await writeFile(local, text);
    ok(await kubectl(['cp', local, `${NS}/shell:/tmp/upload.txt`]));
    expect(ok(await kubectl(['exec', '-n', NS, 'shell', '--', 'cat', '/tmp/upload.txt']))).toBe(
      text,
    );
    ok(
      await kubectl([
        'exec',
        '-n',
        NS,
        'shell',
        '--',
        'sh',
        '-c',
        'echo from-the-pod > /tmp/down.txt',
      ]),
    );
    const down = join(workDir, 'down.txt');
    ok(await kubectl(['cp', `${NS}/shell:/tmp/down.txt`, down]));
    expect(await readFile(down, 'utf8')).toBe('from-the-pod\n');
  });
});

describe('kubectl port-forward on the Docker node', () => {
  it('forwards concurrent HTTP requests to the pod', async () => {
    const forward = spawnKubectl(['port-forward', '-v=4', '-n', NS, 'pod/web', '18080:80']);
    try {
      await waitFor(forward.output, /Forwarding from 127\.0\.0\.1:18080 -> 80/);
      const bodies = await Promise.all(
        Array.from({ length: 8 }, async () => {
          const res = await fetch('http://127.0.0.1:18080/index.html');
          return `${res.status} ${await res.text()}`;
        }),
      );
      expect(bodies).toEqual(Array.from({ length: 8 }, () => '200 hello-web\n'));
      // SPDY tunneled in the WebSocket, not the plain SPDY fallback.
      expect(forward.output()).not.toMatch(/fallback to secondary dialer/);
      expect(forward.output()).not.toMatch(/an error occurred forwarding/);
    } finally {
      forward.child.kill('SIGTERM');
      await forward.exited;
    }
  });
});
