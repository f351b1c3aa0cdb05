import { describe, expect, it } from 'vitest';
import { CoalescedTask } from './coalesced-task.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('CoalescedTask', () => {
  it('makes one run of changes that come together, and one more for changes during a run', async () => {
    let runs = 0;
    let release: () => void = () => undefined;
    const task = new CoalescedTask(async () => {
      runs++;
      if (runs === 1) await new Promise<void>((r) => (release = r));
    }, 5);
    task.schedule();
    task.schedule();
    await sleep(20);
    expect(runs).toBe(1);
    // Changes while the first run is under way: one run after it, not two.
    task.schedule();
    await sleep(20);
    task.schedule();
    await sleep(20);
    expect(runs).toBe(1);
    release();
    await sleep(20);
    expect(runs).toBe(2);
    await task.stop();
  });

  it('lets a sooner schedule overtake a later one, and runs nothing after stop', async () => {
    let runs = 0;
    const task = new CoalescedTask(() => {
      runs++;
      return Promise.resolve();
    });
    task.schedule(10_000);
    task.schedule(5);
    await sleep(30);
    expect(runs).toBe(1);
    task.schedule(5);
    await task.stop();
    await sleep(30);
    expect(runs).toBe(1);
  });
});
