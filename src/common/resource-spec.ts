// Resource syntax of HyperQueue's CLI.
//
// Worker pools (`hq worker start --resource NAME=DEF`), DEF being one of
//   [a, b, "c d"]         indexed pool of named values (quotes allow , [ ] and spaces)
//   [[0, 1], [2, 3]]      indexed pool split into groups (one group = a plain list)
//   range(1-16)           indexed pool 1..16
//   NxM                   N groups of M indices numbered from 0 (1xM = range(0-(M-1)))
//   sum(65536)            sum pool of that size (up to four decimal places)
// Task requests (`hq submit --resource NAME=REQ`), REQ being `all` or
// `AMOUNT [POLICY]` with POLICY one of compact, compact!, tight, tight!, scatter.
// Resource names start with an ASCII letter and continue with letters, digits or `/`.

import { UserError } from './errors.js';
import { formatResourceAmount, readResourceAmount } from './resource-amount.js';
import { isAsciiDigit, isAsciiLetter, isWhitespace, TextCursor } from './text-cursor.js';

export type ResourceKind = 'list' | 'groups' | 'range' | 'sum';

/** What a worker offers of one resource. */
export interface ResourcePool {
  kind: ResourceKind;
  /** Indices per group: one group for list and range (range expanded), none for sum. */
  groups: string[][];
  /** Size of a sum pool; 0 for indexed pools. */
  sum: number;
}

export interface ResourceDescriptor extends ResourcePool {
  name: string;
}

export type AllocationPolicy = 'compact' | 'compact!' | 'tight' | 'tight!' | 'scatter';

/** `amount` of a request for all of a worker's resource. */
export const ALL_RESOURCES = -1;

export interface AllocationRequest {
  /** Units requested, may be fractional; ALL_RESOURCES for `all`. */
  amount: number;
  policy: AllocationPolicy;
}

export interface ResourceRequest extends AllocationRequest {
  name: string;
}

/** Indexed pools larger than this are refused rather than expanded. */
export const MAX_POOL_INDICES = 1 << 20;

// Longer names first so `compact!` is not read as `compact` followed by `!`.
const POLICIES: readonly AllocationPolicy[] = ['compact!', 'compact', 'tight!', 'tight', 'scatter'];

/** A grammar violation; the caller wraps it into a UserError naming the whole value. */
class SpecError extends Error {}

function found(cursor: TextCursor): string {
  return cursor.atEnd() ? 'end of input' : `'${cursor.peek()}' at position ${cursor.pos + 1}`;
}

function expect(cursor: TextCursor, token: string, padded: boolean): void {
  if (padded ? cursor.eatPadded(token) : cursor.eat(token)) return;
  throw new SpecError(`expected '${token}', found ${found(cursor)}`);
}

function readU32(cursor: TextCursor, what: string): number {
  const value = cursor.readU32();
  if (value === undefined) throw new SpecError(`expected ${what}, found ${found(cursor)}`);
  if (value === 'overflow') throw new SpecError(`${what} does not fit into 32 bits`);
  return value;
}

export function isValidResourceName(name: string): boolean {
  return /^[A-Za-z][A-Za-z0-9/]*$/.test(name);
}

function readResourceName(cursor: TextCursor): string {
  if (!isAsciiLetter(cursor.peek())) {
    throw new SpecError(`expected a resource name starting with a letter, found ${found(cursor)}`);
  }
  const start = cursor.pos;
  cursor.pos++;
  while (isAsciiLetter(cursor.peek()) || isAsciiDigit(cursor.peek()) || cursor.peek() === '/') cursor.pos++;
  return cursor.text.slice(start, cursor.pos);
}

function isBareValueChar(ch: string): boolean {
  return ch !== '' && ch !== ',' && ch !== '[' && ch !== ']' && ch !== '"' && !isWhitespace(ch);
}

/** One pool value: bare text, or text in double quotes. */
function readPoolValue(cursor: TextCursor): string {
  cursor.skipWhitespace();
  let value: string;
  if (cursor.eat('"')) {
    const end = cursor.text.indexOf('"', cursor.pos);
    if (end < 0) throw new SpecError('unterminated quoted value');
    if (end === cursor.pos) throw new SpecError('empty quoted value');
    value = cursor.text.slice(cursor.pos, end);
    cursor.pos = end + 1;
  } else {
    const start = cursor.pos;
    while (isBareValueChar(cursor.peek())) cursor.pos++;
    if (cursor.pos === start) throw new SpecError(`expected a value, found ${found(cursor)}`);
    value = cursor.text.slice(start, cursor.pos);
  }
  cursor.skipWhitespace();
  return value;
}

