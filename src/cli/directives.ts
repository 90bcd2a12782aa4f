// `#HQ` directives: `hq submit` options written inside the submitted script.
//
//   #!/bin/bash
//   # a comment
//   #HQ --name=Example
//   #HQ --cpus="2 compact" --pin taskset
//   ./my-program
//
// Only the head of the script is read (the first 32 KiB, as HyperQueue does):
// blank lines and `#` comments (the shebang among them) may come before and
// between directives, and the first other line ends the head. A `#HQ` line
// further down is ordinary text. Each directive line is split into tokens
// like a shell would: blanks separate tokens, 'single' and "double" quotes
// group (and may be glued to other text, `--cpus="2 compact"`), and a
// backslash escapes the next character (inside double quotes only `"` and `\`).
//
// When to read directives (`hq submit --directives MODE`):
//   auto (default)  from the program when its path ends in `.sh`
//   file            from the program, whatever its name
//   stdin           from the script given on standard input (`--stdin`)
//   off             never

import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../common/errors.js';
import { SUBMIT_BOOLEAN_FLAGS } from './submit-flags.js';

/** HyperQueue reads directives only from this many leading bytes of a script. */
export const MAX_DIRECTIVE_PREFIX = 32 * 1024;

export const DIRECTIVES_MODES = ['auto', 'file', 'stdin', 'off'] as const;
export type DirectivesMode = (typeof DIRECTIVES_MODES)[number];

export interface ScriptHeader {
  /** Flag tokens of all directives, in order. */
  directives: string[];
  /** The interpreter and its arguments from a `#!` first line, or null. */
  shebang: string[] | null;
}

/** Submit flags that take no value, and those that may be given several times (their values add up). */
export interface SubmitFlagKinds {
  booleans: ReadonlySet<string>;
  repeatable: ReadonlySet<string>;
}

/** `hq submit`'s flags as directives see them. */
export const DEFAULT_SUBMIT_FLAG_KINDS: SubmitFlagKinds = {
  booleans: new Set([...SUBMIT_BOOLEAN_FLAGS, '--debug']),
  repeatable: new Set(['--resource', '--env']),
};

export function parseDirectivesMode(text: string): DirectivesMode {
  if ((DIRECTIVES_MODES as readonly string[]).includes(text)) return text as DirectivesMode;
  throw new UserError(`Invalid --directives '${text}': expected one of ${DIRECTIVES_MODES.join(', ')}`);
}

/** Where directives come from for a submit of `programPath` in `mode`, or null for nowhere. */
export function directivesSource(mode: DirectivesMode, programPath: string): 'file' | 'stdin' | null {
  switch (mode) {
    case 'auto':
      return programPath.endsWith('.sh') ? 'file' : null;
    case 'file':
      return 'file';
    case 'stdin':
      return 'stdin';
    case 'off':
      return null;
  }
}

class TokenError extends Error {}

function isBlank(ch: string): boolean {
  return ch === ' ' || ch === '\t';
}

/** Splits one line into shell-like tokens. */
export function splitShellWords(line: string): string[] {
  const tokens: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && isBlank(line[i]!)) i++;
    if (i >= line.length) break;
    let token = '';
    while (i < line.length && !isBlank(line[i]!)) {
      const ch = line[i]!;
      if (ch === "'") {
        const end = line.indexOf("'", i + 1);
        if (end < 0) throw new TokenError(`unterminated single quote at column ${i + 1}`);
        token += line.slice(i + 1, end);
        i = end + 1;
      } else if (ch === '"') {
        const start = i;
        i++;
        for (;;) {
          if (i >= line.length) throw new TokenError(`unterminated double quote at column ${start + 1}`);
          const c = line[i]!;
          if (c === '"') break;
          if (c === '\\' && (line[i + 1] === '"' || line[i + 1] === '\\')) {
            token += line[i + 1];
            i += 2;
          } else {
            token += c;
            i++;
          }
        }
        i++;
      } else if (ch === '\\') {
        if (i + 1 >= line.length) throw new TokenError('a backslash at the end of the line escapes nothing');
        token += line[i + 1];
        i += 2;
      } else {
        token += ch;
        i++;
      }
    }
    tokens.push(token);
  }
  return tokens;
}

/** The part of a script HyperQueue looks at (the first 32 KiB). */
function scriptPrefix(scriptText: string): string {
  // Most scripts are short; only long ones need measuring in bytes.
  if (scriptText.length * 3 <= MAX_DIRECTIVE_PREFIX) return scriptText;
  const bytes = Buffer.from(scriptText, 'utf8');
  if (bytes.length <= MAX_DIRECTIVE_PREFIX) return scriptText;
  return bytes.subarray(0, MAX_DIRECTIVE_PREFIX).toString('utf8');
}

