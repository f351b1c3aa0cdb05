// Skiff's implementation of the registry's Semantics: built-in kinds get kube-apiserver's
// defaulting, validation, strategies and OpenAPI-driven field checks; custom resources get their
// CRD's structural schema (validation, pruning, defaults); every write gets managedFields.
import type { KubeObject, JsonObject, JsonValue } from '../../api/types.ts';
import { isPlainObject } from '../../api/types.ts';
import { StatusError, badRequest, fieldErrors, type FieldError } from '../../api/status.ts';
import type { Semantics, DeletionPlan } from '../registry/semantics.ts';
import type { ObjectRegistry } from '../registry/rest.ts';
import type { ResourceCatalog } from '../registry/catalog.ts';
import { apiVersionOf, type ResourceInfo } from '../registry/resources.ts';
import { nowTimestamp } from '../registry/meta.ts';
import {
  CRD_CLEANUP_FINALIZER,
  computeCrdStatus,
  type CrdRegistry,
  type CrdSpec,
} from '../crd/crd-registry.ts';
import {
  applyDefaults as builtinDefaults,
  prepareForCreate as builtinPrepareForCreate,
  prepareForUpdate as builtinPrepareForUpdate,
} from '../validation/defaults.ts';
import {
  validateCreate as builtinValidateCreate,
  validateUpdate as builtinValidateUpdate,
} from '../validation/validate.ts';
import { nameIsDNSSubdomain } from '../validation/names.ts';
import { validateObjectMeta, validateObjectMetaUpdate } from '../validation/meta.ts';
import { loadDefinitions, definitionForKind } from '../openapi/definitions.ts';
import { findUnknownFields } from '../openapi/field-validation.ts';
import { findTypeMismatch } from '../openapi/type-check.ts';
import {
  applySchemaDefaults,
  pruneUnknownFields,
  validateAgainstSchema,
} from '../openapi/structural-schema.ts';
import type { Schema } from '../openapi/schema.ts';
import { applyJsonPatch } from '../patch/json-patch.ts';
import { applyMergePatch } from '../patch/merge-patch.ts';
import { strategicMergePatch } from '../patch/strategic-merge-patch.ts';
import {
  apply as serverSideApply,
  checkApplyPatch,
  trackUpdate,
} from '../patch/server-side-apply.ts';
import { builtinPatchSchema, schemaFromOpenAPI, type PatchSchema } from '../patch/patch-schema.ts';
import { hpaV1ToV2, hpaV2ToV1 } from './hpa-conversion.ts';
import { coreToEventsV1, eventsV1ToCore } from './event-conversion.ts';
import type { FieldPath } from '../patch/field-set.ts';
import { hasStatusSubresource } from '../registry/strategy.ts';
import { validateCustomResourceDefinition } from './crd-validation.ts';

export interface SkiffSemantics extends Semantics {
  attach(registry: ObjectRegistry): void;
  patchUntyped(current: KubeObject, patchType: string, patch: unknown): unknown;
}

const isCrd = (info: ResourceInfo) =>
  info.group === 'apiextensions.k8s.io' && info.kind === 'CustomResourceDefinition';
const isHpa = (info: ResourceInfo) =>
  info.group === 'autoscaling' && info.kind === 'HorizontalPodAutoscaler';

