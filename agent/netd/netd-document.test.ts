import { describe, expect, it } from 'vitest';
import type { NetdClient } from './netd-client.ts';
import { NetdDocument } from './netd-document.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function fakeClient(fail: () => boolean) {
  const puts: { path: string; body: unknown }[] = [];
  const client = {
    put: (path: string, json: string) => {
      if (fail()) return Promise.reject(new Error('netd is not ready: starting'));
      puts.push({ path, body: JSON.parse(json) });
      return Promise.resolve({ applied: 1 });
    },
  } as unknown as NetdClient;
  return { client, puts };
}

describe('NetdDocument', () => {
  it('makes one push of changes that come together, and none when nothing differs', async () => {
    const { client, puts } = fakeClient(() => false);
    let value = 1;
    const doc = new NetdDocument({
      client,
      path: '/v1/dns',
      build: () => ({ value }),
      log: () => undefined,
      debounceMs: 5,
    });
    doc.changed();
    value = 2;
    doc.changed();
    doc.changed();
    await sleep(30);
    expect(puts).toEqual([{ path: '/v1/dns', body: { value: 2 } }]);
    doc.changed();
    await sleep(30);
    expect(puts).toHaveLength(1);
    // A new netd knows nothing: the same document goes again.
    doc.resend();
    await sleep(30);
    expect(puts).toHaveLength(2);
    doc.stop();
  });

  it('retries while netd cannot be reached and says so once', async () => {
    let down = true;
    const { client, puts } = fakeClient(() => down);
    const lines: string[] = [];
    const doc = new NetdDocument({
      client,
      path: '/v1/services',
      build: () => ({ services: [] }),
      log: (line) => lines.push(line),
      debounceMs: 1,
      retryMs: 10,
    });
    doc.changed();
    await sleep(60);
    expect(puts).toHaveLength(0);
    expect(lines).toEqual(['netd /v1/services: netd is not ready: starting']);
    down = false;
    await sleep(40);
    expect(puts).toEqual([{ path: '/v1/services', body: { services: [] } }]);
    doc.stop();
  });
});
