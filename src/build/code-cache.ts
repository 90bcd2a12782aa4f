// Build step: writes the V8 code cache of hq.cjs (see src/cli/cached-entry.ts)
// from a real `hq submit` against a real server, so that the cache also holds
// the code of connecting, the handshake and a request. A cache written by a
// command that fails before connecting would leave all of that to be
// compiled again by every short command.
//
//   node dist/src/build/code-cache.js dist/bundle
//
// The server runs from the compiled modules, not the bundle, so that its own
// exit does not write the cache.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const bundleDir = path.resolve(process.argv[2] ?? 'dist/bundle');
const executable = path.join(bundleDir, 'hq.cjs');
const cacheFile = path.join(bundleDir, 'hq-main.cache');
const compiledCli = fileURLToPath(new URL('../cli/hq.js', import.meta.url));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hq-cache-warmup-'));
const serverDir = path.join(dir, 'server');
const options = { cwd: dir, encoding: 'utf8' as const, timeout: 30_000 };

function run(entry: string, args: string[]): void {
  const r = spawnSync(process.execPath, [entry, '--server-dir', serverDir, ...args], options);
  if (r.status !== 0) throw new Error(`hq ${args.join(' ')} failed: ${r.stderr || r.error}`);
}

const server = spawn(process.execPath, [compiledCli, '--server-dir', serverDir, 'server', 'start'], { cwd: dir, stdio: 'ignore' });
let failed = false;
try {
  run(compiledCli, ['server', 'wait', '--timeout', '20s']);
  fs.rmSync(cacheFile, { force: true });
  run(executable, ['submit', '--stdout', 'none', '--stderr', 'none', '--', 'true']);
  if (!fs.existsSync(cacheFile)) throw new Error(`no code cache was written to ${cacheFile}`);
} catch (e) {
  process.stderr.write(`code cache warm-up: ${(e as Error).message}\n`);
  failed = true;
} finally {
  spawnSync(process.execPath, [compiledCli, '--server-dir', serverDir, 'server', 'stop'], options);
  const exited = new Promise<boolean>((resolve) => server.once('exit', () => resolve(true)));
  const stopped = server.exitCode !== null || (await Promise.race([exited, new Promise<boolean>((r) => setTimeout(() => r(false), 10_000).unref())]));
  if (!stopped) server.kill('SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
