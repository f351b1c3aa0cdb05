// Renders the kubeconfig that lets kubectl and helm reach Skiff (client-go's clientcmd v1 Config),
// with the CA and credentials embedded as base64 `*-data` fields.
import { stringify } from 'yaml';

export interface KubeconfigInput {
  /** e.g. `https://127.0.0.1:6443` */
  server: string;
  caCertPem: string;
  /** Client certificate + key, or a bearer token (one of the two is required). */
  clientCertPem?: string;
  clientKeyPem?: string;
  token?: string;
  contextName?: string;
  clusterName?: string;
  userName?: string;
  namespace?: string;
}

export function renderKubeconfig(input: KubeconfigInput): string {
  const contextName = input.contextName ?? 'skiff';
  const clusterName = input.clusterName ?? contextName;
  const userName = input.userName ?? `${contextName}-admin`;
  if (!/^https:\/\//.test(input.server)) {
    throw new Error(
      `kubeconfig server must be an https:// URL, got ${JSON.stringify(input.server)}`,
    );
  }
  const hasCert = input.clientCertPem !== undefined || input.clientKeyPem !== undefined;
  if (hasCert && (!input.clientCertPem || !input.clientKeyPem)) {
    throw new Error('kubeconfig needs both the client certificate and its key');
  }
  if (!hasCert && !input.token) {
    throw new Error('kubeconfig needs a client certificate and key, or a token');
  }

  const user: Record<string, string> = {};
  if (input.clientCertPem && input.clientKeyPem) {
    user['client-certificate-data'] = base64(input.clientCertPem);
    user['client-key-data'] = base64(input.clientKeyPem);
  }
  if (input.token) user.token = input.token;

  const context: Record<string, string> = { cluster: clusterName, user: userName };
  if (input.namespace) context.namespace = input.namespace;

  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: clusterName,
        cluster: {
          'certificate-authority-data': base64(input.caCertPem),
          server: input.server,
        },
      },
    ],
    contexts: [{ name: contextName, context }],
    'current-context': contextName,
    preferences: {},
    users: [{ name: userName, user }],
  };
  // Long base64 strings must stay on one line: some tools read kubeconfigs with naive parsers.
  return stringify(config, { lineWidth: 0 });
}

function base64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}
