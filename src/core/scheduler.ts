import { UserError } from '../common/errors.js';
import { add, fitCount, fits, subtract, type RequestTable, type ResourceAmount, type ResourceRegistry } from './resources.js';
import { FailReason, NULL_SINK, TaskEvent, type SchedulerSink } from './scheduler-events.js';
import { SchedulerJob } from './scheduler-job.js';
import { SchedulerWorker } from './scheduler-worker.js';
import { TaskGroup } from './task-group.js';
import { TaskState } from './task-state.js';
import type { TaskTable } from './task-table.js';

export { FailReason, TaskEvent, type SchedulerSink } from './scheduler-events.js';

export interface JobSchedulingOptions {
  /** Higher runs first. */
  priority: number;
  /** Resource request id of the job's tasks (rows may carry other requests; each gets its own group). */
  request: number;
  /** A task fails once it was running on this many crashed workers; 0 = never. */
  crashLimit: number;
}

const MAX_ID = 0xffff_ffff;

/**
 * Decides which worker runs which task. Pure logic over the shared task table,
 * owned by one thread; every decision goes out through a SchedulerSink.
 *
 * Placement rule, per group of waiting tasks in order (priority desc, job id
 * asc, then row order within a job):
 *  1. on every worker whose queue is empty, as many tasks as fit its free
 *     resources; they hold those resources until they end;
 *  2. then on every worker whose total capacity fits the request, up to
 *     `prefetch` tasks queued behind the running ones (no resources held).
 * So a worker holds at most what its resources run at once plus `prefetch`
 * tasks, and never a task larger than its capacity. See SchedulerWorker for
 * the start-order rule the worker follows and the scheduler mirrors.
 *
 * Not re-entrant: sink callbacks must not call back into the scheduler.
 */
export class Scheduler {
  private readonly table: TaskTable;
  private readonly requests: RequestTable;
  private readonly registry: ResourceRegistry;
  private readonly sink: SchedulerSink;
  private readonly workers = new Map<number, SchedulerWorker>();
  private workerOrder: SchedulerWorker[] = [];
  private readonly jobs = new Map<number, SchedulerJob>();
  /** Groups with waiting rows, in scheduling order. */
  private ready: TaskGroup[] = [];
  /** Per row: index in its worker's `held` list, -1 when it holds no resources. */
  private heldSlot = new Int32Array(0);
  private waiting = 0;
  private groupSeq = 0;
  /** Which worker is tried first, rotated by each schedule() so light load spreads. */
  private rotation = 0;
  private readonly open: SchedulerWorker[] = [];
  private readonly assignDirty: SchedulerWorker[] = [];
  private readonly cancelDirty: SchedulerWorker[] = [];
  private readonly nextGroupSeq = (): number => this.groupSeq++;

  constructor(table: TaskTable, registry: ResourceRegistry, requests: RequestTable, sink: SchedulerSink = NULL_SINK) {
    this.table = table;
    this.registry = registry;
    this.requests = requests;
    this.sink = sink;
  }

  // ---------------------------------------------------------------- workers

  /** A worker joins with its resources (fixed-point units) and how many extra tasks it may queue. */
  addWorker(workerId: number, capacity: readonly ResourceAmount[], prefetch: number): void {
    checkId(workerId, 'worker');
    if (workerId === 0) throw new RangeError('worker id 0 means "no worker"');
    if (this.workers.has(workerId)) throw new Error(`worker ${workerId} is already known`);
    if (!Number.isSafeInteger(prefetch) || prefetch < 0) throw new UserError(`invalid prefetch count ${prefetch} for worker ${workerId}`);
    const worker = new SchedulerWorker(workerId, this.registry.vector(capacity, `resources of worker ${workerId}`), prefetch);
    this.workers.set(workerId, worker);
    this.workerOrder.push(worker);
  }

