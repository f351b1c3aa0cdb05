import { describe, expect, it } from 'vitest';
import { StatusError } from '../../api/status.ts';
import {
  formatLabels,
  formatLabelSelector,
  LabelSelectorError,
  labelSelectorFromJson,
  labelSelectorFromObject,
  parseLabelSelector,
  parseLabelSelectorRaw,
  selectorFromSet,
} from './label-selector.ts';

const KEY_RULE =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const VALUE_RULE =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

function parseError(selector: string): string {
  try {
    parseLabelSelectorRaw(selector);
  } catch (e) {
    if (e instanceof LabelSelectorError) return e.message;
    throw e;
  }
  throw new Error(`expected ${selector} to fail`);
}

describe('parseLabelSelector', () => {
  it('round-trips every operator to the canonical, key-sorted string', () => {
    const cases: [string, string][] = [
      ['x=a,y=b,z=c', 'x=a,y=b,z=c'],
      ['z=c,x=a', 'x=a,z=c'],
      ['x==a', 'x==a'],
      ['x!=a', 'x!=a'],
      [' x  in ( b , a ) ', 'x in (a,b)'],
      ['x notin (a)', 'x notin (a)'],
      ['x', 'x'],
      ['!x', '!x'],
      ['x>1,y<10', 'x>1,y<10'],
      ['x=', 'x='],
      ['x in ()', 'x in ()'],
      ['in in (in)', 'in in (in)'],
      ['example.com/tier in (web,db),app', 'app,example.com/tier in (db,web)'],
      ['', ''],
      ['   ', ''],
    ];
    for (const [input, expected] of cases) {
      expect(parseLabelSelector(input).toString(), input).toBe(expected);
    }
  });

  it('matches labels the way apimachinery does', () => {
    const labels = { app: 'web', tier: 'frontend', replicas: '3' };
    const match = (s: string) => parseLabelSelector(s).matches(labels);
    expect(match('app=web')).toBe(true);
    expect(match('app==web,tier=frontend')).toBe(true);
    expect(match('app=db')).toBe(false);
    expect(match('app!=db')).toBe(true);
    expect(match('missing!=x')).toBe(true);
    expect(match('tier in (frontend,backend)')).toBe(true);
    expect(match('tier notin (frontend)')).toBe(false);
    expect(match('missing notin (x)')).toBe(true);
    expect(match('app')).toBe(true);
    expect(match('!app')).toBe(false);
    expect(match('!missing')).toBe(true);
    expect(match('replicas>2')).toBe(true);
    expect(match('replicas<3')).toBe(false);
    expect(match('app>2')).toBe(false);
    expect(match('')).toBe(true);
    expect(parseLabelSelector('app').matches(undefined)).toBe(false);
  });

  it('reports syntax errors with upstream messages', () => {
    expect(parseError('x=a,')).toBe("found '', expected: identifier after ','");
    expect(parseError(',x')).toBe("found ',', expected: !, identifier, or 'end of string'");
    expect(parseError('x=a b')).toBe("found 'b', expected: ',' or 'end of string'");
    expect(parseError('x a')).toBe(
      "unable to parse requirement: found 'a', expected: in, notin, =, ==, !=, gt, lt",
    );
    expect(parseError('x in a')).toBe("unable to parse requirement: found 'a' expected: '('");
    expect(parseError('x in (a')).toBe(
      "unable to parse requirement: found '', expected: ',' or ')'",
    );
    expect(parseError('x in (a b)')).toBe(
      "unable to parse requirement: found 'b', expected: ',' or ')'",
    );
    expect(parseError('x=(')).toBe("unable to parse requirement: found '(', expected: identifier");
    expect(parseError('!=a')).toBe("found '!=', expected: !, identifier, or 'end of string'");
    expect(parseError('!')).toBe("unable to parse requirement: found '', expected: identifier");
  });

  it('validates keys and values with the field-error wording', () => {
    expect(parseError('a$b=c')).toBe(
      `unable to parse requirement: <nil>: Invalid value: "a$b": ${KEY_RULE}`,
    );
    expect(parseError('app=-x')).toBe(
      `unable to parse requirement: values[0][app]: Invalid value: "-x": ${VALUE_RULE}`,
    );
    expect(parseError('x>a')).toBe(
      `unable to parse requirement: values[0]: Invalid value: "a": for 'Gt', 'Lt' operators, the value must be an integer`,
    );
    expect(parseError('x>-1')).toBe(
      `unable to parse requirement: values[0][x]: Invalid value: "-1": ${VALUE_RULE}`,
    );
  });

  it('throws a 400 BadRequest StatusError from the query-parameter entry point', () => {
    try {
      parseLabelSelector('app in (web');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(StatusError);
      const status = (e as StatusError).toStatus();
      expect(status.code).toBe(400);
      expect(status.reason).toBe('BadRequest');
      expect(status.message).toBe("unable to parse requirement: found '', expected: ',' or ')'");
    }
  });

  it('answers exact-match lookups', () => {
    const s = parseLabelSelector('app=web,tier in (a),x in (a,b)');
    expect(s.requiresExactMatch('app')).toBe('web');
    expect(s.requiresExactMatch('tier')).toBe('a');
    expect(s.requiresExactMatch('x')).toBeUndefined();
  });
});

