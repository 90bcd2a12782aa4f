// A task's resource request as the scheduling core and the worker's
// allocator take it: fixed-point amounts, and 1 cpu unless the request names
// cpus (as HyperQueue does).
import { RESOURCE_UNIT, toResourceUnits, type ResourcePolicy, type ResourceVariant } from '../core/resources.js';
import type { ResourceVariantSpec } from '../client/types.js';

export function toCoreVariants(variants: readonly ResourceVariantSpec[]): ResourceVariant[] {
  const list = variants.length > 0 ? variants : [{ nodes: 0, resources: [] }];
  return list.map((v) => {
    if (v.nodes > 0) return { nodes: v.nodes, entries: [] };
    const entries = v.resources.map((r) => ({
      resource: r.name,
      amount: r.policy === 'all' ? 0 : toResourceUnits(r.amount),
      policy: (r.policy || 'compact') as ResourcePolicy,
    }));
    if (!entries.some((e) => e.resource === 'cpus')) entries.unshift({ resource: 'cpus', amount: RESOURCE_UNIT, policy: 'compact' });
    return { nodes: 0, entries };
  });
}
