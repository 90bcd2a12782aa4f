import type { RequestTable } from './resources.js';
import { TaskGroup } from './task-group.js';
import { appended } from '../common/tight-array.js';

/** What the scheduler knows of a job: its settings, its rows and its waiting groups. */
export class SchedulerJob {
  readonly id: number;
  /** Crash limit of tasks whose template has none of its own (0 = no limit). */
  readonly crashLimit: number;
  // Lists start at their exact size (see appended()): most jobs of a workflow hold one entry in each.
  /** One group per distinct (resource request, priority) among the job's rows; few. */
  private groupList: TaskGroup[] = [];
  /** Submitted row ranges as (start, count) pairs. */
  private rangeList: number[] = [];
  /** Crash limit per task template (as rows name it), -1 where the job's applies; per template, never per row. */
  private templateCrashLimits: number[] = [];
  private readonly requests: RequestTable;

  constructor(id: number, crashLimit: number, requests: RequestTable) {
    this.id = id;
    this.crashLimit = crashLimit;
    this.requests = requests;
  }

  get groups(): readonly TaskGroup[] {
    return this.groupList;
  }

  get ranges(): readonly number[] {
    return this.rangeList;
  }

  /**
   * The group of rows with `request` and `priority` (rows of one job may differ
   * in both), created with `nextSeq` when missing. The request decides whether
   * the group's tasks are multi-node and their time request.
   */
  group(request: number, priority: number, nextSeq: () => number): TaskGroup {
    for (const group of this.groupList) if (group.request === request && group.priority === priority) return group;
    const group = new TaskGroup(this.id, priority, request, nextSeq(), this.requests.nodes(request), this.requests.timeRequestMs(request));
    this.groupList = appended(this.groupList, group);
    return group;
  }

  addRange(startRow: number, count: number): void {
    this.rangeList = appended(this.rangeList, startRow, count);
  }

  setCrashLimit(template: number, crashLimit: number): void {
    if (this.templateCrashLimits.length === 0) this.templateCrashLimits = Array.from({ length: template + 1 }, () => -1);
    while (this.templateCrashLimits.length <= template) this.templateCrashLimits.push(-1);
    this.templateCrashLimits[template] = crashLimit;
  }

  /** The crash limit of tasks of a template (0 = no limit). */
  crashLimitOf(template: number): number {
    const own = template < this.templateCrashLimits.length ? this.templateCrashLimits[template] : -1;
    return own >= 0 ? own : this.crashLimit;
  }

  /** Whether a task of `template` that crashed `crashCount` times reached its limit. */
  crashLimitReached(template: number, crashCount: number): boolean {
    const limit = this.crashLimitOf(template);
    return limit > 0 && crashCount >= limit;
  }
}
