// The Ingress controller's default certificate, served to TLS clients whose SNI no Ingress covers:
// a self-signed one like ingress-nginx's "Kubernetes Ingress Controller Fake Certificate".
import { generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';
import { createCertificate, type NameAttribute } from '../../main/apiserver/auth/x509-der.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
/** Backdated like the cluster's own certificates, for a client clock slightly behind ours. */
const BACKDATE_MS = 5 * 60 * 1000;

export const DEFAULT_CERTIFICATE_SUBJECT: NameAttribute[] = [
  ['O', 'Acme Co'],
  ['CN', 'Kubernetes Ingress Controller Fake Certificate'],
];
export const DEFAULT_CERTIFICATE_HOST = 'ingress.local';

export interface PemPair {
  cert: string;
  key: string;
}

const generateKeyPairAsync = promisify(generateKeyPair);

/**
 * A self-signed serving certificate (not a CA) for the given DNS names / IPs: ECDSA P-256, or
 * RSA 2048 with `rsa`.
 */
export async function createSelfSignedCertificate(
  subject: NameAttribute[],
  subjectAltNames: string[],
  options: { now?: Date; validityDays?: number; rsa?: boolean } = {},
): Promise<PemPair> {
  const now = options.now ?? new Date();
  const { privateKey, publicKey } = options.rsa
    ? await generateKeyPairAsync('rsa', { modulusLength: 2048 })
    : await generateKeyPairAsync('ec', { namedCurve: 'prime256v1' });
  const cert = createCertificate({
    subject,
    notBefore: new Date(now.getTime() - BACKDATE_MS),
    notAfter: new Date(now.getTime() + (options.validityDays ?? 365) * DAY_MS),
    publicKey,
    signingKey: privateKey,
    isCa: false,
    keyUsage: options.rsa ? ['digitalSignature', 'keyEncipherment'] : ['digitalSignature'],
    extKeyUsage: ['serverAuth'],
    subjectAltNames,
  });
  return { cert, key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
}

/**
 * The fake certificate (CN as ingress-nginx's, SAN ingress.local), new at every call. RSA, as
 * ingress-nginx's is: the server holds it as its default and OpenSSL keeps the default's key type
 * next to the one an SNI-chosen certificate brings, so an ECDSA default would be served to
 * ECDSA-preferring clients (curl, browsers) in place of a Secret's RSA certificate; with an RSA
 * default a Secret's ECDSA certificate still wins for them.
 */
export function createDefaultCertificate(): Promise<PemPair> {
  return createSelfSignedCertificate(DEFAULT_CERTIFICATE_SUBJECT, [DEFAULT_CERTIFICATE_HOST], {
    rsa: true,
  });
}
