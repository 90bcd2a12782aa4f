// Timestamps (milliseconds since the epoch) in the formats HyperQueue prints.

function pad(value: number, width = 2): string {
  return String(value).padStart(width, '0');
}

function utcDateAndTime(ms: number): string {
  const d = new Date(ms);
  return (
    `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`
  );
}

/** RFC 3339 in UTC as JSON output carries it: "2024-01-02T03:04:05Z", or ".250Z" when there are milliseconds. */
export function formatRfc3339(ms: number): string {
  const whole = Math.floor(ms);
  const millis = ((whole % 1000) + 1000) % 1000;
  const base = utcDateAndTime(whole - millis).replace(' ', 'T');
  return millis === 0 ? `${base}Z` : `${base}.${pad(millis, 3)}Z`;
}

/** "2024-01-02 03:04:05 UTC", sub-second part cut off (server start date). */
export function formatUtcTruncated(ms: number): string {
  const whole = Math.floor(ms);
  return `${utcDateAndTime(whole - (((whole % 1000) + 1000) % 1000))} UTC`;
}

/** "2024-01-02 03:04:05 UTC", rounded to the nearest second, halves up (job submission date). */
export function formatUtcRounded(ms: number): string {
  return `${utcDateAndTime(Math.floor((Math.floor(ms) + 500) / 1000) * 1000)} UTC`;
}

/** "02.01.2024 03:04:05" in the local time zone (task start and end). */
export function formatLocalTime(ms: number): string {
  const d = new Date(Math.floor(ms));
  return (
    `${pad(d.getDate())}.${pad(d.getMonth() + 1)}.${pad(d.getFullYear(), 4)} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
  );
}

/** Log line prefix: "2024-01-02T03:04:05Z". */
export function formatLogTimestamp(ms: number): string {
  const whole = Math.floor(ms);
  return `${utcDateAndTime(whole - (((whole % 1000) + 1000) % 1000)).replace(' ', 'T')}Z`;
}
