// What the server's threads ask of each other over comlink (the control
// path). Task-level traffic never goes here: it goes through ring buffers.
import type { MessagePort } from 'node:worker_threads';
import type { TaskTableShared } from '../core/task-table.js';
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
}

/** Served by the main thread (control plane) to the I/O threads. */
export interface ControlPlaneApi {
  registerWorker(reg: WorkerRegistration): Promise<{ workerId: number; serverUid: string }>;
  workerEnded(workerId: number, state: WorkerStateName): Promise<void>;
  clientRequest(bytes: Uint8Array): Promise<Uint8Array>;
  taskErrors(errors: Array<[row: number, instance: number, error: string]>): void;
}

/** Served by each I/O thread to the main thread. */
export interface IoThreadApi {
  defineJob(jobId: number, definition: Uint8Array): void;
  forgetJob(jobId: number): void;
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
  /** Resource request as name/amount pairs (amount in fixed-point units). */
  request: Array<{ name: string; amount: number }>;
  crashLimit: number;
}

/** Served by the scheduler thread to the main thread. */
export interface SchedulerApi {
  addJob(jobId: number, opts: JobSchedulingOptions): number;
  submit(jobId: number, startRow: number, count: number, newChunks: SharedArrayBuffer[]): void;
  cancelJob(jobId: number): void;
  addWorker(workerId: number, io: number, capacity: Array<{ name: string; amount: number }>, prefetch: number): void;
  removeWorker(workerId: number, crashed: boolean): void;
  workerLoads(): Array<[workerId: number, assigned: number, running: number]>;
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
