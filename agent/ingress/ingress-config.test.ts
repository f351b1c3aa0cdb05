import { beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../main/api/types.ts';
import { createSelfSignedCertificate, type PemPair } from './default-certificate.ts';
import { buildIngressConfig, ingressIsOurs, type BuildIngressInput } from './ingress-config.ts';

const CONTROLLER = 'skiff.dev/ingress-controller';
const DEFAULT_CERT = { cert: 'DEFAULT-CERT', key: 'DEFAULT-KEY' };

function ingressClass(name: string, controller: string, isDefault = false): KubeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'IngressClass',
    metadata: {
      name,
      annotations: isDefault ? { 'ingressclass.kubernetes.io/is-default-class': 'true' } : {},
    },
    spec: { controller },
  };
}

const skiffClass = ingressClass('skiff', CONTROLLER, true);

function ingress(
  name: string,
  spec: Record<string, unknown>,
  meta: { namespace?: string; created?: string; annotations?: Record<string, string> } = {},
): KubeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      name,
      namespace: meta.namespace ?? 'default',
      creationTimestamp: meta.created ?? '2026-01-01T00:00:00Z',
      annotations: meta.annotations,
    },
    spec,
  };
}

const rule = (host: string | undefined, paths: Record<string, unknown>[]) => ({
  ...(host === undefined ? {} : { host }),
  http: { paths },
});

const svcPath = (
  path: string,
  service: string,
  port: number | string,
  pathType = 'Prefix',
): Record<string, unknown> => ({
  path,
  pathType,
  backend: {
    service: { name: service, port: typeof port === 'number' ? { number: port } : { name: port } },
  },
});

function service(
  name: string,
  ports: { name?: string; port: number }[],
  namespace = 'default',
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace },
    spec: {
      clusterIP: '10.96.0.10',
      ports: ports.map((p) => ({ ...p, protocol: 'TCP', targetPort: p.port })),
    },
  };
}

function slice(
  svc: string,
  ports: { name: string; port: number }[],
  endpoints: { ip: string; ready?: boolean }[],
  namespace = 'default',
): KubeObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: `${svc}-abc`,
      namespace,
      labels: { 'kubernetes.io/service-name': svc },
    },
    addressType: 'IPv4',
    ports: ports.map((p) => ({ ...p, protocol: 'TCP' })),
    endpoints: endpoints.map((e) => ({
      addresses: [e.ip],
      conditions: { ready: e.ready ?? true },
    })),
  };
}

function tlsSecret(name: string, pair: PemPair, namespace = 'default', type = 'kubernetes.io/tls') {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace },
    type,
    data: {
      'tls.crt': Buffer.from(pair.cert).toString('base64'),
      'tls.key': Buffer.from(pair.key).toString('base64'),
    },
  } as KubeObject;
}

function build(input: Partial<BuildIngressInput>) {
  return buildIngressConfig({
    ingresses: [],
    ingressClasses: [skiffClass],
    services: [],
    slices: [],
    secrets: [],
    defaultCertificate: DEFAULT_CERT,
    ...input,
  });
}

describe('ingressIsOurs', () => {
  const other = ingressClass('nginx', 'k8s.io/ingress-nginx');
  const mine = ingressClass('mine', CONTROLLER);

  it('takes Ingresses naming a class of our controller, whatever its name', () => {
    const classes = [skiffClass, other, mine];
    expect(ingressIsOurs(ingress('a', { ingressClassName: 'skiff' }), classes)).toBe(true);
    expect(ingressIsOurs(ingress('a', { ingressClassName: 'mine' }), classes)).toBe(true);
    expect(ingressIsOurs(ingress('a', { ingressClassName: 'nginx' }), classes)).toBe(false);
    expect(ingressIsOurs(ingress('a', { ingressClassName: 'missing' }), classes)).toBe(false);
  });

  it('takes Ingresses without a class only when our class is the default', () => {
    expect(ingressIsOurs(ingress('a', {}), [skiffClass])).toBe(true);
    expect(ingressIsOurs(ingress('a', {}), [ingressClass('skiff', CONTROLLER)])).toBe(false);
    expect(ingressIsOurs(ingress('a', {}), [ingressClass('nginx', 'other', true)])).toBe(false);
    expect(ingressIsOurs(ingress('a', {}), [])).toBe(false);
  });

  it('lets the legacy kubernetes.io/ingress.class annotation decide when present', () => {
    const legacy = (value: string, spec: Record<string, unknown> = {}) =>
      ingress('a', spec, { annotations: { 'kubernetes.io/ingress.class': value } });
    expect(ingressIsOurs(legacy('skiff'), [])).toBe(true);
    expect(ingressIsOurs(legacy('nginx'), [skiffClass])).toBe(false);
    expect(ingressIsOurs(legacy('nginx', { ingressClassName: 'skiff' }), [skiffClass])).toBe(false);
  });

  it('honours another class name and controller', () => {
    const classes = [ingressClass('web', 'example.com/ctl')];
    const ing = ingress('a', { ingressClassName: 'web' });
    expect(ingressIsOurs(ing, classes, 'web', 'example.com/ctl')).toBe(true);
    expect(ingressIsOurs(ing, classes)).toBe(false);
  });
});

