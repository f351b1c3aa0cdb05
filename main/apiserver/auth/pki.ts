// The cluster's PKI, as kubeadm lays it out under /etc/kubernetes/pki: a cluster CA, the API server's
// serving certificate, the admin client certificate and the ServiceAccount token signing key pair.
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  randomBytes,
  X509Certificate,
} from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { mkdir, open, readFile, rename, unlink, chmod } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { NameAttribute } from './x509-der.ts';
import { createCertificate, rawSubjectName, subjectKeyIdentifier } from './x509-der.ts';

export interface Pki {
  caCertPem: string;
  caKeyPem: string;
  servingCertPem: string;
  servingKeyPem: string;
  adminCertPem: string;
  adminKeyPem: string;
  serviceAccountPrivateKeyPem: string;
  serviceAccountPublicKeyPem: string;
}

export interface CertificateAuthority {
  caCertPem: string;
  caKeyPem: string;
}

export interface IssuedCertificate {
  certPem: string;
  keyPem: string;
}

/** File names inside the PKI directory (kubeadm's names). */
export const PKI_FILES = {
  caCert: 'ca.crt',
  caKey: 'ca.key',
  servingCert: 'apiserver.crt',
  servingKey: 'apiserver.key',
  adminCert: 'admin.crt',
  adminKey: 'admin.key',
  serviceAccountKey: 'sa.key',
  serviceAccountPublicKey: 'sa.pub',
} as const;

export const ADMIN_USER = 'skiff-admin';
export const ADMIN_GROUP = 'system:masters';

/** Names in-cluster clients and kubectl use for the API server (kube-apiserver's defaults). */
export const DEFAULT_SERVING_SANS: readonly string[] = [
  '127.0.0.1',
  '::1',
  'localhost',
  'kubernetes',
  'kubernetes.default',
  'kubernetes.default.svc',
  'kubernetes.default.svc.cluster.local',
];

const DAY_MS = 24 * 60 * 60 * 1000;
const CA_VALIDITY_DAYS = 3650;
const LEAF_VALIDITY_DAYS = 365;
/** Leaf certificates are renewed this long before they expire (kubeadm renews on upgrade, ~1 month). */
const RENEW_BEFORE_MS = 30 * DAY_MS;
/** Backdate notBefore so a host clock slightly behind ours still accepts a fresh cert (kubeadm: 5 min). */
const BACKDATE_MS = 5 * 60 * 1000;

const CLIENT_AUTH_OID = '1.3.6.1.5.5.7.3.2';
const SERVER_AUTH_OID = '1.3.6.1.5.5.7.3.1';

export interface PkiOptions {
  /** Clock for tests. */
  now?: () => Date;
}

/**
 * Loads the PKI from `dir`, creating whatever is missing. Certificates are re-issued when they are
 * missing, expire within 30 days, no longer chain to the CA, or (serving cert) lack a needed SAN.
 * A file that exists but cannot be read or parsed is an error naming that file: silently replacing a
 * damaged CA would invalidate every credential handed out, so a person should look first.
 */
