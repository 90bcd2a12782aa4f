// Which command lines the command host runs, and how: the short commands
// that tools run over and over (`hq submit`, `hq job list`, ...), and only
// when they read nothing but their arguments, environment and files by
// name. Everything else is declined before anything has happened, and the
// caller runs it itself as it would without a host: help and mistakes
// (yargs prints those), commands that wait or follow (`--wait`, `job wait`,
// `job progress`, `job cat`), that read standard input, that print debug
// logs, or that start and stop servers and workers.
import { commandRunner, failureLine, planCommandLine } from '../cli/main.js';
import type { CommandPrinter } from '../cli/context.js';

/** Command paths the host runs. */
const HOSTED = new Set([
  'submit',
  'job list',
  'job info',
  'job cancel',
  'job forget',
  'job close',
  'job open',
  'job task-ids',
  'task list',
  'task info',
  'task explain',
  'worker list',
  'worker info',
  'worker address',
  'server info',
]);

/** Options that make a hosted command wait or print where the host cannot. */
const DECLINING_OPTIONS = ['wait', 'progress', 'debug'];

class NeedsStdin extends Error {}

/**
 * Runs one command line, printing through `printer`, and returns its exit
 * code; 'declined' when it is not the host's to run (nothing was done).
 */
export async function runHostedCommandLine(args: string[], printer: CommandPrinter): Promise<number | 'declined'> {
  if (process.env.HQ_DEBUG === '1') return 'declined';
  let exitCode = 0;
  const run = commandRunner((code) => (exitCode = code), printer);
  try {
    const { plan } = planCommandLine(args, run, () => {
      throw new NeedsStdin();
    });
    if (!plan) return 'declined';
    const command = (plan.args._ as string[]).join(' ');
    if (!HOSTED.has(command) || DECLINING_OPTIONS.some((name) => plan.args[name] === true)) return 'declined';
    await plan.handler(plan.args);
    return exitCode;
  } catch (e) {
    if (e instanceof NeedsStdin) return 'declined';
    printer.writeError(failureLine(e));
    return 1;
  }
}
