// Shell completion scripts (`hq generate-completion bash|zsh|fish`) built
// from a plain description of the command tree.
//
// Every script works the same way: it walks the words typed so far from the
// root command, stepping into a subcommand when a word names one and
// skipping flags together with the value of a flag that takes one. Then it
// offers, for the command reached: subcommand names, or its flags when the
// current word starts with `-`, or the values of the flag just typed (its
// `values` when it lists them, file names otherwise). Flags marked `global`
// on the root command are offered under every subcommand, as yargs accepts
// them there.
import { singleQuoted } from '../common/shell-quote.js';

export interface CommandFlag {
  /** Long name without dashes (`server-dir` -> `--server-dir`); a single letter is a short flag (`h` -> `-h`). */
  name: string;
  description: string;
  takesValue: boolean;
  /** Possible values, when there is a fixed set. */
  values?: string[];
  /** On the root command: accepted after any subcommand too. */
  global?: boolean;
}

export interface CommandTree {
  name: string;
  description: string;
  flags: CommandFlag[];
  subcommands: CommandTree[];
}

export type CompletionShell = 'bash' | 'zsh' | 'fish';

/** A command of the tree with its path from the root (`hq job list`). */
interface CommandNode {
  path: string;
  command: CommandTree;
  /** Own flags plus inherited global ones. */
  flags: CommandFlag[];
}

export function flagToken(flag: CommandFlag): string {
  return flag.name.length === 1 ? `-${flag.name}` : `--${flag.name}`;
}

function walk(tree: CommandTree): CommandNode[] {
  const globals = tree.flags.filter((f) => f.global);
  const nodes: CommandNode[] = [];
  const visit = (command: CommandTree, path: string, isRoot: boolean): void => {
    const own = new Set(command.flags.map((f) => f.name));
    const flags = isRoot ? command.flags : [...command.flags, ...globals.filter((g) => !own.has(g.name))];
    nodes.push({ path, command, flags });
    for (const sub of command.subcommands) visit(sub, `${path} ${sub.name}`, false);
  };
  visit(tree, tree.name, true);
  return nodes;
}

const SAFE_WORD = /^[A-Za-z0-9_.@%+,/=-]+$/;

function checkTree(tree: CommandTree): void {
  for (const node of walk(tree)) {
    for (const sub of node.command.subcommands) {
      if (!SAFE_WORD.test(sub.name) || sub.name.startsWith('-')) throw new Error(`command name '${sub.name}' cannot be completed`);
    }
    for (const flag of node.flags) {
      if (!SAFE_WORD.test(flag.name) || flag.name.startsWith('-')) throw new Error(`flag name '${flag.name}' cannot be completed`);
      for (const value of flag.values ?? []) {
        if (!SAFE_WORD.test(value)) throw new Error(`value '${value}' of --${flag.name} cannot be completed`);
      }
    }
  }
}

/** A shell function name derived from the program name. */
function functionName(tree: CommandTree): string {
  return `_${tree.name.replace(/[^A-Za-z0-9_]/g, '_')}`;
}

