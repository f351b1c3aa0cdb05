// Provisions the Docker test environment on a Linux machine without Docker Desktop (DESIGN.md "Test
// environment"): Debian's dockerd, two local docker-registry instances (one with htpasswd auth) and
// the test images (pause, busybox, a Node base for netd) built offline and pushed to them.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  accessSync,
  closeSync,
  constants,
  createReadStream,
  existsSync,
  openSync,
  readFileSync,
  statSync,
} from 'node:fs';
import {
  chmod,
  copyFile,
  mkdir,
  mkdtemp,
  readFile,
  realpath,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { connect } from 'node:net';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import {
  bcryptSetting,
  busyboxImage,
  composeRootfs,
  fingerprintLabel,
  formatAddress,
  htpasswdHash,
  htpasswdLine,
  imageFingerprint,
  importChanges,
  isBcryptHash,
  missingPackages,
  nodeImage,
  parseArguments,
  parseLdd,
  pauseImage,
  registryConfig,
  registryIsInsecure,
  requiredPackages,
  usage,
  type Address,
  type ImageSpec,
  type Options,
} from './docker-test-env/compose.ts';
import {
  defaultStateDir,
  stateFileName,
  type AuthRegistryState,
  type DockerTestEnvState,
  type ImageState,
  type RegistryState,
} from './docker-test-env/state.ts';

/** Fixed test credentials of the auth registry; tests read them from state.json. */
export const authCredentials = { username: 'skiff-test', password: 'skiff-test-password' };

export const pauseSource = fileURLToPath(new URL('./docker-test-env/pause.c', import.meta.url));
export const pauseCflags = ['-Os', '-static', '-s', '-Wall', '-Wextra'];

// ---------------------------------------------------------------------------------------------
// Processes

class StepError extends Error {
  constructor(
    readonly step: string,
    message: string,
  ) {
    super(message);
  }
}

interface RunOptions {
  input?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  /** Resolve with the exit code instead of throwing when it is not 0. */
  allowFail?: boolean;
  /** Show the command's output (apt-get) instead of capturing it. */
  inherit?: boolean;
}

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

function tail(text: string, lines = 15): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

function run(command: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, {
      env: options.env ?? process.env,
      stdio: options.inherit ? ['ignore', 'inherit', 'inherit'] : ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    // A child that exits without reading its stdin must not crash us with EPIPE.
    child.stdin?.on('error', () => {});
    child.stdin?.end(options.input ?? '');
    const timeoutMs = options.timeoutMs ?? 60_000;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    const shown = [command, ...args].join(' ');
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`${shown}: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const result = { code: code ?? -1, stdout, stderr };
      if (timedOut) {
        reject(new Error(`${shown} did not finish within ${timeoutMs / 1000} s`));
      } else if (code !== 0 && !options.allowFail) {
        const detail = tail(stderr || stdout);
        reject(new Error(`${shown} exited ${code ?? signal}${detail ? `:\n${detail}` : ''}`));
      } else {
        resolvePromise(result);
      }
    });
  });
}

const isRoot = process.getuid?.() === 0;

function asRoot(command: string, args: string[]): [string, string[]] {
  return isRoot ? [command, args] : ['sudo', [command, ...args]];
}

/** Finds an executable on PATH or in the sbin directories a non-root PATH may lack. */
function which(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin', '/usr/bin'];
  return dirs
    .filter(Boolean)
    .map((dir) => join(dir, name))
    .find(isExecutableFile);
}

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True when pid is alive and its command line contains `marker` (so it is the one we started). */
function isOurProcess(pid: number | undefined, marker: string): pid is number {
  if (pid === undefined || !isAlive(pid)) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').includes(marker);
  } catch {
    return false;
  }
}

async function readPid(file: string): Promise<number | undefined> {
  try {
    const pid = Number((await readFile(file, 'utf8')).trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Starts a daemon in its own session with output appended to `log`; it outlives this script. */
async function spawnDaemon(
  command: string,
  args: string[],
  log: string,
  pidFile: string,
): Promise<number> {
  const fd = openSync(log, 'a');
  try {
    const child = spawn(command, args, { detached: true, stdio: ['ignore', fd, fd] });
    const pid = await new Promise<number>((resolvePid, reject) => {
      child.once('error', (err) => reject(new Error(`${command}: ${err.message}`)));
      child.once('spawn', () => resolvePid(child.pid ?? -1));
    });
    child.unref();
    await writeFile(pidFile, `${pid}\n`);
    return pid;
  } finally {
    closeSync(fd);
  }
}

/**
 * Like Promise.all, but waits for every promise before throwing the first failure, so no step is
 * still half-way when the script reports the error and exits.
 */
async function together<T extends readonly unknown[]>(promises: {
  [K in keyof T]: Promise<T[K]>;
}): Promise<T> {
  const settled = await Promise.allSettled(promises);
  const failed = settled.find((result) => result.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((result) => (result as PromiseFulfilledResult<unknown>).value) as unknown as T;
}

async function stopProcess(pid: number, timeoutMs: number): Promise<boolean> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return true;
  }
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await sleep(100);
  }
  return !isAlive(pid);
}

async function logTail(log: string): Promise<string> {
  try {
    return tail(await readFile(log, 'utf8'));
  } catch {
    return '(no log)';
  }
}

async function writeIfChanged(path: string, content: string, mode = 0o644): Promise<boolean> {
  try {
    if ((await readFile(path, 'utf8')) === content) return false;
  } catch {
    // missing: write it
  }
  await writeFile(path, content, { mode });
  return true;
}

// ---------------------------------------------------------------------------------------------
// Steps

/** Installs the packages dpkg does not list as installed (apt-get update first); idempotent. */
export async function ensurePackages(
  packages: readonly string[] = requiredPackages,
): Promise<string> {
  const query = await run('dpkg-query', ['-W', '-f=${Package} ${Status}\\n', ...packages], {
    allowFail: true,
  }).catch(() => {
    throw new Error('dpkg-query is missing: this script supports Debian-based Linux only');
  });
  const missing = missingPackages(packages, query.stdout);
  if (missing.length === 0) return 'already installed';
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const apt = async (args: string[]): Promise<void> => {
    const [cmd, cmdArgs] = asRoot('apt-get', args);
    await run(cmd, cmdArgs, { env, inherit: true, timeoutMs: 20 * 60_000 });
  };
  await apt(['update']);
  // A policy-rc.d (Debian's hook for invoke-rc.d/deb-systemd-invoke) keeps the packages' own
  // services from starting: Debian's docker-registry service would take port 5000 on all
  // interfaces, and this script starts what it needs itself.
  const policy = '/usr/sbin/policy-rc.d';
  const ownPolicy = !existsSync(policy);
  if (ownPolicy) {
    const [cmd, args] = asRoot('sh', ['-c', `printf '#!/bin/sh\\nexit 101\\n' > ${policy}`]);
    await run(cmd, args);
    await run(...asRoot('chmod', ['755', policy]));
  }
  try {
    await apt(['install', '-y', '--no-install-recommends', ...missing]);
  } finally {
    if (ownPolicy) await run(...asRoot('rm', ['-f', policy]));
  }
  return `installed ${missing.join(' ')}`;
}

interface DockerInfo {
  ok: boolean;
  info?: Record<string, unknown>;
  error?: string;
}

async function dockerInfo(): Promise<DockerInfo> {
  const result = await run('docker', ['info', '--format', '{{json .}}'], {
    allowFail: true,
    timeoutMs: 20_000,
  });
  if (result.code === 0) {
    const info = JSON.parse(result.stdout) as Record<string, unknown>;
    if (typeof info.ServerVersion === 'string' && info.ServerVersion !== '') {
      return { ok: true, info };
    }
  }
  return { ok: false, error: tail(result.stderr || result.stdout, 3) };
}

async function ensureDockerd(stateDir: string): Promise<{
  state: DockerTestEnvState['docker'];
  info: Record<string, unknown>;
}> {
  if (!which('docker')) throw new Error('the docker CLI is missing (apt-get install docker.io)');
  const first = await dockerInfo();
  const pidFile = join(stateDir, 'dockerd.pid');
  const ourPid = await readPid(pidFile);
  if (first.ok && first.info) {
    const pid = isOurProcess(ourPid, 'dockerd') ? ourPid : undefined;
    return {
      state: {
        serverVersion: String(first.info.ServerVersion),
        started: pid ? 'spawned' : 'already-running',
        ...(pid ? { pid, log: join(stateDir, 'dockerd.log') } : {}),
      },
      info: first.info,
    };
  }
  if (first.error && /permission denied/i.test(first.error)) {
    throw new Error(
      `the Docker socket refuses this user (${first.error.trim()}); add yourself to the docker ` +
        'group: sudo usermod -aG docker "$USER", then log in again',
    );
  }
  const dockerHost = process.env.DOCKER_HOST;
  if (dockerHost && dockerHost !== 'unix:///var/run/docker.sock') {
    throw new Error(`Docker at DOCKER_HOST=${dockerHost} does not answer: ${first.error ?? ''}`);
  }
  let started: DockerTestEnvState['docker']['started'];
  let pid: number | undefined;
  const log = join(stateDir, 'dockerd.log');
  if (existsSync('/run/systemd/system')) {
    await run(...asRoot('systemctl', ['start', 'docker.service']), { timeoutMs: 90_000 });
    started = 'systemd';
  } else if (isOurProcess(ourPid, 'dockerd')) {
    pid = ourPid; // still starting from an earlier run
    started = 'spawned';
  } else {
    if (!isRoot) {
      throw new Error('dockerd is not running and starting it needs root: run sudo dockerd &');
    }
    const dockerd = which('dockerd');
    if (!dockerd) throw new Error('dockerd is missing (apt-get install docker.io)');
    pid = await spawnDaemon(dockerd, [], log, pidFile);
    started = 'spawned';
  }
  const deadline = Date.now() + 60_000;
  for (;;) {
    const info = await dockerInfo();
    if (info.ok && info.info) {
      return {
        state: {
          serverVersion: String(info.info.ServerVersion),
          started,
          ...(pid ? { pid, log } : {}),
        },
        info: info.info,
      };
    }
    if (pid !== undefined && !isAlive(pid)) {
      throw new Error(`dockerd exited while starting; the end of ${log}:\n${await logTail(log)}`);
    }
    if (Date.now() > deadline) {
      throw new Error(
        `dockerd did not answer within 60 s (${info.error ?? ''})` +
          (pid ? `; the end of ${log}:\n${await logTail(log)}` : ''),
      );
    }
    await sleep(250);
  }
}

type RegistryKind = 'open' | 'auth';

async function probeRegistry(address: Address, auth?: string): Promise<number | undefined> {
  try {
    const response = await fetch(`http://${formatAddress(address)}/v2/`, {
      headers: auth ? { authorization: auth } : {},
      signal: AbortSignal.timeout(2000),
    });
    await response.arrayBuffer();
    if (response.headers.get('docker-distribution-api-version') !== 'registry/2.0') return -1;
    return response.status;
  } catch {
    return undefined;
  }
}

