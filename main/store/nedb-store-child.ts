// Test helper for nedb-store.test.ts, run in a child process (`node --import tsx`): `crash <dir>
// [writers]` writes forever, printing each acknowledged write (and every 256 acks the store's
// append counts) for the SIGKILL tests; `exit <dir>` exercises the store, closes it and prints the
// handles left, so the test can check the process exits by itself.
import { readdirSync, readlinkSync } from 'node:fs';
import { openStore } from './nedb-store.ts';
import type { KubeObject } from '../api/types.ts';

const [mode, dataDir, writers = '16'] = process.argv.slice(2);

function configMap(name: string, value: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: 'default', labels: { 'app.kubernetes.io/name': 'crash' } },
    data: { value, padding: 'x'.repeat(512) },
  };
}

async function crash(): Promise<void> {
  const store = await openStore({ dataDir, compactEvery: 200 });
  let next = 0;
  let acknowledged = 0;
  const report = (line: string) => {
    process.stdout.write(line);
    if (++acknowledged % 256 === 0) {
      const { appends, appendBatches } = store.stats();
      process.stdout.write(`stats ${appends} ${appendBatches}\n`);
    }
  };
  const writer = async (): Promise<never> => {
    for (;;) {
      const i = next++;
      const name = `o${i}`;
      if (i % 5 === 4) {
        const key = `/registry/configmaps/deleted/${name}`;
        await store.create(key, configMap(name, 'doomed'));
        const gone = await store.delete(key);
        report(`deleted ${key} ${gone.metadata.resourceVersion}\n`);
      } else if (i % 5 === 3) {
        const key = `/registry/configmaps/updated/${name}`;
        const created = await store.create(key, configMap(name, 'first'));
        const updated = await store.update(
          key,
          configMap(name, 'second'),
          created.metadata.resourceVersion,
        );
        report(`present ${key} ${updated.metadata.resourceVersion}\n`);
      } else {
        const key = `/registry/configmaps/created/${name}`;
        const created = await store.create(key, configMap(name, 'only'));
        report(`present ${key} ${created.metadata.resourceVersion}\n`);
      }
    }
  };
  await Promise.all(Array.from({ length: Number(writers) }, writer));
}

async function exitCleanly(): Promise<void> {
  const store = await openStore({ dataDir, compactEvery: 10 });
  const seen: number[] = [];
  const watch = store.watch('/registry/', store.revision, (event) => seen.push(event.revision));
  await Promise.all(
    Array.from({ length: 40 }, (_, i) =>
      store.create(`/registry/configmaps/default/c${i}`, configMap(`c${i}`, 'v')),
    ),
  );
  await store.compact();
  // A write after the compaction reopens the datafile for fsync: close() must release it too.
  await store.create('/registry/configmaps/default/after', configMap('after', 'v'));
  watch.dispose();
  await store.close();
  // One turn of the loop lets in-flight close requests of nedb's own read stream finish.
  await new Promise((resolve) => setImmediate(resolve));
  // Anything still listed here would keep the process alive or leak (timers, file handles).
  const resources = process.getActiveResourcesInfo();
  // Open descriptors on the data directory (Linux): a leaked FileHandle keeps no process alive.
  const openFiles =
    process.platform === 'linux'
      ? readdirSync('/proc/self/fd')
          .map((fd) => {
            try {
              return readlinkSync(`/proc/self/fd/${fd}`);
            } catch {
              return ''; // the descriptor readdir itself used, closed by now
            }
          })
          .filter((target) => target.startsWith(dataDir))
      : [];
  process.stdout.write(`${JSON.stringify({ events: seen.length, resources, openFiles })}\n`);
}

if (mode === 'crash') await crash();
else if (mode === 'exit') await exitCleanly();
else throw new Error(`usage: nedb-store-child.ts crash <dataDir> [writers] | exit <dataDir>`);
