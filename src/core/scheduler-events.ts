/** State changes the scheduler reports, one call per task. */
export const TaskEvent = {
  /** Waiting -> Assigned: queued on a worker. */
  Assigned: 0,
  /** Assigned -> Running. */
  Started: 1,
  Finished: 2,
  Failed: 3,
  Canceled: 4,
  /** Assigned/Running -> Waiting: its worker went away, or gave it back to a steal. */
  Returned: 5,
} as const;
export type TaskEvent = (typeof TaskEvent)[keyof typeof TaskEvent];

/** Why a task failed, when the scheduler (not the task) decided it. */
export const FailReason = {
  None: 0,
  /** The task was running on too many workers that crashed. */
  CrashLimit: 1,
  /** (With event Canceled.) A task it depends on failed or was canceled. */
  DependencyFailed: 2,
} as const;
export type FailReason = (typeof FailReason)[keyof typeof FailReason];

/**
 * Where the scheduler's decisions go. Row arrays are reused buffers valid only
 * during the call: the receiver copies what it needs. Callbacks must not call
 * back into the scheduler.
 */
export interface SchedulerSink {
  /** New tasks for a worker, in the order the worker must queue them; the table already says Assigned. */
  assign(workerId: number, rows: Uint32Array, count: number): void;
  /**
   * A multi-node task: all `workerIds` are reserved for it until it ends; the
   * first one runs it (and reports about it). Table says Assigned, worker = first.
   */
  assignMultiNode(row: number, workerIds: Uint32Array): void;
  /** Tasks the worker must drop (queued) or kill (running). */
  cancel(workerId: number, rows: Uint32Array, count: number): void;
  /**
   * Asks a worker to give back queued tasks it has not started. It answers
   * with Scheduler.stealResult(): every row either returned or started
   * (a row it no longer has counts as started).
   */
  steal(workerId: number, rows: Uint32Array, count: number): void;
  /** One state change of one task; workerId 0 when the task was on no worker. */
  event(kind: TaskEvent, row: number, workerId: number, reason: FailReason): void;
}

export const NULL_SINK: SchedulerSink = {
  assign() {},
  assignMultiNode() {},
  cancel() {},
  steal() {},
  event() {},
};
