import { describe, it, expect } from 'vitest';
import type { KubeObject } from '../../main/api/types.ts';
import { envVarName, serviceEnv, serviceEnvVars } from './service-env.ts';

function service(namespace: string, name: string, spec: Record<string, unknown>): KubeObject {
  return { apiVersion: 'v1', kind: 'Service', metadata: { namespace, name }, spec };
}

function pod(namespace: string, spec: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { namespace, name: 'client' },
    spec: { containers: [{ name: 'c', image: 'busybox' }], ...spec },
  };
}

const kubernetes = service('default', 'kubernetes', {
  clusterIP: '10.96.0.1',
  ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }],
});

const KUBERNETES_VARS = [
  { name: 'KUBERNETES_SERVICE_HOST', value: '10.96.0.1' },
  { name: 'KUBERNETES_SERVICE_PORT', value: '443' },
  { name: 'KUBERNETES_SERVICE_PORT_HTTPS', value: '443' },
  { name: 'KUBERNETES_PORT', value: 'tcp://10.96.0.1:443' },
  { name: 'KUBERNETES_PORT_443_TCP', value: 'tcp://10.96.0.1:443' },
  { name: 'KUBERNETES_PORT_443_TCP_PROTO', value: 'tcp' },
  { name: 'KUBERNETES_PORT_443_TCP_PORT', value: '443' },
  { name: 'KUBERNETES_PORT_443_TCP_ADDR', value: '10.96.0.1' },
];

describe('serviceEnvVars', () => {
  it('gives the host/port pair, named ports and the Docker-links variables per port', () => {
    const vars = serviceEnvVars(
      service('ns', 'redis-master', {
        clusterIP: '10.0.0.11',
        ports: [
          { port: 6379, targetPort: 6379 },
          { name: 'metrics-port', port: 9121, protocol: 'TCP' },
          { name: 'dns', port: 53, protocol: 'UDP' },
        ],
      }),
    );
    expect(vars).toEqual([
      { name: 'REDIS_MASTER_SERVICE_HOST', value: '10.0.0.11' },
      { name: 'REDIS_MASTER_SERVICE_PORT', value: '6379' },
      { name: 'REDIS_MASTER_SERVICE_PORT_METRICS_PORT', value: '9121' },
      { name: 'REDIS_MASTER_SERVICE_PORT_DNS', value: '53' },
      { name: 'REDIS_MASTER_PORT', value: 'tcp://10.0.0.11:6379' },
      { name: 'REDIS_MASTER_PORT_6379_TCP', value: 'tcp://10.0.0.11:6379' },
      { name: 'REDIS_MASTER_PORT_6379_TCP_PROTO', value: 'tcp' },
      { name: 'REDIS_MASTER_PORT_6379_TCP_PORT', value: '6379' },
      { name: 'REDIS_MASTER_PORT_6379_TCP_ADDR', value: '10.0.0.11' },
      { name: 'REDIS_MASTER_PORT_9121_TCP', value: 'tcp://10.0.0.11:9121' },
      { name: 'REDIS_MASTER_PORT_9121_TCP_PROTO', value: 'tcp' },
      { name: 'REDIS_MASTER_PORT_9121_TCP_PORT', value: '9121' },
      { name: 'REDIS_MASTER_PORT_9121_TCP_ADDR', value: '10.0.0.11' },
      { name: 'REDIS_MASTER_PORT_53_UDP', value: 'udp://10.0.0.11:53' },
      { name: 'REDIS_MASTER_PORT_53_UDP_PROTO', value: 'udp' },
      { name: 'REDIS_MASTER_PORT_53_UDP_PORT', value: '53' },
      { name: 'REDIS_MASTER_PORT_53_UDP_ADDR', value: '10.0.0.11' },
    ]);
  });

  it('uses the first port for the bare _PORT even when it is UDP', () => {
    const vars = serviceEnvVars(
      service('ns', 'dns', { clusterIP: '10.0.0.10', ports: [{ port: 53, protocol: 'UDP' }] }),
    );
    expect(vars.find((v) => v.name === 'DNS_PORT')?.value).toBe('udp://10.0.0.10:53');
  });

  it('brackets an IPv6 ClusterIP in URLs only', () => {
    const vars = serviceEnvVars(
      service('ns', 'v6', { clusterIP: 'fd00::1', ports: [{ port: 80 }] }),
    );
    expect(vars.find((v) => v.name === 'V6_PORT')?.value).toBe('tcp://[fd00::1]:80');
    expect(vars.find((v) => v.name === 'V6_PORT_80_TCP_ADDR')?.value).toBe('fd00::1');
  });

  it('gives nothing for headless or unallocated Services', () => {
    expect(
      serviceEnvVars(service('ns', 'h', { clusterIP: 'None', ports: [{ port: 80 }] })),
    ).toEqual([]);
    expect(serviceEnvVars(service('ns', 'p', { clusterIP: '', ports: [{ port: 80 }] }))).toEqual(
      [],
    );
  });

  it('converts names the way kubelet does', () => {
    expect(envVarName('my-web-svc')).toBe('MY_WEB_SVC');
  });
});

