import { TaskState, TASK_STATE_COUNT } from './task-state.js';

/**
 * What another thread needs to attach to a task table; structured-clonable,
 * so it can be posted to a worker_thread as is.
 */
export interface TaskTableShared {
  chunkRows: number;
  /** Int32 words; word 0 is the row count. */
  header: SharedArrayBuffer;
  chunks: SharedArrayBuffer[];
}

const ROW_COUNT = 0;
const HEADER_BYTES = 8;
// Signed 32-bit row count in the header; rows are addressed as unsigned 32-bit elsewhere.
const MAX_ROWS = 0x7fff_ffff;

// Column layout inside one chunk of n rows: widest columns first so every view is aligned.
const START_TIME_AT = 0; // f64
const END_TIME_AT = 8; // f64
const JOB_AT = 16; // u32
const TASK_ID_AT = 20; // u32
const WORKER_AT = 24; // u32
const INSTANCE_AT = 28; // u32
const PRIORITY_AT = 32; // i32
const REQUEST_AT = 36; // u32
const STATE_AT = 40; // u8
const CRASH_AT = 41; // u8
const VARIANT_AT = 42; // u8
/** Bytes each row costs. */
export const TASK_ROW_BYTES = 43;

/**
 * All tasks of the server, one row per task, stored column by column in
 * SharedArrayBuffer chunks so the table grows without copying and several
 * threads read and write the same rows. Rows never move: a row number is a
 * task's identity inside the server.
 *
 * Only one thread (the control plane) calls allocate(); it hands the new chunks
 * to the other threads, which call addChunks() before touching those rows.
 */
export class TaskTable {
  readonly chunkRows: number;
  private readonly shift: number;
  private readonly mask: number;
  private readonly header: Int32Array;
  private readonly headerBuffer: SharedArrayBuffer;
  private readonly chunkBuffers: SharedArrayBuffer[] = [];
  private readonly startTimes: Float64Array[] = [];
  private readonly endTimes: Float64Array[] = [];
  private readonly jobs: Uint32Array[] = [];
  private readonly taskIds: Uint32Array[] = [];
  private readonly workers: Uint32Array[] = [];
  private readonly instances: Uint32Array[] = [];
  private readonly priorities: Int32Array[] = [];
  private readonly requests: Uint32Array[] = [];
  private readonly states: Uint8Array[] = [];
  private readonly crashCounts: Uint8Array[] = [];
  private readonly variants: Uint8Array[] = [];

  private constructor(chunkRows: number, header: SharedArrayBuffer) {
    if (!Number.isInteger(chunkRows) || chunkRows < 1 || chunkRows > 1 << 24 || (chunkRows & (chunkRows - 1)) !== 0) {
      throw new RangeError(`chunk row count must be a power of two up to 2^24, got ${chunkRows}`);
    }
    this.chunkRows = chunkRows;
    this.shift = 31 - Math.clz32(chunkRows);
    this.mask = chunkRows - 1;
    this.headerBuffer = header;
    this.header = new Int32Array(header);
  }

  static create(chunkRows = 65536): TaskTable {
    return new TaskTable(chunkRows, new SharedArrayBuffer(HEADER_BYTES));
  }

  static attach(shared: TaskTableShared): TaskTable {
    const table = new TaskTable(shared.chunkRows, shared.header);
    table.addChunks(shared.chunks);
    return table;
  }

  get shared(): TaskTableShared {
    return { chunkRows: this.chunkRows, header: this.headerBuffer, chunks: this.chunkBuffers.slice() };
  }

  /** Rows allocated so far (by any thread). */
  get length(): number {
    return Atomics.load(this.header, ROW_COUNT);
  }

  /** Bytes of shared memory held by the chunks. */
  get byteLength(): number {
    return this.chunkBuffers.length * this.chunkRows * TASK_ROW_BYTES;
  }

