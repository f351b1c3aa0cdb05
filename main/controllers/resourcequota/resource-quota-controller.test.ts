import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../api/types.ts';
import { eventually, startTestCluster, type TestCluster } from '../testing/cluster.ts';
import {
  RESOURCE_QUOTAS,
  ResourceQuotaController,
  resourceFor,
} from './resource-quota-controller.ts';

const PODS = { group: '', version: 'v1', resource: 'pods' };
const CONFIGMAPS = { group: '', version: 'v1', resource: 'configmaps' };
const SERVICES = { group: '', version: 'v1', resource: 'services' };
const PVCS = { group: '', version: 'v1', resource: 'persistentvolumeclaims' };
const DEPLOYMENTS = { group: 'apps', version: 'v1', resource: 'deployments' };

function pod(name: string, cpu: string, memory: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: {
      containers: [
        {
          name: 'c',
          image: 'nginx',
          resources: { requests: { cpu, memory }, limits: { cpu: '1', memory: '1Gi' } },
        },
      ],
    },
  };
}

function used(quota: KubeObject | undefined): Record<string, string> | undefined {
  return (quota?.status as { used?: Record<string, string> } | undefined)?.used;
}

describe('resourceFor', () => {
  it('maps quota names to the resource they measure', () => {
    expect(resourceFor('requests.cpu')?.plural).toBe('pods');
    expect(resourceFor('requests.storage')?.plural).toBe('persistentvolumeclaims');
    expect(resourceFor('count/deployments.apps')?.kind).toBe('Deployment');
    expect(resourceFor('count/configmaps')?.kind).toBe('ConfigMap');
    expect(resourceFor('count/widgets.example.com')).toBeUndefined();
  });
});

describe('ResourceQuotaController', () => {
  let cluster: TestCluster;
  let controller: ResourceQuotaController;

  beforeEach(async () => {
    cluster = await startTestCluster();
    controller = new ResourceQuotaController(cluster.context('resourcequota-controller'));
    controller.start();
    cluster.informers.start();
  });

  afterEach(async () => {
    await controller.stop();
    await cluster.stop();
  });

  it('reports hard and current usage, and follows changes', async () => {
    const hard = {
      pods: '10',
      'requests.cpu': '4',
      'requests.memory': '4Gi',
      'limits.memory': '8Gi',
      configmaps: '5',
      'requests.storage': '10Gi',
      persistentvolumeclaims: '3',
      'count/deployments.apps': '2',
      services: '4',
    };
    await cluster.client.create(PODS, 'default', pod('a', '250m', '512Mi'));
    await cluster.client.create(PODS, 'default', pod('b', '500m', '512Mi'));
    await cluster.client.create(PVCS, 'default', {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'data' },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1500Mi' } } },
    });
    await cluster.client.create(DEPLOYMENTS, 'default', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: {
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'c', image: 'nginx' }] },
        },
      },
    });
    await cluster.client.create(RESOURCE_QUOTAS, 'default', {
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: { name: 'q' },
      spec: { hard },
    });
    const quota = await eventually(
      () => {
        const q = cluster.client.tryGet(RESOURCE_QUOTAS, 'default', 'q');
        return used(q)?.pods === '2' ? q : undefined;
      },
      5000,
      'quota status',
    );
    expect((quota.status as { hard?: unknown }).hard).toEqual(hard);
    const before = used(quota)!;
    expect(before).toMatchObject({
      pods: '2',
      'requests.cpu': '750m',
      'requests.memory': '1Gi',
      'limits.memory': '2Gi',
      'requests.storage': '1500Mi',
      persistentvolumeclaims: '1',
      'count/deployments.apps': '1',
    });
    // The control plane's own objects in default (the kubernetes Service, kube-root-ca.crt) count too.
    const configmaps = cluster.client.list(CONFIGMAPS, 'default').items.length;
    expect(before.configmaps).toBe(String(configmaps));
    const services = cluster.client.list(SERVICES, 'default').items.length;
    expect(before.services).toBe(String(services));

    await cluster.client.create(CONFIGMAPS, 'default', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'extra' },
      data: {},
    });
    await cluster.client.delete(PODS, 'default', 'a', { gracePeriodSeconds: 0 });
    await eventually(
      () => {
        const u = used(cluster.client.tryGet(RESOURCE_QUOTAS, 'default', 'q'));
        return (
          u?.pods === '1' && u.configmaps === String(configmaps + 1) && u['requests.cpu'] === '500m'
        );
      },
      5000,
      'usage after changes',
    );
  });

  it('counts only pods in the quota scopes', async () => {
    await cluster.client.create(PODS, 'default', pod('burstable', '100m', '64Mi'));
    await cluster.client.create(PODS, 'default', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'besteffort' },
      spec: { containers: [{ name: 'c', image: 'nginx' }] },
    });
    const scoped = (name: string, scopes: string[]) =>
      cluster.client.create(RESOURCE_QUOTAS, 'default', {
        apiVersion: 'v1',
        kind: 'ResourceQuota',
        metadata: { name },
        spec: { hard: { pods: '5' }, scopes },
      });
    await scoped('best', ['BestEffort']);
    await scoped('notbest', ['NotBestEffort']);
    await scoped('terminating', ['Terminating']);
    await eventually(
      () =>
        ['best', 'notbest', 'terminating'].every(
          (n) => used(cluster.client.tryGet(RESOURCE_QUOTAS, 'default', n)) !== undefined,
        ),
      5000,
      'scoped quota status',
    );
    expect(used(cluster.client.get(RESOURCE_QUOTAS, 'default', 'best'))).toEqual({ pods: '1' });
    expect(used(cluster.client.get(RESOURCE_QUOTAS, 'default', 'notbest'))).toEqual({ pods: '1' });
    expect(used(cluster.client.get(RESOURCE_QUOTAS, 'default', 'terminating'))).toEqual({
      pods: '0',
    });
  });
});
