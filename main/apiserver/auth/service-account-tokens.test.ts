import { generateKeyPairSync } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../api/types.ts';
import { StatusError } from '../../api/status.ts';
import {
  InvalidTokenError,
  LEGACY_SERVICE_ACCOUNT_ISSUER,
  SERVICE_ACCOUNT_ISSUER,
  ServiceAccountTokens,
  type ObjectGetter,
} from './service-account-tokens.ts';

function ecKeys() {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

const keys = ecKeys();

function obj(
  kind: string,
  namespace: string,
  name: string,
  uid: string,
  extra: Record<string, unknown> = {},
): KubeObject {
  return { apiVersion: 'v1', kind, metadata: { name, namespace, uid }, ...extra };
}

/** A tiny in-memory store keyed like the API server's. */
function store(objects: KubeObject[]): { get: ObjectGetter; objects: Map<string, KubeObject> } {
  const map = new Map<string, KubeObject>();
  const resourceOf: Record<string, 'serviceaccounts' | 'pods' | 'secrets' | 'nodes'> = {
    ServiceAccount: 'serviceaccounts',
    Pod: 'pods',
    Secret: 'secrets',
    Node: 'nodes',
  };
  for (const o of objects)
    map.set(`${resourceOf[o.kind]}/${o.metadata.namespace ?? ''}/${o.metadata.name}`, o);
  return {
    objects: map,
    get: (resource, namespace, name) =>
      Promise.resolve(map.get(`${resource}/${namespace}/${name}`)),
  };
}

function clock(start = new Date('2026-01-01T00:00:00Z')) {
  let now = start.getTime();
  return { now: () => new Date(now), advance: (seconds: number) => (now += seconds * 1000) };
}

const reader = obj('ServiceAccount', 'default', 'reader', 'sa-uid-1');

describe('TokenRequest', () => {
  it('issues a token with kube-apiserver claims and returns the TokenRequest status', async () => {
    const c = clock();
    const tokens = await ServiceAccountTokens.create({ ...keys, now: c.now });
    const { get } = store([reader]);
    const response = await tokens.createTokenRequest('default', 'reader', { spec: {} }, get);

    expect(response).toMatchObject({
      kind: 'TokenRequest',
      apiVersion: 'authentication.k8s.io/v1',
      metadata: { name: 'reader', namespace: 'default', creationTimestamp: '2026-01-01T00:00:00Z' },
      spec: { audiences: [SERVICE_ACCOUNT_ISSUER], expirationSeconds: 3600, boundObjectRef: null },
      status: { expirationTimestamp: '2026-01-01T01:00:00Z' },
    });
    const token = (response.status as { token: string }).token;
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'ES256', kid: tokens.keyId });
    const claims = decodeJwt(token);
    expect(Object.keys(claims)).toEqual([
      'aud',
      'exp',
      'iat',
      'iss',
      'jti',
      'kubernetes.io',
      'nbf',
      'sub',
    ]);
    expect(claims).toMatchObject({
      iss: SERVICE_ACCOUNT_ISSUER,
      sub: 'system:serviceaccount:default:reader',
      aud: [SERVICE_ACCOUNT_ISSUER],
      'kubernetes.io': {
        namespace: 'default',
        serviceaccount: { name: 'reader', uid: 'sa-uid-1' },
      },
    });
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(3600);
    expect(claims.nbf).toBe(claims.iat);
    expect(claims.jti).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('round-trips: the token authenticates as the ServiceAccount', async () => {
    const tokens = await ServiceAccountTokens.create(keys);
    const { get } = store([reader]);
    const response = await tokens.createTokenRequest('default', 'reader', {}, get);
    const token = (response.status as { token: string }).token;
    const user = await tokens.verify(token, get);
    const jti = decodeJwt(token).jti;
    expect(user).toEqual({
      username: 'system:serviceaccount:default:reader',
      uid: 'sa-uid-1',
      groups: ['system:serviceaccounts', 'system:serviceaccounts:default'],
      extra: { 'authentication.kubernetes.io/credential-id': [`JTI=${jti}`] },
    });
  });

  it('rejects durations under 10 minutes with the apiserver message', async () => {
    const tokens = await ServiceAccountTokens.create(keys);
    const { get } = store([reader]);
    const error = await tokens
      .createTokenRequest('default', 'reader', { spec: { expirationSeconds: 60 } }, get)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StatusError);
    expect((error as StatusError).code).toBe(422);
    expect((error as StatusError).message).toBe(
      'TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes',
    );
  });

  it('answers 404 for a missing ServiceAccount and 400 for a malformed body', async () => {
    const tokens = await ServiceAccountTokens.create(keys);
    const { get } = store([]);
    await expect(tokens.createTokenRequest('default', 'ghost', {}, get)).rejects.toMatchObject({
      code: 404,
      message: 'serviceaccounts "ghost" not found',
    });
    const withSa = store([reader]);
    await expect(
      tokens.createTokenRequest(
        'default',
        'reader',
        { spec: { expirationSeconds: 'soon' } },
        withSa.get,
      ),
    ).rejects.toMatchObject({ code: 400 });
    await expect(
      tokens.createTokenRequest('default', 'reader', { metadata: { name: 'other' } }, withSa.get),
    ).rejects.toMatchObject({ code: 422 });
  });

  it('binds to a pod: claims carry pod and node, and the token dies with the pod', async () => {
    const tokens = await ServiceAccountTokens.create(keys);
    const pod = obj('Pod', 'default', 'web-0', 'pod-uid', {
      spec: { serviceAccountName: 'reader', nodeName: 'skiff' },
    });
    const node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'skiff', uid: 'node-uid' } };
    const s = store([reader, pod, node]);
    const response = await tokens.createTokenRequest(
      'default',
      'reader',
      {
        spec: { boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'web-0', uid: 'pod-uid' } },
      },
      s.get,
    );
    const token = (response.status as { token: string }).token;
    expect(decodeJwt(token)['kubernetes.io']).toEqual({
      namespace: 'default',
      node: { name: 'skiff', uid: 'node-uid' },
      pod: { name: 'web-0', uid: 'pod-uid' },
      serviceaccount: { name: 'reader', uid: 'sa-uid-1' },
    });
    const user = await tokens.verify(token, s.get);
    expect(user?.extra).toMatchObject({
      'authentication.kubernetes.io/pod-name': ['web-0'],
      'authentication.kubernetes.io/pod-uid': ['pod-uid'],
      'authentication.kubernetes.io/node-name': ['skiff'],
      'authentication.kubernetes.io/node-uid': ['node-uid'],
    });

    s.objects.delete('pods/default/web-0');
    await expect(tokens.verify(token, s.get)).rejects.toThrow(
      'service account token has been invalidated',
    );
    s.objects.set(
      'pods/default/web-0',
      obj('Pod', 'default', 'web-0', 'new-pod-uid', { spec: { serviceAccountName: 'reader' } }),
    );
    await expect(tokens.verify(token, s.get)).rejects.toThrow(
      /pod UID \(new-pod-uid\) does not match/,
    );
  });

  it('refuses bindings the apiserver refuses', async () => {
    const tokens = await ServiceAccountTokens.create(keys);
    const pod = obj('Pod', 'default', 'web-0', 'pod-uid', {
      spec: { serviceAccountName: 'default' },
    });
    const s = store([reader, pod]);
    const bind = (ref: Record<string, string>) =>
      tokens.createTokenRequest('default', 'reader', { spec: { boundObjectRef: ref } }, s.get);
    await expect(bind({ kind: 'Pod', apiVersion: 'v1', name: 'web-0' })).rejects.toMatchObject({
      code: 400,
      message:
        'cannot bind token for serviceaccount "reader" to pod running with different serviceaccount name.',
    });
    await expect(
      bind({ kind: 'Deployment', apiVersion: 'apps/v1', name: 'x' }),
    ).rejects.toMatchObject({
      code: 400,
      message: 'cannot bind token to object of type apps/v1, Kind=Deployment',
    });
    const ownPod = obj('Pod', 'default', 'own', 'own-uid', {
      spec: { serviceAccountName: 'reader' },
    });
    s.objects.set('pods/default/own', ownPod);
    await expect(
      bind({ kind: 'Pod', apiVersion: 'v1', name: 'own', uid: 'stale' }),
    ).rejects.toMatchObject({
      code: 409,
      message:
        'Operation cannot be fulfilled on Pod "own": the UID in the bound object reference (stale) does not match the UID in record. The object might have been deleted and then recreated',
    });
  });

  it('extends the kubelet 3607 s pod token to a year with a warnafter claim', async () => {
    const tokens = await ServiceAccountTokens.create(keys);
    const pod = obj('Pod', 'default', 'web-0', 'pod-uid', {
      spec: { serviceAccountName: 'reader' },
    });
    const s = store([reader, pod]);
    const response = await tokens.createTokenRequest(
      'default',
      'reader',
      {
        spec: {
          expirationSeconds: 3607,
          boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'web-0' },
        },
      },
      s.get,
    );
    const claims = decodeJwt((response.status as { token: string }).token);
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(365 * 24 * 3600);
    expect((claims['kubernetes.io'] as { warnafter: number }).warnafter).toBe(
      (claims.iat ?? 0) + 3607,
    );
    expect((response.spec as { expirationSeconds: number }).expirationSeconds).toBe(3607);
  });
});

