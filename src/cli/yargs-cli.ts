// The full yargs parser of `hq`: help, version, shell completion and every
// error message about the command line. Loaded only when the fast path
// (fast-dispatch.ts) leaves a command line to it.
import yargs, { type Argv } from 'yargs';
import { VERSION } from '../common/version.js';
import { PARSER_CONFIGURATION } from './fast-dispatch.js';

/**
 * yargs renders the whole help text after starting every async command
 * handler, in case the handler fails later; hq's handlers turn every failure
 * into their own message, so that text would never be shown.
 */
function withoutHelpCache(y: Argv): Argv {
  const internals = (y as unknown as { getInternalMethods(): { getUsageInstance(): { cacheHelpMessage(): void } } }).getInternalMethods();
  internals.getUsageInstance().cacheHelpMessage = () => {};
  return y;
}

export function buildYargs(argv: string[], declareCommands: (y: Argv) => Argv): Argv {
  const { 'parse-positional-numbers': _yargsOwn, ...configuration } = PARSER_CONFIGURATION;
  return declareCommands(
    withoutHelpCache(yargs(argv))
      .scriptName('hq')
      .version(VERSION)
      .parserConfiguration(configuration),
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
