// Runs a well-formed command line without loading yargs: tools call
// `hq submit` once per task, and loading yargs costs more than the rest of a
// short command together. The command line is tokenised by yargs-parser (the
// tokeniser yargs itself uses, with the same configuration), so a command
// taken here gets exactly the arguments yargs would give it. Anything
// unusual (help, version, an unknown flag or command, a missing or extra
// positional) is left to yargs, which also owns every error message.
import parse from 'yargs-parser';
import type { CommandHandler, CommandNode, OptionSpec } from './command-spec.js';

/** yargs-parser settings equal to what yargs passes for hq's parserConfiguration. */
export const PARSER_CONFIGURATION = {
  'populate--': true,
  'duplicate-arguments-array': true,
  'parse-positional-numbers': false,
} as const;

/** Flags that make yargs print something of its own instead of running a command. */
const YARGS_FLAGS = new Set(['--help', '-h', '--version']);

export interface DispatchPlan {
  handler: CommandHandler;
  args: Record<string, unknown>;
}

const aliasesOf = (spec: OptionSpec): string[] => (spec.alias === undefined ? [] : Array.isArray(spec.alias) ? spec.alias : [spec.alias]);

function toParserOptions(options: Iterable<[string, OptionSpec]>): parse.Options {
  const string: string[] = [];
  const boolean: string[] = [];
  const number: string[] = [];
  const array: string[] = [];
  const alias: Record<string, string[]> = {};
  const defaults: Record<string, unknown> = {};
  for (const [name, spec] of options) {
    if (spec.type === 'string') string.push(name);
    else if (spec.type === 'boolean') boolean.push(name);
    else if (spec.type === 'number') number.push(name);
    if (spec.array) array.push(name);
    if (spec.alias !== undefined) alias[name] = aliasesOf(spec);
    if (spec.default !== undefined) defaults[name] = spec.default;
  }
  return { string, boolean, number, array, alias, default: defaults, configuration: { ...PARSER_CONFIGURATION } };
}

const camelCase = (name: string) => name.replace(/-+([a-z0-9])/g, (_m, c: string) => c.toUpperCase());

/**
 * The handler and its arguments when `argv` is a complete, valid command
 * line of `root`; null when yargs has to look at it.
 */
export function planDispatch(root: CommandNode, argv: readonly string[]): DispatchPlan | null {
  const dash = argv.indexOf('--');
  const own = dash < 0 ? argv : argv.slice(0, dash);
  if (own.length === 0 || own.some((a) => YARGS_FLAGS.has(a))) return null;

  // Walk down the tree as yargs does: each level parses the line with the
  // options known there and takes its next word as the subcommand.
  const globals = new Map([...root.options].filter(([, spec]) => spec.global));
  let node = root;
  let depth = 0;
  let parsed: parse.DetailedArguments | null = null;
  let parsedWithOwn = true;
  for (;;) {
    // A level whose options are the global ones alone (a command group such
    // as `job`) reads the line exactly as a level above that had no more:
    // that parse stands.
    const own = node === root ? [...node.options.values()].some((spec) => !spec.global) : node.options.size > 0;
    if (parsed === null || own || parsedWithOwn) {
      parsed = parse.detailed([...argv], toParserOptions([...globals, ...node.options]));
      parsedWithOwn = own;
    }
    if (parsed.error) return null;
    const word = parsed.argv._[depth];
    const next = word === undefined ? undefined : node.subcommands.get(String(word));
    if (!next) break;
    node = next;
    depth++;
  }
  if (!node.handler || depth === 0) return null;

  // Strict: every flag must be one the command declares.
  const known = new Set<string>(['_', '--']);
  for (const [name, spec] of [...globals, ...node.options]) {
    known.add(name).add(camelCase(name));
    for (const a of aliasesOf(spec)) known.add(a).add(camelCase(a));
  }
  for (const p of node.positionals) known.add(p.name).add(camelCase(p.name));
  for (const key of Object.keys(parsed.argv)) if (!known.has(key)) return null;

  // Positionals: the words after the command path, each re-read with its
  // declared type the way yargs does (an untyped "5" becomes the number 5).
  const words = parsed.argv._.slice(depth).map(String);
  const positionalArgs: string[] = [];
  for (const p of node.positionals) {
    if (p.variadic) {
      for (const w of words.splice(0)) positionalArgs.push(`--${p.name}`, w);
    } else if (words.length > 0) {
      positionalArgs.push(`--${p.name}`, words.shift()!);
    } else if (p.required) {
      return null;
    }
  }
  if (words.length > 0) return null;

  const args: Record<string, unknown> = { ...parsed.argv };
  if (positionalArgs.length > 0 || node.positionals.length > 0) {
    const specs: Array<[string, OptionSpec]> = node.positionals.map((p) => [
      p.name,
      { ...node.options.get(p.name), ...(p.variadic ? { array: true, default: [] } : {}) },
    ]);
    const reread = parse.detailed(positionalArgs, toParserOptions(specs));
    if (reread.error) return null;
    for (const [key, value] of Object.entries(reread.argv)) if (key !== '_' && key !== '--') args[key] = value;
  }
  args._ = parsed.argv._.slice(0, depth).map(String);
  args.$0 = 'hq';
  return { handler: node.handler, args };
}
