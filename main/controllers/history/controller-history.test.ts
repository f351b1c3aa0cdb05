import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../api/types.ts';
import {
  hashRevisionData,
  revisionName,
  revisionTemplate,
  sortRevisions,
  templatePatch,
} from './controller-history.ts';

const owner: KubeObject = {
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: { name: 'web' },
  spec: {
    replicas: 3,
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [] } },
  },
};

describe('controller history', () => {
  it('stores only the template, marked for replacement, and reads it back', () => {
    const data = templatePatch(owner);
    expect(data).toEqual({
      spec: {
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [] },
          $patch: 'replace',
        },
      },
    });
    const revision: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'ControllerRevision',
      metadata: {},
      data,
    };
    expect(revisionTemplate(revision)).toEqual({
      metadata: { labels: { app: 'web' } },
      spec: { containers: [] },
    });
  });

  it('hashes data deterministically and differently per collision count', () => {
    const data = templatePatch(owner);
    expect(hashRevisionData(data)).toBe(hashRevisionData(structuredClone(data)));
    expect(hashRevisionData(data)).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]+$/);
    expect(hashRevisionData(data, 1)).not.toBe(hashRevisionData(data));
    expect(revisionName('x'.repeat(300), 'abc')).toBe(`${'x'.repeat(223)}-abc`);
  });

  it('sorts by revision number', () => {
    const r = (name: string, revision: number): KubeObject => ({
      apiVersion: 'apps/v1',
      kind: 'ControllerRevision',
      metadata: { name },
      revision,
    });
    expect(sortRevisions([r('c', 3), r('a', 1), r('b', 2)]).map((x) => x.metadata.name)).toEqual([
      'a',
      'b',
      'c',
    ]);
  });
});
