import { RESOURCE_UNIT } from './resources.js';

// The objective, in integer units so that equal choices compare equal:
// HyperQueue's objective (per group taken -1024, minus whole free indices / 32
// or plus 16 x the best fitting free part; plus the weight of each coupled pair
// taken) multiplied by SCALE.
const SCALE = 32 * RESOURCE_UNIT;
const GROUP_COST = 1024 * SCALE;
const WHOLE_TIE = RESOURCE_UNIT; // (1 / 32) * SCALE per whole free index
const PART_BONUS = 512; // 16 * SCALE / RESOURCE_UNIT per fixed-point unit of the free part
/** Tolerance of the strict-policy comparison with the idle worker (0.1 of the unscaled objective). */
export const OBJECTIVE_TOLERANCE = SCALE / 10;
/** Most groups a coupled resource may have: group sets are bit masks. */
export const MAX_COUPLED_GROUPS = 30;
/** Group sets the search may look at per solve; the greedy choice is kept when it runs out. */
const MAX_VISITS = 1 << 17;

/**
 * Chooses the groups each coupled request entry takes its indices from, the
 * way HyperQueue's NUMA solver does. Entries are indexed resources split into
 * groups, asked with compact or tight policies; pairs of groups (of two
 * entries, or two groups of one entry) carry weights. It maximises
 *
 *   sum over entries e, groups g taken by e of value(e, g)
 *   + the weight of every pair whose two groups are both taken,
 *
 * where value(e, g) is -1024 (so fewer groups always come first, unless
 * weights outweigh a group), minus the whole free indices of g / 32 (a whole
 * amount prefers tightly filled groups) or, for an amount with a fraction,
 * plus 16 x the free part of g's best fitting partly used index. Each entry's
 * groups must hold its whole indices, and its fraction on a fitting partly
 * used index or on one more whole index. The search is exact; ties go to the
 * lowest group numbers. Only the groups are chosen here: which indices of
 * them, and how many from each, is up to the allocator and the policy.
 */
export class GroupSolver {
  private readonly maxGroups: number;
  private entryCount = 0;
  private readonly groupCount: Int32Array;
  private readonly units: Float64Array;
  private readonly fraction: Float64Array;
  /** Whole free indices, per entry and group: [entry * maxGroups + group]. */
  private readonly whole: Int32Array;
  /** Free part of the emptiest partly used index, per entry and group (fixed point; 0 = none). */
  private readonly partial: Int32Array;
  private pairCount = 0;
  private pairs = new Float64Array(5 * 8);
  /** The group mask of each entry after solve(). */
  readonly chosen: Int32Array;
  // Per entry: candidate group masks with their values, best first.
  private readonly candidates: Array<{ masks: number[]; values: number[] }>;
  private readonly crossRest: Float64Array;
  private readonly bestRest: Float64Array;
  private readonly picked: Int32Array;
  // Per group of the entry being collected: its tie-break bonus, what it
  // could earn through cross pairs, its best possible share of a value.
  private readonly bonus: Float64Array;
  private readonly crossOfGroup: Float64Array;
  private readonly potential: Float64Array;
  private readonly sortedPotential: Float64Array;
  private readonly sortScratch: Float64Array;
  private best = -Infinity;
  private visits = 0;

  constructor(maxEntries: number, maxGroups: number) {
    this.maxGroups = maxGroups;
    this.groupCount = new Int32Array(maxEntries);
    this.units = new Float64Array(maxEntries);
    this.fraction = new Float64Array(maxEntries);
    this.whole = new Int32Array(maxEntries * maxGroups);
    this.partial = new Int32Array(maxEntries * maxGroups);
    this.chosen = new Int32Array(maxEntries);
    this.candidates = Array.from({ length: maxEntries }, () => ({ masks: [], values: [] }));
    this.crossRest = new Float64Array(maxEntries + 1);
    this.bestRest = new Float64Array(maxEntries + 1);
    this.picked = new Int32Array(maxEntries);
    this.bonus = new Float64Array(maxGroups);
    this.crossOfGroup = new Float64Array(maxGroups);
    this.potential = new Float64Array(maxGroups);
    this.sortedPotential = new Float64Array(maxGroups);
    this.sortScratch = new Float64Array(2 * maxGroups);
  }

