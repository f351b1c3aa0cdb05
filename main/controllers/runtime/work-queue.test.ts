import { describe, it, expect } from 'vitest';
import { WorkQueue } from './work-queue.ts';

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

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
});
