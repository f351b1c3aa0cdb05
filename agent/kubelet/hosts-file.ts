// The /etc/hosts kubelet writes for each pod (pkg/kubelet/kubelet_pods.go managedHostsFileContent):
// localhost entries, the pod's own addresses under its hostname (and FQDN when it has a
// subdomain), then the pod's hostAliases.
import type { KubeObject } from '../../main/api/types.ts';

type Obj = Record<string, unknown>;
const obj = (value: unknown): Obj =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Obj) : {};
const arr = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const str = (value: unknown): string => (typeof value === 'string' ? value : '');

/** The pod's hostname as kubelet sets it: spec.hostname, else the pod name cut to 63 characters. */
export function podHostname(pod: KubeObject): string {
  const spec = obj(pod.spec);
  const name = str(spec.hostname) || (pod.metadata.name ?? '');
  // kubelet truncates a long pod name and drops what would end it with '-' or '.'.
  return name.slice(0, 63).replace(/[-.]+$/, '');
}

/** `<subdomain>.<namespace>.svc.<domain>` when the pod has a subdomain, else ''. */
export function podDomainName(pod: KubeObject, clusterDomain: string): string {
  const subdomain = str(obj(pod.spec).subdomain);
  return subdomain ? `${subdomain}.${pod.metadata.namespace ?? ''}.svc.${clusterDomain}` : '';
}

export function podHostsFile(pod: KubeObject, podIPs: string[], clusterDomain: string): string {
  const hostname = podHostname(pod);
  const domain = podDomainName(pod, clusterDomain);
  let text =
    '# Kubernetes-managed hosts file.\n' +
    '127.0.0.1\tlocalhost\n' +
    '::1\tlocalhost ip6-localhost ip6-loopback\n' +
    'fe00::0\tip6-localnet\n' +
    'fe00::0\tip6-mcastprefix\n' +
    'fe00::1\tip6-allnodes\n' +
    'fe00::2\tip6-allrouters\n';
  for (const ip of podIPs)
    text += domain ? `${ip}\t${hostname}.${domain}\t${hostname}\n` : `${ip}\t${hostname}\n`;
  const aliases = arr(obj(pod.spec).hostAliases).map(obj);
  if (aliases.length) {
    text += '\n# Entries added by HostAliases.\n';
    for (const alias of aliases)
      text += `${str(alias.ip)}\t${arr(alias.hostnames).map(str).join('\t')}\n`;
  }
  return text;
}