/** `[v, v, ...]`, possibly empty. */
function readValueList(cursor: TextCursor): string[] {
  expect(cursor, '[', true);
  const values: string[] = [];
  if (cursor.eatPadded(']')) return values;
  for (;;) {
    values.push(readPoolValue(cursor));
    if (cursor.eatPadded(']')) return values;
    if (!cursor.eatPadded(',')) throw new SpecError(`expected ',' or ']', found ${found(cursor)}`);
  }
}

function checkUnique(values: Iterable<string>): void {
  const seen = new Set<string>();
  for (const value of values) {
    if (seen.has(value)) throw new SpecError(`value '${value}' is listed twice`);
    seen.add(value);
  }
}

function listPool(values: string[]): ResourcePool {
  checkUnique(values);
  return { kind: 'list', groups: [values], sum: 0 };
}

function rangePool(start: number, end: number): ResourcePool {
  if (start > end) throw new SpecError(`range ${start}-${end} ends before it starts`);
  if (end - start + 1 > MAX_POOL_INDICES) {
    throw new SpecError(`range ${start}-${end} has more than ${MAX_POOL_INDICES} indices`);
  }
  const ids: string[] = [];
  for (let id = start; id <= end; id++) ids.push(String(id));
  return { kind: 'range', groups: [ids], sum: 0 };
}

/** `N` groups of `M` indices numbered from zero. */
export function regularGroupsPool(groupCount: number, groupSize: number): ResourcePool {
  if (groupCount < 1 || groupSize < 1) throw new SpecError(`${groupCount}x${groupSize} describes no indices`);
  if (groupCount * groupSize > MAX_POOL_INDICES) {
    throw new SpecError(`${groupCount}x${groupSize} has more than ${MAX_POOL_INDICES} indices`);
  }
  if (groupCount === 1) return rangePool(0, groupSize - 1);
  const groups: string[][] = [];
  for (let g = 0; g < groupCount; g++) {
    const group: string[] = [];
    for (let i = 0; i < groupSize; i++) group.push(String(g * groupSize + i));
    groups.push(group);
  }
  return { kind: 'groups', groups, sum: 0 };
}

function readBracketPool(cursor: TextCursor): ResourcePool {
  const afterBracket = new TextCursor(cursor.text);
  afterBracket.pos = cursor.pos + 1;
  afterBracket.skipWhitespace();
  if (afterBracket.peek() !== '[') {
    const values = readValueList(cursor);
    if (values.length === 0) throw new SpecError('a list needs at least one value');
    return listPool(values);
  }
  expect(cursor, '[', true);
  const groups: string[][] = [];
  for (;;) {
    const group = readValueList(cursor);
    if (group.length === 0) throw new SpecError('each group needs at least one value');
    groups.push(group);
    if (cursor.eatPadded(']')) break;
    if (!cursor.eatPadded(',')) throw new SpecError(`expected ',' or ']', found ${found(cursor)}`);
  }
  checkUnique(groups.flat());
  return groups.length === 1 ? listPool(groups[0]!) : { kind: 'groups', groups, sum: 0 };
}

function readPool(cursor: TextCursor): ResourcePool {
  const first = cursor.peek();
  if (isAsciiDigit(first)) {
    const groupCount = readU32(cursor, 'a number');
    expect(cursor, 'x', false);
    const groupSize = readU32(cursor, 'a group size');
    return regularGroupsPool(groupCount, groupSize);
  }
  if (first === '[') return readBracketPool(cursor);
  const keywordStart = cursor.pos;
  const keyword = cursor.readIdentifier();
  if (keyword === 'range') {
    expect(cursor, '(', true);
    const start = readU32(cursor, 'the range start');
    expect(cursor, '-', true);
    const end = readU32(cursor, 'the range end');
    expect(cursor, ')', true);
    return rangePool(start, end);
  }
  if (keyword === 'sum') {
    expect(cursor, '(', true);
    const amount = readResourceAmount(cursor);
    if (amount === undefined) throw new SpecError(`expected the sum size, found ${found(cursor)}`);
    if (!amount.ok) throw new SpecError(amount.reason);
    expect(cursor, ')', true);
    if (amount.amount === 0) throw new SpecError('a sum pool cannot be empty');
    return { kind: 'sum', groups: [], sum: amount.amount };
  }
  cursor.pos = keywordStart;
  throw new SpecError(`expected [values], [[group], ...], NxM, range(start-end) or sum(size), found ${found(cursor)}`);
}

function expectEnd(cursor: TextCursor): void {
  if (!cursor.atEnd()) throw new SpecError(`unexpected ${found(cursor)}`);
}

