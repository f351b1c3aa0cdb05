import { describe, it, expect } from 'vitest';
import { WorkQueue } from './work-queue.ts';

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));
const until = async (done: () => boolean) => {
  for (let i = 0; i < 300 && !done(); i++) await tick(10);
};

describe('WorkQueue', () => {
  it('processes a key once however often it is added while queued', async () => {
    const seen: string[] = [];
    const queue = new WorkQueue(async (key) => {
      seen.push(key);
      await tick(5);
    });
    queue.add('a');
    queue.add('b');
    queue.add('b');
    await tick(30);
    expect(seen).toEqual(['a', 'b']);
    await queue.stop();
  });

  it('never runs one key twice at once, but reruns it when added while in progress', async () => {
    let running = 0;
    let most = 0;
    let runs = 0;
    const queue = new WorkQueue(async () => {
      running++;
      most = Math.max(most, running);
      runs++;
      await tick(10);
      running--;
    });
    queue.add('k');
    await tick(2);
    queue.add('k');
    queue.add('k');
    await tick(50);
    expect(most).toBe(1);
    expect(runs).toBe(2);
    await queue.stop();
  });

  it('retries a failing key with back-off and honours requeue-after', async () => {
    const times: number[] = [];
    let fail = 2;
    const errors: string[] = [];
    const queue = new WorkQueue(
      async () => {
        times.push(Date.now());
        await Promise.resolve();
        if (fail-- > 0) throw new Error('not yet');
        return times.length === 3 ? { requeueAfterMs: 20 } : undefined;
      },
      (key, err) => errors.push(`${key}: ${(err as Error).message}`),
    );
    queue.add('x');
    await tick(120);
    expect(errors).toEqual(['x: not yet', 'x: not yet']);
    expect(times.length).toBe(4);
    expect(times[3] - times[2]).toBeGreaterThanOrEqual(15);
    await queue.stop();
  });

  it('takes no work after stop', async () => {
    const seen: string[] = [];
    const queue = new WorkQueue(async (key) => {
      seen.push(key);
      await Promise.resolve();
    });
    await queue.stop();
    queue.add('late');
    await tick(10);
    expect(seen).toEqual([]);
  });

  it('waits as long as a slow reconcile took before running that key again', async () => {
    const runs: { start: number; end: number }[] = [];
    const queue = new WorkQueue(async () => {
      const run = { start: performance.now(), end: 0 };
      runs.push(run);
      await tick(40);
      run.end = performance.now();
    });
    queue.add('slow');
    await tick(10);
    queue.add('slow'); // changed while in progress
    await until(() => runs.length === 2);
    expect(runs).toHaveLength(2);
    const took = runs[0].end - runs[0].start;
    expect(runs[1].start - runs[0].end).toBeGreaterThanOrEqual(took - 1);
    await queue.stop();
  });

  it('reruns a fast key at once', async () => {
    let runs = 0;
    const queue = new WorkQueue(() => {
      runs++;
      return Promise.resolve();
    });
    queue.add('fast');
    await until(() => runs === 1);
    queue.add('fast');
    await until(() => runs === 2);
    expect(runs).toBe(2);
    await queue.stop();
  });

  it('an earlier addAfter replaces a later one for the same key', async () => {
    const seen: number[] = [];
    const queue = new WorkQueue(() => {
      seen.push(performance.now());
      return Promise.resolve();
    });
    const t0 = performance.now();
    queue.addAfter('k', 10_000);
    queue.addAfter('k', 10);
    await tick(40);
    expect(seen).toHaveLength(1);
    expect(seen[0] - t0).toBeLessThan(1000);
    await queue.stop();
  });
});
