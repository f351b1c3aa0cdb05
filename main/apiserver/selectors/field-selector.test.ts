import { describe, expect, it } from 'vitest';
import { StatusError } from '../../api/status.ts';
import type { KubeObject } from '../../api/types.ts';
import {
  escapeFieldValue,
  parseFieldSelector,
  parseFieldSelectorTerms,
  selectableFields,
  unescapeFieldValue,
} from './field-selector.ts';

function rejection(selector: string, kind: string, group: string, options = {}): string {
  try {
    parseFieldSelector(selector, kind, group, options);
  } catch (e) {
    expect(e).toBeInstanceOf(StatusError);
    const status = (e as StatusError).toStatus();
    expect(status.code).toBe(400);
    expect(status.reason).toBe('BadRequest');
    return status.message ?? '';
  }
  throw new Error(`expected ${selector} to be rejected`);
}

const pod: KubeObject = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web-7d9f', namespace: 'shop' },
  spec: {
    nodeName: 'node-1',
    restartPolicy: 'Always',
    serviceAccountName: 'default',
    containers: [],
  },
  status: { phase: 'Running', podIP: '10.244.0.7', podIPs: [{ ip: '10.244.0.7' }] },
};

describe('field selector syntax', () => {
  it('splits on unescaped commas, sorts terms and unescapes values', () => {
    expect(parseFieldSelectorTerms('b=2,a==1,c!=3')).toEqual([
      { field: 'a', operator: '=', value: '1' },
      { field: 'b', operator: '=', value: '2' },
      { field: 'c', operator: '!=', value: '3' },
    ]);
    expect(parseFieldSelectorTerms('metadata.name=a\\,b\\=c\\\\d')).toEqual([
      { field: 'metadata.name', operator: '=', value: 'a,b=c\\d' },
    ]);
    expect(parseFieldSelectorTerms('')).toEqual([]);
    expect(parseFieldSelectorTerms('a=1,,b=2')).toHaveLength(2);
  });

  it('escapes and unescapes values symmetrically', () => {
    const raw = 'x,y=z\\w';
    expect(escapeFieldValue(raw)).toBe('x\\,y\\=z\\\\w');
    expect(unescapeFieldValue(escapeFieldValue(raw))).toBe(raw);
  });

  it('rejects malformed selectors with upstream messages', () => {
    expect(rejection('metadata.name', 'ConfigMap', '')).toBe(
      "invalid selector: 'metadata.name'; can't understand 'metadata.name'",
    );
    expect(rejection('metadata.name=a\\x', 'ConfigMap', '')).toBe(
      'invalid field selector: invalid escape sequence: \\x',
    );
    expect(rejection('metadata.name=a\\', 'ConfigMap', '')).toBe(
      'invalid field selector: invalid escape sequence: \\',
    );
    // Go prints the rune with %v: its code point.
    expect(rejection('metadata.name=a=b', 'ConfigMap', '')).toBe(
      'invalid field selector: unescaped character in value: 61',
    );
  });
});

