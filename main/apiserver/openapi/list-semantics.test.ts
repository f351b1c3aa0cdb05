import { describe, expect, it } from 'vitest';
import {
  definitionsWithFieldSemantics,
  listSemanticsFor,
  listSemanticsOrAtomic,
  structTypeFor,
} from './list-semantics.ts';

describe('listSemanticsFor', () => {
  it('knows the merge keys of the pod spec lists', () => {
    const pod = 'io.k8s.api.core.v1.PodSpec';
    expect(listSemanticsFor(pod, 'containers')).toEqual({
      patchStrategy: 'merge',
      patchMergeKey: 'name',
      listType: 'map',
      listMapKeys: ['name'],
    });
    expect(listSemanticsFor(pod, 'volumes')?.patchStrategy).toBe('merge,retainKeys');
    expect(listSemanticsFor(pod, 'imagePullSecrets')?.patchMergeKey).toBe('name');
    expect(listSemanticsFor(pod, 'hostAliases')?.patchMergeKey).toBe('ip');
    expect(listSemanticsFor(pod, 'topologySpreadConstraints')?.listMapKeys).toEqual([
      'topologyKey',
      'whenUnsatisfiable',
    ]);
  });

  it('knows container, service and metadata lists', () => {
    const container = 'io.k8s.api.core.v1.Container';
    expect(listSemanticsFor(container, 'ports')).toMatchObject({
      patchMergeKey: 'containerPort',
      listMapKeys: ['containerPort', 'protocol'],
    });
    expect(listSemanticsFor(container, 'volumeMounts')?.patchMergeKey).toBe('mountPath');
    expect(listSemanticsFor(container, 'volumeDevices')?.patchMergeKey).toBe('devicePath');
    expect(listSemanticsFor(container, 'env')?.patchMergeKey).toBe('name');
    expect(listSemanticsFor('io.k8s.api.core.v1.EphemeralContainer', 'env')?.patchMergeKey).toBe(
      'name',
    );
    expect(listSemanticsFor('io.k8s.api.core.v1.ServiceSpec', 'ports')).toMatchObject({
      patchMergeKey: 'port',
      listMapKeys: ['port', 'protocol'],
    });
    const meta = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';
    expect(listSemanticsFor(meta, 'ownerReferences')?.patchMergeKey).toBe('uid');
    expect(listSemanticsFor(meta, 'finalizers')).toEqual({
      patchStrategy: 'merge',
      listType: 'set',
    });
    expect(
      listSemanticsFor('io.k8s.api.apps.v1.DeploymentStatus', 'conditions')?.patchMergeKey,
    ).toBe('type');
    expect(listSemanticsFor('io.k8s.api.apps.v1.DeploymentSpec', 'strategy')).toEqual({
      patchStrategy: 'retainKeys',
    });
  });

  it('treats other lists as atomic', () => {
    expect(listSemanticsFor('io.k8s.api.core.v1.PodSpec', 'tolerations')).toBeUndefined();
    expect(listSemanticsFor('io.k8s.api.core.v1.Container', 'args')).toBeUndefined();
    expect(listSemanticsOrAtomic('io.k8s.api.core.v1.Container', 'envFrom')).toEqual({
      listType: 'atomic',
    });
    expect(listSemanticsFor('io.k8s.api.core.v1.PodSpec', 'toString')).toBeUndefined();
    expect(listSemanticsFor('no.such.Type', 'containers')).toBeUndefined();
  });

  it('marks atomic structs and lists the definitions it covers', () => {
    expect(structTypeFor('io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector')).toBe('atomic');
    expect(structTypeFor('io.k8s.api.core.v1.PodSpec')).toBeUndefined();
    expect(definitionsWithFieldSemantics()).toContain('io.k8s.api.core.v1.PodSpec');
  });
});
