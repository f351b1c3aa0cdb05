import { createPrivateKey, X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createDefaultCertificate, createSelfSignedCertificate } from './default-certificate.ts';

describe('createDefaultCertificate', () => {
  it('is a self-signed serving certificate named like ingress-nginx fake one, for ingress.local', async () => {
    const { cert, key } = await createDefaultCertificate();
    const x509 = new X509Certificate(cert);
    expect(x509.subject.split('\n')).toEqual([
      'O=Acme Co',
      'CN=Kubernetes Ingress Controller Fake Certificate',
    ]);
    expect(x509.issuer).toBe(x509.subject);
    expect(x509.verify(x509.publicKey)).toBe(true);
    expect(x509.ca).toBe(false);
    expect(x509.subjectAltName).toBe('DNS:ingress.local');
    expect(x509.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    expect(x509.checkPrivateKey(createPrivateKey(key))).toBe(true);
    const now = Date.now();
    expect(new Date(x509.validFrom).getTime()).toBeLessThanOrEqual(now);
    expect(new Date(x509.validTo).getTime()).toBeGreaterThan(now + 300 * 24 * 3600 * 1000);
  });

  it('makes a new key pair each time', async () => {
    const [a, b] = await Promise.all([createDefaultCertificate(), createDefaultCertificate()]);
    expect(a.key).not.toBe(b.key);
    expect(a.cert).not.toBe(b.cert);
  });
});

describe('createSelfSignedCertificate', () => {
  it('covers the names it is given, wildcards included', async () => {
    const { cert } = await createSelfSignedCertificate([['CN', 'a.test']], ['a.test', '*.b.test']);
    const x509 = new X509Certificate(cert);
    expect(x509.checkHost('a.test')).toBe('a.test');
    expect(x509.checkHost('x.b.test')).toBe('*.b.test');
    expect(x509.checkHost('y.x.b.test')).toBeUndefined();
    expect(x509.checkHost('c.test')).toBeUndefined();
  });
});
