import assert from 'node:assert/strict';
import { TaskEvent, type SchedulerSink } from '../../src/core/scheduler.js';
import { TaskState } from '../../src/core/task-state.js';
import type { TaskTable } from '../../src/core/task-table.js';

export interface RecordedEvent {
  kind: TaskEvent;
  row: number;
  workerId: number;
  reason: number;
}

// The table state each event must leave behind, and the states it may come from.
const RESULT: Record<TaskEvent, TaskState> = {
  [TaskEvent.Assigned]: TaskState.Assigned,
  [TaskEvent.Started]: TaskState.Running,
  [TaskEvent.Finished]: TaskState.Finished,
  [TaskEvent.Failed]: TaskState.Failed,
  [TaskEvent.Canceled]: TaskState.Canceled,
  [TaskEvent.Returned]: TaskState.Waiting,
};
const FROM: Record<TaskEvent, readonly TaskState[]> = {
  [TaskEvent.Assigned]: [TaskState.Waiting],
  [TaskEvent.Started]: [TaskState.Assigned],
  [TaskEvent.Finished]: [TaskState.Assigned, TaskState.Running],
  [TaskEvent.Failed]: [TaskState.Assigned, TaskState.Running],
  [TaskEvent.Canceled]: [TaskState.Waiting, TaskState.Assigned, TaskState.Running],
  [TaskEvent.Returned]: [TaskState.Assigned, TaskState.Running],
};

/**
 * Records what the scheduler emits and checks, per event, that it is a legal
 * transition from the previous event of that row and matches the table.
 */
export class RecordingSink implements SchedulerSink {
  readonly events: RecordedEvent[] = [];
  readonly assigns: Array<{ workerId: number; rows: number[] }> = [];
  readonly cancels: Array<{ workerId: number; rows: number[] }> = [];
  readonly multiNode: Array<{ row: number; workerIds: number[] }> = [];
  readonly steals: Array<{ workerId: number; rows: number[] }> = [];
  /** State per row as told by events (rows start Waiting). */
  readonly lastState = new Map<number, TaskState>();
  readonly terminalEvents = new Map<number, number>();
  onAssign: ((workerId: number, rows: number[]) => void) | null = null;
  onCancel: ((workerId: number, rows: number[]) => void) | null = null;
  onMultiNode: ((row: number, workerIds: number[]) => void) | null = null;
  onSteal: ((workerId: number, rows: number[]) => void) | null = null;
  onEvent: ((event: RecordedEvent) => void) | null = null;
  private readonly table: TaskTable;

  constructor(table: TaskTable) {
    this.table = table;
  }

  assign(workerId: number, rows: Uint32Array, count: number): void {
    assert.ok(count > 0);
    const copy = Array.from(rows.subarray(0, count));
    for (const row of copy) {
      assert.equal(this.table.state(row), TaskState.Assigned);
      assert.equal(this.table.worker(row), workerId);
    }
    this.assigns.push({ workerId, rows: copy });
    this.onAssign?.(workerId, copy);
  }

  assignMultiNode(row: number, workerIds: Uint32Array): void {
    assert.equal(this.table.state(row), TaskState.Assigned);
    assert.equal(this.table.worker(row), workerIds[0]);
    const ids = Array.from(workerIds);
    assert.equal(new Set(ids).size, ids.length, 'a worker twice in one multi-node task');
    this.multiNode.push({ row, workerIds: ids });
    this.onMultiNode?.(row, ids);
  }

  steal(workerId: number, rows: Uint32Array, count: number): void {
    assert.ok(count > 0);
    const copy = Array.from(rows.subarray(0, count));
    for (const row of copy) {
      assert.equal(this.table.state(row), TaskState.Assigned);
      assert.equal(this.table.worker(row), workerId);
    }
    this.steals.push({ workerId, rows: copy });
    this.onSteal?.(workerId, copy);
  }

  cancel(workerId: number, rows: Uint32Array, count: number): void {
    const copy = Array.from(rows.subarray(0, count));
    this.cancels.push({ workerId, rows: copy });
    this.onCancel?.(workerId, copy);
  }

  event(kind: TaskEvent, row: number, workerId: number, reason: number): void {
    const before = this.lastState.get(row) ?? TaskState.Waiting;
    assert.ok(FROM[kind].includes(before), `event ${kind} on row ${row} in state ${before}`);
    assert.equal(this.table.state(row), RESULT[kind], `table state of row ${row} after event ${kind}`);
    this.lastState.set(row, RESULT[kind]);
    if (kind === TaskEvent.Finished || kind === TaskEvent.Failed || kind === TaskEvent.Canceled) {
      this.terminalEvents.set(row, (this.terminalEvents.get(row) ?? 0) + 1);
    }
    const recorded = { kind, row, workerId, reason };
    this.events.push(recorded);
    this.onEvent?.(recorded);
  }

  /** Rows of events of one kind, in order. */
  rowsOf(kind: TaskEvent): number[] {
    return this.events.filter((e) => e.kind === kind).map((e) => e.row);
  }

  clear(): void {
    this.events.length = 0;
    this.assigns.length = 0;
    this.cancels.length = 0;
    this.multiNode.length = 0;
    this.steals.length = 0;
  }
}
