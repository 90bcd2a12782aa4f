import { TaskState, TASK_STATE_COUNT } from './task-state.js';
import { RowRanges } from './row-ranges.js';

/**
 * What another thread needs to attach to a task table; structured-clonable,
 * so it can be posted to a worker_thread as is.
 */
export interface TaskTableShared {
  chunkRows: number;
  /** Int32 words; word 0 is the row count. */
  header: SharedArrayBuffer;
  /** Row chunks and block chunks, in any order: each chunk names its kind and place. */
  chunks: SharedArrayBuffer[];
}

const ROW_COUNT = 0;
const HEADER_BYTES = 8;
// Signed 32-bit row count in the header; rows are addressed as unsigned 32-bit elsewhere.
const MAX_ROWS = 0x7fff_ffff;
const MAX_ID = 0xffff_ffff;

// Every chunk starts with two Int32 words: its kind and its index among the chunks of that kind.
const CHUNK_HEADER_BYTES = 8;
const ROW_CHUNK = 1;
const BLOCK_CHUNK = 2;

// Column layout of a row chunk of n rows (after the chunk header), widest
// columns first so every view is aligned.
const START_TIME_AT = 0; // f64
const END_TIME_AT = 8; // f64
const BLOCK_AT = 16; // u32
const WORKER_AT = 20; // u32
const INSTANCE_AT = 24; // u32
const STATE_AT = 28; // u8
const CRASH_AT = 29; // u8
const VARIANT_AT = 30; // u8
/** Bytes each row costs. */
export const TASK_ROW_BYTES = 31;

// A block is 8 Int32 words, stored row-wise in chunks of BLOCKS_PER_CHUNK.
const BLOCK_WORDS = 8;
const FIRST_ROW = 0;
const ROW_COUNT_OF_BLOCK = 1;
const JOB = 2;
const FIRST_ID = 3;
const STEP = 4;
const PRIORITY = 5;
const REQUEST = 6;
const TEMPLATE = 7;
const BLOCK_SHIFT = 10;
const BLOCKS_PER_CHUNK = 1 << BLOCK_SHIFT;
const BLOCK_MASK = BLOCKS_PER_CHUNK - 1;
/** Bytes each block costs. */
export const TASK_BLOCK_BYTES = BLOCK_WORDS * 4;

/**
 * All tasks of the server, one row per task, stored column by column in
 * SharedArrayBuffer chunks so the table grows without copying and several
 * threads read and write the same rows. Rows never move: while a task
 * exists, its row number is its identity inside the server.
 *
 * What rows of one submission share lives once, in a *block*: a run of
 * consecutive rows of one job and one task template whose task ids step
 * evenly (the row `firstRow + i` has task id `firstId + i * step`), with the
 * rows' priority and resource request. A row stores only its block number and
 * what changes while the task runs (31 bytes), so an array of a million tasks
 * is one block.
 *
 * Rows and blocks of forgotten jobs are released and reused by later ones.
 *
 * Only one thread (the control plane) allocates, fills and releases; it hands
 * the new chunks (takeNewChunks) to the other threads, which call addChunks()
 * before touching those rows.
 */
