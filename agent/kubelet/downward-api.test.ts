import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../main/api/types.ts';
import { fieldRefValue, formatMap, resourceFieldValue } from './downward-api.ts';

const pod: KubeObject = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: 'p',
    namespace: 'ns',
    uid: 'u1',
    labels: { tier: 'web', app: 'a"b' },
    annotations: { note: 'x' },
  },
  spec: { nodeName: 'n1', serviceAccountName: 'sa' },
};

describe('downward API values', () => {
  it('formats label and annotation maps sorted and quoted like kubelet', () => {
    expect(formatMap(pod.metadata.labels)).toBe('app="a\\"b"\ntier="web"');
    expect(fieldRefValue(pod, 'metadata.annotations')).toBe('note="x"');
    expect(fieldRefValue(pod, "metadata.labels['tier']")).toBe('web');
    expect(fieldRefValue(pod, 'metadata.uid')).toBe('u1');
  });

  it('gives status and spec fields to env only', () => {
    expect(fieldRefValue(pod, 'status.podIP', { hostIP: 'h', podIP: '10.0.0.5' })).toBe('10.0.0.5');
    expect(fieldRefValue(pod, 'spec.nodeName', { hostIP: 'h' })).toBe('n1');
    expect(() => fieldRefValue(pod, 'status.podIP')).toThrow('unsupported fieldPath: status.podIP');
  });

  it('divides resources rounding up; unset limits are allocatable', () => {
    const c = { resources: { requests: { cpu: '1500m', memory: '1Gi' }, limits: { cpu: '2' } } };
    expect(resourceFieldValue(c, 'requests.cpu', undefined)).toBe('2');
    expect(resourceFieldValue(c, 'requests.cpu', '1m')).toBe('1500');
    expect(resourceFieldValue(c, 'requests.memory', '1Mi')).toBe('1024');
    expect(resourceFieldValue(c, 'limits.cpu', '100m')).toBe('20');
    expect(resourceFieldValue(c, 'limits.memory', '1Ki', { memory: '2048Ki' })).toBe('2048');
    expect(resourceFieldValue({}, 'requests.ephemeral-storage', undefined)).toBe('0');
    expect(() => resourceFieldValue(c, 'limits.gpu', undefined)).toThrow(
      'unsupported container resource : limits.gpu',
    );
  });
});
