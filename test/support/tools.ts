// Where the end-to-end suites find the real kubectl and helm (extracted by `npm run setup:tools`)
// and the repository they run Skiff from.
import { accessSync, constants } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const toolsBin = join(repoRoot, '.tools/bin');
export const kubectlPath = join(toolsBin, 'kubectl');
export const helmPath = join(toolsBin, 'helm');
export const fixturesDir = join(repoRoot, 'test/fixtures');

/** Throws with the fix in the message when kubectl or helm has not been extracted. */
export function requireKubeTools(): void {
  for (const binary of [kubectlPath, helmPath]) {
    try {
      accessSync(binary, constants.X_OK);
    } catch {
      throw new Error(`${binary} is missing or not executable: run \`npm run setup:tools\` first.`);
    }
  }
}
