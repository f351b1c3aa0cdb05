// Unit tests of the Docker test environment script: arguments, htpasswd, registry config, rootfs
// composition of the test images, and the pause program's signal handling.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { bcryptHash, pauseCflags, pauseSource } from './docker-test-env.ts';
import {
  bcryptBase64,
  bcryptSetting,
  busyboxImage,
  composeRootfs,
  htpasswdHash,
  htpasswdLine,
  imageFingerprint,
  importChanges,
  ipv4InCidr,
  missingPackages,
  nodeImage,
  parseArguments,
  parseLdd,
  pauseImage,
  registryConfig,
  registryIsInsecure,
  type RootfsEntry,
} from './docker-test-env/compose.ts';

const linux = process.platform === 'linux';
const hasGcc = linux && spawnSync('gcc', ['--version']).status === 0;

function entry(entries: RootfsEntry[], path: string): RootfsEntry | undefined {
  return entries.find((e) => e.path === path);
}

describe('parseArguments', () => {
  it('defaults to up with the default state dir and registries on 127.0.0.1:5000/5001', () => {
    const options = parseArguments([], '/repo/.docker-test-env', '/cwd');
    expect(options).toEqual({
      command: 'up',
      stateDir: '/repo/.docker-test-env',
      openRegistry: { host: '127.0.0.1', port: 5000 },
      authRegistry: { host: '127.0.0.1', port: 5001 },
      rebuild: false,
    });
  });

  it('takes the command, addresses, --rebuild and a state dir relative to cwd', () => {
    const options = parseArguments(
      [
        'stop',
        '--state-dir',
        'tmp/env',
        '--open-registry',
        '127.0.0.2:6000',
        '--auth-registry=127.0.0.1:6001',
        '--rebuild',
      ],
      '/default',
      '/cwd',
    );
    expect(options.command).toBe('stop');
    expect(options.stateDir).toBe('/cwd/tmp/env');
    expect(options.openRegistry).toEqual({ host: '127.0.0.2', port: 6000 });
    expect(options.authRegistry).toEqual({ host: '127.0.0.1', port: 6001 });
    expect(options.rebuild).toBe(true);
    expect(parseArguments(['--state-dir', '/abs'], '/d', '/cwd').stateDir).toBe('/abs');
    expect(parseArguments(['-h'], '/d', '/cwd').command).toBe('help');
    expect(parseArguments(['restart-dockerd'], '/d', '/cwd').command).toBe('restart-dockerd');
  });

  it('rejects non-loopback or malformed addresses, equal addresses and unknown input', () => {
    expect(() => parseArguments(['--open-registry', '10.0.0.1:5000'], '/d', '/c')).toThrow(
      /not a loopback address/,
    );
    expect(() => parseArguments(['--open-registry', 'localhost:5000'], '/d', '/c')).toThrow(
      /expected IPV4:PORT/,
    );
    expect(() => parseArguments(['--auth-registry', '127.0.0.1:70000'], '/d', '/c')).toThrow(
      /out of range/,
    );
    expect(() => parseArguments(['--auth-registry', '127.0.0.1:5000'], '/d', '/c')).toThrow(
      /must differ/,
    );
    expect(() => parseArguments(['down'], '/d', '/c')).toThrow(/unknown command "down"/);
    expect(() => parseArguments(['--verbose'], '/d', '/c')).toThrow();
  });
});

describe('missingPackages', () => {
  it('lists the wanted packages dpkg-query does not report as installed', () => {
    const output = [
      'docker.io install ok installed',
      'busybox-static deinstall ok config-files',
      'libc6-dev:amd64 install ok installed',
      '',
    ].join('\n');
    expect(
      missingPackages(['docker.io', 'docker-registry', 'busybox-static', 'libc6-dev'], output),
    ).toEqual(['docker-registry', 'busybox-static']);
  });
});

