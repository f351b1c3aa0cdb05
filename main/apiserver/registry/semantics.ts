// The kind-specific knowledge the generic registry needs, gathered behind one interface:
// defaulting, validation, schemas (unknown fields, pruning), patching, server-side apply,
// managedFields, version conversion and deletion rules.
import type { KubeObject } from '../../api/types.ts';
import type { FieldError } from '../../api/status.ts';
import type { ResourceInfo } from './resources.ts';

export type DeletionPlan =
  | { kind: 'immediate' }
  | {
      kind: 'mark';
      deletionTimestamp: string;
      gracePeriodSeconds: number;
      finalizers?: string[];
      status?: unknown;
    };

export interface Semantics {
  /** Storage form → the version the request addressed (HPA v1/v2, CRD versions). */
  toVersion(info: ResourceInfo, stored: KubeObject): KubeObject;
  toStorage(info: ResourceInfo, object: KubeObject): KubeObject;
  prepareForCreate(info: ResourceInfo, object: KubeObject): void;
  prepareForUpdate(
    info: ResourceInfo,
    object: KubeObject,
    old: KubeObject,
    subresource: string,
  ): void;
  applyDefaults(info: ResourceInfo, object: KubeObject): void;
  validateCreate(info: ResourceInfo, object: KubeObject): FieldError[];
  validateUpdate(info: ResourceInfo, object: KubeObject, old: KubeObject): FieldError[];
  /** Values of the wrong JSON type where the schema is definite (decoding errors). */
  typeErrors(info: ResourceInfo, object: KubeObject): FieldError[];
  unknownFields(info: ResourceInfo, object: KubeObject): string[];
  /** Drops fields the schema does not know (built-in decoding and CRD structural pruning). */
  prune(info: ResourceInfo, object: KubeObject): void;
  applyPatch(info: ResourceInfo, current: KubeObject, patchType: string, patch: unknown): unknown;
  serverSideApply(
    info: ResourceInfo,
    current: KubeObject | undefined,
    applied: KubeObject,
    manager: string,
    force: boolean,
    subresource?: string,
  ): KubeObject;
  trackManagedFields(
    info: ResourceInfo,
    old: KubeObject | undefined,
    object: KubeObject,
    manager: string,
    subresource?: string,
  ): void;
  deletionPlan(
    info: ResourceInfo,
    object: KubeObject,
    options: { gracePeriodSeconds?: number; propagationPolicy?: string },
  ): DeletionPlan;
}
