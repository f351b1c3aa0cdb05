// ServiceAccount JWTs: issuing (the TokenRequest subresource, serviceaccounts/token) and verifying
// them as kube-apiserver does (pkg/serviceaccount/{jwt,claims,legacy}.go, registry/core/serviceaccount).
import { createHash, createPrivateKey, createPublicKey, randomUUID } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { CompactSign, compactVerify, importPKCS8, importSPKI } from 'jose';
import { goQuote } from '../../api/go-format.ts';
import type { JsonObject, KubeObject } from '../../api/types.ts';
import { isPlainObject } from '../../api/types.ts';
import { badRequest, conflict, fieldErrors, invalid, notFound } from '../../api/status.ts';
import type { FieldError, StatusError } from '../../api/status.ts';
import type { UserInfo } from './user-info.ts';
import {
  EXTRA_KEYS,
  parseServiceAccountUsername,
  serviceAccountGroups,
  serviceAccountUsername,
} from './user-info.ts';

/** kube-apiserver's --service-account-issuer as kubeadm and kind set it; also the default audience. */
export const SERVICE_ACCOUNT_ISSUER = 'https://kubernetes.default.svc.cluster.local';
/** Issuer of the long-lived tokens the token controller writes into service-account-token Secrets. */
export const LEGACY_SERVICE_ACCOUNT_ISSUER = 'kubernetes/serviceaccount';

const DEFAULT_EXPIRATION_SECONDS = 3600;
const MIN_EXPIRATION_SECONDS = 600;
const MAX_EXPIRATION_SECONDS = 2 ** 32;
/** The kubelet asks for this odd duration; the server then issues a year-long token (claims.go). */
const WARN_ONLY_BOUND_TOKEN_EXPIRATION_SECONDS = 3607;
const EXPIRATION_EXTENSION_SECONDS = 365 * 24 * 60 * 60;
/** go-jose's jwt.DefaultLeeway, applied to exp/nbf/iat and to deletion timestamps. */
const LEEWAY_SECONDS = 60;

const LEGACY_TOKEN_INVALID_LABEL = 'kubernetes.io/legacy-token-invalid-since';

/** Reads one object from the store; undefined when it does not exist. Nodes have namespace ''. */
export type ObjectGetter = (
  resource: 'serviceaccounts' | 'pods' | 'secrets' | 'nodes',
  namespace: string,
  name: string,
) => Promise<KubeObject | undefined>;

/** The token is ours (right issuer) but not acceptable; the API answers 401 Unauthorized. */
export class InvalidTokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidTokenError';
  }
}

export interface ObjectRef {
  name: string;
  uid: string;
}

export interface IssueTokenParams {
  namespace: string;
  serviceAccount: ObjectRef;
  audiences: readonly string[];
  expirationSeconds: number;
  /** Set on extended kubelet tokens: after this many seconds the token is "stale" (audit only). */
  warnAfterSeconds?: number;
  pod?: ObjectRef;
  secret?: ObjectRef;
  node?: { name: string; uid?: string };
}

export interface ServiceAccountTokenOptions {
  privateKeyPem: string;
  publicKeyPem: string;
  issuer?: string;
  /** --api-audiences; tokens must carry one of these. Default: [issuer]. */
  apiAudiences?: readonly string[];
  /** --service-account-extend-token-expiration (default true, as kube-apiserver). */
  extendExpiration?: boolean;
  /** --service-account-max-token-expiration in seconds; 0 or unset = no cap. */
  maxExpirationSeconds?: number;
  now?: () => Date;
}

interface KubernetesClaims {
  namespace?: string;
  node?: { name?: string; uid?: string };
  pod?: { name?: string; uid?: string };
  secret?: { name?: string; uid?: string };
  serviceaccount?: { name?: string; uid?: string };
  warnafter?: number;
}

export class ServiceAccountTokens {
  readonly issuer: string;
  readonly apiAudiences: readonly string[];
  /** base64url(SHA-256(DER SubjectPublicKeyInfo)), the `kid` kube-apiserver puts in its tokens. */
  readonly keyId: string;
  private readonly now: () => Date;

