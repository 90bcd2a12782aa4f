// Durations as HyperQueue reads and prints them. Input uses the `humantime`
// crate's syntax: integer + unit pairs such as `1h 30min`, `2h15m`, `90sec`,
// `500ms` (no fractions, a unit is required). `hq alloc add --time-limit`
// also takes `[[HH:]MM:]SS`. Output follows humantime's formatter (`2h 37m`,
// `7days 8h 9m`), and elapsed times are first truncated the way HQ's tables do.

import { UserError } from './errors.js';
import { isWhitespace, TextCursor } from './text-cursor.js';

const NANOS_PER_SECOND = 1_000_000_000n;
const U64_LIMIT = 1n << 64n;
const SECONDS_PER_MONTH = 2_630_016n; // 30.44 days
const SECONDS_PER_YEAR = 31_557_600n; // 365.25 days

/** [seconds, nanoseconds] per unit name. */
const UNITS = new Map<string, [bigint, bigint]>();
function defineUnit(names: string[], seconds: bigint, nanos: bigint): void {
  for (const name of names) UNITS.set(name, [seconds, nanos]);
}
defineUnit(['nanos', 'nsec', 'ns'], 0n, 1n);
defineUnit(['usec', 'us', 'µs'], 0n, 1_000n);
defineUnit(['millis', 'msec', 'ms'], 0n, 1_000_000n);
defineUnit(['seconds', 'second', 'secs', 'sec', 's'], 1n, 0n);
defineUnit(['minutes', 'minute', 'min', 'mins', 'm'], 60n, 0n);
defineUnit(['hours', 'hour', 'hr', 'hrs', 'h'], 3600n, 0n);
defineUnit(['days', 'day', 'd'], 86_400n, 0n);
defineUnit(['weeks', 'week', 'w'], 604_800n, 0n);
defineUnit(['months', 'month', 'M'], SECONDS_PER_MONTH, 0n);
defineUnit(['years', 'year', 'y'], SECONDS_PER_YEAR, 0n);

class DurationSyntaxError extends Error {}

function checkU64(value: bigint): bigint {
  if (value >= U64_LIMIT) throw new DurationSyntaxError('number is too large');
  return value;
}

