import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { clusterTiming } from '../../../src/cluster/index.js';

test('the defaults give the order DESIGN §4 asks for, with failover deciding within 5 s', () => {
  const t = clusterTiming(500, 2500);
  assert.deepEqual(t, { heartbeatMs: 500, passiveLostMs: 2500, watchValidMs: 3000, activeLostMs: 3500, inhibitMs: 4500, holdMs: 1000 });
});

test('for any heartbeat shorter than its timeout: passive-lost < watch-valid < active-lost < inhibit', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 60_000 }), fc.integer({ min: 1, max: 600_000 }), (h, extra) => {
      const t = clusterTiming(h, h + extra);
      return t.passiveLostMs < t.watchValidMs && t.watchValidMs < t.activeLostMs && t.activeLostMs < t.inhibitMs && t.holdMs >= 500;
    }),
  );
});

test('a timeout not longer than the heartbeat is refused', () => {
  assert.throws(() => clusterTiming(1000, 1000), /heartbeat-timeout \(1000 ms\) must be longer than heartbeat \(1000 ms\)/);
  assert.throws(() => clusterTiming(0, 1000), RangeError);
});
