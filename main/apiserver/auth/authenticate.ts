// Request authentication as kube-apiserver chains it (k8s.io/apiserver pkg/authentication/request/
// {x509,bearertoken,union}, group.AuthenticatedGroupAdder): client certificate, then bearer token.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { PeerCertificate } from 'node:tls';
import { StatusError } from '../../api/status.ts';
import type { UserInfo } from './user-info.ts';
import { EXTRA_KEYS, withAuthenticatedGroup } from './user-info.ts';

export interface StaticToken {
  token: string;
  user: UserInfo;
}

export interface AuthenticateInput {
  /** The raw `Authorization` header, if any. */
  authorizationHeader?: string;
  /** `tlsSocket.getPeerCertificate()`; `{}` (or undefined) when the client sent none. */
  peerCertificate?: PeerCertificate | Record<string, never>;
  /**
   * `tlsSocket.authorized`: true only when the TLS layer verified the certificate against our CA
   * (the server must listen with `requestCert: true, rejectUnauthorized: false, ca: [clusterCa]`).
   */
  peerCertificateAuthorized?: boolean;
  staticTokens?: readonly StaticToken[];
  /** ServiceAccountTokens.verify bound to a store getter: undefined = not a SA token, throw = invalid. */
  verifyServiceAccountToken?: (token: string) => Promise<UserInfo | undefined>;
}

/** The 401 every authentication failure answers with (details are never shown to the client). */
export function unauthorized(): StatusError {
  return new StatusError(401, 'Unauthorized', 'Unauthorized');
}

const CLIENT_AUTH_OID = '1.3.6.1.5.5.7.3.2';
const ANY_EXTENDED_KEY_USAGE_OID = '2.5.29.37.0';

/**
 * Returns the request's user (with `system:authenticated` added), or undefined when the request
 * carries no credentials at all (the caller then treats it as `system:anonymous`). Throws
 * StatusError 401 when credentials are present but none is valid, as kube-apiserver does.
 */
export async function authenticateRequest(input: AuthenticateInput): Promise<UserInfo | undefined> {
  let failed = false;

  // 1. Client certificate (tried first, like the x509 authenticator in the union).
  const cert = input.peerCertificate;
  if (cert && Object.keys(cert).length > 0) {
    const result = certificateUser(
      cert as PeerCertificate,
      input.peerCertificateAuthorized === true,
    );
    if (result === 'invalid') failed = true;
    else if (result) return withAuthenticatedGroup(result);
  }

  // 2. Bearer token.
  const token = bearerToken(input.authorizationHeader);
  if (token !== undefined) {
    const staticUser = matchStaticToken(token, input.staticTokens ?? []);
    if (staticUser) return withAuthenticatedGroup(staticUser);
    if (input.verifyServiceAccountToken) {
      try {
        const user = await input.verifyServiceAccountToken(token);
        if (user) return withAuthenticatedGroup(user);
      } catch {
        // an invalid ServiceAccount token; the reason stays server-side
      }
    }
    failed = true; // bearertoken.go: a token nobody accepted is "invalid bearer token"
  }

  if (failed) throw unauthorized();
  return undefined;
}

/** CN → user name, O → groups (x509.CommonNameUserConversion), for a CA-verified client certificate. */
export function userFromCertificate(
  cert: PeerCertificate,
  authorized: boolean,
): UserInfo | undefined {
  const result = certificateUser(cert, authorized);
  return result === 'invalid' ? undefined : result;
}

/**
 * 'invalid' when the certificate fails verification (not signed by our CA, or not for client auth):
 * an error unless a token authenticates. undefined when it verifies but has no CN: no identity.
 */
function certificateUser(
  cert: PeerCertificate,
  authorized: boolean,
): UserInfo | 'invalid' | undefined {
  if (!authorized) return 'invalid';
  // The x509 authenticator verifies with ExtKeyUsageClientAuth; no EKU at all means any usage.
  const usages = cert.ext_key_usage;
  if (
    usages &&
    usages.length > 0 &&
    !usages.includes(CLIENT_AUTH_OID) &&
    !usages.includes(ANY_EXTENDED_KEY_USAGE_OID)
  ) {
    return 'invalid';
  }
  const subject = (cert.subject ?? {}) as unknown as Record<string, string | string[] | undefined>;
  const cn = first(subject.CN);
  if (!cn) return undefined;
  const user: UserInfo = { username: cn, groups: all(subject.O) };
  if (cert.raw) {
    const fingerprint = createHash('sha256').update(cert.raw).digest('hex');
    user.extra = { [EXTRA_KEYS.credentialId]: [`X509SHA256=${fingerprint}`] };
  }
  return user;
}

/** `Authorization: Bearer <token>` → token; anything else → undefined (bearertoken.go). */
export function bearerToken(header: string | undefined): string | undefined {
  const auth = (header ?? '').trim();
  if (!auth) return undefined;
  const parts = auth.split(' ');
  if (parts.length < 2 || parts[0].toLowerCase() !== 'bearer') return undefined;
  // Go splits into at most 3 parts: "Bearer  x" (two spaces) yields an empty token → ignored.
  const token = parts[1];
  return token ? token : undefined;
}

function matchStaticToken(token: string, tokens: readonly StaticToken[]): UserInfo | undefined {
  // Compare digests in constant time so response timing says nothing about a token's prefix.
  const presented = createHash('sha256').update(token).digest();
  for (const candidate of tokens) {
    const expected = createHash('sha256').update(candidate.token).digest();
    if (timingSafeEqual(presented, expected)) {
      return { ...candidate.user, groups: [...candidate.user.groups] };
    }
  }
  return undefined;
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function all(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? [...value] : [value];
}