export function createSemantics({
  crds,
  catalog,
}: {
  crds: CrdRegistry;
  catalog: ResourceCatalog;
}): SkiffSemantics {
  const definitions = loadDefinitions();
  const definitionNames = new Map<string, string | undefined>();
  const definitionOf = (info: ResourceInfo): string | undefined => {
    const key = `${info.group}/${info.version}/${info.kind}`;
    if (!definitionNames.has(key))
      definitionNames.set(
        key,
        definitionForKind(definitions, {
          group: info.group,
          version: info.version,
          kind: info.kind,
        }),
      );
    return definitionNames.get(key);
  };
  const crSchema = (info: ResourceInfo): Schema | undefined => crds.lookup(info)?.schema;
  const patchSchemaOf = (info: ResourceInfo): PatchSchema => {
    if (info.custom) return schemaFromOpenAPI(crSchema(info) ?? {});
    return builtinPatchSchema(info.group, info.version, info.kind) ?? schemaFromOpenAPI({});
  };

  const semantics: SkiffSemantics = {
    toVersion(info, stored) {
      const apiVersion = apiVersionOf(info.group, info.version);
      if (stored.apiVersion === apiVersion) return stored;
      if (isHpa(info)) return info.version === 'v1' ? hpaV2ToV1(stored) : hpaV1ToV2(stored);
      if (info.kind === 'Event')
        return info.group === 'events.k8s.io' ? coreToEventsV1(stored) : eventsV1ToCore(stored);
      // Custom resources convert with strategy None: only apiVersion changes.
      return { ...stored, apiVersion };
    },

    toStorage(info, object) {
      if (isHpa(info) && info.version === 'v1') return hpaV1ToV2(object);
      if (info.group === 'events.k8s.io' && info.kind === 'Event') return eventsV1ToCore(object);
      if (info.custom && info.storageVersion)
        return { ...object, apiVersion: apiVersionOf(info.group, info.storageVersion) };
      return object;
    },

    prepareForCreate(info, object) {
      if (info.custom) return;
      builtinPrepareForCreate(object);
      if (isCrd(info)) {
        const finalizers = object.metadata.finalizers ?? [];
        if (!finalizers.includes(CRD_CLEANUP_FINALIZER))
          object.metadata.finalizers = [...finalizers, CRD_CLEANUP_FINALIZER];
        object.status = computeCrdStatus(object, crdNameConflicts(catalog, object));
      }
    },

    prepareForUpdate(info, object, old, subresource) {
      if (info.custom) return;
      if (subresource === 'finalize') {
        // /finalize changes only spec.finalizers (namespace strategy's finalize update).
        const finalizers = (object.spec as { finalizers?: unknown } | undefined)?.finalizers;
        for (const key of Object.keys(object)) if (key !== 'metadata') delete object[key];
        Object.assign(object, structuredClone({ ...old, metadata: object.metadata }));
        object.metadata = {
          ...old.metadata,
          resourceVersion: object.metadata.resourceVersion,
          managedFields: object.metadata.managedFields,
        };
        (object.spec as Record<string, unknown>) = { ...(old.spec as object), finalizers };
        return;
      }
      if (subresource !== 'status') builtinPrepareForUpdate(object, old);
      if (isCrd(info) && subresource !== 'status')
        object.status = computeCrdStatus(
          { ...object, status: old.status },
          crdNameConflicts(catalog, object),
        );
    },

    applyDefaults(info, object) {
      if (info.custom) {
        const defaulted = applySchemaDefaults(crSchema(info), object);
        replaceContents(object, defaulted);
        return;
      }
      builtinDefaults(object);
    },

    validateCreate(info, object) {
      if (info.custom) return validateCustom(info, object);
      if (isCrd(info))
        return [
          ...builtinValidateCreate(object),
          ...validateCustomResourceDefinition(object, undefined),
        ];
      return builtinValidateCreate(object);
    },

    validateUpdate(info, object, old) {
      if (info.custom)
        return [
          ...validateObjectMetaUpdate(object.metadata, old.metadata),
          ...validateCustom(info, object),
        ];
      if (isCrd(info))
        return [
          ...builtinValidateUpdate(object, old),
          ...validateCustomResourceDefinition(object, old),
        ];
      return builtinValidateUpdate(object, old);
    },

    typeErrors(info, object) {
      if (info.custom) return [];
      const definition = definitionOf(info);
      const mismatch = definition ? findTypeMismatch(definition, object, definitions) : undefined;
      if (mismatch) {
        throw badRequest(
          `${info.kind} in version "${info.version}" cannot be handled as a ${info.kind}: json: cannot unmarshal ${mismatch.found} into Go struct field ${mismatch.struct}.${mismatch.path} of type ${mismatch.expected}`,
        );
      }
      return [];
    },

    unknownFields(info, object) {
      if (info.custom) {
        const pruned: string[] = [];
        pruneUnknownFields(crSchema(info), object, { prunedPaths: pruned });
        return pruned;
      }
      const definition = definitionOf(info);
      return definition ? findUnknownFields(definition, object, definitions) : [];
    },

    prune(info, object) {
      if (info.custom) {
        replaceContents(object, pruneUnknownFields(crSchema(info), object));
        return;
      }
      const definition = definitionOf(info);
      if (!definition) return;
      for (const path of findUnknownFields(definition, object, definitions))
        deletePath(object, path);
    },

    applyPatch(info, current, patchType, patch) {
      return applyPatchOfType(current, patchType, patch, () => patchSchemaOf(info));
    },

    patchUntyped(current, patchType, patch) {
      return applyPatchOfType(current, patchType, patch, () => schemaFromOpenAPI({}));
    },

    serverSideApply(info, current, applied, manager, force, subresource) {
      const body = applied as unknown as JsonObject;
      checkApplyPatch(body, info.group, info.version, info.kind);
      const result = serverSideApply(
        current,
        body,
        manager,
        force,
        patchSchemaOf(info),
        nowTimestamp(),
        managerOptions(info, subresource),
      );
      return result.object;
    },

    trackManagedFields(info, old, object, manager, subresource) {
      const result = trackUpdate(
        old,
        object,
        manager,
        patchSchemaOf(info),
        nowTimestamp(),
        managerOptions(info, subresource),
      );
      if (result.managedFields === undefined) delete object.metadata.managedFields;
      else object.metadata.managedFields = result.managedFields;
    },

    deletionPlan(info, object, options): DeletionPlan {
      const finalizers = [...(object.metadata.finalizers ?? [])];
      if (options.propagationPolicy === 'Foreground' && !finalizers.includes('foregroundDeletion'))
        finalizers.push('foregroundDeletion');
      if (options.propagationPolicy === 'Orphan' && !finalizers.includes('orphan'))
        finalizers.push('orphan');
      const now = new Date();
      if (info.group === '' && info.kind === 'Pod' && !object.metadata.deletionTimestamp) {
        const spec = (object.spec ?? {}) as {
          nodeName?: string;
          terminationGracePeriodSeconds?: number;
        };
        const phase = (object.status as { phase?: string } | undefined)?.phase;
        const grace = options.gracePeriodSeconds ?? spec.terminationGracePeriodSeconds ?? 30;
        // kubelet finishes graceful deletion; pods never scheduled or already done go at once.
        if (spec.nodeName && phase !== 'Succeeded' && phase !== 'Failed' && grace > 0) {
          return {
            kind: 'mark',
            deletionTimestamp: nowTimestamp(new Date(now.getTime() + grace * 1000)),
            gracePeriodSeconds: grace,
            finalizers,
          };
        }
      }
      // A namespace waits for the namespace controller to empty it (spec.finalizers: [kubernetes]).
      const specFinalizers =
        (object.spec as { finalizers?: string[] } | undefined)?.finalizers ?? [];
      if (
        info.group === '' &&
        info.kind === 'Namespace' &&
        (specFinalizers.length || finalizers.length)
      ) {
        return {
          kind: 'mark',
          deletionTimestamp: object.metadata.deletionTimestamp ?? nowTimestamp(now),
          gracePeriodSeconds: 0,
          finalizers,
          status: { ...(object.status as object), phase: 'Terminating' },
        };
      }
      if (finalizers.length) {
        return {
          kind: 'mark',
          deletionTimestamp: object.metadata.deletionTimestamp ?? nowTimestamp(now),
          gracePeriodSeconds: object.metadata.deletionGracePeriodSeconds ?? 0,
          finalizers,
        };
      }
      return { kind: 'immediate' };
    },

    attach(registry) {
      registry.onWrite(async (info, event, object) => {
        if (!isCrd(info)) return;
        if (event === 'deleted') {
          crds.unregister(object.metadata.name ?? '');
          return;
        }
        crds.register(object);
        if (
          object.metadata.deletionTimestamp &&
          (object.metadata.finalizers ?? []).includes(CRD_CLEANUP_FINALIZER)
        ) {
          setImmediate(() => void cleanupCustomResources(registry, crds, catalog, object));
        }
        await Promise.resolve();
      });
    },
  };

  function validateCustom(info: ResourceInfo, object: KubeObject): FieldError[] {
    const errors: FieldError[] = validateObjectMeta(
      object.metadata,
      info.namespaced,
      nameIsDNSSubdomain,
    );
    const schema = crSchema(info);
    if (schema) errors.push(...(validateAgainstSchema(schema, object) as FieldError[]));
    return errors;
  }

  return semantics;
}

