import { UserError } from '../common/errors.js';
import { ResourceAllocator, type WorkerResourceDescriptor } from './allocator.js';
import { DependencyTracker } from './dependency-tracker.js';
import { explainPlacement, type ExplainResult } from './explain.js';
import type { RequestTable, ResourceRegistry } from './resources.js';
import { FailReason, NULL_SINK, TaskEvent, type SchedulerSink } from './scheduler-events.js';
import { SchedulerJob } from './scheduler-job.js';
import { SchedulerWorker } from './scheduler-worker.js';
import { TaskGroup } from './task-group.js';
import { RowMap } from './row-map.js';
import { TaskState } from './task-state.js';
import type { TaskTable } from './task-table.js';

export { FailReason, TaskEvent, type SchedulerSink } from './scheduler-events.js';
export type { ExplainEntry, ExplainResult, ExplainVariant } from './explain.js';

export interface JobSchedulingOptions {
  /**
   * Priority of the job's first tasks; higher runs first. The scheduler goes
   * by each row's own priority in the task table (job files may give tasks
   * different ones), which normally agrees.
   */
  priority: number;
  /** Resource request id of the job's tasks (rows may carry other requests; each gets its own group). */
  request: number;
  /**
   * A task fails once it was running on this many crashed workers; 0 = never.
   * Tasks of templates given their own (setTemplateCrashLimits) use that.
   */
  crashLimit: number;
}

/** The crash limit of one task template of a job (its index, as rows name it in the task table). */
export interface TemplateCrashLimit {
  template: number;
  crashLimit: number;
}

export interface WorkerSchedulingOptions {
  /** Multi-node tasks take workers of one group. */
  group: string;
  /** End of the worker's lifetime in ms since the epoch; 0 = no limit. */
  endTimeMs: number;
  /** Indexed resources whose groups correspond (`--coupling`). */
  coupling?: readonly string[];
}

/** Dependencies of submitted rows: row startRow + i waits for rows[offsets[i] .. offsets[i+1]). */
export interface TaskDependencies {
  offsets: Uint32Array;
  rows: Uint32Array;
}

const MAX_ID = 0xffff_ffff;
const MAX_PRIORITY = 0x7fff_ffff;

