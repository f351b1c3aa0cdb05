// Loads the OpenAPI definitions generated at build time (scripts/generate-openapi.ts) and indexes
// them by group/version/kind — the schema source for /openapi/v3 and for strict field validation.

import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Definitions, GroupVersionKind } from './schema.ts';

export const DEFINITIONS_FILE = fileURLToPath(
  new URL('./generated/definitions.json', import.meta.url),
);

const loaded = new Map<string, Definitions>();

/** The generated definitions (read once per file and cached; treat the result as read-only). */
export function loadDefinitions(file: string = DEFINITIONS_FILE): Definitions {
  const cached = loaded.get(file);
  if (cached) return cached;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(
      `OpenAPI definitions missing at ${file}: run \`npm run generate\` (${String(error)})`,
      { cause: error },
    );
  }
  const definitions = JSON.parse(text) as Definitions;
  loaded.set(file, definitions);
  return definitions;
}

const gvkIndexes = new WeakMap<Definitions, Map<string, string>>();

function gvkKey(gvk: GroupVersionKind): string {
  return `${gvk.group}/${gvk.version}/${gvk.kind}`;
}

/** The definition tagged with this group/version/kind (`io.k8s.api.apps.v1.Deployment`). */
export function definitionForKind(
  definitions: Definitions,
  gvk: GroupVersionKind,
): string | undefined {
  let index = gvkIndexes.get(definitions);
  if (!index) {
    index = new Map();
    for (const [name, schema] of Object.entries(definitions)) {
      for (const tag of schema['x-kubernetes-group-version-kind'] ?? []) {
        if (!index.has(gvkKey(tag))) index.set(gvkKey(tag), name);
      }
    }
    gvkIndexes.set(definitions, index);
  }
  return index.get(gvkKey(gvk));
}