export async function loadOrCreatePki(
  dir: string,
  extraSans: readonly string[],
  options: PkiOptions = {},
): Promise<Pki> {
  const now = options.now ?? (() => new Date());
  const sans = normalizeSans([...DEFAULT_SERVING_SANS, ...extraSans]);
  await mkdir(dir, { recursive: true, mode: 0o700 });

  const path = (name: string) => join(dir, name);
  const [caCert, caKey, servingCert, servingKey, adminCert, adminKey, saKey, saPub] =
    await Promise.all(
      [
        PKI_FILES.caCert,
        PKI_FILES.caKey,
        PKI_FILES.servingCert,
        PKI_FILES.servingKey,
        PKI_FILES.adminCert,
        PKI_FILES.adminKey,
        PKI_FILES.serviceAccountKey,
        PKI_FILES.serviceAccountPublicKey,
      ].map((name) => readOptional(path(name))),
    );

  const writes: Array<{ name: string; data: string; mode: number }> = [];
  const keyFile = (name: string, data: string) => writes.push({ name, data, mode: 0o600 });
  const certFile = (name: string, data: string) => writes.push({ name, data, mode: 0o644 });

  // CA: both halves present → must parse and match; otherwise a new CA (a lone ca.key is what a
  // crash between the two writes of a first start leaves behind: key is written first).
  let ca: CertificateAuthority | undefined;
  let caX509: X509Certificate | undefined;
  if (caCert !== undefined && caKey !== undefined) {
    caX509 = parseCertificate(caCert, path(PKI_FILES.caCert));
    const key = parsePrivateKey(caKey, path(PKI_FILES.caKey));
    if (!caX509.checkPrivateKey(key)) {
      throw new Error(
        `${path(PKI_FILES.caKey)} does not match the certificate in ${path(PKI_FILES.caCert)}`,
      );
    }
    if (!caX509.ca) throw new Error(`${path(PKI_FILES.caCert)} is not a CA certificate`);
    if (!expiresSoon(caX509, now())) ca = { caCertPem: caCert, caKeyPem: caKey };
  }
  if (!ca || !caX509) {
    ca = await createCertificateAuthority(now());
    caX509 = new X509Certificate(ca.caCertPem);
    keyFile(PKI_FILES.caKey, ca.caKeyPem);
    certFile(PKI_FILES.caCert, ca.caCertPem);
  }
  const currentCa: CertificateAuthority = ca;

  // Serving certificate.
  let serving: IssuedCertificate | undefined;
  if (servingCert !== undefined && servingKey !== undefined) {
    const cert = parseCertificate(servingCert, path(PKI_FILES.servingCert));
    const key = parsePrivateKey(servingKey, path(PKI_FILES.servingKey));
    const usable =
      isLeafUsable(cert, key, caX509, now()) &&
      hasExtKeyUsage(cert, SERVER_AUTH_OID) &&
      sans.every((san) => certificateHasSan(cert, san));
    if (usable) serving = { certPem: servingCert, keyPem: servingKey };
  }
  if (!serving) {
    serving = await issueServingCertificate(currentCa, sans, { now });
    keyFile(PKI_FILES.servingKey, serving.keyPem);
    certFile(PKI_FILES.servingCert, serving.certPem);
  }

  // Admin client certificate.
  let admin: IssuedCertificate | undefined;
  if (adminCert !== undefined && adminKey !== undefined) {
    const cert = parseCertificate(adminCert, path(PKI_FILES.adminCert));
    const key = parsePrivateKey(adminKey, path(PKI_FILES.adminKey));
    const subject = cert.subject.split('\n');
    const usable =
      isLeafUsable(cert, key, caX509, now()) &&
      hasExtKeyUsage(cert, CLIENT_AUTH_OID) &&
      subject.includes(`CN=${ADMIN_USER}`) &&
      subject.includes(`O=${ADMIN_GROUP}`);
    if (usable) admin = { certPem: adminCert, keyPem: adminKey };
  }
  if (!admin) {
    admin = await issueClientCertificate(currentCa, ADMIN_USER, [ADMIN_GROUP], { now });
    keyFile(PKI_FILES.adminKey, admin.keyPem);
    certFile(PKI_FILES.adminCert, admin.certPem);
  }

  // ServiceAccount signing keys: independent of the CA, so kept across CA renewals.
  let saPrivatePem: string;
  let saPublicPem: string;
  if (saKey !== undefined) {
    const key = parsePrivateKey(saKey, path(PKI_FILES.serviceAccountKey));
    if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
      throw new Error(
        `${path(PKI_FILES.serviceAccountKey)} must hold an ECDSA P-256 key (tokens are signed ES256)`,
      );
    }
    saPrivatePem = saKey;
    const derived = createPublicKey(key).export({ type: 'spki', format: 'pem' }).toString();
    if (saPub !== undefined) {
      const published = parsePublicKey(saPub, path(PKI_FILES.serviceAccountPublicKey));
      const publishedDer = published.export({ type: 'spki', format: 'der' });
      const derivedDer = createPublicKey(key).export({ type: 'spki', format: 'der' });
      if (!publishedDer.equals(derivedDer)) {
        throw new Error(
          `${path(PKI_FILES.serviceAccountPublicKey)} does not match ${path(PKI_FILES.serviceAccountKey)}`,
        );
      }
      saPublicPem = saPub;
    } else {
      saPublicPem = derived;
      certFile(PKI_FILES.serviceAccountPublicKey, saPublicPem);
    }
  } else {
    const pair = await generateKeyPairPem();
    saPrivatePem = pair.privatePem;
    saPublicPem = pair.publicPem;
    keyFile(PKI_FILES.serviceAccountKey, saPrivatePem);
    certFile(PKI_FILES.serviceAccountPublicKey, saPublicPem);
  }

  // Keys before certificates, one at a time, so a crash never leaves a certificate whose key is
  // missing (the loader above then simply re-issues).
  for (const w of writes) await writeFileAtomic(path(w.name), w.data, w.mode);
  if (writes.length > 0) await syncDirectory(dir);

  return {
    caCertPem: currentCa.caCertPem,
    caKeyPem: currentCa.caKeyPem,
    servingCertPem: serving.certPem,
    servingKeyPem: serving.keyPem,
    adminCertPem: admin.certPem,
    adminKeyPem: admin.keyPem,
    serviceAccountPrivateKeyPem: saPrivatePem,
    serviceAccountPublicKeyPem: saPublicPem,
  };
}

