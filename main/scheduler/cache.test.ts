import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../api/types.ts';
import { SchedulerCache } from './cache.ts';
import { buildNodeInfo, isActiveAssignedPod, podSpec, type NodeInfo } from './node-info.ts';
import { node, pod } from './test-fixtures.ts';

/** The NodeInfo of every node computed from scratch, as the scheduler did before the cache. */
function fromScratch(
  nodes: KubeObject[],
  informer: Map<string, KubeObject>,
  assumed: Map<string, KubeObject>,
): NodeInfo[] {
  const byNode = new Map<string, KubeObject[]>();
  for (const [key, cached] of informer) {
    const p = !podSpec(cached).nodeName ? (assumed.get(key) ?? cached) : cached;
    if (!isActiveAssignedPod(p)) continue;
    const list = byNode.get(podSpec(p).nodeName!) ?? [];
    list.push(p);
    byNode.set(podSpec(p).nodeName!, list);
  }
  return nodes.map((n) => buildNodeInfo(n, byNode.get(n.metadata.name!) ?? []));
}

/** NodeInfo in a form where pod order does not matter. */
function comparable(info: NodeInfo) {
  const names = (pods: KubeObject[]) => pods.map((p) => p.metadata.name).sort();
  return {
    ...info,
    pods: names(info.pods),
    podsWithAffinity: names(info.podsWithAffinity),
    usedPorts: info.usedPorts.map((p) => `${p.ip}/${p.protocol}/${p.port}`).sort(),
  };
}

/** A small deterministic random generator, so a failure can be replayed. */
function rng(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s / 0x7fffffff;
  };
}

describe('SchedulerCache', () => {
  it('counts assumed pods until the informer shows the binding, and forgets failed ones', () => {
    const cache = new SchedulerCache();
    const nodes = [node('a'), node('b')];
    const pending = pod('p', { cpu: '500m' });
    cache.setPod('default/p', pending);
    expect(cache.snapshot(nodes).map((i) => i.pods.length)).toEqual([0, 0]);

    cache.assume('default/p', { ...pending, spec: { ...podSpec(pending), nodeName: 'b' } });
    let [a, b] = cache.snapshot(nodes);
    expect(cache.isAssumed('default/p')).toBe(true);
    expect([a.pods.length, b.pods.length]).toEqual([0, 1]);
    expect(b.requested.milliCPU).toBe(500);

    cache.forget('default/p');
    [a, b] = cache.snapshot(nodes);
    expect(a.pods).toEqual([]);
    expect(b.pods).toEqual([]);
    expect(b.requested.milliCPU).toBe(0);

    cache.assume('default/p', { ...pending, spec: { ...podSpec(pending), nodeName: 'a' } });
    cache.setPod('default/p', pod('p', { cpu: '500m' }, {}, 'a'));
    expect(cache.isAssumed('default/p')).toBe(false);
    [a, b] = cache.snapshot(nodes);
    expect(a.requested.milliCPU).toBe(500);
    expect(b.requested.milliCPU).toBe(0);

    // A finished pod no longer counts; a deleted one neither.
    cache.setPod('default/p', {
      ...pod('p', { cpu: '500m' }, {}, 'a'),
      status: { phase: 'Failed' },
    });
    expect(cache.snapshot(nodes)[0].requested.milliCPU).toBe(0);
    cache.setPod('default/q', pod('q', { cpu: '1' }, {}, 'a'));
    cache.deletePod('default/q');
    expect(cache.snapshot(nodes)[0].pods).toEqual([]);
  });

  it('keeps the NodeInfo of nodes whose node object and pods did not change', () => {
    const cache = new SchedulerCache();
    const nodes = [node('a'), node('b')];
    cache.setPod('default/x', pod('x', { cpu: '100m' }, {}, 'a'));
    const first = cache.snapshot(nodes);
    cache.setPod('default/y', pod('y', { cpu: '100m' }, {}, 'b'));
    const second = cache.snapshot(nodes);
    expect(second[0]).toBe(first[0]);
    expect(second[1]).not.toBe(first[1]);
    // A new node object (a heartbeat) keeps the pods' list, so per-list memos stay valid.
    const third = cache.snapshot([node('a'), nodes[1]]);
    expect(third[0]).not.toBe(second[0]);
    expect(third[0].pods).toBe(second[0].pods);
    expect(third[1]).toBe(second[1]);
  });

  it('gives the same NodeInfo as a rebuild from scratch after any sequence of events', () => {
    const random = rng(7);
    const pick = <T>(xs: T[]): T => xs[Math.floor(random() * xs.length)];
    const nodeNames = ['n1', 'n2', 'n3'];
    let nodes = nodeNames.map((n) => node(n, { cpu: '8' }));
    const cache = new SchedulerCache();
    const informer = new Map<string, KubeObject>();
    const assumed = new Map<string, KubeObject>();
    const variant = (name: string, nodeName?: string): KubeObject => {
      const spec: Record<string, unknown> = { cpu: pick(['100m', '250m', '1']) };
      if (random() < 0.2)
        spec.ports = [{ containerPort: 80, hostPort: 8000 + Math.floor(random() * 3) }];
      if (random() < 0.2)
        spec.affinity = {
          podAntiAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: [
              {
                labelSelector: { matchLabels: { app: 'x' } },
                topologyKey: 'kubernetes.io/hostname',
              },
            ],
          },
        };
      const p = pod(name, spec, { app: 'x' }, nodeName);
      if (random() < 0.1) p.status = { phase: pick(['Succeeded', 'Failed']) };
      return p;
    };
    for (let step = 0; step < 3000; step++) {
      const name = `p${Math.floor(random() * 25)}`;
      const key = `default/${name}`;
      const r = random();
      if (r < 0.45) {
        const p = variant(name, random() < 0.6 ? pick(nodeNames) : undefined);
        informer.set(key, p);
        if (podSpec(p).nodeName) assumed.delete(key);
        cache.setPod(key, p);
      } else if (r < 0.55) {
        informer.delete(key);
        assumed.delete(key);
        cache.deletePod(key);
      } else if (r < 0.75) {
        const p = variant(name, pick(nodeNames));
        assumed.set(key, p);
        cache.assume(key, p);
      } else if (r < 0.85) {
        assumed.delete(key);
        cache.forget(key);
      } else if (r < 0.9) {
        nodes = nodes.map((n) => (random() < 0.5 ? node(n.metadata.name!, { cpu: '8' }) : n));
      }
      if (random() < 0.3) {
        const got = cache.snapshot(nodes).map(comparable);
        expect(got).toEqual(fromScratch(nodes, informer, assumed).map(comparable));
      }
    }
  });
});
