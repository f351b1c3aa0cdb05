// ResourceQuota on a simulated cluster, driven by real kubectl: kube-apiserver's quota admission
// (exceeded quota, must specify requests.cpu), the resourcequota controller's status.used shown by
// `kubectl describe quota`, and a Deployment beyond quota (the ReplicaSet's FailedCreate events and
// ReplicaFailure condition).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSkiffWithNodes } from './support/skiff.ts';
import type { Skiff } from './support/skiff.ts';
import { createObjects, namespace } from './support/fixtures.ts';
import { eventually, fails, getJson, ok, sleep } from './support/helpers.ts';

const image = 'registry.local/skiff/web:1';
let skiff: Skiff;

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

beforeAll(async () => {
  skiff = await startSkiffWithNodes(3);
}, 60_000);

afterAll(async () => {
  await skiff?.stop();
});

async function kubectl(args: string[], input?: string): Promise<string> {
  return ok(await skiff.kubectl(args, { timeoutMs: 30_000, input }));
}

function pod(name: string, ns: string, cpu?: string): string {
  const resources = cpu ? { requests: { cpu } } : {};
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns },
    spec: { containers: [{ name, image, resources }] },
  });
}

async function quotaUsed(ns: string): Promise<Record<string, string>> {
  const quota = await getJson<{ status?: { used?: Record<string, string> } }>(skiff, [
    'resourcequota',
    'q',
    '-n',
    ns,
  ]);
  return quota.status?.used ?? {};
}

describe('ResourceQuota', () => {
  const ns = 'quota';

  it('rejects a pod beyond the pods limit with kube-apiserver message', async () => {
    await createObjects(skiff, namespace(ns));
    await kubectl(['create', 'quota', 'q', '--hard=pods=2,requests.cpu=1', '-n', ns]);
    await eventually(
      'status.used computed',
      async () => (await quotaUsed(ns)).pods === '0',
      20_000,
    );
    await kubectl(['create', '-f', '-'], pod('p1', ns, '100m'));
    await kubectl(['create', '-f', '-'], pod('p2', ns, '100m'));
    const out = fails(await skiff.kubectl(['create', '-f', '-'], { input: pod('p3', ns, '100m') }));
    expect(out).toContain(
      'Error from server (Forbidden): error when creating "STDIN": pods "p3" is forbidden: exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2',
    );
    expect(await kubectl(['get', 'pods', '-n', ns, '-o', 'name'])).not.toContain('p3');
  });

  it('rejects a pod without requests.cpu when the quota limits requests.cpu', async () => {
    const out = fails(await skiff.kubectl(['run', 'nocpu', `--image=${image}`, '-n', ns]));
    expect(out).toContain(
      'Error from server (Forbidden): pods "nocpu" is forbidden: failed quota: q: must specify requests.cpu for: nocpu',
    );
  });

  it('kubectl describe quota and get quota show used against hard', async () => {
    await eventually(
      'status.used of both pods',
      async () => {
        const used = await quotaUsed(ns);
        return used.pods === '2' && used['requests.cpu'] === '200m';
      },
      20_000,
    );
    const out = await kubectl(['describe', 'quota', 'q', '-n', ns]);
    expect(out).toMatch(/^Name:\s+q$/m);
    expect(out).toMatch(new RegExp(`^Namespace:\\s+${ns}$`, 'm'));
    expect(out).toMatch(/^Resource\s+Used\s+Hard$/m);
    expect(out).toMatch(/^pods\s+2\s+2$/m);
    expect(out).toMatch(/^requests\.cpu\s+200m\s+1$/m);
    const table = await kubectl(['get', 'quota', 'q', '-n', ns]);
    expect(table).toMatch(/^NAME\s+AGE\s+REQUEST\s+LIMIT$/m);
    expect(table).toMatch(/^q\s+\S+\s+pods: 2\/2, requests\.cpu: 200m\/1\s*$/m);
  });

  it('a Deployment beyond the quota: exactly the allowed pods, FailedCreate events, ReplicaFailure', async () => {
    const dns = 'quota-deploy';
    await createObjects(skiff, namespace(dns));
    await kubectl(['create', 'quota', 'q', '--hard=pods=2', '-n', dns]);
    await eventually(
      'status.used computed',
      async () => (await quotaUsed(dns)).pods === '0',
      20_000,
    );
    await kubectl(['create', 'deployment', 'big', `--image=${image}`, '--replicas=4', '-n', dns]);

    const rs = await eventually(
      'the ReplicaSet reports ReplicaFailure',
      async () => {
        const list = await getJson<{
          items: { metadata: { name: string }; status?: { conditions?: Condition[] } }[];
        }>(skiff, ['rs', '-n', dns, '-l', 'app=big']);
        const item = list.items[0];
        const failure = item?.status?.conditions?.find((c) => c.type === 'ReplicaFailure');
        return failure?.status === 'True' ? { name: item.metadata.name, failure } : false;
      },
      30_000,
    );
    expect(rs.failure.reason).toBe('FailedCreate');
    expect(rs.failure.message).toMatch(
      new RegExp(
        `^pods "${rs.name}-[a-z0-9]{5}" is forbidden: exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2$`,
      ),
    );
    // Concurrent creates of the slow-start batch never get past the limit.
    for (let i = 0; i < 10; i++) {
      const names = await kubectl(['get', 'pods', '-n', dns, '-o', 'name']);
      expect(names.trim().split('\n').filter(Boolean)).toHaveLength(2);
      await sleep(200);
    }
    const events = await kubectl([
      'get',
      'events',
      '-n',
      dns,
      '--field-selector',
      `involvedObject.name=${rs.name}`,
      '-o',
      'jsonpath={range .items[*]}{.type} {.reason} {.message}{"\\n"}{end}',
    ]);
    expect(events).toMatch(
      new RegExp(
        `^Warning FailedCreate Error creating: pods "${rs.name}-[a-z0-9]{5}" is forbidden: exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2$`,
        'm',
      ),
    );
    const describeRs = await kubectl(['describe', 'rs', rs.name, '-n', dns]);
    expect(describeRs).toMatch(/^Replicas:\s+2 current \/ 4 desired$/m);
    expect(describeRs).toMatch(/^ {2}ReplicaFailure\s+True\s+FailedCreate$/m);
    expect(describeRs).toMatch(
      /Warning\s+FailedCreate\s+.*replicaset-controller\s+Error creating: pods ".*" is forbidden: exceeded quota: q/,
    );

    // The Deployment carries the ReplicaSet's failure as its own condition.
    await eventually(
      'the Deployment ReplicaFailure condition',
      async () => {
        const out = await kubectl(['describe', 'deployment', 'big', '-n', dns]);
        return (
          /^ {2}ReplicaFailure\s+True\s+FailedCreate$/m.test(out) &&
          /^Replicas:\s+4 desired \| 2 updated \| 2 total \| 2 available \| 2 unavailable$/m.test(
            out,
          )
        );
      },
      30_000,
    );
  });
});
