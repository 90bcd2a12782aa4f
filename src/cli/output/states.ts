// How job, task and worker states look in the terminal: their colours, the
// per-state breakdown of a job and the "[###....]" progress bar.

import type { JobState, TaskCounts, TaskStateName, WorkerStateName } from '../../client/types.js';
import { colorize, type AnsiColor } from './ansi.js';

export const STATE_COLOR: Record<JobState | TaskStateName, AnsiColor> = {
  WAITING: 'cyan',
  OPENED: 'cyan',
  RUNNING: 'yellow',
  FINISHED: 'green',
  FAILED: 'red',
  CANCELED: 'magenta',
};

export const WORKER_STATE_COLOR: Record<WorkerStateName, AnsiColor> = {
  RUNNING: 'green',
  'CONNECTION LOST': 'red',
  'HEARTBEAT LOST': 'red',
  'IDLE TIMEOUT': 'cyan',
  STOPPED: 'magenta',
  'TIME LIMIT REACHED': 'cyan',
};

/** Tasks that ended one way or another. */
export function completedTasks(counts: TaskCounts): number {
  return counts.finished + counts.failed + counts.canceled;
}

/**
 * A bar of `width` cells: canceled, failed, finished and running tasks as '#'
 * (each in its colour, each share rounded up), the rest as '.'.
 */
export function progressBar(counts: TaskCounts, taskCount: number, width: number, colors: boolean): string {
  const parts: ReadonlyArray<readonly [number, AnsiColor]> = [
    [counts.canceled, STATE_COLOR.CANCELED],
    [counts.failed, STATE_COLOR.FAILED],
    [counts.finished, STATE_COLOR.FINISHED],
    [counts.running, STATE_COLOR.RUNNING],
  ];
  let bar = '[';
  let used = 0;
  for (const [count, color] of parts) {
    const share = taskCount > 0 ? Math.ceil((count / taskCount) * width) : 0;
    const cells = Math.min(width - used, share);
    bar += colorize('#'.repeat(cells), color, colors);
    used += cells;
  }
  return bar + '.'.repeat(Math.max(0, width - used)) + ']';
}

/** Job state of a multi-task job: a progress bar, then "STATE (count)" for each non-empty state. */
export function jobStateBreakdown(counts: TaskCounts, taskCount: number, colors: boolean): string {
  let text = progressBar(counts, taskCount, 40, colors) + '\n';
  const rows: ReadonlyArray<readonly [TaskStateName, number]> = [
    ['RUNNING', counts.running],
    ['FAILED', counts.failed],
    ['FINISHED', counts.finished],
    ['CANCELED', counts.canceled],
    ['WAITING', counts.waiting],
  ];
  for (const [state, count] of rows) {
    if (count > 0) text += colorize(`${state} (${count})`, STATE_COLOR[state], colors) + '\n';
  }
  return text;
}
