import { describe, it, expect } from 'vitest';
import type { KubeObject } from '../../main/api/types.ts';
import { buildServicesConfig, serviceVips } from './service-config.ts';

function service(namespace: string, name: string, spec: Record<string, unknown>): KubeObject {
  return { apiVersion: 'v1', kind: 'Service', metadata: { namespace, name }, spec };
}

interface SliceEndpoint {
  ip: string;
  ready?: boolean;
}

function slice(
  namespace: string,
  serviceName: string,
  name: string,
  ports: { name?: string; port: number; protocol?: string }[],
  endpoints: SliceEndpoint[],
): KubeObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { namespace, name, labels: { 'kubernetes.io/service-name': serviceName } },
    addressType: 'IPv4',
    ports: ports.map((p) => ({ protocol: 'TCP', ...p })),
    endpoints: endpoints.map((e) => ({
      addresses: [e.ip],
      conditions: e.ready === undefined ? {} : { ready: e.ready },
    })),
  };
}

describe('buildServicesConfig', () => {
  it('maps a ClusterIP Service port to the ready endpoints of its slice port', () => {
    const config = buildServicesConfig(
      [
        service('ns', 'web', {
          type: 'ClusterIP',
          clusterIP: '10.96.0.10',
          clusterIPs: ['10.96.0.10'],
          ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }],
          sessionAffinity: 'None',
        }),
      ],
      [
        slice(
          'ns',
          'web',
          'web-abc',
          [{ port: 8080 }],
          [{ ip: '10.244.0.3', ready: true }, { ip: '10.244.0.2' }],
        ),
      ],
    );
    expect(config).toEqual({
      services: [
        {
          key: 'ns/web',
          vips: ['10.96.0.10'],
          ports: [
            {
              name: '',
              protocol: 'TCP',
              port: 80,
              endpoints: [
                { ip: '10.244.0.2', port: 8080 },
                { ip: '10.244.0.3', port: 8080 },
              ],
            },
          ],
        },
      ],
    });
  });

  it('skips headless, unallocated and ExternalName Services', () => {
    const config = buildServicesConfig(
      [
        service('ns', 'headless', { clusterIP: 'None', ports: [{ port: 80 }] }),
        service('ns', 'pending', { ports: [{ port: 80 }] }),
        service('ns', 'external', { type: 'ExternalName', externalName: 'example.com' }),
        service('ns', 'real', { clusterIP: '10.96.0.11', ports: [{ port: 80 }] }),
      ],
      [slice('ns', 'headless', 'h-1', [{ port: 80 }], [{ ip: '10.244.0.9' }])],
    );
    expect(config.services.map((s) => s.key)).toEqual(['ns/real']);
    expect(config.services[0].ports[0].endpoints).toEqual([]);
  });

  it('resolves a named targetPort to a different number per pod through the slices', () => {
    const config = buildServicesConfig(
      [
        service('ns', 'web', {
          clusterIP: '10.96.0.12',
          ports: [
            { name: 'http', port: 80, targetPort: 'web', protocol: 'TCP' },
            { name: 'dns', port: 53, targetPort: 5353, protocol: 'UDP' },
          ],
        }),
      ],
      [
        // The EndpointSlice controller puts pods whose named port differs into different slices.
        slice(
          'ns',
          'web',
          'web-a',
          [
            { name: 'http', port: 8080 },
            { name: 'dns', port: 5353, protocol: 'UDP' },
          ],
          [{ ip: '10.244.0.2' }],
        ),
        slice(
          'ns',
          'web',
          'web-b',
          [
            { name: 'http', port: 9090 },
            { name: 'dns', port: 5353, protocol: 'UDP' },
          ],
          [{ ip: '10.244.0.3' }],
        ),
      ],
    );
    expect(config.services[0].ports).toEqual([
      {
        name: 'http',
        protocol: 'TCP',
        port: 80,
        endpoints: [
          { ip: '10.244.0.2', port: 8080 },
          { ip: '10.244.0.3', port: 9090 },
        ],
      },
      {
        name: 'dns',
        protocol: 'UDP',
        port: 53,
        endpoints: [
          { ip: '10.244.0.2', port: 5353 },
          { ip: '10.244.0.3', port: 5353 },
        ],
      },
    ]);
  });

  it('leaves out endpoints that are not ready, slices of other Services and SCTP ports', () => {
    const config = buildServicesConfig(
      [
        service('ns', 'web', {
          clusterIP: '10.96.0.13',
          ports: [
            { name: 'http', port: 80, protocol: 'TCP' },
            { name: 'sig', port: 9999, protocol: 'SCTP' },
          ],
        }),
      ],
      [
        slice(
          'ns',
          'web',
          'web-a',
          [
            { name: 'http', port: 8080 },
            { name: 'sig', port: 9999, protocol: 'SCTP' },
          ],
          [
            { ip: '10.244.0.2', ready: true },
            { ip: '10.244.0.3', ready: false },
          ],
        ),
        slice('other', 'web', 'web-x', [{ name: 'http', port: 8080 }], [{ ip: '10.244.1.1' }]),
        slice('ns', 'web2', 'web2-x', [{ name: 'http', port: 8080 }], [{ ip: '10.244.1.2' }]),
      ],
    );
    expect(config.services[0].ports).toEqual([
      { name: 'http', protocol: 'TCP', port: 80, endpoints: [{ ip: '10.244.0.2', port: 8080 }] },
    ]);
  });

  it('matches the slice port by protocol as well as by name', () => {
    const config = buildServicesConfig(
      [service('ns', 'dns', { clusterIP: '10.96.0.14', ports: [{ port: 53, protocol: 'UDP' }] })],
      [slice('ns', 'dns', 'dns-a', [{ port: 53, protocol: 'TCP' }], [{ ip: '10.244.0.2' }])],
    );
    expect(config.services[0].ports[0].endpoints).toEqual([]);
  });

  it('carries ClientIP affinity with its timeout, 10800 s when unset', () => {
    const config = buildServicesConfig(
      [
        service('ns', 'a', {
          clusterIP: '10.96.0.15',
          ports: [{ port: 80 }],
          sessionAffinity: 'ClientIP',
          sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } },
        }),
        service('ns', 'b', {
          clusterIP: '10.96.0.16',
          ports: [{ port: 80 }],
          sessionAffinity: 'ClientIP',
        }),
        service('ns', 'c', {
          clusterIP: '10.96.0.17',
          ports: [{ port: 80 }],
          sessionAffinity: 'None',
          sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } },
        }),
      ],
      [],
    );
    expect(config.services.map((s) => [s.key, s.affinityTimeoutSeconds])).toEqual([
      ['ns/a', 60],
      ['ns/b', 10800],
      ['ns/c', undefined],
    ]);
    expect('affinityTimeoutSeconds' in config.services[2]).toBe(false);
  });

  it('sends the kubernetes Service of default to the host, and no other', () => {
    const config = buildServicesConfig(
      [
        service('default', 'kubernetes', {
          clusterIP: '10.96.0.1',
          ports: [{ name: 'https', port: 443, targetPort: 6443, protocol: 'TCP' }],
        }),
        service('other', 'kubernetes', { clusterIP: '10.96.0.2', ports: [{ port: 443 }] }),
      ],
      [slice('default', 'kubernetes', 'kubernetes', [{ name: 'https', port: 6443 }], [])],
    );
    expect(config.services).toEqual([
      {
        key: 'default/kubernetes',
        vips: ['10.96.0.1'],
        ports: [{ name: 'https', protocol: 'TCP', port: 443, endpoints: [], toHost: true }],
      },
      {
        key: 'other/kubernetes',
        vips: ['10.96.0.2'],
        ports: [{ name: '', protocol: 'TCP', port: 443, endpoints: [] }],
      },
    ]);
  });

  it('gives an identical document for the same state in any order', () => {
    const services = [
      service('b', 'x', { clusterIP: '10.96.0.20', ports: [{ port: 80 }] }),
      service('a', 'y', { clusterIP: '10.96.0.21', ports: [{ port: 80 }] }),
      service('a', 'x', { clusterIP: '10.96.0.22', ports: [{ port: 80 }] }),
    ];
    const slices = [
      slice('a', 'x', 'x-1', [{ port: 8080 }], [{ ip: '10.244.0.10' }, { ip: '10.244.0.9' }]),
      slice('a', 'x', 'x-2', [{ port: 8080 }], [{ ip: '10.244.0.100' }]),
    ];
    const first = buildServicesConfig(services, slices);
    const second = buildServicesConfig([...services].reverse(), [...slices].reverse());
    expect(JSON.stringify(second)).toBe(JSON.stringify(first));
    expect(first.services.map((s) => s.key)).toEqual(['a/x', 'a/y', 'b/x']);
    // Numeric order of addresses, not string order.
    expect(first.services[0].ports[0].endpoints.map((e) => e.ip)).toEqual([
      '10.244.0.9',
      '10.244.0.10',
      '10.244.0.100',
    ]);
  });
});

describe('serviceVips', () => {
  it('lists the IPv4 ClusterIPs of a dual-stack Service', () => {
    expect(
      serviceVips(
        service('ns', 'dual', {
          clusterIP: '10.96.0.30',
          clusterIPs: ['10.96.0.30', 'fd00::30'],
        }),
      ),
    ).toEqual(['10.96.0.30']);
    expect(serviceVips(service('ns', 'old', { clusterIP: '10.96.0.31' }))).toEqual(['10.96.0.31']);
    expect(serviceVips(service('ns', 'headless', { clusterIP: 'None' }))).toEqual([]);
  });
});
