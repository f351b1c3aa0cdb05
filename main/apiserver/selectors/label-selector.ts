// Label selectors (apimachinery pkg/labels/selector.go and metav1 LabelSelector helpers): the
// `labelSelector` query grammar, metav1.LabelSelector objects, matching and validation.
import { compareStrings, formatFieldValue, goQuote } from '../../api/go-format.ts';
import { badRequest } from '../../api/status.ts';
import { isPlainObject } from '../../api/types.ts';
import { isQualifiedName, isValidLabelValue } from '../validation/names.ts';

/** selection.Operator values, spelled as apimachinery spells them. */
export type LabelOperator = '=' | '==' | '!=' | 'in' | 'notin' | 'exists' | '!' | 'gt' | 'lt';

export interface LabelRequirement {
  readonly key: string;
  readonly operator: LabelOperator;
  /** In parse order for objects, sorted for parsed strings (as upstream). */
  readonly values: readonly string[];
}

export type Labels = Readonly<Record<string, string>> | undefined | null;

export interface LabelSelector {
  /** `nothing` is metav1's nil selector: it matches no object at all. */
  readonly kind: 'everything' | 'nothing' | 'requirements';
  readonly requirements: readonly LabelRequirement[];
  matches(labels: Labels): boolean;
  /** True when the selector has no requirements (matches everything). */
  empty(): boolean;
  /** Canonical string form, as labels.Selector.String(). */
  toString(): string;
  /** The single value `key` must have, when the selector pins it (RequiresExactMatch). */
  requiresExactMatch(key: string): string | undefined;
}

/** The metav1.LabelSelector API object. */
export interface LabelSelectorObject {
  matchLabels?: Record<string, string> | null;
  matchExpressions?: LabelSelectorRequirementObject[] | null;
}

export interface LabelSelectorRequirementObject {
  key: string;
  operator: string;
  values?: string[] | null;
}

/** Raised for a selector that cannot be built; message is upstream's error text. */
export class LabelSelectorError extends Error {
  override name = 'LabelSelectorError';
}

const BINARY_OPERATORS = ['in', 'notin', '=', '==', '!=', 'gt', 'lt'];
const VALID_OPERATORS = [...BINARY_OPERATORS, 'exists', '!'];

// ---------------------------------------------------------------------------
// Requirements

/** A field.Error rendered the way Go's (*field.Error).Error() does. */
function fieldErrorText(field: string, value: string | string[], detail: string): string {
  // An empty value list reaches upstream as a nil slice, which encodes as null.
  const shown = Array.isArray(value) && value.length === 0 ? 'null' : formatFieldValue(value);
  return `${field}: Invalid value: ${shown}: ${detail}`;
}

