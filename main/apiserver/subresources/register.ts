// Subresources and virtual resources that are not plain object storage: pods/binding,
// pods/eviction, the streaming pod endpoints (log, exec, attach, portforward — served by the
// node agent that runs the pod), serviceaccounts/token, and the access and token reviews.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { StatusError, badRequest, conflict, invalid, fieldErrors } from '../../api/status.ts';
import type { KubeObject } from '../../api/types.ts';
import { isPlainObject } from '../../api/types.ts';
import type { UserInfo } from '../../api/user.ts';
import { decodeBody, readBody } from '../http/body.ts';
import { sendJson } from '../http/respond.ts';
import type { ResourceContext, SubresourceHandler } from '../handlers/resource.ts';
import { dryRunParam } from '../handlers/query.ts';
import type { ObjectRegistry } from '../registry/rest.ts';
import type { ResourceCatalog } from '../registry/catalog.ts';
import { BUILTIN_RESOURCES } from '../registry/resources.ts';
import { nowTimestamp } from '../registry/meta.ts';
import type { ObjectGetter, ServiceAccountTokens } from '../auth/service-account-tokens.ts';
import { InvalidTokenError } from '../auth/service-account-tokens.ts';
import { admitEviction } from './eviction.ts';
import { upgradeOf, type UpgradedConnection } from './upgrade-requests.ts';
import type { AuthorizationAttributes, AuthorizationDecision } from '../auth/rbac.ts';

export type StreamKind = 'log' | 'exec' | 'attach' | 'portforward';

/** One pods/{log,exec,attach,portforward} request, checked as kube-apiserver checks it before it reaches the kubelet. */
export interface StreamRequest {
  kind: StreamKind;
  pod: KubeObject;
  /** The container, defaulted and validated as pkg/registry/core/pod/strategy.go does ('' for portforward). */
  container: string;
  url: URL;
  user: UserInfo;
  req: IncomingMessage;
  res: ServerResponse;
  /** Present when the client asked for a connection upgrade (WebSocket or SPDY). */
  upgrade?: UpgradedConnection;
}

/** Node agents register here to serve a node's pod streams (log, exec, attach, portforward). */
export interface NodeStreamServer {
  serve(request: StreamRequest): Promise<void>;
}

export const nodeStreamServers = new Map<string, NodeStreamServer>();

export interface SubresourceDeps {
  registry: ObjectRegistry;
  catalog: ResourceCatalog;
  tokens: ServiceAccountTokens;
  subresources: Map<string, SubresourceHandler>;
  virtual: Map<string, SubresourceHandler>;
  authorize(
    user: UserInfo,
    attributes: Omit<AuthorizationAttributes, 'user'>,
  ): AuthorizationDecision & { rules?: unknown };
  getObject: ObjectGetter;
  rulesReview?(user: UserInfo, namespace: string): unknown;
}

const podInfo = BUILTIN_RESOURCES.find((r) => r.group === '' && r.kind === 'Pod')!;
const pdbInfo = BUILTIN_RESOURCES.find(
  (r) => r.group === 'policy' && r.kind === 'PodDisruptionBudget',
)!;

async function body(req: IncomingMessage): Promise<Record<string, unknown>> {
  const value = decodeBody(await readBody(req), req.headers['content-type']);
  if (!isPlainObject(value)) throw badRequest('the request body must be an object');
  return value;
}

/**
 * Assigns a pod to a node as pods/binding does (pkg/registry/core/pod/storage setPodHostAndAnnotations):
 * a storage-level update of spec.nodeName plus PodScheduled=True (no managedFields entry), refused when the pod is already
 * assigned or being deleted. The scheduler binds through this same function.
 */
