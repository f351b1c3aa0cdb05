// Table printers for core/v1 kinds (pkg/printers/internalversion/printers.go): Namespace, Service,
// Endpoints, ConfigMap, Secret, ServiceAccount, Node, Event, PersistentVolume(Claim),
// ResourceQuota, ReplicationController, PodTemplate. Pods live in pod.ts.
import { quantityString } from '../../api/quantity.ts';
import type { KubeObject } from '../../api/types.ts';
import { formatLabels } from '../selectors/label-selector.ts';
import { timestampSince } from './duration.ts';
import {
  accessModesString,
  arr,
  containerCells,
  get,
  int,
  joinHostPort,
  obj,
  optInt,
  optStr,
  sortedSet,
  str,
  stringMap,
} from './format.ts';
import {
  ageCell,
  ageColumn,
  CONTAINERS_DESCRIPTION,
  IMAGES_DESCRIPTION,
  nameCell,
  nameColumn,
  wide,
} from './printer.ts';
import type { KindPrinter } from './printer.ts';
import { column } from './table.ts';

export const namespacePrinter: KindPrinter = {
  columns: [nameColumn(), column('Status', 'string', 'The status of the namespace'), ageColumn()],
  row: (o, ctx) => ({ cells: [nameCell(o), str(o, 'status', 'phase'), ageCell(o, ctx)] }),
};

export const replicationControllerPrinter: KindPrinter = {
  columns: [
    nameColumn(),
    column('Desired', 'integer', 'Number of desired replicas (spec.replicas).'),
    column('Current', 'integer', 'Number of most recently observed replicas (status.replicas).'),
    column('Ready', 'integer', 'Number of ready replicas (status.readyReplicas).'),
    ageColumn(),
    wide('Containers', 'string', CONTAINERS_DESCRIPTION),
    wide('Images', 'string', IMAGES_DESCRIPTION),
    wide('Selector', 'string', 'Label query over pods that should match the replica count.'),
  ],
  row: (o, ctx) => {
    const [names, images] = containerCells(get(o, 'spec', 'template', 'spec'));
    return {
      cells: [
        nameCell(o),
        optInt(o, 'spec', 'replicas') ?? 1,
        int(o, 'status', 'replicas'),
        int(o, 'status', 'readyReplicas'),
        ageCell(o, ctx),
        names,
        images,
        formatLabels(stringMap(o, 'spec', 'selector')),
      ],
    };
  },
};

/** loadBalancerStatusStringer with wide=true (the server never clips). */
function loadBalancerIngress(ingress: unknown[]): string {
  const found: string[] = [];
  for (const entry of ingress) {
    const ip = str(entry, 'ip');
    const host = str(entry, 'hostname');
    if (ip !== '') found.push(ip);
    else if (host !== '') found.push(host);
  }
  return sortedSet(found).join(',');
}

function serviceExternalIP(o: KubeObject): string {
  const externalIPs = arr(o, 'spec', 'externalIPs').filter(
    (x): x is string => typeof x === 'string',
  );
  switch (str(o, 'spec', 'type') || 'ClusterIP') {
    case 'ClusterIP':
    case 'NodePort':
      return externalIPs.length > 0 ? externalIPs.join(',') : '<none>';
    case 'LoadBalancer': {
      const lb = loadBalancerIngress(arr(o, 'status', 'loadBalancer', 'ingress'));
      if (externalIPs.length > 0) {
        return [...(lb.length > 0 ? lb.split(',') : []), ...externalIPs].join(',');
      }
      return lb.length > 0 ? lb : '<pending>';
    }
    case 'ExternalName':
      return str(o, 'spec', 'externalName');
    default:
      return '<unknown>';
  }
}

function servicePorts(o: KubeObject): string {
  return arr(o, 'spec', 'ports')
    .map((p) => {
      const protocol = str(p, 'protocol') || 'TCP';
      const nodePort = int(p, 'nodePort');
      return nodePort > 0
        ? `${int(p, 'port')}:${nodePort}/${protocol}`
        : `${int(p, 'port')}/${protocol}`;
    })
    .join(',');
}

