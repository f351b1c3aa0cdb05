// Table printers for networking, discovery, RBAC, storage, coordination, scheduling and admission
// kinds (pkg/printers/internalversion/printers.go): Ingress, IngressClass, NetworkPolicy,
// EndpointSlice, (Cluster)RoleBinding, StorageClass, Lease, PriorityClass, webhook configurations.
import type { KubeObject } from '../../api/types.ts';
import { formatLabelSelector } from '../selectors/label-selector.ts';
import {
  arr,
  get,
  int,
  listWithMore,
  obj,
  optBool,
  optInt,
  optStr,
  sortedSet,
  str,
} from './format.ts';
import { ageCell, ageColumn, nameCell, nameColumn, wide } from './printer.ts';
import type { KindPrinter } from './printer.ts';
import { column } from './table.ts';

/** formatHosts: up to three hosts, "*" when no rule names one. */
function ingressHosts(rules: unknown[]): string {
  const list: string[] = [];
  const max = 3;
  let more = false;
  for (const rule of rules) {
    if (list.length === max) more = true;
    const host = str(rule, 'host');
    if (!more && host.length !== 0) list.push(host);
  }
  if (list.length === 0) return '*';
  const joined = list.join(',');
  return more ? `${joined} + ${rules.length - max} more...` : joined;
}

function ingressAddress(o: KubeObject): string {
  const found: string[] = [];
  for (const entry of arr(o, 'status', 'loadBalancer', 'ingress')) {
    const ip = str(entry, 'ip');
    const host = str(entry, 'hostname');
    if (ip !== '') found.push(ip);
    else if (host !== '') found.push(host);
  }
  return sortedSet(found).join(',');
}

export const ingressPrinter: KindPrinter = {
  columns: [
    nameColumn(),
    column(
      'Class',
      'string',
      'The name of the IngressClass resource that should be used for additional configuration',
    ),
    column(
      'Hosts',
      'string',
      'Hosts that incoming requests are matched against before the ingress rule',
    ),
    column(
      'Address',
      'string',
      'Address is a list containing ingress points for the load-balancer',
    ),
    column('Ports', 'string', 'Ports of TLS configurations that open'),
    ageColumn(),
  ],
  row: (o, ctx) => ({
    cells: [
      nameCell(o),
      optStr(o, 'spec', 'ingressClassName') ?? '<none>',
      ingressHosts(arr(o, 'spec', 'rules')),
      ingressAddress(o),
      arr(o, 'spec', 'tls').length !== 0 ? '80, 443' : '80',
      ageCell(o, ctx),
    ],
  }),
};

export const ingressClassPrinter: KindPrinter = {
  columns: [
    nameColumn(),
    column('Controller', 'string', 'Controller that is responsible for handling this class'),
    column('Parameters', 'string', 'A reference to a resource with additional parameters'),
    ageColumn(),
  ],
  row: (o, ctx) => {
    const params = obj(o, 'spec', 'parameters');
    let parameters = '<none>';
    if (params) {
      const group = optStr(params, 'apiGroup');
      parameters = `${str(params, 'kind')}${group !== undefined ? `.${group}` : ''}/${str(params, 'name')}`;
    }
    return { cells: [nameCell(o), str(o, 'spec', 'controller'), parameters, ageCell(o, ctx)] };
  },
};

export const networkPolicyPrinter: KindPrinter = {
  columns: [
    nameColumn(),
    column('Pod-Selector', 'string', 'Pods the policy applies to.'),
    ageColumn(),
  ],
  row: (o, ctx) => ({
    cells: [
      nameCell(o),
      // podSelector is a value, not a pointer, upstream: a missing one is the empty selector.
      formatLabelSelector(obj(o, 'spec', 'podSelector') ?? {}),
      ageCell(o, ctx),
    ],
  }),
};

function endpointSlicePorts(ports: unknown[]): string {
  const list: string[] = [];
  const max = 3;
  let more = false;
  let count = 0;
  for (const port of ports) {
    if (list.length < max) {
      const number = optInt(port, 'port');
      const portName = optStr(port, 'name');
      list.push(number !== undefined ? String(number) : (portName ?? '*'));
    } else if (list.length === max) {
      more = true;
    }
    count++;
  }
  return listWithMore(list, more, count, max);
}

function endpointSliceEndpoints(endpoints: unknown[]): string {
  const list: string[] = [];
  const max = 3;
  let more = false;
  let count = 0;
  for (const endpoint of endpoints) {
    for (const address of arr(endpoint, 'addresses')) {
      if (list.length < max) list.push(typeof address === 'string' ? address : '');
      else if (list.length === max) more = true;
      count++;
    }
  }
  return listWithMore(list, more, count, max);
}

