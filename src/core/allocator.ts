import { UserError } from '../common/errors.js';
import { couplingPairs } from './coupling.js';
import { GroupSolver, MAX_COUPLED_GROUPS, OBJECTIVE_TOLERANCE } from './group-solver.js';
import {
  PLAN_ENTRY,
  PLAN_HEADER,
  PolicyCode,
  RESOURCE_UNIT,
  ResourceRegistry,
  normalizeVariant,
  type RequestVariant,
  type ResourceVariant,
} from './resources.js';

export type ResourceKind = 'list' | 'groups' | 'range' | 'sum';

/** What a worker offers of one resource; `sum` in whole resource units (may have 4 decimals). */
export interface WorkerResourceDescriptor {
  name: string;
  kind: ResourceKind;
  /** Index labels per group (one group for list and range); empty for sum. */
  groups: string[][];
  sum: number;
}

export interface AllocatorOptions {
  /** Shared name <-> id map; entries given by id refer to it. A private one by default. */
  registry?: ResourceRegistry;
  /**
   * Groups of indexed resources that belong together (`--coupling` items):
   * `cpus[0]:gpus[0]=256` pairs (weight optional), or resource names, whose
   * groups i are all paired with each other.
   */
  coupling?: readonly string[];
}

/** What one task got of one resource. */
export interface AllocatedResource {
  /** Registry id. */
  resource: number;
  name: string;
  /** Fixed-point units taken (for policy 'all', the whole pool). */
  amount: number;
  /** Labels of the indices taken, in declared order, a partially taken index last; empty for sums. */
  indices: string[];
  /** Fixed-point share of each index (RESOURCE_UNIT = the whole index). */
  shares: number[];
  /** Group number of each index. */
  groups: number[];
}

export interface Allocation {
  /** The packed record release() needs (see ResourceAllocator). */
  readonly record: Float64Array;
  /** Per allocated resource, in registry id order. */
  readonly resources: readonly AllocatedResource[];
}

// A record is [segmentCount, then one segment per allocated resource: local resource,
// whole index count n, partly taken index (-1 = none), its fixed-point amount (for a
// sum: the amount taken), then the n whole indices in the order they were taken].
const SEGMENT_HEADER = 4;

/**
 * One resource of the worker. Indexed and sum pools share one shape (sum
 * pools with empty index arrays) so the hot paths see a single object layout.
 */
interface Pool {
  readonly kind: 'indexed' | 'sum';
  readonly id: number;
  readonly name: string;
  // ---- sum pools
  readonly total: number;
  free: number;
  // ---- indexed pools
  readonly labels: string[];
  readonly count: number;
  readonly groupCount: number;
  /** Index -> group. Indices are numbered group after group in declared order. */
  readonly groupOf: Int32Array;
  /** Group -> its first index; also where its slice of `stack` and `partial` starts. */
  readonly groupBase: Int32Array;
  /** Group sizes, largest first (for the minimal group count of strict policies). */
  readonly sizesDesc: Int32Array;
  /** Whole free indices of group g: stack[groupBase[g], groupBase[g] + wholeFree[g]), top = next taken. */
  readonly stack: Int32Array;
  readonly wholeFree: Int32Array;
  /** Partly used indices of group g: partial[groupBase[g], groupBase[g] + partialCount[g]), unordered. */
  readonly partial: Int32Array;
  readonly partialCount: Int32Array;
  /** Index -> position in `partial`, -1 when not partly used. */
  readonly partialPos: Int32Array;
  /** Index -> fixed-point units in use (0 free, RESOURCE_UNIT full). */
  readonly used: Int32Array;
  totalWholeFree: number;
  /** Whether some coupled pair names a group of this resource. */
  coupled: boolean;
}

type IndexedPool = Pool;

/**
 * The resources of one worker and who holds which part of them: the single
 * rule set by which a worker starts tasks and the scheduler models it.
 *
 * Indexed resources (cpus, gpus) hand out concrete indices, never more than
 * one unit of an index at once; a fractional amount (gpus=0.5) takes part of
 * one index, which another fractional request may share. An amount above one
 * with a fraction (2.5) takes whole indices plus part of one more. Sum
 * resources (memory) hand out amounts.
 *
 * Policies on a resource split into groups (NUMA nodes):
 *  - compact: the fewest groups the free indices allow now, indices spread
 *    evenly over them;
 *  - compact!: like compact, but only when that is the fewest groups the
 *    worker could ever give (otherwise the task does not start now);
 *  - tight / tight!: the same group choice, but packing the first groups full;
 *  - scatter: round robin over all groups;
 *  - all: every index (every unit of a sum); only when all of it is free.
 * Group choice: while no single group can give the rest, the group with the
 * most free indices is taken whole; then the smallest group that can give the
 * rest (best fit), ties to the lower group number.
 *
 * Coupling (HyperQueue's `--coupling`) pairs groups of indexed resources,
 * with weights. The compact and tight entries of a request whose resources a
 * pair links (to each other, or two groups of one resource) choose their
 * groups together (see GroupSolver): the fewest groups first, then the most
 * weight of pairs taken. A strict policy among them makes that choice strict
 * as a whole: the task starts only when it is as good as on an idle worker.
 * Entries outside such a link keep the rules above.
 *
 * Deterministic: the same operations give the same indices. Releasing the
 * most recent allocations in reverse order restores the exact state, which
 * lets the scheduler try allocations and take them back.
 */