/** Directive text of a line, or undefined when the line is not a directive. */
function directiveText(trimmedLine: string): string | undefined {
  if (!trimmedLine.startsWith('#HQ')) return undefined;
  const rest = trimmedLine.slice(3);
  if (rest !== '' && !isBlank(rest[0]!)) return undefined; // `#HQX` is a comment
  return rest;
}

/** Reads the directives and the shebang from the head of a script. */
export function parseScriptHeader(scriptText: string, scriptPath: string): ScriptHeader {
  const directives: string[] = [];
  let shebang: string[] | null = null;
  const lines = scriptPrefix(scriptText).split('\n');
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!.replace(/\r$/, '').replace(/^\s+/, '');
    const split = (text: string, what: string): string[] => {
      try {
        return splitShellWords(text);
      } catch (error) {
        if (error instanceof TokenError) {
          throw new UserError(`Invalid ${what} in '${scriptPath}' line ${index + 1}: ${error.message}: ${lines[index]!.trim()}`);
        }
        throw error;
      }
    };
    const directive = directiveText(line);
    if (directive !== undefined) {
      directives.push(...split(directive, '#HQ directive'));
      continue;
    }
    if (index === 0 && line.startsWith('#!')) shebang = split(line.slice(2), 'shebang line');
    if (line === '' || line.startsWith('#')) continue;
    break;
  }
  return { directives, shebang };
}

/** The `#HQ` flag tokens at the head of a script, in order. */
export function parseDirectives(scriptText: string, scriptPath: string): string[] {
  return parseScriptHeader(scriptText, scriptPath).directives;
}

/** Reads the head of a script file and parses its directives. */
export function readScriptHeader(scriptPath: string): ScriptHeader {
  let fd: number;
  try {
    // Resolved through process.cwd(): the command host answers it with the caller's directory.
    fd = fs.openSync(path.resolve(scriptPath), 'r');
  } catch (error) {
    throw new UserError(`Cannot read directives from '${scriptPath}': ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  try {
    const buffer = Buffer.alloc(MAX_DIRECTIVE_PREFIX);
    let size = 0;
    while (size < buffer.length) {
      const n = fs.readSync(fd, buffer, size, buffer.length - size, null);
      if (n === 0) break;
      size += n;
    }
    return parseScriptHeader(buffer.subarray(0, size).toString('utf8'), scriptPath);
  } finally {
    fs.closeSync(fd);
  }
}

interface FlagUse {
  flag: string;
  tokens: string[];
}

/**
 * Groups tokens into flags with their values. Directives must hold nothing
 * else (`strict`); on the command line anything else is left to the submit
 * parser to judge.
 */
function groupFlags(tokens: readonly string[], kinds: SubmitFlagKinds, what: string, strict: boolean): FlagUse[] {
  const uses: FlagUse[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (!token.startsWith('-') || token === '-' || token === '--') {
      if (!strict) continue;
      throw new UserError(`Unexpected argument '${token}' in ${what}: only hq submit options can be given there`);
    }
    const eq = token.indexOf('=');
    if (eq > 0) {
      uses.push({ flag: token.slice(0, eq), tokens: [token] });
    } else if (kinds.booleans.has(token)) {
      uses.push({ flag: token, tokens: [token] });
    } else {
      if (i + 1 >= tokens.length) {
        if (strict) throw new UserError(`Option '${token}' in ${what} needs a value`);
        uses.push({ flag: token, tokens: [token] });
        continue;
      }
      uses.push({ flag: token, tokens: [token, tokens[++i]!] });
    }
  }
  return uses;
}

/**
 * Combines directive flags with the flags given on the command line, the way
 * HyperQueue does: a flag that can be given once (`--name`, `--cpus`, ...) is
 * taken from the command line when it is there, otherwise from the
 * directives (the last directive wins); flags that can be repeated
 * (`--resource`, `--env`) keep the directive values and add the command
 * line's. `cliTokens` are the submit options only (not the program and its
 * arguments); the result is an option list for the submit parser with the
 * directive flags first.
 */
export function mergeDirectiveArgs(
  directiveTokens: readonly string[],
  cliTokens: readonly string[],
  kinds: SubmitFlagKinds = DEFAULT_SUBMIT_FLAG_KINDS,
): string[] {
  const fromDirectives = groupFlags(directiveTokens, kinds, '#HQ directives', true);
  const onCommandLine = new Set(groupFlags(cliTokens, kinds, 'the command line', false).map((use) => use.flag));
  const lastUse = new Map<string, FlagUse>();
  for (const use of fromDirectives) lastUse.set(use.flag, use);
  const merged: string[] = [];
  for (const use of fromDirectives) {
    const keep = kinds.repeatable.has(use.flag) || (!onCommandLine.has(use.flag) && lastUse.get(use.flag) === use);
    if (keep) merged.push(...use.tokens);
  }
  merged.push(...cliTokens);
  return merged;
}
