// What kubelet's container manager computes before it creates a container
// (pkg/kubelet/kubelet_pods.go makeEnvironmentVariables, kuberuntime_container.go
// generateContainerConfig): the environment from env/envFrom with $(VAR) expansion, the command
// and arguments, and the Docker create options. Pure: ConfigMaps and Secrets come through `lookup`.
import type { ContainerCreateOptions } from 'dockerode';
import type { KubeObject } from '../../main/api/types.ts';
import { parseQuantity, quantityMilliValue, quantityValue } from '../../main/api/quantity.ts';
import { specOf, str, type Obj } from '../kubelet/common.ts';

/** A container cannot be configured (kubelet's CreateContainerConfigError). */
export class ContainerConfigError extends Error {}

export interface ObjectLookup {
  configMap(namespace: string, name: string): KubeObject | undefined;
  secret(namespace: string, name: string): KubeObject | undefined;
}

export interface PodAddresses {
  podIP?: string;
  hostIP: string;
}

/**
 * Expands $(VAR) references from `vars` as kubelet's expansion does: `$$` escapes, an unknown
 * reference is left as written.
 */
export function expandVars(text: string, vars: ReadonlyMap<string, string>): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch !== '$' || i + 1 >= text.length) {
      out += ch;
      continue;
    }
    const next = text[i + 1];
    if (next === '$') {
      out += '$';
      i++;
    } else if (next === '(') {
      const close = text.indexOf(')', i + 2);
      if (close < 0) {
        out += text.slice(i);
        break;
      }
      const name = text.slice(i + 2, close);
      out += vars.has(name) ? vars.get(name) : `$(${name})`;
      i = close;
    } else {
      out += ch;
    }
  }
  return out;
}

function fieldPathValue(pod: KubeObject, path: string, addresses: PodAddresses): string {
  const spec = specOf(pod);
  const labelMatch = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (labelMatch) {
    const map = labelMatch[1] === 'labels' ? pod.metadata.labels : pod.metadata.annotations;
    return map?.[labelMatch[2]] ?? '';
  }
  switch (path) {
    case 'metadata.name':
      return pod.metadata.name ?? '';
    case 'metadata.namespace':
      return pod.metadata.namespace ?? '';
    case 'metadata.uid':
      return pod.metadata.uid ?? '';
    case 'spec.nodeName':
      return typeof spec.nodeName === 'string' ? spec.nodeName : '';
    case 'spec.serviceAccountName':
      return typeof spec.serviceAccountName === 'string' ? spec.serviceAccountName : '';
    case 'status.hostIP':
    case 'status.hostIPs':
      return addresses.hostIP;
    case 'status.podIP':
    case 'status.podIPs':
      return addresses.podIP ?? '';
    default:
      throw new ContainerConfigError(`unsupported fieldPath: ${path}`);
  }
}

function dataOf(object: KubeObject, secret: boolean): Record<string, string> {
  const data = (object as Obj).data;
  if (!data || typeof data !== 'object') return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(data as Record<string, unknown>))
    if (typeof v === 'string') out[k] = secret ? Buffer.from(v, 'base64').toString('utf8') : v;
  return out;
}

/** The container's environment as NAME=value lines, in kubelet's order (envFrom, then env). */
export function resolveEnv(
  pod: KubeObject,
  container: Obj,
  lookup: ObjectLookup,
  addresses: PodAddresses,
): string[] {
  const namespace = pod.metadata.namespace ?? '';
  const vars = new Map<string, string>();
  const source = (kind: 'ConfigMap' | 'Secret', name: string, optional: boolean) => {
    const object =
      kind === 'ConfigMap' ? lookup.configMap(namespace, name) : lookup.secret(namespace, name);
    if (!object && !optional)
      throw new ContainerConfigError(
        `${kind === 'ConfigMap' ? 'configmap' : 'secret'} "${name}" not found`,
      );
    return object;
  };
  const envFrom = Array.isArray(container.envFrom) ? (container.envFrom as Obj[]) : [];
  for (const from of envFrom) {
    const prefix = typeof from.prefix === 'string' ? from.prefix : '';
    const ref = (from.configMapRef ?? from.secretRef) as Obj | undefined;
    if (!ref) continue;
    const kind = from.configMapRef ? 'ConfigMap' : 'Secret';
    const object = source(kind, str(ref.name), ref.optional === true);
    if (!object) continue;
    for (const [k, v] of Object.entries(dataOf(object, kind === 'Secret'))) {
      // Names with '=' cannot be environment variables; kubelet skips them.
      if (k.includes('=')) continue;
      vars.set(prefix + k, v);
    }
  }
  const env = Array.isArray(container.env) ? (container.env as Obj[]) : [];
  for (const item of env) {
    const name = str(item.name);
    if (typeof item.value === 'string' || !item.valueFrom) {
      vars.set(name, expandVars(typeof item.value === 'string' ? item.value : '', vars));
      continue;
    }
    const from = item.valueFrom as Obj;
    const keyRef = (from.configMapKeyRef ?? from.secretKeyRef) as Obj | undefined;
    if (keyRef) {
      const kind = from.configMapKeyRef ? 'ConfigMap' : 'Secret';
      const optional = keyRef.optional === true;
      const refName = str(keyRef.name);
      const object = source(kind, refName, optional);
      if (!object) continue;
      const key = str(keyRef.key);
      const data = dataOf(object, kind === 'Secret');
      if (!(key in data)) {
        if (optional) continue;
        throw new ContainerConfigError(
          `couldn't find key ${key} in ${kind} ${namespace}/${refName}`,
        );
      }
      vars.set(name, data[key]);
    } else if (from.fieldRef) {
      vars.set(name, fieldPathValue(pod, str((from.fieldRef as Obj).fieldPath), addresses));
    } else if (from.resourceFieldRef) {
      throw new ContainerConfigError(
        `env ${name}: resourceFieldRef is not supported by this Skiff version`,
      );
    }
  }
  return [...vars].map(([k, v]) => `${k}=${v}`);
}