export class ResourceAllocator {
  readonly registry: ResourceRegistry;
  private readonly pools: Pool[] = [];
  /** Registry id -> position in `pools`, -1 when the worker lacks it. */
  private localOf: Int32Array;
  // Coupled pairs of groups: local resources, group numbers, weight.
  private readonly pairPoolA: Int32Array;
  private readonly pairGroupA: Int32Array;
  private readonly pairPoolB: Int32Array;
  private readonly pairGroupB: Int32Array;
  private readonly pairWeight: Float64Array;
  private readonly solver: GroupSolver | null;
  /** Best objective of each plan's coupled entries on the idle worker (strict policies compare with it). */
  private readonly idleObjective = new WeakMap<Float64Array, number>();
  /** Per plan entry: its index among the coupled entries, -1 when it is not one. */
  private coupledIndex = new Int32Array(8);
  /** Per local resource: the plan entry (or coupled entry) asking for it, -1 when none; scratch. */
  private readonly entryOfPool: Int32Array;
  private out = new Float64Array(64);
  private outLength = 0;
  private segmentAt = 0;
  private segmentStarts = new Int32Array(8);
  private readonly compiled = new WeakMap<object, Float64Array>();
  // Scratch for group selection, sized for the largest group count.
  private readonly chosen: Uint8Array;
  private readonly selected: Int32Array;
  private readonly amounts: Float64Array;
  private readonly sortScratch: Int32Array;

  constructor(descriptors: readonly WorkerResourceDescriptor[], opts: AllocatorOptions = {}) {
    this.registry = opts.registry ?? new ResourceRegistry();
    let maxGroups = 1;
    for (const d of descriptors) {
      if (this.pools.some((p) => p.name === d.name)) throw new UserError(`resource '${d.name}' is defined twice`);
      const id = this.registry.id(d.name);
      const pool = d.kind === 'sum' ? sumPool(id, d) : indexedPool(id, d);
      if (pool.kind === 'indexed') maxGroups = Math.max(maxGroups, pool.groupCount);
      this.pools.push(pool);
    }
    this.localOf = new Int32Array(this.registry.count).fill(-1);
    this.pools.forEach((p, i) => (this.localOf[p.id] = i));
    const pairs = couplingPairs(opts.coupling ?? [], (name) => {
      const pool = this.pools.find((p) => p.name === name);
      return pool?.kind === 'indexed' ? pool.groupCount : undefined;
    });
    const local = (name: string): number => {
      const r = this.pools.findIndex((p) => p.name === name);
      const pool = this.pools[r];
      if (pool.groupCount > MAX_COUPLED_GROUPS) throw new UserError(`coupled resource '${name}' has ${pool.groupCount} groups, at most ${MAX_COUPLED_GROUPS} are supported`);
      pool.coupled = true;
      return r;
    };
    this.pairPoolA = Int32Array.from(pairs, (p) => local(p.resource1));
    this.pairGroupA = Int32Array.from(pairs, (p) => p.group1);
    this.pairPoolB = Int32Array.from(pairs, (p) => local(p.resource2));
    this.pairGroupB = Int32Array.from(pairs, (p) => p.group2);
    this.pairWeight = Float64Array.from(pairs, (p) => p.weight);
    this.solver = pairs.length > 0 ? new GroupSolver(this.pools.length, maxGroups) : null;
    this.entryOfPool = new Int32Array(this.pools.length);
    this.chosen = new Uint8Array(maxGroups);
    this.selected = new Int32Array(maxGroups);
    this.amounts = new Float64Array(maxGroups);
    this.sortScratch = new Int32Array(maxGroups);
  }

  // ------------------------------------------------------------- queries

  has(resource: number | string): boolean {
    return this.poolOf(resource) !== undefined;
  }

  /** Fixed-point amount the worker has in total (0 when it lacks the resource). */
  total(resource: number | string): number {
    const pool = this.poolOf(resource);
    if (pool === undefined) return 0;
    return pool.kind === 'sum' ? pool.total : pool.count * RESOURCE_UNIT;
  }

  /** Fixed-point amount free now, partly used indices counted with their free part. */
  free(resource: number | string): number {
    const pool = this.poolOf(resource);
    if (pool === undefined) return 0;
    if (pool.kind === 'sum') return pool.free;
    let free = pool.totalWholeFree * RESOURCE_UNIT;
    for (let g = 0; g < pool.groupCount; g++) {
      const base = pool.groupBase[g];
      for (let i = 0; i < pool.partialCount[g]; i++) free += RESOURCE_UNIT - pool.used[pool.partial[base + i]];
    }
    return free;
  }

  /** Whole free indices per group of an indexed resource (empty for sums and unknown resources). */
  freeIndicesPerGroup(resource: number | string): number[] {
    const pool = this.poolOf(resource);
    return pool?.kind === 'indexed' ? Array.from(pool.wholeFree) : [];
  }