function portAnswers(address: Address): Promise<boolean> {
  return new Promise((resolveAnswer) => {
    const socket = connect({ host: address.host, port: address.port });
    socket.setTimeout(1000);
    socket.once('connect', () => {
      socket.destroy();
      resolveAnswer(true);
    });
    socket.once('error', () => resolveAnswer(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolveAnswer(false);
    });
  });
}

function basicAuth(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

/** A bcrypt hash of `password` by crypt(3) through perl (Debian's libxcrypt has bcrypt). */
export async function bcryptHash(user: string, password: string): Promise<string> {
  const setting = bcryptSetting(randomBytes(16));
  const perl = await run('perl', ['-e', 'print crypt($ENV{PW}, $ENV{SETTING}) // ""'], {
    env: { ...process.env, PW: password, SETTING: setting },
    allowFail: true,
  }).catch(() => undefined);
  if (perl && perl.code === 0 && isBcryptHash(perl.stdout.trim())) return perl.stdout.trim();
  // Fallback: Apache's htpasswd (apache2-utils) where crypt(3) has no bcrypt.
  if (which('htpasswd')) {
    const out = await run('htpasswd', ['-nbBC', '10', user, password]);
    const hash = htpasswdHash(out.stdout, user);
    if (hash && isBcryptHash(hash)) return hash;
  }
  throw new Error(
    "cannot make a bcrypt hash: perl's crypt() lacks bcrypt and htpasswd is missing " +
      '(apt-get install apache2-utils)',
  );
}

/** Writes the htpasswd and credentials files unless they already hold the test credentials. */
async function ensureHtpasswd(
  stateDir: string,
  address: Address,
): Promise<{ htpasswd: string; credentialsFile: string; changed: boolean }> {
  const htpasswd = join(stateDir, 'registry-auth.htpasswd');
  const credentialsFile = join(stateDir, 'auth-registry-credentials.json');
  const credentials = `${JSON.stringify({ address: formatAddress(address), ...authCredentials }, null, 2)}\n`;
  let current = '';
  try {
    current = await readFile(htpasswd, 'utf8');
  } catch {
    // missing
  }
  const hash = htpasswdHash(current, authCredentials.username);
  let previous = '';
  try {
    previous = await readFile(credentialsFile, 'utf8');
  } catch {
    // missing
  }
  // The script is the only writer of both files: an unchanged credentials file means the hash
  // in the htpasswd file was made from the same password.
  const samePassword =
    previous !== '' &&
    (JSON.parse(previous) as { password?: string }).password === authCredentials.password;
  let changed = false;
  if (!hash || !isBcryptHash(hash) || !samePassword) {
    const line = htpasswdLine(
      authCredentials.username,
      await bcryptHash(authCredentials.username, authCredentials.password),
    );
    await writeFile(htpasswd, line, { mode: 0o644 });
    changed = true;
  }
  await writeIfChanged(credentialsFile, credentials);
  return { htpasswd, credentialsFile, changed };
}

async function ensureRegistry(
  kind: RegistryKind,
  address: Address,
  stateDir: string,
): Promise<RegistryState | AuthRegistryState> {
  const registry = which('docker-registry');
  if (!registry) throw new Error('docker-registry is missing (apt-get install docker-registry)');
  const config = join(stateDir, `registry-${kind}.yml`);
  const storage = join(stateDir, `registry-${kind}-storage`);
  const log = join(stateDir, `registry-${kind}.log`);
  const pidFile = join(stateDir, `registry-${kind}.pid`);
  await mkdir(storage, { recursive: true });
  const auth = kind === 'auth' ? await ensureHtpasswd(stateDir, address) : undefined;
  const configText = YAML.stringify(
    registryConfig({ address, storageDir: storage, htpasswdPath: auth?.htpasswd }),
  );
  const changed = (await writeIfChanged(config, configText)) || (auth?.changed ?? false);
  const expected = kind === 'open' ? 200 : 401;
  const credentials = basicAuth(authCredentials.username, authCredentials.password);
  const ready = async (): Promise<boolean> =>
    (await probeRegistry(address)) === expected &&
    (kind === 'open' || (await probeRegistry(address, credentials)) === 200);

  let pid = await readPid(pidFile);
  if (isOurProcess(pid, config)) {
    // A changed config or htpasswd is read at start only: restart.
    if (changed || !(await ready())) await stopProcess(pid, 10_000);
  }
  if (!isOurProcess(pid, config)) {
    if (await portAnswers(address)) {
      throw new Error(
        `${formatAddress(address)} is in use by another process; stop it or pass ` +
          `--${kind}-registry HOST:PORT`,
      );
    }
    pid = await spawnDaemon(registry, ['serve', config], log, pidFile);
    const deadline = Date.now() + 15_000;
    while (!(await ready())) {
      if (!isAlive(pid)) {
        throw new Error(`docker-registry exited; the end of ${log}:\n${await logTail(log)}`);
      }
      if (Date.now() > deadline) {
        throw new Error(`docker-registry did not answer within 15 s; see ${log}`);
      }
      await sleep(100);
    }
  }
  const state: RegistryState = { address: formatAddress(address), pid, config, log, storage };
  return auth ? { ...state, ...authCredentials, credentialsFile: auth.credentialsFile } : state;
}

// ---------------------------------------------------------------------------------------------
// Images

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function lddFiles(binary: string): Promise<string[]> {
  const result = await run('ldd', [binary], { allowFail: true });
  return parseLdd(`${result.stdout}\n${result.stderr}`);
}

/** Compiles pause.c statically into the build dir unless the binary of this source is there. */
async function buildPause(buildDir: string): Promise<string> {
  const binary = join(buildDir, 'pause');
  const stamp = join(buildDir, 'pause.source-sha256');
  const source = await readFile(pauseSource);
  const digest = createHash('sha256').update(source).update(pauseCflags.join(' ')).digest('hex');
  const built = existsSync(binary) && (await readFile(stamp, 'utf8').catch(() => '')) === digest;
  if (!built) {
    if (!which('gcc')) throw new Error('gcc is missing (apt-get install gcc libc6-dev)');
    await run('gcc', [...pauseCflags, '-o', binary, pauseSource], { timeoutMs: 120_000 }).catch(
      (err: Error) => {
        throw new Error(
          `compiling ${pauseSource} failed (is libc6-dev installed?): ${err.message}`,
        );
      },
    );
    await writeFile(stamp, digest);
  }
  return binary;
}

interface RegistryImage {
  digest: string;
  labels: Record<string, string>;
}

const manifestTypes = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
].join(', ');

