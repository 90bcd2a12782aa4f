// The `hq` command line: parses one command line and runs it, then exits.
import { UserError } from '../common/errors.js';
import { setDebug } from '../common/log.js';
import { CommandContext, type CommandPrinter, type CommandRunner } from './context.js';
import fs from 'node:fs';
import { CommandRecorder } from './command-spec.js';
import { planDispatch, type DispatchPlan } from './fast-dispatch.js';
import { applyDirectives } from './commands/submit.js';
import { splitSubmitArgv } from './submit-argv.js';
import { declareCommands } from './command-line.js';
import { VERSION } from '../common/version.js';

let exitCode = 0;

/**
 * How command bodies run: with the global context (printing through
 * `printer` when given), user mistakes printed as one line; the exit code a
 * body asks for, or 1 after a failure, goes to `setExitCode`.
 */
export function commandRunner(setExitCode: (code: number) => void, printer?: CommandPrinter): CommandRunner {
  const fail = (message: string, ctx?: CommandContext) => {
    if (ctx) ctx.output.error(message);
    else if (printer) printer.writeError(`Error: ${message}\n`);
    else process.stderr.write(`Error: ${message}\n`);
    setExitCode(1);
  };
  return async (args, body) => {
    let ctx: CommandContext | undefined;
    try {
      if (args.debug) setDebug(true);
      ctx = new CommandContext(args, printer);
      const code = await body(ctx);
      if (typeof code === 'number') setExitCode(code);
    } catch (e) {
      if (e instanceof UserError) fail(e.message, ctx);
      else fail(`internal error: ${(e as Error).stack ?? String(e)}`, ctx);
    } finally {
      ctx?.close();
    }
  };
}

/**
 * Reads one command line as given to `hq` (the arguments after the
 * program's name): applies the directives of a submitted script, then
 * parses without yargs when the line is plainly valid. `readStdin` is
 * called only when a submit takes its script or its tasks' input from
 * standard input. Returns the command to run, or, for yargs to read (help,
 * mistakes, anything unusual), the line after the directives.
 */
export function planCommandLine(
  args: string[],
  run: CommandRunner,
  readStdin: () => Buffer,
): { plan: DispatchPlan; argv?: undefined; stdin?: undefined } | { plan: null; argv: string[]; stdin: Buffer | null } {
  const { argv, stdin } = applyDirectives(splitSubmitArgv(args), readStdin);
  const recorder = CommandRecorder.root();
  declareCommands(recorder.asArgv(), run, stdin);
  const plan = planDispatch(recorder.node, argv) ?? (argv.length === 1 && argv[0] === '--version' ? versionPlan(run) : null);
  return plan ? { plan } : { plan: null, argv, stdin };
}

/** `hq --version` alone, printed as yargs prints it, without loading yargs for one line (tools ask it before they start). */
function versionPlan(run: CommandRunner): DispatchPlan {
  return {
    handler: (args) =>
      run(args, async (ctx) => {
        ctx.print(`${VERSION}\n`);
      }),
    args: {},
  };
}

/** Runs one command line as given to `hq`, through yargs when the fast path cannot take it. */
export async function runCommandLine(args: string[], run: CommandRunner, readStdin: () => Buffer): Promise<void> {
  const planned = planCommandLine(args, run, readStdin);
  if (planned.plan) {
    await planned.plan.handler(planned.plan.args);
    return;
  }
  const { buildYargs } = await import('./yargs-cli.js');
  await buildYargs(planned.argv, (y) => declareCommands(y, run, planned.stdin)).parseAsync();
}

/** How `hq` reports a failure outside any command (a mistake in the line itself): one line, a stack only for a bug. */
export function failureLine(e: unknown): string {
  return `Error: ${e instanceof UserError ? e.message : ((e as Error).stack ?? String(e))}\n`;
}

/** Runs `hq` with the given arguments (those after the program's name) and exits. */
export function main(args: string[]): void {
  // `hq ... | head` closes the pipe early: that is not an error.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(exitCode);
      throw e;
    });
  }
  runMain(args).catch((e: unknown) => {
    process.stderr.write(failureLine(e));
    process.exit(1);
  });
}

async function runMain(args: string[]): Promise<void> {
  await runCommandLine(
    args,
    commandRunner((code) => (exitCode = code)),
    () => fs.readFileSync(0),
  );
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
