// Quoting for POSIX shells (sh, bash, zsh).

/** `text` as one single-quoted word: taken literally, whatever it holds. */
export function singleQuoted(text: string): string {
  return `'${text.replace(/'/g, "'\\''")}'`;
}