/**
 * Decides which worker runs which task. Pure logic over the shared task table,
 * owned by one thread; every decision goes out through a SchedulerSink.
 *
 * Placement rule, per group of ready tasks in order (priority desc, job id
 * asc, then the group's own order, see TaskGroup):
 *  1. on every worker whose queue is empty, as many tasks as its allocator
 *     can start now, each with the first variant that fits; they hold those
 *     resources until they end;
 *  2. then on every worker some variant fits when idle, up to `prefetch`
 *     tasks queued behind the running ones (no resources held yet). A queue
 *     is kept in the same order as the groups (see SchedulerWorker), so the
 *     tasks go ahead of queued tasks of lower priority (or of later jobs);
 *     those do not count against the prefetch, and when the queue holds more
 *     than `prefetch` tasks, the ones at its back are asked back (a steal by
 *     the worker itself) and wait again;
 *  3. if tasks of the group are still left and a worker that could take them
 *     (but not now) has nothing queued, it is kept free of later groups for
 *     this round, so smaller tasks do not starve a big one;
 *  multi-node tasks take idle workers of one group instead, and reserve
 *  workers the same way when none are idle.
 * A task never goes to a worker whose remaining lifetime is below its own
 * time request (part of its resource request, see RequestTable). After
 * placement, workers with free resources and nothing queued steal queued
 * tasks that would start on them at once (see steal()).
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
  /** Rows holding resources: slot in their worker's `held` list (absent = -1). Only rows on workers have entries. */
  private readonly heldSlot = new RowMap(-1);
  /** Rows being stolen: the worker the steal was made for (absent = 0, not being stolen). */
  private readonly stealThief = new RowMap(0);
  /** Rows below this were submitted here, so their chunks are attached: reports about others are ignored. */
  private rowLimit = 0;
  private deps: DependencyTracker | null = null;
  /** Multi-node tasks on workers: row -> its workers, the first runs it. */
  private readonly multiNode = new Map<number, SchedulerWorker[]>();
  private waiting = 0;
  private blocked = 0;
  private groupSeq = 0;
  /** Which worker is tried first, rotated by each schedule() so light load spreads. */
  private rotation = 0;
  /** Bumped whenever rows are queued on a worker: tells idle workers when another steal attempt may find something. */
  private queueStamp = 0;
  private readonly open: SchedulerWorker[] = [];
  private readonly assignDirty: SchedulerWorker[] = [];
  /** Workers that gave resources back and have not promoted their queue since. */
  private readonly promoteDirty: SchedulerWorker[] = [];
  private readonly cancelDirty: SchedulerWorker[] = [];
  private readonly readyRows: number[] = [];
  private tentative = new Float64Array(256);
  private readonly stealFailed: number[] = [];
  /** Rows in worker queues per request id: lets an idle worker see at once that nothing queued fits it. */
  private queuedPerRequest = new Uint32Array(16);
  private readonly nextGroupSeq = (): number => this.groupSeq++;

  constructor(table: TaskTable, registry: ResourceRegistry, requests: RequestTable, sink: SchedulerSink = NULL_SINK) {
    this.table = table;
    this.registry = registry;
    this.requests = requests;
    this.sink = sink;
  }

  // ---------------------------------------------------------------- workers

  /** A worker joins with its resources and how many extra tasks it may queue. */
  addWorker(workerId: number, resources: readonly WorkerResourceDescriptor[], prefetch: number, opts: WorkerSchedulingOptions): void {
    checkId(workerId, 'worker');
    if (workerId === 0) throw new RangeError('worker id 0 means "no worker"');
    if (this.workers.has(workerId)) throw new Error(`worker ${workerId} is already known`);
    if (!Number.isSafeInteger(prefetch) || prefetch < 0) throw new UserError(`invalid prefetch count ${prefetch} for worker ${workerId}`);
    if (!Number.isFinite(opts.endTimeMs) || opts.endTimeMs < 0) throw new UserError(`invalid end time ${opts.endTimeMs} for worker ${workerId}`);
    const allocator = new ResourceAllocator(resources, { registry: this.registry, coupling: opts.coupling });
    const worker = new SchedulerWorker(workerId, allocator, prefetch, opts.group, opts.endTimeMs);
    this.workers.set(workerId, worker);
    this.workerOrder.push(worker);
  }

  /**
   * A worker left. Its tasks go back to waiting, ahead of the job's other
   * waiting tasks, with a new instance. If it crashed, each task that was
   * running counts a crash and fails at the job's crash limit. A multi-node
   * task it took part in goes back too (its other workers are freed, its
   * first worker is told to stop it).
   */
  removeWorker(workerId: number, crashed: boolean, nowMs = Date.now()): void {
    const worker = this.workerOf(workerId);
    const rows: number[] = [];
    for (let i = 0; i < worker.held.length; i++) rows.push(worker.held.at(i));
    for (let i = 0; i < worker.queued.length; i++) {
      rows.push(worker.queued.at(i));
      this.queuedPerRequest[this.table.request(worker.queued.at(i))]--;
    }
    if (worker.multiNodeRow >= 0) rows.push(worker.multiNodeRow);
    rows.sort((a, b) => a - b); // returned rows keep their row order
    this.workers.delete(workerId);
    this.workerOrder = this.workerOrder.filter((w) => w !== worker);
    const table = this.table;
    for (const row of rows) {
      const wasRunning = table.state(row) === TaskState.Running;
      const job = this.jobOfRow(row);
      this.heldSlot.delete(row);
      if (this.stealThief.get(row) !== 0) this.clearSteal(row, null);
      if (this.multiNode.has(row)) this.dissolveMultiNode(row, worker);
      table.setInstance(row, (table.instance(row) + 1) >>> 0);
      if (crashed && wasRunning && job.crashLimitReached(table.template(row), table.incrementCrashCount(row))) {
        table.setState(row, TaskState.Failed);
        table.setEndTime(row, nowMs);
        this.sink.event(TaskEvent.Failed, row, workerId, FailReason.CrashLimit);
        this.cancelDependants(row, nowMs);
        continue;
      }
      this.returnToWaiting(row, job, workerId);
    }
    this.flushCancels();
  }

  hasWorker(workerId: number): boolean {
    return this.workers.has(workerId);
  }

  /** Tasks on a worker: assigned = queued or about to start, running = started. */
  workerLoad(workerId: number): { assigned: number; running: number } {
    const worker = this.workerOf(workerId);
    return { assigned: worker.assigned, running: worker.running };
  }

  /** Rows queued on a worker (assigned, no resources held yet), in the order it will start them. */
  workerQueue(workerId: number): number[] {
    this.settle();
    const queued = this.workerOf(workerId).queued;
    return Array.from({ length: queued.length }, (_, i) => queued.at(i));
  }

  /** Queued tasks of a worker that a steal asked back and that are not answered yet. */
  workerReturning(workerId: number): number {
    return this.workerOf(workerId).beingStolen;
  }

  // ------------------------------------------------------------------- jobs

  addJob(jobId: number, opts: JobSchedulingOptions): void {
    checkId(jobId, 'job');
    if (this.jobs.has(jobId)) throw new Error(`job ${jobId} is already known`);
    if (!Number.isInteger(opts.priority) || opts.priority < -MAX_PRIORITY - 1 || opts.priority > MAX_PRIORITY) {
      throw new UserError(`invalid priority ${opts.priority}`);
    }
    checkCrashLimit(opts.crashLimit);
    this.requests.nodes(opts.request); // the request must exist
    this.growRequestCounts();
    const job = new SchedulerJob(jobId, opts.crashLimit, this.requests);
    job.group(opts.request, opts.priority, this.nextGroupSeq);
    this.jobs.set(jobId, job);
  }

  /** Task templates of a job with crash limits of their own (job files give each task one). */
  setTemplateCrashLimits(jobId: number, limits: readonly TemplateCrashLimit[]): void {
    const job = this.jobById(jobId);
    for (const { template, crashLimit } of limits) {
      if (!Number.isInteger(template) || template < 0) throw new RangeError(`invalid template index ${template}`);
      checkCrashLimit(crashLimit);
    }
    for (const { template, crashLimit } of limits) job.setCrashLimit(template, crashLimit);
  }

  /**
   * Rows [startRow, startRow+count), filled by TaskTable.fillJob and Waiting,
   * become schedulable: at once, or when their dependencies finished. A row
   * depending on a failed or canceled task is canceled (DependencyFailed).
   * Cycles must have been ruled out (see findCycle).
   */
  submit(jobId: number, startRow: number, count: number, deps?: TaskDependencies): void {
    const job = this.jobById(jobId);
    const end = startRow + count;
    if (!Number.isInteger(startRow) || !Number.isInteger(count) || startRow < 0 || count < 0 || end > this.table.length) {
      throw new RangeError(`task rows [${startRow}, ${end}) are outside the table`);
    }
    if (count === 0) return;
    const table = this.table;
    // Rows of a block share their request: one check per block.
    for (let row = startRow; row < end; row = this.blockEnd(row, end)) this.requests.nodes(table.request(row)); // throws on an unknown request id
    const withDeps = deps !== undefined && this.checkDeps(deps, startRow, count);
    this.growRequestCounts();
    if (end > this.rowLimit) this.rowLimit = end;
    job.addRange(startRow, count);
    if (!withDeps) {
      this.enqueueReady(job, startRow, end);
      return;
    }
    const tracker = (this.deps ??= new DependencyTracker());
    tracker.ensureRows(end);
    const doomed: number[] = [];
    for (let i = 0; i < count; i++) {
      const row = startRow + i;
      let pending = 0;
      for (let k = deps.offsets[i]; k < deps.offsets[i + 1]; k++) {
        const dep = deps.rows[k];
        const state = table.state(dep);
        if (state === TaskState.Finished) continue;
        if (state === TaskState.Failed || state === TaskState.Canceled) {
          doomed.push(row);
          continue;
        }
        pending++;
        tracker.addEdge(dep, row);
      }
      tracker.setPending(row, pending);
      if (pending > 0) this.blocked++;
    }
    const nowMs = Date.now();
    for (const row of doomed) {
      if (table.state(row) !== TaskState.Waiting) continue; // canceled already, through another doomed row
      if (tracker.pendingOf(row) > 0) this.blocked--;
      tracker.setPending(row, 0);
      this.cancelWaiting(row, nowMs, FailReason.DependencyFailed);
    }
    // Ready rows: still waiting and nothing to wait for, in runs of consecutive rows.
    let runStart = -1;
    for (let row = startRow; row <= end; row++) {
      const ready = row < end && table.state(row) === TaskState.Waiting && tracker.pendingOf(row) === 0;
      if (ready && runStart < 0) runStart = row;
      if (!ready && runStart >= 0) {
        this.enqueueReady(job, runStart, row);
        runStart = -1;
      }
    }
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

  /**
   * Drops an ended job (every row Finished, Failed or Canceled): its rows may
   * then be filled again for other jobs and submitted anew.
   */
  forgetJob(jobId: number): void {
    const job = this.jobById(jobId);
    if (job.groups.some((group) => group.waiting > 0)) throw new Error(`job ${jobId} still has waiting tasks`);
    this.jobs.delete(jobId);
  }

  /** The table no longer has rows from `end` on (they were free and are trimmed away). */
  rowsTrimmed(end: number): void {
    if (this.rowLimit > end) this.rowLimit = end;
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

  /** Tasks ready and waiting for a worker. */
  waitingCount(): number {
    return this.waiting;
  }

  /** Tasks waiting for dependencies to finish. */
  blockedCount(): number {
    return this.blocked;
  }

  // ---------------------------------------------------------- task reports
  // A report whose instance differs from the table's is about an earlier run: ignored (returns false).

  taskStarted(row: number, instance: number, nowMs: number): boolean {
    const table = this.table;
    if (!this.isCurrent(row, instance) || table.state(row) !== TaskState.Assigned) return false;
    const worker = this.workers.get(table.worker(row));
    if (worker === undefined) return false;
    if (this.stealThief.get(row) !== 0) this.clearSteal(row, worker);
    if (this.heldSlot.get(row) < 0 && !this.isMultiNode(row)) this.promoteOutOfTurn(worker, row);
    table.setState(row, TaskState.Running);
    table.setStartTime(row, nowMs);
    worker.assigned--;
    worker.running++;
    this.sink.event(TaskEvent.Started, row, worker.id, FailReason.None);
    return true;
  }

  taskFinished(row: number, instance: number, nowMs: number): boolean {
    if (!this.taskEnded(row, instance, nowMs, TaskState.Finished, TaskEvent.Finished)) return false;
    if (this.deps !== null) this.releaseDependants(row);
    return true;
  }

  /**
   * taskFinished for each (row, instance) pair of words[from, to), as one
   * report of a worker brings them: the worker is looked up once per change,
   * not once per task.
   */
  tasksFinished(words: ArrayLike<number>, from: number, to: number, nowMs: number): void {
    const table = this.table;
    let workerId = -1;
    let worker: SchedulerWorker | undefined;
    for (let i = from; i + 1 < to; i += 2) {
      const row = words[i]! >>> 0;
      const current = this.endableState(row, words[i + 1]! >>> 0);
      if (current === -1) continue;
      const id = table.worker(row);
      if (id !== workerId) {
        workerId = id;
        worker = this.workers.get(id);
      }
      if (worker === undefined) continue;
      this.endOn(worker, row, current, nowMs, TaskState.Finished, TaskEvent.Finished);
      if (this.deps !== null) this.releaseDependants(row);
    }
  }

  taskFailed(row: number, instance: number, nowMs: number): boolean {
    if (!this.taskEnded(row, instance, nowMs, TaskState.Failed, TaskEvent.Failed)) return false;
    this.cancelDependants(row, nowMs);
    return true;
  }

  /**
   * A worker's answer to a steal: `returned` rows left its queue and wait
   * again (new instance, no crash counted); `started` ones stay where they are.
   */
  stealResult(workerId: number, returned: Uint32Array, started: Uint32Array): void {
    const victim = this.workers.get(workerId);
    const table = this.table;
    for (const row of started) {
      if (row < this.rowLimit && this.stealThief.get(row) !== 0 && table.worker(row) === workerId) this.clearSteal(row, victim ?? null);
    }
    if (victim === undefined) return;
    for (const row of returned) {
      if (row >= this.rowLimit || this.stealThief.get(row) === 0 || table.worker(row) !== workerId) continue;
      this.clearSteal(row, victim);
      if (table.state(row) !== TaskState.Assigned) continue;
      this.detach(victim, row, TaskState.Assigned);
      table.setInstance(row, (table.instance(row) + 1) >>> 0);
      this.returnToWaiting(row, this.jobOfRow(row), workerId);
    }
    this.promote(victim);
  }

  // -------------------------------------------------------------- placement

  /**
   * Places waiting tasks on workers and starts steals; see the class comment.
   * Assignments, multi-node assignments and steals (and their events) go to
   * `sink`, by default the constructor's. `nowMs` is compared with worker
   * lifetimes for time requests.
   */
  schedule(nowMs: number, sink: SchedulerSink = this.sink): void {
    this.settle();
    const workers = this.workerOrder;
    const open = this.open;
    open.length = 0;
    const first = workers.length > 0 ? this.rotation++ % workers.length : 0;
    for (let k = 0; k < workers.length; k++) {
      const worker = workers[(first + k) % workers.length];
      worker.closed = false;
      // A full queue may still give way to tasks of a higher priority.
      if (worker.canAccept || worker.queued.length > worker.beingStolen) open.push(worker);
    }
    const ready = this.ready;
    let kept = 0;
    let i = 0;
    // Once no worker is open, later groups cannot be placed this round: the
    // walk stops there, so a round costs O(groups placed), not O(groups)
    // (thousands of small jobs wait at once in workflow runs).
    for (; i < ready.length && open.length > 0; i++) {
      const group = ready[i];
      if (group.waiting > 0) {
        if (group.nodes > 0) this.placeMultiNode(group, nowMs, sink);
        else this.place(group, nowMs, sink);
      }
      if (group.waiting > 0) ready[kept++] = group;
      else group.inReady = false;
    }
    if (kept === i) kept = ready.length;
    else for (; i < ready.length; i++) ready[kept++] = ready[i];
    ready.length = kept;
    this.stealForIdle(first, nowMs, sink);
    for (const worker of this.assignDirty) {
      sink.assign(worker.id, worker.assignBatch.rows, worker.assignBatch.length);
      worker.assignBatch.clear();
    }
    this.assignDirty.length = 0;
  }

  private place(group: TaskGroup, nowMs: number, sink: SchedulerSink): void {
    const variants = this.requests.variants(group.request);
    const single = variants.length === 1 ? variants[0].plan : null;
    const open = this.open;
    const table = this.table;
    // 1. Free resources of workers with nothing queued: the tasks start on arrival.
    for (const worker of open) {
      if (worker.queued.length > 0 || worker.closed || !worker.livesFor(group.timeRequestMs, nowMs)) continue;
      if (worker.firstFittingVariant(group.request, variants) < 0) continue;
      const allocator = worker.allocator;
      while (group.waiting > 0) {
        let variant = 0;
        let length: number;
        if (single !== null) {
          length = allocator.allocatePlan(single);
        } else {
          length = -1;
          for (; variant < variants.length && length < 0; variant++) length = allocator.allocatePlan(variants[variant].plan);
          variant--;
        }
        if (length < 0) break;
        const row = group.take(table);
        if (row < 0) {
          allocator.releaseRecord(allocator.lastRecord, 0);
          break;
        }
        this.heldSlot.set(row, worker.hold(row, length));
        this.assign(worker, row, variant, sink);
      }
      if (group.waiting === 0) break;
    }
    // 2. Prefetch: queue behind running tasks on workers some variant fits,
    //    ahead of queued tasks that sort after this group's.
    if (group.waiting > 0) {
      for (const worker of open) {
        if (worker.closed || !worker.livesFor(group.timeRequestMs, nowMs)) continue;
        if (worker.queued.length >= worker.prefetch && !this.mayGiveWay(worker, group)) continue;
        const after = this.queuedAfter(worker, group);
        const yielding = after > 0 ? this.unstolenAtBack(worker, after) : 0;
        let room = Math.min(worker.prefetch - worker.queued.length + yielding, group.waiting);
        if (room <= 0) continue;
        const variant = worker.firstFittingVariant(group.request, variants);
        if (variant < 0) continue;
        let at = worker.queued.length - after;
        const planned = room;
        for (; room > 0; room--) {
          const row = group.take(table);
          if (row < 0) break;
          if (after === 0) worker.queued.pushBack(row); // the usual case, kept cheap
          else worker.queued.insertAt(at++, row);
          this.queuedPerRequest[group.request]++;
          this.assign(worker, row, variant, sink);
        }
        // A new head that fits starts on arrival; the model learns it from the
        // start report (promoteOutOfTurn): promoting it here could double-book
        // if the worker started the old head meanwhile.
        if (after > 0 && room < planned) this.giveWay(worker, group, sink);
        this.queueStamp++;
        if (group.waiting === 0) break;
      }
    }
    this.compactOpen(group);
    // 3. Keep one worker that could take the next task (but not now) free of later groups.
    if (group.waiting > 0 && open.length > 0) {
      let best: SchedulerWorker | null = null;
      let bestFree = -1;
      const resource = variants[0].entries.length > 0 ? variants[0].entries[0].resource : 0;
      for (const worker of open) {
        if (worker.queued.length > 0 || !worker.livesFor(group.timeRequestMs, nowMs)) continue;
        if (worker.firstFittingVariant(group.request, variants) < 0) continue;
        const free = worker.allocator.free(resource);
        if (free > bestFree || (free === bestFree && best !== null && worker.id < best.id)) {
          best = worker;
          bestFree = free;
        }
      }
      if (best !== null) {
        best.closed = true;
        this.compactOpen(group);
      }
    }
  }

  /** Multi-node tasks: `nodes` idle workers of one group each, or a reservation of busy ones. */
  private placeMultiNode(group: TaskGroup, nowMs: number, sink: SchedulerSink): void {
    const table = this.table;
    const nodes = group.nodes;
    while (group.waiting > 0) {
      const members = this.findIdleWorkers(nodes, group.timeRequestMs, nowMs);
      if (members === null) {
        this.reserveForMultiNode(nodes, group.timeRequestMs, nowMs);
        break;
      }
      const row = group.take(table);
      if (row < 0) break;
      const ids = new Uint32Array(nodes);
      members.forEach((member, i) => {
        member.multiNodeRow = row;
        ids[i] = member.id;
      });
      this.multiNode.set(row, members);
      const head = members[0];
      table.setState(row, TaskState.Assigned);
      table.setWorker(row, head.id);
      table.setVariant(row, 0);
      head.assigned++;
      this.waiting--;
      sink.event(TaskEvent.Assigned, row, head.id, FailReason.None);
      sink.assignMultiNode(row, ids);
    }
    this.compactOpen(group);
  }

  /** `nodes` idle open workers of the first group that has that many (in worker order), or null. */
  private findIdleWorkers(nodes: number, timeRequestMs: number, nowMs: number): SchedulerWorker[] | null {
    const byGroup = new Map<string, SchedulerWorker[]>();
    for (const worker of this.workerOrder) {
      if (!worker.isIdle || worker.closed || !worker.canAccept || !worker.livesFor(timeRequestMs, nowMs)) continue;
      let members = byGroup.get(worker.group);
      if (members === undefined) byGroup.set(worker.group, (members = []));
      members.push(worker);
      if (members.length === nodes) return members;
    }
    return null;
  }

  /**
   * No group has enough idle workers: the group with the most idle workers
   * among those with enough workers at all keeps `nodes` of them (idle first,
   * then the least loaded) free of later groups, so they drain.
   */
  private reserveForMultiNode(nodes: number, timeRequestMs: number, nowMs: number): void {
    const byGroup = new Map<string, SchedulerWorker[]>();
    for (const worker of this.workerOrder) {
      if (worker.closed || worker.multiNodeRow >= 0 || !worker.livesFor(timeRequestMs, nowMs)) continue;
      let members = byGroup.get(worker.group);
      if (members === undefined) byGroup.set(worker.group, (members = []));
      members.push(worker);
    }
    let best: SchedulerWorker[] | null = null;
    let bestIdle = -1;
    for (const members of byGroup.values()) {
      if (members.length < nodes) continue;
      const idle = members.filter((w) => w.isIdle).length;
      if (idle > bestIdle) {
        best = members;
        bestIdle = idle;
      }
    }
    if (best === null) return;
    const load = (w: SchedulerWorker): number => (w.isIdle ? -1 : w.held.length + w.queued.length);
    const chosen = best.slice().sort((a, b) => load(a) - load(b) || a.id - b.id);
    for (let i = 0; i < nodes; i++) chosen[i].closed = true;
  }

  /**
   * Drops from `open` the workers that can take no task of `group` or of a
   * later group: closed ones, and full ones whose queue has nothing that
   * sorts after `group` and could give way.
   */
  private compactOpen(group: TaskGroup): void {
    const open = this.open;
    let kept = 0;
    for (const worker of open) {
      if (worker.closed) continue;
      if (worker.canAccept || this.mayGiveWay(worker, group)) open[kept++] = worker;
    }
    open.length = kept;
  }

  /** Whether a worker's queue has tasks, not being stolen, that would give way to `group`'s. */
  private mayGiveWay(worker: SchedulerWorker, group: TaskGroup): boolean {
    const queued = worker.queued;
    if (queued.length <= worker.beingStolen) return false;
    for (let i = queued.length - 1; i >= 0; i--) {
      const row = queued.at(i);
      if (!this.sortsAfter(row, group)) return false;
      if (this.stealThief.get(row) === 0) return true;
    }
    return false;
  }

  /**
   * How many rows at the back of a worker's queue sort after the tasks of
   * `group`: of lower priority, or of equal priority and a later job.
   */
  private queuedAfter(worker: SchedulerWorker, group: TaskGroup): number {
    const queued = worker.queued;
    let after = 0;
    while (after < queued.length && this.sortsAfter(queued.at(queued.length - 1 - after), group)) after++;
    return after;
  }

  /** Rows among the last `count` of a worker's queue that are not being stolen. */
  private unstolenAtBack(worker: SchedulerWorker, count: number): number {
    const queued = worker.queued;
    let unstolen = 0;
    for (let i = queued.length - count; i < queued.length; i++) if (this.stealThief.get(queued.at(i)) === 0) unstolen++;
    return unstolen;
  }

  /** Queue order (see queueOrder): whether a queued row belongs behind the tasks of `group`. */
  private sortsAfter(row: number, group: TaskGroup): boolean {
    const priority = this.table.priority(row);
    return priority < group.priority || (priority === group.priority && this.table.job(row) > group.jobId);
  }

  /**
   * Tasks of `group` went ahead of queued ones: if the worker now has more
   * than `prefetch` queued tasks that are not being stolen, the excess at the
   * back (all sorting after `group`) is asked back. The worker steals for
   * itself; the answer comes through stealResult() like any other.
   */
  private giveWay(worker: SchedulerWorker, group: TaskGroup, sink: SchedulerSink): void {
    const excess = worker.queued.length - worker.beingStolen - worker.prefetch;
    if (excess <= 0) return;
    let taken = 0;
    for (let i = worker.queued.length - 1; i >= 0 && taken < excess; i--) {
      const row = worker.queued.at(i);
      if (this.stealThief.get(row) !== 0) continue;
      if (!this.sortsAfter(row, group)) break;
      worker.stealBatch.push(row);
      this.stealThief.set(row, worker.id);
      taken++;
    }
    if (taken === 0) return;
    // In queue order, so that they wait again in that order (the answer keeps it).
    worker.stealBatch.rows.subarray(0, taken).reverse();
    sink.steal(worker.id, worker.stealBatch.rows, taken);
    worker.stealBatch.clear();
    worker.beingStolen += taken;
    worker.incomingSteals += taken;
  }

  private assign(worker: SchedulerWorker, row: number, variant: number, sink: SchedulerSink): void {
    const table = this.table;
    table.setState(row, TaskState.Assigned);
    table.setWorker(row, worker.id);
    table.setVariant(row, variant);
    worker.assigned++;
    this.waiting--;
    if (worker.assignBatch.push(row) === 0) this.assignDirty.push(worker);
    sink.event(TaskEvent.Assigned, row, worker.id, FailReason.None);
  }

  // --------------------------------------------------------------- stealing

  /**
   * Workers with free resources, nothing queued and no steal outstanding ask
   * busy workers for queued tasks that would start on them now: at most half
   * of each victim's unstolen queue, taken from its back (the tasks that would
   * wait longest), tried against the thief's allocator. The rows stay
   * Assigned to the victim until stealResult().
   */
  private stealForIdle(first: number, nowMs: number, sink: SchedulerSink): void {
    const workers = this.workerOrder;
    for (let k = 0; k < workers.length; k++) {
      const thief = workers[(first + k) % workers.length];
      if (thief.queued.length > 0 || thief.multiNodeRow >= 0 || thief.closed || thief.incomingSteals > 0) continue;
      // Nothing was queued anywhere and nothing freed here since the last fruitless attempt: skip the scan.
      if (thief.stealScanStamp === this.queueStamp && thief.stealScanReleases === thief.releases) continue;
      if (!thief.allocator.hasFree()) continue;
      if (!this.anyQueuedFits(thief) || this.stealFor(thief, nowMs, sink) === 0) {
        thief.stealScanStamp = this.queueStamp;
        thief.stealScanReleases = thief.releases;
      }
    }
  }

  /** Whether some request with rows in a queue could be allocated on the thief now. */
  private anyQueuedFits(thief: SchedulerWorker): boolean {
    const counts = this.queuedPerRequest;
    const requests = Math.min(counts.length, this.requests.count);
    for (let request = 0; request < requests; request++) {
      if (counts[request] === 0) continue;
      const variants = this.requests.variants(request);
      if (thief.firstFittingVariant(request, variants) < 0) continue;
      for (const variant of variants) if (thief.allocator.fits(variant.plan)) return true;
    }
    return false;
  }

  private stealFor(thief: SchedulerWorker, nowMs: number, sink: SchedulerSink): number {
    const table = this.table;
    const allocator = thief.allocator;
    let tentativeTop = 0;
    const marks: number[] = [];
    // Requests that did not fit the thief since its last tentative allocation: they still do not.
    const failed = this.stealFailed;
    failed.length = 0;
    let total = 0;
    for (const victim of this.workerOrder) {
      const stealable = victim.queued.length - victim.beingStolen;
      if (victim === thief || stealable <= 0) continue;
      const limit = Math.ceil(stealable / 2);
      let taken = 0;
      for (let i = victim.queued.length - 1; i >= 0 && taken < limit; i--) {
        const row = victim.queued.at(i);
        if (this.stealThief.get(row) !== 0) continue;
        const request = table.request(row);
        if (failed.includes(request)) continue;
        const variants = this.requests.variants(request);
        if (thief.firstFittingVariant(request, variants) < 0 || !thief.livesFor(this.requests.timeRequestMs(request), nowMs)) continue;
        let length = -1;
        for (let v = 0; v < variants.length && length < 0; v++) length = allocator.allocatePlan(variants[v].plan);
        if (length < 0) {
          failed.push(request);
          continue;
        }
        failed.length = 0;
        // Held tentatively so the next candidate sees what is left; all given back below.
        if (tentativeTop + length > this.tentative.length) {
          const grown = new Float64Array(Math.max(this.tentative.length * 2, tentativeTop + length));
          grown.set(this.tentative);
          this.tentative = grown;
        }
        this.tentative.set(allocator.lastRecord.subarray(0, length), tentativeTop);
        marks.push(tentativeTop);
        tentativeTop += length;
        victim.stealBatch.push(row);
        this.stealThief.set(row, thief.id);
        taken++;
        if (!allocator.hasFree()) break;
      }
      if (taken > 0) {
        sink.steal(victim.id, victim.stealBatch.rows, taken);
        victim.stealBatch.clear();
        victim.beingStolen += taken;
        thief.incomingSteals += taken;
        total += taken;
      }
      if (!allocator.hasFree()) break;
    }
    for (let i = marks.length - 1; i >= 0; i--) allocator.releaseRecord(this.tentative, marks[i]);
    return total;
  }

  /** A row is no longer being stolen (answered, started, ended, canceled, or its worker left). */
  private clearSteal(row: number, victim: SchedulerWorker | null): void {
    const thief = this.workers.get(this.stealThief.get(row));
    if (thief !== undefined) thief.incomingSteals--;
    if (victim !== null) victim.beingStolen--;
    this.stealThief.delete(row);
  }

  // ---------------------------------------------------------------- explain

  /** Why a task does (not) run on a worker right now; see ExplainResult. */
  explain(row: number, workerId: number, nowMs: number): ExplainResult {
    if (!Number.isInteger(row) || row < 0 || row >= this.table.length) throw new RangeError(`task row ${row} is outside the table`);
    const worker = this.workerOf(workerId);
    this.settle();
    const timeRequestMs = this.requests.timeRequestMs(this.table.request(row));
    let groupWorkers = 0;
    let groupIdleWorkers = 0;
    for (const other of this.workerOrder) {
      if (other.group !== worker.group || !other.livesFor(timeRequestMs, nowMs)) continue;
      groupWorkers++;
      if (other.isIdle) groupIdleWorkers++;
    }
    return explainPlacement({
      row,
      state: this.table.state(row),
      worker,
      variants: this.requests.variants(this.table.request(row)),
      registry: this.registry,
      timeRequestMs,
      nowMs,
      unfinishedDependencies: this.deps?.pendingOf(row) ?? 0,
      groupWorkers,
      groupIdleWorkers,
    });
  }

  // ---------------------------------------------------- resource accounting

  /** Takes a task off a worker's books, whether it holds resources or is queued. */
  private detach(worker: SchedulerWorker, row: number, state: TaskState): void {
    if (state === TaskState.Running) worker.running--;
    else worker.assigned--;
    const slot = this.heldSlot.get(row);
    if (slot >= 0) {
      const moved = worker.release(slot);
      if (moved >= 0) this.heldSlot.set(moved, slot);
      this.heldSlot.delete(row);
    } else {
      const at = worker.queued.indexOf(row);
      if (at >= 0) {
        worker.queued.removeAt(at);
        this.queuedPerRequest[this.table.request(row)]--;
      }
    }
  }

  /**
   * Promotes the queues of workers whose tasks ended since the last look at
   * the model. Ended tasks only mark their worker: a batch of reports then
   * costs one promotion per worker, and a task that ends while the model
   * still had it queued (a worker runs its short tasks faster than their
   * reports come back) never takes resources in the model at all.
   */
  private settle(): void {
    const dirty = this.promoteDirty;
    for (let i = 0; i < dirty.length; i++) {
      const worker = dirty[i];
      worker.promotePending = false;
      if (this.workers.get(worker.id) === worker) this.promote(worker);
    }
    dirty.length = 0;
  }

  /** Queued tasks that reached the head of the worker's queue and fit take their resources. */
  private promote(worker: SchedulerWorker): void {
    const table = this.table;
    while (worker.queued.length > 0) {
      const row = worker.queued.at(0);
      const plan = this.requests.variants(table.request(row))[table.variant(row)].plan;
      const length = worker.allocator.allocatePlan(plan);
      if (length < 0) return;
      worker.queued.popFront();
      this.queuedPerRequest[table.request(row)]--;
      this.heldSlot.set(row, worker.hold(row, length));
    }
  }

  /**
   * The worker started a task the model still had queued (reports raced, or
   * tasks the model put ahead of it had not reached the worker yet): trust
   * the worker. Tasks the model promoted but the worker has not started give
   * their resources back and queue again, until the started task fits; if it
   * still does not, it holds nothing in the model (the worker's own allocator
   * keeps it from over-committing).
   */
  private promoteOutOfTurn(worker: SchedulerWorker, row: number): void {
    const at = worker.queued.indexOf(row);
    if (at >= 0) {
      worker.queued.removeAt(at);
      this.queuedPerRequest[this.table.request(row)]--;
    }
    const plan = this.requests.variants(this.table.request(row))[this.table.variant(row)].plan;
    let length = worker.allocator.allocatePlan(plan);
    let demoted = false;
    // Promoted, unstarted tasks (besides this one) exist when `assigned` counts more than the queue.
    while (length < 0 && worker.assigned - 1 > worker.queued.length && this.demote(worker)) {
      demoted = true;
      length = worker.allocator.allocatePlan(plan);
    }
    this.heldSlot.set(row, worker.hold(row, Math.max(length, 0)));
    if (demoted) this.promote(worker);
  }

  /**
   * Puts the last (in queue order) of the worker's promoted, not yet started
   * tasks back in its queue, ahead of the tasks it came before; false when
   * there is none.
   */
  private demote(worker: SchedulerWorker): boolean {
    const table = this.table;
    let slot = -1;
    for (let i = 0; i < worker.held.length; i++) {
      const row = worker.held.at(i);
      if (table.state(row) !== TaskState.Assigned) continue;
      if (slot < 0) slot = i;
      const order = this.queueOrder(row, worker.held.at(slot));
      if (order > 0 || (order === 0 && row > worker.held.at(slot))) slot = i;
    }
    if (slot < 0) return false;
    const row = worker.held.at(slot);
    const moved = worker.release(slot);
    if (moved >= 0) this.heldSlot.set(moved, slot);
    this.heldSlot.delete(row);
    const queued = worker.queued;
    // It was promoted from the head: it came before every queued task of its priority and job.
    let at = 0;
    while (at < queued.length && this.queueOrder(queued.at(at), row) < 0) at++;
    queued.insertAt(at, row);
    this.queuedPerRequest[table.request(row)]++;
    return true;
  }

  /**
   * Queue order (see SchedulerWorker) of two rows by priority and job:
   * negative when `a` starts first, positive when `b` does, 0 when arrival decides.
   */
  private queueOrder(a: number, b: number): number {
    const table = this.table;
    const pa = table.priority(a);
    const pb = table.priority(b);
    if (pa !== pb) return pa > pb ? -1 : 1;
    return table.job(a) - table.job(b);
  }

  private taskEnded(row: number, instance: number, nowMs: number, state: TaskState, event: TaskEvent): boolean {
    const current = this.endableState(row, instance);
    if (current === -1) return false;
    const worker = this.workers.get(this.table.worker(row));
    if (worker === undefined) return false;
    this.endOn(worker, row, current, nowMs, state, event);
    return true;
  }

  /** The state of a row a report may end (its current instance, Running or Assigned), else -1. */
  private endableState(row: number, instance: number): TaskState | -1 {
    if (!this.isCurrent(row, instance)) return -1;
    const current = this.table.state(row);
    return current === TaskState.Running || current === TaskState.Assigned ? current : -1;
  }

  /** Ends a current row on its worker (see taskEnded). */
  private endOn(worker: SchedulerWorker, row: number, current: TaskState, nowMs: number, state: TaskState, event: TaskEvent): void {
    const table = this.table;
    if (this.stealThief.get(row) !== 0) this.clearSteal(row, worker);
    if (this.isMultiNode(row)) this.endMultiNode(row, worker, current);
    else this.detach(worker, row, current);
    if (table.startTime(row) === 0) table.setStartTime(row, nowMs); // ended without a start report
    table.setState(row, state);
    table.setEndTime(row, nowMs);
    this.sink.event(event, row, worker.id, FailReason.None);
    if (!worker.promotePending) {
      worker.promotePending = true;
      this.promoteDirty.push(worker);
    }
  }

  // ------------------------------------------------------------ multi-node

  private isMultiNode(row: number): boolean {
    return this.multiNode.size > 0 && this.multiNode.has(row);
  }

  /** A multi-node task ended or was canceled on its first worker: all its workers are free again. */
  private endMultiNode(row: number, head: SchedulerWorker, state: TaskState): void {
    for (const member of this.multiNode.get(row)!) member.multiNodeRow = -1;
    this.multiNode.delete(row);
    if (state === TaskState.Running) head.running--;
    else head.assigned--;
  }

  /**
   * One worker of a multi-node task left: free the others and stop the task
   * on its first worker (now, while the table still has the instance it runs).
   */
  private dissolveMultiNode(row: number, gone: SchedulerWorker): void {
    const members = this.multiNode.get(row)!;
    const head = members[0];
    this.endMultiNode(row, head, this.table.state(row));
    if (head !== gone && this.workers.has(head.id)) this.sink.cancel(head.id, Uint32Array.of(row), 1);
  }

  // ------------------------------------------------------------ dependencies

  private checkDeps(deps: TaskDependencies, startRow: number, count: number): boolean {
    const { offsets, rows } = deps;
    if (offsets.length !== count + 1 || offsets[0] !== 0 || offsets[count] > rows.length) {
      throw new RangeError(`dependency offsets must have ${count + 1} entries from 0 to at most ${rows.length}`);
    }
    const end = startRow + count;
    for (let i = 0; i < count; i++) {
      if (offsets[i + 1] < offsets[i]) throw new RangeError(`dependency offsets decrease at task row ${startRow + i}`);
      for (let k = offsets[i]; k < offsets[i + 1]; k++) {
        const dep = rows[k];
        // Rows are reused, so earlier submissions may sit at higher rows: any row submitted before counts.
        const submitted = (dep >= startRow && dep < end) || dep < this.rowLimit;
        if (!submitted) throw new RangeError(`task row ${startRow + i} depends on row ${dep}, which is not submitted`);
        if (dep === startRow + i) throw new RangeError(`task row ${dep} depends on itself`);
      }
    }
    return rows.length > 0 && offsets[count] > 0;
  }

  /** A finished row's dependants with nothing left to wait for become ready. */
  private releaseDependants(row: number): void {
    const readyRows = this.readyRows;
    this.deps!.finished(row, readyRows);
    const table = this.table;
    for (const dependant of readyRows) {
      if (table.state(dependant) !== TaskState.Waiting) continue;
      this.blocked--;
      this.enqueueReady(this.jobOfRow(dependant), dependant, dependant + 1);
    }
    readyRows.length = 0;
  }

  /** Cancels (DependencyFailed) every task that waits, directly or not, for a row that failed or was canceled. */
  private cancelDependants(row: number, nowMs: number): void {
    if (this.deps === null) return;
    const table = this.table;
    const stack: number[] = [];
    this.deps.ended(row, stack);
    while (stack.length > 0) {
      const dependant = stack.pop()!;
      if (table.state(dependant) !== TaskState.Waiting || this.deps.pendingOf(dependant) === 0) continue;
      this.blocked--;
      this.deps.setPending(dependant, 0);
      table.setState(dependant, TaskState.Canceled);
      table.setEndTime(dependant, nowMs);
      this.sink.event(TaskEvent.Canceled, dependant, 0, FailReason.DependencyFailed);
      this.deps.ended(dependant, stack);
    }
  }

  // -------------------------------------------------------------- canceling

  private cancelRow(row: number, job: SchedulerJob, nowMs: number): void {
    const table = this.table;
    const state = table.state(row);
    if (state === TaskState.Waiting) {
      if (this.deps !== null && this.deps.pendingOf(row) > 0) {
        this.blocked--;
        this.deps.setPending(row, 0);
      } else {
        this.groupOf(job, row).dropWaiting();
        this.waiting--;
      }
      this.cancelWaiting(row, nowMs, FailReason.None);
      return;
    }
    if (state !== TaskState.Assigned && state !== TaskState.Running) return;
    const worker = this.workers.get(table.worker(row));
    if (worker !== undefined) {
      if (this.stealThief.get(row) !== 0) this.clearSteal(row, worker);
      if (this.isMultiNode(row)) this.endMultiNode(row, worker, state);
      else this.detach(worker, row, state);
      if (worker.cancelBatch.push(row) === 0) this.cancelDirty.push(worker);
    }
    table.setState(row, TaskState.Canceled);
    table.setEndTime(row, nowMs);
    this.sink.event(TaskEvent.Canceled, row, table.worker(row), FailReason.None);
    this.cancelDependants(row, nowMs);
  }

  /** A waiting row (already taken off the waiting or blocked count) becomes Canceled, with its dependants. */
  private cancelWaiting(row: number, nowMs: number, reason: FailReason): void {
    this.table.setState(row, TaskState.Canceled);
    this.table.setEndTime(row, nowMs);
    this.sink.event(TaskEvent.Canceled, row, 0, reason);
    this.cancelDependants(row, nowMs);
  }

  private flushCancels(): void {
    for (const worker of this.cancelDirty) {
      this.sink.cancel(worker.id, worker.cancelBatch.rows, worker.cancelBatch.length);
      worker.cancelBatch.clear();
      if (this.workers.has(worker.id)) this.promote(worker);
    }
    this.cancelDirty.length = 0;
  }

  // ---------------------------------------------------------------- helpers

  /** Rows [start, end) of a job, all with nothing to wait for, join their groups. */
  private enqueueReady(job: SchedulerJob, start: number, end: number): void {
    const table = this.table;
    let runStart = start;
    let request = table.request(start);
    let priority = table.priority(start);
    // Request and priority change only between blocks.
    for (let row = this.blockEnd(start, end); ; row = this.blockEnd(row, end)) {
      if (row < end && table.request(row) === request && table.priority(row) === priority) continue;
      const group = job.group(request, priority, this.nextGroupSeq);
      group.addFresh(runStart, row);
      this.markReady(group);
      if (row === end) break;
      runStart = row;
      request = table.request(row);
      priority = table.priority(row);
    }
    this.waiting += end - start;
  }

  /** The first row after `row` in another block, or `end`. */
  private blockEnd(row: number, end: number): number {
    const block = this.table.block(row);
    return Math.min(end, this.table.blockFirstRow(block) + this.table.blockRows(block));
  }

  /** The group a row of `job` waits in: by its request and its priority. */
  private groupOf(job: SchedulerJob, row: number): TaskGroup {
    const request = this.table.request(row);
    return job.group(request, this.table.priority(row), this.nextGroupSeq);
  }

  /** A row taken off a worker waits again, ahead of its group's other rows. */
  private returnToWaiting(row: number, job: SchedulerJob, fromWorker: number): void {
    const table = this.table;
    table.setState(row, TaskState.Waiting);
    table.setWorker(row, 0);
    table.setStartTime(row, 0);
    const group = this.groupOf(job, row);
    group.addReturned(row);
    this.waiting++;
    this.markReady(group);
    this.sink.event(TaskEvent.Returned, row, fromWorker, FailReason.None);
  }

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
    return row < this.rowLimit && this.table.instance(row) === instance;
  }

  private growRequestCounts(): void {
    if (this.requests.count <= this.queuedPerRequest.length) return;
    const grown = new Uint32Array(Math.max(this.requests.count, this.queuedPerRequest.length * 2));
    grown.set(this.queuedPerRequest);
    this.queuedPerRequest = grown;
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

function checkCrashLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 0) throw new UserError(`invalid crash limit ${limit}`);
}

function checkId(id: number, what: string): void {
  if (!Number.isInteger(id) || id < 0 || id > MAX_ID) throw new RangeError(`invalid ${what} id ${id}`);
}
