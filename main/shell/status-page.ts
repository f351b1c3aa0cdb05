// The window's page while the dashboard is not part of the app yet: where the cluster's API
// server listens, the kubeconfig to use with kubectl and helm, or why the cluster did not start.
// A self-contained page with a strict Content-Security-Policy (no scripts at all).

export type ClusterState =
  | { state: 'starting' }
  | { state: 'running'; url: string; kubeconfigPath: string; dataDir: string }
  | { state: 'failed'; message: string };

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
}

export const STATUS_PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

export function statusPage(cluster: ClusterState): string {
  let body: string;
  if (cluster.state === 'starting') {
    body = '<h1>Starting the cluster…</h1>';
  } else if (cluster.state === 'failed') {
    body = `<h1>The cluster did not start</h1><pre class="error">${escapeHtml(cluster.message)}</pre>`;
  } else {
    const command = `kubectl --kubeconfig ${cluster.kubeconfigPath} get namespaces`;
    body = [
      '<h1>Skiff is running</h1>',
      `<p>API server: <code>${escapeHtml(cluster.url)}</code></p>`,
      `<p>kubeconfig: <code>${escapeHtml(cluster.kubeconfigPath)}</code></p>`,
      `<p>Try: <code>${escapeHtml(command)}</code></p>`,
      `<p class="muted">Data: <code>${escapeHtml(cluster.dataDir)}</code></p>`,
    ].join('\n');
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${STATUS_PAGE_CSP}">
<title>Skiff</title>
<style>
body { font-family: system-ui, sans-serif; background: #0f172a; color: #e2e8f0; margin: 3rem; }
code { background: #1e293b; padding: 0.15rem 0.4rem; border-radius: 4px; }
.muted { color: #94a3b8; } .error { color: #fca5a5; white-space: pre-wrap; }
</style></head>
<body>
${body}
</body></html>`;
}

export function dataUrl(html: string): string {
  return `data:text/html;charset=utf-8,${encodeURIComponent(html)}`;
}