/** The manifest digest and config labels of repository:tag, or undefined when it is absent. */
async function registryImage(
  address: Address,
  repository: string,
  tag: string,
  auth?: string,
): Promise<RegistryImage | undefined> {
  const base = `http://${formatAddress(address)}/v2/${repository}`;
  const headers: Record<string, string> = { accept: manifestTypes };
  if (auth) headers.authorization = auth;
  const response = await fetch(`${base}/manifests/${tag}`, {
    headers,
    signal: AbortSignal.timeout(10_000),
  });
  if (response.status === 404) return undefined;
  if (!response.ok) {
    throw new Error(`GET ${base}/manifests/${tag}: ${response.status} ${await response.text()}`);
  }
  const digest = response.headers.get('docker-content-digest') ?? '';
  const manifest = (await response.json()) as { config?: { digest?: string } };
  const configDigest = manifest.config?.digest;
  if (!configDigest) return { digest, labels: {} };
  const blob = await fetch(`${base}/blobs/${configDigest}`, {
    headers: auth ? { authorization: auth } : {},
    signal: AbortSignal.timeout(10_000),
  });
  if (!blob.ok) throw new Error(`GET ${base}/blobs/${configDigest}: ${blob.status}`);
  const config = (await blob.json()) as { config?: { Labels?: Record<string, string> | null } };
  return { digest, labels: config.config?.Labels ?? {} };
}

