import assert from 'node:assert/strict';
import { test } from 'node:test';
import { linkedAbort } from '../../../src/common/index.js';

test('aborts with a parent, on abort(), and at once when a parent already aborted', () => {
  const a = new AbortController();
  const b = new AbortController();
  const linked = linkedAbort(a.signal, b.signal);
  assert.equal(linked.signal.aborted, false);
  b.abort('b gone');
  assert.equal(linked.signal.aborted, true);
  assert.equal(linked.signal.reason, 'b gone');

  const own = linkedAbort(a.signal);
  own.abort('mine');
  assert.equal(own.signal.reason, 'mine');
  assert.equal(a.signal.aborted, false, 'a child never aborts its parent');

  a.abort('a gone');
  assert.equal(linkedAbort(a.signal).signal.reason, 'a gone');
});

test('a disposed link no longer follows its parent, and a long-lived parent does not keep links alive', async () => {
  const parent = new AbortController();
  const disposed = linkedAbort(parent.signal);
  disposed.dispose();
  // What AbortSignal.any leaks on Node 20: half a million links to one parent.
  // npm test runs node with --expose-gc (scripts/run-tests.js).
  const gc = (globalThis as { gc?: () => void }).gc;
  assert.ok(gc !== undefined, 'run with --expose-gc');
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < 500_000; i++) linkedAbort(parent.signal).dispose();
  gc();
  const grownMb = (process.memoryUsage().heapUsed - before) / 1e6;
  parent.abort();
  assert.equal(disposed.signal.aborted, false, 'a disposed link is detached');
  assert.ok(grownMb < 5, `the heap grew ${grownMb.toFixed(1)} MB`);
});
