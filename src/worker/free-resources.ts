// What a worker has free right now, and which concrete indices (cpu ids,
// gpu ids) a starting task gets. The server only guarantees amounts; the
// worker picks indices so that two running tasks never share one.
import type { WorkerResource } from '../client/types.js';

export interface Allocation {
  /** Indices per indexed resource name. */
  indices: Map<string, string[]>;
  /** Amounts taken per resource (fractional allowed for sums). */
  amounts: Map<string, number>;
}

interface IndexedResource {
  kind: 'indexed';
  /** Free indices per group, kept in the order the worker declared them. */
  groups: string[][];
  /** Group number and declared position of every index. */
  home: Map<string, { group: number; position: number }>;
}

interface SumResource {
  kind: 'sum';
  free: number;
}

export interface TaskRequest {
  name: string;
  amount: number;
  policy: string;
}

export class FreeResources {
  private readonly resources = new Map<string, IndexedResource | SumResource>();

  constructor(descriptors: WorkerResource[]) {
    for (const d of descriptors) {
      if (d.kind === 'sum') {
        this.resources.set(d.name, { kind: 'sum', free: d.sum });
      } else {
        const home = new Map<string, { group: number; position: number }>();
        let position = 0;
        d.groups.forEach((g, group) => g.forEach((idx) => home.set(idx, { group, position: position++ })));
        this.resources.set(d.name, { kind: 'indexed', groups: d.groups.map((g) => [...g]), home });
      }
    }
  }

  /** Total amount of a resource the worker has free. */
  free(name: string): number {
    const r = this.resources.get(name);
    if (!r) return 0;
    if (r.kind === 'sum') return r.free;
    let n = 0;
    for (const g of r.groups) n += g.length;
    return n;
  }

  /** Takes what the request needs, or returns null (nothing taken). */
  allocate(request: readonly TaskRequest[]): Allocation | null {
    for (const q of request) if (this.free(q.name) < amountOf(q, this.free(q.name))) return null;
    const alloc: Allocation = { indices: new Map(), amounts: new Map() };
    for (const q of request) {
      const r = this.resources.get(q.name)!;
      const amount = amountOf(q, this.free(q.name));
      alloc.amounts.set(q.name, amount);
      if (r.kind === 'sum') {
        r.free -= amount;
        continue;
      }
      alloc.indices.set(q.name, takeIndices(r.groups, Math.ceil(amount), q.policy));
    }
    return alloc;
  }

  release(alloc: Allocation): void {
    for (const [name, amount] of alloc.amounts) {
      const r = this.resources.get(name);
      if (r?.kind === 'sum') r.free += amount;
    }
    for (const [name, indices] of alloc.indices) {
      const r = this.resources.get(name);
      if (r?.kind !== 'indexed') continue;
      // Return each index to the group it came from, keeping declared order.
      for (const idx of indices) {
        const group = r.groups[r.home.get(idx)!.group]!;
        group.push(idx);
        group.sort((a, b) => r.home.get(a)!.position - r.home.get(b)!.position);
      }
    }
  }
}

function amountOf(q: TaskRequest, free: number): number {
  return q.policy === 'all' ? Math.max(free, 0) : q.amount;
}

/** Compact placement: fill from the fewest groups, fullest-fitting first. */
function takeIndices(groups: string[][], count: number, policy: string): string[] {
  const taken: string[] = [];
  if (policy === 'scatter') {
    while (taken.length < count) {
      for (const g of groups) {
        if (g.length > 0 && taken.length < count) taken.push(g.shift()!);
      }
    }
    return taken;
  }
  // A single group that holds everything, the smallest such one.
  const fitting = groups.filter((g) => g.length >= count).sort((a, b) => a.length - b.length)[0];
  if (fitting) return fitting.splice(0, count);
  const bySize = [...groups].sort((a, b) => b.length - a.length);
  for (const g of bySize) {
    while (g.length > 0 && taken.length < count) taken.push(g.shift()!);
    if (taken.length === count) break;
  }
  return taken;
}
