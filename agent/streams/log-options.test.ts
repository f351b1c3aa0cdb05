import { describe, expect, it } from 'vitest';
import { StatusError } from '../../main/api/status.ts';
import {
  ByteLimit,
  logContainerId,
  parseLogOptions,
  runtimeId,
  sinceEpochSeconds,
} from './log-options.ts';

const parse = (query: string) => parseLogOptions(new URLSearchParams(query), 'p');

function statusOf(fn: () => unknown): StatusError {
  try {
    fn();
  } catch (err) {
    if (err instanceof StatusError) return err;
    throw err;
  }
  throw new Error('no error');
}

describe('PodLogOptions', () => {
  it('reads the flags kubectl sends', () => {
    expect(parse('follow=true&timestamps=true&tailLines=10&limitBytes=5&sinceSeconds=60')).toEqual({
      follow: true,
      previous: false,
      timestamps: true,
      tailLines: 10,
      limitBytes: 5,
      sinceSeconds: 60,
    });
    expect(parse('sinceTime=2026-01-02T03:04:05Z').sinceTime).toBe(
      Date.parse('2026-01-02T03:04:05Z'),
    );
  });

  it('refuses bad values with kube-apiserver validation messages', () => {
    const tail = statusOf(() => parse('tailLines=-1'));
    expect(tail.code).toBe(422);
    expect(tail.message).toBe(
      'PodLogOptions "p" is invalid: tailLines: Invalid value: -1: must be greater than or equal to 0',
    );
    expect(statusOf(() => parse('limitBytes=0')).message).toContain(
      'limitBytes: Invalid value: 0: must be greater than 0',
    );
    expect(
      statusOf(() => parse('sinceSeconds=5&sinceTime=2026-01-02T03:04:05Z')).message,
    ).toContain('at most one of `sinceTime` or `sinceSeconds` may be specified');
    expect(statusOf(() => parse('tailLines=x')).code).toBe(400);
  });

  it('turns since options into a time bound', () => {
    expect(sinceEpochSeconds(parse('sinceSeconds=10'), 100_000)).toBe(90);
    expect(sinceEpochSeconds(parse('sinceTime=1970-01-01T00:01:40Z'))).toBe(100);
    expect(sinceEpochSeconds(parse(''))).toBeUndefined();
  });
});

describe('ByteLimit', () => {
  it('passes only the first bytes, cutting inside a chunk, and signals the limit', async () => {
    let hit = false;
    const limit = new ByteLimit(7, () => (hit = true));
    const chunks: Buffer[] = [];
    limit.on('data', (c: Buffer) => chunks.push(c));
    const ended = new Promise((resolve) => limit.on('end', resolve));
    limit.write(Buffer.from('hello\n'));
    limit.write(Buffer.from('world\n'));
    await ended;
    expect(Buffer.concat(chunks).toString()).toBe('hello\nw');
    expect(hit).toBe(true);
  });
});

describe("kubelet's choice of container instance", () => {
  const running = {
    name: 'c',
    containerID: 'docker://new',
    state: { running: {} },
    lastState: { terminated: { containerID: 'docker://old' } },
  };

  it('reads the running instance, or the previous one', () => {
    expect(logContainerId('p', [running], 'c', false)).toBe('docker://new');
    expect(logContainerId('p', [running], 'c', true)).toBe('docker://old');
    expect(runtimeId('docker://abc')).toBe('abc');
  });

  it("words the failures as kubelet's validateContainerLogStatus", () => {
    expect(() =>
      logContainerId(
        'p',
        [{ name: 'c', state: { running: {} }, containerID: 'docker://x' }],
        'c',
        true,
      ),
    ).toThrow('previous terminated container "c" in pod "p" not found');
    expect(() =>
      logContainerId(
        'p',
        [{ name: 'c', state: { waiting: { reason: 'ContainerCreating' } } }],
        'c',
        false,
      ),
    ).toThrow('container "c" in pod "p" is waiting to start: ContainerCreating');
    expect(() =>
      logContainerId(
        'p',
        [{ name: 'c', state: { waiting: { reason: 'ImagePullBackOff' } } }],
        'c',
        false,
      ),
    ).toThrow('container "c" in pod "p" is waiting to start: trying and failing to pull image');
    expect(() => logContainerId('p', [], 'c', false)).toThrow(
      'container "c" in pod "p" is not available',
    );
  });
});