export async function bindPod(
  registry: ObjectRegistry,
  namespace: string,
  podName: string,
  nodeName: string,
  annotations?: Record<string, string>,
  /** The pod the binding was decided for (Binding.metadata.uid); a replaced pod is refused. */
  uid?: string,
): Promise<KubeObject> {
  return registry.systemUpdate(
    podInfo,
    namespace,
    podName,
    (pod) => {
      if (uid && pod.metadata.uid !== uid) {
        throw conflict(
          'pods',
          '',
          podName,
          `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${pod.metadata.uid}`,
        );
      }
      if (pod.metadata.deletionTimestamp) {
        throw conflict('pods', '', podName, 'pod is being deleted, cannot be assigned to a host');
      }
      const spec = (pod.spec ?? {}) as { nodeName?: string };
      if (spec.nodeName) {
        throw conflict(
          'pods',
          '',
          podName,
          `pod ${podName} is already assigned to node "${spec.nodeName}"`,
        );
      }
      (pod.spec as { nodeName?: string }).nodeName = nodeName;
      if (annotations) pod.metadata.annotations = { ...pod.metadata.annotations, ...annotations };
      const status = (pod.status ??= {}) as {
        conditions?: {
          type: string;
          status: string;
          lastTransitionTime?: string;
          lastProbeTime?: null;
        }[];
      };
      status.conditions = [
        ...(status.conditions ?? []).filter((c) => c.type !== 'PodScheduled'),
        {
          type: 'PodScheduled',
          status: 'True',
          lastProbeTime: null,
          lastTransitionTime: nowTimestamp(),
        },
      ];
      return pod;
    },
    // GuaranteedUpdate straight on storage upstream: the binding leaves no managedFields entry.
    undefined,
  );
}

/**
 * The container a stream is for: the named one, which must exist, or the only one
 * (LogLocation / streamLocation in pkg/registry/core/pod/strategy.go).
 */
export function streamContainer(pod: KubeObject, podName: string, requested: string): string {
  const spec = (pod.spec ?? {}) as {
    containers?: { name: string }[];
    initContainers?: { name: string }[];
    ephemeralContainers?: { name: string }[];
  };
  const containers = (spec.containers ?? []).map((c) => c.name);
  const inits = (spec.initContainers ?? []).map((c) => c.name);
  const ephemeral = (spec.ephemeralContainers ?? []).map((c) => c.name);
  if (requested) {
    if (![...containers, ...inits, ...ephemeral].includes(requested))
      throw badRequest(`container ${requested} is not valid for pod ${podName}`);
    return requested;
  }
  if (containers.length === 1) return containers[0];
  if (containers.length === 0)
    throw badRequest(`a container name must be specified for pod ${podName}`);
  let message = `a container name must be specified for pod ${podName}, choose one of: [${containers.join(' ')}]`;
  if (inits.length) message += ` or one of the init containers: [${inits.join(' ')}]`;
  throw badRequest(message);
}

