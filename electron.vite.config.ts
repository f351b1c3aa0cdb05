// electron-vite build of the desktop shell: the main process bundle (main/shell/main.ts), with the
// generated OpenAPI definitions copied beside it (the API server reads them at start).
import fs from 'node:fs';
import path from 'node:path';
import { defineConfig, externalizeDepsPlugin } from 'electron-vite';

const definitions = 'main/apiserver/openapi/generated/definitions.json';

export default defineConfig({
  main: {
    plugins: [
      externalizeDepsPlugin(),
      {
        name: 'skiff-openapi-definitions',
        writeBundle(options) {
          const target = path.join(options.dir ?? 'out/main', 'generated', 'definitions.json');
          fs.mkdirSync(path.dirname(target), { recursive: true });
          fs.copyFileSync(definitions, target);
        },
      },
    ],
    build: {
      outDir: 'out/main',
      rollupOptions: { input: { index: 'main/shell/main.ts' } },
    },
  },
});
