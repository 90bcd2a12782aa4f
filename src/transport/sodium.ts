// libsodium for the transport layer, loaded on first use: the startup
// snapshot that `hq` starts from holds this module, and a native addon can
// only be loaded at run time. sodium-native's own entry point finds its
// compiled addon through a general module resolver that costs several
// milliseconds on every start of `hq`; the prebuilt addon for this platform
// is loaded directly when the package ships one, else through the package.
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Sodium } from 'sodium-native';
import { codeLocation } from '../common/code-location.js';

let loaded: Sodium | undefined;
/** Where locateSodium() found the addon, relative to the running code's directory. */
let located: string | undefined;

const requireHere = () => createRequire(codeLocation(import.meta.url));
const codeDir = () => path.dirname(fileURLToPath(codeLocation(import.meta.url)));

/** The prebuilt addon of this platform in the installed package, or null. */
function prebuiltAddon(): string | null {
  if (process.platform !== 'linux') return null;
  try {
    const root = path.dirname(requireHere().resolve('sodium-native/package.json'));
    const prebuilt = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`, 'sodium-native.node');
    return fs.existsSync(prebuilt) ? prebuilt : null;
  } catch {
    return null;
  }
}

/**
 * Finds the addon without loading it, and remembers where: the builder of
 * the `hq` snapshot calls this, so that a command only checks that the file
 * is still there (relative to the code, which may have moved since).
 */
export function locateSodium(): void {
  const addon = prebuiltAddon();
  if (addon) located = path.relative(codeDir(), addon);
}

function loadSodium(): Sodium {
  const remembered = located === undefined ? null : path.resolve(codeDir(), located);
  const addon = remembered && fs.existsSync(remembered) ? remembered : prebuiltAddon();
  if (addon === null) return requireHere()('sodium-native') as Sodium;
  // The addon alone, without the module loader around it: that takes longer
  // than loading the library itself, a millisecond of every short command.
  const module = { exports: {} };
  process.dlopen(module, addon);
  return module.exports as Sodium;
}

export function libsodium(): Sodium {
  return (loaded ??= loadSodium());
}

/**
 * Puts `standIn` in the addon's place until called with undefined, which
 * makes the next use load the addon. Only the builder of the `hq` snapshot
 * does this, to rehearse connecting where no addon can be loaded; a stand-in
 * cannot pass a real server's handshake, so one left in place would show at
 * the first connection.
 */
export function setSodiumStandIn(standIn: Sodium | undefined): void {
  loaded = standIn;
}
