import { describe, it, expect } from 'vitest';
import type { KubeObject } from '../../main/api/types.ts';
import { pullCredentials, registryOf } from './pull-secrets.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64');

function dockerConfigJson(auths: Record<string, unknown>): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 's' },
    type: 'kubernetes.io/dockerconfigjson',
    data: { '.dockerconfigjson': b64(JSON.stringify({ auths })) },
  };
}

describe('imagePullSecrets', () => {
  it('finds the registry of an image reference', () => {
    expect(registryOf('busybox')).toBe('docker.io');
    expect(registryOf('library/busybox:1')).toBe('docker.io');
    expect(registryOf('127.0.0.1:5001/private/busybox:1')).toBe('127.0.0.1:5001');
    expect(registryOf('localhost/x')).toBe('localhost');
  });

  it('takes the matching credentials, from username/password or auth', () => {
    const secrets = [
      dockerConfigJson({ 'other.io': { username: 'no', password: 'no' } }),
      dockerConfigJson({ '127.0.0.1:5001': { auth: b64('me:pw:with:colons') } }),
      dockerConfigJson({ 'https://index.docker.io/v1/': { username: 'hub', password: 'h' } }),
    ];
    expect(pullCredentials('127.0.0.1:5001/private/busybox:1', secrets)).toEqual([
      { username: 'me', password: 'pw:with:colons', serveraddress: '127.0.0.1:5001' },
    ]);
    expect(pullCredentials('busybox', secrets)).toEqual([
      { username: 'hub', password: 'h', serveraddress: 'https://index.docker.io/v1/' },
    ]);
    expect(pullCredentials('quay.io/x', secrets)).toEqual([]);
  });
});
