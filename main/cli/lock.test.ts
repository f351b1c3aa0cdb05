import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterEach, describe, it, expect } from 'vitest';
import { DataDirLockedError, lockDataDir } from './lock.ts';

const dirs: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skiff-lock-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe('data directory lock', () => {
  it('refuses a second holder while the first lives, naming it', () => {
    const dir = tempDir();
    // A live process other than this one holds the lock.
    const holder = spawnSync(process.execPath, [
      '-e',
      'process.stdout.write(String(process.ppid))',
    ]);
    expect(holder.status).toBe(0);
    fs.writeFileSync(path.join(dir, 'skiff.lock'), `${process.ppid}\n`);
    expect(() => lockDataDir(dir)).toThrow(DataDirLockedError);
    expect(() => lockDataDir(dir)).toThrow(
      new RegExp(`another Skiff \\(pid ${process.ppid}\\) is already serving the data directory`),
    );
  });

  it('takes over a lock whose owner is gone and releases it', () => {
    const dir = tempDir();
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    fs.writeFileSync(path.join(dir, 'skiff.lock'), `${gone.stdout.toString()}\n`);
    const lock = lockDataDir(dir);
    expect(fs.readFileSync(path.join(dir, 'skiff.lock'), 'utf8').trim()).toBe(String(process.pid));
    lock.release();
    expect(fs.existsSync(path.join(dir, 'skiff.lock'))).toBe(false);
  });
});
