// The command tree of the `hq` parser (commands, subcommands, flags), read
// from yargs itself so that shell completion never drifts from the parser.
import yargs, { type Argv } from 'yargs';
import type { CommandFlag, CommandTree } from './completion.js';

interface Handler {
  original: string;
  description: string | false;
  builder: ((y: Argv) => unknown) | Record<string, unknown>;
}

function flagsOf(y: Argv, global: boolean): CommandFlag[] {
  const opts = (y as unknown as { getOptions(): unknown }).getOptions() as { key: Record<string, true>; boolean: string[]; count: string[] };
  const descriptions = (y as unknown as { getInternalMethods(): { getUsageInstance(): { getDescriptions(): Record<string, string> } } })
    .getInternalMethods()
    .getUsageInstance()
    .getDescriptions();
  const booleans = new Set([...opts.boolean, ...opts.count]);
  return Object.keys(opts.key)
    .filter((name) => name !== 'help' && name !== 'version' && name.length > 0)
    .map((name) => ({
      name,
      description: String(descriptions[name] ?? '').replace(/^__yargsString__:/, ''),
      takesValue: !booleans.has(name),
      global,
    }));
}

function children(y: Argv): CommandTree[] {
  const handlers = (y as unknown as { getInternalMethods(): { getCommandInstance(): { getCommandHandlers(): Record<string, Handler> } } })
    .getInternalMethods()
    .getCommandInstance()
    .getCommandHandlers();
  const out: CommandTree[] = [];
  for (const h of Object.values(handlers)) {
    if (h.description === false) continue; // hidden aliases
    const sub = yargs([]);
    if (typeof h.builder === 'function') h.builder(sub);
    else sub.options(h.builder as never);
    out.push({
      name: h.original.split(/\s+/)[0]!,
      description: h.description,
      flags: flagsOf(sub, false),
      subcommands: children(sub),
    });
  }
  return out;
}

export function commandTree(root: Argv): CommandTree {
  return { name: 'hq', description: 'HyperQueue-compatible meta-scheduler', flags: flagsOf(root, true), subcommands: children(root) };
}
