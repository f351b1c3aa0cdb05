// The Electron shell (kept thin, as DESIGN.md says): one instance per user, the cluster started
// in the main process on the per-user data folder, and a hardened window showing its state.
// Everything with logic lives in testable modules beside this one.
import { app, BrowserWindow, shell } from 'electron';
import { ControlPlane } from '../cluster/control-plane.ts';
import { collectLikeGoComponents } from '../cluster/heap.ts';
import { lockDataDir, type DataDirLock } from '../cli/lock.ts';
import { isAllowedNavigation, windowOptions } from './window.ts';
import { dataUrl, statusPage, type ClusterState } from './status-page.ts';

let plane: ControlPlane | undefined;
let lock: DataDirLock | undefined;
let cluster: ClusterState = { state: 'starting' };
let window: BrowserWindow | undefined;

function render(): void {
  void window?.loadURL(dataUrl(statusPage(cluster)));
}

function openWindow(): void {
  window = new BrowserWindow(windowOptions());
  window.once('ready-to-show', () => window?.show());
  window.webContents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://')) void shell.openExternal(url);
    return { action: 'deny' };
  });
  window.webContents.on('will-navigate', (event, url) => {
    if (!isAllowedNavigation(url, window?.webContents.getURL() ?? '')) event.preventDefault();
  });
  window.on('closed', () => (window = undefined));
  render();
}

async function startCluster(): Promise<void> {
  collectLikeGoComponents();
  const dataDir = app.getPath('userData');
  try {
    lock = lockDataDir(dataDir);
    plane = new ControlPlane({ dataDir, apiPort: 6443, apiPortExplicit: false });
    await plane.start();
    cluster = { state: 'running', url: plane.url, kubeconfigPath: plane.kubeconfigPath, dataDir };
  } catch (err) {
    lock?.release();
    cluster = { state: 'failed', message: (err as Error).message };
  }
  render();
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    if (!window) openWindow();
    else {
      if (window.isMinimized()) window.restore();
      window.focus();
    }
  });
  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-attach-webview', (event) => event.preventDefault());
  });
  void app.whenReady().then(() => {
    openWindow();
    void startCluster();
    app.on('activate', () => {
      if (BrowserWindow.getAllWindows().length === 0) openWindow();
    });
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  let stopping = false;
  app.on('will-quit', (event) => {
    if (stopping || !plane) return;
    event.preventDefault();
    stopping = true;
    void plane.stop().finally(() => {
      lock?.release();
      app.exit(0);
    });
  });
}
