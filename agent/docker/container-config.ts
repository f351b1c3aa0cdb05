// What kubelet's container manager computes before it creates a container
// (pkg/kubelet/kubelet_pods.go makeEnvironmentVariables, kuberuntime_container.go
// generateContainerConfig): the environment from env/envFrom with $(VAR) expansion, the command
// and arguments, and the Docker create options. Pure: ConfigMaps and Secrets come through `lookup`.
import type { ContainerCreateOptions } from 'dockerode';
import type { KubeObject } from '../../main/api/types.ts';
import { parseQuantity, quantityMilliValue, quantityValue } from '../../main/api/quantity.ts';
import { podDescription, specOf, str, type Obj } from '../kubelet/common.ts';
import {
  DownwardApiError,
  fieldRefValue,
  resourceFieldValue,
  type PodAddresses as DownwardAddresses,
} from '../kubelet/downward-api.ts';

/** A container cannot be configured (kubelet's CreateContainerConfigError). */
export class ContainerConfigError extends Error {}

export interface ObjectLookup {
  configMap(namespace: string, name: string): KubeObject | undefined;
  secret(namespace: string, name: string): KubeObject | undefined;
}

export interface PodAddresses extends DownwardAddresses {
  /** The node's allocatable, what resourceFieldRef gives for an unset limit. */
  allocatable?: Obj;
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

function downward(value: () => string): string {
  try {
    return value();
  } catch (err) {
    if (err instanceof DownwardApiError) throw new ContainerConfigError(err.message);
    throw err;
  }
}

function containersOfPod(pod: KubeObject): Obj[] {
  const spec = specOf(pod);
  const list = (field: string) => (Array.isArray(spec[field]) ? (spec[field] as Obj[]) : []);
  return [...list('containers'), ...list('initContainers')];
}

function dataOf(object: KubeObject, secret: boolean): Record<string, string> {
  const data = (object as Obj).data;
  if (!data || typeof data !== 'object') return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(data as Record<string, unknown>))
    if (typeof v === 'string') out[k] = secret ? Buffer.from(v, 'base64').toString('utf8') : v;
  return out;
}

/**
 * The container's environment as NAME=value lines, in kubelet's order (envFrom, then env, then the
 * Service variables the container does not set itself; `$(VAR)` may name a Service variable).
 */
export function resolveEnv(
  pod: KubeObject,
  container: Obj,
  lookup: ObjectLookup,
  addresses: PodAddresses,
  serviceEnv: readonly { name: string; value: string }[] = [],
): string[] {
  const namespace = pod.metadata.namespace ?? '';
  const vars = new Map<string, string>();
  const services = new Map(serviceEnv.map((e) => [e.name, e.value]));
  const mapping = () => (services.size ? new Map([...services, ...vars]) : vars);
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
      vars.set(name, expandVars(typeof item.value === 'string' ? item.value : '', mapping()));
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
      vars.set(
        name,
        downward(() => fieldRefValue(pod, str((from.fieldRef as Obj).fieldPath), addresses)),
      );
    } else if (from.resourceFieldRef) {
      const ref = from.resourceFieldRef as Obj;
      // containerName may be omitted for env: it is then this container.
      const target = str(ref.containerName)
        ? containersOfPod(pod).find((c) => c.name === ref.containerName)
        : container;
      if (!target)
        throw new ContainerConfigError(
          `env ${name}: container "${str(ref.containerName)}" not found`,
        );
      vars.set(
        name,
        downward(() =>
          resourceFieldValue(target, str(ref.resource), ref.divisor, addresses.allocatable),
        ),
      );
    }
  }
  for (const [k, v] of services) if (!vars.has(k)) vars.set(k, v);
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

/** A Docker mount of one of the container's volumeMounts (volumes.ts resolves them). */
export interface DockerMount {
  Type: 'volume' | 'bind' | 'tmpfs';
  Source: string;
  Target: string;
  ReadOnly: boolean;
  VolumeOptions?: { NoCopy: boolean };
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
  mounts?: DockerMount[];
  /** The image's configured user (`docker image inspect` Config.User), for runAsNonRoot. */
  imageUser?: string;
}