describe('htpasswd', () => {
  it('encodes salts with bcrypt base64 (known vector: 0x10 0x41 0x04… is CCC…C.)', () => {
    const bytes = new Uint8Array(16);
    for (let i = 0; i < 16; i++) bytes[i] = [0x10, 0x41, 0x04][i % 3];
    expect(bcryptBase64(bytes)).toBe('CCCCCCCCCCCCCCCCCCCCC.');
    expect(bcryptSetting(bytes, 5)).toBe('$2b$05$CCCCCCCCCCCCCCCCCCCCC.');
    expect(bcryptBase64(new Uint8Array(16).fill(0xff))).toBe('999999999999999999999u');
    expect(() => bcryptSetting(new Uint8Array(15))).toThrow();
  });

  it('makes user:hash lines and finds the hash of a user', () => {
    const hash = '$2b$10$' + 'a'.repeat(53);
    expect(htpasswdLine('skiff-test', hash)).toBe(`skiff-test:${hash}\n`);
    expect(() => htpasswdLine('a:b', hash)).toThrow(/invalid htpasswd user/);
    expect(() => htpasswdLine('u', '{SHA}abc')).toThrow(/bcrypt/);
    expect(htpasswdHash(`other:x\nskiff-test:${hash}\n`, 'skiff-test')).toBe(hash);
    expect(htpasswdHash('other:x\n', 'skiff-test')).toBeUndefined();
  });

  it.skipIf(!linux)('crypt(3) through perl gives the reference bcrypt hash for our setting', () => {
    const bytes = new Uint8Array(16);
    for (let i = 0; i < 16; i++) bytes[i] = [0x10, 0x41, 0x04][i % 3];
    const out = execFileSync('perl', ['-e', 'print crypt($ENV{PW}, $ENV{SETTING})'], {
      env: { ...process.env, PW: 'U*U', SETTING: bcryptSetting(bytes, 5) },
      encoding: 'utf8',
    });
    // crypt_blowfish's published test vector for "U*U" with this salt.
    expect(out).toBe('$2b$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW');
  });

  it.skipIf(!linux)('bcryptHash output verifies against the password and not another', async () => {
    const hash = await bcryptHash('skiff-test', 'secret-1');
    expect(hash).toMatch(/^\$2[aby]\$10\$[./A-Za-z0-9]{53}$/);
    const check = (pw: string): string =>
      execFileSync('perl', ['-e', 'print crypt($ENV{PW}, $ENV{HASH})'], {
        env: { ...process.env, PW: pw, HASH: hash },
        encoding: 'utf8',
      });
    expect(check('secret-1')).toBe(hash);
    expect(check('secret-2')).not.toBe(hash);
  });
});

describe('registry config and dockerd insecure registries', () => {
  it('configures storage and the loopback address, and htpasswd auth only when asked', () => {
    const address = { host: '127.0.0.1', port: 5001 };
    const open = registryConfig({ address, storageDir: '/s' });
    expect(open).toMatchObject({
      version: 0.1,
      storage: { filesystem: { rootdirectory: '/s' } },
      http: { addr: '127.0.0.1:5001' },
    });
    expect(open).not.toHaveProperty('auth');
    const auth = YAML.parse(
      YAML.stringify(registryConfig({ address, storageDir: '/s', htpasswdPath: '/h' })),
    ) as { auth: { htpasswd: { path: string; realm: string } } };
    expect(auth.auth.htpasswd.path).toBe('/h');
    expect(auth.auth.htpasswd.realm).not.toBe('');
  });

  it('reads insecure registries from docker info', () => {
    const address = { host: '127.0.0.1', port: 5000 };
    expect(
      registryIsInsecure({ RegistryConfig: { InsecureRegistryCIDRs: ['127.0.0.0/8'] } }, address),
    ).toBe(true);
    expect(
      registryIsInsecure({ RegistryConfig: { InsecureRegistryCIDRs: ['10.0.0.0/8'] } }, address),
    ).toBe(false);
    expect(
      registryIsInsecure(
        {
          RegistryConfig: {
            InsecureRegistryCIDRs: [],
            IndexConfigs: { '127.0.0.1:5000': { Secure: false } },
          },
        },
        address,
      ),
    ).toBe(true);
    expect(registryIsInsecure({}, address)).toBe(false);
    expect(ipv4InCidr('127.255.0.1', '127.0.0.0/8')).toBe(true);
    expect(ipv4InCidr('128.0.0.1', '127.0.0.0/8')).toBe(false);
    expect(ipv4InCidr('1.2.3.4', '0.0.0.0/0')).toBe(true);
  });
});

