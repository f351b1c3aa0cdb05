// Pure logic of the Docker test environment script (scripts/docker-test-env.ts): argument parsing,
// htpasswd (bcrypt) lines, docker-registry configuration and the rootfs of each test image.
import { createHash } from 'node:crypto';
import { isAbsolute, posix, resolve } from 'node:path';
import { parseArgs } from 'node:util';

// ---------------------------------------------------------------------------------------------
// Arguments

export interface Address {
  host: string;
  port: number;
}

export interface Options {
  command: 'up' | 'stop' | 'restart-dockerd' | 'help';
  stateDir: string;
  openRegistry: Address;
  authRegistry: Address;
  /** Rebuild and push every image even when the registry already holds the same content. */
  rebuild: boolean;
}

export const usage = `Usage: npx tsx scripts/docker-test-env.ts [up|stop|restart-dockerd] [options]

  up (default)  install Debian's docker.io, docker-registry, busybox-static, gcc and libc6-dev if
                missing, start dockerd and two local registries, build the test images offline
                and push them; writes <state-dir>/state.json
  stop          stop the registries (and dockerd) that this script started
  restart-dockerd  stop and start dockerd (started by this script or by systemd), as the
                suites that check recovery after an engine restart need

Options:
  --state-dir DIR         where logs, registry storage and state.json go (default .docker-test-env)
  --open-registry H:P     address of the registry without auth (default 127.0.0.1:5000)
  --auth-registry H:P     address of the registry with htpasswd auth (default 127.0.0.1:5001)
  --rebuild               rebuild and push every image even if the registry holds it already
  -h, --help              show this help`;

/**
 * Parses HOST:PORT of a local registry. Only 127.0.0.0/8 is accepted: dockerd treats that range
 * as insecure (plain HTTP) by default and the registries must not be reachable from the network.
 */
export function parseLoopbackAddress(text: string, flag: string): Address {
  const match = /^(\d{1,3}(?:\.\d{1,3}){3}):(\d{1,5})$/.exec(text);
  if (!match) throw new Error(`${flag}: expected IPV4:PORT such as 127.0.0.1:5000, got "${text}"`);
  const [, host, portText] = match;
  const octets = host.split('.').map(Number);
  if (octets.some((o) => o > 255) || octets[0] !== 127) {
    throw new Error(`${flag}: ${host} is not a loopback address (127.0.0.0/8)`);
  }
  const port = Number(portText);
  if (port < 1 || port > 65535) throw new Error(`${flag}: port ${port} is out of range`);
  return { host, port };
}

export function formatAddress(address: Address): string {
  return `${address.host}:${address.port}`;
}

export function parseArguments(argv: string[], defaultStateDir: string, cwd: string): Options {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      'state-dir': { type: 'string' },
      'open-registry': { type: 'string' },
      'auth-registry': { type: 'string' },
      rebuild: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (positionals.length > 1) throw new Error(`expected one command, got ${positionals.join(' ')}`);
  const word = positionals[0] ?? 'up';
  if (word !== 'up' && word !== 'stop' && word !== 'restart-dockerd') {
    throw new Error(`unknown command "${word}" (expected up, stop or restart-dockerd)`);
  }
  const openRegistry = parseLoopbackAddress(
    values['open-registry'] ?? '127.0.0.1:5000',
    '--open-registry',
  );
  const authRegistry = parseLoopbackAddress(
    values['auth-registry'] ?? '127.0.0.1:5001',
    '--auth-registry',
  );
  if (formatAddress(openRegistry) === formatAddress(authRegistry)) {
    throw new Error('--open-registry and --auth-registry must differ');
  }
  const dir = values['state-dir'];
  return {
    command: values.help ? 'help' : word,
    stateDir: dir === undefined ? defaultStateDir : isAbsolute(dir) ? dir : resolve(cwd, dir),
    openRegistry,
    authRegistry,
    rebuild: values.rebuild,
  };
}

// ---------------------------------------------------------------------------------------------
// Debian packages

/** Packages the environment needs; gcc and libc6-dev build the static pause binary. */
export const requiredPackages = [
  'docker.io',
  'docker-registry',
  'busybox-static',
  'gcc',
  'libc6-dev',
] as const;

/**
 * The packages of `wanted` that are not installed, from the output of
 * `dpkg-query -W -f='${Package} ${Status}\n' …` (unknown packages print nothing on stdout).
 */
export function missingPackages(wanted: readonly string[], dpkgQueryOutput: string): string[] {
  const installed = new Set<string>();
  for (const line of dpkgQueryOutput.split('\n')) {
    const [name, ...status] = line.trim().split(/\s+/);
    if (name && status.join(' ') === 'install ok installed') installed.add(name.split(':')[0]);
  }
  return wanted.filter((name) => !installed.has(name));
}