export const endpointSlicePrinter: KindPrinter = {
  columns: [
    nameColumn(),
    column(
      'AddressType',
      'string',
      'The type of address carried by this slice (IPv4, IPv6, FQDN).',
    ),
    column('Ports', 'string', 'The ports exposed by the endpoints.'),
    column('Endpoints', 'string', 'The addresses of the endpoints in this slice.'),
    ageColumn(),
  ],
  row: (o, ctx) => ({
    cells: [
      nameCell(o),
      str(o, 'addressType'),
      endpointSlicePorts(arr(o, 'ports')),
      endpointSliceEndpoints(arr(o, 'endpoints')),
      ageCell(o, ctx),
    ],
  }),
};

/** rbac.SubjectsStrings: users, groups and "namespace/name" service accounts. */
function subjects(o: KubeObject): [string, string, string] {
  const users: string[] = [];
  const groups: string[] = [];
  const serviceAccounts: string[] = [];
  for (const s of arr(o, 'subjects')) {
    switch (str(s, 'kind')) {
      case 'ServiceAccount':
        serviceAccounts.push(`${str(s, 'namespace')}/${str(s, 'name')}`);
        break;
      case 'User':
        users.push(str(s, 'name'));
        break;
      case 'Group':
        groups.push(str(s, 'name'));
        break;
    }
  }
  return [users.join(', '), groups.join(', '), serviceAccounts.join(', ')];
}

function bindingPrinter(what: string): KindPrinter {
  return {
    columns: [
      nameColumn(),
      column('Role', 'string', 'The role the binding grants, as Kind/name.'),
      ageColumn(),
      wide('Users', 'string', `Users in the ${what}`),
      wide('Groups', 'string', `Groups in the ${what}`),
      wide('ServiceAccounts', 'string', `ServiceAccounts in the ${what}`),
    ],
    row: (o, ctx) => ({
      cells: [
        nameCell(o),
        `${str(o, 'roleRef', 'kind')}/${str(o, 'roleRef', 'name')}`,
        ageCell(o, ctx),
        ...subjects(o),
      ],
    }),
  };
}

export const roleBindingPrinter = bindingPrinter('roleBinding');
export const clusterRoleBindingPrinter = bindingPrinter('clusterRoleBinding');

const DEFAULT_CLASS = 'storageclass.kubernetes.io/is-default-class';
const BETA_DEFAULT_CLASS = 'storageclass.beta.kubernetes.io/is-default-class';

/** storageutil.IsDefaultAnnotation: either the GA or the beta annotation set to "true". */
export function isDefaultStorageClass(o: KubeObject): boolean {
  const annotations = o.metadata?.annotations ?? {};
  return annotations[DEFAULT_CLASS] === 'true' || annotations[BETA_DEFAULT_CLASS] === 'true';
}

export const storageClassPrinter: KindPrinter = {
  columns: [
    nameColumn(),
    column('Provisioner', 'string', 'The provisioner that creates volumes of this class.'),
    column('ReclaimPolicy', 'string', 'Reclaim policy of dynamically provisioned volumes.'),
    column('VolumeBindingMode', 'string', 'When volumes are bound and provisioned.'),
    column('AllowVolumeExpansion', 'string', 'Whether volumes of this class can be expanded.'),
    ageColumn(),
  ],
  row: (o, ctx) => ({
    cells: [
      isDefaultStorageClass(o) ? `${nameCell(o)} (default)` : nameCell(o),
      str(o, 'provisioner'),
      optStr(o, 'reclaimPolicy') ?? 'Delete',
      optStr(o, 'volumeBindingMode') ?? 'Immediate',
      optBool(o, 'allowVolumeExpansion') ?? false,
      ageCell(o, ctx),
    ],
  }),
};

export const leasePrinter: KindPrinter = {
  columns: [
    nameColumn(),
    column('Holder', 'string', 'Identity of the current holder of the lease.'),
    ageColumn(),
  ],
  row: (o, ctx) => ({ cells: [nameCell(o), str(o, 'spec', 'holderIdentity'), ageCell(o, ctx)] }),
};

export const priorityClassPrinter: KindPrinter = {
  columns: [
    nameColumn(),
    column('Value', 'integer', 'The priority value pods of this class receive.'),
    column('Global-Default', 'boolean', 'Whether this class is the default for pods without one.'),
    ageColumn(),
    column('PreemptionPolicy', 'string', 'Whether pods of this class may preempt others.'),
  ],
  row: (o, ctx) => ({
    cells: [
      nameCell(o),
      int(o, 'value'),
      get(o, 'globalDefault') === true,
      ageCell(o, ctx),
      str(o, 'preemptionPolicy'),
    ],
  }),
};

function webhookPrinter(): KindPrinter {
  return {
    columns: [
      nameColumn(),
      column(
        'Webhooks',
        'integer',
        'Webhooks indicates the number of webhooks registered in this configuration',
      ),
      ageColumn(),
    ],
    row: (o, ctx) => ({ cells: [nameCell(o), arr(o, 'webhooks').length, ageCell(o, ctx)] }),
  };
}

export const mutatingWebhookPrinter = webhookPrinter();
export const validatingWebhookPrinter = webhookPrinter();