export const servicePrinter: KindPrinter = {
  columns: [
    nameColumn(),
    column(
      'Type',
      'string',
      'How the Service is exposed: ClusterIP, NodePort, LoadBalancer or ExternalName.',
    ),
    column('Cluster-IP', 'string', 'The virtual IP address assigned to the Service.'),
    column(
      'External-IP',
      'string',
      'Addresses the Service is reachable at from outside the cluster.',
    ),
    column('Port(s)', 'string', 'The ports the Service exposes.'),
    ageColumn(),
    wide('Selector', 'string', 'Labels of the pods traffic is routed to.'),
  ],
  row: (o, ctx) => {
    const clusterIPs = arr(o, 'spec', 'clusterIPs');
    const clusterIP =
      clusterIPs.length > 0 ? str(clusterIPs, 0) : str(o, 'spec', 'clusterIP') || '<none>';
    const ports = servicePorts(o);
    return {
      cells: [
        nameCell(o),
        str(o, 'spec', 'type') || 'ClusterIP',
        clusterIP,
        serviceExternalIP(o),
        ports === '' ? '<none>' : ports,
        ageCell(o, ctx),
        formatLabels(stringMap(o, 'spec', 'selector')),
      ],
    };
  },
};

/** formatEndpoints with all ports: up to three ip:port pairs and a "+ N more..." tail. */
function formatEndpoints(o: KubeObject): string {
  const subsets = arr(o, 'subsets');
  if (subsets.length === 0) return '<none>';
  const list: string[] = [];
  const max = 3;
  let more = false;
  let count = 0;
  for (const ss of subsets) {
    const addresses = arr(ss, 'addresses');
    const ports = arr(ss, 'ports');
    if (ports.length === 0) {
      count += addresses.length;
      for (const a of addresses) {
        if (list.length === max) {
          more = true;
          break;
        }
        list.push(str(a, 'ip'));
      }
      continue;
    }
    for (const port of ports) {
      count += addresses.length;
      for (const a of addresses) {
        if (list.length === max) {
          more = true;
          break;
        }
        list.push(joinHostPort(str(a, 'ip'), int(port, 'port')));
      }
    }
  }
  const joined = list.join(',');
  return more ? `${joined} + ${count - max} more...` : joined;
}

export const endpointsPrinter: KindPrinter = {
  columns: [
    nameColumn(),
    column('Endpoints', 'string', 'The ready addresses and ports behind the Service.'),
    ageColumn(),
  ],
  row: (o, ctx) => ({ cells: [nameCell(o), formatEndpoints(o), ageCell(o, ctx)] }),
};

export const configMapPrinter: KindPrinter = {
  columns: [
    nameColumn(),
    column('Data', 'string', 'Number of keys in data and binaryData.'),
    ageColumn(),
  ],
  row: (o, ctx) => ({
    cells: [
      nameCell(o),
      Object.keys(obj(o, 'data') ?? {}).length + Object.keys(obj(o, 'binaryData') ?? {}).length,
      ageCell(o, ctx),
    ],
  }),
};

export const secretPrinter: KindPrinter = {
  columns: [
    nameColumn(),
    column('Type', 'string', 'Used to facilitate programmatic handling of secret data.'),
    column('Data', 'string', 'Number of keys in the secret data.'),
    ageColumn(),
  ],
  row: (o, ctx) => {
    // stringData is merged into data on write; count the union in case it is still present.
    const keys = new Set([
      ...Object.keys(obj(o, 'data') ?? {}),
      ...Object.keys(obj(o, 'stringData') ?? {}),
    ]);
    return { cells: [nameCell(o), str(o, 'type'), keys.size, ageCell(o, ctx)] };
  },
};

/** Kubernetes 1.35 prints no SECRETS column any more (the field is unused since 1.24). */
export const serviceAccountPrinter: KindPrinter = {
  columns: [nameColumn(), ageColumn()],
  row: (o, ctx) => ({ cells: [nameCell(o), ageCell(o, ctx)] }),
};

