// kubectl get, api-resources, api-versions and explain against Skiff print what they print against
// kube-apiserver: the server's Table columns (kubernetes pkg/printers/internalversion/printers.go,
// or the default NAME/CREATED AT convertor for kinds without a printer), discovery and OpenAPI.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startSkiff } from './support/skiff.ts';
import type { Skiff } from './support/skiff.ts';
import {
  configMap,
  createObjects,
  everyKindObjects,
  everyKindPath,
  everyKindNamespace as ns,
  namespace,
  readManifest,
} from './support/fixtures.ts';
import { headerOf, linesOf, ok, rowsOf, show, tableOf } from './support/helpers.ts';

let skiff: Skiff;

beforeAll(async () => {
  skiff = await startSkiff();
  // Created through the raw API: this suite is about reading, whatever create and apply do.
  await createObjects(
    skiff,
    ...readManifest(everyKindPath),
    configMap('default', 'elsewhere', { k: 'v' }),
  );
});

afterAll(async () => {
  await skiff?.stop();
});

/** Header of `kubectl get <resource>` on kube-apiserver 1.35, per resource (printers.go). */
const expectedHeaders: Record<string, string[]> = {
  namespaces: ['NAME', 'STATUS', 'AGE'],
  pods: ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE'],
  replicationcontrollers: ['NAME', 'DESIRED', 'CURRENT', 'READY', 'AGE'],
  services: ['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE'],
  endpoints: ['NAME', 'ENDPOINTS', 'AGE'],
  configmaps: ['NAME', 'DATA', 'AGE'],
  secrets: ['NAME', 'TYPE', 'DATA', 'AGE'],
  serviceaccounts: ['NAME', 'AGE'], // SECRETS left the printer in 1.35 (kubernetes#117160)
  nodes: ['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION'],
  events: ['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE'],
  persistentvolumes: [
    'NAME',
    'CAPACITY',
    'ACCESS MODES',
    'RECLAIM POLICY',
    'STATUS',
    'CLAIM',
    'STORAGECLASS',
    'VOLUMEATTRIBUTESCLASS',
    'REASON',
    'AGE',
  ],
  persistentvolumeclaims: [
    'NAME',
    'STATUS',
    'VOLUME',
    'CAPACITY',
    'ACCESS MODES',
    'STORAGECLASS',
    'VOLUMEATTRIBUTESCLASS',
    'AGE',
  ],
  resourcequotas: ['NAME', 'AGE', 'REQUEST', 'LIMIT'],
  limitranges: ['NAME', 'CREATED AT'],
  'deployments.apps': ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE'],
  'replicasets.apps': ['NAME', 'DESIRED', 'CURRENT', 'READY', 'AGE'],
  'statefulsets.apps': ['NAME', 'READY', 'AGE'],
  'daemonsets.apps': [
    'NAME',
    'DESIRED',
    'CURRENT',
    'READY',
    'UP-TO-DATE',
    'AVAILABLE',
    'NODE SELECTOR',
    'AGE',
  ],
  'controllerrevisions.apps': ['NAME', 'CONTROLLER', 'REVISION', 'AGE'],
  'jobs.batch': ['NAME', 'STATUS', 'COMPLETIONS', 'DURATION', 'AGE'],
  'cronjobs.batch': ['NAME', 'SCHEDULE', 'TIMEZONE', 'SUSPEND', 'ACTIVE', 'LAST SCHEDULE', 'AGE'],
  'horizontalpodautoscalers.autoscaling': [
    'NAME',
    'REFERENCE',
    'TARGETS',
    'MINPODS',
    'MAXPODS',
    'REPLICAS',
    'AGE',
  ],
  'ingresses.networking.k8s.io': ['NAME', 'CLASS', 'HOSTS', 'ADDRESS', 'PORTS', 'AGE'],
  'ingressclasses.networking.k8s.io': ['NAME', 'CONTROLLER', 'PARAMETERS', 'AGE'],
  'networkpolicies.networking.k8s.io': ['NAME', 'POD-SELECTOR', 'AGE'],
  'endpointslices.discovery.k8s.io': ['NAME', 'ADDRESSTYPE', 'PORTS', 'ENDPOINTS', 'AGE'],
  'roles.rbac.authorization.k8s.io': ['NAME', 'CREATED AT'],
  'clusterroles.rbac.authorization.k8s.io': ['NAME', 'CREATED AT'],
  'rolebindings.rbac.authorization.k8s.io': ['NAME', 'ROLE', 'AGE'],
  'clusterrolebindings.rbac.authorization.k8s.io': ['NAME', 'ROLE', 'AGE'],
  'leases.coordination.k8s.io': ['NAME', 'HOLDER', 'AGE'],
  'storageclasses.storage.k8s.io': [
    'NAME',
    'PROVISIONER',
    'RECLAIMPOLICY',
    'VOLUMEBINDINGMODE',
    'ALLOWVOLUMEEXPANSION',
    'AGE',
  ],
  'poddisruptionbudgets.policy': [
    'NAME',
    'MIN AVAILABLE',
    'MAX UNAVAILABLE',
    'ALLOWED DISRUPTIONS',
    'AGE',
  ],
  'events.events.k8s.io': ['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE'],
  'customresourcedefinitions.apiextensions.k8s.io': ['NAME', 'CREATED AT'],
};

