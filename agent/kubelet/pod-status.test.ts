import { describe, it, expect } from 'vitest';
import type { KubeObject } from '../../main/api/types.ts';
import { buildPodStatus, podPhase, type ContainerStatus } from './pod-status.ts';
import { crashLoopDelay } from './backoff.ts';
import { nodeConditions } from './node-status.ts';

function pod(restartPolicy: string, init: string[] = []): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'ns', uid: 'u' },
    spec: {
      restartPolicy,
      initContainers: init.map((name) => ({ name, image: 'i' })),
      containers: [{ name: 'app', image: 'i' }],
    },
  };
}

function status(name: string, state: ContainerStatus['state'], last = {}): ContainerStatus {
  return {
    name,
    state,
    lastState: last,
    ready: !!state.running,
    restartCount: 0,
    image: 'i',
    imageID: '',
    started: !!state.running,
  };
}

const exited = (exitCode: number) => ({ terminated: { exitCode, reason: 'Error' } });

describe('pod phase (kubelet getPhase)', () => {
  it('follows the container states and restartPolicy', () => {
    expect(
      podPhase(
        pod('Always'),
        [],
        [status('app', { waiting: { reason: 'ContainerCreating' } })],
        false,
      ),
    ).toBe('Pending');
    expect(podPhase(pod('Always'), [], [status('app', { running: {} })], false)).toBe('Running');
    // Crash-looping: waiting with a last termination counts as stopped, so Running for Always.
    expect(
      podPhase(
        pod('Always'),
        [],
        [status('app', { waiting: { reason: 'CrashLoopBackOff' } }, exited(1))],
        false,
      ),
    ).toBe('Running');
    expect(podPhase(pod('Never'), [], [status('app', exited(0))], false)).toBe('Succeeded');
    expect(podPhase(pod('Never'), [], [status('app', exited(2))], false)).toBe('Failed');
    expect(podPhase(pod('OnFailure'), [], [status('app', exited(2))], false)).toBe('Running');
  });

  it('is Pending while init containers run and Failed when one fails for good', () => {
    const app = status('app', { waiting: { reason: 'PodInitializing' } });
    expect(podPhase(pod('Always', ['i1']), [status('i1', { running: {} })], [app], false)).toBe(
      'Pending',
    );
    expect(podPhase(pod('Never', ['i1']), [status('i1', exited(1))], [app], false)).toBe('Failed');
    expect(
      podPhase(
        pod('Always', ['i1']),
        [status('i1', { waiting: { reason: 'CrashLoopBackOff' } }, exited(1))],
        [app],
        false,
      ),
    ).toBe('Pending');
  });

  it('reports Initialized False with the incomplete init containers, in kubelet order', () => {
    const s = buildPodStatus({
      pod: pod('Always', ['i1', 'i2']),
      initStatuses: [status('i1', { running: {} })],
      containerStatuses: [status('app', { waiting: { reason: 'PodInitializing' } })],
      hostIP: '10.96.0.1',
      podIP: '10.96.0.2',
      startTime: 0,
      now: 1000,
      terminal: false,
      sandboxReady: true,
    });
    expect(s.phase).toBe('Pending');
    expect(
      (s.conditions as Record<string, unknown>[]).map((c) => [c.type, c.status, c.message]),
    ).toEqual([
      ['PodReadyToStartContainers', 'True', undefined],
      ['Initialized', 'False', 'containers with incomplete status: [i1 i2]'],
      ['Ready', 'False', 'containers with unready status: [app]'],
      ['ContainersReady', 'False', 'containers with unready status: [app]'],
      ['PodScheduled', 'True', undefined],
    ]);
    expect(s.podIPs).toEqual([{ ip: '10.96.0.2' }]);
  });
});

describe('crash-loop back-off', () => {
  it('restarts at once, then 10 s doubling to 5 min, and forgets after 10 min of running', () => {
    expect([0, 1, 2, 3, 6, 20].map((n) => crashLoopDelay(n))).toEqual([
      0, 10_000, 20_000, 40_000, 300_000, 300_000,
    ]);
    expect(crashLoopDelay(5, 600_000)).toBe(0);
  });
});

describe('node conditions', () => {
  it('turns Ready False with KubeletNotReady and keeps transition times while unchanged', () => {
    const up = nodeConditions([], 1_000);
    expect(up.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'True',
      reason: 'KubeletReady',
    });
    const down = nodeConditions(up, 5_000, 'container runtime is down: connect ENOENT');
    expect(down.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: 'KubeletNotReady',
      message: 'container runtime is down: connect ENOENT',
      lastTransitionTime: '1970-01-01T00:00:05Z',
    });
    expect(down.find((c) => c.type === 'MemoryPressure')?.lastTransitionTime).toBe(
      '1970-01-01T00:00:01Z',
    );
  });
});
