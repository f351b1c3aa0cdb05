// Test helper for nedb-store.test.ts, run in a child process (`node --import tsx`): `crash <dir>`
// writes forever and prints each acknowledged write for a SIGKILL test; `exit <dir>` exercises the
// store, closes it and prints the handles left, so the test can check the process exits by itself.
import { openStore } from './nedb-store.ts';
import type { KubeObject } from '../api/types.ts';

const [mode, dataDir] = process.argv.slice(2);

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
  const writer = async (): Promise<never> => {
    for (;;) {
      const i = next++;
      const name = `o${i}`;
      if (i % 5 === 4) {
        const key = `/registry/configmaps/deleted/${name}`;
        await store.create(key, configMap(name, 'doomed'));
        const gone = await store.delete(key);
        process.stdout.write(`deleted ${key} ${gone.metadata.resourceVersion}\n`);
      } else if (i % 5 === 3) {
        const key = `/registry/configmaps/updated/${name}`;
        const created = await store.create(key, configMap(name, 'first'));
        const updated = await store.update(
          key,
          configMap(name, 'second'),
          created.metadata.resourceVersion,
        );
        process.stdout.write(`present ${key} ${updated.metadata.resourceVersion}\n`);
      } else {
        const key = `/registry/configmaps/created/${name}`;
        const created = await store.create(key, configMap(name, 'only'));
        process.stdout.write(`present ${key} ${created.metadata.resourceVersion}\n`);
      }
    }
  };
  await Promise.all(Array.from({ length: 16 }, writer));
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
  watch.dispose();
  await store.close();
  // One turn of the loop lets in-flight close requests of nedb's own read stream finish.
  await new Promise((resolve) => setImmediate(resolve));
  // Anything still listed here would keep the process alive or leak (timers, file handles).
  process.stdout.write(
    `${JSON.stringify({ events: seen.length, resources: process.getActiveResourcesInfo() })}\n`,
  );
}

if (mode === 'crash') await crash();
else if (mode === 'exit') await exitCleanly();
else throw new Error(`usage: nedb-store-child.ts crash|exit <dataDir>`);
