import { describe, it, expect } from 'vitest';
import {
  isDNS1035Label,
  isDNS1123Label,
  isDNS1123Subdomain,
  isQualifiedName,
  isValidLabelValue,
  isValidPortName,
  nameValidatorFor,
  validateObjectName,
} from './names.ts';
import { goQuote } from '../../api/go-format.ts';
import { Path } from './field.ts';

describe('DNS names', () => {
  it('uses the exact apimachinery subdomain message', () => {
    expect(isDNS1123Subdomain('Example.com')).toEqual([
      "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
    ]);
    expect(isDNS1123Subdomain('a'.repeat(254))[0]).toBe('must be no more than 253 characters');
    expect(isDNS1123Subdomain('my-app.example')).toEqual([]);
  });

  it('labels reject dots with their own message and keep the double space of RegexError', () => {
    expect(isDNS1123Label('a.b')).toEqual(['must not contain dots']);
    expect(isDNS1123Label('-x')).toEqual([
      "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
    ]);
    expect(isDNS1035Label('1abc')[0]).toContain(
      "end with an alphanumeric character (e.g. 'my-name',  or 'abc-123'",
    );
  });

  it('qualified names report prefix and name parts', () => {
    expect(isQualifiedName('example.com/app')).toEqual([]);
    expect(isQualifiedName('/app')).toEqual(['prefix part must be non-empty']);
    expect(isQualifiedName('Example.com/app')[0]).toMatch(
      /^prefix part a lowercase RFC 1123 subdomain/,
    );
    expect(isQualifiedName('a/b/c')[0]).toMatch(/^a valid label key must consist of alphanumeric/);
    expect(isQualifiedName('x'.repeat(64))).toEqual(['name part must be no more than 63 bytes']);
    expect(isValidLabelValue('bad value')[0]).toMatch(/^a valid label must be an empty string/);
    expect(isValidLabelValue('')).toEqual([]);
  });

  it('checks port names', () => {
    expect(isValidPortName('http')).toEqual([]);
    expect(isValidPortName('123')).toEqual(['must contain at least one letter (a-z)']);
    expect(isValidPortName('a--b')).toEqual(['must not contain consecutive hyphens']);
  });
});

describe('per-kind name rules', () => {
  it('picks the rule kube-apiserver uses for each kind', () => {
    expect(nameValidatorFor('Namespace', '')('a.b', false)).toEqual(['must not contain dots']);
    expect(nameValidatorFor('Service', '')('1svc', false)).toHaveLength(1);
    expect(nameValidatorFor('ConfigMap', '')('a.b', false)).toEqual([]);
    expect(
      nameValidatorFor('ClusterRole', 'rbac.authorization.k8s.io')('system:admin', false),
    ).toEqual([]);
    expect(nameValidatorFor('ClusterRole', 'rbac.authorization.k8s.io')('a/b', false)).toEqual([
      "may not contain '/'",
    ]);
  });

  it('validates generateName prefixes with a trailing dash', () => {
    expect(validateObjectName('Pod', '', 'web-', true)).toEqual([]);
    expect(validateObjectName('Pod', '', 'web-', false)).toHaveLength(1);
    expect(validateObjectName('Pod', '', 'a%b')).toContain("may not contain '%'");
  });
});

describe('field paths and values', () => {
  it('prints paths like field.Path', () => {
    const p = Path.root('spec')
      .child('containers')
      .index(0)
      .child('resources', 'limits')
      .key('cpu');
    expect(String(p)).toBe('spec.containers[0].resources.limits[cpu]');
    expect(String(Path.root(''))).toBe('[]');
  });

  it('quotes strings like strconv.Quote', () => {
    expect(goQuote('a"b\n')).toBe('"a\\"b\\n"');
  });
});
