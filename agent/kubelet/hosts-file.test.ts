import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../main/api/types.ts';
import { podHostname, podHostsFile } from './hosts-file.ts';

const pod = (spec: Record<string, unknown>, name = 'web-0'): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'shop' },
  spec,
});

describe('podHostsFile', () => {
  it('writes kubelet’s header and the pod address under its name', () => {
    expect(podHostsFile(pod({}), ['10.96.0.5'], 'cluster.local')).toBe(
      '# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' +
        'fe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n' +
        '10.96.0.5\tweb-0\n',
    );
  });

  it('gives a pod with a subdomain its FQDN, and appends hostAliases', () => {
    const text = podHostsFile(
      pod({
        hostname: 'db',
        subdomain: 'web',
        hostAliases: [{ ip: '10.1.2.3', hostnames: ['foo.local', 'bar.local'] }],
      }),
      ['10.96.0.7'],
      'cluster.local',
    );
    expect(text).toContain('10.96.0.7\tdb.web.shop.svc.cluster.local\tdb\n');
    expect(
      text.endsWith('\n# Entries added by HostAliases.\n10.1.2.3\tfoo.local\tbar.local\n'),
    ).toBe(true);
  });

  it('cuts a long pod name to 63 characters without a trailing dash', () => {
    expect(podHostname(pod({}, `${'a'.repeat(62)}-b`))).toBe('a'.repeat(62));
  });
});