  private constructor(
    private readonly signingKey: CryptoKeyLike,
    private readonly verifyKey: CryptoKeyLike,
    private readonly publicKey: KeyObject,
    private readonly options: ServiceAccountTokenOptions,
  ) {
    this.issuer = options.issuer ?? SERVICE_ACCOUNT_ISSUER;
    this.apiAudiences = options.apiAudiences?.length ? options.apiAudiences : [this.issuer];
    this.now = options.now ?? (() => new Date());
    this.keyId = createHash('sha256')
      .update(publicKey.export({ type: 'spki', format: 'der' }))
      .digest('base64url');
  }

  static async create(options: ServiceAccountTokenOptions): Promise<ServiceAccountTokens> {
    const publicKey = createPublicKey(options.publicKeyPem);
    const derived = createPublicKey(createPrivateKey(options.privateKeyPem));
    if (
      !derived
        .export({ type: 'spki', format: 'der' })
        .equals(publicKey.export({ type: 'spki', format: 'der' }))
    ) {
      throw new Error('the ServiceAccount public key does not match the private key');
    }
    const pkcs8 = createPrivateKey(options.privateKeyPem)
      .export({ type: 'pkcs8', format: 'pem' })
      .toString();
    const signingKey = await importPKCS8(pkcs8, 'ES256');
    const verifyKey = await importSPKI(
      publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      'ES256',
    );
    return new ServiceAccountTokens(signingKey, verifyKey, publicKey, options);
  }

  /** Signs a bound token with exactly the claims kube-apiserver puts in one. */
  async issue(params: IssueTokenParams): Promise<{ token: string; expiresAt: Date }> {
    const nowMs = this.now().getTime();
    const now = Math.floor(nowMs / 1000);
    const exp = now + params.expirationSeconds;
    const kube: KubernetesClaims = { namespace: params.namespace };
    if (params.node) {
      kube.node = params.node.uid
        ? { name: params.node.name, uid: params.node.uid }
        : { name: params.node.name };
    }
    if (params.pod) kube.pod = { name: params.pod.name, uid: params.pod.uid };
    if (params.secret) kube.secret = { name: params.secret.name, uid: params.secret.uid };
    kube.serviceaccount = { name: params.serviceAccount.name, uid: params.serviceAccount.uid };
    if (params.warnAfterSeconds) kube.warnafter = now + params.warnAfterSeconds;
    // Keys in lexical order, as go-jose emits them (it marshals a merged map).
    const payload = {
      aud: [...params.audiences],
      exp,
      iat: now,
      iss: this.issuer,
      jti: randomUUID(),
      'kubernetes.io': kube,
      nbf: now,
      sub: serviceAccountUsername(params.namespace, params.serviceAccount.name),
    };
    return { token: await this.sign(payload), expiresAt: new Date(exp * 1000) };
  }

  /**
   * The long-lived token the token controller stores in a `kubernetes.io/service-account-token`
   * Secret (no expiry; valid while the Secret holds it and the ServiceAccount keeps its uid).
   */
  async issueLegacyToken(serviceAccount: KubeObject, secret: KubeObject): Promise<string> {
    const namespace = serviceAccount.metadata.namespace ?? '';
    const name = serviceAccount.metadata.name ?? '';
    return this.sign({
      iss: LEGACY_SERVICE_ACCOUNT_ISSUER,
      'kubernetes.io/serviceaccount/namespace': namespace,
      'kubernetes.io/serviceaccount/secret.name': secret.metadata.name ?? '',
      'kubernetes.io/serviceaccount/service-account.name': name,
      'kubernetes.io/serviceaccount/service-account.uid': serviceAccount.metadata.uid ?? '',
      sub: serviceAccountUsername(namespace, name),
    });
  }

