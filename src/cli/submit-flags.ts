// Which `hq submit` flags take no value: needed to tell the program apart
// from the options before the parser runs (and for #HQ directives).
export const SUBMIT_BOOLEAN_FLAGS = new Set(['--wait', '--progress', '--task-dir', '--stdin', '--help', '-h']);
