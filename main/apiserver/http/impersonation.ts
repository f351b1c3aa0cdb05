// User impersonation (apiserver pkg/endpoints/filters/impersonation.go): `kubectl --as`,
// `--as-group` and `--as-uid` send Impersonate-* headers; the caller must be allowed the
// `impersonate` verb on each, and the request then runs as the impersonated user.
import type { IncomingHttpHeaders } from 'node:http';
import { StatusError, forbidden } from '../../api/status.ts';
import type { UserInfo } from '../../api/user.ts';
import type { RequestInfo } from './request-info.ts';

const SA_PREFIX = 'system:serviceaccount:';

export type ImpersonationCheck = (
  user: UserInfo,
  attributes: RequestInfo,
) => { allowed: boolean; message: string };

function headerValues(headers: IncomingHttpHeaders, name: string): string[] {
  const value = headers[name];
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value])
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
}

function attributes(
  verb: string,
  apiGroup: string,
  resource: string,
  name: string,
  namespace = '',
  subresource = '',
): RequestInfo {
  return {
    isResourceRequest: true,
    path: '',
    verb,
    apiPrefix: 'apis',
    apiGroup,
    apiVersion: 'v1',
    namespace,
    resource,
    subresource,
    name,
    rest: [],
  };
}

/** Returns the user the request runs as, or the caller when no Impersonate-* header is present. */
export function impersonate(
  caller: UserInfo,
  headers: IncomingHttpHeaders,
  check: ImpersonationCheck,
): UserInfo {
  const usernames = headerValues(headers, 'impersonate-user');
  const groups = headerValues(headers, 'impersonate-group');
  const uids = headerValues(headers, 'impersonate-uid');
  const extraHeaders = Object.keys(headers).filter((h) => h.startsWith('impersonate-extra-'));
  if (!usernames.length) {
    if (groups.length || uids.length || extraHeaders.length) {
      throw new StatusError(
        500,
        'InternalError',
        'Internal error occurred: requested [{Group  "" ...}] without impersonating a user',
      );
    }
    return caller;
  }
  const username = usernames[0];
  const require = (attrs: RequestInfo, what: string) => {
    const decision = check(caller, attrs);
    if (!decision.allowed)
      throw forbidden(
        `${what} is forbidden: User "${caller.username}" cannot impersonate resource "${attrs.resource}" in API group "${attrs.apiGroup}"${attrs.namespace ? ` in the namespace "${attrs.namespace}"` : ' at the cluster scope'}`,
      );
  };
  const result: UserInfo = { username, groups: [] };
  if (username.startsWith(SA_PREFIX)) {
    const [namespace, name] = username.slice(SA_PREFIX.length).split(':');
    require(attributes(
      'impersonate',
      '',
      'serviceaccounts',
      name ?? '',
      namespace ?? '',
    ), `serviceaccounts "${name}"`);
    result.groups.push('system:serviceaccounts', `system:serviceaccounts:${namespace}`);
  } else {
    require(attributes('impersonate', '', 'users', username), `users "${username}"`);
  }
  for (const group of groups) {
    require(attributes('impersonate', '', 'groups', group), `groups "${group}"`);
    if (!result.groups.includes(group)) result.groups.push(group);
  }
  if (uids.length) {
    require(attributes(
      'impersonate',
      'authentication.k8s.io',
      'uids',
      uids[0],
    ), `uids.authentication.k8s.io "${uids[0]}"`);
    result.uid = uids[0];
  }
  for (const header of extraHeaders) {
    const key = decodeURIComponent(header.slice('impersonate-extra-'.length));
    const values = headerValues(headers, header);
    for (const value of values)
      require(attributes(
        'impersonate',
        'authentication.k8s.io',
        'userextras',
        value,
        '',
        key,
      ), `userextras.authentication.k8s.io "${value}"`);
    (result.extra ??= {})[key] = values;
  }
  if (username !== 'system:anonymous' && !result.groups.includes('system:authenticated'))
    result.groups.push('system:authenticated');
  return result;
}
