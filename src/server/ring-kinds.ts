// Record kinds of the ring buffers between the server's threads.

/** I/O thread -> scheduler: payload = pairs (row, instance). */
export const IoToScheduler = {
  Started: 1,
  Finished: 2,
  Failed: 3,
  /** workerId, returned count, returned rows, then started rows. */
  StealResult: 4,
} as const;

/** Scheduler -> I/O thread. */
export const SchedulerToIo = {
  /** workerId, then (row, instance, job, task, variant) per task. */
  Assign: 1,
  /** workerId, then (row, instance) per task. */
  Cancel: 2,
  /** first workerId, row, instance, job, task, variant, then all worker ids (first included). */
  AssignMultiNode: 3,
  /** workerId, then (row, instance) per task to give back. */
  Steal: 4,
} as const;

/** Words per task of an Assign record. */
export const ASSIGN_WORDS = 5;

/** Scheduler -> main thread. */
export const SchedulerToMain = {
  /** (kind, row, worker, reason) per event, see TaskEvent. */
  Events: 1,
  /** A multi-node task was placed: row, instance, then all its worker ids (the first is the table's). */
  MultiNode: 2,
} as const;

export const EVENT_WORDS = 4;
