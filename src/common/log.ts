// Server and worker log lines on stderr, in the shape HyperQueue prints:
// `[2026-11-22T10:00:00Z INFO] message`.
export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

let debugEnabled = process.env.HQ_DEBUG === '1';

export function setDebug(on: boolean): void {
  debugEnabled = on;
}

function write(level: LogLevel, message: string): void {
  const stamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  process.stderr.write(`[${stamp} ${level}] ${message}\n`);
}

export const log = {
  debug(message: string): void {
    if (debugEnabled) write('DEBUG', message);
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
