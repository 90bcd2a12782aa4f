// What happens to one task process once it runs: how it is stopped, and how
// its end reads to the user.
import type { TaskEnd } from './launcher.js';

export type TaskOutcome = { ok: true } | { ok: false; error: string };

/** How long a task may linger after SIGTERM before it gets SIGKILL. */
const KILL_GRACE_MS = 2000;

/** Ends a task's whole process group: SIGTERM, then SIGKILL if it lingers. */
export function killTaskGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGTERM');
  } catch {
    return; // already gone
  }
  const force = setTimeout(() => {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }, KILL_GRACE_MS);
  force.unref();
}

/** The outcome of a task that ended as `end` (not a dropped one); `args` is its command. */
export function taskOutcome(end: TaskEnd, timedOut: boolean, args: readonly string[]): TaskOutcome {
  if (end.how === 'error') return { ok: false, error: `Cannot execute "${args.join(' ')}": ${end.error}` };
  if (timedOut) return { ok: false, error: 'Time limit reached' };
  if (end.how === 'exited' && end.code === 0) return { ok: true };
  if (end.how === 'signaled') return { ok: false, error: `Program terminated by signal ${end.signal}` };
  if (end.how === 'exited') return { ok: false, error: `Program terminated with exit code ${end.code}` };
  return { ok: false, error: 'The task was taken back before it started' };
}