describe('per-kind field labels', () => {
  it('matches pods on the fields kube-apiserver exposes', () => {
    const match = (s: string) => parseFieldSelector(s, 'Pod', '').matches(pod);
    expect(match('metadata.name=web-7d9f')).toBe(true);
    expect(match('metadata.namespace=shop,status.phase=Running')).toBe(true);
    expect(match('spec.nodeName=node-2')).toBe(false);
    expect(match('status.phase!=Pending')).toBe(true);
    expect(match('status.podIP=10.244.0.7')).toBe(true);
    expect(match('spec.hostNetwork=false')).toBe(true);
    expect(match('spec.schedulerName=')).toBe(true);
    // Accepted by the conversion but never populated, so only "" matches.
    expect(match('status.podIPs=10.244.0.7')).toBe(false);
    expect(match('')).toBe(true);
  });

  it('rewrites the legacy spec.host label to spec.nodeName', () => {
    const s = parseFieldSelector('spec.host=node-1', 'Pod', '');
    expect(s.toString()).toBe('spec.nodeName=node-1');
    expect(s.requiresExactMatch('spec.nodeName')).toBe('node-1');
    expect(s.matches(pod)).toBe(true);
  });

  it('rejects unsupported labels with the message of the kind', () => {
    expect(rejection('foo=bar', 'Pod', '')).toBe('field label not supported: foo');
    expect(rejection('spec.podCIDR=x', 'Node', '')).toBe('field label not supported: spec.podCIDR');
    expect(rejection('metadata.namespace=x', 'Node', '')).toBe(
      'field label not supported: metadata.namespace',
    );
    expect(rejection('data.key=x', 'ConfigMap', '')).toBe(
      '"data.key" is not a known field selector: only "metadata.name", "metadata.namespace"',
    );
    expect(rejection('status.replicas=1', 'ReplicaSet', 'apps')).toBe(
      '"status.replicas" is not a known field selector: only "metadata.name", "metadata.namespace"',
    );
    expect(rejection('spec.parallelism=1', 'Job', 'batch')).toBe(
      'field label "spec.parallelism" not supported for Job',
    );
  });

  it('supports the kind-specific labels of nodes, namespaces, secrets, services, jobs and RCs', () => {
    const node: KubeObject = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'n1' },
      spec: { unschedulable: true },
    };
    expect(parseFieldSelector('spec.unschedulable=true', 'Node', '').matches(node)).toBe(true);
    const ns: KubeObject = {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'a' },
      status: { phase: 'Terminating' },
    };
    expect(parseFieldSelector('status.phase=Terminating', 'Namespace', '').matches(ns)).toBe(true);
    const secret: KubeObject = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'sh.helm.release.v1.web.v1', namespace: 'shop' },
      type: 'helm.sh/release.v1',
    };
    expect(parseFieldSelector('type=helm.sh/release.v1', 'Secret', '').matches(secret)).toBe(true);
    const svc: KubeObject = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'shop' },
      spec: { type: 'ClusterIP', clusterIP: 'None' },
    };
    expect(parseFieldSelector('spec.clusterIP=None', 'Service', '').matches(svc)).toBe(true);
    const job: KubeObject = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'pi', namespace: 'x' },
      status: { succeeded: 1 },
    };
    expect(parseFieldSelector('status.successful=1', 'Job', 'batch').matches(job)).toBe(true);
    expect(
      parseFieldSelector('status.successful=0', 'Job', 'batch').matches({ ...job, status: {} }),
    ).toBe(true);
    const rc: KubeObject = {
      apiVersion: 'v1',
      kind: 'ReplicationController',
      metadata: { name: 'rc' },
      status: { replicas: 2 },
    };
    expect(parseFieldSelector('status.replicas=2', 'ReplicationController', '').matches(rc)).toBe(
      true,
    );
  });

  it('selects core and events.k8s.io events by the involved object', () => {
    const core: KubeObject = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'web.17a', namespace: 'shop' },
      involvedObject: { kind: 'Pod', name: 'web', namespace: 'shop', uid: 'u1' },
      reason: 'BackOff',
      type: 'Warning',
      reportingComponent: 'kubelet',
      source: {},
    };
    const s = parseFieldSelector(
      'involvedObject.kind=Pod,involvedObject.name=web,type=Warning',
      'Event',
      '',
    );
    expect(s.matches(core)).toBe(true);
    // source falls back to the reporting component when source.component is empty.
    expect(parseFieldSelector('source=kubelet', 'Event', '').matches(core)).toBe(true);

    const modern: KubeObject = {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name: 'web.17a', namespace: 'shop' },
      regarding: { kind: 'Pod', name: 'web', namespace: 'shop' },
      reason: 'BackOff',
      reportingController: 'kubelet',
    };
    const m = parseFieldSelector(
      'regarding.name=web,reportingController=kubelet',
      'Event',
      'events.k8s.io',
    );
    expect(m.toString()).toBe('involvedObject.name=web,reportingComponent=kubelet');
    expect(m.matches(modern)).toBe(true);
    expect(rejection('involvedObject.name=web', 'Event', 'events.k8s.io')).toBe(
      'field label not supported: involvedObject.name',
    );
  });

  it('follows the apiextensions rules for custom resources', () => {
    const options = {
      customResource: { namespaced: false, selectableFields: ['.spec.color', '.spec.size'] },
    };
    const widget: KubeObject = {
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: 'w1' },
      spec: { color: 'red', size: 3 },
    };
    expect(
      parseFieldSelector('spec.color=red,spec.size=3', 'Widget', 'example.com', options).matches(
        widget,
      ),
    ).toBe(true);
    expect(rejection('metadata.namespace=x', 'Widget', 'example.com', options)).toBe(
      'field label not supported: metadata.namespace',
    );
    expect(rejection('spec.shape=x', 'Widget', 'example.com', options)).toBe(
      'field label not supported: spec.shape',
    );
    expect(selectableFields(widget, 'Widget', 'example.com', options)).toEqual({
      'metadata.name': 'w1',
      'spec.color': 'red',
      'spec.size': '3',
    });
  });
});