  /** Starts a problem of `entries` entries without pairs; fill it with setEntry(), setGroup() and addPair(). */
  reset(entries: number): void {
    this.entryCount = entries;
    this.pairCount = 0;
  }

  /** Entry e asks for `amount` fixed-point units of a resource with `groups` groups. */
  setEntry(e: number, groups: number, amount: number): void {
    this.groupCount[e] = groups;
    this.units[e] = Math.floor(amount / RESOURCE_UNIT);
    this.fraction[e] = amount - this.units[e] * RESOURCE_UNIT;
  }

  /** Group g of entry e has `whole` free indices and a partly used index with `partial` free (0 = none). */
  setGroup(e: number, g: number, whole: number, partial: number): void {
    this.whole[e * this.maxGroups + g] = whole;
    this.partial[e * this.maxGroups + g] = partial;
  }

  /** Taking group g1 for entry e1 and group g2 for entry e2 (e1 may equal e2) is worth `weight`. */
  addPair(e1: number, g1: number, e2: number, g2: number, weight: number): void {
    if (this.pairs.length < (this.pairCount + 1) * 5) {
      const grown = new Float64Array(this.pairs.length * 2);
      grown.set(this.pairs);
      this.pairs = grown;
    }
    const at = this.pairCount++ * 5;
    // Ordered so that e1 <= e2: the pair's weight is known once entry e2 is chosen.
    const swap = e1 > e2;
    this.pairs[at] = swap ? e2 : e1;
    this.pairs[at + 1] = swap ? g2 : g1;
    this.pairs[at + 2] = swap ? e1 : e2;
    this.pairs[at + 3] = swap ? g1 : g2;
    this.pairs[at + 4] = weight * SCALE;
  }

  /**
   * Finds the best group masks (into `chosen`) and returns the objective, or
   * -Infinity when some entry cannot be placed at all.
   */
  solve(): number {
    const n = this.entryCount;
    this.visits = 0;
    this.crossRest.fill(0, 0, n + 1);
    for (let p = 0; p < this.pairCount; p++) {
      const at = p * 5;
      const e2 = this.pairs[at + 2];
      // A pair of two entries is earned once the later one is chosen.
      if (this.pairs[at] !== e2) for (let e = 0; e <= e2; e++) this.crossRest[e] += this.pairs[at + 4];
    }
    for (let e = 0; e < n; e++) if (!this.collect(e)) return -Infinity;
    this.bestRest[n] = 0;
    for (let e = n - 1; e >= 0; e--) this.bestRest[e] = this.bestRest[e + 1] + this.candidates[e].values[0];
    // Start from the first candidates (each entry's best alone), so a solution is at hand.
    for (let e = 0; e < n; e++) this.picked[e] = this.candidates[e].masks[0];
    this.best = this.total(n);
    this.chosen.set(this.picked.subarray(0, n));
    this.search(0, 0);
    return this.best;
  }

  /** Objective of the masks in `picked` for entries [0, n). */
  private total(n: number): number {
    let sum = 0;
    for (let e = 0; e < n; e++) sum += this.candidates[e].values[this.candidates[e].masks.indexOf(this.picked[e])];
    for (let p = 0; p < this.pairCount; p++) {
      const at = p * 5;
      const e1 = this.pairs[at];
      const e2 = this.pairs[at + 2];
      if (e1 !== e2 && this.has(this.picked[e1], this.pairs[at + 1]) && this.has(this.picked[e2], this.pairs[at + 3])) sum += this.pairs[at + 4];
    }
    return sum;
  }

  /** Depth-first over entries, candidates best first, cut by an optimistic bound. */
  private search(e: number, acc: number): void {
    const n = this.entryCount;
    if (e === n) {
      if (acc > this.best) {
        this.best = acc;
        this.chosen.set(this.picked.subarray(0, n));
      }
      return;
    }
    const { masks, values } = this.candidates[e];
    for (let i = 0; i < masks.length; i++) {
      if (acc + values[i] + this.bestRest[e + 1] + this.crossRest[e] <= this.best) break;
      if (++this.visits > MAX_VISITS) return;
      const mask = masks[i];
      let gain = 0;
      for (let p = 0; p < this.pairCount; p++) {
        const at = p * 5;
        if (this.pairs[at + 2] !== e || this.pairs[at] === e) continue;
        if (this.has(mask, this.pairs[at + 3]) && this.has(this.picked[this.pairs[at]], this.pairs[at + 1])) gain += this.pairs[at + 4];
      }
      this.picked[e] = mask;
      this.search(e + 1, acc + values[i] + gain);
    }
  }

