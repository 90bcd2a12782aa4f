// hq's global options and commands, declared once for both parsers: yargs
// (help, errors, completion) and the recorder behind the fast path.
import type { Argv } from 'yargs';
import { UserError } from '../common/errors.js';
import type { CommandRunner } from './context.js';
import { serverCommands } from './commands/server.js';
import { workerCommands } from './commands/worker.js';
import { jobCommands } from './commands/job.js';
import { taskCommands } from './commands/task.js';
import { outputLogCommand } from './commands/output-log.js';
import { submitCommand, submitOptions } from './commands/submit.js';

/**
 * Declares hq's global options and commands on a yargs builder: the real
 * yargs (help, errors, completion) or the recorder of the fast path.
 */
export function declareCommands(y: Argv, run: CommandRunner, stdin: Buffer | null): Argv {
  const outputLog = outputLogCommand(run);
  return y
    .option('server-dir', { type: 'string', global: true, describe: 'Server directory (default $HQ_SERVER_DIR or ~/.hq-server)' })
    .option('output-mode', { type: 'string', global: true, describe: 'cli | json | quiet (default $HQ_OUTPUT_MODE or cli)' })
    .option('colors', { type: 'string', global: true, describe: 'auto | always | never' })
    .option('debug', { type: 'boolean', global: true, describe: 'Print debug logs' })
    .command('server', 'Manage the server', serverCommands(run))
    .command('worker', 'Manage workers', workerCommands(run))
    .command('job', 'Manage jobs', jobCommands(run))
    .command('task', 'Inspect tasks', taskCommands(run))
    .command('submit', 'Submit a job: hq submit [options] [--] <program> [args...]', submitOptions, submitCommand(run, stdin))
    .command('output-log <dir> <action> [stream]', 'Read the output stream of jobs submitted with --stream', outputLog.builder, outputLog.handler)
    .command('log <dir> <action> [stream]', false, outputLog.builder, outputLog.handler)
    .command(
      'generate-completion <shell>',
      'Print a shell completion script (bash, zsh or fish)',
      {},
      (args) =>
        run(args, async () => {
          const shell = String(args.shell);
          if (shell !== 'bash' && shell !== 'zsh' && shell !== 'fish') throw new UserError(`Invalid shell '${shell}': expected bash, zsh or fish`);
          const { buildYargs } = await import('./yargs-cli.js');
          const { commandTree } = await import('./command-tree.js');
          const { generateCompletion } = await import('./completion.js');
          process.stdout.write(generateCompletion(shell, commandTree(buildYargs([], (inner) => declareCommands(inner, run, null)))));
        }),
    )
    .command('jobs', false, (y) => y.option('all', { type: 'boolean' }), (args) =>
      run(args, async (ctx) => {
        const client = await ctx.connect();
        ctx.output.jobList(await client.listJobs(Boolean(args.all)));
      }),
    );
}
