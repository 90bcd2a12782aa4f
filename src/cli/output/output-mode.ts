// The global `--output-mode` and `--colors` choices.

import { UserError } from '../../common/errors.js';

export type OutputMode = 'cli' | 'json' | 'quiet';
export type ColorChoice = 'auto' | 'always' | 'never';

export const OUTPUT_MODES: readonly OutputMode[] = ['cli', 'json', 'quiet'];
export const COLOR_CHOICES: readonly ColorChoice[] = ['auto', 'always', 'never'];

/** Parses an `--output-mode` / HQ_OUTPUT_MODE value. */
export function parseOutputMode(value: string): OutputMode {
  const mode = value.trim().toLowerCase();
  if ((OUTPUT_MODES as readonly string[]).includes(mode)) return mode as OutputMode;
  throw new UserError(`invalid output mode '${value}': expected one of ${OUTPUT_MODES.join(', ')}`);
}

/** Parses a `--colors` value. */
export function parseColorChoice(value: string): ColorChoice {
  const choice = value.trim().toLowerCase();
  if ((COLOR_CHOICES as readonly string[]).includes(choice)) return choice as ColorChoice;
  throw new UserError(`invalid color choice '${value}': expected one of ${COLOR_CHOICES.join(', ')}`);
}

/**
 * Whether to emit colour codes: 'auto' colours a terminal unless NO_COLOR is
 * set (or TERM is "dumb").
 */
export function colorsEnabled(
  choice: ColorChoice,
  stream: { isTTY?: boolean },
  env: Record<string, string | undefined> = process.env,
): boolean {
  if (choice === 'always') return true;
  if (choice === 'never') return false;
  if (env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '') return false;
  if (env['TERM'] === 'dumb') return false;
  return stream.isTTY === true;
}