describe('buildIngressConfig', () => {
  let certA: PemPair;
  let certWild: PemPair;
  let certBoth: PemPair;
  beforeAll(async () => {
    [certA, certWild, certBoth] = await Promise.all([
      createSelfSignedCertificate([['CN', 'a.localhost']], ['a.localhost']),
      createSelfSignedCertificate([['CN', 'wild']], ['*.w.localhost']),
      createSelfSignedCertificate([['CN', 'both']], ['a.localhost', 'b.localhost']),
    ]);
  });

  const web = service('web', [
    { name: 'http', port: 80 },
    { name: 'admin', port: 9000 },
  ]);
  const webSlice = slice(
    'web',
    [
      { name: 'http', port: 8080 },
      { name: 'admin', port: 9090 },
    ],
    [{ ip: '10.0.0.9' }, { ip: '10.0.0.3' }, { ip: '10.0.0.4', ready: false }],
  );

  it('resolves numeric and named Service ports to ready endpoints of the matching slice port', () => {
    const { config, problems } = build({
      ingresses: [
        ingress('web', {
          rules: [
            rule('a.localhost', [
              svcPath('/', 'web', 80),
              svcPath('/admin', 'web', 'admin', 'Exact'),
            ]),
          ],
        }),
      ],
      services: [web],
      slices: [webSlice],
    });
    expect(problems).toEqual([]);
    expect(config).toEqual({
      hosts: [
        {
          host: 'a.localhost',
          paths: [
            {
              path: '/',
              pathType: 'Prefix',
              backend: {
                service: 'default/web:80',
                endpoints: [
                  { ip: '10.0.0.3', port: 8080 },
                  { ip: '10.0.0.9', port: 8080 },
                ],
              },
            },
            {
              path: '/admin',
              pathType: 'Exact',
              backend: {
                service: 'default/web:admin',
                endpoints: [
                  { ip: '10.0.0.3', port: 9090 },
                  { ip: '10.0.0.9', port: 9090 },
                ],
              },
            },
          ],
        },
      ],
      tls: [],
      defaultCertificate: DEFAULT_CERT,
    });
  });

  it('resolves an unnamed single port Service', () => {
    const { config } = build({
      ingresses: [ingress('x', { rules: [rule('x.test', [svcPath('/', 'solo', 80)])] })],
      services: [service('solo', [{ port: 80 }])],
      slices: [slice('solo', [{ name: '', port: 5000 }], [{ ip: '10.0.0.5' }])],
    });
    expect(config.hosts[0].paths[0].backend.endpoints).toEqual([{ ip: '10.0.0.5', port: 5000 }]);
  });

  it('keeps a backend without endpoints (503) for a missing Service or port, with a problem', () => {
    const { config, problems } = build({
      ingresses: [
        ingress('broken', {
          rules: [rule('b.test', [svcPath('/gone', 'gone', 80), svcPath('/port', 'web', 81)])],
        }),
      ],
      services: [web],
      slices: [webSlice],
    });
    expect(config.hosts[0].paths.map((p) => p.backend)).toEqual([
      { service: 'default/gone:80', endpoints: [] },
      { service: 'default/web:81', endpoints: [] },
    ]);
    expect(problems).toEqual([
      {
        ingress: 'default/broken',
        message: 'spec.rules[0].http.paths[0].backend: service "default/gone" not found',
      },
      {
        ingress: 'default/broken',
        message: 'spec.rules[0].http.paths[1].backend: service "default/web" has no port 81',
      },
    ]);
  });

  it('looks Services up in the Ingress namespace only', () => {
    const { config, problems } = build({
      ingresses: [
        ingress(
          'x',
          { rules: [rule('x.test', [svcPath('/', 'web', 80)])] },
          { namespace: 'other' },
        ),
      ],
      services: [web],
      slices: [webSlice],
    });
    expect(config.hosts[0].paths[0].backend).toEqual({ service: 'other/web:80', endpoints: [] });
    expect(problems[0].message).toContain('service "other/web" not found');
  });

  it('skips resource backends with a problem', () => {
    const { config, problems } = build({
      ingresses: [
        ingress('res', {
          rules: [
            rule('r.test', [
              {
                path: '/',
                pathType: 'Prefix',
                backend: { resource: { apiGroup: 'x.io', kind: 'Bucket', name: 'b' } },
              },
            ]),
          ],
        }),
      ],
    });
    expect(config.hosts).toEqual([]);
    expect(problems).toEqual([
      {
        ingress: 'default/res',
        message:
          'spec.rules[0].http.paths[0].backend: resource backends are not supported; only Service backends',
      },
    ]);
  });

  it('merges only our Ingresses, oldest first; the first to claim host+path+pathType keeps it', () => {
    const svcs = [service('old', [{ port: 80 }]), service('new', [{ port: 80 }])];
    const { config, problems } = build({
      ingresses: [
        ingress(
          'newer',
          { rules: [rule('m.test', [svcPath('/', 'new', 80), svcPath('/n', 'new', 80)])] },
          {
            created: '2026-01-02T00:00:00Z',
          },
        ),
        ingress(
          'older',
          { rules: [rule('m.test', [svcPath('/', 'old', 80)])] },
          {
            created: '2026-01-01T00:00:00Z',
          },
        ),
        // Same age as `older`: ordered by name after it.
        ingress('p-same-age', { rules: [rule('m.test', [svcPath('/', 'new', 80, 'Exact')])] }),
        ingress('foreign', {
          ingressClassName: 'nginx',
          rules: [rule('m.test', [svcPath('/f', 'old', 80)])],
        }),
      ],
      services: svcs,
    });
    expect(config.hosts).toHaveLength(1);
    expect(
      config.hosts[0].paths.map((p) => `${p.pathType} ${p.path} ${p.backend.service}`),
    ).toEqual(['Prefix / default/old:80', 'Exact / default/new:80', 'Prefix /n default/new:80']);
    expect(problems).toEqual([
      {
        ingress: 'default/newer',
        message:
          'spec.rules[0].http.paths[0]: m.test/ (Prefix) is already served by Ingress default/older',
      },
    ]);
  });

  it('takes spec.defaultBackend of the oldest Ingress that has one; rules without host stay host-less', () => {
    const svcs = [service('a', [{ port: 80 }]), service('b', [{ port: 80 }])];
    const backend = (name: string) => ({ service: { name, port: { number: 80 } } });
    const { config } = build({
      ingresses: [
        ingress('second', { defaultBackend: backend('b') }, { created: '2026-01-03T00:00:00Z' }),
        ingress(
          'first',
          { defaultBackend: backend('a'), rules: [rule(undefined, [svcPath('/x', 'b', 80)])] },
          {
            created: '2026-01-02T00:00:00Z',
          },
        ),
        ingress('none', { rules: [] }, { created: '2026-01-01T00:00:00Z' }),
      ],
      services: svcs,
    });
    expect(config.defaultBackend).toEqual({ service: 'default/a:80', endpoints: [] });
    expect(config.hosts.map((h) => h.host)).toEqual(['']);
  });

  it('defaults a missing pathType to ImplementationSpecific and its missing path to /', () => {
    const { config } = build({
      ingresses: [
        ingress('x', {
          rules: [
            rule('x.test', [{ backend: { service: { name: 'web', port: { number: 80 } } } }]),
          ],
        }),
      ],
      services: [web],
    });
    expect(config.hosts[0].paths[0]).toMatchObject({
      path: '/',
      pathType: 'ImplementationSpecific',
    });
  });

  it('turns TLS Secrets into certificates for the listed hosts, or the rule hosts when none are', () => {
    const { config, problems } = build({
      ingresses: [
        ingress('tls', {
          tls: [
            { hosts: ['A.localhost'], secretName: 'a-cert' },
            { secretName: 'wild-cert' },
            { hosts: ['plain.localhost'] }, // no secret: the default certificate, no problem
          ],
          rules: [
            rule('*.w.localhost', [svcPath('/', 'web', 80)]),
            rule('a.localhost', [svcPath('/', 'web', 80)]),
          ],
        }),
      ],
      services: [web],
      secrets: [tlsSecret('a-cert', certA), tlsSecret('wild-cert', certWild)],
    });
    expect(config.tls).toEqual([
      { hosts: ['a.localhost'], cert: certA.cert, key: certA.key },
      // a.localhost is not covered by the wildcard certificate: left to the default one.
      { hosts: ['*.w.localhost'], cert: certWild.cert, key: certWild.key },
    ]);
    expect(problems).toEqual([
      {
        ingress: 'default/tls',
        message:
          'spec.tls[1]: the certificate in secret "default/wild-cert" is not valid for a.localhost: using the default certificate',
      },
    ]);
    expect(config.defaultCertificate).toBe(DEFAULT_CERT);
  });

  it('reports missing, mistyped and invalid TLS Secrets and leaves their hosts to the default certificate', () => {
    const broken = tlsSecret('broken', { cert: 'garbage', key: certA.key });
    const mismatched = tlsSecret('mismatched', { cert: certA.cert, key: certWild.key });
    const opaque = tlsSecret('opaque', certA, 'default', 'Opaque');
    const elsewhere = tlsSecret('elsewhere', certA, 'other');
    const { config, problems } = build({
      ingresses: [
        ingress('tls', {
          tls: ['missing', 'broken', 'mismatched', 'opaque', 'elsewhere'].map((secretName) => ({
            hosts: ['a.localhost'],
            secretName,
          })),
          rules: [rule('a.localhost', [svcPath('/', 'web', 80)])],
        }),
      ],
      services: [web],
      secrets: [broken, mismatched, opaque, elsewhere],
    });
    expect(config.tls).toEqual([]);
    const messages = problems.map((p) => p.message);
    expect(messages).toHaveLength(5);
    expect(messages[0]).toBe(
      'spec.tls[0]: secret "default/missing" not found: using the default certificate for a.localhost',
    );
    expect(messages[1]).toMatch(
      /^spec\.tls\[1\]: secret "default\/broken" tls\.crt is not a PEM certificate/,
    );
    expect(messages[2]).toContain('tls.key does not match the certificate in tls.crt');
    expect(messages[3]).toContain('is of type "Opaque", not kubernetes.io/tls');
    expect(messages[4]).toContain('secret "default/elsewhere" not found');
  });

  it('leaves out hosts netd would refuse, with a problem, keeping the rest', () => {
    const { config, problems } = build({
      ingresses: [
        ingress('odd', {
          tls: [{ hosts: ['a.localhost:443', 'a.localhost'], secretName: 'a-cert' }],
          rules: [
            rule('bad_host:80', [svcPath('/', 'web', 80)]),
            rule('a.localhost', [svcPath('/', 'web', 80)]),
          ],
        }),
      ],
      services: [web],
      secrets: [tlsSecret('a-cert', certA)],
    });
    expect(config.hosts.map((h) => h.host)).toEqual(['a.localhost']);
    expect(config.tls.map((t) => t.hosts)).toEqual([['a.localhost']]);
    expect(problems.map((p) => p.message)).toEqual([
      'spec.rules[0].host: invalid host "bad_host:80"',
      'spec.tls[0].hosts[0]: invalid host "a.localhost:443"',
    ]);
  });

  it('sends a certificate shared by several Ingresses once; the oldest Ingress keeps a host', () => {
    const { config } = build({
      ingresses: [
        ingress(
          'first',
          {
            tls: [{ hosts: ['a.localhost'], secretName: 'a-cert' }],
            rules: [rule('a.localhost', [svcPath('/', 'web', 80)])],
          },
          { created: '2026-01-01T00:00:00Z' },
        ),
        ingress(
          'second',
          {
            tls: [
              { hosts: ['x.w.localhost'], secretName: 'wild-cert' },
              { hosts: ['a.localhost', 'b.localhost'], secretName: 'both-cert' },
            ],
            rules: [rule('x.w.localhost', [svcPath('/x', 'web', 80)])],
          },
          { created: '2026-01-02T00:00:00Z' },
        ),
        ingress(
          'third',
          {
            tls: [{ hosts: ['y.w.localhost'], secretName: 'wild-cert' }],
            rules: [rule('y.w.localhost', [svcPath('/', 'web', 80)])],
          },
          { created: '2026-01-03T00:00:00Z' },
        ),
      ],
      services: [web],
      secrets: [
        tlsSecret('a-cert', certA),
        tlsSecret('wild-cert', certWild),
        tlsSecret('both-cert', certBoth),
      ],
    });
    const name = (cert: string) =>
      cert === certA.cert ? 'a' : cert === certWild.cert ? 'wild' : 'both';
    expect(config.tls.map((t) => [name(t.cert), t.hosts])).toEqual([
      ['a', ['a.localhost']],
      ['wild', ['x.w.localhost', 'y.w.localhost']],
      ['both', ['b.localhost']],
    ]);
  });

  it('gives the same document for the same objects in any order', () => {
    const ingresses = [
      ingress('a', { rules: [rule('a.test', [svcPath('/', 'web', 80)])] }),
      ingress('b', { rules: [rule('b.test', [svcPath('/', 'web', 80)])] }),
    ];
    const one = build({ ingresses, services: [web], slices: [webSlice] });
    const two = build({ ingresses: [...ingresses].reverse(), services: [web], slices: [webSlice] });
    expect(JSON.stringify(two.config)).toBe(JSON.stringify(one.config));
  });
});
