// `kubectl describe` of a Deployment, its pods and their node on a simulated cluster: the
// sections, conditions and events kubectl prints from what the controllers, the scheduler and the
// simulated kubelets write (kubectl's describe.go reads them; these checks compare with kube 1.35).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSkiffWithNodes } from './support/skiff.ts';
import type { Skiff } from './support/skiff.ts';
import { createObjects, namespace } from './support/fixtures.ts';
import { eventually, getJson, ok } from './support/helpers.ts';

const ns = 'describe';
const image = 'registry.local/skiff/web:1';
let skiff: Skiff;
let rsName = '';

interface Pod {
  metadata: { name: string };
  spec: { nodeName?: string };
  status?: { podIP?: string; phase?: string };
}

beforeAll(async () => {
  skiff = await startSkiffWithNodes(3);
  await createObjects(skiff, namespace(ns));
  const deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: ns, labels: { app: 'web' } },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            {
              name: 'web',
              image,
              ports: [{ containerPort: 8080 }],
              resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { memory: '128Mi' } },
            },
          ],
        },
      },
    },
  };
  ok(await skiff.kubectl(['create', '-f', '-'], { input: JSON.stringify(deployment) }));
  ok(
    await skiff.kubectl(['rollout', 'status', 'deployment/web', '-n', ns, '--timeout=60s'], {
      timeoutMs: 65_000,
    }),
  );
  rsName = await kubectl([
    'get',
    'rs',
    '-n',
    ns,
    '-l',
    'app=web',
    '-o',
    'jsonpath={.items[0].metadata.name}',
  ]);
}, 120_000);

afterAll(async () => {
  await skiff?.stop();
});

async function kubectl(args: string[]): Promise<string> {
  return ok(await skiff.kubectl(args, { timeoutMs: 30_000 }));
}

/** The lines of a top-level section of describe output (`Conditions:` up to the next heading). */
function section(out: string, heading: string): string[] {
  const lines = out.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`${heading}:`));
  if (start < 0) throw new Error(`no ${heading} section in:\n${out}`);
  const rest = lines.slice(start + 1);
  const end = rest.findIndex((l) => l !== '' && !l.startsWith(' '));
  return [lines[start], ...(end < 0 ? rest : rest.slice(0, end))];
}

/** `Field:   value` at the start of a line, as describe aligns them. */
function field(out: string, name: string): string {
  const match = new RegExp(`^${name}:[ \\t]+(.*)$`, 'm').exec(out);
  if (!match) throw new Error(`no ${name} field in:\n${out}`);
  return match[1].trim();
}

/** Rows of a describe table inside a section, split on runs of two or more spaces. */
function rows(lines: string[]): string[][] {
  return lines
    .slice(1)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !/^-+(\s+-+)*$/.test(l))
    .map((l) => l.split(/\s{2,}/));
}