function nodeStatus(o: KubeObject): string {
  // Only the Ready condition is reported; the last entry of that type wins, as in upstream's map.
  let ready: string | undefined;
  for (const c of arr(o, 'status', 'conditions')) {
    if (str(c, 'type') === 'Ready') ready = str(c, 'status');
  }
  const status: string[] = [];
  if (ready !== undefined) status.push(ready === 'True' ? 'Ready' : 'NotReady');
  if (status.length === 0) status.push('Unknown');
  if (get(o, 'spec', 'unschedulable') === true) status.push('SchedulingDisabled');
  return status.join(',');
}

function nodeRoles(o: KubeObject): string {
  const roles: string[] = [];
  for (const [key, value] of Object.entries(o.metadata?.labels ?? {})) {
    if (key.startsWith('node-role.kubernetes.io/')) {
      const role = key.slice('node-role.kubernetes.io/'.length);
      if (role.length > 0) roles.push(role);
    } else if (key === 'kubernetes.io/role' && value !== '') {
      roles.push(value);
    }
  }
  const joined = sortedSet(roles).join(',');
  return joined === '' ? '<none>' : joined;
}

function nodeAddress(o: KubeObject, type: string): string {
  const found = arr(o, 'status', 'addresses').find((a) => str(a, 'type') === type);
  return found ? str(found, 'address') : '<none>';
}

function orUnknown(value: string): string {
  return value === '' ? '<unknown>' : value;
}

export const nodePrinter: KindPrinter = {
  columns: [
    nameColumn(),
    column('Status', 'string', 'The status of the node'),
    column('Roles', 'string', 'The roles of the node'),
    ageColumn(),
    column('Version', 'string', 'Kubelet version reported by the node.'),
    wide('Internal-IP', 'string', 'First InternalIP address of the node.'),
    wide('External-IP', 'string', 'First ExternalIP address of the node.'),
    wide('OS-Image', 'string', 'OS image reported by the node.'),
    wide('Kernel-Version', 'string', 'Kernel version reported by the node.'),
    wide('Container-Runtime', 'string', 'Container runtime version reported by the node.'),
  ],
  row: (o, ctx) => ({
    cells: [
      nameCell(o),
      nodeStatus(o),
      nodeRoles(o),
      ageCell(o, ctx),
      str(o, 'status', 'nodeInfo', 'kubeletVersion'),
      nodeAddress(o, 'InternalIP'),
      nodeAddress(o, 'ExternalIP'),
      orUnknown(str(o, 'status', 'nodeInfo', 'osImage')),
      orUnknown(str(o, 'status', 'nodeInfo', 'kernelVersion')),
      orUnknown(str(o, 'status', 'nodeInfo', 'containerRuntimeVersion')),
    ],
  }),
};

interface EventView {
  firstTimestamp: unknown;
  lastTimestamp: unknown;
  eventTime: unknown;
  series: Record<string, unknown> | undefined;
  count: number;
  involved: unknown;
  type: string;
  reason: string;
  message: string;
  sourceComponent: string;
  sourceHost: string;
  reportingController: string;
  reportingInstance: string;
}

/** Reads either wire shape of an Event (core/v1 or events.k8s.io/v1) into the internal view. */
function eventView(o: KubeObject): EventView {
  if (o.apiVersion?.startsWith('events.k8s.io/')) {
    return {
      firstTimestamp: get(o, 'deprecatedFirstTimestamp'),
      lastTimestamp: get(o, 'deprecatedLastTimestamp'),
      eventTime: get(o, 'eventTime'),
      series: obj(o, 'series'),
      count: int(o, 'deprecatedCount'),
      involved: get(o, 'regarding'),
      type: str(o, 'type'),
      reason: str(o, 'reason'),
      message: str(o, 'note'),
      sourceComponent: str(o, 'deprecatedSource', 'component'),
      sourceHost: str(o, 'deprecatedSource', 'host'),
      reportingController: str(o, 'reportingController'),
      reportingInstance: str(o, 'reportingInstance'),
    };
  }
  return {
    firstTimestamp: get(o, 'firstTimestamp'),
    lastTimestamp: get(o, 'lastTimestamp'),
    eventTime: get(o, 'eventTime'),
    series: obj(o, 'series'),
    count: int(o, 'count'),
    involved: get(o, 'involvedObject'),
    type: str(o, 'type'),
    reason: str(o, 'reason'),
    message: str(o, 'message'),
    sourceComponent: str(o, 'source', 'component'),
    sourceHost: str(o, 'source', 'host'),
    reportingController: str(o, 'reportingComponent'),
    reportingInstance: str(o, 'reportingInstance'),
  };
}