  /**
   * POST …/namespaces/{ns}/serviceaccounts/{name}/token: validates the TokenRequest body, resolves the
   * ServiceAccount and bound object through `get`, and returns the TokenRequest with its status.
   */
  async createTokenRequest(
    namespace: string,
    serviceAccountName: string,
    body: unknown,
    get: ObjectGetter,
  ): Promise<KubeObject> {
    const request = decodeTokenRequest(body);
    const meta = request.metadata;
    if (meta.name && meta.name !== serviceAccountName) {
      throw invalid('TokenRequest', 'authentication.k8s.io', serviceAccountName, [
        fieldErrors.invalid(
          'metadata.name',
          meta.name,
          'must match the service account name if specified',
        ),
      ]);
    }
    if (meta.namespace && meta.namespace !== namespace) {
      throw invalid('TokenRequest', 'authentication.k8s.io', serviceAccountName, [
        fieldErrors.invalid(
          'metadata.namespace',
          meta.namespace,
          'must match the service account namespace if specified',
        ),
      ]);
    }
    const serviceAccount = await get('serviceaccounts', namespace, serviceAccountName);
    if (!serviceAccount) throw notFound('serviceaccounts', '', serviceAccountName);

    const audiences = request.audiences.length > 0 ? request.audiences : [...this.apiAudiences];
    const nowDate = this.now();
    const errors: FieldError[] = [];
    if (request.expirationSeconds < MIN_EXPIRATION_SECONDS) {
      errors.push(
        fieldErrors.invalid(
          'spec.expirationSeconds',
          request.expirationSeconds,
          'may not specify a duration less than 10 minutes',
        ),
      );
    }
    if (request.expirationSeconds > MAX_EXPIRATION_SECONDS) {
      errors.push(
        fieldErrors.invalid(
          'spec.expirationSeconds',
          request.expirationSeconds,
          'may not specify a duration larger than 2^32 seconds',
        ),
      );
    }
    if (errors.length > 0) throw invalid('TokenRequest', 'authentication.k8s.io', '', errors);

    let pod: KubeObject | undefined;
    let node: { name: string; uid?: string } | undefined;
    let secret: KubeObject | undefined;
    const ref = request.boundObjectRef;
    if (ref) {
      const { group, version } = splitApiVersion(ref.apiVersion);
      let uid: string | undefined;
      if (group === '' && ref.kind === 'Pod') {
        pod = await get('pods', namespace, ref.name);
        if (!pod) throw notFound('pods', '', ref.name);
        const spec = isPlainObject(pod.spec) ? pod.spec : {};
        const podServiceAccount =
          typeof spec.serviceAccountName === 'string' && spec.serviceAccountName
            ? spec.serviceAccountName
            : 'default';
        if (podServiceAccount !== serviceAccountName) {
          throw badRequest(
            `cannot bind token for serviceaccount "${serviceAccountName}" to pod running with different serviceaccount name.`,
          );
        }
        uid = pod.metadata.uid;
        if (typeof spec.nodeName === 'string' && spec.nodeName) {
          // A missing Node still yields a token, just without the node's uid.
          const nodeObject = await get('nodes', '', spec.nodeName);
          node = nodeObject
            ? { name: spec.nodeName, uid: nodeObject.metadata.uid }
            : { name: spec.nodeName };
        }
      } else if (group === '' && ref.kind === 'Node') {
        const nodeObject = await get('nodes', '', ref.name);
        if (!nodeObject) throw notFound('nodes', '', ref.name);
        uid = nodeObject.metadata.uid;
        node = { name: ref.name, uid };
      } else if (group === '' && ref.kind === 'Secret') {
        secret = await get('secrets', namespace, ref.name);
        if (!secret) throw notFound('secrets', '', ref.name);
        uid = secret.metadata.uid;
      } else {
        throw badRequest(
          `cannot bind token to object of type ${group}/${version}, Kind=${ref.kind}`,
        );
      }
      if (ref.uid && ref.uid !== uid) {
        throw conflict(
          ref.kind,
          group,
          ref.name,
          `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`,
        );
      }
    }

    let expirationSeconds = request.expirationSeconds;
    let warnAfterSeconds: number | undefined;
    const extend = this.options.extendExpiration ?? true;
    if (
      extend &&
      pod &&
      request.expirationSeconds === WARN_ONLY_BOUND_TOKEN_EXPIRATION_SECONDS &&
      audiences.every((a) => this.apiAudiences.includes(a))
    ) {
      warnAfterSeconds = expirationSeconds;
      expirationSeconds = EXPIRATION_EXTENSION_SECONDS;
    }
    const max = this.options.maxExpirationSeconds ?? 0;
    if (max > 0 && request.expirationSeconds > max) {
      warnAfterSeconds = max;
      expirationSeconds = max;
    }

    const { token } = await this.issue({
      namespace,
      serviceAccount: { name: serviceAccountName, uid: serviceAccount.metadata.uid ?? '' },
      audiences,
      expirationSeconds,
      warnAfterSeconds,
      pod: pod ? { name: pod.metadata.name ?? '', uid: pod.metadata.uid ?? '' } : undefined,
      secret: secret
        ? { name: secret.metadata.name ?? '', uid: secret.metadata.uid ?? '' }
        : undefined,
      node,
    });

    // The status reports the requested lifetime even when the token itself was extended.
    const nowSeconds = Math.floor(nowDate.getTime() / 1000);
    const spec: JsonObject = { audiences, expirationSeconds: request.expirationSeconds };
    spec.boundObjectRef = ref ? { ...ref } : null;
    return {
      kind: 'TokenRequest',
      apiVersion: 'authentication.k8s.io/v1',
      metadata: {
        name: serviceAccountName,
        namespace,
        creationTimestamp: formatTime(nowSeconds),
      },
      spec,
      status: {
        token,
        expirationTimestamp: formatTime(nowSeconds + request.expirationSeconds),
      },
    };
  }

