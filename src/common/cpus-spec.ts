// `--cpus` values. For `hq worker start` it describes the worker's CPUs: `8`
// (cpus 0-7), `2x12` (two groups of twelve), or any indexed pool definition
// such as `[0, 1, 2, 3]`, `[[0, 1], [2, 3]]` or `range(4-11)`. For `hq submit`
// it is a request: `4`, `4 compact!`, `8 tight`, `2 scatter`, `0.5`, `all`.

import { UserError } from './errors.js';
import {
  parseAllocationRequest,
  parseResourcePool,
  regularGroupsPool,
  type AllocationRequest,
} from './resource-spec.js';

/** CPU ids per group (socket / NUMA node). */
export type CpuGroups = string[][];

export type CpuRequest = AllocationRequest;

/** The `--cpus` value of `hq worker start`. */
export function parseWorkerCpus(text: string): CpuGroups {
  // A bare count is read as Rust's u32 parser reads it: digits with an optional `+`.
  if (/^\+?[0-9]+$/.test(text)) {
    const count = Number(text);
    if (count > 0xffffffff) throw new UserError(`Invalid cpus '${text}': does not fit into 32 bits`);
    if (count === 0) throw new UserError(`Invalid cpus '${text}': a worker needs at least one cpu`);
    try {
      return regularGroupsPool(1, count).groups;
    } catch (error) {
      throw new UserError(`Invalid cpus '${text}': ${(error as Error).message}`);
    }
  }
  const pool = parseResourcePool(text, 'cpus');
  if (pool.kind === 'sum') throw new UserError(`Invalid cpus '${text}': cpus have to be indices, not a sum`);
  return pool.groups;
}

/** The `--cpus` value of `hq submit`; `all` gives amount ALL_RESOURCES. */
export function parseCpuRequest(text: string): CpuRequest {
  return parseAllocationRequest(text, 'cpu request');
}
