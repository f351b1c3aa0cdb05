// The part of client-go's JSONPath (k8s.io/client-go/util/jsonpath) that CRD printer columns use:
// `.a.b`, `['a.b']`, `[0]`, `[-1]`, `[*]`, `..name` and filters like `[?(@.type=="Ready")]`.
// Missing keys yield no result, as with AllowMissingKeys(true).

type Step =
  | { kind: 'field'; name: string }
  | { kind: 'wildcard' }
  | { kind: 'index'; index: number }
  | { kind: 'recursive'; name: string }
  | { kind: 'filter'; left: Step[]; op: FilterOp; right: unknown };

type FilterOp = 'exists' | '==' | '!=' | '<' | '>' | '<=' | '>=';

export class JsonPathError extends Error {
  override name = 'JsonPathError';
}

export interface JsonPath {
  readonly source: string;
  /** Every value the path selects, in document order. */
  find(data: unknown): unknown[];
}

const IDENT = /^[A-Za-z0-9_\-/$]+/;

function parseLiteral(text: string): unknown {
  const t = text.trim();
  if (/^'.*'$/s.test(t) || /^".*"$/s.test(t)) return t.slice(1, -1);
  if (t === 'true') return true;
  if (t === 'false') return false;
  if (/^-?[0-9]+(\.[0-9]+)?$/.test(t)) return Number(t);
  throw new JsonPathError(`unrecognized filter value ${t}`);
}

function parseSteps(input: string, allowRelative: boolean): Step[] {
  const steps: Step[] = [];
  let i = 0;
  if (allowRelative && input[i] === '@') i++;
  while (i < input.length) {
    const rest = input.slice(i);
    if (rest.startsWith('..')) {
      const m = IDENT.exec(rest.slice(2));
      if (!m) throw new JsonPathError(`unrecognized identifier after '..' in ${input}`);
      steps.push({ kind: 'recursive', name: m[0] });
      i += 2 + m[0].length;
    } else if (rest.startsWith('.*')) {
      steps.push({ kind: 'wildcard' });
      i += 2;
    } else if (rest.startsWith('.')) {
      const m = IDENT.exec(rest.slice(1));
      if (!m) {
        // A lone "." (the root) is valid and selects the whole object.
        if (rest.length === 1) return steps;
        throw new JsonPathError(`unrecognized character in ${input}`);
      }
      steps.push({ kind: 'field', name: m[0] });
      i += 1 + m[0].length;
    } else if (rest.startsWith('[')) {
      const close = findClose(input, i);
      const inner = input.slice(i + 1, close).trim();
      i = close + 1;
      if (inner === '*') {
        steps.push({ kind: 'wildcard' });
      } else if (/^-?[0-9]+$/.test(inner)) {
        steps.push({ kind: 'index', index: Number(inner) });
      } else if (/^'.*'$/s.test(inner) || /^".*"$/s.test(inner)) {
        steps.push({ kind: 'field', name: inner.slice(1, -1) });
      } else if (inner.startsWith('?(') && inner.endsWith(')')) {
        steps.push(parseFilter(inner.slice(2, -1)));
      } else {
        throw new JsonPathError(`unsupported subscript [${inner}] in ${input}`);
      }
    } else {
      throw new JsonPathError(`unrecognized character in ${input}`);
    }
  }
  return steps;
}

function findClose(input: string, open: number): number {
  let depth = 0;
  let quote: string | undefined;
  for (let j = open; j < input.length; j++) {
    const c = input[j];
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') {
      quote = c;
    } else if (c === '[') {
      depth++;
    } else if (c === ']') {
      depth--;
      if (depth === 0) return j;
    }
  }
  throw new JsonPathError(`unclosed array expect ] in ${input}`);
}

function parseFilter(expr: string): Step {
  const m = /^(@[^\s=!<>]*)\s*(==|!=|<=|>=|<|>)\s*(.+)$/s.exec(expr.trim());
  if (m) {
    return {
      kind: 'filter',
      left: parseSteps(m[1], true),
      op: m[2] as FilterOp,
      right: parseLiteral(m[3]),
    };
  }
  if (/^@[^\s]*$/.test(expr.trim())) {
    return { kind: 'filter', left: parseSteps(expr.trim(), true), op: 'exists', right: undefined };
  }
  throw new JsonPathError(`unsupported filter ${expr}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function descendants(value: unknown, name: string, out: unknown[]): void {
  if (isObject(value)) {
    if (Object.prototype.hasOwnProperty.call(value, name)) out.push(value[name]);
    for (const v of Object.values(value)) descendants(v, name, out);
  } else if (Array.isArray(value)) {
    for (const v of value) descendants(v, name, out);
  }
}

function compare(a: unknown, op: FilterOp, b: unknown): boolean {
  switch (op) {
    case '==':
      return a === b;
    case '!=':
      return a !== b;
    default:
      if (typeof a === 'number' && typeof b === 'number') {
        if (op === '<') return a < b;
        if (op === '>') return a > b;
        if (op === '<=') return a <= b;
        return a >= b;
      }
      return false;
  }
}

function evaluate(steps: readonly Step[], roots: unknown[]): unknown[] {
  let current = roots;
  for (const step of steps) {
    const next: unknown[] = [];
    for (const value of current) {
      switch (step.kind) {
        case 'field':
          if (isObject(value) && Object.prototype.hasOwnProperty.call(value, step.name)) {
            next.push(value[step.name]);
          }
          break;
        case 'wildcard':
          if (Array.isArray(value)) next.push(...(value as unknown[]));
          else if (isObject(value)) next.push(...Object.values(value));
          break;
        case 'index':
          if (Array.isArray(value)) {
            const idx = step.index < 0 ? value.length + step.index : step.index;
            if (idx >= 0 && idx < value.length) next.push(value[idx]);
          }
          break;
        case 'recursive':
          descendants(value, step.name, next);
          break;
        case 'filter': {
          const items: unknown[] = Array.isArray(value) ? value : [];
          for (const item of items) {
            const found = evaluate(step.left, [item]);
            if (
              step.op === 'exists'
                ? found.length > 0
                : found.some((f) => compare(f, step.op, step.right))
            ) {
              next.push(item);
            }
          }
          break;
        }
      }
    }
    current = next;
  }
  return current;
}

/**
 * Compiles a CRD column's jsonPath (without the surrounding braces, e.g. `.spec.replicas`).
 * Throws JsonPathError for syntax this subset does not understand.
 */
export function compileJsonPath(source: string): JsonPath {
  let body = source.trim();
  if (body.startsWith('{') && body.endsWith('}')) body = body.slice(1, -1).trim();
  if (body.startsWith('$')) body = body.slice(1);
  if (body.length === 0) throw new JsonPathError(`empty JSONPath ${source}`);
  const steps = parseSteps(body, false);
  return { source, find: (data: unknown) => evaluate(steps, [data]) };
}
