// Tests for the nedb store: compare-and-swap, concurrency, watch replay/live/expiry, persistence,
// durability under SIGKILL, compaction racing writes, corruption reports and clean shutdown.
import { describe, it, expect, afterEach, vi } from 'vitest';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import {
  appendFile,
  mkdir,
  mkdtemp,
  open as openFile,
  readFile,
  rm,
  writeFile,
} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DATAFILE_NAME, openStore } from './nedb-store.ts';
import type { NedbStore, OpenStoreOptions } from './nedb-store.ts';
import { StoreError } from './types.ts';
import type { StoreEvent } from './types.ts';
import type { KubeObject } from '../api/types.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../..');
const childScript = path.join(here, 'nedb-store-child.ts');

const dirs: string[] = [];
const stores: NedbStore[] = [];

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'skiff-store-'));
  dirs.push(dir);
  return dir;
}

async function open(options: Partial<OpenStoreOptions> & { dataDir: string }): Promise<NedbStore> {
  const store = await openStore({ onWarning: () => undefined, ...options });
  stores.push(store);
  return store;
}

afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close()));
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

function cm(name: string, data: Record<string, string> = {}, namespace = 'default'): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace, labels: { 'app.kubernetes.io/name': name } },
    data,
  };
}

const key = (name: string, ns = 'default') => `/registry/configmaps/${ns}/${name}`;

async function expectStoreError(
  promise: Promise<unknown>,
  kind: StoreError['kind'],
): Promise<void> {
  await expect(promise).rejects.toBeInstanceOf(StoreError);
  await expect(promise).rejects.toMatchObject({ kind });
}

describe('nedb store: reads and writes', () => {
  it('creates with the next revision as resourceVersion and returns frozen copies', async () => {
    const store = await open({ dataDir: await tempDir() });
    const input = cm('a', { k: 'v' });
    const created = await store.create(key('a'), input);
    expect(created.metadata.resourceVersion).toBe('1');
    expect(store.revision).toBe(1);
    expect(input.metadata.resourceVersion).toBeUndefined();
    expect(Object.isFrozen(created)).toBe(true);
    expect(Object.isFrozen(created.metadata.labels)).toBe(true);
    expect(store.get(key('a'))).toEqual({
      ...input,
      metadata: { ...input.metadata, resourceVersion: '1' },
    });
    expect(store.get(key('missing'))).toBeUndefined();
    await expectStoreError(store.create(key('a'), cm('a')), 'AlreadyExists');
    expect(store.revision).toBe(1);
  });

  it('lists by prefix, sorted by key, at the store revision', async () => {
    const store = await open({ dataDir: await tempDir() });
    for (const [name, ns] of [
      ['b', 'default'],
      ['a', 'kube-system'],
      ['c', 'default'],
      ['a', 'default'],
    ]) {
      await store.create(key(name, ns), cm(name, {}, ns));
    }
    await store.create('/registry/secrets/default/a', cm('a'));
    const all = store.list('/registry/configmaps/');
    expect(all.items.map((o) => `${o.metadata.namespace}/${o.metadata.name}`)).toEqual([
      'default/a',
      'default/b',
      'default/c',
      'kube-system/a',
    ]);
    expect(all.revision).toBe(5);
    expect(store.list('/registry/configmaps/default/').items).toHaveLength(3);
    expect(store.list('/registry/nothing/').items).toEqual([]);
    expect(store.list('').items).toHaveLength(5);
  });

  it('updates with compare-and-swap on resourceVersion', async () => {
    const store = await open({ dataDir: await tempDir() });
    const v1 = await store.create(key('a'), cm('a', { n: '1' }));
    const v2 = await store.update(key('a'), cm('a', { n: '2' }), v1.metadata.resourceVersion);
    expect(v2.metadata.resourceVersion).toBe('2');
    await expectStoreError(
      store.update(key('a'), cm('a', { n: 'stale' }), v1.metadata.resourceVersion),
      'Conflict',
    );
    expect(store.get(key('a'))?.data).toEqual({ n: '2' });
    // No expected version (or an empty one): unconditional, like a PUT without resourceVersion.
    expect((await store.update(key('a'), cm('a', { n: '3' }))).metadata.resourceVersion).toBe('3');
    expect((await store.update(key('a'), cm('a', { n: '4' }), '')).metadata.resourceVersion).toBe(
      '4',
    );
    await expectStoreError(store.update(key('nope'), cm('nope')), 'NotFound');
    expect(store.revision).toBe(4);
  });

  it('deletes with a precondition and reports the deletion revision', async () => {
    const store = await open({ dataDir: await tempDir() });
    const v1 = await store.create(key('a'), cm('a'));
    await store.update(key('a'), cm('a', { x: 'y' }));
    await expectStoreError(store.delete(key('a'), v1.metadata.resourceVersion), 'Conflict');
    expect(store.get(key('a'))).toBeDefined();
    const gone = await store.delete(key('a'), '2');
    expect(gone.metadata.resourceVersion).toBe('3');
    expect(gone.data).toEqual({ x: 'y' });
    expect(store.get(key('a'))).toBeUndefined();
    expect(store.list('/registry/').items).toEqual([]);
    await expectStoreError(store.delete(key('a')), 'NotFound');
    // The key can be created again afterwards.
    expect((await store.create(key('a'), cm('a'))).metadata.resourceVersion).toBe('4');
  });

  it('rejects keys that are not etcd-style paths', async () => {
    const store = await open({ dataDir: await tempDir() });
    await expect(store.create('registry/x', cm('x'))).rejects.toThrow(/start with '\/'/);
  });
});