/**
 * The subPath of a volumeMount (subPathExpr expanded with the container's env), validated as
 * kubelet does; '' when the mount has none.
 */
export function subPathOf(mount: Obj, vars: ReadonlyMap<string, string>): string {
  const expr = typeof mount.subPathExpr === 'string' ? mount.subPathExpr : '';
  const sub = expr ? expandVars(expr, vars) : str(mount.subPath);
  if (!sub) return '';
  if (sub.startsWith('/'))
    throw new ContainerConfigError(
      `failed to prepare subPath for volumeMount "${str(mount.name)}": subPath must be a relative path: ${sub}`,
    );
  if (sub.split('/').includes('..'))
    throw new ContainerConfigError(
      `failed to prepare subPath for volumeMount "${str(mount.name)}": subPath must not contain '..': ${sub}`,
    );
  return sub;
}

/** The environment lines as a map, for $(VAR) expansion. */
export function envMap(env: readonly string[]): Map<string, string> {
  return new Map(
    env.map((line) => {
      const eq = line.indexOf('=');
      return [line.slice(0, eq), line.slice(eq + 1)] as [string, string];
    }),
  );
}

/** The effective security context: the container's fields over the pod's. */
export function effectiveSecurityContext(pod: KubeObject, container: Obj): Obj {
  const podSc = (specOf(pod).securityContext ?? {}) as Obj;
  const sc = (container.securityContext ?? {}) as Obj;
  const out: Obj = {};
  for (const key of ['runAsUser', 'runAsGroup', 'runAsNonRoot', 'seLinuxOptions'])
    if (podSc[key] !== undefined) out[key] = podSc[key];
  return { ...out, ...sc };
}

/**
 * kubelet's verifyRunAsNonRoot: with runAsNonRoot, the user must be known to be non-zero, from
 * runAsUser or else from the image's numeric user.
 */
export function verifyRunAsNonRoot(
  pod: KubeObject,
  container: Obj,
  imageUser: string | undefined,
): void {
  const sc = effectiveSecurityContext(pod, container);
  if (sc.runAsNonRoot !== true) return;
  const who = `(pod: ${JSON.stringify(podDescription(pod))}, container: ${str(container.name)})`;
  if (typeof sc.runAsUser === 'number') {
    if (sc.runAsUser === 0)
      throw new ContainerConfigError(`container's runAsUser breaks non-root policy ${who}`);
    return;
  }
  const user = (imageUser ?? '').split(':')[0];
  if (user === '' || user === '0' || user === 'root')
    throw new ContainerConfigError(`container has runAsNonRoot and image will run as root ${who}`);
  if (!/^\d+$/.test(user))
    throw new ContainerConfigError(
      `container has runAsNonRoot and image has non-numeric user (${user}), cannot verify user is non-root ${who}`,
    );
}

