// What the server's threads ask of each other over comlink (the control
// path). Task-level traffic never goes here: it goes through ring buffers.
import type { MessagePort } from 'node:worker_threads';
import type { TaskTableShared } from '../core/task-table.js';
import type { ResourceVariant } from '../core/resources.js';
import type { ExplainResult } from '../core/explain.js';
import type { TaskDependencies, TemplateCrashLimit, WorkerSchedulingOptions } from '../core/scheduler.js';
import type { WorkerResource, WorkerStateName } from '../client/types.js';

export interface WorkerRegistration {
  io: number;
  hostname: string;
  group: string;
  workDir: string;
  version: string;
  resources: WorkerResource[];
  heartbeatSecs: number;
  idleTimeoutSecs: number;
  timeLimitSecs: number;
  manager: string;
  managerJobId: string;
  zeroWork: boolean;
  prefetch: number;
  pid: number;
  address: string;
  coupling: string[];
}

/** Served by the main thread (control plane) to the I/O threads. */
export interface ControlPlaneApi {
  /** Gives the worker its id; it gets no work before activateWorker. */
  registerWorker(reg: WorkerRegistration): Promise<{ workerId: number; serverUid: string }>;
  /** Hands a registered worker to the scheduler. */
  activateWorker(workerId: number): Promise<void>;
  workerEnded(workerId: number, state: WorkerStateName): Promise<void>;
  clientRequest(bytes: Uint8Array): Promise<Uint8Array>;
  taskErrors(errors: Array<[row: number, instance: number, error: string]>): void;
}

/** Served by each I/O thread to the main thread. */
export interface IoThreadApi {
  /** Adds a part (one submission's templates) to what workers learn of a job. */
  defineJob(jobId: number, definition: Uint8Array): void;
  /** Hostnames of all workers, for multi-node tasks that span I/O threads. */
  knowWorker(workerId: number, hostname: string): void;
  /**
   * These jobs ended (no task of theirs can be assigned again): their
   * definitions go, and workers that know them are told to drop theirs.
   */
  jobsEnded(jobIds: number[]): void;
  stopWorker(workerId: number, reason: string): boolean;
  shutdown(): Promise<void>;
}

export interface IoThreadInit {
  index: number;
  host: string;
  clientPort: number;
  workerPort: number;
  clientKey: string;
  workerKey: string;
  version: string;
  /** Default idle timeout handed to workers that have none (0 = none). */
  idleTimeoutSecs: number;
  toScheduler: SharedArrayBuffer;
  fromScheduler: SharedArrayBuffer;
  schedulerBell: SharedArrayBuffer;
  ioBell: SharedArrayBuffer;
  controlPort: MessagePort;
  apiPort: MessagePort;
}

export interface JobSchedulingOptions {
  priority: number;
  /** Request id (from addRequest) of the job's first tasks. */
  request: number;
  crashLimit: number;
}

/** Served by the scheduler thread to the main thread. */
export interface SchedulerApi {
  /** Registers a resource request (amounts in fixed-point units) with its time request; returns its id. */
  addRequest(variants: ResourceVariant[], timeRequestMs: number): number;
  addJob(jobId: number, opts: JobSchedulingOptions): void;
  /** Crash limits of task templates of a job, by the template index its rows carry. */
  setTemplateCrashLimits(jobId: number, limits: TemplateCrashLimit[]): void;
  submit(jobId: number, startRow: number, count: number, newChunks: SharedArrayBuffer[], deps: TaskDependencies | null): void;
  /**
   * One submission in one call (a call costs more than the work): the job
   * itself when it is new (`job` not null), its templates' crash limits, then
   * rows [runs[i], runs[i] + runs[i+1]) for each pair; `deps` belongs to the first run.
   */
  submitTasks(
    jobId: number,
    job: JobSchedulingOptions | null,
    crashLimits: TemplateCrashLimit[],
    runs: number[],
    newChunks: SharedArrayBuffer[],
    deps: TaskDependencies | null,
  ): void;
  cancelJob(jobId: number): void;
  /** The job ended and was forgotten: its rows will be filled for other jobs. */
  forgetJob(jobId: number): void;
  /**
   * The table shrank to `end` rows (trimFreeTail): let go of the row chunks
   * from `keep` on and collect garbage, so that their memory is returned.
   */
  dropRowChunks(keep: number, end: number): void;
  addWorker(workerId: number, io: number, resources: WorkerResource[], prefetch: number, opts: WorkerSchedulingOptions): void;
  removeWorker(workerId: number, crashed: boolean): void;
  workerLoads(): Array<[workerId: number, assigned: number, running: number]>;
  /** Why the task at `row` does or does not run on each of the workers. */
  explain(row: number, workerIds: number[]): ExplainResult[];
  stop(): void;
}

export interface SchedulerInit {
  table: TaskTableShared;
  /** One ring pair per I/O thread. */
  fromIo: SharedArrayBuffer[];
  toIo: SharedArrayBuffer[];
  ioBells: SharedArrayBuffer[];
  toMain: SharedArrayBuffer;
  mainBell: SharedArrayBuffer;
  ownBell: SharedArrayBuffer;
  apiPort: MessagePort;
}
