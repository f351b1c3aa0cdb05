// What the agent tells netd (the wire contract of PUT /v1/services, /v1/dns and /v1/ingress): the
// agent watches the API and computes these; netd only serves them, applying each new document as
// a diff so unchanged Services, records and routes keep their listeners and connections.
// Only types here: this file is bundled into netd's image and imported by the agent.

/** A ready backend: a pod IP and the container port the Service's targetPort resolved to. */
export interface Endpoint {
  ip: string;
  port: number;
}

/** One port of a Service, on every one of its VIPs (kube-proxy's ServicePort). */
export interface ServicePortConfig {
  /** The port's name ('' when the Service has one unnamed port). */
  name: string;
  protocol: 'TCP' | 'UDP';
  /** The Service port netd listens on at each VIP. */
  port: number;
  /** Ready endpoints only, with targetPort resolved per pod (named ports differ between pods). */
  endpoints: Endpoint[];
  /**
   * The port leads to the API server on the host (the `kubernetes` Service): netd hands each
   * connection to the agent through a host tunnel instead of dialing an endpoint.
   */
  toHost?: boolean;
}

export interface ServiceConfig {
  /** `namespace/name`. */
  key: string;
  /** The ClusterIPs netd hosts (IPv4); empty for headless Services, which have no proxy. */
  vips: string[];
  ports: ServicePortConfig[];
  /** `sessionAffinity: ClientIP`: how long a client stays pinned; absent for `None`. */
  affinityTimeoutSeconds?: number;
}

/** PUT /v1/services: the whole set; VIPs and ports not listed any more are removed. */
export interface ServicesConfig {
  services: ServiceConfig[];
}

export interface SrvRecord {
  priority: number;
  weight: number;
  port: number;
  /** A lower-case FQDN without the trailing dot. */
  target: string;
}

/** The records one name has; a name present with no record of the asked type answers NODATA. */
export interface DnsRecords {
  a?: string[];
  srv?: SrvRecord[];
  /** ExternalName Services: a lower-case FQDN without the trailing dot. */
  cname?: string;
  ptr?: string[];
}

/** PUT /v1/dns: cluster DNS (the CoreDNS `kubernetes` plugin's role). */
export interface DnsConfig {
  /** The cluster domain (`cluster.local`): unknown names under it are NXDOMAIN at once. */
  domain: string;
  /** Keyed by lower-case FQDN without the trailing dot. */
  records: Record<string, DnsRecords>;
  /** TTL of answers, seconds (CoreDNS's kubernetes plugin: 5 by default; we use 5 too). */
  ttl: number;
  /**
   * Resolvers for every other name, as `ip` or `ip:port`; default: the nameservers of netd's own
   * /etc/resolv.conf (Docker's embedded resolver on a user-defined network).
   */
  upstream?: string[];
}

/** Where an Ingress path leads: one Service port's ready endpoints. */
export interface IngressBackend {
  /** `namespace/name:port`, for messages and logs. */
  service: string;
  /** Empty: answered 503 Service Unavailable. */
  endpoints: Endpoint[];
}

export interface IngressPath {
  /** Starts with '/'. */
  path: string;
  pathType: 'Exact' | 'Prefix' | 'ImplementationSpecific';
  backend: IngressBackend;
}

export interface IngressHost {
  /** '' matches any host; `*.example.com` matches exactly one label in place of the '*'. */
  host: string;
  paths: IngressPath[];
}

export interface IngressTls {
  /** SNI names this certificate serves (wildcards as in IngressHost). */
  hosts: string[];
  /** PEM. */
  cert: string;
  key: string;
}

/** PUT /v1/ingress: the merged rules of every Ingress of the `skiff` class, oldest Ingress first. */
export interface IngressConfig {
  hosts: IngressHost[];
  /** Requests no rule matches; absent: 404. */
  defaultBackend?: IngressBackend;
  tls: IngressTls[];
  /** Served to TLS clients whose SNI no IngressTls covers (PEM). */
  defaultCertificate: { cert: string; key: string };
}

/** Ports netd listens on inside the cluster network for the Ingress controller. */
export const INGRESS_HTTP_PORT = 80;
export const INGRESS_HTTPS_PORT = 443;

/**
 * The host tunnel (`Upgrade: skiff-host-tunnel` on /v1/host-tunnel): the agent keeps a few of
 * these open; to reach the host netd takes an idle one and writes this byte, upon which the agent
 * dials the API server and pipes both ways.
 */
export const HOST_TUNNEL_PROTOCOL = 'skiff-host-tunnel';
export const HOST_TUNNEL_GO = 0x01;
