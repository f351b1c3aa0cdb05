import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { validatePayloadPath, writeAtomic, type FileProjection } from './atomic-writer.ts';

let dir = '';
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'atomic-writer-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const payload = (entries: Record<string, string>, mode = 0o644): Map<string, FileProjection> =>
  new Map(Object.entries(entries).map(([k, v]) => [k, { data: Buffer.from(v), mode }]));

describe('AtomicWriter', () => {
  it('writes through a ..data symlink to a timestamped dir, with modes and nested paths', async () => {
    expect(await writeAtomic(dir, payload({ a: '1', 'sub/b': '2' }, 0o400))).toBe(true);
    const target = await fs.readlink(path.join(dir, '..data'));
    expect(target).toMatch(/^\.\.\d{4}_\d\d_\d\d_\d\d_\d\d_\d\d\.[0-9a-f]+$/);
    expect(await fs.readlink(path.join(dir, 'a'))).toBe('..data/a');
    expect(await fs.readlink(path.join(dir, 'sub'))).toBe('..data/sub');
    expect(await fs.readFile(path.join(dir, 'sub/b'), 'utf8')).toBe('2');
    expect((await fs.stat(path.join(dir, 'a'))).mode & 0o777).toBe(0o400);
  });

  it('does nothing when the payload is unchanged, swaps and prunes when it changes', async () => {
    await writeAtomic(dir, payload({ a: '1', b: '2' }));
    const first = await fs.readlink(path.join(dir, '..data'));
    expect(await writeAtomic(dir, payload({ a: '1', b: '2' }))).toBe(false);
    expect(await fs.readlink(path.join(dir, '..data'))).toBe(first);
    expect(await writeAtomic(dir, payload({ a: 'changed' }))).toBe(true);
    const second = await fs.readlink(path.join(dir, '..data'));
    expect(second).not.toBe(first);
    expect(await fs.readFile(path.join(dir, 'a'), 'utf8')).toBe('changed');
    // The removed key, and the old timestamped dir, are gone.
    expect((await fs.readdir(dir)).sort()).toEqual(['..data', second, 'a'].sort());
    // A mode change alone is a change.
    expect(await writeAtomic(dir, payload({ a: 'changed' }, 0o600))).toBe(true);
  });

  it('refuses paths kubelet refuses', async () => {
    expect(() => validatePayloadPath('/abs')).toThrow('must be relative path');
    expect(() => validatePayloadPath('a/../b')).toThrow("must not contain '..'");
    expect(() => validatePayloadPath('..hidden')).toThrow("must not start with '..'");
    await expect(writeAtomic(dir, payload({ '../escape': 'x' }))).rejects.toThrow();
    expect(await fs.readdir(dir).catch(() => [])).toEqual([]);
  });
});
