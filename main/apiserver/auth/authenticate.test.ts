import type { PeerCertificate } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { StatusError } from '../../api/status.ts';
import { authenticateRequest, bearerToken, userFromCertificate } from './authenticate.ts';
import { InvalidTokenError } from './service-account-tokens.ts';
import type { UserInfo } from './user-info.ts';

const staticTokens = [
  { token: 'admin-secret', user: { username: 'skiff-admin', groups: ['system:masters'] } },
];

const saUser: UserInfo = {
  username: 'system:serviceaccount:default:reader',
  uid: 'u1',
  groups: ['system:serviceaccounts', 'system:serviceaccounts:default'],
};

async function verifyServiceAccountToken(token: string): Promise<UserInfo | undefined> {
  if (token === 'sa-good') return Promise.resolve(saUser);
  if (token === 'sa-expired') throw new InvalidTokenError('service account token has expired');
  return Promise.resolve(undefined);
}

function cert(subject: Record<string, string | string[]>, extKeyUsage?: string[]): PeerCertificate {
  return {
    subject,
    raw: Buffer.from('der-bytes'),
    ext_key_usage: extKeyUsage,
  } as unknown as PeerCertificate;
}

async function statusOf(promise: Promise<unknown>): Promise<StatusError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StatusError);
  return error as StatusError;
}

describe('authenticateRequest', () => {
  it('returns undefined when the request carries no credentials (anonymous)', async () => {
    await expect(
      authenticateRequest({ staticTokens, peerCertificate: {} }),
    ).resolves.toBeUndefined();
    await expect(
      authenticateRequest({ authorizationHeader: 'Basic dXNlcjpwdw==', staticTokens }),
    ).resolves.toBeUndefined();
  });

  it('maps a verified client certificate to CN / O and adds system:authenticated', async () => {
    const user = await authenticateRequest({
      peerCertificate: cert({ CN: 'jane', O: ['dev', 'ops'] }, ['1.3.6.1.5.5.7.3.2']),
      peerCertificateAuthorized: true,
    });
    expect(user?.username).toBe('jane');
    expect(user?.groups).toEqual(['dev', 'ops', 'system:authenticated']);
    expect(user?.extra?.['authentication.kubernetes.io/credential-id']?.[0]).toMatch(
      /^X509SHA256=[0-9a-f]{64}$/,
    );
  });

  it('does not trust a certificate the TLS layer did not verify', async () => {
    const error = await statusOf(
      authenticateRequest({
        peerCertificate: cert({ CN: 'mallory', O: 'system:masters' }),
        peerCertificateAuthorized: false,
      }),
    );
    expect(error.code).toBe(401);
    expect(error.toStatus()).toMatchObject({
      reason: 'Unauthorized',
      message: 'Unauthorized',
      code: 401,
    });
  });

  it('falls back to a valid bearer token when the certificate is not verified', async () => {
    const user = await authenticateRequest({
      peerCertificate: cert({ CN: 'mallory' }),
      peerCertificateAuthorized: false,
      authorizationHeader: 'Bearer admin-secret',
      staticTokens,
    });
    expect(user?.username).toBe('skiff-admin');
  });

  it('treats a verified certificate without CN as no credentials', async () => {
    await expect(
      authenticateRequest({ peerCertificate: cert({ O: 'x' }), peerCertificateAuthorized: true }),
    ).resolves.toBeUndefined();
  });

  it('ignores a certificate that is only good for serving', () => {
    expect(userFromCertificate(cert({ CN: 'web' }, ['1.3.6.1.5.5.7.3.1']), true)).toBeUndefined();
    expect(userFromCertificate(cert({ CN: 'any' }), true)?.username).toBe('any');
  });

  it('accepts the static admin token (case-insensitive scheme) in system:masters', async () => {
    const user = await authenticateRequest({
      authorizationHeader: 'bearer admin-secret',
      staticTokens,
    });
    expect(user).toEqual({
      username: 'skiff-admin',
      groups: ['system:masters', 'system:authenticated'],
    });
    // the configured user object is not mutated by adding the group
    expect(staticTokens[0].user.groups).toEqual(['system:masters']);
  });

  it('accepts a ServiceAccount token', async () => {
    const user = await authenticateRequest({
      authorizationHeader: 'Bearer sa-good',
      staticTokens,
      verifyServiceAccountToken,
    });
    expect(user?.groups).toEqual([
      'system:serviceaccounts',
      'system:serviceaccounts:default',
      'system:authenticated',
    ]);
  });

  it.each([
    ['an unknown token', 'Bearer nope'],
    ['an expired ServiceAccount token', 'Bearer sa-expired'],
  ])('answers 401 Unauthorized for %s', async (_what, header) => {
    const error = await statusOf(
      authenticateRequest({ authorizationHeader: header, staticTokens, verifyServiceAccountToken }),
    );
    expect(error.code).toBe(401);
    expect(error.message).toBe('Unauthorized');
  });
});

describe('bearerToken', () => {
  it.each([
    ['Bearer abc', 'abc'],
    ['  Bearer abc  ', 'abc'],
    ['BEARER abc', 'abc'],
    ['Bearer abc def', 'abc'],
    ['Bearer  abc', undefined],
    ['Bearer', undefined],
    ['Basic abc', undefined],
    ['', undefined],
  ])('%j → %j', (header, token) => {
    expect(bearerToken(header)).toBe(token);
  });
});
