import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parse, syntaxProblem } from './hocon-helpers.js';

describe('HOCON objects and keys', () => {
  test('root without braces, root with braces and an empty file', () => {
    assert.deepEqual(parse('a = 1\nb = 2'), { a: 1, b: 2 });
    assert.deepEqual(parse('{ a = 1, b = 2 }'), { a: 1, b: 2 });
    assert.deepEqual(parse(''), {});
    assert.deepEqual(parse('\uFEFF# only a comment\n'), {});
  });

  test('=, : and { after a key', () => {
    assert.deepEqual(parse('a = 1\nb : 2\nc { d = 3 }\ne = { f: 4 }\ng:{}'), { a: 1, b: 2, c: { d: 3 }, e: { f: 4 }, g: {} });
  });

  test('the seed snippet: nested braces and dotted keys', () => {
    const text = 'js7.journal.cluster { node { is-backup = yes } }\njs7.web.server.auth.public = true\n';
    assert.deepEqual(parse(text), {
      js7: { journal: { cluster: { node: { 'is-backup': 'yes' } } }, web: { server: { auth: { public: true } } } },
    });
  });

  test('dotted keys nest; objects merge with earlier ones, other values override', () => {
    assert.deepEqual(parse('a.b.c = 1\na.b.d = 2\na { b { e = 3 } }'), { a: { b: { c: 1, d: 2, e: 3 } } });
    assert.deepEqual(parse('a = 1\na = 2'), { a: 2 });
    assert.deepEqual(parse('a { x = 1 }\na = 5'), { a: 5 });
    assert.deepEqual(parse('a = 5\na { x = 1 }'), { a: { x: 1 } });
    assert.deepEqual(parse('a = 5\na.x = 1'), { a: { x: 1 } });
    assert.deepEqual(parse('a = [1]\na = { x = 1 }'), { a: { x: 1 } });
  });

  test('a quoted key with dots is ONE key', () => {
    assert.deepEqual(parse('"a.b" = 1'), { 'a.b': 1 });
    assert.deepEqual(parse('x."a.b".c = 1'), { x: { 'a.b': { c: 1 } } });
    assert.deepEqual(parse('"" = 1\n"with space" = 2'), { '': 1, 'with space': 2 });
    assert.deepEqual(parse('"a.b" = 1\na.b = 2'), { 'a.b': 1, a: { b: 2 } });
  });

  test('a key named __proto__ stays a key and pollutes nothing', () => {
    const r = parse('"__proto__" { polluted = 1 }\nconstructor.prototype.polluted = 2');
    assert.deepEqual(Object.keys(r), ['__proto__', 'constructor']);
    assert.equal(Object.getPrototypeOf(r), Object.prototype);
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  });

  test('fields separated by commas or new lines; a trailing comma is fine', () => {
    assert.deepEqual(parse('{ a = 1, b = 2, }'), { a: 1, b: 2 });
    assert.deepEqual(parse('a = 1,\nb = 2\n,c = 3'), { a: 1, b: 2, c: 3 });
    assert.match(syntaxProblem('a = 1,, b = 2').message, /expected a key, found ','/);
    assert.match(syntaxProblem('a = 1 b = 2').message, /unexpected '='/);
  });

  test('keys with spaces must be quoted', () => {
    const p = syntaxProblem('my key = 1');
    assert.deepEqual([p.line, p.column], [1, 4]);
    assert.match(p.message, /double quotes/);
  });
});

describe('HOCON arrays', () => {
  test('newlines or commas separate items; trailing comma; nesting', () => {
    assert.deepEqual(parse('a = [1, 2, 3]'), { a: [1, 2, 3] });
    assert.deepEqual(parse('a = [\n  1\n  2\n  3,\n]'), { a: [1, 2, 3] });
    assert.deepEqual(parse('a = [1\n, 2]'), { a: [1, 2] });
    assert.deepEqual(parse('a = [ [], [[1]], { b = [x, y] } ]'), { a: [[], [[1]], { b: ['x', 'y'] }] });
    assert.deepEqual(parse('a = [ # comment\n "x" // another\n]'), { a: ['x'] });
  });

  test('empty items are errors with their position', () => {
    const p = syntaxProblem('a = [1,\n  ,2]');
    assert.deepEqual([p.line, p.column], [2, 3]);
    assert.match(p.message, /expected a value/);
    assert.match(syntaxProblem('a = [,]').message, /expected a value/);
  });

  test('an unclosed list names where it was opened', () => {
    assert.match(syntaxProblem('a = [1, 2\nb = 3').message, /expected a new line, ',' or '\]'|missing '\]'/);
    assert.match(syntaxProblem('a = [1, 2\n').message, /missing '\]' for the '\[' at line 1, column 5/);
  });
});