  /**
   * Reserves `count` new rows (zeroed: state Waiting, no worker) and returns the
   * first one together with the chunks added for them.
   */
  allocate(count: number): { start: number; newChunks: SharedArrayBuffer[] } {
    const start = this.length;
    if (!Number.isInteger(count) || count < 0 || start + count > MAX_ROWS) {
      throw new RangeError(`cannot allocate ${count} task rows after ${start}`);
    }
    const end = start + count;
    const newChunks: SharedArrayBuffer[] = [];
    while (this.chunkBuffers.length * this.chunkRows < end) {
      const chunk = new SharedArrayBuffer(this.chunkRows * TASK_ROW_BYTES);
      newChunks.push(chunk);
      this.addChunk(chunk);
    }
    Atomics.store(this.header, ROW_COUNT, end);
    return { start, newChunks };
  }

  /** Makes chunks allocated by the owning thread visible through this view. */
  addChunks(chunks: readonly SharedArrayBuffer[]): void {
    for (const chunk of chunks) this.addChunk(chunk);
  }

  private addChunk(chunk: SharedArrayBuffer): void {
    const n = this.chunkRows;
    if (chunk.byteLength !== n * TASK_ROW_BYTES) {
      throw new RangeError(`task table chunk has ${chunk.byteLength} bytes, expected ${n * TASK_ROW_BYTES}`);
    }
    this.chunkBuffers.push(chunk);
    this.startTimes.push(new Float64Array(chunk, START_TIME_AT * n, n));
    this.endTimes.push(new Float64Array(chunk, END_TIME_AT * n, n));
    this.jobs.push(new Uint32Array(chunk, JOB_AT * n, n));
    this.taskIds.push(new Uint32Array(chunk, TASK_ID_AT * n, n));
    this.workers.push(new Uint32Array(chunk, WORKER_AT * n, n));
    this.instances.push(new Uint32Array(chunk, INSTANCE_AT * n, n));
    this.priorities.push(new Int32Array(chunk, PRIORITY_AT * n, n));
    this.requests.push(new Uint32Array(chunk, REQUEST_AT * n, n));
    this.states.push(new Uint8Array(chunk, STATE_AT * n, n));
    this.crashCounts.push(new Uint8Array(chunk, CRASH_AT * n, n));
    this.variants.push(new Uint8Array(chunk, VARIANT_AT * n, n));
  }

  state(row: number): TaskState {
    return this.states[row >>> this.shift][row & this.mask] as TaskState;
  }
  setState(row: number, state: TaskState): void {
    this.states[row >>> this.shift][row & this.mask] = state;
  }

  job(row: number): number {
    return this.jobs[row >>> this.shift][row & this.mask];
  }
  setJob(row: number, job: number): void {
    this.jobs[row >>> this.shift][row & this.mask] = job;
  }

  taskId(row: number): number {
    return this.taskIds[row >>> this.shift][row & this.mask];
  }
  setTaskId(row: number, taskId: number): void {
    this.taskIds[row >>> this.shift][row & this.mask] = taskId;
  }

  /** Worker the task is (or was last) on; 0 = none. */
  worker(row: number): number {
    return this.workers[row >>> this.shift][row & this.mask];
  }
  setWorker(row: number, worker: number): void {
    this.workers[row >>> this.shift][row & this.mask] = worker;
  }

  /** Bumped each time the task goes back to waiting, so late reports about an earlier run can be told apart. */
  instance(row: number): number {
    return this.instances[row >>> this.shift][row & this.mask];
  }
  setInstance(row: number, instance: number): void {
    this.instances[row >>> this.shift][row & this.mask] = instance;
  }

  crashCount(row: number): number {
    return this.crashCounts[row >>> this.shift][row & this.mask];
  }
  /** Adds one crash (saturating at 255) and returns the new count. */
  incrementCrashCount(row: number): number {
    const column = this.crashCounts[row >>> this.shift];
    const i = row & this.mask;
    const count = column[i];
    if (count < 255) column[i] = count + 1;
    return column[i];
  }

