// Store keys for API objects, laid out like kube-apiserver's etcd keys (/registry/<resource>/<ns>/<name>).
import type { ResourceInfo } from './resources.ts';

export function storagePrefix(info: ResourceInfo, namespace?: string): string {
  const group = info.storage?.group ?? info.group;
  const base = `/registry/${group || 'core'}/${info.storage?.plural ?? info.plural}/`;
  return info.namespaced && namespace ? `${base}${namespace}/` : base;
}

export function storageKey(info: ResourceInfo, namespace: string, name: string): string {
  return info.namespaced
    ? `${storagePrefix(info, namespace)}${name}`
    : `${storagePrefix(info)}${name}`;
}
