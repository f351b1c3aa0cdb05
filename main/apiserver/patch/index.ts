// The patch engines of the API server: JSON patch, merge patch, strategic merge patch and
// server-side apply with managedFields (kube-apiserver's handlers/patch.go and field manager).
export { applyJsonPatch, MAX_JSON_PATCH_OPERATIONS } from './json-patch.ts';
export type { JsonPatchOptions, JsonPatchResult } from './json-patch.ts';
export { applyMergePatch } from './merge-patch.ts';
export { strategicMergePatch } from './strategic-merge-patch.ts';
export {
  apply,
  checkApplyPatch,
  fieldsV1Paths,
  trackUpdate,
  LAST_APPLIED_ANNOTATION,
  MAX_UPDATE_MANAGERS,
} from './server-side-apply.ts';
export type { FieldManagerOptions, FieldManagerResult } from './server-side-apply.ts';
export {
  builtinPatchSchema,
  childSchema,
  elementSchema,
  objectMetaSchema,
  schemaFromOpenAPI,
  DEFAULT_FIELD_SCHEMA,
  UNTYPED_SCHEMA,
} from './patch-schema.ts';
export type { ListType, PatchSchema } from './patch-schema.ts';
export type { FieldPath, PathElement } from './field-set.ts';