describe('nedb store: concurrency', () => {
  it('lets exactly one of many concurrent creates of a key win', async () => {
    const store = await open({ dataDir: await tempDir() });
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => store.create(key('x'), cm('x', { i: String(i) }))),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(rejected).toHaveLength(19);
    for (const r of rejected) expect(r.reason).toMatchObject({ kind: 'AlreadyExists' });
    expect(store.revision).toBe(1);
  });

  it('lets exactly one of two updates with the same resourceVersion win', async () => {
    const store = await open({ dataDir: await tempDir() });
    const v1 = await store.create(key('x'), cm('x'));
    const rv = v1.metadata.resourceVersion;
    const [first, second] = await Promise.allSettled([
      store.update(key('x'), cm('x', { by: 'first' }), rv),
      store.update(key('x'), cm('x', { by: 'second' }), rv),
    ]);
    expect(first.status).toBe('fulfilled');
    expect(second.status).toBe('rejected');
    expect((second as PromiseRejectedResult).reason).toMatchObject({ kind: 'Conflict' });
    expect(store.get(key('x'))?.data).toEqual({ by: 'first' });
  });

  it('keeps read-modify-write loops correct with 16 concurrent writers', async () => {
    const store = await open({ dataDir: await tempDir() });
    await store.create(key('counter'), cm('counter', { n: '0' }));
    let conflicts = 0;
    const writer = async () => {
      for (let done = 0; done < 10;) {
        const current = store.get(key('counter'))!;
        const n = Number((current.data as Record<string, string>).n) + 1;
        try {
          await store.update(
            key('counter'),
            cm('counter', { n: String(n) }),
            current.metadata.resourceVersion,
          );
          done++;
        } catch (error) {
          expect(error).toMatchObject({ kind: 'Conflict' });
          conflicts++;
        }
      }
    };
    await Promise.all(Array.from({ length: 16 }, writer));
    expect(store.get(key('counter'))?.data).toEqual({ n: '160' });
    expect(conflicts).toBeGreaterThan(0);
    expect(store.revision).toBe(161);
  });

  it('acknowledges a write only after it is in the datafile and an fsync finished after it was issued', async () => {
    const dataDir = await tempDir();
    const store = await open({ dataDir });
    const file = path.join(dataDir, DATAFILE_NAME);
    // Count real fsync(2) calls on FileHandles (what the store uses), not the store's own counter.
    const handle = await openFile(file, 'r');
    const fileHandleProto = Object.getPrototypeOf(handle) as { sync: () => Promise<void> };
    await handle.close();
    let syncs = 0;
    const realSync = fileHandleProto.sync;
    const spy = vi.spyOn(fileHandleProto, 'sync').mockImplementation(function (this: unknown) {
      syncs++;
      return realSync.call(this);
    });
    const problems: string[] = [];
    const writer = async (w: number) => {
      for (let i = 0; i < 10; i++) {
        const k = key(`w${w}-${i}`);
        const syncsBefore = syncs;
        const created = await store.create(k, cm(`w${w}-${i}`));
        // Runs in the same turn as the acknowledgement: no I/O can complete in between.
        const onDisk = readFileSync(file, 'utf8');
        if (
          !onDisk.includes(`"_id":${JSON.stringify(k)},"rev":${created.metadata.resourceVersion},`)
        ) {
          problems.push(`${k} acknowledged before it was appended`);
        }
        if (syncs <= syncsBefore) problems.push(`${k} acknowledged without an fsync`);
      }
    };
    try {
      await Promise.all(Array.from({ length: 16 }, (_, w) => writer(w)));
    } finally {
      spy.mockRestore();
    }
    expect(problems).toEqual([]);
    expect(syncs).toBeGreaterThan(0);
  });

  it('group-commits: one fsync acknowledges many concurrent writes', async () => {
    const store = await open({ dataDir: await tempDir() });
    const writer = async (w: number) => {
      for (let i = 0; i < 50; i++) await store.create(key(`w${w}-${i}`), cm(`w${w}-${i}`));
    };
    await Promise.all(Array.from({ length: 16 }, (_, w) => writer(w)));
    const stats = store.stats();
    expect(stats.appends).toBe(800);
    expect(store.revision).toBe(800);
    expect(stats.fsyncs).toBeGreaterThan(0);
    expect(stats.fsyncs).toBeLessThan(200);
  });
});

