// The control plane in one process, started in order as k3s does: PKI and store, then the API
// server with its registries and admission chain, then the built-in objects every cluster has.
// Later components (scheduler, controllers, node agents) join as API clients.
import fs from 'node:fs/promises';
import path from 'node:path';
import net from 'node:net';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { openStore } from '../store/nedb-store.ts';
import type { Store } from '../store/types.ts';
import { loadOrCreatePki, type Pki } from '../apiserver/auth/pki.ts';
import { authenticateRequest, type StaticToken } from '../apiserver/auth/authenticate.ts';
import {
  ServiceAccountTokens,
  type ObjectGetter,
} from '../apiserver/auth/service-account-tokens.ts';
import {
  authorize,
  forbiddenError,
  forbiddenMessage,
  subjectRulesReviewStatus,
  type RbacObjects,
} from '../apiserver/auth/rbac.ts';
import { renderKubeconfig } from '../apiserver/auth/kubeconfig.ts';
import { ResourceCatalog } from '../apiserver/registry/catalog.ts';
import { ObjectRegistry } from '../apiserver/registry/rest.ts';
import { BUILTIN_RESOURCES, type ResourceInfo } from '../apiserver/registry/resources.ts';
import { storagePrefix } from '../apiserver/registry/keys.ts';
import { CrdRegistry } from '../apiserver/crd/crd-registry.ts';
import { ResourceHandler, type SubresourceHandler } from '../apiserver/handlers/resource.ts';
import type { WatchHandle } from '../apiserver/handlers/watch.ts';
import { ListView } from '../apiserver/handlers/list-view.ts';
import { ApiServer } from '../apiserver/server.ts';
import { namespaceLifecycle } from '../apiserver/admission/namespace-lifecycle.ts';
import { ServiceAllocator, serviceAllocation } from '../apiserver/admission/service-allocation.ts';
import { limitRanger } from '../apiserver/admission/limit-ranger.ts';
import { defaultStorageClassAdmission } from '../controllers/volume/default-storage-class.ts';
import { resourceQuota } from '../apiserver/admission/resource-quota.ts';
import { serviceAccountAdmission } from '../apiserver/admission/service-account.ts';
import { createSemantics } from '../apiserver/semantics/semantics.ts';
import { createViewDeps } from '../apiserver/semantics/view.ts';
import { createOpenApiService } from '../apiserver/semantics/openapi-service.ts';
import { registerSubresources } from '../apiserver/subresources/register.ts';
import { MetricsApi, registryObjects } from '../apiserver/metrics/metrics-api.ts';
import { bootstrapCluster } from './bootstrap.ts';
import { NamespaceController } from '../controllers/namespace/namespace-controller.ts';
import { LocalClient } from '../client/local-client.ts';
import { InformerFactory } from '../client/informer.ts';
import { ControllerManager } from '../controllers/controller-manager.ts';
import { controllers } from '../controllers/index.ts';
import { registryBinder } from '../scheduler/binder.ts';
import { SimulatedNodes } from '../../agent/simulated/simulated-nodes.ts';
import { planClusterNetwork, type ClusterNetworkPlan } from '../api/cluster-network.ts';
import type { DockerNode } from '../../agent/docker/docker-node.ts';
import type { KubeObject } from '../api/types.ts';
import type { UserInfo } from '../api/user.ts';

export interface ControlPlaneOptions {
  dataDir: string;
  apiPort: number;
  /** When false, a taken port makes the server move to a free one instead of failing. */
  apiPortExplicit: boolean;
  /** Pod and Service addresses (--cluster-cidr; default DEFAULT_CLUSTER_CIDR). */
  clusterCidr?: string;
  log?: (line: string) => void;
  /** Simulated (kwok-like) nodes to register: pods bound to them run as status only. */
  simulatedNodes?: number;
  /** Run the scheduler and controllers (default true; the API-only test harness turns them off). */
  controllers?: boolean;
  /**
   * Run the Docker node (kubelet on the local Docker engine). Default: whenever the controllers
   * run, so the API-only harness never touches Docker; the CLI's --no-docker sets false.
   */
  docker?: boolean;
  /** Docker node name (default: the host name as a DNS-1123 subdomain). */
  nodeName?: string;
  /** Image of each pod's sandbox container (default registry.k8s.io/pause:3.10). */
  sandboxImage?: string;
  /** Base image netd is built on (default node:20-alpine). */
  netdBaseImage?: string;
  /** Host ports of the Ingress controller on 127.0.0.1 (default 80 and 443; 0 = any free port). */
  ingressHttpPort?: number;
  ingressHttpsPort?: number;
}

