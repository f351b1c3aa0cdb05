import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../main/api/types.ts';
import type { LocalClient } from '../../main/client/local-client.ts';
import {
  checkHostPath,
  demuxLogs,
  downwardProjection,
  keyProjection,
  PodVolumes,
  tokenNeedsRefresh,
  VolumeSetUpError,
} from './volumes.ts';

let dir = '';
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pod-volumes-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const cm = (name: string, data: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'ns' },
  data,
});

describe('hostPath type checks', () => {
  it('creates for *OrCreate and refuses the wrong kind with kubelet words', async () => {
    const d = path.join(dir, 'd');
    await checkHostPath(d, 'DirectoryOrCreate');
    expect((await fs.stat(d)).isDirectory()).toBe(true);
    const f = path.join(dir, 'f');
    await checkHostPath(f, 'FileOrCreate');
    expect((await fs.stat(f)).isFile()).toBe(true);
    await expect(checkHostPath(f, 'Directory')).rejects.toThrow(
      `hostPath type check failed: ${f} is not a directory`,
    );
    await expect(checkHostPath(d, 'File')).rejects.toThrow(`${d} is not a file`);
    await expect(checkHostPath(f, 'Socket')).rejects.toThrow(`${f} is not a socket file`);
    await expect(checkHostPath(path.join(dir, 'none'), 'Directory')).rejects.toThrow(
      'is not a directory',
    );
    await expect(checkHostPath(path.join(dir, 'x/y'), 'FileOrCreate')).rejects.toThrow();
    const sock = path.join(dir, 's.sock');
    const server = net.createServer().listen(sock);
    await new Promise((r) => server.once('listening', r));
    await checkHostPath(sock, 'Socket');
    server.close();
  });
});

describe('projections', () => {
  it('projects all keys or the items, with modes, and fails like kubelet when something is missing', () => {
    const object = cm('c', { a: '1', b: '2' });
    expect([...keyProjection('configmap', 'c', object, {}, 0o644).keys()]).toEqual(['a', 'b']);
    const items = keyProjection(
      'configmap',
      'c',
      object,
      { items: [{ key: 'a', path: 'x/a', mode: 0o600 }] },
      0o644,
    );
    expect([...items]).toEqual([['x/a', { data: Buffer.from('1'), mode: 0o600 }]]);
    expect(() => keyProjection('configmap', 'gone', undefined, {}, 0o644)).toThrow(
      'configmap "gone" not found',
    );
    expect(keyProjection('secret', 'gone', undefined, { optional: true }, 0o644).size).toBe(0);
    expect(() =>
      keyProjection('configmap', 'c', object, { items: [{ key: 'z', path: 'z' }] }, 0o644),
    ).toThrow('configmap references non-existent config key: z');
    const secret: KubeObject = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's' },
      data: { pw: Buffer.from('hunter2').toString('base64') },
    };
    expect(keyProjection('secret', 's', secret, {}, 0o400).get('pw')).toEqual({
      data: Buffer.from('hunter2'),
      mode: 0o400,
    });
  });

  it('projects downward API items', () => {
    const pod: KubeObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', namespace: 'ns', labels: { b: '2', a: '1' } },
      spec: { containers: [{ name: 'c', resources: { limits: { memory: '64Mi' } } }] },
    };
    const out = downwardProjection(
      pod,
      [
        { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
        {
          path: 'mem',
          resourceFieldRef: { containerName: 'c', resource: 'limits.memory', divisor: '1Mi' },
        },
      ],
      0o644,
      {},
    );
    expect(out.get('labels')?.data.toString()).toBe('a="1"\nb="2"');
    expect(out.get('mem')?.data.toString()).toBe('64');
  });
});

