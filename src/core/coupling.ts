import { UserError } from '../common/errors.js';

/** Weight of a coupled pair of groups written without `=WEIGHT`. */
export const DEFAULT_COUPLING_WEIGHT = 256;
const MAX_COUPLING_WEIGHT = 0xffff;

/** Group `group1` of `resource1` goes with group `group2` of `resource2` (possibly the same resource). */
export interface CouplingPair {
  resource1: string;
  group1: number;
  resource2: string;
  group2: number;
  weight: number;
}

const NAME = '[A-Za-z][A-Za-z0-9/]*';
const PAIR = new RegExp(`^(${NAME})\\s*\\[\\s*(\\d+)\\s*\\]\\s*:\\s*(${NAME})\\s*\\[\\s*(\\d+)\\s*\\]\\s*(?:=\\s*(\\d+))?$`);
const PLAIN = new RegExp(`^${NAME}$`);

/**
 * Splits the text of `hq worker start --coupling` into its items, checking
 * their syntax: `NAME[GROUP]:NAME[GROUP]` with an optional `=WEIGHT`, or a
 * plain resource name (the older form: group i of each named resource goes
 * with group i of the others). Items are returned as written, trimmed; the
 * worker's allocator resolves them against its resources.
 */
export function splitCouplingText(text: string): string[] {
  const items = text.split(',').map((item) => item.trim());
  for (const item of items) parseItem(item);
  return items;
}

/**
 * The coupled pairs of groups the items describe, checked against the
 * worker's resources: `groupCount` gives the number of groups of an indexed
 * resource, undefined for a sum resource or one the worker lacks.
 */
export function couplingPairs(items: readonly string[], groupCount: (name: string) => number | undefined): CouplingPair[] {
  const pairs: CouplingPair[] = [];
  const names: string[] = [];
  const groupsOf = (name: string): number => {
    const count = groupCount(name);
    if (count === undefined) throw new UserError(`coupled resource '${name}' is not an indexed resource of the worker`);
    if (count < 2) throw new UserError(`coupled resource '${name}' has only a single group`);
    return count;
  };
  for (const item of items) {
    const parsed = parseItem(item);
    if (typeof parsed === 'string') {
      if (!names.includes(parsed)) names.push(parsed);
      continue;
    }
    for (const [name, group] of [
      [parsed.resource1, parsed.group1],
      [parsed.resource2, parsed.group2],
    ] as const) {
      const count = groupsOf(name);
      if (group >= count) throw new UserError(`invalid group ${group} of coupled resource '${name}': it has groups 0-${count - 1}`);
    }
    pairs.push(parsed);
  }
  if (names.length === 1) throw new UserError(`coupling needs at least two resources, got only '${names[0]}'`);
  if (names.length > 1) {
    const count = groupsOf(names[0]);
    for (const name of names) {
      if (groupsOf(name) !== count) throw new UserError(`coupled resources need the same number of groups: '${names[0]}' has ${count}, '${name}' has ${groupsOf(name)}`);
    }
    for (let a = 0; a < names.length; a++) {
      for (let b = a + 1; b < names.length; b++) {
        for (let g = 0; g < count; g++) pairs.push({ resource1: names[a], group1: g, resource2: names[b], group2: g, weight: DEFAULT_COUPLING_WEIGHT });
      }
    }
  }
  const seen = new Set<string>();
  for (const pair of pairs) {
    // The same pair written the other way round is the same pair.
    const a = `${pair.resource1}[${pair.group1}]`;
    const b = `${pair.resource2}[${pair.group2}]`;
    if (a === b) throw new UserError(`coupling '${a}:${b}' couples a group with itself`);
    const key = a < b ? `${a}:${b}` : `${b}:${a}`;
    if (seen.has(key)) throw new UserError(`coupling of ${key} is given twice`);
    seen.add(key);
  }
  return pairs;
}

function parseItem(item: string): CouplingPair | string {
  if (PLAIN.test(item)) return item;
  const m = PAIR.exec(item);
  if (m === null) throw new UserError(`invalid coupling '${item}': expected NAME[GROUP]:NAME[GROUP], optionally with =WEIGHT, or a resource name`);
  const weight = m[5] === undefined ? DEFAULT_COUPLING_WEIGHT : Number(m[5]);
  if (weight < 1 || weight > MAX_COUPLING_WEIGHT) throw new UserError(`invalid coupling weight ${m[5]} in '${item}': expected 1-${MAX_COUPLING_WEIGHT}`);
  return { resource1: m[1], group1: Number(m[2]), resource2: m[3], group2: Number(m[4]), weight };
}