export interface IssueOptions {
  now?: () => Date;
  validityDays?: number;
}

/** A client certificate (CN = user name, O = groups) as the x509 authenticator reads it. */
export async function issueClientCertificate(
  ca: CertificateAuthority,
  commonName: string,
  organizations: readonly string[],
  options: IssueOptions = {},
): Promise<IssuedCertificate> {
  if (!commonName) throw new Error('a client certificate needs a common name (the user name)');
  return issueLeaf(ca, {
    subject: [...organizations.map((o): NameAttribute => ['O', o]), ['CN', commonName]],
    extKeyUsage: ['clientAuth'],
    subjectAltNames: [],
    ...options,
  });
}

/** A serving certificate for the given DNS names and IP addresses. */
export async function issueServingCertificate(
  ca: CertificateAuthority,
  sans: readonly string[],
  options: IssueOptions = {},
): Promise<IssuedCertificate> {
  return issueLeaf(ca, {
    subject: [['CN', 'kube-apiserver']],
    extKeyUsage: ['serverAuth'],
    subjectAltNames: normalizeSans(sans),
    ...options,
  });
}

/** True if `san` (DNS name or IP address) is among the certificate's subjectAltNames. */
export function certificateHasSan(cert: X509Certificate, san: string): boolean {
  if (isIP(san)) return cert.checkIP(san) !== undefined;
  return cert.checkHost(san, { subject: 'never', wildcards: false }) !== undefined;
}

// --- internals ---------------------------------------------------------------------------------

const generateKeyPairAsync = promisify(generateKeyPair);

async function generateEcKeyPair(): Promise<{ privateKey: KeyObject; publicKey: KeyObject }> {
  return generateKeyPairAsync('ec', { namedCurve: 'prime256v1' });
}

function privateKeyPem(key: KeyObject): string {
  return key.export({ type: 'pkcs8', format: 'pem' }).toString();
}

async function createCertificateAuthority(now: Date): Promise<CertificateAuthority> {
  const { privateKey, publicKey } = await generateEcKeyPair();
  const caCertPem = createCertificate({
    subject: [['CN', 'skiff-ca']],
    notBefore: new Date(now.getTime() - BACKDATE_MS),
    notAfter: new Date(now.getTime() + CA_VALIDITY_DAYS * DAY_MS),
    publicKey,
    signingKey: privateKey,
    isCa: true,
    keyUsage: ['digitalSignature', 'keyCertSign', 'cRLSign'],
  });
  return { caCertPem, caKeyPem: privateKeyPem(privateKey) };
}

