// Build step: makes dist/bundle/, what `hq` runs.
//
//   hq.cjs              the `hq` command (package.json "bin"): run as a program,
//                       it hands over to hq-exec; run with `node hq.cjs`, it is
//                       the command line itself, through a V8 code cache
//   hq-exec             src/cli/native/hq-exec.c: Node started from hq.blob
//   hq.blob             startup snapshot of the command line (src/cli/snapshot-entry.ts)
//   hq-main.cjs/.cache  the command line for `node hq.cjs` (src/cli/cached-entry.ts)
//   hq-<part>.cjs       code only some commands load: server, worker, yargs
//   hq-command-host.cjs the server's command host thread (src/command-host/)
//   scheduler-thread.js, io-thread.js   the server's threads
//
// Without gcc, or on a Node that cannot write a snapshot, there is no
// hq-exec, and hq.cjs runs itself with the `node` on PATH: everything works,
// only slower to start.
//
//   node dist/src/build/bundle.js
import { execFileSync, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { singleQuoted } from '../common/shell-quote.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const out = path.join(root, 'dist/bundle');
const src = (file: string) => path.join(root, 'src', file);

/** Modules that commands import on demand, and the bundle each becomes. */
const PARTS: Record<string, string> = {
  'server/server': 'hq-server.cjs',
  'worker/worker': 'hq-worker.cjs',
  'worker/manager': 'hq-worker-manager.cjs',
  'cli/yargs-cli': 'hq-yargs-cli.cjs',
  'cli/command-tree': 'hq-command-tree.cjs',
  'cli/completion': 'hq-completion.cjs',
  'client/job-file': 'hq-job-file.cjs',
};

/**
 * First lines of hq.cjs, read by /bin/sh when hq.cjs is run as a program
 * and a comment to Node. When the script (or the symbolic link it was run
 * through, like npm's bin links) is this very build's hq.cjs, which the
 * shell's `-ef` tells without starting a program, it execs the hq-exec
 * built beside it. Otherwise (a moved copy) it follows the links with
 * `readlink` to the bundle and execs hq-exec there, else Node on this file.
 */
function shellPreamble(bundleDir: string): string {
  const here = path.resolve(bundleDir);
  // Newlines would end the line Node reads as a comment: such a place gets no shortcut.
  const shortcut = /[\n\r\u2028\u2029]/.test(here)
    ? ''
    : `[ "$h" -ef ${singleQuoted(path.join(here, 'hq.cjs'))} ] && [ -x ${singleQuoted(path.join(here, 'hq-exec'))} ] && ` +
      `exec ${singleQuoted(path.join(here, 'hq-exec'))} "$@"; `;
  return [
    '#!/bin/sh',
    '":" //; h=$0; case $h in */*) ;; *) h=./$h ;; esac; ' +
      shortcut +
      'while [ -L "$h" ]; do l=$(readlink "$h"); case $l in /*) h=$l ;; *) h=${h%/*}/$l ;; esac; done; ' +
      '[ -x "${h%/*}/hq-exec" ] && exec "${h%/*}/hq-exec" "$@"; exec node "$h" "$@"',
  ].join('\n');
}

/** Marks this build's bundles and hq-exec: the command host serves only its own build. */
const BUILD_ID = crypto.randomBytes(8).toString('hex');

const common: esbuild.BuildOptions = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  // Loaded from node_modules at run time: native addons, and piscina, whose
  // threads start from a file of its own package.
  external: ['sodium-native', '@trufflesuite/uws-js-unofficial', 'piscina'],
  logLevel: 'warning',
};

/**
 * Turns `await import()` of a module in PARTS into loading its own bundle at
 * run time (src/cli/bundled-part.ts), so that it is not part of the importer's.
 */
