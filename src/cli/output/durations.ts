// Durations as HyperQueue prints them, from the units the output code has at
// hand (seconds or milliseconds); the formatting itself lives with the parser.
import { formatDuration, formatElapsed } from '../../common/duration.js';

/** Full-precision duration from (possibly fractional) seconds: time limits, heartbeats, wait time. */
export function formatDurationSeconds(seconds: number): string {
  return formatDuration(Math.max(0, seconds));
}

/** Full-precision duration from milliseconds. */
export function formatDurationMs(ms: number): string {
  return formatDurationSeconds(ms / 1000);
}

/**
 * Makespan-style duration from milliseconds, truncated to a readable precision:
 * minutes once it reaches an hour, seconds once it reaches a minute,
 * milliseconds below that. Negative spans print as "Invalid duration".
 */
export function humanDuration(ms: number): string {
  return formatElapsed(Math.trunc(ms) / 1000);
}