/** Writes the rootfs of `spec` into `dir`. */
async function materialise(spec: ImageSpec, dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const dirs: Array<[string, number]> = [];
  for (const entry of composeRootfs(spec.entries)) {
    const target = join(dir, entry.path);
    switch (entry.type) {
      case 'dir':
        await mkdir(target, { recursive: true });
        dirs.push([target, entry.mode]);
        break;
      case 'file':
        await copyFile(entry.source, target);
        await chmod(target, entry.mode);
        break;
      case 'text':
        await writeFile(target, entry.content);
        await chmod(target, entry.mode);
        break;
      case 'symlink':
        await symlink(entry.target, target);
        break;
    }
  }
  // Directory modes last (after the umask-governed mkdir, and so 0700 never blocks a write).
  for (const [path, mode] of dirs.reverse()) await chmod(path, mode);
}

/** Builds `spec` with `docker import` of its rootfs tarball, tags it `ref` and pushes it. */
async function buildAndPush(
  spec: ImageSpec,
  ref: string,
  fingerprint: string,
  buildDir: string,
): Promise<void> {
  const rootfs = join(buildDir, `rootfs-${spec.name}`);
  const tarball = join(buildDir, `${spec.name}.tar`);
  try {
    await materialise(spec, rootfs);
    // Fixed owner and mtime, sorted names: the same inputs give the same layer digest.
    await run('tar', [
      '--numeric-owner',
      '--owner=0',
      '--group=0',
      '--sort=name',
      '--mtime=@0',
      '-C',
      rootfs,
      '-cf',
      tarball,
      '.',
    ]);
    const changes = importChanges(spec.config, { [fingerprintLabel]: fingerprint });
    await run('docker', [
      'import',
      ...changes.flatMap((change) => ['--change', change]),
      tarball,
      ref,
    ]);
    await run('docker', ['push', '--quiet', ref], { timeoutMs: 180_000 });
  } finally {
    await rm(rootfs, { recursive: true, force: true });
    await rm(tarball, { force: true });
  }
}