function isUnitLetter(ch: string): boolean {
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

/** Parses humantime text into [seconds, nanoseconds]. */
function parseHumantime(text: string): [bigint, bigint] {
  const chars = Array.from(text);
  let i = 0;
  let seconds = 0n;
  let nanos = 0n;

  const addUnit = (value: bigint, unit: string): void => {
    const scale = UNITS.get(unit);
    if (scale === undefined) {
      if (unit === '') throw new DurationSyntaxError(`time unit needed, for example ${value}sec or ${value}ms`);
      throw new DurationSyntaxError(`unknown time unit '${unit}' (use ns, us, ms, sec, min, hours, days, weeks, months or years)`);
    }
    nanos = checkU64(nanos + checkU64(value * scale[1]));
    let addSeconds = checkU64(value * scale[0]);
    if (nanos > NANOS_PER_SECOND) {
      addSeconds = checkU64(addSeconds + nanos / NANOS_PER_SECOND);
      nanos %= NANOS_PER_SECOND;
    }
    seconds = checkU64(seconds + addSeconds);
  };

  // A number starts after optional whitespace; only whitespace may follow the last unit.
  const firstDigit = (): bigint | undefined => {
    const at = i;
    while (i < chars.length) {
      const ch = chars[i++]!;
      if (ch >= '0' && ch <= '9') return BigInt(ch);
      if (!isWhitespace(ch)) throw new DurationSyntaxError(`expected a number at position ${at + 1}`);
    }
    return undefined;
  };

  let value = firstDigit();
  if (value === undefined) throw new DurationSyntaxError('value was empty');
  for (;;) {
    // Rest of the number; whitespace inside it is skipped, a letter starts the unit.
    while (i < chars.length) {
      const ch = chars[i]!;
      if (ch >= '0' && ch <= '9') value = checkU64(value * 10n + BigInt(ch));
      else if (isUnitLetter(ch) || ch === 'µ') break;
      else if (!isWhitespace(ch)) throw new DurationSyntaxError(`invalid character '${ch}' at position ${i + 1}`);
      i++;
    }
    const unitStart = i;
    if (i < chars.length) i++; // first unit character
    let nextNumber: bigint | undefined;
    while (i < chars.length) {
      const ch = chars[i]!;
      if (ch >= '0' && ch <= '9') {
        nextNumber = BigInt(ch);
        break;
      }
      if (isWhitespace(ch)) break;
      if (!isUnitLetter(ch)) throw new DurationSyntaxError(`invalid character '${ch}' at position ${i + 1}`);
      i++;
    }
    addUnit(value, chars.slice(unitStart, i).join(''));
    if (nextNumber !== undefined) {
      i++;
      value = nextNumber;
      continue;
    }
    const next = firstDigit();
    if (next === undefined) return [seconds, nanos];
    value = next;
  }
}

function toSeconds([seconds, nanos]: [bigint, bigint]): number {
  return Number(seconds) + Number(nanos) / 1e9;
}

/** Parses a humantime duration (`1h 30m`, `90sec`, `500ms`) into seconds. */
export function parseDuration(text: string): number {
  try {
    return toSeconds(parseHumantime(text));
  } catch (error) {
    if (error instanceof DurationSyntaxError) throw new UserError(`Invalid duration '${text}': ${error.message}`);
    throw error;
  }
}

/** Parses `[[HH:]MM:]SS` (parts may be zero padded or use `_` separators) into seconds. */
function parseHms(text: string): number | undefined {
  const cursor = new TextCursor(text);
  const parts: number[] = [];
  for (;;) {
    const value = cursor.readU32();
    if (value === undefined || value === 'overflow') return undefined;
    parts.push(value);
    if (parts.length === 3 || !cursor.eat(':')) break;
  }
  if (!cursor.atEnd()) return undefined;
  let seconds = 0;
  for (const part of parts) seconds = seconds * 60 + part;
  return seconds;
}

/** A walltime for allocation queues: `HH:MM:SS` (or `MM:SS`, `SS`) or a humantime duration. */
export function parseHmsOrDuration(text: string): number {
  const hms = parseHms(text);
  if (hms !== undefined) return hms;
  try {
    return toSeconds(parseHumantime(text));
  } catch (error) {
    if (!(error instanceof DurationSyntaxError)) throw error;
    throw new UserError(`Invalid time '${text}': use HH:MM:SS or a duration such as 2hours (${error.message})`);
  }
}

function splitSeconds(seconds: number): [bigint, number] {
  if (!Number.isFinite(seconds) || seconds <= 0) return [0n, 0];
  const whole = Math.floor(seconds);
  let nanos = Math.round((seconds - whole) * 1e9);
  let secs = BigInt(whole);
  if (nanos >= 1e9) {
    secs += 1n;
    nanos -= 1e9;
  }
  return [secs, nanos];
}

/** Formats like humantime's `format_duration`: `2h 37m`, `32ms`, `1year 2months 3days`. */
export function formatDuration(seconds: number): string {
  const [secs, nanos] = splitSeconds(seconds);
  if (secs === 0n && nanos === 0) return '0s';
  const years = secs / SECONDS_PER_YEAR;
  const yearRest = secs % SECONDS_PER_YEAR;
  const months = yearRest / SECONDS_PER_MONTH;
  const monthRest = yearRest % SECONDS_PER_MONTH;
  const days = monthRest / 86_400n;
  const daySeconds = Number(monthRest % 86_400n);
  const parts: string[] = [];
  const plural = (value: bigint, name: string): void => {
    if (value > 0n) parts.push(`${value}${name}${value > 1n ? 's' : ''}`);
  };
  const item = (value: number, name: string): void => {
    if (value > 0) parts.push(`${value}${name}`);
  };
  plural(years, 'year');
  plural(months, 'month');
  plural(days, 'day');
  item(Math.floor(daySeconds / 3600), 'h');
  item(Math.floor((daySeconds % 3600) / 60), 'm');
  item(daySeconds % 60, 's');
  item(Math.floor(nanos / 1_000_000), 'ms');
  item(Math.floor(nanos / 1000) % 1000, 'us');
  item(nanos % 1000, 'ns');
  return parts.join(' ');
}

/**
 * Formats an elapsed time the way HyperQueue's tables do: at least an hour is
 * shown to the minute, at least a minute to the second, anything shorter to
 * the millisecond (`3h 5m`, `1m 2s`, `1s 500ms`).
 */
export function formatElapsed(seconds: number): string {
  if (!(seconds >= 0)) return 'Invalid duration';
  const micros = Math.round(seconds * 1e6);
  const totalSeconds = Math.floor(micros / 1e6);
  if (totalSeconds >= 3600) return formatDuration(Math.floor(totalSeconds / 60) * 60);
  if (totalSeconds >= 60) return formatDuration(totalSeconds);
  return formatDuration(Math.floor(micros / 1000) / 1000);
}
