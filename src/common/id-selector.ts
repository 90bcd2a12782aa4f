// Selectors that job, task and worker commands take as their positional
// argument. HyperQueue accepts:
//   `last`, `all` or id ranges: job info/cancel/forget/wait/progress/close,
//                               task list/info, worker stop
//   `last` or id ranges:        job cat (one job's output)
//   `last` or a single id:      commands that target exactly one job
//   a plain id:                 worker info/address
// `hq job info all` parses but only warns, pointing to `hq job list --all`;
// that is the command's decision, not the parser's.

import { UserError } from './errors.js';
import { parseIdRanges, type IdRange } from './id-range.js';

export type IdSelector = { kind: 'all' } | { kind: 'last' } | { kind: 'ids'; ranges: IdRange[] };

export interface IdSelectorOptions {
  /** Whether `all` is accepted (default true). */
  allowAll?: boolean;
  /** Whether `last` is accepted (default true). */
  allowLast?: boolean;
}

export function parseIdSelector(text: string, options: IdSelectorOptions = {}): IdSelector {
  const allowAll = options.allowAll ?? true;
  const allowLast = options.allowLast ?? true;
  if (text === 'all') {
    if (!allowAll) throw new UserError(`Invalid selector 'all': this command takes 'last' or ids`);
    return { kind: 'all' };
  }
  if (text === 'last') {
    if (!allowLast) throw new UserError(`Invalid selector 'last': this command takes ids`);
    return { kind: 'last' };
  }
  try {
    return { kind: 'ids', ranges: parseIdRanges(text) };
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    const keywords = [allowLast ? `'last'` : '', allowAll ? `'all'` : ''].filter(Boolean);
    const hint = keywords.length > 0 ? ` (or ${keywords.join(' or ')})` : '';
    throw new UserError(`${error.message}${hint}`);
  }
}

/**
 * One id as Rust's `u32::from_str` reads it: decimal digits with an optional
 * leading `+`, no separators, no whitespace.
 */
export function parseId(text: string, what = 'id'): number {
  if (!/^\+?[0-9]+$/.test(text)) throw new UserError(`Invalid ${what} '${text}': expected a non-negative integer`);
  const value = Number(text);
  if (value > 0xffffffff) throw new UserError(`Invalid ${what} '${text}': does not fit into 32 bits`);
  return value;
}

/** `last` or a single id. */
export function parseSingleIdSelector(text: string, what = 'id'): number | 'last' {
  return text === 'last' ? 'last' : parseId(text, what);
}
