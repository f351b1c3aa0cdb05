import { describe, it, expect } from 'vitest';
import { defaultNodeName, dockerArch, nodeResources } from './docker-node.ts';
import { dockerMessage } from './docker-pods.ts';

describe('Docker node identity and capacity', () => {
  it('makes the host name a DNS-1123 subdomain', () => {
    expect(defaultNodeName('My-MacBook-Pro.local')).toBe('my-macbook-pro.local');
    expect(defaultNodeName('DESKTOP_AB12 ')).toBe('desktop-ab12');
    expect(defaultNodeName('-x..y-')).toBe('x.y');
    expect(defaultNodeName('___')).toBe('skiff-node');
  });

  it('maps docker info to capacity, allocatable and GOARCH', () => {
    expect(
      nodeResources({
        cpus: 4,
        memoryBytes: 8 * 1024 ** 3,
        storageBytes: 100 * 1024 ** 3,
        kernelVersion: '',
        osImage: '',
        operatingSystem: 'linux',
        architecture: 'amd64',
        machineID: '',
      }),
    ).toEqual({
      capacity: { cpu: '4', memory: '8388608Ki', pods: '110', 'ephemeral-storage': '104857600Ki' },
      allocatable: {
        cpu: '4',
        memory: '8286208Ki',
        pods: '110',
        'ephemeral-storage': String(Math.floor(100 * 1024 ** 3 * 0.9)),
      },
    });
    expect(dockerArch('x86_64')).toBe('amd64');
    expect(dockerArch('aarch64')).toBe('arm64');
  });

  it("takes the registry's message out of a Docker error", () => {
    const err = Object.assign(new Error('(HTTP code 404) unexpected'), {
      json: { message: 'manifest for x:1 not found: manifest unknown' },
    });
    expect(dockerMessage(err)).toBe('manifest for x:1 not found: manifest unknown');
    expect(dockerMessage(new Error('connect ENOENT /x.sock'))).toBe('connect ENOENT /x.sock');
  });
});
