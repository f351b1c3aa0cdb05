// pods/log options (core/v1 PodLogOptions) parsed and validated as kube-apiserver does
// (pkg/apis/core/validation ValidatePodLogOptions), and the pieces kubelet applies to a log stream
// that a runtime does not: limitBytes cut-off and the since bound as a runtime timestamp.
import { Transform, type TransformCallback } from 'node:stream';
import { badRequest, fieldErrors, invalid, type FieldError } from '../../main/api/status.ts';

export interface LogOptions {
  follow: boolean;
  previous: boolean;
  timestamps: boolean;
  tailLines?: number;
  sinceSeconds?: number;
  /** Milliseconds since the epoch. */
  sinceTime?: number;
  limitBytes?: number;
}

const TRUE = new Set(['true', '1', 'True', 'TRUE', 't', 'T']);
const FALSE = new Set(['false', '0', 'False', 'FALSE', 'f', 'F']);

function bool(params: URLSearchParams, name: string): boolean {
  const value = params.get(name);
  if (value === null || value === '') return false;
  if (TRUE.has(value)) return true;
  if (FALSE.has(value)) return false;
  throw badRequest(`strconv.ParseBool: parsing ${JSON.stringify(value)}: invalid syntax`);
}

function integer(params: URLSearchParams, name: string): number | undefined {
  const value = params.get(name);
  if (value === null || value === '') return undefined;
  if (!/^[+-]?\d+$/.test(value))
    throw badRequest(`strconv.ParseInt: parsing ${JSON.stringify(value)}: invalid syntax`);
  return Number(value);
}

/** Reads the query of GET pods/{name}/log; throws the 400/422 Status kube-apiserver answers. */
export function parseLogOptions(params: URLSearchParams, podName: string): LogOptions {
  const options: LogOptions = {
    follow: bool(params, 'follow'),
    previous: bool(params, 'previous'),
    timestamps: bool(params, 'timestamps'),
    tailLines: integer(params, 'tailLines'),
    sinceSeconds: integer(params, 'sinceSeconds'),
    limitBytes: integer(params, 'limitBytes'),
  };
  const sinceTime = params.get('sinceTime');
  if (sinceTime) {
    const ms = Date.parse(sinceTime);
    if (!/^\d{4}-\d\d-\d\dT/.test(sinceTime) || Number.isNaN(ms))
      throw badRequest(
        `parsing time ${JSON.stringify(sinceTime)} as "2006-01-02T15:04:05Z07:00": cannot parse ${JSON.stringify(sinceTime)} as "2006"`,
      );
    options.sinceTime = ms;
  }
  const errors: FieldError[] = [];
  if (options.tailLines !== undefined && options.tailLines < 0)
    errors.push(
      fieldErrors.invalid('tailLines', options.tailLines, 'must be greater than or equal to 0'),
    );
  if (options.limitBytes !== undefined && options.limitBytes < 1)
    errors.push(fieldErrors.invalid('limitBytes', options.limitBytes, 'must be greater than 0'));
  if (options.sinceSeconds !== undefined && options.sinceTime !== undefined)
    errors.push(
      fieldErrors.forbidden('', 'at most one of `sinceTime` or `sinceSeconds` may be specified'),
    );
  else if (options.sinceSeconds !== undefined && options.sinceSeconds < 1)
    errors.push(
      fieldErrors.invalid('sinceSeconds', options.sinceSeconds, 'must be greater than 0'),
    );
  if (errors.length) throw invalid('PodLogOptions', '', podName, errors);
  return options;
}

/** The lower time bound of the log in seconds since the epoch (fractional), or undefined. */
export function sinceEpochSeconds(options: LogOptions, nowMs = Date.now()): number | undefined {
  if (options.sinceTime !== undefined) return options.sinceTime / 1000;
  if (options.sinceSeconds !== undefined) return (nowMs - options.sinceSeconds * 1000) / 1000;
  return undefined;
}

/**
 * Passes at most `limit` bytes (kubelet's LimitWriter: the cut may fall inside a line), then ends
 * and calls `onLimit` so the source can be released.
 */
export class ByteLimit extends Transform {
  private left: number;

  constructor(
    limit: number,
    private readonly onLimit: () => void = () => undefined,
  ) {
    super();
    this.left = limit;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    if (this.left <= 0) return done();
    const part = chunk.length <= this.left ? chunk : chunk.subarray(0, this.left);
    this.left -= part.length;
    this.push(part);
    if (this.left <= 0) {
      this.push(null);
      this.onLimit();
    }
    done();
  }
}

/** kubelet's container-log lookup error wording (validateContainerLogStatus in kubelet_pods.go). */
export interface ContainerStatusView {
  name: string;
  containerID?: string;
  state?: {
    waiting?: { reason?: string };
    running?: unknown;
    terminated?: { containerID?: string };
  };
  lastState?: { terminated?: { containerID?: string } };
}

/**
 * Which container instance's log to read, from the pod status: the running or last terminated
 * one, or with `previous` the one before; an Error with kubelet's message when there is none.
 */
export function logContainerId(
  podName: string,
  statuses: ContainerStatusView[],
  container: string,
  previous: boolean,
): string {
  const status = statuses.find((s) => s.name === container);
  const q = JSON.stringify;
  if (!status) throw new Error(`container ${q(container)} in pod ${q(podName)} is not available`);
  const last = status.lastState?.terminated;
  const { waiting, running, terminated } = status.state ?? {};
  if (previous) {
    if (!last?.containerID)
      throw new Error(
        `previous terminated container ${q(container)} in pod ${q(podName)} not found`,
      );
    return last.containerID;
  }
  if (running !== undefined && status.containerID) return status.containerID;
  if (terminated) {
    const id = terminated.containerID || last?.containerID;
    if (!id) throw new Error(`container ${q(container)} in pod ${q(podName)} is terminated`);
    return id;
  }
  if (last) {
    if (!last.containerID)
      throw new Error(`container ${q(container)} in pod ${q(podName)} is terminated`);
    return last.containerID;
  }
  if (waiting) {
    const reason =
      waiting.reason === 'ErrImagePull'
        ? "image can't be pulled"
        : waiting.reason === 'ImagePullBackOff'
          ? 'trying and failing to pull image'
          : (waiting.reason ?? '');
    throw new Error(
      `container ${q(container)} in pod ${q(podName)} is waiting to start: ${reason}`,
    );
  }
  throw new Error(
    `container ${q(container)} in pod ${q(podName)} is waiting to start - no logs yet`,
  );
}

/** `docker://abc…` → `abc…`. */
export function runtimeId(containerID: string): string {
  const i = containerID.indexOf('://');
  return i >= 0 ? containerID.slice(i + 3) : containerID;
}
