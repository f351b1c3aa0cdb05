import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../api/types.ts';
import { eventually, startTestCluster, type TestCluster } from '../testing/cluster.ts';
import {
  DEFAULT_STORAGE_CLASS,
  PERSISTENT_VOLUME_CLAIMS,
  PERSISTENT_VOLUMES,
  PersistentVolumeController,
  STORAGE_CLASSES,
  defaultStorageClassFor,
} from './persistent-volume-controller.ts';

const EVENTS = { group: '', version: 'v1', resource: 'events' };

function claim(name: string, spec: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, ...spec },
  };
}

function phase(object: KubeObject | undefined): unknown {
  return (object?.status as { phase?: string } | undefined)?.phase;
}

describe('defaultStorageClassFor', () => {
  const sc = (name: string, isDefault: boolean, created: string): KubeObject => ({
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: {
      name,
      creationTimestamp: created,
      annotations: isDefault ? { 'storageclass.kubernetes.io/is-default-class': 'true' } : {},
    },
  });
  it('gives the newest default class to a claim without a class only', () => {
    const classes = [
      sc('old', true, '2024-01-01T00:00:00Z'),
      sc('new', true, '2025-01-01T00:00:00Z'),
      sc('other', false, '2026-01-01T00:00:00Z'),
    ];
    expect(defaultStorageClassFor(claim('a'), classes)).toBe('new');
    expect(defaultStorageClassFor(claim('a', { storageClassName: '' }), classes)).toBeUndefined();
    expect(defaultStorageClassFor(claim('a', { storageClassName: 'x' }), classes)).toBeUndefined();
    expect(defaultStorageClassFor(claim('a'), [classes[2]])).toBeUndefined();
  });
});