  /**
   * The group masks worth considering for entry e, best first: feasible ones
   * whose value, with every cross weight their groups could earn added, still
   * reaches the best value e has on its own (any other is beaten by simply
   * taking that one). False when e has no feasible mask.
   */
  private collect(e: number): boolean {
    const groups = this.groupCount[e];
    const base = e * this.maxGroups;
    const fraction = this.fraction[e];
    const bonus = this.bonus;
    const crossOf = this.crossOfGroup;
    const potential = this.potential;
    for (let g = 0; g < groups; g++) {
      if (fraction === 0) bonus[g] = -this.whole[base + g] * WHOLE_TIE;
      else bonus[g] = this.partial[base + g] >= fraction ? this.partial[base + g] * PART_BONUS : 0;
      crossOf[g] = 0;
      potential[g] = bonus[g] - GROUP_COST;
    }
    // What each group could earn through pairs: cross pairs in crossOf, and
    // (in potential, an upper bound) a pair within e counted for both groups.
    for (let p = 0; p < this.pairCount; p++) {
      const at = p * 5;
      const w = this.pairs[at + 4];
      const first = this.pairs[at] === e;
      const second = this.pairs[at + 2] === e;
      if (first && !second) crossOf[this.pairs[at + 1]] += w;
      else if (second && !first) crossOf[this.pairs[at + 3]] += w;
      else if (first && second) {
        potential[this.pairs[at + 1]] += w;
        potential[this.pairs[at + 3]] += w;
      }
    }
    for (let g = 0; g < groups; g++) potential[g] += crossOf[g];
    // Best first: sorted ascending, read from the end.
    const sorted = this.sortedPotential.subarray(0, groups);
    sorted.set(potential.subarray(0, groups));
    sorted.sort();
    const { masks, values } = this.candidates[e];
    masks.length = 0;
    values.length = 0;
    // The greedy choice first: feasible whenever anything is, and kept if the search runs out.
    const greedy = this.greedyMask(e);
    if (greedy === 0) return false;
    let bestValue = this.value(e, greedy);
    insertCandidate(masks, values, greedy, bestValue);
    const fewest = this.fewestGroups(e);
    let bound = 0;
    for (let k = 1; k <= groups; k++) {
      const next = sorted[groups - k];
      bound += next;
      if (k < fewest) continue;
      // No mask of k groups can reach bestValue; nor of more, once a group costs more than it can earn.
      if (bound < bestValue) {
        if (next < 0) break;
        continue;
      }
      const limit = 2 ** groups;
      let mask = 2 ** k - 1;
      while (mask < limit) {
        if (++this.visits > MAX_VISITS) break;
        if (mask !== greedy && this.feasible(e, mask)) {
          const value = this.value(e, mask);
          if (value > bestValue) bestValue = value;
          if (value + this.crossBound(mask, groups) >= bestValue) insertCandidate(masks, values, mask, value);
        }
        // Next mask with k bits set (Gosper's hack).
        const low = mask & -mask;
        const ripple = mask + low;
        mask = (((ripple ^ mask) >>> 2) / low) | ripple;
      }
    }
    // Drop what a better single choice made hopeless.
    let kept = 0;
    for (let i = 0; i < masks.length; i++) {
      if (values[i] + this.crossBound(masks[i], groups) < bestValue) continue;
      masks[kept] = masks[i];
      values[kept++] = values[i];
    }
    masks.length = kept;
    values.length = kept;
    return true;
  }

  /** The most the groups of `mask` could earn through pairs with other entries (crossOfGroup of the entry being collected). */
  private crossBound(mask: number, groups: number): number {
    let sum = 0;
    for (let g = 0; g < groups; g++) if (this.has(mask, g)) sum += this.crossOfGroup[g];
    return sum;
  }