  /** Whether anything at all is free. */
  hasFree(): boolean {
    for (const pool of this.pools) {
      if (pool.kind === 'sum' ? pool.free > 0 : pool.totalWholeFree > 0 || hasPartial(pool)) return true;
    }
    return false;
  }

  /** Whether nothing is in use. */
  isIdle(): boolean {
    for (const pool of this.pools) {
      if (pool.kind === 'sum' ? pool.free !== pool.total : pool.totalWholeFree !== pool.count) return false;
    }
    return true;
  }

  // ------------------------------------------------------- object API

  canAllocate(request: ResourceVariant | RequestVariant): boolean {
    return this.fits(this.planOf(request));
  }

  /** Whether the request fits when nothing else holds resources. */
  canEverAllocate(request: ResourceVariant | RequestVariant): boolean {
    return this.fitsEver(this.planOf(request));
  }

  /** Takes what the request needs now, or returns null (nothing taken). */
  allocate(request: ResourceVariant | RequestVariant): Allocation | null {
    const length = this.allocatePlan(this.planOf(request));
    if (length < 0) return null;
    const record = this.out.slice(0, length);
    return { record, resources: this.describe(record) };
  }

  release(allocation: Allocation): void {
    this.releaseRecord(allocation.record, 0);
  }

  // ------------------------------------------------- plan / record API
  // Plans are RequestVariant.plan; records are written to `lastRecord`.

  /** The record written by the last successful allocatePlan(); overwritten by the next call. */
  get lastRecord(): Float64Array {
    return this.out;
  }

  /** Words of the record starting at `at`. */
  static recordLength(record: Float64Array, at: number): number {
    let end = at + 1;
    for (let segment = record[at]; segment > 0; segment--) end += SEGMENT_HEADER + record[end + 1];
    return end - at;
  }

  fits(plan: Float64Array): boolean {
    if (plan[0] > 0) return this.isIdle();
    const coupled = this.solver === null ? 0 : this.markCoupled(plan);
    if (!this.entriesFit(plan, coupled > 0)) return false;
    // Entries that fit alone always have some coupled choice; only a strict one may refuse it.
    return coupled === 0 || !this.hasStrictCoupled(plan) || this.solveCoupled(plan, coupled);
  }

  /** Each entry alone fits now; strict policies of coupled entries are left to solveCoupled(). */
  private entriesFit(plan: Float64Array, coupled: boolean): boolean {
    const entries = plan[1];
    for (let e = 0; e < entries; e++) {
      const at = PLAN_HEADER + PLAN_ENTRY * e;
      const pool = this.poolById(plan[at]);
      if (pool === undefined || !this.entryFits(pool, plan[at + 1], plan[at + 2], coupled && this.coupledIndex[e] >= 0)) return false;
    }
    return true;
  }

  fitsEver(plan: Float64Array): boolean {
    if (plan[0] > 0) return true;
    const entries = plan[1];
    for (let e = 0; e < entries; e++) {
      const at = PLAN_HEADER + PLAN_ENTRY * e;
      const pool = this.poolById(plan[at]);
      if (pool === undefined) return false;
      const amount = plan[at + 1];
      if (plan[at + 2] === PolicyCode.All) continue;
      if (pool.kind === 'sum') {
        if (amount > pool.total) return false;
      } else {
        const units = Math.floor(amount / RESOURCE_UNIT);
        const needed = amount - units * RESOURCE_UNIT > 0 ? units + 1 : units;
        if (needed > pool.count) return false;
      }
    }
    return true;
  }

  /**
   * Takes what a plan needs and writes the record to `lastRecord`; returns its
   * length in words, or -1 when it does not fit now (nothing taken).
   */
  allocatePlan(plan: Float64Array): number {
    this.outLength = 1;
    if (plan[0] > 0) {
      if (!this.isIdle()) return -1;
      // A multi-node task holds the whole worker.
      for (let r = 0; r < this.pools.length; r++) {
        this.beginSegment(r);
        this.takeAll(r);
      }
      this.out[0] = this.pools.length;
      return this.outLength;
    }
    const coupled = this.solver === null ? 0 : this.markCoupled(plan);
    if (!this.entriesFit(plan, coupled > 0)) return -1;
    // The chosen groups stay in solver.chosen for the takes below.
    if (coupled > 0 && !this.solveCoupled(plan, coupled)) return -1;
    const entries = plan[1];
    for (let e = 0; e < entries; e++) {
      const at = PLAN_HEADER + PLAN_ENTRY * e;
      const r = this.localOf[plan[at]];
      this.beginSegment(r);
      const j = coupled > 0 ? this.coupledIndex[e] : -1;
      if (j >= 0) this.takeWithin(r, plan[at + 1], plan[at + 2], this.solver!.chosen[j]);
      else this.take(r, plan[at + 1], plan[at + 2]);
    }
    this.out[0] = entries;
    return this.outLength;
  }

