import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExpressionError, evaluatePredicate, parseExpression, type Value } from '../../../src/workflow/index.js';

const vars = new Map<string, Value>([
  ['name', 'x'],
  ['n', 3],
  ['flag', true],
  ['returnCode', 0],
  ['quote', "it's"],
]);
const evaluate = (text: string, v: ReadonlyMap<string, Value> = vars): boolean => evaluatePredicate(parseExpression(text), v);

describe('expression: evaluation', () => {
  const cases: [string, boolean][] = [
    ["$name == 'x'", true],
    ['$name == "y"', false],
    ["$name != 'x'", false],
    ['$returnCode != 0', false],
    ['$returnCode == 0', true],
    ['$n > 2', true],
    ['$n >= 3 && $n <= 3', true],
    ['$n < 3', false],
    ['$n == 3.0', true],
    ['$n > -1', true],
    ["'abc' < 'abd'", true],
    ['true', true],
    ['!false', true],
    ['!!$flag', true],
    ['!($n == 3)', false],
    ['$flag && $n == 3', true],
    ["$n == 1 || $name == 'x'", true],
    ["$n == 1 || $name == 'y' && true", false],
    ["($n == 1 || $name == 'x') && $flag", true],
    // && binds tighter than ||
    ['true || false && false', true],
    ["$quote == 'it\\'s'", true],
    ['  $n   ==   3  ', true],
  ];
  for (const [text, expected] of cases) {
    it(`${text} → ${expected}`, () => assert.equal(evaluate(text), expected));
  }

  it('short-circuits: the right side of a decided && / || is not evaluated', () => {
    assert.equal(evaluate('false && $missing == 1'), false);
    assert.equal(evaluate('true || $missing == 1'), true);
  });
});

describe('expression: errors', () => {
  const parseErrors = ['', '$', '$n ==', "'open", '$n == 1 == 1', '(true', 'true)', 'yes', '$n = 1', '1 +', '$n === 1', "'a\\q'"];
  for (const text of parseErrors) {
    it(`does not parse ${JSON.stringify(text)}`, () => assert.throws(() => parseExpression(text), ExpressionError));
  }

  const evalErrors: [string, RegExp][] = [
    ['$missing == 1', /unknown variable \$missing/],
    ["$n == '3'", /cannot compare number 3 with string "3"/],
    ['$n', /yields number/],
    ['!$n', /'!' needs true or false/],
    ['$n && true', /'&&' needs true or false/],
    ['true < false', /needs numbers or strings/],
  ];
  for (const [text, message] of evalErrors) {
    it(`cannot evaluate ${text}`, () => assert.throws(() => evaluate(text), (e: unknown) => e instanceof ExpressionError && message.test(e.message)));
  }

  it('refuses overly deep nesting and long text instead of overflowing the stack', () => {
    assert.throws(() => parseExpression('!'.repeat(500) + 'true'), ExpressionError);
    assert.throws(() => parseExpression('('.repeat(200) + 'true' + ')'.repeat(200)), ExpressionError);
    assert.throws(() => parseExpression('true && '.repeat(200) + 'true'), /longer than/);
  });
});

describe('expression: cannot run code', () => {
  const hostile = [
    'process.exit(1)',
    "require('fs')",
    'constructor.constructor("return process")()',
    '$name.constructor',
    '$name["length"]',
    'globalThis',
    '`${1}`',
    '$n; process.exit()',
    'eval("1")',
    '$n == 3 ; true',
  ];
  for (const text of hostile) {
    it(`refuses ${text}`, () => assert.throws(() => parseExpression(text), ExpressionError));
  }

  it('prototype names are not variables', () => {
    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      assert.throws(() => evaluate(`$${name} == 1`, new Map()), /unknown variable/);
    }
  });
});
