#!/usr/bin/env node
// The `hq` command line.
import yargs, { type Argv } from 'yargs';
import { UserError } from '../common/errors.js';
import { setDebug } from '../common/log.js';
import { VERSION } from '../common/version.js';
import { CommandContext, type GlobalArgs } from './context.js';
import { serverCommands } from './commands/server.js';
import { workerCommands } from './commands/worker.js';
import { jobCommands } from './commands/job.js';
import { taskCommands } from './commands/task.js';
import fs from 'node:fs';
import { outputLogCommand } from './commands/output-log.js';
import { generateCompletion } from './completion.js';
import { commandTree } from './command-tree.js';
import { SUBMIT_BOOLEAN_FLAGS, applyDirectives, submitCommand, submitOptions } from './commands/submit.js';

const GLOBAL_VALUE_FLAGS = new Set(['--server-dir', '--output-mode', '--colors']);

let exitCode = 0;

function fail(message: string, code: number, ctx?: CommandContext): void {
  if (ctx) ctx.output.error(message);
  else process.stderr.write(`Error: ${message}\n`);
  exitCode = code;
}

/** Runs a command body with the global context; user mistakes become one line. */
async function run(
  args: GlobalArgs & Record<string, unknown>,
  body: (ctx: CommandContext) => Promise<number | void>,
): Promise<void> {
  let ctx: CommandContext | undefined;
  try {
    if (args.debug) setDebug(true);
    ctx = new CommandContext(args);
    const code = await body(ctx);
    if (typeof code === 'number') exitCode = code;
  } catch (e) {
    if (e instanceof UserError) fail(e.message, 1, ctx);
    else fail(`internal error: ${(e as Error).stack ?? String(e)}`, 1, ctx);
  } finally {
    ctx?.close();
  }
}

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

function build(argv: string[], stdin: Buffer | null): Argv {
  const outputLog = outputLogCommand(run);
  return yargs(argv)
    .scriptName('hq')
    .version(VERSION)
    .parserConfiguration({ 'populate--': true, 'duplicate-arguments-array': true })
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
          process.stdout.write(generateCompletion(shell, commandTree(build([], null))));
        }),
    )
    .command('jobs', false, (y) => y.option('all', { type: 'boolean' }), (args) =>
      run(args, async (ctx) => {
        const client = await ctx.connect();
        ctx.output.jobList(await client.listJobs(Boolean(args.all)));
      }),
    )
    .demandCommand(1, 'Use one of the commands; see hq --help')
    .strict()
    .help()
    .alias('h', 'help')
    .wrap(Math.min(120, process.stdout.columns || 100))
    .fail((msg, err) => {
      if (err) throw err;
      process.stderr.write(`Error: ${msg}\n`);
      process.exit(2);
    });
}

// `hq ... | head` closes the pipe early: that is not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(exitCode);
    throw e;
  });
}

async function main(): Promise<void> {
  let argv: string[];
  let stdin: Buffer | null = null;
  try {
    ({ argv, stdin } = applyDirectives(splitSubmitArgv(process.argv.slice(2)), () => fs.readFileSync(0)));
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    process.stderr.write(`Error: ${e.message}\n`);
    process.exit(1);
  }
  await build(argv, stdin).parseAsync();
  process.exitCode = exitCode;
  // Long-running commands (server, worker) return only when they are done:
  // nothing left may keep the process alive after that.
  setImmediate(() => exitWhenFlushed(exitCode));
}

/**
 * Exits once everything written to stdout and stderr has left the process:
 * writes to a pipe are asynchronous, and exiting at once would cut a long
 * output (`hq job cat ... | wc -l`) at the pipe's buffer size.
 */
function exitWhenFlushed(code: number): void {
  let pending = 2;
  const done = () => {
    if (--pending === 0) process.exit(code);
  };
  process.stdout.write('', done);
  process.stderr.write('', done);
}

main().catch((e: Error) => {
  process.stderr.write(`Error: ${e instanceof UserError ? e.message : (e.stack ?? e.message)}\n`);
  process.exit(1);
});
