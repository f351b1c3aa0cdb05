import { describe, expect, it } from 'vitest';
import { StatusError } from '../../api/status.ts';
import { decodeKubernetesProtobuf, formatGoDuration, hasProtobufPrefix } from './decode.ts';
import {
  bytes,
  concat,
  envelope,
  fixed32,
  fixed64,
  group,
  msg,
  packed,
  timestamp,
  varint,
} from './testdata/proto-writer.ts';

type Json = Record<string, unknown>;

function decode(body: Uint8Array): Json {
  return decodeKubernetesProtobuf(body) as Json;
}

function statusOf(run: () => unknown): StatusError {
  try {
    run();
  } catch (err) {
    if (err instanceof StatusError) return err;
    throw err;
  }
  throw new Error('expected a StatusError');
}

const meta = (...fields: Uint8Array[]) => msg(1, ...fields);
const container = (name: string, ...fields: Uint8Array[]) => msg(2, bytes(1, name), ...fields);
const podSpec = (...fields: Uint8Array[]) => msg(2, ...fields);

describe('envelope', () => {
  it('recognises the k8s\\0 prefix', () => {
    expect(hasProtobufPrefix(new Uint8Array([0x6b, 0x38, 0x73, 0x00, 0x0a]))).toBe(true);
    expect(hasProtobufPrefix(new TextEncoder().encode('{"kind":"Pod"}'))).toBe(false);
  });

  it('puts kind and apiVersion first, as TypeMeta prints', () => {
    const out = decode(envelope('v1', 'ConfigMap', meta(bytes(1, 'c'))));
    expect(Object.keys(out).slice(0, 2)).toEqual(['kind', 'apiVersion']);
    expect(out).toStrictEqual({ kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'c' } });
  });

  it('rejects a body without the prefix with 400', () => {
    const err = statusOf(() => decodeKubernetesProtobuf(new TextEncoder().encode('{}')));
    expect(err.code).toBe(400);
    expect(err.reason).toBe('BadRequest');
    expect(err.message).toContain('expected prefix [107 56 115 0]');
  });

  it('rejects a truncated envelope with 400', () => {
    const body = envelope('v1', 'ConfigMap', meta(bytes(1, 'c')));
    const err = statusOf(() => decodeKubernetesProtobuf(body.subarray(0, 12)));
    expect(err.code).toBe(400);
    expect(err.message).toContain('unexpected EOF');
  });

  it('rejects an envelope without a kind with 400', () => {
    const err = statusOf(() => decodeKubernetesProtobuf(envelope('v1', '', new Uint8Array(0))));
    expect(err.code).toBe(400);
    expect(err.message).toContain("'Kind' is missing");
  });

  it('answers 415 naming the kind when there is no table for it', () => {
    const err = statusOf(() =>
      decodeKubernetesProtobuf(envelope('example.com/v1', 'Widget', new Uint8Array(0))),
    );
    expect(err.code).toBe(415);
    expect(err.reason).toBe('UnsupportedMediaType');
    expect(err.message).toMatch(
      /^the body of the request was in an unknown format - accepted media types include: application\/json, application\/yaml/,
    );
    expect(err.message).toContain('example.com/v1, Kind=Widget');
  });

  it('answers 415 for a compressed payload', () => {
    const body = envelope('v1', 'ConfigMap', new Uint8Array(0), { contentEncoding: 'gzip' });
    expect(statusOf(() => decodeKubernetesProtobuf(body)).code).toBe(415);
  });

  it('accepts an envelope whose payload is JSON', () => {
    const raw = new TextEncoder().encode('{"metadata":{"name":"j"},"data":{"k":"v"}}');
    const body = envelope('v1', 'ConfigMap', raw, { contentType: 'application/json' });
    expect(decode(body)).toStrictEqual({
      kind: 'ConfigMap',
      apiVersion: 'v1',
      metadata: { name: 'j' },
      data: { k: 'v' },
    });
  });

  it('decodes DeleteOptions whatever group version the client used', () => {
    for (const apiVersion of ['v1', 'apps/v1', 'meta.k8s.io/v1']) {
      const raw = concat(
        varint(1, 0),
        msg(2, bytes(1, 'uid-1'), bytes(2, '42')),
        bytes(4, 'Foreground'),
        bytes(5, 'All'),
      );
      expect(decode(envelope(apiVersion, 'DeleteOptions', raw))).toStrictEqual({
        kind: 'DeleteOptions',
        apiVersion,
        gracePeriodSeconds: 0,
        preconditions: { uid: 'uid-1', resourceVersion: '42' },
        propagationPolicy: 'Foreground',
        dryRun: ['All'],
      });
    }
  });
});

