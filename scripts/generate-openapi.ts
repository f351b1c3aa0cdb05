// Build-time generator of the OpenAPI v3 definitions Skiff serves (kube-apiserver's
// /openapi/v3 components.schemas): walks the type declarations of the npm package
// kubernetes-models with the TypeScript compiler API and writes
// main/apiserver/openapi/generated/definitions.json. Run with `npm run generate` (`--force`).

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';
import {
  listSemanticsFor,
  structTypeFor,
  type FieldSemantics,
} from '../main/apiserver/openapi/list-semantics.ts';
import { refTo, type Definitions, type Schema } from '../main/apiserver/openapi/schema.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const modelsRoot = path.join(repoRoot, 'node_modules', 'kubernetes-models');
const machineryRoot = path.join(repoRoot, 'node_modules', '@kubernetes-models', 'apimachinery');
export const DEFAULT_OUTPUT = path.join(
  repoRoot,
  'main/apiserver/openapi/generated/definitions.json',
);

/** Files whose change makes the output stale (the .d.ts files change only with the versions). */
const INPUTS = [
  fileURLToPath(import.meta.url),
  path.join(repoRoot, 'main/apiserver/openapi/list-semantics.ts'),
  path.join(modelsRoot, 'package.json'),
  path.join(machineryRoot, 'package.json'),
];

/** One declaration file, before its types are converted. */
interface SourceDefinition {
  name: string; // io.k8s.api.apps.v1.Deployment
  camel: string; // IoK8sApiAppsV1Deployment, the package's own name for it
  file: string;
  validatorFile: string;
  source: ts.SourceFile;
  declaration: ts.InterfaceDeclaration | ts.TypeAliasDeclaration;
}

/** Where a number or string sits inside a property, for probing the precompiled validators. */
interface ProbeSite {
  schema: Schema; // the leaf schema to complete with type/format
  property: string | undefined; // undefined for an alias definition (the value itself)
  containers: ('array' | 'map')[];
  leaf: 'number' | 'string';
}

/** The Go package path kube-openapi names definitions after, per API group directory. */
function packagePrefix(groupDir: string): string {
  if (groupDir === '') return 'io.k8s.api.core';
  if (groupDir === 'apiextensions.k8s.io')
    return 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions';
  if (groupDir === 'apiregistration.k8s.io')
    return 'io.k8s.kube-aggregator.pkg.apis.apiregistration';
  // rbac.authorization.k8s.io → rbac, flowcontrol.apiserver.k8s.io → flowcontrol, apps → apps
  return `io.k8s.api.${groupDir.split('.')[0]}`;
}

/** io.k8s.api.apps.v1.Deployment → IoK8sApiAppsV1Deployment (kubernetes-models' naming). */
function camelize(dotted: string): string {
  return dotted
    .split(/[.-]/)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

function listDeclarationFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== '_schemas' && entry.name !== 'node_modules') walk(full);
      } else if (entry.name.endsWith('.d.ts') && entry.name !== 'index.d.ts') {
        out.push(full);
      }
    }
  };
  walk(root);
  return out.sort();
}

function dottedName(file: string): { name: string; root: string } {
  const inMachinery = file.startsWith(machineryRoot + path.sep);
  const root = inMachinery ? machineryRoot : modelsRoot;
  const rel = path
    .relative(root, file)
    .replace(/\.d\.ts$/, '')
    .split(path.sep);
  const typeName = rel.pop() as string;
  if (inMachinery) return { name: `io.k8s.apimachinery.pkg.${rel.join('.')}.${typeName}`, root };
  const version = rel.pop() as string;
  return { name: `${packagePrefix(rel.join('/'))}.${version}.${typeName}`, root };
}

