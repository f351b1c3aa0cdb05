// The authenticated identity of a request (k8s.io/apiserver pkg/authentication/user and
// .../serviceaccount): user name, uid, groups and extra, plus the well-known names Kubernetes uses.

export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

export const SYSTEM_PRIVILEGED_GROUP = 'system:masters';
export const ALL_AUTHENTICATED_GROUP = 'system:authenticated';
export const ALL_UNAUTHENTICATED_GROUP = 'system:unauthenticated';
export const ANONYMOUS_USERNAME = 'system:anonymous';
export const SERVICE_ACCOUNT_USERNAME_PREFIX = 'system:serviceaccount:';
export const ALL_SERVICE_ACCOUNTS_GROUP = 'system:serviceaccounts';
export const SERVICE_ACCOUNT_GROUP_PREFIX = 'system:serviceaccounts:';

/** Keys of UserInfo.extra set by the ServiceAccount and x509 authenticators. */
export const EXTRA_KEYS = {
  credentialId: 'authentication.kubernetes.io/credential-id',
  podName: 'authentication.kubernetes.io/pod-name',
  podUid: 'authentication.kubernetes.io/pod-uid',
  nodeName: 'authentication.kubernetes.io/node-name',
  nodeUid: 'authentication.kubernetes.io/node-uid',
} as const;

/** What kube-apiserver's anonymous authenticator yields for a request with no credentials. */
export function anonymousUser(): UserInfo {
  return { username: ANONYMOUS_USERNAME, groups: [ALL_UNAUTHENTICATED_GROUP] };
}

export function serviceAccountUsername(namespace: string, name: string): string {
  return `${SERVICE_ACCOUNT_USERNAME_PREFIX}${namespace}:${name}`;
}

export function serviceAccountGroups(namespace: string): string[] {
  return [ALL_SERVICE_ACCOUNTS_GROUP, `${SERVICE_ACCOUNT_GROUP_PREFIX}${namespace}`];
}

/** `system:serviceaccount:<ns>:<name>` → {namespace, name}; undefined for any other user name. */
export function parseServiceAccountUsername(
  username: string,
): { namespace: string; name: string } | undefined {
  if (!username.startsWith(SERVICE_ACCOUNT_USERNAME_PREFIX)) return undefined;
  const rest = username.slice(SERVICE_ACCOUNT_USERNAME_PREFIX.length);
  const parts = rest.split(':');
  if (parts.length !== 2 || !parts[0] || !parts[1]) return undefined;
  return { namespace: parts[0], name: parts[1] };
}

/** Adds `system:authenticated` as kube-apiserver's AuthenticatedGroupAdder does. */
export function withAuthenticatedGroup(user: UserInfo): UserInfo {
  if (user.username === ANONYMOUS_USERNAME) return user;
  if (
    user.groups.includes(ALL_AUTHENTICATED_GROUP) ||
    user.groups.includes(ALL_UNAUTHENTICATED_GROUP)
  ) {
    return user;
  }
  return { ...user, groups: [...user.groups, ALL_AUTHENTICATED_GROUP] };
}