  /** Gives back what the record at `at` holds. */
  releaseRecord(record: Float64Array, at: number): void {
    const segments = record[at];
    if (segments > this.segmentStarts.length) this.segmentStarts = new Int32Array(segments * 2);
    const starts = this.segmentStarts;
    for (let i = 0, next = at + 1; i < segments; i++) {
      starts[i] = next;
      next += SEGMENT_HEADER + record[next + 1];
    }
    // Reverse order: undoing the latest allocations restores the exact state.
    for (let i = segments - 1; i >= 0; i--) {
      const seg = starts[i];
      const pool = this.pools[record[seg]];
      const part = record[seg + 2];
      if (pool.kind === 'sum') {
        pool.free += record[seg + 3];
        continue;
      }
      if (part >= 0) this.releasePart(pool, part, record[seg + 3]);
      for (let k = seg + SEGMENT_HEADER + record[seg + 1] - 1; k >= seg + SEGMENT_HEADER; k--) {
        const index = record[k];
        if (pool.used[index] !== RESOURCE_UNIT) throw new Error(`release of index ${pool.labels[index]} of '${pool.name}' that is not held`);
        pool.used[index] = 0;
        const g = pool.groupOf[index];
        pool.stack[pool.groupBase[g] + pool.wholeFree[g]++] = index;
        pool.totalWholeFree++;
      }
    }
  }

  private releasePart(pool: Pool, index: number, amount: number): void {
    const used = pool.used[index] - amount;
    if (used < 0) throw new Error(`release of index ${pool.labels[index]} of '${pool.name}' that is not held`);
    const wasPartial = pool.partialPos[index] >= 0;
    pool.used[index] = used;
    if (used === 0) {
      if (wasPartial) removePartial(pool, index);
      const g = pool.groupOf[index];
      pool.stack[pool.groupBase[g] + pool.wholeFree[g]++] = index;
      pool.totalWholeFree++;
    } else if (!wasPartial) {
      addPartial(pool, index);
    }
  }

  /** The allocation a record describes, per resource in registry id order. */
  describe(record: Float64Array, at = 0): AllocatedResource[] {
    const out: AllocatedResource[] = [];
    for (let segment = record[at], seg = at + 1; segment > 0; segment--) {
      const pool = this.pools[record[seg]];
      const whole = Array.from(record.subarray(seg + SEGMENT_HEADER, seg + SEGMENT_HEADER + record[seg + 1])).sort((a, b) => a - b);
      const part = record[seg + 2];
      const partAmount = record[seg + 3];
      seg += SEGMENT_HEADER + record[seg + 1];
      if (pool.kind === 'sum') {
        out.push({ resource: pool.id, name: pool.name, amount: partAmount, indices: [], shares: [], groups: [] });
        continue;
      }
      const positions = part >= 0 ? [...whole, part] : whole;
      const shares = positions.map((x) => (x === part ? partAmount : RESOURCE_UNIT));
      out.push({
        resource: pool.id,
        name: pool.name,
        amount: whole.length * RESOURCE_UNIT + (part >= 0 ? partAmount : 0),
        indices: positions.map((x) => pool.labels[x]),
        shares,
        groups: positions.map((x) => pool.groupOf[x]),
      });
    }
    return out.sort((a, b) => a.resource - b.resource);
  }

  // ---------------------------------------------------------- internals

  private poolOf(resource: number | string): Pool | undefined {
    const id = typeof resource === 'number' ? resource : this.registry.find(resource);
    return id < 0 ? undefined : this.poolById(id);
  }

  private poolById(id: number): Pool | undefined {
    const r = id < this.localOf.length ? this.localOf[id] : -1;
    return r < 0 ? undefined : this.pools[r];
  }

  private planOf(request: ResourceVariant | RequestVariant): Float64Array {
    if ('plan' in request && request.plan instanceof Float64Array) return request.plan;
    let plan = this.compiled.get(request);
    if (plan === undefined) {
      plan = normalizeVariant(request as ResourceVariant, this.registry).plan;
      this.compiled.set(request, plan);
    }
    return plan;
  }

  /** Whether one entry fits now; `coupled`: a strict policy is judged with the other coupled entries instead. */
  private entryFits(pool: Pool, amount: number, policy: number, coupled: boolean): boolean {
    if (pool.kind === 'sum') return policy === PolicyCode.All ? pool.free === pool.total : amount <= pool.free;
    if (policy === PolicyCode.All) return pool.totalWholeFree === pool.count;
    const units = Math.floor(amount / RESOURCE_UNIT);
    const fraction = amount - units * RESOURCE_UNIT;
    const whole = pool.totalWholeFree;
    if (whole < units) return false;
    if (fraction > 0) return whole > units || maxPartialFree(pool, -1) >= fraction;
    if (!coupled && (policy === PolicyCode.CompactStrict || policy === PolicyCode.TightStrict) && pool.groupCount > 1) {
      return this.topGroupsFree(pool, minimalGroups(pool, units)) >= units;
    }
    return true;
  }

  /** Whole free indices of the `k` groups with the most of them. */
  private topGroupsFree(pool: IndexedPool, k: number): number {
    const groups = pool.groupCount;
    const scratch = this.sortScratch;
    for (let g = 0; g < groups; g++) scratch[g] = pool.wholeFree[g];
    let sum = 0;
    // k rounds of picking the largest left: groups are few.
    for (let round = 0; round < k; round++) {
      let best = 0;
      for (let g = 1; g < groups; g++) if (scratch[g] > scratch[best]) best = g;
      if (scratch[best] < 0) break;
      sum += scratch[best];
      scratch[best] = -1;
    }
    return sum;
  }

