// Checks on a submitted program that the client may not have made (an older
// or foreign client): refused with a one-line error before the job exists.
import { checkPlaceholders } from '../common/placeholders.js';
import type { ProgramDescription } from '../client/types.js';

export function validatePlaceholders(program: ProgramDescription): void {
  for (const template of [program.cwd, program.stdout, program.stderr]) {
    if (template) checkPlaceholders(template);
  }
}