const ADMIN_GROUPS = ['system:masters', 'system:authenticated'];

export class PortInUseError extends Error {}

export class ControlPlane {
  store!: Store;
  pki!: Pki;
  registry!: ObjectRegistry;
  catalog!: ResourceCatalog;
  api!: ApiServer;
  tokens!: ServiceAccountTokens;
  kubeconfigPath = '';
  port = 0;
  private watches = new Set<WatchHandle>();
  private namespaces: NamespaceController | undefined;
  private informers: InformerFactory | undefined;
  private controllerManager: ControllerManager | undefined;
  simulated: SimulatedNodes | undefined;
  docker: DockerNode | undefined;
  network!: ClusterNetworkPlan;
  private started = false;

  constructor(private readonly options: ControlPlaneOptions) {}

  get url(): string {
    return `https://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const { dataDir } = this.options;
    const log = this.options.log ?? (() => undefined);
    await fs.mkdir(dataDir, { recursive: true, mode: 0o700 });
    const network = (this.network = planClusterNetwork(this.options.clusterCidr));
    const allocator = new ServiceAllocator({
      serviceCidr: network.serviceRange,
      nodePortMin: 30000,
      nodePortMax: 32767,
    });
    const [pki, store] = await Promise.all([
      loadOrCreatePki(path.join(dataDir, 'pki'), [allocator.firstIp]),
      openStore({ dataDir: path.join(dataDir, 'store') }),
    ]);
    this.pki = pki;
    this.store = store;
    this.tokens = await ServiceAccountTokens.create({
      privateKeyPem: pki.serviceAccountPrivateKeyPem,
      publicKeyPem: pki.serviceAccountPublicKeyPem,
    });

    const catalog = (this.catalog = new ResourceCatalog());
    const crds = new CrdRegistry(catalog);
    const semantics = createSemantics({ crds, catalog });
    const info = (group: string, kind: string) =>
      BUILTIN_RESOURCES.find(
        (r) => r.group === group && r.kind === kind && r.storageVersion === undefined,
      )!;
    const getObject = (resource: ResourceInfo, namespace: string, name: string) =>
      store.get(`${storagePrefix(resource, namespace)}${name}`);
    const listIn = (resource: ResourceInfo, namespace?: string) =>
      store.list(storagePrefix(resource, namespace)).items;
    allocator.load(listIn(info('', 'Service')));

    const registry = (this.registry = new ObjectRegistry(store, semantics, [
      namespaceLifecycle((name) => getObject(info('', 'Namespace'), '', name)),
      serviceAccountAdmission((namespace, name) =>
        getObject(info('', 'ServiceAccount'), namespace, name),
      ),
      limitRanger((namespace) => listIn(info('', 'LimitRange'), namespace)),
      defaultStorageClassAdmission(() => listIn(info('storage.k8s.io', 'StorageClass'))),
      serviceAllocation(allocator, (namespace, name) =>
        getObject(info('', 'Service'), namespace, name),
      ),
      resourceQuota({
        quotas: (namespace) => listIn(info('', 'ResourceQuota'), namespace),
        objects: (resource, namespace) => listIn(resource, namespace),
      }),
    ]));
    semantics.attach(registry);

    const subresources = new Map<string, SubresourceHandler>();
    const virtual = new Map<string, SubresourceHandler>();
    const getter: ObjectGetter = async (resource, namespace, name) => {
      const kinds: Record<string, string> = {
        serviceaccounts: 'ServiceAccount',
        pods: 'Pod',
        secrets: 'Secret',
        nodes: 'Node',
      };
      return Promise.resolve(getObject(info('', kinds[resource]), namespace, name));
    };
    const rbacCache = new RbacCache(store);
    const authorizeUser = (user: UserInfo, attributes: Parameters<typeof authorize>[0]) =>
      authorize({ ...attributes, user }, rbacCache.objects());
    registerSubresources({
      registry,
      catalog,
      tokens: this.tokens,
      subresources,
      virtual,
      authorize: authorizeUser,
      getObject: getter,
      rulesReview: (user, namespace) =>
        subjectRulesReviewStatus(user, namespace, rbacCache.objects()),
    });

    const handler = new ResourceHandler({
      store,
      catalog,
      registry,
      view: new ListView(createViewDeps({ crds, semantics })),
      subresources,
      virtual,
      watches: this.watches,
      minRequestTimeoutSeconds: 1800,
    });
    const adminToken = await loadOrCreateToken(path.join(dataDir, 'pki', 'admin.token'));
    const staticTokens: StaticToken[] = [
      { token: adminToken, user: { username: 'skiff-admin', groups: ADMIN_GROUPS } },
    ];

    // Built-in objects and CRDs come back before the server answers anyone.
    for (const crd of listIn(info('apiextensions.k8s.io', 'CustomResourceDefinition')))
      crds.register(crd);
    await bootstrapCluster({
      registry,
      catalog,
      store,
      kubernetesServiceIp: allocator.firstIp,
      apiPort: () => this.port,
    });

    const openapi = createOpenApiService(catalog, crds);
    const certificateUsers = new WeakMap<TLSSocket, UserInfo>();
    const makeServer = (port: number) =>
      new ApiServer({
        host: '127.0.0.1',
        port,
        tls: { cert: pki.servingCertPem, key: pki.servingKeyPem, ca: pki.caCertPem },
        catalog,
        resources: handler,
        watches: this.watches,
        openapi,
        metrics: new MetricsApi(registryObjects(registry)),
        authenticator: {
          authenticate: async (req: IncomingMessage) => {
            const socket = req.socket as TLSSocket;
            // A verified client certificate names the user for the whole connection.
            const known = certificateUsers.get(socket);
            if (known) return known;
            const user = await authenticateRequest({
              authorizationHeader: req.headers.authorization,
              peerCertificate: socket.getPeerCertificate?.() ?? {},
              peerCertificateAuthorized: socket.authorized,
              staticTokens,
              verifyServiceAccountToken: (token) => this.tokens.verify(token, getter),
            });
            if (user && socket.authorized && !req.headers.authorization)
              certificateUsers.set(socket, user);
            return user;
          },
        },
        authorizer: {
          authorize: (user, request) => {
            const attributes = {
              user,
              verb: request.verb,
              isResourceRequest: request.isResourceRequest,
              apiGroup: request.apiGroup,
              apiVersion: request.apiVersion,
              resource: request.resource,
              subresource: request.subresource,
              namespace: request.namespace,
              name: request.name,
              path: request.path,
            };
            const decision = authorize(attributes, rbacCache.objects());
            if (decision.allowed) return { allowed: true, message: '' };
            return {
              allowed: false,
              message: forbiddenMessage(attributes, decision.reason),
              error: forbiddenError(attributes, decision.reason),
            };
          },
        },
      });

    let port = this.options.apiPort;
    if (port !== 0 && !(await portIsFree(port))) {
      if (this.options.apiPortExplicit) {
        await store.close();
        throw new PortInUseError(
          `port ${port} on 127.0.0.1 is already in use (--api-port); choose another port or 0 for any free port`,
        );
      }
      log(`port ${port} on 127.0.0.1 is in use; the API server takes a free port instead`);
      port = 0;
    }
    this.api = makeServer(port);
    await this.api.start();
    this.port = this.api.port;
    // The kubernetes Endpoints follow the port actually served.
    await bootstrapCluster({
      registry,
      catalog,
      store,
      kubernetesServiceIp: allocator.firstIp,
      apiPort: () => this.port,
      endpointsOnly: true,
    });

    this.kubeconfigPath = path.join(dataDir, 'kubeconfig.yaml');
    const kubeconfig = renderKubeconfig({
      server: this.url,
      caCertPem: pki.caCertPem,
      clientCertPem: pki.adminCertPem,
      clientKeyPem: pki.adminKeyPem,
      contextName: 'skiff',
    });
    await writeAtomic(this.kubeconfigPath, kubeconfig, 0o600);
    // Controllers that the API's own semantics depend on (namespace deletion completes).
    this.namespaces = new NamespaceController(registry, catalog, log);
    this.namespaces.start();
    if (this.options.controllers !== false) {
      // kube-controller-manager and kube-scheduler: API clients sharing informers.
      this.informers = new InformerFactory(this.client('informers'));
      const informers = this.informers;
      this.controllerManager = new ControllerManager(
        informers,
        controllers({ caCertPem: pki.caCertPem, bind: registryBinder(registry) }),
        (name) => ({
          client: this.client(
            name,
            name === 'kube-scheduler' ? 'kube-scheduler' : 'kube-controller-manager',
          ),
          informers,
          log,
        }),
      );
      this.controllerManager.start();
    }
    if (this.options.simulatedNodes) {
      this.simulated = new SimulatedNodes({
        client: this.client('simulated-kubelet', 'kubelet'),
        count: this.options.simulatedNodes,
        log,
        informers: this.informers,
      });
      await this.simulated.start();
    }
    if (this.options.docker ?? this.options.controllers !== false) {
      // Loaded only when wanted: dockerode and its transports cost start time and memory.
      const { DockerNode } = await import('../../agent/docker/docker-node.ts');
      const docker = new DockerNode({
        client: this.client('docker-kubelet', 'kubelet'),
        nodeName: this.options.nodeName,
        sandboxImage: this.options.sandboxImage,
        netdBaseImage: this.options.netdBaseImage,
        ingressPorts: {
          http: this.options.ingressHttpPort ?? 80,
          https: this.options.ingressHttpsPort ?? 443,
        },
        apiServer: () => ({ host: '127.0.0.1', port: this.port }),
        network: this.network,
        informers: this.informers,
        log,
        dataDir,
        requestToken: (ns, sa, body) => this.tokens.createTokenRequest(ns, sa, body, getter),
      });
      try {
        await docker.start();
        this.docker = docker;
      } catch (err) {
        // No Docker node is a degraded cluster, not a reason to stop the control plane.
        await docker.stop();
        log(`docker node: ${(err as Error).message}`);
      }
    }
    this.started = true;
  }

  /** An in-process API client acting as `name` (a system component with full access). */
  client(name: string, fieldManager = name): LocalClient {
    return new LocalClient(
      this.registry,
      this.catalog,
      {
        username: `system:serviceaccount:kube-system:${name}`,
        groups: ['system:masters', 'system:authenticated'],
      },
      fieldManager,
    );
  }

  async stop(): Promise<void> {
    if (!this.started && !this.store) return;
    this.started = false;
    await this.docker?.stop();
    await this.simulated?.stop();
    await this.controllerManager?.stop();
    await this.namespaces?.stop();
    await this.api?.stop();
    await this.store?.close();
  }
}

/** RBAC objects read from the store, rebuilt only when one of them changed. */
class RbacCache {
  private cached: RbacObjects | undefined;
  private readonly prefixes: string[];

  constructor(private readonly store: Store) {
    const rbac = (kind: string) =>
      BUILTIN_RESOURCES.find((r) => r.group === 'rbac.authorization.k8s.io' && r.kind === kind)!;
    this.prefixes = ['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding'].map((kind) =>
      storagePrefix(rbac(kind)),
    );
    // A new value after every change: the authorizer caches its indexes per value.
    for (const prefix of this.prefixes)
      store.watch(prefix, store.revision, () => (this.cached = undefined));
  }

  objects(): RbacObjects {
    if (!this.cached) {
      const [roles, clusterRoles, roleBindings, clusterRoleBindings] = this.prefixes.map(
        (prefix) => this.store.list(prefix).items,
      );
      this.cached = { roles, clusterRoles, roleBindings, clusterRoleBindings };
    }
    return this.cached;
  }
}

async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

async function loadOrCreateToken(file: string): Promise<string> {
  try {
    const token = (await fs.readFile(file, 'utf8')).trim();
    if (token) return token;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new Error(`cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
  const { randomBytes } = await import('node:crypto');
  const token = randomBytes(32).toString('base64url');
  await writeAtomic(file, `${token}\n`, 0o600);
  return token;
}

async function writeAtomic(file: string, data: string, mode: number): Promise<void> {
  const temp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(temp, data, { mode });
  await fs.rename(temp, file);
}

export type { KubeObject };
