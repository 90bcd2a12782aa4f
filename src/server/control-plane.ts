// The control plane (server main thread): jobs, workers and their states.
// It allocates task rows in the shared table, hands jobs to the scheduler
// thread, and follows every task state change through the scheduler's event
// ring to keep job counters and wake waiting clients.
import { TaskTable } from '../core/task-table.js';
import { RingBuffer } from '../core/ring-buffer.js';
import { Doorbell } from '../core/doorbell.js';
import { TaskEvent, FailReason } from '../core/scheduler.js';
import { toCoreVariants } from '../common/request-variants.js';
import type { TaskDependencies } from '../core/scheduler.js';
import type { ExplainResult } from '../core/explain.js';
import { UserError } from '../common/errors.js';
import { log } from '../common/log.js';
import type { Comlink } from '../common/comlink-node.js';
import type { WorkerStateName } from '../client/types.js';
import { EVENT_WORDS, SchedulerToMain } from './ring-kinds.js';
import { Job, type JobDescription, type TemplateDescription } from './job.js';
import { jobDefinitionBytes } from './job-definition.js';
import type { IoThreadApi, SchedulerApi, WorkerRegistration } from './thread-api.js';

export interface WorkerRecord {
  id: number;
  reg: WorkerRegistration;
  state: WorkerStateName;
  startTime: number;
  endTime: number;
}

export interface ControlPlaneOptions {
  serverUid: string;
  table: TaskTable;
  scheduler: Comlink.Remote<SchedulerApi>;
  io: Array<Comlink.Remote<IoThreadApi>>;
  fromScheduler: RingBuffer;
  ownBell: Doorbell;
}

export class ControlPlane {
  readonly jobs = new Map<number, Job>();
  readonly workers = new Map<number, WorkerRecord>();
  private lastJobId = 0;
  private lastWorkerId = 0;
  /** Error texts of failed tasks by row (kept until the job is forgotten). */
  readonly taskErrors = new Map<number, string>();
  /** Multi-node tasks by row: [instance, ...all worker ids] of their latest placement (kept until forgotten). */
  readonly multiNodeWorkers = new Map<number, number[]>();
  /** Worker count waiters: `hq worker wait N`. */
  private workerWaiters: Array<{ count: number; resolve: () => void }> = [];
  private stopped = false;
  readonly table: TaskTable;

  constructor(private readonly opts: ControlPlaneOptions) {
    this.table = opts.table;
    void this.eventLoop();
  }

  get serverUid(): string {
    return this.opts.serverUid;
  }

  get lastJob(): number {
    return this.lastJobId;
  }

  // ---- jobs ----

  /** Opens a job without tasks (`hq job open`); tasks come with later submits. */
  openJob(desc: JobDescription): number {
    const id = ++this.lastJobId;
    const job = new Job(id, desc);
    job.isOpen = true;
    this.jobs.set(id, job);
    return id;
  }

