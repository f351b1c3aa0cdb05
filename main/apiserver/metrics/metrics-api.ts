// The resource metrics API (metrics.k8s.io/v1beta1) served by the API server itself, where a
// real cluster aggregates metrics-server: `nodes` (NodeMetrics) and `pods` (PodMetrics), get and
// list only, with label and metadata field selectors, Tables for kubectl, and its discovery
// documents. Answers and errors are metrics-server's (pkg/api), so `kubectl top` behaves as usual.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KubeObject } from '../../api/types.ts';
import { StatusError, methodNotAllowed, notFound } from '../../api/status.ts';
import { formatQuantity, addQuantities, ZERO_QUANTITY, parseQuantity } from '../../api/quantity.ts';
import type { Quantity } from '../../api/quantity.ts';
import type { RequestInfo } from '../http/request-info.ts';
import { sendJson } from '../http/respond.ts';
import { renderingFor } from '../http/negotiate.ts';
import type { ObjectRegistry } from '../registry/rest.ts';
import { BUILTIN_RESOURCES } from '../registry/resources.ts';
import { parseLabelSelector } from '../selectors/label-selector.ts';
import { parseFieldSelector } from '../selectors/field-selector.ts';
import { column, parseIncludeObject, rowObject, type TableRow } from '../printers/table.ts';
import {
  METRICS_API_VERSION,
  METRICS_GROUP,
  METRICS_VERSION,
  listNodeMetrics,
  listPodMetrics,
  nodeMetricsFor,
  podMetricsFor,
  type NodeMetrics,
  type PodMetrics,
} from './resource-metrics.ts';

/** The cluster objects metrics are reported for (metrics-server's pod and node listers). */
export interface MetricsObjects {
  pods(namespace?: string): KubeObject[];
  pod(namespace: string, name: string): KubeObject | undefined;
  nodes(): KubeObject[];
  node(name: string): KubeObject | undefined;
}

/** MetricsObjects read straight from the API server's registry. */
export function registryObjects(registry: ObjectRegistry): MetricsObjects {
  const info = (kind: string) =>
    BUILTIN_RESOURCES.find((r) => r.group === '' && r.version === 'v1' && r.kind === kind)!;
  const pods = info('Pod');
  const nodes = info('Node');
  return {
    pods: (namespace) => registry.list(pods, namespace).items,
    pod: (namespace, name) => registry.tryGet(pods, namespace, name),
    nodes: () => registry.list(nodes).items,
    node: (name) => registry.tryGet(nodes, '', name),
  };
}

const GROUP_VERSION = { groupVersion: METRICS_API_VERSION, version: METRICS_VERSION };

/** The APIGroup entry /apis lists for metrics.k8s.io. */
export function metricsApiGroup(): {
  name: string;
  versions: (typeof GROUP_VERSION)[];
  preferredVersion: typeof GROUP_VERSION;
} {
  return { name: METRICS_GROUP, versions: [GROUP_VERSION], preferredVersion: GROUP_VERSION };
}

/** The APIResourceList metrics-server publishes (no singular names, get and list only). */
export function metricsResourceList(): object {
  const entry = (name: string, namespaced: boolean, kind: string) => ({
    name,
    singularName: '',
    namespaced,
    kind,
    verbs: ['get', 'list'],
  });
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: METRICS_API_VERSION,
    resources: [entry('nodes', false, 'NodeMetrics'), entry('pods', true, 'PodMetrics')],
  };
}

/** PodMetricsList / NodeMetricsList. */
export interface MetricsList<T extends PodMetrics | NodeMetrics = PodMetrics | NodeMetrics> {
  kind: string;
  apiVersion: string;
  metadata: Record<string, never>;
  items: T[];
}

function isList(body: MetricsList | PodMetrics | NodeMetrics): body is MetricsList {
  return body.kind.endsWith('List');
}

function notFoundPath(): StatusError {
  return new StatusError(404, 'NotFound', 'the server could not find the requested resource');
}

function sumUsage(items: readonly Record<string, string>[]): Map<string, Quantity> {
  const sums = new Map<string, Quantity>();
  for (const usage of items) {
    for (const [name, value] of Object.entries(usage)) {
      const q = parseQuantity(value);
      if (typeof q === 'string') continue;
      sums.set(name, addQuantities(sums.get(name) ?? ZERO_QUANTITY, q));
    }
  }
  return sums;
}

/**
 * metrics-server's table (pkg/api/table.go): Name, one quantity column per resource of the first
 * item (sorted), Window. Pod rows sum their containers.
 */
export function metricsTable(
  items: readonly (PodMetrics | NodeMetrics)[],
  includeObject: ReturnType<typeof parseIncludeObject>,
): { columnDefinitions: ReturnType<typeof column>[]; rows: TableRow[] } {
  const usages = items.map((item) =>
    item.kind === 'PodMetrics'
      ? sumUsage((item as PodMetrics).containers.map((c) => c.usage))
      : sumUsage([(item as NodeMetrics).usage]),
  );
  const names = usages.length ? [...usages[0].keys()].sort() : [];
  const columnDefinitions = items.length
    ? [
        column('Name', 'string', 'Name of the resource', { format: 'name' }),
        ...names.map((name) => column(name, 'string', '', { format: 'quantity' })),
        column('Window', 'string', '', { format: 'duration' }),
      ]
    : [];
  const rows = items.map((item, i): TableRow => {
    const row: TableRow = {
      cells: [
        item.metadata.name ?? '',
        ...names.map((name) => formatQuantity(usages[i].get(name) ?? ZERO_QUANTITY)),
        item.window,
      ],
    };
    const object = rowObject(item, includeObject);
    if (object !== undefined) row.object = object;
    return row;
  });
  return { columnDefinitions, rows };
}

