// Tests for the nedb store: compare-and-swap, concurrency, watch replay/live/expiry, persistence,
// durability under SIGKILL, compaction racing writes, corruption reports and clean shutdown.
import { describe, it, expect, afterEach, vi } from 'vitest';
import { spawn } from 'node:child_process';
import { readFileSync, readlinkSync, statSync } from 'node:fs';
import {
  appendFile,
  mkdir,
  mkdtemp,
  open as openFile,
  readFile,
  rm,
  writeFile,
} from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';
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

/** A full garbage collection, so a test can tell what the store still keeps alive. */
function collectGarbage(): void {
  v8.setFlagsFromString('--expose-gc');
  (vm.runInNewContext('gc') as () => void)();
}

async function expectStoreError(
  promise: Promise<unknown>,
  kind: StoreError['kind'],
): Promise<void> {
  await expect(promise).rejects.toBeInstanceOf(StoreError);
  await expect(promise).rejects.toMatchObject({ kind });
}

/** nedb's storage module, the one its Persistence appends through (same CommonJS instance). */
const nedbStorage = createRequire(import.meta.url)('@seald-io/nedb/lib/storage.js') as {
  appendFileAsync: (file: string, data: string, options: unknown) => Promise<void>;
};

/** Records every datafile append; with hold, the first one waits until release() is called. */
function watchAppends(hold: boolean) {
  const appends: string[] = [];
  let release = () => undefined as void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const real = nedbStorage.appendFileAsync;
  const spy = vi
    .spyOn(nedbStorage, 'appendFileAsync')
    .mockImplementation(async (file, data, options) => {
      appends.push(data);
      if (hold && appends.length === 1) await gate;
      return real(file, data, options);
    });
  return { appends, release, restore: () => spy.mockRestore() };
}

const parseLines = (text: string) =>
  text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { _id: string; rev?: number; $$deleted?: boolean });

/**
 * Spies on real fsync(2) calls through FileHandles (what the store and nedb use): before runs
 * first with the descriptor and may return a callback to run once the fsync finished. count
 * includes the running call.
 */