function stringList(value: unknown): string[] | undefined {
  return Array.isArray(value) ? value.map((v) => str(v)) : undefined;
}

/** Memory and CPU limits as Docker's HostConfig fields. */
export function resourceLimits(container: Obj): { Memory?: number; NanoCpus?: number } {
  const limits = ((container.resources as Obj | undefined)?.limits ?? {}) as Obj;
  const out: { Memory?: number; NanoCpus?: number } = {};
  const memory = limits.memory !== undefined ? parseQuantity(str(limits.memory)) : undefined;
  if (memory && typeof memory !== 'string') out.Memory = Number(quantityValue(memory));
  const cpu = limits.cpu !== undefined ? parseQuantity(str(limits.cpu)) : undefined;
  if (cpu && typeof cpu !== 'string') out.NanoCpus = Number(quantityMilliValue(cpu)) * 1_000_000;
  return out;
}

export interface CreateInput {
  pod: KubeObject;
  container: Obj;
  /** NAME=value lines from resolveEnv. */
  env: string[];
  image: string;
  name: string;
  labels: Record<string, string>;
  sandboxId: string;
  /** Pod volume name → the Docker volume backing it (emptyDir). */
  volumes?: ReadonlyMap<string, string>;
}

/** Docker mounts for the container's volumeMounts of volumes backed by Docker volumes. */
export function volumeMounts(
  container: Obj,
  volumes: ReadonlyMap<string, string>,
): { Type: 'volume'; Source: string; Target: string; ReadOnly: boolean }[] {
  const mounts = Array.isArray(container.volumeMounts) ? (container.volumeMounts as Obj[]) : [];
  return mounts
    .filter((m) => volumes.has(str(m.name)) && !m.subPath && !m.subPathExpr)
    .map((m) => ({
      Type: 'volume' as const,
      Source: volumes.get(str(m.name))!,
      Target: str(m.mountPath),
      ReadOnly: m.readOnly === true,
    }));
}

/** The Docker create options of an app or init container joined to the pod's sandbox. */
export function containerCreateOptions(input: CreateInput): ContainerCreateOptions {
  const { container, sandboxId } = input;
  const vars = new Map(
    input.env.map((line) => {
      const eq = line.indexOf('=');
      return [line.slice(0, eq), line.slice(eq + 1)] as [string, string];
    }),
  );
  const command = stringList(container.command)?.map((c) => expandVars(c, vars));
  const args = stringList(container.args)?.map((c) => expandVars(c, vars));
  const options: ContainerCreateOptions = {
    name: input.name,
    Image: input.image,
    Env: input.env,
    Labels: input.labels,
    Tty: container.tty === true,
    OpenStdin: container.stdin === true,
    StdinOnce: container.stdinOnce === true,
    AttachStdin: false,
    HostConfig: {
      NetworkMode: `container:${sandboxId}`,
      IpcMode: `container:${sandboxId}`,
      PidMode: specOf(input.pod).shareProcessNamespace === true ? `container:${sandboxId}` : '',
      RestartPolicy: { Name: 'no' },
      Mounts: volumeMounts(container, input.volumes ?? new Map()),
      ...resourceLimits(container),
    },
  };
  // A command replaces the image's ENTRYPOINT (and with it its CMD); args replace CMD only.
  if (command?.length) options.Entrypoint = command;
  if (args?.length) options.Cmd = args;
  else if (command?.length) options.Cmd = [];
  if (typeof container.workingDir === 'string' && container.workingDir)
    options.WorkingDir = container.workingDir;
  return options;
}
