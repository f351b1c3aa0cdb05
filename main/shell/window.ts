// The desktop window's security settings and what it may navigate to (Electron's security
// checklist: context isolation, sandbox, no Node in the page, no new windows, no navigation away).
import type { BrowserWindowConstructorOptions } from 'electron';

export function windowOptions(): BrowserWindowConstructorOptions {
  return {
    width: 1100,
    height: 720,
    minWidth: 640,
    minHeight: 420,
    title: 'Skiff',
    show: false,
    backgroundColor: '#0f172a',
    webPreferences: {
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      spellcheck: false,
    },
  };
}

/** The window only ever shows the page Skiff loaded into it. */
export function isAllowedNavigation(target: string, current: string): boolean {
  try {
    const next = new URL(target);
    const here = new URL(current);
    if (next.protocol === 'data:' || here.protocol === 'data:') return false;
    return next.origin === here.origin && next.pathname === here.pathname;
  } catch {
    return false;
  }
}