  /** Allocates one entry (already known to fit) into the current segment. */
  private take(r: number, amount: number, policy: number): void {
    const pool = this.pools[r];
    if (policy === PolicyCode.All) return this.takeAll(r);
    if (pool.kind === 'sum') {
      pool.free -= amount;
      this.setPart(-1, amount);
      return;
    }
    const units = Math.floor(amount / RESOURCE_UNIT);
    const fraction = amount - units * RESOURCE_UNIT;
    if (pool.groupCount === 1) {
      for (let i = 0; i < units; i++) this.takeWhole(pool, 0);
      if (fraction > 0) this.takeFractionAnywhere(pool, fraction, 0, 1);
      return;
    }
    if (policy === PolicyCode.Scatter) return this.takeScatter(pool, units, fraction);
    const k = this.selectGroups(pool, units, fraction);
    if (k < 0) throw new Error(`allocator state of '${pool.name}' is inconsistent`);
    if (policy === PolicyCode.Tight || policy === PolicyCode.TightStrict) this.takeTight(pool, units, fraction, k);
    else this.takeEvenly(pool, units, fraction, k);
  }

  /** A coupled entry: its indices come from the groups in `mask`, spread as its policy says. */
  private takeWithin(r: number, amount: number, policy: number, mask: number): void {
    const pool = this.pools[r];
    const units = Math.floor(amount / RESOURCE_UNIT);
    const fraction = amount - units * RESOURCE_UNIT;
    let k = 0;
    for (let g = 0; g < pool.groupCount; g++) if (((mask >>> g) & 1) !== 0) this.selected[k++] = g;
    if (policy === PolicyCode.Tight || policy === PolicyCode.TightStrict) this.takeTightWithin(pool, units, fraction, k);
    else this.takeEvenly(pool, units, fraction, k);
  }

  /**
   * Tight within the `k` selected groups: the best-fitting one takes the rest
   * if one can, else the one with the most free gives all it has, and so on.
   */
  private takeTightWithin(pool: IndexedPool, units: number, fraction: number, k: number): void {
    const selected = this.selected;
    let left = units;
    let last = -1;
    for (let round = 0; round < k; round++) {
      let fit = -1;
      let biggest = -1;
      for (let i = 0; i < k; i++) {
        const g = selected[i];
        const whole = pool.wholeFree[g];
        const fits = whole > left || (whole === left && (fraction === 0 || maxPartialFree(pool, g) >= fraction));
        if (fits && (fit < 0 || whole < pool.wholeFree[fit])) fit = g;
        if (whole > 0 && (biggest < 0 || whole > pool.wholeFree[biggest])) biggest = g;
      }
      last = fit >= 0 ? fit : biggest;
      if (last < 0) break;
      const taken = fit >= 0 ? left : pool.wholeFree[last];
      for (let i = 0; i < taken; i++) this.takeWhole(pool, last);
      left -= taken;
      if (fit >= 0) break;
    }
    if (left > 0) throw new Error(`allocator state of '${pool.name}' is inconsistent`);
    if (fraction > 0 && (last < 0 || !this.takeFraction(pool, last, fraction))) this.takeFractionAmong(pool, fraction, k);
  }

  /** A fraction from one of the `k` selected groups: the best-fitting partly used index, else a split whole one. */
  private takeFractionAmong(pool: IndexedPool, fraction: number, k: number): void {
    let best = -1;
    for (let i = 0; i < k; i++) {
      const index = bestPartial(pool, this.selected[i], fraction);
      if (index >= 0 && (best < 0 || pool.used[index] > pool.used[best])) best = index;
    }
    if (best >= 0) return this.useFraction(pool, best, fraction);
    let from = -1;
    for (let i = 0; i < k; i++) if (from < 0 || pool.wholeFree[this.selected[i]] > pool.wholeFree[from]) from = this.selected[i];
    if (from < 0 || !this.takeFraction(pool, from, fraction)) throw new Error(`allocator state of '${pool.name}' is inconsistent`);
  }

  /**
   * Marks the coupled entries of a plan in `coupledIndex` (0, 1, ... in plan
   * order; -1 for the others): compact or tight entries of resources with
   * several groups that a pair links to another such entry, or to itself.
   * Returns how many there are.
   */
  private markCoupled(plan: Float64Array): number {
    const entries = plan[1];
    if (this.coupledIndex.length < entries) this.coupledIndex = new Int32Array(entries * 2);
    const index = this.coupledIndex;
    const entryOfPool = this.entryOfPool;
    entryOfPool.fill(-1);
    for (let e = 0; e < entries; e++) {
      const at = PLAN_HEADER + PLAN_ENTRY * e;
      index[e] = -1;
      const r = plan[at] < this.localOf.length ? this.localOf[plan[at]] : -1;
      if (r >= 0 && this.pools[r].coupled && isCompactLike(plan[at + 2])) entryOfPool[r] = e;
    }
    let linked = false;
    for (let p = 0; p < this.pairPoolA.length; p++) {
      const a = entryOfPool[this.pairPoolA[p]];
      const b = entryOfPool[this.pairPoolB[p]];
      if (a < 0 || b < 0) continue;
      index[a] = index[b] = 0;
      linked = true;
    }
    if (!linked) return 0;
    // Number the linked entries (marked 0) in plan order.
    let count = 0;
    for (let e = 0; e < entries; e++) if (index[e] === 0) index[e] = count++;
    return count;
  }

