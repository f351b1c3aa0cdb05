// Query-parameter parsing shared by the handlers (metav1.ListOptions, CreateOptions, PatchOptions,
// DeleteOptions as query parameters), answering bad values with 400 like kube-apiserver.
import { badRequest } from '../../api/status.ts';
import type { FieldValidation } from '../registry/rest.ts';

export function boolParam(params: URLSearchParams, name: string): boolean | undefined {
  const value = params.get(name);
  if (value === null) return undefined;
  if (value === 'true' || value === '1' || value === '') return true;
  if (value === 'false' || value === '0') return false;
  throw badRequest(`invalid boolean value for ${name}: ${JSON.stringify(value)}`);
}

export function intParam(params: URLSearchParams, name: string): number | undefined {
  const value = params.get(name);
  if (value === null || value === '') return undefined;
  if (!/^-?\d+$/.test(value))
    throw badRequest(`invalid integer value for ${name}: ${JSON.stringify(value)}`);
  return Number(value);
}

export function dryRunParam(params: URLSearchParams): boolean {
  const values = params.getAll('dryRun');
  for (const value of values) {
    if (value !== 'All')
      throw badRequest(`dryRun: Unsupported value: "${value}": supported values: "All"`);
  }
  return values.length > 0;
}

export function fieldValidationParam(params: URLSearchParams): FieldValidation {
  const value = params.get('fieldValidation');
  if (value === null || value === '') return 'Warn';
  if (value === 'Strict' || value === 'Warn' || value === 'Ignore') return value;
  throw badRequest(
    `fieldValidation: Unsupported value: "${value}": supported values: "Ignore", "Strict", "Warn"`,
  );
}

/** The default field manager kube-apiserver derives from the User-Agent (its part before '/'). */
export function fieldManagerParam(
  params: URLSearchParams,
  userAgent: string | undefined,
  required: boolean,
): string {
  const value = params.get('fieldManager');
  if (value) {
    if (value.length > 128) throw badRequest('fieldManager: Too long: must have at most 128 bytes');
    return value;
  }
  if (required)
    throw badRequest(
      'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
    );
  const agent = (userAgent ?? '').split('/')[0].trim();
  return agent ? agent.slice(0, 128) : 'unknown';
}
