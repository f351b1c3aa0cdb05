import { describe, expect, it } from 'vitest';
import { StatusError } from '../../api/status.ts';
import type { KubeObject } from '../../api/types.ts';
import { formatQuantity } from '../../api/quantity.ts';
import { BUILTIN_RESOURCES } from '../registry/resources.ts';
import type { AdmissionRequest } from '../registry/rest.ts';
import { missingResources, resourceQuota, usageOf } from './resource-quota.ts';

const podInfo = BUILTIN_RESOURCES.find((r) => r.group === '' && r.kind === 'Pod');
if (!podInfo) throw new Error('no pod resource');
const info = podInfo;

function pod(name: string, spec: Record<string, unknown>): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'ns' }, spec };
}

function withCpu(name: string, cpu?: string): KubeObject {
  const resources = cpu ? { requests: { cpu } } : {};
  return pod(name, { containers: [{ name, image: 'x', resources }] });
}

function quota(hard: Record<string, string>, spec: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ResourceQuota',
    metadata: { name: 'q', namespace: 'ns' },
    spec: { hard, ...spec },
  };
}

function createPod(object: KubeObject, dryRun = false): AdmissionRequest {
  return {
    operation: 'CREATE',
    info,
    namespace: 'ns',
    name: object.metadata.name ?? '',
    subresource: '',
    object,
    oldObject: undefined,
    dryRun,
    user: { username: 'admin', groups: [] },
    warnings: [],
  };
}

function rejection(run: () => unknown): string {
  try {
    run();
  } catch (e) {
    if (e instanceof StatusError) return `${e.code} ${e.message}`;
    throw e;
  }
  throw new Error('expected a rejection');
}

describe('ResourceQuota admission', () => {
  it('counts admitted pods not yet stored, so concurrent creates cannot pass the limit', () => {
    const stored: KubeObject[] = [];
    const plugin = resourceQuota({ quotas: () => [quota({ pods: '2' })], objects: () => stored });
    const first = createPod(withCpu('a'));
    const second = createPod(withCpu('b'));
    void plugin.validate?.(first);
    void plugin.validate?.(second);
    expect(rejection(() => plugin.validate?.(createPod(withCpu('c'))))).toBe(
      '403 pods "c" is forbidden: exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2',
    );
    // A write that failed frees its reservation; a stored one is counted from the store.
    plugin.finished?.(first);
    plugin.finished?.(second);
    stored.push(withCpu('b'));
    expect(() => plugin.validate?.(createPod(withCpu('d')))).not.toThrow();
  });

  it('a dry run reserves nothing', () => {
    const plugin = resourceQuota({ quotas: () => [quota({ pods: '1' })], objects: () => [] });
    void plugin.validate?.(createPod(withCpu('a'), true));
    expect(() => plugin.validate?.(createPod(withCpu('b')))).not.toThrow();
  });

  it('refuses a pod without requests.cpu when a quota tracks it, naming the containers', () => {
    const plugin = resourceQuota({
      quotas: () => [quota({ pods: '5', 'requests.cpu': '1' })],
      objects: () => [],
    });
    expect(rejection(() => plugin.validate?.(createPod(withCpu('nocpu'))))).toBe(
      '403 pods "nocpu" is forbidden: failed quota: q: must specify requests.cpu for: nocpu',
    );
    expect(() => plugin.validate?.(createPod(withCpu('cpu', '100m')))).not.toThrow();
  });

  it('lists every missing resource with its containers, sorted', () => {
    const p = pod('p', {
      initContainers: [{ name: 'init', resources: { requests: { cpu: '1' } } }],
      containers: [
        { name: 'b', resources: { limits: { memory: '1Gi' } } },
        { name: 'a', resources: {} },
      ],
    });
    expect(missingResources(p, { 'requests.cpu': '2', 'limits.memory': '1Gi', pods: '3' })).toBe(
      'must specify limits.memory for: a,init; requests.cpu for: a,b',
    );
    expect(
      missingResources(pod('lvl', { resources: { requests: { cpu: '1' } }, containers: [{}] }), {
        'requests.cpu': '1',
      }),
    ).toBeUndefined();
  });

  it('charges a pod the larger of its containers sum and its largest init container, plus overhead', () => {
    const p = pod('p', {
      initContainers: [
        { name: 'big', resources: { requests: { cpu: '2' } } },
        { name: 'side', restartPolicy: 'Always', resources: { requests: { memory: '64Mi' } } },
      ],
      containers: [
        { name: 'a', resources: { requests: { cpu: '500m', memory: '128Mi' } } },
        { name: 'b', resources: { requests: { cpu: '500m' }, limits: { cpu: '1' } } },
      ],
      overhead: { cpu: '100m' },
    });
    const usage = usageOf(info, p);
    const text = (key: string) => {
      const q = usage.get(key);
      return q ? formatQuantity(q) : undefined;
    };
    expect(text('requests.cpu')).toBe('2100m');
    expect(text('cpu')).toBe('2100m');
    expect(text('requests.memory')).toBe('192Mi');
    expect(text('limits.cpu')).toBe('1100m');
    expect(text('pods')).toBe('1');
  });

  it('does not charge a terminal pod compute resources, only its object count', () => {
    const done = { ...withCpu('done', '1'), status: { phase: 'Succeeded' } };
    const usage = usageOf(info, done);
    expect([...usage.keys()]).toEqual(['count/pods']);
  });

  it('stops charging a deleted pod once its grace period has passed', () => {
    const deleting = withCpu('going', '1');
    deleting.metadata.deletionTimestamp = '2026-01-01T00:00:30Z';
    deleting.metadata.deletionGracePeriodSeconds = 30;
    const during = usageOf(info, deleting, Date.parse('2026-01-01T00:00:40Z'));
    expect(during.get('pods')?.sign).toBe(1);
    const after = usageOf(info, deleting, Date.parse('2026-01-01T00:01:01Z'));
    expect([...after.keys()]).toEqual(['count/pods']);
  });

  it('applies a scoped quota only to pods in its scope', () => {
    const plugin = resourceQuota({
      quotas: () => [quota({ pods: '0' }, { scopes: ['BestEffort'] })],
      objects: () => [],
    });
    expect(() => plugin.validate?.(createPod(withCpu('burstable', '100m')))).not.toThrow();
    expect(rejection(() => plugin.validate?.(createPod(withCpu('besteffort'))))).toContain(
      'exceeded quota: q, requested: pods=1, used: pods=0, limited: pods=0',
    );
  });
});
