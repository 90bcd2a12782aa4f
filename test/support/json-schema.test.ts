// The small JSON Schema validator the json output tests rely on, and the
// hand-written schemas in test/schemas themselves.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SCHEMA_DIR, loadSchema, schemaProblems, validateJson, type JsonSchema } from './json-schema.js';


const paths = (value: unknown, schema: JsonSchema) => validateJson(value, schema).map((e) => e.path);

test('type, integer versus number, and type lists', () => {
  assert.deepEqual(validateJson(3, { type: 'integer' }), []);
  assert.deepEqual(validateJson(3, { type: 'number' }), []);
  assert.deepEqual(paths(3.5, { type: 'integer' }), ['/']);
  assert.deepEqual(validateJson(null, { type: ['string', 'null'] }), []);
  assert.deepEqual(paths([], { type: 'object' }), ['/']);
  assert.deepEqual(paths({}, { type: 'array' }), ['/']);
  assert.match(validateJson('x', { type: 'boolean' })[0]!.message, /expected boolean, got string/);
});

test('properties, required and additionalProperties', () => {
  const schema: JsonSchema = {
    type: 'object',
    properties: { a: { type: 'integer' }, b: { type: 'string' } },
    required: ['a'],
    additionalProperties: false,
  };
  assert.deepEqual(validateJson({ a: 1, b: 'x' }, schema), []);
  assert.deepEqual(paths({ b: 'x' }, schema), ['/']);
  assert.deepEqual(paths({ a: 'no' }, schema), ['/a']);
  assert.deepEqual(paths({ a: 1, c: 2 }, schema), ['/c']);
  const map: JsonSchema = { type: 'object', additionalProperties: { type: 'integer' } };
  assert.deepEqual(validateJson({ x: 1, y: 2 }, map), []);
  assert.deepEqual(paths({ x: 1, 'a/b': 'z' }, map), ['/a~1b']);
});

test('items, enum, pattern and anyOf', () => {
  assert.deepEqual(paths([1, 'two', 3], { type: 'array', items: { type: 'integer' } }), ['/1']);
  assert.deepEqual(validateJson('b', { enum: ['a', 'b'] }), []);
  assert.deepEqual(validateJson(null, { enum: [null] }), []);
  assert.deepEqual(validateJson({ k: [1] }, { enum: [{ k: [1] }] }), []);
  assert.deepEqual(paths({ k: [2] }, { enum: [{ k: [1] }] }), ['/']);
  assert.deepEqual(validateJson('2024-01-02', { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' }), []);
  assert.deepEqual(paths('02.01.2024', { type: 'string', pattern: '^\\d{4}-' }), ['/']);
  const either: JsonSchema = { anyOf: [{ type: 'string', enum: ['All'] }, { type: 'object', properties: { n: { type: 'integer' } } }] };
  assert.deepEqual(validateJson('All', either), []);
  assert.deepEqual(validateJson({ n: 3 }, either), []);
  assert.deepEqual(paths('Some', either), ['/']);
  assert.deepEqual(paths({ n: 'x' }, either), ['/']);
});

test('$ref to a local definition and to a sibling file', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hq-schema-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(
    path.join(dir, 'shared.json'),
    JSON.stringify({ definitions: { id: { type: 'integer' }, pair: { type: 'array', items: { $ref: '#/definitions/id' } } } }),
  );
  fs.writeFileSync(
    path.join(dir, 'main.json'),
    JSON.stringify({
      type: 'object',
      properties: { ids: { $ref: 'shared.json#/definitions/pair' }, own: { $ref: '#/definitions/name' } },
      definitions: { name: { type: 'string' } },
    }),
  );
  const loaded = loadSchema(path.join(dir, 'main.json'));
  assert.deepEqual(validateJson({ ids: [1, 2], own: 'x' }, loaded.schema, loaded.files), []);
  assert.deepEqual(
    validateJson({ ids: [1, 'b'], own: 3 }, loaded.schema, loaded.files).map((e) => e.path),
    ['/ids/1', '/own'],
  );
  assert.deepEqual(schemaProblems(loaded), []);

  fs.writeFileSync(path.join(dir, 'broken.json'), JSON.stringify({ items: { $ref: 'shared.json#/definitions/none' }, minimum: 1 }));
  const problems = schemaProblems(loadSchema(path.join(dir, 'broken.json')));
  assert.equal(problems.length, 2, problems.join('\n'));
  assert.ok(problems.some((p) => /unknown keyword 'minimum'/.test(p)));
  assert.ok(problems.some((p) => /leads nowhere/.test(p)));
});

test('a keyword the validator does not implement is refused, not ignored', () => {
  assert.throws(() => validateJson(5, { type: 'integer', maximum: 3 } as JsonSchema), /keyword 'maximum'.*not supported/);
  assert.throws(() => validateJson(5, { $ref: '#/definitions/missing' }), /unresolvable \$ref/);
});

test('every schema in test/schemas is well-formed and uses only supported keywords', () => {
  const files = fs.readdirSync(SCHEMA_DIR).filter((f) => f.endsWith('.json'));
  assert.ok(files.length >= 10, `schemas found: ${files.join(', ')}`);
  for (const file of files) {
    const loaded = loadSchema(path.join(SCHEMA_DIR, file));
    assert.deepEqual(schemaProblems(loaded), [], file);
  }
});