describe('HOCON comments and strings', () => {
  test('# and // start comments, also after values', () => {
    assert.deepEqual(parse('# c\n// c\na = 1 # c\nb = x // c\nc = "y" #c'), { a: 1, b: 'x', c: 'y' });
  });

  test('// and # inside a quoted string are not comments', () => {
    assert.deepEqual(parse('a = "http://x/#frag" # c'), { a: 'http://x/#frag' });
  });

  test('quoted strings take JSON escapes', () => {
    assert.deepEqual(parse(String.raw`a = "q\" b\\ s\/ \b\f\n\r\t \u00e9\u0041"`), { a: 'q" b\\ s/ \b\f\n\r\t éA' });
    assert.match(syntaxProblem(String.raw`a = "\x"`).message, /invalid escape/);
    assert.match(syntaxProblem(String.raw`a = "\u12"`).message, /four hex digits/);
  });

  test('an unterminated string is reported where it starts', () => {
    const p = syntaxProblem('a = 1\nb = "abc\nc = 2');
    assert.deepEqual([p.file, p.line, p.column], ['/conf/test.conf', 2, 5]);
    assert.match(p.message, /unterminated string/);
  });

  test('unquoted values keep /, : and URLs intact', () => {
    const r = parse(
      [
        'cert = private/https.crt',
        'url = https://host:1/x',
        'deep = https://host:1/x//y?',
        'hash = sha512:abc',
        'abs = /etc/tandem/x.pem',
        'file = file:///etc/x',
      ].join('\n').replace('?', ''),
    );
    assert.deepEqual(r, {
      cert: 'private/https.crt',
      url: 'https://host:1/x',
      deep: 'https://host:1/x//y',
      hash: 'sha512:abc',
      abs: '/etc/tandem/x.pem',
      file: 'file:///etc/x',
    });
  });

  test('// after a value without a colon is a comment, as HOCON says', () => {
    assert.deepEqual(parse('a = x// comment\nb = x / y'), { a: 'x', b: 'x / y' });
  });

  test('unquoted words join with their whitespace', () => {
    assert.deepEqual(parse('a = foo bar  baz  # c'), { a: 'foo bar  baz' });
    assert.deepEqual(parse('a = 1 2'), { a: '1 2' });
    assert.deepEqual(parse('a = "x" y "z"'), { a: 'x y z' });
  });

  test('characters HOCON reserves must be quoted', () => {
    const p = syntaxProblem('a = b?c');
    assert.deepEqual([p.line, p.column], [1, 6]);
    assert.match(p.message, /'\?'.*double quotes/);
    assert.match(syntaxProblem('a = ?').message, /double quotes/);
    assert.match(syntaxProblem('a = `x`').message, /double quotes/);
  });

  test('triple-quoted strings span lines and keep quotes', () => {
    assert.deepEqual(parse('a = """line 1\n  "line" 2\\n"""'), { a: 'line 1\n  "line" 2\\n' });
    assert.deepEqual(parse('a = """x""""'), { a: 'x"' });
    assert.match(syntaxProblem('a = """never closed').message, /unterminated triple-quoted/);
  });

  test('control characters outside strings are refused', () => {
    assert.match(syntaxProblem('a = x\u0001y').message, /U\+0001/);
    assert.match(syntaxProblem('a = "x\u0000"').message, /U\+0000/);
  });

  test('CRLF files read like LF files', () => {
    assert.deepEqual(parse('a = 1\r\nb = x\r\nc = [1,\r\n2]\r\n'), { a: 1, b: 'x', c: [1, 2] });
  });
});

describe('HOCON scalars', () => {
  test('numbers', () => {
    assert.deepEqual(parse('a = 0\nb = -12\nc = 1.5\nd = 1e3\ne = -2.5E-2'), { a: 0, b: -12, c: 1.5, d: 1000, e: -0.025 });
  });

  test('things that only look like numbers stay strings', () => {
    assert.deepEqual(parse('a = 01\nb = 10s\nc = 1.\nd = 64MiB\ne = 1e999'), { a: '01', b: '10s', c: '1.', d: '64MiB', e: '1e999' });
  });

  test('true/false and null are typed; yes/no/on/off stay strings for the schema', () => {
    assert.deepEqual(parse('a = true\nb = false\nc = null\nd = yes\ne = no\nf = on\ng = off'), {
      a: true,
      b: false,
      c: null,
      d: 'yes',
      e: 'no',
      f: 'on',
      g: 'off',
    });
    assert.deepEqual(parse('a = "true"'), { a: 'true' });
  });
});

describe('HOCON bounds', () => {
  test('nesting is bounded, deep input is a syntax error, not a crash', () => {
    assert.match(syntaxProblem(`a = ${'['.repeat(5000)}`).message, /nesting deeper than 64/);
    assert.match(syntaxProblem(`a = ${'{ b = '.repeat(5000)}`).message, /nesting deeper than 64/);
    assert.match(syntaxProblem(`${Array.from({ length: 5000 }, () => 'k').join('.')} = 1`).message, /nesting deeper than 64/);
  });

  test('a large flat file parses completely (a quadratic parser would hit the timeout)', { timeout: 60_000 }, () => {
    const text = Array.from({ length: 50_000 }, (_, i) => `k${i}.v = "value ${i}" # c`).join('\n');
    const r = parse(text);
    assert.equal(Object.keys(r).length, 50_000);
    assert.deepEqual(r['k49999'], { v: 'value 49999' });
  });
});
