import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { planClusterNetwork } from '../../main/api/cluster-network.ts';
import { loadOrCreateToken, netdAddress, tokenHash } from './netd.ts';
import { tarArchive } from './tar.ts';

describe('netd supervision helpers', () => {
  it('keeps the token in a 0600 file and reuses it', () => {
    const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'netd-token-')), 'netd');
    const token = loadOrCreateToken(dir);
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    expect(fs.statSync(path.join(dir, 'token')).mode & 0o777).toBe(0o600);
    expect(loadOrCreateToken(dir)).toBe(token);
    expect(tokenHash(token)).not.toContain(token.slice(0, 16));
    fs.rmSync(path.dirname(dir), { recursive: true });
  });

  it('puts netd at the last address of the pod range', () => {
    expect(netdAddress(planClusterNetwork('10.96.0.0/16'))).toBe('10.96.127.255');
    expect(netdAddress(planClusterNetwork('10.98.0.0/16'))).toBe('10.98.127.255');
  });

  it('writes ustar archives with valid checksums', () => {
    const tar = tarArchive([{ name: 'Dockerfile', data: Buffer.from('FROM x\n') }]);
    expect(tar.length).toBe(512 + 512 + 1024);
    expect(tar.subarray(0, 10).toString()).toBe('Dockerfile');
    const header = Buffer.from(tar.subarray(0, 512));
    const stored = parseInt(header.subarray(148, 155).toString(), 8);
    header.fill(' ', 148, 156);
    expect(stored).toBe(header.reduce((a, b) => a + b, 0));
    expect(parseInt(tar.subarray(124, 135).toString(), 8)).toBe(7);
    expect(tar.subarray(512, 519).toString()).toBe('FROM x\n');
  });
});
