// Raw HTTPS access to a Skiff API server for checks kubectl cannot express (status codes, exact
// Status bodies, oversized or malformed requests), authenticated from the server's kubeconfig.
import { readFile, writeFile } from 'node:fs/promises';
import https from 'node:https';
import { parse, stringify } from 'yaml';

export interface KubeconfigCredentials {
  /** https://127.0.0.1:PORT */
  server: string;
  contextName: string;
  /** PEM of the cluster CA. */
  ca: string;
  /** Admin client certificate and key (PEM), when the kubeconfig uses them. */
  cert?: string;
  key?: string;
  token?: string;
}

interface KubeconfigFile {
  'current-context'?: string;
  contexts?: { name: string; context: { cluster: string; user: string } }[];
  clusters?: {
    name: string;
    cluster: {
      server: string;
      'certificate-authority-data'?: string;
      'certificate-authority'?: string;
    };
  }[];
  users?: {
    name: string;
    user: {
      'client-certificate-data'?: string;
      'client-key-data'?: string;
      'client-certificate'?: string;
      'client-key'?: string;
      token?: string;
    };
  }[];
}

async function pemFrom(
  data: string | undefined,
  file: string | undefined,
): Promise<string | undefined> {
  if (data) return Buffer.from(data, 'base64').toString('utf8');
  if (file) return readFile(file, 'utf8');
  return undefined;
}

export async function readKubeconfigFile(path: string): Promise<KubeconfigFile> {
  return parse(await readFile(path, 'utf8')) as KubeconfigFile;
}

/** Credentials of the current context (or `context`) of a kubeconfig file. */
export async function loadKubeconfig(
  path: string,
  context?: string,
): Promise<KubeconfigCredentials> {
  const config = await readKubeconfigFile(path);
  const contextName = context ?? config['current-context'];
  const ctx = config.contexts?.find((c) => c.name === contextName);
  if (!ctx) throw new Error(`${path}: no context ${String(contextName)}`);
  const cluster = config.clusters?.find((c) => c.name === ctx.context.cluster)?.cluster;
  const user = config.users?.find((u) => u.name === ctx.context.user)?.user;
  if (!cluster) throw new Error(`${path}: context ${contextName} names no known cluster`);
  const ca = await pemFrom(cluster['certificate-authority-data'], cluster['certificate-authority']);
  if (!ca) throw new Error(`${path}: cluster has no certificate authority`);
  return {
    server: cluster.server,
    contextName: ctx.name,
    ca,
    cert: await pemFrom(user?.['client-certificate-data'], user?.['client-certificate']),
    key: await pemFrom(user?.['client-key-data'], user?.['client-key']),
    token: user?.token,
  };
}

/** Writes a kubeconfig for the same cluster that authenticates with a bearer token (or nothing). */
export async function writeTokenKubeconfig(
  path: string,
  credentials: KubeconfigCredentials,
  token: string | undefined,
): Promise<string> {
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    'current-context': 'skiff',
    clusters: [
      {
        name: 'skiff',
        cluster: {
          server: credentials.server,
          'certificate-authority-data': Buffer.from(credentials.ca).toString('base64'),
        },
      },
    ],
    contexts: [{ name: 'skiff', context: { cluster: 'skiff', user: 'test-user' } }],
    users: [{ name: 'test-user', user: token ? { token } : {} }],
  };
  await writeFile(path, stringify(config), { mode: 0o600 });
  return path;
}

export interface ApiRequest {
  method?: string;
  /** An object is sent as JSON; a string or Buffer as is. */
  body?: unknown;
  headers?: Record<string, string>;
  /** 'admin' (default): the kubeconfig's client certificate; 'none': no credentials; or a bearer token. */
  auth?: 'admin' | 'none' | { token: string };
  timeoutMs?: number;
}

export interface ApiResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** The body parsed as JSON (throws if it is not JSON). */
  json<T = Record<string, unknown>>(): T;
}

/** Kubernetes `Status` as it arrives on the wire. */
export interface WireStatus {
  kind: string;
  apiVersion: string;
  status: string;
  message: string;
  reason: string;
  code: number;
  details?: {
    name?: string;
    kind?: string;
    group?: string;
    causes?: { reason?: string; message?: string; field?: string }[];
  };
}

/** One HTTPS request to the API server; never follows redirects, never retries. */
export function apiRequest(
  credentials: KubeconfigCredentials,
  path: string,
  request: ApiRequest = {},
  agent?: https.Agent,
): Promise<ApiResponse> {
  const url = new URL(path, credentials.server);
  const auth = request.auth ?? 'admin';
  const headers: Record<string, string> = { Accept: 'application/json', ...request.headers };
  let body: Buffer | undefined;
  if (request.body !== undefined) {
    if (typeof request.body === 'string' || Buffer.isBuffer(request.body)) {
      body = Buffer.isBuffer(request.body) ? request.body : Buffer.from(request.body);
    } else {
      body = Buffer.from(JSON.stringify(request.body));
      headers['Content-Type'] ??= 'application/json';
    }
    headers['Content-Length'] = String(body.length);
  }
  if (typeof auth === 'object') headers.Authorization = `Bearer ${auth.token}`;
  const useCert = auth === 'admin';
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let status: number | undefined;
    let responseHeaders: ApiResponse['headers'] = {};
    let settled = false;
    // A server may answer (413, 400) and close before reading a large body: the write then fails
    // with EPIPE/ECONNRESET, but the answer it sent is what the test is about.
    const settle = (error?: Error): void => {
      if (settled) return;
      settled = true;
      if (status === undefined) {
        reject(error ?? new Error(`no response to ${path}`));
        return;
      }
      const text = Buffer.concat(chunks).toString('utf8');
      const code = status;
      resolve({
        status: code,
        headers: responseHeaders,
        text,
        json<T>(): T {
          try {
            return JSON.parse(text) as T;
          } catch {
            throw new Error(`${code} response to ${path} is not JSON: ${text.slice(0, 500)}`);
          }
        },
      });
    };
    const req = https.request(
      {
        protocol: url.protocol,
        hostname: url.hostname,
        port: url.port,
        path: `${url.pathname}${url.search}`,
        method: request.method ?? (body ? 'POST' : 'GET'),
        headers,
        ca: credentials.ca,
        cert: useCert ? credentials.cert : undefined,
        key: useCert ? credentials.key : undefined,
        agent: agent ?? false,
        timeout: request.timeoutMs ?? 30_000,
      },
      (res) => {
        status = res.statusCode ?? 0;
        responseHeaders = res.headers;
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => settle());
        res.on('close', () => settle());
        res.on('error', (error) => settle(error));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`request to ${path} timed out`)));
    req.on('error', (error) => settle(error));
    req.end(body);
  });
}
