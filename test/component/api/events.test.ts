import assert from 'node:assert/strict';
import { test } from 'node:test';
import { request } from 'undici';
import { asEventId } from '../../../src/common/index.js';
import { basic, problemCode, startHarness, type Harness } from './api-harness.js';
import { parseFrame, SseReader, within } from './sse-reader.js';

const reader = basic('reader', 'reader-secret');
const bound = (): AbortSignal => AbortSignal.timeout(5000);
// A broken close() would hang the test; fail it instead.
const limit = { timeout: 20_000 };

async function openStream(h: Harness, query: string, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<{ status: number; contentType: string; frames: SseReader }> {
  const res = await request(`${h.url}/controller/api/event?${query}`, {
    headers: { ...reader, accept: 'text/event-stream', ...headers },
    dispatcher: h.agent,
    ...(signal === undefined ? {} : { signal }),
  });
  return { status: res.statusCode, contentType: String(res.headers['content-type']), frames: new SseReader(res.body) };
}

test('long-poll answers at once with the events after `after`, flattened with their eventId', limit, async (t) => {
  const h = await startHarness(t);
  const [a, b] = h.fake.emit({ TYPE: 'OrderAdded', orderId: 'o-1' }, { TYPE: 'OrderStarted', orderId: 'o-1' });
  const all = await h.call('/controller/api/event?after=0&timeout=60', { headers: reader });
  assert.equal(all.status, 200);
  assert.deepEqual(all.body, {
    TYPE: 'NonEmpty',
    stamped: [
      { eventId: a, TYPE: 'OrderAdded', orderId: 'o-1' },
      { eventId: b, TYPE: 'OrderStarted', orderId: 'o-1' },
    ],
  });
  const limited = await h.call(`/controller/api/event?after=0&limit=1`, { headers: reader });
  assert.equal((limited.body as { stamped: unknown[] }).stamped.length, 1);
  const rest = await h.call(`/controller/api/event?after=${a}`, { headers: reader });
  assert.deepEqual((rest.body as { stamped: { eventId: number }[] }).stamped.map((s) => s.eventId), [b]);
});

test('long-poll without new events and timeout 0 answers Empty with the last EventId', limit, async (t) => {
  const h = await startHarness(t);
  const [a] = h.fake.emit({ TYPE: 'OrderAdded', orderId: 'o-1' });
  const answer = await h.call(`/controller/api/event?after=${a}`, { headers: reader });
  assert.deepEqual(answer.body, { TYPE: 'Empty', lastEventId: a });
});

test('reading events older than the controller holds is 410 EventsTorn', limit, async (t) => {
  const h = await startHarness(t);
  h.fake.emit({ TYPE: 'A' }, { TYPE: 'B' });
  h.fake.tornBefore = asEventId(1001);
  const answer = await h.call('/controller/api/event?after=0', { headers: reader });
  assert.equal(answer.status, 410);
  assert.equal(problemCode(answer), 'EventsTorn');
  const stream = await openStream(h, 'after=0');
  assert.equal(stream.status, 410);
});

test('long-poll returns as soon as an event is committed', limit, async (t) => {
  const h = await startHarness(t);
  const after = h.fake.lastEventId;
  const started = performance.now();
  const pending = h.call(`/controller/api/event?after=${after}&timeout=60`, { headers: reader });
  await h.fake.until((f) => f.waiterCount === 1, bound());
  const [id] = h.fake.emit({ TYPE: 'OrderAdded', orderId: 'o-7' });
  const answer = await within(pending, 5000, 'the long-poll answer');
  assert.deepEqual(answer.body, { TYPE: 'NonEmpty', stamped: [{ eventId: id, TYPE: 'OrderAdded', orderId: 'o-7' }] });
  assert.ok(performance.now() - started < 5000, 'answered well before its 60 s timeout');
  assert.equal(h.fake.waiterCount, 0);
});

test('long-poll times out on the clock with Empty, and timeouts above 60 s are cut to 60 s', limit, async (t) => {
  const h = await startHarness(t);
  const after = h.fake.lastEventId;
  const pending = h.call(`/controller/api/event?after=${after}&timeout=600`, { headers: reader });
  await h.fake.until((f) => f.waiterCount === 1, bound());
  h.clock.advance(59_999);
  assert.equal(h.fake.waiterCount, 1, 'still waiting before 60 s');
  h.clock.advance(1);
  const answer = await within(pending, 5000, 'the long-poll timeout');
  assert.deepEqual(answer.body, { TYPE: 'Empty', lastEventId: after });
});

test('a long-poll whose client goes away stops waiting', limit, async (t) => {
  const h = await startHarness(t);
  const abort = new AbortController();
  const pending = request(`${h.url}/controller/api/event?after=${h.fake.lastEventId}&timeout=60`, {
    headers: reader,
    dispatcher: h.agent,
    signal: abort.signal,
  });
  await h.fake.until((f) => f.waiterCount === 1, bound());
  abort.abort();
  await assert.rejects(pending);
  await h.fake.until((f) => f.waiterCount === 0, bound());
});

test('SSE delivers each event as id/data frames as it is committed', limit, async (t) => {
  const h = await startHarness(t);
  const stream = await openStream(h, `after=${h.fake.lastEventId}`);
  assert.equal(stream.status, 200);
  assert.match(stream.contentType, /^text\/event-stream/);
  assert.equal(await stream.frames.next(), ': tandem event stream');

  const [a] = h.fake.emit({ TYPE: 'OrderAdded', orderId: 'o-1' });
  assert.deepEqual(parseFrame((await stream.frames.next()) ?? ''), {
    id: String(a),
    event: undefined,
    data: { eventId: a, TYPE: 'OrderAdded', orderId: 'o-1' },
  });
  const [b, c] = h.fake.emit({ TYPE: 'OrderStarted', orderId: 'o-1' }, { TYPE: 'OrderFinished', orderId: 'o-1' });
  assert.equal(parseFrame((await stream.frames.next()) ?? '').id, String(b));
  assert.equal(parseFrame((await stream.frames.next()) ?? '').id, String(c));
});

test('SSE resumes after Last-Event-ID, which wins over ?after', limit, async (t) => {
  const h = await startHarness(t);
  const [a, b, c] = h.fake.emit({ TYPE: 'A' }, { TYPE: 'B' }, { TYPE: 'C' });
  const stream = await openStream(h, 'after=0', { 'last-event-id': String(a) });
  assert.equal(await stream.frames.next(), ': tandem event stream');
  const ids: string[] = [];
  // Both events may arrive in one chunk or two; read frames until both are in.
  while (ids.length < 2) ids.push(parseFrame((await stream.frames.next()) ?? '').id ?? 'none');
  assert.deepEqual(ids, [String(b), String(c)]);
  const bad = await openStream(h, 'after=0', { 'last-event-id': 'yesterday' });
  assert.equal(bad.status, 400);
});

test('an idle SSE stream sends keep-alive comments on the clock', limit, async (t) => {
  const h = await startHarness(t, { sseKeepAliveMs: 1000 });
  const stream = await openStream(h, `after=${h.fake.lastEventId}`);
  await stream.frames.next();
  await h.fake.until((f) => f.waiterCount === 1, bound());
  h.clock.advance(1000);
  assert.equal(await stream.frames.next(), ': keep-alive');
  const [a] = h.fake.emit({ TYPE: 'A' });
  assert.equal(parseFrame((await stream.frames.next()) ?? '').id, String(a));
});

test('an SSE client that goes away releases its wait', limit, async (t) => {
  const h = await startHarness(t);
  const abort = new AbortController();
  const stream = await openStream(h, `after=${h.fake.lastEventId}`, {}, abort.signal);
  await stream.frames.next();
  await h.fake.until((f) => f.waiterCount === 1, bound());
  abort.abort();
  await h.fake.until((f) => f.waiterCount === 0, bound());
});

test('closing the server ends open event streams and long-polls promptly', limit, async (t) => {
  const h = await startHarness(t);
  const stream = await openStream(h, `after=${h.fake.lastEventId}`);
  await stream.frames.next();
  const poll = h.call(`/controller/api/event?after=${h.fake.lastEventId}&timeout=60`, { headers: reader });
  await h.fake.until((f) => f.waiterCount === 2, bound());

  await within(h.server.close(), 5000, 'server close');
  assert.equal(await stream.frames.next(), undefined, 'the stream ended cleanly');
  const answer = await within(poll, 5000, 'the long-poll answer');
  assert.equal(answer.status, 200);
  assert.equal((answer.body as { TYPE?: string }).TYPE, 'Empty');
  assert.equal(h.fake.waiterCount, 0);
  await assert.rejects(request(`${h.url}/controller/api/health/live`, { dispatcher: h.agent }), 'no longer listening');
});

test('an SSE reader that falls behind the held events, or a failing read, gets a problem frame and the end', limit, async (t) => {
  const h = await startHarness(t);
  const stream = await openStream(h, `after=${h.fake.lastEventId}`);
  await stream.frames.next();
  await h.fake.until((f) => f.waiterCount === 1, bound());
  h.fake.tornBefore = asEventId(h.fake.lastEventId + 10);
  h.fake.emit({ TYPE: 'A' });
  const torn = parseFrame((await stream.frames.next()) ?? '');
  assert.equal(torn.event, 'problem');
  assert.equal((torn.data as { code?: string }).code, 'EventsTorn');
  assert.equal(await stream.frames.next(), undefined);

  const h2 = await startHarness(t);
  const failing = await openStream(h2, `after=${h2.fake.lastEventId}`);
  await failing.frames.next();
  await h2.fake.until((f) => f.waiterCount === 1, bound());
  h2.fake.readEvents = () => {
    throw new Error('read failed');
  };
  h2.fake.emit({ TYPE: 'A' });
  const problem = parseFrame((await failing.frames.next()) ?? '');
  assert.deepEqual(problem, {
    id: undefined,
    event: 'problem',
    data: { TYPE: 'Problem', code: 'InternalError', message: 'Internal error; see the node log.', arguments: {} },
  });
  assert.equal(await failing.frames.next(), undefined);
});
