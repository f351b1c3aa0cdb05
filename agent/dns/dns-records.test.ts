import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../main/api/types.ts';
import { buildDnsRecords, reverseName } from './dns-records.ts';

function service(name: string, spec: Record<string, unknown>, namespace = 'default'): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace, uid: `uid-${name}` },
    spec: { type: 'ClusterIP', sessionAffinity: 'None', ...spec },
  };
}

interface EndpointSpec {
  ip: string;
  pod: string;
  ready?: boolean;
  hostname?: string;
}

/** An EndpointSlice the way our EndpointSlice controller writes it. */
function slice(
  serviceName: string,
  ports: { name: string; protocol?: string; port: number }[],
  endpoints: EndpointSpec[],
  options: { namespace?: string; suffix?: string; addressType?: string; headless?: boolean } = {},
): KubeObject {
  const namespace = options.namespace ?? 'default';
  const labels: Record<string, string> = {
    'kubernetes.io/service-name': serviceName,
    'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io',
  };
  if (options.headless) labels['service.kubernetes.io/headless'] = '';
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: `${serviceName}-${options.suffix ?? 'abcde'}`,
      namespace,
      labels,
      ownerReferences: [
        {
          apiVersion: 'v1',
          kind: 'Service',
          name: serviceName,
          uid: `uid-${serviceName}`,
          controller: true,
        },
      ],
    },
    addressType: options.addressType ?? 'IPv4',
    endpoints: endpoints.map((e) => {
      const ready = e.ready ?? true;
      const out: Record<string, unknown> = {
        addresses: [e.ip],
        conditions: { ready, serving: ready, terminating: false },
        targetRef: { kind: 'Pod', namespace, name: e.pod, uid: `uid-${e.pod}` },
        nodeName: 'skiff',
      };
      if (e.hostname) out.hostname = e.hostname;
      return out;
    }),
    ports: ports.map((p) => ({ name: p.name, protocol: p.protocol ?? 'TCP', port: p.port })),
  };
}

