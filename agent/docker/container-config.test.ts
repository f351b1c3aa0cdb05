import { describe, it, expect } from 'vitest';
import type { KubeObject } from '../../main/api/types.ts';
import {
  containerCreateOptions,
  ContainerConfigError,
  expandVars,
  resolveEnv,
  resourceLimits,
  sandboxPortBindings,
  securityOptions,
  subPathOf,
  verifyRunAsNonRoot,
  type ObjectLookup,
} from './container-config.ts';

const pod: KubeObject = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'ns', uid: 'u1', labels: { app: 'web' } },
  spec: { nodeName: 'n1', serviceAccountName: 'default', containers: [] },
};

const lookup: ObjectLookup = {
  configMap: (ns, name) =>
    ns === 'ns' && name === 'cm'
      ? { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { a: '1', 'b=c': 'x' } }
      : undefined,
  secret: (ns, name) =>
    name === 's'
      ? {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name },
          data: { pw: Buffer.from('hunter2').toString('base64') },
        }
      : undefined,
};

describe('container environment', () => {
  it('takes envFrom, then env with every source, expanding $(VAR)', () => {
    const env = resolveEnv(
      pod,
      {
        envFrom: [{ configMapRef: { name: 'cm' }, prefix: 'CM_' }, { secretRef: { name: 's' } }],
        env: [
          { name: 'PLAIN', value: 'v-$(CM_a)-$$(CM_a)-$(NOPE)' },
          { name: 'FROM_CM', valueFrom: { configMapKeyRef: { name: 'cm', key: 'a' } } },
          { name: 'FROM_SECRET', valueFrom: { secretKeyRef: { name: 's', key: 'pw' } } },
          { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
          { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
          { name: 'HOST', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } },
          {
            name: 'OPT',
            valueFrom: { configMapKeyRef: { name: 'missing', key: 'a', optional: true } },
          },
        ],
      },
      lookup,
      { podIP: '10.96.0.5', hostIP: '10.96.0.1' },
    );
    expect(env).toEqual([
      'CM_a=1',
      'pw=hunter2',
      'PLAIN=v-1-$(CM_a)-$(NOPE)',
      'FROM_CM=1',
      'FROM_SECRET=hunter2',
      'POD=p',
      'APP=web',
      'IP=10.96.0.5',
      'HOST=10.96.0.1',
    ]);
  });

  it('fails like kubelet when a reference is missing', () => {
    const run = (env: unknown[]) => () => resolveEnv(pod, { env }, lookup, { hostIP: '10.96.0.1' });
    expect(
      run([{ name: 'X', valueFrom: { configMapKeyRef: { name: 'gone', key: 'a' } } }]),
    ).toThrow(new ContainerConfigError('configmap "gone" not found'));
    expect(run([{ name: 'X', valueFrom: { secretKeyRef: { name: 's', key: 'nope' } } }])).toThrow(
      "couldn't find key nope in Secret ns/s",
    );
    expect(expandVars('$(A)$', new Map([['A', 'x']]))).toBe('x$');
  });
});

describe('container create options', () => {
  it('maps command/args/workingDir/limits and joins the sandbox', () => {
    const options = containerCreateOptions({
      pod,
      container: {
        name: 'app',
        command: ['sh', '-c'],
        args: ['echo $(GREETING)'],
        workingDir: '/tmp',
        resources: { limits: { memory: '64Mi', cpu: '500m' } },
      },
      env: ['GREETING=hi'],
      image: 'busybox',
      name: 'k8s_app',
      labels: { a: 'b' },
      sandboxId: 'sb1',
    });
    expect(options).toMatchObject({
      Entrypoint: ['sh', '-c'],
      Cmd: ['echo hi'],
      WorkingDir: '/tmp',
      HostConfig: { NetworkMode: 'container:sb1', Memory: 64 * 1024 * 1024, NanoCpus: 500_000_000 },
    });
    // A command alone must not inherit the image's CMD.
    expect(
      containerCreateOptions({
        pod,
        container: { name: 'a', command: ['sleep', '1'] },
        env: [],
        image: 'i',
        name: 'n',
        labels: {},
        sandboxId: 's',
      }).Cmd,
    ).toEqual([]);
    expect(resourceLimits({})).toEqual({});
  });
});

describe('resourceFieldRef env', () => {
  it('divides requests/limits, rounding up, and takes allocatable for an unset limit', () => {
    const container = {
      name: 'app',
      resources: { requests: { cpu: '250m', memory: '64Mi' }, limits: { memory: '128Mi' } },
      env: [
        {
          name: 'CPU_REQ_M',
          valueFrom: { resourceFieldRef: { resource: 'requests.cpu', divisor: '1m' } },
        },
        { name: 'CPU_REQ', valueFrom: { resourceFieldRef: { resource: 'requests.cpu' } } },
        {
          name: 'MEM_LIM_MI',
          valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } },
        },
        { name: 'CPU_LIM', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } },
      ],
    };
    const p = { ...pod, spec: { containers: [container] } };
    const env = resolveEnv(p, container, lookup, { hostIP: '10.0.0.1', allocatable: { cpu: '4' } });
    expect(env).toEqual(['CPU_REQ_M=250', 'CPU_REQ=1', 'MEM_LIM_MI=128', 'CPU_LIM=4']);
    expect(() =>
      resolveEnv(
        p,
        { env: [{ name: 'X', valueFrom: { resourceFieldRef: { resource: 'limits.gpu' } } }] },
        lookup,
        {
          hostIP: '',
        },
      ),
    ).toThrow('unsupported container resource : limits.gpu');
  });
});

