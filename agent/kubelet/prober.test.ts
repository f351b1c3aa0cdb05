import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { KubeObject } from '../../main/api/types.ts';
import type { Obj } from './common.ts';
import {
  applyResult,
  ExecTimeoutError,
  PodProber,
  runHandler,
  probeSpec,
  type HandlerResult,
  type ProbeRuntime,
} from './prober.ts';

function pod(containers: Obj[], restartPolicy = 'Always'): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'default', uid: 'uid-1' },
    spec: { containers, restartPolicy, terminationGracePeriodSeconds: 5 },
    status: { phase: 'Running', podIP: '10.1.0.5' },
  };
}

class FakeRuntime implements ProbeRuntime {
  /** Result per handler kind; a function can vary by call. */
  results: Record<string, () => HandlerResult> = {};
  events: string[] = [];
  kills: { id: string; grace: number }[] = [];
  changes = 0;
  calls: string[] = [];
  exec(_id: string, command: string[]) {
    this.calls.push(`exec ${command.join(' ')}`);
    const r = this.results.exec();
    return Promise.resolve({ exitCode: r.result === 'success' ? 0 : 1, output: r.output });
  }
  httpProbe(req: { host: string; port: number; path: string }) {
    this.calls.push(`http ${req.host}:${req.port}${req.path}`);
    return Promise.resolve(this.results.http());
  }
  tcpProbe(host: string, port: number) {
    this.calls.push(`tcp ${host}:${port}`);
    return Promise.resolve(this.results.tcp());
  }
  event(_pod: KubeObject, container: string, type: string, reason: string, message: string) {
    this.events.push(`${type} ${reason} ${container}: ${message}`);
  }
  kill(_pod: KubeObject, id: string, grace: number) {
    this.kills.push({ id, grace });
    return Promise.resolve();
  }
  changed() {
    this.changes++;
  }
}

const ok: HandlerResult = { result: 'success', output: '' };
const bad = (output: string): HandlerResult => ({ result: 'failure', output });

describe('applyResult (kubelet thresholds)', () => {
  it('changes the result only after threshold identical runs in a row', () => {
    const spec = { successThreshold: 2, failureThreshold: 3 };
    let s = {
      last: undefined as 'success' | 'failure' | 'unknown' | undefined,
      run: 0,
      current: 'success' as 'success' | 'failure' | 'unknown',
    };
    for (const expected of ['success', 'success', 'failure'] as const) {
      const next = applyResult(s, 'failure', spec);
      expect(next.current).toBe(expected);
      s = next;
    }
    // One success does not reach successThreshold 2; the second does.
    s = applyResult(s, 'success', spec);
    expect(s.current).toBe('failure');
    s = applyResult(s, 'success', spec);
    expect(s.current).toBe('success');
    // An interruption resets the run.
    s = applyResult(s, 'failure', spec);
    s = applyResult(s, 'success', spec);
    s = applyResult(s, 'failure', spec);
    s = applyResult(s, 'failure', spec);
    expect(s.current).toBe('success');
  });
});

describe('runHandler', () => {
  it('defaults the host to the pod IP, resolves named ports and reports exec timeouts', async () => {
    const rt = new FakeRuntime();
    rt.results.http = () => ok;
    const container = { name: 'c', ports: [{ name: 'web', containerPort: 8080 }] };
    await runHandler(
      rt,
      probeSpec({ httpGet: { port: 'web', path: 'healthz' } }),
      container,
      'id',
      '10.1.0.5',
    );
    expect(rt.calls).toEqual(['http 10.1.0.5:8080/healthz']);
    rt.exec = () => Promise.reject(new ExecTimeoutError('late'));
    const r = await runHandler(
      rt,
      probeSpec({ exec: { command: ['sleep', '10'] } }),
      container,
      'id',
      undefined,
    );
    expect(r).toEqual({ result: 'failure', output: 'command "sleep 10" timed out' });
  });
});