  /**
   * Adds tasks to a new job (jobId 0) or to an open one, and hands them to
   * the scheduler. Everything is checked before anything changes.
   */
  async submit(jobId: number, desc: JobDescription, templates: TemplateWithIds[]): Promise<number> {
    let job: Job | undefined;
    if (jobId) {
      job = this.jobs.get(jobId);
      if (!job) throw new UserError(`Job ${jobId} not found`);
      if (!job.isOpen) throw new UserError(`Job ${jobId} is not open`);
    }
    const count = templates.reduce((n, t) => n + t.taskIds.length, 0);
    if (count === 0) throw new UserError('the job has no tasks');
    if (job) continueAutoIds(job, templates);
    checkUniqueIds(job, templates);
    const deps = this.dependencies(job, templates);

    const requests: number[] = [];
    for (const t of templates) requests.push(await this.opts.scheduler.addRequest(toCoreVariants(t.template.variants)));
    const isNew = !job;
    if (!job) job = new Job(++this.lastJobId, desc);
    if (!job.scheduled) {
      const first = templates[0]!.template;
      await this.opts.scheduler.addJob(job.id, {
        priority: first.priority,
        request: requests[0]!,
        crashLimit: first.crashLimit,
        timeRequestMs: first.timeRequest * 1000,
      });
      job.scheduled = true;
    }
    const { start, newChunks } = this.table.allocate(count);
    let row = start;
    templates.forEach((t, i) => {
      const template = job!.templates.length;
      job!.templates.push(t.template);
      this.table.fillJob(row, t.taskIds.length, job!.id, t.taskIds, t.template.priority, requests[i]!);
      job!.addSegment({ startRow: row, count: t.taskIds.length, taskIds: t.taskIds, sorted: t.sorted, template });
      row += t.taskIds.length;
    });
    if (isNew) this.jobs.set(job.id, job);
    // Workers must be able to learn the job before any assignment names it.
    const definition = jobDefinitionBytes(job.id, job.description, templates.map((t) => t.template));
    await Promise.all(this.opts.io.map((io) => io.defineJob(job!.id, definition)));
    await this.opts.scheduler.submit(job.id, start, count, newChunks, deps ? toRows(deps, job, start) : null);
    log.debug(`job ${job.id}: ${count} tasks submitted`);
    return job.id;
  }

  /**
   * Dependencies of the new tasks as task ids, checked: every id exists (in
   * the job or this submission) and no cycle forms. Null when there are none.
   */
  private dependencies(job: Job | undefined, templates: TemplateWithIds[]): Array<[number, number[]]> | null {
    const all: Array<[number, number[]]> = [];
    for (const t of templates) for (const d of t.deps) all.push([d.taskId, d.deps]);
    if (all.length === 0) return null;
    const newIds = new Set<number>();
    for (const t of templates) for (const id of t.taskIds) newIds.add(id);
    const graph = new Map<number, number[]>();
    for (const [taskId, deps] of all) {
      if (!newIds.has(taskId)) throw new UserError(`Dependencies given for unknown task ${taskId}`);
      for (const d of deps) {
        if (!newIds.has(d) && !(job && job.rowOf(d) >= 0)) throw new UserError(`Task ${taskId} depends on unknown task ${d}`);
      }
      graph.set(taskId, deps);
    }
    const cyclic = findIdCycle(graph);
    if (cyclic !== null) throw new UserError(`Dependency cycle through task ${cyclic}`);
    return all;
  }

  /** No more tasks may come: the job ends once its tasks have. */
  closeJob(job: Job): boolean {
    if (!job.isOpen) return false;
    job.isOpen = false;
    if (job.ended >= job.taskCount && !job.endTime) job.endTime = Date.now();
    job.checkDone();
    return true;
  }

  /** Drops an ended job from memory; its rows stay in the table (ids stay unique). */
  forget(job: Job): boolean {
    if (!job.isDone) return false;
    for (const s of job.segments) {
      for (let i = 0; i < s.count; i++) {
        this.taskErrors.delete(s.startRow + i);
        this.multiNodeWorkers.delete(s.startRow + i);
      }
    }
    this.jobs.delete(job.id);
    for (const io of this.opts.io) void io.forgetJob(job.id);
    return true;
  }

  async cancel(job: Job): Promise<boolean> {
    if (job.isDone) return false;
    if (job.isOpen) this.closeJob(job);
    if (!job.scheduled) return true;
    await this.opts.scheduler.cancelJob(job.id);
    return true;
  }

  /** Counts the job's tasks by state straight from the shared table. */
  countStates(job: Job): Uint32Array {
    const out = new Uint32Array(6);
    const part = new Uint32Array(6);
    for (const s of job.segments) {
      this.table.countStates(s.startRow, s.count, part);
      for (let i = 0; i < 6; i++) out[i]! += part[i]!;
    }
    return out;
  }

