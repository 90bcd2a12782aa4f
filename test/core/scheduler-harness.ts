import type { WorkerResourceDescriptor } from '../../src/core/allocator.js';
import { RESOURCE_UNIT, RequestTable, ResourceRegistry, type ResourcePolicy, type ResourceVariant } from '../../src/core/resources.js';
import { Scheduler, type TaskDependencies, type WorkerSchedulingOptions } from '../../src/core/scheduler.js';
import { TaskTable } from '../../src/core/task-table.js';
import { RecordingSink } from './recording-sink.js';

export interface JobSpec {
  count: number;
  cpus?: number;
  gpus?: number;
  policy?: ResourcePolicy;
  /** Overrides cpus/gpus/policy. */
  variants?: ResourceVariant[];
  priority?: number;
  crashLimit?: number;
  /** Part of the tasks' resource request. */
  timeRequestMs?: number;
  deps?: TaskDependencies;
}

/** `count` indices numbered from 0, split into `groups` equal groups. */
export function indexed(name: string, count: number, groups = 1): WorkerResourceDescriptor {
  const size = count / groups;
  const all: string[][] = [];
  for (let g = 0; g < groups; g++) all.push(Array.from({ length: size }, (_, i) => String(g * size + i)));
  return { name, kind: groups > 1 ? 'groups' : 'range', groups: all, sum: 0 };
}

/** A variant asking for whole-unit amounts (converted to fixed point). */
export function variant(amounts: Record<string, number>, policy: ResourcePolicy = 'compact'): ResourceVariant {
  return {
    nodes: 0,
    entries: Object.entries(amounts).map(([resource, amount]) => ({ resource, amount: Math.round(amount * RESOURCE_UNIT), policy })),
  };
}

export interface WorkerSpec {
  cpus: number;
  prefetch?: number;
  gpus?: number;
  /** Groups the cpus are split into. */
  cpuGroups?: number;
  group?: string;
  endTimeMs?: number;
}

/** A scheduler over a fresh table, with a recording sink and shorthands for jobs and workers. */
export class SchedulerHarness {
  readonly table = TaskTable.create(1024);
  readonly registry = new ResourceRegistry();
  readonly requests = new RequestTable(this.registry);
  readonly sink = new RecordingSink(this.table);
  readonly scheduler = new Scheduler(this.table, this.registry, this.requests, this.sink);

  /** Descriptors of a worker with `cpus` cpus (in `cpuGroups` groups) and `gpus` gpus. */
  static resources(cpus: number, gpus = 0, cpuGroups = 1): WorkerResourceDescriptor[] {
    const resources = [indexed('cpus', cpus, cpuGroups)];
    if (gpus > 0) resources.push(indexed('gpus', gpus));
    return resources;
  }

  request(cpus: number, gpus = 0, policy: ResourcePolicy = 'compact', timeRequestMs = 0): number {
    return this.requests.add([variant(gpus > 0 ? { cpus, gpus } : { cpus }, policy)], timeRequestMs);
  }

  /** Adds a job and submits its tasks; returns the first row. */
  job(jobId: number, spec: JobSpec): number {
    const timeRequestMs = spec.timeRequestMs ?? 0;
    const request = spec.variants ? this.requests.add(spec.variants, timeRequestMs) : this.request(spec.cpus ?? 1, spec.gpus ?? 0, spec.policy, timeRequestMs);
    this.scheduler.addJob(jobId, { priority: spec.priority ?? 0, request, crashLimit: spec.crashLimit ?? 0 });
    return this.more(jobId, spec.count, request, spec.priority ?? 0, spec.deps);
  }

  /** Submits more tasks to an existing job. */
  more(jobId: number, count: number, request: number, priority = 0, deps?: TaskDependencies): number {
    const { start } = this.table.allocate(count);
    this.table.fillJob(start, count, jobId, null, priority, request);
    this.scheduler.submit(jobId, start, count, deps);
    return start;
  }

  worker(workerId: number, cpus: number, prefetch = 0, gpus = 0): void {
    this.workerWith(workerId, { cpus, prefetch, gpus });
  }

  workerWith(workerId: number, spec: WorkerSpec): void {
    const opts: WorkerSchedulingOptions = { group: spec.group ?? 'default', endTimeMs: spec.endTimeMs ?? 0 };
    this.scheduler.addWorker(workerId, SchedulerHarness.resources(spec.cpus, spec.gpus ?? 0, spec.cpuGroups ?? 1), spec.prefetch ?? 0, opts);
  }

  /** schedule() and the rows it assigned, in order. */
  schedule(now = 1): number[] {
    const from = this.sink.assigns.length;
    this.scheduler.schedule(now);
    return this.sink.assigns.slice(from).flatMap((a) => a.rows);
  }

  /** Reports start then finish of a row with its current instance. */
  run(row: number, now = 2): void {
    const instance = this.table.instance(row);
    this.scheduler.taskStarted(row, instance, now);
    this.scheduler.taskFinished(row, instance, now + 1);
  }
}
