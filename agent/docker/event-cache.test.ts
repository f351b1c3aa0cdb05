import { describe, expect, it } from 'vitest';
import { EventCache } from './event-cache.ts';

describe('EventCache', () => {
  it('keeps a read while events are followed, until its key changes', async () => {
    const cache = new EventCache<string>();
    let loads = 0;
    const load = () => Promise.resolve(`v${++loads}`);
    expect(await cache.read('a', load)).toBe('v1');
    expect(await cache.read('a', load)).toBe('v2'); // not following: not kept
    cache.follow();
    expect(await cache.read('a', load)).toBe('v3');
    expect(await cache.read('a', load)).toBe('v3');
    cache.changed('a');
    expect(await cache.read('a', load)).toBe('v4');
    cache.stopFollowing();
    expect(cache.get('a')).toBeUndefined();
  });

  it('does not keep a read that a change overtook, nor an absent value', async () => {
    const cache = new EventCache<string>();
    cache.follow();
    let release!: () => void;
    const slow = cache.read('a', () => new Promise<string>((r) => (release = () => r('old'))));
    cache.changed('a');
    release();
    expect(await slow).toBe('old');
    expect(cache.get('a')).toBeUndefined();
    expect(await cache.read('b', () => Promise.resolve(undefined))).toBeUndefined();
    expect(cache.get('b')).toBeUndefined();
  });

  it('keeps lasting values without events, and across a lost stream', async () => {
    const cache = new EventCache<string>((v) => v.startsWith('exited'));
    expect(await cache.read('a', () => Promise.resolve('exited 0'))).toBe('exited 0');
    cache.follow();
    await cache.read('b', () => Promise.resolve('running'));
    cache.stopFollowing();
    expect(cache.get('a')).toBe('exited 0');
    expect(cache.get('b')).toBeUndefined();
    cache.forget('a');
    expect(cache.get('a')).toBeUndefined();
  });
});
