import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import fc from 'fast-check';
import { isWellFormedPasswordEntry, passwordMatches } from '../../../src/api/index.js';

const sha512 = (s: string): string => createHash('sha512').update(s, 'utf8').digest('hex');

test('plain: and sha512: entries match only their password', () => {
  assert.equal(passwordMatches('plain:s3cret', 's3cret'), true);
  assert.equal(passwordMatches('plain:s3cret', 's3cret '), false);
  assert.equal(passwordMatches('plain:', ''), true);
  assert.equal(passwordMatches(`sha512:${sha512('pä55')}`, 'pä55'), true);
  assert.equal(passwordMatches(`sha512:${sha512('pä55').toUpperCase()}`, 'pä55'), true);
  assert.equal(passwordMatches(`sha512:${sha512('pä55')}`, 'pa55'), false);
});

test('malformed or missing entries never match', () => {
  for (const entry of ['secret', 'sha512:abc', `sha256:${sha512('x').slice(0, 64)}`, `sha512:${'z'.repeat(128)}`]) {
    assert.equal(isWellFormedPasswordEntry(entry), false, entry);
    assert.equal(passwordMatches(entry, 'secret'), false, entry);
  }
  assert.equal(passwordMatches(undefined, ''), false);
  assert.equal(isWellFormedPasswordEntry('plain:x'), true);
});

test('for any two passwords, an entry matches exactly when they are equal', () => {
  fc.assert(
    fc.property(fc.string(), fc.string(), (a, b) => {
      assert.equal(passwordMatches(`plain:${a}`, b), a === b);
      assert.equal(passwordMatches(`sha512:${sha512(a)}`, b), a === b);
    }),
  );
});
