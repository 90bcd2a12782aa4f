import { PLAN_HEADER, PolicyCode, POLICY_NAMES, type RequestVariant, type ResourcePolicy, type ResourceRegistry } from './resources.js';
import type { SchedulerWorker } from './scheduler-worker.js';
import { TaskState } from './task-state.js';

/** One requested resource of one variant, against one worker. Amounts in fixed-point units. */
export interface ExplainEntry {
  resource: string;
  /** What the task asks for; for policy 'all', the worker's total. */
  amount: number;
  policy: ResourcePolicy;
  /** 0 when the worker lacks the resource. */
  workerTotal: number;
  workerFree: number;
  /** This entry alone could be allocated now. */
  fitsNow: boolean;
  /** This entry alone fits the worker when nothing else runs there. */
  fitsEver: boolean;
}

export interface ExplainVariant {
  index: number;
  /** Whole workers a multi-node variant needs; 0 for an ordinary one. */
  nodes: number;
  entries: ExplainEntry[];
  /** The whole variant could be allocated now (multi-node: enough idle workers in the group). */
  fitsNow: boolean;
  /** The whole variant fits the worker when idle (multi-node: the group has enough workers). */
  fitsEver: boolean;
  /** Multi-node only: the worker's group, its workers that live long enough, and how many of them are idle. */
  group: { name: string; workers: number; idleWorkers: number } | null;
}

/** Why a task does or does not run on a worker (`hq task explain`). */
export interface ExplainResult {
  row: number;
  workerId: number;
  state: TaskState;
  /** Waiting, ready, and some variant could be placed on the worker right now. */
  runnableNow: boolean;
  /** Some variant fits the worker at all (dependencies and the current load aside). */
  runnableEver: boolean;
  timeRequestMs: number;
  /** Remaining lifetime of the worker; null when it has no time limit. */
  workerRemainingMs: number | null;
  timeFits: boolean;
  unfinishedDependencies: number;
  variants: ExplainVariant[];
}

export interface ExplainInput {
  row: number;
  state: TaskState;
  worker: SchedulerWorker;
  variants: readonly RequestVariant[];
  registry: ResourceRegistry;
  timeRequestMs: number;
  nowMs: number;
  unfinishedDependencies: number;
  /** Workers of the worker's group that live long enough, and how many are idle. */
  groupWorkers: number;
  groupIdleWorkers: number;
}

export function explainPlacement(input: ExplainInput): ExplainResult {
  const { worker, nowMs } = input;
  const allocator = worker.allocator;
  const timeFits = worker.livesFor(input.timeRequestMs, nowMs);
  const single = new Float64Array(PLAN_HEADER + 3);
  single[1] = 1;
  const variants = input.variants.map((variant, index): ExplainVariant => {
    if (variant.nodes > 0) {
      return {
        index,
        nodes: variant.nodes,
        entries: [],
        fitsNow: input.groupIdleWorkers >= variant.nodes,
        fitsEver: input.groupWorkers >= variant.nodes,
        group: { name: worker.group, workers: input.groupWorkers, idleWorkers: input.groupIdleWorkers },
      };
    }
    const entries = variant.entries.map((entry): ExplainEntry => {
      single[PLAN_HEADER] = entry.resource;
      single[PLAN_HEADER + 1] = entry.amount;
      single[PLAN_HEADER + 2] = POLICY_NAMES.indexOf(entry.policy);
      const total = allocator.total(entry.resource);
      return {
        resource: input.registry.name(entry.resource),
        amount: single[PLAN_HEADER + 2] === PolicyCode.All ? total : entry.amount,
        policy: entry.policy,
        workerTotal: total,
        workerFree: allocator.free(entry.resource),
        fitsNow: allocator.fits(single),
        fitsEver: allocator.fitsEver(single),
      };
    });
    const fitsNow = allocator.fits(variant.plan);
    if (!fitsNow && entries.every((e) => e.fitsNow)) {
      // Each entry fits alone but not together: coupled groups that a strict
      // policy finds worse than on an idle worker. The strict entries wait.
      for (const e of entries) if (e.policy.endsWith('!')) e.fitsNow = false;
    }
    return { index, nodes: 0, entries, fitsNow, fitsEver: allocator.fitsEver(variant.plan), group: null };
  });
  const runnableEver = timeFits && variants.some((v) => v.fitsEver);
  const ready = input.state === TaskState.Waiting && input.unfinishedDependencies === 0;
  return {
    row: input.row,
    workerId: worker.id,
    state: input.state,
    runnableNow: ready && timeFits && worker.multiNodeRow < 0 && variants.some((v) => v.fitsNow),
    runnableEver,
    timeRequestMs: input.timeRequestMs,
    workerRemainingMs: worker.endTimeMs === 0 ? null : Math.max(0, worker.endTimeMs - nowMs),
    timeFits,
    unfinishedDependencies: input.unfinishedDependencies,
    variants,
  };
}