describe('security context', () => {
  const withSc = (podSc: object, sc: object): KubeObject => ({
    ...pod,
    spec: { securityContext: podSc, containers: [{ name: 'c', securityContext: sc }] },
  });
  it('maps user, groups, capabilities and flags, the container over the pod', () => {
    const p = withSc(
      { runAsUser: 1000, runAsGroup: 3000, supplementalGroups: [4000], fsGroup: 2000 },
      {
        runAsUser: 1001,
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        capabilities: { add: ['NET_ADMIN'], drop: ['ALL'] },
      },
    );
    const c = (p.spec as { containers: Record<string, unknown>[] }).containers[0];
    expect(securityOptions(p, c, undefined)).toEqual({
      User: '1001:3000',
      HostConfig: {
        GroupAdd: ['2000', '4000'],
        ReadonlyRootfs: true,
        CapAdd: ['NET_ADMIN'],
        CapDrop: ['ALL'],
        SecurityOpt: ['no-new-privileges'],
      },
    });
    expect(
      securityOptions(
        withSc({}, { privileged: true }),
        { securityContext: { privileged: true } },
        '',
      ),
    ).toEqual({
      HostConfig: { Privileged: true },
    });
  });
  it('refuses root with runAsNonRoot in kubelet words', () => {
    const p = withSc({ runAsNonRoot: true }, {});
    expect(() => verifyRunAsNonRoot(p, { name: 'c' }, '')).toThrow(
      'container has runAsNonRoot and image will run as root (pod: "p_ns(u1)", container: c)',
    );
    expect(() => verifyRunAsNonRoot(p, { name: 'c' }, 'nginx')).toThrow(
      'container has runAsNonRoot and image has non-numeric user (nginx), cannot verify user is non-root (pod: "p_ns(u1)", container: c)',
    );
    expect(() =>
      verifyRunAsNonRoot(p, { name: 'c', securityContext: { runAsUser: 0 } }, '1000'),
    ).toThrow("container's runAsUser breaks non-root policy");
    expect(() => verifyRunAsNonRoot(p, { name: 'c' }, '1000')).not.toThrow();
    expect(() =>
      containerCreateOptions({
        pod: p,
        container: { name: 'c' },
        env: [],
        image: 'i',
        name: 'n',
        labels: {},
        sandboxId: 's',
      }),
    ).toThrow(ContainerConfigError);
  });
});

describe('mounts and ports', () => {
  it('expands subPathExpr and rejects escaping paths', () => {
    const vars = new Map([['POD', 'p1']]);
    expect(subPathOf({ name: 'v', subPathExpr: 'logs/$(POD)' }, vars)).toBe('logs/p1');
    expect(subPathOf({ name: 'v', subPath: 'a/b' }, vars)).toBe('a/b');
    expect(subPathOf({ name: 'v' }, vars)).toBe('');
    expect(() => subPathOf({ name: 'v', subPath: '../etc' }, vars)).toThrow(
      "must not contain '..'",
    );
    expect(() => subPathOf({ name: 'v', subPath: '/etc' }, vars)).toThrow('relative');
  });
  it('publishes hostPorts on 127.0.0.1 through the sandbox', () => {
    const p = {
      ...pod,
      spec: {
        containers: [
          { name: 'a', ports: [{ containerPort: 80, hostPort: 18081 }, { containerPort: 81 }] },
        ],
      },
    };
    expect(sandboxPortBindings(p)).toEqual({
      ExposedPorts: { '80/tcp': {} },
      PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '18081' }] },
    });
    expect(sandboxPortBindings(pod)).toEqual({});
  });
});