/** Docker's user, groups, capabilities and flags for the container's security context. */
export function securityOptions(
  pod: KubeObject,
  container: Obj,
  imageUser: string | undefined,
): {
  User?: string;
  HostConfig: {
    GroupAdd?: string[];
    ReadonlyRootfs?: boolean;
    Privileged?: boolean;
    CapAdd?: string[];
    CapDrop?: string[];
    SecurityOpt?: string[];
  };
} {
  const sc = effectiveSecurityContext(pod, container);
  const podSc = (specOf(pod).securityContext ?? {}) as Obj;
  const out: ReturnType<typeof securityOptions> = { HostConfig: {} };
  const uid = typeof sc.runAsUser === 'number' ? String(sc.runAsUser) : undefined;
  const gid = typeof sc.runAsGroup === 'number' ? String(sc.runAsGroup) : undefined;
  // Docker takes `user[:group]`; a group alone keeps the image's user (root when it has none).
  if (uid !== undefined || gid !== undefined) {
    const user = uid ?? ((imageUser ?? '').split(':')[0] || '0');
    out.User = gid !== undefined ? `${user}:${gid}` : user;
  }
  // fsGroup first, then supplementalGroups, as kubelet's effective security context lists them.
  const groups = typeof podSc.fsGroup === 'number' ? [String(podSc.fsGroup)] : [];
  if (Array.isArray(podSc.supplementalGroups))
    groups.push(...(podSc.supplementalGroups as unknown[]).map((g) => str(g)));
  if (groups.length) out.HostConfig.GroupAdd = [...new Set(groups)];
  if (sc.readOnlyRootFilesystem === true) out.HostConfig.ReadonlyRootfs = true;
  if (sc.privileged === true) out.HostConfig.Privileged = true;
  const caps = (sc.capabilities ?? {}) as Obj;
  const capList = (v: unknown) => (Array.isArray(v) ? v.map((c) => str(c)) : []);
  if (capList(caps.add).length) out.HostConfig.CapAdd = capList(caps.add);
  if (capList(caps.drop).length) out.HostConfig.CapDrop = capList(caps.drop);
  if (sc.allowPrivilegeEscalation === false && sc.privileged !== true)
    out.HostConfig.SecurityOpt = ['no-new-privileges'];
  return out;
}

/**
 * The host ports of the pod's containers, published on the sandbox (it owns the network
 * namespace) on 127.0.0.1, or on the port's hostIP when one is given.
 */
export function sandboxPortBindings(pod: KubeObject): {
  ExposedPorts?: Record<string, object>;
  PortBindings?: Record<string, { HostIp: string; HostPort: string }[]>;
} {
  const spec = specOf(pod);
  const containers = [
    ...(Array.isArray(spec.initContainers) ? (spec.initContainers as Obj[]) : []),
    ...(Array.isArray(spec.containers) ? (spec.containers as Obj[]) : []),
  ];
  const exposed: Record<string, object> = {};
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const c of containers) {
    for (const port of Array.isArray(c.ports) ? (c.ports as Obj[]) : []) {
      if (typeof port.hostPort !== 'number' || port.hostPort <= 0) continue;
      const key = `${str(port.containerPort)}/${(str(port.protocol) || 'TCP').toLowerCase()}`;
      exposed[key] = {};
      const hostIp = str(port.hostIP);
      (bindings[key] ??= []).push({
        HostIp: hostIp && hostIp !== '0.0.0.0' ? hostIp : '127.0.0.1',
        HostPort: String(port.hostPort),
      });
    }
  }
  if (!Object.keys(exposed).length) return {};
  return { ExposedPorts: exposed, PortBindings: bindings };
}

/** The Docker create options of an app or init container joined to the pod's sandbox. */
export function containerCreateOptions(input: CreateInput): ContainerCreateOptions {
  const { container, sandboxId, pod } = input;
  verifyRunAsNonRoot(pod, container, input.imageUser);
  const vars = envMap(input.env);
  const command = stringList(container.command)?.map((c) => expandVars(c, vars));
  const args = stringList(container.args)?.map((c) => expandVars(c, vars));
  const security = securityOptions(pod, container, input.imageUser);
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
      PidMode: specOf(pod).shareProcessNamespace === true ? `container:${sandboxId}` : '',
      RestartPolicy: { Name: 'no' },
      // dockerode's type wants every VolumeOptions field; Docker takes NoCopy alone.
      Mounts: (input.mounts ?? []) as unknown as NonNullable<
        NonNullable<ContainerCreateOptions['HostConfig']>['Mounts']
      >,
      ...resourceLimits(container),
      ...security.HostConfig,
    },
  };
  if (security.User !== undefined) options.User = security.User;
  // A command replaces the image's ENTRYPOINT (and with it its CMD); args replace CMD only.
  if (command?.length) options.Entrypoint = command;
  if (args?.length) options.Cmd = args;
  else if (command?.length) options.Cmd = [];
  if (typeof container.workingDir === 'string' && container.workingDir)
    options.WorkingDir = container.workingDir;
  return options;
}