describe('tokens and logs', () => {
  it('refreshes a token past 80% of its life or after 24 h', () => {
    const t = { token: 'x', issuedAt: 0, expiresAt: 10_000 };
    expect(tokenNeedsRefresh(undefined, 0)).toBe(true);
    expect(tokenNeedsRefresh(t, 7_999)).toBe(false);
    expect(tokenNeedsRefresh(t, 8_001)).toBe(true);
    const long = { token: 'x', issuedAt: 0, expiresAt: 365 * 86_400_000 };
    expect(tokenNeedsRefresh(long, 86_400_000 + 1)).toBe(true);
  });

  it('demultiplexes Docker log frames', () => {
    const frame = (stream: number, text: string) => {
      const header = Buffer.alloc(8);
      header[0] = stream;
      header.writeUInt32BE(Buffer.byteLength(text), 4);
      return Buffer.concat([header, Buffer.from(text)]);
    };
    expect(demuxLogs(Buffer.concat([frame(1, 'out\n'), frame(2, 'err\n')]), false)).toBe(
      'out\nerr\n',
    );
    expect(demuxLogs(Buffer.from('raw'), true)).toBe('raw');
  });
});

describe('PodVolumes', () => {
  const pod: KubeObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'ns', uid: 'uid-1' },
    spec: {
      serviceAccountName: 'default',
      volumes: [
        {
          name: 'api',
          projected: {
            defaultMode: 420,
            sources: [
              { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
              {
                configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] },
              },
              {
                downwardAPI: {
                  items: [{ path: 'namespace', fieldRef: { fieldPath: 'metadata.namespace' } }],
                },
              },
            ],
          },
        },
      ],
    },
  };

  function make(objects: Map<string, KubeObject>, requests: KubeObject[]) {
    const client = {
      tryGet: (ref: { resource: string }, ns: string, name: string) =>
        objects.get(`${ref.resource}/${ns}/${name}`),
    } as unknown as LocalClient;
    return new PodVolumes({
      docker: {} as Docker,
      client,
      clusterId: 'cluster-1',
      nodeName: 'n',
      root: dir,
      log: () => undefined,
      requestToken: (_ns, _sa, request) => {
        requests.push(request);
        return Promise.resolve({
          ...request,
          status: {
            token: `tok-${requests.length}`,
            expirationTimestamp: new Date(Date.now() + 3_600_000).toISOString(),
          },
        });
      },
    });
  }

  it('writes the ServiceAccount projection once per token life, and tears it down', async () => {
    const objects = new Map([
      ['configmaps/ns/kube-root-ca.crt', cm('kube-root-ca.crt', { 'ca.crt': 'PEM' })],
    ]);
    const requests: KubeObject[] = [];
    const volumes = make(objects, requests);
    const ref = { uid: 'uid-1', namespace: 'ns', name: 'p' };
    const sources = await volumes.setUp(pod, ref);
    const api = path.join(dir, 'pods/uid-1/volumes/kubernetes.io~projected/api');
    expect(sources.get('api')).toEqual({ kind: 'bind', path: api, readOnly: true });
    expect(await fs.readFile(path.join(api, 'token'), 'utf8')).toBe('tok-1');
    expect(await fs.readFile(path.join(api, 'ca.crt'), 'utf8')).toBe('PEM');
    expect(await fs.readFile(path.join(api, 'namespace'), 'utf8')).toBe('ns');
    expect(requests[0].spec).toEqual({
      audiences: [],
      expirationSeconds: 3607,
      boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'p', uid: 'uid-1' },
    });
    await volumes.setUp(pod, ref);
    expect(requests).toHaveLength(1);
    expect(
      await volumes.mountsFor(
        'uid-1',
        { volumeMounts: [{ name: 'api', mountPath: '/var/run/x' }] },
        [],
      ),
    ).toEqual([{ Type: 'bind', Source: api, Target: '/var/run/x', ReadOnly: true }]);
    await volumes.collectGarbage(new Set(['other']));
    await expect(fs.stat(path.join(dir, 'pods/uid-1'))).rejects.toThrow();
  });

  it('makes emptyDir a world-writable per-pod directory when Docker volumes are out of reach', async () => {
    const volumes = new PodVolumes({
      docker: { info: () => Promise.reject(new Error('remote')) } as unknown as Docker,
      client: { tryGet: () => undefined } as unknown as LocalClient,
      clusterId: 'c1',
      nodeName: 'n',
      root: dir,
      log: () => undefined,
    });
    const scratch: KubeObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', namespace: 'ns', uid: 'u2' },
      spec: { volumes: [{ name: 'scratch', emptyDir: {} }] },
    };
    const sources = await volumes.setUp(scratch, { uid: 'u2', namespace: 'ns', name: 'p' });
    const expected = path.join(dir, 'pods/u2/volumes/kubernetes.io~empty-dir/scratch');
    expect(sources.get('scratch')).toEqual({ kind: 'bind', path: expected, readOnly: false });
    expect((await fs.stat(expected)).mode & 0o7777).toBe(0o777);
    // subPath works on it without Docker's help.
    expect(
      await volumes.mountsFor(
        'u2',
        { volumeMounts: [{ name: 'scratch', mountPath: '/s', subPath: 'a/b' }] },
        [],
      ),
    ).toEqual([
      { Type: 'bind', Source: path.join(expected, 'a/b'), Target: '/s', ReadOnly: false },
    ]);
  });

  it('fails with FailedMount wording when the CA configMap is missing', async () => {
    const volumes = make(new Map(), []);
    expect(volumes.shouldReport('u', 'm', 0)).toBe(true);
    expect(volumes.shouldReport('u', 'm', 10_000)).toBe(false);
    expect(volumes.shouldReport('u', 'other', 10_000)).toBe(true);
    expect(volumes.shouldReport('u', 'other', 41_000)).toBe(true);
    const err = await volumes
      .setUp(pod, { uid: 'uid-1', namespace: 'ns', name: 'p' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VolumeSetUpError);
    expect((err as Error).message).toBe(
      'MountVolume.SetUp failed for volume "api" : configmap "kube-root-ca.crt" not found',
    );
  });
});

