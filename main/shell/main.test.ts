// The shell with Electron replaced by a fake (the binary cannot run on the CI machines): the
// cluster starts on the user-data folder, the window shows its state, a second instance focuses
// the window, and quitting stops the cluster and releases the data folder.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import https from 'node:https';
import { afterAll, describe, expect, it, vi } from 'vitest';

const userData = fs.mkdtempSync(path.join(os.tmpdir(), 'skiff-shell-'));

const fake = await vi.hoisted(async () => {
  const { EventEmitter } = await import('node:events');
  class FakeApp extends EventEmitter {
    ready!: () => void;
    readyPromise = new Promise<void>((resolve) => (this.ready = resolve));
    exitCode: number | undefined;
    paths: Record<string, string> = {};
    requestSingleInstanceLock = () => true;
    whenReady = () => this.readyPromise;
    getPath = (name: string) => this.paths[name];
    quit = () => {
      const event = {
        defaultPrevented: false,
        preventDefault() {
          this.defaultPrevented = true;
        },
      };
      this.emit('will-quit', event);
    };
    exit = (code: number) => {
      this.exitCode = code;
    };
  }
  const windows: FakeWindow[] = [];
  class FakeWindow extends EventEmitter {
    urls: string[] = [];
    focused = 0;
    webContents = Object.assign(new EventEmitter(), {
      setWindowOpenHandler: () => undefined,
      getURL: () => this.urls[this.urls.length - 1] ?? '',
    });
    constructor(readonly options: unknown) {
      super();
      windows.push(this);
    }
    loadURL(url: string) {
      this.urls.push(url);
      return Promise.resolve();
    }
    show() {}
    isMinimized() {
      return false;
    }
    restore() {}
    focus() {
      this.focused++;
    }
    static getAllWindows() {
      return windows;
    }
  }
  return { app: new FakeApp(), FakeWindow, windows };
});

vi.mock('electron', () => ({
  app: fake.app,
  BrowserWindow: fake.FakeWindow,
  shell: { openExternal: vi.fn() },
}));

afterAll(() => fs.rmSync(userData, { recursive: true, force: true }));

function pageText(url: string): string {
  return decodeURIComponent(url.replace(/^data:text\/html;charset=utf-8,/, ''));
}

async function eventually(check: () => boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('the Electron shell', () => {
  it('starts the cluster, shows it, focuses on a second launch and stops on quit', async () => {
    fake.app.paths.userData = userData;
    await import('./main.ts');
    fake.app.ready();
    await eventually(() => fake.windows.length === 1);
    const window = fake.windows[0];
    expect(window.options).toMatchObject({
      webPreferences: { sandbox: true, contextIsolation: true, nodeIntegration: false },
    });
    await eventually(() =>
      pageText(window.urls[window.urls.length - 1] ?? '').includes('Skiff is running'),
    );
    const page = pageText(window.urls[window.urls.length - 1]);
    const url = /API server: <code>(https:\/\/127\.0\.0\.1:\d+)<\/code>/.exec(page)?.[1];
    expect(url).toBeDefined();
    expect(fs.existsSync(path.join(userData, 'kubeconfig.yaml'))).toBe(true);
    expect(fs.existsSync(path.join(userData, 'skiff.lock'))).toBe(true);

    const status = await new Promise<number>((resolve, reject) => {
      https
        .get(`${url}/readyz`, { rejectUnauthorized: false }, (res) => resolve(res.statusCode ?? 0))
        .on('error', reject);
    });
    expect(status).toBe(200);

    fake.app.emit('second-instance');
    expect(window.focused).toBe(1);

    fake.app.quit();
    await eventually(() => fake.app.exitCode === 0);
    expect(fs.existsSync(path.join(userData, 'skiff.lock'))).toBe(false);
  }, 60_000);
});
