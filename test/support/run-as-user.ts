// Runs `skiff serve` as another system user, and cuts that user off from the pod network with an
// iptables owner rule, so a suite proves Skiff reaches pods only through netd (never by dialing a
// pod IP from the host). Needs root (the CI container runs as root) and iptables (docker.io).
import { execFileSync, spawnSync } from 'node:child_process';
import { chmod, chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSkiff, type Skiff, type StartSkiffOptions } from './skiff.ts';

export interface SystemUser {
  name: string;
  uid: number;
  gid: number;
  /** Supplementary groups (docker, for the socket). */
  groups: number[];
}

function idOf(flag: string, name: string): number {
  return Number(execFileSync('id', [flag, name], { encoding: 'utf8' }).trim());
}

/** The user, created (system account, no home, in the given groups) when missing. */
export function ensureSystemUser(name = 'skiff-e2e', groups: string[] = ['docker']): SystemUser {
  if (process.getuid?.() !== 0) throw new Error('running Skiff as another user needs root');
  if (spawnSync('id', ['-u', name]).status !== 0)
    execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', name]);
  if (groups.length) execFileSync('usermod', ['-aG', groups.join(','), name]);
  const groupIds = groups.map((g) =>
    Number(execFileSync('getent', ['group', g], { encoding: 'utf8' }).split(':')[2]),
  );
  return { name, uid: idOf('-u', name), gid: idOf('-g', name), groups: groupIds };
}

/** A fresh directory owned by the user (mode 0700). */
export async function userDir(user: SystemUser, prefix = 'skiff-e2e-user-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  await chown(dir, user.uid, user.gid);
  await chmod(dir, 0o700);
  return dir;
}

/**
 * Environment that makes a Node process drop to the user before anything else runs: a preload
 * (NODE_OPTIONS --require) calls setgroups/setgid/setuid, so the command line stays unchanged.
 */
export async function runAsUserEnv(
  user: SystemUser,
  home: string,
): Promise<Record<string, string>> {
  const preload = join(home, 'drop-privileges.cjs');
  await writeFile(
    preload,
    [
      'if (process.getuid && process.getuid() === 0) {',
      `  process.setgroups(${JSON.stringify(user.groups)});`,
      `  process.setgid(${user.gid});`,
      `  process.setuid(${user.uid});`,
      '}',
      '',
    ].join('\n'),
    { mode: 0o644 },
  );
  await chown(preload, user.uid, user.gid);
  return { NODE_OPTIONS: `--require ${preload}`, HOME: home, USER: user.name, LOGNAME: user.name };
}

export interface SkiffAsUser {
  skiff: Skiff;
  dataDir: string;
  /** Stops the server and removes its data directory. */
  stop(): Promise<void>;
}

/** Starts `skiff serve` (startSkiff's options) running as the user, in a data dir it owns. */
export async function startSkiffAsUser(
  user: SystemUser,
  options: StartSkiffOptions = {},
): Promise<SkiffAsUser> {
  const dataDir = await userDir(user, 'skiff-e2e-data-');
  const env = { ...(await runAsUserEnv(user, dataDir)), ...options.env };
  try {
    const skiff = await startSkiff({ ...options, dataDir, env });
    return {
      skiff,
      dataDir,
      stop: async () => {
        await skiff.stop();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
}

export interface OutputRule {
  /** Deletes the rule (idempotent). */
  remove(): void;
}

/** `iptables -I OUTPUT -m owner --uid-owner <user> -d <cidr> -j REJECT`: the user cannot reach it. */
export function rejectUserTraffic(user: SystemUser, cidr: string): OutputRule {
  const rule = [
    'OUTPUT',
    '-m',
    'owner',
    '--uid-owner',
    String(user.uid),
    '-d',
    cidr,
    '-j',
    'REJECT',
  ];
  execFileSync('iptables', ['-w', '-I', ...rule]);
  let removed = false;
  return {
    remove() {
      if (removed) return;
      removed = true;
      // -D removes one copy; a crashed earlier run may have left more.
      while (spawnSync('iptables', ['-w', '-D', ...rule]).status === 0);
    },
  };
}

/** Whether the user can open a TCP connection to host:port: 'connected' or the error code. */
export function connectAsUser(user: SystemUser, host: string, port: number): string {
  const script = `const s=require('node:net').connect(${port},${JSON.stringify(host)});s.setTimeout(3000,()=>{console.log('ETIMEDOUT');process.exit(0)});s.on('connect',()=>{console.log('connected');process.exit(0)});s.on('error',(e)=>{console.log(e.code);process.exit(0)});`;
  const result = spawnSync(process.execPath, ['-e', script], {
    uid: user.uid,
    gid: user.gid,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    timeout: 10_000,
  });
  return result.stdout.trim() || `exit ${String(result.status)}: ${result.stderr}`;
}
