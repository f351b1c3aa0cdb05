import { describe, expect, it } from 'vitest';
import { Path } from './field.ts';
import { validateLabels, validateLabelSelector } from './meta.ts';

const KEY_RULE =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const VALUE_RULE =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

describe('validateLabelSelector', () => {
  it('reports every problem as a field error under the given path', () => {
    const errors = validateLabelSelector(
      {
        matchLabels: { app: 'web!' },
        matchExpressions: [
          { key: 'tier', operator: 'In', values: [] },
          { key: 'zone', operator: 'Exists', values: ['a'] },
          { key: 'bad key', operator: 'Near', values: ['-x'] },
        ],
      },
      Path.root('spec', 'selector'),
    );
    expect(errors).toEqual([
      {
        type: 'FieldValueInvalid',
        field: 'spec.selector.matchLabels',
        message: `Invalid value: "web!": ${VALUE_RULE}`,
      },
      {
        type: 'FieldValueRequired',
        field: 'spec.selector.matchExpressions[0].values',
        message: "Required value: must be specified when `operator` is 'In' or 'NotIn'",
      },
      {
        type: 'FieldValueForbidden',
        field: 'spec.selector.matchExpressions[1].values',
        message: "Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
      },
      {
        type: 'FieldValueInvalid',
        field: 'spec.selector.matchExpressions[2].operator',
        message: 'Invalid value: "Near": not a valid selector operator',
      },
      {
        type: 'FieldValueInvalid',
        field: 'spec.selector.matchExpressions[2].key',
        message: `Invalid value: "bad key": ${KEY_RULE}`,
      },
      {
        type: 'FieldValueInvalid',
        field: 'spec.selector.matchExpressions[2].values[0]',
        message: `Invalid value: "-x": ${VALUE_RULE}`,
      },
    ]);
  });

  it('accepts a well-formed selector and a missing one', () => {
    const path = Path.root('spec', 'selector');
    expect(validateLabelSelector({ matchLabels: { app: 'web' } }, path)).toEqual([]);
    expect(validateLabelSelector(undefined, path)).toEqual([]);
  });
});

describe('validateLabels', () => {
  it('reports a bad key at the map path, quoting the key as Go does', () => {
    expect(validateLabels({ ok: 'fine', 'no good': 'x' }, Path.root('metadata', 'labels'))).toEqual(
      [
        {
          type: 'FieldValueInvalid',
          field: 'metadata.labels',
          message: `Invalid value: "no good": ${KEY_RULE}`,
        },
      ],
    );
  });
});
