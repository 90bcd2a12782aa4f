// hq.cjs as Node runs it (`node hq.cjs`, or when there is no startup
// snapshot to start from; see src/build/bundle.ts). It runs the command-line
// bundle (hq-main.cjs, beside this file) through a V8 code cache: without
// one, every short command would spend most of its time parsing and
// compiling the bundle before doing anything. The first run that finds no
// usable cache (none yet, or one made by another Node version) writes one
// when it exits; later runs load it.
import fs from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import { createRequire } from 'node:module';

const dir = path.dirname(fs.realpathSync(process.argv[1]!));
const bundle = path.join(dir, 'hq-main.cjs');
const cacheFile = path.join(dir, 'hq-main.cache');

let source = fs.readFileSync(bundle, 'utf8');
if (source.startsWith('#!')) source = `//${source}`;
let cachedData: Buffer | undefined;
try {
  cachedData = fs.readFileSync(cacheFile);
} catch {
  cachedData = undefined;
}
const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
  filename: bundle,
  cachedData,
  importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
});
if (cachedData === undefined || script.cachedDataRejected) {
  // Written at exit so that the cache also holds the functions this command
  // compiled; through a temporary file, as many hq processes may race here.
  process.once('exit', () => {
    const temporary = `${cacheFile}.${process.pid}`;
    try {
      fs.writeFileSync(temporary, script.createCachedData());
      fs.renameSync(temporary, cacheFile);
    } catch {
      fs.rmSync(temporary, { force: true });
    }
  });
}
const module = { exports: {} };
(script.runInThisContext() as (...args: unknown[]) => void)(module.exports, createRequire(bundle), module, bundle, dir);
