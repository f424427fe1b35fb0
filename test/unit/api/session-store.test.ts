import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SessionStore } from '../../../src/api/session-store.js';
import { ManualClock } from '../../../src/common/index.js';

const user = { userId: 'demo', permissions: new Set(['ReadOnly']) };

test('a session lives while used and ends after the idle time', () => {
  const clock = new ManualClock();
  const store = new SessionStore(clock, 1000);
  const token = store.create(user);
  assert.match(token, /^[A-Za-z0-9_-]{43}$/, '256 random bits, URL-safe');
  clock.advance(1000);
  assert.equal(store.touch(token), user);
  clock.advance(1000);
  assert.equal(store.touch(token), user);
  clock.advance(1001);
  assert.equal(store.touch(token), undefined);
  assert.equal(store.size, 0);
});

test('tokens are unique, unknown tokens are nobody, and delete ends a session', () => {
  const store = new SessionStore(new ManualClock(), 1000);
  const tokens = new Set(Array.from({ length: 200 }, () => store.create(user)));
  assert.equal(tokens.size, 200);
  assert.equal(store.touch('guess'), undefined);
  const [first] = tokens;
  assert.equal(store.delete(first ?? ''), true);
  assert.equal(store.touch(first ?? ''), undefined);
  assert.equal(store.delete(first ?? ''), false);
});

test('sessions never used again are swept when new ones are created', () => {
  const clock = new ManualClock();
  const store = new SessionStore(clock, 1000);
  for (let i = 0; i < 50; i++) store.create(user);
  clock.advance(1001);
  store.create(user);
  assert.equal(store.size, 1);
});
