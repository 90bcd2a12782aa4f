// The control plane (server main thread): jobs, workers and their states.
// It allocates task rows in the shared table, hands jobs to the scheduler
// thread, and follows every task state change through the scheduler's event
// ring to keep job counters and wake waiting clients.
import { TaskTable } from '../core/task-table.js';
import { RingBuffer } from '../core/ring-buffer.js';
import { Doorbell } from '../core/doorbell.js';
import { TaskEvent } from '../core/scheduler.js';
import { toCoreVariants } from '../common/request-variants.js';
import type { TaskDependencies } from '../core/scheduler.js';
import type { ResourceVariant } from '../core/resources.js';
import type { ExplainResult } from '../core/explain.js';
import { UserError } from '../common/errors.js';
import { log } from '../common/log.js';
import { collectGarbage } from '../common/collect-garbage.js';
import type { Comlink } from '../common/comlink-node.js';
import type { ResourceVariantSpec, WorkerStateName } from '../client/types.js';
import { EVENT_WORDS, SchedulerToMain } from './ring-kinds.js';
import { Job, type JobDescription, type JobSegment, type TemplateDescription } from './job.js';
import { TaskState } from '../core/task-state.js';
import { findOverlap, type IdRange } from '../common/id-range.js';
import { jobDefinitionBytes } from './job-definition.js';
import { resolveStreamDir } from '../common/placeholders.js';
import type { IoThreadApi, JobSchedulingOptions, SchedulerApi, WorkerRegistration } from './thread-api.js';

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

/** Rows of a forgotten job a release step looks at before it lets other work run. */
const RELEASE_SLICE_ROWS = 1 << 18;
/**
 * How long rows of tasks canceled while on a worker stay unused after their
 * job is forgotten: well beyond the time a worker takes to read a cancel order
 * (a worker silent for three heartbeats is dropped, which ends its reports).
 */