describe('Go JSON field rules', () => {
  it('prints pointers when set even at zero, omits them when unset', () => {
    const withZero = decode(envelope('apps/v1', 'Deployment', msg(2, varint(1, 0))));
    expect((withZero.spec as Json).replicas).toBe(0);
    const unset = decode(envelope('apps/v1', 'Deployment', msg(2)));
    expect(unset.spec).not.toHaveProperty('replicas');
  });

  it('prints null for an unset pointer or slice without omitempty', () => {
    const out = decode(envelope('apps/v1', 'Deployment', msg(2)));
    expect(out.spec).toStrictEqual({
      selector: null,
      template: { metadata: {}, spec: { containers: null } },
      strategy: {},
    });
    expect(out.status).toStrictEqual({});
  });

  it('prints non-omitempty scalars at their zero value and drops omitempty zeros', () => {
    const raw = podSpec(container('c', msg(6, varint(2, 0))));
    const out = decode(envelope('v1', 'Pod', raw));
    const spec = out.spec as { containers: Json[] };
    // containerPort has no omitempty; hostPort has
    expect(spec.containers[0]).toStrictEqual({
      name: 'c',
      ports: [{ containerPort: 0 }],
      resources: {},
    });
  });

  it('omits an unset creationTimestamp (omitzero) but keeps a set one', () => {
    const unset = decode(envelope('v1', 'ConfigMap', meta(bytes(1, 'a'), msg(8))));
    expect(unset.metadata).toStrictEqual({ name: 'a' });
    const set = decode(envelope('v1', 'ConfigMap', meta(timestamp(8, 1767323045))));
    expect(set.metadata).toStrictEqual({ creationTimestamp: '2026-01-02T03:04:05Z' });
  });

  it('inlines embedded structs (VolumeSource, ProbeHandler)', () => {
    const raw = podSpec(
      msg(1, bytes(1, 'data'), msg(2, msg(2, bytes(1, 'Memory'), msg(2, bytes(1, '64Mi'))))),
      container(
        'c',
        msg(
          10,
          msg(1, msg(2, bytes(1, '/healthz'), msg(2, varint(1, 1), bytes(3, 'http')))),
          varint(4, 10),
        ),
      ),
    );
    const spec = decode(envelope('v1', 'Pod', raw)).spec as { volumes: Json[]; containers: Json[] };
    expect(spec.volumes).toStrictEqual([
      { name: 'data', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } },
    ]);
    expect(spec.containers[0].livenessProbe).toStrictEqual({
      httpGet: { path: '/healthz', port: 'http' },
      periodSeconds: 10,
    });
  });

  it('merges a message field that occurs twice and keeps the last scalar', () => {
    const raw = concat(meta(bytes(1, 'first'), bytes(3, 'ns')), meta(bytes(1, 'second')));
    expect(decode(envelope('v1', 'ConfigMap', raw)).metadata).toStrictEqual({
      name: 'second',
      namespace: 'ns',
    });
  });

  it('skips unknown fields of every wire type', () => {
    const raw = concat(
      varint(99, 7),
      fixed32(98),
      fixed64(97),
      bytes(96, 'x'),
      group(95, varint(1, 1), bytes(2, 'nested')),
      meta(bytes(1, 'a'), varint(200, 1)),
    );
    expect(decode(envelope('v1', 'ConfigMap', raw)).metadata).toStrictEqual({ name: 'a' });
  });
});

describe('scalars', () => {
  it('decodes negative int32 and large int64 varints', () => {
    const raw = concat(meta(varint(7, 1n << 40n)), msg(2, varint(5, -5)));
    const out = decode(envelope('apps/v1', 'Deployment', raw));
    expect((out.metadata as Json).generation).toBe(2 ** 40);
    expect((out.spec as Json).minReadySeconds).toBe(-5);
  });

  it('decodes repeated int64 whether packed or not', () => {
    const sc = (...fields: Uint8Array[]) => podSpec(msg(14, ...fields));
    const unpacked = decode(envelope('v1', 'Pod', sc(varint(4, 4000), varint(4, 5000))));
    const packedOut = decode(envelope('v1', 'Pod', sc(packed(4, [4000, 5000]))));
    expect((unpacked.spec as { securityContext: Json }).securityContext).toStrictEqual({
      supplementalGroups: [4000, 5000],
    });
    expect(packedOut.spec).toStrictEqual(unpacked.spec);
  });

  it('prints bytes as padded base64 and a map<string,bytes> entry without value as ""', () => {
    const entry = (key: string, value?: Uint8Array) =>
      msg(2, bytes(1, key), ...(value ? [bytes(2, value)] : []));
    const raw = concat(
      entry('one', new Uint8Array([0xff])),
      entry('two', new Uint8Array([0xff, 0xfe])),
      entry('three', new Uint8Array([0, 1, 2])),
      entry('empty'),
    );
    expect(decode(envelope('v1', 'Secret', raw)).data).toStrictEqual({
      one: '/w==',
      two: '//4=',
      three: 'AAEC',
      empty: '',
    });
  });

  it('prints null for an unset []byte without omitempty', () => {
    const out = decode(envelope('certificates.k8s.io/v1', 'CertificateSigningRequest', msg(2)));
    expect(out.spec).toStrictEqual({ request: null, signerName: '' });
  });

  it('keeps "__proto__" as an ordinary map key', () => {
    const raw = meta(msg(11, bytes(1, '__proto__'), bytes(2, 'x')));
    const labels = (decode(envelope('v1', 'ConfigMap', raw)).metadata as Json).labels as Json;
    expect(Object.keys(labels)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(labels)).toBe(Object.prototype);
  });

  it('replaces invalid UTF-8 with U+FFFD', () => {
    const raw = meta(bytes(1, new Uint8Array([0x61, 0xff, 0x62])));
    expect((decode(envelope('v1', 'ConfigMap', raw)).metadata as Json).name).toBe('a\ufffdb');
  });
});

