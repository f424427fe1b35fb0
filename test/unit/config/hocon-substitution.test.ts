import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parseHocon } from '../../../src/config/index.js';
import { parse, syntaxProblem, syntaxProblems } from './hocon-helpers.js';

describe('HOCON substitutions', () => {
  test('a whole-value substitution takes the referenced value with its type', () => {
    assert.deepEqual(parse('a { b = 1, c = [x] }\nd = ${a}\ne = ${a.b}\nf = ${a.c}'), {
      a: { b: 1, c: ['x'] },
      d: { b: 1, c: ['x'] },
      e: 1,
      f: ['x'],
    });
  });

  test('substitutions see the final value, even one defined later', () => {
    assert.deepEqual(parse('a = ${b}\nb = 1\nb = 2'), { a: 2, b: 2 });
    assert.deepEqual(parse('a = ${b.c}\nb = ${d}\nd { c = deep }'), { a: 'deep', b: { c: 'deep' }, d: { c: 'deep' } });
  });

  test('quoted path elements', () => {
    assert.deepEqual(parse('"x.y" = 1\na = ${"x.y"}'), { 'x.y': 1, a: 1 });
  });

  test('${?x} missing leaves the field unset, or at its earlier value', () => {
    assert.deepEqual(parse('a = ${?NOPE}\nb = 1'), { b: 1 });
    assert.deepEqual(parse('port = 80\nport = ${?PORT}'), { port: 80 });
    assert.deepEqual(parse('port = 80\nport = ${?PORT}', { env: { PORT: '8080' } }), { port: '8080' });
    assert.deepEqual(parse('a = [1, ${?NOPE}, 2]'), { a: [1, 2] });
  });

  test('${x} missing is an error at the substitution, naming all fallbacks', () => {
    const p = syntaxProblem('a = 1\nb = ${NOPE}');
    assert.deepEqual([p.file, p.line, p.column], ['/conf/test.conf', 2, 5]);
    assert.match(p.message, /unresolved substitution \$\{NOPE\}.*environment variable NOPE.*NOPE_FILE.*secret file NOPE/);
  });

  test('every unresolved substitution is reported at once', () => {
    const problems = syntaxProblems(() => parse('a = ${X1}\nb = ${X2}\nc = [${X3}]'));
    assert.deepEqual(
      problems.map((p) => p.line),
      [1, 2, 3],
    );
  });

  test('a path not in the config falls back to the environment', () => {
    assert.deepEqual(parse('home = ${HOME}\nopt = ${?USER}', { env: { HOME: '/home/x', USER: 'x' } }), { home: '/home/x', opt: 'x' });
    assert.deepEqual(parse('HOME = config\nh = ${HOME}', { env: { HOME: '/home/x' } }), { HOME: 'config', h: 'config' });
  });

  test('substitutions cannot run code: anything but a path is a syntax error', () => {
    const g = globalThis as Record<string, unknown>;
    for (const text of ['a = ${process.exit(1)}', 'a = ${globalThis.pwned=1}', 'a = ${ x }', 'a = ${a + b}', 'a = ${`x`}', 'a = ${}']) {
      const p = syntaxProblem(text);
      assert.equal(p.line, 1, text);
      assert.match(p.message, /invalid substitution|never evaluated/, text);
    }
    assert.equal(g['pwned'], undefined);
    assert.match(syntaxProblem('a = ${x').message, /unterminated substitution|invalid substitution/);
  });

  test('cycles are reported, not looped on', () => {
    assert.match(syntaxProblem('a = ${b}\nb = ${a}').message, /cycle/);
    assert.match(syntaxProblem('a = ${a}').message, /cycle/);
    assert.match(syntaxProblem('a { b = ${a} }').message, /cycle/);
  });

  test('string concatenation with optional parts', () => {
    assert.deepEqual(parse('a = "x"${?NOPE}"y"'), { a: 'xy' });
    assert.deepEqual(parse('a = "x"${?V}"y"', { env: { V: '-' } }), { a: 'x-y' });
    assert.deepEqual(parse('host = h\nurl = "https://"${host}":8443/x"'), { host: 'h', url: 'https://h:8443/x' });
    assert.deepEqual(parse('n = 5\na = n is ${n} !'.replace('!', 'ok')), { n: 5, a: 'n is 5 ok' });
  });

  test('list and object concatenation, += and self-reference', () => {
    assert.deepEqual(parse('a = [1] [2]\nb = ${a} [3]'), { a: [1, 2], b: [1, 2, 3] });
    assert.deepEqual(parse('a { x = 1 }\nb = ${a} { y = 2 }'), { a: { x: 1 }, b: { x: 1, y: 2 } });
    assert.deepEqual(parse('a += 1\na += 2\nb = [0]\nb += 1'), { a: [1, 2], b: [0, 1] });
    assert.deepEqual(parse('p = [a]\np = ${p} [b]\nq = ${?q} [c]'), { p: ['a', 'b'], q: ['c'] });
    assert.deepEqual(parse('b = ${?X}\nb += 1', { env: {} }), { b: [1] });
    assert.match(syntaxProblem('a = x\na += 1').message, /cannot join/);
  });
});

