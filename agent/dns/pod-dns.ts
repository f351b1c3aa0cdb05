// A pod's /etc/resolv.conf as kubelet composes it (pkg/kubelet/network/dns/dns.go: dnsPolicy,
// spec.dnsConfig merged on top, kubelet's limits) and a CRI runtime writes it (search, nameserver,
// options lines).
import type { KubeObject } from '../../main/api/types.ts';

/** Limits kubelet trims to (pkg/apis/core/validation, ExpandedDNSConfig being GA). */
export const MAX_NAMESERVERS = 3;
export const MAX_SEARCH_PATHS = 32;
export const MAX_SEARCH_LIST_CHARS = 2048;
/** glibc aborts on longer search domains, so kubelet drops them (DNS1123SubdomainMaxLength). */
const MAX_SEARCH_DOMAIN_LENGTH = 253;

export interface ResolvConf {
  nameservers: string[];
  searches: string[];
  options: string[];
}

export interface PodResolvConfOptions {
  /** Cluster DNS (kubelet's --cluster-dns). */
  nameserver: string;
  /** kubelet's --cluster-domain; default cluster.local. */
  domain?: string;
  /** The text of the resolv.conf kubelet starts from (its --resolv-conf). */
  hostResolvConf: string;
}

type Obj = Record<string, unknown>;
const obj = (value: unknown): Obj =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Obj) : {};
const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];

/**
 * Parses resolv.conf as kubelet does: nameserver lines accumulate, the last search line and the
 * last options line win, search domains lose a trailing dot, comments are skipped.
 */
export function parseResolvConf(text: string): ResolvConf {
  const out: ResolvConf = { nameservers: [], searches: [], options: [] };
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed.startsWith('#') || trimmed.startsWith(';')) continue;
    const fields = trimmed.split(/\s+/).filter(Boolean);
    if (!fields.length) continue;
    if (fields[0] === 'nameserver' && fields.length >= 2) out.nameservers.push(fields[1]);
    else if (fields[0] === 'search')
      out.searches = fields
        .slice(1)
        .map((s) => s.replace(/\.$/, ''))
        .filter(Boolean);
    else if (fields[0] === 'options') out.options = fields.slice(1);
  }
  return out;
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

/** Options by name (`ndots:5` is named ndots); the pod's value replaces the base's in place. */
function mergeOptions(base: string[], pod: unknown): string[] {
  const merged = new Map<string, string>();
  for (const option of base) {
    const colon = option.indexOf(':');
    if (colon === -1) merged.set(option, '');
    else merged.set(option.slice(0, colon), option.slice(colon + 1));
  }
  for (const option of Array.isArray(pod) ? pod.map(obj) : []) {
    if (typeof option.name !== 'string' || !option.name) continue;
    merged.set(option.name, typeof option.value === 'string' ? option.value : '');
  }
  return [...merged].map(([name, value]) => (value ? `${name}:${value}` : name));
}

/** kubelet's formDNSSearchFitsLimits: count, per-domain length, then total length from the end. */
function fitSearches(searches: string[]): string[] {
  let out = searches.slice(0, MAX_SEARCH_PATHS).filter((s) => s.length <= MAX_SEARCH_DOMAIN_LENGTH);
  let length = out.join(' ').length;
  while (out.length && length > MAX_SEARCH_LIST_CHARS) {
    length -= out[out.length - 1].length + 1;
    out = out.slice(0, -1);
  }
  return out;
}

/** The DNS settings kubelet gives a pod (GetPodDNS), limits applied. */
export function podDnsConfig(pod: KubeObject, options: PodResolvConfOptions): ResolvConf {
  const spec = obj(pod.spec);
  const domain = (options.domain ?? 'cluster.local').replace(/\.$/, '');
  const policy = typeof spec.dnsPolicy === 'string' ? spec.dnsPolicy : 'ClusterFirst';
  const host = parseResolvConf(options.hostResolvConf);
  let config: ResolvConf;
  // kubelet treats a policy it does not know as ClusterFirst (the API server rejects those).
  const clusterFirst =
    policy === 'ClusterFirstWithHostNet' ||
    (policy === 'ClusterFirst' && spec.hostNetwork !== true) ||
    !['ClusterFirst', 'Default', 'None'].includes(policy);
  if (policy === 'None') {
    config = { nameservers: [], searches: [], options: [] };
  } else if (clusterFirst) {
    // Cluster DNS is the only nameserver: it forwards whatever is not the cluster's.
    const namespace = pod.metadata.namespace ?? 'default';
    config = {
      nameservers: [options.nameserver],
      searches: domain
        ? unique([`${namespace}.svc.${domain}`, `svc.${domain}`, domain, ...host.searches])
        : host.searches,
      options: ['ndots:5'],
    };
  } else {
    // Default, and ClusterFirst on the host network: the node's own settings.
    config = host;
  }
  const dnsConfig = spec.dnsConfig === undefined ? undefined : obj(spec.dnsConfig);
  if (dnsConfig) {
    config = {
      nameservers: unique([...config.nameservers, ...strings(dnsConfig.nameservers)]),
      searches: unique([...config.searches, ...strings(dnsConfig.searches)]),
      options: mergeOptions(config.options, dnsConfig.options),
    };
  }
  return {
    nameservers: config.nameservers.slice(0, MAX_NAMESERVERS),
    searches: fitSearches(config.searches),
    options: config.options,
  };
}

/** resolv.conf text in the layout CRI runtimes write (search, nameserver lines, options). */
export function formatResolvConf(config: ResolvConf): string {
  let text = '';
  if (config.searches.length) text += `search ${config.searches.join(' ')}\n`;
  for (const server of config.nameservers) text += `nameserver ${server}\n`;
  if (config.options.length) text += `options ${config.options.join(' ')}\n`;
  return text;
}

/** The /etc/resolv.conf a pod gets. */
export function podResolvConf(pod: KubeObject, options: PodResolvConfOptions): string {
  return formatResolvConf(podDnsConfig(pod, options));
}