describe('nedb store: watch', () => {
  it('replays history after a revision, then delivers live events without gaps or duplicates', async () => {
    const store = await open({ dataDir: await tempDir() });
    for (let i = 0; i < 10; i++) await store.create(key(`pre${i}`), cm(`pre${i}`));
    await store.create('/registry/secrets/default/s', cm('s'));
    const from = 5;
    const events: StoreEvent[] = [];
    // Writes in flight while the watch starts: each must arrive exactly once.
    const inflight = Array.from({ length: 30 }, (_, i) =>
      store.create(key(`live${i}`), cm(`live${i}`)),
    );
    const watch = store.watch('/registry/configmaps/', from, (event) => events.push(event));
    await Promise.all(inflight);
    const updated = await store.update(key('pre0'), cm('pre0', { changed: 'yes' }));
    await store.delete(key('pre1'));
    const revisions = events.map((e) => e.revision);
    const expected = [6, 7, 8, 9, 10, ...Array.from({ length: 30 }, (_, i) => 12 + i), 42, 43];
    expect(revisions).toEqual(expected);
    expect(events.every((e) => e.key.startsWith('/registry/configmaps/'))).toBe(true);
    const modified = events.find((e) => e.revision === 42)!;
    expect(modified).toMatchObject({ type: 'MODIFIED', key: key('pre0'), object: updated });
    expect(modified.prevObject?.metadata.resourceVersion).toBe('1');
    const deleted = events.find((e) => e.revision === 43)!;
    expect(deleted.type).toBe('DELETED');
    expect(deleted.object.metadata.resourceVersion).toBe('43');
    expect(deleted.prevObject?.metadata.resourceVersion).toBe('2');
    expect(events.find((e) => e.revision === 6)?.type).toBe('ADDED');

    watch.dispose();
    await store.create(key('after'), cm('after'));
    expect(events).toHaveLength(expected.length);
  });

  it('orders replay before live events for a watch started while events are being delivered', async () => {
    const store = await open({ dataDir: await tempDir() });
    for (let i = 0; i < 10; i++) await store.create(key(`pre${i}`), cm(`pre${i}`));
    const late: number[] = [];
    store.watch('/registry/', 10, (event) => {
      // Started in the middle of a group commit: the rest of the batch arrives before its replay runs.
      if (event.revision === 12) store.watch('/registry/', 8, (e) => late.push(e.revision));
    });
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => store.create(key(`o${i}`), cm(`o${i}`))),
    );
    await store.create(key('last'), cm('last'));
    expect(late).toEqual(Array.from({ length: 23 }, (_, i) => 9 + i));
  });

  it('delivers only new events when watching from the current revision', async () => {
    const store = await open({ dataDir: await tempDir() });
    await store.create(key('a'), cm('a'));
    const seen: number[] = [];
    store.watch('/registry/', store.revision, (e) => seen.push(e.revision));
    await store.create(key('b'), cm('b'));
    expect(seen).toEqual([2]);
  });

  it('keeps delivering to other watchers when a handler throws', async () => {
    const warnings: string[] = [];
    const store = await open({ dataDir: await tempDir(), onWarning: (m) => warnings.push(m) });
    const seen: number[] = [];
    store.watch('/registry/', 0, () => {
      throw new Error('boom');
    });
    store.watch('/registry/', 0, (e) => seen.push(e.revision));
    await store.create(key('a'), cm('a'));
    await store.create(key('b'), cm('b'));
    expect(seen).toEqual([1, 2]);
    expect(warnings.some((w) => w.includes('boom'))).toBe(true);
  });

  it('answers Expired for revisions older than the history window', async () => {
    const store = await open({ dataDir: await tempDir(), historyWindow: 5 });
    for (let i = 0; i < 10; i++) await store.create(key(`o${i}`), cm(`o${i}`));
    expect(store.oldestWatchableRevision).toBe(5);
    expect(() => store.watch('/registry/', 4, () => undefined)).toThrow(StoreError);
    try {
      store.watch('/registry/', 0, () => undefined);
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({ kind: 'Expired', message: 'too old resource version: 0 (5)' });
    }
    const seen: number[] = [];
    store.watch('/registry/', 5, (e) => seen.push(e.revision));
    await Promise.resolve();
    expect(seen).toEqual([6, 7, 8, 9, 10]);
  });
});

