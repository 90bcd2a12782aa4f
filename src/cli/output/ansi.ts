// ANSI styling for terminal output. Every function takes `enabled` so callers
// never have to branch: with colours off the text comes back untouched.

export type AnsiColor = 'black' | 'red' | 'green' | 'yellow' | 'blue' | 'magenta' | 'cyan' | 'white' | 'bright-red';

export interface TextStyle {
  color?: AnsiColor;
  bold?: boolean;
}

const COLOR_CODES: Record<AnsiColor, number> = {
  black: 30,
  red: 31,
  green: 32,
  yellow: 33,
  blue: 34,
  magenta: 35,
  cyan: 36,
  white: 37,
  'bright-red': 91,
};

const RESET = '\x1b[0m';

/** Wraps `text` in the escape codes of `style`; returns it unchanged when disabled or unstyled. */
export function paint(text: string, style: TextStyle | undefined, enabled: boolean): string {
  if (!enabled || style === undefined || text === '') return text;
  const codes: number[] = [];
  if (style.bold) codes.push(1);
  if (style.color !== undefined) codes.push(COLOR_CODES[style.color]);
  if (codes.length === 0) return text;
  return `\x1b[${codes.join(';')}m${text}${RESET}`;
}

/** Shorthand for a foreground colour only. */
export function colorize(text: string, color: AnsiColor, enabled: boolean): string {
  return paint(text, { color }, enabled);
}
