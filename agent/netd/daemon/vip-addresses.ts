// How netd hosts Service ClusterIPs (kube-proxy's ipvs mode binds them to kube-ipvs0 the same way):
// each VIP becomes a /32 address on netd's interface, so the kernel answers ARP for it and the
// Docker bridge delivers VIP traffic to netd. Only node:* modules: bundled into netd's image.
import { execFile } from 'node:child_process';

export interface VipAddresses {
  /** Makes `ip` local to netd; adding one already present is not an error. */
  add(ip: string): Promise<void>;
  /** Stops hosting `ip`; removing one not present is not an error. */
  remove(ip: string): Promise<void>;
}

/** Runs a command; rejects with an error whose message carries the command's stderr. */
export type CommandRunner = (file: string, args: string[]) => Promise<void>;

const runCommand: CommandRunner = (file, args) =>
  new Promise((resolve, reject) => {
    execFile(file, args, { timeout: 10_000 }, (err, _stdout, stderr) => {
      if (!err) return resolve();
      const text = String(stderr).trim() || err.message;
      reject(new Error(`${file} ${args.join(' ')}: ${text}`));
    });
  });

// The kernel's answers (through busybox or iproute2 `ip`) when the address is already in the
// state asked for: both count as success, so add and remove can be repeated safely.
const ALREADY_PRESENT = /File exists/i;
const ALREADY_ABSENT = /Cannot assign requested address|Address not found|No such/i;

/** The real thing, inside netd's container: `ip addr add|del <ip>/32 dev <iface>`. */
export function linuxVipAddresses(iface = 'eth0', run: CommandRunner = runCommand): VipAddresses {
  return {
    async add(ip) {
      try {
        await run('ip', ['addr', 'add', `${ip}/32`, 'dev', iface]);
      } catch (err) {
        if (!ALREADY_PRESENT.test((err as Error).message)) throw err;
      }
    },
    async remove(ip) {
      try {
        await run('ip', ['addr', 'del', `${ip}/32`, 'dev', iface]);
      } catch (err) {
        if (!ALREADY_ABSENT.test((err as Error).message)) throw err;
      }
    },
  };
}

/** For tests on the host: 127.0.0.0/8 is already local on Linux, so there is nothing to do. */
export function loopbackVipAddresses(): VipAddresses {
  return { add: () => Promise.resolve(), remove: () => Promise.resolve() };
}