describe('nedb store: persistence', () => {
  it('keeps objects, resourceVersions and the counter across reopen, also after deleting the newest object', async () => {
    const dataDir = await tempDir();
    const first = await open({ dataDir });
    await first.create(key('a'), cm('a'));
    await first.create(key('b'), cm('b'));
    await first.update(key('a'), cm('a', { v: '2' }));
    await first.create(key('c'), cm('c'));
    await first.delete(key('c')); // the newest object: its revision lives only in the counter record
    const before = first.list('/registry/');
    await first.close();

    const second = await open({ dataDir });
    expect(second.revision).toBe(5);
    expect(second.list('/registry/')).toEqual(before);
    expect(second.get(key('a'))?.metadata.resourceVersion).toBe('3');
    expect((await second.create(key('d'), cm('d'))).metadata.resourceVersion).toBe('6');
    await second.close();

    const third = await open({ dataDir });
    expect(third.revision).toBe(6);
  });

  it('has no history after a restart: only the current revision is watchable', async () => {
    const dataDir = await tempDir();
    const first = await open({ dataDir });
    for (let i = 0; i < 3; i++) await first.create(key(`o${i}`), cm(`o${i}`));
    await first.close();
    const second = await open({ dataDir });
    expect(second.oldestWatchableRevision).toBe(3);
    expect(() => second.watch('/registry/', 2, () => undefined)).toThrow(
      /too old resource version: 2 \(3\)/,
    );
    const seen: number[] = [];
    second.watch('/registry/', 3, (e) => seen.push(e.revision));
    await second.create(key('new'), cm('new'));
    expect(seen).toEqual([4]);
  });

  it('keeps every acknowledged write when the writing process is killed with SIGKILL', async () => {
    const dataDir = await tempDir();
    const child = spawn(process.execPath, ['--import', 'tsx', childScript, 'crash', dataDir], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const acked: { kind: string; key: string; rv: number }[] = [];
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_code, signal) => resolve(signal)),
    );
    let buffered = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        const [kind, ackedKey, rv] = line.split(' ');
        acked.push({ kind, key: ackedKey, rv: Number(rv) });
      }
      // Kill mid-stream, while 16 writers have writes in flight.
      if (acked.length >= 1500 && child.exitCode === null && !child.killed) child.kill('SIGKILL');
    });
    const signal = await exited;
    expect(stderr).toBe('');
    expect(signal).toBe('SIGKILL');
    expect(acked.length).toBeGreaterThanOrEqual(1500);

    const store = await open({ dataDir });
    const maxAcked = Math.max(...acked.map((a) => a.rv));
    for (const ack of acked) {
      const object = store.get(ack.key);
      if (ack.kind === 'deleted') expect(object, ack.key).toBeUndefined();
      else expect(object?.metadata.resourceVersion, ack.key).toBe(String(ack.rv));
    }
    expect(acked.some((a) => a.kind === 'deleted')).toBe(true);
    expect(store.revision).toBeGreaterThanOrEqual(maxAcked);
    const next = await store.create(key('after-crash'), cm('after-crash'));
    expect(Number(next.metadata.resourceVersion)).toBeGreaterThan(maxAcked);
  }, 60_000);
});

