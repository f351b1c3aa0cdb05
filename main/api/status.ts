// Kubernetes `Status` errors (apimachinery pkg/api/errors): every failure the API answers is one
// of these, with the reason, code and message kube-apiserver would give, so kubectl prints the
// same text it prints against a real cluster.
import { formatFieldValue, goQuote } from './go-format.ts';

export type StatusReason =
  | ''
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Gone'
  | 'Expired'
  | 'Invalid'
  | 'MethodNotAllowed'
  | 'NotAcceptable'
  | 'UnsupportedMediaType'
  | 'RequestEntityTooLarge'
  | 'TooManyRequests'
  | 'InternalError'
  | 'ServiceUnavailable'
  | 'Timeout';

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: StatusReason;
  details?: StatusDetails;
  code: number;
}

export class StatusError extends Error {
  constructor(
    readonly code: number,
    readonly reason: StatusReason,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
    this.name = 'StatusError';
  }

  toStatus(): Status {
    const status: Status = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      code: this.code,
    };
    // StatusReasonUnknown is the empty string, which kube-apiserver leaves out.
    if (this.reason) status.reason = this.reason;
    if (this.details) status.details = this.details;
    return status;
  }
}

/** "deployments.apps" for a grouped resource, "pods" for core. */
export function qualifiedResource(resource: string, group: string): string {
  return group ? `${resource}.${group}` : resource;
}

export function badRequest(message: string, causes?: StatusCause[]): StatusError {
  return new StatusError(400, 'BadRequest', message, causes ? { causes } : undefined);
}

export function notFound(resource: string, group: string, name: string): StatusError {
  return new StatusError(
    404,
    'NotFound',
    `${qualifiedResource(resource, group)} "${name}" not found`,
    {
      name,
      group: group || undefined,
      kind: resource,
    },
  );
}

export function alreadyExists(resource: string, group: string, name: string): StatusError {
  return new StatusError(
    409,
    'AlreadyExists',
    `${qualifiedResource(resource, group)} "${name}" already exists`,
    { name, group: group || undefined, kind: resource },
  );
}

export function conflict(resource: string, group: string, name: string, why?: string): StatusError {
  const reason =
    why ??
    'the object has been modified; please apply your changes to the latest version and try again';
  return new StatusError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualifiedResource(resource, group)} "${name}": ${reason}`,
    { name, group: group || undefined, kind: resource },
  );
}

/** One invalid field, as field.ErrorList entries in apimachinery's validation package. */
export interface FieldError {
  type:
    | 'FieldValueInvalid'
    | 'FieldValueRequired'
    | 'FieldValueNotSupported'
    | 'FieldValueForbidden'
    | 'FieldValueDuplicate'
    | 'FieldValueTooLong'
    | 'FieldValueTooMany'
    | 'FieldValueNotFound'
    | 'InternalError'
    | 'FieldValueTypeInvalid';
  field: string;
  message: string;
}

/** 422 Invalid: `Deployment.apps "x" is invalid: spec.replicas: Invalid value: -1: must be …`. */
export function invalid(
  kind: string,
  group: string,
  name: string,
  errors: FieldError[],
): StatusError {
  const summary = errors.map((e) => `${e.field}: ${e.message}`);
  const list = summary.length === 1 ? summary[0] : `[${summary.join(', ')}]`;
  return new StatusError(
    422,
    'Invalid',
    `${group ? `${kind}.${group}` : kind} "${name}" is invalid: ${list}`,
    {
      name,
      group: group || undefined,
      kind,
      causes: errors.map((e) => ({ reason: e.type, message: e.message, field: e.field })),
    },
  );
}

/** Message helpers matching field.Invalid / field.Required / field.NotSupported wording. */
export const fieldErrors = {
  invalid(field: string, value: unknown, detail: string): FieldError {
    return {
      type: 'FieldValueInvalid',
      field,
      message: `Invalid value: ${formatFieldValue(value)}: ${detail}`,
    };
  },
  required(field: string, detail = ''): FieldError {
    return {
      type: 'FieldValueRequired',
      field,
      message: detail ? `Required value: ${detail}` : 'Required value',
    };
  },
  notSupported(field: string, value: unknown, supported: string[]): FieldError {
    return {
      type: 'FieldValueNotSupported',
      field,
      message: `Unsupported value: ${formatFieldValue(value)}: supported values: ${supported.map(goQuote).join(', ')}`,
    };
  },
  forbidden(field: string, detail: string): FieldError {
    return { type: 'FieldValueForbidden', field, message: `Forbidden: ${detail}` };
  },
  duplicate(field: string, value: unknown): FieldError {
    return {
      type: 'FieldValueDuplicate',
      field,
      message: `Duplicate value: ${formatFieldValue(value)}`,
    };
  },
  typeInvalid(field: string, value: unknown, detail: string): FieldError {
    return {
      type: 'FieldValueTypeInvalid',
      field,
      message: `Invalid value: ${formatFieldValue(value)}: ${detail}`,
    };
  },
};

export function forbidden(message: string): StatusError {
  return new StatusError(403, 'Forbidden', message);
}

export function methodNotAllowed(message: string): StatusError {
  return new StatusError(405, 'MethodNotAllowed', message);
}

export function unsupportedMediaType(contentType: string): StatusError {
  return new StatusError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf`.replace(
      '${contentType}',
      contentType,
    ),
  );
}

export function internalError(message: string): StatusError {
  return new StatusError(500, 'InternalError', `Internal error occurred: ${message}`);
}

export function expired(message: string): StatusError {
  return new StatusError(410, 'Expired', message);
}
