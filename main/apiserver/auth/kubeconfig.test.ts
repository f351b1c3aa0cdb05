import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { renderKubeconfig } from './kubeconfig.ts';

const ca = '-----BEGIN CERTIFICATE-----\nQ0E=\n-----END CERTIFICATE-----\n';
const cert = '-----BEGIN CERTIFICATE-----\nQ0VSVA==\n-----END CERTIFICATE-----\n';
const key = '-----BEGIN PRIVATE KEY-----\nS0VZ\n-----END PRIVATE KEY-----\n';

const decode = (b64: string) => Buffer.from(b64, 'base64').toString('utf8');

interface Config {
  apiVersion: string;
  kind: string;
  clusters: Array<{ name: string; cluster: Record<string, string> }>;
  contexts: Array<{ name: string; context: Record<string, string> }>;
  users: Array<{ name: string; user: Record<string, string> }>;
  'current-context': string;
}

describe('renderKubeconfig', () => {
  it('renders a clientcmd v1 Config with base64 data fields and the skiff context', () => {
    const text = renderKubeconfig({
      server: 'https://127.0.0.1:6443',
      caCertPem: ca,
      clientCertPem: cert,
      clientKeyPem: key,
      contextName: 'skiff',
      clusterName: 'skiff',
      userName: 'skiff-admin',
      namespace: 'dev',
    });
    const config = parse(text) as Config;
    expect(config.apiVersion).toBe('v1');
    expect(config.kind).toBe('Config');
    expect(config['current-context']).toBe('skiff');
    expect(config.clusters).toEqual([
      {
        name: 'skiff',
        cluster: {
          'certificate-authority-data': expect.any(String) as unknown,
          server: 'https://127.0.0.1:6443',
        },
      },
    ]);
    expect(decode(config.clusters[0].cluster['certificate-authority-data'])).toBe(ca);
    expect(config.contexts).toEqual([
      { name: 'skiff', context: { cluster: 'skiff', user: 'skiff-admin', namespace: 'dev' } },
    ]);
    expect(config.users[0].name).toBe('skiff-admin');
    expect(decode(config.users[0].user['client-certificate-data'])).toBe(cert);
    expect(decode(config.users[0].user['client-key-data'])).toBe(key);
  });

  it('keeps long base64 values on one line', () => {
    const long = `-----BEGIN CERTIFICATE-----\n${'A'.repeat(2000)}\n-----END CERTIFICATE-----\n`;
    const text = renderKubeconfig({
      server: 'https://127.0.0.1:6443',
      caCertPem: long,
      token: 't',
    });
    const line = text.split('\n').find((l) => l.includes('certificate-authority-data'));
    expect(line?.length).toBeGreaterThan(2000);
  });

  it('supports a bearer token instead of a client certificate', () => {
    const config = parse(
      renderKubeconfig({ server: 'https://127.0.0.1:6443', caCertPem: ca, token: 'abc' }),
    ) as Config;
    expect(config.users[0].user).toEqual({ token: 'abc' });
    expect(config.contexts[0].context).toEqual({ cluster: 'skiff', user: 'skiff-admin' });
  });

  it('refuses incomplete credentials and non-https servers', () => {
    expect(() =>
      renderKubeconfig({ server: 'https://127.0.0.1:6443', caCertPem: ca, clientCertPem: cert }),
    ).toThrow(/both/);
    expect(() => renderKubeconfig({ server: 'https://127.0.0.1:6443', caCertPem: ca })).toThrow(
      /token/,
    );
    expect(() =>
      renderKubeconfig({ server: 'http://127.0.0.1:6443', caCertPem: ca, token: 'x' }),
    ).toThrow(/https/);
  });
});
