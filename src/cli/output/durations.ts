// Durations as HyperQueue prints them: "1h 2m 3s 500ms" style, "0s" for zero,
// "7days 8h 9m" with months and years for long spans.

const SECONDS_PER_YEAR = 31_557_600; // 365.25 days
const SECONDS_PER_MONTH = 2_630_016; // 30.44 days

/**
 * Formats a non-negative span of whole seconds plus nanoseconds, listing every
 * non-zero unit from years down to nanoseconds.
 */
export function formatSpan(seconds: number, nanos: number): string {
  if (seconds === 0 && nanos === 0) return '0s';
  const parts: string[] = [];
  const plural = (value: number, name: string): void => {
    if (value > 0) parts.push(`${value}${name}${value > 1 ? 's' : ''}`);
  };
  const unit = (value: number, name: string): void => {
    if (value > 0) parts.push(`${value}${name}`);
  };
  const years = Math.floor(seconds / SECONDS_PER_YEAR);
  const inYear = seconds % SECONDS_PER_YEAR;
  const months = Math.floor(inYear / SECONDS_PER_MONTH);
  const inMonth = inYear % SECONDS_PER_MONTH;
  const days = Math.floor(inMonth / 86_400);
  const inDay = inMonth % 86_400;
  plural(years, 'year');
  plural(months, 'month');
  plural(days, 'day');
  unit(Math.floor(inDay / 3600), 'h');
  unit(Math.floor((inDay % 3600) / 60), 'm');
  unit(inDay % 60, 's');
  unit(Math.floor(nanos / 1_000_000), 'ms');
  unit(Math.floor(nanos / 1000) % 1000, 'us');
  unit(nanos % 1000, 'ns');
  return parts.join(' ');
}

/** Full-precision duration from (possibly fractional) seconds: time limits, heartbeats, wait time. */
export function formatDurationSeconds(seconds: number): string {
  const clamped = Math.max(0, seconds);
  let whole = Math.floor(clamped);
  let nanos = Math.round((clamped - whole) * 1e9);
  if (nanos >= 1e9) {
    whole += 1;
    nanos -= 1e9;
  }
  return formatSpan(whole, nanos);
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
  const total = Math.trunc(ms);
  if (total < 0) return 'Invalid duration';
  if (total >= 3_600_000) return formatSpan(Math.floor(total / 60_000) * 60, 0);
  if (total >= 60_000) return formatSpan(Math.floor(total / 1000), 0);
  return formatSpan(Math.floor(total / 1000), (total % 1000) * 1_000_000);
}
