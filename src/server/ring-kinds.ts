// Record kinds of the ring buffers between the server's threads.

/** I/O thread -> scheduler: payload = pairs (row, instance). */
export const IoToScheduler = {
  Started: 1,
  Finished: 2,
  Failed: 3,
} as const;

/** Scheduler -> I/O thread. */
export const SchedulerToIo = {
  /** workerId, then (row, instance, job, task) per task. */
  Assign: 1,
  /** workerId, then (row, instance) per task. */
  Cancel: 2,
} as const;

/** Scheduler -> main thread. */
export const SchedulerToMain = {
  /** (kind, row, worker, reason) per event, see TaskEvent. */
  Events: 1,
} as const;

export const EVENT_WORDS = 4;