export function registerSubresources(deps: SubresourceDeps): void {
  const { registry, subresources, virtual } = deps;

  // pods/binding and the legacy bindings resource: the scheduler's write (pkg/registry/core/pod/storage).
  const bind: SubresourceHandler = async (ctx, req, res) => {
    const binding = await body(req);
    const meta = isPlainObject(binding.metadata) ? binding.metadata : {};
    const podName = ctx.request.subresource
      ? ctx.request.name
      : typeof meta.name === 'string'
        ? meta.name
        : '';
    const target = isPlainObject(binding.target) ? binding.target : {};
    const nodeName = typeof target.name === 'string' ? target.name : '';
    if (!nodeName) throw invalid('Binding', '', podName, [fieldErrors.required('target.name')]);
    if (target.kind !== undefined && target.kind !== 'Node' && target.kind !== '') {
      throw invalid('Binding', '', podName, [
        fieldErrors.notSupported('target.kind', target.kind, ['Node', '<empty>']),
      ]);
    }
    if (dryRunParam(ctx.url.searchParams)) {
      registry.get(podInfo, ctx.namespace, podName);
    } else {
      await bindPod(
        registry,
        ctx.namespace,
        podName,
        nodeName,
        isPlainObject(meta.annotations) ? (meta.annotations as Record<string, string>) : undefined,
        typeof meta.uid === 'string' && meta.uid ? meta.uid : undefined,
      );
    }
    sendJson(res, 201, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Success',
      code: 201,
    });
  };
  subresources.set('/pods/binding', bind);
  virtual.set('/bindings', bind);

  // pods/eviction: a delete that disruption budgets may refuse (the budget check joins with the PDB controller).
  subresources.set('/pods/eviction', async (ctx, req, res) => {
    const eviction = await body(req);
    const meta = isPlainObject(eviction.metadata) ? eviction.metadata : {};
    if (meta.name !== undefined && meta.name !== ctx.request.name) {
      throw badRequest(`name in URL does not match name in Eviction object`);
    }
    const options = isPlainObject(eviction.deleteOptions) ? eviction.deleteOptions : {};
    const pod = registry.get(podInfo, ctx.namespace, ctx.request.name);
    const dryRun =
      dryRunParam(ctx.url.searchParams) ||
      (Array.isArray(options.dryRun) && options.dryRun.includes('All'));
    // Disruption budgets first: 429 when this eviction would break one, else one disruption is charged.
    await admitEviction(
      pod,
      () => registry.listStored(pdbInfo, ctx.namespace).items,
      (pdb) =>
        registry.update(pdbInfo, ctx.namespace, pdb.metadata.name ?? '', pdb, {
          dryRun: false,
          fieldManager: 'kube-apiserver',
          fieldValidation: 'Ignore',
          user: ctx.user,
          subresource: 'status',
        }),
      dryRun,
    );
    await registry.delete(podInfo, ctx.namespace, ctx.request.name, {
      dryRun,
      gracePeriodSeconds:
        typeof options.gracePeriodSeconds === 'number' ? options.gracePeriodSeconds : undefined,
      user: ctx.user,
    });
    sendJson(res, 201, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Success',
      code: 201,
    });
  });

  // Streams go to the node agent serving the pod's node.
  for (const kind of ['log', 'exec', 'attach', 'portforward'] as const) {
    subresources.set(`/pods/${kind}`, async (ctx, req, res) => {
      const pod = registry.get(podInfo, ctx.namespace, ctx.request.name);
      const container =
        kind === 'portforward'
          ? ''
          : streamContainer(pod, ctx.request.name, ctx.url.searchParams.get('container') ?? '');
      const nodeName = (pod.spec as { nodeName?: string } | undefined)?.nodeName;
      if (!nodeName) {
        // LogLocation answers an unscheduled pod with no location: an empty log.
        if (kind === 'log') {
          res.writeHead(200, { 'Content-Type': 'text/plain' });
          res.end();
          return;
        }
        throw badRequest(`pod ${ctx.request.name} does not have a host assigned`);
      }
      const server = nodeStreamServers.get(nodeName);
      if (!server) {
        throw new StatusError(
          503,
          'ServiceUnavailable',
          `no node agent is serving node "${nodeName}" for pod "${ctx.request.name}": ${kind} is unavailable until the node's agent runs`,
        );
      }
      await server.serve({
        kind,
        pod,
        container,
        url: ctx.url,
        user: ctx.user,
        req,
        res,
        upgrade: upgradeOf(req),
      });
    });
  }

  // serviceaccounts/token (TokenRequest), as `kubectl create token` uses.
  subresources.set('/serviceaccounts/token', async (ctx, req, res) => {
    const request = await body(req);
    const result = await deps.tokens.createTokenRequest(
      ctx.namespace,
      ctx.request.name,
      request,
      deps.getObject,
    );
    sendJson(res, 201, result);
  });

  const accessReview = (
    kind: string,
    group: string,
    subjectFrom: (ctx: ResourceContext, review: Record<string, unknown>) => UserInfo,
    namespaced: boolean,
  ): SubresourceHandler => {
    return async (ctx, req, res) => {
      const review = await body(req);
      const spec = isPlainObject(review.spec) ? review.spec : {};
      const resourceAttributes = isPlainObject(spec.resourceAttributes)
        ? spec.resourceAttributes
        : undefined;
      const nonResourceAttributes = isPlainObject(spec.nonResourceAttributes)
        ? spec.nonResourceAttributes
        : undefined;
      if (!resourceAttributes && !nonResourceAttributes) {
        throw invalid(kind, group, '', [
          fieldErrors.invalid(
            'spec.resourceAttributes',
            '',
            'exactly one of nonResourceAttributes or resourceAttributes must be specified',
          ),
        ]);
      }
      if (resourceAttributes && nonResourceAttributes) {
        throw invalid(kind, group, '', [
          fieldErrors.invalid(
            'spec.resourceAttributes',
            '',
            'exactly one of nonResourceAttributes or resourceAttributes must be specified',
          ),
        ]);
      }
      if (
        namespaced &&
        resourceAttributes &&
        resourceAttributes.namespace !== undefined &&
        resourceAttributes.namespace !== ctx.namespace
      ) {
        throw invalid(kind, group, '', [
          fieldErrors.invalid(
            'spec.resourceAttributes.namespace',
            resourceAttributes.namespace,
            'must match metadata.namespace',
          ),
        ]);
      }
      const user = subjectFrom(ctx, spec);
      const str = (value: unknown) => (typeof value === 'string' ? value : '');
      const attributes = resourceAttributes
        ? {
            verb: str(resourceAttributes.verb),
            isResourceRequest: true,
            apiGroup: str(resourceAttributes.group),
            apiVersion: str(resourceAttributes.version),
            resource: str(resourceAttributes.resource),
            subresource: str(resourceAttributes.subresource),
            namespace: namespaced ? ctx.namespace : str(resourceAttributes.namespace),
            name: str(resourceAttributes.name),
          }
        : {
            verb: str(nonResourceAttributes!.verb),
            isResourceRequest: false,
            path: str(nonResourceAttributes!.path),
          };
      const decision = deps.authorize(user, attributes);
      const status: Record<string, unknown> = { allowed: decision.allowed };
      if (decision.reason) status.reason = decision.reason;
      const meta = isPlainObject(review.metadata) ? review.metadata : {};
      sendJson(res, 201, {
        kind,
        apiVersion: `${group}/v1`,
        metadata: { ...meta, creationTimestamp: null },
        spec,
        status,
      });
    };
  };
  const requester = (ctx: ResourceContext): UserInfo => ctx.user;
  const specUser = (_ctx: ResourceContext, spec: Record<string, unknown>): UserInfo => ({
    username: typeof spec.user === 'string' ? spec.user : '',
    uid: typeof spec.uid === 'string' ? spec.uid : undefined,
    groups: Array.isArray(spec.groups) ? (spec.groups as string[]) : [],
    extra: isPlainObject(spec.extra) ? (spec.extra as Record<string, string[]>) : undefined,
  });
  virtual.set(
    'authorization.k8s.io/selfsubjectaccessreviews',
    accessReview('SelfSubjectAccessReview', 'authorization.k8s.io', requester, false),
  );
  virtual.set(
    'authorization.k8s.io/subjectaccessreviews',
    accessReview('SubjectAccessReview', 'authorization.k8s.io', specUser, false),
  );
  virtual.set(
    'authorization.k8s.io/localsubjectaccessreviews',
    accessReview('LocalSubjectAccessReview', 'authorization.k8s.io', specUser, true),
  );
  virtual.set('authorization.k8s.io/selfsubjectrulesreviews', async (ctx, req, res) => {
    const review = await body(req);
    const spec = isPlainObject(review.spec) ? review.spec : {};
    const namespace = typeof spec.namespace === 'string' ? spec.namespace : '';
    const status = deps.rulesReview
      ? deps.rulesReview(ctx.user, namespace)
      : { resourceRules: [], nonResourceRules: [], incomplete: true };
    sendJson(res, 201, {
      kind: 'SelfSubjectRulesReview',
      apiVersion: 'authorization.k8s.io/v1',
      metadata: { creationTimestamp: null },
      spec,
      status,
    });
  });
  virtual.set('authentication.k8s.io/selfsubjectreviews', async (ctx, req, res) => {
    await body(req).catch(() => ({}));
    const userInfo: Record<string, unknown> = {
      username: ctx.user.username,
      groups: ctx.user.groups,
    };
    if (ctx.user.uid) userInfo.uid = ctx.user.uid;
    if (ctx.user.extra) userInfo.extra = ctx.user.extra;
    sendJson(res, 201, {
      kind: 'SelfSubjectReview',
      apiVersion: 'authentication.k8s.io/v1',
      metadata: { creationTimestamp: null },
      status: { userInfo },
    });
  });
  virtual.set('authentication.k8s.io/tokenreviews', async (_ctx, req, res) => {
    const review = await body(req);
    const spec = isPlainObject(review.spec) ? review.spec : {};
    const token = typeof spec.token === 'string' ? spec.token : '';
    if (!token)
      throw invalid('TokenReview', 'authentication.k8s.io', '', [
        fieldErrors.required('spec.token'),
      ]);
    let status: Record<string, unknown>;
    try {
      const user = await deps.tokens.verify(token, deps.getObject);
      status = user
        ? { authenticated: true, user, audiences: deps.tokens.apiAudiences }
        : { authenticated: false, error: 'token not recognized' };
    } catch (err) {
      if (!(err instanceof InvalidTokenError)) throw err;
      status = { authenticated: false, error: err.message };
    }
    sendJson(res, 201, {
      kind: 'TokenReview',
      apiVersion: 'authentication.k8s.io/v1',
      metadata: { creationTimestamp: null },
      spec,
      status,
    });
  });
}