describe('nedb store: compaction', () => {
  it('compacts in the background without losing writes that race with it', async () => {
    const dataDir = await tempDir();
    const store = await open({ dataDir, compactEvery: 25 });
    const writer = async (w: number) => {
      for (let i = 0; i < 40; i++) {
        const k = key(`w${w}`);
        if (i === 0) await store.create(k, cm(`w${w}`, { i: '0' }));
        else await store.update(k, cm(`w${w}`, { i: String(i) }));
        if (i % 10 === 5) await store.delete(key(`gone${w}-${i}`)).catch(() => undefined);
        if (i % 10 === 3) await store.create(key(`gone${w}-${i + 2}`), cm('gone'));
      }
    };
    // Explicit compactions on top of the automatic ones, in the middle of the writes.
    const compactions = (async () => {
      for (let i = 0; i < 5; i++) {
        await new Promise((resolve) => setTimeout(resolve, 5));
        await store.compact();
      }
    })();
    await Promise.all([...Array.from({ length: 16 }, (_, w) => writer(w)), compactions]);
    const stats = store.stats();
    expect(stats.compactions).toBeGreaterThanOrEqual(5);
    const before = store.list('/registry/');
    expect(before.items).toHaveLength(16);
    expect(before.items.every((o) => (o.data as Record<string, string>).i === '39')).toBe(true);
    const revision = store.revision;
    await store.close();

    // The file holds far fewer records than were appended: it was rewritten.
    const lines = (await readFile(path.join(dataDir, DATAFILE_NAME), 'utf8'))
      .split('\n')
      .filter(Boolean);
    expect(lines.length).toBeLessThan(stats.appends);

    const reopened = await open({ dataDir });
    expect(reopened.revision).toBe(revision);
    expect(reopened.list('/registry/')).toEqual(before);
  });

  it('also compacts on a timer once something was appended', async () => {
    const store = await open({ dataDir: await tempDir(), compactIntervalMs: 10 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(store.stats().compactions).toBe(0);
    await store.create(key('a'), cm('a'));
    await vi.waitFor(() => expect(store.stats().compactions).toBe(1), { timeout: 2000 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(store.stats().compactions).toBe(1);
  });
});

describe('nedb store: write failures', () => {
  it('fails the write and every later one when the datafile cannot be written, keeping reads', async () => {
    const dataDir = await tempDir();
    const warnings: string[] = [];
    const store = await open({ dataDir, onWarning: (m) => warnings.push(m) });
    await store.create(key('a'), cm('a'));
    // A directory where the datafile was: nedb's next append fails with EISDIR.
    const file = path.join(dataDir, DATAFILE_NAME);
    await rm(file);
    await mkdir(file);
    await expect(store.create(key('b'), cm('b'))).rejects.toThrow(
      /store write failed .*EISDIR.*reopen the store/,
    );
    await expect(store.update(key('a'), cm('a'))).rejects.toThrow(/store write failed/);
    expect(store.get(key('a'))?.metadata.resourceVersion).toBe('1');
    expect(store.get(key('b'))).toBeUndefined();
    expect(store.revision).toBe(1);
    expect(warnings.some((w) => w.includes('accepts no more writes'))).toBe(true);
    await store.close();
  });
});

describe('nedb store: corruption', () => {
  async function storeWithThreeObjects(): Promise<string> {
    const dataDir = await tempDir();
    const store = await open({ dataDir });
    for (const name of ['a', 'b', 'c']) await store.create(key(name), cm(name));
    await store.close();
    return dataDir;
  }

  it('refuses to open a datafile with a corrupt line and names the file and line', async () => {
    const dataDir = await storeWithThreeObjects();
    const file = path.join(dataDir, DATAFILE_NAME);
    const lines = (await readFile(file, 'utf8')).split('\n');
    lines[1] = lines[1].slice(0, 40) + '#' + lines[1].slice(41);
    await writeFile(file, lines.join('\n'));
    const opening = openStore({ dataDir });
    await expect(opening).rejects.toThrow(`${file} line 2: `);
    await expect(opening).rejects.toThrow(/JSON/);
    // Nothing was dropped or rewritten by the failed open.
    expect((await readFile(file, 'utf8')).split('\n')[1]).toBe(lines[1]);
  });

  it('names the line when a stored object itself is unreadable', async () => {
    const dataDir = await storeWithThreeObjects();
    const file = path.join(dataDir, DATAFILE_NAME);
    const lines = (await readFile(file, 'utf8')).split('\n');
    const record = JSON.parse(lines[2]) as { json: string };
    record.json = record.json.slice(0, -3);
    lines[2] = JSON.stringify(record);
    await writeFile(file, lines.join('\n'));
    await expect(openStore({ dataDir })).rejects.toThrow(
      new RegExp(`^${file} line 3: object /registry/`),
    );
  });

  it('drops, with a warning, only an unterminated last record cut off by a crash', async () => {
    const dataDir = await storeWithThreeObjects();
    const file = path.join(dataDir, DATAFILE_NAME);
    await appendFile(file, '{"_id":"/registry/configmaps/default/d","rev":4,"json":"{\\"apiV');
    const warnings: string[] = [];
    const store = await open({ dataDir, onWarning: (m) => warnings.push(m) });
    expect(warnings).toEqual([
      `${file} line 4: removed an incomplete last record left by an interrupted write`,
    ]);
    expect(store.list('/registry/').items.map((o) => o.metadata.name)).toEqual(['a', 'b', 'c']);
    expect(store.revision).toBe(3);
  });
});

describe('nedb store: close', () => {
  it('finishes accepted writes, then refuses every call with Closed', async () => {
    const store = await open({ dataDir: await tempDir() });
    const writes = Array.from({ length: 10 }, (_, i) => store.create(key(`o${i}`), cm(`o${i}`)));
    await store.close();
    expect((await Promise.all(writes)).map((o) => o.metadata.resourceVersion)).toHaveLength(10);
    expect(() => store.get(key('o1'))).toThrow(StoreError);
    expect(() => store.list('/')).toThrow(expect.objectContaining({ kind: 'Closed' }) as Error);
    expect(() => store.watch('/', 0, () => undefined)).toThrow(
      expect.objectContaining({ kind: 'Closed' }) as Error,
    );
    await expectStoreError(store.create(key('x'), cm('x')), 'Closed');
    await expectStoreError(store.update(key('o1'), cm('o1')), 'Closed');
    await expectStoreError(store.delete(key('o1')), 'Closed');
    await expectStoreError(store.compact(), 'Closed');
  });

  it('leaves no handles behind: a process that used the store exits by itself', async () => {
    const dataDir = await tempDir();
    const child = spawn(process.execPath, ['--import', 'tsx', childScript, 'exit', dataDir], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    clearTimeout(timer);
    expect(code).toBe(0);
    const report = JSON.parse(output) as { events: number; resources: string[] };
    expect(report.events).toBe(40);
    // Only the child's stdio pipes may remain: no timers, file handles or pending fs requests.
    expect(report.resources.filter((r) => r !== 'PipeWrap' && r !== 'TTYWrap')).toEqual([]);
  }, 30_000);
});
