import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../api/types.ts';
import type { AdmissionRequest } from '../../apiserver/registry/rest.ts';
import { BUILTIN_RESOURCES } from '../../apiserver/registry/resources.ts';
import { defaultStorageClassAdmission } from './default-storage-class.ts';
import { DEFAULT_STORAGE_CLASS } from './persistent-volume-controller.ts';

const pvcInfo = BUILTIN_RESOURCES.find((r) => r.kind === 'PersistentVolumeClaim')!;

function request(object: KubeObject, operation: 'CREATE' | 'UPDATE' = 'CREATE'): AdmissionRequest {
  return {
    operation,
    info: pvcInfo,
    namespace: 'default',
    name: object.metadata.name ?? '',
    subresource: '',
    object,
    oldObject: undefined,
    dryRun: false,
    user: { username: 'test', groups: [] },
    warnings: [],
  };
}

const pvc = (spec: Record<string, unknown>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  metadata: { name: 'c' },
  spec,
});

describe('DefaultStorageClass admission', () => {
  const plugin = defaultStorageClassAdmission(() => [DEFAULT_STORAGE_CLASS]);

  it('sets the default class on a created claim without one', async () => {
    const claim = pvc({ accessModes: ['ReadWriteOnce'] });
    await plugin.mutate?.(request(claim));
    expect(claim.spec).toMatchObject({ storageClassName: 'standard' });
  });

  it('keeps an explicit class, even "", and leaves updates alone', async () => {
    const empty = pvc({ storageClassName: '' });
    await plugin.mutate?.(request(empty));
    expect(empty.spec).toEqual({ storageClassName: '' });
    const updated = pvc({});
    await plugin.mutate?.(request(updated, 'UPDATE'));
    expect(updated.spec).toEqual({});
    const none = defaultStorageClassAdmission(() => []);
    const claim = pvc({});
    await none.mutate?.(request(claim));
    expect(claim.spec).toEqual({});
  });
});