  // ---- workers ----

  async registerWorker(reg: WorkerRegistration): Promise<{ workerId: number; serverUid: string }> {
    if (this.stopped) throw new Error('server is stopping');
    const id = ++this.lastWorkerId;
    this.workers.set(id, { id, reg, state: 'RUNNING', startTime: Date.now(), endTime: 0 });
    log.info(`worker ${id} registered from ${reg.hostname} (${reg.address})`);
    return { workerId: id, serverUid: this.opts.serverUid };
  }

  async activateWorker(workerId: number): Promise<void> {
    const w = this.workers.get(workerId);
    if (!w || w.state !== 'RUNNING') return;
    const reg = w.reg;
    try {
      await this.opts.scheduler.addWorker(workerId, reg.io, reg.resources, reg.prefetch, {
        group: reg.group || reg.hostname,
        endTimeMs: reg.timeLimitSecs > 0 ? w.startTime + reg.timeLimitSecs * 1000 : 0,
        coupling: reg.coupling,
      });
    } catch (e) {
      // Refused (e.g. resources the scheduler cannot use): it never was a worker.
      this.workers.delete(workerId);
      throw e;
    }
    await Promise.all(this.opts.io.map((io) => io.knowWorker(workerId, reg.hostname)));
    this.notifyWorkerWaiters();
  }

  explain(row: number, workerIds: number[]): Promise<ExplainResult[]> {
    return this.opts.scheduler.explain(row, workerIds);
  }

  async workerEnded(workerId: number, state: WorkerStateName): Promise<void> {
    const w = this.workers.get(workerId);
    if (!w || w.state !== 'RUNNING') return;
    w.state = state;
    w.endTime = Date.now();
    const crashed = state === 'CONNECTION LOST' || state === 'HEARTBEAT LOST';
    await this.opts.scheduler.removeWorker(workerId, crashed);
  }

  async stopWorker(workerId: number): Promise<boolean> {
    const w = this.workers.get(workerId);
    if (!w || w.state !== 'RUNNING') return false;
    return this.opts.io[w.reg.io]!.stopWorker(workerId, 'stopped by user');
  }

  workerLoads(): Promise<Array<[number, number, number]>> {
    return this.opts.scheduler.workerLoads();
  }

  runningWorkers(): number {
    let n = 0;
    for (const w of this.workers.values()) if (w.state === 'RUNNING') n++;
    return n;
  }

  waitForWorkers(count: number): Promise<void> {
    if (this.runningWorkers() >= count) return Promise.resolve();
    return new Promise((resolve) => this.workerWaiters.push({ count, resolve }));
  }

  private notifyWorkerWaiters(): void {
    const running = this.runningWorkers();
    this.workerWaiters = this.workerWaiters.filter((w) => {
      if (running < w.count) return true;
      w.resolve();
      return false;
    });
  }

  recordTaskErrors(errors: Array<[number, number, string]>): void {
    for (const [row, instance, error] of errors) {
      if (this.table.instance(row) === instance) this.taskErrors.set(row, error);
    }
  }

  // ---- events from the scheduler ----

  private async eventLoop(): Promise<void> {
    const ring = this.opts.fromScheduler;
    while (!this.stopped) {
      const seen = this.opts.ownBell.value;
      this.drainEvents(ring);
      await this.opts.ownBell.waitAsync(seen);
    }
  }