describe('verify', () => {
  async function issued(now: () => Date, audiences = [SERVICE_ACCOUNT_ISSUER]) {
    const tokens = await ServiceAccountTokens.create({ ...keys, now });
    const { token } = await tokens.issue({
      namespace: 'default',
      serviceAccount: { name: 'reader', uid: 'sa-uid-1' },
      audiences,
      expirationSeconds: 600,
    });
    return { tokens, token };
  }

  it('rejects an expired token (after the 60 s leeway) but accepts it just before', async () => {
    const c = clock();
    const { tokens, token } = await issued(c.now);
    const { get } = store([reader]);
    c.advance(600 + 59);
    await expect(tokens.verify(token, get)).resolves.toMatchObject({
      username: 'system:serviceaccount:default:reader',
    });
    c.advance(2);
    await expect(tokens.verify(token, get)).rejects.toThrow('service account token has expired');
  });

  it('rejects a token signed by another key', async () => {
    const other = await ServiceAccountTokens.create(ecKeys());
    const { token } = await other.issue({
      namespace: 'default',
      serviceAccount: { name: 'reader', uid: 'sa-uid-1' },
      audiences: [SERVICE_ACCOUNT_ISSUER],
      expirationSeconds: 600,
    });
    const tokens = await ServiceAccountTokens.create(keys);
    await expect(tokens.verify(token, store([reader]).get)).rejects.toBeInstanceOf(
      InvalidTokenError,
    );
  });

  it('rejects a token for another audience', async () => {
    const { tokens, token } = await issued(() => new Date(), ['vault']);
    await expect(tokens.verify(token, store([reader]).get)).rejects.toThrow(
      /token audiences \["vault"\] is invalid/,
    );
  });

  it('rejects a token whose ServiceAccount was deleted or recreated', async () => {
    const { tokens, token } = await issued(() => new Date());
    await expect(tokens.verify(token, store([]).get)).rejects.toBeInstanceOf(InvalidTokenError);
    const recreated = obj('ServiceAccount', 'default', 'reader', 'sa-uid-2');
    await expect(tokens.verify(token, store([recreated]).get)).rejects.toThrow(
      'service account UID (sa-uid-2) does not match claim (sa-uid-1)',
    );
  });

  it('leaves tokens that are not ours to other authenticators', async () => {
    const tokens = await ServiceAccountTokens.create(keys);
    const { get } = store([reader]);
    await expect(tokens.verify('static-admin-token', get)).resolves.toBeUndefined();
    const foreign = [
      Buffer.from('{"alg":"ES256"}').toString('base64url'),
      Buffer.from('{"iss":"https://accounts.example.com","sub":"x"}').toString('base64url'),
      'sig',
    ].join('.');
    await expect(tokens.verify(foreign, get)).resolves.toBeUndefined();
  });

  it('rejects a tampered payload', async () => {
    const { tokens, token } = await issued(() => new Date());
    const [h, p, s] = token.split('.');
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
    claims.sub = 'system:serviceaccount:kube-system:admin';
    const forged = [h, Buffer.from(JSON.stringify(claims)).toString('base64url'), s].join('.');
    await expect(tokens.verify(forged, store([reader]).get)).rejects.toThrow('invalid signature');
  });
});

