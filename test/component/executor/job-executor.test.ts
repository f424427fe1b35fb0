import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { ManualClock } from '../../../src/common/index.js';
import { OUTPUT_CAP_BYTES, OUTPUT_FLUSH_BYTES, OUTPUT_TRUNCATED_LINE } from '../../../src/workflow/job-output.js';
import { isAlive, killGroupQuietly, makeHarness, waitUntilGone } from './executor-harness.js';

void test('a job reports its exit code, zero or not', async (t) => {
  const h = await makeHarness(t);
  const ok = h.executor.start({ orderId: 'ok', script: 'echo fine', env: {} });
  const bad = h.executor.start({ orderId: 'bad', script: 'echo oops >&2; exit 7', env: {} });
  assert.equal(typeof ok.pid, 'number');
  assert.equal(h.executor.running(), 2);

  assert.deepEqual(await ok.done, { returnCode: 0, signal: null, timedOut: false, killed: false });
  assert.deepEqual(await bad.done, { returnCode: 7, signal: null, timedOut: false, killed: false });
  assert.equal(h.text('ok', 'stdout'), 'fine\n');
  assert.equal(h.text('bad', 'stderr'), 'oops\n');
  assert.equal(h.text('bad', 'stdout'), '');
  assert.equal(h.executor.running(), 0);
  assert.deepEqual(await readdir(h.pidDir), [], 'pid files are deleted when jobs end');
});

void test('the job gets its env on top of PATH, HOME and LANG, and nothing else of the controller', async (t) => {
  process.env['TANDEM_LEAK_CHECK'] = 'leaked';
  t.after(() => delete process.env['TANDEM_LEAK_CHECK']);
  const h = await makeHarness(t, { cwd: '/' });
  const run = h.executor.start({
    orderId: 'env',
    script: 'printf "%s|%s|%s|%s|%s" "$GREETING" "${EMPTY-unset}" "${TANDEM_LEAK_CHECK-unset}" "$PATH" "$(pwd)"',
    env: { GREETING: 'hällo wörld $NOT_EXPANDED', EMPTY: '' },
  });
  assert.equal((await run.done).returnCode, 0);
  assert.equal(h.text('env', 'stdout'), `hällo wörld $NOT_EXPANDED||unset|${process.env['PATH'] ?? ''}|/`);
});

void test('a UTF-8 character split across writes, with a flush between them, arrives whole', async (t) => {
  const h = await makeHarness(t);
  // € is E2 82 AC; the pause outlasts the 200 ms flush interval, so the first two bytes are pending at a flush.
  const run = h.executor.start({ orderId: 'utf8', script: "printf 'x\\342\\202'; sleep 0.4; printf '\\254y\\n'", env: {} });
  assert.equal((await run.done).returnCode, 0);
  assert.equal(h.text('utf8', 'stdout'), 'x€y\n');
  assert.ok(h.chunksOf('utf8', 'stdout').length >= 2, 'the part before the pause was flushed on its own');
});

void test('a chatty job is delivered in far fewer chunks than it writes', async (t) => {
  const h = await makeHarness(t);
  const script = 'i=0; while [ $i -lt 10000 ]; do echo "line $i"; i=$((i+1)); done';
  const run = h.executor.start({ orderId: 'chatty', script, env: {} });
  assert.equal((await run.done).returnCode, 0);
  const expected = Array.from({ length: 10000 }, (_, i) => `line ${i}\n`).join('');
  assert.equal(h.text('chatty', 'stdout'), expected);
  const chunks = h.chunksOf('chatty', 'stdout');
  assert.ok(chunks.length <= 20, `10,000 writes became ${chunks.length} chunks`);
  for (const chunk of chunks) assert.ok(Buffer.byteLength(chunk) <= OUTPUT_FLUSH_BYTES + 3);
});

void test('output past 1 MiB is cut with one notice line, and the job still runs to its end', async (t) => {
  const h = await makeHarness(t);
  const run = h.executor.start({
    orderId: 'flood',
    script: "head -c 3000000 /dev/zero | tr '\\0' a; echo finished >&2",
    env: {},
  });
  assert.deepEqual(await run.done, { returnCode: 0, signal: null, timedOut: false, killed: false });
  const text = h.text('flood', 'stdout');
  assert.equal(text, `${'a'.repeat(OUTPUT_CAP_BYTES)}\n${OUTPUT_TRUNCATED_LINE}`);
  assert.equal(h.text('flood', 'stderr'), 'finished\n', 'the job was not blocked on a full pipe');
  for (const chunk of h.chunksOf('flood', 'stdout')) {
    assert.ok(Buffer.byteLength(chunk) <= OUTPUT_FLUSH_BYTES + OUTPUT_TRUNCATED_LINE.length + 4);
  }
});

