import { RESOURCE_UNIT, RequestTable, ResourceRegistry, type ResourceAmount } from '../../src/core/resources.js';
import { Scheduler } from '../../src/core/scheduler.js';
import { TaskTable } from '../../src/core/task-table.js';
import { RecordingSink } from './recording-sink.js';

export interface JobSpec {
  count: number;
  cpus?: number;
  gpus?: number;
  priority?: number;
  crashLimit?: number;
}

/** A scheduler over a fresh table, with a recording sink and shorthands for jobs and workers. */
export class SchedulerHarness {
  readonly table = TaskTable.create(1024);
  readonly registry = new ResourceRegistry();
  readonly requests = new RequestTable(this.registry);
  readonly sink = new RecordingSink(this.table);
  readonly scheduler = new Scheduler(this.table, this.registry, this.requests, this.sink);

  /** Resource amounts in whole units (cpus, gpus) converted to fixed point. */
  static amounts(cpus: number, gpus = 0): ResourceAmount[] {
    const amounts = [{ name: 'cpus', amount: Math.round(cpus * RESOURCE_UNIT) }];
    if (gpus > 0) amounts.push({ name: 'gpus', amount: Math.round(gpus * RESOURCE_UNIT) });
    return amounts;
  }

  request(cpus: number, gpus = 0): number {
    return this.requests.add(SchedulerHarness.amounts(cpus, gpus));
  }

  /** Adds a job and submits its tasks; returns the first row. */
  job(jobId: number, spec: JobSpec): number {
    const request = this.request(spec.cpus ?? 1, spec.gpus ?? 0);
    this.scheduler.addJob(jobId, { priority: spec.priority ?? 0, request, crashLimit: spec.crashLimit ?? 0 });
    return this.more(jobId, spec.count, request, spec.priority ?? 0);
  }

  /** Submits more tasks to an existing job. */
  more(jobId: number, count: number, request: number, priority = 0): number {
    const { start } = this.table.allocate(count);
    this.table.fillJob(start, count, jobId, null, priority, request);
    this.scheduler.submit(jobId, start, count);
    return start;
  }

  worker(workerId: number, cpus: number, prefetch = 0, gpus = 0): void {
    this.scheduler.addWorker(workerId, SchedulerHarness.amounts(cpus, gpus), prefetch);
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
