import { describe, expect, it } from 'vitest';
import { metricsSourceFor } from '../../main/apiserver/metrics/metrics-sources.ts';
import { SimulatedUsage } from './simulated-usage.ts';

const annotations = { 'skiff.dev/simulate-cpu': '300m', 'skiff.dev/simulate-memory': '96Mi' };

describe('SimulatedUsage as a metrics source', () => {
  it('splits the pod usage over containers and sums nodes', () => {
    const usage = new SimulatedUsage(() => Date.parse('2026-01-01T00:00:03Z'));
    usage.set({ namespace: 'ns', name: 'a', uid: 'u1', nodeName: 'sim-a' }, annotations, [
      'app',
      'side',
    ]);
    expect(usage.podUsage('ns', 'a', 'u1')?.containers).toEqual([
      { name: 'app', cpuNanoCores: 150_000_000n, memoryBytes: 48n << 20n },
      { name: 'side', cpuNanoCores: 150_000_000n, memoryBytes: 48n << 20n },
    ]);
    // Another incarnation of the pod has no sample yet.
    expect(usage.podUsage('ns', 'a', 'u2')).toBeUndefined();
    expect(usage.nodeUsage('sim-a')).toMatchObject({
      cpuNanoCores: 300_000_000n,
      memoryBytes: 96n << 20n,
      windowSeconds: 10,
    });
  });

  it('serves the nodes it records pods on, and nodes it is told to serve', () => {
    const usage = new SimulatedUsage();
    expect(metricsSourceFor('sim-b')).toBeUndefined();
    usage.set({ namespace: 'ns', name: 'b', uid: 'u', nodeName: 'sim-b' }, annotations, ['app']);
    expect(metricsSourceFor('sim-b')).toBe(usage);
    const empty = usage.serveNode('sim-empty');
    expect(usage.nodeUsage('sim-empty')).toMatchObject({ cpuNanoCores: 0n, memoryBytes: 0n });
    empty.dispose();
    expect(metricsSourceFor('sim-empty')).toBeUndefined();
    expect(usage.nodeUsage('sim-empty')).toBeUndefined();
  });

  it('reports samples every period, none older than the first record', () => {
    let now = Date.parse('2026-01-01T00:00:03Z');
    const usage = new SimulatedUsage(() => now);
    const pod = { namespace: 'ns', name: 'c', uid: 'u', nodeName: 'sim-c' };
    usage.set(pod, annotations, ['app']);
    expect(usage.podUsage('ns', 'c', 'u')?.timestamp).toBe('2026-01-01T00:00:03Z');
    now = Date.parse('2026-01-01T00:00:27Z');
    expect(usage.podUsage('ns', 'c', 'u')?.timestamp).toBe('2026-01-01T00:00:20Z');
    // A changed annotation is a new value in the same series.
    usage.set(pod, { 'skiff.dev/simulate-cpu': '10m' }, ['app']);
    const sample = usage.podUsage('ns', 'c', 'u');
    expect(sample?.timestamp).toBe('2026-01-01T00:00:20Z');
    expect(sample?.containers[0]).toMatchObject({ cpuNanoCores: 10_000_000n, memoryBytes: 0n });
    // Without either annotation the pod reports nothing, like one not scraped yet.
    usage.set(pod, {}, ['app']);
    expect(usage.podUsage('ns', 'c', 'u')).toBeUndefined();
  });
});
