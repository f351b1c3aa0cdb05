// The HTTPS front of the API server (kube-apiserver's handler chain): TLS with client
// certificates, authentication, RBAC authorization, then the non-resource endpoints
// (version, health, discovery, OpenAPI) and the resource handlers.
import https from 'node:https';
import { ServerResponse, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { AddressInfo, Socket } from 'node:net';
import { StatusError, forbidden } from '../api/status.ts';
import type { UserInfo } from '../api/user.ts';
import { requestInfoFor, type RequestInfo } from './http/request-info.ts';
import { impersonate } from './http/impersonation.ts';
import { OPENAPI_V2_PROTOBUF, emptyOpenApiV2Document } from './openapi/v2-document.ts';
import { sendError, sendJson, sendText } from './http/respond.ts';
import { apiGroup, apiGroupList, apiResourceList, apiVersions } from './discovery/discovery.ts';
import type { ResourceCatalog } from './registry/catalog.ts';
import type { ResourceHandler } from './handlers/resource.ts';
import type { WatchHandle } from './handlers/watch.ts';
import type { MetricsApi } from './metrics/metrics-api.ts';
import { METRICS_GROUP } from './metrics/resource-metrics.ts';
import { CONNECT_SUBRESOURCES, markUpgrade } from './subresources/upgrade-requests.ts';

export const KUBERNETES_VERSION = {
  major: '1',
  minor: '35',
  gitVersion: 'v1.35.0-skiff',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2026-11-01T00:00:00Z',
  goVersion: 'go1.25.0',
  compiler: 'gc',
  platform: `${process.platform === 'win32' ? 'windows' : process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`,
};

export interface Authenticator {
  /** undefined = no credentials presented; throws 401 StatusError for bad ones. */
  authenticate(req: IncomingMessage): Promise<UserInfo | undefined>;
}

export interface Authorizer {
  authorize(
    user: UserInfo,
    request: RequestInfo,
  ): { allowed: boolean; message: string; error?: StatusError };
}

export interface OpenApiService {
  handle(
    pathname: string,
    hash?: string | null,
    ifNoneMatch?: string | null,
  ): { status: number; headers: Record<string, string>; body: string } | undefined;
}

export interface ApiServerOptions {
  host: string;
  port: number;
  tls: { cert: string; key: string; ca: string };
  catalog: ResourceCatalog;
  resources: ResourceHandler;
  authenticator: Authenticator;
  authorizer: Authorizer;
  openapi: OpenApiService;
  watches: Set<WatchHandle>;
  /** Extra health checks for /readyz (name → ok). */
  readyChecks?: Record<string, () => boolean>;
  /** metrics.k8s.io, served in process where a real cluster aggregates metrics-server. */
  metrics?: MetricsApi;
}

const PUBLIC_PATHS = new Set(['/healthz', '/livez', '/readyz', '/version', '/version/']);

export class ApiServer {
  private server: https.Server | undefined;
  private sockets = new Set<Socket>();
  port = 0;

  constructor(private readonly options: ApiServerOptions) {}

  async start(): Promise<void> {
    const { tls } = this.options;
    const server = https.createServer(
      {
        cert: tls.cert,
        key: tls.key,
        ca: tls.ca,
        requestCert: true,
        rejectUnauthorized: false,
        ALPNProtocols: ['http/1.1'],
      },
      (req, res) => void this.handle(req, res),
    );
    server.keepAliveTimeout = 65_000;
    server.headersTimeout = 66_000;
    server.requestTimeout = 0; // watches and streams run long; kube bounds them itself.
    server.on('secureConnection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    server.on('tlsClientError', () => undefined);
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) =>
      this.upgrade(req, socket, head),
    );
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port, this.options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.port = (server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    for (const watch of this.options.watches) watch.close();
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    setTimeout(() => {
      for (const socket of this.sockets) socket.destroy();
    }, 200).unref();
    await closed;
  }

  /**
   * Upgrade requests (WebSocket exec/attach/portforward, SPDY) go through the same chain as any
   * request; a handler that does not take the connection over answers through a response bound to
   * the raw socket, which is then closed.
   */
  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => undefined);
    markUpgrade(req, { socket, head });
    const res = new ServerResponse(req);
    res.shouldKeepAlive = false;
    res.assignSocket(socket as Parameters<ServerResponse['assignSocket']>[0]);
    res.on('finish', () => {
      res.detachSocket(socket as Parameters<ServerResponse['detachSocket']>[0]);
      socket.end();
    });
    void this.handle(req, res);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', 'https://localhost');
      const method = req.method ?? 'GET';
      let user = await this.options.authenticator.authenticate(req);
      const path = url.pathname;
      if (!user) {
        if (
          !PUBLIC_PATHS.has(path) &&
          !path.startsWith('/readyz') &&
          !path.startsWith('/livez') &&
          !path.startsWith('/healthz')
        ) {
          throw new StatusError(401, 'Unauthorized', 'Unauthorized');
        }
        user = { username: 'system:anonymous', groups: ['system:unauthenticated'] };
      }
      const info = requestInfoFor(method, url);
      user = impersonate(user, req.headers, (caller, attrs) =>
        this.options.authorizer.authorize(caller, attrs),
      );
      if (user.username !== 'system:anonymous') {
        const decision = this.options.authorizer.authorize(user, info);
        if (!decision.allowed) throw decision.error ?? forbidden(decision.message);
        // A WebSocket GET to exec/attach/portforward must also be allowed to create them, as the
        // SPDY POST is (kube-apiserver's AuthorizePodWebsocketUpgradeCreatePermission).
        if (
          info.verb === 'get' &&
          info.resource === 'pods' &&
          info.apiGroup === '' &&
          CONNECT_SUBRESOURCES.has(info.subresource)
        ) {
          const create = this.options.authorizer.authorize(user, { ...info, verb: 'create' });
          if (!create.allowed) throw create.error ?? forbidden(create.message);
        }
      }
      if (!info.isResourceRequest) return this.nonResource(method, url, req, res);
      if (info.apiGroup === METRICS_GROUP && this.options.metrics)
        return this.options.metrics.handle(info, url, req, res);
      await this.options.resources.handle(info, url, user, req, res);
    } catch (err) {
      sendError(res, err);
    }
  }

  private nonResource(method: string, url: URL, req: IncomingMessage, res: ServerResponse): void {
    const path = url.pathname.replace(/\/+$/, '') || '/';
    if (method !== 'GET' && method !== 'HEAD')
      throw new StatusError(
        405,
        'MethodNotAllowed',
        'the server does not allow this method on the requested resource',
      );
    const { catalog } = this.options;
    if (path === '/version') return sendJson(res, 200, KUBERNETES_VERSION);
    if (path === '/healthz' || path === '/livez') return sendText(res, 200, 'ok');
    if (path === '/readyz') {
      const failing = Object.entries(this.options.readyChecks ?? {}).filter(
        ([, check]) => !check(),
      );
      if (failing.length)
        return sendText(
          res,
          500,
          failing.map(([name]) => `[-]${name} failed`).join('\n') + '\nreadyz check failed',
        );
      return sendText(res, 200, 'ok');
    }
    if (path.startsWith('/healthz/') || path.startsWith('/livez/') || path.startsWith('/readyz/'))
      return sendText(res, 200, 'ok');
    if (path === '/api') return sendJson(res, 200, apiVersions(`127.0.0.1:${this.port}`));
    const metrics = this.options.metrics;
    if (path === '/apis') {
      const groups = apiGroupList(catalog) as { groups: unknown[] };
      return sendJson(res, 200, metrics ? metrics.addToGroupList(groups) : groups);
    }
    const metricsDiscovery = metrics?.discovery(path);
    if (metricsDiscovery) return sendJson(res, 200, metricsDiscovery);
    const groupMatch = /^\/apis\/([^/]+)$/.exec(path);
    if (groupMatch) {
      const versions = catalog.groups().get(groupMatch[1]);
      if (versions)
        return sendJson(res, 200, {
          kind: 'APIGroup',
          apiVersion: 'v1',
          ...(apiGroup(groupMatch[1], versions) as object),
        });
    }
    const versionMatch = /^\/api\/(v1)$/.exec(path) ?? /^\/apis\/([^/]+\/[^/]+)$/.exec(path);
    if (versionMatch) {
      const [group, version] = path.startsWith('/api/')
        ? ['', versionMatch[1]]
        : versionMatch[1].split('/');
      const list = apiResourceList(catalog, group, version);
      if (list) return sendJson(res, 200, list);
    }
    if (path === '/openapi/v2') {
      const body = emptyOpenApiV2Document(KUBERNETES_VERSION.gitVersion);
      const json = !(req.headers.accept ?? '').includes('protobuf');
      const payload = json
        ? JSON.stringify({
            swagger: '2.0',
            info: { title: 'Kubernetes', version: KUBERNETES_VERSION.gitVersion },
            paths: {},
          })
        : body;
      res.writeHead(200, {
        'Content-Type': json ? 'application/json' : OPENAPI_V2_PROTOBUF,
        'Content-Length': payload.length,
      });
      res.end(payload);
      return;
    }
    if (path === '/openapi/v3' || path.startsWith('/openapi/v3/')) {
      const answer = this.options.openapi.handle(
        path,
        url.searchParams.get('hash'),
        req.headers['if-none-match'],
      );
      if (answer) {
        res.writeHead(answer.status, {
          'Content-Length': Buffer.byteLength(answer.body),
          ...answer.headers,
        });
        res.end(answer.body);
        return;
      }
    }
    throw new StatusError(404, 'NotFound', 'the server could not find the requested resource');
  }
}

export function peerCertificateOf(req: IncomingMessage): {
  authorized: boolean;
  subject?: { CN?: string; O?: string | string[] };
} {
  const socket = req.socket as TLSSocket;
  const cert =
    typeof socket.getPeerCertificate === 'function' ? socket.getPeerCertificate() : undefined;
  if (!cert || Object.keys(cert).length === 0) return { authorized: false };
  return {
    authorized: socket.authorized,
    subject: cert.subject as { CN?: string; O?: string | string[] },
  };
}
