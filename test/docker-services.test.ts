// Services, cluster DNS, the API from pods, NodePort/LoadBalancer and Ingress on the Docker node,
// driven by real kubectl with clients that are pods in the cluster (Node scripts from
// test/fixtures/net-tools) and curl on the host. `skiff serve` runs as a user that iptables cuts
// off from the whole cluster network, so all of it can only work through netd.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CLUSTER_CIDR, planClusterNetwork } from '../main/api/cluster-network.ts';
import { readDockerTestEnv } from '../scripts/docker-test-env/state.ts';
import {
  clusterIdOf,
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

const run = promisify(execFile);
const NODE = 'skiff-e2e-services';
const NS = 'svc-e2e';
const DOMAIN = 'svc-e2e.svc.cluster.local';

let user: SystemUser;
let rule: OutputRule | undefined;
let server: SkiffAsUser | undefined;
let skiff: Skiff;
let docker: Docker;
let clusterId = '';
let nodeImage = '';
let certDir = '';
const plan = planClusterNetwork(process.env.SKIFF_TEST_CLUSTER_CIDR ?? DEFAULT_CLUSTER_CIDR);

function kubectl(args: string[], input?: string) {
  return skiff.kubectl(['-n', NS, ...args], { input, timeoutMs: 60_000 });
}

/** Runs one of the net-tools scripts in the client pod; resolves with its output. */
async function inClient(script: string, ...args: string[]): Promise<string> {
  return ok(await kubectl(['exec', 'client', '--', 'node', `/tools/${script}`, ...args]));
}

/** COUNT GETs of url from the client pod, each on a new connection: the bodies. */
async function gets(url: string, count: number): Promise<string[]> {
  return JSON.parse(await inClient('get.cjs', url, String(count))) as string[];
}

async function dnsQuery(
  type: 'A' | 'SRV' | 'CNAME' | 'LOOKUP',
  name: string,
  server?: string,
): Promise<{ answers?: unknown[]; error?: string; ms?: number }> {
  return JSON.parse(await inClient('dns.cjs', type, name, ...(server ? [server] : []))) as {
    answers?: unknown[];
    error?: string;
    ms?: number;
  };
}

async function jsonOf<T>(args: string[]): Promise<T> {
  return JSON.parse(ok(await kubectl([...args, '-o', 'json']))) as T;
}

interface PodList {
  items: { metadata: { name: string }; status?: { podIP?: string } }[];
}

async function echoPods(): Promise<PodList['items']> {
  return (await jsonOf<PodList>(['get', 'pods', '-l', 'app=echo'])).items;
}

async function clusterIP(service: string): Promise<string> {
  return ok(await kubectl(['get', 'svc', service, '-o', 'jsonpath={.spec.clusterIP}']));
}

async function curl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('curl', ['-sS', '--max-time', '5', ...args]);
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

async function netdContainer(): Promise<Docker.ContainerInfo | undefined> {
  const list = await docker.listContainers({
    filters: JSON.stringify({
      label: [`${LABEL_CLUSTER}=${clusterId}`, 'skiff.dev/role=netd'],
      status: ['running'],
    }),
  });
  return list[0];
}

/** The host ports the Ingress controller answers on (Docker chose them: --ingress-*-port 0). */
async function ingressPorts(): Promise<{ http: number; https: number }> {
  const netd = await netdContainer();
  const ports = (netd?.Ports ?? []).filter((p) => p.IP === '127.0.0.1');
  const of = (port: number) => ports.find((p) => p.PrivatePort === port)?.PublicPort ?? 0;
  return { http: of(80), https: of(443) };
}

/** The pod spec of the echo workloads (a template's `spec:`, indented for it). */
const echoPodSpec = (image: string, extra = '') => `    spec:
      terminationGracePeriodSeconds: 0
      containers:
      - name: echo
        image: ${image}
        command: [node, /tools/echo.cjs]${extra}
        volumeMounts: [{name: tools, mountPath: /tools}]
      volumes: [{name: tools, configMap: {name: net-tools}}]`;

const manifests = (image: string) => `
apiVersion: apps/v1
kind: Deployment
metadata: {name: echo}
spec:
  replicas: 3
  selector: {matchLabels: {app: echo}}
  template:
    metadata: {labels: {app: echo}}
${echoPodSpec(
  image,
  `
        ports: [{name: http, containerPort: 8080}, {name: dns-ish, containerPort: 5300, protocol: UDP}]
        readinessProbe:
          exec: {command: [sh, -c, "test ! -f /tmp/unready"]}
          periodSeconds: 1
          failureThreshold: 1`,
)}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: other}
spec:
  replicas: 1
  selector: {matchLabels: {app: other}}
  template:
    metadata: {labels: {app: other}}
${echoPodSpec(image)}
---
apiVersion: v1
kind: Service
metadata: {name: echo}
spec:
  selector: {app: echo}
  ports: [{name: http, port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: echo-named}
spec:
  selector: {app: echo}
  ports: [{name: web, port: 8000, targetPort: http}]
---
apiVersion: v1
kind: Service
metadata: {name: echo-sticky}
spec:
  selector: {app: echo}
  sessionAffinity: ClientIP
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: echo-udp}
spec:
  selector: {app: echo}
  ports: [{name: udp, port: 53, targetPort: 5300, protocol: UDP}]
---
apiVersion: v1
kind: Service
metadata: {name: echo-headless}
spec:
  clusterIP: None
  selector: {app: echo}
  ports: [{name: http, port: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: other}
spec:
  selector: {app: other}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: ext}
spec:
  type: ExternalName
  externalName: other.${NS}.svc.cluster.local
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  clusterIP: None
  selector: {app: web}
  ports: [{name: http, port: 8080}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web}
spec:
  serviceName: web
  replicas: 2
  podManagementPolicy: Parallel
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
${echoPodSpec(image)}
---
apiVersion: v1
kind: Pod
metadata: {name: client}
spec:
  terminationGracePeriodSeconds: 0
  hostAliases: [{ip: 10.1.2.3, hostnames: [legacy.example, db.example]}]
  containers:
  - name: client
    image: ${image}
    command: [sleep, "100000"]
    volumeMounts: [{name: tools, mountPath: /tools}]
  volumes: [{name: tools, configMap: {name: net-tools}}]
`;

beforeAll(async () => {
  docker = await requireDocker();
  nodeImage = readDockerTestEnv().images.node.ref;
  user = ensureSystemUser('skiff-e2e');
  // Not only pod IPs: the Service range too. Skiff reaches the network only through netd.
  rule = rejectUserTraffic(user, plan.subnet);
  server = await startSkiffAsUser(user, { docker: true, args: ['--node-name', NODE] });
  skiff = server.skiff;
  clusterId = await clusterIdOf(skiff);
  ok(await skiff.kubectl(['wait', '--for=condition=Ready', `node/${NODE}`, '--timeout=30s']));
  ok(await skiff.kubectl(['create', 'namespace', NS]));
  ok(
    await kubectl([
      'create',
      'configmap',
      'net-tools',
      `--from-file=${join(import.meta.dirname, 'fixtures', 'net-tools')}`,
    ]),
  );
  ok(await kubectl(['apply', '-f', '-'], manifests(nodeImage)));
  for (const workload of ['deployment/echo', 'deployment/other', 'statefulset/web'])
    ok(await kubectl(['rollout', 'status', workload, '--timeout=120s']));
  ok(await kubectl(['wait', '--for=condition=Ready', 'pod/client', '--timeout=120s']));
  certDir = await mkdtemp(join(tmpdir(), 'skiff-e2e-certs-'));
}, 240_000);

afterAll(async () => {
  await server?.stop();
  if (docker && clusterId) await removeClusterObjects(docker, clusterId);
  rule?.remove();
  if (certDir) await rm(certDir, { recursive: true, force: true });
});

describe('Services, DNS and Ingress through netd while Skiff cannot reach the cluster network', () => {
  it('runs Skiff as a user cut off from the cluster network', async () => {
    const [pod] = await echoPods();
    expect(connectAsUser(user, pod.status?.podIP ?? '', 8080)).toBe('ECONNREFUSED');
    expect(connectAsUser(user, await clusterIP('echo'), 80)).toBe('ECONNREFUSED');
  });

  it('reaches all 3 pods by ClusterIP, short name, name.ns and the full name', async () => {
    const hostnames = new Set((await echoPods()).map((p) => p.metadata.name));
    expect(hostnames.size).toBe(3);
    const ip = await clusterIP('echo');
    for (const host of [ip, 'echo', `echo.${NS}`, `echo.${DOMAIN}`]) {
      const bodies = await gets(`http://${host}/`, 30);
      expect(new Set(bodies), host).toEqual(hostnames);
    }
    // A named targetPort resolves per pod.
    expect(new Set(await gets('http://echo-named:8000/', 30))).toEqual(hostnames);
  });

  it('pins a client with ClientIP affinity and answers UDP', async () => {
    const bodies = await gets('http://echo-sticky/', 15);
    expect(new Set(bodies).size).toBe(1);
    expect(bodies[0]).toMatch(/^echo-/);
    const reply = await inClient('udp.cjs', 'echo-udp', '53');
    expect(new Set((await echoPods()).map((p) => p.metadata.name))).toContain(reply);
  });

  it('answers cluster DNS: A, headless, SRV, StatefulSet pods, ExternalName, NXDOMAIN', async () => {
    const pods = await echoPods();
    expect((await dnsQuery('A', `echo.${DOMAIN}`)).answers).toEqual([await clusterIP('echo')]);
    expect(((await dnsQuery('A', `echo-headless.${DOMAIN}`)).answers ?? []).sort()).toEqual(
      pods.map((p) => p.status?.podIP).sort(),
    );
    const srv = (await dnsQuery('SRV', `_http._tcp.echo.${DOMAIN}`)).answers as {
      name: string;
      port: number;
    }[];
    expect(srv).toEqual([expect.objectContaining({ name: `echo.${DOMAIN}`, port: 80 })]);
    const web0 = await jsonOf<{ status: { podIP: string } }>(['get', 'pod', 'web-0']);
    expect((await dnsQuery('A', `web-0.web.${DOMAIN}`)).answers).toEqual([web0.status.podIP]);
    expect((await dnsQuery('CNAME', `ext.${DOMAIN}`)).answers).toEqual([`other.${DOMAIN}`]);
    const missing = await dnsQuery('A', `nope.${DOMAIN}`);
    expect(missing.error).toBe('ENOTFOUND');
    expect(missing.ms).toBeLessThan(500);
    // The kube-dns Service (kube-system, the Service range's tenth address) answers too.
    const kubeDns = ok(
      await skiff.kubectl([
        'get',
        'svc',
        '-n',
        'kube-system',
        'kube-dns',
        '-o',
        'jsonpath={.spec.clusterIP}',
      ]),
    );
    expect(kubeDns).toBe(plan.serviceRange.replace(/\.0\/\d+$/, '.10'));
    expect((await dnsQuery('A', `echo.${DOMAIN}`, kubeDns)).answers).toEqual([
      await clusterIP('echo'),
    ]);
    // Applications resolve short names through the search path.
    expect((await dnsQuery('LOOKUP', 'web-1.web')).answers).toHaveLength(1);
  });

  it('writes kubelet’s /etc/hosts: the pod’s FQDN under its subdomain, and hostAliases', async () => {
    const web0 = await jsonOf<{ status: { podIP: string } }>(['get', 'pod', 'web-0']);
    const hosts = ok(await kubectl(['exec', 'web-0', '--', 'cat', '/etc/hosts']));
    expect(hosts).toMatch(/^# Kubernetes-managed hosts file\./);
    expect(hosts).toContain(`${web0.status.podIP}\tweb-0.web.${DOMAIN}\tweb-0\n`);
    expect(ok(await kubectl(['exec', 'web-0', '--', 'hostname']))).toBe('web-0\n');
    const client = ok(await kubectl(['exec', 'client', '--', 'cat', '/etc/hosts']));
    expect(client).toContain(
      '# Entries added by HostAliases.\n10.1.2.3\tlegacy.example\tdb.example\n',
    );
    // Applications resolve them (getaddrinfo reads /etc/hosts first).
    expect((await dnsQuery('LOOKUP', 'legacy.example')).answers).toEqual(['10.1.2.3']);
  });

  it('lets a pod call the API server at kubernetes.default.svc with its token', async () => {
    const out = await inClient('api.cjs');
    expect(out).toMatch(/^200 /);
    expect((JSON.parse(out.slice(4)) as { gitVersion: string }).gitVersion).toMatch(/^v1\.35\./);
    const env = ok(
      await kubectl(['exec', 'client', '--', 'sh', '-c', 'echo "$KUBERNETES_SERVICE_HOST"']),
    );
    expect(env.trim()).toBe(
      ok(await skiff.kubectl(['get', 'svc', 'kubernetes', '-o', 'jsonpath={.spec.clusterIP}'])),
    );
  });

  it('takes a pod failing readiness out within 2 s, a deleted one within 1 s; scale-up joins', async () => {
    const [first, second] = await echoPods();
    ok(await kubectl(['exec', first.metadata.name, '--', 'touch', '/tmp/unready']));
    const unready = Date.now();
    await eventually(
      `${first.metadata.name} gets no traffic`,
      async () => !(await gets('http://echo/', 12)).includes(first.metadata.name),
      8_000,
      100,
    );
    // The probe (period 1 s) plus the status write and endpoint update, then at most 2 s.
    expect(Date.now() - unready).toBeLessThan(1_000 + 2_000 + 1_500);

    ok(await kubectl(['delete', 'pod', second.metadata.name, '--wait=false']));
    const deleted = Date.now();
    await eventually(
      `${second.metadata.name} leaves the rotation`,
      async () => !(await gets('http://echo/', 12)).includes(second.metadata.name),
      5_000,
      50,
    );
    expect(Date.now() - deleted).toBeLessThan(1_000 + 1_500);

    ok(await kubectl(['exec', first.metadata.name, '--', 'rm', '/tmp/unready']));
    ok(await kubectl(['scale', 'deployment/echo', '--replicas=4']));
    ok(await kubectl(['rollout', 'status', 'deployment/echo', '--timeout=120s']));
    const names = new Set((await echoPods()).map((p) => p.metadata.name));
    expect(names.size).toBe(4);
    await eventually(
      'all 4 pods answer through the Service',
      async () => new Set(await gets('http://echo/', 40)).size === 4,
      10_000,
      200,
    );
  });

  it('answers NodePort (TCP and UDP) and LoadBalancer Services on 127.0.0.1 from the host', async () => {
    // A port for the LoadBalancer no other checkout on this machine picks.
    const lbPort = 20_000 + Math.floor(Math.random() * 10_000);
    ok(
      await kubectl(
        ['apply', '-f', '-'],
        `apiVersion: v1
kind: Service
metadata: {name: echo-np}
spec:
  type: NodePort
  selector: {app: other}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: echo-lb}
spec:
  type: LoadBalancer
  selector: {app: other}
  ports: [{port: ${lbPort}, targetPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: echo-np-udp}
spec:
  type: NodePort
  selector: {app: other}
  ports: [{port: 53, targetPort: 5300, protocol: UDP}]
`,
      ),
    );
    const nodePort = ok(
      await kubectl(['get', 'svc', 'echo-np', '-o', 'jsonpath={.spec.ports[0].nodePort}']),
    );
    const other = (await jsonOf<PodList>(['get', 'pods', '-l', 'app=other'])).items[0].metadata
      .name;
    await eventually(
      'the NodePort answers',
      async () => (await curl([`http://127.0.0.1:${nodePort}/`])).stdout === other,
      10_000,
      200,
    );
    await eventually(
      'the LoadBalancer answers and reports 127.0.0.1',
      async () =>
        (await curl([`http://127.0.0.1:${lbPort}/`])).stdout === other &&
        ok(await kubectl(['get', 'svc', 'echo-lb'])).includes('127.0.0.1'),
      10_000,
      200,
    );
    // UDP too, as Docker Desktop publishes it: a datagram from the host, the pod's name back.
    const udpPort = ok(
      await kubectl(['get', 'svc', 'echo-np-udp', '-o', 'jsonpath={.spec.ports[0].nodePort}']),
    );
    await eventually(
      'the UDP NodePort answers',
      async () => {
        const reply = await run(process.execPath, [
          'test/fixtures/net-tools/udp.cjs',
          '127.0.0.1',
          udpPort,
        ]).catch(() => ({ stdout: '' }));
        return reply.stdout === other;
      },
      10_000,
      200,
    );
  });

  it('routes Ingress hosts and paths, serves TLS from a Secret, default backend and 404', async () => {
    const { http, https } = await ingressPorts();
    expect(http).toBeGreaterThan(0);
    const echoNames = new Set((await echoPods()).map((p) => p.metadata.name));
    const other = (await jsonOf<PodList>(['get', 'pods', '-l', 'app=other'])).items[0].metadata
      .name;
    // A CA and a certificate for a.localhost, as a user would make them.
    const file = (name: string) => join(certDir, name);
    await run('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=e2e-ca',
      '-keyout', file('ca.key'), '-out', file('ca.crt'),
    ]); // prettier-ignore
    await run('openssl', [
      'req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=a.localhost',
      '-keyout', file('tls.key'), '-out', file('tls.csr'),
    ]); // prettier-ignore
    await import('node:fs/promises').then((fs) =>
      fs.writeFile(file('ext.cnf'), 'subjectAltName=DNS:a.localhost\n'),
    );
    await run('openssl', [
      'x509', '-req', '-in', file('tls.csr'), '-CA', file('ca.crt'), '-CAkey', file('ca.key'),
      '-CAcreateserial', '-days', '1', '-extfile', file('ext.cnf'), '-out', file('tls.crt'),
    ]); // prettier-ignore
    ok(
      await kubectl([
        'create', 'secret', 'tls', 'a-tls', `--cert=${file('tls.crt')}`, `--key=${file('tls.key')}`,
      ]), // prettier-ignore
    );
    const ingress = (exactPath: string) => `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  tls: [{hosts: [a.localhost], secretName: a-tls}]
  rules:
  - host: a.localhost
    http:
      paths: [{path: /, pathType: Prefix, backend: {service: {name: echo, port: {number: 80}}}}]
  - host: b.localhost
    http:
      paths: [{path: ${exactPath}, pathType: Exact, backend: {service: {name: other, port: {number: 80}}}}]
`;
    ok(await kubectl(['apply', '-f', '-'], ingress('/exact')));
    const get = (url: string, ...extra: string[]) => curl([...extra, url]);
    await eventually(
      'a.localhost reaches echo',
      async () => echoNames.has((await get(`http://a.localhost:${http}/any/path`)).stdout),
      10_000,
      200,
    );
    expect((await get(`http://b.localhost:${http}/exact`)).stdout).toBe(other);
    expect(await get(`http://b.localhost:${http}/exact/more`, '-o', '/dev/null', '-w', '%{http_code}')).toMatchObject({ stdout: '404' }); // prettier-ignore
    expect(await get(`http://unknown.localhost:${http}/`, '-o', '/dev/null', '-w', '%{http_code}')).toMatchObject({ stdout: '404' }); // prettier-ignore
    const tls = await get(`https://a.localhost:${https}/`, '--cacert', file('ca.crt'));
    expect(tls.stderr).toBe('');
    expect(echoNames.has(tls.stdout)).toBe(true);
    await eventually(
      'the Ingress reports 127.0.0.1',
      async () => ok(await kubectl(['get', 'ingress', 'web'])).includes('127.0.0.1'),
      10_000,
      200,
    );

    // An edit takes effect within 1 s.
    ok(await kubectl(['apply', '-f', '-'], ingress('/moved')));
    const edited = Date.now();
    await eventually(
      'the moved path answers',
      async () => (await get(`http://b.localhost:${http}/moved`)).stdout === other,
      5_000,
      50,
    );
    expect(Date.now() - edited).toBeLessThan(1_500);

    // A default backend takes what no rule matches.
    ok(
      await kubectl(
        ['apply', '-f', '-'],
        `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: fallback}
spec:
  defaultBackend: {service: {name: other, port: {number: 80}}}
`,
      ),
    );
    await eventually(
      'unknown hosts go to the default backend',
      async () => (await get(`http://unknown.localhost:${http}/`)).stdout === other,
      5_000,
      100,
    );
    const ca = await readFile(file('ca.crt'), 'utf8');
    expect(ca).toContain('BEGIN CERTIFICATE');
  });

  it('says NetworkPolicy is not enforced', async () => {
    ok(
      await kubectl(
        ['apply', '-f', '-'],
        `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all}
spec:
  podSelector: {}
  policyTypes: [Ingress]
`,
      ),
    );
    await eventually(
      'a NotEnforced event',
      async () =>
        ok(
          await kubectl([
            'get', 'events', '--field-selector', 'involvedObject.name=deny-all',
            '-o', 'jsonpath={.items[*].reason}',
          ]), // prettier-ignore
        ).includes('NotEnforced'),
      10_000,
      200,
    );
  });

  it('recreates a killed netd and every Service answers again within 10 s', async () => {
    const netd = await netdContainer();
    expect(netd).toBeDefined();
    await docker.getContainer(netd?.Id ?? '').kill();
    const killed = Date.now();
    const nodePort = ok(
      await kubectl(['get', 'svc', 'echo-np', '-o', 'jsonpath={.spec.ports[0].nodePort}']),
    );
    await eventually(
      'ClusterIP, DNS, NodePort and the API answer again',
      async () => {
        const [viaName] = await gets('http://echo/', 1);
        if (!viaName.startsWith('echo-')) return false;
        if ((await curl([`http://127.0.0.1:${nodePort}/`])).code !== 0) return false;
        return (await inClient('api.cjs')).startsWith('200 ');
      },
      15_000,
      250,
    );
    expect(Date.now() - killed).toBeLessThan(10_000 + 3_000);
  });
});
