// A job as the control plane keeps it: its description and counters. Its
// tasks live in the shared task table as one contiguous row segment per
// submission; no per-task object exists here.
import type { JobState, TaskTemplate } from '../client/types.js';

export interface JobSegment {
  startRow: number;
  count: number;
  /** Task ids of the segment's rows, in row order. */
  taskIds: Uint32Array;
  /** True when taskIds are strictly increasing, so a lookup can bisect. */
  sorted: boolean;
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

export class Job {
  readonly segments: JobSegment[] = [];
  readonly templates: TemplateDescription[] = [];
  taskCount = 0;
  finished = 0;
  failed = 0;
  canceled = 0;
  readonly submitTime = Date.now();
  startTime = 0;
  endTime = 0;
  isOpen = false;
  /** Whether the scheduler knows the job (an open job gets there with its first tasks). */
  scheduled = false;
  /** Resolved when every task has ended (and the job is not open). */
  private waiters: Array<() => void> = [];

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

  addSegment(segment: JobSegment): void {
    this.segments.push(segment);
    this.taskCount += segment.count;
  }

  /** The largest task id of the job, or -1 while it has none. */
  maxTaskId(): number {
    let max = -1;
    for (const s of this.segments) {
      const ids = s.taskIds;
      if (ids.length === 0) continue;
      if (s.sorted) max = Math.max(max, ids[ids.length - 1]!);
      else for (let i = 0; i < ids.length; i++) max = Math.max(max, ids[i]!);
    }
    return max;
  }

  /** Row of a task id, or -1. */
  rowOf(taskId: number): number {
    for (const s of this.segments) {
      const ids = s.taskIds;
      if (s.sorted) {
        let lo = 0;
        let hi = ids.length - 1;
        while (lo <= hi) {
          const mid = (lo + hi) >>> 1;
          const v = ids[mid]!;
          if (v === taskId) return s.startRow + mid;
          if (v < taskId) lo = mid + 1;
          else hi = mid - 1;
        }
      } else {
        const i = ids.indexOf(taskId);
        if (i >= 0) return s.startRow + i;
      }
    }
    return -1;
  }

  /** Template index of a row of this job. */
  templateOfRow(row: number): number {
    for (const s of this.segments) if (row >= s.startRow && row < s.startRow + s.count) return s.template;
    return 0;
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
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Call after counters change. */
  checkDone(): void {
    if (!this.isDone) return;
    if (!this.endTime) this.endTime = Date.now();
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
