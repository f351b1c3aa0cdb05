import { describe, it, expect } from 'vitest';
import { PodWorkers } from './pod-workers.ts';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('pod workers', () => {
  it('runs pods in parallel, one sync per pod at a time, again when changed meanwhile', async () => {
    const log: string[] = [];
    let active = 0;
    let maxActive = 0;
    const workers = new PodWorkers(async (key) => {
      active++;
      maxActive = Math.max(maxActive, active);
      log.push(`start ${key}`);
      await tick(30);
      log.push(`end ${key}`);
      active--;
    });
    workers.add('a');
    workers.add('b');
    workers.add('a'); // while a runs: once more afterwards, not in parallel
    await tick(120);
    await workers.stop();
    expect(maxActive).toBe(2);
    expect(log.filter((l) => l === 'start a')).toHaveLength(2);
    expect(log.indexOf('end a')).toBeLessThan(log.lastIndexOf('start a'));
  });

  it('retries a failed sync and honours requeueAfterMs', async () => {
    let calls = 0;
    const errors: string[] = [];
    const workers = new PodWorkers(
      () => {
        calls++;
        if (calls === 1) return Promise.reject(new Error('boom'));
        return Promise.resolve(calls === 2 ? { requeueAfterMs: 10 } : undefined);
      },
      (key, err) => errors.push(`${key}: ${(err as Error).message}`),
      10,
    );
    workers.add('p');
    await tick(100);
    await workers.stop();
    expect(errors).toEqual(['p: boom']);
    expect(calls).toBe(3);
  });
});