/** utilerrors aggregate formatting: one message bare, several as "[a, b]" (deduplicated). */
function aggregate(messages: string[]): string {
  const unique = [...new Set(messages)];
  if (unique.length === 1) return unique[0];
  return `[${unique.join(', ')}]`;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** strconv.ParseInt(s, 10, 64); undefined when Go would fail. */
function parseInt64(value: string): bigint | undefined {
  if (!/^[+-]?[0-9]+$/.test(value)) return undefined;
  const n = BigInt(value);
  return n < INT64_MIN || n > INT64_MAX ? undefined : n;
}

/**
 * labels.NewRequirement: validates and builds one requirement. Upstream passes no field path,
 * so error paths start at `key` / `values[i]`.
 */
export function newRequirement(
  key: string,
  operator: LabelOperator,
  values: readonly string[],
): LabelRequirement {
  const errs: string[] = [];
  const keyErrors = isQualifiedName(key);
  if (keyErrors.length > 0) errs.push(fieldErrorText('key', key, keyErrors.join('; ')));
  switch (operator) {
    case 'in':
    case 'notin':
      if (values.length === 0) {
        errs.push(
          fieldErrorText(
            'values',
            [...values],
            "for 'in', 'notin' operators, values set can't be empty",
          ),
        );
      }
      break;
    case '=':
    case '==':
    case '!=':
      if (values.length !== 1) {
        errs.push(
          fieldErrorText(
            'values',
            [...values],
            'exact-match compatibility requires one single value',
          ),
        );
      }
      break;
    case 'exists':
    case '!':
      if (values.length !== 0) {
        errs.push(
          fieldErrorText(
            'values',
            [...values],
            'values set must be empty for exists and does not exist',
          ),
        );
      }
      break;
    case 'gt':
    case 'lt':
      if (values.length !== 1) {
        errs.push(
          fieldErrorText(
            'values',
            [...values],
            "for 'Gt', 'Lt' operators, exactly one value is required",
          ),
        );
      }
      values.forEach((v, i) => {
        if (parseInt64(v) === undefined) {
          errs.push(
            fieldErrorText(
              `values[${i}]`,
              v,
              "for 'Gt', 'Lt' operators, the value must be an integer",
            ),
          );
        }
      });
      break;
    default: {
      const op: string = operator;
      errs.push(
        `operator: Unsupported value: ${goQuote(op)}: supported values: ${VALID_OPERATORS.map(goQuote).join(', ')}`,
      );
    }
  }
  values.forEach((v, i) => {
    const valueErrors = isValidLabelValue(v);
    if (valueErrors.length > 0)
      errs.push(fieldErrorText(`values[${i}][${key}]`, v, valueErrors.join('; ')));
  });
  if (errs.length > 0) throw new LabelSelectorError(aggregate(errs));
  return { key, operator, values: [...values] };
}

function requirementMatches(
  r: LabelRequirement,
  labels: Readonly<Record<string, string>>,
): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  const value = has ? labels[r.key] : undefined;
  switch (r.operator) {
    case 'in':
    case '=':
    case '==':
      return has && r.values.includes(value as string);
    case 'notin':
    case '!=':
      return !has || !r.values.includes(value as string);
    case 'exists':
      return has;
    case '!':
      return !has;
    case 'gt':
    case 'lt': {
      if (!has || r.values.length !== 1) return false;
      const actual = parseInt64(value as string);
      const wanted = parseInt64(r.values[0]);
      if (actual === undefined || wanted === undefined) return false;
      return r.operator === 'gt' ? actual > wanted : actual < wanted;
    }
    default:
      return false;
  }
}

/** Requirement.String(). */
export function requirementToString(r: LabelRequirement): string {
  let out = r.operator === '!' ? `!${r.key}` : r.key;
  switch (r.operator) {
    case '=':
    case '==':
    case '!=':
      out += r.operator;
      break;
    case 'in':
      out += ' in ';
      break;
    case 'notin':
      out += ' notin ';
      break;
    case 'gt':
      out += '>';
      break;
    case 'lt':
      out += '<';
      break;
    case 'exists':
    case '!':
      return out;
  }
  const values = r.values.length === 1 ? r.values[0] : [...r.values].sort(compareStrings).join(',');
  return r.operator === 'in' || r.operator === 'notin' ? `${out}(${values})` : out + values;
}

function sortByKey(reqs: LabelRequirement[]): LabelRequirement[] {
  // Array.prototype.sort is stable, like the insertion sort Go uses for small selectors.
  return reqs.sort((a, b) => compareStrings(a.key, b.key));
}

class RequirementsSelector implements LabelSelector {
  readonly kind = 'requirements' as const;
  constructor(readonly requirements: readonly LabelRequirement[]) {}
  matches(labels: Labels): boolean {
    const set = labels ?? {};
    return this.requirements.every((r) => requirementMatches(r, set));
  }
  empty(): boolean {
    return this.requirements.length === 0;
  }
  toString(): string {
    return this.requirements.map(requirementToString).join(',');
  }
  requiresExactMatch(key: string): string | undefined {
    const r = this.requirements.find((req) => req.key === key);
    if (!r) return undefined;
    if (
      (r.operator === '=' || r.operator === '==' || r.operator === 'in') &&
      r.values.length === 1
    ) {
      return r.values[0];
    }
    return undefined;
  }
}

class NothingSelector implements LabelSelector {
  readonly kind = 'nothing' as const;
  readonly requirements: readonly LabelRequirement[] = [];
  matches(): boolean {
    return false;
  }
  empty(): boolean {
    return false;
  }
  toString(): string {
    return '';
  }
  requiresExactMatch(): string | undefined {
    return undefined;
  }
}

/** labels.Everything(). */
export function everything(): LabelSelector {
  return new RequirementsSelector([]);
}