describe('PersistentVolumeController', () => {
  let cluster: TestCluster;
  let controller: PersistentVolumeController;

  beforeEach(async () => {
    cluster = await startTestCluster();
    // Every cluster bootstraps the default class, exactly this object.
    expect(cluster.client.get(STORAGE_CLASSES, '', 'standard')).toMatchObject({
      provisioner: DEFAULT_STORAGE_CLASS.provisioner,
      metadata: { annotations: DEFAULT_STORAGE_CLASS.metadata.annotations },
    });
    controller = new PersistentVolumeController(cluster.context('persistentvolume-controller'));
    controller.start();
    cluster.informers.start();
  });

  afterEach(async () => {
    await controller.stop();
    await cluster.stop();
  });

  const getClaim = (name: string) =>
    cluster.client.tryGet(PERSISTENT_VOLUME_CLAIMS, 'default', name);

  it('provisions and binds a volume for a claim of class standard', async () => {
    const created = await cluster.client.create(
      PERSISTENT_VOLUME_CLAIMS,
      'default',
      claim('data', { storageClassName: 'standard' }),
    );
    const bound = await eventually(
      () => {
        const c = getClaim('data');
        return phase(c) === 'Bound' ? c : undefined;
      },
      10_000,
      'claim bound',
    );
    const pvName = `pvc-${created.metadata.uid}`;
    expect(bound.spec).toMatchObject({ volumeName: pvName });
    expect(bound.status).toMatchObject({
      accessModes: ['ReadWriteOnce'],
      capacity: { storage: '1Gi' },
    });
    expect(bound.metadata.annotations).toMatchObject({
      'pv.kubernetes.io/bind-completed': 'yes',
      'pv.kubernetes.io/bound-by-controller': 'yes',
      'volume.kubernetes.io/storage-provisioner': 'skiff.dev/docker-volume',
    });
    const pv = await eventually(() => {
      const v = cluster.client.tryGet(PERSISTENT_VOLUMES, '', pvName);
      return phase(v) === 'Bound' ? v : undefined;
    });
    expect(pv.metadata.annotations).toMatchObject({
      'pv.kubernetes.io/provisioned-by': 'skiff.dev/docker-volume',
    });
    expect(pv.spec).toMatchObject({
      capacity: { storage: '1Gi' },
      accessModes: ['ReadWriteOnce'],
      persistentVolumeReclaimPolicy: 'Delete',
      storageClassName: 'standard',
      csi: { driver: 'docker-volume.skiff.dev', volumeHandle: pvName },
      claimRef: { kind: 'PersistentVolumeClaim', namespace: 'default', name: 'data' },
    });
    await eventually(
      () =>
        cluster.client
          .list(EVENTS, 'default')
          .items.some(
            (e) =>
              e.reason === 'ProvisioningSucceeded' &&
              e.message === `Successfully provisioned volume ${pvName}`,
          ),
      5000,
      'ProvisioningSucceeded event',
    );

    // Delete reclaim: the claim goes, its volume is released and deleted.
    await cluster.client.delete(PERSISTENT_VOLUME_CLAIMS, 'default', 'data');
    await eventually(
      () => !cluster.client.tryGet(PERSISTENT_VOLUMES, '', pvName),
      10_000,
      'provisioned volume deleted',
    );
  });

  it('gives a claim without a class the default class and binds it', async () => {
    const plain = claim('noclass');
    const sc = defaultStorageClassFor(plain, cluster.client.list(STORAGE_CLASSES).items);
    expect(sc).toBe('standard');
    await cluster.client.create(PERSISTENT_VOLUME_CLAIMS, 'default', {
      ...plain,
      spec: { ...(plain.spec as object), storageClassName: sc },
    });
    // And the controller's retroactive rule for a claim admitted without one.
    await cluster.client.create(PERSISTENT_VOLUME_CLAIMS, 'default', claim('late'));
    for (const name of ['noclass', 'late']) {
      const c = await eventually(
        () => {
          const found = getClaim(name);
          return phase(found) === 'Bound' ? found : undefined;
        },
        10_000,
        `${name} bound`,
      );
      expect(c.spec).toMatchObject({ storageClassName: 'standard' });
    }
  });

  it('binds a static volume to a matching claim and keeps it Released on Retain', async () => {
    const staticPv = (name: string, storage: string, labels: Record<string, string>) =>
      cluster.client.create(PERSISTENT_VOLUMES, '', {
        apiVersion: 'v1',
        kind: 'PersistentVolume',
        metadata: { name, labels },
        spec: {
          capacity: { storage },
          accessModes: ['ReadWriteOnce', 'ReadOnlyMany'],
          persistentVolumeReclaimPolicy: 'Retain',
          storageClassName: 'manual',
          hostPath: { path: `/data/${name}` },
        },
      });
    await staticPv('small', '1Gi', { tier: 'gold' });
    await staticPv('big', '10Gi', { tier: 'gold' });
    await staticPv('other', '1Gi', { tier: 'silver' });
    await eventually(
      () => phase(cluster.client.tryGet(PERSISTENT_VOLUMES, '', 'small')) === 'Available',
      5000,
      'static volume Available',
    );
    await cluster.client.create(
      PERSISTENT_VOLUME_CLAIMS,
      'default',
      claim('static', {
        storageClassName: 'manual',
        resources: { requests: { storage: '500Mi' } },
        selector: { matchLabels: { tier: 'gold' } },
      }),
    );
    const bound = await eventually(() => {
      const c = getClaim('static');
      return phase(c) === 'Bound' ? c : undefined;
    });
    // The smallest volume that satisfies class, size, modes and selector.
    expect(bound.spec).toMatchObject({ volumeName: 'small' });
    expect(bound.status).toMatchObject({ capacity: { storage: '1Gi' } });
    await eventually(
      () => phase(cluster.client.tryGet(PERSISTENT_VOLUMES, '', 'small')) === 'Bound',
    );
    expect(phase(cluster.client.tryGet(PERSISTENT_VOLUMES, '', 'other'))).toBe('Available');

    await cluster.client.delete(PERSISTENT_VOLUME_CLAIMS, 'default', 'static');
    await eventually(
      () => phase(cluster.client.tryGet(PERSISTENT_VOLUMES, '', 'small')) === 'Released',
      10_000,
      'volume Released',
    );
    await new Promise((r) => setTimeout(r, 200));
    expect(phase(cluster.client.tryGet(PERSISTENT_VOLUMES, '', 'small'))).toBe('Released');
  });

  it('leaves a claim Pending when nothing matches and it has no class', async () => {
    await cluster.client.create(
      PERSISTENT_VOLUME_CLAIMS,
      'default',
      claim('nothing', { storageClassName: '' }),
    );
    await eventually(
      () => cluster.client.list(EVENTS, 'default').items.some((e) => e.reason === 'FailedBinding'),
      5000,
      'FailedBinding event',
    );
    expect(phase(getClaim('nothing'))).toBe('Pending');
  });

  it('honours a volume pre-bound to a claim by name and a claim naming its volume', async () => {
    const volume = (name: string, claimRef?: Record<string, string>) =>
      cluster.client.create(PERSISTENT_VOLUMES, '', {
        apiVersion: 'v1',
        kind: 'PersistentVolume',
        metadata: { name },
        spec: {
          capacity: { storage: '5Gi' },
          accessModes: ['ReadWriteOnce'],
          persistentVolumeReclaimPolicy: 'Retain',
          storageClassName: 'manual',
          hostPath: { path: `/data/${name}` },
          ...(claimRef && { claimRef }),
        },
      });
    await volume('reserved', { namespace: 'default', name: 'wants-reserved' });
    await volume('named');
    await cluster.client.create(
      PERSISTENT_VOLUME_CLAIMS,
      'default',
      claim('names-it', { storageClassName: 'manual', volumeName: 'named' }),
    );
    await cluster.client.create(
      PERSISTENT_VOLUME_CLAIMS,
      'default',
      claim('wants-reserved', { storageClassName: 'manual' }),
    );
    const namesIt = await eventually(() => {
      const c = getClaim('names-it');
      return phase(c) === 'Bound' ? c : undefined;
    });
    // The user chose the volume: bind-completed, but not bound-by-controller.
    expect(namesIt.metadata.annotations?.['pv.kubernetes.io/bind-completed']).toBe('yes');
    expect(namesIt.metadata.annotations?.['pv.kubernetes.io/bound-by-controller']).toBeUndefined();
    const wants = await eventually(() => {
      const c = getClaim('wants-reserved');
      return phase(c) === 'Bound' ? c : undefined;
    });
    expect(wants.spec).toMatchObject({ volumeName: 'reserved' });
    // A claim naming a volume that cannot serve it stays Pending with VolumeMismatch.
    await volume('tiny');
    await cluster.client.create(
      PERSISTENT_VOLUME_CLAIMS,
      'default',
      claim('too-big', {
        storageClassName: 'manual',
        volumeName: 'tiny',
        resources: { requests: { storage: '50Gi' } },
      }),
    );
    await eventually(
      () =>
        cluster.client
          .list(EVENTS, 'default')
          .items.some(
            (e) =>
              e.reason === 'VolumeMismatch' &&
              e.message === 'Cannot bind to requested volume "tiny": requested PV is too small',
          ),
      5000,
      'VolumeMismatch event',
    );
    expect(phase(getClaim('too-big'))).toBe('Pending');
    const reserved = cluster.client.get(PERSISTENT_VOLUMES, '', 'reserved');
    expect(reserved.spec).toMatchObject({ claimRef: { uid: wants.metadata.uid } });
  });
});
