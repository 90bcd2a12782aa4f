// Where the running code's files are. Normally that is import.meta.url. Code
// restored from the `hq` startup snapshot (src/cli/snapshot-entry.ts) was
// loaded at build time from another place, so the snapshot's entry records
// the directory it runs from, and files beside the bundle (addons, other
// bundles) are found from there.
let recorded: string | undefined;

/** Records the file URL the running bundle stands for. */
export function setCodeLocation(url: string): void {
  recorded = url;
}

/** The recorded location, else `moduleUrl` (the caller's import.meta.url). */
export function codeLocation(moduleUrl: string): string {
  return recorded ?? moduleUrl;
}
