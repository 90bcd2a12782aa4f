// The rehearsal that the build of the hq startup snapshot plays: real
// commands against a stand-in server with stand-in crypto.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';

const REHEARSAL = new URL('../../src/cli/rehearsal.js', import.meta.url).href;
const SODIUM = new URL('../../src/transport/sodium.js', import.meta.url).href;

test('the rehearsal plays every command without printing, leaves no directory, and puts libsodium back', () => {
  const leftovers = () => fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith('hq-rehearsal-')).sort();
  const before = leftovers();
  // In a process of its own, whose terminal output is all its own.
  const script =
    `const { rehearseCommands } = await import(${JSON.stringify(REHEARSAL)});\n` +
    `const { libsodium } = await import(${JSON.stringify(SODIUM)});\n` +
    'await rehearseCommands();\n' +
    // The real addon is back: the stand-in has none of libsodium's constants.
    'process.stderr.write(`tag bytes ${libsodium().crypto_aead_xchacha20poly1305_ietf_ABYTES}`);\n';
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, '', 'nothing reached the terminal');
  assert.equal(r.stderr, 'tag bytes 16');
  assert.deepEqual(leftovers(), before, 'its server directory is removed');
});
