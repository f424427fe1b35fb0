import { isUnquotedChar, type Scanner } from './hocon-scanner.js';

const ESCAPES: Readonly<Record<string, string>> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
const HEX4 = /^[0-9a-fA-F]{4}$/;
const SUBST_NAME = /[A-Za-z0-9_-]/;
/** A number up to its exponent's sign, as in `1e+21`: the one place a '+' may stand in unquoted text. */
const EXPONENT = /^-?[0-9]+(?:\.[0-9]+)?[eE]$/;

/** Reads a JSON-style quoted string at the cursor (which is on the opening quote). */
export function readQuoted(s: Scanner): string {
  const start = s.pos;
  s.pos++;
  let out = '';
  let chunk = s.pos;
  for (;;) {
    const c = s.peek();
    if (c === undefined || c === '\n') s.fail('unterminated string: a quoted string must end on the line it starts', start);
    if (c === '"') {
      out += s.text.slice(chunk, s.pos);
      s.pos++;
      return out;
    }
    if (c === '\\') {
      out += s.text.slice(chunk, s.pos);
      const e = s.peek(1);
      if (e === 'u') {
        const hex = s.text.slice(s.pos + 2, s.pos + 6);
        if (!HEX4.test(hex)) s.fail('\\u must be followed by four hex digits');
        out += String.fromCharCode(parseInt(hex, 16));
        s.pos += 6;
      } else {
        const r = e === undefined ? undefined : ESCAPES[e];
        if (r === undefined) s.fail(`invalid escape \\${e ?? ''} in a quoted string (JSON escapes only)`);
        out += r;
        s.pos += 2;
      }
      chunk = s.pos;
    } else if (c.charCodeAt(0) < 0x20 && c !== '\t') {
      s.fail(`${s.describe()} in a quoted string; write it as an escape such as \\n or \\u0000`);
    } else {
      s.pos++;
    }
  }
}

/** Reads a `"""…"""` string: raw text, newlines allowed, no escapes. */
export function readTripleQuoted(s: Scanner): string {
  const start = s.pos;
  let end = s.text.indexOf('"""', start + 3);
  if (end === -1) s.fail('unterminated triple-quoted string', start);
  // HOCON: quotes right before the closing three belong to the string.
  while (s.text[end + 3] === '"') end++;
  s.pos = end + 3;
  return s.text.slice(start + 3, end);
}

/**
 * Reads unquoted value text. Beyond plain HOCON, `:` is allowed inside a value
 * (`sha512:ab`, `host:1`) and, once a `:` has been seen, `//` is part of the value
 * (`https://host/x`) instead of starting a comment. A number's exponent may have a '+'
 * (`1e+21`). Returns '' when nothing is there.
 */
export function readUnquotedValue(s: Scanner): string {
  const start = s.pos;
  let sawColon = false;
  for (;;) {
    const c = s.peek();
    if (c === '/' && s.peek(1) === '/') {
      if (!sawColon) break;
      s.pos += 2;
    } else if (c === ':' && s.pos > start) {
      sawColon = true;
      s.pos++;
    } else if (c === '+' && EXPONENT.test(s.text.slice(start, s.pos))) {
      s.pos++;
    } else if (isUnquotedChar(c)) {
      s.pos++;
    } else {
      break;
    }
  }
  return s.text.slice(start, s.pos);
}

/** Reads a key path such as `a.b`, `"a.b"` or `a."b.c".d` into its elements. */
export function readKeyPath(s: Scanner): string[] {
  const path: string[] = [];
  let current = '';
  let filled = false;
  for (;;) {
    const c = s.peek();
    if (c === '"') {
      if (s.startsWith('"""')) s.fail('a key may not be a triple-quoted string');
      current += readQuoted(s);
      filled = true;
    } else if (c === '.') {
      if (!filled) s.fail(path.length === 0 ? "a key may not start with '.'" : "empty key element: '..' in a key");
      path.push(current);
      current = '';
      filled = false;
      s.pos++;
    } else if (isUnquotedChar(c) && !s.startsWith('//')) {
      const start = s.pos;
      while (isUnquotedChar(s.peek()) && s.peek() !== '.' && !s.startsWith('//')) s.pos++;
      current += s.text.slice(start, s.pos);
      filled = true;
    } else {
      break;
    }
  }
  if (!filled) s.fail(path.length === 0 ? `expected a key, found ${s.describe()}` : "a key may not end with '.'");
  path.push(current);
  return path;
}

/**
 * Reads `${path}` or `${?path}`. The path is letters, digits, '-', '_', dots and quoted
 * parts only — nothing else, so a substitution can never be mistaken for code.
 */
export function readSubstitution(s: Scanner): { path: string[]; optional: boolean } {
  const start = s.pos;
  s.pos += 2;
  const optional = s.peek() === '?';
  if (optional) s.pos++;
  const path: string[] = [];
  const bad = (): never =>
    s.fail(
      `invalid substitution at ${s.describe()}: write \${path} or \${?path}, where the path is made of letters, digits, '-', '_', '.' and quoted parts (substitutions are looked up, never evaluated)`,
    );
  for (;;) {
    const c = s.peek();
    if (c === '"') {
      path.push(readQuoted(s));
    } else if (c !== undefined && SUBST_NAME.test(c)) {
      const from = s.pos;
      while (SUBST_NAME.test(s.peek() ?? '')) s.pos++;
      path.push(s.text.slice(from, s.pos));
    } else {
      bad();
    }
    if (s.peek() === '.') {
      s.pos++;
    } else if (s.peek() === '}') {
      s.pos++;
      return { path, optional };
    } else if (s.peek() === undefined || s.peek() === '\n') {
      s.fail('unterminated substitution: missing }', start);
    } else {
      bad();
    }
  }
}
