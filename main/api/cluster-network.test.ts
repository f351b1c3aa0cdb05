import { describe, expect, it } from 'vitest';
import { DEFAULT_CLUSTER_CIDR, planClusterNetwork } from './cluster-network.ts';

describe('planClusterNetwork', () => {
  it('keeps pod IPs and Service ClusterIPs in the two halves of one subnet', () => {
    expect(planClusterNetwork()).toEqual({
      subnet: DEFAULT_CLUSTER_CIDR,
      podRange: '10.96.0.0/17',
      serviceRange: '10.96.128.0/17',
      gateway: '10.96.0.1',
    });
    expect(planClusterNetwork('172.30.8.0/22')).toEqual({
      subnet: '172.30.8.0/22',
      podRange: '172.30.8.0/23',
      serviceRange: '172.30.10.0/23',
      gateway: '172.30.8.1',
    });
  });

  it('names what is wrong with a bad CIDR', () => {
    expect(() => planClusterNetwork('10.96.0.0')).toThrow(/not an IPv4 CIDR/);
    expect(() => planClusterNetwork('10.96.0.0/8')).toThrow(/\/12 to \/24/);
    expect(() => planClusterNetwork('10.96.300.0/16')).toThrow(/not an IPv4 CIDR/);
    expect(() => planClusterNetwork('10.96.1.0/16')).toThrow(/did you mean 10\.96\.0\.0\/16/);
  });
});
