// kubelet's AtomicWriter (pkg/volume/util/atomic_writer.go) for configMap, secret, downwardAPI and
// projected volumes: the payload goes to a fresh timestamped directory, then the `..data` symlink
// is swapped to it in one rename, so a reader inside the container never sees a half-written set.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

const DATA_DIR = '..data';
const DATA_DIR_TMP = '..data_tmp';

export interface FileProjection {
  data: Buffer;
  mode: number;
}

/** Thrown for a payload path kubelet would refuse (absolute, `..`, too long). */
export class PayloadPathError extends Error {}

/** kubelet's validatePath: relative, no `..` element, not starting with `..`, ≤ 4096 bytes. */
export function validatePayloadPath(target: string): void {
  if (target.length > 4096)
    throw new PayloadPathError(`invalid path: must be less than or equal to 4096 characters`);
  if (path.posix.isAbsolute(target))
    throw new PayloadPathError(`invalid path: must be relative path: ${target}`);
  if (target.split('/').includes('..'))
    throw new PayloadPathError(`invalid path: must not contain '..': ${target}`);
  if (target.startsWith('..'))
    throw new PayloadPathError(`invalid path: must not start with '..': ${target}`);
}

function timestampedName(now: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const stamp = `${now.getUTCFullYear()}_${p(now.getUTCMonth() + 1)}_${p(now.getUTCDate())}_${p(now.getUTCHours())}_${p(now.getUTCMinutes())}_${p(now.getUTCSeconds())}`;
  return `..${stamp}.${randomBytes(5).toString('hex')}`;
}

async function currentPayload(dataDir: string): Promise<Map<string, FileProjection> | undefined> {
  const out = new Map<string, FileProjection>();
  const walk = async (rel: string): Promise<void> => {
    const entries = await fs.readdir(path.join(dataDir, rel), { withFileTypes: true });
    for (const entry of entries) {
      const child = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await walk(child);
      else {
        const file = path.join(dataDir, child);
        const [data, stat] = await Promise.all([fs.readFile(file), fs.stat(file)]);
        out.set(child, { data, mode: stat.mode & 0o7777 });
      }
    }
  };
  try {
    await walk('');
    return out;
  } catch {
    return undefined;
  }
}

function samePayload(
  a: Map<string, FileProjection>,
  b: ReadonlyMap<string, FileProjection>,
): boolean {
  if (a.size !== b.size) return false;
  for (const [key, value] of b) {
    const have = a.get(key);
    if (!have || have.mode !== value.mode || !have.data.equals(value.data)) return false;
  }
  return true;
}

export interface WriteOptions {
  /** Group owner for every file and directory (kubelet's fsGroup ownership). */
  gid?: number;
  now?: Date;
}

/**
 * Makes `dir` hold exactly `payload` (relative path → bytes and mode) through the `..data` swap;
 * returns false when it already did (nothing is written).
 */
export async function writeAtomic(
  dir: string,
  payload: ReadonlyMap<string, FileProjection>,
  options: WriteOptions = {},
): Promise<boolean> {
  for (const key of payload.keys()) validatePayloadPath(key);
  await fs.mkdir(dir, { recursive: true, mode: 0o755 });
  const dataLink = path.join(dir, DATA_DIR);
  let oldTarget: string | undefined;
  try {
    oldTarget = await fs.readlink(dataLink);
  } catch {
    oldTarget = undefined;
  }
  if (oldTarget) {
    const existing = await currentPayload(path.join(dir, oldTarget));
    if (existing && samePayload(existing, payload)) return false;
  }
  const tsName = timestampedName(options.now ?? new Date());
  const tsDir = path.join(dir, tsName);
  await fs.mkdir(tsDir, { mode: 0o755 });
  const chown = async (target: string) => {
    if (options.gid !== undefined) await fs.chown(target, 0, options.gid).catch(() => undefined);
  };
  await chown(tsDir);
  for (const [rel, file] of payload) {
    const target = path.join(tsDir, rel);
    const parent = path.dirname(target);
    if (parent !== tsDir) {
      await fs.mkdir(parent, { recursive: true, mode: 0o755 });
      await chown(parent);
    }
    await fs.writeFile(target, file.data);
    await chown(target);
    // chmod after writing: the umask must not narrow the requested mode.
    await fs.chmod(target, file.mode);
  }
  const tmpLink = path.join(dir, DATA_DIR_TMP);
  await fs.rm(tmpLink, { force: true });
  await fs.symlink(tsName, tmpLink);
  await fs.rename(tmpLink, dataLink);
  // The user-visible names: one symlink per top-level element, through ..data.
  const wanted = new Set([...payload.keys()].map((k) => k.split('/')[0]));
  for (const name of wanted) {
    const link = path.join(dir, name);
    const current = await fs.readlink(link).catch(() => undefined);
    if (current !== `${DATA_DIR}/${name}`) {
      await fs.rm(link, { force: true, recursive: true });
      await fs.symlink(`${DATA_DIR}/${name}`, link);
    }
  }
  for (const entry of await fs.readdir(dir)) {
    if (entry.startsWith('..') || wanted.has(entry)) continue;
    await fs.rm(path.join(dir, entry), { force: true, recursive: true });
  }
  if (oldTarget && oldTarget !== tsName)
    await fs.rm(path.join(dir, oldTarget), { recursive: true, force: true });
  // Timestamped leftovers of an interrupted write.
  for (const entry of await fs.readdir(dir))
    if (
      entry.startsWith('..') &&
      entry !== tsName &&
      entry !== DATA_DIR &&
      /^\.\.\d{4}_/.test(entry)
    )
      await fs.rm(path.join(dir, entry), { recursive: true, force: true });
  return true;
}
