// What every command gets from the global options: where the server is and
// how to print.
import { resolveServerDir } from '../server/server-dir.js';
import { HqClient } from '../client/client.js';
import { createOutput, type Output, type OutputSink } from './output/output.js';
import { colorsEnabled, parseColorChoice, parseOutputMode, type OutputMode } from './output/output-mode.js';

export interface GlobalArgs {
  serverDir?: string;
  outputMode?: string;
  colors?: string;
  debug?: boolean;
}

/**
 * Where a command prints when not to this process's own stdout and stderr
 * (the rehearsal, the command host): `isTTY` says whether the output ends
 * up on a terminal, for colours in `--colors auto`.
 */
export type CommandPrinter = Pick<OutputSink, 'write' | 'writeError'> & { isTTY?: boolean };

export class CommandContext {
  readonly serverDir: string;
  readonly mode: OutputMode;
  readonly output: Output;
  readonly colors: boolean;
  private client: HqClient | null = null;
  private readonly printer: CommandPrinter | undefined;

  constructor(args: GlobalArgs, printer?: CommandPrinter) {
    this.printer = printer;
    this.serverDir = resolveServerDir(args.serverDir);
    this.mode = parseOutputMode(args.outputMode ?? process.env.HQ_OUTPUT_MODE ?? 'cli');
    const colors = parseColorChoice(args.colors ?? 'auto');
    this.colors = colorsEnabled(colors, printer ?? process.stdout);
    this.output = createOutput(this.mode, { colors: this.colors, write: printer?.write, writeError: printer?.writeError });
  }

  /** Text as it is, on the command's standard output (`hq job task-ids`, `hq worker address`). */
  print(text: string): void {
    if (this.printer) this.printer.write(text);
    else process.stdout.write(text);
  }

  async connect(): Promise<HqClient> {
    if (!this.client) this.client = await HqClient.connect(this.serverDir);
    return this.client;
  }

  close(): void {
    this.client?.close();
    this.client = null;
  }
}

/** How a command body runs: with the global context, user mistakes printed as one line. */
export type CommandRunner = (
  args: GlobalArgs & Record<string, unknown>,
  body: (ctx: CommandContext) => Promise<number | void>,
) => Promise<void>;