/** labels.Nothing(). */
export function nothing(): LabelSelector {
  return new NothingSelector();
}

/** labels.SelectorFromSet: equality requirements for every entry (values not re-validated). */
export function selectorFromSet(set: Labels): LabelSelector {
  const reqs = Object.entries(set ?? {}).map(([key, value]): LabelRequirement => ({
    key,
    operator: '=',
    values: [value],
  }));
  return new RequirementsSelector(sortByKey(reqs));
}

// ---------------------------------------------------------------------------
// The query-string grammar: a lexer and a recursive-descent parser mirroring selector.go.

type Token =
  | 'error'
  | 'eos'
  | 'closedPar'
  | 'comma'
  | 'doesNotExist'
  | 'doubleEquals'
  | 'equals'
  | 'greaterThan'
  | 'identifier'
  | 'in'
  | 'lessThan'
  | 'notEquals'
  | 'notIn'
  | 'openPar';

const STRING_TO_TOKEN: Record<string, Token> = {
  ')': 'closedPar',
  ',': 'comma',
  '!': 'doesNotExist',
  '==': 'doubleEquals',
  '=': 'equals',
  '>': 'greaterThan',
  in: 'in',
  '<': 'lessThan',
  '!=': 'notEquals',
  notin: 'notIn',
  '(': 'openPar',
};

interface Scanned {
  tok: Token;
  lit: string;
}

function isWhitespace(ch: string): boolean {
  return ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n';
}

function isSpecialSymbol(ch: string): boolean {
  return '=!(),><'.includes(ch) && ch.length === 1;
}

function tokenFor(text: string): Token | undefined {
  return Object.prototype.hasOwnProperty.call(STRING_TO_TOKEN, text)
    ? STRING_TO_TOKEN[text]
    : undefined;
}

function lex(input: string): Scanned[] {
  const items: Scanned[] = [];
  let pos = 0;
  for (;;) {
    while (pos < input.length && isWhitespace(input[pos])) pos++;
    if (pos >= input.length) {
      items.push({ tok: 'eos', lit: '' });
      return items;
    }
    if (isSpecialSymbol(input[pos])) {
      // Longest run of special symbols that still forms a token.
      let buffer = '';
      let last: Scanned | undefined;
      while (pos < input.length && isSpecialSymbol(input[pos])) {
        buffer += input[pos];
        const tok = tokenFor(buffer);
        if (tok) {
          last = { tok, lit: buffer };
          pos++;
        } else if (last) {
          break;
        } else {
          pos++;
        }
      }
      items.push(last ?? { tok: 'error', lit: `error expected: keyword found '${buffer}'` });
      continue;
    }
    let buffer = '';
    while (pos < input.length && !isSpecialSymbol(input[pos]) && !isWhitespace(input[pos])) {
      buffer += input[pos];
      pos++;
    }
    items.push({ tok: tokenFor(buffer) ?? 'identifier', lit: buffer });
  }
}

type Context = 'keyAndOperator' | 'values';

class Parser {
  private position = 0;
  constructor(private readonly items: Scanned[]) {}

  private view(item: Scanned, context: Context): Scanned {
    if (context === 'values' && (item.tok === 'in' || item.tok === 'notIn')) {
      return { tok: 'identifier', lit: item.lit };
    }
    return item;
  }

  lookahead(context: Context): Scanned {
    return this.view(this.items[this.position], context);
  }

  consume(context: Context): Scanned {
    const item = this.items[this.position];
    this.position++;
    return this.view(item, context);
  }

  parse(): LabelRequirement[] {
    const requirements: LabelRequirement[] = [];
    for (;;) {
      const { tok, lit } = this.lookahead('values');
      if (tok === 'identifier' || tok === 'doesNotExist') {
        let r: LabelRequirement;
        try {
          r = this.parseRequirement();
        } catch (e) {
          if (e instanceof LabelSelectorError) {
            throw new LabelSelectorError(`unable to parse requirement: ${e.message}`);
          }
          throw e;
        }
        requirements.push(r);
        const next = this.consume('values');
        if (next.tok === 'eos') return requirements;
        if (next.tok === 'comma') {
          const after = this.lookahead('values');
          if (after.tok !== 'identifier' && after.tok !== 'doesNotExist') {
            throw new LabelSelectorError(`found '${after.lit}', expected: identifier after ','`);
          }
        } else {
          throw new LabelSelectorError(`found '${next.lit}', expected: ',' or 'end of string'`);
        }
      } else if (tok === 'eos') {
        return requirements;
      } else {
        throw new LabelSelectorError(`found '${lit}', expected: !, identifier, or 'end of string'`);
      }
    }
  }

