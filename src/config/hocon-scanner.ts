import type { HoconProblem, Origin } from './hocon-types.js';

/** A syntax error at a position; turned into a TandemError('ConfigSyntax') by parseHocon. */
export class HoconSyntaxError extends Error {
  readonly problem: HoconProblem;

  constructor(problem: HoconProblem) {
    super(`${problem.file}:${problem.line}:${problem.column}: ${problem.message}`);
    this.name = 'HoconSyntaxError';
    this.problem = problem;
  }
}

/** Characters HOCON does not allow in unquoted text. `:` is allowed inside values; see isValueChar. */
const FORBIDDEN = new Set(['$', '"', '{', '}', '[', ']', ':', '=', ',', '+', '#', '`', '^', '?', '!', '@', '*', '&', '\\']);
const SPACE_SEPARATOR = /^\p{Zs}$/u;

/** Whitespace that does not end a line. `\r` counts, so CRLF files read like LF files. */
export function isInlineSpace(c: string | undefined): boolean {
  if (c === undefined) return false;
  const code = c.charCodeAt(0);
  if (code < 0x80) return code === 0x20 || code === 0x09 || code === 0x0d || code === 0x0c || code === 0x0b;
  return c === '\uFEFF' || SPACE_SEPARATOR.test(c);
}

/** A control character that may not appear outside a string. */
export function isControl(c: string): boolean {
  const code = c.charCodeAt(0);
  return (code < 0x20 && code !== 0x0a && code !== 0x09 && code !== 0x0d && code !== 0x0c && code !== 0x0b) || code === 0x7f;
}

/** A character that may appear in unquoted text, key or value. */
export function isUnquotedChar(c: string | undefined): c is string {
  if (c === undefined) return false;
  const code = c.charCodeAt(0);
  if (code < 0x80) return code > 0x20 && code !== 0x7f && !FORBIDDEN.has(c);
  return !isInlineSpace(c);
}

/** A character cursor over one file's text, with line:column positions for errors. */
export class Scanner {
  readonly text: string;
  readonly file: string;
  pos = 0;
  #lineStarts: number[] | undefined;

  constructor(text: string, file: string) {
    this.text = text;
    this.file = file;
    if (text.startsWith('\uFEFF')) this.pos = 1;
  }

  get atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  peek(offset = 0): string | undefined {
    return this.text[this.pos + offset];
  }

  startsWith(s: string): boolean {
    return this.text.startsWith(s, this.pos);
  }

  /** Line and column of an offset, computed only when needed (errors and origins). */
  origin(at = this.pos): Origin {
    const starts = this.#lines();
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] ?? 0) <= at) lo = mid;
      else hi = mid - 1;
    }
    return { file: this.file, line: lo + 1, column: at - (starts[lo] ?? 0) + 1 };
  }

  fail(message: string, at = this.pos): never {
    const { file, line, column } = this.origin(at);
    throw new HoconSyntaxError({ file, line, column, message });
  }

  /** Describes the character at the cursor for an error message. */
  describe(at = this.pos): string {
    const c = this.text[at];
    if (c === undefined) return 'end of file';
    if (c === '\n') return 'end of line';
    if (isControl(c)) return `control character U+${c.charCodeAt(0).toString(16).padStart(4, '0').toUpperCase()}`;
    return `'${c}'`;
  }

  skipInline(): void {
    while (isInlineSpace(this.peek())) this.pos++;
  }

  atComment(): boolean {
    return this.peek() === '#' || this.startsWith('//');
  }

  /** Skips a comment up to (not including) the end of its line. */
  skipComment(): void {
    const end = this.text.indexOf('\n', this.pos);
    this.pos = end === -1 ? this.text.length : end;
  }

  /** Skips spaces, newlines and comments: what may stand between fields or items. */
  skipBlank(): void {
    for (;;) {
      this.skipInline();
      if (this.peek() === '\n') this.pos++;
      else if (this.atComment()) this.skipComment();
      else return;
    }
  }

  /** Skips spaces and a comment, but not the end of the line. */
  skipInlineAndComment(): void {
    this.skipInline();
    if (this.atComment()) this.skipComment();
  }

  #lines(): number[] {
    if (this.#lineStarts === undefined) {
      const starts = [0];
      for (let i = this.text.indexOf('\n'); i !== -1; i = this.text.indexOf('\n', i + 1)) starts.push(i + 1);
      this.#lineStarts = starts;
    }
    return this.#lineStarts;
  }
}