// ---------------------------------------------------------------------------------------------
// htpasswd (Debian's docker-registry 2.8 accepts bcrypt entries only)

const bcryptAlphabet = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** bcrypt's base64: its own alphabet, no padding. */
export function bcryptBase64(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const b0 = bytes[i];
    const b1 = i + 1 < bytes.length ? bytes[i + 1] : 0;
    const b2 = i + 2 < bytes.length ? bytes[i + 2] : 0;
    out += bcryptAlphabet[b0 >> 2];
    out += bcryptAlphabet[((b0 & 0x03) << 4) | (b1 >> 4)];
    if (i + 1 >= bytes.length) break;
    out += bcryptAlphabet[((b1 & 0x0f) << 2) | (b2 >> 6)];
    if (i + 2 >= bytes.length) break;
    out += bcryptAlphabet[b2 & 0x3f];
  }
  return out;
}

/** A bcrypt setting string (`$2b$CC$` + 22 salt characters) for crypt(3) from 16 random bytes. */
export function bcryptSetting(salt: Uint8Array, cost = 10): string {
  if (salt.length !== 16) throw new Error('a bcrypt salt is 16 bytes');
  if (!Number.isInteger(cost) || cost < 4 || cost > 31) throw new Error('bcrypt cost is 4..31');
  return `$2b$${String(cost).padStart(2, '0')}$${bcryptBase64(salt)}`;
}

export function isBcryptHash(text: string): boolean {
  return /^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/.test(text);
}

/** One htpasswd line `user:hash`. */
export function htpasswdLine(user: string, hash: string): string {
  if (user === '' || /[:\s]/.test(user)) throw new Error(`invalid htpasswd user "${user}"`);
  if (!isBcryptHash(hash)) throw new Error('docker-registry needs a bcrypt htpasswd hash');
  return `${user}:${hash}\n`;
}

