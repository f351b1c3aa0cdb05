import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../main/api/types.ts';
import {
  remainingGrace,
  resolvePort,
  runHook,
  type HttpGetRequest,
  type HookRuntime,
} from './lifecycle-hooks.ts';

const pod: KubeObject = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'ns', uid: 'u1' },
};
const container = { name: 'c', ports: [{ name: 'http', containerPort: 8080 }] };

function runtime(exit = 0, output = ''): HookRuntime & { calls: unknown[] } {
  const calls: unknown[] = [];
  return {
    calls,
    exec: (command) => {
      calls.push(command);
      return Promise.resolve({ exitCode: exit, output });
    },
    httpGet: (req: HttpGetRequest) => {
      calls.push(req);
      return req.port === 1
        ? Promise.reject(new Error('connection refused'))
        : Promise.resolve({ statusCode: 200 });
    },
    sleep: (ms) => {
      calls.push(ms);
      return Promise.resolve();
    },
  };
}

const ctx = { pod, container, podIP: '10.1.0.4', timeoutMs: 1000 };

describe('lifecycle hooks', () => {
  it('runs exec hooks and words a failure as kubelet does', async () => {
    expect(await runHook({ exec: { command: ['true'] } }, ctx, runtime())).toBeUndefined();
    expect(
      await runHook({ exec: { command: ['sh', '-c', 'exit 2'] } }, ctx, runtime(2, 'bad\n')),
    ).toBe(
      'Exec lifecycle hook ([sh -c exit 2]) for Container "c" in Pod "p_ns(u1)" failed - error: command \'sh -c exit 2\' exited with 2: bad\n, message: "bad\\n"',
    );
  });

  it('sends httpGet to the pod IP with a named port, and reports transport errors', async () => {
    const rt = runtime();
    const handler = {
      httpGet: { port: 'http', path: 'ready', httpHeaders: [{ name: 'X', value: 'y' }] },
    };
    expect(await runHook(handler, ctx, rt)).toBeUndefined();
    expect(rt.calls[0]).toEqual({
      host: '10.1.0.4',
      port: 8080,
      path: '/ready',
      scheme: 'HTTP',
      headers: [{ name: 'X', value: 'y' }],
      timeoutMs: 1000,
    });
    expect(await runHook({ httpGet: { port: 1, path: '/x' } }, ctx, rt)).toBe(
      'HTTP lifecycle hook (/x) for Container "c" in Pod "p_ns(u1)" failed - error: connection refused',
    );
    expect(() => resolvePort('nope', container)).toThrow("couldn't find port: nope");
  });

  it('sleeps, refuses tcpSocket, and leaves at least 2 s of grace after preStop', async () => {
    const rt = runtime();
    expect(await runHook({ sleep: { seconds: 3 } }, ctx, rt)).toBeUndefined();
    expect(rt.calls).toEqual([3000]);
    expect(await runHook({ tcpSocket: { port: 80 } }, ctx, rt)).toMatch(/^invalid handler/);
    expect(remainingGrace(30, 4_500)).toBe(26);
    expect(remainingGrace(5, 10_000)).toBe(2);
  });
});
