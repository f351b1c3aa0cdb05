import { describe, expect, it } from 'vitest';
import { StatusError } from '../../api/status.ts';
import type { KubeObject } from '../../api/types.ts';
import { BUILTIN_RESOURCES } from '../registry/resources.ts';
import type { AdmissionRequest } from '../registry/rest.ts';
import { limitRanger } from './limit-ranger.ts';
import { resourceQuota, usageOf } from './resource-quota.ts';

const podInfo = BUILTIN_RESOURCES.find((r) => r.group === '' && r.kind === 'Pod');
if (!podInfo) throw new Error('no pod resource');

function pod(name: string, resources: Record<string, Record<string, string>>): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'ns' },
    spec: { containers: [{ name: 'c', image: 'x', resources }] },
  };
}

function createPod(object: KubeObject): AdmissionRequest {
  return {
    operation: 'CREATE',
    info: podInfo as NonNullable<typeof podInfo>,
    namespace: 'ns',
    name: object.metadata.name ?? '',
    subresource: '',
    object,
    oldObject: undefined,
    dryRun: false,
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
  it('sums exact quantities and prints them as Quantity.String(), keys sorted', () => {
    const existing = pod('a', { requests: { cpu: '500m', memory: '128Mi' } });
    const quota: KubeObject = {
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: { name: 'q', namespace: 'ns' },
      spec: { hard: { 'requests.memory': '256Mi', 'requests.cpu': '1', pods: '10' } },
    };
    const plugin = resourceQuota({ quotas: () => [quota], objects: () => [existing] });
    const message = rejection(() =>
      plugin.validate?.(createPod(pod('b', { requests: { memory: '0.5Gi', cpu: '0.75' } }))),
    );
    expect(message).toBe(
      '403 pods "b" is forbidden: exceeded quota: q, requested: requests.cpu=750m,requests.memory=512Mi, used: requests.cpu=500m,requests.memory=128Mi, limited: requests.cpu=1,requests.memory=256Mi',
    );
    const fits = pod('c', { requests: { memory: '128Mi', cpu: '500m' } });
    expect(() => plugin.validate?.(createPod(fits))).not.toThrow();
  });

  it('counts objects as quantities', () => {
    const usage = usageOf(podInfo, pod('a', {}));
    expect(usage.get('pods')?.sign).toBe(1);
    expect(usage.get('count/pods')?.mant).toBe(1n);
  });
});

describe('LimitRanger admission', () => {
  const limitRange: KubeObject = {
    apiVersion: 'v1',
    kind: 'LimitRange',
    metadata: { name: 'lr', namespace: 'ns' },
    spec: {
      limits: [
        {
          type: 'Container',
          min: { cpu: '100m' },
          max: { memory: '1Gi' },
          maxLimitRequestRatio: { cpu: '2' },
        },
      ],
    },
  };
  const plugin = limitRanger(() => [limitRange]);

  it('compares requests and limits across suffixes', () => {
    const ok = pod('ok', { requests: { cpu: '0.1' }, limits: { cpu: '200m', memory: '1024Mi' } });
    expect(() => plugin.validate?.(createPod(ok))).not.toThrow();
    const bad = pod('bad', { requests: { cpu: '50m' }, limits: { cpu: '150m', memory: '1.5Gi' } });
    expect(rejection(() => plugin.validate?.(createPod(bad)))).toBe(
      '403 pods "bad" is forbidden: [minimum cpu usage per Container is 100m, but request is 50m, maximum memory usage per Container is 1Gi, but limit is 1.5Gi, cpu max limit to request ratio per Container is 2, but provided ratio is 3.000000]',
    );
  });
});