describe('parseLdd', () => {
  it('returns the resolved libraries and the interpreter, not the vDSO', () => {
    const output = [
      '\tlinux-vdso.so.1 (0x00007ffd5a1f1000)',
      '\tlibdl.so.2 => /lib/x86_64-linux-gnu/libdl.so.2 (0x00007f6f1c3a0000)',
      '\tlibstdc++.so.6 => /lib/x86_64-linux-gnu/libstdc++.so.6 (0x00007f6f1c000000)',
      '\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f6f1be1e000)',
      '\t/lib64/ld-linux-x86-64.so.2 (0x00007f6f1c3b2000)',
    ].join('\n');
    expect(parseLdd(output)).toEqual([
      '/lib/x86_64-linux-gnu/libdl.so.2',
      '/lib/x86_64-linux-gnu/libstdc++.so.6',
      '/lib/x86_64-linux-gnu/libc.so.6',
      '/lib64/ld-linux-x86-64.so.2',
    ]);
  });

  it('returns nothing for static binaries and throws on a missing library', () => {
    expect(parseLdd('\tnot a dynamic executable\n')).toEqual([]);
    expect(parseLdd('\tstatically linked\n')).toEqual([]);
    expect(() => parseLdd('\tlibfoo.so.1 => not found\n')).toThrow(/libfoo.so.1 not found/);
  });
});