void test('a job past its timeout gets SIGTERM', async (t) => {
  const clock = new ManualClock();
  const h = await makeHarness(t, { clock });
  const run = h.executor.start({ orderId: 'slow', script: 'sleep 100', env: {}, timeoutMs: 30_000 });
  t.after(() => killGroupQuietly(run.pid));
  clock.advance(29_999);
  assert.equal(h.executor.running(), 1);
  clock.advance(1);
  assert.deepEqual(await run.done, { returnCode: null, signal: 'SIGTERM', timedOut: true, killed: false });
});

void test('a job that ignores SIGTERM is SIGKILLed after the delay', async (t) => {
  const sigkillDelayMs = 300;
  const h = await makeHarness(t, { sigkillDelayMs });
  const run = h.executor.start({ orderId: 'stubborn', script: "trap '' TERM; echo ready; sleep 100", env: {} });
  t.after(() => killGroupQuietly(run.pid));
  await h.waitForText('stubborn', 'stdout', (s) => s.includes('ready'));

  const killedAt = performance.now();
  run.kill('test');
  const exit = await run.done;
  assert.deepEqual(exit, { returnCode: null, signal: 'SIGKILL', timedOut: false, killed: true });
  assert.ok(performance.now() - killedAt >= sigkillDelayMs - 20, 'SIGKILL came only after the delay');
});

void test('kill() ends the whole process group, grandchildren included', async (t) => {
  // A long delay: if only the shell were signalled, the grandchild would outlive this test's bound.
  const h = await makeHarness(t, { sigkillDelayMs: 10_000 });
  const run = h.executor.start({ orderId: 'family', script: 'sleep 100 & echo $!; wait', env: {} });
  t.after(() => killGroupQuietly(run.pid));
  const grandchild = Number((await h.waitForText('family', 'stdout', (s) => s.endsWith('\n'))).trim());
  assert.ok(isAlive(grandchild));

  const killedAt = performance.now();
  run.kill('test');
  const exit = await run.done;
  assert.equal(exit.signal, 'SIGTERM');
  assert.equal(exit.killed, true);
  assert.ok(performance.now() - killedAt < 5000, 'ended by SIGTERM, not by the SIGKILL fallback');
  assert.ok(await waitUntilGone(grandchild, 2000), 'the grandchild is gone');
});

void test('a shell that cannot be spawned resolves done with an error', async (t) => {
  const h = await makeHarness(t, { shell: '/nonexistent/sh' });
  const run = h.executor.start({ orderId: 'nope', script: 'true', env: {} });
  assert.equal(run.pid, undefined);
  const exit = await run.done;
  assert.equal(exit.returnCode, null);
  assert.match(exit.error ?? '', /could not start the job.*ENOENT/);
  assert.equal(h.executor.running(), 0);

  const badEnv = h.executor.start({ orderId: 'nul', script: 'true', env: { X: 'a\0b' } });
  assert.match((await badEnv.done).error ?? '', /could not start the job/);
});

void test('close() kills every running job, waits for them, and is idempotent', async (t) => {
  const h = await makeHarness(t, { sigkillDelayMs: 500 });
  const runs = [
    h.executor.start({ orderId: 'a', script: 'sleep 100', env: {} }),
    h.executor.start({ orderId: 'b', script: "trap '' TERM; echo ready; sleep 100", env: {} }),
  ];
  for (const run of runs) t.after(() => killGroupQuietly(run.pid));
  await h.waitForText('b', 'stdout', (s) => s.includes('ready'));
  assert.equal((await readdir(h.pidDir)).length, 2);

  await Promise.all([h.executor.close(), h.executor.close()]);
  assert.equal(h.executor.running(), 0);
  const [a, b] = await Promise.all(runs.map((r) => r.done));
  assert.equal(a?.signal, 'SIGTERM');
  assert.equal(b?.signal, 'SIGKILL');
  assert.equal(a?.killed, true);
  assert.deepEqual(await readdir(h.pidDir), []);

  const late = h.executor.start({ orderId: 'late', script: 'true', env: {} });
  assert.match((await late.done).error ?? '', /closed/);
});