  /**
   * A worker left. Its tasks go back to waiting, ahead of the job's other
   * waiting tasks, with a new instance. If it crashed, each task that was
   * running counts a crash and fails at the job's crash limit.
   */
  removeWorker(workerId: number, crashed: boolean, nowMs = Date.now()): void {
    const worker = this.workerOf(workerId);
    const rows = new Uint32Array(worker.held.length + worker.queued.length);
    rows.set(worker.held.rows.subarray(0, worker.held.length));
    for (let i = 0; i < worker.queued.length; i++) rows[worker.held.length + i] = worker.queued.at(i);
    rows.sort(); // returned rows keep their row order
    this.workers.delete(workerId);
    this.workerOrder = this.workerOrder.filter((w) => w !== worker);
    const table = this.table;
    for (const row of rows) {
      const wasRunning = table.state(row) === TaskState.Running;
      const job = this.jobOfRow(row);
      this.heldSlot[row] = -1;
      table.setInstance(row, (table.instance(row) + 1) >>> 0);
      if (crashed && wasRunning && job.crashLimitReached(table.incrementCrashCount(row))) {
        table.setState(row, TaskState.Failed);
        table.setEndTime(row, nowMs);
        this.sink.event(TaskEvent.Failed, row, workerId, FailReason.CrashLimit);
        continue;
      }
      table.setState(row, TaskState.Waiting);
      table.setWorker(row, 0);
      table.setStartTime(row, 0);
      const group = job.group(table.request(row), this.nextGroupSeq);
      group.addReturned(row);
      this.waiting++;
      this.markReady(group);
      this.sink.event(TaskEvent.Returned, row, workerId, FailReason.None);
    }
  }

  hasWorker(workerId: number): boolean {
    return this.workers.has(workerId);
  }

  /** Tasks on a worker: assigned = queued or about to start, running = started. */
  workerLoad(workerId: number): { assigned: number; running: number } {
    const worker = this.workerOf(workerId);
    return { assigned: worker.assigned, running: worker.running };
  }

  // ------------------------------------------------------------------- jobs

  addJob(jobId: number, opts: JobSchedulingOptions): void {
    checkId(jobId, 'job');
    if (this.jobs.has(jobId)) throw new Error(`job ${jobId} is already known`);
    if (!Number.isInteger(opts.priority) || opts.priority < -0x8000_0000 || opts.priority > 0x7fff_ffff) {
      throw new UserError(`invalid priority ${opts.priority}`);
    }
    if (!Number.isInteger(opts.crashLimit) || opts.crashLimit < 0) throw new UserError(`invalid crash limit ${opts.crashLimit}`);
    this.requests.get(opts.request); // must exist
    const job = new SchedulerJob(jobId, opts.priority, opts.crashLimit);
    job.group(opts.request, this.nextGroupSeq);
    this.jobs.set(jobId, job);
  }

  /** Rows [startRow, startRow+count), filled by TaskTable.fillJob and Waiting, become schedulable. */
  submit(jobId: number, startRow: number, count: number): void {
    const job = this.jobById(jobId);
    const end = startRow + count;
    if (!Number.isInteger(startRow) || !Number.isInteger(count) || startRow < 0 || count < 0 || end > this.table.length) {
      throw new RangeError(`task rows [${startRow}, ${end}) are outside the table`);
    }
    if (count === 0) return;
    // Split into runs of equal request (usually one run), checking every request before changing anything.
    const table = this.table;
    const runs: number[] = []; // (start, end, request) triples
    let runStart = startRow;
    let request = table.request(startRow);
    for (let row = startRow + 1; row <= end; row++) {
      const next = row < end ? table.request(row) : -1;
      if (next === request) continue;
      this.requests.get(request); // throws on an unknown request id
      runs.push(runStart, row, request);
      runStart = row;
      request = next;
    }
    this.ensureRows(end);
    job.ranges.push(startRow, count);
    for (let i = 0; i < runs.length; i += 3) {
      const group = job.group(runs[i + 2], this.nextGroupSeq);
      group.addFresh(runs[i], runs[i + 1]);
      this.markReady(group);
    }
    this.waiting += count;
  }

  /** Cancels every unfinished task of a job; queued and running ones get a cancel order. */
  cancelJob(jobId: number, nowMs = Date.now()): void {
    const job = this.jobById(jobId);
    const ranges = job.ranges;
    for (let i = 0; i < ranges.length; i += 2) {
      const end = ranges[i] + ranges[i + 1];
      for (let row = ranges[i]; row < end; row++) this.cancelRow(row, job, nowMs);
    }
    this.flushCancels();
  }

  /** Cancels single tasks (submitted rows); finished ones are left alone. */
  cancelTasks(rows: Uint32Array, nowMs = Date.now()): void {
    const length = this.table.length;
    for (const row of rows) {
      if (row >= length) throw new RangeError(`task row ${row} is outside the table`);
      this.cancelRow(row, this.jobOfRow(row), nowMs);
    }
    this.flushCancels();
  }

  /** Tasks waiting for a worker. */
  waitingCount(): number {
    return this.waiting;
  }

  // ---------------------------------------------------------- task reports
  // A report whose instance differs from the table's is about an earlier run: ignored (returns false).

