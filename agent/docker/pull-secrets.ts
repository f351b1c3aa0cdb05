// Registry credentials from a pod's imagePullSecrets, as kubelet's credentialprovider keyring
// reads them: `kubernetes.io/dockerconfigjson` (`{"auths":{…}}`) and legacy
// `kubernetes.io/dockercfg` Secrets, matched to the image's registry host. Pure.
import type { KubeObject } from '../../main/api/types.ts';
import { str, type Obj } from '../kubelet/common.ts';

export interface RegistryAuth {
  username: string;
  password: string;
  serveraddress: string;
}

/** The registry host of an image reference (`docker.io` when it names none), as Docker parses it. */
export function registryOf(image: string): string {
  const slash = image.indexOf('/');
  if (slash < 0) return 'docker.io';
  const first = image.slice(0, slash);
  return first.includes('.') || first.includes(':') || first === 'localhost' ? first : 'docker.io';
}

function hostOfKey(key: string): string {
  const host = key.replace(/^https?:\/\//, '').split('/')[0];
  return host === 'index.docker.io' || host === 'registry-1.docker.io' ? 'docker.io' : host;
}

function decode(value: unknown): string {
  return typeof value === 'string' ? Buffer.from(value, 'base64').toString('utf8') : '';
}

/** The credentials of the given Secrets that apply to `image`, in the Secrets' order. */
export function pullCredentials(image: string, secrets: KubeObject[]): RegistryAuth[] {
  const registry = registryOf(image);
  const out: RegistryAuth[] = [];
  for (const secret of secrets) {
    const data = ((secret as Obj).data ?? {}) as Obj;
    let auths: Obj | undefined;
    try {
      if ((secret as Obj).type === 'kubernetes.io/dockerconfigjson')
        auths = (JSON.parse(decode(data['.dockerconfigjson'])) as Obj).auths as Obj | undefined;
      else if ((secret as Obj).type === 'kubernetes.io/dockercfg')
        auths = JSON.parse(decode(data['.dockercfg'])) as Obj;
    } catch {
      // A malformed Secret gives no credentials, as kubelet skips it.
      continue;
    }
    for (const [key, value] of Object.entries(auths ?? {})) {
      if (hostOfKey(key) !== registry || !value || typeof value !== 'object') continue;
      const entry = value as Obj;
      let username = str(entry.username);
      let password = str(entry.password);
      if (!username && typeof entry.auth === 'string') {
        const text = Buffer.from(entry.auth, 'base64').toString('utf8');
        const colon = text.indexOf(':');
        if (colon >= 0) [username, password] = [text.slice(0, colon), text.slice(colon + 1)];
      }
      if (username) out.push({ username, password, serveraddress: key });
    }
  }
  return out;
}