/** Local image IDs of the refs that exist locally. */
async function localImageIds(refs: string[]): Promise<Set<string>> {
  const ids = await Promise.all(
    refs.map(async (ref) => {
      const result = await run('docker', ['image', 'inspect', '-f', '{{.Id}}', ref], {
        allowFail: true,
      });
      return result.code === 0 ? result.stdout.trim() : '';
    }),
  );
  return new Set(ids.filter(Boolean));
}

interface ImagesResult {
  images: DockerTestEnvState['images'];
  built: string[];
}

async function ensureImages(options: Options, buildDir: string): Promise<ImagesResult> {
  await mkdir(buildDir, { recursive: true });
  const busybox = await realpath('/bin/busybox').catch(() => {
    throw new Error('/bin/busybox is missing (apt-get install busybox-static)');
  });
  if ((await lddFiles(busybox)).length > 0) {
    throw new Error(`${busybox} is dynamically linked: install busybox-static instead of busybox`);
  }
  const applets = (await run(busybox, ['--list-full'])).stdout.split('\n').filter(Boolean);
  const nodeBinary = await realpath(process.execPath);
  const libraries = await lddFiles(nodeBinary);
  const pause = await buildPause(buildDir);
  const specs = [
    pauseImage(pause),
    busyboxImage(busybox, applets),
    nodeImage({
      nodeBinary,
      nodeMajor: process.versions.node.split('.')[0],
      libraries,
      busyboxBinary: busybox,
      appletPaths: applets,
    }),
  ];
  const sources = new Set<string>();
  for (const spec of specs) {
    for (const entry of spec.entries) if (entry.type === 'file') sources.add(entry.source);
  }
  const digests = new Map(
    await Promise.all([...sources].map(async (s) => [s, await sha256File(s)] as const)),
  );

  const open = options.openRegistry;
  const auth = options.authRegistry;
  const privateRepository = 'private/busybox';
  const privateRef = `${formatAddress(auth)}/${privateRepository}:1`;
  const refOf = (spec: ImageSpec): string =>
    `${formatAddress(open)}/${spec.repository}:${spec.tag}`;
  const allRefs = [...specs.map(refOf), privateRef];
  const idsBefore = await localImageIds(allRefs);
  const built: string[] = [];
  const results = await together(
    specs.map(async (spec): Promise<[string, ImageState, string]> => {
      const fingerprint = imageFingerprint(spec, digests);
      const ref = refOf(spec);
      let existing = await registryImage(open, spec.repository, spec.tag);
      if (options.rebuild || existing?.labels[fingerprintLabel] !== fingerprint) {
        await buildAndPush(spec, ref, fingerprint, buildDir).catch((err: Error) => {
          throw new Error(`image ${spec.name}: ${err.message}`);
        });
        built.push(ref);
        existing = await registryImage(open, spec.repository, spec.tag);
        if (!existing)
          throw new Error(`image ${spec.name}: ${ref} is not in the registry after push`);
      }
      return [spec.name, { ref, digest: existing.digest }, fingerprint];
    }),
  );
  const byName = new Map(
    results.map(([name, state, fingerprint]) => [name, { state, fingerprint }]),
  );
  const busyboxResult = byName.get('busybox')!;

  // The same busybox image in the auth registry, under a name only that registry has.
  const credentials = basicAuth(authCredentials.username, authCredentials.password);
  let privateImage = await registryImage(auth, privateRepository, '1', credentials);
  if (options.rebuild || privateImage?.labels[fingerprintLabel] !== busyboxResult.fingerprint) {
    await pushPrivate(busyboxResult.state.ref, privateRef, auth).catch((err: Error) => {
      throw new Error(`image private busybox: ${err.message}`);
    });
    built.push(privateRef);
    privateImage = await registryImage(auth, privateRepository, '1', credentials);
    if (!privateImage) throw new Error(`${privateRef} is not in the auth registry after push`);
  }
  // Re-tagging leaves the images these refs named before untagged: remove those (rmi fails, which
  // is fine, while a container still uses one).
  const idsAfter = await localImageIds(allRefs);
  for (const id of idsBefore) {
    if (idsAfter.has(id)) continue;
    // A pushed image is still referenced by its repo digests; untag those, then the ID goes too.
    const inspect = await run(
      'docker',
      ['image', 'inspect', '-f', '{{join .RepoDigests " "}}', id],
      {
        allowFail: true,
      },
    );
    const refs = inspect.code === 0 ? inspect.stdout.trim().split(/\s+/).filter(Boolean) : [];
    await run('docker', ['rmi', ...refs, id], { allowFail: true });
  }
  return {
    images: {
      pause: byName.get('pause')!.state,
      busybox: busyboxResult.state,
      node: byName.get('node')!.state,
      privateBusybox: { ref: privateRef, digest: privateImage.digest },
    },
    built,
  };
}