  taskStarted(row: number, instance: number, nowMs: number): boolean {
    const table = this.table;
    if (!this.isCurrent(row, instance) || table.state(row) !== TaskState.Assigned) return false;
    const worker = this.workers.get(table.worker(row));
    if (worker === undefined) return false;
    if (this.heldSlot[row] < 0) this.promoteOutOfTurn(worker, row);
    table.setState(row, TaskState.Running);
    table.setStartTime(row, nowMs);
    worker.assigned--;
    worker.running++;
    this.sink.event(TaskEvent.Started, row, worker.id, FailReason.None);
    return true;
  }

  taskFinished(row: number, instance: number, nowMs: number): boolean {
    return this.taskEnded(row, instance, nowMs, TaskState.Finished, TaskEvent.Finished);
  }

  taskFailed(row: number, instance: number, nowMs: number): boolean {
    return this.taskEnded(row, instance, nowMs, TaskState.Failed, TaskEvent.Failed);
  }

  // -------------------------------------------------------------- placement

  /**
   * Places waiting tasks on workers; see the class comment for the rule.
   * Assignments (and their Assigned events) go to `sink`, by default the
   * constructor's. Placement does not depend on the time yet; `_nowMs` is
   * part of the call so time-based requests need no signature change.
   */
  schedule(_nowMs: number, sink: SchedulerSink = this.sink): void {
    const workers = this.workerOrder;
    const open = this.open;
    open.length = 0;
    if (workers.length > 0) {
      const first = this.rotation++ % workers.length;
      for (let k = 0; k < workers.length; k++) {
        const worker = workers[(first + k) % workers.length];
        if (worker.canAccept) open.push(worker);
      }
    }
    const ready = this.ready;
    let kept = 0;
    for (const group of ready) {
      if (group.waiting > 0 && open.length > 0) this.place(group, sink);
      if (group.waiting > 0) ready[kept++] = group;
      else group.inReady = false;
    }
    ready.length = kept;
    for (const worker of this.assignDirty) {
      sink.assign(worker.id, worker.assignBatch.rows, worker.assignBatch.length);
      worker.assignBatch.clear();
    }
    this.assignDirty.length = 0;
  }

  private place(group: TaskGroup, sink: SchedulerSink): void {
    const need = this.requests.get(group.request);
    const open = this.open;
    // 1. Free resources of workers with nothing queued: the tasks start on arrival.
    for (const worker of open) {
      if (worker.queued.length > 0) continue;
      const count = Math.min(fitCount(worker.free, need), group.waiting);
      if (count <= 0) continue;
      let placed = 0;
      while (placed < count) {
        const row = group.take(this.table);
        if (row < 0) break;
        this.hold(worker, row);
        this.assign(worker, row, sink);
        placed++;
      }
      subtract(worker.free, need, placed);
      if (group.waiting === 0) break;
    }
    // 2. Prefetch: queue behind running tasks on workers large enough for the request.
    if (group.waiting > 0) {
      for (const worker of open) {
        let room = Math.min(worker.prefetch - worker.queued.length, group.waiting);
        if (room <= 0 || !fits(worker.capacity, need)) continue;
        for (; room > 0; room--) {
          const row = group.take(this.table);
          if (row < 0) break;
          worker.queued.pushBack(row);
          this.assign(worker, row, sink);
        }
        if (group.waiting === 0) break;
      }
    }
    let kept = 0;
    for (const worker of open) if (worker.canAccept) open[kept++] = worker;
    open.length = kept;
  }

  private assign(worker: SchedulerWorker, row: number, sink: SchedulerSink): void {
    this.table.setState(row, TaskState.Assigned);
    this.table.setWorker(row, worker.id);
    worker.assigned++;
    this.waiting--;
    if (worker.assignBatch.push(row) === 0) this.assignDirty.push(worker);
    sink.event(TaskEvent.Assigned, row, worker.id, FailReason.None);
  }

  // ---------------------------------------------------- resource accounting

  private hold(worker: SchedulerWorker, row: number): void {
    this.heldSlot[row] = worker.held.push(row);
  }

  /** Gives back the resources of a task that holds them. */
  private release(worker: SchedulerWorker, row: number): void {
    const slot = this.heldSlot[row];
    const moved = worker.held.swapRemove(slot);
    if (moved >= 0) this.heldSlot[moved] = slot;
    this.heldSlot[row] = -1;
    add(worker.free, this.requests.get(this.table.request(row)));
  }

