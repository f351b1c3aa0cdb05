import { createHash } from 'node:crypto';
import { describe, it, expect } from 'vitest';
import { discoverEngine, hostToOptions, type EngineIo } from './engine.ts';

function io(
  files: Record<string, string>,
  env: EngineIo['env'] = {},
  platform: NodeJS.Platform = 'linux',
): EngineIo {
  return {
    env,
    platform,
    homedir: '/home/u',
    readFile: (f) => files[f],
    exists: (f) => f in files,
  };
}

const metaDir = (name: string) =>
  `/home/u/.docker/contexts/meta/${createHash('sha256').update(name).digest('hex')}/meta.json`;

describe('Docker engine discovery', () => {
  it('prefers DOCKER_HOST', () => {
    expect(discoverEngine(io({}, { DOCKER_HOST: 'unix:///tmp/d.sock' }))).toMatchObject({
      options: { socketPath: '/tmp/d.sock' },
      source: 'DOCKER_HOST',
    });
    expect(hostToOptions('tcp://10.0.0.2:2375')).toEqual({
      host: '10.0.0.2',
      port: 2375,
      protocol: 'http',
    });
    expect(hostToOptions('tcp://h', { DOCKER_TLS_VERIFY: '1' })).toMatchObject({
      port: 2376,
      protocol: 'https',
    });
    expect(() => hostToOptions('ssh://me@box')).toThrow(/unsupported Docker host "ssh:\/\/me@box"/);
  });

  it('follows the current context from config.json or DOCKER_CONTEXT', () => {
    const files = {
      '/home/u/.docker/config.json': JSON.stringify({ currentContext: 'desktop-linux' }),
      [metaDir('desktop-linux')]: JSON.stringify({
        Name: 'desktop-linux',
        Endpoints: { docker: { Host: 'unix:///home/u/.docker/desktop/docker.sock' } },
      }),
      [metaDir('remote')]: JSON.stringify({
        Endpoints: { docker: { Host: 'tcp://1.2.3.4:2375' } },
      }),
      '/var/run/docker.sock': '',
    };
    expect(discoverEngine(io(files))).toMatchObject({
      options: { socketPath: '/home/u/.docker/desktop/docker.sock' },
      source: expect.stringContaining('desktop-linux') as string,
    });
    expect(discoverEngine(io(files, { DOCKER_CONTEXT: 'remote' })).options).toEqual({
      host: '1.2.3.4',
      port: 2375,
      protocol: 'http',
    });
    expect(() => discoverEngine(io(files, { DOCKER_CONTEXT: 'gone' }))).toThrow(
      /docker context "gone" not found/,
    );
    // The "default" context means the default socket.
    expect(discoverEngine(io(files, { DOCKER_CONTEXT: 'default' })).options).toEqual({
      socketPath: '/var/run/docker.sock',
    });
  });

  it('falls back to the usual sockets, the first that exists', () => {
    expect(discoverEngine(io({ '/home/u/.docker/run/docker.sock': '' })).options).toEqual({
      socketPath: '/home/u/.docker/run/docker.sock',
    });
    expect(
      discoverEngine(
        io({ '/run/user/1000/docker.sock': '' }, { XDG_RUNTIME_DIR: '/run/user/1000' }),
      ).options,
    ).toEqual({ socketPath: '/run/user/1000/docker.sock' });
    expect(discoverEngine(io({})).options).toEqual({ socketPath: '/var/run/docker.sock' });
    expect(discoverEngine(io({}, {}, 'win32'))).toMatchObject({
      options: { socketPath: '//./pipe/docker_engine' },
      endpoint: 'npipe:////./pipe/docker_engine',
    });
  });
});