describe('legacy Secret tokens', () => {
  it('verify while the Secret holds the same token and the ServiceAccount keeps its uid', async () => {
    const tokens = await ServiceAccountTokens.create(keys);
    const secret = obj('Secret', 'default', 'reader-token', 'secret-uid', {
      type: 'kubernetes.io/service-account-token',
    });
    const token = await tokens.issueLegacyToken(reader, secret);
    expect(decodeJwt(token)).toEqual({
      iss: LEGACY_SERVICE_ACCOUNT_ISSUER,
      'kubernetes.io/serviceaccount/namespace': 'default',
      'kubernetes.io/serviceaccount/secret.name': 'reader-token',
      'kubernetes.io/serviceaccount/service-account.name': 'reader',
      'kubernetes.io/serviceaccount/service-account.uid': 'sa-uid-1',
      sub: 'system:serviceaccount:default:reader',
    });
    secret.data = { token: Buffer.from(token).toString('base64') };
    const s = store([reader, secret]);
    await expect(tokens.verify(token, s.get)).resolves.toEqual({
      username: 'system:serviceaccount:default:reader',
      uid: 'sa-uid-1',
      groups: ['system:serviceaccounts', 'system:serviceaccounts:default'],
    });
    secret.data = { token: Buffer.from('something else').toString('base64') };
    await expect(tokens.verify(token, s.get)).rejects.toThrow("Token does not match server's copy");
    s.objects.delete('secrets/default/reader-token');
    await expect(tokens.verify(token, s.get)).rejects.toThrow('Token has been invalidated');
  });
});

describe('discovery documents', () => {
  it('publishes the verification key under the kid used in tokens', async () => {
    const tokens = await ServiceAccountTokens.create(keys);
    const jwks = tokens.jwks() as { keys: Array<Record<string, string>> };
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({
      kid: tokens.keyId,
      kty: 'EC',
      crv: 'P-256',
      alg: 'ES256',
      use: 'sig',
    });
    expect(tokens.openIdConfiguration('https://127.0.0.1:6443/openid/v1/jwks')).toMatchObject({
      issuer: SERVICE_ACCOUNT_ISSUER,
      jwks_uri: 'https://127.0.0.1:6443/openid/v1/jwks',
    });
  });

  it('refuses a public key that does not match the private key', async () => {
    await expect(
      ServiceAccountTokens.create({
        privateKeyPem: keys.privateKeyPem,
        publicKeyPem: ecKeys().publicKeyPem,
      }),
    ).rejects.toThrow(/does not match/);
  });
});