describe('rootfs composition', () => {
  it('adds parent directories, sorts parents first and lets explicit directory modes win', () => {
    const entries = composeRootfs([
      { path: 'var/www/index.html', type: 'text', content: 'x', mode: 0o644 },
      { path: '/var', type: 'dir', mode: 0o700 },
      { path: '/bin/sh', type: 'symlink', target: '/bin/busybox' },
    ]);
    expect(entries.map((e) => e.path)).toEqual([
      '/bin',
      '/bin/sh',
      '/var',
      '/var/www',
      '/var/www/index.html',
    ]);
    expect(entry(entries, '/var')).toEqual({ path: '/var', type: 'dir', mode: 0o700 });
    expect(entry(entries, '/bin')).toEqual({ path: '/bin', type: 'dir', mode: 0o755 });
  });

  it('rejects conflicting duplicates and files under a non-directory', () => {
    expect(() =>
      composeRootfs([
        { path: '/a', type: 'text', content: '1', mode: 0o644 },
        { path: '/a', type: 'text', content: '2', mode: 0o644 },
      ]),
    ).toThrow(/listed twice/);
    expect(() =>
      composeRootfs([
        { path: '/a', type: 'symlink', target: '/b' },
        { path: '/a/x', type: 'text', content: '', mode: 0o644 },
      ]),
    ).toThrow(/not a directory/);
  });

  it('busybox image: applet symlinks, passwd/group for runAsUser, world-writable /tmp', () => {
    const spec = busyboxImage('/usr/bin/busybox', [
      'bin/sh',
      'sbin/ip',
      'usr/bin/wget',
      'bin/busybox',
    ]);
    expect(spec.repository).toBe('skiff/busybox');
    expect(entry(spec.entries, '/bin/busybox')).toMatchObject({
      type: 'file',
      source: '/usr/bin/busybox',
      mode: 0o755,
    });
    for (const path of ['/bin/sh', '/sbin/ip', '/usr/bin/wget']) {
      expect(entry(spec.entries, path)).toEqual({ path, type: 'symlink', target: '/bin/busybox' });
    }
    const passwd = entry(spec.entries, '/etc/passwd');
    expect(passwd?.type === 'text' && passwd.content).toContain('root:x:0:0:root:/root:/bin/sh\n');
    expect(passwd?.type === 'text' && passwd.content).toContain('nobody:x:65534:65534:');
    const group = entry(spec.entries, '/etc/group');
    expect(group?.type === 'text' && group.content).toContain('nogroup:x:65534:\n');
    expect(entry(spec.entries, '/tmp')).toMatchObject({ type: 'dir', mode: 0o1777 });
    expect(spec.config).toMatchObject({ cmd: ['sh'] });
  });

  it('node image: every library at the path ldd gave, node on PATH, a node user', () => {
    const libraries = ['/lib/x86_64-linux-gnu/libc.so.6', '/lib64/ld-linux-x86-64.so.2'];
    const spec = nodeImage({
      nodeBinary: '/usr/bin/node',
      nodeMajor: '20',
      libraries,
      busyboxBinary: '/usr/bin/busybox',
      appletPaths: ['bin/sh', 'sbin/ip'],
    });
    expect(spec.tag).toBe('20');
    for (const lib of libraries) {
      expect(entry(spec.entries, lib)).toMatchObject({ type: 'file', source: lib });
    }
    expect(entry(spec.entries, '/usr/local/bin/node')).toMatchObject({ source: '/usr/bin/node' });
    expect(entry(spec.entries, '/sbin/ip')).toMatchObject({ target: '/bin/busybox' });
    const passwd = entry(spec.entries, '/etc/passwd');
    expect(passwd?.type === 'text' && passwd.content).toContain('node:x:1000:1000:');
    expect(spec.config.env).toContain(
      'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    );
  });

  it('pause image runs /pause as 65535 like registry.k8s.io/pause', () => {
    const spec = pauseImage('/build/pause');
    expect(spec.entries).toEqual([
      { path: '/pause', type: 'file', source: '/build/pause', mode: 0o755 },
    ]);
    expect(spec.config).toEqual({ entrypoint: ['/pause'], user: '65535:65535' });
    expect(`${spec.repository}:${spec.tag}`).toBe('skiff/pause:3.10');
  });

  it('turns the image config into docker import --change instructions', () => {
    expect(
      importChanges(
        { entrypoint: ['/pause'], cmd: ['sh', '-c', 'a b'], env: ['PATH=/bin:/x y'], user: '1:2' },
        { 'org.example': 'v"1' },
      ),
    ).toEqual([
      'ENV PATH="/bin:/x y"',
      'ENTRYPOINT ["/pause"]',
      'CMD ["sh","-c","a b"]',
      'USER 1:2',
      'LABEL org.example="v\\"1"',
    ]);
  });

  it('fingerprints change with a source digest or the config, and need every digest', () => {
    const spec = pauseImage('/build/pause');
    const a = imageFingerprint(spec, new Map([['/build/pause', 'aa']]));
    expect(imageFingerprint(spec, new Map([['/build/pause', 'aa']]))).toBe(a);
    expect(imageFingerprint(spec, new Map([['/build/pause', 'bb']]))).not.toBe(a);
    const other = { ...spec, config: { ...spec.config, user: '0' } };
    expect(imageFingerprint(other, new Map([['/build/pause', 'aa']]))).not.toBe(a);
    expect(() => imageFingerprint(spec, new Map())).toThrow(/no digest/);
  });
});

describe.skipIf(!hasGcc)('pause program', () => {
  it('exits 0 promptly on SIGTERM and on SIGINT', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'skiff-pause-'));
    try {
      const binary = join(dir, 'pause');
      execFileSync('gcc', [...pauseCflags, '-o', binary, pauseSource]);
      for (const signal of ['SIGTERM', 'SIGINT'] as const) {
        const child = spawn(binary, [], { stdio: 'ignore' });
        await new Promise((r) => setTimeout(r, 100));
        expect(child.exitCode).toBeNull(); // still sleeping
        const exited = new Promise<[number | null, string | null]>((r) =>
          child.once('exit', (code, sig) => r([code, sig])),
        );
        const started = Date.now();
        child.kill(signal);
        expect(await exited).toEqual([0, null]);
        expect(Date.now() - started).toBeLessThan(1000);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
