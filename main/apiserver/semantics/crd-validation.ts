// CustomResourceDefinition validation (apiextensions-apiserver pkg/apis/apiextensions/validation):
// names, group, scope, versions, and a structural schema for every version.
import type { KubeObject } from '../../api/types.ts';
import { fieldErrors, type FieldError } from '../../api/status.ts';
import { checkStructural } from '../openapi/structural-schema.ts';
import type { CrdSpec } from '../crd/crd-registry.ts';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const KIND = /^[A-Za-z][A-Za-z0-9]*$/;
const VERSION = /^v\d+((alpha|beta)\d+)?$|^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function validateNames(names: CrdSpec['names'] | undefined, path: string): FieldError[] {
  const errors: FieldError[] = [];
  if (!names) return [fieldErrors.required(path)];
  if (!names.plural) errors.push(fieldErrors.required(`${path}.plural`));
  else if (!DNS_LABEL.test(names.plural))
    errors.push(
      fieldErrors.invalid(
        `${path}.plural`,
        names.plural,
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
      ),
    );
  if (names.singular !== undefined && names.singular !== '' && !DNS_LABEL.test(names.singular))
    errors.push(
      fieldErrors.invalid(
        `${path}.singular`,
        names.singular,
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
      ),
    );
  if (!names.kind) errors.push(fieldErrors.required(`${path}.kind`));
  else if (!KIND.test(names.kind))
    errors.push(
      fieldErrors.invalid(
        `${path}.kind`,
        names.kind,
        'may have mixed case, but should otherwise match: [a-z]([-a-z0-9]*[a-z0-9])?',
      ),
    );
  if (names.listKind && names.listKind === names.kind)
    errors.push(
      fieldErrors.invalid(
        `${path}.listKind`,
        names.listKind,
        'kind and listKind may not be the same',
      ),
    );
  (names.shortNames ?? []).forEach((short, i) => {
    if (!DNS_LABEL.test(short))
      errors.push(
        fieldErrors.invalid(
          `${path}.shortNames[${i}]`,
          short,
          "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
        ),
      );
  });
  return errors;
}

export function validateCustomResourceDefinition(
  crd: KubeObject,
  old: KubeObject | undefined,
): FieldError[] {
  const errors: FieldError[] = [];
  const spec = crd.spec as Partial<CrdSpec> | undefined;
  if (!spec) return [fieldErrors.required('spec')];
  const name = crd.metadata.name ?? '';
  if (!spec.group) errors.push(fieldErrors.required('spec.group'));
  else {
    if (!DNS_SUBDOMAIN.test(spec.group))
      errors.push(
        fieldErrors.invalid(
          'spec.group',
          spec.group,
          "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
        ),
      );
    else if (!spec.group.includes('.'))
      errors.push(
        fieldErrors.invalid('spec.group', spec.group, 'should be a domain with at least one dot'),
      );
  }
  if (spec.names?.plural && spec.group && name !== `${spec.names.plural}.${spec.group}`) {
    errors.push(
      fieldErrors.invalid('metadata.name', name, 'must be spec.names.plural+"."+spec.group'),
    );
  }
  if (spec.scope !== 'Namespaced' && spec.scope !== 'Cluster')
    errors.push(
      spec.scope
        ? fieldErrors.notSupported('spec.scope', spec.scope, ['Cluster', 'Namespaced'])
        : fieldErrors.required('spec.scope'),
    );
  errors.push(...validateNames(spec.names, 'spec.names'));
  const versions = spec.versions ?? [];
  if (!versions.length)
    errors.push(
      fieldErrors.invalid(
        'spec.versions',
        versions,
        'must have exactly one version marked as storage version',
      ),
    );
  else if (versions.filter((v) => v.storage).length !== 1)
    errors.push(
      fieldErrors.invalid(
        'spec.versions',
        versions.map((v) => v.name),
        'must have exactly one version marked as storage version',
      ),
    );
  const seen = new Set<string>();
  versions.forEach((version, i) => {
    const path = `spec.versions[${i}]`;
    if (!version.name) errors.push(fieldErrors.required(`${path}.name`));
    else if (!VERSION.test(version.name))
      errors.push(
        fieldErrors.invalid(
          `${path}.name`,
          version.name,
          "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character",
        ),
      );
    else if (seen.has(version.name))
      errors.push(fieldErrors.duplicate(`${path}.name`, version.name));
    seen.add(version.name);
    const schema = version.schema?.openAPIV3Schema;
    errors.push(...(checkStructural(schema, `${path}.schema.openAPIV3Schema`) as FieldError[]));
  });
  if (old) {
    const oldSpec = old.spec as Partial<CrdSpec> | undefined;
    if (oldSpec?.scope && spec.scope !== oldSpec.scope)
      errors.push(fieldErrors.invalid('spec.scope', spec.scope, 'field is immutable'));
    if (oldSpec?.group && spec.group !== oldSpec.group)
      errors.push(fieldErrors.invalid('spec.group', spec.group, 'field is immutable'));
  }
  return errors;
}
