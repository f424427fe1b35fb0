/**
 * The `If` predicate language: a small, closed grammar evaluated by walking a tree.
 * There is no eval, no property access and no calls, so a predicate can only compare
 * values it is given.
 *
 *   or      := and ('||' and)*
 *   and     := compare ('&&' compare)*
 *   compare := unary (('=='|'!='|'<'|'<='|'>'|'>=') unary)?
 *   unary   := '!' unary | primary
 *   primary := '$'name | number | '-'number | 'string' | "string" | true | false | '(' or ')'
 */

export type Value = string | number | boolean;
type CompareOp = '==' | '!=' | '<' | '<=' | '>' | '>=';

export type Expr =
  | { readonly kind: 'literal'; readonly value: Value }
  | { readonly kind: 'variable'; readonly name: string }
  | { readonly kind: 'not'; readonly operand: Expr }
  | { readonly kind: 'compare'; readonly op: CompareOp; readonly left: Expr; readonly right: Expr }
  | { readonly kind: 'logical'; readonly op: '&&' | '||'; readonly left: Expr; readonly right: Expr };

/** A predicate that does not parse or cannot be evaluated; `offset` points into the text when known. */
export class ExpressionError extends Error {
  readonly offset: number | undefined;
  constructor(message: string, offset?: number) {
    super(offset === undefined ? message : `${message} at offset ${offset}`);
    this.name = 'ExpressionError';
    this.offset = offset;
  }
}

type Token =
  | { readonly kind: 'value'; readonly value: Value; readonly at: number }
  | { readonly kind: 'variable'; readonly name: string; readonly at: number }
  | { readonly kind: 'op'; readonly op: string; readonly at: number }
  | { readonly kind: 'end'; readonly at: number };

const MAX_LENGTH = 1000;
const MAX_DEPTH = 64;
const OPERATORS = ['==', '!=', '<=', '>=', '&&', '||', '<', '>', '!', '(', ')', '-'];
const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;
const NUMBER = /\d+(\.\d+)?/y;
const WORD = /[A-Za-z_][A-Za-z0-9_]*/y;
const COMPARE_OPS: readonly CompareOp[] = ['==', '!=', '<', '<=', '>', '>='];
const isCompareOp = (op: string): op is CompareOp => (COMPARE_OPS as readonly string[]).includes(op);
const ESCAPES: Readonly<Record<string, string>> = { '\\': '\\', "'": "'", '"': '"', n: '\n', t: '\t' };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] ?? '';
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
    } else if (c === '$') {
      NAME.lastIndex = i + 1;
      const m = NAME.exec(text);
      if (m === null) throw new ExpressionError('expected a variable name after $', i);
      tokens.push({ kind: 'variable', name: m[0], at: i });
      i = NAME.lastIndex;
    } else if (c >= '0' && c <= '9') {
      NUMBER.lastIndex = i;
      const m = NUMBER.exec(text);
      if (m === null) throw new ExpressionError('malformed number', i);
      tokens.push({ kind: 'value', value: Number(m[0]), at: i });
      i = NUMBER.lastIndex;
    } else if (c === "'" || c === '"') {
      const [value, next] = readString(text, i);
      tokens.push({ kind: 'value', value, at: i });
      i = next;
    } else {
      const op = OPERATORS.find((o) => text.startsWith(o, i));
      if (op !== undefined) {
        tokens.push({ kind: 'op', op, at: i });
        i += op.length;
        continue;
      }
      WORD.lastIndex = i;
      const word = WORD.exec(text)?.[0];
      if (word === 'true' || word === 'false') {
        tokens.push({ kind: 'value', value: word === 'true', at: i });
        i += word.length;
      } else {
        throw new ExpressionError(word === undefined ? `unexpected character '${c}'` : `unknown word '${word}' (variables start with $)`, i);
      }
    }
  }
  tokens.push({ kind: 'end', at: text.length });
  return tokens;
}

function readString(text: string, start: number): [string, number] {
  const quote = text[start];
  let out = '';
  let i = start + 1;
  while (i < text.length) {
    const c = text[i] ?? '';
    if (c === quote) return [out, i + 1];
    if (c === '\\') {
      const escaped = ESCAPES[text[i + 1] ?? ''];
      if (escaped === undefined) throw new ExpressionError('unknown escape in string', i);
      out += escaped;
      i += 2;
    } else {
      out += c;
      i++;
    }
  }
  throw new ExpressionError('unterminated string', start);
}

class Parser {
  #pos = 0;
  #depth = 0;
  constructor(private readonly tokens: readonly Token[]) {}

  parse(): Expr {
    const expr = this.#or();
    const t = this.#peek();
    if (t.kind !== 'end') throw new ExpressionError('unexpected input after the expression', t.at);
    return expr;
  }

