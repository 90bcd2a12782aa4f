// A read position inside one short CLI value, with the lexing steps that
// HyperQueue's value grammars share (numbers with `_` separators, optional
// whitespace around punctuation, identifiers).

const MAX_U32 = 0xffffffff;

/** Whitespace as Rust's `char::is_whitespace` sees it (the grammars pad with it). */
export function isWhitespace(ch: string): boolean {
  return ch !== '' && ch !== '\ufeff' && /\s/.test(ch);
}

export function isAsciiDigit(ch: string): boolean {
  return ch >= '0' && ch <= '9' && ch.length === 1;
}

export function isAsciiLetter(ch: string): boolean {
  return ch.length === 1 && ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z'));
}

export class TextCursor {
  pos = 0;

  constructor(readonly text: string) {}

  atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  peek(offset = 0): string {
    return this.text.charAt(this.pos + offset);
  }

  skipWhitespace(): void {
    while (isWhitespace(this.peek())) this.pos++;
  }

  /** Consumes `token` if the text continues with it. */
  eat(token: string): boolean {
    if (this.text.startsWith(token, this.pos)) {
      this.pos += token.length;
      return true;
    }
    return false;
  }

  /** Like `eat`, with optional whitespace before and after the token. */
  eatPadded(token: string): boolean {
    const start = this.pos;
    this.skipWhitespace();
    if (this.eat(token)) {
      this.skipWhitespace();
      return true;
    }
    this.pos = start;
    return false;
  }

  /**
   * Reads a decimal digit string where `_` may separate digits (`1_000`); the
   * first character has to be a digit. Returns the digits without separators.
   */
  readDigits(): string | undefined {
    if (!isAsciiDigit(this.peek())) return undefined;
    let digits = '';
    while (isAsciiDigit(this.peek()) || this.peek() === '_') {
      const ch = this.text[this.pos++]!;
      if (ch !== '_') digits += ch;
    }
    return digits;
  }

  /** Reads an unsigned 32-bit integer; `overflow` when it does not fit. */
  readU32(): number | 'overflow' | undefined {
    const digits = this.readDigits();
    if (digits === undefined) return undefined;
    const significant = digits.replace(/^0+/, '');
    if (significant.length > 10) return 'overflow';
    const value = significant === '' ? 0 : Number(significant);
    return value > MAX_U32 ? 'overflow' : value;
  }

  /** Reads an identifier (`[A-Za-z_][A-Za-z0-9_]*`), as keywords such as `all` or `range` are lexed. */
  readIdentifier(): string | undefined {
    const first = this.peek();
    if (!(isAsciiLetter(first) || first === '_')) return undefined;
    const start = this.pos;
    while (isAsciiLetter(this.peek()) || isAsciiDigit(this.peek()) || this.peek() === '_') this.pos++;
    return this.text.slice(start, this.pos);
  }

  /** Text from the cursor to the end, for error messages. */
  rest(): string {
    return this.text.slice(this.pos);
  }
}
