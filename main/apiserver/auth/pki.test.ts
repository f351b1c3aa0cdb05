import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { authenticateRequest } from './authenticate.ts';
import { renderKubeconfig } from './kubeconfig.ts';
import {
  DEFAULT_SERVING_SANS,
  issueClientCertificate,
  loadOrCreatePki,
  PKI_FILES,
  type Pki,
} from './pki.ts';

const DAY = 24 * 60 * 60 * 1000;

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'skiff-pki-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function sanValues(pem: string): string[] {
  const cert = new x509.X509Certificate(pem);
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
  return san ? san.names.items.map((n) => n.value) : [];
}

describe('loadOrCreatePki', () => {
  it('creates a CA, serving and admin certificates and SA keys with the right extensions', async () => {
    const pki = await loadOrCreatePki(dir, ['10.96.0.1']);

    const ca = new x509.X509Certificate(pki.caCertPem);
    expect(ca.getExtension(x509.BasicConstraintsExtension)?.ca).toBe(true);
    expect(ca.getExtension(x509.BasicConstraintsExtension)?.critical).toBe(true);
    const caUsage = ca.getExtension(x509.KeyUsagesExtension)?.usages ?? 0;
    expect(caUsage & x509.KeyUsageFlags.keyCertSign).toBeTruthy();
    expect(await ca.isSelfSigned()).toBe(true);

    const serving = new x509.X509Certificate(pki.servingCertPem);
    expect(serving.issuer).toBe(ca.subject);
    expect(await serving.verify({ publicKey: ca.publicKey, signatureOnly: true })).toBe(true);
    expect(serving.getExtension(x509.BasicConstraintsExtension)?.ca).toBe(false);
    expect(serving.getExtension(x509.ExtendedKeyUsageExtension)?.usages).toEqual([
      x509.ExtendedKeyUsage.serverAuth,
    ]);
    const sans = sanValues(pki.servingCertPem);
    for (const san of [...DEFAULT_SERVING_SANS, '10.96.0.1']) expect(sans).toContain(san);
    // The authority key id must point at the CA's subject key id (Go uses it to pick the parent).
    expect(serving.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId).toBe(
      ca.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId,
    );

    const admin = new x509.X509Certificate(pki.adminCertPem);
    expect(admin.subjectName.getField('CN')).toEqual(['skiff-admin']);
    expect(admin.subjectName.getField('O')).toEqual(['system:masters']);
    expect(admin.getExtension(x509.ExtendedKeyUsageExtension)?.usages).toEqual([
      x509.ExtendedKeyUsage.clientAuth,
    ]);

    expect(pki.serviceAccountPrivateKeyPem).toContain('BEGIN PRIVATE KEY');
    expect(pki.serviceAccountPublicKeyPem).toContain('BEGIN PUBLIC KEY');
  });

  it('writes keys with mode 0600 and leaves no temporary files', async () => {
    await loadOrCreatePki(dir, []);
    for (const name of [
      PKI_FILES.caKey,
      PKI_FILES.servingKey,
      PKI_FILES.adminKey,
      PKI_FILES.serviceAccountKey,
    ]) {
      expect((await stat(join(dir, name))).mode & 0o777).toBe(0o600);
    }
    expect((await stat(join(dir, PKI_FILES.caCert))).mode & 0o077).toBe(0o044);
    const { readdir } = await import('node:fs/promises');
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('reloads exactly the same material on later starts', async () => {
    const first = await loadOrCreatePki(dir, ['10.96.0.1']);
    const second = await loadOrCreatePki(dir, ['10.96.0.1']);
    expect(second).toEqual(first);
  });

  it('re-issues only the serving certificate when a SAN is missing', async () => {
    const first = await loadOrCreatePki(dir, []);
    const second = await loadOrCreatePki(dir, ['10.96.0.1', 'skiff.local']);
    expect(second.caCertPem).toBe(first.caCertPem);
    expect(second.adminCertPem).toBe(first.adminCertPem);
    expect(second.serviceAccountPrivateKeyPem).toBe(first.serviceAccountPrivateKeyPem);
    expect(second.servingCertPem).not.toBe(first.servingCertPem);
    expect(sanValues(second.servingCertPem)).toEqual(
      expect.arrayContaining(['10.96.0.1', 'skiff.local']),
    );
    expect(await readFile(join(dir, PKI_FILES.servingCert), 'utf8')).toBe(second.servingCertPem);
  });

  it('renews leaf certificates that expire within 30 days, keeping the CA', async () => {
    const first = await loadOrCreatePki(dir, []);
    const later = new Date(Date.now() + 340 * DAY);
    const second = await loadOrCreatePki(dir, [], { now: () => later });
    expect(second.caCertPem).toBe(first.caCertPem);
    expect(second.servingCertPem).not.toBe(first.servingCertPem);
    expect(second.adminCertPem).not.toBe(first.adminCertPem);
    const renewed = new x509.X509Certificate(second.servingCertPem);
    expect(renewed.notAfter.getTime()).toBeGreaterThan(later.getTime() + 300 * DAY);
  });

  it('re-issues leaves when the CA was replaced', async () => {
    const first = await loadOrCreatePki(dir, []);
    await rm(join(dir, PKI_FILES.caCert));
    await rm(join(dir, PKI_FILES.caKey));
    const second = await loadOrCreatePki(dir, []);
    expect(second.caCertPem).not.toBe(first.caCertPem);
    const ca = new x509.X509Certificate(second.caCertPem);
    for (const pem of [second.servingCertPem, second.adminCertPem]) {
      expect(
        await new x509.X509Certificate(pem).verify({
          publicKey: ca.publicKey,
          signatureOnly: true,
        }),
      ).toBe(true);
    }
    // The ServiceAccount key does not depend on the CA: tokens stay valid.
    expect(second.serviceAccountPrivateKeyPem).toBe(first.serviceAccountPrivateKeyPem);
  });

  it('regenerates a missing leaf key and a missing sa.pub', async () => {
    const first = await loadOrCreatePki(dir, []);
    await rm(join(dir, PKI_FILES.adminKey));
    await rm(join(dir, PKI_FILES.serviceAccountPublicKey));
    const second = await loadOrCreatePki(dir, []);
    expect(second.adminKeyPem).not.toBe(first.adminKeyPem);
    expect(second.serviceAccountPublicKeyPem).toBe(first.serviceAccountPublicKeyPem);
    expect(existsSync(join(dir, PKI_FILES.serviceAccountPublicKey))).toBe(true);
  });

  it.each([PKI_FILES.caCert, PKI_FILES.caKey, PKI_FILES.servingCert, PKI_FILES.serviceAccountKey])(
    'names the file when %s is corrupt',
    async (name) => {
      await loadOrCreatePki(dir, []);
      await writeFile(join(dir, name), '-----BEGIN GARBAGE-----\nnope\n');
      await expect(loadOrCreatePki(dir, [])).rejects.toThrow(join(dir, name));
    },
  );

  it('refuses an extra SAN that is neither an IP nor a DNS name', async () => {
    await expect(loadOrCreatePki(dir, ['not a name'])).rejects.toThrow(
      /invalid subjectAltName "not a name"/,
    );
  });

  it('refuses a CA key that does not belong to the CA certificate', async () => {
    await loadOrCreatePki(dir, []);
    await writeFile(join(dir, PKI_FILES.caKey), await readFile(join(dir, PKI_FILES.adminKey)));
    await expect(loadOrCreatePki(dir, [])).rejects.toThrow(/ca\.key does not match/);
  });
});

describe('issueClientCertificate', () => {
  it('puts the user in CN and every group in O', async () => {
    const pki = await loadOrCreatePki(dir, []);
    const issued = await issueClientCertificate(pki, 'jane', ['dev', 'ops']);
    const cert = new x509.X509Certificate(issued.certPem);
    expect(cert.subjectName.getField('CN')).toEqual(['jane']);
    expect(cert.subjectName.getField('O')).toEqual(['dev', 'ops']);
    expect(issued.keyPem).toContain('BEGIN PRIVATE KEY');
  });
});

/** A throwaway HTTPS server configured as the API server will be: client certs requested. */
async function startServer(pki: Pki, seen: Array<{ user: unknown; error?: unknown }>) {
  const server = https.createServer(
    {
      key: pki.servingKeyPem,
      cert: pki.servingCertPem,
      ca: pki.caCertPem,
      requestCert: true,
      rejectUnauthorized: false,
    },
    (req, res) => {
      const socket = req.socket as TLSSocket;
      authenticateRequest({
        authorizationHeader: req.headers.authorization,
        peerCertificate: socket.getPeerCertificate(),
        peerCertificateAuthorized: socket.authorized,
      }).then(
        (user) => {
          seen.push({ user });
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify({ major: '1', minor: '35', gitVersion: 'v1.35.0' }));
        },
        (error: unknown) => {
          seen.push({ user: undefined, error });
          res.statusCode = 401;
          res.end();
        },
      );
    },
  );
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { server, port: (server.address() as AddressInfo).port };
}

describe('TLS with the generated PKI', () => {
  it('a Node client with the admin cert reaches the server, which sees the cert subject', async () => {
    const pki = await loadOrCreatePki(dir, []);
    const seen: Array<{ user: unknown; error?: unknown }> = [];
    const { server, port } = await startServer(pki, seen);
    try {
      const status = await new Promise<number>((done, fail) => {
        https
          .get(
            {
              host: '127.0.0.1',
              port,
              path: '/version',
              ca: pki.caCertPem,
              cert: pki.adminCertPem,
              key: pki.adminKeyPem,
              servername: 'kubernetes.default.svc',
            },
            (res) => {
              res.resume();
              done(res.statusCode ?? 0);
            },
          )
          .on('error', fail);
      });
      expect(status).toBe(200);
      expect(seen[0].user).toMatchObject({
        username: 'skiff-admin',
        groups: ['system:masters', 'system:authenticated'],
      });
    } finally {
      server.close();
    }
  });

  it('a client certificate from another CA is not trusted', async () => {
    const pki = await loadOrCreatePki(dir, []);
    const otherDir = await mkdtemp(join(tmpdir(), 'skiff-pki-other-'));
    try {
      const other = await loadOrCreatePki(otherDir, []);
      const seen: Array<{ user: unknown; error?: unknown }> = [];
      const { server, port } = await startServer(pki, seen);
      try {
        const status = await new Promise<number>((done, fail) => {
          https
            .get(
              {
                host: '127.0.0.1',
                port,
                path: '/version',
                ca: pki.caCertPem,
                cert: other.adminCertPem,
                key: other.adminKeyPem,
              },
              (res) => {
                res.resume();
                done(res.statusCode ?? 0);
              },
            )
            .on('error', fail);
        });
        expect(status).toBe(401);
        expect(seen[0].error).toMatchObject({ code: 401, message: 'Unauthorized' });
      } finally {
        server.close();
      }
    } finally {
      await rm(otherDir, { recursive: true, force: true });
    }
  });

  // Go's TLS stack is what kubectl and helm use; check it accepts the chain, SANs and client cert.
  const kubectl = resolve(import.meta.dirname, '../../../.tools/bin/kubectl');
  it('kubectl (Go TLS) verifies the server and presents the admin cert', async () => {
    if (!existsSync(kubectl))
      throw new Error(`${kubectl} is missing: run \`npm run setup:tools\` (npm test does)`);
    const pki = await loadOrCreatePki(dir, []);
    const seen: Array<{ user: unknown; error?: unknown }> = [];
    const { server, port } = await startServer(pki, seen);
    try {
      const kubeconfig = join(dir, 'kubeconfig');
      await writeFile(
        kubeconfig,
        renderKubeconfig({
          server: `https://127.0.0.1:${port}`,
          caCertPem: pki.caCertPem,
          clientCertPem: pki.adminCertPem,
          clientKeyPem: pki.adminKeyPem,
        }),
      );
      const run = promisify(execFile);
      const byIp = await run(kubectl, ['--kubeconfig', kubeconfig, 'get', '--raw', '/version']);
      expect(JSON.parse(byIp.stdout)).toMatchObject({ gitVersion: 'v1.35.0' });
      const byName = await run(kubectl, [
        '--kubeconfig',
        kubeconfig,
        '--tls-server-name',
        'kubernetes.default.svc.cluster.local',
        'get',
        '--raw',
        '/version',
      ]);
      expect(JSON.parse(byName.stdout)).toMatchObject({ gitVersion: 'v1.35.0' });
      expect(seen.length).toBeGreaterThanOrEqual(2);
      for (const s of seen)
        expect(s.user).toMatchObject({
          username: 'skiff-admin',
          groups: ['system:masters', 'system:authenticated'],
        });
    } finally {
      server.close();
    }
  }, 30_000);
});
