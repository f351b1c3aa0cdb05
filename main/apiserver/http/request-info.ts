// Splits a request path into the parts kube-apiserver's RequestInfoFactory finds
// (apiserver/pkg/endpoints/request/requestinfo.go): API group/version, namespace, resource,
// name, subresource and the authorization verb.

export interface RequestInfo {
  isResourceRequest: boolean;
  path: string;
  /** Authorization verb: get, list, watch, create, update, patch, delete, deletecollection, or the HTTP method lowercased for non-resource paths. */
  verb: string;
  apiPrefix: 'api' | 'apis' | '';
  apiGroup: string;
  apiVersion: string;
  namespace: string;
  resource: string;
  subresource: string;
  name: string;
  /** Path segments after the subresource (e.g. pods/proxy/path). */
  rest: string[];
}

const VERB_BY_METHOD: Record<string, string> = {
  POST: 'create',
  GET: 'get',
  HEAD: 'get',
  PUT: 'update',
  PATCH: 'patch',
  DELETE: 'delete',
};

export function requestInfoFor(method: string, url: URL): RequestInfo {
  const path = url.pathname;
  const nonResource: RequestInfo = {
    isResourceRequest: false,
    path,
    verb: method.toLowerCase(),
    apiPrefix: '',
    apiGroup: '',
    apiVersion: '',
    namespace: '',
    resource: '',
    subresource: '',
    name: '',
    rest: [],
  };
  const segments = path.split('/').filter((s, i) => i > 0 || s !== '');
  if (segments[0] === '') segments.shift();
  if (segments[segments.length - 1] === '') segments.pop();

  let parts: string[];
  let apiPrefix: RequestInfo['apiPrefix'];
  let apiGroup = '';
  let apiVersion: string;
  if (segments[0] === 'api' && segments.length >= 3) {
    apiPrefix = 'api';
    apiVersion = segments[1];
    parts = segments.slice(2);
  } else if (segments[0] === 'apis' && segments.length >= 4) {
    apiPrefix = 'apis';
    apiGroup = segments[1];
    apiVersion = segments[2];
    parts = segments.slice(3);
  } else {
    return nonResource;
  }
  const info: RequestInfo = {
    ...nonResource,
    isResourceRequest: true,
    apiPrefix,
    apiGroup,
    apiVersion,
    verb: VERB_BY_METHOD[method] ?? method.toLowerCase(),
  };
  // Legacy /watch/ prefix: /api/v1/watch/namespaces/x/pods
  let legacyWatch = false;
  if (parts[0] === 'watch') {
    legacyWatch = true;
    parts = parts.slice(1);
  }
  if (parts[0] === 'namespaces' && parts.length >= 2) {
    info.namespace = parts[1];
    // /namespaces/{name}/status and /finalize are the namespace's own subresources.
    if (parts.length >= 3 && parts[2] !== 'status' && parts[2] !== 'finalize')
      parts = parts.slice(2);
  }
  info.resource = parts[0] ?? '';
  info.name = parts[1] ?? '';
  info.subresource = parts[2] ?? '';
  info.rest = parts.slice(3);
  // As requestinfo.go: for /namespaces/{name} the namespace is the name itself, which RBAC sees.

  const watchParam = url.searchParams.get('watch');
  const isWatch = legacyWatch || watchParam === 'true' || watchParam === '1';
  if (!info.name && (method === 'GET' || method === 'HEAD')) info.verb = isWatch ? 'watch' : 'list';
  if (!info.name && method === 'DELETE') info.verb = 'deletecollection';
  if (info.name && isWatch && (method === 'GET' || method === 'HEAD')) info.verb = 'watch';
  return info;
}