  /** Groups taken whole, most free first, until one group can give the rest (best fit). */
  private greedyMask(e: number): number {
    const groups = this.groupCount[e];
    const base = e * this.maxGroups;
    const fraction = this.fraction[e];
    let left = this.units[e];
    let mask = 0;
    // Whether a group taken whole has a partly used index that can hold the fraction.
    let partTaken = false;
    for (;;) {
      if (mask !== 0 && left === 0 && (fraction === 0 || partTaken)) return mask;
      let fit = -1;
      for (let g = 0; g < groups; g++) {
        if (this.has(mask, g)) continue;
        const whole = this.whole[base + g];
        const fits = fraction === 0 ? whole >= left : whole > left || (whole === left && (partTaken || this.partial[base + g] >= fraction));
        if (fits && (fit < 0 || whole < this.whole[base + fit])) fit = g;
      }
      if (fit >= 0) return mask | (1 << fit);
      let biggest = -1;
      for (let g = 0; g < groups; g++) {
        if (!this.has(mask, g) && this.whole[base + g] > 0 && (biggest < 0 || this.whole[base + g] > this.whole[base + biggest])) biggest = g;
      }
      if (biggest < 0) return 0;
      mask |= 1 << biggest;
      left -= this.whole[base + biggest];
      if (fraction > 0 && this.partial[base + biggest] >= fraction) partTaken = true;
    }
  }

  /** A lower bound of the groups any feasible mask of entry e has (by the groups with the most free). */
  private fewestGroups(e: number): number {
    const base = e * this.maxGroups;
    const groups = this.groupCount[e];
    const fraction = this.fraction[e];
    const units = this.units[e];
    const whole = this.sortScratch.subarray(0, groups);
    // A group's capacity counting a fitting partly used index as one more index.
    const withPart = this.sortScratch.subarray(this.maxGroups, this.maxGroups + groups);
    for (let g = 0; g < groups; g++) {
      whole[g] = this.whole[base + g];
      withPart[g] = whole[g] + (fraction > 0 && this.partial[base + g] >= fraction ? 1 : 0);
    }
    whole.sort();
    withPart.sort();
    const needed = fraction > 0 ? units + 1 : units;
    let k = 0;
    for (let sumWhole = 0, sumPart = 0; k < groups && (sumWhole < units || sumPart < needed); k++) {
      sumWhole += whole[groups - 1 - k];
      sumPart += withPart[groups - 1 - k];
    }
    return Math.max(k, 1);
  }

  private feasible(e: number, mask: number): boolean {
    const base = e * this.maxGroups;
    const fraction = this.fraction[e];
    let whole = 0;
    let part = false;
    for (let g = 0; g < this.groupCount[e]; g++) {
      if (!this.has(mask, g)) continue;
      whole += this.whole[base + g];
      if (fraction > 0 && this.partial[base + g] >= fraction) part = true;
    }
    const units = this.units[e];
    return whole >= units && (fraction === 0 || part || whole > units);
  }

  /** The entry's own part of the objective: its groups, and pairs of two of its groups. */
  private value(e: number, mask: number): number {
    let value = 0;
    for (let g = 0; g < this.groupCount[e]; g++) if (this.has(mask, g)) value += this.bonus[g] - GROUP_COST;
    for (let p = 0; p < this.pairCount; p++) {
      const at = p * 5;
      if (this.pairs[at] === e && this.pairs[at + 2] === e && this.has(mask, this.pairs[at + 1]) && this.has(mask, this.pairs[at + 3])) value += this.pairs[at + 4];
    }
    return value;
  }

  private has(mask: number, g: number): boolean {
    return ((mask >>> g) & 1) !== 0;
  }
}

/** Keeps candidates sorted: higher value first, then the lower mask (lower group numbers). */
function insertCandidate(masks: number[], values: number[], mask: number, value: number): void {
  let at = masks.length;
  while (at > 0 && (values[at - 1] < value || (values[at - 1] === value && masks[at - 1] > mask))) at--;
  masks.splice(at, 0, mask);
  values.splice(at, 0, value);
}
