import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../api/types.ts';
import {
  REVISION,
  REVISION_HISTORY,
  DESIRED_REPLICAS,
  MAX_REPLICAS,
  computeHash,
  equalIgnoreHash,
  maxSurge,
  maxUnavailable,
  resolveFenceposts,
  safeEncodeString,
  setNewReplicaSetAnnotations,
} from './deployment-util.ts';

const template = {
  metadata: { labels: { app: 'web' } },
  spec: { containers: [{ name: 'c', image: 'nginx:1' }] },
};

function deployment(strategy: unknown, replicas = 10): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', annotations: { 'kubernetes.io/change-cause': 'v2', [REVISION]: '9' } },
    spec: { replicas, strategy, template },
  };
}

describe('computeHash', () => {
  it('is stable, SafeEncodeString-shaped, key-order independent and salted by collisionCount', () => {
    const hash = computeHash(template);
    expect(hash).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{6,10}$/);
    expect(computeHash(structuredClone(template))).toBe(hash);
    expect(computeHash({ spec: template.spec, metadata: template.metadata })).toBe(hash);
    expect(computeHash(template, 1)).not.toBe(hash);
    expect(
      computeHash({ ...template, spec: { containers: [{ name: 'c', image: 'nginx:2' }] } }),
    ).not.toBe(hash);
  });
  it('encodes digits like apimachinery SafeEncodeString', () => {
    // '0' is byte 48 → 48 % 27 = 21 → '4'; '9' is 57 → 3 → 'f'.
    expect(safeEncodeString('09')).toBe('4f');
  });
  it('ignores only the pod-template-hash label when comparing templates', () => {
    const hashed = structuredClone(template) as typeof template & {
      metadata: { labels: Record<string, string> };
    };
    hashed.metadata.labels['pod-template-hash'] = 'abc';
    expect(equalIgnoreHash(template, hashed)).toBe(true);
    hashed.metadata.labels.extra = 'x';
    expect(equalIgnoreHash(template, hashed)).toBe(false);
  });
});

describe('fenceposts', () => {
  it('rounds surge up and unavailable down, and never lets both be zero', () => {
    expect(resolveFenceposts('25%', '25%', 10)).toEqual({ surge: 3, unavailable: 2 });
    expect(resolveFenceposts(0, 0, 10)).toEqual({ surge: 0, unavailable: 1 });
    expect(resolveFenceposts('10%', '10%', 3)).toEqual({ surge: 1, unavailable: 0 });
  });
  it('is zero for Recreate and caps unavailable at replicas', () => {
    expect(maxSurge(deployment({ type: 'Recreate' }))).toBe(0);
    expect(maxUnavailable(deployment({ type: 'Recreate' }))).toBe(0);
    const rolling = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 5 } };
    expect(maxUnavailable(deployment(rolling, 3))).toBe(3);
    expect(maxSurge(deployment(rolling, 3))).toBe(1);
  });
});

describe('setNewReplicaSetAnnotations', () => {
  it('copies annotations, sets revision and replica annotations on a new set', () => {
    const rs: KubeObject = { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: {} };
    const d = deployment({ type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%' } });
    expect(setNewReplicaSetAnnotations(d, rs, 3, false)).toBe(true);
    expect(rs.metadata.annotations).toEqual({
      'kubernetes.io/change-cause': 'v2',
      [REVISION]: '3',
      [DESIRED_REPLICAS]: '10',
      [MAX_REPLICAS]: '13',
    });
  });
  it('keeps earlier revisions of a set brought back by rollback', () => {
    const rs: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { annotations: { [REVISION]: '1', 'kubernetes.io/change-cause': 'v2' } },
    };
    const d = deployment({ type: 'RollingUpdate' });
    expect(setNewReplicaSetAnnotations(d, rs, 3, true)).toBe(true);
    expect(rs.metadata.annotations?.[REVISION]).toBe('3');
    expect(rs.metadata.annotations?.[REVISION_HISTORY]).toBe('1');
    // Nothing to do the second time.
    expect(setNewReplicaSetAnnotations(d, rs, 3, true)).toBe(false);
  });
});