/** Fields an endpoint resets (the strategy's GetResetFields): status through the main resource, spec through /status. */
function managerOptions(
  info: ResourceInfo,
  subresource: string | undefined,
): { subresource?: string; resetFields?: FieldPath[] } {
  if (!hasStatusSubresource(info)) return subresource ? { subresource } : {};
  if (subresource === 'status') return { subresource, resetFields: [[{ field: 'spec' }]] };
  return subresource ? { subresource } : { resetFields: [[{ field: 'status' }]] };
}

function applyPatchOfType(
  current: KubeObject,
  patchType: string,
  patch: unknown,
  schema: () => PatchSchema,
): unknown {
  const doc = current as unknown as JsonValue;
  switch (patchType) {
    case 'application/json-patch+json':
      return applyJsonPatch(doc, patch as JsonValue).object;
    case 'application/merge-patch+json':
      return applyMergePatch(doc, patch as JsonValue);
    case 'application/strategic-merge-patch+json':
      return strategicMergePatch(current as unknown as JsonObject, patch as JsonValue, schema());
    default:
      throw new StatusError(
        415,
        'UnsupportedMediaType',
        `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml`,
      );
  }
}

/** Names another CRD in the same group already uses (apiextensions naming controller). */
function crdNameConflicts(catalog: ResourceCatalog, crd: KubeObject): string[] {
  const spec = crd.spec as CrdSpec | undefined;
  if (!spec?.names) return [];
  const conflicts: string[] = [];
  const mine = crd.metadata.name;
  for (const info of catalog.all()) {
    if (info.group !== spec.group) continue;
    if (info.custom && `${info.plural}.${info.group}` === mine) continue;
    if (info.plural === spec.names.plural)
      conflicts.push(`"${spec.names.plural}" is already in use`);
    if (info.kind === spec.names.kind && info.custom)
      conflicts.push(`"${spec.names.kind}" is already in use`);
    for (const short of spec.names.shortNames ?? [])
      if (info.shortNames.includes(short)) conflicts.push(`"${short}" is already in use`);
  }
  return [...new Set(conflicts)];
}

