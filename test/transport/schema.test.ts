// The committed generated code must be what flatc makes of schema/*.fbs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

test('generated flatbuffers code matches schema/', () => {
  const r = spawnSync(process.execPath, [path.join(root, 'schema/generate.mjs'), '--check'], { encoding: 'utf8' });
  assert.equal(r.status, 0, `schema check failed: ${r.stderr}`);
});
