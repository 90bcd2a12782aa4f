/** State changes the scheduler reports, one call per task. */
export const TaskEvent = {
  /** Waiting -> Assigned: queued on a worker. */
  Assigned: 0,
  /** Assigned -> Running. */
  Started: 1,
  Finished: 2,
  Failed: 3,
  Canceled: 4,
  /** Assigned/Running -> Waiting: its worker went away. */
  Returned: 5,
} as const;
export type TaskEvent = (typeof TaskEvent)[keyof typeof TaskEvent];

/** Why a task failed, when the scheduler (not the task) decided it. */
export const FailReason = {
  None: 0,
  /** The task was running on too many workers that crashed. */
  CrashLimit: 1,
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
  /** Tasks the worker must drop (queued) or kill (running). */
  cancel(workerId: number, rows: Uint32Array, count: number): void;
  /** One state change of one task; workerId 0 when the task was on no worker. */
  event(kind: TaskEvent, row: number, workerId: number, reason: FailReason): void;
}

export const NULL_SINK: SchedulerSink = {
  assign() {},
  cancel() {},
  event() {},
};