  /**
   * Verifies a bearer token. Returns undefined when the token is not one of ours (not a JWT, or
   * another issuer), so other authenticators may try it; throws InvalidTokenError when it is ours
   * but invalid (bad signature, audience, expired, or its ServiceAccount/Pod/Secret/Node changed).
   */
  async verify(token: string, get: ObjectGetter): Promise<UserInfo | undefined> {
    const unverified = decodeUnverified(token);
    if (!unverified) return undefined;
    const iss = unverified.iss;
    if (iss !== this.issuer && iss !== LEGACY_SERVICE_ACCOUNT_ISSUER) return undefined;

    let payload: Record<string, unknown>;
    try {
      const result = await compactVerify(token, this.verifyKey, { algorithms: ['ES256'] });
      payload = JSON.parse(new TextDecoder().decode(result.payload)) as Record<string, unknown>;
    } catch {
      throw new InvalidTokenError('invalid signature');
    }
    if (!isPlainObject(payload)) throw new InvalidTokenError('invalid token claims');

    const tokenAudiences = audienceList(payload.aud);
    const effective = tokenAudiences.length > 0 ? tokenAudiences : [...this.apiAudiences];
    if (!effective.some((a) => this.apiAudiences.includes(a))) {
      throw new InvalidTokenError(
        `token audiences ${goStringList(effective)} is invalid for the target audiences ${goStringList(this.apiAudiences)}`,
      );
    }
    return iss === LEGACY_SERVICE_ACCOUNT_ISSUER
      ? this.validateLegacy(token, payload, get)
      : this.validateBound(payload, get);
  }

  /** The JSON Web Key Set served at /openid/v1/jwks. */
  jwks(): JsonObject {
    const jwk = this.publicKey.export({ format: 'jwk' });
    return {
      keys: [
        {
          use: 'sig',
          kty: 'EC',
          kid: this.keyId,
          crv: 'P-256',
          alg: 'ES256',
          x: jwk.x ?? '',
          y: jwk.y ?? '',
        },
      ],
    };
  }