interface LeafSpec extends IssueOptions {
  subject: NameAttribute[];
  extKeyUsage: Array<'serverAuth' | 'clientAuth'>;
  subjectAltNames: string[];
}

async function issueLeaf(ca: CertificateAuthority, spec: LeafSpec): Promise<IssuedCertificate> {
  const now = (spec.now ?? (() => new Date()))();
  const caCert = new X509Certificate(ca.caCertPem);
  const caKey = createPrivateKey(ca.caKeyPem);
  if (caKey.asymmetricKeyType !== 'ec') throw new Error('the cluster CA key must be an ECDSA key');
  const { privateKey, publicKey } = await generateEcKeyPair();
  const certPem = createCertificate({
    subject: spec.subject,
    // The raw issuer name, byte for byte: Go finds the parent by comparing encoded names, then
    // prefers the one whose subject key id equals our authority key id.
    issuerName: rawSubjectName(caCert.raw),
    authorityKeyId: subjectKeyIdentifier(caCert.publicKey),
    notBefore: new Date(now.getTime() - BACKDATE_MS),
    notAfter: new Date(now.getTime() + (spec.validityDays ?? LEAF_VALIDITY_DAYS) * DAY_MS),
    publicKey,
    signingKey: caKey,
    isCa: false,
    keyUsage: ['digitalSignature'],
    extKeyUsage: spec.extKeyUsage,
    subjectAltNames: spec.subjectAltNames,
  });
  return { certPem, keyPem: privateKeyPem(privateKey) };
}

async function generateKeyPairPem(): Promise<{ privatePem: string; publicPem: string }> {
  const { privateKey, publicKey } = await generateEcKeyPair();
  return {
    privatePem: privateKeyPem(privateKey),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

function normalizeSans(sans: readonly string[]): string[] {
  const out: string[] = [];
  for (const raw of sans) {
    const san = raw.trim();
    if (!san) continue;
    // A DNS SAN is an IA5String; anything else would make a certificate Go may refuse.
    if (
      !isIP(san) &&
      !/^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i.test(san)
    ) {
      throw new Error(
        `invalid subjectAltName ${JSON.stringify(san)}: not an IP address or DNS name`,
      );
    }
    const key = isIP(san) ? san : san.toLowerCase();
    if (!out.includes(key)) out.push(key);
  }
  return out;
}

function isLeafUsable(
  cert: X509Certificate,
  key: KeyObject,
  ca: X509Certificate,
  now: Date,
): boolean {
  return (
    cert.checkIssued(ca) &&
    cert.verify(ca.publicKey) &&
    cert.checkPrivateKey(key) &&
    new Date(cert.validFrom).getTime() <= now.getTime() &&
    !expiresSoon(cert, now)
  );
}

function expiresSoon(cert: X509Certificate, now: Date): boolean {
  return new Date(cert.validTo).getTime() - now.getTime() < RENEW_BEFORE_MS;
}

function hasExtKeyUsage(cert: X509Certificate, oid: string): boolean {
  const usages = cert.keyUsage as string[] | undefined;
  return usages === undefined || usages.includes(oid) || usages.includes('2.5.29.37.0');
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
}

function parseCertificate(pem: string, path: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (err) {
    throw new Error(`${path} does not hold a valid PEM certificate: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

function parsePrivateKey(pem: string, path: string): KeyObject {
  try {
    return createPrivateKey(pem);
  } catch (err) {
    throw new Error(`${path} does not hold a valid PEM private key: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

function parsePublicKey(pem: string, path: string): KeyObject {
  try {
    return createPublicKey(pem);
  } catch (err) {
    throw new Error(`${path} does not hold a valid PEM public key: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/** Write to a temporary file, fsync, then rename over the target: readers see old or new, never half. */
export async function writeFileAtomic(path: string, data: string, mode: number): Promise<void> {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const handle = await open(tmp, 'wx', mode);
  try {
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await chmod(tmp, mode); // the umask may have narrowed or (for 0644) widened nothing; be exact
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}

async function syncDirectory(dir: string): Promise<void> {
  // Makes the renames durable; not supported on every platform (Windows), where it is skipped.
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // best effort
  }
}