function readSource(file: string): SourceDefinition {
  const text = fs.readFileSync(file, 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const { name, root } = dottedName(file);
  const camel = camelize(name);
  // `export type { IDeployment as IIoK8sApiAppsV1Deployment, ... }` names the main declaration.
  let localName: string | undefined;
  for (const statement of source.statements) {
    if (!ts.isExportDeclaration(statement) || !statement.exportClause) continue;
    if (!ts.isNamedExports(statement.exportClause)) continue;
    for (const element of statement.exportClause.elements) {
      if (element.name.text === `I${camel}`)
        localName = (element.propertyName ?? element.name).text;
    }
  }
  if (!localName) {
    throw new Error(`${file}: no export named I${camel}; the definition-name mapping is wrong`);
  }
  const declaration = source.statements.find(
    (s): s is ts.InterfaceDeclaration | ts.TypeAliasDeclaration =>
      (ts.isInterfaceDeclaration(s) || ts.isTypeAliasDeclaration(s)) && s.name.text === localName,
  );
  if (!declaration) throw new Error(`${file}: declaration ${localName} not found`);
  return {
    name,
    camel,
    file,
    validatorFile: path.join(root, '_schemas', `${camel}.js`),
    source,
    declaration,
  };
}

/** The JSDoc text right before `node`, with kubernetes-models' `\*` and `\/` escapes undone. */
function jsDocOf(node: ts.Node, source: ts.SourceFile): string | undefined {
  const ranges = ts.getLeadingCommentRanges(source.text, node.getFullStart()) ?? [];
  const docs = ranges.filter((r) => source.text.startsWith('/**', r.pos));
  const last = docs[docs.length - 1];
  if (!last) return undefined;
  const body = source.text.slice(last.pos + 3, last.end - 2);
  const lines = body.split('\n').map((line) => line.replace(/^\s*\* ?/, '').replace(/\s+$/, ''));
  const text = lines
    .join('\n')
    .trim()
    .replace(/\\([*/])/g, '$1');
  return text || undefined;
}

/** Hand-written schemas for the types whose wire form a TypeScript type cannot express. */
function specialSchema(name: string): Schema | undefined {
  const apiextensions =
    /^io\.k8s\.apiextensions-apiserver\.pkg\.apis\.apiextensions\.(v1|v1beta1)\./;
  const schemaProps = name.replace(/\.[^.]+$/, '.JSONSchemaProps');
  switch (name) {
    case 'io.k8s.apimachinery.pkg.util.intstr.IntOrString':
      return {
        description: 'An integer or a string, e.g. 80 or "http".',
        oneOf: [{ type: 'integer' }, { type: 'string' }],
        format: 'int-or-string',
        'x-kubernetes-int-or-string': true,
      };
    case 'io.k8s.apimachinery.pkg.api.resource.Quantity':
      return {
        description:
          'A fixed-point amount with an optional decimal (k, M, G, m, …) or binary (Ki, Mi, Gi, …) suffix or exponent, such as 500m, 2Gi or 1.5. Written as a string; a plain JSON number is accepted too.',
        oneOf: [{ type: 'string' }, { type: 'number' }],
      };
    case 'io.k8s.apimachinery.pkg.apis.meta.v1.Time':
      return {
        description:
          'A point in time in RFC 3339 form with second precision, e.g. "2024-05-01T12:00:00Z".',
        type: 'string',
        format: 'date-time',
      };
    case 'io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime':
      return {
        description: 'A point in time in RFC 3339 form with microsecond precision.',
        type: 'string',
        format: 'date-time',
      };
    case 'io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1':
      return {
        description:
          'The set of fields a manager owns, as a JSON trie of "f:<name>", "k:<key>", "v:<value>" and "i:<index>" entries.',
        type: 'object',
        'x-kubernetes-preserve-unknown-fields': true,
      };
    case 'io.k8s.apimachinery.pkg.apis.meta.v1.Patch':
      return {
        description:
          'The body of a PATCH request, in the format named by its Content-Type (JSON patch, merge patch, strategic merge patch or apply configuration).',
        type: 'object',
        'x-kubernetes-preserve-unknown-fields': true,
      };
    case 'io.k8s.apimachinery.pkg.runtime.RawExtension':
      return { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
  }
  if (!apiextensions.test(name)) return undefined;
  const props = { $ref: refTo(schemaProps) };
  // These decode through their own UnmarshalJSON, which is never strict: the apiserver's strict
  // decoding does not see unknown fields below them, so field validation must not either.
  const custom = { 'x-kubernetes-preserve-unknown-fields': true };
  if (name.endsWith('.JSON')) {
    return {
      description: 'Any JSON value: an object, array, string, number, boolean or null.',
      'x-kubernetes-preserve-unknown-fields': true,
    };
  }
  if (name.endsWith('.JSONSchemaPropsOrArray')) {
    return {
      description: 'A JSON schema, or an array of JSON schemas.',
      oneOf: [props, { type: 'array', items: props }],
      ...custom,
    };
  }
  if (name.endsWith('.JSONSchemaPropsOrBool')) {
    return {
      description: 'A JSON schema, or a boolean (true allows anything, false nothing).',
      oneOf: [{ type: 'boolean' }, props],
      ...custom,
    };
  }
  if (name.endsWith('.JSONSchemaPropsOrStringArray')) {
    return {
      description: 'A JSON schema, or an array of property names.',
      oneOf: [props, { type: 'array', items: { type: 'string' } }],
      ...custom,
    };
  }
  return undefined;
}

class Converter {
  readonly probes = new Map<string, ProbeSite[]>();
  private readonly byCamel = new Map<string, string>();

  private readonly byShape = new Map<string, string>();

  constructor(private readonly sources: SourceDefinition[]) {
    for (const s of sources) {
      this.byCamel.set(s.camel, s.name);
      if (ts.isInterfaceDeclaration(s.declaration)) {
        this.byShape.set(shapeOf(s.declaration.members, s.source), s.name);
      }
    }
  }

  convertAll(): Definitions {
    const definitions: Definitions = {};
    for (const source of this.sources) {
      definitions[source.name] = specialSchema(source.name) ?? this.convert(source);
      const description = jsDocOf(source.declaration, source.source);
      if (description) definitions[source.name].description = description;
    }
    return definitions;
  }

  private convert(def: SourceDefinition): Schema {
    const sites: ProbeSite[] = [];
    this.probes.set(def.name, sites);
    if (ts.isTypeAliasDeclaration(def.declaration)) {
      return this.convertType(def.declaration.type, def, sites, undefined, []);
    }
    const schema: Schema = { type: 'object' };
    const members = def.declaration.members.filter(ts.isPropertySignature);
    const literal = (prop: string): string | undefined => {
      const member = members.find((m) => propertyName(m) === prop);
      return member?.type &&
        ts.isLiteralTypeNode(member.type) &&
        ts.isStringLiteral(member.type.literal)
        ? member.type.literal.text
        : undefined;
    };
    const apiVersion = literal('apiVersion');
    const kind = literal('kind');
    const isKind = apiVersion !== undefined && kind !== undefined;

    const properties: Record<string, Schema> = {};
    const required: string[] = [];
    for (const member of members) {
      const prop = propertyName(member);
      if (!member.type) continue;
      let field: Schema;
      if (isKind && (prop === 'apiVersion' || prop === 'kind')) {
        // The literal types only say which kind this is; on the wire these are plain strings.
        field = {
          type: 'string',
          description:
            prop === 'apiVersion'
              ? 'The group/version of the schema this object follows, such as "apps/v1" ("v1" for the core group). Servers convert objects they know to their preferred version and may reject versions they do not serve.'
              : 'The kind of this object, in CamelCase (such as "Deployment"); it names the REST resource the object belongs to. Cannot be updated.',
        };
      } else {
        field = this.convertType(member.type, def, sites, prop, []);
        if (!member.questionToken) required.push(prop);
      }
      const description = jsDocOf(member, def.source);
      if (description) field.description = description;
      properties[prop] = withSemantics(field, listSemanticsFor(def.name, prop));
    }
    if (members.length > 0) schema.properties = properties;
    if (required.length > 0) schema.required = required;
    if (isKind) {
      const slash = apiVersion.indexOf('/');
      schema['x-kubernetes-group-version-kind'] = [
        {
          group: slash < 0 ? '' : apiVersion.slice(0, slash),
          version: slash < 0 ? apiVersion : apiVersion.slice(slash + 1),
          kind,
        },
      ];
    }
    if (structTypeFor(def.name)) schema['x-kubernetes-map-type'] = 'atomic';
    return schema;
  }

  private convertType(
    node: ts.TypeNode,
    def: SourceDefinition,
    sites: ProbeSite[],
    property: string | undefined,
    containers: ('array' | 'map')[],
  ): Schema {
    switch (node.kind) {
      case ts.SyntaxKind.StringKeyword: {
        const schema: Schema = { type: 'string' };
        sites.push({ schema, property, containers, leaf: 'string' });
        return schema;
      }
      case ts.SyntaxKind.NumberKeyword: {
        const schema: Schema = { type: 'integer' };
        sites.push({ schema, property, containers, leaf: 'number' });
        return schema;
      }
      case ts.SyntaxKind.BooleanKeyword:
        return { type: 'boolean' };
    }
    if (ts.isLiteralTypeNode(node) && ts.isStringLiteral(node.literal)) {
      return { type: 'string', enum: [node.literal.text] };
    }
    if (ts.isUnionTypeNode(node)) {
      const values = node.types.map((t) =>
        ts.isLiteralTypeNode(t) && ts.isStringLiteral(t.literal) ? t.literal.text : undefined,
      );
      if (values.every((v): v is string => v !== undefined))
        return { type: 'string', enum: values };
      const kinds = new Set(node.types.map((t) => t.kind));
      if (kinds.has(ts.SyntaxKind.StringKeyword) && kinds.has(ts.SyntaxKind.NumberKeyword)) {
        return {
          oneOf: [{ type: 'integer' }, { type: 'string' }],
          'x-kubernetes-int-or-string': true,
        };
      }
      throw new Error(`${def.file}: unsupported union ${node.getText()}`);
    }
    if (ts.isArrayTypeNode(node)) {
      return {
        type: 'array',
        items: this.convertType(node.elementType, def, sites, property, [...containers, 'array']),
      };
    }
    if (ts.isTypeLiteralNode(node)) {
      const index = node.members.find(ts.isIndexSignatureDeclaration);
      if (!index) {
        // An inlined copy of a kind (StatefulSetSpec.volumeClaimTemplates): refer to the kind.
        const target = this.byShape.get(shapeOf(node.members, def.source));
        if (!target) throw new Error(`${def.file}: unsupported type literal ${node.getText()}`);
        return { $ref: refTo(target) };
      }
      if (node.members.length !== 1) {
        throw new Error(`${def.file}: unsupported type literal ${node.getText()}`);
      }
      return {
        type: 'object',
        additionalProperties: this.convertType(index.type, def, sites, property, [
          ...containers,
          'map',
        ]),
      };
    }
    if (ts.isTypeReferenceNode(node)) {
      const name = node.typeName.getText(def.source);
      if (name === 'Array' && node.typeArguments?.length === 1) {
        return {
          type: 'array',
          items: this.convertType(node.typeArguments[0], def, sites, property, [
            ...containers,
            'array',
          ]),
        };
      }
      if (name === def.declaration.name.text) return { $ref: refTo(def.name) };
      const target = name.startsWith('I') ? this.byCamel.get(name.slice(1)) : undefined;
      if (!target) throw new Error(`${def.file}: cannot resolve type ${name}`);
      return { $ref: refTo(target) };
    }
    throw new Error(`${def.file}: unsupported type ${ts.SyntaxKind[node.kind]} ${node.getText()}`);
  }
}

/** Property names and declared types, ignoring apiVersion/kind (literal in kinds, plain inline). */
function shapeOf(members: ts.NodeArray<ts.TypeElement>, source: ts.SourceFile): string {
  return members
    .filter(ts.isPropertySignature)
    .map((m) => {
      const name = propertyName(m);
      const type = name === 'apiVersion' || name === 'kind' ? '' : (m.type?.getText(source) ?? '');
      return `${name}:${type}`;
    })
    .sort()
    .join(';');
}

function propertyName(member: ts.PropertySignature): string {
  const name = member.name;
  if (ts.isStringLiteral(name) || ts.isIdentifier(name)) return name.text;
  throw new Error(`unsupported property name ${name.getText()}`);
}

/**
 * Adds the patch/list extensions, and wraps a bare `$ref` that carries a description or
 * extensions in `allOf` (OpenAPI 3.0 ignores siblings of `$ref`; kube-openapi does the same).
 */
function withSemantics(field: Schema, semantics: FieldSemantics | undefined): Schema {
  let out = field;
  if (out.$ref && (out.description || semantics)) {
    const { $ref, ...rest } = out;
    out = { ...rest, allOf: [{ $ref }] };
  }
  if (!semantics) return out;
  if (semantics.patchStrategy) out['x-kubernetes-patch-strategy'] = semantics.patchStrategy;
  if (semantics.patchMergeKey) out['x-kubernetes-patch-merge-key'] = semantics.patchMergeKey;
  if (semantics.listType) out['x-kubernetes-list-type'] = semantics.listType;
  if (semantics.listMapKeys) out['x-kubernetes-list-map-keys'] = [...semantics.listMapKeys];
  if (semantics.mapType) out['x-kubernetes-map-type'] = semantics.mapType;
  return out;
}

interface ValidationError {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
}
type ValidateFunction = ((data: unknown) => boolean) & { errors?: ValidationError[] | null };

/**
 * kubernetes-models' precompiled validators keep the upstream integer/number distinction and the
 * formats (int32, int64, byte, date-time…). Make every format check fail, then feed each number
 * and string position a probe value and read the type and format back from the errors.
 */
async function probeFormats(converter: Converter, sources: SourceDefinition[]): Promise<number> {
  const validateModule = (await import('@kubernetes-models/validate')) as {
    formats: Record<string, unknown>;
  };
  // The formats object is shared by every validator in this process: put it back afterwards.
  const restore: (() => void)[] = [];
  for (const format of Object.values(validateModule.formats)) {
    if (format instanceof RegExp) {
      Object.defineProperty(format, 'test', { value: () => false, configurable: true });
      restore.push(() => Reflect.deleteProperty(format, 'test'));
    } else if (typeof format === 'object' && format !== null && 'validate' in format) {
      const original = format.validate;
      format.validate = () => false;
      restore.push(() => (format.validate = original));
    }
  }
  try {
    let missing = 0;
    for (const source of sources) {
      const sites = converter.probes.get(source.name);
      if (!sites || sites.length === 0) continue;
      if (!fs.existsSync(source.validatorFile)) {
        missing++;
        continue;
      }
      const module = (await import(pathToFileURL(source.validatorFile).href)) as {
        validate: ValidateFunction;
      };
      for (const site of sites) probeSite(module.validate, site);
    }
    return missing;
  } finally {
    for (const undo of restore) undo();
  }
}

function probeSite(validate: ValidateFunction, site: ProbeSite): void {
  const wrap = (leaf: unknown): { data: unknown; pointer: string } => {
    let value = leaf;
    let pointer = '';
    for (const container of [...site.containers].reverse()) {
      value = container === 'array' ? [value] : { k: value };
      pointer = (container === 'array' ? '/0' : '/k') + pointer;
    }
    if (site.property === undefined) return { data: value, pointer };
    const escaped = site.property.replace(/~/g, '~0').replace(/\//g, '~1');
    return { data: { [site.property]: value }, pointer: `/${escaped}${pointer}` };
  };
  const errorsAt = (leaf: unknown): ValidationError[] => {
    const { data, pointer } = wrap(leaf);
    validate(data);
    return (validate.errors ?? []).filter((e) => e.instancePath === pointer);
  };
  const formatOf = (errors: ValidationError[]): string | undefined => {
    const format = errors.find((e) => e.keyword === 'format')?.params.format;
    return typeof format === 'string' ? format : undefined;
  };
  if (site.leaf === 'number') {
    const fractional = errorsAt(1.5);
    const integral = errorsAt(1);
    const isInteger = fractional.some((e) => e.keyword === 'type' && e.params.type === 'integer');
    site.schema.type = isInteger ? 'integer' : 'number';
    const format = formatOf(integral);
    if (format) site.schema.format = format;
  } else {
    const format = formatOf(errorsAt('x'));
    if (format) site.schema.format = format;
  }
}

function isUpToDate(outFile: string): boolean {
  if (!fs.existsSync(outFile)) return false;
  const built = fs.statSync(outFile).mtimeMs;
  return INPUTS.every((input) => !fs.existsSync(input) || fs.statSync(input).mtimeMs < built);
}

export interface GenerateResult {
  file: string;
  written: boolean;
  definitions: number;
}

/** Generates definitions.json unless it is newer than every input (or `force`). */
export async function generateDefinitions(
  options: { force?: boolean; outFile?: string } = {},
): Promise<GenerateResult> {
  const outFile = options.outFile ?? DEFAULT_OUTPUT;
  if (!options.force && isUpToDate(outFile)) {
    return { file: outFile, written: false, definitions: 0 };
  }
  const files = [...listDeclarationFiles(modelsRoot), ...listDeclarationFiles(machineryRoot)];
  const sources = files.map(readSource);
  const converter = new Converter(sources);
  const definitions = converter.convertAll();
  const missing = await probeFormats(converter, sources);
  if (missing > 0)
    console.warn(`generate-openapi: ${missing} definitions had no validator to probe`);

  const sorted: Definitions = {};
  for (const name of Object.keys(definitions).sort()) sorted[name] = definitions[name];
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  // Write then rename, so parallel test workers never read half a file.
  const temp = `${outFile}.${process.pid}.tmp`;
  fs.writeFileSync(temp, JSON.stringify(sorted));
  fs.renameSync(temp, outFile);
  return { file: outFile, written: true, definitions: sources.length };
}

const invokedDirectly =
  process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) {
  const started = Date.now();
  generateDefinitions({ force: process.argv.includes('--force') }).then(
    (result) => {
      const where = path.relative(process.cwd(), result.file);
      console.log(
        result.written
          ? `generate-openapi: ${result.definitions} definitions → ${where} (${Date.now() - started} ms)`
          : `generate-openapi: ${where} is up to date`,
      );
    },
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
