// Command-line flags of `skiff serve`, parsed with node:util parseArgs and checked so a bad value
// is answered with a message naming the flag.
import { parseArgs } from 'node:util';
import path from 'node:path';
import { defaultDataDir } from './data-dir.ts';

export interface ServeOptions {
  dataDir: string;
  apiPort: number;
  /** The port was given explicitly (then a taken port is an error, not a reason to move). */
  apiPortExplicit: boolean;
  docker: boolean;
  simulatedNodes: number;
}

export class UsageError extends Error {}

export const SERVE_USAGE = `Usage: skiff serve [flags]

Runs the Skiff cluster (API server and control plane) without the desktop window.

Flags:
  --data-dir DIR     where the cluster keeps its state (default: ${defaultDataDir()})
  --api-port N       HTTPS port of the API server on 127.0.0.1 (default 6443; 0 = any free port)
  --no-docker        run without a Docker node
  --simulated-nodes N  also register N simulated nodes (pods on them run as status only)
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
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) return 'help';
  let apiPort = 6443;
  const portText = values['api-port'];
  if (portText !== undefined) {
    if (!/^\d+$/.test(portText) || Number(portText) > 65535) {
      throw new UsageError(`--api-port: "${portText}" is not a port number (0-65535)`);
    }
    apiPort = Number(portText);
  }
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
  return {
    dataDir: path.resolve(dataDirText ?? defaultDataDir()),
    apiPort,
    apiPortExplicit: portText !== undefined,
    docker: !values['no-docker'],
    simulatedNodes,
  };
}