describe('kubectl describe', () => {
  it('deployment: replicas, strategy, conditions, replica sets and scaling events', async () => {
    const out = await kubectl(['describe', 'deployment', 'web', '-n', ns]);
    expect(field(out, 'Replicas')).toBe(
      '3 desired | 3 updated | 3 total | 3 available | 0 unavailable',
    );
    expect(field(out, 'StrategyType')).toBe('RollingUpdate');
    expect(field(out, 'MinReadySeconds')).toBe('0');
    expect(field(out, 'RollingUpdateStrategy')).toBe('25% max unavailable, 25% max surge');
    expect(field(out, 'Selector')).toBe('app=web');
    expect(field(out, 'Annotations')).toBe('deployment.kubernetes.io/revision: 1');
    const conditions = rows(section(out, 'Conditions'));
    expect(conditions).toEqual(
      expect.arrayContaining([
        ['Type', 'Status', 'Reason'],
        ['Available', 'True', 'MinimumReplicasAvailable'],
        ['Progressing', 'True', 'NewReplicaSetAvailable'],
      ]),
    );
    expect(field(out, 'OldReplicaSets')).toBe('<none>');
    expect(rsName).toMatch(/^web-[a-z0-9]+$/);
    expect(field(out, 'NewReplicaSet')).toBe(`${rsName} (3/3 replicas created)`);
    expect(out).toMatch(
      new RegExp(
        `^  Normal  ScalingReplicaSet  \\S+\\s+deployment-controller  Scaled up replica set ${rsName} from 0 to 3$`,
        'm',
      ),
    );
  });

  it('pod: status, IP, owner, container state, conditions, QoS, default tolerations, Scheduled event', async () => {
    const pods = await getJson<{ items: Pod[] }>(skiff, ['pods', '-n', ns, '-l', 'app=web']);
    const pod = pods.items.find((p) => p.status?.phase === 'Running');
    if (!pod) throw new Error('no running pod');
    const name = pod.metadata.name;
    const node = pod.spec.nodeName ?? '';
    const out = await kubectl(['describe', 'pod', name, '-n', ns]);
    expect(field(out, 'Name')).toBe(name);
    expect(field(out, 'Namespace')).toBe(ns);
    expect(field(out, 'Service Account')).toBe('default');
    expect(field(out, 'Node')).toMatch(new RegExp(`^${node}/\\d+\\.\\d+\\.\\d+\\.\\d+$`));
    expect(field(out, 'Start Time')).toMatch(/^\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} \+0000$/);
    expect(field(out, 'Status')).toBe('Running');
    expect(field(out, 'IP')).toBe(pod.status?.podIP);
    expect(field(out, 'Controlled By')).toBe(`ReplicaSet/${rsName}`);

    const container = section(out, 'Containers').join('\n');
    expect(container).toMatch(/^ {4}State:\s+Running$/m);
    expect(container).toMatch(/^ {6}Started:\s+\w{3}, /m);
    expect(container).toMatch(/^ {4}Ready:\s+True$/m);
    expect(container).toMatch(/^ {4}Restart Count:\s+0$/m);
    expect(container).toMatch(/^ {4}Port:\s+8080\/TCP$/m);
    expect(container).toMatch(/^ {4}Limits:\n {6}memory:\s+128Mi$/m);
    expect(container).toMatch(/^ {4}Requests:\n {6}cpu:\s+100m\n {6}memory:\s+64Mi$/m);
    expect(container).toMatch(/^ {4}Container ID:\s+\S+:\/\/\S+$/m);

    const conditions = rows(section(out, 'Conditions'));
    expect(conditions[0]).toEqual(['Type', 'Status']);
    expect(new Map(conditions.slice(1).map(([type, status]) => [type, status]))).toEqual(
      new Map([
        ['PodReadyToStartContainers', 'True'],
        ['Initialized', 'True'],
        ['Ready', 'True'],
        ['ContainersReady', 'True'],
        ['PodScheduled', 'True'],
      ]),
    );
    expect(field(out, 'QoS Class')).toBe('Burstable');
    const tolerations = section(out, 'Tolerations').join('\n');
    expect(tolerations).toContain('node.kubernetes.io/not-ready:NoExecute op=Exists for 300s');
    expect(tolerations).toContain('node.kubernetes.io/unreachable:NoExecute op=Exists for 300s');
    expect(out).toMatch(
      new RegExp(
        `^  Normal  Scheduled  \\S+\\s+default-scheduler  Successfully assigned ${ns}/${name} to ${node}$`,
        'm',
      ),
    );
  });

  it('node: roles, labels, taints, lease, kubelet conditions, addresses, resources, pods and events', async () => {
    const pods = await getJson<{ items: Pod[] }>(skiff, ['pods', '-n', ns, '-l', 'app=web']);
    const node = pods.items[0]?.spec.nodeName ?? '';
    const onNode = pods.items.filter((p) => p.spec.nodeName === node).map((p) => p.metadata.name);
    expect(node).toMatch(/^skiff-sim-\d$/);
    const out = await kubectl(['describe', 'node', node]);
    expect(field(out, 'Name')).toBe(node);
    expect(field(out, 'Roles')).toBe('<none>');
    const labels = section(out, 'Labels').join('\n');
    expect(labels).toContain(`kubernetes.io/hostname=${node}`);
    expect(labels).toContain('kubernetes.io/os=linux');
    expect(field(out, 'Taints')).toBe('<none>');
    expect(field(out, 'Unschedulable')).toBe('false');
    const lease = section(out, 'Lease').join('\n');
    expect(lease).toMatch(new RegExp(`^  HolderIdentity:\\s+${node}$`, 'm'));
    expect(lease).toMatch(/^ {2}RenewTime:\s+\w{3}, \d{2} \w{3} \d{4} /m);

    const conditions = section(out, 'Conditions').join('\n');
    for (const [type, status, reason, message] of [
      [
        'MemoryPressure',
        'False',
        'KubeletHasSufficientMemory',
        'kubelet has sufficient memory available',
      ],
      ['DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'],
      ['PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'],
      ['Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'],
    ])
      expect(conditions).toMatch(
        new RegExp(
          `^  ${type}\\s+${status}\\s+.*\\+0000\\s+.*\\+0000\\s+${reason}\\s+${message}`,
          'm',
        ),
      );
    const addresses = section(out, 'Addresses').join('\n');
    expect(addresses).toMatch(/^ {2}InternalIP:\s+\d+\.\d+\.\d+\.\d+$/m);
    expect(addresses).toMatch(new RegExp(`^  Hostname:\\s+${node}$`, 'm'));
    for (const heading of ['Capacity', 'Allocatable']) {
      const lines = section(out, heading).join('\n');
      expect(lines).toMatch(/^ {2}cpu:\s+\d+$/m);
      expect(lines).toMatch(/^ {2}memory:\s+\S+$/m);
      expect(lines).toMatch(/^ {2}pods:\s+\d+$/m);
    }
    const info = section(out, 'System Info').join('\n');
    expect(info).toMatch(/^ {2}Operating System:\s+linux$/m);
    expect(info).toMatch(/^ {2}Kubelet Version:\s+v1\.35\.\d+$/m);
    expect(info).toMatch(/^ {2}Container Runtime Version:\s+\S+:\/\/\S+$/m);

    expect(field(out, 'Non-terminated Pods')).toBe(`(${onNode.length} in total)`);
    const podRows = section(out, 'Non-terminated Pods').join('\n');
    for (const name of onNode)
      expect(podRows).toMatch(
        new RegExp(
          `^  ${ns}\\s+${name}\\s+100m \\(\\d+%\\)\\s+0 \\(0%\\)\\s+64Mi \\(\\d+%\\)\\s+128Mi \\(\\d+%\\)\\s+\\S+$`,
          'm',
        ),
      );
    const allocated = section(out, 'Allocated resources').join('\n');
    expect(allocated).toMatch(
      new RegExp(`^  cpu\\s+${onNode.length * 100}m \\(\\d+%\\)\\s+0 \\(0%\\)$`, 'm'),
    );
    expect(out).toMatch(
      new RegExp(
        `^  Normal  RegisteredNode  \\S+\\s+node-controller  Node ${node} event: Registered Node ${node} in Controller$`,
        'm',
      ),
    );
  });

  it('deployment: a repeated event is printed once with its count ("x2 over")', async () => {
    for (const replicas of ['1', '3', '1', '3']) {
      await kubectl(['scale', 'deployment/web', '-n', ns, `--replicas=${replicas}`]);
      await eventually(
        `web at ${replicas} replicas`,
        async () =>
          (await kubectl([
            'get',
            'deployment',
            'web',
            '-n',
            ns,
            '-o',
            'jsonpath={.status.replicas}/{.status.availableReplicas}',
          ])) === `${replicas}/${replicas}`,
        30_000,
      );
    }
    const out = await kubectl(['describe', 'deployment', 'web', '-n', ns]);
    const events = section(out, 'Events').join('\n');
    expect(events).toMatch(
      new RegExp(
        `Normal  ScalingReplicaSet  \\S+ \\(x2 over \\S+\\)\\s+deployment-controller  Scaled down replica set ${rsName} from 3 to 1`,
      ),
    );
    expect(events).toMatch(
      new RegExp(
        `Normal  ScalingReplicaSet  \\S+ \\(x2 over \\S+\\)\\s+deployment-controller  Scaled up replica set ${rsName} from 1 to 3`,
      ),
    );
    // The Event objects carry the count kubectl prints.
    const list = await getJson<{ items: { reason: string; message: string; count: number }[] }>(
      skiff,
      ['events', '-n', ns, '--field-selector', 'involvedObject.kind=Deployment'],
    );
    const down = list.items.find((e) => e.message.startsWith('Scaled down'));
    expect(down?.count).toBe(2);
  });

  it('node: cordon shows the unschedulable taint and Unschedulable: true', async () => {
    ok(await skiff.kubectl(['cordon', 'skiff-sim-3']));
    try {
      const out = await eventually(
        'the unschedulable taint',
        async () => {
          const text = await kubectl(['describe', 'node', 'skiff-sim-3']);
          return field(text, 'Taints') === 'node.kubernetes.io/unschedulable:NoSchedule' && text;
        },
        20_000,
      );
      expect(field(out, 'Unschedulable')).toBe('true');
    } finally {
      ok(await skiff.kubectl(['uncordon', 'skiff-sim-3']));
    }
  });
});
