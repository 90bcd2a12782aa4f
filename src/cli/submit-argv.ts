// Where hq's own flags end and the submitted program begins.
import { UserError } from '../common/errors.js';
import { SUBMIT_BOOLEAN_FLAGS } from './commands/submit.js';

const GLOBAL_VALUE_FLAGS = new Set(['--server-dir', '--output-mode', '--colors']);

/**
 * `hq submit` takes the program and its arguments after its own options,
 * with or without `--`; everything from the first positional on belongs to
 * the program, so a program flag is never read as an hq flag.
 */
export function splitSubmitArgv(argv: string[]): string[] {
  let i = 0;
  // Global options may stand before the command.
  while (i < argv.length && argv[i]!.startsWith('-')) {
    const flag = argv[i]!;
    i += GLOBAL_VALUE_FLAGS.has(flag) ? 2 : 1;
  }
  if (argv[i] !== 'submit') return argv;
  for (let j = i + 1; j < argv.length; j++) {
    const token = argv[j]!;
    if (token === '--') return argv;
    if (!token.startsWith('-') || token === '-') {
      return [...argv.slice(0, j), '--', ...argv.slice(j)];
    }
    if (!token.includes('=') && !SUBMIT_BOOLEAN_FLAGS.has(token) && token !== '--debug') {
      // A missing value would otherwise swallow `--` or the program's name.
      if (j + 1 >= argv.length || argv[j + 1] === '--') throw new UserError(`Missing value for ${token}`);
      j++;
    }
  }
  return argv;
}
