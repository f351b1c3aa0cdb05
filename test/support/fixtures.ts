// The shared manifests under test/fixtures, read once and described for the suites (which object
// of which kind, and the name kubectl uses for its resource).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
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

/** kubectl arguments that address one fixture object: `deployments.apps web -n skiff-e2e`. */
export function objectArgs(object: FixtureObject): string[] {
  return object.namespace
    ? [object.resource, object.name, '-n', object.namespace]
    : [object.resource, object.name];
}
