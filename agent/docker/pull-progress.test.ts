import { describe, expect, it } from 'vitest';
import {
  alreadyPresentMessage,
  foldPullMessage,
  PullProgressRegistry,
  pullDuration,
  pulledMessage,
  summarize,
  type DockerPullMessage,
  type LayerProgress,
  type PullSnapshot,
} from './pull-progress.ts';

function fold(messages: DockerPullMessage[]): Map<string, LayerProgress> {
  return messages.reduce(
    (layers, m) => foldPullMessage(layers, m),
    new Map<string, LayerProgress>(),
  );
}

describe('pull progress folding', () => {
  it('tracks bytes per layer through download, extraction and completion', () => {
    const layers = fold([
      { status: 'Pulling from skiff/busybox', id: '1' },
      { status: 'Pulling fs layer', id: 'a' },
      { status: 'Pulling fs layer', id: 'b' },
      { status: 'Downloading', id: 'a', progressDetail: { current: 100, total: 1000 } },
      { status: 'Downloading', id: 'b', progressDetail: { current: 50, total: 200 } },
      { status: 'Downloading', id: 'a', progressDetail: { current: 600, total: 1000 } },
    ]);
    expect(layers.size).toBe(2);
    expect(summarize(layers)).toEqual({ layersDone: 0, bytesDone: 650, bytesTotal: 1200 });
    const done = fold([
      { status: 'Pulling fs layer', id: 'a' },
      { status: 'Downloading', id: 'a', progressDetail: { current: 600, total: 1000 } },
      { status: 'Download complete', id: 'a' },
      { status: 'Extracting', id: 'a', progressDetail: { current: 4000, total: 9000 } },
      { status: 'Pull complete', id: 'a' },
      { status: 'Already exists', id: 'c' },
      { status: 'Digest: sha256:abc' },
      { status: 'Status: Downloaded newer image for x' },
    ]);
    expect(done.get('a')).toEqual({ id: 'a', phase: 'done', current: 1000, total: 1000 });
    // Extraction progress (uncompressed bytes) does not count as download bytes.
    expect(summarize(done)).toEqual({ layersDone: 2, bytesDone: 1000, bytesTotal: 1000 });
  });

  it('does not change the map it is given', () => {
    const before = new Map<string, LayerProgress>();
    foldPullMessage(before, { status: 'Pulling fs layer', id: 'a' });
    expect(before.size).toBe(0);
  });
});

describe('PullProgressRegistry', () => {
  const pod = { namespace: 'ns', name: 'p', uid: 'u1' };

  it('publishes snapshots to subscribers until disposed, and keeps the result', () => {
    let t = 1000;
    const registry = new PullProgressRegistry(() => t);
    const seen: PullSnapshot[] = [];
    const sub = registry.subscribe((s) => seen.push(s));
    const tracker = registry.begin(pod, 'img:1');
    tracker.update({ status: 'Downloading', id: 'a', progressDetail: { current: 5, total: 10 } });
    expect(registry.get('u1', 'img:1')).toMatchObject({
      pod: 'ns/p',
      phase: 'pulling',
      bytesDone: 5,
      bytesTotal: 10,
      layers: [{ id: 'a', phase: 'downloading' }],
    });
    t = 2500;
    tracker.finish();
    tracker.finish('late error is ignored');
    expect(registry.get('u1', 'img:1')).toMatchObject({ phase: 'done', finishedAt: 2500 });
    expect(seen.map((s) => s.phase)).toEqual(['pulling', 'pulling', 'done']);
    sub.dispose();
    registry.begin(pod, 'img:2').finish('manifest unknown');
    expect(seen).toHaveLength(3);
    expect(registry.list('u1').map((s) => [s.image, s.phase, s.error])).toEqual([
      ['img:2', 'failed', 'manifest unknown'],
      ['img:1', 'done', undefined],
    ]);
    registry.forgetPod('u1');
    expect(registry.list()).toEqual([]);
  });

  it('drops finished pulls after five minutes', () => {
    let t = 0;
    const registry = new PullProgressRegistry(() => t);
    registry.begin(pod, 'img').finish();
    t = 5 * 60_000 + 1;
    expect(registry.list()).toEqual([]);
  });
});

describe('kubelet pull events', () => {
  it('formats durations as Go does after Truncate(time.Millisecond)', () => {
    expect(pullDuration(0.4)).toBe('0s');
    expect(pullDuration(313.9)).toBe('313ms');
    expect(pullDuration(1000)).toBe('1s');
    expect(pullDuration(1661.7)).toBe('1.661s');
    expect(pullDuration(1500)).toBe('1.5s');
    expect(pullDuration(62_050)).toBe('1m2.05s');
    expect(pullDuration(3_600_000)).toBe('1h0m0s');
  });

  it('words the Pulled events as kubelet 1.35', () => {
    expect(pulledMessage('busybox:1', 796, 1594, 4269694)).toBe(
      'Successfully pulled image "busybox:1" in 796ms (1.594s including waiting). Image size: 4269694 bytes.',
    );
    expect(alreadyPresentMessage('busybox:1')).toBe(
      'Container image "busybox:1" already present on machine and can be accessed by the pod',
    );
  });
});
