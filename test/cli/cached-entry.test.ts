// The `hq` executable keeps a V8 code cache beside the bundle: written by the
// first run, reused afterwards, replaced when it does not fit this Node.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { copyBundle as copyOf } from '../support/bundle-copy.js';

/** A copy of the bundles, without the code cache, the snapshot or hq-exec. */
const copyBundle = (t: TestContext) => copyOf(t, (name) => name.endsWith('.cjs'));

const hq = (dir: string, ...args: string[]) => execFileSync(process.execPath, [path.join(dir, 'hq.cjs'), ...args], { encoding: 'utf8' });

test('the first run writes the code cache, later runs keep it, a foreign cache is replaced', (t) => {
  const dir = copyBundle(t);
  const cache = path.join(dir, 'hq-main.cache');

  assert.equal(fs.existsSync(cache), false);
  const version = hq(dir, '--version').trim();
  assert.match(version, /^\d+\.\d+\.\d+/);
  assert.ok(fs.statSync(cache).size > 10_000, 'the first run left a code cache');

  const first = fs.readFileSync(cache);
  const before = fs.statSync(cache).mtimeMs;
  assert.equal(hq(dir, '--version').trim(), version);
  assert.equal(fs.statSync(cache).mtimeMs, before, 'an accepted cache is not rewritten');

  fs.writeFileSync(cache, Buffer.from('not a V8 code cache'));
  assert.equal(hq(dir, '--version').trim(), version, 'a broken cache does not break hq');
  assert.ok(fs.readFileSync(cache).length > 10_000, 'a rejected cache is replaced');
  assert.ok(!fs.readdirSync(dir).some((f) => f.includes('.cache.')), 'no temporary cache file is left');
  assert.ok(first.length > 0);
});

test('the build warms the cache with a real submit: it holds more than a failing command compiles, and nothing is left behind', (t) => {
  const warm = copyBundle(t);
  const cold = copyBundle(t);
  const leftovers = () => fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith('hq-cache-warmup-')).sort();
  const before = leftovers();
  const warmup = fileURLToPath(new URL('../../src/build/code-cache.js', import.meta.url));
  execFileSync(process.execPath, [warmup, warm], { encoding: 'utf8' });
  assert.deepEqual(leftovers(), before, 'the warm-up removed its server directory');

  // A cache written by a command that stops before connecting.
  assert.throws(() => execFileSync(process.execPath, [path.join(cold, 'hq.cjs'), '--server-dir', cold, 'job', 'list'], { stdio: 'pipe' }));
  const warmSize = fs.statSync(path.join(warm, 'hq-main.cache')).size;
  const coldSize = fs.statSync(path.join(cold, 'hq-main.cache')).size;
  assert.ok(warmSize > coldSize, `warm cache ${warmSize} B, cold ${coldSize} B`);
  // The warm cache is accepted: a later command does not rewrite it.
  const mtime = fs.statSync(path.join(warm, 'hq-main.cache')).mtimeMs;
  assert.match(hq(warm, '--version'), /^\d+\.\d+\.\d+/);
  assert.equal(fs.statSync(path.join(warm, 'hq-main.cache')).mtimeMs, mtime);
});
