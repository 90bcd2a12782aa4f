import { TaskGroup } from './task-group.js';

/** What the scheduler knows of a job: its settings, its rows and its waiting groups. */
export class SchedulerJob {
  readonly id: number;
  readonly priority: number;
  readonly crashLimit: number;
  /** Least remaining worker lifetime a task of this job needs; 0 = any. */
  readonly timeRequestMs: number;
  /** One group per distinct resource request among the job's rows; few. */
  readonly groups: TaskGroup[] = [];
  /** Submitted row ranges as (start, count) pairs. */
  readonly ranges: number[] = [];

  constructor(id: number, priority: number, crashLimit: number, timeRequestMs: number) {
    this.id = id;
    this.priority = priority;
    this.crashLimit = crashLimit;
    this.timeRequestMs = timeRequestMs;
  }

  /** The group of `request`, created with `nextSeq` (and `nodes`, the request's multi-node size) when missing. */
  group(request: number, nextSeq: () => number, nodes: number): TaskGroup {
    for (const group of this.groups) if (group.request === request) return group;
    const group = new TaskGroup(this.id, this.priority, request, nextSeq(), nodes, this.timeRequestMs);
    this.groups.push(group);
    return group;
  }

  /** Whether a crash count reached the job's limit (0 = no limit). */
  crashLimitReached(crashCount: number): boolean {
    return this.crashLimit > 0 && crashCount >= this.crashLimit;
  }
}
