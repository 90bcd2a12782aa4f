// Private copies of dist/bundle/ for tests of how hq starts. They live inside
// dist/, so that node_modules still resolve from them, and are removed when
// the test ends.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const BUNDLE_DIR = fileURLToPath(new URL('../../bundle/', import.meta.url));

/** A copy of the bundle files that `keep` accepts; hq.cjs stays executable. */
export function copyBundle(t: { after(fn: () => void): void }, keep: (name: string) => boolean): string {
  const dir = fs.mkdtempSync(path.join(BUNDLE_DIR, '..', 'bundle-copy-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  for (const name of fs.readdirSync(BUNDLE_DIR).filter(keep)) fs.copyFileSync(path.join(BUNDLE_DIR, name), path.join(dir, name));
  if (fs.existsSync(path.join(dir, 'hq.cjs'))) fs.chmodSync(path.join(dir, 'hq.cjs'), 0o755);
  return dir;
}