describe('metav1.LabelSelector objects', () => {
  it('converts matchLabels and matchExpressions, sorted by key', () => {
    const s = labelSelectorFromObject({
      matchLabels: { tier: 'web', app: 'shop' },
      matchExpressions: [
        { key: 'env', operator: 'In', values: ['prod', 'canary'] },
        { key: 'legacy', operator: 'DoesNotExist' },
        { key: 'zone', operator: 'NotIn', values: ['b'] },
        { key: 'gpu', operator: 'Exists' },
      ],
    });
    expect(s.toString()).toBe('app=shop,env in (canary,prod),gpu,!legacy,tier=web,zone notin (b)');
    expect(s.matches({ app: 'shop', tier: 'web', env: 'prod', gpu: '1', zone: 'a' })).toBe(true);
    expect(s.matches({ app: 'shop', tier: 'web', env: 'prod', gpu: '1', legacy: 'y' })).toBe(false);
  });

  it('treats a missing selector as nothing and an empty one as everything', () => {
    expect(labelSelectorFromObject(undefined).matches({ a: 'b' })).toBe(false);
    expect(labelSelectorFromObject(null).kind).toBe('nothing');
    expect(labelSelectorFromObject({}).matches({ a: 'b' })).toBe(true);
    expect(labelSelectorFromObject({ matchLabels: {} }).empty()).toBe(true);
  });

  it('rejects unknown operators and bad requirements', () => {
    expect(() =>
      labelSelectorFromObject({ matchExpressions: [{ key: 'a', operator: 'Foo', values: ['x'] }] }),
    ).toThrow('"Foo" is not a valid label selector operator');
    expect(() =>
      labelSelectorFromObject({ matchExpressions: [{ key: 'a', operator: 'In', values: [] }] }),
    ).toThrow(
      `values: Invalid value: null: for 'in', 'notin' operators, values set can't be empty`,
    );
    expect(() => labelSelectorFromObject({ matchLabels: { 'bad key': 'x' } })).toThrow(
      `key: Invalid value: "bad key": ${KEY_RULE}`,
    );
  });

  it('converts decoded JSON, answering undefined for what upstream would reject', () => {
    expect(labelSelectorFromJson(null)?.kind).toBe('nothing');
    expect(labelSelectorFromJson({})?.empty()).toBe(true);
    const s = labelSelectorFromJson({
      matchLabels: { app: 'web' },
      matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['db'] }],
    });
    expect(s?.matches({ app: 'web', tier: 'front' })).toBe(true);
    expect(s?.matches({ app: 'web', tier: 'db' })).toBe(false);
    expect(labelSelectorFromJson('app=web')).toBeUndefined();
    expect(labelSelectorFromJson({ matchLabels: { app: 1 } })).toBeUndefined();
    expect(labelSelectorFromJson({ matchLabels: { 'bad key': 'x' } })).toBeUndefined();
    expect(
      labelSelectorFromJson({
        matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }],
      }),
    ).toBeUndefined();
  });

  it('formats selectors and label maps for printers', () => {
    expect(formatLabelSelector(undefined)).toBe('<none>');
    expect(formatLabelSelector({})).toBe('<none>');
    expect(formatLabelSelector({ matchLabels: { b: '2', a: '1' } })).toBe('a=1,b=2');
    expect(formatLabelSelector({ matchExpressions: [{ key: 'a', operator: 'Bogus' }] })).toBe(
      '<error>',
    );
    expect(formatLabels({})).toBe('<none>');
    expect(formatLabels({ run: 'x', app: 'y' })).toBe('app=y,run=x');
    expect(selectorFromSet({ app: 'web' }).matches({ app: 'web', x: 'y' })).toBe(true);
  });
});