async function cleanupCustomResources(
  registry: ObjectRegistry,
  crds: CrdRegistry,
  catalog: ResourceCatalog,
  crd: KubeObject,
): Promise<void> {
  const spec = crd.spec as CrdSpec;
  const info = catalog
    .all()
    .find((r) => r.custom && r.group === spec.group && r.plural === spec.names.plural);
  const system = { username: 'system:apiserver', groups: ['system:masters'] };
  if (info) {
    for (const object of registry.listStored(info).items) {
      try {
        await registry.delete(info, object.metadata.namespace ?? '', object.metadata.name ?? '', {
          dryRun: false,
          user: system,
        });
      } catch (err) {
        if (!(err instanceof StatusError && err.code === 404)) return;
      }
    }
    if (registry.listStored(info).items.length) return; // finalizers on instances hold it; retried on the next write
  }
  const crdInfo = catalog.forKind('apiextensions.k8s.io', 'v1', 'CustomResourceDefinition')!;
  const current = registry.tryGet(crdInfo, '', crd.metadata.name ?? '');
  if (!current) return;
  const next = structuredClone(current);
  next.metadata.finalizers = (next.metadata.finalizers ?? []).filter(
    (f) => f !== CRD_CLEANUP_FINALIZER,
  );
  try {
    await registry.update(crdInfo, '', crd.metadata.name ?? '', next, {
      dryRun: false,
      fieldManager: 'kube-apiserver',
      fieldValidation: 'Ignore',
      user: system,
    });
  } catch {
    // a concurrent write wins; the next write to the CRD retries the cleanup
  }
  void crds;
}

function replaceContents(target: KubeObject, source: KubeObject): void {
  for (const key of Object.keys(target)) if (!(key in source)) delete target[key];
  Object.assign(target, source);
}

/** Deletes the field at a path as findUnknownFields prints it (`spec.containers[0].foo`). */
function deletePath(object: unknown, path: string): void {
  const parts: (string | number)[] = [];
  for (const segment of path.split('.')) {
    const match = /^([^[]*)((?:\[\d+\])*)$/.exec(segment);
    if (!match) return;
    if (match[1]) parts.push(match[1]);
    for (const index of match[2].matchAll(/\[(\d+)\]/g)) parts.push(Number(index[1]));
  }
  let target: unknown = object;
  for (const part of parts.slice(0, -1)) {
    if (typeof part === 'number') target = Array.isArray(target) ? target[part] : undefined;
    else target = isPlainObject(target) ? target[part] : undefined;
    if (target === undefined) return;
  }
  const last = parts[parts.length - 1];
  if (typeof last === 'string' && isPlainObject(target)) delete target[last];
}

export { badRequest, fieldErrors };
