// The shared manifests under test/fixtures, read once and described for the suites (which object
// of which kind, and the name kubectl uses for its resource).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { Skiff } from './skiff.ts';
import { fixturesDir } from './tools.ts';

export const everyKindPath = join(fixturesDir, 'every-kind.yaml');
export const everyKindNamespace = 'skiff-e2e';

export interface FixtureObject {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
  /** Fully qualified resource for kubectl: `deployments.apps`, `pods`, `events.events.k8s.io`. */
  resource: string;
}

/** Plural resource names of the kinds in every-kind.yaml (Kubernetes' own plurals). */
const plurals: Record<string, string> = {
  Namespace: 'namespaces',
  Pod: 'pods',
  ReplicationController: 'replicationcontrollers',
  Service: 'services',
  Endpoints: 'endpoints',
  ConfigMap: 'configmaps',
  Secret: 'secrets',
  ServiceAccount: 'serviceaccounts',
  Node: 'nodes',
  Event: 'events',
  PersistentVolume: 'persistentvolumes',
  PersistentVolumeClaim: 'persistentvolumeclaims',
  ResourceQuota: 'resourcequotas',
  LimitRange: 'limitranges',
  Deployment: 'deployments',
  ReplicaSet: 'replicasets',
  StatefulSet: 'statefulsets',
  DaemonSet: 'daemonsets',
  ControllerRevision: 'controllerrevisions',
  Job: 'jobs',
  CronJob: 'cronjobs',
  HorizontalPodAutoscaler: 'horizontalpodautoscalers',
  Ingress: 'ingresses',
  IngressClass: 'ingressclasses',
  NetworkPolicy: 'networkpolicies',
  EndpointSlice: 'endpointslices',
  Role: 'roles',
  ClusterRole: 'clusterroles',
  RoleBinding: 'rolebindings',
  ClusterRoleBinding: 'clusterrolebindings',
  Lease: 'leases',
  StorageClass: 'storageclasses',
  PodDisruptionBudget: 'poddisruptionbudgets',
  CustomResourceDefinition: 'customresourcedefinitions',
};

export function resourceFor(apiVersion: string, kind: string): string {
  const plural = plurals[kind];
  if (!plural) throw new Error(`no plural known for ${kind}`);
  const group = apiVersion.includes('/') ? apiVersion.split('/')[0] : '';
  return group ? `${plural}.${group}` : plural;
}

export function readManifest(path: string): Record<string, unknown>[] {
  return parseAllDocuments(readFileSync(path, 'utf8'))
    .map((doc) => doc.toJS() as Record<string, unknown> | null)
    .filter((doc): doc is Record<string, unknown> => doc !== null);
}

export function describeObjects(documents: Record<string, unknown>[]): FixtureObject[] {
  return documents.map((doc) => {
    const metadata = doc.metadata as { name: string; namespace?: string };
    const apiVersion = doc.apiVersion as string;
    const kind = doc.kind as string;
    return {
      apiVersion,
      kind,
      name: metadata.name,
      namespace: metadata.namespace,
      resource: resourceFor(apiVersion, kind),
    };
  });
}

export const everyKindText = readFileSync(everyKindPath, 'utf8');
export const everyKindObjects = describeObjects(readManifest(everyKindPath));

/** The collection URL an object is created at: `/apis/apps/v1/namespaces/skiff-e2e/deployments`. */
export function collectionPath(object: FixtureObject): string {
  const [plural] = object.resource.split('.');
  const prefix = object.apiVersion.includes('/')
    ? `/apis/${object.apiVersion}`
    : `/api/${object.apiVersion}`;
  return object.namespace
    ? `${prefix}/namespaces/${object.namespace}/${plural}`
    : `${prefix}/${plural}`;
}

/**
 * Creates objects through the raw API (POST, expecting 201), for suites whose subject is not
 * creation itself: their preconditions then do not depend on kubectl's create/apply paths.
 */
export async function createObjects(
  skiff: Skiff,
  ...objects: Record<string, unknown>[]
): Promise<void> {
  for (const [i, object] of describeObjects(objects).entries()) {
    const response = await skiff.api(collectionPath(object), { body: objects[i] });
    expect(response.status, `creating ${object.kind} ${object.name}: ${response.text}`).toBe(201);
  }
}

export function namespace(name: string): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name } };
}

export function configMap(
  namespace: string,
  name: string,
  data: Record<string, string> = {},
): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data };
}

/** A Deployment of `replicas` pods labelled app=<name>, one container `web`; podSpec adds to the pod spec. */
export function deployment(
  namespace: string,
  name: string,
  replicas: number,
  image: string,
  podSpec: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'web', image }], ...podSpec },
      },
    },
  };
}

/** A ServiceAccount token from a TokenRequest through the raw API (JSON, like any client may send). */
export async function requestToken(
  skiff: Skiff,
  namespace: string,
  serviceAccount: string,
): Promise<string> {
  const response = await skiff.api(
    `/api/v1/namespaces/${namespace}/serviceaccounts/${serviceAccount}/token`,
    {
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: {} },
    },
  );
  expect(response.status, response.text).toBe(201);
  return response.json<{ status: { token: string } }>().status.token;
}
