import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { TandemError } from '../../../src/common/index.js';
import { parseHocon } from '../../../src/config/index.js';
import { isolated } from './hocon-helpers.js';
import { configTree, renderHocon } from './hocon-render.js';

/** No input may take longer than this: generous for a 2-core CI machine, far below a hang. */

const INCLUDED: Record<string, string> = {
  '/conf/x.conf': 'x = 1\ninclude "y.conf"',
  '/conf/y.conf': 'y = ${?x}\ninclude "x.conf"',
  '/conf/bad.conf': 'a = [',
};

/** Parses arbitrary text: it returns a plain object or throws ConfigSyntax, within the time bound. */
function parseOrSyntaxError(text: string): void {
  try {
    const r = parseHocon(
      text,
      isolated({ readFile: (p) => (Object.hasOwn(INCLUDED, p) ? INCLUDED[p] : undefined), env: { E: 'env' } }),
    );
    assert.equal(typeof r, 'object');
  } catch (err) {
    if (!(err instanceof TandemError) || err.code !== 'ConfigSyntax') {
      assert.fail(`input ${JSON.stringify(text)} threw ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    }
    const errors = err.arguments['errors'];
    assert.ok(Array.isArray(errors) && errors.length > 0);
  }
}

const TOKENS = [
  '{', '}', '[', ']', '=', ':', ',', '"', '"""', '${', '${?', '.', 'a', 'b', '1', '-1.5e3', '#', '//', '\n', ' ', '\t',
  'include ', '"x.conf"', '"bad.conf"', 'file(', 'required(', ')', '+=', 'true', 'yes', 'null', '\\', '/', 'https://h:1/x',
  '"a.b"', '\\u12', '\r\n', '\u0000', '__proto__', 'E', '${E}', '${a}', '${?a.b}', 'x = ${x}',
];

// A hang (an input that never finishes parsing) fails by the suite's timeout; speed is not asserted here.
describe('HOCON fuzzing', { timeout: 120_000 }, () => {
  test('(a) random trees rendered in random styles parse back to the same tree', () => {
    fc.assert(
      fc.property(configTree, fc.integer(), (tree, seed) => {
        const text = renderHocon(tree, seed);
        let parsed: unknown;
        try {
          parsed = parseHocon(text, isolated());
        } catch (err) {
          assert.fail(`could not parse\n${text}\n${err instanceof Error ? err.message : String(err)}`);
        }
        assert.deepStrictEqual(parsed, tree, `rendered as:\n${text}`);
      }),
      { numRuns: 600 },
    );
  });

  test('(b) random strings never crash and never hang', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 300 }), parseOrSyntaxError), { numRuns: 1500 });
  });

  test('(b) random sequences of HOCON tokens never crash and never hang', () => {
    const tokens = fc.array(fc.constantFrom(...TOKENS), { maxLength: 80 }).map((t) => t.join(''));
    fc.assert(fc.property(tokens, parseOrSyntaxError), { numRuns: 3000 });
  });

  test('(b) random bytes, read as UTF-8 and as Latin-1, never crash', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        parseOrSyntaxError(Buffer.from(bytes).toString('utf8'));
        parseOrSyntaxError(Buffer.from(bytes).toString('latin1'));
      }),
      { numRuns: 1000 },
    );
  });

  test('(b) valid files with random damage never crash', () => {
    const damaged = fc.tuple(configTree, fc.integer(), fc.array(fc.tuple(fc.nat(), fc.constantFrom(...TOKENS, '')), { minLength: 1, maxLength: 4 })).map(
      ([tree, seed, edits]) => {
        let text = renderHocon(tree, seed);
        for (const [at, token] of edits) {
          const i = text.length === 0 ? 0 : at % text.length;
          text = token === '' ? text.slice(0, i) + text.slice(i + 1) : text.slice(0, i) + token + text.slice(i);
        }
        return text;
      },
    );
    fc.assert(fc.property(damaged, parseOrSyntaxError), { numRuns: 1000 });
  });

  test('adversarial shapes stay bounded: deep nesting, long substitution chains, huge concatenations', () => {
    parseOrSyntaxError('a = '.concat('['.repeat(50_000)));
    parseOrSyntaxError('{'.repeat(50_000));
    parseOrSyntaxError(`${'a.'.repeat(20_000)}b = 1`);
    // Declared backwards, so resolving the first needs all the others first.
    const chain = Array.from({ length: 2000 }, (_, i) => `a${2000 - i} = \${a${1999 - i}}`).join('\n');
    parseOrSyntaxError(`${chain}\na0 = 1`);
    parseOrSyntaxError(`a = ${'x '.repeat(20_000)}`);
    parseOrSyntaxError(`a = ${'"""'.repeat(20_000)}`);
    parseOrSyntaxError(`a = [${'${?n},'.repeat(10_000)}]`);
  });
});
