// Terminal column width of a string: ANSI escape sequences take no room,
// combining marks take none, East Asian wide characters and emoji take two.

const ESC = 0x1b;
const PLAIN_ASCII = /^[\x20-\x7e]*$/;
const ZERO_WIDTH_MARK = /[\p{Mn}\p{Me}]/u;

// Sorted, non-overlapping [first, last] code point ranges that occupy two columns.
const WIDE_RANGES: ReadonlyArray<readonly [number, number]> = [
  [0x1100, 0x115f], [0x231a, 0x231b], [0x2329, 0x232a], [0x23e9, 0x23ec], [0x23f0, 0x23f0],
  [0x23f3, 0x23f3], [0x25fd, 0x25fe], [0x2614, 0x2615], [0x2648, 0x2653], [0x267f, 0x267f],
  [0x2693, 0x2693], [0x26a1, 0x26a1], [0x26aa, 0x26ab], [0x26bd, 0x26be], [0x26c4, 0x26c5],
  [0x26ce, 0x26ce], [0x26d4, 0x26d4], [0x26ea, 0x26ea], [0x26f2, 0x26f3], [0x26f5, 0x26f5],
  [0x26fa, 0x26fa], [0x26fd, 0x26fd], [0x2705, 0x2705], [0x270a, 0x270b], [0x2728, 0x2728],
  [0x274c, 0x274c], [0x274e, 0x274e], [0x2753, 0x2755], [0x2757, 0x2757], [0x2795, 0x2797],
  [0x27b0, 0x27b0], [0x27bf, 0x27bf], [0x2b1b, 0x2b1c], [0x2b50, 0x2b50], [0x2b55, 0x2b55],
  [0x2e80, 0x303e], [0x3041, 0x33ff], [0x3400, 0x4dbf], [0x4e00, 0x9fff], [0xa000, 0xa4cf],
  [0xa960, 0xa97f], [0xac00, 0xd7a3], [0xf900, 0xfaff], [0xfe10, 0xfe19], [0xfe30, 0xfe6f],
  [0xff00, 0xff60], [0xffe0, 0xffe6], [0x16fe0, 0x16fe4], [0x17000, 0x18cff], [0x1b000, 0x1b2ff],
  [0x1f004, 0x1f004], [0x1f0cf, 0x1f0cf], [0x1f18e, 0x1f18e], [0x1f191, 0x1f19a], [0x1f200, 0x1f251],
  [0x1f300, 0x1f64f], [0x1f680, 0x1f6ff], [0x1f7e0, 0x1f7eb], [0x1f90c, 0x1f9ff], [0x1fa70, 0x1faff],
  [0x20000, 0x3fffd],
];

function isWide(cp: number): boolean {
  let lo = 0;
  let hi = WIDE_RANGES.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const range = WIDE_RANGES[mid]!;
    if (cp < range[0]) hi = mid - 1;
    else if (cp > range[1]) lo = mid + 1;
    else return true;
  }
  return false;
}

/** Columns one code point occupies (0, 1 or 2). Control characters count as 0. */
export function codePointWidth(cp: number): number {
  if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) return 0;
  if (cp < 0x300) return 1;
  // Zero width space/joiners, word joiner family, BOM, Hangul medial vowels.
  if ((cp >= 0x200b && cp <= 0x200f) || (cp >= 0x2060 && cp <= 0x2064) || cp === 0xfeff) return 0;
  if (cp >= 0x1160 && cp <= 0x11ff) return 0;
  if (ZERO_WIDTH_MARK.test(String.fromCodePoint(cp))) return 0;
  return isWide(cp) ? 2 : 1;
}

/** Display width of `text`, skipping CSI (`ESC [ ... final`) and OSC (`ESC ] ... BEL|ST`) sequences. */
export function displayWidth(text: string): number {
  if (PLAIN_ASCII.test(text)) return text.length;
  let width = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const cp = text.codePointAt(i)!;
    i += cp > 0xffff ? 2 : 1;
    if (cp !== ESC) {
      width += codePointWidth(cp);
      continue;
    }
    if (i >= n) break;
    const kind = text.charCodeAt(i++);
    if (kind === 0x5b /* [ */) {
      while (i < n) {
        const c = text.charCodeAt(i++);
        if (c >= 0x40 && c <= 0x7c) break;
      }
    } else if (kind === 0x5d /* ] */) {
      let last = kind;
      while (i < n) {
        const c = text.charCodeAt(i++);
        if (c === 0x07 || (c === 0x5c && last === ESC)) break;
        last = c;
      }
    } else if (kind !== 0x5c /* \ */) {
      // Unknown escape: the byte after ESC is shown as an ordinary character.
      width += codePointWidth(kind);
    }
  }
  return width;
}