describe('apimachinery types', () => {
  it('formats metav1.Time in seconds, ignoring nanos, and the zero time as null', () => {
    const raw = concat(
      meta(bytes(1, 'e')),
      msg(2, bytes(1, 'Pod')),
      timestamp(6, 1767323045, 999_000_000),
      timestamp(7, 0),
    );
    const out = decode(envelope('v1', 'Event', raw));
    expect(out.firstTimestamp).toBe('2026-01-02T03:04:05Z');
    expect(out.lastTimestamp).toBe('1970-01-01T00:00:00Z');
    // unset metav1.Time / MicroTime structs print as null, even with omitempty
    expect(out.eventTime).toBeNull();

    const zero = decode(envelope('v1', 'Event', timestamp(6, -62135596800)));
    expect(zero.firstTimestamp).toBeNull();
    expect(zero.lastTimestamp).toBeNull();
  });

  it('formats MicroTime with six fractional digits', () => {
    const spec = msg(2, timestamp(3, 1767323045, 123456789), timestamp(4, 0, 0), varint(2, 15));
    const out = decode(envelope('coordination.k8s.io/v1', 'Lease', spec));
    expect(out.spec).toStrictEqual({
      leaseDurationSeconds: 15,
      acquireTime: '2026-01-02T03:04:05.123456Z',
      renewTime: '1970-01-01T00:00:00.000000Z',
    });
  });

  it('prints a pointer metav1.Time that is set', () => {
    const raw = meta(timestamp(9, 1767323045), varint(10, 30));
    expect(decode(envelope('v1', 'Pod', raw)).metadata).toStrictEqual({
      deletionTimestamp: '2026-01-02T03:04:05Z',
      deletionGracePeriodSeconds: 30,
    });
  });

  it('decodes map<string, Quantity> and rejects a malformed quantity with 400', () => {
    const quantity = (key: string, value: string) => msg(1, bytes(1, key), msg(2, bytes(1, value)));
    const spec = msg(2, msg(1, bytes(1, 'cpu'), msg(2)), quantity('memory', '1Gi'));
    expect(decode(envelope('v1', 'ResourceQuota', spec)).spec).toStrictEqual({
      hard: { cpu: '0', memory: '1Gi' },
    });

    const bad = msg(2, quantity('memory', '1 gig'));
    const err = statusOf(() => decodeKubernetesProtobuf(envelope('v1', 'ResourceQuota', bad)));
    expect(err.code).toBe(400);
    expect(err.message).toContain(
      'ResourceQuota in version "v1" cannot be handled as a ResourceQuota',
    );
    expect(err.message).toContain('quantities must match the regular expression');
  });

  it('decodes IntOrString as a number or a string', () => {
    const port = (...fields: Uint8Array[]) => msg(2, msg(1, varint(3, 80), msg(4, ...fields)));
    const asInt = decode(envelope('v1', 'Service', port(varint(2, 8080))));
    const asString = decode(envelope('v1', 'Service', port(varint(1, 1), bytes(3, 'http'))));
    const unset = decode(envelope('v1', 'Service', msg(2, msg(1, varint(3, 80)))));
    const portOf = (o: Json) => ((o.spec as Json).ports as Json[])[0];
    expect(portOf(asInt)).toStrictEqual({ port: 80, targetPort: 8080 });
    expect(portOf(asString)).toStrictEqual({ port: 80, targetPort: 'http' });
    expect(portOf(unset)).toStrictEqual({ port: 80, targetPort: 0 });
    const bad = statusOf(() =>
      decodeKubernetesProtobuf(envelope('v1', 'Service', port(varint(1, 7)))),
    );
    expect(bad.code).toBe(400);
  });

  it('embeds RawExtension JSON, nested protobuf objects, and rejects anything else', () => {
    const revision = (raw: Uint8Array) =>
      envelope('apps/v1', 'ControllerRevision', concat(msg(2, bytes(1, raw)), varint(3, 2)));
    const json = new TextEncoder().encode('{"spec":{"template":{"$patch":"replace"}}}');
    expect(decode(revision(json))).toMatchObject({
      data: { spec: { template: { $patch: 'replace' } } },
      revision: 2,
    });

    const nested = envelope('v1', 'ConfigMap', meta(bytes(1, 'inner')));
    expect(decode(revision(nested)).data).toStrictEqual({
      kind: 'ConfigMap',
      apiVersion: 'v1',
      metadata: { name: 'inner' },
    });

    const err = statusOf(() => decodeKubernetesProtobuf(revision(new Uint8Array([1, 2, 3]))));
    expect(err.code).toBe(400);
    expect(decode(envelope('apps/v1', 'ControllerRevision', varint(3, 1))).data).toBeNull();
  });

  it('embeds managedFields fieldsV1 JSON', () => {
    const entry = msg(
      17,
      bytes(1, 'kubectl'),
      bytes(2, 'Apply'),
      bytes(3, 'v1'),
      timestamp(4, 1767323045),
      bytes(6, 'FieldsV1'),
      msg(7, bytes(1, '{"f:data":{"f:k":{}}}')),
    );
    expect(
      (decode(envelope('v1', 'ConfigMap', meta(entry))).metadata as Json).managedFields,
    ).toStrictEqual([
      {
        manager: 'kubectl',
        operation: 'Apply',
        apiVersion: 'v1',
        time: '2026-01-02T03:04:05Z',
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:data': { 'f:k': {} } },
      },
    ]);
  });

  it('decodes map<string, ExtraValue> as string arrays', () => {
    const extra = (key: string, ...items: string[]) =>
      msg(5, bytes(1, key), msg(2, ...items.map((item) => bytes(1, item))));
    const raw = msg(2, bytes(3, 'alice'), extra('scopes', 'a', 'b'), extra('none'));
    expect(
      decode(envelope('authorization.k8s.io/v1', 'SubjectAccessReview', raw)).spec,
    ).toStrictEqual({
      user: 'alice',
      extra: { scopes: ['a', 'b'], none: null },
    });
  });

  it('decodes map<string, metav1.Time>', () => {
    const status = msg(3, msg(2, bytes(1, 'pod-a'), timestamp(2, 1767323045)));
    const out = decode(envelope('policy/v1', 'PodDisruptionBudget', status));
    expect((out.status as Json).disruptedPods).toStrictEqual({ 'pod-a': '2026-01-02T03:04:05Z' });
  });

  it('formats durations as Go does', () => {
    expect(formatGoDuration(0n)).toBe('0s');
    expect(formatGoDuration(1n)).toBe('1ns');
    expect(formatGoDuration(1_500n)).toBe('1.5µs');
    expect(formatGoDuration(2_000_000n)).toBe('2ms');
    expect(formatGoDuration(1_500_000_000n)).toBe('1.5s');
    expect(formatGoDuration(90_000_000_000n)).toBe('1m30s');
    expect(formatGoDuration(3_600_000_000_000n)).toBe('1h0m0s');
    expect(formatGoDuration(-3_723_000_000_000n)).toBe('-1h2m3s');
  });
});

