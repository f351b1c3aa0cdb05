// Writing responses: JSON objects, Status errors with the same HTTP code, and Warning headers
// (`299 - "message"`, as kube-apiserver's warning recorder emits them).
import type { ServerResponse } from 'node:http';
import { StatusError, internalError } from '../../api/status.ts';
import { RawJson } from './json-text.ts';

export function warningHeader(message: string): string {
  return `299 - ${JSON.stringify(message)}`;
}

export function addWarnings(res: ServerResponse, warnings: readonly string[]): void {
  if (warnings.length === 0 || res.headersSent) return;
  const existing = res.getHeader('Warning');
  const list = Array.isArray(existing) ? existing.map(String) : existing ? [String(existing)] : [];
  res.setHeader('Warning', [...list, ...warnings.map(warningHeader)]);
}

export function sendJson(res: ServerResponse, code: number, body: unknown): void {
  const text = body instanceof RawJson ? body.text : JSON.stringify(body);
  res.writeHead(code, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-cache, private',
  });
  res.end(text);
}

export function sendText(res: ServerResponse, code: number, text: string): void {
  res.writeHead(code, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

export function toStatusError(err: unknown): StatusError {
  if (err instanceof StatusError) return err;
  return internalError(err instanceof Error ? err.message : String(err));
}

export function sendError(res: ServerResponse, err: unknown): void {
  const status = toStatusError(err);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (status.code === 429 && status.details?.retryAfterSeconds)
    res.setHeader('Retry-After', String(status.details.retryAfterSeconds));
  sendJson(res, status.code, status.toStatus());
}
