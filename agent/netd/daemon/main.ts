// netd's entry point (bundled into its image): reads the token and port from the environment,
// starts the feature modules and the control server, and shuts down on SIGTERM.
import { createControlServer, type NetdModule } from './server.ts';
import { dialModule } from './modules/dial.ts';
import { probesModule } from './modules/probes.ts';

const token = process.env.SKIFF_NETD_TOKEN ?? '';
const port = Number(process.env.SKIFF_NETD_PORT ?? '10257');
if (!token) {
  process.stderr.write('netd: SKIFF_NETD_TOKEN is not set\n');
  process.exit(2);
}

const modules: NetdModule[] = [probesModule(), dialModule()];

async function main(): Promise<void> {
  for (const m of modules) await m.start?.();
  const control = createControlServer(token, modules);
  control.server.listen(port, '0.0.0.0', () => {
    process.stdout.write(`netd: listening on ${port} (${modules.map((m) => m.name).join(', ')})\n`);
  });
  const shutdown = () => {
    void (async () => {
      await control.close();
      for (const m of modules) await m.stop?.();
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
