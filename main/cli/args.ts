// Command-line flags of `skiff serve`, parsed with node:util parseArgs and checked so a bad value
// is answered with a message naming the flag.
import { parseArgs } from 'node:util';
import path from 'node:path';
import { DEFAULT_CLUSTER_CIDR, planClusterNetwork } from '../api/cluster-network.ts';
import { defaultDataDir } from './data-dir.ts';

export interface ServeOptions {
  dataDir: string;
  apiPort: number;
  /** The port was given explicitly (then a taken port is an error, not a reason to move). */
  apiPortExplicit: boolean;
  docker: boolean;
  simulatedNodes: number;
  /** Docker node name (--node-name); undefined: the host name. */
  nodeName?: string;
  /** Pod sandbox image (--sandbox-image); undefined: registry.k8s.io/pause:3.10. */
  sandboxImage?: string;
  /** Base image of netd (--netd-base-image). */
  netdBaseImage?: string;
  /** Pod and Service addresses (--cluster-cidr). */
  clusterCidr?: string;
  /** Host ports of the Ingress controller (--ingress-http-port, --ingress-https-port; 0 = any). */
  ingressHttpPort?: number;
  ingressHttpsPort?: number;
}

export class UsageError extends Error {}

export const SERVE_USAGE = `Usage: skiff serve [flags]

Runs the Skiff cluster (API server and control plane) without the desktop window.

Flags:
  --data-dir DIR     where the cluster keeps its state (default: ${defaultDataDir()})
  --api-port N       HTTPS port of the API server on 127.0.0.1 (default 6443; 0 = any free port)
  --no-docker        run without a Docker node
  --simulated-nodes N  also register N simulated nodes (pods on them run as status only)
  --node-name NAME   name of the Docker node (default: this host's name)
  --sandbox-image IMAGE  image of each pod's sandbox container (default registry.k8s.io/pause:3.10)
  --netd-base-image IMAGE  base image of netd, the in-network helper (default node:20-alpine)
  --cluster-cidr CIDR  pod IPs (lower half) and Service ClusterIPs (upper half) (default ${DEFAULT_CLUSTER_CIDR})
  --ingress-http-port N   port of the Ingress controller's HTTP on 127.0.0.1 (default 80; 0 = any free port)
  --ingress-https-port N  port of the Ingress controller's HTTPS on 127.0.0.1 (default 443; 0 = any free port)
  -h, --help         show this help
`;

export function parseServeArgs(argv: string[]): ServeOptions | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        'data-dir': { type: 'string' },
        'api-port': { type: 'string' },
        'no-docker': { type: 'boolean', default: false },
        'simulated-nodes': { type: 'string' },
        'node-name': { type: 'string' },
        'sandbox-image': { type: 'string' },
        'netd-base-image': { type: 'string' },
        'cluster-cidr': { type: 'string' },
        'ingress-http-port': { type: 'string' },
        'ingress-https-port': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) return 'help';
  const port = (flag: string, text: string | undefined): number | undefined => {
    if (text === undefined) return undefined;
    if (!/^\d+$/.test(text) || Number(text) > 65535)
      throw new UsageError(`${flag}: "${text}" is not a port number (0-65535)`);
    return Number(text);
  };
  const portText = values['api-port'];
  const apiPort = port('--api-port', portText) ?? 6443;
  const ingressHttpPort = port('--ingress-http-port', values['ingress-http-port']);
  const ingressHttpsPort = port('--ingress-https-port', values['ingress-https-port']);
  if (ingressHttpPort && ingressHttpPort === ingressHttpsPort)
    throw new UsageError(
      `--ingress-https-port: ${ingressHttpsPort} is already the Ingress controller's HTTP port`,
    );
  let simulatedNodes = 0;
  const simulatedText = values['simulated-nodes'];
  if (simulatedText !== undefined) {
    if (!/^\d+$/.test(simulatedText) || Number(simulatedText) > 1000) {
      throw new UsageError(
        `--simulated-nodes: "${simulatedText}" is not a number of nodes (0-1000)`,
      );
    }
    simulatedNodes = Number(simulatedText);
  }
  const dataDirText = values['data-dir'];
  if (dataDirText !== undefined && dataDirText.trim() === '')
    throw new UsageError('--data-dir: must not be empty');
  const nodeName = values['node-name'];
  if (
    nodeName !== undefined &&
    (nodeName.length > 253 ||
      !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(nodeName))
  )
    throw new UsageError(
      `--node-name: "${nodeName}" is not a valid node name (a lowercase RFC 1123 subdomain: a-z, 0-9, '-' and '.')`,
    );
  const image = (flag: string, value: string | undefined) => {
    if (value !== undefined && (value.trim() === '' || /\s/.test(value)))
      throw new UsageError(`${flag}: "${value}" is not an image reference`);
    return value;
  };
  const sandboxImage = image('--sandbox-image', values['sandbox-image']);
  const netdBaseImage = image('--netd-base-image', values['netd-base-image']);
  const clusterCidr = values['cluster-cidr'];
  if (clusterCidr !== undefined) {
    try {
      planClusterNetwork(clusterCidr);
    } catch (err) {
      throw new UsageError(`--cluster-cidr: ${(err as Error).message}`);
    }
  }
  return {
    ...(clusterCidr !== undefined && { clusterCidr }),
    ...(nodeName !== undefined && { nodeName }),
    ...(sandboxImage !== undefined && { sandboxImage }),
    ...(netdBaseImage !== undefined && { netdBaseImage }),
    ...(ingressHttpPort !== undefined && { ingressHttpPort }),
    ...(ingressHttpsPort !== undefined && { ingressHttpsPort }),
    dataDir: path.resolve(dataDirText ?? defaultDataDir()),
    apiPort,
    apiPortExplicit: portText !== undefined,
    docker: !values['no-docker'],
    simulatedNodes,
  };
}