  private parseRequirement(): LabelRequirement {
    const { key, operator: inferred } = this.parseKeyAndInferOperator();
    if (inferred === 'exists' || inferred === '!') return newRequirement(key, inferred, []);
    const operator = this.parseOperator();
    const values =
      operator === 'in' || operator === 'notin' ? this.parseValues() : this.parseExactValue();
    return newRequirement(key, operator, [...values].sort(compareStrings));
  }

  private parseKeyAndInferOperator(): { key: string; operator: LabelOperator | '' } {
    let operator: LabelOperator | '' = '';
    let { tok, lit } = this.consume('values');
    if (tok === 'doesNotExist') {
      operator = '!';
      ({ tok, lit } = this.consume('values'));
    }
    if (tok !== 'identifier') throw new LabelSelectorError(`found '${lit}', expected: identifier`);
    const keyErrors = isQualifiedName(lit);
    if (keyErrors.length > 0) {
      // Upstream validates with a nil field path, which prints as "<nil>".
      throw new LabelSelectorError(fieldErrorText('<nil>', lit, keyErrors.join('; ')));
    }
    const next = this.lookahead('values').tok;
    if ((next === 'eos' || next === 'comma') && operator !== '!') operator = 'exists';
    return { key: lit, operator };
  }

  private parseOperator(): LabelOperator {
    const { tok, lit } = this.consume('keyAndOperator');
    switch (tok) {
      case 'in':
        return 'in';
      case 'equals':
        return '=';
      case 'doubleEquals':
        return '==';
      case 'greaterThan':
        return 'gt';
      case 'lessThan':
        return 'lt';
      case 'notIn':
        return 'notin';
      case 'notEquals':
        return '!=';
      default:
        throw new LabelSelectorError(`found '${lit}', expected: ${BINARY_OPERATORS.join(', ')}`);
    }
  }

  private parseValues(): Set<string> {
    const open = this.consume('values');
    if (open.tok !== 'openPar') throw new LabelSelectorError(`found '${open.lit}' expected: '('`);
    const { tok, lit } = this.lookahead('values');
    if (tok === 'identifier' || tok === 'comma') {
      const values = this.parseIdentifiersList();
      if (this.consume('values').tok !== 'closedPar') {
        // Upstream reports the token that followed '(' here, not the offending one.
        throw new LabelSelectorError(`found '${lit}', expected: ')'`);
      }
      return values;
    }
    if (tok === 'closedPar') {
      this.consume('values');
      return new Set(['']);
    }
    throw new LabelSelectorError(`found '${lit}', expected: ',', ')' or identifier`);
  }

  private parseIdentifiersList(): Set<string> {
    const values = new Set<string>();
    for (;;) {
      const { tok, lit } = this.consume('values');
      if (tok === 'identifier') {
        values.add(lit);
        const next = this.lookahead('values');
        if (next.tok === 'comma') continue;
        if (next.tok === 'closedPar') return values;
        throw new LabelSelectorError(`found '${next.lit}', expected: ',' or ')'`);
      } else if (tok === 'comma') {
        if (values.size === 0) values.add('');
        const next = this.lookahead('values').tok;
        if (next === 'closedPar') {
          values.add('');
          return values;
        }
        if (next === 'comma') values.add('');
      } else {
        throw new LabelSelectorError(`found '${lit}', expected: ',', or identifier`);
      }
    }
  }

  private parseExactValue(): Set<string> {
    const next = this.lookahead('values').tok;
    if (next === 'eos' || next === 'comma') return new Set(['']);
    const { tok, lit } = this.consume('values');
    if (tok === 'identifier') return new Set([lit]);
    throw new LabelSelectorError(`found '${lit}', expected: identifier`);
  }
}

/**
 * labels.Parse without the HTTP wrapping: throws LabelSelectorError with upstream's message.
 * An empty (or all-whitespace) string selects everything.
 */