  priority(row: number): number {
    return this.priorities[row >>> this.shift][row & this.mask];
  }
  setPriority(row: number, priority: number): void {
    this.priorities[row >>> this.shift][row & this.mask] = priority;
  }

  /** Resource request id (see RequestTable). */
  request(row: number): number {
    return this.requests[row >>> this.shift][row & this.mask];
  }
  setRequest(row: number, request: number): void {
    this.requests[row >>> this.shift][row & this.mask] = request;
  }

  /** Which variant of its resource request the task was assigned with (the worker must use the same). */
  variant(row: number): number {
    return this.variants[row >>> this.shift][row & this.mask];
  }
  setVariant(row: number, variant: number): void {
    this.variants[row >>> this.shift][row & this.mask] = variant;
  }

  /** Milliseconds since the epoch; 0 = not started. */
  startTime(row: number): number {
    return this.startTimes[row >>> this.shift][row & this.mask];
  }
  setStartTime(row: number, ms: number): void {
    this.startTimes[row >>> this.shift][row & this.mask] = ms;
  }

  /** Milliseconds since the epoch; 0 = not ended. */
  endTime(row: number): number {
    return this.endTimes[row >>> this.shift][row & this.mask];
  }
  setEndTime(row: number, ms: number): void {
    this.endTimes[row >>> this.shift][row & this.mask] = ms;
  }

  /**
   * Initialises freshly allocated rows of a job: state Waiting, the given job,
   * priority and request, task ids from `taskIds` (null = 0..count-1), every
   * other column zero.
   */
  fillJob(start: number, count: number, job: number, taskIds: Uint32Array | null, priority: number, request: number): void {
    this.checkRange(start, count);
    if (taskIds !== null && taskIds.length < count) {
      throw new RangeError(`${taskIds.length} task ids given for ${count} rows`);
    }
    const end = start + count;
    let row = start;
    while (row < end) {
      const c = row >>> this.shift;
      const from = row & this.mask;
      const to = Math.min(this.chunkRows, from + (end - row));
      const base = row - start - from; // index into taskIds of this chunk's row 0
      this.states[c].fill(TaskState.Waiting, from, to);
      this.crashCounts[c].fill(0, from, to);
      this.variants[c].fill(0, from, to);
      this.jobs[c].fill(job, from, to);
      this.workers[c].fill(0, from, to);
      this.instances[c].fill(0, from, to);
      this.priorities[c].fill(priority, from, to);
      this.requests[c].fill(request, from, to);
      this.startTimes[c].fill(0, from, to);
      this.endTimes[c].fill(0, from, to);
      const ids = this.taskIds[c];
      if (taskIds === null) {
        for (let i = from; i < to; i++) ids[i] = base + i;
      } else {
        ids.set(taskIds.subarray(base + from, base + to), from);
      }
      row += to - from;
    }
  }

  /** Overwrites `out` (one counter per TaskState) with the state counts of rows [start, start+count). */
  countStates(start: number, count: number, out: Uint32Array): void {
    this.checkRange(start, count);
    if (out.length < TASK_STATE_COUNT) throw new RangeError(`state counter array needs ${TASK_STATE_COUNT} slots`);
    out.fill(0);
    const end = start + count;
    let row = start;
    while (row < end) {
      const column = this.states[row >>> this.shift];
      const from = row & this.mask;
      const to = Math.min(this.chunkRows, from + (end - row));
      for (let i = from; i < to; i++) out[column[i]]++;
      row += to - from;
    }
  }

  private checkRange(start: number, count: number): void {
    if (!Number.isInteger(start) || !Number.isInteger(count) || start < 0 || count < 0 || start + count > this.length) {
      throw new RangeError(`task rows [${start}, ${start + count}) are outside the table of ${this.length} rows`);
    }
  }
}
