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
}

/** How indices of an indexed resource are picked; ignored for sum resources. */
export type ResourcePolicy = 'compact' | 'compact!' | 'tight' | 'tight!' | 'scatter' | 'all';

/** Policy codes as stored in compiled plans. */
export const PolicyCode = {
  Compact: 0,
  CompactStrict: 1,
  Tight: 2,
  TightStrict: 3,
  Scatter: 4,
  All: 5,
} as const;
export type PolicyCode = (typeof PolicyCode)[keyof typeof PolicyCode];

/** Indexed by PolicyCode. */
export const POLICY_NAMES: readonly ResourcePolicy[] = ['compact', 'compact!', 'tight', 'tight!', 'scatter', 'all'];

/** One resource of a variant: `amount` in fixed-point units (ignored for policy 'all'). */
export interface ResourceEntry {
  /** Registry id or resource name. */
  resource: number | string;
  amount: number;
  policy: ResourcePolicy;
}

/**
 * One way a task may run. `nodes > 0` asks for that many whole workers of one
 * worker group (a multi-node task); its entries are then ignored.
 */
export interface ResourceVariant {
  nodes: number;
  entries: ResourceEntry[];
}

/** An entry of a stored variant: registry id, fixed-point amount (0 for 'all'), policy. */
export interface RequestEntry {
  readonly resource: number;
  readonly amount: number;
  readonly policy: ResourcePolicy;
}

/**
 * Layout of a compiled plan (Float64Array): [nodes, entryCount, then per entry
 * resource id, fixed-point amount, PolicyCode]. Allocators read plans on the
 * hot path instead of entry objects.
 */
export const PLAN_HEADER = 2;
export const PLAN_ENTRY = 3;

/** A validated variant as stored in a RequestTable; entries sorted by resource id. */
export interface RequestVariant {
  readonly nodes: number;
  readonly entries: readonly RequestEntry[];
  readonly plan: Float64Array;
}

/** Most variants one request may have: the chosen one is stored in one byte per task. */
export const MAX_VARIANTS = 255;
const MAX_NODES = 0xffff;

/** A single compact variant from plain amounts (the common `--cpus N --resource x=M` request). */
export function compactVariant(amounts: readonly ResourceAmount[]): ResourceVariant {
  return { nodes: 0, entries: amounts.map((a) => ({ resource: a.name, amount: a.amount, policy: 'compact' as const })) };
}

/** Validates a variant and resolves names to registry ids (registering new names). */
export function normalizeVariant(variant: ResourceVariant, registry: ResourceRegistry): RequestVariant {
  const nodes = variant.nodes;
  if (!Number.isInteger(nodes) || nodes < 0 || nodes > MAX_NODES) throw new UserError(`invalid node count ${nodes}`);
  if (nodes > 0) {
    // A multi-node task owns whole workers: per-resource amounts do not apply.
    return { nodes, entries: [], plan: Float64Array.of(nodes, 0) };
  }
  const entries: RequestEntry[] = [];
  for (const entry of variant.entries) {
    const resource = typeof entry.resource === 'number' ? checkedId(entry.resource, registry) : registry.id(entry.resource);
    const name = registry.name(resource);
    const code = POLICY_NAMES.indexOf(entry.policy);
    if (code < 0) throw new UserError(`invalid allocation policy '${entry.policy}' for resource '${name}'`);
    let amount = 0;
    if (code !== PolicyCode.All) {
      if (!Number.isFinite(entry.amount) || entry.amount <= 0 || entry.amount > Number.MAX_SAFE_INTEGER) {
        throw new UserError(`invalid amount ${entry.amount} of resource '${name}': expected a positive amount`);
      }
      // Binary noise from scaling (0.1 * 10000) is rounded away.
      amount = Math.round(entry.amount);
      const whole = amount % RESOURCE_UNIT === 0;
      if (!whole && (code === PolicyCode.CompactStrict || code === PolicyCode.TightStrict)) {
        throw new UserError(`policy ${entry.policy} needs a whole amount of resource '${name}', got ${formatResourceAmount(amount)}`);
      }
    }
    if (entries.some((e) => e.resource === resource)) throw new UserError(`resource '${name}' given twice in one request`);
    entries.push({ resource, amount, policy: entry.policy });
  }
  if (entries.length === 0) {
    throw new UserError('a resource request must ask for a positive amount of at least one resource');
  }
  entries.sort((a, b) => a.resource - b.resource);
  const plan = new Float64Array(PLAN_HEADER + PLAN_ENTRY * entries.length);
  plan[0] = 0;
  plan[1] = entries.length;
  entries.forEach((e, i) => {
    const at = PLAN_HEADER + PLAN_ENTRY * i;
    plan[at] = e.resource;
    plan[at + 1] = e.amount;
    plan[at + 2] = POLICY_NAMES.indexOf(e.policy);
  });
  return { nodes: 0, entries, plan };
}

