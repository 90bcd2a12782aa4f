/**
 * Lifecycle of a task as stored in the task table (one byte per row).
 * Assigned means the task sits on a worker (prefetched) but has not started yet.
 */
export const TaskState = {
  Waiting: 0,
  Assigned: 1,
  Running: 2,
  Finished: 3,
  Failed: 4,
  Canceled: 5,
} as const;
export type TaskState = (typeof TaskState)[keyof typeof TaskState];

/** Number of distinct states; sizes per-state counter arrays. */
export const TASK_STATE_COUNT = 6;

export type TaskStateName = 'WAITING' | 'RUNNING' | 'FINISHED' | 'FAILED' | 'CANCELED';

// Indexed by state; a task queued on a worker but not started is still shown as waiting.
const NAMES: readonly TaskStateName[] = ['WAITING', 'WAITING', 'RUNNING', 'FINISHED', 'FAILED', 'CANCELED'];

/** The name users see for a state. */
export function taskStateName(state: TaskState): TaskStateName {
  const name = NAMES[state];
  if (name === undefined) throw new RangeError(`unknown task state ${state}`);
  return name;
}

/** True once a task can no longer change state. */
export function isTerminal(state: TaskState): boolean {
  return state >= TaskState.Finished;
}
