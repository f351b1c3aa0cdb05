import { describe, it, expect } from 'vitest';
import type { KubeObject } from '../../main/api/types.ts';
import {
  containerCreateOptions,
  ContainerConfigError,
  expandVars,
  resolveEnv,
  resourceLimits,
  volumeMounts,
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
    expect(
      volumeMounts(
        {
          volumeMounts: [
            { name: 'scratch', mountPath: '/data', readOnly: true },
            {
              name: 'kube-api-access-x',
              mountPath: '/var/run/secrets/kubernetes.io/serviceaccount',
            },
          ],
        },
        new Map([['scratch', 'vol-1']]),
      ),
    ).toEqual([{ Type: 'volume', Source: 'vol-1', Target: '/data', ReadOnly: true }]);
  });
});
