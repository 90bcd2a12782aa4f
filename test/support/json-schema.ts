// A validator for the part of JSON Schema (draft-07) that the schemas in
// test/schemas use: type (one or a list), properties, required, items,
// enum, pattern, additionalProperties (false or a schema), anyOf (for
// values of several shapes), and `$ref` to a definition, either in the same schema
// (`#/definitions/NAME`) or in a sibling file (`common.json#/definitions/NAME`).
// Unknown keywords are refused, so a schema cannot silently ask for a check
// that is not made.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export type JsonType = 'null' | 'boolean' | 'object' | 'array' | 'number' | 'integer' | 'string';

export interface JsonSchema {
  $schema?: string;
  $id?: string;
  title?: string;
  description?: string;
  type?: JsonType | JsonType[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  enum?: unknown[];
  /** A regular expression a string must match (anywhere, as in JSON Schema: anchor it). */
  pattern?: string;
  anyOf?: JsonSchema[];
  definitions?: Record<string, JsonSchema>;
  $ref?: string;
}

const KNOWN_KEYWORDS = new Set([
  '$schema',
  '$id',
  'title',
  'description',
  'type',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'enum',
  'pattern',
  'anyOf',
  'definitions',
  '$ref',
]);

/** One mismatch: where in the value (a JSON pointer) and what is wrong. */
export interface SchemaError {
  path: string;
  message: string;
}

/** Finds the schema documents that `$ref`s name by file. */
export type SchemaFiles = (file: string) => JsonSchema;

function typeOf(value: unknown): JsonType {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  switch (typeof value) {
    case 'boolean':
      return 'boolean';
    case 'number':
      return Number.isInteger(value) ? 'integer' : 'number';
    case 'string':
      return 'string';
    case 'object':
      return 'object';
    default:
      throw new Error(`not a JSON value: ${typeof value}`);
  }
}

function typeMatches(actual: JsonType, wanted: JsonType): boolean {
  return actual === wanted || (wanted === 'number' && actual === 'integer');
}

/** Deep equality of JSON values, for `enum`. */
function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => k in b && jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

function pointer(at: string, key: string | number): string {
  return `${at}/${String(key).replace(/~/g, '~0').replace(/\//g, '~1')}`;
}

function noFiles(file: string): JsonSchema {
  throw new Error(`$ref to '${file}' needs a schema directory (use loadSchema)`);
}

class Validator {
  readonly errors: SchemaError[] = [];

  constructor(private readonly files: SchemaFiles) {}