describe('PersistentVolume reclaim', () => {
  it('removes Docker volumes of gone PVs per reclaim policy (by label after a restart, else as last seen)', async () => {
    const pvs: KubeObject[] = [
      {
        apiVersion: 'v1',
        kind: 'PersistentVolume',
        metadata: { name: 'pv-live', resourceVersion: '1' },
        spec: {},
      },
      {
        apiVersion: 'v1',
        kind: 'PersistentVolume',
        metadata: { name: 'pv-patched', resourceVersion: '1' },
        spec: { persistentVolumeReclaimPolicy: 'Delete' },
      },
    ];
    let emit: ((type: string, object: KubeObject) => void) | undefined;
    const client = {
      list: () => ({ items: pvs, resourceVersion: '1' }),
      watch: (
        _ref: unknown,
        _ns: unknown,
        _rv: unknown,
        handler: (type: string, object: KubeObject) => void,
      ) => {
        emit = handler;
        return { dispose: () => undefined };
      },
      tryGet: () => undefined,
    } as unknown as LocalClient;
    const labels = (pv: string, policy: string) => ({
      'skiff.dev/cluster': 'c1',
      'skiff.dev/role': 'persistent-volume',
      'skiff.dev/pv-name': pv,
      'skiff.dev/reclaim-policy': policy,
    });
    const volumes = [
      { Name: 'v-live', Labels: labels('pv-live', 'Delete') },
      { Name: 'v-gone-delete', Labels: labels('pv-gone', 'Delete') },
      { Name: 'v-gone-retain', Labels: labels('pv-kept', 'Retain') },
      // Labelled Retain at creation, patched to Delete before the PV was deleted.
      { Name: 'v-patched', Labels: labels('pv-patched', 'Retain') },
    ];
    const removed: string[] = [];
    const docker = {
      listVolumes: () =>
        Promise.resolve({ Volumes: volumes.filter((v) => !removed.includes(v.Name)) }),
      getVolume: (name: string) => ({
        remove: () => {
          removed.push(name);
          return Promise.resolve();
        },
      }),
    } as unknown as Docker;
    const pv = new PodVolumes({
      docker,
      client,
      clusterId: 'c1',
      nodeName: 'n',
      root: dir,
      log: () => undefined,
    });
    pv.start();
    await pv.collectGarbage(new Set());
    expect(removed).toEqual(['v-gone-delete']);
    emit?.('DELETED', pvs[1]);
    await new Promise((r) => setTimeout(r, 20));
    await pv.reclaimPersistentVolumes();
    expect(removed).toEqual(['v-gone-delete', 'v-patched']);
    pv.stop();
  });
});