describe('buildDnsRecords', () => {
  it('gives a ClusterIP Service its A, SRV per named port and PTR records', () => {
    const records = buildDnsRecords(
      [
        service('web', {
          clusterIP: '10.96.0.20',
          clusterIPs: ['10.96.0.20'],
          ports: [
            { name: 'http', protocol: 'TCP', port: 80, targetPort: 8080 },
            { name: 'dns', protocol: 'UDP', port: 53, targetPort: 53 },
          ],
        }),
        service(
          'plain',
          { clusterIP: '10.96.0.21', ports: [{ protocol: 'TCP', port: 80 }] },
          'Other',
        ),
      ],
      [slice('web', [{ name: 'http', port: 8080 }], [{ ip: '10.244.0.5', pod: 'web-1' }])],
    );
    expect(records).toEqual({
      '20.0.96.10.in-addr.arpa': { ptr: ['web.default.svc.cluster.local'] },
      '21.0.96.10.in-addr.arpa': { ptr: ['plain.other.svc.cluster.local'] },
      '_dns._udp.web.default.svc.cluster.local': {
        srv: [{ priority: 0, weight: 100, port: 53, target: 'web.default.svc.cluster.local' }],
      },
      '_http._tcp.web.default.svc.cluster.local': {
        srv: [{ priority: 0, weight: 100, port: 80, target: 'web.default.svc.cluster.local' }],
      },
      'plain.other.svc.cluster.local': {
        a: ['10.96.0.21'],
        srv: [{ priority: 0, weight: 100, port: 80, target: 'plain.other.svc.cluster.local' }],
      },
      'web.default.svc.cluster.local': {
        a: ['10.96.0.20'],
        // CoreDNS answers SRV on the Service name itself with every port.
        srv: [
          { priority: 0, weight: 50, port: 53, target: 'web.default.svc.cluster.local' },
          { priority: 0, weight: 50, port: 80, target: 'web.default.svc.cluster.local' },
        ],
      },
    });
    // Pod IPs of a ClusterIP Service are not published.
    expect(Object.keys(records).some((name) => name.includes('10-244-0-5'))).toBe(false);
  });

  it('gives a headless StatefulSet Service every ready IP, pod names, SRV and PTR', () => {
    const records = buildDnsRecords(
      [
        service('web', {
          clusterIP: 'None',
          clusterIPs: ['None'],
          ports: [{ name: 'http', port: 80 }],
        }),
      ],
      [
        slice(
          'web',
          [{ name: 'http', port: 8080 }],
          [
            { ip: '10.244.0.11', pod: 'web-1', hostname: 'web-1' },
            { ip: '10.244.0.9', pod: 'web-0', hostname: 'web-0' },
            { ip: '10.244.0.12', pod: 'web-2', hostname: 'web-2', ready: false },
          ],
          { headless: true },
        ),
      ],
    );
    expect(records['web.default.svc.cluster.local'].a).toEqual(['10.244.0.9', '10.244.0.11']);
    expect(records['web-0.web.default.svc.cluster.local']).toEqual({ a: ['10.244.0.9'] });
    expect(records['web-1.web.default.svc.cluster.local']).toEqual({ a: ['10.244.0.11'] });
    // Not ready: no name at all.
    expect(records['web-2.web.default.svc.cluster.local']).toBeUndefined();
    expect(records[reverseName('10.244.0.12')]).toBeUndefined();
    expect(records['_http._tcp.web.default.svc.cluster.local']).toEqual({
      srv: [
        { priority: 0, weight: 50, port: 8080, target: 'web-0.web.default.svc.cluster.local' },
        { priority: 0, weight: 50, port: 8080, target: 'web-1.web.default.svc.cluster.local' },
      ],
    });
    expect(records['9.0.244.10.in-addr.arpa']).toEqual({
      ptr: ['web-0.web.default.svc.cluster.local'],
    });
  });

  it('names headless endpoints without a hostname by their dashed IP, across slices and ports', () => {
    const ports = [
      { name: 'grpc', port: 9000 },
      { name: 'metrics', port: 9100 },
    ];
    const records = buildDnsRecords(
      [service('cache', { clusterIP: 'None', ports: [] })],
      [
        slice('cache', ports, [{ ip: '10.244.1.2', pod: 'cache-a' }], { suffix: 'one' }),
        slice('cache', ports, [{ ip: '10.244.1.3', pod: 'cache-b' }], { suffix: 'two' }),
        // IPv6 slices and other Services' slices do not count.
        slice('cache', ports, [{ ip: 'fd00::3', pod: 'cache-b' }], {
          suffix: 'v6',
          addressType: 'IPv6',
        }),
        slice('cache', ports, [{ ip: '10.244.9.9', pod: 'x' }], { namespace: 'other' }),
      ],
    );
    expect(records['cache.default.svc.cluster.local'].a).toEqual(['10.244.1.2', '10.244.1.3']);
    expect(records['10-244-1-2.cache.default.svc.cluster.local']).toEqual({ a: ['10.244.1.2'] });
    expect(records['_grpc._tcp.cache.default.svc.cluster.local'].srv).toEqual([
      { priority: 0, weight: 50, port: 9000, target: '10-244-1-2.cache.default.svc.cluster.local' },
      { priority: 0, weight: 50, port: 9000, target: '10-244-1-3.cache.default.svc.cluster.local' },
    ]);
    expect(records['_metrics._tcp.cache.default.svc.cluster.local'].srv).toHaveLength(2);
    expect(records['cache.default.svc.cluster.local'].srv).toHaveLength(4);
    expect(records['3.1.244.10.in-addr.arpa']).toEqual({
      ptr: ['10-244-1-3.cache.default.svc.cluster.local'],
    });
  });

  it('gives a headless Service without ports its A records, and none without ready endpoints', () => {
    const records = buildDnsRecords(
      [
        service('bare', { clusterIP: 'None' }),
        service('empty', { clusterIP: 'None', ports: [{ name: 'x', port: 1 }] }),
      ],
      [
        slice('bare', [], [{ ip: '10.244.2.2', pod: 'bare-0', hostname: 'bare-0' }]),
        slice('empty', [{ name: 'x', port: 1 }], [{ ip: '10.244.2.3', pod: 'e', ready: false }]),
      ],
    );
    expect(records['bare.default.svc.cluster.local']).toEqual({ a: ['10.244.2.2'] });
    expect(records['bare-0.bare.default.svc.cluster.local']).toEqual({ a: ['10.244.2.2'] });
    // The spec: no ready endpoints, NXDOMAIN, so no name.
    expect(Object.keys(records).filter((n) => n.includes('empty'))).toEqual([]);
  });

  it('maps an ExternalName Service to a CNAME and skips Services without a ClusterIP yet', () => {
    const records = buildDnsRecords(
      [
        service('ext', { type: 'ExternalName', externalName: 'WWW.Example.COM.' }),
        service('by-ip', { type: 'ExternalName', externalName: '192.0.2.1' }),
        service('pending', { ports: [{ name: 'http', port: 80 }] }),
      ],
      [],
      'corp.internal',
    );
    expect(records).toEqual({ 'ext.default.svc.corp.internal': { cname: 'www.example.com' } });
  });

  it('is deterministic whatever the input order', () => {
    const services = [
      service('b', { clusterIP: '10.96.0.3' }),
      service('a', { clusterIP: 'None', ports: [{ name: 'p', port: 1 }] }),
    ];
    const slices = [
      slice('a', [{ name: 'p', port: 1 }], [{ ip: '10.244.0.10', pod: 'a1' }], { suffix: '1' }),
      slice('a', [{ name: 'p', port: 1 }], [{ ip: '10.244.0.2', pod: 'a2' }], { suffix: '2' }),
    ];
    const one = JSON.stringify(buildDnsRecords(services, slices));
    const two = JSON.stringify(buildDnsRecords([...services].reverse(), [...slices].reverse()));
    expect(two).toBe(one);
    expect(Object.keys(JSON.parse(one) as object)).toEqual(
      [...Object.keys(JSON.parse(one) as object)].sort(),
    );
  });
});
