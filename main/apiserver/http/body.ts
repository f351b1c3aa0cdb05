// Reading and decoding request bodies as kube-apiserver's handlers do: a 3 MiB limit (413),
// JSON or YAML by Content-Type (415 otherwise), malformed input answered with 400.
import type { IncomingMessage } from 'node:http';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { StatusError, badRequest } from '../../api/status.ts';
import { PROTOBUF_MEDIA_TYPE, decodeKubernetesProtobuf } from '../protobuf/decode.ts';

/** kube-apiserver's default MaxRequestBodyBytes. */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;

export async function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) {
    req.resume();
    throw tooLarge(limit);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      req.resume();
      throw tooLarge(limit);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function tooLarge(limit: number): StatusError {
  return new StatusError(
    413,
    'RequestEntityTooLarge',
    `Request entity too large: limit is ${limit}`,
  );
}

export function mediaTypeOf(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0].trim().toLowerCase();
}

/** Decodes a JSON or YAML body into a value; names the line for malformed input. */
export function decodeBody(body: Buffer, contentType: string | undefined): unknown {
  const media = mediaTypeOf(contentType);
  // kubectl's typed clients (create generators, auth can-i, create token) send protobuf.
  if (media === PROTOBUF_MEDIA_TYPE) return decodeKubernetesProtobuf(body);
  const text = body.toString('utf8');
  if (text.trim() === '') throw badRequest('the body of the request was empty');
  if (
    media === 'application/yaml' ||
    media === 'application/apply-patch+yaml' ||
    media === 'text/yaml'
  ) {
    try {
      const docs = parseYamlDocument(text);
      return docs;
    } catch (err) {
      if (err instanceof StatusError) throw err;
      if (err instanceof YAMLParseError) {
        const line = err.linePos?.[0]?.line;
        throw badRequest(
          `error converting YAML to JSON: yaml: ${line ? `line ${line}: ` : ''}${err.message.split('\n')[0]}`,
        );
      }
      throw badRequest(`error converting YAML to JSON: ${(err as Error).message}`);
    }
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw badRequest(`json parse error: ${describeJsonError(text, err as Error)}`);
  }
}

function parseYamlDocument(text: string): unknown {
  return parseYaml(text, { uniqueKeys: true, prettyErrors: true, maxAliasCount: 100 }) as unknown;
}

function describeJsonError(text: string, err: Error): string {
  const match = /position (\d+)/.exec(err.message);
  if (!match) return err.message;
  const position = Number(match[1]);
  const before = text.slice(0, position);
  const line = before.split('\n').length;
  return `${err.message.replace(/ in JSON at position \d+.*$/, '')} at line ${line}, offset ${position}`;
}

/** Finds keys repeated in one JSON object, which strict decoding rejects (`duplicate field "x"`). */
export function findDuplicateJsonFields(text: string): string[] {
  const duplicates: string[] = [];
  const stack: { keys: Set<string>; path: string; isObject: boolean; index: number }[] = [];
  let i = 0;
  let pendingKey: string | null = null;
  const pathOf = (key: string) => {
    const top = stack[stack.length - 1];
    return top && top.path ? `${top.path}.${key}` : key;
  };
  while (i < text.length) {
    const ch = text[i];
    if (ch === '"') {
      let j = i + 1;
      let value = '';
      while (j < text.length && text[j] !== '"') {
        if (text[j] === '\\') {
          value += text.slice(j, j + 2);
          j += 2;
        } else {
          value += text[j];
          j++;
        }
      }
      const str = JSON.parse(`"${value}"`) as string;
      i = j + 1;
      // a key is a string followed by ':'
      let k = i;
      while (k < text.length && /\s/.test(text[k])) k++;
      const top = stack[stack.length - 1];
      if (text[k] === ':' && top?.isObject) {
        if (top.keys.has(str)) duplicates.push(pathOf(str));
        top.keys.add(str);
        pendingKey = str;
        i = k + 1;
      }
      continue;
    }
    if (ch === '{' || ch === '[') {
      const top = stack[stack.length - 1];
      let path = '';
      if (top) {
        if (top.isObject && pendingKey !== null) path = pathOf(pendingKey);
        else if (!top.isObject) path = `${top.path}[${top.index}]`;
      }
      stack.push({ keys: new Set(), path, isObject: ch === '{', index: 0 });
      pendingKey = null;
    } else if (ch === '}' || ch === ']') {
      stack.pop();
    } else if (ch === ',') {
      const top = stack[stack.length - 1];
      if (top && !top.isObject) top.index++;
      pendingKey = null;
    }
    i++;
  }
  return duplicates;
}