function hasTime(value: unknown): boolean {
  return typeof value === 'string' && value !== '';
}

export const eventPrinter: KindPrinter = {
  columns: [
    column('Last Seen', 'string', 'Time since the most recent occurrence of the event.'),
    column('Type', 'string', 'Type of the event (Normal, Warning).'),
    column('Reason', 'string', 'Short, machine-understandable reason for the event.'),
    column('Object', 'string', 'The object the event is about.'),
    wide('Subobject', 'string', 'The part of the object the event is about (fieldPath).'),
    wide('Source', 'string', 'The component that reported the event.'),
    column('Message', 'string', 'Human-readable description of the event.'),
    wide('First Seen', 'string', 'Time since the first occurrence of the event.'),
    wide('Count', 'string', 'Number of times the event has occurred.'),
    column('Name', 'string', 'Name of the Event object.', { format: 'name', priority: 1 }),
  ],
  row: (o, ctx) => {
    const e = eventView(o);
    const first = hasTime(e.firstTimestamp)
      ? timestampSince(e.firstTimestamp, ctx.now)
      : timestampSince(e.eventTime, ctx.now);
    let last = hasTime(e.lastTimestamp) ? timestampSince(e.lastTimestamp, ctx.now) : first;
    let count = e.count;
    if (e.series) {
      last = timestampSince(e.series.lastObservedTime, ctx.now);
      count = int(e.series, 'count');
    } else if (count === 0) {
      count = 1; // singleton events from the new API carry no count
    }
    const kind = str(e.involved, 'kind').toLowerCase();
    const involvedName = str(e.involved, 'name');
    const target = involvedName !== '' ? `${kind}/${involvedName}` : kind;
    const component = e.sourceComponent || e.reportingController;
    const instance = e.sourceHost || e.reportingInstance;
    return {
      cells: [
        last,
        e.type,
        e.reason,
        target,
        str(e.involved, 'fieldPath'),
        instance === '' ? component : `${component}, ${instance}`,
        e.message.trim(),
        first,
        count,
        nameCell(o),
      ],
    };
  },
};

const BETA_STORAGE_CLASS = 'volume.beta.kubernetes.io/storage-class';

export const persistentVolumePrinter: KindPrinter = {
  columns: [
    nameColumn(),
    column('Capacity', 'string', 'The storage capacity of the volume.'),
    column('Access Modes', 'string', 'Ways the volume can be mounted.'),
    column('Reclaim Policy', 'string', 'What happens to the volume when its claim is released.'),
    column('Status', 'string', 'Phase of the volume.'),
    column('Claim', 'string', 'The claim bound to this volume.'),
    column('StorageClass', 'string', 'StorageClass of the pv'),
    column('VolumeAttributesClass', 'string', 'VolumeAttributesClass of the pv'),
    column('Reason', 'string', 'Reason the volume is in its phase, if any.'),
    ageColumn(),
    wide('VolumeMode', 'string', 'Whether the volume is a filesystem or a raw block device.'),
  ],
  row: (o, ctx) => {
    const claimRef = obj(o, 'spec', 'claimRef');
    const claim = claimRef ? `${str(claimRef, 'namespace')}/${str(claimRef, 'name')}` : '';
    const annotations = o.metadata?.annotations ?? {};
    const storageClass =
      BETA_STORAGE_CLASS in annotations
        ? annotations[BETA_STORAGE_CLASS]
        : str(o, 'spec', 'storageClassName');
    const phase = o.metadata?.deletionTimestamp ? 'Terminating' : str(o, 'status', 'phase');
    return {
      cells: [
        nameCell(o),
        quantityString(get(o, 'spec', 'capacity', 'storage') ?? '0'),
        accessModesString(arr(o, 'spec', 'accessModes')),
        str(o, 'spec', 'persistentVolumeReclaimPolicy'),
        phase,
        claim,
        storageClass,
        optStr(o, 'spec', 'volumeAttributesClassName') ?? '<unset>',
        str(o, 'status', 'reason'),
        ageCell(o, ctx),
        optStr(o, 'spec', 'volumeMode') ?? '<unset>',
      ],
    };
  },
};

