import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock, Wakeup, type Clock } from '../../../src/common/index.js';

/** A clock that counts the timers it holds, so a test sees whether one was left behind. */
function countingClock(): { clock: Clock; live: () => number } {
  const manual = new ManualClock();
  let live = 0;
  const clock: Clock = {
    now: () => manual.now(),
    monotonic: () => manual.monotonic(),
    sleep: (ms, signal) => manual.sleep(ms, signal),
    timer: (ms, fire) => {
      live += 1;
      const cancel = manual.timer(ms, () => {
        live -= 1;
        fire();
      });
      return () => {
        live -= 1;
        cancel();
      };
    },
  };
  return { clock, live: () => live };
}

test('a poke ends the sleep at once and cancels its timer', async () => {
  const { clock, live } = countingClock();
  const wakeup = new Wakeup(clock);
  const sleeping = wakeup.sleep(60_000, new AbortController().signal);
  assert.equal(live(), 1);
  wakeup.poke();
  await sleeping;
  assert.equal(live(), 0, 'no timer left behind');
});

test('without a poke the sleep ends when its time is up', async () => {
  const manual = new ManualClock();
  const wakeup = new Wakeup(manual);
  let woke = false;
  const sleeping = wakeup.sleep(500, new AbortController().signal).then(() => (woke = true));
  manual.advance(499);
  await Promise.resolve();
  assert.equal(woke, false);
  manual.advance(1);
  await sleeping;
  assert.equal(woke, true);
  wakeup.poke(); // nobody sleeps: nothing happens
});

test('an abort rejects the sleep with the signal’s reason and cancels its timer', async () => {
  const { clock, live } = countingClock();
  const wakeup = new Wakeup(clock);
  const stop = new AbortController();
  const sleeping = wakeup.sleep(60_000, stop.signal);
  const reason = new Error('closing');
  stop.abort(reason);
  await assert.rejects(sleeping, (err) => err === reason);
  assert.equal(live(), 0);
  await assert.rejects(wakeup.sleep(10, stop.signal), (err) => err === reason, 'an aborted signal rejects at once');
  assert.equal(live(), 0);
});

test('a poke after the sleep ended does not reach the next sleep', async () => {
  const manual = new ManualClock();
  const wakeup = new Wakeup(manual);
  const first = wakeup.sleep(100, new AbortController().signal);
  manual.advance(100);
  await first;
  wakeup.poke(); // nobody sleeps now
  let woke = false;
  const second = wakeup.sleep(100, new AbortController().signal).then(() => (woke = true));
  for (let turn = 0; turn < 3; turn += 1) await new Promise((resolve) => setImmediate(resolve));
  assert.equal(woke, false, 'the earlier poke does not end the second sleep');
  manual.advance(100);
  await second;
});

test('ManualClock.timer fires when the clock passes its time, and not once cancelled', () => {
  const manual = new ManualClock();
  const fired: string[] = [];
  manual.timer(100, () => fired.push('a'));
  const cancelB = manual.timer(100, () => fired.push('b'));
  cancelB();
  manual.advance(99);
  assert.deepEqual(fired, []);
  manual.advance(1);
  assert.deepEqual(fired, ['a']);
});
