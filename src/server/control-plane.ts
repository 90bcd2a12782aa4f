// The control plane (server main thread): jobs, workers and their states.
// It allocates task rows in the shared table, hands jobs to the scheduler
// thread, and follows every task state change through the scheduler's event
// ring to keep job counters and wake waiting clients.
import { TaskTable } from '../core/task-table.js';
import { RingBuffer } from '../core/ring-buffer.js';
import { Doorbell } from '../core/doorbell.js';
import { TaskEvent, FailReason } from '../core/scheduler.js';
import { TaskState } from '../core/task-state.js';
import { RESOURCE_UNIT } from '../core/resources.js';
import { log } from '../common/log.js';
import type { Comlink } from '../common/comlink-node.js';
import type { WorkerStateName, WorkerResource } from '../client/types.js';
import { EVENT_WORDS, SchedulerToMain } from './ring-kinds.js';
import { Job, type JobDescription } from './job.js';
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

  /** Creates a job with the given task ids and hands it to the scheduler. */
  async submit(desc: JobDescription, taskIds: Uint32Array, sorted: boolean): Promise<number> {
    const id = ++this.lastJobId;
    const job = new Job(id, desc);
    const request = desc.resources.map((r) => ({ name: r.name, amount: Math.round(r.amount * RESOURCE_UNIT) }));
    if (!request.some((r) => r.name === 'cpus')) request.unshift({ name: 'cpus', amount: RESOURCE_UNIT });
    const requestId = await this.opts.scheduler.addJob(id, {
      priority: desc.priority,
      request,
      crashLimit: desc.crashLimit,
    });
    const count = taskIds.length;
    const { start, newChunks } = this.table.allocate(count);
    this.table.fillJob(start, count, id, taskIds, desc.priority, requestId);
    job.addSegment({ startRow: start, count, taskIds, sorted });
    this.jobs.set(id, job);
    // Workers must be able to learn the job before any assignment names it.
    const definition = jobDefinitionBytes(id, desc);
    await Promise.all(this.opts.io.map((io) => io.defineJob(id, definition)));
    await this.opts.scheduler.submit(id, start, count, newChunks);
    log.debug(`job ${id} submitted with ${count} tasks`);
    return id;
  }

  async cancel(job: Job): Promise<boolean> {
    if (job.isDone) return false;
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
    const capacity = reg.resources.map((r) => ({ name: r.name, amount: resourceAmount(r) * RESOURCE_UNIT }));
    await this.opts.scheduler.addWorker(id, reg.io, capacity, reg.prefetch);
    log.info(`worker ${id} registered from ${reg.hostname} (${reg.address})`);
    this.notifyWorkerWaiters();
    return { workerId: id, serverUid: this.opts.serverUid };
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

function resourceAmount(r: WorkerResource): number {
  if (r.kind === 'sum') return r.sum;
  let n = 0;
  for (const g of r.groups) n += g.length;
  return n;
}

export { TaskState };
