// Small shared steps of the end-to-end suites: asserting a command worked (with its output in the
// failure message), reading objects as JSON, parsing kubectl's tables, polling with a deadline.
import { expect } from 'vitest';
import type { RunResult } from './processes.ts';
import type { Skiff } from './skiff.ts';

/** The command's output, for failure messages. */
export function show(result: RunResult): string {
  return `exit ${String(result.code)}${result.signal ? ` (${result.signal})` : ''}\n--- stdout ---\n${result.stdout}\n--- stderr ---\n${result.stderr}`;
}

/** Asserts exit code 0 and returns stdout. */
export function ok(result: RunResult): string {
  expect(result.code, show(result)).toBe(0);
  return result.stdout;
}

/** Asserts a non-zero exit and returns stdout + stderr. */
export function fails(result: RunResult): string {
  expect(result.code, show(result)).not.toBe(0);
  expect(result.timedOut, show(result)).toBe(false);
  return `${result.stdout}\n${result.stderr}`;
}

export type Json = Record<string, unknown>;

/** `kubectl get … -o json`, parsed; fails the test if kubectl fails. */
export async function getJson<T = Json>(skiff: Skiff, args: string[]): Promise<T> {
  return JSON.parse(ok(await skiff.kubectl(['get', ...args, '-o', 'json']))) as T;
}

/** True when `kubectl get` says the object does not exist. */
export async function isAbsent(skiff: Skiff, args: string[]): Promise<boolean> {
  const result = await skiff.kubectl(['get', ...args, '-o', 'name']);
  if (result.code === 0) return false;
  expect(result.stderr, show(result)).toMatch(/NotFound|not found/);
  return true;
}

/** Header cells of a kubectl table (columns are separated by at least two spaces). */
export function headerOf(table: string): string[] {
  const first = table.split('\n').find((line) => line.trim() !== '') ?? '';
  return first.trim().split(/\s{2,}/);
}

/** Data rows of a kubectl table, each split into cells. Cells that are empty shift, so use for simple tables. */
export function rowsOf(table: string): string[][] {
  return table
    .split('\n')
    .filter((line) => line.trim() !== '')
    .slice(1)
    .map((line) => line.trim().split(/\s{2,}/));
}

/**
 * A kubectl table as records keyed by header, cutting each row at the header's column starts
 * (kubectl left-aligns cells under their header), so empty cells and cells with spaces survive.
 */
export function tableOf(table: string): Record<string, string>[] {
  const lines = table.split('\n').filter((line) => line.trim() !== '');
  const header = lines[0] ?? '';
  const columns = [...header.matchAll(/\S+(?: \S+)*/g)].map((m) => ({
    name: m[0],
    start: m.index,
  }));
  return lines.slice(1).map((line) => {
    const record: Record<string, string> = {};
    columns.forEach((column, i) => {
      const end = i + 1 < columns.length ? columns[i + 1].start : undefined;
      record[column.name] = line.slice(column.start, end).trim();
    });
    return record;
  });
}

/** Non-empty lines. */
export function linesOf(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls until `check` returns a value other than undefined/false, or throws after timeoutMs. */
export async function eventually<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 10_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: string | undefined;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() > deadline) {
      throw new Error(
        `${what}: not true within ${timeoutMs} ms${last ? ` (last error: ${last})` : ''}`,
      );
    }
    await sleep(intervalMs);
  }
}

/**
 * Paths (like `spec.template.spec.containers[0].image`) where two JSON values differ; objects are
 * compared key by key and arrays index by index.
 */
export function jsonDiffPaths(a: unknown, b: unknown, path = ''): string[] {
  if (Array.isArray(a) && Array.isArray(b)) {
    const paths: string[] = [];
    for (let i = 0; i < Math.max(a.length, b.length); i++)
      paths.push(...jsonDiffPaths(a[i], b[i], `${path}[${i}]`));
    return paths;
  }
  const isObject = (v: unknown): v is Json =>
    typeof v === 'object' && v !== null && !Array.isArray(v);
  if (isObject(a) && isObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    const paths: string[] = [];
    for (const key of [...keys].sort())
      paths.push(...jsonDiffPaths(a[key], b[key], path ? `${path}.${key}` : key));
    return paths;
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [path];
}