describe('malformed bodies', () => {
  it('names the kind and field for a wrong wire type', () => {
    const raw = msg(2, bytes(1, 'two'));
    const err = statusOf(() => decodeKubernetesProtobuf(envelope('apps/v1', 'Deployment', raw)));
    expect(err.code).toBe(400);
    expect(err.message).toBe(
      'Deployment in version "v1" cannot be handled as a Deployment: proto: wrong wireType = 2 for field spec.replicas',
    );
  });

  it('rejects a length running past the end', () => {
    const raw = concat(new Uint8Array([0x0a, 0x7f]), new Uint8Array(3));
    const err = statusOf(() => decodeKubernetesProtobuf(envelope('v1', 'ConfigMap', raw)));
    expect(err.code).toBe(400);
    expect(err.message).toContain('unexpected EOF');
  });

  it('rejects field number 0 and illegal wire types', () => {
    for (const raw of [new Uint8Array([0x00, 0x01]), new Uint8Array([0x0f])]) {
      expect(statusOf(() => decodeKubernetesProtobuf(envelope('v1', 'ConfigMap', raw))).code).toBe(
        400,
      );
    }
  });

  it('rejects a varint longer than ten bytes', () => {
    const raw = concat(new Uint8Array([0x08]), new Uint8Array(11).fill(0xff));
    const err = statusOf(() => decodeKubernetesProtobuf(envelope('v1', 'ConfigMap', raw)));
    expect(err.code).toBe(400);
  });
});
