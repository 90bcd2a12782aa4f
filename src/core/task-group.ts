import { RowDeque } from './row-deque.js';
import { RowSegments } from './row-segments.js';
import { TaskState } from './task-state.js';
import type { TaskTable } from './task-table.js';

/**
 * The waiting tasks of one job that share one resource request and one
 * priority: the unit the scheduler places. Rows returned from a lost worker (or a steal) come first,
 * then ready rows in the order they became ready: submitted rows without
 * dependencies in row order, then rows whose dependencies finished. Rows
 * canceled while waiting stay in the queues and are skipped when reached
 * (their state is no longer Waiting).
 */
export class TaskGroup {
  readonly jobId: number;
  readonly priority: number;
  readonly request: number;
  /** Creation order, the last tie-breaker between groups. */
  readonly seq: number;
  /** Whole workers each task needs (multi-node); 0 for ordinary tasks. */
  readonly nodes: number;
  /** Least remaining worker lifetime each task needs; 0 = any. */
  readonly timeRequestMs: number;
  // Both queues exist only while they hold rows: most groups never get a
  // returned row, and a group with nothing waiting (every group of an ended
  // job) should not hold buffers; workflows leave thousands of those.
  private returned: RowDeque | null = null;
  private fresh: RowSegments | null = null;
  /** Rows of this group in state Waiting. */
  waiting = 0;
  /** Whether the group is in the scheduler's ready list. */
  inReady = false;

  constructor(jobId: number, priority: number, request: number, seq: number, nodes: number, timeRequestMs: number) {
    this.jobId = jobId;
    this.priority = priority;
    this.request = request;
    this.seq = seq;
    this.nodes = nodes;
    this.timeRequestMs = timeRequestMs;
  }

  addFresh(start: number, end: number): void {
    (this.fresh ??= new RowSegments()).push(start, end);
    this.waiting += end - start;
  }

  addReturned(row: number): void {
    (this.returned ??= new RowDeque()).pushBack(row);
    this.waiting++;
  }

  /** One waiting row left the Waiting state outside take() (canceled). */
  dropWaiting(): void {
    this.waiting--;
    if (this.waiting === 0) this.clear();
  }

  /** Removes and returns the next waiting row, or -1. */
  take(table: TaskTable): number {
    const returned = this.returned;
    let row = returned === null ? -1 : returned.popFront();
    while (row >= 0 && table.state(row) !== TaskState.Waiting) row = returned!.popFront();
    const fresh = this.fresh;
    if (row < 0 && fresh !== null) {
      row = fresh.shift();
      while (row >= 0 && table.state(row) !== TaskState.Waiting) row = fresh.shift();
    }
    if (row >= 0 && --this.waiting === 0) this.clear();
    return row;
  }

  /** Forgets queued rows (all of them already left Waiting). */
  clear(): void {
    this.returned = null;
    this.fresh = null;
  }

  /** Scheduling order: higher priority, then lower job id, then older group. */
  static before(a: TaskGroup, b: TaskGroup): boolean {
    if (a.priority !== b.priority) return a.priority > b.priority;
    if (a.jobId !== b.jobId) return a.jobId < b.jobId;
    return a.seq < b.seq;
  }
}
