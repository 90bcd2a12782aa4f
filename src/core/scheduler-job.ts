import { TaskGroup } from './task-group.js';

/** What the scheduler knows of a job: its settings, its rows and its waiting groups. */
export class SchedulerJob {
  readonly id: number;
  readonly crashLimit: number;
  /** Least remaining worker lifetime a task of this job needs; 0 = any. */
  readonly timeRequestMs: number;
  /** One group per distinct (resource request, priority) among the job's rows; few. */
  readonly groups: TaskGroup[] = [];
  /** Submitted row ranges as (start, count) pairs. */
  readonly ranges: number[] = [];

  constructor(id: number, crashLimit: number, timeRequestMs: number) {
    this.id = id;
    this.crashLimit = crashLimit;
    this.timeRequestMs = timeRequestMs;
  }

  /**
   * The group of rows with `request` and `priority` (rows of one job may differ
   * in both), created with `nextSeq` (and `nodes`, the request's multi-node
   * size) when missing.
   */
  group(request: number, priority: number, nextSeq: () => number, nodes: number): TaskGroup {
    for (const group of this.groups) if (group.request === request && group.priority === priority) return group;
    const group = new TaskGroup(this.id, priority, request, nextSeq(), nodes, this.timeRequestMs);
    this.groups.push(group);
    return group;
  }

  /** Whether a crash count reached the job's limit (0 = no limit). */
  crashLimitReached(crashCount: number): boolean {
    return this.crashLimit > 0 && crashCount >= this.crashLimit;
  }
}