export class MetricsApi {
  constructor(private readonly objects: MetricsObjects) {}

  /** Discovery documents under /apis/metrics.k8s.io, or undefined for other paths. */
  discovery(path: string): object | undefined {
    if (path === `/apis/${METRICS_GROUP}`)
      return { kind: 'APIGroup', apiVersion: 'v1', ...metricsApiGroup() };
    if (path === `/apis/${METRICS_API_VERSION}`) return metricsResourceList();
    return undefined;
  }

  /** Adds metrics.k8s.io to an APIGroupList (/apis), after the built-in groups as aggregated ones are. */
  addToGroupList<T extends { groups: unknown[] }>(list: T): T {
    return { ...list, groups: [...list.groups, metricsApiGroup()] };
  }

  /** Serves a resource request under /apis/metrics.k8s.io. */
  handle(info: RequestInfo, url: URL, req: IncomingMessage, res: ServerResponse): void {
    const resource = info.resource;
    if (
      info.apiVersion !== METRICS_VERSION ||
      (resource !== 'pods' && resource !== 'nodes') ||
      info.subresource ||
      (resource === 'nodes' && info.namespace) ||
      (resource === 'pods' && info.name && !info.namespace)
    )
      throw notFoundPath();
    const method = req.method ?? 'GET';
    if (method !== 'GET' && method !== 'HEAD')
      throw methodNotAllowed('the server does not allow this method on the requested resource');
    if (info.verb === 'watch')
      throw methodNotAllowed(
        `watch is not supported on resources of kind "${resource}.${METRICS_GROUP}"`,
      );
    const params = url.searchParams;
    const body: MetricsList | PodMetrics | NodeMetrics = info.name
      ? resource === 'pods'
        ? this.getPod(info.namespace, info.name)
        : this.getNode(info.name)
      : resource === 'pods'
        ? this.listPods(info.namespace, params)
        : this.listNodes(params);
    const rendering = renderingFor(req.headers.accept);
    if (rendering.as === 'object') return sendJson(res, 200, body);
    const list = isList(body) ? body : undefined;
    const items = list ? list.items : [body as PodMetrics | NodeMetrics];
    if (rendering.as === 'Table') {
      const table = metricsTable(items, parseIncludeObject(params.get('includeObject')));
      return sendJson(res, 200, {
        kind: 'Table',
        apiVersion: `meta.k8s.io/${rendering.version}`,
        metadata: {},
        ...table,
      });
    }
    const partial = (item: KubeObject) => ({
      kind: 'PartialObjectMetadata',
      apiVersion: `meta.k8s.io/${rendering.version}`,
      metadata: item.metadata,
    });
    if (list)
      return sendJson(res, 200, {
        kind: 'PartialObjectMetadataList',
        apiVersion: `meta.k8s.io/${rendering.version}`,
        metadata: {},
        items: list.items.map(partial),
      });
    return sendJson(res, 200, partial(items[0]));
  }

  getPod(namespace: string, name: string): PodMetrics {
    const pod = this.objects.pod(namespace, name);
    if (!pod) throw notFound('pods', '', name);
    const metrics = podMetricsFor(pod);
    // metrics-server names the pod namespace/name when it has no sample yet.
    if (!metrics) throw notFound('podmetrics', METRICS_GROUP, `${namespace}/${name}`);
    return metrics;
  }

  getNode(name: string): NodeMetrics {
    const node = this.objects.node(name);
    // The node lister's NotFound uses the singular resource, as client-go listers do.
    if (!node) throw notFound('node', '', name);
    const metrics = nodeMetricsFor(node);
    if (!metrics) throw notFound('nodemetrics', METRICS_GROUP, name);
    return metrics;
  }

  listPods(namespace: string, params: URLSearchParams): MetricsList<PodMetrics> {
    const labels = parseLabelSelector(params.get('labelSelector') ?? '');
    const fields = parseFieldSelector(
      params.get('fieldSelector') ?? '',
      'PodMetrics',
      METRICS_GROUP,
    );
    const pods = this.objects
      .pods(namespace || undefined)
      .filter((pod) => labels.matches(pod.metadata.labels) && fields.matches(pod));
    return {
      kind: 'PodMetricsList',
      apiVersion: METRICS_API_VERSION,
      metadata: {},
      items: listPodMetrics(pods),
    };
  }

  listNodes(params: URLSearchParams): MetricsList<NodeMetrics> {
    const labels = parseLabelSelector(params.get('labelSelector') ?? '');
    const fields = parseFieldSelector(
      params.get('fieldSelector') ?? '',
      'NodeMetrics',
      METRICS_GROUP,
    );
    const nodes = this.objects
      .nodes()
      .filter((node) => labels.matches(node.metadata.labels) && fields.matches(node));
    return {
      kind: 'NodeMetricsList',
      apiVersion: METRICS_API_VERSION,
      metadata: {},
      items: listNodeMetrics(nodes),
    };
  }
}
