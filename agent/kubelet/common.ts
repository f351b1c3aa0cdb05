// Small helpers every kubelet in Skiff shares (simulated and Docker nodes): time formats as the
// API serializes them, structural equality for "write only when it changed", and node identity.
import type { KubeObject } from '../../main/api/types.ts';

export type Obj = Record<string, unknown>;

/** The kubelet version every Skiff node reports (nodeInfo.kubeletVersion, `kubectl get nodes`). */
export const KUBELET_VERSION = 'v1.35.0';

/** metav1.Time: seconds precision RFC 3339. */
export function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}

/** metav1.MicroTime, as Lease renewTime is serialized. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/Z$/, '000Z');
}

/** Go's GOARCH for this process (kubernetes.io/arch, nodeInfo.architecture). */
export function goArch(arch: string = process.arch): string {
  if (arch === 'x64') return 'amd64';
  if (arch === 'ia32') return '386';
  return arch;
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((v, i) => deepEqual(v, bb[i]));
  }
  const ao = a as Obj;
  const bo = b as Obj;
  const keys = new Set([...Object.keys(ao), ...Object.keys(bo)]);
  for (const k of keys) if (!deepEqual(ao[k], bo[k])) return false;
  return true;
}

export function specOf(pod: KubeObject): Obj {
  return (pod.spec ?? {}) as Obj;
}

export function statusOf(pod: KubeObject): Obj {
  return (pod.status ?? {}) as Obj;
}

export function restartPolicyOf(pod: KubeObject): string {
  const policy = specOf(pod).restartPolicy;
  return typeof policy === 'string' ? policy : 'Always';
}

export function containersOf(spec: Obj, field: 'containers' | 'initContainers'): Obj[] {
  return Array.isArray(spec[field]) ? (spec[field] as Obj[]) : [];
}

export function isTerminalPhase(phase: unknown): boolean {
  return phase === 'Succeeded' || phase === 'Failed';
}

/** kubelet's format.Pod: `name_namespace(uid)`, as its messages name a pod. */
export function podDescription(pod: KubeObject): string {
  return `${pod.metadata.name ?? ''}_${pod.metadata.namespace ?? ''}(${pod.metadata.uid ?? ''})`;
}

/** A string field of an unstructured object ('' when absent or not a string/number). */
export function str(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return '';
}