/** The bcrypt hash stored for `user` in an htpasswd file, if any. */
export function htpasswdHash(fileText: string, user: string): string | undefined {
  for (const line of fileText.split('\n')) {
    const colon = line.indexOf(':');
    if (colon > 0 && line.slice(0, colon) === user) return line.slice(colon + 1).trim();
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// docker-registry configuration (distribution 2.8 configuration format)

export function registryConfig(options: {
  address: Address;
  storageDir: string;
  htpasswdPath?: string;
}): Record<string, unknown> {
  return {
    version: 0.1,
    log: { level: 'info', fields: { service: 'registry' } },
    storage: {
      filesystem: { rootdirectory: options.storageDir },
      // Tests may delete manifests to exercise ErrImagePull against a known-missing tag.
      delete: { enabled: true },
    },
    http: {
      addr: formatAddress(options.address),
      // A fixed secret only silences the "generated random secret" warning of a lone instance.
      secret: 'skiff-docker-test-env',
      headers: { 'X-Content-Type-Options': ['nosniff'] },
    },
    ...(options.htpasswdPath
      ? { auth: { htpasswd: { realm: 'skiff-test-registry', path: options.htpasswdPath } } }
      : {}),
  };
}

/** True when dockerd's /info says the registry at host:port may be used over plain HTTP. */
export function registryIsInsecure(info: unknown, address: Address): boolean {
  const config = (info as { RegistryConfig?: Record<string, unknown> } | null)?.RegistryConfig;
  if (!config) return false;
  const index = (config.IndexConfigs as Record<string, { Secure?: boolean }> | undefined)?.[
    formatAddress(address)
  ];
  if (index && index.Secure === false) return true;
  const cidrs = (config.InsecureRegistryCIDRs as unknown[] | undefined) ?? [];
  return cidrs.some((cidr) => typeof cidr === 'string' && ipv4InCidr(address.host, cidr));
}

function ipv4ToNumber(ip: string): number | undefined {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
    return undefined;
  }
  return ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0;
}

export function ipv4InCidr(ip: string, cidr: string): boolean {
  const [base, bitsText] = cidr.split('/');
  const bits = Number(bitsText);
  const a = ipv4ToNumber(ip);
  const b = ipv4ToNumber(base);
  if (a === undefined || b === undefined || !Number.isInteger(bits) || bits < 0 || bits > 32) {
    return false;
  }
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return (a & mask) >>> 0 === (b & mask) >>> 0;
}

// ---------------------------------------------------------------------------------------------
// ldd

/**
 * Files the dynamic loader maps for a binary, from `ldd` output: resolved libraries and the
 * interpreter (which must stay at its exact path, it is written into the ELF). Empty for a
 * static binary. Throws on a library ldd could not find.
 */
export function parseLdd(output: string): string[] {
  if (/not a dynamic executable|statically linked/.test(output)) return [];
  const files: string[] = [];
  for (const raw of output.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    const arrow = /^(\S+)\s+=>\s+(.*)$/.exec(line);
    if (arrow) {
      const target = arrow[2].trim();
      if (target.startsWith('not found')) throw new Error(`ldd: ${arrow[1]} not found`);
      const path = /^(\/\S+)/.exec(target)?.[1];
      if (path) files.push(path);
      continue; // "=> (0x…)" without a path is the vDSO
    }
    const direct = /^(\/\S+)\s+\(0x[0-9a-f]+\)$/.exec(line);
    if (direct) files.push(direct[1]);
  }
  return [...new Set(files)];
}

// ---------------------------------------------------------------------------------------------
// Image rootfs composition

export type RootfsEntry =
  | { path: string; type: 'dir'; mode: number }
  | { path: string; type: 'file'; source: string; mode: number }
  | { path: string; type: 'text'; content: string; mode: number }
  | { path: string; type: 'symlink'; target: string };

export interface ImageConfig {
  entrypoint?: string[];
  cmd?: string[];
  env?: string[];
  user?: string;
  workdir?: string;
}

export interface ImageSpec {
  /** Short name used in messages and state.json (pause, busybox, node). */
  name: string;
  /** Repository path and tag inside a registry, e.g. skiff/pause and 3.10. */
  repository: string;
  tag: string;
  entries: RootfsEntry[];
  config: ImageConfig;
}

export const defaultPath = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
export const fingerprintLabel = 'org.skiff.test-env.fingerprint';

/**
 * Normalises entries into a rootfs listing: absolute clean paths, every parent directory
 * present (0755 unless listed), sorted so parents come first. Conflicting duplicates throw.
 */
export function composeRootfs(entries: RootfsEntry[]): RootfsEntry[] {
  const byPath = new Map<string, RootfsEntry>();
  const implied = new Set<string>();
  for (const entry of entries) {
    const path = posix.normalize(posix.join('/', entry.path));
    if (path === '/') continue;
    const normalised = { ...entry, path };
    const existing = byPath.get(path);
    if (existing && implied.has(path) && entry.type === 'dir') {
      implied.delete(path); // an explicit directory overrides the mode of an implied parent
    } else if (existing) {
      if (JSON.stringify(existing) === JSON.stringify(normalised)) continue;
      throw new Error(`rootfs: ${path} is listed twice with different content`);
    }
    for (let parent = posix.dirname(path); parent !== '/'; parent = posix.dirname(parent)) {
      const found = byPath.get(parent);
      if (found && found.type !== 'dir') throw new Error(`rootfs: ${parent} is not a directory`);
      if (!found) {
        byPath.set(parent, { path: parent, type: 'dir', mode: 0o755 });
        implied.add(parent);
      }
    }
    byPath.set(path, normalised);
  }
  return [...byPath.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

export interface Account {
  name: string;
  uid: number;
  gid: number;
  home: string;
  shell: string;
}

export const baseAccounts: Account[] = [
  { name: 'root', uid: 0, gid: 0, home: '/root', shell: '/bin/sh' },
  { name: 'daemon', uid: 1, gid: 1, home: '/usr/sbin', shell: '/bin/false' },
  { name: 'bin', uid: 2, gid: 2, home: '/bin', shell: '/bin/false' },
  { name: 'www-data', uid: 33, gid: 33, home: '/var/www', shell: '/bin/false' },
  { name: 'nobody', uid: 65534, gid: 65534, home: '/nonexistent', shell: '/bin/false' },
];

const baseGroups: Array<[string, number]> = [
  ['root', 0],
  ['daemon', 1],
  ['bin', 2],
  ['tty', 5],
  ['www-data', 33],
  ['users', 100],
  ['nogroup', 65534],
];

export function passwdFile(accounts: Account[]): string {
  return accounts
    .map((a) => `${a.name}:x:${a.uid}:${a.gid}:${a.name}:${a.home}:${a.shell}\n`)
    .join('');
}

export function groupFile(accounts: Account[]): string {
  const groups = new Map(baseGroups);
  for (const a of accounts) if (![...groups.values()].includes(a.gid)) groups.set(a.name, a.gid);
  return [...groups].map(([name, gid]) => `${name}:x:${gid}:\n`).join('');
}

/** /etc/passwd, /etc/group and the usual top-level directories, so runAsUser and `id` work. */
export function baseEntries(accounts: Account[]): RootfsEntry[] {
  return [
    { path: '/etc', type: 'dir', mode: 0o755 },
    { path: '/tmp', type: 'dir', mode: 0o1777 },
    { path: '/root', type: 'dir', mode: 0o700 },
    { path: '/home', type: 'dir', mode: 0o755 },
    { path: '/var/www', type: 'dir', mode: 0o755 },
    { path: '/etc/passwd', type: 'text', content: passwdFile(accounts), mode: 0o644 },
    { path: '/etc/group', type: 'text', content: groupFile(accounts), mode: 0o644 },
    // Static glibc programs (busybox) fall back to this order without the file too; it is here
    // so name lookups of dynamically linked programs (node) read /etc/hosts first.
    { path: '/etc/nsswitch.conf', type: 'text', content: nsswitch, mode: 0o644 },
  ];
}

const nsswitch = 'passwd: files\ngroup: files\nhosts: files dns\nnetworks: files\n';

/** busybox at /bin/busybox and one symlink per applet (paths from `busybox --list-full`). */
export function busyboxEntries(busyboxBinary: string, appletPaths: string[]): RootfsEntry[] {
  const entries: RootfsEntry[] = [
    { path: '/bin/busybox', type: 'file', source: busyboxBinary, mode: 0o755 },
  ];
  for (const applet of appletPaths) {
    const path = posix.join('/', applet.trim());
    if (path === '/' || path === '/bin/busybox') continue;
    entries.push({ path, type: 'symlink', target: '/bin/busybox' });
  }
  return entries;
}

export function pauseImage(pauseBinary: string): ImageSpec {
  return {
    name: 'pause',
    repository: 'skiff/pause',
    tag: '3.10',
    entries: composeRootfs([{ path: '/pause', type: 'file', source: pauseBinary, mode: 0o755 }]),
    // Like registry.k8s.io/pause: a non-root user, the binary as entrypoint.
    config: { entrypoint: ['/pause'], user: '65535:65535' },
  };
}

export function busyboxImage(busyboxBinary: string, appletPaths: string[]): ImageSpec {
  return {
    name: 'busybox',
    repository: 'skiff/busybox',
    tag: '1',
    entries: composeRootfs([
      ...baseEntries(baseAccounts),
      ...busyboxEntries(busyboxBinary, appletPaths),
    ]),
    config: { cmd: ['sh'], env: [`PATH=${defaultPath}`] },
  };
}

/**
 * The Node base image netd is built on: the host's node binary with the shared libraries ldd
 * lists (each at the path the loader looks for it), plus busybox for `sh` and `ip`.
 */
export function nodeImage(options: {
  nodeBinary: string;
  nodeMajor: string;
  libraries: string[];
  busyboxBinary: string;
  appletPaths: string[];
}): ImageSpec {
  const accounts = [
    ...baseAccounts.slice(0, -1),
    { name: 'node', uid: 1000, gid: 1000, home: '/home/node', shell: '/bin/sh' },
    ...baseAccounts.slice(-1),
  ];
  return {
    name: 'node',
    repository: 'skiff/node',
    tag: options.nodeMajor,
    entries: composeRootfs([
      ...baseEntries(accounts),
      { path: '/home/node', type: 'dir', mode: 0o755 },
      ...busyboxEntries(options.busyboxBinary, options.appletPaths),
      ...options.libraries.map((lib): RootfsEntry => ({
        path: lib,
        type: 'file',
        source: lib,
        mode: 0o755,
      })),
      { path: '/usr/local/bin/node', type: 'file', source: options.nodeBinary, mode: 0o755 },
    ]),
    config: { cmd: ['node'], env: [`PATH=${defaultPath}`] },
  };
}

/** The `--change` instructions `docker import` applies to the image config. */
export function importChanges(config: ImageConfig, labels: Record<string, string>): string[] {
  const changes: string[] = [];
  for (const env of config.env ?? []) {
    const eq = env.indexOf('=');
    if (eq <= 0) throw new Error(`invalid env "${env}"`);
    changes.push(`ENV ${env.slice(0, eq)}=${JSON.stringify(env.slice(eq + 1))}`);
  }
  if (config.entrypoint) changes.push(`ENTRYPOINT ${JSON.stringify(config.entrypoint)}`);
  if (config.cmd) changes.push(`CMD ${JSON.stringify(config.cmd)}`);
  if (config.user) changes.push(`USER ${config.user}`);
  if (config.workdir) changes.push(`WORKDIR ${config.workdir}`);
  for (const [key, value] of Object.entries(labels)) {
    changes.push(`LABEL ${key}=${JSON.stringify(value)}`);
  }
  return changes;
}

/**
 * Identifies an image's content: the spec plus the digest of every source file. An image in the
 * registry carrying the same fingerprint label need not be rebuilt.
 */
export function imageFingerprint(spec: ImageSpec, sourceDigests: Map<string, string>): string {
  const entries = spec.entries.map((entry) => {
    if (entry.type !== 'file') return entry;
    const digest = sourceDigests.get(entry.source);
    if (!digest) throw new Error(`no digest for ${entry.source}`);
    return { ...entry, digest };
  });
  const body = JSON.stringify({
    repository: spec.repository,
    tag: spec.tag,
    entries,
    config: spec.config,
  });
  return createHash('sha256').update(body).digest('hex');
}