function checkedId(id: number, registry: ResourceRegistry): number {
  if (!Number.isInteger(id) || id < 0 || id >= registry.count) throw new UserError(`unknown resource id ${id}`);
  return id;
}

function variantKey(v: RequestVariant): string {
  return `${v.nodes}|${v.entries.map((e) => `${e.resource}:${e.amount}:${e.policy}`).join(',')}`;
}

/**
 * Resource requests of tasks, deduplicated: identical requests share one id,
 * which is what the task table stores per row. A request is a list of
 * variants tried in order (the scheduler records which one a task got) and,
 * as in HyperQueue, the least remaining lifetime a worker needs to start it
 * (the time request).
 */
export class RequestTable {
  private readonly registry: ResourceRegistry;
  private readonly byKey = new Map<string, number>();
  private readonly stored: Array<readonly RequestVariant[]> = [];
  private nodeCounts = new Uint16Array(16);
  private timeRequests = new Float64Array(16);

  constructor(registry: ResourceRegistry) {
    this.registry = registry;
  }

  /**
   * The id of a request made of `variants` (tried in this order), for
   * workers with at least `timeRequestMs` of lifetime left (0 = any).
   */
  add(variants: readonly ResourceVariant[], timeRequestMs = 0): number {
    if (variants.length === 0) throw new UserError('a resource request needs at least one variant');
    if (!Number.isFinite(timeRequestMs) || timeRequestMs < 0) throw new UserError(`invalid time request ${timeRequestMs} ms`);
    if (variants.length > MAX_VARIANTS) throw new UserError(`a resource request may have at most ${MAX_VARIANTS} variants, got ${variants.length}`);
    const normalized = variants.map((v) => normalizeVariant(v, this.registry));
    if (normalized.length > 1 && normalized.some((v) => v.nodes > 0)) {
      throw new UserError('a multi-node request cannot have other variants');
    }
    const key = `${timeRequestMs}@${normalized.map(variantKey).join(';')}`;
    const known = this.byKey.get(key);
    if (known !== undefined) return known;
    const id = this.stored.length;
    this.stored.push(normalized);
    this.byKey.set(key, id);
    if (id >= this.nodeCounts.length) {
      const grown = new Uint16Array(this.nodeCounts.length * 2);
      grown.set(this.nodeCounts);
      this.nodeCounts = grown;
      const times = new Float64Array(this.timeRequests.length * 2);
      times.set(this.timeRequests);
      this.timeRequests = times;
    }
    this.nodeCounts[id] = normalized[0].nodes;
    this.timeRequests[id] = timeRequestMs;
    return id;
  }

  /** The variants of a request, in the order they are tried. */
  variants(id: number): readonly RequestVariant[] {
    const variants = this.stored[id];
    if (variants === undefined) throw new RangeError(`unknown resource request ${id}`);
    return variants;
  }

  /** Workers a multi-node request needs; 0 for an ordinary request. */
  nodes(id: number): number {
    if (id >= this.stored.length) throw new RangeError(`unknown resource request ${id}`);
    return this.nodeCounts[id];
  }

  /** Least remaining worker lifetime (ms) a task of the request needs; 0 = any. */
  timeRequestMs(id: number): number {
    if (id >= this.stored.length) throw new RangeError(`unknown resource request ${id}`);
    return this.timeRequests[id];
  }

  get count(): number {
    return this.stored.length;
  }
}
