import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GroupSolver } from '../../src/core/group-solver.js';
import { RESOURCE_UNIT } from '../../src/core/resources.js';
import { Prng } from './prng.js';

const U = RESOURCE_UNIT;
/** The solver's objective is HyperQueue's times this. */
const SCALE = 32 * U;

interface Entry {
  groups: number;
  amount: number;
  whole: number[];
  partial: number[];
}
type Pair = [e1: number, g1: number, e2: number, g2: number, weight: number];

function feasible(entry: Entry, mask: number): boolean {
  const units = Math.floor(entry.amount / U);
  const fraction = entry.amount - units * U;
  let whole = 0;
  let part = false;
  for (let g = 0; g < entry.groups; g++) {
    if (!(mask & (1 << g))) continue;
    whole += entry.whole[g];
    if (fraction > 0 && entry.partial[g] >= fraction) part = true;
  }
  return whole >= units && (fraction === 0 || part || whole > units);
}

/** HyperQueue's objective of one choice of group masks, written out plainly. */
function objective(entries: Entry[], pairs: Pair[], masks: number[]): number {
  let sum = 0;
  entries.forEach((entry, e) => {
    const fraction = entry.amount % U;
    for (let g = 0; g < entry.groups; g++) {
      if (!(masks[e] & (1 << g))) continue;
      sum -= 1024;
      if (fraction === 0) sum -= entry.whole[g] / 32;
      else if (entry.partial[g] >= fraction) sum += (16 * entry.partial[g]) / U;
    }
  });
  for (const [e1, g1, e2, g2, w] of pairs) if (masks[e1] & (1 << g1) && masks[e2] & (1 << g2)) sum += w;
  return sum;
}

/** The best objective over every combination of feasible masks, or -Infinity. */
function bruteForce(entries: Entry[], pairs: Pair[]): number {
  let best = -Infinity;
  const masks = entries.map(() => 0);
  const visit = (e: number): void => {
    if (e === entries.length) {
      best = Math.max(best, objective(entries, pairs, masks));
      return;
    }
    for (let mask = 1; mask < 1 << entries[e].groups; mask++) {
      if (!feasible(entries[e], mask)) continue;
      masks[e] = mask;
      visit(e + 1);
    }
  };
  visit(0);
  return best;
}

/** Random instances: up to `maxEntries` entries of 2 to `maxGroups` groups, pairs of random weights. */
function checkAgainstBruteForce(seed: number, rounds: number, maxEntries: number, maxGroups: number): number {
  const prng = new Prng(seed);
  const solver = new GroupSolver(maxEntries, maxGroups);
  let solved = 0;
  for (let round = 0; round < rounds; round++) {
    const entries: Entry[] = Array.from({ length: 1 + prng.int(maxEntries) }, () => {
      const groups = 2 + prng.int(maxGroups - 1);
      const whole = Array.from({ length: groups }, () => prng.int(5));
      const partial = Array.from({ length: groups }, () => (prng.chance(0.3) ? prng.pick([2500, 5000, 7500]) : 0));
      const amount = prng.pick([1, 2, 3, 5, 8]) * U + (prng.chance(0.3) ? prng.pick([2500, 5000]) : 0);
      return { groups, amount: prng.chance(0.2) ? prng.pick([2500, 5000]) : amount, whole, partial };
    });
    const pairs: Pair[] = [];
    for (let k = prng.int(7); k > 0; k--) {
      const e1 = prng.int(entries.length);
      const e2 = prng.int(entries.length);
      const g1 = prng.int(entries[e1].groups);
      const g2 = prng.int(entries[e2].groups);
      if (e1 === e2 && g1 === g2) continue;
      // Mostly the default weight; sometimes heavier than a whole group.
      pairs.push([e1, g1, e2, g2, prng.chance(0.15) ? 1500 + prng.int(3000) : prng.pick([1, 64, 256, 256, 700])]);
    }
    solver.reset(entries.length);
    entries.forEach((entry, e) => {
      solver.setEntry(e, entry.groups, entry.amount);
      for (let g = 0; g < entry.groups; g++) solver.setGroup(e, g, entry.whole[g], entry.partial[g]);
    });
    for (const [e1, g1, e2, g2, w] of pairs) solver.addPair(e1, g1, e2, g2, w);
    const expected = bruteForce(entries, pairs);
    const got = solver.solve();
    if (expected === -Infinity) {
      assert.equal(got, -Infinity, `round ${round}`);
      continue;
    }
    solved++;
    assert.ok(Math.abs(got / SCALE - expected) < 1e-6, `round ${round}: solver ${got / SCALE}, best ${expected}`);
    const masks = entries.map((_, e) => solver.chosen[e]);
    masks.forEach((mask, e) => assert.ok(feasible(entries[e], mask), `round ${round}: entry ${e} mask ${mask} is not feasible`));
    assert.ok(Math.abs(objective(entries, pairs, masks) - expected) < 1e-6, `round ${round}: the chosen masks do not score the best`);
  }
  return solved;
}

test('the group solver finds the best choice an exhaustive search finds', () => {
  const solved = checkAgainstBruteForce(11, 1500, 3, 5);
  assert.ok(solved > 500, `only ${solved} solvable instances`);
  // Fewer, larger instances: two entries of up to 8 groups.
  assert.ok(checkAgainstBruteForce(5, 30, 2, 8) > 10);
});

test('the group solver: ties go to the lowest group numbers', () => {
  const solver = new GroupSolver(2, 4);
  solver.reset(2);
  for (let e = 0; e < 2; e++) {
    solver.setEntry(e, 4, 2 * U);
    for (let g = 0; g < 4; g++) solver.setGroup(e, g, 2, 0);
  }
  // Two equally good pairs: 1 with 1, 3 with 3.
  solver.addPair(0, 3, 1, 3, 256);
  solver.addPair(0, 1, 1, 1, 256);
  solver.solve();
  assert.deepEqual([solver.chosen[0], solver.chosen[1]], [0b0010, 0b0010]);
});