const QUARANTINE_MS = 120_000;
/** Longest an ended job waits before the I/O threads hear of it, together with the jobs that ended meanwhile. */
const ANNOUNCE_ENDED_MS = 100;

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
  /** Resource request ids the scheduler gave, by request. */
  private readonly requestIds = new Map<string, number>();
  /**
   * Per resource request as submitted (time request and variants): the
   * scheduler's id for it and one copy of the variants, which the templates
   * asking alike share (a workflow's thousands of jobs mostly do, and each
   * copy is six objects; nothing changes a template's variants after its
   * submit). A known request costs a submit one key, not a conversion.
   */
  private readonly submittedRequests = new Map<string, { id: number; variants: ResourceVariantSpec[] }>();
  /** Rows held back after a forget (see releaseRows), oldest first. */
  private readonly quarantine: Array<{ rows: Uint32Array; until: number }> = [];
  private stopped = false;
  /** Ended jobs not yet announced to the I/O threads (see announceEnded). */
  private readonly endedToAnnounce: number[] = [];
  private announceTimer: NodeJS.Timeout | null = null;
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
    const count = templates.reduce((n, t) => n + t.count, 0);
    if (count === 0) throw new UserError('the job has no tasks');
    if (job) continueAutoIds(job, templates);
    checkUniqueIds(job, templates);
    const deps = this.dependencies(job, templates);

    // A task's time request belongs to its resource request, as in HyperQueue.
    const asked = await Promise.all(templates.map((t) => this.submittedRequest(t.template)));
    const requests = asked.map((r) => r.id);
    const isNew = !job;
    if (!job) job = new Job(++this.lastJobId, desc);
    this.releaseQuarantined(Date.now());
    // Dependencies are given as offsets from one start row: those tasks get consecutive rows.
    const allocated = deps ? this.table.allocate(count) : this.table.allocateRuns(count);
    const runs = 'runs' in allocated ? allocated.runs : [allocated.start, count];
    this.dropStaleErrors(runs, count);
    templates.forEach((t, i) => (t.template.variants = asked[i]!.variants));
    this.fillRows(job, templates, requests, runs);
    // Chunks of new rows, and of new blocks made while filling them.
    const newChunks = [...allocated.newChunks, ...this.table.takeNewChunks()];
    if (isNew) this.jobs.set(job.id, job);
    // Workers must be able to learn the job before any assignment names it.
    // Each submission streams into its own --stream dir, whose %{JOB_ID} is known only now.
    const streamDir = desc.streamDir ? resolveStreamDir(desc.streamDir, { jobId: job.id, submitDir: desc.submitDir, serverUid: this.serverUid }) : '';
    const definition = jobDefinitionBytes(job.id, { ...job.description, streamDir }, templates.map((t) => t.template));
    await Promise.all(this.opts.io.map((io) => io.defineJob(job!.id, definition)));
    // Each template keeps its own crash limit: the scheduler finds it through the rows' template index.
    const firstTemplate = job.templates.length - templates.length;
    const crashLimits = templates.map((t, i) => ({ template: firstTemplate + i, crashLimit: t.template.crashLimit }));
    const rowDeps = deps ? toRows(deps, job, runs[0]!, count) : null; // one run then
    // The job reaches the scheduler with the first tasks sent (its settings are typed request fields, valid as they come).
    let scheduling: JobSchedulingOptions | null = null;
    if (!job.scheduled) {
      const first = templates[0]!.template;
      scheduling = { priority: first.priority, request: requests[0]!, crashLimit: first.crashLimit };
      job.scheduled = true;
    }
    // One call for all of it: with many small jobs the calls between threads cost more than the work.
    // Not awaited: every later call to the scheduler (a cancel, a forget, a new worker) comes
    // after it through the same port, so the submitting client need not wait for the round trip.
    const id = job.id;
    this.opts.scheduler
      .submitTasks(id, scheduling, crashLimits, runs, newChunks, rowDeps)
      .catch((e: Error) => log.warn(`the scheduler could not take the tasks of job ${id}: ${e.message}`));
    log.debug(`job ${id}: ${count} tasks submitted`);
    return id;
  }

  private async submittedRequest(template: TemplateDescription): Promise<{ id: number; variants: ResourceVariantSpec[] }> {
    const key = JSON.stringify([template.timeRequest, template.variants]);
    const known = this.submittedRequests.get(key);
    if (known !== undefined) return known;
    const request = { id: await this.requestId(toCoreVariants(template.variants), template.timeRequest * 1000), variants: template.variants };
    this.submittedRequests.set(key, request);
    return request;
  }

  /** The scheduler's id of a resource request; asked for only the first time (identical requests share an id). */
  private async requestId(variants: ResourceVariant[], timeRequestMs: number): Promise<number> {
    const key = JSON.stringify([timeRequestMs, variants]);
    const known = this.requestIds.get(key);
    if (known !== undefined) return known;
    const id = await this.opts.scheduler.addRequest(variants, timeRequestMs);
    this.requestIds.set(key, id);
    return id;
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
    for (const t of templates) for (const r of t.idRuns) for (let id = r.start; id <= r.end; id += r.step) newIds.add(id);
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
    // Its tasks may all have ended already: then it ends now.
    job.checkDone();
    this.announceEnded([job]);
    return true;
  }

  /**
   * Tells the I/O threads, once per job, that jobs ended: no task of theirs
   * can be assigned again, so the I/O threads and the workers drop what
   * they kept to run them (a workflow of one-task jobs would otherwise
   * leave a definition per job on the server and on every worker). Jobs
   * ending in quick succession go together, ANNOUNCE_ENDED_MS apart at most:
   * a message per job would cost the I/O threads and the workers a wake-up each.
   */
  private announceEnded(jobs: Iterable<Job>): void {
    for (const job of jobs) {
      if (!job.isDone || job.endAnnounced) continue;
      job.endAnnounced = true;
      this.endedToAnnounce.push(job.id);
    }
    if (this.endedToAnnounce.length === 0 || this.announceTimer !== null) return;
    this.announceTimer = setTimeout(() => this.flushEndedJobs(), ANNOUNCE_ENDED_MS);
  }

  /** Sends the ended jobs gathered so far to the I/O threads now. */
  flushEndedJobs(): void {
    if (this.announceTimer !== null) clearTimeout(this.announceTimer);
    this.announceTimer = null;
    if (this.endedToAnnounce.length === 0) return;
    const ids = this.endedToAnnounce.splice(0);
    for (const io of this.opts.io) io.jobsEnded(ids).catch((e: Error) => log.warn(`an I/O thread could not drop ended jobs: ${e.message}`));
  }

  /**
   * Fills the allocated row runs (start, count pairs) with the templates'
   * tasks in order: one table block (and job segment) per piece of an id run
   * that falls into one row run.
   */
  private fillRows(job: Job, templates: TemplateWithIds[], requests: number[], runs: number[]): void {
    let run = 0;
    let row = runs[0]!;
    let rowsLeft = runs[1]!;
    templates.forEach((t, i) => {
      const template = job.templates.length;
      job.addTemplate(t.template);
      for (const ids of t.idRuns) {
        let firstId = ids.start;
        let idsLeft = Math.floor((ids.end - ids.start) / ids.step) + 1;
        while (idsLeft > 0) {
          if (rowsLeft === 0) {
            run += 2;
            row = runs[run]!;
            rowsLeft = runs[run + 1]!;
          }
          const n = Math.min(idsLeft, rowsLeft);
          const block = this.table.addBlock(row, n, job.id, firstId, ids.step, t.template.priority, requests[i]!, template);
          job.addSegment({ block, startRow: row, count: n, firstId, step: ids.step, template });
          row += n;
          rowsLeft -= n;
          firstId += n * ids.step;
          idsLeft -= n;
        }
      }
    });
  }

  /**
   * Drops an ended job from memory. Its rows and blocks are reused by later
   * jobs: at once, except rows of tasks canceled while on a worker, which
   * wait out QUARANTINE_MS (see releaseRows).
   */
  forget(job: Job): boolean {
    if (!job.isDone) return false;
    this.jobs.delete(job.id);
    this.dropRowData(job);
    if (job.scheduled) this.opts.scheduler.forgetJob(job.id).catch((e: Error) => log.warn(`scheduler could not forget job ${job.id}: ${e.message}`));
    // A job that ended and is forgotten at once may not have been announced
    // yet: the announcement is what makes the I/O threads and the workers
    // drop its definition, so it goes now.
    this.flushEndedJobs();
    this.releaseRows(job.segments, job.canceled > 0);
    return true;
  }

  /** Reused rows start without an error text (one reported late for their earlier task may have come in). */
  private dropStaleErrors(runs: number[], count: number): void {
    const errors = this.taskErrors;
    if (errors.size === 0) return;
    if (errors.size < count) {
      for (const row of errors.keys()) {
        for (let i = 0; i < runs.length; i += 2) if (row >= runs[i]! && row < runs[i]! + runs[i + 1]!) errors.delete(row);
      }
    } else {
      for (let i = 0; i < runs.length; i += 2) for (let row = runs[i]!; row < runs[i]! + runs[i + 1]!; row++) errors.delete(row);
    }
  }

  /** Error texts and multi-node placements of a job's rows, found from the smaller side. */
  private dropRowData(job: Job): void {
    for (const map of [this.taskErrors, this.multiNodeWorkers] as Array<Map<number, unknown>>) {
      if (map.size === 0) continue;
      if (map.size < job.taskCount) {
        for (const row of map.keys()) if (this.table.job(row) === job.id) map.delete(row);
      } else {
        for (const s of job.segments) for (let i = 0; i < s.count; i++) map.delete(s.startRow + i);
      }
    }
  }

  /**
   * Gives the rows of forgotten segments back to the table. A task canceled
   * while on a worker may still be reported by that worker (it can report
   * before it reads the cancel order); such a report names the row and
   * instance, which a new task in the same row would have too. Those rows are
   * held back for a while; a job with canceled tasks is scanned for them in
   * slices, so forgetting a huge job does not hold up the main thread.
   */
  private releaseRows(segments: readonly JobSegment[], mayHoldCanceled: boolean): void {
    const table = this.table;
    if (!mayHoldCanceled) {
      for (const s of segments) {
        table.release(s.startRow, s.count);
        table.freeBlock(s.block);
      }
      this.trimTable();
      return;
    }
    const held: number[] = [];
    let index = 0;
    let offset = 0;
    const step = (): void => {
      let budget = RELEASE_SLICE_ROWS;
      while (index < segments.length && budget > 0) {
        const s = segments[index]!;
        const end = Math.min(s.count, offset + budget);
        let runStart = s.startRow + offset;
        for (let row = s.startRow + offset; row < s.startRow + end; row++) {
          if (table.state(row) !== TaskState.Canceled || table.worker(row) === 0) continue;
          if (row > runStart) table.release(runStart, row - runStart);
          held.push(row);
          runStart = row + 1;
        }
        if (s.startRow + end > runStart) table.release(runStart, s.startRow + end - runStart);
        budget -= end - offset;
        offset = end;
        if (offset === s.count) {
          table.freeBlock(s.block);
          index++;
          offset = 0;
        }
      }
      if (index < segments.length && !this.stopped) {
        setImmediate(step);
        return;
      }
      if (held.length > 0) this.quarantine.push({ rows: Uint32Array.from(held), until: Date.now() + QUARANTINE_MS });
      this.trimTable();
    };
    step();
  }

  /** Rows whose quarantine is over become free. */
  private releaseQuarantined(now: number): void {
    let released = false;
    while (this.quarantine.length > 0 && this.quarantine[0]!.until <= now) {
      for (const row of this.quarantine.shift()!.rows) this.table.release(row, 1);
      released = true;
    }
    if (released) this.trimTable();
  }

  /**
   * Free rows at the end of the table stop being rows, and the chunks wholly
   * past them go back to the system: the scheduler thread lets go of them and
   * collects its garbage, then this thread does. Rows freed in the middle
   * stay, for later jobs to fill.
   */
  private trimTable(): void {
    if (this.stopped) return;
    const table = this.table;
    const before = table.rowChunkCount;
    const keep = table.trimFreeTail();
    if (keep >= before) return;
    this.opts.scheduler.dropRowChunks(keep, table.length).then(
      () => collectGarbage(),
      (e: Error) => log.warn(`the scheduler could not let go of task table chunks: ${e.message}`),
    );
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
    const table = this.table;
    for (const [row, instance, error] of errors) {
      // About a task on a worker, or one the scheduler has just marked failed (the text
      // may come after the failure); reports about finished, canceled or forgotten tasks are ignored.
      if (row >= table.length || table.instance(row) !== instance) continue;
      const state = table.state(row);
      if (state === TaskState.Assigned || state === TaskState.Running || state === TaskState.Failed) this.taskErrors.set(row, error);
    }
  }

  /**
   * A task's error: the one its worker reported, else, for a task that failed
   * at its crash limit, that. The latter is read from the table, where the
   * scheduler writes the failure: a task whose crashes reached its limit can
   * have failed no other way.
   */
  taskError(job: Job, row: number): string {
    const reported = this.taskErrors.get(row);
    if (reported !== undefined) return reported;
    const table = this.table;
    const crashes = table.crashCount(row);
    const limit = job.templates[table.template(row)]!.crashLimit;
    if (table.state(row) !== TaskState.Failed || limit <= 0 || crashes < limit) return '';
    return `Task was lost ${crashes} times (crash limit reached)`;
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
    // Jobs whose counts changed, each with the row of its task that ended last.
    const touched = new Map<Job, number>();
    const now = Date.now();
    ring.drain((kind, data, offset, words) => {
      if (kind === SchedulerToMain.MultiNode) {
        const row = data[offset]! >>> 0;
        const members = Array.from(data.subarray(offset + 1, offset + words), (x) => x >>> 0);
        this.multiNodeWorkers.set(row, members);
      } else if (kind === SchedulerToMain.Events) {
        this.countEvents(data, offset, offset + words, now, touched);
      }
    });
    // A job that is done ended when its last task did, as the scheduler wrote it into the table.
    for (const [job, row] of touched) job.checkDone(this.table.endTime(row) || now);
    this.announceEnded(touched.keys());
  }

  /**
   * Counts one record of task events into their jobs; `touched` gathers the
   * jobs whose counts changed, each with its last ended row so far.
   */
  private countEvents(data: Int32Array, offset: number, end: number, now: number, touched: Map<Job, number>): void {
    // Events come in runs of one job's tasks: one lookup per run.
    let jobId = -1;
    let job: Job | undefined;
    let counted: Job | undefined;
    let lastEnded = -1;
    for (let i = offset; i < end; i += EVENT_WORDS) {
      const event = data[i]!;
      const row = data[i + 1]! >>> 0;
      const rowJob = this.table.job(row);
      if (rowJob !== jobId) {
        jobId = rowJob;
        job = this.jobs.get(rowJob);
      }
      if (!job) continue;
      // A task that ran between two reports of its worker comes as an end alone: that starts the job too.
      // The job started when that task did, as the scheduler wrote it into the
      // table: this drain may come a good while later (0 when the task was
      // put back to waiting meanwhile).
      const ran = event === TaskEvent.Started || event === TaskEvent.Finished || event === TaskEvent.Failed;
      if (ran && !job.startTime) job.startTime = this.table.startTime(row) || now;
      if (event !== TaskEvent.Finished && event !== TaskEvent.Failed && event !== TaskEvent.Canceled) continue;
      if (job !== counted) {
        if (counted) touched.set(counted, lastEnded);
        counted = job;
      }
      lastEnded = row;
      switch (event) {
        case TaskEvent.Finished:
          job.finished++;
          break;
        case TaskEvent.Failed:
          job.failed++;
          if (job.description.maxFails !== null && job.failed > job.description.maxFails) {
            void this.cancel(job);
          }
          break;
        case TaskEvent.Canceled:
          job.canceled++;
          break;
      }
    }
    if (counted) touched.set(counted, lastEnded);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.announceTimer !== null) clearTimeout(this.announceTimer);
    this.announceTimer = null;
    this.opts.ownBell.ring();
  }
}

export interface TemplateWithIds {
  template: TemplateDescription;
  /** The task ids as evenly stepping runs, ascending (see taskIdRuns): the order of their rows. */
  idRuns: IdRange[];
  /** Number of task ids. */
  count: number;
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
    t.idRuns = t.idRuns.map((r) => ({ start: r.start + first, end: r.end + first, step: r.step }));
    t.template.ids = [{ start: first, end: first + t.count - 1, step: 1 }];
  }
}

/** Task-id dependencies as rows, in the layout the scheduler takes (rows [start, start+count)). */
function toRows(deps: Array<[number, number[]]>, job: Job, start: number, count: number): TaskDependencies {
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

/** Task ids must be unique within a job, across all its submissions (compared as id runs, not one by one). */
function checkUniqueIds(job: Job | undefined, templates: TemplateWithIds[]): void {
  if (templates.length === 1 && !job) return; // the runs of one template never share ids
  const runs: IdRange[] = job ? job.idRanges() : [];
  for (const t of templates) runs.push(...t.idRuns);
  const twice = findOverlap(runs);
  if (twice !== undefined) throw new UserError(`Task id ${twice} is used twice in the job`);
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

