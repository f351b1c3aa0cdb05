// Wires the printers and selectors into the list/get/watch renderer (ListView).
import type { KubeObject } from '../../api/types.ts';
import { tableFor } from '../printers/columns.ts';
import { tableForCustomResource } from '../printers/custom-resource.ts';
import { parseLabelSelector } from '../selectors/label-selector.ts';
import { parseFieldSelector } from '../selectors/field-selector.ts';
import type { ViewDeps } from '../handlers/list-view.ts';
import type { CrdRegistry } from '../crd/crd-registry.ts';
import type { ResourceInfo } from '../registry/resources.ts';
import type { SkiffSemantics } from './semantics.ts';

export function createViewDeps({
  crds,
  semantics,
}: {
  crds: CrdRegistry;
  semantics: SkiffSemantics;
}): ViewDeps {
  return {
    labelMatcher(selector) {
      const parsed = parseLabelSelector(selector);
      return (labels) => parsed.matches(labels);
    },
    fieldMatcher(selector, info: ResourceInfo) {
      const served = crds.lookup(info);
      const parsed = parseFieldSelector(
        selector,
        info.kind,
        info.group,
        served
          ? {
              customResource: {
                namespaced: info.namespaced,
                selectableFields: served.selectableFields,
              },
            }
          : {},
      );
      return (object: KubeObject) => parsed.matches(object);
    },
    table(info, objects, includeObject) {
      const options = { now: new Date(), includeObject };
      const served = crds.lookup(info);
      const content = served
        ? tableForCustomResource(
            served.printerColumns as Parameters<typeof tableForCustomResource>[0],
            objects,
            options,
          )
        : tableFor(info.kind, info.group, objects, options);
      return content;
    },
    toVersion: (info, object) => semantics.toVersion(info, object),
    applyPatch: (current, patchType, patch) => semantics.patchUntyped(current, patchType, patch),
  };
}
