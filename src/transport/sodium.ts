// libsodium for the transport layer. sodium-native's own entry point finds
// its compiled addon through a general module resolver that costs several
// milliseconds on every start of `hq`; the prebuilt addon for this platform
// is loaded directly when the package ships one, else through the package.
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import type { Sodium } from 'sodium-native';

function loadSodium(): Sodium {
  const require = createRequire(import.meta.url);
  try {
    const root = path.dirname(require.resolve('sodium-native/package.json'));
    const prebuilt = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`, 'sodium-native.node');
    if (process.platform === 'linux' && fs.existsSync(prebuilt)) return require(prebuilt) as Sodium;
  } catch {
    // fall through to the package's own loader
  }
  return require('sodium-native') as Sodium;
}

export const sodium: Sodium = loadSodium();
