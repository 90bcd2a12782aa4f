// Status lines the client writes to stderr ("2024-01-02T03:04:05Z INFO Job 1
// canceled ..."): results of cancel/stop requests and notices. They never go
// to stdout, so they cannot disturb scripts parsing json or quiet output.

import { paint, type TextStyle } from './ansi.js';
import { formatLogTimestamp } from './datetimes.js';

export type LogLevel = 'ERROR' | 'WARN' | 'INFO';

const LEVEL_STYLE: Record<LogLevel, TextStyle> = {
  ERROR: { color: 'red', bold: true },
  WARN: { color: 'yellow', bold: true },
  INFO: { color: 'green', bold: true },
};

/** One log line, newline included. */
export function formatLogLine(level: LogLevel, message: string, nowMs: number, colors: boolean): string {
  const timestamp = paint(formatLogTimestamp(nowMs), { color: 'black' }, colors);
  return `${timestamp} ${paint(level, LEVEL_STYLE[level], colors)} ${message}\n`;
}