  /**
   * Chooses the groups of the coupled entries (into solver.chosen). False when
   * a strict policy among them would get a worse choice than on an idle worker.
   */
  private solveCoupled(plan: Float64Array, count: number): boolean {
    const best = this.loadSolver(plan, count, false);
    if (best === -Infinity) return false;
    if (!this.hasStrictCoupled(plan)) return true;
    let idle = this.idleObjective.get(plan);
    if (idle === undefined) {
      idle = this.loadSolver(plan, count, true);
      this.idleObjective.set(plan, idle);
      this.loadSolver(plan, count, false); // solver.chosen again for the current state
    }
    return best >= idle - OBJECTIVE_TOLERANCE;
  }

  private hasStrictCoupled(plan: Float64Array): boolean {
    for (let e = 0; e < plan[1]; e++) {
      const policy = plan[PLAN_HEADER + PLAN_ENTRY * e + 2];
      if (this.coupledIndex[e] >= 0 && (policy === PolicyCode.CompactStrict || policy === PolicyCode.TightStrict)) return true;
    }
    return false;
  }

  /** Fills the solver with the coupled entries (the free indices now, or all of them) and solves. */
  private loadSolver(plan: Float64Array, count: number, idle: boolean): number {
    const solver = this.solver!;
    solver.reset(count);
    const entryOfPool = this.entryOfPool;
    entryOfPool.fill(-1);
    for (let e = 0; e < plan[1]; e++) {
      const j = this.coupledIndex[e];
      if (j < 0) continue;
      const at = PLAN_HEADER + PLAN_ENTRY * e;
      const r = this.localOf[plan[at]];
      const pool = this.pools[r];
      entryOfPool[r] = j;
      solver.setEntry(j, pool.groupCount, plan[at + 1]);
      for (let g = 0; g < pool.groupCount; g++) {
        const size = (g + 1 < pool.groupCount ? pool.groupBase[g + 1] : pool.count) - pool.groupBase[g];
        solver.setGroup(j, g, idle ? size : pool.wholeFree[g], idle ? 0 : maxPartialFree(pool, g));
      }
    }
    for (let p = 0; p < this.pairPoolA.length; p++) {
      const a = entryOfPool[this.pairPoolA[p]];
      const b = entryOfPool[this.pairPoolB[p]];
      if (a >= 0 && b >= 0) solver.addPair(a, this.pairGroupA[p], b, this.pairGroupB[p], this.pairWeight[p]);
    }
    return solver.solve();
  }

  private takeAll(r: number): void {
    const pool = this.pools[r];
    if (pool.kind === 'sum') {
      const amount = pool.free;
      pool.free = 0;
      this.setPart(-1, amount);
      return;
    }
    for (let g = 0; g < pool.groupCount; g++) while (pool.wholeFree[g] > 0) this.takeWhole(pool, g);
  }

  private takeScatter(pool: IndexedPool, units: number, fraction: number): void {
    const groups = pool.groupCount;
    let g = 0;
    for (let left = units; left > 0; g = (g + 1) % groups) {
      if (pool.wholeFree[g] > 0) {
        this.takeWhole(pool, g);
        left--;
      }
    }
    if (fraction > 0) {
      for (let k = 0; k < groups; k++) {
        if (this.takeFraction(pool, (g + k) % groups, fraction)) break;
      }
    }
  }

  /** Compact: the selected groups give indices in turn (lowest group first). */
  private takeEvenly(pool: IndexedPool, units: number, fraction: number, k: number): void {
    const selected = this.selected;
    // Insertion sort of the few selected group numbers, lowest first.
    for (let i = 1; i < k; i++) {
      const g = selected[i];
      let j = i - 1;
      for (; j >= 0 && selected[j] > g; j--) selected[j + 1] = selected[j];
      selected[j + 1] = g;
    }
    for (let left = units; left > 0; ) {
      for (let i = 0; i < k && left > 0; i++) {
        if (pool.wholeFree[selected[i]] > 0) {
          this.takeWhole(pool, selected[i]);
          left--;
        }
      }
    }
    if (fraction > 0) {
      // Best-fitting partly used index among the selected groups, else split a whole one.
      let best = -1;
      let bestFree = Infinity;
      for (let i = 0; i < k; i++) {
        const index = bestPartial(pool, selected[i], fraction);
        if (index >= 0 && RESOURCE_UNIT - pool.used[index] < bestFree) {
          best = index;
          bestFree = RESOURCE_UNIT - pool.used[index];
        }
      }
      if (best >= 0) {
        this.useFraction(pool, best, fraction);
      } else {
        let from = -1;
        for (let i = 0; i < k; i++) if (from < 0 || pool.wholeFree[selected[i]] > pool.wholeFree[from]) from = selected[i];
        if (!this.takeFraction(pool, from, fraction)) throw new Error(`allocator state of '${pool.name}' is inconsistent`);
      }
    }
  }

