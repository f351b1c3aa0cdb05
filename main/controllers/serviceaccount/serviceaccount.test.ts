import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventually, startTestCluster, type TestCluster } from '../testing/cluster.ts';
import { ServiceAccountsController } from './service-account-controller.ts';
import {
  DESCRIPTION_ANNOTATION,
  ROOT_CA_CONFIGMAP,
  ROOT_CA_DESCRIPTION,
  RootCaPublisher,
} from './root-ca-publisher.ts';

const NS = { group: '', version: 'v1', resource: 'namespaces' };
const SA = { group: '', version: 'v1', resource: 'serviceaccounts' };
const CM = { group: '', version: 'v1', resource: 'configmaps' };

let cluster: TestCluster;
let accounts: ServiceAccountsController;
let publisher: RootCaPublisher;

beforeEach(async () => {
  cluster = await startTestCluster();
  accounts = new ServiceAccountsController(cluster.context('service-account-controller'));
  publisher = new RootCaPublisher(cluster.context('root-ca-cert-publisher'), {
    caCertPem: cluster.plane.pki.caCertPem,
  });
  accounts.start();
  publisher.start();
  cluster.informers.start();
});

afterEach(async () => {
  await accounts.stop();
  await publisher.stop();
  await cluster.stop();
});

async function namespace(name: string) {
  await cluster.client.create(NS, '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
}

describe('ServiceAccountsController', () => {
  it('creates default in existing and new namespaces and recreates it when deleted', async () => {
    await eventually(() => cluster.client.tryGet(SA, 'kube-system', 'default'), 5000, 'system');
    await namespace('team');
    const first = await eventually(() => cluster.client.tryGet(SA, 'team', 'default'));
    await cluster.client.delete(SA, 'team', 'default');
    const second = await eventually(() => {
      const sa = cluster.client.tryGet(SA, 'team', 'default');
      return sa && sa.metadata.uid !== first.metadata.uid ? sa : undefined;
    });
    expect(second.metadata.name).toBe('default');
  });

  it('does not recreate it in a terminating namespace', async () => {
    await namespace('closing');
    await eventually(() => cluster.client.tryGet(SA, 'closing', 'default'));
    // A finalizer keeps the namespace Terminating while we watch.
    await cluster.client.create(CM, 'closing', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'held', finalizers: ['example.com/hold'] },
    });
    await cluster.client.delete(NS, '', 'closing');
    await eventually(() => !cluster.client.tryGet(SA, 'closing', 'default'), 5000, 'sa removed');
    await new Promise((r) => setTimeout(r, 200));
    expect(cluster.client.tryGet(SA, 'closing', 'default')).toBeUndefined();
  });
});

describe('RootCaPublisher', () => {
  it('publishes the CA in every namespace and puts it back after edits and deletes', async () => {
    const ca = cluster.plane.pki.caCertPem;
    await namespace('team');
    const cm = await eventually(() => cluster.client.tryGet(CM, 'team', ROOT_CA_CONFIGMAP));
    expect(cm.data).toEqual({ 'ca.crt': ca });
    expect(cm.metadata.annotations?.[DESCRIPTION_ANNOTATION]).toBe(ROOT_CA_DESCRIPTION);
    expect(cluster.client.tryGet(CM, 'kube-public', ROOT_CA_CONFIGMAP)).toBeDefined();

    await cluster.client.update(CM, 'team', {
      ...cm,
      metadata: { ...cm.metadata, annotations: {} },
      data: { 'ca.crt': 'tampered', extra: 'x' },
    });
    await eventually(
      () => {
        const now = cluster.client.tryGet(CM, 'team', ROOT_CA_CONFIGMAP);
        return (
          now?.data !== undefined &&
          JSON.stringify(now.data) === JSON.stringify({ 'ca.crt': ca }) &&
          now.metadata.annotations?.[DESCRIPTION_ANNOTATION] === ROOT_CA_DESCRIPTION
        );
      },
      5000,
      'restored content',
    );

    await cluster.client.delete(CM, 'team', ROOT_CA_CONFIGMAP);
    const again = await eventually(() => cluster.client.tryGet(CM, 'team', ROOT_CA_CONFIGMAP));
    expect(again.metadata.uid).not.toBe(cm.metadata.uid);
  });
});
