// A job as the control plane keeps it: its description and counters. Its
// tasks live in the shared task table as blocks of consecutive rows with
// evenly stepping task ids (one per submitted id range); no per-task object or
// array exists here.
import type { JobState, TaskTemplate } from '../client/types.js';
import { expandIds, rangeSize, type IdRange } from '../common/id-range.js';
import { appended } from '../common/tight-array.js';

/** A block of the job's rows: row `startRow + i` is task `firstId + i * step`. */
export interface JobSegment {
  /** The task table's block. */
  block: number;
  startRow: number;
  count: number;
  firstId: number;
  step: number;
  /** Index of the job's template the rows follow. */
  template: number;
}

/** How a group of the job's tasks runs (one per submission, one per job-file task). */
export type TemplateDescription = TaskTemplate;

export interface JobDescription {
  name: string;
  maxFails: number | null;
  submitDir: string;
  streamDir: string;
}

/**
 * Task ids of id ranges (disjoint, as parsed) as evenly stepping runs in
 * ascending order, the order their tasks get rows in: one run per range,
 * unless ranges interleave (`1-9:2,2-10:2`), which are merged id by id.
 */
export function taskIdRuns(ranges: readonly IdRange[]): { runs: IdRange[]; count: number } {
  const sorted = [...ranges].sort((a, b) => a.start - b.start);
  let count = 0;
  let interleaved = false;
  for (let i = 0; i < sorted.length; i++) {
    count += rangeSize(sorted[i]!);
    if (i > 0 && sorted[i]!.start <= sorted[i - 1]!.end) interleaved = true;
  }
  if (!interleaved) return { runs: sorted.map((r) => ({ ...r, end: r.start + (rangeSize(r) - 1) * r.step })), count };
  const ids = expandIds(sorted);
  const runs: IdRange[] = [];
  for (let i = 0; i < ids.length; ) {
    const start = ids[i]!;
    const step = i + 1 < ids.length ? ids[i + 1]! - start : 1;
    let n = 1;
    while (i + n < ids.length && ids[i + n]! - ids[i + n - 1]! === step) n++;
    runs.push({ start, end: ids[i + n - 1]!, step: n > 1 ? step : 1 });
    i += n;
  }
  return { runs, count: ids.length };
}

/** Task id of the i-th row of a segment. */
export function taskIdAt(s: JobSegment, i: number): number {
  return s.firstId + i * s.step;
}

/** Largest task id of a segment. */
function lastId(s: JobSegment): number {
  return s.firstId + (s.count - 1) * s.step;
}

/**
 * A time not reached yet. It is -0: equal to 0 and false like 0, but a
 * double, as the times set later are. A field that starts as a small
 * integer and later gets a double changes representation: V8 then gives
 * every Job made before a deprecated shape, and code reading jobs is
 * deoptimised job after job (counting task ends took six times longer with
 * a thousand jobs than with one). Flatbuffers leave a field equal to its
 * default 0 out, so -0 never reaches a client.
 */
const NOT_YET = -0;

export class Job {
  // Grown with appended(): most jobs of a workflow hold one of each.
  private segmentList: JobSegment[] = [];
  private templateList: TemplateDescription[] = [];
  taskCount = 0;
  finished = 0;
  failed = 0;
  canceled = 0;
  readonly submitTime = Date.now();
  /** ms since the epoch; 0 (NOT_YET) until then. */
  startTime = NOT_YET;
  endTime = NOT_YET;
  isOpen = false;
  /** Whether the scheduler knows the job (an open job gets there with its first tasks). */
  scheduled = false;
  /** The I/O threads were told that the job ended (see ControlPlane.announceEnded). */
  endAnnounced = false;
  /** Resolved when every task has ended (and the job is not open). */
  private waiters: Array<() => void> | null = null;
  /**
   * Lookup index of the segments, rebuilt after a change: segment indices
   * sorted by first id, and per position the largest last id so far, so a
   * search stops as soon as no earlier segment can reach the id.
   */
  private byFirstId: Uint32Array | null = null;
  private reach: Float64Array | null = null;

