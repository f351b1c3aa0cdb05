import { describe, expect, it } from 'vitest';
import { linuxVipAddresses, type CommandRunner } from './vip-addresses.ts';

function runner(failWith?: string): CommandRunner & { calls: string[] } {
  const calls: string[] = [];
  const run = (file: string, args: string[]) => {
    calls.push([file, ...args].join(' '));
    return failWith === undefined
      ? Promise.resolve()
      : Promise.reject(new Error(`${file} ${args.join(' ')}: ${failWith}`));
  };
  return Object.assign(run, { calls });
}

describe('linuxVipAddresses', () => {
  it('adds and removes a /32 on the interface', async () => {
    const run = runner();
    const vips = linuxVipAddresses('eth1', run);
    await vips.add('10.96.0.10');
    await vips.remove('10.96.0.10');
    expect(run.calls).toEqual([
      'ip addr add 10.96.0.10/32 dev eth1',
      'ip addr del 10.96.0.10/32 dev eth1',
    ]);
  });

  it('treats an address already present or already absent as done', async () => {
    // busybox `ip` and iproute2 word these differently.
    await linuxVipAddresses('eth0', runner('ip: RTNETLINK answers: File exists')).add('10.0.0.1');
    for (const text of [
      'ip: RTNETLINK answers: Cannot assign requested address',
      'Error: ipv4: Address not found.',
    ])
      await linuxVipAddresses('eth0', runner(text)).remove('10.0.0.1');
  });

  it('passes on every other failure', async () => {
    const denied = 'ip: RTNETLINK answers: Operation not permitted';
    await expect(linuxVipAddresses('eth0', runner(denied)).add('10.0.0.1')).rejects.toThrow(
      'Operation not permitted',
    );
    await expect(linuxVipAddresses('eth0', runner(denied)).remove('10.0.0.1')).rejects.toThrow(
      'Operation not permitted',
    );
    // A missing address is not "already there" for add.
    await expect(
      linuxVipAddresses('eth0', runner('Cannot assign requested address')).add('10.0.0.1'),
    ).rejects.toThrow('Cannot assign');
  });

  it('reports the command and its stderr when the real `ip` fails', async () => {
    // An interface that does not exist: `ip` fails whatever this machine is (or is missing).
    const vips = linuxVipAddresses('skiff-no-such-if0');
    await expect(vips.add('10.255.255.254')).rejects.toThrow(
      /ip addr add 10\.255\.255\.254\/32 dev skiff-no-such-if0: /,
    );
  });
});
