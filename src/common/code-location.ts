// Where the running code's files are. Normally that is import.meta.url. Code
// restored from a startup snapshot (the `hq` executable, see
// src/cli/snapshot-entry.ts) was loaded at build time from another place, so
// its entry records the directory it runs from, and files beside the bundle
// (addons, other bundles) are found from there.
const LOCATION = Symbol.for('hq.codeLocation');
type LocationHolder = { [LOCATION]?: string };

/** Records the file URL the running bundle stands for. */
export function setCodeLocation(url: string): void {
  (globalThis as LocationHolder)[LOCATION] = url;
}

/** The recorded location, else `moduleUrl` (the caller's import.meta.url). */
export function codeLocation(moduleUrl: string): string {
  return (globalThis as LocationHolder)[LOCATION] ?? moduleUrl;
}
