// Text forms of worker resources and task resource requests.
//
// A WorkerResource carries its indices in `groups`: a 'list' keeps all of its
// labels in the groups (usually one), 'groups' one array per group, a 'range'
// its indices in order (first and last are the bounds), and a 'sum' only `sum`.

import type { ResourceAmount, ResourceVariantSpec, WorkerResource } from '../../client/types.js';
import { formatFixed } from './text.js';

const MEMORY_RESOURCE = 'mem';

/** Resource amounts keep up to four decimals with trailing zeros dropped: 1, 0.5, 2.25. */
export function formatAmount(amount: number): string {
  const fractions = Math.round(amount * 10_000);
  const units = Math.floor(fractions / 10_000);
  const rest = fractions - units * 10_000;
  if (rest === 0) return String(units);
  return `${units}.${String(rest).padStart(4, '0').replace(/0+$/, '')}`;
}

/** Memory in MiB as "512.00 MiB" below 512 MiB, "4.12 GiB" above (single precision, like the original). */
export function formatMemory(mib: number): string {
  const value = Math.fround(mib);
  if (value < 512) return `${formatFixed(value, 2)} MiB`;
  return `${formatFixed(Math.fround(value / 1024), 2)} GiB`;
}

function allLabels(resource: WorkerResource): string[] {
  return resource.groups.flat();
}

/** Bounds of a 'range' resource as numbers. */
export function rangeBounds(resource: WorkerResource): { start: number; end: number } {
  const labels = allLabels(resource);
  if (labels.length === 0) return { start: 0, end: -1 };
  return { start: Number(labels[0]), end: Number(labels[labels.length - 1]) };
}

function summaryValue(resource: WorkerResource): string {
  if (resource.name === MEMORY_RESOURCE && resource.kind === 'sum') return formatMemory(resource.sum);
  switch (resource.kind) {
    case 'list':
      return String(allLabels(resource).length);
    case 'range': {
      const { start, end } = rangeBounds(resource);
      return String(end - start + 1);
    }
    case 'sum':
      return formatAmount(resource.sum);
    case 'groups': {
      if (resource.groups.length === 1) return String(resource.groups[0]!.length);
      const countBySize = new Map<number, number>();
      for (const group of resource.groups) countBySize.set(group.length, (countBySize.get(group.length) ?? 0) + 1);
      return [...countBySize]
        .sort((a, b) => a[0] - b[0] || a[1] - b[1])
        .map(([size, count]) => `${count}x${size}`)
        .join(' ');
    }
  }
}

/**
 * Short description of each resource: "cpus 2x4; gpus 2; mem 4.12 GiB" on one
 * line, or "cpus: 2x4\ngpus: 2" one per line.
 */
export function resourcesSummary(resources: readonly WorkerResource[], multiline: boolean): string {
  return resources
    .map((r) => (multiline ? `${r.name}: ${summaryValue(r)}` : `${r.name} ${summaryValue(r)}`))
    .join(multiline ? '\n' : '; ');
}

function describeKind(resource: WorkerResource): string {
  switch (resource.kind) {
    case 'list':
      return `[${allLabels(resource).join(',')}]`;
    case 'groups':
      return `[${resource.groups.map((g) => `[${g.join(',')}]`).join(',')}]`;
    case 'range': {
      const { start, end } = rangeBounds(resource);
      return start === end ? `[${start}]` : `range(${start}-${end})`;
    }
    case 'sum':
      return `sum(${formatAmount(resource.sum)})`;
  }
}

/** Every index of every resource: "cpus: [[0,1],[2,3]]\ngpus: [4,7]\nmem: sum(1234)". */
export function resourcesFullDescription(resources: readonly WorkerResource[]): string {
  return resources.map((r) => `${r.name}: ${describeKind(r)}`).join('\n');
}

/** One requested resource: "cpus: 4 compact", "gpus: all". */
export function formatResourceRequest(request: ResourceAmount): string {
  const policy = request.policy === 'all' ? 'all' : `${formatAmount(request.amount)} ${request.policy}`;
  return `${request.name}: ${policy}`;
}

/** All requested resources sorted by name, one per line. */
export function formatResourceRequests(requests: readonly ResourceAmount[]): string {
  return [...requests]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map(formatResourceRequest)
    .join('\n');
}

function formatVariant(variant: ResourceVariantSpec): string {
  return variant.nodes > 0 ? `nodes: ${variant.nodes}` : formatResourceRequests(variant.resources);
}

/** A task's resource variants: the request alone, or a "# Variant N" block per variant. */
export function formatResourceVariants(variants: readonly ResourceVariantSpec[]): string {
  if (variants.length === 1) return formatVariant(variants[0]!);
  return variants.map((v, i) => `# Variant ${i + 1}\n${formatVariant(v)}`).join('\n\n');
}
