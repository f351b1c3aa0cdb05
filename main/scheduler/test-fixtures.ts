// Node and pod objects for the scheduler's unit tests (shaped as the API server stores them).
import type { KubeObject } from '../api/types.ts';

export function node(
  name: string,
  opts: {
    labels?: Record<string, string>;
    taints?: unknown[];
    unschedulable?: boolean;
    ready?: string;
    cpu?: string;
    pods?: string;
  } = {},
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...opts.labels } },
    spec: { taints: opts.taints, unschedulable: opts.unschedulable },
    status: {
      allocatable: { cpu: opts.cpu ?? '2', memory: '4Gi', pods: opts.pods ?? '110' },
      conditions: [{ type: 'Ready', status: opts.ready ?? 'True' }],
    },
  };
}

export function pod(
  name: string,
  spec: Record<string, unknown> = {},
  labels: Record<string, string> = {},
  nodeName?: string,
): KubeObject {
  const { cpu, memory, ports, ...rest } = spec as {
    cpu?: string;
    memory?: string;
    ports?: unknown[];
  };
  const requests: Record<string, string> = {};
  if (cpu) requests.cpu = cpu;
  if (memory) requests.memory = memory;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels },
    spec: {
      ...(nodeName ? { nodeName } : {}),
      containers: [{ name: 'c', resources: { requests }, ...(ports ? { ports } : {}) }],
      ...rest,
    },
  };
}
