import { describe, expect, it } from 'vitest';
import { StartQueue } from './start-queue.ts';

function deferred() {
  let resolve!: () => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('StartQueue', () => {
  it('runs at most `limit` calls at once and the oldest pod next', async () => {
    const queue = new StartQueue(2);
    const started: string[] = [];
    const gates = new Map<string, ReturnType<typeof deferred>>();
    const call = (name: string, order: number) => {
      const gate = deferred();
      gates.set(name, gate);
      return queue.run(order, async () => {
        started.push(name);
        await gate.promise;
        return name;
      });
    };
    const a = call('a', 5);
    const b = call('b', 6);
    const c = call('c', 9);
    const d = call('d', 1);
    const e = call('e', 9);
    await tick();
    expect(started).toEqual(['a', 'b']);
    expect(queue.size).toEqual({ active: 2, waiting: 3 });
    gates.get('a')!.resolve();
    expect(await a).toBe('a');
    await tick();
    // d's pod is older than c's and e's; c and e (same pod) keep their own order.
    expect(started).toEqual(['a', 'b', 'd']);
    gates.get('b')!.resolve();
    gates.get('d')!.resolve();
    await Promise.all([b, d]);
    await tick();
    expect(started).toEqual(['a', 'b', 'd', 'c', 'e']);
    gates.get('c')!.resolve();
    gates.get('e')!.resolve();
    await Promise.all([c, e]);
    expect(queue.size).toEqual({ active: 0, waiting: 0 });
  });

  it('frees the slot when a call fails', async () => {
    const queue = new StartQueue(1);
    await expect(queue.run(0, () => Promise.reject(new Error('no such image')))).rejects.toThrow(
      'no such image',
    );
    expect(await queue.run(0, () => Promise.resolve(7))).toBe(7);
    expect(queue.size).toEqual({ active: 0, waiting: 0 });
  });

  it('refuses a limit below 1', () => {
    expect(() => new StartQueue(0)).toThrow('limit must be ≥ 1, not 0');
  });
});