const lazyParts: esbuild.Plugin = {
  name: 'hq-parts',
  setup(build) {
    build.onResolve({ filter: /\.js$/ }, (args) => {
      if (args.kind !== 'dynamic-import') return undefined;
      const target = path.relative(src(''), path.resolve(args.resolveDir, args.path)).replace(/\.js$/, '');
      const file = PARTS[target];
      return file ? { path: file, namespace: 'hq-part' } : undefined;
    });
    build.onLoad({ filter: /.*/, namespace: 'hq-part' }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(src('cli/bundled-part.ts'))}).requireBundledPart(${JSON.stringify(args.path)});`,
      loader: 'js',
      resolveDir: src('cli'),
    }));
  },
};

/** CommonJS bundles of the command line; import.meta.url read only when used. */
const commandLine: esbuild.BuildOptions = {
  ...common,
  format: 'cjs',
  minifyWhitespace: true,
  minifySyntax: true,
  plugins: [lazyParts],
  define: { 'import.meta.url': '__hqImportMeta.url', __HQ_BUILD_ID__: JSON.stringify(BUILD_ID) },
  banner: { js: "const __hqImportMeta = { get url() { return require('node:url').pathToFileURL(__filename).href; } };" },
};

fs.rmSync(out, { recursive: true, force: true });
await Promise.all([
  // The server's threads, loaded by file name (src/server/server.ts).
  esbuild.build({
    ...common,
    entryPoints: { 'scheduler-thread': src('server/scheduler-thread.ts'), 'io-thread': src('server/io-thread.ts') },
    format: 'esm',
    outdir: out,
    banner: { js: "import { createRequire as __hqRequire } from 'node:module'; const require = __hqRequire(import.meta.url);" },
  }),
  esbuild.build({ ...commandLine, entryPoints: [src('cli/hq.ts')], outfile: path.join(out, 'hq-main.cjs') }),
  esbuild.build({ ...commandLine, entryPoints: [src('cli/snapshot-entry.ts')], outfile: path.join(out, 'hq-snapshot.cjs') }),
  esbuild.build({
    ...commandLine,
    entryPoints: {
      ...Object.fromEntries(Object.entries(PARTS).map(([module, file]) => [file.replace(/\.cjs$/, ''), src(`${module}.ts`)])),
      'hq-command-host': src('command-host/thread.ts'),
    },
    outdir: out,
    outExtension: { '.js': '.cjs' },
  }),
  esbuild.build({
    ...common,
    entryPoints: [src('cli/cached-entry.ts')],
    format: 'cjs',
    outfile: path.join(out, 'hq.cjs'),
    banner: { js: shellPreamble(out) },
  }),
]);
fs.chmodSync(path.join(out, 'hq.cjs'), 0o755);

// The code cache of hq.cjs, from a real command.
const warm = spawnSync(process.execPath, [fileURLToPath(new URL('./code-cache.js', import.meta.url)), out], { stdio: 'inherit' });
if (warm.status !== 0) {
  // Good enough: the first command that runs writes one.
  spawnSync(process.execPath, [path.join(out, 'hq.cjs'), '--server-dir', out, 'job', 'list'], { stdio: 'ignore' });
}
if (!fs.existsSync(path.join(out, 'hq-main.cache'))) throw new Error('no code cache was written for hq.cjs');

/**
 * V8 flag of the processes hq.blob starts, which must be the same when the
 * snapshot is written (V8 refuses a snapshot written under other flags), so
 * hq-exec is compiled with it. By default V8 gives every start from a
 * snapshot a new string hash seed and rehashes the whole heap for it, a
 * fifth of a short command's start; the seed stays the build's random one
 * instead. Its point, keeping hash flooding by untrusted keys out, does not
 * apply: what hq reads as keys comes from its user and its own
 * authenticated server.
 */
const SNAPSHOT_FLAG = '--no-rehash-snapshot';

/** Writes hq.blob; false when this Node cannot. */
function buildSnapshot(): boolean {
  const r = spawnSync(process.execPath, [SNAPSHOT_FLAG, '--snapshot-blob', path.join(out, 'hq.blob'), '--build-snapshot', path.join(out, 'hq-snapshot.cjs')], {
    cwd: out,
    encoding: 'utf8',
  });
  if (r.status === 0 && fs.existsSync(path.join(out, 'hq.blob'))) return true;
  process.stderr.write(`no startup snapshot (hq starts through hq.cjs): ${r.stderr || r.error}\n`);
  return false;
}

/** Compiles hq-exec for this Node binary; false without gcc. */
function buildExecutable(): boolean {
  const node = fs.realpathSync(process.execPath);
  const st = fs.statSync(node);
  try {
    execFileSync('gcc', [
      '-O2',
      `-DHQ_NODE=${JSON.stringify(node)}`,
      `-DHQ_NODE_SIZE=${st.size}`,
      `-DHQ_NODE_MTIME=${Math.floor(st.mtimeMs / 1000)}`,
      `-DHQ_BUILD_ID=${JSON.stringify(BUILD_ID)}`,
      `-DHQ_SNAPSHOT_FLAG=${JSON.stringify(SNAPSHOT_FLAG)}`,
      '-o',
      path.join(out, 'hq-exec'),
      src('cli/native/hq-exec.c'),
      src('cli/native/command-host-client.c'),
    ]);
    return true;
  } catch (e) {
    process.stderr.write(`hq-exec was not built (no gcc?): ${(e as Error).message}\n`);
    return false;
  }
}

// hq-exec also runs commands through the command host, so it is built even
// when this Node cannot write a snapshot (it then starts hq.cjs).
buildSnapshot();
if (!buildExecutable()) fs.rmSync(path.join(out, 'hq.blob'), { force: true });