describe('serviceEnv', () => {
  const services = [
    kubernetes,
    service('ns', 'web', { clusterIP: '10.96.0.20', ports: [{ port: 80 }] }),
    service('ns', 'api-gw', { clusterIP: '10.96.0.21', ports: [{ name: 'http', port: 8080 }] }),
    service('ns', 'headless', { clusterIP: 'None', ports: [{ port: 80 }] }),
    service('ns', 'ext', { type: 'ExternalName', externalName: 'example.com' }),
    service('other', 'elsewhere', { clusterIP: '10.96.0.30', ports: [{ port: 80 }] }),
  ];

  it('gives the Services of the pod namespace with a ClusterIP, plus kubernetes', () => {
    const env = serviceEnv(pod('ns'), services);
    expect(env).toEqual([
      { name: 'API_GW_SERVICE_HOST', value: '10.96.0.21' },
      { name: 'API_GW_SERVICE_PORT', value: '8080' },
      { name: 'API_GW_SERVICE_PORT_HTTP', value: '8080' },
      { name: 'API_GW_PORT', value: 'tcp://10.96.0.21:8080' },
      { name: 'API_GW_PORT_8080_TCP', value: 'tcp://10.96.0.21:8080' },
      { name: 'API_GW_PORT_8080_TCP_PROTO', value: 'tcp' },
      { name: 'API_GW_PORT_8080_TCP_PORT', value: '8080' },
      { name: 'API_GW_PORT_8080_TCP_ADDR', value: '10.96.0.21' },
      ...KUBERNETES_VARS,
      { name: 'WEB_SERVICE_HOST', value: '10.96.0.20' },
      { name: 'WEB_SERVICE_PORT', value: '80' },
      { name: 'WEB_PORT', value: 'tcp://10.96.0.20:80' },
      { name: 'WEB_PORT_80_TCP', value: 'tcp://10.96.0.20:80' },
      { name: 'WEB_PORT_80_TCP_PROTO', value: 'tcp' },
      { name: 'WEB_PORT_80_TCP_PORT', value: '80' },
      { name: 'WEB_PORT_80_TCP_ADDR', value: '10.96.0.20' },
    ]);
    expect(env.some((v) => v.name.startsWith('HEADLESS_'))).toBe(false);
    expect(env.some((v) => v.name.startsWith('EXT_'))).toBe(false);
    expect(env.some((v) => v.name.startsWith('ELSEWHERE_'))).toBe(false);
  });

  it('gives only the kubernetes Service when enableServiceLinks is false', () => {
    expect(serviceEnv(pod('ns', { enableServiceLinks: false }), services)).toEqual(KUBERNETES_VARS);
  });

  it('gives the default namespace Services to a pod in default, kubernetes once', () => {
    const env = serviceEnv(pod('default'), [
      ...services,
      service('default', 'db', { clusterIP: '10.96.0.40', ports: [{ port: 5432 }] }),
    ]);
    expect(env.map((v) => v.name).filter((n) => n === 'KUBERNETES_SERVICE_HOST')).toHaveLength(1);
    expect(env[0]).toEqual({ name: 'DB_SERVICE_HOST', value: '10.96.0.40' });
    expect(env.some((v) => v.name.startsWith('WEB_'))).toBe(false);
  });

  it("lets a Service named kubernetes in the pod's namespace win when links are on", () => {
    const own = service('ns', 'kubernetes', { clusterIP: '10.96.0.50', ports: [{ port: 443 }] });
    for (const order of [
      [kubernetes, own],
      [own, kubernetes],
    ]) {
      const host = (p: KubeObject) =>
        serviceEnv(p, order).find((v) => v.name === 'KUBERNETES_SERVICE_HOST')?.value;
      expect(host(pod('ns'))).toBe('10.96.0.50');
      expect(host(pod('ns', { enableServiceLinks: false }))).toBe('10.96.0.1');
    }
  });

  it('honours another master namespace', () => {
    const env = serviceEnv(
      pod('ns', { enableServiceLinks: false }),
      [
        kubernetes,
        service('system', 'kubernetes', { clusterIP: '10.96.0.2', ports: [{ port: 443 }] }),
      ],
      'system',
    );
    expect(env.find((v) => v.name === 'KUBERNETES_SERVICE_HOST')?.value).toBe('10.96.0.2');
  });

  it('gives nothing when no Service applies (kubernetes not yet created)', () => {
    expect(serviceEnv(pod('ns', { enableServiceLinks: false }), [])).toEqual([]);
  });
});