describe('kubectl get prints the columns of a real cluster', () => {
  it('covers every kind of the fixture', () => {
    const resources = new Set(everyKindObjects.map((o) => o.resource));
    expect([...resources].sort()).toEqual(Object.keys(expectedHeaders).sort());
  });

  // One object per resource is enough: the header depends on the resource only.
  const samples = [...new Map(everyKindObjects.map((o) => [o.resource, o])).values()];
  it.each(samples)('$resource', async (object) => {
    const args = ['get', object.resource, ...(object.namespace ? ['-n', object.namespace] : [])];
    const out = ok(await skiff.kubectl(args));
    expect(headerOf(out)).toEqual(expectedHeaders[object.resource]);
    if (object.kind === 'Event') {
      // Events print the involved object, not their own name.
      expect(out).toMatch(/deployment\/web|persistentvolumeclaim\/data-db-0/);
    } else {
      expect(rowsOf(out).map((row) => row[0])).toContain(object.name);
    }
  });
});

describe('output formats', () => {
  it('-o wide adds the priority columns', async () => {
    const pods = ok(await skiff.kubectl(['get', 'pods', '-n', ns, '-o', 'wide']));
    expect(headerOf(pods)).toEqual([
      'NAME',
      'READY',
      'STATUS',
      'RESTARTS',
      'AGE',
      'IP',
      'NODE',
      'NOMINATED NODE',
      'READINESS GATES',
    ]);
    const deployments = ok(await skiff.kubectl(['get', 'deployments', '-n', ns, '-o', 'wide']));
    expect(headerOf(deployments)).toEqual([
      'NAME',
      'READY',
      'UP-TO-DATE',
      'AVAILABLE',
      'AGE',
      'CONTAINERS',
      'IMAGES',
      'SELECTOR',
    ]);
    const web = tableOf(deployments).find((row) => row.NAME === 'web');
    expect(web).toMatchObject({
      CONTAINERS: 'app,log-shipper',
      IMAGES: 'registry.local/skiff/web:1.4.2,registry.local/skiff/shipper:0.9.1',
      SELECTOR: 'app=web',
    });
  });

  it('-o yaml and -o json print the object and lists', async () => {
    const yaml = parse(
      ok(await skiff.kubectl(['get', 'deployment', 'web', '-n', ns, '-o', 'yaml'])),
    ) as {
      kind: string;
      apiVersion: string;
      metadata: { name: string; uid: string; resourceVersion: string };
    };
    expect(yaml).toMatchObject({
      kind: 'Deployment',
      apiVersion: 'apps/v1',
      metadata: { name: 'web' },
    });
    expect(yaml.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(yaml.metadata.resourceVersion).toMatch(/^\d+$/);

    const list = JSON.parse(
      ok(await skiff.kubectl(['get', 'configmaps,secrets', '-n', ns, '-o', 'json'])),
    ) as {
      kind: string;
      items: { kind: string; metadata: { name: string } }[];
    };
    expect(list.kind).toBe('List');
    const names = list.items.map((i) => `${i.kind}/${i.metadata.name}`);
    expect(names).toEqual(expect.arrayContaining(['ConfigMap/app-config', 'Secret/app-secret']));
  });

  it('-o jsonpath', async () => {
    const names = ok(
      await skiff.kubectl([
        'get',
        'deployment',
        'web',
        '-n',
        ns,
        '-o',
        'jsonpath={.spec.template.spec.containers[*].name}',
      ]),
    );
    expect(names).toBe('app log-shipper');
    const services = ok(
      await skiff.kubectl([
        'get',
        'services',
        '-n',
        ns,
        '-o',
        'jsonpath={range .items[*]}{.metadata.name}={.spec.ports[0].port}{"\\n"}{end}',
      ]),
    );
    expect(linesOf(services).sort()).toEqual(['db=5432', 'external-db=5432', 'web=80']);
  });

  it('-o custom-columns', async () => {
    const out = ok(
      await skiff.kubectl([
        'get',
        'deployments',
        '-n',
        ns,
        '-o',
        'custom-columns=NAME:.metadata.name,REPLICAS:.spec.replicas,IMAGE:.spec.template.spec.containers[0].image',
      ]),
    );
    expect(headerOf(out)).toEqual(['NAME', 'REPLICAS', 'IMAGE']);
    expect(rowsOf(out)).toEqual([['web', '2', 'registry.local/skiff/web:1.4.2']]);
  });
});

describe('selection and sorting', () => {
  it('-A lists every namespace with a NAMESPACE column', async () => {
    const out = ok(await skiff.kubectl(['get', 'configmaps', '-A']));
    expect(headerOf(out)).toEqual(['NAMESPACE', 'NAME', 'DATA', 'AGE']);
    const rows = tableOf(out).map((row) => `${row.NAMESPACE}/${row.NAME}`);
    expect(rows).toEqual(expect.arrayContaining(['default/elsewhere', `${ns}/app-config`]));
  });

  it('-l with equality and set-based selectors', async () => {
    const web = ok(
      await skiff.kubectl([
        'get',
        'configmaps,secrets,deployments,services',
        '-n',
        ns,
        '-l',
        'app=web',
        '-o',
        'name',
      ]),
    );
    expect(linesOf(web).sort()).toEqual([
      'configmap/app-config',
      'deployment.apps/web',
      'secret/app-secret',
      'service/web',
    ]);
    const setBased = ok(
      await skiff.kubectl([
        'get',
        'deployments,statefulsets,services',
        '-n',
        ns,
        '-l',
        'app in (web,db),tier!=frontend',
        '-o',
        'name',
      ]),
    );
    expect(linesOf(setBased).sort()).toEqual(['service/db', 'service/web', 'statefulset.apps/db']);
    const none = await skiff.kubectl(['get', 'pods', '-n', ns, '-l', 'app=nothing-has-this']);
    expect(ok(none)).toBe('');
    expect(none.stderr).toContain(`No resources found in ${ns} namespace.`);
  });

  it('--field-selector', async () => {
    const byName = ok(
      await skiff.kubectl([
        'get',
        'configmaps',
        '-A',
        '--field-selector',
        'metadata.name=app-config',
        '-o',
        'name',
      ]),
    );
    expect(linesOf(byName)).toEqual(['configmap/app-config']);
    const notHere = ok(
      await skiff.kubectl([
        'get',
        'configmaps',
        '-A',
        '--field-selector',
        `metadata.namespace!=${ns}`,
        '-o',
        'name',
      ]),
    );
    expect(linesOf(notHere)).toContain('configmap/elsewhere');
    expect(linesOf(notHere)).not.toContain('configmap/app-config');
    const opaque = ok(
      await skiff.kubectl([
        'get',
        'secrets',
        '-n',
        ns,
        '--field-selector',
        'type=Opaque',
        '-o',
        'name',
      ]),
    );
    expect(linesOf(opaque)).toEqual(['secret/app-secret']);
    const unsupported = await skiff.kubectl([
      'get',
      'configmaps',
      '-n',
      ns,
      '--field-selector',
      'spec.nothing=x',
    ]);
    expect(unsupported.code, show(unsupported)).not.toBe(0);
    expect(unsupported.stderr).toContain('spec.nothing');
  });

  it('--show-labels', async () => {
    const out = ok(await skiff.kubectl(['get', 'deployments', '-n', ns, '--show-labels']));
    expect(headerOf(out)).toEqual(['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE', 'LABELS']);
    expect(tableOf(out).find((row) => row.NAME === 'web')?.LABELS).toBe('app=web,tier=frontend');
  });

  it('--sort-by a field', async () => {
    await createObjects(
      skiff,
      namespace('sorting'),
      configMap('sorting', 'alpha', { rank: '3' }),
      configMap('sorting', 'bravo', { rank: '1' }),
      configMap('sorting', 'charlie', { rank: '2' }),
    );
    const out = ok(
      await skiff.kubectl(['get', 'configmaps', '-n', 'sorting', '--sort-by=.data.rank']),
    );
    const names = tableOf(out)
      .map((row) => row.NAME)
      .filter((name) => ['alpha', 'bravo', 'charlie'].includes(name));
    expect(names).toEqual(['bravo', 'charlie', 'alpha']);
    const byName = ok(
      await skiff.kubectl(['get', 'configmaps', '-n', 'sorting', '--sort-by=.metadata.name']),
    );
    expect(
      tableOf(byName)
        .map((row) => row.NAME)
        .filter((n) => n !== 'kube-root-ca.crt'),
    ).toEqual(['alpha', 'bravo', 'charlie']);
  });

  it('kubectl get all lists the "all" category', async () => {
    const out = ok(await skiff.kubectl(['get', 'all', '-n', ns]));
    for (const name of [
      'pod/toolbox',
      'service/web',
      'replicationcontroller/legacy',
      'deployment.apps/web',
      'replicaset.apps/worker',
      'statefulset.apps/db',
      'daemonset.apps/node-agent',
      'job.batch/migrate',
      'cronjob.batch/nightly-report',
      'horizontalpodautoscaler.autoscaling/web',
    ]) {
      expect(out).toMatch(new RegExp(`^${name.replace(/[./]/g, '\\$&')}\\s`, 'm'));
    }
    expect(out).not.toContain('configmap/');
    expect(out).not.toContain('secret/');
  });
});

describe('discovery and OpenAPI', () => {
  /** NAME, SHORTNAMES, APIVERSION, NAMESPACED, KIND as a real 1.35 cluster lists them. */
  const resources: [string, string, string, string, string][] = [
    ['configmaps', 'cm', 'v1', 'true', 'ConfigMap'],
    ['endpoints', 'ep', 'v1', 'true', 'Endpoints'],
    ['events', 'ev', 'v1', 'true', 'Event'],
    ['limitranges', 'limits', 'v1', 'true', 'LimitRange'],
    ['namespaces', 'ns', 'v1', 'false', 'Namespace'],
    ['nodes', 'no', 'v1', 'false', 'Node'],
    ['persistentvolumeclaims', 'pvc', 'v1', 'true', 'PersistentVolumeClaim'],
    ['persistentvolumes', 'pv', 'v1', 'false', 'PersistentVolume'],
    ['pods', 'po', 'v1', 'true', 'Pod'],
    ['replicationcontrollers', 'rc', 'v1', 'true', 'ReplicationController'],
    ['resourcequotas', 'quota', 'v1', 'true', 'ResourceQuota'],
    ['secrets', '', 'v1', 'true', 'Secret'],
    ['serviceaccounts', 'sa', 'v1', 'true', 'ServiceAccount'],
    ['services', 'svc', 'v1', 'true', 'Service'],
    [
      'customresourcedefinitions',
      'crd,crds',
      'apiextensions.k8s.io/v1',
      'false',
      'CustomResourceDefinition',
    ],
    ['controllerrevisions', '', 'apps/v1', 'true', 'ControllerRevision'],
    ['daemonsets', 'ds', 'apps/v1', 'true', 'DaemonSet'],
    ['deployments', 'deploy', 'apps/v1', 'true', 'Deployment'],
    ['replicasets', 'rs', 'apps/v1', 'true', 'ReplicaSet'],
    ['statefulsets', 'sts', 'apps/v1', 'true', 'StatefulSet'],
    ['horizontalpodautoscalers', 'hpa', 'autoscaling/v2', 'true', 'HorizontalPodAutoscaler'],
    ['cronjobs', 'cj', 'batch/v1', 'true', 'CronJob'],
    ['jobs', '', 'batch/v1', 'true', 'Job'],
    ['leases', '', 'coordination.k8s.io/v1', 'true', 'Lease'],
    ['endpointslices', '', 'discovery.k8s.io/v1', 'true', 'EndpointSlice'],
    ['events', 'ev', 'events.k8s.io/v1', 'true', 'Event'],
    ['ingressclasses', '', 'networking.k8s.io/v1', 'false', 'IngressClass'],
    ['ingresses', 'ing', 'networking.k8s.io/v1', 'true', 'Ingress'],
    ['networkpolicies', 'netpol', 'networking.k8s.io/v1', 'true', 'NetworkPolicy'],
    ['poddisruptionbudgets', 'pdb', 'policy/v1', 'true', 'PodDisruptionBudget'],
    ['clusterrolebindings', '', 'rbac.authorization.k8s.io/v1', 'false', 'ClusterRoleBinding'],
    ['clusterroles', '', 'rbac.authorization.k8s.io/v1', 'false', 'ClusterRole'],
    ['rolebindings', '', 'rbac.authorization.k8s.io/v1', 'true', 'RoleBinding'],
    ['roles', '', 'rbac.authorization.k8s.io/v1', 'true', 'Role'],
    ['storageclasses', 'sc', 'storage.k8s.io/v1', 'false', 'StorageClass'],
    ['gizmos', 'gz', 'fixtures.skiff.dev/v1alpha1', 'true', 'Gizmo'],
  ];

  it('kubectl api-resources lists every kind with its short names', async () => {
    const out = ok(await skiff.kubectl(['api-resources']));
    expect(headerOf(out)).toEqual(['NAME', 'SHORTNAMES', 'APIVERSION', 'NAMESPACED', 'KIND']);
    const rows = tableOf(out).map((r) => [
      r.NAME,
      r.SHORTNAMES,
      r.APIVERSION,
      r.NAMESPACED,
      r.KIND,
    ]);
    for (const expected of resources) expect(rows).toContainEqual(expected);
    // The fixture's kinds are all there.
    const kinds = new Set(rows.map((r) => `${r[2]}/${r[4]}`));
    for (const object of everyKindObjects)
      expect(kinds).toContain(`${object.apiVersion}/${object.kind}`);
  });

  it('kubectl api-versions lists every group/version', async () => {
    const versions = linesOf(ok(await skiff.kubectl(['api-versions'])));
    const expected = [...new Set(resources.map((r) => r[2]))];
    expect(versions).toEqual(expect.arrayContaining(expected));
  });

  it('kubectl explain --recursive prints field documentation', async () => {
    const out = ok(await skiff.kubectl(['explain', 'deployment.spec.strategy', '--recursive']));
    expect(out).toMatch(/^GROUP:\s+apps$/m);
    expect(out).toMatch(/^KIND:\s+Deployment$/m);
    expect(out).toMatch(/^VERSION:\s+v1$/m);
    expect(out).toMatch(/^FIELD:\s+strategy <DeploymentStrategy>$/m);
    expect(out).toMatch(
      /DESCRIPTION:\s+The deployment strategy to use to replace existing pods with new ones\./,
    );
    expect(out).toMatch(/^\s+rollingUpdate\s+<RollingUpdateDeployment>$/m);
    expect(out).toMatch(/^\s+maxSurge\s+<IntOrString>$/m);
    expect(out).toMatch(/^\s+maxUnavailable\s+<IntOrString>$/m);
    expect(out).toMatch(/^\s+type\s+<string>$/m);
  });

  it('kubectl explain of a plain field prints its description', async () => {
    const out = ok(await skiff.kubectl(['explain', 'pods.spec.containers.image']));
    expect(out).toMatch(/^FIELD:\s+image <string>$/m);
    expect(out).toMatch(/Container image name\./);
  });
});