describe('Docker secrets', () => {
  test('NAME_FILE is read, trailing newline trimmed', () => {
    const files = { '/run/s/pw': 'hunter2\n' };
    assert.deepEqual(parse('pw = ${DB_PASSWORD}', { files, env: { DB_PASSWORD_FILE: '/run/s/pw' } }), { pw: 'hunter2' });
  });

  test('a NAME_FILE naming a missing file is an error, even for ${?NAME}', () => {
    const p = syntaxProblem('pw = ${?DB_PASSWORD}', { env: { DB_PASSWORD_FILE: '/nope' } });
    assert.match(p.message, /DB_PASSWORD_FILE names \/nope, which does not exist/);
  });

  test('<secretsDir>/<NAME> when no variable is set; the environment wins over files', () => {
    const files = { '/secrets/CLUSTER_PASSWORD': 'from-secret\r\n', '/f': 'from-file' };
    assert.deepEqual(parse('pw = ${CLUSTER_PASSWORD}', { files, secretsDir: '/secrets' }), { pw: 'from-secret' });
    assert.deepEqual(parse('pw = ${CLUSTER_PASSWORD}', { files, secretsDir: '/secrets', env: { CLUSTER_PASSWORD_FILE: '/f' } }), {
      pw: 'from-file',
    });
    assert.deepEqual(parse('pw = ${CLUSTER_PASSWORD}', { files, secretsDir: '/secrets', env: { CLUSTER_PASSWORD: 'env' } }), { pw: 'env' });
  });

  test('secrets on a real directory, and names that could escape it are not looked up', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'tandem-secrets-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'token'), 'abc\n');
    mkdirSync(join(dir, 'sub'));
    const opts = { file: join(dir, 'x.conf'), env: {} };
    assert.deepEqual(parseHocon('t = ${?token}', { ...opts, secretsDir: dir }), { t: 'abc' });
    // join(sub, '../token') would be the file above; a name with a separator is never looked up.
    assert.deepEqual(parseHocon('t = ${?"../token"}', { ...opts, secretsDir: join(dir, 'sub') }), {});
  });
});

describe('HOCON includes', () => {
  test('include "file", file("…") and required(file("…")), relative to the including file', () => {
    const files = {
      '/conf/a.conf': 'a = 1\nshared.x = a',
      '/conf/sub/b.conf': 'b = 2\ninclude "c.conf"',
      '/conf/sub/c.conf': 'c = 3\nshared.y = c',
    };
    assert.deepEqual(parse('include "a.conf"\ninclude file("sub/b.conf")\nshared.z = main', { files }), {
      a: 1,
      b: 2,
      c: 3,
      shared: { x: 'a', y: 'c', z: 'main' },
    });
    assert.deepEqual(parse('include required(file("a.conf"))\na = 2', { files }), { a: 2, shared: { x: 'a' } });
  });

  test('a missing include is ignored; a missing required one is an error', () => {
    assert.deepEqual(parse('include "missing.conf"\na = 1'), { a: 1 });
    const p = syntaxProblem('a = 1\ninclude required("missing.conf")');
    assert.deepEqual([p.line, p.column], [2, 1]);
    assert.match(p.message, /required include not found: \/conf\/missing\.conf/);
  });

  test('an include inside an object lands there, and its substitutions are relative to it', () => {
    const files = { '/conf/inner.conf': 'x = 1\ny = ${x}' };
    assert.deepEqual(parse('a { include "inner.conf" }', { files }), { a: { x: 1, y: 1 } });
  });

  test('syntax errors in included files name that file', () => {
    const files = { '/conf/bad.conf': 'ok = 1\nbad = ?' };
    const p = syntaxProblem('include "bad.conf"', { files });
    assert.deepEqual([p.file, p.line, p.column], ['/conf/bad.conf', 2, 7]);
  });

  test('include cycles and unsupported kinds are errors', () => {
    const files = { '/conf/x.conf': 'include "y.conf"', '/conf/y.conf': 'include "x.conf"' };
    assert.match(syntaxProblem('include "x.conf"', { files }).message, /include cycle/);
    assert.match(syntaxProblem('include url("http://x")').message, /only file includes/);
    assert.match(syntaxProblem('include classpath("x")').message, /only file includes/);
  });

  test('includes read real files by default', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'tandem-include-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    mkdirSync(join(dir, 'parts'));
    writeFileSync(join(dir, 'parts', 'a.conf'), 'a = from-file\ninclude "b.conf"');
    writeFileSync(join(dir, 'parts', 'b.conf'), 'b = [1, 2]');
    const r = parseHocon('include file("parts/a.conf")\ninclude "parts/missing.conf"', { file: join(dir, 'main.conf'), env: {} });
    assert.deepEqual(r, { a: 'from-file', b: [1, 2] });
  });

  test('"include" followed by = is an ordinary key', () => {
    assert.deepEqual(parse('include = 1\ninclude.x { y = 2 }'.replace('include.x', 'other')), { include: 1, other: { y: 2 } });
  });
});