  #peek(): Token {
    return this.tokens[this.#pos] ?? { kind: 'end', at: 0 };
  }

  #takeOp(...ops: string[]): string | undefined {
    const t = this.#peek();
    if (t.kind === 'op' && ops.includes(t.op)) {
      this.#pos++;
      return t.op;
    }
    return undefined;
  }

  #or(): Expr {
    let left = this.#and();
    while (this.#takeOp('||') !== undefined) left = { kind: 'logical', op: '||', left, right: this.#and() };
    return left;
  }

  #and(): Expr {
    let left = this.#compare();
    while (this.#takeOp('&&') !== undefined) left = { kind: 'logical', op: '&&', left, right: this.#compare() };
    return left;
  }

  #compare(): Expr {
    const left = this.#unary();
    const op = this.#takeOp(...COMPARE_OPS);
    if (op === undefined || !isCompareOp(op)) return left;
    const right = this.#unary();
    const next = this.#peek();
    if (next.kind === 'op' && isCompareOp(next.op)) {
      throw new ExpressionError('comparisons do not chain; use && and parentheses', next.at);
    }
    return { kind: 'compare', op, left, right };
  }

  #unary(): Expr {
    if (++this.#depth > MAX_DEPTH) throw new ExpressionError(`nested deeper than ${MAX_DEPTH}`, this.#peek().at);
    try {
      if (this.#takeOp('!') !== undefined) return { kind: 'not', operand: this.#unary() };
      return this.#primary();
    } finally {
      this.#depth--;
    }
  }

  #primary(): Expr {
    const t = this.#peek();
    this.#pos++;
    switch (t.kind) {
      case 'value':
        return { kind: 'literal', value: t.value };
      case 'variable':
        return { kind: 'variable', name: t.name };
      case 'op': {
        if (t.op === '(') {
          const inner = this.#or();
          if (this.#takeOp(')') === undefined) throw new ExpressionError("expected ')'", this.#peek().at);
          return inner;
        }
        const n = this.#peek();
        if (t.op === '-' && n.kind === 'value' && typeof n.value === 'number') {
          this.#pos++;
          return { kind: 'literal', value: -n.value };
        }
        throw new ExpressionError(`unexpected '${t.op}'`, t.at);
      }
      case 'end':
        throw new ExpressionError('unexpected end of expression', t.at);
      default:
        return unreachable(t);
    }
  }
}

/** Parses a predicate; throws ExpressionError with the offset of the problem. */
export function parseExpression(text: string): Expr {
  if (text.length > MAX_LENGTH) throw new ExpressionError(`longer than ${MAX_LENGTH} characters`);
  return new Parser(tokenize(text)).parse();
}

/** Evaluates to a boolean; an unknown variable or a type mismatch throws ExpressionError. */
export function evaluatePredicate(expr: Expr, variables: ReadonlyMap<string, Value>): boolean {
  const v = evaluate(expr, variables);
  if (typeof v !== 'boolean') throw new ExpressionError(`the predicate yields ${describe(v)}, not true or false`);
  return v;
}

function evaluate(expr: Expr, vars: ReadonlyMap<string, Value>): Value {
  switch (expr.kind) {
    case 'literal':
      return expr.value;
    case 'variable': {
      const v = vars.get(expr.name);
      if (v === undefined) throw new ExpressionError(`unknown variable $${expr.name}`);
      return v;
    }
    case 'not':
      return !bool(evaluate(expr.operand, vars), '!');
    case 'logical': {
      const left = bool(evaluate(expr.left, vars), expr.op);
      if (expr.op === '&&' ? !left : left) return left;
      return bool(evaluate(expr.right, vars), expr.op);
    }
    case 'compare':
      return compare(expr.op, evaluate(expr.left, vars), evaluate(expr.right, vars));
    default:
      return unreachable(expr);
  }
}

function compare(op: CompareOp, a: Value, b: Value): boolean {
  if (typeof a !== typeof b) throw new ExpressionError(`cannot compare ${describe(a)} with ${describe(b)}`);
  switch (op) {
    case '==':
      return a === b;
    case '!=':
      return a !== b;
    default:
      if (typeof a === 'boolean') throw new ExpressionError(`'${op}' needs numbers or strings, not ${describe(a)}`);
      return op === '<' ? a < b : op === '<=' ? a <= b : op === '>' ? a > b : a >= b;
  }
}

function bool(v: Value, op: string): boolean {
  if (typeof v !== 'boolean') throw new ExpressionError(`'${op}' needs true or false, not ${describe(v)}`);
  return v;
}

function describe(v: Value): string {
  return `${typeof v} ${JSON.stringify(v)}`;
}

function unreachable(x: never): never {
  throw new Error(`unhandled ${JSON.stringify(x)}`);
}
