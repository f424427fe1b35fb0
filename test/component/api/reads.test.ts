import assert from 'node:assert/strict';
import { test } from 'node:test';
import { asEventId } from '../../../src/common/index.js';
import { basic, problemCode, startHarness } from './api-harness.js';

const reader = basic('reader', 'reader-secret');

test('orders: list, one by id, 404 UnknownOrder, and the job log', async (t) => {
  const h = await startHarness(t);
  const order = { id: 'o-1', workflowPath: 'demo/hello', state: { TYPE: 'Finished' }, position: [1] };
  h.fake.orderMap.set('o-1', order);
  h.fake.logs.set('o-1', [
    { eventId: asEventId(5), stream: 'stdout', chunk: 'hello\n' },
    { eventId: asEventId(6), stream: 'stderr', chunk: 'warn\n' },
  ]);

  assert.deepEqual((await h.call('/controller/api/order', { headers: reader })).body, { orders: [order] });
  assert.deepEqual((await h.call('/controller/api/order/o-1', { headers: reader })).body, order);

  const missing = await h.call('/controller/api/order/o-2', { headers: reader });
  assert.equal(missing.status, 404);
  assert.equal(problemCode(missing), 'UnknownOrder');

  const log = await h.call('/controller/api/order/o-1/log?after=5&limit=10', { headers: reader });
  assert.equal(log.status, 200);
  assert.deepEqual(log.body, { orderId: 'o-1', entries: [{ eventId: 6, stream: 'stderr', chunk: 'warn\n' }] });
  const noLog = await h.call('/controller/api/order/o-2/log', { headers: reader });
  assert.equal(noLog.status, 404);
  assert.equal(problemCode(noLog), 'UnknownOrder');

  // An order deleted after its retention: gone from the state, its output stays readable.
  h.fake.logs.set('gone', [{ eventId: asEventId(7), stream: 'stdout', chunk: 'bye\n' }]);
  assert.equal((await h.call('/controller/api/order/gone', { headers: reader })).status, 404);
  const kept = await h.call('/controller/api/order/gone/log', { headers: reader });
  assert.equal(kept.status, 200);
  assert.deepEqual(kept.body, { orderId: 'gone', entries: [{ eventId: 7, stream: 'stdout', chunk: 'bye\n' }] });
});

test('workflows: list, paths with slashes, 404 UnknownWorkflow', async (t) => {
  const h = await startHarness(t);
  const workflow = { path: 'demo/sub/hello', versionId: 'v1', instructions: [] };
  h.fake.workflowMap.set('demo/sub/hello', workflow);
  assert.deepEqual((await h.call('/controller/api/workflow', { headers: reader })).body, { workflows: [workflow] });
  assert.deepEqual((await h.call('/controller/api/workflow/demo/sub/hello', { headers: reader })).body, workflow);
  assert.deepEqual((await h.call('/controller/api/workflow/demo%2Fsub%2Fhello', { headers: reader })).body, workflow);
  const missing = await h.call('/controller/api/workflow/demo/nothing', { headers: reader });
  assert.equal(missing.status, 404);
  assert.equal(problemCode(missing), 'UnknownWorkflow');
});

test('the overview answers with and without a trailing slash', async (t) => {
  const h = await startHarness(t);
  for (const path of ['/controller/api', '/controller/api/']) {
    const answer = await h.call(path, { headers: reader });
    assert.equal(answer.status, 200);
    assert.equal((answer.body as { nodeId?: string }).nodeId, 'Primary');
  }
});

test('health needs no login: live, ready (503 with reasons) and active', async (t) => {
  const h = await startHarness(t);
  const live = await h.call('/controller/api/health/live');
  assert.equal(live.status, 200);
  assert.deepEqual(live.body, { ok: true, reasons: [] });

  h.fake.readyReport = { ok: false, reasons: ['controller is recovering'] };
  const ready = await h.call('/controller/api/health/ready');
  assert.equal(ready.status, 503);
  assert.deepEqual(ready.body, { ok: false, reasons: ['controller is recovering'] });

  h.fake.readyReport = { ok: true, reasons: [] };
  assert.equal((await h.call('/controller/api/health/ready')).status, 200);
  assert.equal((await h.call('/controller/api/health/active')).status, 200);
  h.fake.isActive = false;
  const active = await h.call('/controller/api/health/active');
  assert.equal(active.status, 503);
  assert.deepEqual(active.body, { ok: false, reasons: ['this node is not the active node'] });

  h.fake.liveReport = { ok: false, reasons: ['the journal failed'] };
  assert.equal((await h.call('/controller/api/health/live')).status, 503);
});

test('metrics: the controller figures plus HTTP requests by route and status, in Prometheus text', async (t) => {
  const h = await startHarness(t);
  await h.call('/controller/api', { headers: reader });
  await h.call('/controller/api/order/o-9', { headers: reader });
  await h.call('/controller/api/does-not-exist', { headers: reader });

  const unauthenticated = await h.call('/metrics');
  assert.equal(unauthenticated.status, 401);

  for (const path of ['/metrics', '/controller/api/metrics']) {
    const answer = await h.call(path, { headers: reader });
    assert.equal(answer.status, 200);
    assert.match(String(answer.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    assert.match(answer.text, /^tandem_fake_figure 7$/m);
    assert.match(answer.text, /^tandem_http_requests_total\{route="\/controller\/api",method="GET",status="200"\} 1$/m);
    assert.match(answer.text, /^tandem_http_requests_total\{route="\/controller\/api\/order\/:id",method="GET",status="404"\} 1$/m);
    assert.match(answer.text, /^tandem_http_requests_total\{route="unmatched",method="GET",status="404"\} 1$/m);
    assert.match(answer.text, /^tandem_http_request_duration_seconds_bucket\{route="\/controller\/api",le="\+Inf"\} 1$/m);
    assert.match(answer.text, /^tandem_http_request_duration_seconds_count\{route="\/controller\/api"\} 1$/m);
    assert.match(answer.text, /^tandem_http_open_waits 0$/m);
  }
});

test('a port that is taken fails the start with the listen error', async (t) => {
  const h = await startHarness(t);
  const port = Number(new URL(h.url).port);
  await assert.rejects(startHarness(t, { port }), /EADDRINUSE/);
});