/** Parses just the pool definition (the part after `NAME=`). */
export function parseResourcePool(text: string, what = 'resource definition'): ResourcePool {
  const cursor = new TextCursor(text);
  try {
    const pool = readPool(cursor);
    expectEnd(cursor);
    return pool;
  } catch (error) {
    if (error instanceof SpecError) throw new UserError(`Invalid ${what} '${text}': ${error.message}`);
    throw error;
  }
}

/** Parses a worker `--resource NAME=DEF` value. */
export function parseResourceDescriptor(text: string): ResourceDescriptor {
  const cursor = new TextCursor(text);
  try {
    cursor.skipWhitespace();
    const name = readResourceName(cursor);
    expect(cursor, '=', true);
    const pool = readPool(cursor);
    expectEnd(cursor);
    return { name, ...pool };
  } catch (error) {
    if (error instanceof SpecError) throw new UserError(`Invalid resource definition '${text}': ${error.message}`);
    throw error;
  }
}

function readAllocationRequest(cursor: TextCursor): AllocationRequest {
  const first = cursor.peek();
  if (isAsciiLetter(first) || first === '_') {
    const keyword = cursor.readIdentifier();
    if (keyword !== 'all') throw new SpecError(`expected an amount or 'all', found '${keyword}'`);
    expectEnd(cursor);
    return { amount: ALL_RESOURCES, policy: 'compact' };
  }
  cursor.skipWhitespace();
  const read = readResourceAmount(cursor);
  if (read === undefined) throw new SpecError(`expected an amount or 'all', found ${found(cursor)}`);
  if (!read.ok) throw new SpecError(read.reason);
  cursor.skipWhitespace();
  const policy = POLICIES.find((name) => cursor.eat(name)) ?? 'compact';
  if (!cursor.atEnd()) {
    throw new SpecError(`unexpected ${found(cursor)} (policies: compact, compact!, tight, tight!, scatter)`);
  }
  if (read.amount === 0) throw new SpecError('zero resources cannot be requested');
  if (read.fractional && (policy === 'compact!' || policy === 'tight!')) {
    throw new SpecError(`policy ${policy} needs a whole number of resources`);
  }
  return { amount: read.amount, policy };
}

/** Parses an amount with an optional policy, or `all` (the value of `--cpus` for tasks). */
export function parseAllocationRequest(text: string, what = 'resource request'): AllocationRequest {
  const cursor = new TextCursor(text);
  try {
    return readAllocationRequest(cursor);
  } catch (error) {
    if (error instanceof SpecError) throw new UserError(`Invalid ${what} '${text}': ${error.message}`);
    throw error;
  }
}

/** Parses a task `--resource NAME=REQUEST` value. */
export function parseResourceRequest(text: string): ResourceRequest {
  const cursor = new TextCursor(text);
  try {
    const name = readResourceName(cursor);
    expect(cursor, '=', true);
    return { name, ...readAllocationRequest(cursor) };
  } catch (error) {
    if (error instanceof SpecError) throw new UserError(`Invalid resource request '${text}': ${error.message}`);
    throw error;
  }
}

/** `2 compact`, `0.5 scatter`, `all`, as HyperQueue prints a request. */
export function formatAllocationRequest(request: AllocationRequest): string {
  if (request.amount === ALL_RESOURCES) return 'all';
  return `${formatResourceAmount(request.amount)} ${request.policy}`;
}

/** A pool in definition syntax: `[0,1]`, `[[0,1],[2,3]]`, `range(0-7)`, `sum(1024)`. */
export function formatResourcePool(pool: ResourcePool): string {
  switch (pool.kind) {
    case 'list':
      return `[${pool.groups[0]!.join(',')}]`;
    case 'groups':
      return `[${pool.groups.map((group) => `[${group.join(',')}]`).join(',')}]`;
    case 'range': {
      const ids = pool.groups[0]!;
      return ids.length === 1 ? `[${ids[0]}]` : `range(${ids[0]}-${ids[ids.length - 1]})`;
    }
    case 'sum':
      return `sum(${formatResourceAmount(pool.sum)})`;
  }
}

/** The size of a pool in summary form: `8`, `2x4`, `5x2 1x6`, or the sum. */
export function summarizeResourcePool(pool: ResourcePool): string {
  if (pool.kind === 'sum') return formatResourceAmount(pool.sum);
  if (pool.groups.length === 1) return String(pool.groups[0]!.length);
  const groupsBySize = new Map<number, number>();
  for (const group of pool.groups) groupsBySize.set(group.length, (groupsBySize.get(group.length) ?? 0) + 1);
  return [...groupsBySize]
    .sort((a, b) => a[0] - b[0])
    .map(([size, count]) => `${count}x${size}`)
    .join(' ');
}
