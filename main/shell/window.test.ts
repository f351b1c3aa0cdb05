import { describe, it, expect } from 'vitest';
import { isAllowedNavigation, windowOptions } from './window.ts';
import { STATUS_PAGE_CSP, dataUrl, statusPage } from './status-page.ts';

describe('window', () => {
  it('isolates the page from Node and Electron', () => {
    const prefs = windowOptions().webPreferences!;
    expect(prefs).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
    });
  });

  it('allows no navigation away from the loaded page', () => {
    const page = 'http://127.0.0.1:4000/index.html';
    expect(isAllowedNavigation('http://127.0.0.1:4000/index.html#pods', page)).toBe(true);
    expect(isAllowedNavigation('https://example.com/', page)).toBe(false);
    expect(isAllowedNavigation('http://127.0.0.1:4000/other', page)).toBe(false);
    expect(isAllowedNavigation('data:text/html,<h1>x</h1>', 'data:text/html,<h1>y</h1>')).toBe(
      false,
    );
    expect(isAllowedNavigation('not a url', page)).toBe(false);
  });
});

describe('status page', () => {
  it('shows where the API listens and the kubeconfig to use', () => {
    const html = statusPage({
      state: 'running',
      url: 'https://127.0.0.1:6443',
      kubeconfigPath: '/home/u/.config/Skiff/kubeconfig.yaml',
      dataDir: '/home/u/.config/Skiff',
    });
    expect(html).toContain('https://127.0.0.1:6443');
    expect(html).toContain(
      'kubectl --kubeconfig /home/u/.config/Skiff/kubeconfig.yaml get namespaces',
    );
    expect(html).toContain(`content="${STATUS_PAGE_CSP}"`);
    expect(html).not.toMatch(/<script/i);
  });

  it('escapes an error message instead of rendering it as markup', () => {
    const html = statusPage({ state: 'failed', message: 'port <6443> in use & "busy"' });
    expect(html).toContain('port &lt;6443&gt; in use &amp; &quot;busy&quot;');
    expect(dataUrl(html).startsWith('data:text/html;charset=utf-8,')).toBe(true);
  });
});