export class TaskTable {
  readonly chunkRows: number;
  private readonly shift: number;
  private readonly mask: number;
  private readonly header: Int32Array;
  private readonly headerBuffer: SharedArrayBuffer;
  private readonly rowChunks: SharedArrayBuffer[] = [];
  private readonly blockChunks: SharedArrayBuffer[] = [];
  private readonly startTimes: Float64Array[] = [];
  private readonly endTimes: Float64Array[] = [];
  private readonly blocks: Uint32Array[] = [];
  private readonly workers: Uint32Array[] = [];
  private readonly instances: Uint32Array[] = [];
  private readonly states: Uint8Array[] = [];
  private readonly crashCounts: Uint8Array[] = [];
  private readonly variants: Uint8Array[] = [];
  private readonly blockWords: Int32Array[] = [];
  // Owner only: free rows and blocks, and chunks the other threads have not been given yet.
  private readonly freeRows = new RowRanges();
  private readonly freeBlocks: number[] = [];
  private blocksUsed = 0;
  private liveBlocks = 0;
  private newChunks: SharedArrayBuffer[] = [];

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
    return { chunkRows: this.chunkRows, header: this.headerBuffer, chunks: [...this.rowChunks, ...this.blockChunks] };
  }

  /** Rows ever allocated (the highest row in use + 1 at most), as every thread sees it. */
  get length(): number {
    return Atomics.load(this.header, ROW_COUNT);
  }

  /** Rows the chunks hold, used or not. */
  get capacity(): number {
    return this.rowChunks.length * this.chunkRows;
  }

  /** Rows below `length` that are free for reuse (owner only). */
  get freeRowCount(): number {
    return this.freeRows.rows;
  }

  /** Blocks in use (owner only). */
  get blockCount(): number {
    return this.liveBlocks;
  }

  /** Bytes of shared memory held by the chunks. */
  get byteLength(): number {
    return this.rowChunks.length * rowChunkBytes(this.chunkRows) + this.blockChunks.length * BLOCK_CHUNK_BYTES;
  }

  // ------------------------------------------------------------ allocation

  /**
   * Reserves `count` consecutive rows (a free run if one is long enough, else
   * new rows at the end) and returns the first, with the chunks created since
   * the last takeNewChunks(). The rows hold stale values until filled.
   */
  allocate(count: number): { start: number; newChunks: SharedArrayBuffer[] } {
    this.checkCount(count);
    let start = count === 0 ? this.length : this.freeRows.takeContiguous(count);
    if (start < 0) start = this.append(count);
    return { start, newChunks: this.takeNewChunks() };
  }

  /**
   * Reserves `count` rows in as few runs as the free rows allow, lowest rows
   * first, then new rows at the end; `runs` holds (start, count) pairs.
   */
  allocateRuns(count: number): { runs: number[]; newChunks: SharedArrayBuffer[] } {
    this.checkCount(count);
    const runs: number[] = [];
    const reused = this.freeRows.take(count, runs);
    if (reused < count) {
      const start = this.append(count - reused);
      const last = runs.length - 2;
      if (last >= 0 && runs[last] + runs[last + 1] === start) runs[last + 1] += count - reused;
      else runs.push(start, count - reused);
    }
    return { runs, newChunks: this.takeNewChunks() };
  }

  /** Rows [start, start+count) become free for later allocations. Their blocks must be freed separately. */
  release(start: number, count: number): void {
    this.checkRange(start, count);
    this.freeRows.add(start, start + count);
  }

  /** Chunks created since the last call; every other thread must addChunks() them before using new rows or blocks. */
  takeNewChunks(): SharedArrayBuffer[] {
    const chunks = this.newChunks;
    this.newChunks = [];
    return chunks;
  }

  /**
   * Shrinks the table to its last row in use (owner only): the free rows at
   * the end stop being rows, and the row chunks wholly past the new end are
   * let go. Their memory goes back to the system once every other thread has
   * let go of them too (dropRowChunks) and each has collected its garbage.
   * Returns the row chunks kept.
   */
  trimFreeTail(): number {
    const end = this.freeRows.takeTail(this.length);
    if (end !== this.length) Atomics.store(this.header, ROW_COUNT, end);
    const keep = Math.ceil(end / this.chunkRows);
    this.dropRowChunks(keep);
    return keep;
  }

  /** Row chunks this view holds. */
  get rowChunkCount(): number {
    return this.rowChunks.length;
  }

  /** Lets go of the row chunks from `keep` on (the other threads, after the owner's trimFreeTail). */
  dropRowChunks(keep: number): void {
    if (keep >= this.rowChunks.length) return;
    for (const list of [this.rowChunks, this.startTimes, this.endTimes, this.blocks, this.workers, this.instances, this.states, this.crashCounts, this.variants]) {
      list.length = keep;
    }
    this.newChunks = this.newChunks.filter((chunk) => {
      const [kind, index] = new Int32Array(chunk, 0, 2);
      return kind !== ROW_CHUNK || index < keep;
    });
  }

  /** Makes chunks allocated by the owning thread visible through this view. */
  addChunks(chunks: readonly SharedArrayBuffer[]): void {
    for (const chunk of chunks) this.addChunk(chunk);
  }

  private checkCount(count: number): void {
    if (!Number.isInteger(count) || count < 0 || this.length + count > MAX_ROWS) {
      throw new RangeError(`cannot allocate ${count} task rows after ${this.length}`);
    }
  }

  private append(count: number): number {
    const start = this.length;
    const end = start + count;
    while (this.capacity < end) {
      const chunk = newChunk(ROW_CHUNK, this.rowChunks.length, rowChunkBytes(this.chunkRows));
      this.newChunks.push(chunk);
      this.addChunk(chunk);
    }
    Atomics.store(this.header, ROW_COUNT, end);
    return start;
  }

  private addChunk(chunk: SharedArrayBuffer): void {
    const [kind, index] = new Int32Array(chunk, 0, 2);
    if (kind === ROW_CHUNK) this.addRowChunk(chunk, index);
    else if (kind === BLOCK_CHUNK) this.addBlockChunk(chunk, index);
    else throw new RangeError(`not a task table chunk (kind ${kind})`);
  }

  private addRowChunk(chunk: SharedArrayBuffer, index: number): void {
    const n = this.chunkRows;
    if (chunk.byteLength !== rowChunkBytes(n)) {
      throw new RangeError(`task table chunk has ${chunk.byteLength} bytes, expected ${rowChunkBytes(n)}`);
    }
    const at = (column: number) => CHUNK_HEADER_BYTES + column * n;
    this.rowChunks[index] = chunk;
    this.startTimes[index] = new Float64Array(chunk, at(START_TIME_AT), n);
    this.endTimes[index] = new Float64Array(chunk, at(END_TIME_AT), n);
    this.blocks[index] = new Uint32Array(chunk, at(BLOCK_AT), n);
    this.workers[index] = new Uint32Array(chunk, at(WORKER_AT), n);
    this.instances[index] = new Uint32Array(chunk, at(INSTANCE_AT), n);
    this.states[index] = new Uint8Array(chunk, at(STATE_AT), n);
    this.crashCounts[index] = new Uint8Array(chunk, at(CRASH_AT), n);
    this.variants[index] = new Uint8Array(chunk, at(VARIANT_AT), n);
  }

  private addBlockChunk(chunk: SharedArrayBuffer, index: number): void {
    if (chunk.byteLength !== BLOCK_CHUNK_BYTES) {
      throw new RangeError(`task block chunk has ${chunk.byteLength} bytes, expected ${BLOCK_CHUNK_BYTES}`);
    }
    this.blockChunks[index] = chunk;
    this.blockWords[index] = new Int32Array(chunk, CHUNK_HEADER_BYTES, BLOCKS_PER_CHUNK * BLOCK_WORDS);
  }

  // ----------------------------------------------------------------- blocks

  /**
   * Makes rows [start, start+count) the tasks `firstId, firstId+step, ...` of
   * a job and template, with their priority and request id; returns the new
   * block. The rows are initialised: state Waiting, no worker, instance 0,
   * no crash, no times.
   */
  addBlock(start: number, count: number, job: number, firstId: number, step: number, priority: number, request: number, template: number): number {
    this.checkRange(start, count);
    if (count === 0) throw new RangeError('a task block needs at least one row');
    if (!Number.isInteger(step) || step < 1 || !Number.isInteger(firstId) || firstId < 0 || firstId + (count - 1) * step > MAX_ID) {
      throw new RangeError(`task ids ${firstId} + k*${step} for ${count} rows do not fit 32 bits`);
    }
    const block = this.newBlock();
    const words = this.blockWords[block >>> BLOCK_SHIFT];
    const at = (block & BLOCK_MASK) * BLOCK_WORDS;
    words[at + FIRST_ROW] = start;
    words[at + ROW_COUNT_OF_BLOCK] = count;
    words[at + JOB] = job;
    words[at + FIRST_ID] = firstId;
    words[at + STEP] = step;
    words[at + PRIORITY] = priority;
    words[at + REQUEST] = request;
    words[at + TEMPLATE] = template;
    this.initRows(start, count, block);
    return block;
  }

  /** A block's number becomes free for reuse (its rows are released separately). */
  freeBlock(block: number): void {
    if (!Number.isInteger(block) || block < 0 || block >= this.blocksUsed) throw new RangeError(`no task block ${block}`);
    this.freeBlocks.push(block);
    this.liveBlocks--;
  }

  /**
   * Initialises freshly allocated rows of a job: state Waiting, the given job,
   * priority, request and template, task ids from `taskIds` (null =
   * 0..count-1), every other column zero. Returns the blocks made, one per
   * run of evenly stepping ids.
   */
  fillJob(start: number, count: number, job: number, taskIds: Uint32Array | null, priority: number, request: number, template = 0): number[] {
    this.checkRange(start, count);
    if (taskIds !== null && taskIds.length < count) {
      throw new RangeError(`${taskIds.length} task ids given for ${count} rows`);
    }
    if (count === 0) return [];
    if (taskIds === null) return [this.addBlock(start, count, job, 0, 1, priority, request, template)];
    const made: number[] = [];
    let i = 0;
    while (i < count) {
      let n = 1;
      let step = 1;
      if (i + 1 < count && taskIds[i + 1] > taskIds[i]) {
        step = taskIds[i + 1] - taskIds[i];
        n = 2;
        while (i + n < count && taskIds[i + n] - taskIds[i + n - 1] === step && taskIds[i + n] > taskIds[i + n - 1]) n++;
      }
      made.push(this.addBlock(start + i, n, job, taskIds[i], step, priority, request, template));
      i += n;
    }
    return made;
  }

  private newBlock(): number {
    this.liveBlocks++;
    const reused = this.freeBlocks.pop();
    if (reused !== undefined) return reused;
    const block = this.blocksUsed++;
    if (block >>> BLOCK_SHIFT >= this.blockChunks.length) {
      const chunk = newChunk(BLOCK_CHUNK, this.blockChunks.length, BLOCK_CHUNK_BYTES);
      this.newChunks.push(chunk);
      this.addChunk(chunk);
    }
    return block;
  }

  private initRows(start: number, count: number, block: number): void {
    const end = start + count;
    let row = start;
    while (row < end) {
      const c = row >>> this.shift;
      const from = row & this.mask;
      const to = Math.min(this.chunkRows, from + (end - row));
      this.states[c].fill(TaskState.Waiting, from, to);
      this.crashCounts[c].fill(0, from, to);
      this.variants[c].fill(0, from, to);
      this.blocks[c].fill(block, from, to);
      this.workers[c].fill(0, from, to);
      this.instances[c].fill(0, from, to);
      this.startTimes[c].fill(0, from, to);
      this.endTimes[c].fill(0, from, to);
      row += to - from;
    }
  }

  /** The block a row belongs to. */
  block(row: number): number {
    return this.blocks[row >>> this.shift][row & this.mask];
  }

  blockFirstRow(block: number): number {
    return this.blockWord(block, FIRST_ROW) >>> 0;
  }
  blockRows(block: number): number {
    return this.blockWord(block, ROW_COUNT_OF_BLOCK) >>> 0;
  }
  blockJob(block: number): number {
    return this.blockWord(block, JOB) >>> 0;
  }
  blockFirstId(block: number): number {
    return this.blockWord(block, FIRST_ID) >>> 0;
  }
  blockStep(block: number): number {
    return this.blockWord(block, STEP) >>> 0;
  }
  blockPriority(block: number): number {
    return this.blockWord(block, PRIORITY);
  }
  blockRequest(block: number): number {
    return this.blockWord(block, REQUEST) >>> 0;
  }
  blockTemplate(block: number): number {
    return this.blockWord(block, TEMPLATE) >>> 0;
  }

  private blockWord(block: number, field: number): number {
    return this.blockWords[block >>> BLOCK_SHIFT][(block & BLOCK_MASK) * BLOCK_WORDS + field];
  }

  // ------------------------------------------------------------------- rows

  job(row: number): number {
    return this.blockJob(this.block(row));
  }

  taskId(row: number): number {
    const block = this.block(row);
    const words = this.blockWords[block >>> BLOCK_SHIFT];
    const at = (block & BLOCK_MASK) * BLOCK_WORDS;
    return (words[at + FIRST_ID] >>> 0) + (row - (words[at + FIRST_ROW] >>> 0)) * (words[at + STEP] >>> 0);
  }

  priority(row: number): number {
    return this.blockPriority(this.block(row));
  }

  /** Resource request id (see RequestTable). */
  request(row: number): number {
    return this.blockRequest(this.block(row));
  }

  /** Index of the job's task template the row follows. */
  template(row: number): number {
    return this.blockTemplate(this.block(row));
  }

  state(row: number): TaskState {
    return this.states[row >>> this.shift][row & this.mask] as TaskState;
  }
  setState(row: number, state: TaskState): void {
    this.states[row >>> this.shift][row & this.mask] = state;
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

const BLOCK_CHUNK_BYTES = CHUNK_HEADER_BYTES + BLOCKS_PER_CHUNK * TASK_BLOCK_BYTES;

function rowChunkBytes(rows: number): number {
  return CHUNK_HEADER_BYTES + rows * TASK_ROW_BYTES;
}

function newChunk(kind: number, index: number, bytes: number): SharedArrayBuffer {
  const chunk = new SharedArrayBuffer(bytes);
  const head = new Int32Array(chunk, 0, 2);
  head[0] = kind;
  head[1] = index;
  return chunk;
}
