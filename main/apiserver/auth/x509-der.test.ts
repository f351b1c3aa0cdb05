import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createCertificate, rawSubjectName, subjectKeyIdentifier } from './x509-der.ts';

function keys() {
  return generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
}

describe('createCertificate', () => {
  it('encodes IPv4, IPv6 (compressed and v4-mapped) and DNS subjectAltNames', () => {
    const k = keys();
    const pem = createCertificate({
      subject: [['CN', 'x']],
      notBefore: new Date('2026-01-01T00:00:00Z'),
      notAfter: new Date('2027-01-01T00:00:00Z'),
      publicKey: k.publicKey,
      signingKey: k.privateKey,
      isCa: false,
      keyUsage: ['digitalSignature'],
      subjectAltNames: [
        '10.96.0.1',
        '::1',
        'fd00:10:96::1',
        '::ffff:192.168.1.2',
        '2001:db8:1:2:3:4:5:6',
        'example.test',
      ],
    });
    const cert = new X509Certificate(pem);
    for (const ip of [
      '10.96.0.1',
      '::1',
      'fd00:10:96::1',
      '::ffff:192.168.1.2',
      '2001:db8:1:2:3:4:5:6',
    ]) {
      expect(cert.checkIP(ip)).toBe(ip);
    }
    expect(cert.checkIP('::2')).toBeUndefined();
    expect(cert.checkHost('example.test', { subject: 'never' })).toBe('example.test');
  });

  it('uses GeneralizedTime from 2050 and long-form lengths for long names', () => {
    const k = keys();
    const longName = 'n'.repeat(300);
    const pem = createCertificate({
      subject: [
        ['O', longName],
        ['CN', 'y'],
      ],
      notBefore: new Date('2049-12-31T23:59:59Z'),
      notAfter: new Date('2060-06-01T12:00:00Z'),
      publicKey: k.publicKey,
      signingKey: k.privateKey,
      isCa: true,
      keyUsage: ['keyCertSign'],
    });
    const parsed = new x509.X509Certificate(pem);
    expect(parsed.notBefore.toISOString()).toBe('2049-12-31T23:59:59.000Z');
    expect(parsed.notAfter.toISOString()).toBe('2060-06-01T12:00:00.000Z');
    expect(parsed.subjectName.getField('O')).toEqual([longName]);
    expect(new X509Certificate(pem).verify(k.publicKey)).toBe(true);
  });

  it('chains: issuer bytes equal the CA subject and the AKI equals the CA SKI', async () => {
    const ca = keys();
    const caPem = createCertificate({
      subject: [['CN', 'ca']],
      notBefore: new Date(),
      notAfter: new Date(Date.now() + 86_400_000),
      publicKey: ca.publicKey,
      signingKey: ca.privateKey,
      isCa: true,
      keyUsage: ['digitalSignature', 'keyCertSign', 'cRLSign'],
    });
    const caCert = new X509Certificate(caPem);
    const leaf = keys();
    const leafPem = createCertificate({
      subject: [['CN', 'leaf']],
      issuerName: rawSubjectName(caCert.raw),
      authorityKeyId: subjectKeyIdentifier(caCert.publicKey),
      notBefore: new Date(),
      notAfter: new Date(Date.now() + 86_400_000),
      publicKey: leaf.publicKey,
      signingKey: ca.privateKey,
      isCa: false,
      keyUsage: ['digitalSignature'],
      extKeyUsage: ['clientAuth'],
    });
    const leafCert = new X509Certificate(leafPem);
    expect(leafCert.checkIssued(caCert)).toBe(true);
    expect(leafCert.verify(caCert.publicKey)).toBe(true);
    const parsedCa = new x509.X509Certificate(caPem);
    const parsedLeaf = new x509.X509Certificate(leafPem);
    expect(parsedLeaf.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId).toBe(
      parsedCa.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId,
    );
    expect(parsedCa.getExtension(x509.KeyUsagesExtension)?.usages).toBe(
      x509.KeyUsageFlags.digitalSignature |
        x509.KeyUsageFlags.keyCertSign |
        x509.KeyUsageFlags.cRLSign,
    );
    expect(await parsedCa.isSelfSigned()).toBe(true);
  });
});