export const persistentVolumeClaimPrinter: KindPrinter = {
  columns: [
    nameColumn(),
    column('Status', 'string', 'Phase of the claim.'),
    column('Volume', 'string', 'The volume bound to this claim.'),
    column('Capacity', 'string', 'The actual capacity of the bound volume.'),
    column('Access Modes', 'string', 'Ways the bound volume can be mounted.'),
    column('StorageClass', 'string', 'StorageClass of the pvc'),
    column('VolumeAttributesClass', 'string', 'VolumeAttributesClass of the pvc'),
    ageColumn(),
    wide('VolumeMode', 'string', 'Whether the claim asks for a filesystem or a raw block device.'),
  ],
  row: (o, ctx) => {
    const volumeName = str(o, 'spec', 'volumeName');
    let capacity = '';
    let accessModes = '';
    if (volumeName !== '') {
      accessModes = accessModesString(arr(o, 'status', 'accessModes'));
      capacity = quantityString(get(o, 'status', 'capacity', 'storage') ?? '0');
    }
    const annotations = o.metadata?.annotations ?? {};
    const storageClass =
      BETA_STORAGE_CLASS in annotations
        ? annotations[BETA_STORAGE_CLASS]
        : (optStr(o, 'spec', 'storageClassName') ?? '');
    const phase = o.metadata?.deletionTimestamp ? 'Terminating' : str(o, 'status', 'phase');
    return {
      cells: [
        nameCell(o),
        phase,
        volumeName,
        capacity,
        accessModes,
        storageClass,
        optStr(o, 'spec', 'volumeAttributesClassName') ?? '<unset>',
        ageCell(o, ctx),
        optStr(o, 'spec', 'volumeMode') ?? '<unset>',
      ],
    };
  },
};

export const resourceQuotaPrinter: KindPrinter = {
  // kube lists Age second for quotas (printers.go resourceQuotaColumnDefinitions).
  columns: [
    nameColumn(),
    ageColumn(),
    column(
      'Request',
      'string',
      'Request represents a minimum amount of cpu/memory that a container may consume.',
    ),
    column(
      'Limit',
      'string',
      'Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.',
    ),
  ],
  row: (o, ctx) => {
    const hard = obj(o, 'status', 'hard') ?? {};
    const used = obj(o, 'status', 'used') ?? {};
    const requests: string[] = [];
    const limits: string[] = [];
    for (const resource of sortedSet(Object.keys(hard))) {
      const pieces = resource.split('.');
      const target = pieces.length > 1 && pieces[0] === 'limits' ? limits : requests;
      target.push(
        `${resource}: ${quantityString(used[resource] ?? '0')}/${quantityString(hard[resource])}`,
      );
    }
    return { cells: [nameCell(o), ageCell(o, ctx), requests.join(', '), limits.join(', ')] };
  },
};

export const podTemplatePrinter: KindPrinter = {
  columns: [
    nameColumn(),
    column('Containers', 'string', CONTAINERS_DESCRIPTION),
    column('Images', 'string', IMAGES_DESCRIPTION),
    column('Pod Labels', 'string', 'The labels for the pod template.'),
  ],
  row: (o) => {
    const [names, images] = containerCells(get(o, 'template', 'spec'));
    return {
      cells: [
        nameCell(o),
        names,
        images,
        formatLabels(stringMap(o, 'template', 'metadata', 'labels')),
      ],
    };
  },
};
