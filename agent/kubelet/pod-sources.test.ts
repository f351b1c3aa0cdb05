import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../main/api/types.ts';
import { podReadsSource } from './pod-sources.ts';

const pod: KubeObject = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'ns' },
  spec: {
    volumes: [
      { name: 'a', configMap: { name: 'cm-volume' } },
      { name: 'b', secret: { secretName: 'secret-volume' } },
      {
        name: 'c',
        projected: {
          sources: [{ configMap: { name: 'cm-projected' } }, { secret: { name: 's-p' } }],
        },
      },
    ],
    initContainers: [{ name: 'i', envFrom: [{ secretRef: { name: 'secret-envfrom' } }] }],
    containers: [
      {
        name: 'c',
        env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'cm-env', key: 'k' } } }],
      },
    ],
    imagePullSecrets: [{ name: 'pull' }],
  },
};

describe('podReadsSource', () => {
  it('finds ConfigMaps and Secrets in volumes, projected sources, env, envFrom and pull secrets', () => {
    for (const name of ['cm-volume', 'cm-projected', 'cm-env'])
      expect(podReadsSource(pod, 'ConfigMap', name)).toBe(true);
    for (const name of ['secret-volume', 's-p', 'secret-envfrom', 'pull'])
      expect(podReadsSource(pod, 'Secret', name)).toBe(true);
  });

  it('does not confuse kinds or match other names', () => {
    expect(podReadsSource(pod, 'Secret', 'cm-volume')).toBe(false);
    expect(podReadsSource(pod, 'ConfigMap', 'secret-volume')).toBe(false);
    expect(podReadsSource(pod, 'ConfigMap', 'other')).toBe(false);
  });
});