/** Single-quoted for fish, where `\\` and `\'` are escapes inside single quotes. */
function fishQuote(text: string): string {
  return `'${text.replace(/[\\']/g, (ch) => `\\${ch}`)}'`;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function bashScript(tree: CommandTree): string {
  const fn = functionName(tree);
  const nodes = walk(tree);
  const caseArms = (select: (node: CommandNode) => string): string =>
    nodes
      .map((node) => [node.path, select(node)] as const)
      .filter(([, words]) => words !== '')
      .map(([path, words]) => `    ${singleQuoted(path)}) echo ${singleQuoted(words)} ;;`)
      .join('\n');
  const valueArms = nodes
    .flatMap((node) =>
      node.flags
        .filter((f) => f.takesValue && f.values !== undefined)
        .map((f) => `    ${singleQuoted(`${node.path}|${flagToken(f)}`)}) echo ${singleQuoted(f.values!.join(' '))} ;;`),
    )
    .join('\n');
  return `# bash completion for ${tree.name}
# Load it with: source <(${tree.name} generate-completion bash)

${fn}_subcommands() {
  case "$1" in
${caseArms((n) => n.command.subcommands.map((s) => s.name).join(' '))}
  esac
}

${fn}_flags() {
  case "$1" in
${caseArms((n) => n.flags.map(flagToken).join(' '))}
  esac
}

${fn}_value_flags() {
  case "$1" in
${caseArms((n) => n.flags.filter((f) => f.takesValue).map(flagToken).join(' '))}
  esac
}

# Prints the values of flag $2 of command $1; fails when the flag has no fixed set.
${fn}_flag_values() {
  case "$1|$2" in
${valueArms}
    *) return 1 ;;
  esac
}

${fn}() {
  local cur="\${COMP_WORDS[COMP_CWORD]}"
  local prev=""
  ((COMP_CWORD > 0)) && prev="\${COMP_WORDS[COMP_CWORD-1]}"
  local cmd=${singleQuoted(tree.name)} word i skip=0

  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    if ((skip > 0)); then
      ((skip--))
      continue
    fi
    case "$word" in
      -*=*) continue ;;
      -*)
        # bash splits "--flag=value" into "--flag" "=" "value".
        if [[ "\${COMP_WORDS[i+1]}" == "=" ]] && ((i + 1 < COMP_CWORD)); then
          skip=2
        elif [[ " $(${fn}_value_flags "$cmd") " == *" $word "* ]]; then
          skip=1
        fi
        continue ;;
    esac
    if [[ " $(${fn}_subcommands "$cmd") " == *" $word "* ]]; then
      cmd="$cmd $word"
    fi
  done

  # A flag value: after "--flag ", "--flag=" (split or not) or inside "--flag=val".
  local flag="" prefix=""
  if [[ "$cur" == -*=* ]]; then
    # "=" is not a word break here, so the reply replaces the whole "--flag=val" word.
    flag="\${cur%%=*}"
    prefix="$flag="
    cur="\${cur#*=}"
  elif [[ "$cur" == "=" && "$prev" == -* ]]; then
    flag="$prev"
    cur=""
  elif [[ "$prev" == "=" ]] && ((COMP_CWORD > 1)); then
    flag="\${COMP_WORDS[COMP_CWORD-2]}"
  elif [[ "$prev" == -* && "$prev" != *=* && " $(${fn}_value_flags "$cmd") " == *" $prev "* ]]; then
    flag="$prev"
  fi
  COMPREPLY=()
  if [[ -n "$flag" ]]; then
    local values
    # Without a fixed set of values, bash falls back to file names (-o default).
    if values="$(${fn}_flag_values "$cmd" "$flag")"; then
      COMPREPLY=($(compgen -P "$prefix" -W "$values" -- "$cur"))
    fi
  elif [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$(${fn}_flags "$cmd")" -- "$cur"))
  else
    COMPREPLY=($(compgen -W "$(${fn}_subcommands "$cmd")" -- "$cur"))
  fi
  return 0
}

complete -o default -F ${fn} ${tree.name}
`;
}

/** `name:description` items for zsh's _describe (colons in names escaped). */
function zshItems(items: Array<[string, string]>): string {
  return items.map(([name, description]) => singleQuoted(`${name.replace(/:/g, '\\:')}:${oneLine(description)}`)).join(' ');
}

function zshScript(tree: CommandTree): string {
  const fn = functionName(tree);
  const nodes = walk(tree);
  const arms = (select: (node: CommandNode) => string): string =>
    nodes
      .map((node) => [node.path, select(node)] as const)
      .filter(([, body]) => body !== '')
      .map(([path, body]) => `    ${singleQuoted(path)}) ${body} ;;`)
      .join('\n');
  const valueArms = nodes
    .flatMap((node) =>
      node.flags
        .filter((f) => f.takesValue && f.values !== undefined)
        .map((f) => `    ${singleQuoted(`${node.path}|${flagToken(f)}`)}) reply=(${f.values!.map(singleQuoted).join(' ')}) ;;`),
    )
    .join('\n');
  return `#compdef ${tree.name}
# zsh completion for ${tree.name}
# Load it with: source <(${tree.name} generate-completion zsh), or save it as _${tree.name} in a directory of $fpath.

${fn}_subcommands() {
  reply=()
  case "$1" in
${arms((n) => (n.command.subcommands.length === 0 ? '' : `reply=(${zshItems(n.command.subcommands.map((s) => [s.name, s.description]))})`))}
  esac
}

${fn}_flags() {
  reply=()
  case "$1" in
${arms((n) => (n.flags.length === 0 ? '' : `reply=(${zshItems(n.flags.map((f) => [flagToken(f), f.description]))})`))}
  esac
}

${fn}_value_flags() {
  reply=()
  case "$1" in
${arms((n) => {
  const flags = n.flags.filter((f) => f.takesValue).map((f) => singleQuoted(flagToken(f)));
  return flags.length === 0 ? '' : `reply=(${flags.join(' ')})`;
})}
  esac
}

${fn}_flag_values() {
  reply=()
  case "$1|$2" in
${valueArms}
    *) return 1 ;;
  esac
}

${fn}() {
  local cmd=${singleQuoted(tree.name)} word i skip=0
  local cur="\${words[CURRENT]}" prev="\${words[CURRENT-1]}"
  local -a reply names

  for ((i = 2; i < CURRENT; i++)); do
    word="\${words[i]}"
    if ((skip)); then
      skip=0
      continue
    fi
    case "$word" in
      -*=*) continue ;;
      -*)
        ${fn}_value_flags "$cmd"
        (( \${reply[(Ie)$word]} )) && skip=1
        continue ;;
    esac
    ${fn}_subcommands "$cmd"
    names=("\${reply[@]%%:*}")
    (( \${names[(Ie)$word]} )) && cmd="$cmd $word"
  done

  local flag=""
  if [[ "$cur" == -*=* ]]; then
    flag="\${cur%%=*}"
    compset -P '*='
  else
    ${fn}_value_flags "$cmd"
    [[ "$prev" == -* && "$prev" != *=* ]] && (( \${reply[(Ie)$prev]} )) && flag="$prev"
  fi
  if [[ -n "$flag" ]]; then
    if ${fn}_flag_values "$cmd" "$flag"; then
      compadd -a reply
    else
      _files
    fi
    return
  fi

  if [[ "$cur" == -* ]]; then
    ${fn}_flags "$cmd"
    _describe -t options 'option' reply
  else
    ${fn}_subcommands "$cmd"
    if (( \${#reply} )); then
      _describe -t commands 'command' reply
    else
      _files
    fi
  fi
}

if [[ "$funcstack[1]" == "${fn}" ]]; then
  ${fn} "$@"
else
  compdef ${fn} ${tree.name}
fi
`;
}

function fishScript(tree: CommandTree): string {
  const fn = `__${tree.name.replace(/[^A-Za-z0-9_]/g, '_')}`;
  const nodes = walk(tree);
  const arms = (select: (node: CommandNode) => string): string =>
    nodes
      .map((node) => [node.path, select(node)] as const)
      .filter(([, words]) => words !== '')
      .map(([path, words]) => `        case ${fishQuote(path)}\n            echo ${fishQuote(words)}`)
      .join('\n');
  const lines: string[] = [
    `# fish completion for ${tree.name}`,
    `# Load it with: ${tree.name} generate-completion fish | source`,
    '',
    `function ${fn}_subcommands`,
    '    switch $argv[1]',
    arms((n) => n.command.subcommands.map((s) => s.name).join(' ')),
    '    end',
    'end',
    '',
    `function ${fn}_value_flags`,
    '    switch $argv[1]',
    arms((n) => n.flags.filter((f) => f.takesValue).map(flagToken).join(' ')),
    '    end',
    'end',
    '',
    '# The command reached by the words before the cursor.',
    `function ${fn}_path`,
    `    set -l cmd ${fishQuote(tree.name)}`,
    '    set -l skip 0',
    '    for word in (commandline -opc)[2..-1]',
    '        if test $skip -eq 1',
    '            set skip 0',
    '            continue',
    '        end',
    '        switch $word',
    "            case '-*=*'",
    '                continue',
    "            case '-*'",
    `                if contains -- $word (string split ' ' -- (${fn}_value_flags $cmd))`,
    '                    set skip 1',
    '                end',
    '                continue',
    '        end',
    `        if contains -- $word (string split ' ' -- (${fn}_subcommands $cmd))`,
    '            set cmd "$cmd $word"',
    '        end',
    '    end',
    '    echo $cmd',
    'end',
    '',
    `function ${fn}_at`,
    `    test (${fn}_path) = $argv[1]`,
    'end',
    '',
    `complete -c ${tree.name} -f`,
  ];
  for (const node of nodes) {
    const condition = `-n ${fishQuote(`${fn}_at ${fishQuote(node.path)}`)}`;
    // Commands without subcommands take file arguments.
    if (node.command.subcommands.length === 0) lines.push(`complete -c ${tree.name} ${condition} -F`);
    for (const sub of node.command.subcommands) {
      lines.push(`complete -c ${tree.name} ${condition} -a ${fishQuote(sub.name)} -d ${fishQuote(oneLine(sub.description))}`);
    }
    for (const flag of node.flags) {
      const name = flag.name.length === 1 ? `-s ${flag.name}` : `-l ${flag.name}`;
      let value = '';
      if (flag.takesValue) value = flag.values !== undefined ? ` -x -a ${fishQuote(flag.values.join(' '))}` : ' -r -F';
      lines.push(`complete -c ${tree.name} ${condition} ${name}${value} -d ${fishQuote(oneLine(flag.description))}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** A completion script for `shell` that completes the commands and flags of `tree`. */
export function generateCompletion(shell: CompletionShell, tree: CommandTree): string {
  checkTree(tree);
  switch (shell) {
    case 'bash':
      return bashScript(tree);
    case 'zsh':
      return zshScript(tree);
    case 'fish':
      return fishScript(tree);
  }
}
