// Id ranges as HyperQueue's CLI writes them: `--array=1-10,20,30-40:2`,
// `--tasks 3-5`, `hq job cancel 1,3,5-8`. Each item is `start[-end[:step]]`
// (inclusive end), items are separated by commas with optional whitespace,
// numbers may contain `_` separators, and items must not share an id.

import { UserError } from './errors.js';
import { TextCursor } from './text-cursor.js';

export interface IdRange {
  start: number;
  /** Inclusive. */
  end: number;
  step: number;
}

export const MAX_ID = 0xffffffff;

function rangeError(text: string, reason: string): UserError {
  return new UserError(`Invalid id range '${text}': ${reason}`);
}

function readId(cursor: TextCursor, text: string, what: string): number {
  const value = cursor.readU32();
  if (value === undefined) {
    const found = cursor.atEnd() ? 'end of input' : `'${cursor.peek()}'`;
    throw rangeError(text, `expected ${what} at position ${cursor.pos + 1}, found ${found}`);
  }
  if (value === 'overflow') throw rangeError(text, `${what} does not fit into 32 bits`);
  return value;
}

function readRange(cursor: TextCursor, text: string): IdRange {
  const start = readId(cursor, text, 'a number');
  let end: number | undefined;
  let step: number | undefined;
  if (cursor.eat('-')) end = readId(cursor, text, 'the end of the range');
  if (cursor.eat(':')) step = readId(cursor, text, 'a step');
  if (end === undefined) {
    if (step !== undefined) throw rangeError(text, `a step needs a range end (${start}-<end>:${step})`);
    return { start, end: start, step: 1 };
  }
  if (end < start) throw rangeError(text, `range ${start}-${end} ends before it starts`);
  if (step === undefined) return { start, end, step: 1 };
  if (step === 0) throw rangeError(text, 'step must be at least 1');
  if (step > end - start) throw rangeError(text, `step ${step} is larger than range ${start}-${end}`);
  return { start, end, step };
}

/** Parses a comma-separated list of id ranges; rejects ranges that share ids. */
export function parseIdRanges(text: string): IdRange[] {
  const cursor = new TextCursor(text);
  const ranges: IdRange[] = [];
  for (;;) {
    cursor.skipWhitespace();
    ranges.push(readRange(cursor, text));
    cursor.skipWhitespace();
    if (cursor.atEnd()) break;
    if (!cursor.eat(',')) {
      throw rangeError(text, `unexpected '${cursor.peek()}' at position ${cursor.pos + 1}`);
    }
  }
  const overlap = findOverlap(ranges);
  if (overlap !== undefined) throw rangeError(text, `ranges overlap (id ${overlap} is listed twice)`);
  return ranges;
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

/** Modular inverse of `a` modulo `m` (a and m coprime, m >= 1). */
function modInverse(a: bigint, m: bigint): bigint {
  let [oldR, r] = [((a % m) + m) % m, m];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const q = oldR / r;
    [oldR, r] = [r, oldR - q * r];
    [oldS, s] = [s, oldS - q * s];
  }
  return ((oldS % m) + m) % m;
}

/** Smallest id that both progressions contain, if any (Chinese remainder theorem). */
function firstCommonId(a: IdRange, b: IdRange): number | undefined {
  const lo = BigInt(Math.max(a.start, b.start));
  const hi = BigInt(Math.min(a.end, b.end));
  if (lo > hi) return undefined;
  const s = BigInt(a.step);
  const t = BigInt(b.step);
  const diff = BigInt(b.start) - BigInt(a.start);
  const g = gcd(s, t);
  if (diff % g !== 0n) return undefined;
  const tg = t / g;
  const k = tg === 1n ? 0n : ((((diff / g) % tg) + tg) % tg * modInverse(s / g, tg)) % tg;
  const lcm = s * tg;
  let x = BigInt(a.start) + s * k;
  // Move x to the first solution at or above `lo`.
  if (x < lo) x += ((lo - x + lcm - 1n) / lcm) * lcm;
  else x -= ((x - lo) / lcm) * lcm;
  return x <= hi ? Number(x) : undefined;
}

/** An id contained in two of the ranges, or undefined when they are disjoint. */
export function findOverlap(ranges: readonly IdRange[]): number | undefined {
  const sorted = [...ranges].sort((x, y) => x.start - y.start);
  for (let i = 0; i < sorted.length; i++) {
    const a = sorted[i]!;
    for (let j = i + 1; j < sorted.length && sorted[j]!.start <= a.end; j++) {
      const common = firstCommonId(a, sorted[j]!);
      if (common !== undefined) return common;
    }
  }
  return undefined;
}

export function rangeSize(range: IdRange): number {
  return Math.floor((range.end - range.start) / range.step) + 1;
}

/** Number of ids in the ranges (ids listed twice count twice). */
export function countIds(ranges: readonly IdRange[]): number {
  let count = 0;
  for (const range of ranges) count += rangeSize(range);
  return count;
}

/** All ids of the ranges, sorted ascending and without duplicates. */
export function expandIds(ranges: readonly IdRange[]): Uint32Array {
  const ids = new Uint32Array(countIds(ranges));
  let n = 0;
  for (const { start, end, step } of ranges) {
    for (let id = start; id <= end; id += step) ids[n++] = id;
  }
  ids.sort();
  let unique = 0;
  for (let i = 0; i < ids.length; i++) {
    if (i === 0 || ids[i] !== ids[unique - 1]) ids[unique++] = ids[i]!;
  }
  return unique === ids.length ? ids : ids.slice(0, unique);
}

export function idsContain(ranges: readonly IdRange[], id: number): boolean {
  for (const { start, end, step } of ranges) {
    if (id >= start && id <= end && (id - start) % step === 0) return true;
  }
  return false;
}

/**
 * Compact text for a set of ids as HyperQueue prints it: runs of consecutive
 * ids become `a-b`, the rest single ids, e.g. `1-10,20,30-40`.
 */
export function formatIdRanges(ids: Uint32Array | readonly number[]): string {
  const sorted = Uint32Array.from(ids).sort();
  const parts: string[] = [];
  let i = 0;
  while (i < sorted.length) {
    const first = sorted[i]!;
    let last = first;
    i++;
    while (i < sorted.length && sorted[i]! <= last + 1) last = sorted[i++]!;
    parts.push(first === last ? String(first) : `${first}-${last}`);
  }
  return parts.join(',');
}

/** Ranges printed back in the input syntax (`1-10:2,20`). */
export function describeIdRanges(ranges: readonly IdRange[]): string {
  return ranges
    .map(({ start, end, step }) =>
      start === end ? String(start) : step === 1 ? `${start}-${end}` : `${start}-${end}:${step}`,
    )
    .join(',');
}