  /** Tight: the groups taken whole during selection, then the rest from the last one. */
  private takeTight(pool: IndexedPool, units: number, fraction: number, k: number): void {
    let left = units;
    for (let i = 0; i < k - 1; i++) {
      const g = this.selected[i];
      while (pool.wholeFree[g] > 0 && left > 0) {
        this.takeWhole(pool, g);
        left--;
      }
    }
    const last = this.selected[k - 1];
    for (; left > 0; left--) this.takeWhole(pool, last);
    if (fraction > 0) this.takeFractionAnywhere(pool, fraction, last, pool.groupCount);
  }

  /**
   * Picks the groups for compact and tight into `selected` and returns how
   * many: groups with the most free indices are taken whole while no single
   * group can give the rest, then the best-fitting group gives the rest.
   * -1 when the request does not fit.
   */
  private selectGroups(pool: IndexedPool, units: number, fraction: number): number {
    const groups = pool.groupCount;
    const chosen = this.chosen;
    const amounts = this.amounts;
    for (let g = 0; g < groups; g++) {
      chosen[g] = 0;
      amounts[g] = pool.wholeFree[g] * RESOURCE_UNIT + (pool.partialCount[g] > 0 ? maxPartialFree(pool, g) : 0);
    }
    let left = units;
    let k = 0;
    // Whether a group taken whole has a partly used index that can hold the fraction.
    let partTaken = false;
    for (;;) {
      if (k > 0 && left === 0 && (fraction === 0 || partTaken)) return k;
      let best = -1;
      for (let g = 0; g < groups; g++) {
        if (chosen[g] !== 0) continue;
        const whole = pool.wholeFree[g];
        const partHere = amounts[g] - whole * RESOURCE_UNIT >= fraction;
        if (whole < left || (fraction > 0 && whole === left && !partHere && !partTaken)) continue;
        if (best < 0 || amounts[g] < amounts[best]) best = g;
      }
      if (best >= 0) {
        this.selected[k++] = best;
        return k;
      }
      let biggest = -1;
      for (let g = 0; g < groups; g++) {
        if (chosen[g] !== 0 || pool.wholeFree[g] === 0) continue;
        if (biggest < 0 || pool.wholeFree[g] > pool.wholeFree[biggest]) biggest = g;
      }
      if (biggest < 0) return -1;
      chosen[biggest] = 1;
      this.selected[k++] = biggest;
      left -= pool.wholeFree[biggest];
      if (fraction > 0 && amounts[biggest] - pool.wholeFree[biggest] * RESOURCE_UNIT >= fraction) partTaken = true;
    }
  }

  private takeWhole(pool: IndexedPool, g: number): void {
    const index = pool.stack[pool.groupBase[g] + --pool.wholeFree[g]];
    pool.totalWholeFree--;
    pool.used[index] = RESOURCE_UNIT;
    this.pushWhole(index);
  }

  /** A fraction from group g: the best-fitting partly used index, else a whole one split. */
  private takeFraction(pool: IndexedPool, g: number, fraction: number): boolean {
    const index = bestPartial(pool, g, fraction);
    if (index >= 0) {
      this.useFraction(pool, index, fraction);
      return true;
    }
    if (pool.wholeFree[g] === 0) return false;
    const split = pool.stack[pool.groupBase[g] + --pool.wholeFree[g]];
    pool.totalWholeFree--;
    pool.used[split] = fraction;
    addPartial(pool, split);
    this.setPart(split, fraction);
    return true;
  }

  /** A fraction starting at group `first`, trying `count` groups in turn. */
  private takeFractionAnywhere(pool: IndexedPool, fraction: number, first: number, count: number): void {
    for (let k = 0; k < count; k++) if (this.takeFraction(pool, (first + k) % pool.groupCount, fraction)) return;
    for (let g = 0; g < pool.groupCount; g++) if (this.takeFraction(pool, g, fraction)) return;
    throw new Error(`allocator state of '${pool.name}' is inconsistent`);
  }

  private useFraction(pool: IndexedPool, index: number, fraction: number): void {
    pool.used[index] += fraction;
    if (pool.used[index] === RESOURCE_UNIT) removePartial(pool, index);
    this.setPart(index, fraction);
  }

  /** Starts the record segment of local resource r. */
  private beginSegment(r: number): void {
    this.ensureOut(SEGMENT_HEADER);
    const at = this.outLength;
    this.out[at] = r;
    this.out[at + 1] = 0;
    this.out[at + 2] = -1;
    this.out[at + 3] = 0;
    this.segmentAt = at;
    this.outLength = at + SEGMENT_HEADER;
  }

  private pushWhole(index: number): void {
    this.ensureOut(1);
    this.out[this.outLength++] = index;
    this.out[this.segmentAt + 1]++;
  }

  /** The partly taken index of the segment (-1 for a sum) and its amount. */
  private setPart(index: number, amount: number): void {
    this.out[this.segmentAt + 2] = index;
    this.out[this.segmentAt + 3] = amount;
  }

  private ensureOut(words: number): void {
    if (this.outLength + words <= this.out.length) return;
    const grown = new Float64Array(this.out.length * 2 + words);
    grown.set(this.out);
    this.out = grown;
  }
}

