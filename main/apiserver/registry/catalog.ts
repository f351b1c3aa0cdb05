// The set of resources served right now: the built-in table plus resources defined by
// CustomResourceDefinitions, which join and leave at run time (discovery changes at once).
import { BUILTIN_RESOURCES, GROUP_VERSIONS, type ResourceInfo } from './resources.ts';

export interface CustomGroupVersion {
  group: string;
  version: string;
}

export class ResourceCatalog {
  private custom = new Map<string, ResourceInfo[]>(); // CRD name -> its served versions
  private byPath = new Map<string, ResourceInfo>();
  private changeListeners = new Set<() => void>();
  private generation = 0;

  constructor() {
    this.rebuild();
  }

  /** Bumped whenever the served set changes, so cached discovery/OpenAPI documents can be dropped. */
  get version(): number {
    return this.generation;
  }

  onChange(listener: () => void): { dispose(): void } {
    this.changeListeners.add(listener);
    return { dispose: () => this.changeListeners.delete(listener) };
  }

  setCustom(crdName: string, resources: ResourceInfo[]): void {
    if (resources.length === 0) this.custom.delete(crdName);
    else this.custom.set(crdName, resources);
    this.rebuild();
  }

  removeCustom(crdName: string): void {
    if (this.custom.delete(crdName)) this.rebuild();
  }

  private rebuild(): void {
    this.byPath.clear();
    for (const info of this.all())
      this.byPath.set(pathKey(info.group, info.version, info.plural), info);
    this.generation++;
    for (const listener of this.changeListeners) listener();
  }

  all(): ResourceInfo[] {
    return [...BUILTIN_RESOURCES, ...[...this.custom.values()].flat()];
  }

  lookup(group: string, version: string, plural: string): ResourceInfo | undefined {
    return this.byPath.get(pathKey(group, version, plural));
  }

  /** Group → versions served, preferred first. */
  groups(): Map<string, string[]> {
    const groups = new Map<string, string[]>(Object.entries(GROUP_VERSIONS));
    for (const resources of this.custom.values()) {
      for (const info of resources) {
        const versions = groups.get(info.group) ?? [];
        if (!versions.includes(info.version)) versions.push(info.version);
        groups.set(info.group, versions);
      }
    }
    for (const [group, versions] of groups) groups.set(group, sortVersions(versions));
    return groups;
  }

  resourcesIn(group: string, version: string): ResourceInfo[] {
    return this.all().filter((info) => info.group === group && info.version === version);
  }

  /** The resource for a kind in a group/version (the first non-subresource match). */
  forKind(group: string, version: string, kind: string): ResourceInfo | undefined {
    return this.all().find(
      (info) => info.group === group && info.version === version && info.kind === kind,
    );
  }
}

function pathKey(group: string, version: string, plural: string): string {
  return `${group}/${version}/${plural}`;
}

/** Kubernetes version priority: GA > beta > alpha, higher numbers first (apimachinery version.CompareKubeAwareVersionStrings). */
export function sortVersions(versions: string[]): string[] {
  const rank = (v: string): [number, number, number, string] => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return [3, 0, 0, v];
    const stability = m[2] === undefined ? 0 : m[2] === 'beta' ? 1 : 2;
    return [stability, -Number(m[1]), -Number(m[3] ?? 0), v];
  };
  return [...versions].sort((a, b) => {
    const ra = rank(a);
    const rb = rank(b);
    for (let i = 0; i < 3; i++) if (ra[i] !== rb[i]) return (ra[i] as number) - (rb[i] as number);
    return ra[3].localeCompare(rb[3]);
  });
}
