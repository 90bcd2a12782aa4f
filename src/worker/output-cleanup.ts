// Output files a task asked to have removed once it finished successfully
// (`--stdout PATH:rm-if-finished`, `on_close = "rm-if-finished"` in job
// files): a failed or canceled task keeps them for inspection.
import fs from 'node:fs';
import { DEFAULT_CWD_TEMPLATE, resolveTaskPaths, type TaskPathValues } from '../common/placeholders.js';
import type { ProgramDescription } from '../client/types.js';
import { log } from '../common/log.js';

/** Removes the task's stdout/stderr files marked rm-if-finished; call only when it finished successfully. */
export function removeOutputsOfFinishedTask(program: ProgramDescription, values: TaskPathValues): void {
  const stdout = program.stdoutOnClose === 'rm-if-finished' && program.stdout ? program.stdout : null;
  const stderr = program.stderrOnClose === 'rm-if-finished' && program.stderr ? program.stderr : null;
  if (stdout === null && stderr === null) return;
  // The same paths the task was started with (see TaskProcess).
  const paths = resolveTaskPaths({ cwd: program.cwd || DEFAULT_CWD_TEMPLATE, stdout, stderr }, values);
  for (const file of [paths.stdout, paths.stderr]) {
    if (file === null) continue;
    try {
      fs.rmSync(file, { force: true });
    } catch (e) {
      log.warn(`cannot remove ${file} of finished task ${values.jobId}@${values.taskId}: ${(e as Error).message}`);
    }
  }
}
