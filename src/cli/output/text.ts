// Small text helpers shared by the output modes.

/** "job" / "jobs": plural unless the count is exactly one. */
export function pluralize(word: string, count: number): string {
  return count === 1 ? word : `${word}s`;
}

/** Cuts the middle out of `value` so it fits `length` characters, marking the cut with "...". */
export function truncateMiddle(value: string, length: number): string {
  const chars = Array.from(value);
  if (chars.length <= length) return value;
  const room = length - 3;
  const head = Math.ceil(room / 2);
  const tail = Math.floor(room / 2);
  return chars.slice(0, head).join('') + '...' + chars.slice(chars.length - tail).join('');
}

/** Keeps the first `length` characters and appends "..." when `value` is at least that long. */
export function truncateEnd(value: string, length: number): { text: string; truncated: boolean } {
  const chars = Array.from(value);
  if (chars.length < length) return { text: value, truncated: false };
  return { text: chars.slice(0, length).join('') + '...', truncated: true };
}

/**
 * Greedy word wrap to `width` characters. Lines that already fit are kept
 * verbatim; longer ones break at spaces (dropping the spaces at the break)
 * and words longer than a line are split.
 */
export function wrapText(value: string, width: number): string {
  const out: string[] = [];
  for (const paragraph of value.split('\n')) {
    if (Array.from(paragraph).length <= width) {
      out.push(paragraph);
      continue;
    }
    let line = '';
    for (const token of paragraph.match(/ *[^ ]+ */g) ?? []) {
      let word = token;
      while (word.length > 0) {
        const visible = (line + word).trimEnd();
        if (visible.length <= width) {
          line += word;
          word = '';
        } else if (line.trim() !== '') {
          out.push(line.trimEnd());
          line = '';
          word = word.trimStart();
        } else {
          out.push(word.slice(0, width));
          word = word.slice(width);
        }
      }
    }
    out.push(line.trimEnd());
  }
  return out.join('\n');
}

/**
 * Fixed-point decimal with exact ties rounded to even, as Rust's `{:.N}` does
 * (JavaScript's toFixed rounds them up).
 */
export function formatFixed(value: number, digits: number): string {
  const scale = 10 ** digits;
  const scaled = value * scale;
  if (Number.isInteger(value * 2 ** (digits + 1)) && Math.abs(scaled % 1) === 0.5) {
    const down = Math.floor(scaled);
    const even = down % 2 === 0 ? down : down + 1;
    return (even / scale).toFixed(digits);
  }
  return value.toFixed(digits);
}
