import { ResourceAllocator } from './allocator.js';
import type { RequestVariant } from './resources.js';
import { RowDeque } from './row-deque.js';
import { RowList } from './row-list.js';

const EMPTY_RECORD = Float64Array.of(0);

/**
 * The scheduler's model of one worker.
 *
 * The worker keeps the tasks it receives in a queue ordered by priority
 * (higher first), then job id (lower first), then arrival, and starts the
 * task at its head whenever its request (the variant the scheduler chose) can
 * be allocated by its ResourceAllocator, never out of order. The scheduler
 * mirrors that rule with its own allocator over the same resources and the
 * same order: a task assigned while the queue is empty and allocated in the
 * model holds its resources from that moment (the worker starts it on
 * arrival); any other task is `queued`, at its place in that order, and takes
 * its resources when it reaches the head and fits ("promotion").
 *
 * The model may diverge from the worker: it releases resources in the order
 * reports arrive, which decides which indices later tasks get, and a worker
 * may start a task the model still had queued (reports race). Then a task the
 * model thinks starts at once may wait on the worker until resources free up;
 * nothing is ever over-committed, because the worker itself enforces its
 * allocator.
 */
export class SchedulerWorker {
  readonly id: number;
  /** Worker group (multi-node tasks use workers of one group). */
  readonly group: string;
  /** When the worker's allocation ends, ms since the epoch; 0 = no limit. */
  readonly endTimeMs: number;
  /** How many tasks may wait in `queued` beyond what runs. */
  readonly prefetch: number;
  readonly allocator: ResourceAllocator;
  /** Assigned tasks without resources yet, in start order (priority desc, job id asc, then as sent). */
  readonly queued = new RowDeque();
  /** Tasks holding resources: running, or about to start. Unordered. */
  readonly held = new RowList();
  /** Tasks assigned and not yet started (held or queued). */
  assigned = 0;
  running = 0;
  /** Rows assigned / to cancel / to steal during the current call, flushed to the sink. */
  readonly assignBatch = new RowList();
  readonly cancelBatch = new RowList();
  readonly stealBatch = new RowList();
  /** Row of the multi-node task this worker is reserved for; -1 = none. */
  multiNodeRow = -1;
  /** Queued rows of this worker a steal request is out for. */
  beingStolen = 0;
  /** Rows stolen on behalf of this worker and not answered yet (its own, when it gave way to higher priority). */
  incomingSteals = 0;
  /** Kept free for a blocked task for the rest of the current schedule() call. */
  closed = false;
  /** Resources were given back since its queue was last promoted (see Scheduler.settle). */
  promotePending = false;
  /** Allocations given back so far (its free resources may have grown since). */
  releases = 0;
  /** Queue stamp and `releases` at this worker's last steal attempt that found nothing. */
  stealScanStamp = -1;
  stealScanReleases = -1;

  // Allocation records of held tasks: heldAt[slot] is where the record of held.at(slot) starts.
  private heldAt = new Int32Array(16);
  private records = new Float64Array(256);
  private recordsTop = 0;
  // Per request id: 0 = not computed, 1 = no variant ever fits, 2 + v = first variant that fits an idle worker.
  private fit = new Uint8Array(16);

  constructor(id: number, allocator: ResourceAllocator, prefetch: number, group: string, endTimeMs: number) {
    this.id = id;
    this.allocator = allocator;
    this.prefetch = prefetch;
    this.group = group;
    this.endTimeMs = endTimeMs;
  }

  /** Whether some task could still be given to this worker now. */
  get canAccept(): boolean {
    if (this.multiNodeRow >= 0) return false;
    if (this.queued.length < this.prefetch) return true;
    return this.queued.length === 0 && this.allocator.hasFree();
  }

  /** Nothing held, queued or reserved: the worker could join a multi-node task. */
  get isIdle(): boolean {
    return this.multiNodeRow < 0 && this.held.length === 0 && this.queued.length === 0;
  }

  /** Whether the worker lives long enough for a task needing `timeRequestMs`. */
  livesFor(timeRequestMs: number, nowMs: number): boolean {
    return timeRequestMs === 0 || this.endTimeMs === 0 || this.endTimeMs - nowMs >= timeRequestMs;
  }

  /** The first variant of a request that fits the idle worker, -1 when none does. Cached per request. */
  firstFittingVariant(request: number, variants: readonly RequestVariant[]): number {
    if (request >= this.fit.length) {
      const grown = new Uint8Array(Math.max(request + 1, this.fit.length * 2));
      grown.set(this.fit);
      this.fit = grown;
    }
    let code = this.fit[request];
    if (code === 0) {
      code = 1;
      for (let v = 0; v < variants.length; v++) {
        if (this.allocator.fitsEver(variants[v].plan)) {
          code = v + 2;
          break;
        }
      }
      this.fit[request] = code;
    }
    return code - 2;
  }

  /**
   * `row` holds the allocation just made (the allocator's last record of
   * `length` words, or nothing when length is 0); returns its slot in `held`.
   */
  hold(row: number, length: number): number {
    const record = length > 0 ? this.allocator.lastRecord : EMPTY_RECORD;
    const words = length > 0 ? length : 1;
    if (this.recordsTop + words > this.records.length) this.compact(words);
    const slot = this.held.push(row);
    if (slot >= this.heldAt.length) {
      const grown = new Int32Array(this.heldAt.length * 2);
      grown.set(this.heldAt);
      this.heldAt = grown;
    }
    // A word-by-word copy: records are a few words, and subarray() would allocate.
    const records = this.records;
    const top = this.recordsTop;
    for (let i = 0; i < words; i++) records[top + i] = record[i];
    this.heldAt[slot] = top;
    this.recordsTop = top + words;
    return slot;
  }

  /** Gives back the allocation of the task in `slot`; returns the row moved into that slot, or -1. */
  release(slot: number): number {
    const at = this.heldAt[slot];
    this.allocator.releaseRecord(this.records, at);
    this.releases++;
    if (at + ResourceAllocator.recordLength(this.records, at) === this.recordsTop) this.recordsTop = at;
    const moved = this.held.swapRemove(slot);
    if (moved >= 0) this.heldAt[slot] = this.heldAt[this.held.length];
    if (this.held.length === 0) this.recordsTop = 0;
    return moved;
  }

  /** Packs the live records to the front of a store at least four times their size. */
  private compact(extra: number): void {
    let live = extra;
    for (let slot = 0; slot < this.held.length; slot++) live += ResourceAllocator.recordLength(this.records, this.heldAt[slot]);
    const records = this.records;
    const next = new Float64Array(Math.max(records.length, live * 4));
    let top = 0;
    for (let slot = 0; slot < this.held.length; slot++) {
      const at = this.heldAt[slot];
      const end = at + ResourceAllocator.recordLength(records, at);
      this.heldAt[slot] = top;
      for (let i = at; i < end; i++) next[top++] = records[i];
    }
    this.records = next;
    this.recordsTop = top;
  }
}
