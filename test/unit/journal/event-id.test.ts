import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { asEventId, ManualClock, type EventId } from '../../../src/common/index.js';
import { nextEventId } from '../../../src/journal/index.js';

test('an EventId is the wall time in ms × 1000 while the clock moves forward', () => {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const first = nextEventId(clock.now(), asEventId(0));
  assert.equal(first, Date.UTC(2026, 0, 1) * 1000);
  clock.advance(5);
  assert.equal(nextEventId(clock.now(), first), (Date.UTC(2026, 0, 1) + 5) * 1000);
});

test('EventIds in the same millisecond count up by one', () => {
  const clock = new ManualClock();
  let last = asEventId(0);
  const ids: EventId[] = [];
  for (let i = 0; i < 5; i += 1) ids.push((last = nextEventId(clock.now(), last)));
  assert.deepEqual(ids.map((id) => id - clock.now() * 1000), [0, 1, 2, 3, 4]);
});

test('EventIds keep increasing when the wall clock steps back', () => {
  const clock = new ManualClock();
  const before = nextEventId(clock.now(), asEventId(0));
  clock.stepWall(-60_000);
  const after = nextEventId(clock.now(), before);
  assert.equal(after, before + 1);
  clock.stepWall(120_000);
  assert.equal(nextEventId(clock.now(), after), clock.now() * 1000);
});

test('under any walk of the wall clock, EventIds strictly increase and stay exact', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: -100_000, max: 100_000 }), { maxLength: 200 }), (steps) => {
      const clock = new ManualClock();
      let last = asEventId(0);
      for (const step of steps) {
        clock.stepWall(step);
        const next = nextEventId(clock.now(), last);
        assert.ok(next > last);
        assert.ok(Number.isSafeInteger(next));
        assert.ok(next >= clock.now() * 1000);
        last = next;
      }
    }),
  );
});

test('an EventId beyond 2^53 is refused rather than made inexact', () => {
  assert.throws(() => nextEventId(0, asEventId(Number.MAX_SAFE_INTEGER)), RangeError);
  assert.throws(() => nextEventId(Number.MAX_SAFE_INTEGER / 100, asEventId(0)), RangeError);
});
