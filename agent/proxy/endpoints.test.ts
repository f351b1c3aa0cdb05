import { describe, it, expect } from 'vitest';
import type { KubeObject } from '../../main/api/types.ts';
import {
  SERVICE_NAME_LABEL,
  endpointsByPort,
  serviceKey,
  servicePortName,
  slicesByService,
} from './endpoints.ts';

function slice(
  namespace: string,
  name: string,
  fields: Record<string, unknown>,
  labels: Record<string, string> = {},
): KubeObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { namespace, name, labels },
    addressType: 'IPv4',
    ...fields,
  };
}

describe('serviceKey', () => {
  it('joins namespace and name', () => {
    expect(serviceKey('ns', 'web')).toBe('ns/web');
    expect(serviceKey(undefined, undefined)).toBe('/');
  });
});

describe('slicesByService', () => {
  it('groups IPv4 slices by the Service label, per namespace', () => {
    const a1 = slice('ns', 'web-1', {}, { [SERVICE_NAME_LABEL]: 'web' });
    const a2 = slice('ns', 'web-2', {}, { [SERVICE_NAME_LABEL]: 'web' });
    const b = slice('other', 'web-3', {}, { [SERVICE_NAME_LABEL]: 'web' });
    const v6 = slice('ns', 'web-v6', { addressType: 'IPv6' }, { [SERVICE_NAME_LABEL]: 'web' });
    const fqdn = slice('ns', 'web-f', { addressType: 'FQDN' }, { [SERVICE_NAME_LABEL]: 'web' });
    const unlabelled = slice('ns', 'stray', {});
    const grouped = slicesByService([a1, v6, b, a2, fqdn, unlabelled]);
    expect([...grouped.keys()].sort()).toEqual(['ns/web', 'other/web']);
    expect(grouped.get('ns/web')).toEqual([a1, a2]);
    expect(grouped.get('other/web')).toEqual([b]);
  });
});

describe('endpointsByPort', () => {
  it('lists every address per port name with its readiness, hostname and pod', () => {
    const byPort = endpointsByPort([
      slice('ns', 'web-1', {
        ports: [
          { name: 'http', port: 8080, protocol: 'TCP' },
          { name: 'dns', port: 53, protocol: 'UDP' },
        ],
        endpoints: [
          {
            addresses: ['10.244.0.2'],
            conditions: { ready: true },
            hostname: 'web-0',
            targetRef: { kind: 'Pod', namespace: 'ns', name: 'web-0' },
          },
          { addresses: ['10.244.0.3'], conditions: { ready: false } },
          // No ready condition: kube-proxy and CoreDNS take it as ready.
          { addresses: ['10.244.0.4'], conditions: {} },
          { addresses: ['10.244.0.5'] },
        ],
      }),
    ]);
    expect([...byPort.keys()]).toEqual(['http', 'dns']);
    expect(byPort.get('http')).toEqual({
      name: 'http',
      protocol: 'TCP',
      endpoints: [
        { ip: '10.244.0.2', port: 8080, ready: true, hostname: 'web-0', podName: 'web-0' },
        { ip: '10.244.0.3', port: 8080, ready: false },
        { ip: '10.244.0.4', port: 8080, ready: true },
        { ip: '10.244.0.5', port: 8080, ready: true },
      ],
    });
    expect(byPort.get('dns')?.protocol).toBe('UDP');
    expect(byPort.get('dns')?.endpoints.map((e) => `${e.ip}:${e.port}`)).toEqual([
      '10.244.0.2:53',
      '10.244.0.3:53',
      '10.244.0.4:53',
      '10.244.0.5:53',
    ]);
  });

  it('merges slices: a named port with different numbers per pod keeps each number', () => {
    const byPort = endpointsByPort([
      slice('ns', 'web-a', {
        ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
        endpoints: [{ addresses: ['10.244.0.2'], conditions: { ready: true } }],
      }),
      slice('ns', 'web-b', {
        ports: [{ name: 'http', port: 9090, protocol: 'TCP' }],
        endpoints: [{ addresses: ['10.244.0.3'], conditions: { ready: true } }],
      }),
    ]);
    expect(byPort.get('http')?.endpoints).toEqual([
      { ip: '10.244.0.2', port: 8080, ready: true },
      { ip: '10.244.0.3', port: 9090, ready: true },
    ]);
  });

  it('keeps an address listed in two slices once, ready if either copy is', () => {
    const port = [{ name: '', port: 80, protocol: 'TCP' }];
    const byPort = endpointsByPort([
      slice('ns', 'old', {
        ports: port,
        endpoints: [{ addresses: ['10.244.0.2'], conditions: { ready: false } }],
      }),
      slice('ns', 'new', {
        ports: port,
        endpoints: [{ addresses: ['10.244.0.2'], conditions: { ready: true } }],
      }),
    ]);
    expect(byPort.get('')?.endpoints).toEqual([{ ip: '10.244.0.2', port: 80, ready: true }]);
  });

  it('names an unnamed port "" and defaults the protocol to TCP', () => {
    const byPort = endpointsByPort([
      slice('ns', 's', {
        ports: [{ port: 80 }],
        endpoints: [{ addresses: ['10.244.0.2'] }],
      }),
    ]);
    expect(byPort.get('')).toEqual({
      name: '',
      protocol: 'TCP',
      endpoints: [{ ip: '10.244.0.2', port: 80, ready: true }],
    });
  });

  it('ignores ports without a number and slices without ports or endpoints', () => {
    const byPort = endpointsByPort([
      slice('ns', 'a', { ports: [{ name: 'x' }], endpoints: [{ addresses: ['10.244.0.2'] }] }),
      slice('ns', 'b', { ports: null, endpoints: [{ addresses: ['10.244.0.3'] }] }),
      slice('ns', 'c', { ports: [{ name: 'y', port: 81 }], endpoints: null }),
    ]);
    expect([...byPort.keys()]).toEqual(['y']);
    expect(byPort.get('y')?.endpoints).toEqual([]);
  });

  it('does not take a non-Pod targetRef for a pod name', () => {
    const byPort = endpointsByPort([
      slice('ns', 'a', {
        ports: [{ port: 80 }],
        endpoints: [{ addresses: ['10.0.0.9'], targetRef: { kind: 'Node', name: 'node-1' } }],
      }),
    ]);
    expect(byPort.get('')?.endpoints[0]).toEqual({ ip: '10.0.0.9', port: 80, ready: true });
  });
});

describe('servicePortName', () => {
  const service: KubeObject = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { namespace: 'ns', name: 'web' },
    spec: {
      ports: [
        { name: 'http', port: 80 },
        { name: 'metrics', port: 9090 },
      ],
    },
  };
  const unnamed: KubeObject = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { namespace: 'ns', name: 'one' },
    spec: { ports: [{ port: 80 }] },
  };

  it('finds the port name by number or by name', () => {
    expect(servicePortName(service, 9090)).toBe('metrics');
    expect(servicePortName(service, 'http')).toBe('http');
    expect(servicePortName(unnamed, 80)).toBe('');
  });

  it('gives undefined for a port the Service does not have', () => {
    expect(servicePortName(service, 8080)).toBeUndefined();
    expect(servicePortName(service, 'grpc')).toBeUndefined();
    expect(servicePortName(unnamed, 'http')).toBeUndefined();
  });
});