  /** The document served at /.well-known/openid-configuration. */
  openIdConfiguration(jwksUri: string): JsonObject {
    return {
      issuer: this.issuer,
      jwks_uri: jwksUri,
      response_types_supported: ['id_token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['ES256'],
    };
  }

  private async sign(payload: object): Promise<string> {
    return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
      .setProtectedHeader({ alg: 'ES256', kid: this.keyId })
      .sign(this.signingKey);
  }

  private async validateBound(
    payload: Record<string, unknown>,
    get: ObjectGetter,
  ): Promise<UserInfo> {
    const now = Math.floor(this.now().getTime() / 1000);
    checkTimes(payload, now);
    const kube = isPlainObject(payload['kubernetes.io']) ? payload['kubernetes.io'] : {};
    const namespace = typeof kube.namespace === 'string' ? kube.namespace : '';
    const saRef = refClaim(kube.serviceaccount);
    if (!namespace || !saRef?.name) throw new InvalidTokenError('service account claims missing');
    const sub =
      typeof payload.sub === 'string' ? parseServiceAccountUsername(payload.sub) : undefined;
    if (!sub || sub.namespace !== namespace || sub.name !== saRef.name) {
      throw new InvalidTokenError('sub claim is invalid');
    }
    const deletedBefore = (now - LEEWAY_SECONDS) * 1000;
    const isGone = (obj: KubeObject) =>
      obj.metadata.deletionTimestamp !== undefined &&
      Date.parse(obj.metadata.deletionTimestamp) < deletedBefore;

    const serviceAccount = await get('serviceaccounts', namespace, saRef.name);
    if (!serviceAccount) {
      throw new InvalidTokenError(`serviceaccounts "${saRef.name}" not found`);
    }
    if (isGone(serviceAccount)) {
      throw new InvalidTokenError(`service account ${namespace}/${saRef.name} has been deleted`);
    }
    if (serviceAccount.metadata.uid !== saRef.uid) {
      throw new InvalidTokenError(
        `service account UID (${serviceAccount.metadata.uid ?? ''}) does not match claim (${saRef.uid ?? ''})`,
      );
    }

    const secretRef = refClaim(kube.secret);
    if (secretRef?.name) {
      const secret = await get('secrets', namespace, secretRef.name);
      if (!secret || isGone(secret)) {
        throw new InvalidTokenError('service account token has been invalidated');
      }
      if (secret.metadata.uid !== secretRef.uid) {
        throw new InvalidTokenError(
          `secret UID (${secret.metadata.uid ?? ''}) does not match service account secret ref claim (${secretRef.uid ?? ''})`,
        );
      }
    }

    const podRef = refClaim(kube.pod);
    if (podRef?.name) {
      const pod = await get('pods', namespace, podRef.name);
      if (!pod || isGone(pod)) {
        throw new InvalidTokenError('service account token has been invalidated');
      }
      if (pod.metadata.uid !== podRef.uid) {
        throw new InvalidTokenError(
          `pod UID (${pod.metadata.uid ?? ''}) does not match service account pod ref claim (${podRef.uid ?? ''})`,
        );
      }
    }

    const nodeRef = refClaim(kube.node);
    // Only a token bound to the Node itself dies with it; a pod-bound token just names the node.
    if (nodeRef?.name && !podRef?.name && !secretRef?.name) {
      const node = await get('nodes', '', nodeRef.name);
      if (!node || isGone(node)) {
        throw new InvalidTokenError('service account token has been invalidated');
      }
      if (node.metadata.uid !== nodeRef.uid) {
        throw new InvalidTokenError(
          `node UID (${node.metadata.uid ?? ''}) does not match service account node ref claim (${nodeRef.uid ?? ''})`,
        );
      }
    }

    const extra: Record<string, string[]> = {};
    if (podRef?.name && podRef.uid) {
      extra[EXTRA_KEYS.podName] = [podRef.name];
      extra[EXTRA_KEYS.podUid] = [podRef.uid];
    }
    if (typeof payload.jti === 'string' && payload.jti) {
      extra[EXTRA_KEYS.credentialId] = [`JTI=${payload.jti}`];
    }
    if (nodeRef?.name) {
      extra[EXTRA_KEYS.nodeName] = [nodeRef.name];
      if (nodeRef.uid) extra[EXTRA_KEYS.nodeUid] = [nodeRef.uid];
    }
    const user: UserInfo = {
      username: serviceAccountUsername(namespace, saRef.name),
      uid: saRef.uid,
      groups: serviceAccountGroups(namespace),
    };
    if (Object.keys(extra).length > 0) user.extra = extra;
    return user;
  }

  private async validateLegacy(
    token: string,
    payload: Record<string, unknown>,
    get: ObjectGetter,
  ): Promise<UserInfo> {
    const claim = (key: string) => {
      const value = payload[`kubernetes.io/serviceaccount/${key}`];
      return typeof value === 'string' ? value : '';
    };
    if (typeof payload.sub !== 'string' || !payload.sub) {
      throw new InvalidTokenError('sub claim is missing');
    }
    const namespace = claim('namespace');
    const secretName = claim('secret.name');
    const saName = claim('service-account.name');
    const saUid = claim('service-account.uid');
    if (!namespace) throw new InvalidTokenError('namespace claim is missing');
    if (!secretName) throw new InvalidTokenError('secretName claim is missing');
    if (!saName) throw new InvalidTokenError('serviceAccountName claim is missing');
    if (!saUid) throw new InvalidTokenError('serviceAccountUID claim is missing');
    const sub = parseServiceAccountUsername(payload.sub);
    if (!sub || sub.namespace !== namespace || sub.name !== saName) {
      throw new InvalidTokenError('sub claim is invalid');
    }

    const secret = await get('secrets', namespace, secretName);
    if (!secret || secret.metadata.deletionTimestamp) {
      throw new InvalidTokenError('Token has been invalidated');
    }
    const data = isPlainObject(secret.data) ? secret.data : {};
    const stored =
      typeof data.token === 'string' ? Buffer.from(data.token, 'base64').toString('utf8') : '';
    if (stored !== token) throw new InvalidTokenError("Token does not match server's copy");
    const serviceAccount = await get('serviceaccounts', namespace, saName);
    if (!serviceAccount) throw new InvalidTokenError(`serviceaccounts "${saName}" not found`);
    if (serviceAccount.metadata.deletionTimestamp) {
      throw new InvalidTokenError('ServiceAccount has been deleted');
    }
    if (serviceAccount.metadata.uid !== saUid) {
      throw new InvalidTokenError(
        `ServiceAccount UID (${serviceAccount.metadata.uid ?? ''}) does not match claim (${saUid})`,
      );
    }
    if (secret.metadata.labels?.[LEGACY_TOKEN_INVALID_LABEL]) {
      throw new InvalidTokenError(
        `the token in secret ${namespace}/${secretName} for service account ${namespace}/${saName} has been marked invalid`,
      );
    }
    return {
      username: serviceAccountUsername(namespace, saName),
      uid: saUid,
      groups: serviceAccountGroups(namespace),
    };
  }
}

type CryptoKeyLike = Awaited<ReturnType<typeof importPKCS8>>;

interface DecodedTokenRequest {
  metadata: { name?: string; namespace?: string };
  audiences: string[];
  expirationSeconds: number;
  boundObjectRef?: { kind: string; apiVersion: string; name: string; uid?: string };
}

/** Decodes the body the way Go's JSON decoder would accept it into authentication/v1.TokenRequest. */
function decodeTokenRequest(body: unknown): DecodedTokenRequest {
  const fail = (detail: string): StatusError =>
    badRequest(`TokenRequest in version "v1" cannot be handled as a TokenRequest: ${detail}`);
  if (body === undefined || body === null)
    return { metadata: {}, audiences: [], expirationSeconds: DEFAULT_EXPIRATION_SECONDS };
  if (!isPlainObject(body)) throw fail('the request body must be a JSON object');
  const metadata = body.metadata ?? {};
  if (!isPlainObject(metadata)) throw fail('metadata must be an object');
  const name = stringField(metadata.name, 'metadata.name', fail);
  const namespace = stringField(metadata.namespace, 'metadata.namespace', fail);
  const spec = body.spec ?? {};
  if (!isPlainObject(spec)) throw fail('spec must be an object');

  let audiences: string[] = [];
  if (spec.audiences !== undefined && spec.audiences !== null) {
    if (!Array.isArray(spec.audiences) || !spec.audiences.every((a) => typeof a === 'string')) {
      throw fail('spec.audiences must be a list of strings');
    }
    audiences = spec.audiences;
  }
  let expirationSeconds = DEFAULT_EXPIRATION_SECONDS;
  if (spec.expirationSeconds !== undefined && spec.expirationSeconds !== null) {
    if (typeof spec.expirationSeconds !== 'number' || !Number.isInteger(spec.expirationSeconds)) {
      throw fail(
        `json: cannot unmarshal ${typeof spec.expirationSeconds} into Go struct field TokenRequestSpec.spec.expirationSeconds of type int64`,
      );
    }
    expirationSeconds = spec.expirationSeconds;
  }
  let boundObjectRef: DecodedTokenRequest['boundObjectRef'];
  if (spec.boundObjectRef !== undefined && spec.boundObjectRef !== null) {
    const ref = spec.boundObjectRef;
    if (!isPlainObject(ref)) throw fail('spec.boundObjectRef must be an object');
    boundObjectRef = {
      kind: stringField(ref.kind, 'spec.boundObjectRef.kind', fail) ?? '',
      apiVersion: stringField(ref.apiVersion, 'spec.boundObjectRef.apiVersion', fail) ?? '',
      name: stringField(ref.name, 'spec.boundObjectRef.name', fail) ?? '',
    };
    const uid = stringField(ref.uid, 'spec.boundObjectRef.uid', fail);
    if (uid) boundObjectRef.uid = uid;
  }
  return { metadata: { name, namespace }, audiences, expirationSeconds, boundObjectRef };
}

function stringField(
  value: unknown,
  field: string,
  fail: (detail: string) => StatusError,
): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw fail(`${field} must be a string`);
  return value;
}

