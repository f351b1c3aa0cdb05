// The ResourceQuota controller (kube pkg/controller/resourcequota): keeps each quota's status.hard
// equal to spec.hard and status.used the namespace's current usage of every resource it limits,
// using the same usage rules as ResourceQuota admission (usageOf).
import type { KubeObject } from '../../api/types.ts';
import { isPlainObject } from '../../api/types.ts';
import { addQuantities, formatQuantity, ZERO_QUANTITY, type Quantity } from '../../api/quantity.ts';
import { objectKey, splitKey, type Informer } from '../../client/informer.ts';
import type { ResourceRef } from '../../client/local-client.ts';
import { inScope, usageOf } from '../../apiserver/admission/resource-quota.ts';
import { BUILTIN_RESOURCES, type ResourceInfo } from '../../apiserver/registry/resources.ts';
import type { Controller, ControllerContext } from '../controller-manager.ts';
import { WorkQueue, type ReconcileResult } from '../runtime/work-queue.ts';
import { canonicalJson } from '../replicaset/controller-utils.ts';

export const RESOURCE_QUOTAS: ResourceRef = {
  group: '',
  version: 'v1',
  resource: 'resourcequotas',
};

/** Resources watched through shared informers: a change to one updates its namespace's quotas. */
const WATCHED = [
  'pods',
  'services',
  'configmaps',
  'secrets',
  'persistentvolumeclaims',
  'replicationcontrollers',
  'resourcequotas',
];

/** Quota names without `count/` and the resource whose objects they measure. */
const LEGACY_NAMES: Record<string, string> = {
  pods: 'pods',
  services: 'services',
  'services.nodeports': 'services',
  'services.loadbalancers': 'services',
  configmaps: 'configmaps',
  secrets: 'secrets',
  persistentvolumeclaims: 'persistentvolumeclaims',
  'requests.storage': 'persistentvolumeclaims',
  replicationcontrollers: 'replicationcontrollers',
  resourcequotas: 'resourcequotas',
  cpu: 'pods',
  memory: 'pods',
  'ephemeral-storage': 'pods',
};

/** How often usage of resources without an informer here (count/deployments.apps…) is recounted. */
const RECOUNT_MS = 15_000;

function builtin(group: string, plural: string): ResourceInfo | undefined {
  return (
    BUILTIN_RESOURCES.find(
      (r) => r.group === group && r.plural === plural && r.storageVersion === undefined,
    ) ?? BUILTIN_RESOURCES.find((r) => r.group === group && r.plural === plural)
  );
}

/** The built-in resource whose objects a quota name measures, if any. */
export function resourceFor(name: string): ResourceInfo | undefined {
  if (name.startsWith('count/')) {
    const rest = name.slice('count/'.length);
    const dot = rest.indexOf('.');
    return dot < 0 ? builtin('', rest) : builtin(rest.slice(dot + 1), rest.slice(0, dot));
  }
  const legacy = LEGACY_NAMES[name];
  if (legacy) return builtin('', legacy);
  if (name.startsWith('requests.') || name.startsWith('limits.')) return builtin('', 'pods');
  return undefined;
}

/** status.used for hard limits, from the objects of each resource in the namespace. */
export function computeUsed(
  hard: Record<string, unknown>,
  objectsOf: (info: ResourceInfo) => KubeObject[],
): Record<string, string> {
  const keys = Object.keys(hard);
  const sums = new Map<string, Quantity>();
  const infos = new Map<string, ResourceInfo>();
  for (const key of keys) {
    const info = resourceFor(key);
    if (info) infos.set(`${info.group}/${info.plural}`, info);
  }
  for (const info of infos.values()) {
    for (const object of objectsOf(info)) {
      for (const [key, q] of usageOf(info, object)) {
        if (!(key in hard)) continue;
        const sum = sums.get(key);
        sums.set(key, sum ? addQuantities(sum, q) : q);
      }
    }
  }
  const used: Record<string, string> = {};
  for (const key of keys) used[key] = formatQuantity(sums.get(key) ?? ZERO_QUANTITY);
  return used;
}

function hardOf(quota: KubeObject): Record<string, unknown> {
  const spec = isPlainObject(quota.spec) ? quota.spec : {};
  return isPlainObject(spec.hard) ? spec.hard : {};
}

export class ResourceQuotaController implements Controller {
  readonly name = 'resourcequota-controller';
  private readonly queue: WorkQueue;
  private readonly quotas: Informer;
  private readonly watched = new Map<string, Informer>();

  constructor(private readonly context: ControllerContext) {
    this.quotas = context.informers.for(RESOURCE_QUOTAS);
    for (const plural of WATCHED)
      this.watched.set(
        plural,
        context.informers.for({ group: '', version: 'v1', resource: plural }),
      );
    this.queue = WorkQueue.logged(this.name, context.log, (key) => this.reconcile(key));
  }

  start(): void {
    this.quotas.addHandlers({
      add: (q) => this.queue.add(objectKey(q)),
      update: (_o, q) => this.queue.add(objectKey(q)),
    });
    const replenish = (object: KubeObject) => {
      const namespace = object.metadata.namespace ?? '';
      for (const quota of this.quotas.list(namespace)) this.queue.add(objectKey(quota));
    };
    for (const [plural, informer] of this.watched) {
      if (plural === 'resourcequotas') continue;
      informer.addHandlers({ add: replenish, update: (_o, n) => replenish(n), delete: replenish });
    }
  }

  stop(): Promise<void> {
    return this.queue.stop();
  }

  private objectsOf(info: ResourceInfo, namespace: string): KubeObject[] {
    const informer = info.group === '' ? this.watched.get(info.plural) : undefined;
    if (informer) return informer.list(namespace);
    const ref = { group: info.group, version: info.version, resource: info.plural };
    return this.context.client.list(ref, namespace).items;
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const { namespace, name } = splitKey(key);
    const quota = this.quotas.get(namespace, name);
    if (!quota || quota.metadata.deletionTimestamp) return;
    const hard = hardOf(quota);
    const used = computeUsed(hard, (info) =>
      this.objectsOf(info, namespace).filter((object) => inScope(quota, info, object)),
    );
    const status = isPlainObject(quota.status) ? quota.status : {};
    if (
      canonicalJson(status.hard ?? {}) !== canonicalJson(hard) ||
      canonicalJson(status.used ?? {}) !== canonicalJson(used)
    ) {
      const updated = structuredClone(quota);
      updated.status = { ...status, hard: structuredClone(hard), used };
      await this.context.client.updateStatus(RESOURCE_QUOTAS, namespace, updated);
    }
    const recount = Object.keys(hard).some((k) => {
      const info = resourceFor(k);
      return info !== undefined && !(info.group === '' && this.watched.has(info.plural));
    });
    return recount ? { requeueAfterMs: RECOUNT_MS } : undefined;
  }
}

export function newResourceQuotaController(context: ControllerContext): Controller {
  return new ResourceQuotaController(context);
}
