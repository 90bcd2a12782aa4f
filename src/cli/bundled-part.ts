// Loads one of the bundles that lie beside the command line's own (see
// src/build/bundle.ts): code that only some commands need (the server, the
// worker, yargs) is kept out of the bundle every short command loads.
import { createRequire } from 'node:module';
import { codeLocation } from '../common/code-location.js';

export function requireBundledPart(file: string): unknown {
  return createRequire(codeLocation(import.meta.url))(`./${file}`);
}
