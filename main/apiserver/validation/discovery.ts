// discovery.k8s.io/v1 EndpointSlice (pkg/apis/discovery/validation).

import { duplicate, invalid, notSupported, Path, required, tooMany } from './field.ts';
import { obj, objs, str, strs, type Obj } from './json.ts';
import {
  isDNS1123Label,
  isFullyQualifiedDomainName,
  isQualifiedName,
  nameIsDNSSubdomain,
} from './names.ts';
import {
  validateImmutable,
  validateLabels,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from './meta.ts';
import { parseIP, isValidIP, isIPv6String, validateNonSpecialIP } from './ip.ts';
import type { FieldError } from '../../api/status.ts';

const addressTypes = ['FQDN', 'IPv4', 'IPv6'];
const protocols = ['SCTP', 'TCP', 'UDP'];

function validateAddress(addressType: string, address: string, path: Path): FieldError[] {
  if (addressType === 'IPv4' || addressType === 'IPv6') {
    const ip = parseIP(address);
    const rightFamily = ip !== undefined && (addressType === 'IPv6') === isIPv6String(address);
    if (!rightFamily) return [invalid(path, address, `must be a valid ${addressType} address`)];
    const errs = isValidIP(path, address);
    return errs.length ? errs : validateNonSpecialIP(address, path);
  }
  if (addressType === 'FQDN') return isFullyQualifiedDomainName(path, address);
  return [];
}

export function validateEndpointSlice(slice: Obj): FieldError[] {
  const errs = validateObjectMeta(slice.metadata, true, nameIsDNSSubdomain);
  const addressType = str(slice.addressType) ?? '';
  if (!addressType) errs.push(required(Path.root('addressType')));
  else if (!addressTypes.includes(addressType))
    errs.push(notSupported(Path.root('addressType'), addressType, addressTypes));
  const endpoints = objs(slice.endpoints);
  const ep = Path.root('endpoints');
  if (endpoints.length > 1000) errs.push(tooMany(ep, endpoints.length, 1000));
  else {
    endpoints.forEach((e, i) => {
      const p = ep.index(i);
      const addresses = strs(e.addresses);
      if (!addresses.length)
        errs.push(required(p.child('addresses'), 'must contain at least 1 address'));
      else if (addresses.length > 100)
        errs.push(tooMany(p.child('addresses'), addresses.length, 100));
      addresses.forEach((a, j) =>
        errs.push(...validateAddress(addressType, a, p.child('addresses').index(j))),
      );
      const nodeName = str(e.nodeName);
      if (nodeName !== undefined)
        errs.push(
          ...nameIsDNSSubdomain(nodeName, false).map((m) =>
            invalid(p.child('nodeName'), nodeName, m),
          ),
        );
      const topology = obj(e.deprecatedTopology) ?? {};
      if (Object.keys(topology).length > 16)
        errs.push(tooMany(p.child('deprecatedTopology'), Object.keys(topology).length, 16));
      errs.push(...validateLabels(topology, p.child('deprecatedTopology')));
      const hostname = str(e.hostname);
      if (hostname !== undefined)
        errs.push(
          ...isDNS1123Label(hostname).map((m) => invalid(p.child('hostname'), hostname, m)),
        );
    });
  }
  const ports = objs(slice.ports);
  const pp = Path.root('ports');
  if (ports.length > 20000) errs.push(tooMany(pp, ports.length, 20000));
  else {
    const names = new Set<string>();
    ports.forEach((port, i) => {
      const p = pp.index(i);
      const name = str(port.name) ?? '';
      if (name) errs.push(...isDNS1123Label(name).map((m) => invalid(p.child('name'), name, m)));
      if (names.has(name)) errs.push(duplicate(p.child('name'), name));
      names.add(name);
      const proto = str(port.protocol);
      if (proto === undefined) errs.push(required(p.child('protocol')));
      else if (!protocols.includes(proto))
        errs.push(notSupported(p.child('protocol'), proto, protocols));
      const ap = str(port.appProtocol);
      if (ap !== undefined)
        errs.push(...isQualifiedName(ap).map((m) => invalid(p.child('appProtocol'), ap, m)));
    });
  }
  return errs;
}

export function validateEndpointSliceUpdate(slice: Obj, old: Obj): FieldError[] {
  return [
    ...validateObjectMetaUpdate(slice.metadata, old.metadata),
    ...validateEndpointSlice(slice),
    ...validateImmutable(
      str(slice.addressType) ?? '',
      str(old.addressType) ?? '',
      Path.root('addressType'),
    ),
  ];
}