/** Tags `source` as `target` and pushes it with a throwaway Docker config holding the login. */
async function pushPrivate(source: string, target: string, auth: Address): Promise<void> {
  const inspect = await run('docker', ['image', 'inspect', source], { allowFail: true });
  if (inspect.code !== 0) await run('docker', ['pull', '--quiet', source], { timeoutMs: 180_000 });
  await run('docker', ['tag', source, target]);
  // A temporary DOCKER_CONFIG keeps the test login out of the user's ~/.docker/config.json.
  const config = await mkdtemp(join(process.env.TMPDIR ?? '/tmp', 'skiff-docker-config-'));
  try {
    await run(
      'docker',
      [
        '--config',
        config,
        'login',
        '--username',
        authCredentials.username,
        '--password-stdin',
        formatAddress(auth),
      ],
      { input: authCredentials.password },
    );
    await run('docker', ['--config', config, 'push', '--quiet', target], { timeoutMs: 180_000 });
  } finally {
    await rm(config, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Commands

async function step<T>(
  name: string,
  fn: () => Promise<T>,
  describe?: (value: T) => string,
): Promise<T> {
  const started = Date.now();
  try {
    const value = await fn();
    const detail = describe ? `: ${describe(value)}` : '';
    console.log(`✓ ${name}${detail} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    return value;
  } catch (err) {
    if (err instanceof StepError) throw err;
    throw new StepError(name, err instanceof Error ? err.message : String(err));
  }
}

async function up(options: Options): Promise<DockerTestEnvState> {
  if (process.platform !== 'linux') {
    throw new StepError(
      'platform',
      'this script provisions Docker on Linux; on macOS and Windows use Docker Desktop',
    );
  }
  const { stateDir } = options;
  await mkdir(stateDir, { recursive: true });
  await step(
    'Debian packages',
    () => ensurePackages(),
    (v) => v,
  );
  // dockerd and the registries do not depend on each other: start them together.
  const [docker, open, auth] = await together([
    step(
      'dockerd',
      () => ensureDockerd(stateDir),
      (v) => `${v.state.serverVersion} (${v.state.started})`,
    ),
    step(
      'open registry',
      () => ensureRegistry('open', options.openRegistry, stateDir),
      (v) => v.address,
    ),
    step(
      'auth registry',
      () => ensureRegistry('auth', options.authRegistry, stateDir) as Promise<AuthRegistryState>,
      (v) => v.address,
    ),
  ]);
  await step('insecure registries', () => {
    for (const address of [options.openRegistry, options.authRegistry]) {
      if (!registryIsInsecure(docker.info, address)) {
        return Promise.reject(
          new Error(
            `dockerd does not allow plain HTTP to ${formatAddress(address)}; add it to ` +
              '"insecure-registries" in /etc/docker/daemon.json and restart dockerd',
          ),
        );
      }
    }
    return Promise.resolve();
  });
  const { images } = await step(
    'images',
    () => ensureImages(options, join(stateDir, 'build')),
    (v) => (v.built.length > 0 ? `pushed ${v.built.length}` : 'up to date'),
  );
  const state: DockerTestEnvState = {
    version: 1,
    updatedAt: new Date().toISOString(),
    docker: docker.state,
    registries: { open, auth },
    images,
  };
  await writeFile(join(stateDir, stateFileName), `${JSON.stringify(state, null, 2)}\n`);
  return state;
}

function printSummary(state: DockerTestEnvState, stateDir: string): void {
  const { open, auth } = state.registries;
  console.log(`
Docker ${state.docker.serverVersion} (${state.docker.started}${state.docker.log ? `, log ${state.docker.log}` : ''})
registry (open):  ${open.address}
registry (auth):  ${auth.address}  user ${auth.username}  credentials ${auth.credentialsFile}
images:
  pause           ${state.images.pause.ref}
  busybox         ${state.images.busybox.ref}
  node            ${state.images.node.ref}
  private busybox ${state.images.privateBusybox.ref}
state: ${join(stateDir, stateFileName)}`);
}

async function stop(options: Options): Promise<void> {
  const { stateDir } = options;
  const targets: Array<[string, string, string]> = [
    ['open registry', join(stateDir, 'registry-open.pid'), join(stateDir, 'registry-open.yml')],
    ['auth registry', join(stateDir, 'registry-auth.pid'), join(stateDir, 'registry-auth.yml')],
    ['dockerd', join(stateDir, 'dockerd.pid'), 'dockerd'],
  ];
  for (const [name, pidFile, marker] of targets) {
    const pid = await readPid(pidFile);
    if (isOurProcess(pid, marker)) {
      // dockerd stops its containers first (up to its 15 s shutdown timeout).
      const stopped = await stopProcess(pid, name === 'dockerd' ? 30_000 : 10_000);
      if (!stopped) throw new StepError(`stop ${name}`, `pid ${pid} did not exit after SIGTERM`);
      console.log(`stopped ${name} (pid ${pid})`);
    } else {
      console.log(`${name}: not running from this script`);
    }
    await rm(pidFile, { force: true });
  }
}

/**
 * Stops dockerd and starts it again, as a user's engine restart does (containers stop; Skiff must
 * bring its pods back). Only an engine this script or systemd started can be restarted.
 */
async function restartDockerd(options: Options): Promise<void> {
  const pidFile = join(options.stateDir, 'dockerd.pid');
  const pid = await readPid(pidFile);
  if (isOurProcess(pid, 'dockerd')) {
    if (!(await stopProcess(pid, 30_000)))
      throw new StepError('restart dockerd', `pid ${pid} did not exit after SIGTERM`);
    await rm(pidFile, { force: true });
  } else if (existsSync('/run/systemd/system')) {
    await run(...asRoot('systemctl', ['stop', 'docker.service']), { timeoutMs: 60_000 });
  } else {
    throw new StepError(
      'restart dockerd',
      'dockerd was not started by this script or systemd; restart it the way it was started',
    );
  }
  const { state } = await ensureDockerd(options.stateDir);
  console.log(`dockerd ${state.serverVersion} restarted (${state.started})`);
}

async function main(): Promise<void> {
  let options: Options;
  try {
    options = parseArguments(process.argv.slice(2), defaultStateDir, process.cwd());
  } catch (err) {
    console.error(`docker-test-env: ${(err as Error).message}\n\n${usage}`);
    process.exit(2);
  }
  if (options.command === 'help') {
    console.log(usage);
    return;
  }
  try {
    if (options.command === 'stop') {
      await stop(options);
    } else if (options.command === 'restart-dockerd') {
      await restartDockerd(options);
    } else {
      printSummary(await up(options), options.stateDir);
    }
  } catch (err) {
    const step = err instanceof StepError ? err.step : 'unexpected';
    console.error(`\ndocker-test-env: step "${step}" failed: ${(err as Error).message}`);
    process.exit(1);
  }
}

if (
  process.argv[1] &&
  (await realpath(process.argv[1]).catch(() => '')) === fileURLToPath(import.meta.url)
) {
  await main();
}
