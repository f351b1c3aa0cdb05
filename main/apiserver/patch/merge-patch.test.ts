import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../api/types.ts';
import { StatusError } from '../../api/status.ts';
import { applyMergePatch } from './merge-patch.ts';

const deployment = (): JsonObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', labels: { app: 'web', tier: 'fe' } },
  spec: { replicas: 1, template: { spec: { containers: [{ name: 'a', image: 'x:1' }] } } },
});

describe('applyMergePatch', () => {
  it('merges objects recursively and deletes members set to null', () => {
    const out = applyMergePatch(deployment(), {
      metadata: { labels: { tier: null, env: 'prod' } },
      spec: { replicas: 3 },
    }) as JsonObject;
    expect(out.metadata).toEqual({ name: 'web', labels: { app: 'web', env: 'prod' } });
    expect((out.spec as JsonObject).replicas).toBe(3);
    expect((out.spec as JsonObject).template).toEqual({
      spec: { containers: [{ name: 'a', image: 'x:1' }] },
    });
  });

  it('replaces arrays whole', () => {
    const out = applyMergePatch(deployment(), {
      spec: { template: { spec: { containers: [{ name: 'b', image: 'y' }] } } },
    }) as JsonObject;
    expect(out.spec).toEqual({
      replicas: 1,
      template: { spec: { containers: [{ name: 'b', image: 'y' }] } },
    });
  });

  it('removes a ConfigMap key the way kubectl asks for it', () => {
    const out = applyMergePatch({ data: { k: 'v', keep: 'y' } }, { data: { k: null } });
    expect(out).toEqual({ data: { keep: 'y' } });
  });

  it('drops nulls inside newly added objects', () => {
    const out = applyMergePatch({ a: 1 }, { b: { c: null, d: { e: null, f: 1 } } });
    expect(out).toEqual({ a: 1, b: { d: { f: 1 } } });
  });

  it('replaces a scalar with an object, and an object with a scalar', () => {
    expect(applyMergePatch({ a: 'x' }, { a: { b: 1, c: null } })).toEqual({ a: { b: 1 } });
    expect(applyMergePatch({ a: { b: 1 } }, { a: 'x' })).toEqual({ a: 'x' });
  });

  it('does not modify its inputs', () => {
    const input = deployment();
    const patch: JsonObject = { metadata: { labels: { app: null } } };
    const before = JSON.stringify([input, patch]);
    applyMergePatch(input, patch);
    expect(JSON.stringify([input, patch])).toBe(before);
  });

  it('answers 400 Invalid JSON Patch for a null or scalar patch', () => {
    for (const bad of [null, 'x', 3, true]) {
      let err: unknown;
      try {
        applyMergePatch(deployment(), bad);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(StatusError);
      expect((err as StatusError).code).toBe(400);
      expect((err as StatusError).message).toBe('Invalid JSON Patch');
    }
  });

  it('returns an array patch as the document (the caller then fails to decode it)', () => {
    expect(applyMergePatch(deployment(), [{ a: null, b: 1 }])).toEqual([{ b: 1 }]);
  });
});
