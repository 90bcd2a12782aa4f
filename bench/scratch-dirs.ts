// Temporary directories of a benchmark run, and when they are removed.
//
// Deleting many files makes creating files slow for minutes afterwards on a
// file system like this machine's (ext4 without a journal skips inodes freed
// in the last 60-360 s, checking each one through the buffer cache; see
// docs/performance.md). A run that creates tens of thousands of output files
// must not pay for the previous run's deletion, so such directories can be
// kept until the whole benchmark ends.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const live = new Set<string>();

/** A new directory under the system's temporary directory. */
export function makeScratchDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  live.add(dir);
  return dir;
}

/** Done with `dir`: removed now, or with removeScratchDirs() at the end of the run. */
export function releaseScratchDir(dir: string, when: 'now' | 'at-end'): void {
  if (when === 'at-end') return;
  fs.rmSync(dir, { recursive: true, force: true });
  live.delete(dir);
}

/** Removes every directory still held: at the end of the run, or when it is interrupted. */
export function removeScratchDirs(): void {
  for (const dir of live) fs.rmSync(dir, { recursive: true, force: true });
  live.clear();
}