  constructor(
    readonly id: number,
    readonly description: JobDescription,
  ) {}

  get ended(): number {
    return this.finished + this.failed + this.canceled;
  }

  get isDone(): boolean {
    return !this.isOpen && this.ended >= this.taskCount;
  }

  get segments(): readonly JobSegment[] {
    return this.segmentList;
  }

  get templates(): readonly TemplateDescription[] {
    return this.templateList;
  }

  addTemplate(template: TemplateDescription): void {
    this.templateList = appended(this.templateList, template);
  }

  addSegment(segment: JobSegment): void {
    if (segment.count < 1 || segment.step < 1) throw new RangeError(`invalid job segment of ${segment.count} rows, step ${segment.step}`);
    this.segmentList = appended(this.segmentList, segment);
    this.taskCount += segment.count;
    this.byFirstId = null;
  }

  /** The largest task id of the job, or -1 while it has none. */
  maxTaskId(): number {
    let max = -1;
    for (const s of this.segments) max = Math.max(max, lastId(s));
    return max;
  }

  /** Row of a task id, or -1. */
  rowOf(taskId: number): number {
    const index = this.segmentIndex(taskId);
    if (index < 0) return -1;
    const s = this.segments[index]!;
    return s.startRow + (taskId - s.firstId) / s.step;
  }

  /** Template index of a task id, or -1 when the job has no such task. */
  templateOf(taskId: number): number {
    const index = this.segmentIndex(taskId);
    return index < 0 ? -1 : this.segments[index]!.template;
  }

  /** Template index of a row of this job. */
  templateOfRow(row: number): number {
    for (const s of this.segments) if (row >= s.startRow && row < s.startRow + s.count) return s.template;
    return 0;
  }

  /** The job's task ids as ranges, one per segment (in row order). */
  idRanges(): Array<{ start: number; end: number; step: number }> {
    return this.segments.map((s) => ({ start: s.firstId, end: lastId(s), step: s.step }));
  }

  /** Index in `segments` of the segment holding a task id, or -1. */
  private segmentIndex(taskId: number): number {
    if (this.byFirstId === null) this.buildIndex();
    const order = this.byFirstId!;
    const reach = this.reach!;
    // Last segment (in first-id order) starting at or before the id.
    let lo = 0;
    let hi = order.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.segments[order[mid]!]!.firstId <= taskId) lo = mid + 1;
      else hi = mid;
    }
    for (let k = lo - 1; k >= 0 && reach[k]! >= taskId; k--) {
      const s = this.segments[order[k]!]!;
      const offset = taskId - s.firstId;
      if (offset % s.step === 0 && offset / s.step < s.count) return order[k]!;
    }
    return -1;
  }

  private buildIndex(): void {
    const segments = this.segments;
    const order = Uint32Array.from(segments.keys());
    order.sort((a, b) => segments[a]!.firstId - segments[b]!.firstId);
    const reach = new Float64Array(order.length);
    let max = -1;
    for (let k = 0; k < order.length; k++) {
      max = Math.max(max, lastId(segments[order[k]!]!));
      reach[k] = max;
    }
    this.byFirstId = order;
    this.reach = reach;
  }

  /**
   * HyperQueue's job state: running while any task runs or the job is part
   * done; once every task ended, failed beats canceled beats finished.
   */
  state(running: number): JobState {
    if (this.isDone) {
      if (this.failed > 0) return 'FAILED';
      if (this.canceled > 0) return 'CANCELED';
      return 'FINISHED';
    }
    if (running > 0 || this.ended > 0) return 'RUNNING';
    if (this.isOpen) return 'OPENED';
    return 'WAITING';
  }

  whenDone(): Promise<void> {
    if (this.isDone) return Promise.resolve();
    return new Promise((resolve) => (this.waiters ??= []).push(resolve));
  }

  /** Call after counters change; `endTime` is when the job ended if it is done now. */
  checkDone(endTime = Date.now()): void {
    if (!this.isDone) return;
    if (!this.endTime) this.endTime = endTime;
    const waiters = this.waiters;
    this.waiters = null;
    if (waiters !== null) for (const w of waiters) w();
  }
}
