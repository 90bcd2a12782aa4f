import { UserError } from '../common/errors.js';

/**
 * Resource amounts are integers in fixed-point units of 1/10000, so fractional
 * requests (0.5 gpus = 5000) add and subtract exactly.
 */
export const RESOURCE_UNIT = 10_000;

/** Converts a user-facing amount (e.g. 0.5) to fixed-point units. */
export function toResourceUnits(amount: number): number {
  const scaled = amount * RESOURCE_UNIT;
  const units = Math.round(scaled);
  // Allow binary rounding noise (0.1 * 10000), reject a fifth decimal place.
  if (!Number.isFinite(scaled) || amount < 0 || units > Number.MAX_SAFE_INTEGER || Math.abs(units - scaled) > 1e-6 * Math.max(1, units)) {
    throw new UserError(`invalid resource amount '${amount}': expected a non-negative number with at most 4 decimal places`);
  }
  return units;
}

/** Formats fixed-point units back as a user-facing number ("0.5", "4"). */
export function formatResourceAmount(units: number): string {
  return String(units / RESOURCE_UNIT);
}

/** A resource name and an amount in fixed-point units. */
export interface ResourceAmount {
  name: string;
  amount: number;
}

/** Maps resource names to small dense ids; "cpus" is always 0. */
export class ResourceRegistry {
  private readonly ids = new Map<string, number>();
  private readonly names: string[] = [];

  constructor() {
    this.id('cpus');
  }

  /** The id of `name`, assigning the next free one to a new name. */
  id(name: string): number {
    const known = this.ids.get(name);
    if (known !== undefined) return known;
    if (name.length === 0 || /\s/.test(name)) throw new UserError(`invalid resource name '${name}'`);
    const id = this.names.length;
    this.ids.set(name, id);
    this.names.push(name);
    return id;
  }

  find(name: string): number {
    return this.ids.get(name) ?? -1;
  }

  name(id: number): string {
    const name = this.names[id];
    if (name === undefined) throw new RangeError(`unknown resource id ${id}`);
    return name;
  }

  get count(): number {
    return this.names.length;
  }

  /**
   * An amount per resource id (missing = 0) from named amounts in fixed-point
   * units; fractions of a unit (binary rounding noise) are rounded away.
   * Rejects negative, non-finite and repeated entries.
   */
  vector(amounts: readonly ResourceAmount[], what: string): Float64Array {
    const ids = amounts.map((entry) => {
      if (!Number.isFinite(entry.amount) || entry.amount < 0 || entry.amount > Number.MAX_SAFE_INTEGER) {
        throw new UserError(`invalid amount ${entry.amount} of resource '${entry.name}' in ${what}`);
      }
      return this.id(entry.name);
    });
    const vector = new Float64Array(this.count);
    ids.forEach((id, i) => {
      if (ids.indexOf(id) !== i) throw new UserError(`resource '${amounts[i].name}' given twice in ${what}`);
      vector[id] = Math.round(amounts[i].amount);
    });
    return vector;
  }
}

/**
 * Resource requests of tasks, deduplicated: identical requests share one id,
 * which is what the task table stores per row.
 */
export class RequestTable {
  private readonly registry: ResourceRegistry;
  private readonly byKey = new Map<string, number>();
  private readonly vectors: Float64Array[] = [];

  constructor(registry: ResourceRegistry) {
    this.registry = registry;
  }

  /** The id of a request; at least one amount must be positive. */
  add(amounts: readonly ResourceAmount[]): number {
    const vector = this.registry.vector(amounts, 'resource request');
    if (!vector.some((amount) => amount > 0)) {
      throw new UserError('a resource request must ask for a positive amount of at least one resource');
    }
    const key = requestKey(vector);
    const known = this.byKey.get(key);
    if (known !== undefined) return known;
    const id = this.vectors.length;
    this.vectors.push(vector);
    this.byKey.set(key, id);
    return id;
  }

  /**
   * Amount per resource id, as long as the registry is now (missing = 0).
   * The array is shared and must not be modified.
   */
  get(id: number): Float64Array {
    const vector = this.vectors[id];
    if (vector === undefined) throw new RangeError(`unknown resource request ${id}`);
    const count = this.registry.count;
    if (vector.length === count) return vector;
    const grown = new Float64Array(count);
    grown.set(vector);
    this.vectors[id] = grown;
    return grown;
  }

  get count(): number {
    return this.vectors.length;
  }
}

// Trailing zeros are dropped so a request is the same whatever resources were registered later.
function requestKey(vector: Float64Array): string {
  let end = vector.length;
  while (end > 0 && vector[end - 1] === 0) end--;
  return vector.subarray(0, end).join(',');
}

/** True when `need` fits into `free` for every resource (missing entries of `free` are 0). */
export function fits(free: Float64Array, need: Float64Array): boolean {
  for (let i = 0; i < need.length; i++) {
    const amount = need[i];
    if (amount > 0 && (i >= free.length || amount > free[i])) return false;
  }
  return true;
}

/** How many copies of `need` fit into `free` at once (Infinity when `need` is all zero). */
export function fitCount(free: Float64Array, need: Float64Array): number {
  let count = Infinity;
  for (let i = 0; i < need.length; i++) {
    const amount = need[i];
    if (amount <= 0) continue;
    const have = i < free.length ? free[i] : 0;
    const copies = Math.floor(have / amount);
    if (copies < count) count = copies;
  }
  return count;
}

/** free -= need * times, in place, over the resources `free` knows. */
export function subtract(free: Float64Array, need: Float64Array, times = 1): void {
  const n = Math.min(free.length, need.length);
  for (let i = 0; i < n; i++) free[i] -= need[i] * times;
}

/** free += need * times, in place, over the resources `free` knows. */
export function add(free: Float64Array, need: Float64Array, times = 1): void {
  const n = Math.min(free.length, need.length);
  for (let i = 0; i < n; i++) free[i] += need[i] * times;
}