function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash < 0
    ? { group: '', version: apiVersion }
    : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

/** RFC 3339 at second precision, as metav1.Time marshals. */
function formatTime(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function decodeUnverified(token: string): Record<string, unknown> | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const payload: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    return isPlainObject(payload) ? payload : undefined;
  } catch {
    return undefined;
  }
}

function audienceList(aud: unknown): string[] {
  if (typeof aud === 'string') return [aud];
  if (Array.isArray(aud)) return aud.filter((a): a is string => typeof a === 'string');
  return [];
}

function checkTimes(payload: Record<string, unknown>, now: number): void {
  const num = (v: unknown) => (typeof v === 'number' ? v : undefined);
  const exp = num(payload.exp);
  const nbf = num(payload.nbf);
  const iat = num(payload.iat);
  if (nbf !== undefined && now + LEEWAY_SECONDS < nbf) {
    throw new InvalidTokenError('service account token is not valid yet');
  }
  if (exp !== undefined && now - LEEWAY_SECONDS > exp) {
    throw new InvalidTokenError('service account token has expired');
  }
  if (iat !== undefined && now + LEEWAY_SECONDS < iat) {
    throw new InvalidTokenError('service account token is not valid yet');
  }
  if (exp === undefined) throw new InvalidTokenError('service account token has no expiry');
}

function refClaim(value: unknown): { name?: string; uid?: string } | undefined {
  if (!isPlainObject(value)) return undefined;
  return {
    name: typeof value.name === 'string' ? value.name : undefined,
    uid: typeof value.uid === 'string' ? value.uid : undefined,
  };
}

/** fmt %q of a []string: `["a" "b"]`. */
function goStringList(items: readonly string[]): string {
  return `[${items.map((i) => goQuote(i)).join(' ')}]`;
}
