import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mapError } from '../../../src/api/problem-mapping.js';
import { TandemError } from '../../../src/common/index.js';

const fastifyError = (code: string, statusCode: number): Error => Object.assign(new Error(`fastify says ${code}`), { code, statusCode });

test("fastify's own errors become registry codes", () => {
  const cases: [string, number, string, number][] = [
    ['FST_ERR_CTP_BODY_TOO_LARGE', 413, 'PayloadTooLarge', 413],
    ['FST_ERR_CTP_INVALID_MEDIA_TYPE', 415, 'UnsupportedMediaType', 415],
    ['FST_ERR_CTP_EMPTY_JSON_BODY', 400, 'InvalidJson', 400],
    ['FST_ERR_CTP_INVALID_CONTENT_LENGTH', 400, 'InvalidRequest', 400],
    ['FST_ERR_BAD_URL', 400, 'InvalidRequest', 400],
    ['FST_ERR_SOMETHING_NEW', 400, 'InvalidRequest', 400],
  ];
  for (const [code, statusCode, expected, status] of cases) {
    const m = mapError(fastifyError(code, statusCode));
    assert.equal(m.problem.code, expected, code);
    assert.equal(m.status, status, code);
    assert.ok(!m.problem.message.includes('fastify says'), 'the message is ours');
  }
});

test('TandemErrors keep code, status and arguments; anything else is a quiet InternalError', () => {
  const m = mapError(new TandemError('ClusterNodeIsNotActive', 'go there', { activeUri: 'https://x' }));
  assert.equal(m.status, 503);
  assert.deepEqual(m.problem, { TYPE: 'Problem', code: 'ClusterNodeIsNotActive', message: 'go there', arguments: { activeUri: 'https://x' } });
  assert.equal(m.level, 'warn', 'a 503 is a state of the node, not a fault: a warning without a stack');
  assert.equal(mapError(new TandemError('JournalWriteFailed', 'disk')).level, 'error');
  const internal = mapError(new RangeError('db password is hunter2'));
  assert.equal(internal.status, 500);
  assert.equal(internal.problem.code, 'InternalError');
  assert.ok(!internal.problem.message.includes('hunter2'));
  assert.equal(mapError(new TandemError('NotFound', 'x')).level, 'debug');
  assert.equal(mapError(new TandemError('InvalidLogin', 'x')).level, 'warn');
});
