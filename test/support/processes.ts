// Child processes for the end-to-end suites: every run is bounded in time, its output captured, and
// anything still alive when the test worker exits is SIGKILLed so no kubectl or server outlives a suite.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';

export interface RunOptions {
  /** Written to stdin, which is then closed. */
  input?: string;
  /** Added to (and overriding) the environment the caller builds. */
  env?: Record<string, string>;
  cwd?: string;
  /** Kill the process after this long (default 30 s); the result then has timedOut = true. */
  timeoutMs?: number;
}

export interface RunResult {
  /** Exit code; null when the process ended on a signal (timeouts included). */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

const live = new Set<ChildProcess>();

// Last resort for a worker that dies without running afterAll: nothing may be left running.
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

function track(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
  child.once('error', () => live.delete(child));
}

/** Runs a command to completion (or timeout) and returns its exit status and output. */
export function run(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  options: RunOptions = {},
): Promise<RunResult> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: { ...env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    track(child);
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (timedOut) stderr += `\n[test harness: killed after ${timeoutMs} ms]`;
      resolve({ code, signal, stdout, stderr, timedOut });
    });
    // A process that exits without reading stdin makes the write fail with EPIPE; that is fine.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

/** A long-running process whose output is read while it runs (`kubectl get -w`, a server). */
export class StreamingProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<ExitInfo>;
  private out = '';
  private err = '';
  private listeners = new Set<() => void>();
  private exitInfo: ExitInfo | undefined;

  constructor(command: string, args: string[], env: NodeJS.ProcessEnv, cwd?: string) {
    this.child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    track(this.child);
    this.child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      this.out += chunk;
      this.notify();
    });
    this.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.err += chunk;
      this.notify();
    });
    this.exited = new Promise((resolve) => {
      this.child.once('error', (error) => {
        this.err += `\n[spawn error: ${error.message}]`;
        this.exitInfo = { code: null, signal: null };
        this.notify();
        resolve(this.exitInfo);
      });
      this.child.once('close', (code, signal) => {
        this.exitInfo = { code, signal };
        this.notify();
        resolve(this.exitInfo);
      });
    });
  }

  get stdout(): string {
    return this.out;
  }

  get stderr(): string {
    return this.err;
  }

  get running(): boolean {
    return this.exitInfo === undefined;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /**
   * Resolves with the stdout match once `pattern` appears in stdout (searched from `from`); rejects
   * on timeout or if the process exits first, with the output so far in the message.
   */
  waitForOutput(pattern: RegExp, timeoutMs: number, from = 0): Promise<RegExpExecArray> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const match = pattern.exec(this.out.slice(from));
        if (match) {
          done();
          resolve(match);
          return true;
        }
        if (this.exitInfo) {
          done();
          reject(
            new Error(
              `process exited (${JSON.stringify(this.exitInfo)}) before printing ${pattern}\n${this.describe()}`,
            ),
          );
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no ${pattern} within ${timeoutMs} ms\n${this.describe()}`));
      }, timeoutMs);
      const listener = (): void => void check();
      const done = (): void => {
        clearTimeout(timer);
        this.listeners.delete(listener);
      };
      if (!check()) this.listeners.add(listener);
    });
  }

  /** Waits for exit up to timeoutMs; undefined if still running then. */
  async waitForExit(timeoutMs: number): Promise<ExitInfo | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sends signal, then SIGKILL if the process is still alive after graceMs. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 5_000): Promise<ExitInfo> {
    if (this.exitInfo) return this.exitInfo;
    this.child.kill(signal);
    const info = await this.waitForExit(graceMs);
    if (info) return info;
    this.child.kill('SIGKILL');
    return this.exited;
  }

  describe(limit = 4_000): string {
    const tail = (text: string): string => (text.length > limit ? `…${text.slice(-limit)}` : text);
    return `--- stdout ---\n${tail(this.out)}\n--- stderr ---\n${tail(this.err)}`;
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}