  /** The schema a `$ref` points at, and the document that holds it (for its own local refs). */
  private resolve(schema: JsonSchema, doc: JsonSchema): [JsonSchema, JsonSchema] {
    if (schema.$ref === undefined) return [schema, doc];
    const m = /^([^#]*)#\/definitions\/([^/]+)$/.exec(schema.$ref);
    if (!m) throw new Error(`unsupported $ref '${schema.$ref}'`);
    const target = m[1] === '' ? doc : this.files(m[1]!);
    const found = target.definitions?.[m[2]!];
    if (!found) throw new Error(`unresolvable $ref '${schema.$ref}'`);
    return this.resolve(found, target);
  }

  /** Whether `value` matches without recording anything (for anyOf branches). */
  private matches(value: unknown, schema: JsonSchema, doc: JsonSchema): boolean {
    const probe = new Validator(this.files);
    probe.check(value, schema, doc, '');
    return probe.errors.length === 0;
  }

  check(value: unknown, given: JsonSchema, givenDoc: JsonSchema, at: string): void {
    const [schema, doc] = this.resolve(given, givenDoc);
    const where = at || '/';
    for (const key of Object.keys(schema)) {
      if (!KNOWN_KEYWORDS.has(key)) throw new Error(`schema keyword '${key}' at ${where} is not supported`);
    }
    const actual = typeOf(value);
    if (schema.type !== undefined) {
      const wanted = Array.isArray(schema.type) ? schema.type : [schema.type];
      if (!wanted.some((t) => typeMatches(actual, t))) {
        this.errors.push({ path: where, message: `expected ${wanted.join(' or ')}, got ${actual} (${JSON.stringify(value)})` });
        return;
      }
    }
    if (schema.enum !== undefined && !schema.enum.some((e) => jsonEqual(e, value))) {
      this.errors.push({ path: where, message: `${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}` });
    }
    if (schema.pattern !== undefined && actual === 'string' && !new RegExp(schema.pattern, 'u').test(value as string)) {
      this.errors.push({ path: where, message: `${JSON.stringify(value)} does not match /${schema.pattern}/` });
    }
    if (schema.anyOf !== undefined && !schema.anyOf.some((branch) => this.matches(value, branch, doc))) {
      this.errors.push({ path: where, message: `${JSON.stringify(value)} matches none of the anyOf schemas` });
    }
    if (actual === 'object') this.checkObject(value as Record<string, unknown>, schema, doc, at);
    if (actual === 'array' && schema.items !== undefined) {
      (value as unknown[]).forEach((item, i) => this.check(item, schema.items!, doc, pointer(at, i)));
    }
  }

  private checkObject(value: Record<string, unknown>, schema: JsonSchema, doc: JsonSchema, at: string): void {
    for (const key of schema.required ?? []) {
      if (!(key in value)) this.errors.push({ path: at || '/', message: `missing required property '${key}'` });
    }
    const properties = schema.properties ?? {};
    for (const [key, item] of Object.entries(value)) {
      const where = pointer(at, key);
      const declared = properties[key];
      if (declared !== undefined) this.check(item, declared, doc, where);
      else if (schema.additionalProperties === false) this.errors.push({ path: where, message: 'property is not allowed' });
      else if (typeof schema.additionalProperties === 'object') this.check(item, schema.additionalProperties, doc, where);
    }
  }
}

/**
 * Every mismatch between `value` and `schema` (empty when it conforms).
 * `files` resolves `$ref`s that name another schema file.
 */
export function validateJson(value: unknown, schema: JsonSchema, files: SchemaFiles = noFiles): SchemaError[] {
  const v = new Validator(files);
  v.check(value, schema, schema, '');
  return v.errors;
}

/** A schema read from a file, with the sibling files its `$ref`s name. */
export interface LoadedSchema {
  schema: JsonSchema;
  files: SchemaFiles;
}

/** Reads `file`; `$ref`s to other files are read from its directory on first use. */
export function loadSchema(file: string): LoadedSchema {
  const dir = path.dirname(file);
  const cache = new Map<string, JsonSchema>();
  const read = (name: string): JsonSchema => {
    let doc = cache.get(name);
    if (!doc) {
      doc = JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')) as JsonSchema;
      cache.set(name, doc);
    }
    return doc;
  };
  return { schema: read(path.basename(file)), files: read };
}

/** test/schemas of the source tree: the first one above this compiled module (dist/test/..., .build/NAME/test/...). */
export const SCHEMA_DIR = ((): string => {
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'test', 'schemas');
    if (fs.existsSync(path.join(candidate, 'common.json'))) return candidate;
    if (path.dirname(dir) === dir) throw new Error('test/schemas not found above the tests');
  }
})();

/** The schema test/schemas/NAME.json. */
export function testSchema(name: string): LoadedSchema {
  return loadSchema(path.join(SCHEMA_DIR, `${name}.json`));
}

/** Throws one error listing every mismatch; `what` names the value in the message. */
export function assertMatchesSchema(value: unknown, loaded: LoadedSchema, what: string): void {
  const errors = validateJson(value, loaded.schema, loaded.files);
  if (errors.length === 0) return;
  const list = errors.map((e) => `  ${e.path}: ${e.message}`).join('\n');
  throw new Error(`${what} does not match its schema:\n${list}\nvalue: ${JSON.stringify(value, null, 2)}`);
}

/**
 * Problems of a schema itself, found without a value: keywords the validator
 * does not know, `$ref`s that lead nowhere, patterns that do not compile.
 * Walks every subschema, so branches no test value reaches are checked too.
 */
export function schemaProblems(loaded: LoadedSchema): string[] {
  const problems: string[] = [];
  const seen = new Set<JsonSchema>();
  const walk = (schema: JsonSchema, doc: JsonSchema, at: string): void => {
    if (seen.has(schema)) return;
    seen.add(schema);
    for (const key of Object.keys(schema)) if (!KNOWN_KEYWORDS.has(key)) problems.push(`${at}: unknown keyword '${key}'`);
    if (schema.$ref !== undefined) {
      const m = /^([^#]*)#\/definitions\/([^/]+)$/.exec(schema.$ref);
      let target: JsonSchema | undefined;
      try {
        target = m ? (m[1] === '' ? doc : loaded.files(m[1]!)) : undefined;
      } catch (e) {
        problems.push(`${at}: $ref '${schema.$ref}': ${(e as Error).message}`);
        return;
      }
      const found = m && target?.definitions?.[m[2]!];
      if (!found || !target) problems.push(`${at}: $ref '${schema.$ref}' leads nowhere`);
      else walk(found, target, `${at}->${schema.$ref}`);
    }
    if (schema.pattern !== undefined) {
      try {
        new RegExp(schema.pattern, 'u');
      } catch {
        problems.push(`${at}: pattern does not compile`);
      }
    }
    for (const [name, sub] of Object.entries(schema.properties ?? {})) walk(sub, doc, `${at}/properties/${name}`);
    for (const [name, sub] of Object.entries(schema.definitions ?? {})) walk(sub, doc, `${at}/definitions/${name}`);
    if (typeof schema.additionalProperties === 'object') walk(schema.additionalProperties, doc, `${at}/additionalProperties`);
    if (schema.items !== undefined) walk(schema.items, doc, `${at}/items`);
    schema.anyOf?.forEach((sub, i) => walk(sub, doc, `${at}/anyOf/${i}`));
  };
  walk(loaded.schema, loaded.schema, '#');
  return problems;
}
