// Entry of the startup snapshot that `hq` starts from. The build runs this file
// once with `node --build-snapshot` and saves the resulting heap (hq.blob):
// the command line's code is then already loaded, and after the rehearsal
// (rehearsal.ts) mostly compiled, when Node starts from it: loading and
// compiling were most of the time a short command used to take. Nothing here
// may touch the terminal, sockets or native addons before the deserialize
// function runs: that happens in the process that runs the command.
//
// hq-exec (native/hq-exec.c) starts `node <flag> --snapshot-blob <dir>/hq.blob -- <dir>
// <arguments>`, where <dir> is where the bundles are now, which need not be
// where they were built.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import v8 from 'node:v8';
import { setCodeLocation } from '../common/code-location.js';
import { main } from './main.js';
import { rehearseCommands } from './rehearsal.js';

// The builder runs the event loop until it is empty before it saves the heap.
void rehearseCommands().then(() => v8.startupSnapshot.setDeserializeMainFunction(runCommand));

function runCommand(): void {
  const dir = process.argv[1] ?? '.';
  setCodeLocation(pathToFileURL(path.join(dir, 'hq-snapshot.cjs')).href);
  // As the process would look when started as `node <dir>/hq.cjs <arguments>`.
  process.argv.splice(1, 1, path.join(dir, 'hq.cjs'));
  main(process.argv.slice(2));
}
