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
 * Where a command prints when not to this process's terminal
 * (src/cli/rehearsal.ts): then without colours unless asked for with
 * `--colors always`.
 */
export type CommandPrinter = Pick<OutputSink, 'write' | 'writeError'>;

export class CommandContext {
  readonly serverDir: string;
  readonly mode: OutputMode;
  readonly output: Output;
  readonly colors: boolean;
  private client: HqClient | null = null;

  constructor(args: GlobalArgs, printer?: CommandPrinter) {
    this.serverDir = resolveServerDir(args.serverDir);
    this.mode = parseOutputMode(args.outputMode ?? process.env.HQ_OUTPUT_MODE ?? 'cli');
    const colors = parseColorChoice(args.colors ?? 'auto');
    this.colors = printer ? colors === 'always' : colorsEnabled(colors, process.stdout);
    this.output = createOutput(this.mode, { colors: this.colors, write: printer?.write, writeError: printer?.writeError });
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