export function parseLabelSelectorRaw(selector: string): LabelSelector {
  const requirements = new Parser(lex(selector)).parse();
  return new RequirementsSelector(sortByKey(requirements));
}

/**
 * Parses a `labelSelector` query parameter. A malformed selector becomes the 400 BadRequest
 * kube-apiserver answers, e.g. `unable to parse requirement: found '', expected: identifier`.
 */
export function parseLabelSelector(selector: string): LabelSelector {
  try {
    return parseLabelSelectorRaw(selector);
  } catch (e) {
    if (e instanceof LabelSelectorError) throw badRequest(e.message);
    throw e;
  }
}

// ---------------------------------------------------------------------------
// metav1.LabelSelector objects

const OPERATOR_FROM_OBJECT: Record<string, LabelOperator> = {
  In: 'in',
  NotIn: 'notin',
  Exists: 'exists',
  DoesNotExist: '!',
};

/**
 * metav1.LabelSelectorAsSelector: null/undefined selects nothing, `{}` selects everything.
 * Throws LabelSelectorError with upstream's text for an invalid selector.
 */
export function labelSelectorFromObject(
  selector: LabelSelectorObject | null | undefined,
): LabelSelector {
  if (selector === null || selector === undefined) return nothing();
  const matchLabels = selector.matchLabels ?? {};
  const expressions = selector.matchExpressions ?? [];
  if (Object.keys(matchLabels).length + expressions.length === 0) return everything();
  const reqs: LabelRequirement[] = [];
  for (const [key, value] of Object.entries(matchLabels))
    reqs.push(newRequirement(key, '=', [value]));
  for (const expr of expressions) {
    const op = Object.prototype.hasOwnProperty.call(OPERATOR_FROM_OBJECT, expr.operator)
      ? OPERATOR_FROM_OBJECT[expr.operator]
      : undefined;
    if (!op) {
      throw new LabelSelectorError(
        `${goQuote(expr.operator)} is not a valid label selector operator`,
      );
    }
    reqs.push(newRequirement(expr.key, op, [...(expr.values ?? [])]));
  }
  return new RequirementsSelector(sortByKey(reqs));
}

/**
 * labelSelectorFromObject for decoded JSON, when callers only need to know whether the selector
 * converts: undefined for a value that is not a selector object or that upstream would reject.
 */
export function labelSelectorFromJson(selector: unknown): LabelSelector | undefined {
  if (selector === null || selector === undefined) return nothing();
  if (!isPlainObject(selector)) return undefined;
  const matchLabels: Record<string, string> = {};
  if (isPlainObject(selector.matchLabels)) {
    for (const [key, value] of Object.entries(selector.matchLabels)) {
      if (typeof value !== 'string') return undefined;
      matchLabels[key] = value;
    }
  }
  const matchExpressions: LabelSelectorRequirementObject[] = [];
  for (const expr of Array.isArray(selector.matchExpressions) ? selector.matchExpressions : []) {
    if (!isPlainObject(expr)) return undefined;
    const values: unknown[] = Array.isArray(expr.values) ? expr.values : [];
    if (!values.every((v) => typeof v === 'string')) return undefined;
    matchExpressions.push({
      key: typeof expr.key === 'string' ? expr.key : '',
      operator: typeof expr.operator === 'string' ? expr.operator : '',
      values,
    });
  }
  try {
    return labelSelectorFromObject({ matchLabels, matchExpressions });
  } catch (e) {
    if (e instanceof LabelSelectorError) return undefined;
    throw e;
  }
}

/** metav1.FormatLabelSelector: the selector string, `<none>` when empty, `<error>` when invalid. */
export function formatLabelSelector(selector: LabelSelectorObject | null | undefined): string {
  try {
    const text = labelSelectorFromObject(selector).toString();
    return text.length === 0 ? '<none>' : text;
  } catch (e) {
    if (e instanceof LabelSelectorError) return '<error>';
    throw e;
  }
}

/** labels.FormatLabels: `k=v` pairs sorted by key, `<none>` when empty. */
export function formatLabels(labels: Labels): string {
  const text = selectorFromSet(labels).toString();
  return text.length === 0 ? '<none>' : text;
}
