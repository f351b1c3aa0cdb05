// Who is making a request, as apiserver's authentication/user.Info describes them.

export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}