  private drainEvents(ring: RingBuffer): void {
    const touched = new Set<Job>();
    const now = Date.now();
    ring.drain((kind, data, offset, words) => {
      if (kind === SchedulerToMain.MultiNode) {
        const row = data[offset]! >>> 0;
        const members = Array.from(data.subarray(offset + 1, offset + words), (x) => x >>> 0);
        this.multiNodeWorkers.set(row, members);
        return;
      }
      if (kind !== SchedulerToMain.Events) return;
      const end = offset + words;
      for (let i = offset; i < end; i += EVENT_WORDS) {
        const event = data[i]!;
        const row = data[i + 1]! >>> 0;
        const reason = data[i + 3]!;
        const job = this.jobs.get(this.table.job(row));
        if (!job) continue;
        switch (event) {
          case TaskEvent.Started:
            if (!job.startTime) job.startTime = now;
            break;
          case TaskEvent.Finished:
            job.finished++;
            touched.add(job);
            break;
          case TaskEvent.Failed:
            job.failed++;
            if (reason === FailReason.CrashLimit) {
              this.taskErrors.set(row, `Task was lost ${this.table.crashCount(row)} times (crash limit reached)`);
            }
            touched.add(job);
            if (job.description.maxFails !== null && job.failed > job.description.maxFails) {
              void this.cancel(job);
            }
            break;
          case TaskEvent.Canceled:
            job.canceled++;
            touched.add(job);
            break;
        }
      }
    });
    for (const job of touched) job.checkDone();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.opts.ownBell.ring();
  }
}

export interface TemplateWithIds {
  template: TemplateDescription;
  taskIds: Uint32Array;
  sorted: boolean;
  deps: Array<{ taskId: number; deps: number[] }>;
  /** The submit named no ids (0, 1, ... were counted): in an open job they continue after its largest id. */
  autoIds?: boolean;
}

/** Moves counted ids of a submit into an open job past the ids it already has. */
function continueAutoIds(job: Job, templates: TemplateWithIds[]): void {
  const first = job.maxTaskId() + 1;
  if (first === 0) return;
  for (const t of templates) {
    if (!t.autoIds) continue;
    for (let i = 0; i < t.taskIds.length; i++) t.taskIds[i] = t.taskIds[i]! + first;
    t.template.ids = [{ start: first, end: first + t.taskIds.length - 1, step: 1 }];
  }
}

/** Task-id dependencies as rows, in the layout the scheduler takes (rows from `start` on). */
function toRows(deps: Array<[number, number[]]>, job: Job, start: number): TaskDependencies {
  const count = job.segments.reduce((n, s) => (s.startRow >= start ? n + s.count : n), 0);
  const byRow = new Map<number, number[]>();
  for (const [taskId, list] of deps) byRow.set(job.rowOf(taskId), list.map((d) => job.rowOf(d)));
  const offsets = new Uint32Array(count + 1);
  const rows: number[] = [];
  for (let i = 0; i < count; i++) {
    offsets[i] = rows.length;
    const list = byRow.get(start + i);
    if (list) rows.push(...list);
  }
  offsets[count] = rows.length;
  return { offsets, rows: Uint32Array.from(rows) };
}

/** Task ids must be unique within a job, across all its submissions. */
function checkUniqueIds(job: Job | undefined, templates: TemplateWithIds[]): void {
  if (templates.length === 1 && !job) return; // one expanded range list has no duplicates
  const seen = new Set<number>();
  for (const t of templates) {
    for (const id of t.taskIds) {
      if (seen.has(id) || (job && job.rowOf(id) >= 0)) throw new UserError(`Task id ${id} is used twice in the job`);
      seen.add(id);
    }
  }
}

/** A task id on a dependency cycle, or null. */
function findIdCycle(graph: Map<number, number[]>): number | null {
  const state = new Map<number, 1 | 2>(); // 1 = on the path, 2 = done
  for (const root of graph.keys()) {
    if (state.has(root)) continue;
    const stack: Array<[number, number]> = [[root, 0]];
    state.set(root, 1);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const deps = graph.get(top[0]) ?? [];
      if (top[1] >= deps.length) {
        state.set(top[0], 2);
        stack.pop();
        continue;
      }
      const next = deps[top[1]++]!;
      const s = state.get(next);
      if (s === 1) return next;
      if (s === undefined) {
        state.set(next, 1);
        stack.push([next, 0]);
      }
    }
  }
  return null;
}