describe('PodProber', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('restarts a container after failureThreshold liveness failures, with kubelet events', async () => {
    const rt = new FakeRuntime();
    rt.results.exec = () => bad('not healthy\n');
    const prober = new PodProber(rt);
    const c = {
      name: 'app',
      livenessProbe: { exec: { command: ['check'] }, periodSeconds: 1, failureThreshold: 2 },
    };
    const p = pod([c]);
    prober.observe(p, c, { containerId: 'c1', startedAtMs: Date.now(), podIP: '10.1.0.5' });
    await vi.advanceTimersByTimeAsync(10);
    expect(rt.kills).toEqual([]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(rt.kills).toEqual([{ id: 'c1', grace: 5 }]);
    expect(rt.events).toEqual([
      'Warning Unhealthy app: Liveness probe failed: not healthy\n',
      'Warning Unhealthy app: Liveness probe failed: not healthy\n',
      'Normal Killing app: Container app failed liveness probe, will be restarted',
    ]);
    // On hold until the container is replaced: no more probes of c1.
    await vi.advanceTimersByTimeAsync(3000);
    expect(rt.kills).toHaveLength(1);
    rt.results.exec = () => ok;
    prober.observe(p, c, { containerId: 'c2', startedAtMs: Date.now(), podIP: '10.1.0.5' });
    await vi.advanceTimersByTimeAsync(3000);
    expect(rt.kills).toHaveLength(1);
    prober.stop();
  });

  it('readiness drives ready; startup gates it; initialDelaySeconds is honoured', async () => {
    const rt = new FakeRuntime();
    let started = false;
    let ready = false;
    rt.results.tcp = () =>
      started ? ok : bad('dial tcp 10.1.0.5:80: connect: connection refused');
    rt.results.http = () => (ready ? ok : bad('HTTP probe failed with statuscode: 503'));
    const prober = new PodProber(rt);
    const c = {
      name: 'web',
      startupProbe: { tcpSocket: { port: 80 }, periodSeconds: 1, failureThreshold: 30 },
      readinessProbe: {
        httpGet: { port: 80, path: '/ready' },
        periodSeconds: 1,
        initialDelaySeconds: 3,
      },
    };
    const p = pod([c]);
    const t0 = Date.now();
    prober.observe(p, c, { containerId: 'c1', startedAtMs: t0, podIP: '10.1.0.5' });
    await vi.advanceTimersByTimeAsync(2100);
    expect(prober.started('uid-1', 'web', 'c1')).toBe(false);
    expect(prober.ready('uid-1', 'web', 'c1')).toBe(false);
    // Readiness never ran while startup had not succeeded.
    expect(rt.calls.filter((x) => x.startsWith('http'))).toEqual([]);
    started = true;
    await vi.advanceTimersByTimeAsync(1000);
    expect(prober.started('uid-1', 'web', 'c1')).toBe(true);
    await vi.advanceTimersByTimeAsync(1000);
    expect(prober.ready('uid-1', 'web', 'c1')).toBe(false);
    expect(rt.events.at(-1)).toBe(
      'Warning Unhealthy web: Readiness probe failed: HTTP probe failed with statuscode: 503',
    );
    const changes = rt.changes;
    ready = true;
    await vi.advanceTimersByTimeAsync(1000);
    expect(prober.ready('uid-1', 'web', 'c1')).toBe(true);
    expect(rt.changes).toBeGreaterThan(changes);
    // Readiness failure never kills.
    ready = false;
    await vi.advanceTimersByTimeAsync(5000);
    expect(prober.ready('uid-1', 'web', 'c1')).toBe(false);
    expect(rt.kills).toEqual([]);
    // A container without probes is ready and started at once.
    expect(prober.ready('uid-1', 'other', 'x')).toBe(true);
    prober.removePod('uid-1');
    const calls = rt.calls.length;
    await vi.advanceTimersByTimeAsync(3000);
    expect(rt.calls.length).toBe(calls);
  });

  it('says nothing about a restart under restartPolicy Never, and ignores prober errors', async () => {
    const rt = new FakeRuntime();
    let fail = false;
    rt.results.tcp = () => {
      if (!fail) throw new Error('netd is not ready');
      return bad('dial tcp 10.1.0.5:80: i/o timeout');
    };
    rt.tcpProbe = () => {
      try {
        return Promise.resolve(rt.results.tcp());
      } catch (err) {
        return Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
    };
    const prober = new PodProber(rt);
    const c = {
      name: 'app',
      livenessProbe: { tcpSocket: { port: 80 }, periodSeconds: 1, failureThreshold: 1 },
    };
    prober.observe(pod([c], 'Never'), c, {
      containerId: 'c1',
      startedAtMs: Date.now(),
      podIP: '10.1.0.5',
    });
    await vi.advanceTimersByTimeAsync(2100);
    expect(rt.kills).toEqual([]);
    expect(rt.events[0]).toBe('Warning Unhealthy app: Liveness probe errored: netd is not ready');
    fail = true;
    await vi.advanceTimersByTimeAsync(1000);
    expect(rt.kills).toHaveLength(1);
    expect(rt.events.at(-1)).toBe('Normal Killing app: Container app failed liveness probe');
    prober.stop();
  });
});