async function spyOnFsync() {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'skiff-fsync-'));
  const handle = await openFile(path.join(dir, 'probe'), 'w');
  const proto = Object.getPrototypeOf(handle) as { sync: () => Promise<void> };
  await handle.close();
  await rm(dir, { recursive: true });
  const realSync = proto.sync;
  const state = {
    count: 0,
    before: (() => undefined) as (fd: number) => Promise<(() => void) | void> | (() => void) | void,
    restore: () => spy.mockRestore(),
  };
  const spy = vi.spyOn(proto, 'sync').mockImplementation(async function (this: { fd: number }) {
    state.count++;
    const after = await state.before(this.fd);
    await realSync.call(this);
    after?.();
  });
  return state;
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

  it('acknowledges a write only after an fsync that started after its append finished', async () => {
    const dataDir = await tempDir();
    const store = await open({ dataDir });
    const file = path.join(dataDir, DATAFILE_NAME);
    // Watch real fsync(2) calls, not the store's own counter: the datafile's size when an fsync
    // starts is durable once that fsync finishes.
    const syncs = await spyOnFsync();
    let durableBytes = 0;
    syncs.before = () => {
      const size = statSync(file).size;
      return () => {
        durableBytes = Math.max(durableBytes, size);
      };
    };
    const problems: string[] = [];
    const check = (k: string, object: KubeObject, deleted: boolean) => {
      // Runs in the same turn as the acknowledgement: no I/O can complete in between.
      const onDisk = readFileSync(file);
      const line = deleted
        ? `{"$$deleted":true,"_id":${JSON.stringify(k)}}`
        : `{"_id":${JSON.stringify(k)},"rev":${object.metadata.resourceVersion},`;
      const at = onDisk.lastIndexOf(line);
      if (at === -1) problems.push(`${k} acknowledged before it was appended`);
      else if (onDisk.indexOf('\n', at) + 1 > durableBytes) {
        problems.push(`${k} acknowledged before an fsync covering it finished`);
      }
    };
    const writer = async (w: number) => {
      for (let i = 0; i < 10; i++) {
        const k = key(`w${w}-${i}`);
        const created = await store.create(k, cm(`w${w}-${i}`));
        check(k, created, false);
        if (i % 3 === 1) check(k, await store.update(k, cm(`w${w}-${i}`, { i: 'x' })), false);
        if (i % 3 === 2) check(k, await store.delete(k), true);
      }
    };
    try {
      await Promise.all(Array.from({ length: 32 }, (_, w) => writer(w)));
    } finally {
      syncs.restore();
    }
    expect(problems).toEqual([]);
    expect(syncs.count).toBeGreaterThan(0);
    expect(store.stats().appendBatches).toBeLessThan(store.stats().appends);
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

describe('nedb store: batched appends', () => {
  it('persists every write that waited behind a running append in one append, counter record first', async () => {
    const dataDir = await tempDir();
    const store = await open({ dataDir });
    for (let i = 0; i < 5; i++) await store.create(key(`u${i}`), cm(`u${i}`));
    for (let i = 0; i < 5; i++) await store.create(key(`d${i}`), cm(`d${i}`));
    const appends = watchAppends(true);
    let batch: Promise<KubeObject>[];
    try {
      const first = store.create(key('first'), cm('first'));
      await vi.waitFor(() => expect(appends.appends).toHaveLength(1));
      batch = [
        first,
        ...Array.from({ length: 10 }, (_, i) => store.create(key(`n${i}`), cm(`n${i}`))),
        ...Array.from({ length: 5 }, (_, i) => store.update(key(`u${i}`), cm(`u${i}`, { v: '2' }))),
        ...Array.from({ length: 5 }, (_, i) => store.delete(key(`d${i}`))),
      ];
      // Nothing is acknowledged while the append in front of the batch is held.
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(store.revision).toBe(10);
      appends.release();
      await Promise.all(batch);
    } finally {
      appends.restore();
    }
    // Revisions: 11 'first' (held alone), then n 12-21, u 22-26, d 27-31 in a single append.
    expect(appends.appends).toHaveLength(2);
    const lines = parseLines(appends.appends[1]);
    expect(lines[0]).toEqual({ _id: 'skiff:revision', rev: 31 });
    expect(lines.slice(1).map((l) => l._id)).toEqual([
      ...Array.from({ length: 10 }, (_, i) => key(`n${i}`)),
      ...Array.from({ length: 5 }, (_, i) => key(`u${i}`)),
      ...Array.from({ length: 5 }, (_, i) => key(`d${i}`)),
    ]);
    expect(lines.slice(1).map((l) => l.rev ?? l.$$deleted)).toEqual([
      ...Array.from({ length: 15 }, (_, i) => 12 + i),
      ...Array.from({ length: 5 }, () => true),
    ]);
    expect(store.stats()).toMatchObject({ appends: 31, appendBatches: 12 });
    expect(store.revision).toBe(31);

    // nedb's in-memory copy followed the batch: its compaction rewrites exactly the store's state.
    const state = store.list('/registry/');
    await store.compact();
    const compacted = parseLines(await readFile(path.join(dataDir, DATAFILE_NAME), 'utf8'));
    expect(compacted.map((l) => l._id).sort()).toEqual(
      ['skiff:revision', ...state.items.map((o) => key(o.metadata.name!))].sort(),
    );
    await store.close();
    const reopened = await open({ dataDir });
    expect(reopened.revision).toBe(31);
    expect(reopened.list('/registry/')).toEqual(state);
  });

  it('lets many concurrent writers share appends and fsyncs', async () => {
    const store = await open({ dataDir: await tempDir() });
    const appends = watchAppends(false);
    const writer = async (w: number) => {
      for (let i = 0; i < 10; i++) {
        const k = key(`w${w}-${i}`);
        await store.create(k, cm(`w${w}-${i}`));
        if (i % 2 === 0) await store.update(k, cm(`w${w}-${i}`, { v: '2' }));
        if (i % 5 === 4) await store.delete(k);
      }
    };
    try {
      await Promise.all(Array.from({ length: 64 }, (_, w) => writer(w)));
    } finally {
      appends.restore();
    }
    const writes = 64 * (10 + 5 + 2);
    expect(store.revision).toBe(writes);
    const stats = store.stats();
    expect(stats.appends).toBe(writes);
    expect(stats.appendBatches).toBe(appends.appends.length);
    expect(appends.appends.length).toBeLessThan(writes / 8);
    expect(stats.fsyncs).toBeLessThanOrEqual(appends.appends.length);
    // Every write is in exactly one append.
    const records = appends.appends.flatMap(parseLines).filter((l) => l._id !== 'skiff:revision');
    expect(records).toHaveLength(writes);
  });

  it("puts a write that arrives during a batch's fsync into the next batch, with its own fsync", async () => {
    const dataDir = await tempDir();
    const store = await open({ dataDir });
    const file = path.join(dataDir, DATAFILE_NAME);
    const syncs = await spyOnFsync();
    let release = () => undefined as void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    syncs.before = async () => {
      if (syncs.count === 1) await gate; // hold the first batch's fsync
    };
    try {
      const acknowledged: string[] = [];
      const first = store.create(key('a'), cm('a')).then(() => acknowledged.push('a'));
      await vi.waitFor(() => expect(syncs.count).toBe(1));
      const second = store.create(key('b'), cm('b')).then(() => acknowledged.push('b'));
      await new Promise((resolve) => setTimeout(resolve, 20));
      // The next append waits for the running fsync; nothing is acknowledged before it ends.
      expect(readFileSync(file, 'utf8')).not.toContain(key('b'));
      expect(acknowledged).toEqual([]);
      release();
      await first;
      expect(acknowledged).toEqual(['a']);
      expect(store.get(key('b'))).toBeUndefined();
      await second;
      expect(acknowledged).toEqual(['a', 'b']);
      expect(syncs.count).toBe(2);
      expect(store.stats()).toMatchObject({ appends: 2, appendBatches: 2, fsyncs: 2 });
    } finally {
      syncs.restore();
    }
  });

  it.skipIf(process.platform !== 'linux')(
    'fsyncs the live datafile after compactions replace it, never the replaced one',
    async () => {
      const dataDir = await tempDir();
      const store = await open({ dataDir, compactEvery: 20 });
      const syncs = await spyOnFsync();
      const targets: string[] = [];
      syncs.before = (fd) => {
        targets.push(readlinkSync(`/proc/self/fd/${fd}`));
      };
      const writer = async (w: number) => {
        for (let i = 0; i < 20; i++) {
          await store.create(key(`w${w}-${i}`), cm(`w${w}-${i}`));
          if (i % 7 === 0) await store.compact();
        }
      };
      try {
        await Promise.all(Array.from({ length: 8 }, (_, w) => writer(w)));
      } finally {
        syncs.restore();
      }
      expect(store.stats().compactions).toBeGreaterThanOrEqual(8);
      const file = path.join(dataDir, DATAFILE_NAME);
      // nedb's compaction also fsyncs the directory and its temporary file; the store's own
      // fsyncs are the ones on the datafile, and none may hit a file renamed away.
      expect(targets.filter((t) => t.startsWith(file) && !t.startsWith(`${file}~`))).not.toEqual(
        [],
      );
      expect(targets.filter((t) => t.endsWith('(deleted)'))).toEqual([]);
    },
  );

  it('leaves a consistent store, counter included, wherever a batched append is cut off', async () => {
    const dataDir = await tempDir();
    const store = await open({ dataDir });
    for (const name of ['a', 'b', 'c', 'd']) await store.create(key(name), cm(name));
    const appends = watchAppends(true);
    try {
      const held = store.create(key('x'), cm('x'));
      await vi.waitFor(() => expect(appends.appends).toHaveLength(1));
      const batch = [
        store.update(key('a'), cm('a', { v: '2' })),
        store.delete(key('b')),
        store.create(key('e'), cm('e')),
        store.delete(key('c')),
        store.update(key('d'), cm('d', { v: '2' })),
      ];
      appends.release();
      await Promise.all([held, ...batch]);
    } finally {
      appends.restore();
    }
    await store.close();
    expect(appends.appends).toHaveLength(2);

    // States before and after the batch (x: 5, then a 6, b deleted at 7, e 8, c deleted at 9, d 10).
    const allowed: Record<string, (string | undefined)[]> = {
      a: ['1', '6'],
      b: ['2', undefined],
      c: ['3', undefined],
      d: ['4', '10'],
      e: [undefined, '8'],
      x: ['5'],
    };
    const deletedAt: Record<string, number> = { b: 7, c: 9 };
    const full = await readFile(path.join(dataDir, DATAFILE_NAME));
    const batchStart = full.length - Buffer.byteLength(appends.appends[1]);
    const cuts: number[] = [];
    for (let at = batchStart; at !== 0 && at <= full.length; at = full.indexOf('\n', at) + 1) {
      cuts.push(at);
      if (at < full.length) cuts.push(at + 15); // inside the next line
    }
    expect(cuts.length).toBe(13);
    for (const cut of cuts) {
      const copy = await tempDir();
      await writeFile(path.join(copy, DATAFILE_NAME), full.subarray(0, cut));
      const warnings: string[] = [];
      const crashed = await open({ dataDir: copy, onWarning: (m) => warnings.push(m) });
      expect(warnings.length, `cut at ${cut}`).toBe(full[cut - 1] === 0x0a ? 0 : 1);
      let newest = 0;
      for (const [name, states] of Object.entries(allowed)) {
        const rv = crashed.get(key(name))?.metadata.resourceVersion;
        expect(states, `${name} at cut ${cut}`).toContain(rv);
        newest = Math.max(newest, Number(rv ?? 0));
        // A removal on disk always comes with a counter at least as new (a resumed watch gets 410).
        if (rv === undefined && name in deletedAt) newest = Math.max(newest, deletedAt[name]);
      }
      expect(crashed.revision, `cut at ${cut}`).toBeGreaterThanOrEqual(newest);
      await crashed.close();
    }
  });
});

describe('nedb store: writes from watchers', () => {
  it('acknowledges a write a watcher makes while the batch that woke it is acknowledged', async () => {
    // Controllers react to an event by writing at once; such a write must never be lost.
    const store = await open({ dataDir: await tempDir() });
    const echoes: Promise<KubeObject>[] = [];
    store.watch('/registry/configmaps/default/', store.revision, (event) => {
      if (event.type === 'ADDED' && !event.key.endsWith('-echo')) {
        echoes.push(store.create(`${event.key}-echo`, cm(`${event.object.metadata.name}-echo`)));
      }
    });
    await Promise.all([store.create(key('a'), cm('a')), store.create(key('b'), cm('b'))]);
    const settled = await Promise.race([
      Promise.all(echoes).then(() => 'acknowledged'),
      new Promise((resolve) => setTimeout(() => resolve('hung'), 5_000)),
    ]);
    expect(settled).toBe('acknowledged');
    expect(store.get(key('a-echo'))).toBeDefined();
    expect(store.get(key('b-echo'))).toBeDefined();
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

  it('keeps no superseded or deleted object alive for its history, yet replays them', async () => {
    const store = await open({ dataDir: await tempDir() });
    const versions: WeakRef<KubeObject>[] = [];
    // Objects are only referenced through WeakRefs here, so the store alone decides what lives.
    const write = async (v: string) => {
      const object =
        v === '1'
          ? await store.create(key('a'), cm('a', { v }))
          : await store.update(key('a'), cm('a', { v }));
      versions.push(new WeakRef(object));
    };
    for (const v of ['1', '2', '3']) await write(v);
    versions.push(new WeakRef(await store.create(key('b'), cm('b', { v: 'b' }))));
    versions.push(new WeakRef(await store.delete(key('b'))));
    await new Promise((resolve) => setTimeout(resolve, 0));
    collectGarbage();
    expect(versions.map((ref) => ref.deref() !== undefined)).toEqual([
      false,
      false,
      true, // the current version of a, which the objects map holds
      false,
      false,
    ]);

    const events: StoreEvent[] = [];
    store.watch('/registry/', 0, (event) => events.push(event));
    await Promise.resolve();
    expect(
      events.map((e) => [
        e.type,
        e.revision,
        e.object.metadata.resourceVersion,
        e.object.data,
        e.prevObject?.metadata.resourceVersion,
      ]),
    ).toEqual([
      ['ADDED', 1, '1', { v: '1' }, undefined],
      ['MODIFIED', 2, '2', { v: '2' }, '1'],
      ['MODIFIED', 3, '3', { v: '3' }, '2'],
      ['ADDED', 4, '4', { v: 'b' }, undefined],
      ['DELETED', 5, '5', { v: 'b' }, '4'],
    ]);
    // The current version replays as the very object the store (and every informer) holds.
    expect(events[2].object).toBe(store.get(key('a')));
    expect(Object.isFrozen(events[1].object.metadata)).toBe(true);
    expect(Object.isFrozen(events[4].prevObject)).toBe(true);
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

  /**
   * Runs the crash child with this many concurrent writers, SIGKILLs it once killAfter writes were
   * acknowledged, then checks that every acknowledged write survived. Returns the child's last
   * reported write and append counts.
   */
  async function killWhileWriting(writers: number, killAfter: number) {
    const dataDir = await tempDir();
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', childScript, 'crash', dataDir, String(writers)],
      { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const acked: { kind: string; key: string; rv: number }[] = [];
    const stats = { appends: 0, appendBatches: 0 };
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_code, signal) => resolve(signal)),
    );
    let buffered = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        const [kind, first, second] = line.split(' ');
        if (kind === 'stats') {
          stats.appends = Number(first);
          stats.appendBatches = Number(second);
        } else acked.push({ kind, key: first, rv: Number(second) });
      }
      // Kill mid-stream, while every writer has a write in flight.
      if (acked.length >= killAfter && child.exitCode === null && !child.killed) {
        child.kill('SIGKILL');
      }
    });
    const signal = await exited;
    expect(stderr).toBe('');
    expect(signal).toBe('SIGKILL');
    expect(acked.length).toBeGreaterThanOrEqual(killAfter);

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
    return stats;
  }

  it('keeps every acknowledged write when the writing process is killed with SIGKILL', async () => {
    await killWhileWriting(16, 1500);
  }, 60_000);

  it('keeps every acknowledged write when SIGKILL cuts into large batched appends', async () => {
    const stats = await killWhileWriting(256, 4000);
    // The killed process was persisting many writes per append.
    expect(stats.appends).toBeGreaterThan(0);
    expect(stats.appendBatches).toBeLessThan(stats.appends / 16);
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

  it('rewrites objects loaded at open, which nedb keeps without their JSON text', async () => {
    const dataDir = await tempDir();
    const first = await open({ dataDir });
    await first.create(key('a'), cm('a', { v: '1' }));
    await first.create(key('b'), cm('b', { 'dotted.key': 'x' }));
    await first.update(key('a'), cm('a', { v: '2' }));
    const before = first.list('/registry/');
    await first.close();

    const second = await open({ dataDir });
    await second.compact();
    const lines = parseLines(await readFile(path.join(dataDir, DATAFILE_NAME), 'utf8'));
    expect(lines).toEqual([
      { _id: key('a'), rev: 3, json: JSON.stringify(before.items[0]) },
      { _id: key('b'), rev: 2, json: JSON.stringify(before.items[1]) },
    ]);
    await second.update(key('b'), cm('b', { v: '3' }));
    await second.compact();
    await second.close();
    const third = await open({ dataDir });
    expect(third.list('/registry/').items.map((o) => o.data)).toEqual([{ v: '2' }, { v: '3' }]);
  });

  it('rewrites a datafile larger than one write piece by piece, leaving no temporary file', async () => {
    const dataDir = await tempDir();
    const store = await open({ dataDir });
    const padding = 'p'.repeat(8192);
    for (let i = 0; i < 300; i++) await store.create(key(`big${i}`), cm(`big${i}`, { padding }));
    for (let i = 0; i < 300; i += 3) await store.delete(key(`big${i}`));
    const before = store.list('/registry/');
    await store.compact();
    const file = path.join(dataDir, DATAFILE_NAME);
    expect(statSync(file).size).toBeGreaterThan(1 << 20);
    const lines = parseLines(await readFile(file, 'utf8'));
    expect(lines).toHaveLength(201); // 200 objects and the counter record
    expect(lines.at(-1)).toEqual({ _id: 'skiff:revision', rev: 400 });
    await expect(readFile(`${file}~`)).rejects.toMatchObject({ code: 'ENOENT' });
    await store.close();
    const reopened = await open({ dataDir });
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
    const report = JSON.parse(output) as {
      events: number;
      resources: string[];
      openFiles: string[];
    };
    expect(report.events).toBe(41);
    // Only the child's stdio pipes may remain: no timers, file handles or pending fs requests.
    expect(report.resources.filter((r) => r !== 'PipeWrap' && r !== 'TTYWrap')).toEqual([]);
    expect(report.openFiles).toEqual([]);
  }, 30_000);
});
