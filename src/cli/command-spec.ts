// The hq command tree as plain data: the command declarations (the same
// builder functions yargs runs) recorded by a small stand-in for yargs'
// builder API, so a well-formed command line can be dispatched without
// loading yargs at all (see fast-dispatch.ts).
import type { Argv } from 'yargs';

export type OptionType = 'string' | 'boolean' | 'number';

export interface OptionSpec {
  type?: OptionType;
  array?: boolean;
  default?: unknown;
  alias?: string | string[];
  global?: boolean;
}

export interface PositionalSpec {
  name: string;
  required: boolean;
  variadic: boolean;
}

export type CommandHandler = (args: Record<string, unknown>) => unknown;

export interface CommandNode {
  name: string;
  positionals: PositionalSpec[];
  /** Declared options, by name (positionals' `.positional()` settings included). */
  options: Map<string, OptionSpec>;
  handler: CommandHandler | null;
  subcommands: Map<string, CommandNode>;
}

type Builder = ((y: Argv) => unknown) | Record<string, OptionSpec>;

/** Parses `name <required> [optional] [many..]` as yargs reads a command string. */
export function parseCommandString(command: string): { name: string; positionals: PositionalSpec[] } {
  const words = command.trim().split(/\s+/);
  const positionals = words.slice(1).map((word) => {
    const required = word.startsWith('<');
    const inner = word.slice(1, -1);
    const variadic = inner.endsWith('..');
    return { name: variadic ? inner.slice(0, -2) : inner, required, variadic };
  });
  return { name: words[0]!, positionals };
}

/**
 * Records what builder functions declare. Only the calls hq's command
 * modules make are supported; anything else throws, so a new kind of
 * declaration cannot silently be ignored by the fast path (a test runs
 * every builder through this recorder).
 */
export class CommandRecorder {
  constructor(readonly node: CommandNode) {}

  static root(): CommandRecorder {
    return new CommandRecorder({ name: 'hq', positionals: [], options: new Map(), handler: null, subcommands: new Map() });
  }

  option(name: string, spec: OptionSpec = {}): this {
    this.node.options.set(name, { ...this.node.options.get(name), ...spec });
    return this;
  }

  options(specs: Record<string, OptionSpec>): this {
    for (const [name, spec] of Object.entries(specs)) this.option(name, spec);
    return this;
  }

  positional(name: string, spec: OptionSpec = {}): this {
    return this.option(name, spec);
  }

  command(command: string, _description: string | false, builder?: Builder, handler?: CommandHandler): this {
    const { name, positionals } = parseCommandString(command);
    const child = new CommandRecorder({ name, positionals, options: new Map(), handler: handler ?? null, subcommands: new Map() });
    if (typeof builder === 'function') builder(child as unknown as Argv);
    else if (builder) child.options(builder);
    this.node.subcommands.set(name, child.node);
    return this;
  }

  // Declarations that do not change how a valid command line parses.
  demandCommand(): this {
    return this;
  }

  asArgv(): Argv {
    return this as unknown as Argv;
  }
}
