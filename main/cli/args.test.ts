import path from 'node:path';
import { describe, it, expect } from 'vitest';
import { parseServeArgs, UsageError } from './args.ts';
import { defaultDataDir } from './data-dir.ts';

describe('skiff serve flags', () => {
  it('defaults to port 6443, Docker on, and the per-user data folder', () => {
    expect(parseServeArgs([])).toEqual({
      dataDir: path.resolve(defaultDataDir()),
      apiPort: 6443,
      apiPortExplicit: false,
      docker: true,
      simulatedNodes: 0,
    });
  });

  it('reads --data-dir, --api-port and --no-docker', () => {
    expect(parseServeArgs(['--data-dir', 'x/y', '--api-port', '0', '--no-docker'])).toEqual({
      dataDir: path.resolve('x/y'),
      apiPort: 0,
      apiPortExplicit: true,
      docker: false,
      simulatedNodes: 0,
    });
    expect(parseServeArgs(['--simulated-nodes', '3'])).toMatchObject({ simulatedNodes: 3 });
    expect(() => parseServeArgs(['--simulated-nodes', 'x'])).toThrow(/--simulated-nodes: "x"/);
  });

  it('reads the Docker node flags', () => {
    expect(
      parseServeArgs([
        '--node-name',
        'my-laptop.local',
        '--sandbox-image',
        '127.0.0.1:5000/skiff/pause:3.10',
        '--netd-base-image',
        'node:20',
      ]),
    ).toMatchObject({
      nodeName: 'my-laptop.local',
      sandboxImage: '127.0.0.1:5000/skiff/pause:3.10',
      netdBaseImage: 'node:20',
      docker: true,
    });
    expect(() => parseServeArgs(['--node-name', 'My_Laptop'])).toThrow(
      /--node-name: "My_Laptop" is not a valid node name/,
    );
    expect(() => parseServeArgs(['--sandbox-image', ''])).toThrow(/--sandbox-image: "" is not/);
  });

  it('reads --cluster-cidr and names it when it is bad', () => {
    expect(parseServeArgs(['--cluster-cidr', '10.99.0.0/16'])).toMatchObject({
      clusterCidr: '10.99.0.0/16',
    });
    expect(parseServeArgs([])).not.toHaveProperty('clusterCidr');
    expect(() => parseServeArgs(['--cluster-cidr', '10.99.0.0/30'])).toThrow(
      /--cluster-cidr: "10.99.0.0\/30" is not an IPv4 CIDR/,
    );
  });

  it('reads the Ingress ports and names the flag when one is bad', () => {
    expect(
      parseServeArgs(['--ingress-http-port', '8080', '--ingress-https-port', '0']),
    ).toMatchObject({ ingressHttpPort: 8080, ingressHttpsPort: 0 });
    expect(parseServeArgs([])).not.toHaveProperty('ingressHttpPort');
    expect(() => parseServeArgs(['--ingress-https-port', '99999'])).toThrow(
      new UsageError('--ingress-https-port: "99999" is not a port number (0-65535)'),
    );
    expect(() =>
      parseServeArgs(['--ingress-http-port', '8443', '--ingress-https-port', '8443']),
    ).toThrow(/--ingress-https-port: 8443 is already the Ingress controller's HTTP port/);
  });

  it('names the flag in bad input', () => {
    expect(() => parseServeArgs(['--api-port', '70000'])).toThrow(
      new UsageError('--api-port: "70000" is not a port number (0-65535)'),
    );
    expect(() => parseServeArgs(['--api-port', 'abc'])).toThrow(/--api-port: "abc"/);
    expect(() => parseServeArgs(['--data-dir', ' '])).toThrow(/--data-dir: must not be empty/);
    expect(() => parseServeArgs(['--bogus'])).toThrow(UsageError);
    expect(() => parseServeArgs(['--bogus'])).toThrow(/--bogus/);
  });

  it('answers help', () => {
    expect(parseServeArgs(['--help'])).toBe('help');
  });
});

describe('default data folder', () => {
  it('follows each platform’s per-user application data place', () => {
    expect(defaultDataDir({ XDG_CONFIG_HOME: '/cfg' }, 'linux')).toBe(path.join('/cfg', 'Skiff'));
    expect(defaultDataDir({ APPDATA: 'C:\\Users\\u\\AppData\\Roaming' }, 'win32')).toBe(
      path.join('C:\\Users\\u\\AppData\\Roaming', 'Skiff'),
    );
    expect(defaultDataDir({}, 'darwin')).toMatch(/Library[/\\]Application Support[/\\]Skiff$/);
  });
});
