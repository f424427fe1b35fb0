import { dirname, isAbsolute, join } from 'node:path';
import { appendPath, assignPath, emptyObject, mergeObject } from './hocon-merge.js';
import { renderPath } from './hocon-path.js';
import { isControl, isUnquotedChar, Scanner } from './hocon-scanner.js';
import { readKeyPath, readQuoted, readSubstitution, readTripleQuoted, readUnquotedValue } from './hocon-tokens.js';
import type { Gap, HoconSources, Origin, RawArray, RawNode, RawObject, RawScalar, Substitution } from './hocon-types.js';

/** Deeper nesting (objects, lists, dotted keys and includes together) is refused: it bounds recursion. */
export const MAX_DEPTH = 64;

const NUMBER = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/;
const INCLUDE_START = /^include[ \t]+(?:"|file\(|required\(|url\(|classpath\()/;

/** Where a file being parsed stands: the files that include it, where it lands, how deep. */
export interface ParseContext {
  readonly sources: Pick<HoconSources, 'readFile'>;
  readonly includeChain: readonly string[];
  /** The path where this file's content lands; substitutions in it are looked up relative to it. */
  readonly prefix: readonly string[];
  readonly depth: number;
}

/** Parses one file into the unresolved tree. Throws HoconSyntaxError at the first syntax error. */
export function parseFile(text: string, file: string, ctx: ParseContext): RawObject {
  return new Parser(new Scanner(text, file), ctx).parseRoot();
}

class Parser {
  readonly #s: Scanner;
  readonly #ctx: ParseContext;

  constructor(s: Scanner, ctx: ParseContext) {
    this.#s = s;
    this.#ctx = ctx;
  }

  parseRoot(): RawObject {
    const s: Scanner = this.#s;
    s.skipBlank();
    if (s.peek() === '{') {
      const obj = this.#bracedObject(this.#ctx.prefix, this.#ctx.depth);
      s.skipBlank();
      if (!s.atEnd) s.fail(`unexpected ${s.describe()} after the closing '}' of the root object`);
      return obj;
    }
    const obj = emptyObject(s.origin(0));
    this.#fields(obj, this.#ctx.prefix, this.#ctx.depth, undefined);
    return obj;
  }

  #bracedObject(path: readonly string[], depth: number): RawObject {
    const s: Scanner = this.#s;
    const start = s.pos;
    this.#checkDepth(depth + 1, start);
    s.pos++;
    const obj = emptyObject(s.origin(start));
    this.#fields(obj, path, depth + 1, start);
    s.pos++;
    return obj;
  }

  /** Fields up to the '}' at `openedAt` (left for the caller) or, for the root, to the end of the file. */
  #fields(obj: RawObject, path: readonly string[], depth: number, openedAt: number | undefined): void {
    const s: Scanner = this.#s;
    const closer = openedAt === undefined ? undefined : '}';
    for (;;) {
      s.skipBlank();
      if (s.atEnd) {
        if (openedAt === undefined) return;
        const o = s.origin(openedAt);
        s.fail(`unterminated object: missing '}' for the '{' at line ${o.line}, column ${o.column}`);
      }
      if (s.peek() === closer) return;
      if (INCLUDE_START.test(s.text.slice(s.pos, s.pos + 20))) this.#include(obj, path, depth);
      else this.#field(obj, path, depth);
      this.#separator(closer, closer ?? 'the end of the file');
    }
  }

  #field(obj: RawObject, path: readonly string[], depth: number): void {
    const s: Scanner = this.#s;
    const keyAt = s.pos;
    const key = readKeyPath(s);
    const origin = s.origin(keyAt);
    this.#checkDepth(depth + key.length, keyAt);
    const full = [...path, ...key];
    s.skipInline();
    if (s.peek() === '{') {
      assignPath(obj, key, this.#bracedObject(full, depth + key.length - 1), origin);
    } else if (s.peek() === '=' || s.peek() === ':') {
      s.pos++;
      s.skipInline();
      assignPath(obj, key, this.#value(full, depth + key.length - 1), origin);
    } else if (s.startsWith('+=')) {
      s.pos += 2;
      s.skipInline();
      appendPath(obj, key, this.#value(full, depth + key.length), origin);
    } else {
      const c = s.peek();
      const hint = c === '"' || isUnquotedChar(c) ? ' (put keys that contain spaces in double quotes)' : '';
      s.fail(`expected '=', ':' or '{' after the key ${renderPath(key)}, found ${s.describe()}${hint}`);
    }
  }

  /** A value: one or more simple values, lists, objects and substitutions on one line. */
  #value(path: readonly string[], depth: number): RawNode {
    const s: Scanner = this.#s;
    const start = s.pos;
    const parts: (RawNode | Substitution | Gap)[] = [];
    for (;;) {
      const part = this.#part(path, depth);
      if (part === undefined) break;
      parts.push(part);
      const gapAt = s.pos;
      s.skipInline();
      if (!this.#atValueStart()) break;
      if (s.pos > gapAt) parts.push({ kind: 'gap', text: s.text.slice(gapAt, s.pos) });
    }
    const origin = s.origin(start);
    const [first] = parts;
    if (first === undefined) {
      const c = s.peek();
      const quote = c !== undefined && c !== '\n' && c !== ',' && c !== '}' && c !== ']' && !s.atComment() && !isControl(c);
      s.fail(`expected a value, found ${s.describe()}${quote ? ' (put a value that contains it in double quotes)' : ''}`);
    }
    if (parts.length === 1 && first.kind !== 'subst' && first.kind !== 'gap') return first;
    if (parts.every((p) => p.kind === 'gap' || p.kind === 'scalar')) {
      const text = parts.map((p) => (p.kind === 'gap' || p.kind === 'scalar' ? p.text : '')).join('');
      return { kind: 'scalar', value: text, text, origin };
    }
    return { kind: 'concat', parts, origin };
  }

  #part(path: readonly string[], depth: number): RawNode | Substitution | undefined {
    const s: Scanner = this.#s;
    const origin = s.origin();
    if (s.peek() === '{') return this.#bracedObject(path, depth);
    if (s.peek() === '[') return this.#array(path, depth);
    if (s.startsWith('"""')) return quotedScalar(readTripleQuoted(s), origin);
    if (s.peek() === '"') return quotedScalar(readQuoted(s), origin);
    if (s.startsWith('${')) {
      const { path: subPath, optional } = readSubstitution(s);
      return { kind: 'subst', path: subPath, lookup: [...this.#ctx.prefix, ...subPath], optional, origin };
    }
    if (s.atComment()) return undefined;
    const text = readUnquotedValue(s);
    return text === '' ? undefined : unquotedScalar(text, origin);
  }

  #atValueStart(): boolean {
    const s: Scanner = this.#s;
    const c = s.peek();
    return c === '{' || c === '[' || c === '"' || s.startsWith('${') || (isUnquotedChar(c) && !s.startsWith('//'));
  }

  #array(path: readonly string[], depth: number): RawArray {
    const s: Scanner = this.#s;
    const start = s.pos;
    this.#checkDepth(depth + 1, start);
    s.pos++;
    const items: RawNode[] = [];
    for (;;) {
      s.skipBlank();
      if (s.peek() === ']') break;
      if (s.atEnd) {
        const o = s.origin(start);
        s.fail(`unterminated list: missing ']' for the '[' at line ${o.line}, column ${o.column}`);
      }
      items.push(this.#value(path, depth + 1));
      this.#separator(']', "']'");
    }
    s.pos++;
    return { kind: 'array', items, origin: s.origin(start) };
  }

  #include(obj: RawObject, path: readonly string[], depth: number): void {
    const s: Scanner = this.#s;
    const start = s.pos;
    s.pos += 'include'.length;
    s.skipInline();
    const required = s.startsWith('required(');
    if (required) {
      s.pos += 'required('.length;
      s.skipInline();
    }
    const name = this.#includeResource();
    if (required) this.#expectClose();
    const file = isAbsolute(name) ? name : join(dirname(s.file), name);
    const chain = this.#ctx.includeChain;
    if (chain.includes(file)) s.fail(`include cycle: ${[...chain, file].join(' → ')}`, start);
    const text = this.#ctx.sources.readFile(file);
    if (text === undefined) {
      if (required) s.fail(`required include not found: ${file}`, start);
      return;
    }
    const ctx: ParseContext = { sources: this.#ctx.sources, includeChain: [...chain, file], prefix: path, depth };
    mergeObject(obj, parseFile(text, file, ctx));
  }

  /** `"name"` or `file("name")`; url() and classpath() are refused. */
  #includeResource(): string {
    const s: Scanner = this.#s;
    if (s.startsWith('file(')) {
      s.pos += 'file('.length;
      s.skipInline();
      if (s.peek() !== '"' || s.startsWith('"""')) s.fail('expected a quoted file name inside file(…)');
      const name = readQuoted(s);
      this.#expectClose();
      return name;
    }
    if (s.startsWith('url(') || s.startsWith('classpath(')) s.fail('only file includes are supported: use include "name" or include file("name")');
    if (s.peek() !== '"' || s.startsWith('"""')) s.fail(`expected a quoted file name after include, found ${s.describe()}`);
    return readQuoted(s);
  }

  #expectClose(): void {
    const s: Scanner = this.#s;
    s.skipInline();
    if (s.peek() !== ')') s.fail(`expected ')' in include, found ${s.describe()}`);
    s.pos++;
  }

  #checkDepth(depth: number, at: number): void {
    if (depth > MAX_DEPTH) this.#s.fail(`nesting deeper than ${MAX_DEPTH} levels`, at);
  }

  /** After a field or item: a ',' or new lines (a ',' may follow them), or the closer, left for the caller. */
  #separator(closer: string | undefined, closerName: string): void {
    const s: Scanner = this.#s;
    s.skipInlineAndComment();
    const c = s.peek();
    if (c === ',') {
      s.pos++;
    } else if (c === '\n') {
      s.skipBlank();
      if (s.peek() === ',') s.pos++;
    } else if (c !== undefined && c !== closer) {
      this.#failAfterValue(closerName);
    }
  }

  #failAfterValue(closer: string): never {
    const s: Scanner = this.#s;
    const c = s.peek();
    if (c === '}' || c === ']') s.fail(`unexpected '${c}': nothing open to close here`);
    s.fail(`unexpected ${s.describe()} after a value: expected a new line, ',' or ${closer} (put a value that contains ${s.describe()} in double quotes)`);
  }
}

function quotedScalar(value: string, origin: Origin): RawScalar {
  return { kind: 'scalar', value, text: value, origin };
}

/** `true`, `false`, `null` and JSON numbers are typed; everything else stays a string (yes/no/on/off too). */
function unquotedScalar(text: string, origin: Origin): RawScalar {
  if (text === 'true' || text === 'false') return { kind: 'scalar', value: text === 'true', text, origin };
  if (text === 'null') return { kind: 'scalar', value: null, text, origin };
  if (NUMBER.test(text)) {
    const n = Number(text);
    if (Number.isFinite(n)) return { kind: 'scalar', value: n, text, origin };
  }
  return { kind: 'scalar', value: text, text, origin };
}