const NO_INDICES = new Int32Array(0);

function sumPool(id: number, d: WorkerResourceDescriptor): Pool {
  const total = Math.round(d.sum * RESOURCE_UNIT);
  if (!Number.isFinite(d.sum) || total <= 0 || total > Number.MAX_SAFE_INTEGER) {
    throw new UserError(`invalid size ${d.sum} of sum resource '${d.name}'`);
  }
  return makePool('sum', id, d.name, total, [], 0, NO_INDICES, NO_INDICES, NO_INDICES, NO_INDICES, NO_INDICES);
}

function indexedPool(id: number, d: WorkerResourceDescriptor): Pool {
  const labels = d.groups.flat();
  if (d.groups.length === 0 || d.groups.some((g) => g.length === 0)) throw new UserError(`resource '${d.name}' has an empty group of indices`);
  const seen = new Set<string>();
  for (const label of labels) {
    if (seen.has(label)) throw new UserError(`index '${label}' of resource '${d.name}' is listed twice`);
    seen.add(label);
  }
  const count = labels.length;
  const groupCount = d.groups.length;
  const groupOf = new Int32Array(count);
  const groupBase = new Int32Array(groupCount);
  const stack = new Int32Array(count);
  const wholeFree = new Int32Array(groupCount);
  let base = 0;
  d.groups.forEach((group, g) => {
    groupBase[g] = base;
    wholeFree[g] = group.length;
    // Reversed, so the lowest index is on top and taken first.
    for (let i = 0; i < group.length; i++) {
      groupOf[base + i] = g;
      stack[base + i] = base + group.length - 1 - i;
    }
    base += group.length;
  });
  const sizesDesc = Int32Array.from(d.groups.map((g) => g.length)).sort().reverse();
  return makePool('indexed', id, d.name, 0, labels, groupCount, groupOf, groupBase, sizesDesc, stack, wholeFree);
}

function makePool(
  kind: 'indexed' | 'sum',
  id: number,
  name: string,
  total: number,
  labels: string[],
  groupCount: number,
  groupOf: Int32Array,
  groupBase: Int32Array,
  sizesDesc: Int32Array,
  stack: Int32Array,
  wholeFree: Int32Array,
): Pool {
  const count = labels.length;
  return {
    kind,
    id,
    name,
    total,
    free: total,
    labels,
    count,
    groupCount,
    groupOf,
    groupBase,
    sizesDesc,
    stack,
    wholeFree,
    partial: new Int32Array(count),
    partialCount: new Int32Array(groupCount),
    partialPos: new Int32Array(count).fill(-1),
    used: new Int32Array(count),
    totalWholeFree: count,
    coupled: false,
  };
}

/** Policies whose group choice coupling steers (scatter and all ignore groups' pairing). */
function isCompactLike(policy: number): boolean {
  return policy !== PolicyCode.All && policy !== PolicyCode.Scatter;
}

/** The fewest groups that can hold `units` indices on an idle worker. */
function minimalGroups(pool: IndexedPool, units: number): number {
  let sum = 0;
  for (let k = 0; k < pool.groupCount; k++) {
    sum += pool.sizesDesc[k];
    if (sum >= units) return k + 1;
  }
  return pool.groupCount;
}

function hasPartial(pool: IndexedPool): boolean {
  for (let g = 0; g < pool.groupCount; g++) if (pool.partialCount[g] > 0) return true;
  return false;
}

/** The largest free part of a partly used index in group g (any group when g < 0). */
function maxPartialFree(pool: IndexedPool, g: number): number {
  let best = 0;
  const from = g < 0 ? 0 : g;
  const to = g < 0 ? pool.groupCount : g + 1;
  for (let group = from; group < to; group++) {
    const base = pool.groupBase[group];
    for (let i = 0; i < pool.partialCount[group]; i++) {
      const free = RESOURCE_UNIT - pool.used[pool.partial[base + i]];
      if (free > best) best = free;
    }
  }
  return best;
}

/** The partly used index of group g with the least free part that still holds `fraction`; ties to the lower index. */
function bestPartial(pool: IndexedPool, g: number, fraction: number): number {
  const base = pool.groupBase[g];
  let best = -1;
  let bestFree = Infinity;
  for (let i = 0; i < pool.partialCount[g]; i++) {
    const index = pool.partial[base + i];
    const free = RESOURCE_UNIT - pool.used[index];
    if (free >= fraction && (free < bestFree || (free === bestFree && index < best))) {
      best = index;
      bestFree = free;
    }
  }
  return best;
}

function addPartial(pool: IndexedPool, index: number): void {
  const g = pool.groupOf[index];
  const at = pool.groupBase[g] + pool.partialCount[g]++;
  pool.partial[at] = index;
  pool.partialPos[index] = at;
}

function removePartial(pool: IndexedPool, index: number): void {
  const g = pool.groupOf[index];
  const at = pool.partialPos[index];
  const last = pool.groupBase[g] + --pool.partialCount[g];
  const moved = pool.partial[last];
  pool.partial[at] = moved;
  pool.partialPos[moved] = at;
  pool.partialPos[index] = -1;
}
