// netd's entry point (bundled into its image): reads the token, port and its own address from the
// environment, starts the feature modules and the control server, and shuts down on SIGTERM.
// Every listener binds netd's own address, not 0.0.0.0: a wildcard socket on a port would keep
// the Service proxy from binding that port on a VIP.
import { createControlServer, type NetdModule } from './server.ts';
import { dialModule } from './modules/dial.ts';
import { dnsModule } from './modules/dns.ts';
import { hostTunnelModule } from './modules/host-tunnel.ts';
import { ingressModule } from './modules/ingress.ts';
import { probesModule } from './modules/probes.ts';
import { servicesModule } from './modules/services.ts';
import { linuxVipAddresses } from './vip-addresses.ts';

const token = process.env.SKIFF_NETD_TOKEN ?? '';
const port = Number(process.env.SKIFF_NETD_PORT ?? '10257');
const address = process.env.SKIFF_NETD_ADDRESS ?? '0.0.0.0';
if (!token) {
  process.stderr.write('netd: SKIFF_NETD_TOKEN is not set\n');
  process.exit(2);
}

const log = (line: string) => process.stdout.write(`netd: ${line}\n`);
const hostTunnel = hostTunnelModule();
const modules: NetdModule[] = [
  probesModule(),
  dialModule(),
  hostTunnel,
  servicesModule({ addresses: linuxVipAddresses('eth0'), hostTunnel, log }),
  dnsModule({ addresses: [address], log }),
  ingressModule({ host: address, log }),
];

async function main(): Promise<void> {
  for (const m of modules) await m.start?.();
  const control = createControlServer(token, modules);
  control.server.listen(port, address, () => {
    log(`listening on ${address}:${port} (${modules.map((m) => m.name).join(', ')})`);
  });
  const shutdown = () => {
    void (async () => {
      // Modules first: the control server's close waits for upgraded sockets (tunnels) to end.
      await Promise.all(modules.map((m) => Promise.resolve(m.stop?.())));
      await control.close();
      process.exit(0);
    })();
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

main().catch((err: unknown) => {
  process.stderr.write(`netd: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
