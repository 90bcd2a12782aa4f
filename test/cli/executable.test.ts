// `hq` as users run it: hq.cjs run as a program hands over to hq-exec, which
// starts Node from the startup snapshot hq.blob; without them, or with
// NODE_OPTIONS set, hq.cjs runs the code-cached bundle itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { VERSION } from '../../src/common/version.js';
import { BUNDLE_DIR, copyBundle } from '../support/bundle-copy.js';

const hasGcc = spawnSync('gcc', ['--version']).status === 0;

function run(program: string, args: string[], env: NodeJS.ProcessEnv = process.env) {
  const r = spawnSync(program, args, { encoding: 'utf8', env, timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A command that needs the client's code: connecting to a server directory where none runs. */
function expectNoServer(program: string, env?: NodeJS.ProcessEnv): void {
  const serverDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hq-exec-test-'));
  try {
    const r = run(program, ['--server-dir', serverDir, 'job', 'list'], env);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /^[^\n]*No server is running \(server directory [^\n]*\)\n$/);
    assert.ok(r.stderr.includes(serverDir), r.stderr);
  } finally {
    fs.rmSync(serverDir, { recursive: true, force: true });
  }
}

test('the build puts hq-exec and the startup snapshot beside hq.cjs, which starts as a shell script', { skip: !hasGcc && 'no gcc' }, () => {
  assert.ok(fs.statSync(path.join(BUNDLE_DIR, 'hq-exec')).mode & 0o111, 'hq-exec is executable');
  assert.ok(fs.statSync(path.join(BUNDLE_DIR, 'hq.blob')).size > 1_000_000);
  assert.equal(fs.readFileSync(path.join(BUNDLE_DIR, 'hq.cjs'), 'utf8').split('\n')[0], '#!/bin/sh');
});

test('a moved copy runs from its snapshot alone, also through a symbolic link', { skip: !hasGcc && 'no gcc' }, (t) => {
  // No hq-main.cjs: only the snapshot can run the command line here.
  const dir = copyBundle(t, (name) => ['hq.cjs', 'hq-exec', 'hq.blob', 'hq-yargs-cli.cjs'].includes(name));
  const hq = path.join(dir, 'hq.cjs');
  assert.equal(run(hq, ['--version']).stdout.trim(), VERSION);
  expectNoServer(hq);

  const links = fs.mkdtempSync(path.join(os.tmpdir(), 'hq-exec-link-'));
  t.after(() => fs.rmSync(links, { recursive: true, force: true }));
  fs.symlinkSync(hq, path.join(links, 'hq'));
  expectNoServer(path.join(links, 'hq'));
  // Arguments pass through unchanged, spaces and all.
  const r = run(path.join(links, 'hq'), ['--server-dir', path.join(links, 'no server here'), 'job', 'list']);
  assert.match(r.stderr, /server directory .*no server here\)/);
});

test('without hq-exec or the snapshot, and with NODE_OPTIONS, hq.cjs runs the bundle itself', (t) => {
  const noBlob = copyBundle(t, (name) => name !== 'hq.blob');
  expectNoServer(path.join(noBlob, 'hq.cjs'));
  const noExec = copyBundle(t, (name) => name !== 'hq-exec' && name !== 'hq.blob');
  expectNoServer(path.join(noExec, 'hq.cjs'));
  // A V8 flag would make Node refuse the snapshot: hq-exec does not use it then.
  const full = copyBundle(t, () => true);
  expectNoServer(path.join(full, 'hq.cjs'), { ...process.env, NODE_OPTIONS: '--max-old-space-size=256' });
  assert.equal(execFileSync(process.execPath, [path.join(full, 'hq.cjs'), '--version'], { encoding: 'utf8' }).trim(), VERSION);
});

test('the built hq.cjs, run through a symbolic link, hands over to its own hq-exec without resolving the link', { skip: !hasGcc && 'no gcc' }, (t) => {
  const links = fs.mkdtempSync(path.join(os.tmpdir(), 'hq-exec-link-'));
  t.after(() => fs.rmSync(links, { recursive: true, force: true }));
  fs.symlinkSync(path.join(BUNDLE_DIR, 'hq.cjs'), path.join(links, 'hq'));
  // No PATH: neither `readlink` nor `node` can be found, so only the
  // shortcut to this build's hq-exec (which knows its Node) can answer.
  const env = { ...process.env, PATH: path.join(links, 'empty') };
  assert.equal(run(path.join(links, 'hq'), ['--version'], env).stdout.trim(), VERSION);
  expectNoServer(path.join(links, 'hq'), env);
});

test('short commands start Node without NODE_EXTRA_CA_CERTS; a worker keeps it for its tasks', { skip: !hasGcc && 'no gcc' }, () => {
  // Node reads the named bundle as it starts, and warns when it cannot.
  const env = { ...process.env, NODE_EXTRA_CA_CERTS: path.join(os.tmpdir(), 'no-such-bundle.pem'), HQ_COMMAND_HOST: '0' };
  const hq = path.join(BUNDLE_DIR, 'hq.cjs');
  // One line on stderr, hq's own: Node never looked for the bundle.
  expectNoServer(hq, env);
  const serverDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hq-exec-test-'));
  try {
    const r = run(hq, ['--server-dir', serverDir, 'worker', 'start'], env);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /Ignoring extra certs from `[^`]*no-such-bundle\.pem`/);
  } finally {
    fs.rmSync(serverDir, { recursive: true, force: true });
  }
});
