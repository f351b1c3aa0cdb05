import { describe, expect, it } from 'vitest';
import {
  cpuRate,
  nodeUsageOf,
  podUsageOf,
  readingOf,
  type ContainerUsage,
} from './docker-stats.ts';
import { podLabels } from './labels.ts';

describe('Docker stats readings', () => {
  it('takes the working set as usage less inactive file (cgroup v1 total_ figure first)', () => {
    const v1 = readingOf({
      read: '2026-11-22T19:18:49.351597067Z',
      cpu_stats: { cpu_usage: { total_usage: 27_464_258 } },
      memory_stats: {
        usage: 2_367_488,
        stats: { inactive_file: 1, total_inactive_file: 1_925_120 },
      },
    });
    expect(v1).toEqual({
      atMs: Date.parse('2026-11-22T19:18:49.351Z'),
      cpuNs: 27_464_258n,
      workingSetBytes: 442_368n,
    });
    const v2 = readingOf({
      read: '2026-11-22T19:18:49Z',
      cpu_stats: { cpu_usage: { total_usage: 5 } },
      memory_stats: { usage: 1000, stats: { inactive_file: 300 } },
    });
    expect(v2?.workingSetBytes).toBe(700n);
  });

  it('has no reading for a stopped container (zero read time)', () => {
    expect(readingOf({ read: '0001-01-01T00:00:00Z', cpu_stats: {} })).toBeUndefined();
  });

  it('computes CPU as nanocores between two readings', () => {
    const a = { atMs: 10_000, cpuNs: 1_000_000_000n, workingSetBytes: 0n };
    // 0.5 s of CPU over 2 s of wall time = 250m.
    const b = { atMs: 12_000, cpuNs: 1_500_000_000n, workingSetBytes: 0n };
    expect(cpuRate(a, b)).toBe(250_000_000n);
    expect(cpuRate(b, b)).toBe(0n);
    // A counter reset (container restarted under the same id) is not a negative rate.
    expect(cpuRate(b, a)).toBe(0n);
  });
});

describe('pod and node usage', () => {
  const pod = { uid: 'u1', namespace: 'ns', name: 'web' };
  const usage = (
    id: string,
    labels: Record<string, string>,
    cpu: bigint,
    mem: bigint,
    atMs = 1_000_000,
  ): ContainerUsage => ({
    id,
    labels,
    atMs,
    windowMs: 15_000,
    cpuNanoCores: cpu,
    memoryBytes: mem,
  });
  const c = (name: string, type: 'init' | 'regular' = 'regular') =>
    podLabels('cl', pod, { name, type, restartCount: 0, grace: 30 });
  const usages = [
    usage('s', podLabels('cl', pod), 1_000n, 100n),
    usage('b', c('b'), 20_000_000n, 2_000n),
    usage('a', c('a'), 500_000_000n, 5_000n, 1_002_000),
    usage('i', c('init', 'init'), 7n, 7n),
    usage(
      'o',
      podLabels(
        'cl',
        { ...pod, name: 'other', uid: 'u2' },
        { name: 'a', type: 'regular', restartCount: 0, grace: 30 },
      ),
      3n,
      3n,
    ),
  ];

  it('reports a pod by its app containers only, sorted by name', () => {
    expect(podUsageOf(usages, 'ns', 'web', 'u1')).toEqual({
      timestamp: new Date(1_002_000).toISOString().replace(/\.\d+Z$/, 'Z'),
      windowSeconds: 15,
      containers: [
        { name: 'a', cpuNanoCores: 500_000_000n, memoryBytes: 5_000n },
        { name: 'b', cpuNanoCores: 20_000_000n, memoryBytes: 2_000n },
      ],
    });
    expect(podUsageOf(usages, 'ns', 'web', 'another-uid')).toBeUndefined();
    expect(podUsageOf(usages, 'ns', 'missing', undefined)).toBeUndefined();
  });

  it('reports the node as the sum of every container', () => {
    expect(nodeUsageOf(usages)).toMatchObject({
      cpuNanoCores: 520_001_010n,
      memoryBytes: 7_110n,
      windowSeconds: 15,
    });
    expect(nodeUsageOf([])).toBeUndefined();
  });
});
