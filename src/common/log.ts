// Server and worker log lines on stderr, in the shape HyperQueue prints:
// `[2026-11-22T10:00:00Z INFO] message`.
export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

// Kept on the global object: the parts of the hq command line are bundled
// separately, and `--debug` given to the command line must reach the copy of
// this module inside the server's or the worker's bundle.
const DEBUG = Symbol.for('hq.debug');
type DebugHolder = { [DEBUG]?: boolean };

const debugEnabled = (): boolean => ((globalThis as DebugHolder)[DEBUG] ??= process.env.HQ_DEBUG === '1');

export function setDebug(on: boolean): void {
  (globalThis as DebugHolder)[DEBUG] = on;
}

function write(level: LogLevel, message: string): void {
  const stamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  process.stderr.write(`[${stamp} ${level}] ${message}\n`);
}

export const log = {
  debug(message: string): void {
    if (debugEnabled()) write('DEBUG', message);
  },
  info(message: string): void {
    write('INFO', message);
  },
  warn(message: string): void {
    write('WARN', message);
  },
  error(message: string): void {
    write('ERROR', message);
  },
};
