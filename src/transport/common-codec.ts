// Conversions between the plain data types and the flatbuffers object API
// for the tables both sides share (schema/common.fbs).
import { IdRangeT, KeyValueT, ProgramT, ResourceAmountT, ResourceDescriptorT, ResourceGroupT, ResourceVariantT } from './generated/protocol.js';
import type { ProgramDescription, ResourceAmount, ResourceVariantSpec, WorkerResource } from '../client/types.js';
import type { IdRange } from '../common/id-range.js';

export function str(value: string | Uint8Array | null | undefined): string {
  if (value == null) return '';
  return typeof value === 'string' ? value : Buffer.from(value).toString('utf8');
}

export function programToT(p: ProgramDescription): ProgramT {
  return new ProgramT(
    p.args,
    Object.entries(p.env).map(([k, v]) => new KeyValueT(k, v)),
    p.cwd,
    p.stdout,
    p.stderr,
    p.stdin ? Array.from(p.stdin) : [],
    p.stdoutOnClose === 'rm-if-finished' ? p.stdoutOnClose : null,
    p.stderrOnClose === 'rm-if-finished' ? p.stderrOnClose : null,
  );
}

export function programFromT(p: ProgramT | null): ProgramDescription {
  const env: Record<string, string> = {};
  for (const kv of p?.env ?? []) env[str(kv.key)] = str(kv.value);
  return {
    args: (p?.args ?? []).map(str),
    env,
    cwd: str(p?.cwd),
    stdout: str(p?.stdout),
    stderr: str(p?.stderr),
    ...(p && p.stdin.length > 0 ? { stdin: Uint8Array.from(p.stdin) } : {}),
    ...(str(p?.stdoutOnClose) === 'rm-if-finished' ? { stdoutOnClose: 'rm-if-finished' as const } : {}),
    ...(str(p?.stderrOnClose) === 'rm-if-finished' ? { stderrOnClose: 'rm-if-finished' as const } : {}),
  };
}

export function resourcesToT(list: ResourceAmount[]): ResourceAmountT[] {
  return list.map((r) => new ResourceAmountT(r.name, r.amount, r.policy));
}

export function resourcesFromT(list: ResourceAmountT[]): ResourceAmount[] {
  return list.map((r) => ({ name: str(r.name), amount: r.amount, policy: str(r.policy) }));
}

export function rangesToT(ranges: IdRange[]): IdRangeT[] {
  return ranges.map((r) => new IdRangeT(r.start, r.end, r.step));
}

export function rangesFromT(ranges: IdRangeT[]): IdRange[] {
  return ranges.map((r) => ({ start: r.start, end: r.end, step: r.step || 1 }));
}

export function descriptorsToT(list: WorkerResource[]): ResourceDescriptorT[] {
  return list.map((r) => new ResourceDescriptorT(r.name, r.kind, r.groups.map((g) => new ResourceGroupT(g)), r.sum));
}

export function descriptorsFromT(list: ResourceDescriptorT[]): WorkerResource[] {
  return list.map((r) => ({
    name: str(r.name),
    kind: str(r.kind) as WorkerResource['kind'],
    groups: r.groups.map((g) => g.indices.map(str)),
    sum: r.sum,
  }));
}

export function variantsToT(list: ResourceVariantSpec[]): ResourceVariantT[] {
  return list.map((v) => new ResourceVariantT(v.nodes, resourcesToT(v.resources)));
}

export function variantsFromT(list: ResourceVariantT[]): ResourceVariantSpec[] {
  return list.map((v) => ({ nodes: v.nodes, resources: resourcesFromT(v.resources) }));
}
