import assert from 'node:assert/strict';
import { test } from 'node:test';
import { errorCodes } from '../../../src/common/index.js';
import { basic, problemCode, startHarness, type Answer, type CallOptions } from './api-harness.js';

const admin = basic('admin', 'admin-secret');

interface Case {
  readonly name: string;
  readonly path?: string;
  readonly options: CallOptions;
  readonly status: number;
  readonly code: keyof typeof errorCodes;
}

const cases: readonly Case[] = [
  { name: 'malformed JSON', options: { rawBody: '{"TYPE":"AddOrder",', headers: { 'content-type': 'application/json' } }, status: 400, code: 'InvalidJson' },
  { name: 'empty JSON body', options: { method: 'POST', rawBody: '', headers: { 'content-type': 'application/json' } }, status: 400, code: 'InvalidJson' },
  { name: 'no body at all', options: { method: 'POST' }, status: 400, code: 'InvalidJson' },
  { name: 'text/plain body', options: { rawBody: '{"TYPE":"ShutDown"}', headers: { 'content-type': 'text/plain' } }, status: 415, code: 'UnsupportedMediaType' },
  { name: 'form body', options: { rawBody: 'TYPE=ShutDown', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, status: 415, code: 'UnsupportedMediaType' },
  { name: 'body without content type', options: { rawBody: '{"TYPE":"ShutDown"}' }, status: 415, code: 'UnsupportedMediaType' },
  {
    name: 'body over maxBodyBytes',
    options: { json: { TYPE: 'AddOrder', order: { id: 'o-1', workflowPath: 'w', arguments: { pad: 'x'.repeat(5000) } } } },
    status: 413,
    code: 'PayloadTooLarge',
  },
  { name: '__proto__ key', options: { rawBody: '{"TYPE":"AddOrder","order":{"__proto__":{"isAdmin":true}}}', headers: { 'content-type': 'application/json' } }, status: 400, code: 'InvalidRequest' },
  {
    name: '__proto__ key written with escapes',
    options: { rawBody: '{"TYPE":"AddOrder","\\u005f_proto__":{"x":1}}', headers: { 'content-type': 'application/json' } },
    status: 400,
    code: 'InvalidRequest',
  },
  {
    name: 'constructor.prototype key',
    options: { rawBody: '[{"constructor":{"prototype":{"polluted":true}}}]', headers: { 'content-type': 'application/json' } },
    status: 400,
    code: 'InvalidRequest',
  },
  { name: 'unknown route', path: '/controller/api/nonsense', options: { json: { TYPE: 'ShutDown' } }, status: 404, code: 'NotFound' },
  { name: 'wrong method', path: '/controller/api/command', options: { method: 'PUT', json: { TYPE: 'ShutDown' } }, status: 405, code: 'MethodNotAllowed' },
  { name: 'GET on the command route', path: '/controller/api/command', options: { method: 'GET' }, status: 405, code: 'MethodNotAllowed' },
];

function assertProblem(answer: Answer, status: number, code: string): void {
  assert.equal(answer.status, status, answer.text);
  assert.equal(problemCode(answer), code, answer.text);
  assert.match(String(answer.headers['content-type']), /^application\/json/);
  const body = answer.body as Record<string, unknown>;
  assert.deepEqual(Object.keys(body).sort(), ['TYPE', 'arguments', 'code', 'message']);
  assert.equal(typeof body['message'], 'string');
  assert.equal(errorCodes[code as keyof typeof errorCodes].status, status, 'the status is the registry status');
}

test('every kind of bad input is the documented Problem and never reaches the controller', async (t) => {
  const h = await startHarness(t);
  for (const c of cases) {
    await t.test(c.name, async () => {
      const answer = await h.call(c.path ?? '/controller/api/command', { ...c.options, headers: { ...admin, ...c.options.headers } });
      assertProblem(answer, c.status, c.code);
    });
  }
  assert.equal(h.fake.commands.length, 0);
  assert.equal(({} as Record<string, unknown>)['isAdmin'], undefined, 'no prototype was polluted');
  assert.equal(({} as Record<string, unknown>)['polluted'], undefined, 'no prototype was polluted');
});

test('a 405 names the methods the route accepts', async (t) => {
  const h = await startHarness(t);
  const answer = await h.call('/controller/api/order/o-1', { method: 'DELETE', headers: admin });
  assertProblem(answer, 405, 'MethodNotAllowed');
  assert.match(String(answer.headers['allow']), /GET/);
});

test('a too-large body is refused before the body is read when Content-Length says so', async (t) => {
  const h = await startHarness(t, { maxBodyBytes: 64 });
  const answer = await h.call('/controller/api/session', { json: { TYPE: 'Login', userAndPassword: { userId: 'demo', password: 'x'.repeat(100) } } });
  assertProblem(answer, 413, 'PayloadTooLarge');
  assert.deepEqual((answer.body as { arguments: unknown }).arguments, { maxBodyBytes: 64 });
});

test('bad query parameters are InvalidRequest naming the parameter', async (t) => {
  const h = await startHarness(t);
  for (const query of ['after=-1', 'after=abc', 'after=1&limit=0', 'after=1&timeout=soon', 'after=99999999999999999', '']) {
    const answer = await h.call(`/controller/api/event?${query}`, { headers: admin });
    assertProblem(answer, 400, 'InvalidRequest');
    assert.match(String((answer.body as { arguments: { path?: unknown } }).arguments.path), /^\$\.(after|limit|timeout)$/, query);
  }
  const log = await h.call('/controller/api/order/o-1/log?limit=many', { headers: admin });
  assertProblem(log, 400, 'InvalidRequest');
});

test('valid JSON that is no command is passed to the controller, which decides', async (t) => {
  const h = await startHarness(t);
  const answer = await h.call('/controller/api/command', { json: [1, 2, 3], headers: basic('reader', 'reader-secret') });
  assert.equal(answer.status, 200, 'the fake accepts anything; the real controller answers InvalidRequest');
  assert.deepEqual(h.fake.commands[0]?.body, [1, 2, 3]);
});
