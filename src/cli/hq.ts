#!/usr/bin/env node
// The `hq` command line.
import type { Argv } from 'yargs';
import { UserError } from '../common/errors.js';
import { setDebug } from '../common/log.js';
import { CommandContext, type GlobalArgs } from './context.js';
import fs from 'node:fs';
import { CommandRecorder } from './command-spec.js';
import { planDispatch } from './fast-dispatch.js';
import { applyDirectives } from './commands/submit.js';
import { splitSubmitArgv } from './submit-argv.js';
import { declareCommands } from './command-line.js';

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


/** Parses and runs one command line: without yargs when it is plainly valid. */
async function runCommandLine(argv: string[], stdin: Buffer | null): Promise<void> {
  const recorder = CommandRecorder.root();
  declareCommands(recorder.asArgv(), run, stdin);
  const plan = planDispatch(recorder.node, argv);
  if (plan) {
    await plan.handler(plan.args);
    return;
  }
  const { buildYargs } = await import('./yargs-cli.js');
  await buildYargs(argv, (y) => declareCommands(y, run, stdin)).parseAsync();
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
  await runCommandLine(argv, stdin);
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