  /** Takes a task off a worker's books, whether it holds resources or is queued. */
  private detach(worker: SchedulerWorker, row: number, state: TaskState): void {
    if (state === TaskState.Running) worker.running--;
    else worker.assigned--;
    if (this.heldSlot[row] >= 0) {
      this.release(worker, row);
    } else {
      const at = worker.queued.indexOf(row);
      if (at >= 0) worker.queued.removeAt(at);
    }
  }

  /** Queued tasks that reached the head of the worker's queue and fit take their resources. */
  private promote(worker: SchedulerWorker): void {
    while (worker.queued.length > 0) {
      const row = worker.queued.at(0);
      const need = this.requests.get(this.table.request(row));
      if (!fits(worker.free, need)) return;
      worker.queued.popFront();
      this.hold(worker, row);
      subtract(worker.free, need);
    }
  }

  /** The worker started a task the model still had queued (reports raced): trust the worker. */
  private promoteOutOfTurn(worker: SchedulerWorker, row: number): void {
    const at = worker.queued.indexOf(row);
    if (at >= 0) worker.queued.removeAt(at);
    this.hold(worker, row);
    subtract(worker.free, this.requests.get(this.table.request(row)));
  }

  private taskEnded(row: number, instance: number, nowMs: number, state: TaskState, event: TaskEvent): boolean {
    const table = this.table;
    const current = table.state(row);
    if (!this.isCurrent(row, instance) || (current !== TaskState.Running && current !== TaskState.Assigned)) return false;
    const worker = this.workers.get(table.worker(row));
    if (worker === undefined) return false;
    this.detach(worker, row, current);
    if (table.startTime(row) === 0) table.setStartTime(row, nowMs); // ended without a start report
    table.setState(row, state);
    table.setEndTime(row, nowMs);
    this.sink.event(event, row, worker.id, FailReason.None);
    this.promote(worker);
    return true;
  }

  private cancelRow(row: number, job: SchedulerJob, nowMs: number): void {
    const table = this.table;
    const state = table.state(row);
    if (state === TaskState.Waiting) {
      job.group(table.request(row), this.nextGroupSeq).dropWaiting();
      this.waiting--;
      table.setState(row, TaskState.Canceled);
      table.setEndTime(row, nowMs);
      this.sink.event(TaskEvent.Canceled, row, 0, FailReason.None);
      return;
    }
    if (state !== TaskState.Assigned && state !== TaskState.Running) return;
    const worker = this.workers.get(table.worker(row));
    if (worker !== undefined) {
      this.detach(worker, row, state);
      if (worker.cancelBatch.push(row) === 0) this.cancelDirty.push(worker);
    }
    table.setState(row, TaskState.Canceled);
    table.setEndTime(row, nowMs);
    this.sink.event(TaskEvent.Canceled, row, table.worker(row), FailReason.None);
  }

  private flushCancels(): void {
    for (const worker of this.cancelDirty) {
      this.sink.cancel(worker.id, worker.cancelBatch.rows, worker.cancelBatch.length);
      worker.cancelBatch.clear();
      this.promote(worker);
    }
    this.cancelDirty.length = 0;
  }

  // ---------------------------------------------------------------- helpers

  private markReady(group: TaskGroup): void {
    if (group.inReady || group.waiting === 0) return;
    group.inReady = true;
    const ready = this.ready;
    let lo = 0;
    let hi = ready.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (TaskGroup.before(ready[mid], group)) lo = mid + 1;
      else hi = mid;
    }
    ready.splice(lo, 0, group);
  }

  private isCurrent(row: number, instance: number): boolean {
    return row < this.heldSlot.length && this.table.instance(row) === instance;
  }

  private ensureRows(rows: number): void {
    if (rows <= this.heldSlot.length) return;
    const grown = new Int32Array(Math.max(rows, this.heldSlot.length * 2, 1024));
    grown.set(this.heldSlot);
    grown.fill(-1, this.heldSlot.length);
    this.heldSlot = grown;
  }

  private workerOf(workerId: number): SchedulerWorker {
    const worker = this.workers.get(workerId);
    if (worker === undefined) throw new Error(`unknown worker ${workerId}`);
    return worker;
  }

  private jobById(jobId: number): SchedulerJob {
    const job = this.jobs.get(jobId);
    if (job === undefined) throw new Error(`unknown job ${jobId}`);
    return job;
  }

  private jobOfRow(row: number): SchedulerJob {
    return this.jobById(this.table.job(row));
  }
}

function checkId(id: number, what: string): void {
  if (!Number.isInteger(id) || id < 0 || id > MAX_ID) throw new RangeError(`invalid ${what} id ${id}`);
}
